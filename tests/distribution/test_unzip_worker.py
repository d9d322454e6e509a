"""The unzip helper process: it unzips as the caller's thread would (same files, same checks,
same errors), is told of wheels in memory or on disk, and never outlives its caller's need:
killed on an interruption or when it fails, ended when its socket closes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyffin.distribution import unzip_worker
from pyffin.distribution.unzip import unzip_wheel
from pyffin.distribution.unzip_worker import UnzipWorker, WorkerGone
from pyffin.models.wheel import InvalidWheelError
from tests.support.dists import WheelSpec, build_wheel, record_hash

pytestmark = pytest.mark.skipif(not unzip_worker.available(),
                                reason="the unzip helper process is Linux only")

SPEC = WheelSpec(
    "Foo_Bar",
    "1.0",
    files={"foo_bar/__init__.py": "X = 1\n" * 5000, "foo_bar/sub/mod.py": "Y = 2\n"},
    data={"scripts": {"tool": "#!python\nprint('hi')\n"}},
)


@pytest.fixture
def worker() -> Iterator[UnzipWorker]:
    w = UnzipWorker()
    assert w.try_acquire()
    yield w
    w.release()
    w.close()


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode)
            for p in root.rglob("*") if p.is_file()}


def fresh(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


@pytest.mark.parametrize("given", ["chunks", "bytes", "path"])
def test_unzips_the_same_files_as_the_callers_thread(tmp_path: Path, worker: UnzipWorker,
                                                     given: str) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    data = wheel.read_bytes()
    here = unzip_wheel(wheel, fresh(tmp_path, "here"))
    sent: Path | bytes | list[bytes] = {
        "chunks": [data[:100], b"", data[100:1000], data[1000:]], "bytes": data,
        "path": wheel}[given]

    there = worker.unzip(sent, fresh(tmp_path, "there"), filename=wheel.name,
                         verify_record=True)

    assert (there.name, there.version, there.dist_info, there.metadata, there.files) == \
        (here.name, here.version, here.dist_info, here.metadata, here.files)
    assert there.path == tmp_path / "there" and there.filename == wheel.name
    assert tree(tmp_path / "there") == tree(tmp_path / "here")
    assert worker.unzipped == 1


def test_serves_one_wheel_after_another(tmp_path: Path, worker: UnzipWorker) -> None:
    for n in range(3):
        wheel = build_wheel(WheelSpec(f"p{n}", "1.0"), tmp_path / "wheels")
        worker.unzip(wheel.read_bytes(), fresh(tmp_path, f"d{n}"), filename=wheel.name,
                     verify_record=False)
    assert worker.unzipped == 3
    assert (tmp_path / "d2" / "p2-1.0.dist-info" / "METADATA").is_file()


@pytest.mark.parametrize("verify_record", [True, False])
def test_refuses_a_path_that_escapes_with_the_same_error(tmp_path: Path, worker: UnzipWorker,
                                                         verify_record: bool) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        raw_entries={"foo_bar-1.0.data/../../evil.py": b"boom"})
    with pytest.raises(InvalidWheelError) as here:
        unzip_wheel(wheel, fresh(tmp_path, "here"), verify_record=verify_record)

    with pytest.raises(InvalidWheelError) as there:
        worker.unzip(wheel.read_bytes(), fresh(tmp_path, "there"), filename=wheel.name,
                     verify_record=verify_record)

    assert str(there.value) == str(here.value)
    assert "has a '..' component" in str(there.value)
    assert not (tmp_path.parent / "evil.py").exists() and not list(tmp_path.rglob("evil.py"))
    assert not worker.broken  # a bad wheel is the wheel's fault: the helper goes on


@pytest.mark.parametrize("data", [b"", b"not a zip"], ids=["empty", "garbage"])
def test_refuses_what_is_not_a_wheel_with_the_same_error(tmp_path: Path, worker: UnzipWorker,
                                                         data: bytes) -> None:
    with pytest.raises(InvalidWheelError) as here:
        unzip_wheel(data, fresh(tmp_path, "here"), filename="foo-1.0-py3-none-any.whl")
    with pytest.raises(InvalidWheelError) as there:
        worker.unzip(data, fresh(tmp_path, "there"), filename="foo-1.0-py3-none-any.whl",
                     verify_record=False)
    assert str(there.value) == str(here.value)


def test_checks_record_hashes_when_asked(tmp_path: Path, worker: UnzipWorker) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        record_overrides={"foo_bar/sub/mod.py": record_hash(b"other")})
    data = wheel.read_bytes()

    with pytest.raises(InvalidWheelError, match=r"the sha256 hash of 'foo_bar/sub/mod\.py' does "
                                                r"not match RECORD"):
        worker.unzip(data, fresh(tmp_path, "checked"), filename=wheel.name, verify_record=True)
    unzipped = worker.unzip(data, fresh(tmp_path, "trusted"), filename=wheel.name,
                            verify_record=False)
    assert unzipped.name == "Foo_Bar"


def test_a_helper_that_died_is_reported_and_not_used_again(tmp_path: Path,
                                                           worker: UnzipWorker) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    worker.unzip(wheel, fresh(tmp_path, "first"), filename=wheel.name, verify_record=False)
    process = worker._process
    assert process is not None
    process.kill()
    process.wait()

    with pytest.raises(WorkerGone):
        worker.unzip(wheel, fresh(tmp_path, "second"), filename=wheel.name,
                     verify_record=False)
    assert worker.broken and worker._process is None
    assert not worker.try_acquire()


def test_an_interruption_kills_the_helper_before_the_caller_goes_on(
        tmp_path: Path, worker: UnzipWorker) -> None:
    import signal

    from pyffin import interrupt

    wheel = build_wheel(SPEC, tmp_path / "wheels")
    worker.unzip(wheel, fresh(tmp_path, "first"), filename=wheel.name, verify_record=False)
    process = worker._process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)  # it takes the request and never answers
    interrupt.disown(process)  # (so that the interruption leaves it to the caller)
    interrupt.interrupt()
    try:
        with pytest.raises(interrupt.Interrupted):
            worker.unzip(wheel, fresh(tmp_path, "second"), filename=wheel.name,
                         verify_record=False)
    finally:
        interrupt.reset()
    assert process.returncode is not None  # killed and waited for: it writes no more
    assert worker.broken


def test_the_helper_exits_when_its_socket_closes(tmp_path: Path) -> None:
    worker = UnzipWorker()
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    worker.unzip(wheel, fresh(tmp_path, "d"), filename=wheel.name, verify_record=False)
    process = worker._process
    assert process is not None and process.poll() is None

    worker.close()

    assert process.returncode == 0


def test_is_off_when_the_environment_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_UNZIP_PROCESS", "0")
    assert not unzip_worker.available()
    monkeypatch.setenv("PYFFIN_UNZIP_PROCESS", "1")
    assert unzip_worker.available() == (sys.platform == "linux")


def test_a_helper_runs_no_site_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text("import os\nos._exit(3)\n")
    monkeypatch.setenv("PYTHONPATH", str(hooks))  # what the helper's own start-up would read
    worker = UnzipWorker()
    try:
        wheel = build_wheel(SPEC, tmp_path / "wheels")
        unzipped = worker.unzip(wheel.read_bytes(), fresh(tmp_path, "d"), filename=wheel.name,
                                verify_record=True)
    finally:
        worker.close()
    assert unzipped.name == "Foo_Bar" and not worker.broken


def test_a_helper_is_started_without_site_and_with_this_processs_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Flags:
        dont_write_bytecode = True

    monkeypatch.setattr(sys, "flags", Flags)
    monkeypatch.setattr(sys, "pycache_prefix", "/somewhere")
    command = unzip_worker._helper_command()
    assert command[:6] == [sys.executable, "-I", "-S", "-B", "-X", "pycache_prefix=/somewhere"]
    assert command[6] == "-c"
    root = str(Path(unzip_worker.__file__).parents[2])
    assert f"sys.path[:] = {[root, *(p for p in sys.path if p != root)]!r}" in command[7]
