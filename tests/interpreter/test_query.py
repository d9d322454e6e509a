from __future__ import annotations

import ast
import os
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.tags import sys_tags

from pyffin.cache import Cache, CacheBucket, path_key
from pyffin.interpreter import (
    Interpreter,
    InterpreterError,
    InterpreterNotFound,
    interpreter_at,
    query,
)
from tests.interpreter.conftest import BASE_PYTHON, FakeProbe, pyenv_python


def test_the_running_interpreter_as_the_probe_sees_it(cache: Cache) -> None:
    interpreter = interpreter_at(sys.executable, cache=cache)
    assert interpreter.executable == Path(os.path.abspath(sys.executable))
    assert interpreter.sys_executable == Path(sys.executable)
    assert interpreter.version == tuple(sys.version_info[:3])
    assert interpreter.implementation_name == sys.implementation.name
    assert interpreter.prefix == Path(sys.prefix)
    assert interpreter.base_prefix == Path(sys.base_prefix)
    assert interpreter.is_venv == (sys.prefix != sys.base_prefix)
    assert interpreter.scheme.purelib == Path(sysconfig.get_paths()["purelib"])
    assert interpreter.scheme.scripts == Path(sysconfig.get_paths()["scripts"])
    assert sysconfig.get_paths()["purelib"] in interpreter.site_packages
    assert interpreter.platform == sysconfig.get_platform()
    assert interpreter.pointer_size == (64 if sys.maxsize > 2**32 else 32)
    # The base is a real interpreter, never a venv's own python nor a symlink.
    assert interpreter.base_executable == Path(os.path.realpath(interpreter.base_executable))
    assert not (interpreter.base_executable.parent.parent / "pyvenv.cfg").exists()


def test_markers_are_the_pep_508_environment(cache: Cache) -> None:
    interpreter = interpreter_at(sys.executable, cache=cache)
    assert interpreter.markers == dict(default_environment())


def test_tags_equal_packaging_sys_tags_in_order(cache: Cache) -> None:
    interpreter = interpreter_at(sys.executable, cache=cache)
    assert list(interpreter.tags) == [str(tag) for tag in sys_tags()]


def test_a_venv_reports_its_own_prefix_scheme_and_the_base_interpreter(
    cache: Cache, tmp_path: Path, make_venv: Callable[[Path], Path]
) -> None:
    python = make_venv(tmp_path / "env")
    interpreter = interpreter_at(python, cache=cache)
    assert interpreter.is_venv
    assert interpreter.prefix == tmp_path / "env"
    assert interpreter.executable == python
    assert interpreter.scheme.purelib == tmp_path / "env" / interpreter.venv_layout.purelib
    assert interpreter.scheme.headers == (
        tmp_path / "env" / "include" / "site" / f"python{interpreter.python_version}")
    assert interpreter.site_packages == (str(interpreter.scheme.purelib),)
    assert interpreter.base_executable == BASE_PYTHON
    assert interpreter.externally_managed is None


#: The interpreter running the tests itself, not a venv's link to it (venvs of a known base
#: interpreter are derived from it, see the last test).
BASE = Path(os.path.realpath(sys.executable))


def test_a_second_lookup_spawns_no_process(cache: Cache, fake_probe: FakeProbe) -> None:
    first = interpreter_at(BASE, cache=cache)
    second = interpreter_at(BASE, cache=cache)
    assert fake_probe.calls == [BASE]
    assert second == first


def test_the_record_is_stored_under_the_hash_of_the_path(cache: Cache,
                                                         fake_probe: FakeProbe) -> None:
    interpreter_at(sys.executable, cache=cache)
    entry = cache.entry(CacheBucket.INTERPRETER, f"{path_key(sys.executable)}.bin")
    assert entry.read() is not None


