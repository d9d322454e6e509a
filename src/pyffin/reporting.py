"""What long operations say as they go, for a progress display (the command line's status line,
or a library user's own): a :class:`Reporter` is handed down (on the
:class:`~pyffin.api.session.Session`) and every layer calls it, so that no layer imports the
one that shows it. Calls come from any thread, and must be cheap: the resolver calls once per
package, a download once per chunk. The base class ignores everything.

The Python API hands a caller's callback :class:`Event` records instead
(:class:`CallbackReporter`); its default, :func:`log_event`, logs them.
"""

from __future__ import annotations

from _thread import allocate_lock
from collections.abc import Callable
from typing import Any

from pyffin.records import record


class Reporter:
    """Progress events; override what is wanted."""

    def on_resolve_progress(self, packages: int) -> None:
        """Resolving: ``packages`` have been looked at so far (0 at the start)."""

    def on_resolve_done(self) -> None:
        """The resolution is over (whether or not it found a solution)."""

    def on_resolved(self, packages: int, seconds: float) -> None:
        """An install's or a sync's resolution found what the environment is to hold,
        ``packages`` packages, in ``seconds``: what it prepares and installs comes after."""

    def on_build_start(self, what: str) -> None:
        """A build of ``what`` (``name==version``, or the source's path or URL) started."""

    def on_build_done(self, what: str) -> None:
        """The build of ``what`` ended (built or failed)."""

    def on_wheel_build(self, what: str) -> None:
        """The build that started is of a wheel to install (not only metadata)."""

    def on_wheel_built(self, what: str) -> None:
        """A wheel of ``what`` was built (before :meth:`on_build_done`)."""

    def on_fetch_start(self, name: str, size: int | None) -> None:
        """A download of the file ``name`` (``size`` bytes, if known) started."""

    def on_fetch_progress(self, name: str, nbytes: int) -> None:
        """``nbytes`` more of ``name`` arrived (negative: a retry starts over)."""

    def on_fetch_done(self, name: str) -> None:
        """The download of ``name`` ended."""

    def on_install(self, name: str, version: str) -> None:
        """``name`` ``version`` was installed into the environment (linked from the cache)."""

    def on_uninstall(self, name: str, version: str) -> None:
        """``name`` ``version`` was removed from the environment."""


#: What an :class:`Event` is about (its ``kind``).
EVENT_KINDS = ("resolve-progress", "resolve-done", "build-start", "build-done",
               "download-start", "download-progress", "download-done", "install", "uninstall",
               "message")


@record
class Event:
    """One thing an operation reports, as a callback passed to the Python API
    (``pyffin.install(..., on_event=...)``) receives it. ``str(event)`` is a line for a
    person."""

    #: One of :data:`EVENT_KINDS`.
    kind: str
    #: What it is about: a file (downloads), ``name==version`` (builds, installs), a source's
    #: path or URL (builds of unnamed sources); empty for the resolution and messages.
    subject: str = ""
    #: ``resolve-progress``: packages looked at so far; ``download-start``: the file's size
    #: (``None``: unknown); ``download-progress``: bytes that arrived (negative: a retry
    #: starts over).
    amount: int | None = None
    #: ``message``: its :mod:`logging` level (``logging.INFO``, ``logging.WARNING``...).
    level: int = 20
    #: ``message``: the text.
    message: str = ""

    def __repr__(self) -> str:
        shown = [repr(self.kind)]
        if self.subject:
            shown.append(repr(self.subject))
        if self.amount is not None:
            shown.append(f"amount={self.amount}")
        if self.kind == "message":
            shown += [f"level={self.level}", f"message={self.message!r}"]
        return f"Event({', '.join(shown)})"

    def __str__(self) -> str:
        kind, subject, amount = self.kind, self.subject, self.amount
        if kind == "message":
            return self.message
        if kind == "resolve-progress":
            if not amount:
                return "Resolving dependencies..."
            return f"Resolving dependencies... ({amount} package{'s' if amount != 1 else ''})"
        if kind == "download-start":
            return f"Downloading {subject}" + (f" ({amount} bytes)" if amount else "")
        if kind == "download-progress":
            return f"Downloading {subject}: {amount} more bytes"
        words = {"resolve-done": "Resolved", "build-start": "Building", "build-done": "Built",
                 "download-done": "Downloaded", "install": "Installed",
                 "uninstall": "Uninstalled"}
        return f"{words.get(kind, kind)} {subject}".rstrip()


