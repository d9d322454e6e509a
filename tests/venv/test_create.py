from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyffin import __version__
from pyffin.cache import Cache
from pyffin.errors import NotSupportedError
from pyffin.interpreter import Interpreter, interpreter_at
from pyffin.venv import VenvError, activation, create
from tests.interpreter.conftest import pyenv_python


def _run_python(executable: Path, code: str) -> Any:
    proc = subprocess.run([str(executable), "-c", code], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _foreign_site_packages(sys_path: list[str], root: Path) -> list[str]:
    """The site-packages directories on ``sys_path`` that are not the venv's own."""
    return [entry for entry in sys_path if entry.endswith(("site-packages", "dist-packages"))
            and not entry.startswith(str(root))]


def _config(root: Path) -> dict[str, str]:
    lines = (root / "pyvenv.cfg").read_text().splitlines()
    return dict(line.split(" = ", 1) for line in lines)


def test_layout(tmp_path: Path, interpreter: Interpreter) -> None:
    root = create(tmp_path / "env", interpreter)
    assert root == tmp_path / "env"
    major, minor = interpreter.version[:2]
    assert _config(root) == {
        "home": str(interpreter.base_executable.parent),
        "implementation": "CPython",
        "version_info": interpreter.version_str,
        "include-system-site-packages": "false",
        "pyffin": __version__,
    }
    bin_dir = root / "bin"
    assert os.readlink(bin_dir / "python") == str(interpreter.base_executable)
    assert (bin_dir / "python3").resolve() == interpreter.base_executable.resolve()
    assert (bin_dir / f"python{major}.{minor}").resolve() == interpreter.base_executable.resolve()
    assert (root / interpreter.venv_layout.purelib).is_dir()
    assert os.readlink(root / "lib64") == "lib"
    assert (root / ".gitignore").read_text().endswith("*\n")
    for script in ("activate", "activate.fish", "activate.csh", "activate.ps1"):
        assert f"'{root}'" in (bin_dir / script).read_text()


@pytest.mark.parametrize("version", ["current", "3.7", "3.8", "3.12"])
def test_the_environment_works(tmp_path: Path, cache: Cache, interpreter: Interpreter,
                               version: str) -> None:
    if version != "current":
        python = pyenv_python(version)
        if python is None:
            pytest.skip(f"no Python {version} on this machine")
        interpreter = interpreter_at(python, cache=cache)
    root = create(tmp_path / "env", interpreter)
    major, minor = interpreter.version[:2]
    for name in ("python", "python3", f"python{major}.{minor}"):
        prefix, base_prefix, path = _run_python(
            root / "bin" / name,
            "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.path]))")
        assert prefix == str(root)
        assert base_prefix == str(interpreter.base_prefix)
        assert str(root / interpreter.venv_layout.purelib) in path
        assert not _foreign_site_packages(path, root)
    assert interpreter_at(root / "bin" / "python", cache=cache).is_venv


def test_a_venv_made_from_a_venv_points_to_the_base_interpreter(
    tmp_path: Path, cache: Cache, interpreter: Interpreter
) -> None:
    first = create(tmp_path / "first", interpreter)
    inner = interpreter_at(first / "bin" / "python", cache=cache)
    second = create(tmp_path / "second", inner)
    assert os.readlink(second / "bin" / "python") == str(interpreter.base_executable)
    assert _run_python(second / "bin" / "python",
                       "import json, sys; print(json.dumps(sys.prefix))") == str(second)


def test_system_site_packages_and_prompt(tmp_path: Path, interpreter: Interpreter) -> None:
    root = create(tmp_path / "env", interpreter, prompt="my project",
                  system_site_packages=True)
    config = _config(root)
    assert config["include-system-site-packages"] == "true"
    assert config["prompt"] == "my project"
    assert "VIRTUAL_ENV_PROMPT='my project'" in (root / "bin" / "activate").read_text()
    path = _run_python(root / "bin" / "python", "import json, sys; print(json.dumps(sys.path))")
    assert _foreign_site_packages(path, root)
    with pytest.raises(VenvError, match="single line"):
        create(tmp_path / "other", interpreter, prompt="two\nlines")


def test_the_default_prompt_is_the_directory_name(tmp_path: Path,
                                                  interpreter: Interpreter) -> None:
    root = create(tmp_path / "my-env", interpreter)
    assert "prompt" not in _config(root)
    assert "VIRTUAL_ENV_PROMPT='my-env'" in (root / "bin" / "activate").read_text()


def test_an_existing_environment_is_replaced_without_leftovers(tmp_path: Path,
                                                               interpreter: Interpreter) -> None:
    root = create(tmp_path / "env", interpreter)
    (root / interpreter.venv_layout.purelib / "old.py").write_text("")
    create(tmp_path / "env", interpreter, clear=True)
    assert not (root / interpreter.venv_layout.purelib / "old.py").exists()
    assert (root / "pyvenv.cfg").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]


