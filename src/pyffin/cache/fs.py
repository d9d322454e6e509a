"""Crash-safe file-system primitives of the cache: atomic writes, temporary names, stamps.

A file is written to a temporary name in its own directory and renamed over the target with
``os.replace``; a reader sees the old content or the new, never a mix, and a process killed
mid-write leaves only a ``.<name>.tmp-<token>`` file that ``pyffin cache prune`` removes.
No ``fsync``: the invariant is about processes that die, not about power loss, and syncing every
record would cost more than a warm command should spend.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pyffin.fs import token

#: Marker in the names of temporary files and directories; prune removes what carries it.
TEMP_MARKER = ".tmp-"

#: What tells one version of a cache file from another: ``(mtime_ns, size, inode)``. Files are
#: replaced whole, never changed in place, so a new version is a new inode.
FileStamp = tuple[int, int, int]


def stamp_of(st: os.stat_result) -> FileStamp:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def stamp(path: str | Path) -> FileStamp | None:
    """The stamp of the file at ``path``, or ``None`` when there is none."""
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return None


def temp_sibling(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (same directory, so same file system)."""
    return path.with_name(f".{path.name}{TEMP_MARKER}{token()}")


#: Compiled on first use (``re``'s cache): only a name with the marker is matched.
_TEMP_NAME = r"^\..+\.tmp-[0-9a-f]{16}$"


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of :func:`temp_sibling`'s names (exactly: a project file that
    merely contains ``.tmp-`` is not one)."""
    return TEMP_MARKER in name and re.match(_TEMP_NAME, name) is not None


#: Tries of an operation whose directory another process removed meanwhile (``pyffin cache
#: clean --force``): it is made again and the operation repeated.
_TRIES = 3


def ensure_dir(path: Path) -> None:
    """``mkdir -p``, even while another process removes the tree (``Path.mkdir`` gives up
    when a parent it just made is removed before the child is, and raises
    ``FileExistsError`` when a directory another process made is removed before it checks)."""
    for attempt in range(_TRIES):
        try:
            path.mkdir(parents=True, exist_ok=True)
            return
        except (FileNotFoundError, FileExistsError):
            if attempt + 1 == _TRIES or (path.exists() and not path.is_dir()):
                raise


def write_atomic(path: Path, data: bytes | tuple[bytes, ...]) -> FileStamp:
    """Write ``data`` (or its parts, one after the other) to ``path`` atomically, creating
    parent directories as needed; the stamp is that of the file written (a rename keeps it),
    even if another writer replaced it since. A directory removed under the write (the cache
    being cleaned) is made again."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for attempt in range(_TRIES):
        last = attempt + 1 == _TRIES
        tmp = temp_sibling(path)
        try:
            fd = os.open(tmp, flags, 0o644)
        except FileNotFoundError:
            if last:
                raise
            ensure_dir(path.parent)
            continue
        try:
            with open(fd, "wb", closefd=True) as f:
                for part in data if isinstance(data, tuple) else (data,):
                    f.write(part)
                f.flush()
                written = stamp_of(os.fstat(fd))
            os.replace(tmp, path)
            return written
        except FileNotFoundError:
            if last:
                raise
            ensure_dir(path.parent)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    raise AssertionError("unreachable")


def read_if_exists(path: str | Path) -> bytes | None:
    """The content of ``path``, or ``None`` when it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_stamped(path: str | Path) -> tuple[bytes, FileStamp] | None:
    """The content of ``path`` and the stamp of the file it was read from, or ``None`` when
    there is no such file."""
    try:
        with open(path, "rb") as f:
            return f.read(), stamp_of(os.fstat(f.fileno()))
    except (FileNotFoundError, NotADirectoryError):
        return None
