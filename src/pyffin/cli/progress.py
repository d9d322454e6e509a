"""What a command is doing, as uv shows it: on a terminal, one status line on stderr —
``⠙ Resolving dependencies... (12 packages), Building lib==1.0, Downloading 2/5 files,
1.2MiB/3.4MiB`` — redrawn by a timer at most ten times a second and cleared when the command
ends or writes a message. Nothing with ``-q`` or ``-v`` (whose debug lines would break it up),
nor when stderr is not a terminal; there, a download of 1 MiB or more gets a plain line.

It hears the operation through :class:`pyffin.reporting.Reporter` (events come from any
thread) and draws only after :data:`_FIRST_DRAW` seconds, so a quick (warm) command shows
nothing at all.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pyffin.cli.console import Console, format_bytes, format_duration
from pyffin.reporting import Reporter

#: Files at least this large get a plain "Downloading" line when stderr is not a terminal.
_ANNOUNCE = 1 << 20
#: Seconds between redraws of the status line.
_TICK = 0.1
#: Seconds before the first draw.
_FIRST_DRAW = 0.1
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_ASCII_SPINNER = "|/-\\"
_CLEAR = "\r\x1b[2K"


class Progress(Reporter):
    """The status line of one command (see the module)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        stream = console.stderr
        isatty = getattr(stream, "isatty", None)
        self.live = bool(isatty and isatty()) and not console.quiet and not console.verbose \
            and console.progress
        self._lock = threading.RLock()
        self._resolving: int | None = None
        #: Whether the line of an install's resolution was written (:meth:`on_resolved`).
        self.resolved_said = False
        self._builds: dict[str, int] = {}
        #: Downloads announced with a line (see :meth:`on_fetch_start`), by file name: their
        #: size and the bytes received so far.
        self._announced: dict[str, list[int]] = {}
        self._total_files = 0
        self._done_files = 0
        self._bytes = 0
        self._expected = 0
        self._started = time.monotonic()
        self._shown = False
        self._frame = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("-", "")
        self._spinner = _SPINNER if encoding in ("utf8", "utf8sig") else _ASCII_SPINNER
        if self.live:
            console.status = self

    # -------------------------------------------------------------------------- events
    def on_resolve_progress(self, packages: int) -> None:
        with self._lock:
            self._resolving = packages
        self._wake()

    def on_resolve_done(self) -> None:
        with self._lock:
            self._resolving = None

    def on_resolved(self, packages: int, seconds: float) -> None:
        # As uv: said once the resolution is over, before what is prepared is (the summary
        # that follows at the end leaves it out: see resolved_said).
        self.console.note(resolved_line(packages, seconds), kept=False)
        self.resolved_said = True

    def on_build_start(self, what: str) -> None:
        with self._lock:
            self._builds[what] = self._builds.get(what, 0) + 1
        self._wake()

    def on_build_done(self, what: str) -> None:
        with self._lock:
            count = self._builds.pop(what, 1) - 1
            if count > 0:
                self._builds[what] = count

    def on_wheel_build(self, what: str) -> None:
        # As uv: a line each, above the status line.
        self.console.note(f"   Building {what}", kept=False)

    def on_wheel_built(self, what: str) -> None:
        self.console.note(f"      Built {what}", kept=False)

    def on_fetch_start(self, name: str, size: int | None) -> None:
        with self._lock:
            self._total_files += 1
            self._expected += size or 0
        if not self.live and size and size >= _ANNOUNCE:
            # As uv: the project, not the file (``Downloading numpy (16.1MiB)``), then
            # `` Downloaded numpy`` once it is in.
            with self._lock:
                self._announced[name] = [size, 0]
            self.console.note(f"Downloading {_project(name)} ({format_bytes(size)})",
                              kept=False)
        self._wake()

    def on_fetch_progress(self, name: str, nbytes: int) -> None:
        with self._lock:
            self._bytes += nbytes
            announced = self._announced.get(name)
            if announced is not None:
                announced[1] += nbytes

    def on_fetch_done(self, name: str) -> None:
        with self._lock:
            self._done_files += 1
            announced = self._announced.pop(name, None)
        if announced is not None and announced[1] >= announced[0]:  # all of it: not failed
            self.console.note(f" Downloaded {_project(name)}", kept=False)

    # ------------------------------------------------------------------------- drawing
    def finish(self) -> None:
        """Stop drawing and clear the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1)
        with self._lock:
            self._clear()
        if self.console.status is self:
            self.console.status = None

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Clear the line while the console writes a message (the next tick redraws it)."""
        with self._lock:
            self._clear()
            yield

    def _wake(self) -> None:
        if self.live and self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(target=self._run, daemon=True,
                                                    name="pyffin-progress")
                    self._thread.start()

    def _run(self) -> None:
        if self._stop.wait(max(0.0, self._started + _FIRST_DRAW - time.monotonic())):
            return
        while True:
            self._draw()
            if self._stop.wait(_TICK):
                return

    def _draw(self) -> None:
        with self._lock:
            text = self._text()
            if not text:
                self._clear()
                return
            self._frame = (self._frame + 1) % len(self._spinner)
            line = f"{self._spinner[self._frame]} {text}"
            width = _columns(self.console.stderr)
            if len(line) >= width:
                line = line[:max(width - 4, 1)] + "..."
            try:
                self.console.stderr.write(_CLEAR + line)
                self.console.stderr.flush()
            except (OSError, ValueError):  # the terminal went away
                self._stop.set()
                return
            self._shown = True

    def _clear(self) -> None:
        if self._shown:
            self._shown = False
            try:
                self.console.stderr.write(_CLEAR)
                self.console.stderr.flush()
            except (OSError, ValueError):
                pass

    def _text(self) -> str:
        parts = []
        if self._resolving is not None:
            count = self._resolving
            parts.append("Resolving dependencies..." + (
                f" ({count} package{'s' if count != 1 else ''})" if count else ""))
        if self._builds:
            first = next(iter(self._builds))
            more = f" (+{len(self._builds) - 1} more)" if len(self._builds) > 1 else ""
            parts.append(f"Building {first}{more}")
        if self._done_files < self._total_files:
            expected = f"/{format_bytes(self._expected)}" if self._expected else ""
            parts.append(f"Downloading {self._done_files}/{self._total_files} files, "
                         f"{format_bytes(self._bytes)}{expected}")
        return ", ".join(parts)


#: The name the install commands use.
DownloadProgress = Progress


def resolved_line(packages: int, seconds: float) -> str:
    """uv's line for a resolution: ``Resolved 2 packages in 20ms``."""
    return f"Resolved {packages} package{'s' if packages != 1 else ''} in " \
           f"{format_duration(seconds)}"


def _columns(stream: object) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns or int(os.environ.get("COLUMNS", "") or 0) or 80


def _project(filename: str) -> str:
    """The project a distribution's file is of, as uv names it in its download lines:
    ``numpy`` for ``numpy-2.4.6-cp311-...whl`` or ``numpy-2.4.6.tar.gz``, normalized. A file
    not so named is shown as it is."""
    from pyffin.models.names import normalize_name
    from pyffin.models.wheel import InvalidWheelError, parse_filename

    if filename.endswith(".whl"):
        try:
            name = parse_filename(filename)[0]
        except InvalidWheelError:
            name = ""
    else:
        stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
        name = stem.rpartition("-")[0] if stem != filename else ""
    return normalize_name(name) if name else filename
