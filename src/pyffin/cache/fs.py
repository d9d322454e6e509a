"""Crash-safe file-system primitives: atomic writes and tree removal.

A file is written to a temporary name in its own directory and renamed over the target with
``os.replace``; a reader sees the old content or the new, never a mix, and a process killed
mid-write leaves only a ``.<name>.tmp-<token>`` file that ``pyffin cache prune`` removes.
No ``fsync``: the invariant is about processes that die, not about power loss, and syncing every
record would cost more than a warm command should spend.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

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


def token() -> str:
    """A short random token for unique temporary names."""
    return os.urandom(8).hex()


def temp_sibling(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (same directory, so same file system)."""
    return path.with_name(f".{path.name}{TEMP_MARKER}{token()}")


_TEMP_NAME_RE = re.compile(r"^\..+\.tmp-[0-9a-f]{16}$")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of :func:`temp_sibling`'s names (exactly: a project file that
    merely contains ``.tmp-`` is not one)."""
    return TEMP_MARKER in name and _TEMP_NAME_RE.match(name) is not None


#: Tries of an operation whose directory another process removed meanwhile (``pyffin cache
#: clean --force``): it is made again and the operation repeated.
_TRIES = 3


def ensure_dir(path: Path) -> None:
    """``mkdir -p``, even while another process removes the tree (``Path.mkdir`` gives up
    when a parent it just made is removed before the child is)."""
    for attempt in range(_TRIES):
        try:
            path.mkdir(parents=True, exist_ok=True)
            return
        except FileNotFoundError:
            if attempt + 1 == _TRIES:
                raise


def write_atomic(path: Path, data: bytes) -> FileStamp:
    """Write ``data`` to ``path`` atomically, creating parent directories as needed; the stamp
    is that of the file written (a rename keeps it), even if another writer replaced it
    since. A directory removed under the write (the cache being cleaned) is made again."""
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
                f.write(data)
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


def read_if_exists(path: Path) -> bytes | None:
    """The content of ``path``, or ``None`` when it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_stamped(path: Path) -> tuple[bytes, FileStamp] | None:
    """The content of ``path`` and the stamp of the file it was read from, or ``None`` when
    there is no such file."""
    try:
        with open(path, "rb") as f:
            return f.read(), stamp_of(os.fstat(f.fileno()))
    except (FileNotFoundError, NotADirectoryError):
        return None


class Usage:
    """Files and bytes counted while measuring or removing a tree."""

    __slots__ = ("bytes", "files")

    def __init__(self, files: int = 0, bytes: int = 0) -> None:
        self.files = files
        self.bytes = bytes

    def add(self, other: Usage) -> None:
        self.files += other.files
        self.bytes += other.bytes

    def __repr__(self) -> str:
        return f"Usage(files={self.files}, bytes={self.bytes})"


def measure(path: Path, seen_inodes: set[tuple[int, int]] | None = None) -> Usage:
    """Count the files under ``path`` (or ``path`` itself) and their bytes.

    Hard links are counted once per ``seen_inodes`` set: unzipped wheels are hard-linked into
    environments and, by some tools, within the cache.
    """
    usage = Usage()
    seen = set() if seen_inodes is None else seen_inodes
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return usage
    if not stat.S_ISDIR(st.st_mode):
        _count(usage, st, seen)
        return usage
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            try:
                _count(usage, os.lstat(os.path.join(dirpath, name)), seen)
            except FileNotFoundError:
                continue
    return usage


def _count(usage: Usage, st: os.stat_result, seen: set[tuple[int, int]]) -> None:
    usage.files += 1
    key = (st.st_dev, st.st_ino)
    if st.st_nlink > 1:
        if key in seen:
            return
        seen.add(key)
    usage.bytes += st.st_size


def remove(path: Path) -> Usage:
    """Remove a file, link or directory tree; return what it held. Missing paths are fine.

    Read-only files and directories (some wheels ship them) are made writable first.
    """
    usage = measure(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return usage
    if stat.S_ISDIR(st.st_mode):
        import shutil

        shutil.rmtree(path, onerror=_make_writable_and_retry)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    return usage


def _make_writable_and_retry(func: object, path: str, exc_info: object) -> None:
    parent = os.path.dirname(path)
    try:
        os.chmod(parent, stat.S_IRWXU)
        if not os.path.islink(path) and os.path.exists(path):
            os.chmod(path, stat.S_IRWXU)
    except OSError:
        pass
    if os.path.isdir(path) and not os.path.islink(path):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
