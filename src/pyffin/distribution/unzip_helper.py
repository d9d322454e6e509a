"""The unzip helper process's side (see :mod:`pyffin.distribution.unzip_worker`).

Run as ``python -I -S -c ...`` with the caller's ``sys.path`` given explicitly: no ``site``,
no ``.pth`` files, and nothing imported here but what a request and the unzip need (not
:mod:`socket`, :mod:`signal` or :mod:`threading`, whose imports make enums), so that a helper
starts in little more than the interpreter's own start-up.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing: see pyffin.records
if TYPE_CHECKING:
    from typing import Any

    from pyffin.distribution.unzip import UnzippedWheel

__all__ = ["LEN", "main"]

LEN = 4  # bytes of a frame's length prefix


def main() -> None:
    """The helper's loop: one request, one answer, until the socket closes."""
    import _signal  # type: ignore[import-not-found]  # (no stub; signal imports enum)
    import _socket
    import marshal

    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # the caller decides, and kills it
    sock = _socket.socket(fileno=int(sys.argv[1]))
    pending = b""
    while True:
        try:
            data, fds = _receive(sock, _socket)
        except OSError:
            data = b""
        if not data:
            os._exit(0)  # the caller is done (or gone): no teardown to pay for
        pending += data
        while len(pending) < LEN or len(pending) < LEN + int.from_bytes(pending[:LEN],
                                                                          "little"):
            more = sock.recv(1 << 16)
            if not more:
                os._exit(0)
            pending += more
        size = int.from_bytes(pending[:LEN], "little")
        request, pending = pending[LEN:LEN + size], pending[LEN + size:]
        for extra in fds[1:]:  # one descriptor a request: any other is not ours to keep
            os.close(extra)
        answer = _serve(marshal.loads(request), fds[0] if fds else None)
        payload = marshal.dumps(answer)
        try:
            sock.sendall(len(payload).to_bytes(LEN, "little") + payload)
        except OSError:
            os._exit(0)  # the caller is gone


def _receive(sock: Any, _socket: Any) -> tuple[bytes, list[int]]:
    """What :func:`socket.recv_fds` does (one descriptor at most), without importing
    :mod:`socket`."""
    import array

    fds = array.array("i")
    data, ancillary, _flags, _addr = sock.recvmsg(1 << 16, _socket.CMSG_LEN(fds.itemsize))
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)


def _serve(request: tuple[Any, ...], fd: int | None) -> tuple[Any, ...]:
    from pyffin.models.wheel import InvalidWheelError, UnzipError

    path, dest, filename, verify_record = request
    try:
        result = _unzip(path, fd, dest, filename, verify_record)
    except InvalidWheelError as e:
        return ("invalid", e.message)
    except UnzipError as e:
        return ("unzip", e.message)
    except Exception as e:  # a bug: the caller unzips it itself and says nothing
        return ("failed", f"{type(e).__name__}: {e}")
    finally:
        if fd is not None:
            os.close(fd)
    return ("ok", result.name, result.version, result.dist_info, result.metadata,
            list(result.files))


def _unzip(path: str | None, fd: int | None, dest: str, filename: str,
           verify_record: bool) -> UnzippedWheel:
    from pathlib import Path

    from pyffin.distribution.unzip import unzip_mapped, unzip_wheel

    if path is not None:
        return unzip_wheel(Path(path), Path(dest), filename=filename,
                           verify_record=verify_record)
    assert fd is not None
    return unzip_mapped(fd, Path(dest), filename=filename, verify_record=verify_record)
