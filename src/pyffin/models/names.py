"""Project names (PEP 503 normalization, PEP 508 validity).
"""

from __future__ import annotations

import re

_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_SEPARATORS_RE = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """PEP 503 normalized project name (``Foo_Bar`` -> ``foo-bar``)."""
    return _SEPARATORS_RE.sub("-", name).lower()


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid project name (PEP 508): never a path, never ``..``."""
    return bool(_NAME_RE.match(name))