def test_an_empty_directory_is_used_in_place(tmp_path: Path, interpreter: Interpreter,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "env").mkdir()
    inode = (tmp_path / "env").stat().st_ino
    monkeypatch.chdir(tmp_path / "env")  # `pyffin venv .` must not pull the rug from the shell
    assert (create(".", interpreter) / "pyvenv.cfg").is_file()
    assert (tmp_path / "env").stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]
    assert _run_python(tmp_path / "env" / "bin" / "python",
                       "import json, sys; print(json.dumps(sys.prefix))") == str(tmp_path / "env")


def test_an_existing_environment_needs_clear_or_allow_existing(
        tmp_path: Path, interpreter: Interpreter) -> None:
    root = create(tmp_path / "env", interpreter)
    marker = root / interpreter.venv_layout.purelib / "installed.py"
    marker.write_text("")
    with pytest.raises(VenvError) as info:
        create(root, interpreter)
    assert str(info.value) == f"A virtual environment already exists at {root}"
    assert info.value.hint == ("pass --clear to replace it, or --allow-existing to update it in "
                               "place (installed packages stay)")
    assert marker.exists()
    with pytest.raises(VenvError, match="exclude each other"):
        create(root, interpreter, clear=True, allow_existing=True)


def test_allow_existing_rewrites_the_environments_files_and_keeps_its_packages(
        tmp_path: Path, interpreter: Interpreter) -> None:
    root = create(tmp_path / "env", interpreter, prompt="old")
    marker = root / interpreter.venv_layout.purelib / "installed.py"
    marker.write_text("")
    (root / "bin" / "tool").write_text("#!/bin/sh\n")
    (root / ".gitignore").write_text("# mine\n")
    (root / "bin" / "python").unlink()  # a broken environment, repaired by the update
    inode = root.stat().st_ino

    assert create(root, interpreter, prompt="new", allow_existing=True) == root

    assert root.stat().st_ino == inode
    assert marker.exists() and (root / "bin" / "tool").exists()
    assert (root / ".gitignore").read_text() == "# mine\n"
    assert _config(root)["prompt"] == "new"
    assert "VIRTUAL_ENV_PROMPT='new'" in (root / "bin" / "activate").read_text()
    assert os.readlink(root / "bin" / "python") == str(interpreter.base_executable)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]
    assert _run_python(root / "bin" / "python",
                       "import json, sys; print(json.dumps(sys.prefix))") == str(root)


@pytest.mark.parametrize("flags", [{}, {"clear": True}, {"allow_existing": True}])
def test_a_directory_that_is_not_an_environment_is_never_touched(
        tmp_path: Path, interpreter: Interpreter, flags: dict[str, bool]) -> None:
    target = tmp_path / "project"
    target.mkdir()
    (target / "important.txt").write_text("keep me")
    with pytest.raises(VenvError) as info:
        create(target, interpreter, **flags)
    action = "clear" if flags.get("clear") else "write into"
    assert str(info.value) == (f"The directory {target} exists and is not a virtual "
                               f"environment: pyffin does not {action} it")
    assert sorted(p.name for p in target.iterdir()) == ["important.txt"]
    assert (target / "important.txt").read_text() == "keep me"


@pytest.mark.parametrize("flags", [{}, {"clear": True}, {"allow_existing": True}])
def test_a_file_is_never_replaced(tmp_path: Path, interpreter: Interpreter,
                                  flags: dict[str, bool]) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("data")
    with pytest.raises(VenvError, match=f"A file exists at {a_file}: it is not a virtual "
                                        "environment"):
        create(a_file, interpreter, **flags)
    assert a_file.read_text() == "data"
    link = tmp_path / "link"
    link.symlink_to(a_file)
    with pytest.raises(VenvError, match="A file exists at"):
        create(link, interpreter, clear=True)
    assert link.is_symlink() and a_file.read_text() == "data"


def test_a_dangling_symlink_is_refused(tmp_path: Path, interpreter: Interpreter) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(VenvError, match="is a symbolic link to .*nowhere, which does not exist"):
        create(link, interpreter, clear=True)
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_the_parent_of_the_working_directory_is_not_cleared(
        tmp_path: Path, interpreter: Interpreter, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "setup.py").write_text("")
    monkeypatch.chdir(project / "sub")
    with pytest.raises(VenvError, match="is not a virtual environment"):
        create("..", interpreter, clear=True)
    assert sorted(p.name for p in project.iterdir()) == ["setup.py", "sub"]


