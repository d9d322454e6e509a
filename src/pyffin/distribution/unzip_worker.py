"""Unzip wheels in a helper process, on another core (Linux).

An install holds one interpreter lock: the resolution, the downloads and the unzips share
it, and every file an unzip creates or writes gives the lock up for the system call and then
waits to take it back from a busy thread (an unzip of a wheel of a thousand files took four
times its CPU in wall time). A helper process has a lock of its own: it runs
:func:`pyffin.distribution.unzip.unzip_wheel` itself (the same checks, on the same
temporary directory of the cache that the caller then persists), so unzipping runs beside
the rest of the install instead of between its steps.

Helpers are started on the first wheel worth it (:data:`MIN_SIZE`): an install of small
wheels does not pay their start-up. A helper starts light: ``python -I -S`` given this
process's ``sys.path``, importing only what the unzip needs
(:mod:`pyffin.distribution.unzip_helper`). From then on every wheel goes to one of them (at
most :data:`WORKERS`, each unzipping one wheel at a time; a caller waits for one to be
free). A wheel in memory reaches a helper as an anonymous memory file (``memfd``:
the one the download was written into, else one made for it) whose descriptor is passed over
a socket, a wheel on disk by its path; the answer (the fields of
:class:`~pyffin.distribution.unzip.UnzippedWheel`, or the error, with its message) comes back
over the same socket. If a helper cannot be started, or dies, the wheel is unzipped in the
caller's thread (from a fresh directory) and no helper is used again. On an interruption
(Ctrl-C) a helper is killed, and waited for, before the temporary directory it wrote into is
removed; when pyffin exits, each helper reads the end of its socket, exits, and is waited for.

``PYFFIN_UNZIP_PROCESS=0`` turns it off.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.distribution.unzip import UnzippedWheel
from pyffin.distribution.unzip_helper import LEN

if TYPE_CHECKING:
    import socket
    import subprocess
    from collections.abc import Sequence

__all__ = ["MIN_SIZE", "WORKERS", "UnzipWorker", "WorkerGone", "acquire", "available",
           "close_all", "release", "started"]

#: Wheels smaller than this are unzipped in the caller's thread (the helper's start-up, some
#: 20 ms of CPU on the other core, pays for a few megabytes of members, not for a few small
#: wheels).
MIN_SIZE = 1 << 20
#: Helpers at most. Two, measured on two cores: each unzips one wheel at a time while the
#: install's own process goes on with the resolution, the downloads and the links.
WORKERS = 2


def available() -> bool:
    """Whether wheels may be unzipped in a helper process here."""
    return (sys.platform == "linux" and hasattr(os, "memfd_create")
            and bool(sys.executable) and not getattr(sys, "frozen", False)  # can start one
            and os.environ.get("PYFFIN_UNZIP_PROCESS", "1") != "0")


class WorkerGone(Exception):
    """The helper died or could not be started (the caller unzips in its own thread)."""


class UnzipWorker:
    """One helper process and the socket to it; one wheel at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._broken = False
        #: Wheels the helper unzipped (tests count them).
        self.unzipped = 0

    @property
    def broken(self) -> bool:
        return self._broken

    def try_acquire(self) -> bool:
        """Take the helper for one wheel if it is free and usable."""
        if self._broken or not self._lock.acquire(blocking=False):
            return False
        if self._broken:
            self._lock.release()
            return False
        return True

    def release(self) -> None:
        self._lock.release()

    # ----------------------------------------------------------------------------- use
    def unzip(self, wheel: Path | bytes | Sequence[bytes] | int, dest: Path, *,
              filename: str, verify_record: bool) -> UnzippedWheel:
        """Unzip ``wheel`` (a file, its bytes, its bytes in chunks, or an open memory file
        that holds them, left open) into ``dest`` in the helper, holding it
        (:meth:`try_acquire`). Raises what :func:`~pyffin.distribution.unzip.unzip_wheel`
        raises, or :class:`WorkerGone`."""
        import marshal
        import socket

        try:
            sock = self._start()
            fds: list[int] = []
            request: tuple[str | None, str, str, bool]
            if isinstance(wheel, Path):
                request = (os.fspath(wheel), os.fspath(dest), filename, verify_record)
            else:
                if not isinstance(wheel, int):
                    fds.append(_memfd(filename, [wheel] if isinstance(wheel, bytes) else wheel))
                request = (None, os.fspath(dest), filename, verify_record)
            try:
                payload = marshal.dumps(request)
                socket.send_fds(sock, [len(payload).to_bytes(LEN, "little") + payload],
                                [wheel] if isinstance(wheel, int) else fds)
            finally:
                for fd in fds:
                    os.close(fd)
            answer = marshal.loads(self._receive(sock))
        except OSError as e:
            self._break()
            raise WorkerGone(str(e)) from e
        except BaseException:
            self._break()  # interrupted: it may still be writing into dest
            raise
        kind = answer[0]
        if kind == "ok":
            self.unzipped += 1
            _, name, version, dist_info, metadata, files = answer
            return UnzippedWheel(dest, filename, name, version, dist_info, metadata,
                                 tuple(files))
        from pyffin.models.wheel import InvalidWheelError, UnzipError

        message = answer[1]
        if kind == "invalid":
            raise InvalidWheelError(message)
        if kind == "unzip":
            raise UnzipError(message)
        self._break()
        raise WorkerGone(message)

    def _receive(self, sock: socket.socket) -> bytes:
        """One frame of the helper's answer, waiting with an eye on Ctrl-C."""
        import select

        from pyffin.interrupt import check

        buffer = bytearray()
        want = LEN
        header = True
        while True:
            while len(buffer) < want:
                readable, _, _ = select.select([sock], [], [], 0.25)
                check()  # Ctrl-C
                if not readable:
                    if self._process is not None and self._process.poll() is not None:
                        raise OSError("the unzip helper exited")
                    continue
                chunk = sock.recv(max(want - len(buffer), 1 << 16))
                if not chunk:
                    raise OSError("the unzip helper closed its socket")
                buffer += chunk
            if not header:
                return bytes(buffer)
            header = False
            want = int.from_bytes(buffer[:LEN], "little")
            del buffer[:LEN]

    # ------------------------------------------------------------------------ lifetime
    def _start(self) -> socket.socket:
        if self._sock is not None:
            return self._sock
        import socket
        import subprocess

        from pyffin import interrupt

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = subprocess.Popen(
                [*_helper_command(), str(theirs.fileno())], pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL, start_new_session=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        interrupt.adopt(process)
        self._process, self._sock = process, ours
        return ours

    def _break(self) -> None:
        """Stop using the helper: kill it and wait for it (it may be writing)."""
        self._broken = True
        self.close()

    def close(self) -> None:
        """End the helper (it exits when its socket closes) and wait for it."""
        process, sock = self._process, self._sock
        self._process = self._sock = None
        if sock is not None:
            sock.close()
        if process is not None:
            from pyffin import interrupt

            if self._broken:
                process.kill()
            process.wait()
            interrupt.disown(process)


def _helper_command() -> list[str]:
    """How a helper is started: without ``site`` (``-I -S``), given this process's
    ``sys.path``, the pyffin being run first (wherever it is imported from: a venv,
    ``PYTHONPATH``), and this process's choice about writing bytecode."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = [root, *(p for p in sys.path if p != root)]
    code = (f"import sys; sys.path[:] = {paths!r}; "
            "from pyffin.distribution.unzip_helper import main; main()")
    options = ["-I", "-S"]
    if sys.flags.dont_write_bytecode:
        options.append("-B")
    if sys.pycache_prefix is not None:
        options += ["-X", f"pycache_prefix={sys.pycache_prefix}"]
    return [sys.executable, *options, "-c", code]


def _memfd(name: str, chunks: Sequence[bytes]) -> int:
    """An anonymous memory file holding ``chunks``, as a descriptor."""
    fd = os.memfd_create(f"pyffin-{name}", os.MFD_CLOEXEC)
    try:
        view: list[memoryview] = [memoryview(c) for c in chunks if c]
        while view:
            written = os.writev(fd, view[:1024])
            while view and written >= len(view[0]):
                written -= len(view.pop(0))
            if written:
                view[0] = view[0][written:]
    except BaseException:
        os.close(fd)
        raise
    return fd


_workers: list[UnzipWorker] = []
_workers_changed = threading.Condition()


def acquire() -> UnzipWorker | None:
    """A free helper, held for one wheel (:func:`release` it): one started if fewer than
    :data:`WORKERS` run, else the first one freed. ``None`` when helpers cannot be used (one
    died, or could not start: the next would not do better)."""
    from pyffin.interrupt import check

    with _workers_changed:
        while True:
            if any(w.broken for w in _workers):
                return None
            for worker in _workers:
                if worker.try_acquire():
                    return worker
            if len(_workers) < WORKERS:
                worker = _add_worker()
                worker.try_acquire()
                return worker
            _workers_changed.wait(0.25)
            check()  # Ctrl-C


def _add_worker() -> UnzipWorker:
    """A new helper (not started), counted among the helpers. Holds ``_workers_changed``."""
    if not _workers:
        import atexit

        # Waited for before the process ends (pyffin's exit runs these handlers too):
        # nothing is left running, and their CPU time counts as the command's.
        atexit.register(close_all)
    worker = UnzipWorker()
    _workers.append(worker)
    return worker


def release(worker: UnzipWorker) -> None:
    with _workers_changed:
        worker.release()
        _workers_changed.notify()


def started() -> bool:
    """Whether helpers were started (and can still be used): every wheel goes to them."""
    workers = list(_workers)
    return bool(workers) and not any(w.broken for w in workers)


def close_all() -> None:
    """End every helper and wait for them."""
    with _workers_changed:
        workers = list(_workers)
    for worker in workers:
        worker.close()