def test_a_changed_link_or_target_invalidates_the_record(
    cache: Cache, fake_probe: FakeProbe, tmp_path: Path
) -> None:
    target = tmp_path / "real-python"
    target.write_bytes(b"\x7fELF not really")
    link = tmp_path / "python"
    link.symlink_to(target)
    interpreter_at(link, cache=cache)
    interpreter_at(link, cache=cache)
    assert len(fake_probe.calls) == 1

    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    interpreter_at(link, cache=cache)
    assert len(fake_probe.calls) == 2

    link.unlink()
    link.symlink_to(target)  # a new link (a venv made again) with the same target
    interpreter_at(link, cache=cache)
    assert len(fake_probe.calls) == 3


def test_the_pep_668_marker_is_read_again_when_the_interpreter_comes_from_the_cache(
    cache: Cache, fake_probe: FakeProbe, tmp_path: Path
) -> None:
    # PEP 668 asks installers to look for the marker at install time: one added (by a
    # distribution's package) or removed (the widespread advice) after the interpreter was
    # queried counts, though the executable, the record's key, is unchanged.
    marker = tmp_path / "stdlib" / "EXTERNALLY-MANAGED"
    marker.parent.mkdir()
    fake_probe.externally_managed_marker = str(marker)
    assert interpreter_at(BASE, cache=cache).externally_managed is None
    marker.write_text("[externally-managed]\nError=Use apt.\n")
    assert interpreter_at(BASE, cache=cache).externally_managed == "Use apt."
    marker.write_text("[externally-managed]\n")
    assert interpreter_at(BASE, cache=cache).externally_managed == (
        f"The Python environment at {BASE.parent.parent} is managed externally.")
    marker.unlink()
    assert interpreter_at(BASE, cache=cache).externally_managed is None
    assert fake_probe.calls == [BASE]  # queried once: the rest came from the cache


def test_an_unreadable_record_is_a_miss(cache: Cache, fake_probe: FakeProbe) -> None:
    interpreter_at(BASE, cache=cache)
    cache.entry(CacheBucket.INTERPRETER, f"{path_key(BASE)}.bin").write(b"garbage")
    assert interpreter_at(BASE, cache=cache).version == tuple(sys.version_info[:3])
    assert len(fake_probe.calls) == 2


def test_record_round_trip(real_facts: dict[str, Any]) -> None:
    interpreter = query.from_facts(Path("/x/bin/python"), real_facts)
    assert Interpreter.from_record(interpreter.to_record()) == interpreter


def test_a_wrapper_script_is_asked_every_time_and_resolves_to_the_real_interpreter(
    cache: Cache, fake_probe: FakeProbe, tmp_path: Path
) -> None:
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    script.chmod(0o755)
    real = Path(os.path.abspath(sys.executable))
    fake_probe.reported[script] = real
    first = interpreter_at(script, cache=cache)
    interpreter_at(script, cache=cache)
    assert first.executable == real
    assert fake_probe.calls == [script, script]
    # ...and the real interpreter it reported is cached under its own path.
    interpreter_at(real, cache=cache)
    assert fake_probe.calls == [script, script]


def test_missing_and_failing_interpreters_are_clear_errors(cache: Cache, tmp_path: Path) -> None:
    with pytest.raises(InterpreterNotFound, match="no such file"):
        interpreter_at(tmp_path / "nope", cache=cache)
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'Unknown option: -I' >&2\nexit 2\n")
    broken.chmod(0o755)
    with pytest.raises(InterpreterError, match=r"exit status 2\): Unknown option: -I") as info:
        interpreter_at(broken, cache=cache)
    assert info.value.hint is not None and "3.7" in info.value.hint


def test_pythons_older_than_3_7_are_refused(cache: Cache, fake_probe: FakeProbe) -> None:
    fake_probe.versions[BASE] = (3, 6, 15)
    with pytest.raises(InterpreterError, match=r"3\.6\.15 .* not supported: .* 3\.7 or newer"):
        interpreter_at(BASE, cache=cache)


