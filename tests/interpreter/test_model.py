"""``Interpreter.with_target`` / ``with_prefix``: a directory in the place of the interpreter's
environment, as uv lays them out."""

from __future__ import annotations

import sys
from pathlib import Path

from pyffin.cache import Cache
from pyffin.interpreter import InstallDirectory, Interpreter, interpreter_at


def current(tmp_path: Path) -> Interpreter:
    with Cache(tmp_path / "cache") as cache:
        return interpreter_at(Path(sys.executable), cache=cache)


def test_a_target_directory_holds_packages_at_its_top(tmp_path: Path) -> None:
    interpreter = current(tmp_path)
    root = tmp_path / "target"
    env = interpreter.with_target(root)
    assert (env.scheme.purelib, env.scheme.platlib, env.scheme.scripts, env.scheme.data,
            env.scheme.headers) == (root, root, root / "bin", root, root / "include")
    assert env.site_packages == (str(root),)
    assert env.directory == InstallDirectory("target", root)
    assert env.directory.option == "--target"
    assert env.externally_managed is None
    # Still the same interpreter: what it runs and what it is for.
    assert (env.sys_executable, env.markers, env.tags, env.prefix) == (
        interpreter.sys_executable, interpreter.markers, interpreter.tags, interpreter.prefix)
    assert interpreter.directory is None


def test_a_prefix_directory_is_laid_out_as_a_virtual_environment(tmp_path: Path) -> None:
    interpreter = current(tmp_path)
    root = tmp_path / "prefix"
    env = interpreter.with_prefix(root)
    assert env.scheme == interpreter.venv_scheme(root)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert env.site_packages == (str(root / "lib" / version / "site-packages"),)
    assert env.scheme.scripts == root / "bin"
    assert env.directory == InstallDirectory("prefix", root)

