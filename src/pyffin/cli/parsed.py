"""A ``pip compile`` command line parsed before, read back without argparse.

Importing argparse (with gettext and locale) and building the command's parser of a hundred
options is ~6% of the instructions of a compile that solves a small set from the cache (~3% for
a large one), for an answer that depends only on the command line and the parser's code. So
after a successful parse, :func:`remember` keeps the parsed values and the options bound to
configuration twins (:func:`pyffin.cli.config.bind`), in a record keyed like a replay's
(:func:`pyffin.cli.replay.key`: pyffin's version, the interpreter, the command line, the working
directory, the environment), with the stamp of every pyffin module loaded at that point (the
parser's definitions, the ``type=`` functions): :func:`load` answers from it while they are
unchanged.

Kept only when every value is a plain ``None``, bool, int, float, str, or a list or tuple of
them; never for ``--no-cache``; never for a parse that printed (``--help``) or failed (those
exit inside argparse, before anything is kept).
"""

from __future__ import annotations

import sys

from pyffin.cli import registry
from pyffin.cli import replay as records
from pyffin.stamps import stamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from pyffin.cli.command import Command
    from pyffin.cli.config import Bound

_DIRECTORY = "parsed"
_MAGIC = b"PYFFIN-ARGS 1 "
#: The record format: changing it makes every record a miss.
_KIND = "parsed 1"
#: ``(key, stamps, values, bound)``: see :func:`remember`.
_SIZE = 4


class Namespace:
    """What ``argparse.Namespace`` offers a command (attributes, ``vars``, ``in``, ``==``),
    without importing argparse (nor :mod:`types`)."""

    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def __eq__(self, other: object) -> bool:
        return vars(self) == vars(other) if hasattr(other, "__dict__") else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"Namespace({values})"


def load(words: tuple[str, ...], argv: Sequence[str]
         ) -> tuple[Command, argparse.Namespace, Bound] | None:
    """The command, the parsed ``argv`` and its bound options, as the parser would give them,
    or ``None`` when no record holds."""
    if sys.platform == "win32":
        return None
    root = records.cache_root(argv)
    key = None if root is None else records.key(_KIND, words, argv)
    if key is None or root is None:
        return None
    record = records.read(root, _DIRECTORY, key, _MAGIC, _SIZE)
    if record is None:
        return None
    _key, stamps, values, bound = record
    if not records.holds(stamps):  # type: ignore[arg-type]
        return None
    found = registry.command(words)
    from pyffin.cli.config import by_option

    settings = by_option()
    rebuilt: Bound = {}
    for dest, option, default in bound:  # type: ignore[attr-defined]
        setting = settings.get(option)
        if setting is None:
            return None
        rebuilt[dest] = (setting, default)
    args: Any = Namespace(**dict(values))  # type: ignore[call-overload]
    return found, args, rebuilt


def remember(words: tuple[str, ...], argv: Sequence[str], args: argparse.Namespace,
             bound: Bound) -> None:
    """Keep the parse of ``argv`` for :func:`load`, when it is plain data."""
    if sys.platform == "win32":
        return
    values = list(vars(args).items())
    kept = [(dest, setting.option, default) for dest, (setting, default) in bound.items()]
    if not all(_plain(v) for _, v in values) or not all(_plain(d) for _, _, d in kept):
        return
    root = records.cache_root(argv)
    key = None if root is None else records.key(_KIND, words, argv)
    if key is None or root is None:
        return
    stamps = []
    for name, module in list(sys.modules.items()):
        if name == "pyffin" or name.startswith("pyffin."):
            path = getattr(module, "__file__", None)
            if path:
                stamps.append(((path, True), stamp(path)))
    from pyffin.errors import PyffinError

    try:
        records.write(root, _DIRECTORY, key, _MAGIC, (key, stamps, values, kept))
    except (OSError, PyffinError):
        pass  # a read-only or full cache: the next run parses again


def _plain(value: object) -> bool:
    kind = type(value)
    if kind in (list, tuple):
        return all(_plain(v) for v in value)  # type: ignore[attr-defined]
    return value is None or kind in (bool, int, float, str)
