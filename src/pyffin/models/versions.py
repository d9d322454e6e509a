"""Version texts parsed once per process.

A resolution reads the same version texts over and over: ``3.11`` and the target's
``3.11.7`` in markers and Requires-Python, ``1.0.0`` in the clauses and on the pages of many
projects, the text of each chosen version again in its metadata. Parsing one with
``packaging`` costs about as much as a hundred dictionary look-ups, so every place that parses
a text the resolver will look at asks :func:`parse_version`, which keeps what it made.

The memo is bounded (it starts afresh past :data:`LIMIT` texts): a long-lived process using
pyffin as a library does not keep every version it ever saw.
"""

from __future__ import annotations

from packaging.version import Version

#: The most texts kept; past it the memo starts afresh (a large resolution parses ~1,300).
LIMIT = 16384

_parsed: dict[str, Version] = {}


def parse_version(text: str) -> Version:
    """``Version(text)``, the same object for the same text (while it is kept); raises
    :class:`packaging.version.InvalidVersion` as ``Version`` does (nothing is kept then)."""
    version = _parsed.get(text)
    if version is None:
        version = Version(text)
        if len(_parsed) >= LIMIT:
            _parsed.clear()
        _parsed[text] = version
    return version


def kept() -> int:
    """How many texts the memo holds (for tests)."""
    return len(_parsed)
