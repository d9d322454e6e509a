"""Version texts parsed once per process, and :mod:`packaging.version` imported for less.

A resolution reads the same version texts over and over: ``3.11`` and the target's
``3.11.7`` in markers and Requires-Python, ``1.0.0`` in the clauses and on the pages of many
projects, the text of each chosen version again in its metadata. Parsing one with
``packaging`` costs about as much as a hundred dictionary look-ups, so every place that parses
a text the resolver will look at asks :func:`parse_version`, which keeps what it made.

The memo is bounded (it starts afresh past :data:`LIMIT` texts): a long-lived process using
pyffin as a library does not keep every version it ever saw.

Importing :mod:`packaging.version` (26.x) costs a warm compile ~22M instructions (about a tenth
of a small one), for work it mostly does not need: its ``NamedTuple`` of PEP 563 (text)
annotations has :mod:`typing` compile each one (~10M), and its version pattern, compiled at
import (~5M), is read only for a text that is not a plain release (``1.0rc1``; ``1.26.4`` is
split without it). So, when this module is the first to import it, :func:`_import_packaging_version`
imports it with the two stood in for the length of the import: ``re.compile`` called from
``packaging.version`` gives a pattern compiled on first use (:class:`LazyPattern`), and
:mod:`typing`'s annotation check leaves that import's annotation texts as they are (as PEP 563
would), in the importing thread only. The module is otherwise the same; another importer
first gets it as usual.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class LazyPattern:
    """A regular expression compiled when first used (see the module's docstring): each
    attribute asked for (``fullmatch``...) is then kept on the instance, so later look-ups are
    plain ones. Not a :class:`re.Pattern` for ``isinstance``."""

    def __init__(self, compile: Any, pattern: Any, flags: int) -> None:
        self._arguments = (compile, pattern, flags)
        self._compiled: Any = None

    def __getattr__(self, name: str) -> Any:  # only for what the instance does not hold yet
        if name.startswith("__") or name in ("_arguments", "_compiled"):
            raise AttributeError(name)
        compiled = self._compiled
        if compiled is None:
            compile, pattern, flags = self._arguments
            compiled = self._compiled = compile(pattern, flags)
        value = getattr(compiled, name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"LazyPattern({self._arguments[1]!r}, {self._arguments[2]!r})"


def _import_packaging_version() -> None:
    """Import :mod:`packaging.version` without compiling its patterns nor its annotations
    (see the module's docstring); as usual when it is imported already."""
    if "packaging.version" in sys.modules:
        return
    # Its own imports first, so that only its body (and packaging's) runs in the window.
    import re
    import typing
    import warnings  # noqa: F401
    from _thread import get_ident

    real_compile = re.compile
    real_check = getattr(typing, "_type_check", None)
    importing = get_ident()

    def compile(pattern: Any, flags: int = 0) -> Any:
        if sys._getframe(1).f_globals.get("__name__") == "packaging.version":
            return LazyPattern(real_compile, pattern, flags)
        return real_compile(pattern, flags)

    def unchecked(arg: Any, *args: Any, **kwargs: Any) -> Any:
        if get_ident() != importing:  # another thread's typing goes on as usual
            return real_check(arg, *args, **kwargs)  # type: ignore[misc]
        return arg

    re.compile = compile
    if real_check is not None:
        typing._type_check = unchecked  # type: ignore[attr-defined]
    try:
        import packaging.version  # noqa: F401
    finally:
        re.compile = real_compile
        if real_check is not None:
            typing._type_check = real_check  # type: ignore[attr-defined]


_import_packaging_version()

from packaging.version import InvalidVersion, Version  # noqa: E402

__all__ = ["LIMIT", "InvalidVersion", "LazyPattern", "Version", "kept", "parse_version",
           "version_of"]

#: The most texts kept; past it the memo starts afresh (a large resolution parses ~1,300).
LIMIT = 16384

_parsed: dict[str, Version] = {}


def parse_version(text: str) -> Version:
    """``Version(text)``, the same object for the same text (while it is kept); raises
    :class:`packaging.version.InvalidVersion` as ``Version`` does (nothing is kept then)."""
    version = _parsed.get(text)
    return _keep(text, Version(text)) if version is None else version


def version_of(text: str, epoch: int, release: tuple[int, ...], pre: tuple[str, int] | None,
               post: int | None, dev: int | None) -> Version:
    """:func:`parse_version` of ``text``, the version these parts write (normalized), made
    from them: not read by ``packaging``'s pattern, which a warm resolution then often never
    compiles (bounds such as ``2.0.dev0`` are made so; ~5M instructions)."""
    version = _parsed.get(text)
    if version is None:
        version = _keep(text, Version.from_parts(epoch=epoch, release=release, pre=pre,
                                                 post=post, dev=dev))
    return version


def _keep(text: str, version: Version) -> Version:
    if len(_parsed) >= LIMIT:
        _parsed.clear()
    _parsed[text] = version
    return version


def kept() -> int:
    """How many texts the memo holds (for tests)."""
    return len(_parsed)
