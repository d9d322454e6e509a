"""What long operations say as they go, for a progress display (the command line's status line,
or a library user's own): a :class:`Reporter` is handed down (on the
:class:`~pyffin.api.session.Session`) and every layer calls it, so that no layer imports the
one that shows it. Calls come from any thread, and must be cheap: the resolver calls once per
package, a download once per chunk. The base class ignores everything.

The Python API hands a caller's callback :class:`Event` records instead
(:class:`CallbackReporter`); its default, :func:`log_event`, logs them.
"""

from __future__ import annotations

from collections.abc import Callable

from pyffin.records import record


class Reporter:
    """Progress events; override what is wanted."""

    def on_resolve_progress(self, packages: int) -> None:
        """Resolving: ``packages`` have been looked at so far (0 at the start)."""

    def on_resolve_done(self) -> None:
        """The resolution is over (whether or not it found a solution)."""

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


def log_event(event: Event) -> None:
    """The default callback of the Python API: messages to the :mod:`logging` logger
    ``pyffin`` at their level, progress to ``pyffin.progress`` at ``DEBUG`` (the chunks of a
    download are left out: one line per file)."""
    import logging

    if event.kind == "message":
        logging.getLogger("pyffin").log(event.level, event.message)
    elif event.kind != "download-progress":
        logging.getLogger("pyffin.progress").debug("%s", event)
