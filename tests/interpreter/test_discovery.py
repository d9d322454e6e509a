from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pyffin.cache import Cache
from pyffin.errors import UsageError
from pyffin.interpreter import (
    Interpreter,
    InterpreterError,
    InterpreterNotFound,
    PythonRequest,
    find_environment,
    find_interpreter,
    start_find_environment,
    start_find_interpreter,
)
from tests.interpreter.conftest import FakeProbe


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean place to search from: no active environment, an empty PATH, and a working
    directory with no ``.venv`` above it."""
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        monkeypatch.delenv(variable, raising=False)
    work = tmp_path / "work" / "project"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("PATH", "")
    return work


def _path(monkeypatch: pytest.MonkeyPatch, *directories: Path) -> None:
    monkeypatch.setenv("PATH", os.pathsep.join(map(str, directories)))


@pytest.mark.parametrize(("text", "expected"), [
    ("3", PythonRequest(version=(3,))),
    ("3.12", PythonRequest(version=(3, 12))),
    ("3.12.1", PythonRequest(version=(3, 12, 1))),
    ("python3.12", PythonRequest(version=(3, 12))),
    ("python", PythonRequest()),
    ("cpython3.12", PythonRequest(implementation="cpython", version=(3, 12))),
    ("cp312", PythonRequest(implementation="cpython", version=(3, 12))),
    ("CPython@3.13", PythonRequest(implementation="cpython", version=(3, 13))),
    ("pypy3", PythonRequest(implementation="pypy", version=(3,))),
    ("pypy3.10", PythonRequest(implementation="pypy", version=(3, 10))),
    ("python3-dbg", PythonRequest(name="python3-dbg")),
])
def test_request_parsing(text: str, expected: PythonRequest) -> None:
    assert PythonRequest.parse(text) == expected


def test_paths_in_requests_are_made_absolute(place: Path) -> None:
    assert PythonRequest.parse(".venv") == PythonRequest(path=place / ".venv")
    assert PythonRequest.parse("env/bin/python") == PythonRequest(
        path=place / "env" / "bin" / "python")
    with pytest.raises(UsageError):
        PythonRequest.parse("  ")


def test_executable_names_to_search(place: Path) -> None:
    assert PythonRequest().executable_names() == ["python3", "python"]
    assert PythonRequest.parse("3.12").executable_names() == ["python3.12", "python3", "python"]
    assert PythonRequest.parse("pypy3.10").executable_names() == ["pypy3.10", "pypy3", "pypy"]


def test_order_virtual_env_then_conda_then_dot_venv_then_path(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_venv: Callable[[Path], Path],
    make_python: Callable[..., Path],
) -> None:
    on_path = make_python(tmp_path / "bin")
    _path(monkeypatch, tmp_path / "bin")
    assert find_interpreter(None, cache=cache).executable == on_path

    dot_venv = make_venv(place.parent / ".venv")  # in a parent of the working directory
    assert find_interpreter(None, cache=cache).executable == dot_venv

    conda = make_python(tmp_path / "conda" / "bin", "python")
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "conda"))
    assert find_interpreter(None, cache=cache).executable == conda

    active = make_venv(tmp_path / "active")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    assert find_interpreter(None, cache=cache).executable == active

    # --system looks past every environment.
    assert find_interpreter(None, system=True, cache=cache).executable == on_path


def test_python3_comes_before_python_within_a_directory_and_path_order_wins(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_python: Callable[..., Path],
) -> None:
    make_python(tmp_path / "first", "python")
    make_python(tmp_path / "first", "python3")
    make_python(tmp_path / "second", "python3")
    _path(monkeypatch, tmp_path / "missing", tmp_path / "first", tmp_path / "second")
    assert find_interpreter(None, cache=cache).executable == tmp_path / "first" / "python3"


def test_system_skips_virtual_environments_on_path(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_venv: Callable[[Path], Path],
    make_python: Callable[..., Path],
) -> None:
    make_venv(tmp_path / "env")
    (tmp_path / "env" / "bin" / "python3").symlink_to("python")
    system = make_python(tmp_path / "usr" / "bin")
    _path(monkeypatch, tmp_path / "env" / "bin", tmp_path / "usr" / "bin")
    assert find_interpreter(None, system=True, cache=cache).executable == system
    assert system in fake_probe.calls and len(fake_probe.calls) == 1


def test_a_version_request_takes_the_first_matching_interpreter(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_venv: Callable[[Path], Path],
    make_python: Callable[..., Path],
) -> None:
    active = make_venv(tmp_path / "active")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    python311 = make_python(tmp_path / "bin", "python3")
    python312 = make_python(tmp_path / "bin", "python3.12")
    fake_probe.versions.update({active: (3, 11, 7), python311: (3, 11, 7),
                                python312: (3, 12, 1)})
    _path(monkeypatch, tmp_path / "bin")
    assert find_interpreter("3.12", cache=cache).executable == python312
    assert find_interpreter("python3.12", cache=cache).executable == python312
    assert find_interpreter("3.12.1", cache=cache).version == (3, 12, 1)
    assert find_interpreter("3.11", cache=cache).executable == active  # the venv comes first
    assert find_interpreter("3", system=True, cache=cache).executable == python311

    with pytest.raises(InterpreterNotFound) as info:
        find_interpreter("3.13", cache=cache)
    message = str(info.value)
    assert "No interpreter for Python 3.13 found" in message
    assert "VIRTUAL_ENV, CONDA_PREFIX, .venv" in message
    assert "python3.13, python3, python on PATH" in message
    assert f"{python311}: CPython 3.11.7" in message
    with pytest.raises(InterpreterNotFound, match="for PyPy 3"):
        find_interpreter("pypy3", cache=cache)


def test_path_requests(place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
                       make_venv: Callable[[Path], Path]) -> None:
    python = make_venv(place / "env")
    assert find_interpreter("env", cache=cache).executable == python
    assert find_interpreter(str(python), cache=cache).executable == python
    with pytest.raises(InterpreterNotFound, match="no such file"):
        find_interpreter("./missing/python", cache=cache)
    (place / "empty").mkdir()
    with pytest.raises(InterpreterNotFound, match="directory without bin/python"):
        find_interpreter("./empty", cache=cache)


def test_nothing_found_says_where_it_looked(place: Path, cache: Cache) -> None:
    with pytest.raises(InterpreterNotFound, match=r"No Python interpreter found \(searched "
                       r"VIRTUAL_ENV.*; python3, python on PATH\)"):
        find_interpreter(None, cache=cache)


def test_environment_is_a_venv_or_needs_system(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_venv: Callable[[Path], Path],
    make_python: Callable[..., Path],
) -> None:
    system = make_python(tmp_path / "bin")
    _path(monkeypatch, tmp_path / "bin")
    with pytest.raises(InterpreterError) as info:
        find_environment(cache=cache)
    assert str(info.value) == (
        "No virtual environment found; run `pyffin venv` to create one, or pass --system to "
        f"install into {system}")
    assert find_environment(system=True, cache=cache).executable == system
    # An explicit --python is used as given (as uv does).
    assert find_environment(str(system), cache=cache).executable == system

    venv = make_venv(place / ".venv")
    assert find_environment(cache=cache).executable == venv


def test_a_version_request_for_an_environment_finds_virtual_environments_only(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_venv: Callable[[Path], Path],
    make_python: Callable[..., Path],
) -> None:
    # As uv: `pip install --python 3.11` never lands in a system interpreter by accident.
    system311 = make_python(tmp_path / "usr" / "bin", "python3.11")
    fake_probe.versions[system311] = (3, 11, 7)
    _path(monkeypatch, tmp_path / "usr" / "bin")
    for request in ("3.11", "python3.11"):
        with pytest.raises(InterpreterNotFound) as info:
            find_environment(request, cache=cache)
        assert str(info.value) == (
            f"No virtual environment found for {PythonRequest.parse(request)}; run `pyffin "
            "venv` to create an environment, or pass --system to install into a non-virtual "
            "environment")
    assert find_environment("3.11", system=True, cache=cache).executable == system311
    # A path names the interpreter explicitly: it is used as given, as uv does.
    assert find_environment(str(system311), cache=cache).executable == system311

    # A virtual environment on PATH (not active) matches.
    env311 = make_venv(tmp_path / "env311")
    fake_probe.versions[env311] = (3, 11, 7)
    _path(monkeypatch, tmp_path / "usr" / "bin", env311.parent)
    assert find_environment("3.11", cache=cache).executable == env311
    assert find_environment("3.11", system=True, cache=cache).executable == system311


@pytest.mark.parametrize("early", [False, True], ids=["looked-up", "started-early"])
def test_the_environment_found_is_announced_before_it_is_refused(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_python: Callable[..., Path], early: bool,
) -> None:
    fake_probe.externally_managed = "Use apt."
    system = make_python(tmp_path / "usr" / "bin")
    _path(monkeypatch, tmp_path / "usr" / "bin")
    announced: list[Path] = []

    def announce(interpreter: Interpreter) -> None:
        announced.append(interpreter.executable)

    with pytest.raises(InterpreterError, match="externally managed"):
        if early:  # started in a thread, announced (then refused) when asked
            start_find_environment(system=True, cache=cache)(announce)
        else:
            find_environment(system=True, cache=cache, announce=announce)
    assert announced == [system]


def test_an_externally_managed_environment_needs_break_system_packages(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_python: Callable[..., Path],
) -> None:
    fake_probe.externally_managed = "Use apt install python3-xyz.\n\nSee README.venv."
    system = make_python(tmp_path / "usr" / "bin")
    _path(monkeypatch, tmp_path / "usr" / "bin")
    with pytest.raises(InterpreterError) as info:
        find_environment(system=True, cache=cache)
    assert str(info.value) == (
        f"The interpreter at {tmp_path / 'usr'} is externally managed, and indicates the "
        "following:\n\n  Use apt install python3-xyz.\n\n  See README.venv.\n\n"
        "Consider creating a virtual environment with `pyffin venv`.")
    assert info.value.hint == "pass --break-system-packages to install into it anyway"
    interpreter = find_environment(system=True, break_system_packages=True, cache=cache)
    assert interpreter.executable == system


def test_a_stale_virtual_env_variable_is_skipped(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_python: Callable[..., Path],
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "deleted"))
    system = make_python(tmp_path / "bin")
    _path(monkeypatch, tmp_path / "bin")
    assert find_interpreter(None, cache=cache).executable == system


def test_no_environment_and_no_python_at_all(place: Path, cache: Cache) -> None:
    with pytest.raises(InterpreterNotFound, match=r"^No virtual environment found; run `pyffin "
                       r"venv` to create one$"):
        find_environment(cache=cache)


def _threads_probing(monkeypatch: pytest.MonkeyPatch, fake_probe: FakeProbe) -> list[str]:
    """The names of the threads that run the probe, from now on."""
    import threading

    from pyffin.interpreter import query

    probed_in: list[str] = []

    def recording(executable: Path) -> dict[str, object]:
        probed_in.append(threading.current_thread().name)
        return fake_probe(executable)

    monkeypatch.setattr(query, "run_probe", recording)
    return probed_in


def test_on_a_cold_cache_the_lookup_starts_at_once_in_a_thread_of_its_own(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_python: Callable[..., Path],
) -> None:
    system = make_python(tmp_path / "bin")
    _path(monkeypatch, tmp_path / "bin")
    probed_in = _threads_probing(monkeypatch, fake_probe)
    found = start_find_interpreter(None, cache=cache)
    # Started before it is asked for: the probe runs (or ran) in its own thread.
    assert found().executable == system
    assert probed_in == ["pyffin-interpreter"]
    # Now the cache keeps an interpreter: the next lookup is made when asked, in the caller.
    later = start_find_interpreter(None, cache=cache)
    assert probed_in == ["pyffin-interpreter"]
    assert later().executable == system
    assert probed_in == ["pyffin-interpreter"]


def test_a_lookup_started_early_raises_its_error_when_asked(place: Path, cache: Cache) -> None:
    found = start_find_interpreter("/nowhere/python", cache=cache)
    for _ in range(2):  # each time it is asked
        with pytest.raises(InterpreterNotFound, match="/nowhere/python"):
            found()


def test_an_environment_lookup_started_early_probes_in_its_own_thread_and_announces_in_the_caller(
    place: Path, tmp_path: Path, cache: Cache, fake_probe: FakeProbe,
    monkeypatch: pytest.MonkeyPatch, make_venv: Callable[[Path], Path],
) -> None:
    import threading

    venv = make_venv(place / ".venv")
    probed_in = _threads_probing(monkeypatch, fake_probe)
    found = start_find_environment(None, cache=cache)
    announced: list[tuple[Path, str]] = []
    # The announcement is the caller's, made when it asks: after what it printed meanwhile.
    environment = found(lambda interpreter: announced.append(
        (interpreter.executable, threading.current_thread().name)))
    assert environment.executable == venv
    assert probed_in == ["pyffin-interpreter"]
    assert announced == [(venv, threading.current_thread().name)]
    # Now the cache keeps an interpreter: the next lookup is made when asked, in the caller.
    later = start_find_environment(None, cache=cache)
    assert later(None).executable == venv
    assert probed_in == ["pyffin-interpreter"]


def test_an_environment_lookup_started_early_raises_its_error_when_asked(
        place: Path, cache: Cache) -> None:
    announced: list[object] = []
    missing = start_find_environment("/nowhere/python", cache=cache)
    with pytest.raises(InterpreterNotFound, match="/nowhere/python"):
        missing(announced.append)
    assert announced == []
