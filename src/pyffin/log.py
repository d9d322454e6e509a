"""Messages for the user from any layer: ``debug``, ``info``, ``warn``.

A tiny facade instead of :mod:`logging` on the hot path: importing :mod:`logging` costs more than
a warm ``pyffin`` command should spend on it (DESIGN §7). The CLI installs a sink that prints
through its console (honouring ``-q``/``-v`` and colour); a library user gets the messages through
the standard :mod:`logging` logger ``"pyffin"``, imported only when a message is emitted.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextvars import ContextVar, Token

DEBUG = 10
INFO = 20
WARNING = 30

Sink = Callable[[int, str], None]

_sink: Sink | None = None
_level = INFO
_warned: set[str] = set()
#: The warnings given with :func:`warn_result`, in order (see :func:`results_since`).
_results: list[str] = []
#: The sink and level of the operation running in this context (:class:`routed`); made on
#: first use, so that the command line never imports :mod:`contextvars`.
_route: ContextVar[tuple[Sink, int] | None] | None = None


def configure(sink: Sink | None, level: int = INFO) -> None:
    """Route messages at ``level`` or above to ``sink`` (``None``: the ``logging`` module)."""
    global _sink, _level
    _sink = sink
    _level = level


def enabled(level: int) -> bool:
    """Whether a message at ``level`` would be shown; check it before costly formatting."""
    if _route is not None:
        route = _route.get()
        if route is not None:
            return level >= route[1]
    return level >= _level


def emit(level: int, message: str) -> None:
    if _route is not None:
        route = _route.get()
        if route is not None:  # the process's sink and level are not this call's
            if level >= route[1]:
                route[0](level, message)
            return
    if level < _level:
        return
    if _sink is not None:
        _sink(level, message)
        return
    import logging

    logging.getLogger("pyffin").log(level, message)


def debug(message: str) -> None:
    emit(DEBUG, message)


def info(message: str) -> None:
    emit(INFO, message)


def warn(message: str) -> None:
    emit(WARNING, message)


def warn_once(message: str, *, key: str | None = None) -> None:
    """Warn about something at most once per process (per ``key``, default the message)."""
    key = message if key is None else key
    if key in _warned:
        debug(message)
        return
    _warned.add(key)
    warn(message)


def warn_result(message: str) -> None:
    """:func:`warn_once` about something a result is made of (a resolution's "the package
    does not provide the extra"): a result kept and used again instead of being made again
    (:mod:`pyffin.api.resolution_cache`) gives it again (see :func:`results_since`)."""
    _results.append(message)
    warn_once(message)


def results_mark() -> int:
    """Where the warnings of :func:`warn_result` stand now, for :func:`results_since`."""
    return len(_results)


def results_since(mark: int) -> tuple[str, ...]:
    """The warnings :func:`warn_result` gave since ``mark`` (in any thread), each once."""
    return tuple(dict.fromkeys(_results[mark:]))


class routed:
    """``with routed(sink, level):`` sends the messages at ``level`` or above of the code run
    inside (in this thread, and in the work it hands to the I/O pool, which runs in the
    submitter's context) to ``sink``, instead of the process's sink at its level: one Python
    API call's messages reach that call's callback, whatever the command line configured
    in the same process."""

    __slots__ = ("_route", "_token")

    def __init__(self, sink: Sink, level: int = INFO) -> None:
        self._route = (sink, level)
        self._token: Token[tuple[Sink, int] | None] | None = None

    def __enter__(self) -> None:
        global _route
        if _route is None:
            from contextvars import ContextVar

            _route = ContextVar("pyffin_log_route", default=None)
        self._token = _route.set(self._route)

    def __exit__(self, *exc: object) -> None:
        assert _route is not None and self._token is not None
        _route.reset(self._token)
