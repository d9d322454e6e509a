"""A large sdist unpacked while it downloads.

A large sdist was downloaded, then unpacked: pyspark's 318 MB one took ~1.8 s to download (the
TLS records, the SHA-256, the write: CPU-bound) and ~1.3 s more to unpack, one after the other.
:class:`StreamingUnpack` is handed every chunk the download writes and passes it through a pipe
to a child process that unpacks the tar as it comes
(:func:`pyffin.build.archive.unpack_tar_stream`: the same checks as unpacking the file), so the
two overlap. A process, not a thread: both halves run Python for every piece (a TLS record is
16 KiB), and two threads of one process spent more time handing the GIL to each other than the
overlap saved (pyspark's download and unpacking took 3.2 s together in threads).

Nothing unpacked is used before the download's hash check has passed (the bytes are unpacked,
with every check, before their hash is known: an archive whose bytes are not the ones the index
lists is unpacked into the build's temporary directory, then thrown away with it), and the
unpacking is only a faster way to the same tree: when it fails (a hostile or damaged archive,
anything the stream mode cannot do, no child process), :meth:`StreamingUnpack.finish` says so,
the directory is emptied, and the caller unpacks the downloaded file as before, which gives the
error (or the tree) it always gave.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.fs import empty

if TYPE_CHECKING:
    import subprocess

#: Archives from this size on are unpacked as they download (the size the index lists): a child
#: process costs ~40 ms to start, what unpacking a ~10 MB archive takes.
STREAM_UNPACK_FROM = 32 << 20

#: The pipe's room on Linux (its default is 64 KiB): a larger one wakes the child less often.
PIPE_SIZE = 1 << 20

#: What the download's pieces are gathered into before they go to the pipe: one write (and one
#: wake-up of the child) for sixteen 16 KiB TLS records instead of one each.
BATCH = 1 << 18

#: What the child runs (isolated, ``-I``: not a module of the working directory, nor the
#: environment's): ``pyffin``'s directory first on its path (the parent may have put it there
#: itself), then the unpacking of its standard input.
_CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); "
          "from pyffin.build.archive import unpack_standard_input; unpack_standard_input()")


class StreamingUnpack:
    """Unpacks the tar archive that will be at ``archive`` (``size`` bytes, as listed) into
    ``dest`` from the chunks given to :meth:`write`, in a child process started by
    :meth:`restart` (and started again, from an empty ``dest``, each time the download starts
    over)."""

    def __init__(self, archive: Path, dest: Path, *, size: int | None = None) -> None:
        self.archive = archive
        self.dest = dest
        self.size = size
        self._child: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        #: What :meth:`write` was given and has not passed on yet (see :data:`BATCH`).
        self._pending = bytearray()
        #: The child stopped reading (done, or failed): what is left is not passed on.
        self._stopped = False

    def restart(self) -> None:
        """Begin (again): the download starts from its first byte."""
        self._stop(again=True)
        empty(self.dest)
        self._stopped = False
        import subprocess

        # Where this pyffin is imported from (.../pyffin/distribution/unpacking.py).
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from pyffin import interrupt

        try:
            # Its own session, as build backends: Ctrl-C kills it through interrupt.adopt.
            self._child = subprocess.Popen(
                [sys.executable, "-I", "-c", _CHILD, here, os.fspath(self.archive),
                 os.fspath(self.dest), str(self.size or 0)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                start_new_session=True)
        except OSError as e:  # no process to be had: the file is unpacked after
            log.debug(f"Unpacking {self.archive.name} after its download: {e}")
            self._stopped = True
            return
        interrupt.adopt(self._child)
        assert self._child.stdin is not None
        self._fd = self._child.stdin.fileno()
        if sys.platform == "linux":
            import fcntl

            try:
                fcntl.fcntl(self._fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
            except OSError:  # a lower limit for this user: the default room
                pass

    def write(self, chunk: bytes) -> None:
        """Pass the next bytes of the archive on (waits while the pipe is full)."""
        if self._fd is None or self._stopped:
            return
        pending = self._pending
        pending += chunk
        if len(pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        fd = self._fd
        view = memoryview(bytes(self._pending))
        self._pending.clear()
        if fd is None or self._stopped:
            return
        try:
            while view:
                view = view[os.write(fd, view):]
        except OSError:  # the child is done, or gave up (a broken pipe): finish() says which
            self._stopped = True

    def finish(self) -> bool:
        """Wait for the unpacking to end; whether it unpacked the whole archive. Not started, or
        failed: ``dest`` is left empty."""
        child = self._child
        self._flush()
        status = self._stop()
        if child is not None and status == 0:
            return True
        empty(self.dest)
        return False

    def _stop(self, *, again: bool = False) -> int | None:
        """End the child (the end of its input), and its exit status; ``again``: to start
        over (a child left halfway fails, as it should: nothing to say about it)."""
        child, self._child = self._child, None
        self._fd = None
        self._pending.clear()
        if child is None:
            return None
        from pyffin import interrupt

        try:
            _, errors = child.communicate()  # closes its input first
        finally:
            interrupt.disown(child)
        if child.returncode != 0 and not again:
            reason = errors.decode("utf-8", "replace").strip().splitlines()
            log.debug(f"Unpacking {self.archive.name} as it downloaded failed "
                      f"({reason[-1] if reason else f'exit status {child.returncode}'}): "
                      "unpacking the file instead")
        return child.returncode

