"""Crash-safe file-system primitives of the cache: atomic writes, temporary names, stamps.

A file is written to a temporary name in its own directory and renamed over the target with
``os.replace``; a reader sees the old content or the new, never a mix, and a process killed
mid-write leaves only a ``.<name>.tmp-<token>`` file that ``pyffin cache prune`` removes.
No ``fsync``: the invariant is about processes that die, not about power loss, and syncing every
record would cost more than a warm command should spend.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

from pyffin.fs import O_BINARY, token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

#: ``os.pread`` where there is one (not on Windows).
_pread = getattr(os, "pread", None)

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
    return path.with_name(f".{path.name}{TEMP_MARKER}{_temp_token()}")


#: Temporary names are this process's random prefix and a counter: no ``getrandom`` call per
#: record written (``O_EXCL`` makes a clash, should another process draw the same prefix, an
#: error that the write retries under a new name, never an overwrite).
_counter = itertools.count()
_prefix = [token()[:8]]


def _temp_token() -> str:
    return f"{_prefix[0]}{next(_counter) & 0xFFFFFFFF:08x}"


def _new_prefix() -> None:
    _prefix[0] = token()[:8]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_prefix)


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
    being cleaned) is made again.

    Plain descriptor calls, not a file object: a cold resolve writes hundreds of records, and
    ``open()``'s buffered writer adds an ``fstat``, an ``isatty`` ``ioctl`` and an ``lseek``
    to each (every system call lets another thread take the GIL); the parts go out in one
    ``writev``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_BINARY
    parts = data if isinstance(data, tuple) else (data,)
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
        except FileExistsError:
            if last:
                raise
            _new_prefix()  # another process drew the same prefix
            continue
        try:
            try:
                _write_all(fd, parts)
                written = stamp_of(os.fstat(fd))
            finally:
                os.close(fd)
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


def _write_all(fd: int, parts: tuple[bytes, ...]) -> None:
    """Write every byte of ``parts`` to ``fd``: one ``writev`` where the platform has it,
    more calls only for what a short write left."""
    if hasattr(os, "writev"):
        total = sum(len(part) for part in parts)
        done = os.writev(fd, parts) if total else 0
        if done == total:
            return
        rest = memoryview(b"".join(parts))[done:]
    else:
        rest = memoryview(b"".join(parts))
    while rest:
        rest = rest[os.write(fd, rest):]


def _open_existing(path: str | Path) -> int | None:
    """A descriptor of ``path`` open for reading; ``None`` when there is no such file."""
    try:
        return os.open(path, os.O_RDONLY | O_BINARY)
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_head_stamped(path: str, head_length: Callable[[bytes], int | None],
                      first: int = 1 << 13) -> tuple[bytes, FileStamp] | None:
    """The first bytes of ``path`` — as many as ``head_length`` says its head takes, given
    the first ``first`` bytes (``None``: it cannot tell, so all of them) — and the stamp of the
    file they came from; ``None`` when there is no such file. For a record whose tail is read
    a piece at a time (:func:`read_piece`)."""
    fd = _open_existing(path)
    if fd is None:
        return None
    try:
        st = os.fstat(fd)
        data = os.read(fd, min(first, st.st_size))
        wanted = head_length(data)
        if wanted is None:
            wanted = st.st_size
        if wanted > len(data):
            chunks = [data]
            have = len(data)
            while have < wanted and (chunk := os.read(fd, wanted - have)):
                chunks.append(chunk)
                have += len(chunk)
            data = b"".join(chunks)
        return data, stamp_of(st)
    finally:
        os.close(fd)


def read_piece(path: str, offset: int, length: int, expected: FileStamp) -> bytes | None:
    """``length`` bytes of ``path`` from ``offset``, if the file there still has the stamp
    ``expected``; ``None`` when it has another (replaced since), is gone, or is shorter."""
    fd = _open_existing(path)
    if fd is None:
        return None
    try:
        if stamp_of(os.fstat(fd)) != expected:
            return None
        if _pread is not None:
            data = _pread(fd, length, offset)
        else:  # Windows: the descriptor is this call's own
            os.lseek(fd, offset, os.SEEK_SET)
            data = os.read(fd, length)
    finally:
        os.close(fd)
    return data if len(data) == length else None


def read_if_exists(path: str | Path) -> bytes | None:
    """The content of ``path``, or ``None`` when it does not exist."""
    found = read_stamped(path)
    return None if found is None else found[0]


def read_stamped(path: str | Path) -> tuple[bytes, FileStamp] | None:
    """The content of ``path`` and the stamp of the file it was read from, or ``None`` when
    there is no such file. Plain descriptor calls (see :func:`write_atomic`): a record is
    replaced whole, never changed in place, so its size says how much there is to read."""
    fd = _open_existing(path)
    if fd is None:
        return None
    try:
        st = os.fstat(fd)
        data = os.read(fd, st.st_size + 1)
        if len(data) != st.st_size:  # not a record of ours (growing, or not a regular file)
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data, stamp_of(st)
    finally:
        os.close(fd)
