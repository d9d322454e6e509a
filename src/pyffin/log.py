"""Messages for the user from any layer: ``debug``, ``info``, ``warn``.

A tiny facade instead of :mod:`logging` on the hot path: importing :mod:`logging` costs more than
a warm ``pyffin`` command should spend on it (DESIGN §7). The CLI installs a sink that prints
through its console (honouring ``-q``/``-v`` and colour); a library user gets the messages through
the standard :mod:`logging` logger ``"pyffin"``, imported only when a message is emitted.
"""

from __future__ import annotations

from collections.abc import Callable

DEBUG = 10
INFO = 20
WARNING = 30

Sink = Callable[[int, str], None]

_sink: Sink | None = None
_level = INFO
_warned: set[str] = set()


def configure(sink: Sink | None, level: int = INFO) -> None:
    """Route messages at ``level`` or above to ``sink`` (``None``: the ``logging`` module)."""
    global _sink, _level
    _sink = sink
    _level = level


def enabled(level: int) -> bool:
    """Whether a message at ``level`` would be shown; check it before costly formatting."""
    return level >= _level


def emit(level: int, message: str) -> None:
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
