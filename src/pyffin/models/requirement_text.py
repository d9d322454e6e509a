"""The common shapes of a PEP 508 requirement, split into their parts with one regular
expression (nothing validated beyond the shape): what the resolver reads of a ``Requires-Dist``,
and what a metadata record keeps of each so that a warm run need not split it again (see
:class:`pyffin.models.metadata.CoreMetadata`). :mod:`pyffin.requirements.pep508` builds its
parser on it."""

from __future__ import annotations

import re
from typing import TypeAlias

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_OPERATOR = r"===|~=|==|!=|<=|>=|<|>"
_CLAUSE = rf"(?:{_OPERATOR})\s*[A-Za-z0-9_.*+!-]+"
_CLAUSES = rf"{_CLAUSE}(?:\s*,\s*{_CLAUSE})*"
# name [extras] (clauses) or clauses ; marker -- everything but ``name @ url``.
_REQUIREMENT_PATTERN = (
    rf"\s*({_NAME})\s*(?:\[\s*((?:{_NAME}\s*(?:,\s*{_NAME}\s*)*)?)\])?\s*"
    rf"(?:\(\s*({_CLAUSES})\s*\)|({_CLAUSES}))?\s*(?:;\s*(.*\S))?\s*"
)
_requirement_re: re.Pattern[str] | None = None
CLAUSE_RE = re.compile(rf"({_OPERATOR})\s*([A-Za-z0-9_.*+!-]+)")

#: Name, extras (as written), ``(operator, version)`` clauses (as written), marker text.
Parts: TypeAlias = tuple[str, tuple[str, ...], list[tuple[str, str]], str | None]


def split_unchecked(text: str) -> Parts | None:
    """The parts of a requirement of one of the common shapes, the clauses' versions not
    checked (for a caller that reads each version itself anyway), or ``None`` for any other
    text."""
    global _requirement_re
    if _requirement_re is None:  # compiled on first use: a warm run reads stored parts
        _requirement_re = re.compile(_REQUIREMENT_PATTERN)
    match = _requirement_re.fullmatch(text)
    if match is None:
        return None
    name, extras, parenthesized, bare, marker_text = match.groups()
    clauses = CLAUSE_RE.findall(parenthesized or bare or "") if parenthesized or bare else []
    extra_names = tuple(e.strip() for e in extras.split(",") if e.strip()) if extras else ()
    return name, extra_names, clauses, marker_text