def test_root_and_home_are_never_cleared_even_with_a_pyvenv_cfg(
        tmp_path: Path, interpreter: Interpreter, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.venv.creation import _check_target

    home = tmp_path / "home"
    home.mkdir()
    (home / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (home / "notes.txt").write_text("keep")
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(VenvError, match="is not a virtual environment"):
        create(home, interpreter, clear=True)
    assert (home / "notes.txt").read_text() == "keep"
    with pytest.raises(VenvError, match="is not a virtual environment"):
        create(home, interpreter, clear=True, force=True)  # not even with force
    assert (home / "notes.txt").read_text() == "keep"
    # Checked without calling create: this must never reach code that removes anything.
    with pytest.raises(VenvError, match="pyffin does not clear it"):
        _check_target(Path("/"), clear=True, allow_existing=False, force=True)


def test_a_symlink_to_an_environment_is_followed_and_kept(tmp_path: Path,
                                                          interpreter: Interpreter) -> None:
    real = create(tmp_path / "real", interpreter)
    (tmp_path / "link").symlink_to(real)
    assert create(tmp_path / "link", interpreter, clear=True) == real
    assert (tmp_path / "link").is_symlink() and (real / "pyvenv.cfg").is_file()


def test_a_failed_build_leaves_the_old_environment_and_nothing_else(
    tmp_path: Path, interpreter: Interpreter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = create(tmp_path / "env", interpreter)
    before = (root / "pyvenv.cfg").read_text()

    def fail(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(activation, "render", fail)
    with pytest.raises(VenvError, match=f"at {root}: No space left on device"):
        create(tmp_path / "env", interpreter, clear=True)
    assert (root / "pyvenv.cfg").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]


def test_a_failed_swap_puts_the_old_environment_back(
    tmp_path: Path, interpreter: Interpreter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = create(tmp_path / "env", interpreter)
    marker = root / interpreter.venv_layout.purelib / "old.py"
    marker.write_text("")
    real_rename = os.rename
    renames: list[str] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renames.append(os.fspath(src))
        if len(renames) == 2:  # the new environment into place
            raise OSError(5, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(VenvError, match="Input/output error"):
        create(tmp_path / "env", interpreter, clear=True)
    assert marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]


def test_a_symlinked_target_keeps_the_link(tmp_path: Path, interpreter: Interpreter) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert create(tmp_path / "link", interpreter) == tmp_path / "real"
    assert (tmp_path / "link").is_symlink()
    assert (tmp_path / "link" / "pyvenv.cfg").is_file()


def test_windows_is_not_supported_yet(tmp_path: Path, interpreter: Interpreter,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(NotSupportedError, match="on Windows is not supported yet"):
        create(tmp_path / "env", interpreter)
    assert not (tmp_path / "env").exists()


def _debris(tmp_path: Path) -> tuple[Path, Path]:
    tmp = tmp_path / ".env.tmp-0123456789abcdef"
    old = tmp_path / ".env.old-fedcba9876543210"
    for path in (tmp, old):
        (path / "bin").mkdir(parents=True)
    return tmp, old


def test_leftovers_of_killed_runs_beside_the_target_are_removed(
        tmp_path: Path, interpreter: Interpreter) -> None:
    tmp, old = _debris(tmp_path)
    others = [tmp_path / ".env.tmp-notmine", tmp_path / ".other.tmp-0123456789abcdef",
              tmp_path / "env.tmp-0123456789abcdef"]
    for path in others:
        path.mkdir()
    create(tmp_path / "env", interpreter)
    assert not tmp.exists() and not old.exists()
    assert all(path.is_dir() for path in others)


def test_leftovers_a_live_process_holds_are_kept(tmp_path: Path,
                                                 interpreter: Interpreter) -> None:
    import fcntl

    tmp, old = _debris(tmp_path)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a `pyffin venv` still building it would
        create(tmp_path / "env", interpreter)
        assert tmp.is_dir() and not old.exists()
    finally:
        os.close(fd)


KILLED_VENV = """
import os, signal, sys
from pyffin.venv import activation
def render(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
activation.render = render
from pyffin.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_venv_killed_mid_way_leaves_a_directory_the_next_one_removes(
        tmp_path: Path, cache_dir: Path) -> None:
    from tests.support.cli import child_env, pyffin

    target = tmp_path / "env"
    for flags in ([], ["--clear"]):
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_VENV, "venv", str(target), "--python", sys.executable,
             "--cache-dir", str(cache_dir), *flags], capture_output=True, text=True,
            env=child_env())
        assert killed.returncode == -9, killed.stderr
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".env.tmp-")]
        result = pyffin("venv", target, "--python", sys.executable, "--cache-dir", cache_dir,
                        *flags)
        assert result.returncode == 0, result
        assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]


def test_a_relocatable_environment(tmp_path: Path, interpreter: Interpreter) -> None:
    from pyffin.venv import is_relocatable

    root = create(tmp_path / "env", interpreter, relocatable=True)
    assert _config(root)["relocatable"] == "true"
    assert is_relocatable(root)
    scripts = sorted(p.name for p in (root / "bin").glob("activate*"))
    # csh cannot tell where a sourced script is: no activate.csh (as with uv).
    assert scripts == ["activate", "activate.fish", "activate.nu", "activate.ps1",
                       "activate.xsh", "activate_this.py"]
    for script in scripts:
        assert str(root) not in (root / "bin" / script).read_text(), script
    plain = create(tmp_path / "plain", interpreter)
    assert not is_relocatable(plain) and "relocatable" not in _config(plain)
    assert (plain / "bin" / "activate.csh").is_file()
    assert not is_relocatable(tmp_path / "nowhere")
