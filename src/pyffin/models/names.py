"""Project names: the one PEP 503 normalizer and the one PEP 508 validity check of pyffin.

Every comparison of project or extra names goes through :func:`normalize_name`
(``Foo.Bar_baz`` → ``foo-bar-baz``); a name that must be a real project name — because it ends
up in a cache path, or a user typed it where only a name fits — goes through
:func:`checked_name`, which refuses anything else (a path separator, ``..``, a space).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # not typing: see pyffin.records
if TYPE_CHECKING:
    # To type checkers, packaging's own NewType: the names packaging.utils parses out of
    # filenames and the names made here are one type. At run time that would cost importing
    # packaging.utils (and packaging.tags); a NewType of the same name behaves the same.
    from packaging.utils import NormalizedName as NormalizedName
else:
    #: A PEP 503 normalized name; made by :func:`normalize_name` and :func:`checked_name`.
    #: (What ``typing.NewType`` makes, without importing typing: the value itself.)
    def NormalizedName(name: str) -> str:
        return name

# ASCII letters written out, not re.IGNORECASE: six times cheaper to compile (every command
# imports this), and no non-ASCII letter that folds to one (the Kelvin sign, a long s) passes.
_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_SEPARATORS_RE = re.compile(r"[-_.]+")


def normalize_name(name: str) -> NormalizedName:
    """PEP 503 normalized project or extra name (``Foo_Bar`` -> ``foo-bar``)."""
    return NormalizedName(_SEPARATORS_RE.sub("-", name).lower())


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid project name (PEP 508): never a path, never ``..``."""
    return _NAME_RE.fullmatch(name) is not None


def checked_name(name: str) -> NormalizedName:
    """:func:`normalize_name` of a name that must be a valid project name (it may end up in a
    cache path); raises ``ValueError`` for anything else."""
    if _NAME_RE.fullmatch(name) is None:
        raise ValueError(f"not a valid project name: {name!r}")
    return normalize_name(name)
