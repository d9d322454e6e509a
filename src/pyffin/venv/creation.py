"""Create a virtual environment by writing it directly (no ``python -m venv`` process).

The environment is built in a temporary directory next to the target and renamed into place,
so the target path holds either the old environment, nothing, or the complete new one: a crash
leaves at most a hidden ``.<name>.tmp-*`` / ``.<name>.old-*`` directory beside it. An existing
empty directory is kept (it may be a shell's working directory): the entries move into it, and
``pyvenv.cfg``, which makes it a venv, comes last.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from pyffin import __version__, log
from pyffin.cache import fs
from pyffin.errors import NotSupportedError, PyffinError
from pyffin.interpreter.model import Interpreter
from pyffin.venv import activation

_TargetState = Literal["absent", "empty", "replace"]


class VenvError(PyffinError):
    """A virtual environment cannot be created at the requested path."""


_GITIGNORE = "# Created by pyffin: the environment is not meant to be committed.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pyffin.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def create(path: str | os.PathLike[str], interpreter: Interpreter, *, prompt: str | None = None,
           system_site_packages: bool = False, clear: bool = False) -> Path:
    """Create a virtual environment at ``path`` for ``interpreter`` (its base interpreter when
    it is itself a venv) and return its absolute path.

    An existing virtual environment at ``path`` is replaced, an empty directory is used; any
    other existing file or directory is refused unless ``clear``. ``prompt`` defaults to the
    directory's name.
    """
    if sys.platform == "win32":
        raise NotSupportedError("creating virtual environments on Windows is not supported yet")
    if prompt is not None and ("\n" in prompt or "\r" in prompt):
        raise VenvError(f"invalid prompt {prompt!r}: it must be a single line")
    target = Path(os.path.abspath(path))
    if target.is_symlink():  # replace what the link points to, keep the link
        target = Path(os.path.realpath(target))
    state = _check_target(target, clear=clear)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise VenvError(f"cannot create the directory {target.parent}: {e.strerror}") from e
    staging = target.with_name(f".{target.name}{fs.TEMP_MARKER}{fs.token()}")
    try:
        _build(staging, target, interpreter, prompt=prompt,
               system_site_packages=system_site_packages)
        _move_into_place(staging, target, state=state)
    except OSError as e:
        raise VenvError(f"cannot create the virtual environment at {target}: "
                        f"{e.strerror or e}") from e
    finally:
        if os.path.lexists(staging):
            fs.remove(staging)
    return target


def _check_target(target: Path, *, clear: bool) -> _TargetState:
    """What is at ``target``: ``absent``, ``empty`` (a directory) or ``replace`` (a venv, or
    anything else when ``clear``); raises if what is there may not be replaced."""
    try:
        is_dir = target.is_dir()
        if not is_dir and not os.path.lexists(target):
            return "absent"
        if is_dir:
            with os.scandir(target) as entries:
                if next(entries, None) is None:
                    return "empty"
            if (target / "pyvenv.cfg").is_file():
                return "replace"
    except OSError as e:
        raise VenvError(f"cannot inspect {target}: {e.strerror}") from e
    if clear:
        return "replace"
    kind = "directory" if is_dir else "file"
    raise VenvError(
        f"The {kind} {target} exists and is not a virtual environment; pass --clear to "
        "replace it",
    )


def _build(root: Path, target: Path, interpreter: Interpreter, *, prompt: str | None,
           system_site_packages: bool) -> None:
    """Write the environment meant for ``target`` into ``root``."""
    scheme = interpreter.venv_scheme(root)
    root.mkdir()
    for directory in dict.fromkeys((scheme.scripts, scheme.purelib, scheme.platlib)):
        directory.mkdir(parents=True, exist_ok=True)
    if _wants_lib64(interpreter, root):
        os.symlink("lib", root / "lib64")

    base = interpreter.base_executable
    major, minor = interpreter.version[:2]
    names = ["python", "python3", f"python{major}.{minor}"]
    if interpreter.implementation_name == "pypy":
        names += ["pypy", "pypy3", f"pypy{major}.{minor}"]
    os.symlink(base, scheme.scripts / names[0])
    for name in names[1:]:
        os.symlink(names[0], scheme.scripts / name)

    config = [
        f"home = {base.parent}",
        f"implementation = {interpreter.implementation_display}",
        f"version_info = {interpreter.version_str}",
        f"include-system-site-packages = {'true' if system_site_packages else 'false'}",
    ]
    if prompt is not None:
        config.append(f"prompt = {prompt}")
    config.append(f"pyffin = {__version__}")
    _write(root / "pyvenv.cfg", "\n".join(config) + "\n")
    _write(root / ".gitignore", _GITIGNORE)
    _write(root / "CACHEDIR.TAG", _CACHEDIR_TAG)

    shown_prompt = prompt if prompt is not None else target.name
    for name, (template, quote) in activation.SCRIPTS.items():
        text = activation.render(template, quote, venv=str(target), prompt=shown_prompt,
                                 bin_name=scheme.scripts.name)
        _write(scheme.scripts / name, text)


def _wants_lib64(interpreter: Interpreter, root: Path) -> bool:
    # As CPython's venv: 64-bit POSIX except macOS gets lib64 -> lib, for tools that look there.
    markers = interpreter.markers
    return (interpreter.pointer_size == 64 and markers.get("os_name") == "posix"
            and markers.get("sys_platform") != "darwin" and (root / "lib").is_dir()
            and not os.path.lexists(root / "lib64"))


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _move_into_place(staging: Path, target: Path, *, state: _TargetState) -> None:
    if state == "absent":
        os.rename(staging, target)
        return
    if state == "empty":
        # Keep the user's directory (it may be their shell's working directory): move the
        # entries in, pyvenv.cfg last, so it is a venv only once it is complete.
        for name in sorted(os.listdir(staging), key=lambda name: name == "pyvenv.cfg"):
            os.rename(staging / name, target / name)
        os.rmdir(staging)
        return
    old = target.with_name(f".{target.name}.old-{fs.token()}")
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old, target)
        raise
    try:
        fs.remove(old)
    except OSError as e:
        log.warn(f"cannot remove the replaced environment, now at {old}: {e.strerror or e}")
