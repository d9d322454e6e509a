"""Terminal output: results on stdout, messages on stderr, colour when wanted."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from pyffin import log

_STYLES = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "cyan": "36",
    "error": "1;31",
    "warning": "1;33",
    "hint": "1;36",
}


def use_color(choice: str, stream: TextIO) -> bool:
    """Resolve ``--color auto|always|never`` for ``stream``; ``auto`` honours ``NO_COLOR``,
    ``FORCE_COLOR``, ``TERM=dumb`` and whether the stream is a terminal."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Console:
    """Where a command writes: ``out`` for results (stdout), ``note``/``warn``/``error`` for
    messages (stderr). ``quiet`` > 0 hides notes, > 1 hides warnings and errors too (uv's
    silent ``-qq``); ``verbose`` shows debug messages and the causes of errors."""

    def __init__(self, *, quiet: int = 0, verbose: int = 0, color: str = "auto",
                 stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.quiet = quiet
        self.verbose = verbose
        self.color = use_color(color, self.stderr)
        self.color_out = use_color(color, self.stdout)
        #: A status line on stderr (:class:`pyffin.cli.progress.Progress`), cleared while a
        #: message is written.
        self.status: _Status | None = None
        #: ``False`` for ``--no-progress``: no progress bars (messages stay).
        self.progress = True
        #: When a list: every note shown is also appended to it (see :mod:`pyffin.cli.noop`),
        #: but those about this run's own work (see :meth:`note`).
        self.transcript: list[str] | None = None
        #: How many warnings were shown.
        self.warnings = 0

    @property
    def log_level(self) -> int:
        if self.verbose:
            return log.DEBUG
        if self.quiet > 1:
            return log.WARNING + 10  # nothing below an error
        if self.quiet:
            return log.WARNING
        return log.INFO

    def style(self, text: str, style: str, *, stream: TextIO | None = None) -> str:
        enabled = self.color_out if stream is self.stdout else self.color
        if not enabled:
            return text
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"

    def out(self, text: str = "") -> None:
        """A result line on stdout (shown even with ``-q``: it is what was asked for)."""
        self.stdout.write(text + "\n")

    def note(self, text: str, *, kept: bool = True) -> None:
        """A progress or summary line on stderr; hidden by ``-q``. ``kept``: also in the
        :attr:`transcript` (not a line about work this run alone did, a download or a build:
        a replay that does none must not say it)."""
        if not self.quiet:
            self._message(text + "\n")
            if kept and self.transcript is not None:
                self.transcript.append(text)

    def warn(self, text: str) -> None:
        self.warnings += 1
        if self.quiet < 2:
            self._message(f"{self.style('warning', 'warning')}: {text}\n")

    def debug(self, text: str) -> None:
        if self.verbose:
            self._message(self.style(f"DEBUG {text}", "dim") + "\n")

    def error(self, text: str, *, causes: list[str] | None = None,
              hint: str | None = None, hints: Sequence[str] = ()) -> None:
        """``error: text``, then each cause as uv 0.13.9 writes them (``  cause: ...``, the
        lines of a long one aligned under its first), then the ``hint``, or ``hints`` each
        after a blank line. Nothing with ``-qq`` (silent, as uv: the exit status says it)."""
        if self.quiet > 1:
            return
        lines = [f"{self.style('error', 'error')}: {text}\n"]
        for cause in causes or ():
            first, *rest = cause.splitlines() or [""]
            lines.append(f"  {self.style('cause', 'red')}: {first}\n")
            lines += [f"         {line}\n" if line else "\n" for line in rest]
        if hint:
            lines.append(f"{self.style('hint', 'hint')}: {hint}\n")
        lines += [f"\n{self.style('hint', 'hint')}: {more}\n" for more in hints]
        self._message("".join(lines))

    def _message(self, text: str) -> None:
        status = self.status
        if status is None:
            self.stderr.write(text)
            return
        with status.suspended():
            self.stderr.write(text)
            self.stderr.flush()

    def sink(self, level: int, message: str) -> None:
        """The :mod:`pyffin.log` sink: route library messages to the right stream."""
        if level >= log.WARNING:
            self.warn(message)
        elif level >= log.INFO:
            self.note(message)
        else:
            self.debug(message)


if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Protocol

    class _Status(Protocol):
        def suspended(self) -> AbstractContextManager[None]: ...


def format_bytes(n: int) -> str:
    """Human-readable size in binary units, as uv prints it: ``1.2MiB``; a value that would
    round to ``1024.0`` goes up a unit (``1.0MiB``)."""
    if n < 1024:
        return f"{n}B"
    value = float(n)
    unit = "B"
    for next_unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if 1024 - value > 0.05:
            break
        value /= 1024
        unit = next_unit
    return f"{value:.1f}{unit}"


def format_duration(seconds: float) -> str:
    """``40ms`` / ``1.52s``, as uv prints durations."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"