Callback = Callable[[Event], None]


class CallbackReporter(Reporter):
    """Every progress event, as an :class:`Event`, to ``callback`` (from any thread: the
    callback must be thread-safe, and quick)."""

    __slots__ = ("callback",)

    def __init__(self, callback: Callback) -> None:
        self.callback = callback

    def on_resolve_progress(self, packages: int) -> None:
        self.callback(Event("resolve-progress", amount=packages))

    def on_resolve_done(self) -> None:
        self.callback(Event("resolve-done"))

    def on_build_start(self, what: str) -> None:
        self.callback(Event("build-start", what))

    def on_build_done(self, what: str) -> None:
        self.callback(Event("build-done", what))

    def on_fetch_start(self, name: str, size: int | None) -> None:
        self.callback(Event("download-start", name, size))

    def on_fetch_progress(self, name: str, nbytes: int) -> None:
        self.callback(Event("download-progress", name, nbytes))

    def on_fetch_done(self, name: str) -> None:
        self.callback(Event("download-done", name))

    def on_install(self, name: str, version: str) -> None:
        self.callback(Event("install", f"{name}=={version}"))

    def on_uninstall(self, name: str, version: str) -> None:
        self.callback(Event("uninstall", f"{name}=={version}"))


class HeldFetches(Reporter):
    """The download events of ``reporter``, kept back until :meth:`release`, then passed on
    as they come. An install fetches the wheels its requirements pin exactly while it
    resolves; uv fetches nothing before its resolution is over, and says so (``Resolved 2
    packages``) before naming a download: held, those downloads are named after it too. The
    chunks of a download held are passed on as one."""

    def __init__(self, reporter: Reporter | None) -> None:
        self.reporter = reporter
        self._lock = allocate_lock()
        #: What came while held, in order: ``[kind, name, value]``; ``None`` once released.
        self._held: list[list[Any]] | None = []
        #: A held download's chunks so far: its entry in :attr:`_held`, by file name.
        self._chunks: dict[str, list[Any]] = {}

    def on_fetch_start(self, name: str, size: int | None) -> None:
        self._event("start", name, size)

    def on_fetch_progress(self, name: str, nbytes: int) -> None:
        self._event("progress", name, nbytes)

    def on_fetch_done(self, name: str) -> None:
        self._event("done", name, None)

    def release(self) -> None:
        """Pass on what was held (in the order it came), and all that comes from now on."""
        with self._lock:
            held, self._held = self._held, None
            self._chunks.clear()
            for kind, name, value in held or ():  # under the lock: nothing overtakes them
                self._pass(kind, name, value)

    def _event(self, kind: str, name: str, value: Any) -> None:
        if self.reporter is None:
            return
        with self._lock:
            if self._held is not None:
                if kind == "progress" and name in self._chunks:
                    self._chunks[name][2] += value
                    return
                entry = [kind, name, value]
                self._held.append(entry)
                if kind == "progress":
                    self._chunks[name] = entry
                else:  # chunks after a start or an end are another entry, in their place
                    self._chunks.pop(name, None)
                return
        self._pass(kind, name, value)

    def _pass(self, kind: str, name: str, value: Any) -> None:
        reporter = self.reporter
        assert reporter is not None
        if kind == "start":
            reporter.on_fetch_start(name, value)
        elif kind == "progress":
            reporter.on_fetch_progress(name, value)
        else:
            reporter.on_fetch_done(name)


def log_event(event: Event) -> None:
    """The default callback of the Python API: messages to the :mod:`logging` logger
    ``pyffin`` at their level, progress to ``pyffin.progress`` at ``DEBUG`` (the chunks of a
    download are left out: one line per file)."""
    import logging

    if event.kind == "message":
        logging.getLogger("pyffin").log(event.level, event.message)
    elif event.kind != "download-progress":
        logging.getLogger("pyffin.progress").debug("%s", event)