def test_the_probe_is_written_for_the_oldest_python_supported() -> None:
    # It runs inside the target interpreter: nothing newer than 3.7 may appear in it.
    source = (Path(query.__file__).parent / "probe.py").read_text()
    ast.parse(source, feature_version=query.MINIMUM_VERSION)
    assert query.MINIMUM_VERSION == (3, 7)


@pytest.mark.parametrize("version", ["3.7", "3.8", "3.13"])
def test_the_probe_runs_on_other_pythons(cache: Cache, version: str) -> None:
    python = pyenv_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    interpreter = interpreter_at(python, cache=cache)
    assert interpreter.python_version == version
    assert interpreter.tags[-1] == "py30-none-any"
    assert f"cp{version.replace('.', '')}-abi3-{interpreter.tags[0].split('-')[2]}" in (
        interpreter.tags)
    # Not a venv: where its PEP 668 marker would be, in its standard library.
    marker = interpreter.externally_managed_marker
    assert marker is not None and Path(marker).name == "EXTERNALLY-MANAGED"
    assert (Path(marker).parent / "os.py").is_file()


def test_the_probe_prints_the_sentinel_pyffin_looks_for() -> None:
    source = (Path(query.__file__).parent / "probe.py").read_text()
    assert f'SENTINEL = "{query.PROBE_SENTINEL}"' in source


def _no_process(*args: object, **kwargs: object) -> None:
    raise AssertionError("a process was started")


def test_the_running_interpreter_answers_the_probe_itself(
    monkeypatch: pytest.MonkeyPatch, real_facts: dict[str, Any]
) -> None:
    # The facts a process running the probe gives, without starting one (a cold cache's
    # first lookup is nearly always pyffin's own interpreter).
    import subprocess

    monkeypatch.setattr(subprocess, "run", _no_process)
    monkeypatch.setattr(subprocess, "Popen", _no_process)
    path_before = list(sys.path)
    assert query.run_probe(Path(os.path.abspath(sys.executable))) == real_facts
    assert sys.path == path_before


def test_its_other_names_in_its_directory_answer_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_facts: dict[str, Any]
) -> None:
    running = Path(os.path.abspath(sys.executable))
    other = running.parent / "python-pyffin-test-alias"
    try:
        other.symlink_to(running.name)
    except OSError:
        pytest.skip("the interpreter's directory is not writable")
    try:
        import subprocess

        monkeypatch.setattr(subprocess, "run", _no_process)
        assert query.run_probe(other) == dict(real_facts, executable=str(other))
    finally:
        other.unlink()


