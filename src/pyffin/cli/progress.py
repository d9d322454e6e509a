"""Download progress: one updating line on a terminal, plain lines otherwise, nothing with
``-q``. Called from I/O threads."""

from __future__ import annotations

import threading
import time

from pyffin.cli.console import Console, format_bytes

#: Files at least this large get a plain "Downloading" line when stderr is not a terminal.
_ANNOUNCE = 1 << 20


class DownloadProgress:
    """A :class:`~pyffin.distribution.database.FetchReporter` for the console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        stream = console.stderr
        self.live = bool(getattr(stream, "isatty", lambda: False)()) and not console.quiet \
            and console.progress
        self._lock = threading.Lock()
        self._total_files = 0
        self._done_files = 0
        self._bytes = 0
        self._expected = 0
        self._drawn = 0.0

    def on_fetch_start(self, name: str, size: int | None) -> None:
        with self._lock:
            self._total_files += 1
            self._expected += size or 0
            if not self.live and size and size >= _ANNOUNCE:
                self.console.note(f"Downloading {name} ({format_bytes(size)})")
            self._draw()

    def on_fetch_progress(self, name: str, nbytes: int) -> None:
        with self._lock:
            self._bytes += nbytes
            self._draw()

    def on_fetch_done(self, name: str) -> None:
        with self._lock:
            self._done_files += 1
            self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.05:
            return
        self._drawn = now
        expected = f"/{format_bytes(self._expected)}" if self._expected else ""
        line = (f"Downloading {self._done_files}/{self._total_files} files, "
                f"{format_bytes(self._bytes)}{expected}")
        self.console.stderr.write(f"\r\x1b[2K{line}")
        self.console.stderr.flush()

    def finish(self) -> None:
        """Clear the progress line."""
        if self.live and self._total_files:
            self.console.stderr.write("\r\x1b[2K")
            self.console.stderr.flush()
