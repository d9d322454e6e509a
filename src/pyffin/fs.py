"""General file helpers: removing and measuring trees (:func:`remove`, :func:`measure`), unique
temporary names (:func:`token`), and writing a file a user named (:func:`write_user_file`).

Paths a user names (``-o FILE``, ``pyffin venv PATH``) get what was asked for, and nothing else.

The cache's own files are written by :mod:`pyffin.cache.fs`, which may rename over anything in
its tree. A user's path is different: it may be a symbolic link to the file that matters, a
device (``/dev/null``, ``/dev/stdout``), a FIFO another program reads, or a file hard-linked
elsewhere. :func:`write_user_file` replaces the *content* the path leads to and never the
thing itself.
"""

from __future__ import annotations

import os
import stat

from pyffin.errors import PyffinError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pathlib is not imported at run time: a compile's replay writes through here
    from pathlib import Path


class WriteError(PyffinError):
    """A file the user named cannot be written."""


# Flags some platforms lack, looked up once (a missing module attribute is a formatted
# AttributeError, and every cache record read and written asks). O_BINARY, Windows' "no newline
# translation", is the cache's too.
O_BINARY: int = getattr(os, "O_BINARY", 0)
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)


def write_user_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Make the file ``path`` leads to hold ``data``.

    - A symbolic link is followed: its final target is replaced, the link stays a link.
    - A character device, FIFO or socket is written in place (it cannot be replaced, and
      renaming over ``/dev/null`` as root would turn the device into a regular file).
    - A regular file is replaced atomically (a temporary file in its directory, renamed over
      it), keeping its owner and permission bits; a file with other hard links (so every
      name sees the new content), owned by another user (when we are not root) or in a
      directory we cannot create files in is rewritten in place instead.
    - A missing file is created (atomically, with the default permissions), and its parent
      directories with it.

    Raises :class:`WriteError` naming ``path`` on failure; nothing is changed then, except
    for an in-place write that failed part-way.
    """
    shown = os.fspath(path)
    target = os.path.realpath(shown)
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise WriteError(f"cannot write {shown}: {e.strerror or e}") from e
    try:
        if st is None:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            _replace(target, data, None)
        elif stat.S_ISLNK(st.st_mode):  # realpath gave up: a loop
            raise WriteError(f"cannot write {shown}: too many levels of symbolic links")
        elif stat.S_ISDIR(st.st_mode):
            raise WriteError(f"cannot write {shown}: it is a directory")
        elif not stat.S_ISREG(st.st_mode):
            _write_in_place(target, data, truncate=False)
        elif st.st_nlink > 1 or not _can_keep_owner(st):
            _write_in_place(target, data, truncate=True)
        else:
            try:
                _replace(target, data, st)
            except PermissionError:  # the file is writable but its directory is not
                _write_in_place(target, data, truncate=True)
    except OSError as e:
        raise WriteError(f"cannot write {shown}: {e.strerror or e}") from e


def _write_in_place(target: str, data: bytes, *, truncate: bool) -> None:
    flags = os.O_WRONLY | _O_CLOEXEC | O_BINARY
    if truncate:
        flags |= os.O_TRUNC
    fd = os.open(target, flags)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _can_keep_owner(st: os.stat_result) -> bool:
    """Whether a replacement can belong to the file's owner: ours, or we are root."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or geteuid() in (0, st.st_uid)


def _replace(target: str, data: bytes, st: os.stat_result | None) -> None:
    directory, name = os.path.split(target)
    tmp = os.path.join(directory, f".{name}.tmp-{token()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC | _O_NOFOLLOW | O_BINARY
    fd = os.open(tmp, flags, 0o666)
    try:
        try:
            _write_all(fd, data)
            if st is not None:
                _copy_owner_and_mode(fd, st)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _copy_owner_and_mode(fd: int, st: os.stat_result) -> None:
    if hasattr(os, "fchown"):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except OSError:  # a group we are not in: the group becomes ours, as with any editor
            pass
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def token() -> str:
    """A short random token for unique temporary names."""
    return os.urandom(8).hex()


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
    _remove(path)
    return usage


def empty(directory: str | os.PathLike[str]) -> None:
    """Remove everything in ``directory`` as :func:`remove` would (never following a link out
    of it), leaving it there, empty; nothing is measured. A missing directory is fine."""
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    for entry in entries:
        _remove(entry.path)


def _remove(path: str | os.PathLike[str]) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        import shutil

        shutil.rmtree(path, onerror=_make_writable_and_retry)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


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
