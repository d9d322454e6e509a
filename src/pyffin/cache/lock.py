"""Inter-process file locks (``fcntl.flock``), shared or exclusive.

A lock lives on an open file descriptor, so it is released when the process dies, however it
dies: a ``kill -9`` never leaves a stale lock behind. The lock file itself is never deleted while
the cache is in use, so every process locks the same inode.

Lock files are opened with ``O_NOFOLLOW``: one may live where others can write (an
environment, a shared directory), and a symbolic link planted at its path must not make a
privileged pyffin create or open the file it points to. Anything but a regular file there is an
error, not followed. ``O_CLOEXEC`` keeps the descriptor (and so the lock) out of the builds and
interpreters pyffin starts.
"""

from __future__ import annotations

import _thread
import os
import stat
import sys
from pathlib import Path
from types import TracebackType

from pyffin import log
from pyffin.errors import LockError

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int, shared: bool, blocking: bool) -> bool:
        # msvcrt has no shared locks; degrade a shared lock to "no lock" rather than
        # serializing every command on Windows.
        if shared:
            return True
        mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK
        try:
            msvcrt.locking(fd, mode, 1)
        except OSError:
            if blocking:
                raise
            return False
        return True

    def _unlock(fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _lock(fd: int, shared: bool, blocking: bool) -> bool:
        op = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if not blocking:
            op |= fcntl.LOCK_NB
        try:
            fcntl.flock(fd, op)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


_OPEN_FLAGS = (os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0))


def open_lock_file(path: Path) -> int:
    """Open (creating it, and its directory, if needed) the lock file at ``path``; raises
    :class:`LockError` when it cannot, or when something other than a regular file is there."""
    try:
        try:
            fd = os.open(path, _OPEN_FLAGS, 0o666)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, _OPEN_FLAGS, 0o666)
    except OSError as e:
        if os.path.islink(path):
            raise LockError(f"the lock file {path} is a symbolic link; pyffin does not follow "
                            "links there: remove it") from e
        raise LockError(f"cannot open the lock file {path}: {e.strerror or e}") from e
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        mode = 0
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise LockError(f"the lock file {path} is not a regular file: remove it")
    return fd


#: How many :class:`FileLock` of this process hold each lock file (flock locks belong to an
#: open file, so two threads of one process contend like two processes): a wait for one of
#: them is not a wait for "another pyffin process".
_held: dict[Path, int] = {}
_held_lock = _thread.allocate_lock()


def _count(path: Path, change: int) -> None:
    with _held_lock:
        count = _held.get(path, 0) + change
        if count > 0:
            _held[path] = count
        else:
            _held.pop(path, None)


class FileLock:
    """A lock on ``path``, taken shared or exclusive, waited for with a message.

    ``what`` names the thing protected ("the cache", "the build of foo-1.0.tar.gz"); it appears
    in the message printed while waiting.
    """

    __slots__ = ("_fd", "path", "shared", "what")

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self.shared = False
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, shared: bool = False, wait_hint: str = "") -> FileLock:
        """Take the lock, blocking until it is free; say what we wait for when we must."""
        if self._fd is not None:
            raise LockError(f"lock on {self.what} is already held by this process")
        fd = open_lock_file(self.path)
        try:
            if not _lock(fd, shared, blocking=False):
                if self.path in _held:  # (a thread of this command holds it: no message)
                    log.debug(f"Waiting for another thread to release {self.what}")
                else:
                    suffix = f" {wait_hint}" if wait_hint else ""
                    log.info(f"Waiting for another pyffin process to release {self.what} "
                             f"(lock: {self.path}).{suffix}")
                _lock(fd, shared, blocking=True)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.shared = shared
        _count(self.path, 1)
        return self

    def try_acquire(self, *, shared: bool = False) -> bool:
        """Take the lock if it is free right now; return whether it was taken."""
        if self._fd is not None:
            raise LockError(f"lock on {self.what} is already held by this process")
        fd = open_lock_file(self.path)
        if not _lock(fd, shared, blocking=False):
            os.close(fd)
            return False
        self._fd = fd
        self.shared = shared
        _count(self.path, 1)
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock(fd)
            finally:
                os.close(fd)
                _count(self.path, -1)

    def __enter__(self) -> FileLock:
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
