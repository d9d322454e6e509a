"""Which files this process opens for writing, seen through the interpreter's ``open`` audit
event (raised by :func:`open`, :func:`os.open` and everything built on them): a test counts
what a command writes, so that waste (a temporary copy of a download, say) fails CI."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_lock = threading.Lock()
_recorders: list[list[Path]] = []
_installed = False


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or not _recorders:
        return
    path, mode, flags = args
    if isinstance(mode, str):
        writing = any(c in mode for c in "wax+")
    else:
        writing = isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
    if writing and isinstance(path, (str, bytes, os.PathLike)):
        with _lock:
            for recorder in _recorders:
                recorder.append(Path(os.fsdecode(path)))


@contextmanager
def files_written() -> Iterator[list[Path]]:
    """The paths of the files opened for writing (or created) inside the ``with`` block, by
    any thread, in order (a file opened twice appears twice)."""
    global _installed
    with _lock:
        if not _installed:  # an audit hook cannot be removed: one for the whole process
            sys.addaudithook(_hook)
            _installed = True
        paths: list[Path] = []
        _recorders.append(paths)
    try:
        yield paths
    finally:
        with _lock:
            _recorders.remove(paths)
