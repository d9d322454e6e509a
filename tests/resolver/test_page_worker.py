"""Page workers (``pyffin.resolver.page_worker``): a cold ``pip compile`` of the command line
has forked processes fetch and summarize its pages, and walk the likely dependencies; the
answer is the one the command gives alone, whatever happens to the workers."""

from __future__ import annotations

import _thread
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyffin.cache import Cache, CacheBucket
from pyffin.resolver import page_worker
from tests.support.cli import child_env
from tests.support.dists import WheelSpec, build_wheel
from tests.support.index import IndexServer

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="page workers are Linux's")


@pytest.fixture
def cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that may fork workers: no thread of its own (pytest-xdist runs some), and
    four cores."""
    monkeypatch.setattr(_thread, "_count", lambda: 0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})


def test_wanted_on_a_cold_cache_only(tmp_path: Path, cores: None) -> None:
    cache = Cache(tmp_path / "cache")
    assert page_worker.wanted(cache, offline=False) == page_worker.WORKERS
    # A simple bucket made but empty is still cold; one holding anything is not.
    simple = cache.bucket(CacheBucket.SIMPLE)
    simple.mkdir(parents=True)
    assert page_worker.wanted(cache, offline=False) == page_worker.WORKERS
    (simple / "index").mkdir()
    assert page_worker.wanted(cache, offline=False) == 0


def test_not_wanted_offline_temporary_single_core_or_turned_off(
        tmp_path: Path, cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(tmp_path / "cache")
    assert page_worker.wanted(cache, offline=True) == 0
    assert page_worker.wanted(Cache(tmp_path / "t", temporary=True), offline=False) == 0
    monkeypatch.setenv("PYFFIN_PAGE_WORKERS", "0")
    assert page_worker.wanted(cache, offline=False) == 0
    monkeypatch.setenv("PYFFIN_PAGE_WORKERS", "3")
    assert page_worker.wanted(cache, offline=False) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert page_worker.wanted(cache, offline=False) == 0


def test_not_wanted_once_a_thread_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(_thread, "_count", lambda: 1)
    assert page_worker.wanted(Cache(tmp_path / "cache"), offline=False) == 0


# --------------------------------------------------------------------- the command line
def _index(server: IndexServer) -> None:
    """A chain and a fan of dependencies, with markers and extras the target leaves out, an
    sdist-only project and several versions of each."""
    for version in ("1.0", "2.0", "2.1"):
        server.add_wheel(WheelSpec("app", version, requires_dist=[
            "lib>=1.1", "util", "win-only; sys_platform == 'win32'", "fancy; extra == 'x'"]))
    for version in ("1.0", "1.1", "1.2"):
        server.add_wheel(WheelSpec("lib", version, requires_dist=["core<3"]))
    for version in ("2.0", "2.5", "3.0"):
        server.add_wheel(WheelSpec("core", version, requires_dist=["leaf"]))
    server.add_wheel(WheelSpec("leaf", "0.1"))
    server.add_wheel(WheelSpec("leaf", "0.2"), requires_python=">=4")  # not for the target
    server.add_wheel(WheelSpec("util", "4.0", requires_dist=["leaf>=0.1"]))
    server.add_wheel(WheelSpec("win-only", "1.0"))
    server.add_wheel(WheelSpec("fancy", "1.0"))


def _compile(server: IndexServer, cache: Path, work: Path, *extra: str,
             env: dict[str, str] | None = None, requirements: str = "app\n",
             **popen: object) -> subprocess.Popen[str]:
    work.mkdir(exist_ok=True)
    (work / "requirements.in").write_text(requirements)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "pyffin", "pip", "compile", "requirements.in", "--index-url",
         server.index_url, "--cache-dir", str(cache), "--no-header", "--no-annotate", *extra],
        cwd=work, env=child_env(env), text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, **popen)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.parametrize("command", ["install", "sync"])
def test_a_cold_install_is_read_by_the_workers(index_server: IndexServer, tmp_path: Path,
                                               command: str) -> None:
    """An install or sync on a cold cache resolves with them too: into a new environment of
    the running Python, whose facts need no probe, they walk the target's dependencies while
    the command reads its requirements."""
    _index(index_server)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (tmp_path / "requirements.txt").write_text(
        "app\n" if command == "install" else
        "app==2.1\ncore==2.5\nleaf==0.1\nlib==1.2\nutil==4.0\n")
    source = ["-r", "requirements.txt"] if command == "install" else ["requirements.txt"]
    done = subprocess.run(
        [sys.executable, "-m", "pyffin", "pip", command, *source, "--index-url",
         index_server.index_url, "--cache-dir", str(tmp_path / "cache"), "--python",
         str(venv / "bin" / "python"), "-v"],
        cwd=tmp_path, env=child_env(), text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Started 2 page workers" in done.stderr
    assert done.stderr.endswith(" + app==2.1\n + core==2.5\n + leaf==0.1\n + lib==1.2\n"
                                " + util==4.0\n"), done.stderr
    for name in ("app", "lib", "core", "leaf", "util"):
        assert index_server.count(f"/simple/{name}/") == 1, name
    for filename in ("app-2.1", "lib-1.2", "core-2.5", "leaf-0.1", "util-4.0"):
        assert index_server.count(f"/files/{filename}-py3-none-any.whl.metadata") == 1
        assert index_server.count(f"/files/{filename}-py3-none-any.whl") == 1
    assert index_server.count("/simple/win-only/") == index_server.count("/simple/fancy/") == 0


def test_a_cold_compile_is_read_by_the_workers(index_server: IndexServer, tmp_path: Path
                                               ) -> None:
    _index(index_server)
    code, alone, err = _finish(_compile(index_server, tmp_path / "c0", tmp_path / "w0",
                                        env={"PYFFIN_PAGE_WORKERS": "0"}))
    assert code == 0, err
    assert "page workers" not in err
    assert alone == "app==2.1\ncore==2.5\nleaf==0.1\nlib==1.2\nutil==4.0\n"
    index_server.reset_counts()
    code, out, err = _finish(_compile(index_server, tmp_path / "c1", tmp_path / "w1", "-v"))
    assert code == 0, err
    assert out == alone
    assert "Started 2 page workers" in err
    assert "The page workers summarized 5 of the 5 projects asked of them" in err
    # Each page and each chosen version's metadata is asked once, by whichever process;
    # nothing for the markers and extras the target leaves out.
    for name in ("app", "lib", "core", "leaf", "util"):
        assert index_server.count(f"/simple/{name}/") == 1, name
    for filename in ("app-2.1", "lib-1.2", "core-2.5", "leaf-0.1", "util-4.0"):
        assert index_server.count(f"/files/{filename}-py3-none-any.whl.metadata") == 1
    assert index_server.count("/simple/win-only/") == index_server.count("/simple/fancy/") == 0
    assert index_server.count("/files/leaf-0.2-py3-none-any.whl.metadata") == 0
    assert not [r for r in index_server.request_log if not r.path.endswith((".metadata", "/"))]
    # The next run reads the summaries the workers wrote: no worker, no request.
    index_server.reset_counts()
    code, out, err = _finish(_compile(index_server, tmp_path / "c1", tmp_path / "w2", "-v"))
    assert (code, out) == (0, alone), err
    assert "page workers" not in err
    assert index_server.count() == 0


def test_the_walk_starts_from_a_version_the_requirement_allows(index_server: IndexServer,
                                                                tmp_path: Path) -> None:
    # `app<2.1`: the metadata the walk reads first is 2.0's, the version the solver takes,
    # not the newest's.
    _index(index_server)
    code, out, err = _finish(_compile(index_server, tmp_path / "c", tmp_path / "w", "-v",
                                      requirements="app<2.1\n"))
    assert code == 0, err
    assert out == "app==2.0\ncore==2.5\nleaf==0.1\nlib==1.2\nutil==4.0\n"
    assert "The page workers summarized 5 of the 5 projects asked of them" in err
    assert index_server.count("/files/app-2.0-py3-none-any.whl.metadata") == 1
    assert index_server.count("/files/app-2.1-py3-none-any.whl.metadata") == 0


def test_the_walk_never_goes_to_an_excluded_project(index_server: IndexServer,
                                                    tmp_path: Path) -> None:
    # --excludes lib: neither lib nor core, which only lib needs, is fetched, though app's
    # metadata names lib.
    _index(index_server)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "x.txt").write_text("lib\n")
    code, out, err = _finish(_compile(index_server, tmp_path / "c", tmp_path / "w", "-v",
                                      "--excludes", "x.txt"))
    assert code == 0, err
    assert out == "app==2.1\nleaf==0.1\nutil==4.0\n"
    assert "The page workers summarized 3 of the 3 projects asked of them" in err
    assert index_server.count("/simple/lib/") == index_server.count("/simple/core/") == 0


def test_pages_stale_at_once_are_read_once(index_server: IndexServer, tmp_path: Path) -> None:
    """An index whose pages say they are stale as soon as they arrive (PyPI's, through some
    proxies): what the workers received counts as this command's, not as a cache entry to
    revalidate."""
    _index(index_server)
    index_server.set_cache_control("max-age=0")
    code, out, err = _finish(_compile(index_server, tmp_path / "c", tmp_path / "w", "-v"))
    assert code == 0, err
    assert out == "app==2.1\ncore==2.5\nleaf==0.1\nlib==1.2\nutil==4.0\n"
    assert "The page workers summarized 5 of the 5 projects asked of them" in err
    for name in ("app", "lib", "core", "leaf", "util"):
        assert index_server.count(f"/simple/{name}/") == 1, (name, err)


def test_a_page_the_workers_cannot_read_is_reported_as_without_them(
        index_server: IndexServer, tmp_path: Path) -> None:
    _index(index_server)
    index_server.respond("/simple/core/", b"{not json", {
        "Content-Type": "application/vnd.pypi.simple.v1+json"})
    results = []
    for i, workers in enumerate(("0", "2")):
        results.append(_finish(_compile(index_server, tmp_path / f"c{i}", tmp_path / f"w{i}",
                                        env={"PYFFIN_PAGE_WORKERS": workers})))
    (code0, out0, err0), (code1, out1, err1) = results
    assert code0 == code1 != 0
    assert "core" in err0 and "not valid JSON" in err0
    assert (out1, err1) == (out0, err0)


@pytest.mark.parametrize(("status", "fault"), [(500, "answered HTTP 500"),
                                               (None, "failed to connect")])
def test_a_page_the_workers_could_not_fetch_is_not_fetched_again(
        index_server: IndexServer, tmp_path: Path, status: int | None, fault: str) -> None:
    """An index that answers an error status, or cannot be reached, after the retries: the
    command reports the worker's error, without making them all again (against an index that
    is down, it would take twice as long to say so)."""
    _index(index_server)
    url = index_server.index_url
    if status is not None:
        index_server.fail("/simple/core/", status)
    else:  # a port nothing listens on
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{s.getsockname()[1]}/simple/"
    results = []
    for i, workers in enumerate(("0", "2")):
        index_server.reset_counts()
        done = _finish(_compile(index_server, tmp_path / f"c{i}", tmp_path / f"w{i}", "-v",
                                "--index-url", url, requirements="core\n",
                                env={"PYFFIN_PAGE_WORKERS": workers,
                                     "PYFFIN_HTTP_RETRIES": "1"}))
        results.append((*done, index_server.count("/simple/core/")))
    (code0, _, err0, asked0), (code1, _, err1, asked1) = results
    assert code0 == code1 == 2
    assert "Started 2 page workers" in err1
    last0, last1 = err0.splitlines()[-1], err1.splitlines()[-1]
    assert last0 == last1 and last1.startswith("error: ") and fault in last1, err1
    if status is not None:
        assert asked0 == asked1 == 2  # a try and a retry, by one process or the other
    # The command's own retry is in its log; with workers, the command made none.
    assert err0.count("Retrying ") == 1 and "Retrying " not in err1, err1
    assert f"A page worker could not fetch the pages of core: {last1[7:]}" in err1


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _group_gone(group: int) -> bool:
    """Whether no process of the process group ``group`` is left."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_for(condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_workers_killed_midway_leave_the_command_to_finish(index_server: IndexServer,
                                                           tmp_path: Path) -> None:
    _index(index_server)
    code, alone, err = _finish(_compile(index_server, tmp_path / "c0", tmp_path / "w0",
                                        env={"PYFFIN_PAGE_WORKERS": "0"}))
    assert code == 0, err
    index_server.reset_counts()
    index_server.delay("/simple/core/", 2.0, times=1)  # a worker's request: held
    process = _compile(index_server, tmp_path / "c1", tmp_path / "w1")
    _wait_for(lambda: index_server.count("/simple/core/") == 1)
    workers = _descendants(process.pid)
    assert len(workers) == 2
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    code, out, err = _finish(process)
    assert (code, out) == (0, alone), err
    assert index_server.count("/simple/core/") == 2  # the command asked for it again


