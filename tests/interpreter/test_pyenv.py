from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pyffin.cache import Cache
from pyffin.interpreter import (
    InterpreterNotFound,
    find_build_interpreter,
    find_interpreter,
    interpreter_at,
)
from pyffin.interpreter.pyenv import is_shim, resolve_shim
from tests.interpreter.conftest import BASE_PYTHON, FakeProbe


class FakePyenv:
    """A pyenv root whose shims record that they ran (they must not)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ran = root / "shim-ran"
        (root / "shims").mkdir(parents=True)
        (root / "versions").mkdir()

    def shim(self, program: str) -> Path:
        path = self.root / "shims" / program
        path.write_text(
            "#!/usr/bin/env bash\nset -e\n"
            f'export PYENV_ROOT="{self.root}"\n'
            f'touch "{self.ran}"; exit 99\n'
            f'exec "{self.root}/libexec/pyenv" exec "$program" "$@"\n'
        )
        path.chmod(0o755)
        return path

    def install(self, version: str, *programs: str) -> Path:
        bin_dir = self.root / "versions" / version / "bin"
        bin_dir.mkdir(parents=True)
        for program in programs:
            (bin_dir / program).symlink_to(BASE_PYTHON)
        return bin_dir

    def set_global(self, text: str) -> None:
        (self.root / "version").write_text(text)


@pytest.fixture
def pyenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePyenv:
    for variable in ("PYENV_VERSION", "PYENV_DIR", "PYENV_ROOT"):
        monkeypatch.delenv(variable, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("PATH", str(work))  # no system Python
    monkeypatch.chdir(work)
    fake = FakePyenv(tmp_path / "pyenv")
    fake.install("3.11.7", "python3", "python3.11")
    fake.install("3.12.0", "python3", "python3.12")
    fake.install("3.12.1", "python3", "python3.12")
    fake.install("3.12.2rc1", "python3", "python3.12")
    fake.set_global("3.11.7\n")
    return fake


def test_the_global_version_file_selects_the_version(pyenv: FakePyenv) -> None:
    assert resolve_shim(pyenv.shim("python3")) == pyenv.root / "versions/3.11.7/bin/python3"


def test_pyenv_version_wins_and_a_prefix_means_the_newest_final_release(
    pyenv: FakePyenv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYENV_VERSION", "3.12")
    assert resolve_shim(pyenv.shim("python3")) == pyenv.root / "versions/3.12.1/bin/python3"


def test_a_local_version_file_in_a_parent_directory(pyenv: FakePyenv,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (Path.cwd().parent / ".python-version").write_text("# pinned\n\npython-3.12.0  extra\n")
    nested = Path.cwd() / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert resolve_shim(pyenv.shim("python3")) == pyenv.root / "versions/3.12.0/bin/python3"


def test_the_first_selected_version_with_the_program_wins(
    pyenv: FakePyenv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYENV_VERSION", "3.11.7:3.12.0")
    assert resolve_shim(pyenv.shim("python3")) == pyenv.root / "versions/3.11.7/bin/python3"
    assert resolve_shim(pyenv.shim("python3.12")) == (
        pyenv.root / "versions/3.12.0/bin/python3.12")


def test_system_means_path_without_the_shims(pyenv: FakePyenv, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    system_bin = tmp_path / "system-bin"
    system_bin.mkdir()
    (system_bin / "python3").symlink_to(BASE_PYTHON)
    monkeypatch.setenv("PATH", f"{pyenv.root / 'shims'}{os.pathsep}{system_bin}")
    pyenv.set_global("system\n")
    assert resolve_shim(pyenv.shim("python3")) == system_bin / "python3"


def test_versions_outside_the_versions_directory_are_ignored(pyenv: FakePyenv) -> None:
    pyenv.set_global("../../etc\n")
    assert resolve_shim(pyenv.shim("python3.11")) is None


def test_another_pyenvs_shims_are_not_the_system(pyenv: FakePyenv, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    other = FakePyenv(tmp_path / "other-pyenv")
    monkeypatch.setenv("PATH", str(other.root / "shims"))
    other.shim("python3.13")
    pyenv.set_global("system\n")
    assert resolve_shim(pyenv.shim("python3.13")) is None


def test_a_shim_no_selected_version_provides_is_not_found(pyenv: FakePyenv,
                                                          cache: Cache) -> None:
    with pytest.raises(InterpreterNotFound, match=r"pyenv shim.*3\.11\.7, set by .*version"):
        interpreter_at(pyenv.shim("python3.13"), cache=cache)
    assert not pyenv.ran.exists()


def test_discovery_sees_through_shims_without_running_them(
    pyenv: FakePyenv, cache: Cache, fake_probe: FakeProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv.shim("python3")
    monkeypatch.setenv("PATH", str(pyenv.root / "shims"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    real = pyenv.root / "versions/3.11.7/bin/python3"
    assert find_interpreter(None, cache=cache).executable == real
    assert find_interpreter(None, cache=cache).executable == real
    # The cache is keyed by the real executable, so changing the selection is seen at once.
    monkeypatch.setenv("PYENV_VERSION", "3.12.1")
    assert find_interpreter(None, cache=cache).executable == (
        pyenv.root / "versions/3.12.1/bin/python3")
    assert fake_probe.calls == [real, pyenv.root / "versions/3.12.1/bin/python3"]
    assert not pyenv.ran.exists()


def test_agrees_with_pyenv_on_this_machine() -> None:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    shim = root / "shims" / "python3"
    pyenv = shutil.which("pyenv") or str(root / "libexec" / "pyenv")
    if not shim.is_file() or not os.access(pyenv, os.X_OK):
        pytest.skip("pyenv is not installed here")
    which = subprocess.run([pyenv, "which", "python3"], capture_output=True, text=True,
                           env=dict(os.environ, PYENV_ROOT=str(root)))
    if which.returncode != 0:
        pytest.skip(f"pyenv selects no python3 here: {which.stderr.strip()}")
    assert resolve_shim(shim) == Path(which.stdout.strip())


def test_only_pyenv_shims_count_as_shims(pyenv: FakePyenv, tmp_path: Path) -> None:
    wrapper = tmp_path / "python"
    wrapper.write_text('#!/bin/sh\n# like pyenv, but simpler\nexec python3 "$@"\n')
    assert is_shim(pyenv.shim("python3"))
    assert not is_shim(wrapper)
    assert not is_shim(BASE_PYTHON)


def test_a_build_interpreter_may_be_a_pyenv_version_that_is_not_selected(
    pyenv: FakePyenv, cache: Cache, fake_probe: FakeProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv.shim("python3")
    pyenv.shim("python3.12")
    monkeypatch.setenv("PATH", str(pyenv.root / "shims"))
    versions = pyenv.root / "versions"
    fake_probe.versions.update({versions / "3.11.7/bin/python3": (3, 11, 7),
                                versions / "3.12.0/bin/python3.12": (3, 12, 0),
                                versions / "3.12.1/bin/python3.12": (3, 12, 1)})
    # pyenv selects 3.11.7 here: the python3.12 shim runs nothing, discovery finds no 3.12 ...
    with pytest.raises(InterpreterNotFound):
        find_interpreter("3.12", cache=cache)
    # ... but sources built for a 3.12 target get the newest 3.12 release pyenv installed
    # (never a pre-release), or the exact one asked for.
    found = find_build_interpreter((3, 12), cache=cache)
    assert found is not None and found.executable == versions / "3.12.1/bin/python3.12"
    found = find_build_interpreter((3, 12, 0), cache=cache)
    assert found is not None and found.executable == versions / "3.12.0/bin/python3.12"
    # The one discovery finds comes first; a version nobody installed is None.
    found = find_build_interpreter((3, 11), cache=cache)
    assert found is not None and found.executable == versions / "3.11.7/bin/python3"
    assert find_build_interpreter((3, 13), cache=cache) is None
    assert not pyenv.ran.exists()
