"""Create a virtual environment by writing it directly (no ``python -m venv`` process).

What may be at the target path decides what happens, and nothing that is not a virtual
environment is ever removed or written into:

- nothing, or an empty directory: the environment is created (an empty directory is kept, as
  it may be a shell's working directory: the entries move into it, ``pyvenv.cfg`` last);
- a virtual environment (a directory with ``pyvenv.cfg``): refused, unless ``clear`` (it is
  replaced) or ``allow_existing`` (its own files — ``pyvenv.cfg``, interpreter links,
  activation scripts — are rewritten, installed packages stay);
- anything else (a project, a file): refused, unless ``clear`` and ``force`` both say to
  replace it (uv's ``--clear --force``); the file system's root and the user's home are
  refused whatever the flags.

The environment is built in a temporary directory next to the target and renamed into place,
so the target holds the old environment, nothing, or the complete new one. A process killed
mid-way leaves at most ``.<name>.tmp-<hex>`` / ``.<name>.old-<hex>`` beside it; each is
``flock``-ed by its maker while in use, and the next ``create`` at that path removes the ones
no live process holds.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from pathlib import Path
from typing import Literal

from pyffin._version import __version__
from pyffin import log
from pyffin import fs
from pyffin.cache.fs import TEMP_MARKER
from pyffin.errors import NotSupportedError, PyffinError
from pyffin.interpreter.model import Interpreter
from pyffin.venv import activation

_TargetState = Literal["absent", "empty", "replace", "update"]
#: Files of a venv's root that ``allow_existing`` keeps when they exist (the user may have
#: edited them).
_KEPT_IF_PRESENT = frozenset({".gitignore", "CACHEDIR.TAG"})

#: What follows ``.<name>.`` in the name of a killed run's directory beside ``<name>``. One
#: pattern for every environment: a pattern made of each one's name would be compiled (and
#: kept in the code bundle, rewriting it) once per environment, a build's included.
_DEBRIS = re.compile(r"(?:tmp|old)-[0-9a-f]{16}")


def seed_packages(python: tuple[int, ...]) -> tuple[str, ...]:
    """What ``--seed`` installs into an environment of Python ``python``, as uv does: pip, and
    before Python 3.12 (whose ``venv`` stopped installing them) setuptools and wheel too."""
    return ("pip", "setuptools", "wheel") if python[:2] < (3, 12) else ("pip",)


class VenvError(PyffinError):
    """A virtual environment cannot be created at the requested path."""


_GITIGNORE = "# Created by pyffin: the environment is not meant to be committed.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pyffin.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def create(path: str | os.PathLike[str], interpreter: Interpreter, *, prompt: str | None = None,
           system_site_packages: bool = False, clear: bool = False,
           allow_existing: bool = False, relocatable: bool = False, seed: bool = False,
           force: bool = False) -> Path:
    """Create a virtual environment at ``path`` for ``interpreter`` (its base interpreter when
    it is itself a venv) and return its absolute path.

    An existing virtual environment at ``path`` is replaced with ``clear``, updated in place
    with ``allow_existing``, refused otherwise; an empty directory is used; anything else is
    refused (see the module's documentation). ``prompt`` defaults to the directory's name.

    ``relocatable`` (uv's ``--relocatable``): the activation scripts find the environment from
    their own location (there is no ``activate.csh``: csh cannot), ``pyvenv.cfg`` says
    ``relocatable = true``, and pyffin then writes the scripts of packages installed into it
    to run the interpreter next to them (see :func:`is_relocatable`), so the environment keeps
    working once moved.

    ``seed``: ``pyvenv.cfg`` says ``seed = true`` (the caller installs :func:`seed_packages`,
    which a sync then keeps: :func:`pyffin.venv.config.keeps_seed_packages`).
    """
    if sys.platform == "win32":
        raise NotSupportedError("creating virtual environments on Windows is not supported yet")
    if clear and allow_existing:
        raise VenvError("clear and allow_existing exclude each other")
    if prompt is not None and ("\n" in prompt or "\r" in prompt):
        raise VenvError(f"invalid prompt {prompt!r}: it must be a single line")
    target = _resolve(Path(os.path.abspath(path)))
    state = _check_target(target, clear=clear, allow_existing=allow_existing, force=force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise VenvError(f"cannot create the directory {target.parent}: {e.strerror}") from e
    _remove_debris(target)
    staging = target.with_name(f".{target.name}{TEMP_MARKER}{fs.token()}")
    held: list[int] = []
    try:
        if state in ("replace", "update"):
            # Wait for an install into the environment to finish before changing it.
            from pyffin.cache import FileLock

            lock = FileLock(target / ".lock", f"the environment at {target}")
            lock.acquire()
        else:
            lock = None
        try:
            staging.mkdir()
            held.append(_lock_dir(staging))
            _build(staging, target, interpreter, prompt=prompt,
                   system_site_packages=system_site_packages, relocatable=relocatable, seed=seed)
            _move_into_place(staging, target, state=state, held=held)
        finally:
            if lock is not None:
                lock.release()
    except OSError as e:
        raise VenvError(f"cannot create the virtual environment at {target}: "
                        f"{e.strerror or e}") from e
    finally:
        if os.path.lexists(staging):
            fs.remove(staging)
        for fd in held:
            os.close(fd)
    return target


def _resolve(target: Path) -> Path:
    """``target``, or what it links to: a link to an environment (or an empty directory) is
    kept and its target used; a dangling link is refused."""
    if not target.is_symlink():
        return target
    real = Path(os.path.realpath(target))
    if not os.path.lexists(real) or real.is_symlink():
        raise VenvError(f"{target} is a symbolic link to {real}, which does not exist: "
                        "pyffin does not create an environment through it")
    return real


def _check_target(target: Path, *, clear: bool, allow_existing: bool,
                  force: bool = False) -> _TargetState:
    """What is at ``target`` and what may be done with it; raises when nothing may."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return "absent"
    except OSError as e:
        raise VenvError(f"cannot inspect {target}: {e.strerror}") from e
    import stat

    if not stat.S_ISDIR(st.st_mode):
        raise VenvError(f"A file exists at {target}: it is not a virtual environment, and "
                        "pyffin does not replace it", hint="choose another path")
    if clear and force and not _is_precious(target):
        return "replace"  # what the user asked for, in so many words
    try:
        with os.scandir(target) as entries:
            empty = next(entries, None) is None
        is_venv = (target / "pyvenv.cfg").is_file()
    except OSError as e:
        raise VenvError(f"cannot inspect {target}: {e.strerror}") from e
    if empty:
        return "empty"
    if not is_venv or _is_precious(target):
        action = "clear" if clear else "write into"
        anyway = "" if _is_precious(target) else ", or pass --clear --force to remove it anyway"
        raise VenvError(
            f"The directory {target} exists and is not a virtual environment: pyffin does not "
            f"{action} it",
            hint="--clear and --allow-existing apply only to a virtual environment (a "
                 f"directory with pyvenv.cfg); choose another path, or empty it first{anyway}")
    if clear:
        return "replace"
    if allow_existing:
        return "update"
    raise VenvError(f"A virtual environment already exists at {target}",
                    hint="pass --clear to replace it, or --allow-existing to update it in "
                         "place (installed packages stay)")


def _is_precious(target: Path) -> bool:
    """The file system's root or the user's home: never an environment to clear, whatever
    file is in it."""
    real = os.path.realpath(target)
    home = os.path.expanduser("~")
    return real == os.path.realpath(target.anchor) or (home != "~"
                                                      and os.path.realpath(home) == real)


def _lock_dir(path: Path) -> int:
    """Hold an exclusive ``flock`` on the directory ``path`` (so a concurrent
    :func:`_remove_debris` leaves it alone); returns the descriptor to close."""
    import fcntl

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW
                 | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _remove_debris(target: Path) -> None:
    """Remove what killed runs of :func:`create` left beside ``target``: its temporary and
    replaced directories that no live process holds."""
    import fcntl

    prefix = f".{target.name}."
    try:
        with os.scandir(target.parent) as it:
            found = [Path(e.path) for e in it
                     if e.name.startswith(prefix) and _DEBRIS.fullmatch(e.name, len(prefix))
                     and e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for path in found:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW
                         | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its maker is alive
            log.debug(f"Removing {path}, left by an interrupted `pyffin venv`")
            try:
                fs.remove(path)
            except OSError as e:
                log.warn(f"cannot remove {path}, left by an interrupted `pyffin venv`: "
                         f"{e.strerror or e}")
        finally:
            os.close(fd)


def _build(root: Path, target: Path, interpreter: Interpreter, *, prompt: str | None,
           system_site_packages: bool, relocatable: bool, seed: bool = False) -> None:
    """Write the environment meant for ``target`` into the (new, empty) directory ``root``."""
    scheme = interpreter.venv_scheme(root)
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
    if relocatable:
        config.append("relocatable = true")
    if seed:  # the caller installs seed_packages(): a sync keeps them (as uv reads its own)
        config.append("seed = true")
    config.append(f"pyffin = {__version__}")
    _write(root / "pyvenv.cfg", "\n".join(config) + "\n")
    _write(root / ".gitignore", _GITIGNORE)
    _write(root / "CACHEDIR.TAG", _CACHEDIR_TAG)

    shown_prompt = prompt if prompt is not None else target.name
    site_packages = tuple(dict.fromkeys(
        os.path.relpath(directory, scheme.scripts) for directory in (scheme.purelib,
                                                                     scheme.platlib)))
    for name, script in activation.SCRIPTS.items():
        if relocatable and script.relocatable is None:
            continue
        text = activation.render(script, venv=str(target), prompt=shown_prompt,
                                 bin_name=scheme.scripts.name, relocatable=relocatable,
                                 site_packages=site_packages)
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


def _move_into_place(staging: Path, target: Path, *, state: _TargetState,
                     held: list[int]) -> None:
    if state == "absent":
        os.rename(staging, target)
        return
    if state == "empty":
        # Keep the user's directory (it may be their shell's working directory): move the
        # entries in, pyvenv.cfg last, so it is a venv only once it is complete.
        _move_entries(staging, target)
        return
    if state == "update":
        _merge(staging, target, top=True)
        return
    held.append(_lock_dir(target))  # the old environment stays ours until it is gone
    old = target.with_name(f".{target.name}.old-{fs.token()}")
    try:
        os.rename(target, old)
    except OSError as e:
        if e.errno not in (errno.EBUSY, errno.EXDEV, errno.EACCES, errno.EPERM):
            raise
        # A mount point (a container's volume) or an undeletable parent: clear it in place.
        for child in os.listdir(target):
            fs.remove(target / child)
        _move_entries(staging, target)
        return
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old, target)
        raise
    try:
        fs.remove(old)
    except OSError as e:
        log.warn(f"cannot remove the replaced environment, now at {old}: {e.strerror or e}")


def _move_entries(staging: Path, target: Path) -> None:
    for name in sorted(os.listdir(staging), key=lambda name: name == "pyvenv.cfg"):
        os.rename(staging / name, target / name)


def _merge(staging: Path, target: Path, *, top: bool) -> None:
    """Move what ``staging`` holds into the existing environment ``target``: new entries are
    renamed in, files and links replace theirs atomically, directories merge; pyvenv.cfg
    comes last."""
    import stat

    for name in sorted(os.listdir(staging), key=lambda name: name == "pyvenv.cfg"):
        src, dst = staging / name, target / name
        try:
            dst_mode: int | None = os.lstat(dst).st_mode
        except FileNotFoundError:
            dst_mode = None
        src_is_dir = stat.S_ISDIR(os.lstat(src).st_mode)
        if dst_mode is None:
            os.rename(src, dst)
        elif top and name in _KEPT_IF_PRESENT:
            continue
        elif src_is_dir and stat.S_ISDIR(dst_mode):
            _merge(src, dst, top=False)
        elif not src_is_dir and not stat.S_ISDIR(dst_mode):
            os.replace(src, dst)
        elif stat.S_ISLNK(os.lstat(src).st_mode) and stat.S_ISDIR(dst_mode):
            continue  # lib64: a real directory where we make a link; keep it
        else:
            raise VenvError(f"cannot update the virtual environment at {target}: {dst} is "
                            f"{'a directory' if stat.S_ISDIR(dst_mode) else 'not a directory'}")