def test_workers_exit_with_the_command(index_server: IndexServer, tmp_path: Path) -> None:
    _index(index_server)
    process = _compile(index_server, tmp_path / "c", tmp_path / "w", start_new_session=True)
    _wait_for(lambda: index_server.count("/simple/app/") == 1)
    group = process.pid
    assert _finish(process)[0] == 0

    _wait_for(lambda: _group_gone(group), timeout=10)


def test_not_in_a_program_that_calls_the_command_line(index_server: IndexServer,
                                                      tmp_path: Path) -> None:
    """``pyffin.cli.main.main`` in a process that goes on forks nothing (only ``run``, the
    ``pyffin`` script's entry point, owns its process)."""
    _index(index_server)
    work = tmp_path / "w"
    work.mkdir()
    (work / "requirements.in").write_text("app\n")
    script = (
        "import os, sys\n"
        "from pyffin.cli.main import main\n"
        f"code = main(['pip', 'compile', 'requirements.in', '--index-url', "
        f"{index_server.index_url!r}, '--cache-dir', {str(tmp_path / 'c')!r}, '-v', '-q'])\n"
        "print(os.getpid(), code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=work, env=child_env(),
                            text=True, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "page workers" not in result.stderr


@pytest.mark.parametrize("options", [
    ("--python-version", "3.10"),
    ("--resolution", "lowest"),
    ("--prerelease", "allow"),
    ("--only-binary", ":all:", "--generate-hashes"),
    ("--exclude-newer", "2100-01-01"),
    ("--exclude-newer", "1 second"),  # a cutoff that moves: no summary, so no worker's use
    ("--format", "pylock.toml"),
    ("--universal",),
    ("FIND-LINKS",),
], ids=lambda options: options[0].lstrip("-"))
def test_the_same_answer_with_or_without_workers(index_server: IndexServer, tmp_path: Path,
                                                 options: tuple[str, ...]) -> None:
    _index(index_server)
    index_server.add_wheel(WheelSpec("core", "3.1a1", requires_dist=["leaf"]))
    if options == ("FIND-LINKS",):
        links = tmp_path / "links"
        links.mkdir()
        build_wheel(WheelSpec("util", "5.0", requires_dist=["leaf"]), links)
        options = ("--find-links", str(links))
    answers = []
    for i, workers in enumerate(("0", "2")):
        code, out, err = _finish(_compile(index_server, tmp_path / f"c{i}", tmp_path / f"w{i}",
                                          "-v", *options,
                                          env={"PYFFIN_PAGE_WORKERS": workers}))
        assert code == 0, err
        assert ("Started 2 page workers" in err) == (workers == "2")
        if "1 second" in options and workers == "2":  # let go once the target is known
            assert "The page workers summarized 0 of the 1 projects asked of them" in err
        answers.append(out)
    assert answers[0] == answers[1]
    assert "app==" in answers[0] or 'name = "app"' in answers[0]
    if "--find-links" in options:
        assert "util==5.0" in answers[0]


class _Metadata:
    requires_dist = ["lib>=1.1", "win-only; sys_platform == 'win32'", "fancy; extra == 'x'",
                     "old; python_version < '3'", "direct @ https://example.org/d.whl",
                     "lib", "py38-only; python_version < '3.9' and os_name == 'nt'",
                     "later; python_full_version >= '3.12'"]


class _Registry:
    def wheel_metadata(self, page: object, file: object) -> _Metadata:
        return _Metadata()


class _Wheel:
    page = file = None


_LINUX = {"sys_platform": "linux", "python_version": "3.11", "python_full_version": "3.11.4",
          "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython"}


@pytest.mark.parametrize("markers,extras,named", [
    (_LINUX, (), ["?lib lib>=1.1"]),
    (None, (), ["?lib lib>=1.1", "?win-only win-only; sys_platform == 'win32'",
                "?later later; python_full_version >= '3.12'"]),
    (_LINUX, ("X",), ["?lib lib>=1.1", "?fancy fancy; extra == 'x'"]),
    (None, ("x",), ["?lib lib>=1.1", "?win-only win-only; sys_platform == 'win32'",
                    "?fancy fancy; extra == 'x'", "?later later; python_full_version >= '3.12'"]),
    (_LINUX, ("y",), ["?lib lib>=1.1"]),
    (None, ("y",), ["?lib lib>=1.1", "?win-only win-only; sys_platform == 'win32'",
                    "?later later; python_full_version >= '3.12'"]),
], ids=["target", "universal", "target-extra", "universal-extra", "target-other-extra",
        "universal-other-extra"])
def test_a_walk_names_the_dependencies_the_target_may_need(
        markers: dict[str, str] | None, extras: tuple[str, ...], named: list[str]) -> None:
    """A walk names each dependency once, with the requirement that named it: those the
    target's markers hold for, or (universal, from Python 3.9 on) those of any platform and
    of a Python from 3.9 on; an extra's only when that extra was asked for (``uvicorn[standard]``
    walks on to what ``standard`` adds); never a direct reference."""
    from types import SimpleNamespace

    said: list[bytes] = []
    walk = page_worker._Walk(markers, SimpleNamespace(universal=(3, 9)), said.append)
    wanted = walk.wanted(("range", (None, extras)))
    assert wanted is not None
    walk.follow(_Registry(), _Wheel(), wanted[1])  # type: ignore[arg-type]
    assert [line.decode() for line in said] == named


class _Found:
    """A project's usable versions as a walk reads them (see FileSelection.usable_versions):
    ``(version, requires-python, yanked)`` in ascending order, each version's best file a
    wheel named by its version."""

    def __init__(self, versions: list[tuple[str, str, bool]]) -> None:
        from types import SimpleNamespace

        from pyffin.models.versions import Version

        self.version_list = [Version(v) for v, _, _ in versions]
        self.requires_python = [text for _, text, _ in versions]
        self.yanked = [yanked for _, _, yanked in versions]
        self.looked_up: list[str] = []
        self._files = {str(v): SimpleNamespace(best=SimpleNamespace(is_wheel=True, version=str(v)))
                       for v in self.version_list}

    def __getitem__(self, version: object) -> object:
        self.looked_up.append(str(version))
        return self._files[str(version)]


_BANDS = [("1.0", ">=3.9", False), ("1.5", ">=3.8", False), ("2.0", ">=3.10", False),
          ("2.1", ">=3.10", True), ("2.2rc1", ">=3.10", False), ("3.0", ">=3.11,<4", False),
          ("3.1", ">=3.12", False), ("4.0", ">=4", False)]


@pytest.mark.parametrize("required,expected", [
    (None, ["3.1", "3.0", "2.0", "1.5"]),
    ("<3", ["2.0", "1.5"]),
    ("<2", ["1.5"]),
], ids=["any", "below 3", "below 2"])
def test_a_universal_walk_reads_the_newest_version_for_each_band_of_pythons(
        required: str | None, expected: list[str]) -> None:
    """For Python 3.9 on, one version per band of Pythons the Requires-Python lower bounds
    make (3.12 on, 3.11, 3.10, 3.9): the version each fork of a universal resolution takes,
    whose metadata it reads; none that is yanked, a pre-release, or for no Python of the
    resolution (``>=4``). Each is looked up in the summary (its row is kept hot)."""
    from types import SimpleNamespace

    from pyffin.resolver.ranges import specifier_range

    walk = page_worker._Walk(None, SimpleNamespace(universal=(3, 9)), [].append)
    found = _Found(_BANDS)
    versions = None if required is None else specifier_range(required[0], required[1:])
    wheels = walk.likely_wheels(found, versions)
    assert [wheel.version for wheel in wheels] == expected
    assert found.looked_up == expected


def test_a_target_walk_reads_the_newest_version_for_its_python() -> None:
    from types import SimpleNamespace

    # (Python 3.11: 3.1 needs 3.12.)
    walk = page_worker._Walk(_LINUX, SimpleNamespace(universal=None), [].append)
    found = _Found(_BANDS)
    assert [wheel.version for wheel in walk.likely_wheels(found, None)] == ["3.0"]


def test_a_walk_reads_the_extras_of_a_requirement_it_named() -> None:
    from types import SimpleNamespace

    walk = page_worker._Walk(_LINUX, SimpleNamespace(universal=None), [].append)
    wanted = walk.wanted(("text", "Uvicorn[Standard,dev]>=0.30; python_version >= '3.8'"))
    assert wanted is not None and wanted[1] == ("standard", "dev")
    assert walk.wanted(("text", "not a requirement[")) is None


def test_ctrl_c_ends_the_command_and_then_its_workers(index_server: IndexServer,
                                                      tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the command stops at once (the workers ignore
    it), and the workers follow once they read the end of their pipe and finish the page
    under way."""
    _index(index_server)
    index_server.delay("/simple/core/", 2.0)
    process = _compile(index_server, tmp_path / "c", tmp_path / "w", start_new_session=True)
    _wait_for(lambda: index_server.count("/simple/core/") >= 1)
    group = process.pid
    os.killpg(group, signal.SIGINT)
    code, _, err = _finish(process)
    assert code == 130 and "Traceback" not in err

    _wait_for(lambda: _group_gone(group), timeout=20)


@pytest.mark.parametrize("strategy", ["first-index", "unsafe-best-match"])
def test_the_same_answer_from_two_indexes(index_server: IndexServer, tmp_path: Path,
                                          strategy: str) -> None:
    """An extra index (as HTML, without metadata files: the walk reads a wheel's metadata by
    range requests) with an older ``util`` and a ``core`` between the first index's: each
    index strategy gives the same answer with the workers as without (the extra index comes
    first, as in uv)."""
    _index(index_server)
    with IndexServer(dist_dir=tmp_path / "extra-files", json_api=False,
                     metadata_files=False) as extra:
        extra.add_wheel(WheelSpec("core", "2.9", requires_dist=["leaf"]))
        extra.add_wheel(WheelSpec("util", "3.0", requires_dist=["leaf>=0.1"]))
        answers = []
        for i, workers in enumerate(("0", "2")):
            code, out, err = _finish(_compile(
                index_server, tmp_path / f"c{i}", tmp_path / f"w{i}", "-v",
                "--extra-index-url", extra.index_url, "--index-strategy", strategy,
                env={"PYFFIN_PAGE_WORKERS": workers}))
            assert code == 0, err
            assert ("Started 2 page workers" in err) == (workers == "2")
            answers.append(out)
    assert answers[0] == answers[1]
    expected = "util==4.0" if strategy == "unsafe-best-match" else "util==3.0"
    assert expected in answers[0] and "core==2.9" in answers[0]


# ----------------------------------------------- the first worker, forked at the start
def _compile_configured(server: IndexServer, default: Path, named: Path, work: Path,
                        ) -> tuple[int, str, str, int]:
    """A compile without ``--cache-dir`` whose ``pyffin.toml`` names the cache ``named``
    (the command line alone points at ``default``, where the first worker is forked for);
    its exit code, output, log, and process group."""
    work.mkdir()
    (work / "requirements.in").write_text("app\n")
    (work / "pyffin.toml").write_text(f"cache-dir = {str(named)!r}\n")
    env = child_env({"XDG_CACHE_HOME": str(default.parent)})
    del env["PYFFIN_CACHE_DIR"]  # else it would win over the file
    assert default.name == "pyffin"
    process = subprocess.Popen(
        [sys.executable, "-m", "pyffin", "pip", "compile", "requirements.in", "--index-url",
         server.index_url, "--no-header", "--no-annotate", "-v"],
        cwd=work, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    code, out, err = _finish(process)
    return code, out, err, process.pid


def _warm(server: IndexServer, cache: Path, work: Path) -> str:
    code, out, err = _finish(_compile(server, cache, work, env={"PYFFIN_PAGE_WORKERS": "0"}))
    assert code == 0, err
    assert (cache / CacheBucket.SIMPLE.dirname).is_dir()
    return out


def test_a_cache_a_configuration_file_names_gets_its_workers(index_server: IndexServer,
                                                             tmp_path: Path) -> None:
    """The cache the command line points at holds pages (no worker forked at the start);
    the one the configuration names has none: the workers are forked for it then."""
    _index(index_server)
    alone = _warm(index_server, tmp_path / "xdg" / "pyffin", tmp_path / "w0")
    code, out, err, _ = _compile_configured(index_server, tmp_path / "xdg" / "pyffin",
                                            tmp_path / "named", tmp_path / "w1")
    assert (code, out) == (0, alone), err
    assert "The page workers summarized 5 of the 5 projects asked of them" in err
    assert (tmp_path / "named" / CacheBucket.SIMPLE.dirname).is_dir()


def test_a_worker_forked_for_another_cache_is_let_go(index_server: IndexServer,
                                                     tmp_path: Path) -> None:
    """The cache the command line points at is cold, the one the configuration names holds
    pages: the worker forked at the start exits without a page, and writes no page to either
    cache."""
    _index(index_server)
    alone = _warm(index_server, tmp_path / "named", tmp_path / "w0")
    pages = sorted((tmp_path / "named" / CacheBucket.SIMPLE.dirname).rglob("*"))
    default = tmp_path / "xdg" / "pyffin"
    index_server.reset_counts()
    code, out, err, group = _compile_configured(index_server, default, tmp_path / "named",
                                                tmp_path / "w1")
    assert (code, out) == (0, alone), err
    assert "page workers" not in err
    _wait_for(lambda: _group_gone(group), timeout=10)
    assert not (default / CacheBucket.SIMPLE.dirname).exists()
    assert index_server.count() == 0
    assert sorted((tmp_path / "named" / CacheBucket.SIMPLE.dirname).rglob("*")) == [
        p for p in pages if CacheBucket.SIMPLE.dirname in p.parts]


def test_two_cold_caches_the_workers_write_the_one_in_use(index_server: IndexServer,
                                                          tmp_path: Path) -> None:
    """Both caches are cold: the worker forked for the command line's is let go, the
    workers forked for the configuration's write there, and no page is written to the
    other."""
    _index(index_server)
    default = tmp_path / "xdg" / "pyffin"
    code, out, err, group = _compile_configured(index_server, default, tmp_path / "named",
                                                tmp_path / "w")
    assert code == 0, err
    assert out == "app==2.1\ncore==2.5\nleaf==0.1\nlib==1.2\nutil==4.0\n"
    assert "The page workers summarized 5 of the 5 projects asked of them" in err
    _wait_for(lambda: _group_gone(group), timeout=10)
    assert not (default / CacheBucket.SIMPLE.dirname).exists()


def test_a_command_line_refused_leaves_no_worker(index_server: IndexServer,
                                                 tmp_path: Path) -> None:
    """The first worker is forked before the command line is parsed: when it is refused,
    the worker exits with the command."""
    process = _compile(index_server, tmp_path / "c", tmp_path / "w", "--resolution", "bogus",
                       start_new_session=True)
    code, _, err = _finish(process)
    assert code == 2 and "--resolution" in err
    _wait_for(lambda: _group_gone(process.pid), timeout=10)
    assert not (tmp_path / "c" / CacheBucket.SIMPLE.dirname).exists()


def _bundled(bundle: Path) -> set[str]:
    """The names of the modules a code bundle keeps (see pyffin.cli.code_bundle)."""
    import marshal

    from pyffin.cli import code_bundle

    data = bundle.read_bytes()
    assert data.startswith(code_bundle.FORMAT)
    start = len(code_bundle.FORMAT) + 4
    size = int.from_bytes(data[len(code_bundle.FORMAT):start], "little")
    entries = marshal.loads(data[start:start + size])[3]
    return set(entries)


def test_what_the_first_worker_imports_is_kept_in_the_code_bundle(index_server: IndexServer,
                                                                  tmp_path: Path) -> None:
    """The command never imports the HTTP client on a cold compile (its workers fetch): the
    first worker keeps what it imported in the code bundle, for the next one's workers."""
    _index(index_server)
    env = {"PYTHONPYCACHEPREFIX": str(tmp_path / "pyc"), "PYTHONDONTWRITEBYTECODE": ""}
    # The typed page decoder: only a worker imports it for pages this small. The command's
    # write of the bundle keeps what the worker wrote since (two writes at the same moment
    # may still lose one's: a later run writes it again).
    wanted = {"pyffin.client.typed_page", "pyffin.resolver.page_worker"}
    kept: set[str] = set()
    for run in range(6):
        process = _compile(index_server, tmp_path / f"c{run}", tmp_path / f"w{run}", "-v",
                           env=env, start_new_session=True)
        code, out, err = _finish(process)
        assert (code, out) == (0, "app==2.1\ncore==2.5\nleaf==0.1\nlib==1.2\nutil==4.0\n"), err
        assert "Started 2 page workers" in err
        _wait_for(lambda group=process.pid: _group_ended(group))  # (their writes are done)
        bundles = list((tmp_path / "pyc").rglob("__init__.*.bundle-*.pyc"))
        assert len(bundles) == 1
        kept = _bundled(bundles[0])
        if wanted <= kept:
            break
    assert wanted <= kept


def _group_ended(group: int) -> bool:
    """Whether every process of the process group ``group`` has exited (zombies included:
    whoever reaps them, nothing of theirs runs)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return False
    return True


def test_a_worker_lets_go_of_a_project_s_pages_once_summarized() -> None:
    """The command asks for each project once: a worker done with one lets its registry drop
    the pages, whose memory then serves the next ones (kept, they cost a large resolution's
    workers ~40% more memory, each page of it a page fault)."""
    calls: list[str] = []

    class Registry:
        def project(self, name: str) -> list[object]:
            calls.append(f"project {name}")
            return []

        def forget_project(self, name: str) -> None:
            calls.append(f"forget {name}")

    reads, writes = os.pipe()
    try:
        worker = page_worker._Worker(writes)
        worker._registry = Registry()  # type: ignore[assignment]
        worker._summarize = lambda name, pages, accept: True
        worker._no_target.release()
        worker._under_way = 1
        worker._idle.acquire()
        worker._project("foo", ("range", (None, ())))
        assert os.read(reads, 100) == b"+foo\n"
        assert calls == ["project foo", "forget foo"]
    finally:
        os.close(reads)
        os.close(writes)


@pytest.mark.parametrize(("locations", "expected"), [
    ((), True),
    (("/srv/wheels", "file:///srv/simple/", "FILE:///srv/other/"), True),
    (("http://127.0.0.1:8080/simple/", "https://localhost/simple/",
      "http://user:secret@127.255.0.1/simple/", "http://[::1]:3141/root/pypi/+simple/",
      "http://mirror.localhost/simple/"), True),
    (("http://127.0.0.1:8080/simple/", "https://pypi.org/simple/"), False),
    (("https://pypi.org/simple/",), False),
    (("http://10.0.0.5/simple/",), False),
    (("http://127.0.0.1.example.org/simple/",), False),
    (("http://127.1/simple/",), False),  # (shorthand: not looked into)
    (("http://[::2]/simple/",), False),
])
def test_which_locations_are_on_this_machine(locations: tuple[str, ...], expected: bool) -> None:
    assert page_worker.on_this_machine(locations) is expected


@pytest.mark.parametrize(("local", "in_flight"), [(False, 4), (True, 1)])
def test_a_worker_takes_one_project_at_a_time_from_an_index_on_this_machine(
        tmp_path: Path, local: bool, in_flight: int) -> None:
    # Little latency to hide: a second project would only share the worker's CPU with the
    # first, which the solver may be waiting for. From an index elsewhere, four at a time.
    from pyffin.settings import IndexSettings

    # Each child's two pipes, as a worker process would have them: the command writes to one
    # and its reader threads read the other (and close that end when it ends).
    to_workers = [os.pipe() for _ in range(2)]
    from_workers = [os.pipe() for _ in range(2)]
    children = [page_worker._Child(to[1], back[0])
                for to, back in zip(to_workers, from_workers, strict=True)]
    workers = page_worker.PageWorkers(children, time.time(), tmp_path)
    names = tuple("abcdefghij")
    try:
        workers.configure(IndexSettings(index_url="http://127.0.0.1:1/simple/"), None,
                          local=local)
        for name in names:
            workers.ask(name)
        assert [child.under_way for child in children] == [in_flight, in_flight]
        assert len(workers._queue) == len(names) - 2 * in_flight
    finally:
        workers.close()
        for to, back in zip(to_workers, from_workers, strict=True):
            os.close(to[0])
            os.close(back[1])  # the readers see the end, and are done once all is answered
        for name in names:
            asked = workers.asked(name)
            assert asked is not None and asked.result() is False