@pytest.mark.parametrize("variable", ["PYTHONHOME", "PYTHONPLATLIBDIR"])
def test_what_isolation_would_change_is_asked_in_a_process(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # -I ignores these: the running process is not the interpreter the probe would see.
    monkeypatch.setenv(variable, sys.prefix if variable == "PYTHONHOME" else "lib")
    assert not query._answers_itself(Path(os.path.abspath(sys.executable)))


def test_another_interpreter_is_asked_in_a_process(
    tmp_path: Path, make_python: Callable[..., Path]
) -> None:
    # The same file elsewhere is another interpreter (a venv's python, another prefix).
    assert not query._answers_itself(make_python(tmp_path / "bin"))
    assert not query._answers_itself(tmp_path / "missing")
    running = Path(os.path.abspath(sys.executable))
    if running != BASE_PYTHON:  # tests run in a venv: its base is another interpreter
        assert not query._answers_itself(BASE_PYTHON)


def test_a_manylinux_module_on_this_process_path_is_asked_in_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PYTHONPATH, hidden from -I: only a process tells what the probe sees.
    (tmp_path / "_manylinux.py").write_text("manylinux_compatible = lambda *a: False\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not query._answers_itself(Path(os.path.abspath(sys.executable)))


@pytest.mark.skipif(not sysconfig.get_platform().startswith("linux-"), reason="Linux only")
def test_a_manylinux_module_in_the_environment_limits_manylinux_tags(
    cache: Cache, tmp_path: Path, make_venv: Callable[[Path], Path]
) -> None:
    python = make_venv(tmp_path / "env")
    interpreter = interpreter_at(python, cache=cache)
    if not any("manylinux_2_18" in tag for tag in interpreter.tags):
        pytest.skip("glibc older than 2.18")
    (tmp_path / "env" / interpreter.venv_layout.purelib).mkdir(parents=True)
    (tmp_path / "env" / interpreter.venv_layout.purelib / "_manylinux.py").write_text(
        "def manylinux_compatible(major, minor, arch):\n    return minor <= 17\n")
    limited = query.from_facts(python, query.run_probe(python))
    manylinux = [tag for tag in limited.tags if "manylinux" in tag]
    assert manylinux[0].split("-")[2].startswith("manylinux_2_17_")
    assert len(limited.tags) < len(interpreter.tags)


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the tests do not run in a venv")
def test_a_venv_of_the_python_the_running_venv_is_made_from_needs_no_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyffin installed in a venv (pipx, ``uv tool``), a cold cache, and a new venv of the
    same Python to install into: its facts come from this process's own, as they would from
    the base interpreter's, instead of from a probe of the base in a process."""
    import subprocess

    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    probed = query.from_facts(python, query.probe_process(python))
    calls: list[Path] = []
    real_probe = query.probe_process
    monkeypatch.setattr(query, "probe_process", lambda p: calls.append(p) or real_probe(p))
    with Cache(tmp_path / "cache") as cache:
        derived = query.interpreter_at(python, cache=cache)
        assert calls == []
        assert query.interpreter_at(python, cache=cache) == derived  # and kept
    assert derived == probed
    # When this process cannot answer for itself (PYTHONHOME set, say), the base is probed.
    monkeypatch.setattr(query, "_answers_itself", lambda path: False)
    with Cache(tmp_path / "cache2") as cache:
        assert query.interpreter_at(python, cache=cache) == derived
    assert calls == [Path(os.path.realpath(python))]


@pytest.mark.skipif(not sysconfig.get_platform().startswith("linux-"), reason="Linux only")
def test_a_venv_with_a_manylinux_module_is_asked_in_a_process(tmp_path: Path) -> None:
    """Its verdicts on manylinux tags (PEP 600) are heard only by a probe run there: such a
    venv is not derived from its base's facts (nor from this process's)."""
    import subprocess

    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    with Cache(tmp_path / "cache") as cache:
        plain = query.interpreter_at(python, cache=cache)
    if not any("manylinux_2_18" in tag for tag in plain.tags):
        pytest.skip("glibc older than 2.18")
    (env / plain.venv_layout.purelib / "_manylinux.py").write_text(
        "def manylinux_compatible(major, minor, arch):\n    return minor <= 17\n")
    with Cache(tmp_path / "cache2") as cache:
        query.interpreter_at(os.path.realpath(python), cache=cache)  # the base, cached
        limited = query.interpreter_at(python, cache=cache)
    manylinux = [tag for tag in limited.tags if "manylinux" in tag]
    assert manylinux[0].split("-")[2].startswith("manylinux_2_17_")


def test_a_venv_of_a_known_base_is_derived_without_a_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys as _sys

    from pyffin.cache import Cache
    from pyffin.interpreter import query

    env = tmp_path / "env"
    subprocess.run([_sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    probed = query.from_facts(python, query.run_probe(python))
    with Cache(tmp_path / "cache") as cache:
        query.interpreter_at(os.path.realpath(python), cache=cache)  # the base, cached
        calls: list[Path] = []
        real_probe = query.run_probe
        monkeypatch.setattr(query, "run_probe", lambda p: calls.append(p) or real_probe(p))
        derived = query.interpreter_at(python, cache=cache)
    assert calls == []
    for field in ("sys_executable", "prefix", "scheme", "site_packages", "markers", "tags",
                  "version", "is_venv", "externally_managed", "implementation_name"):
        assert getattr(derived, field) == getattr(probed, field), field
