"""Stable keys for cache paths: short hashes of normalized URLs and paths."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

#: The index whose entries live under ``pypi/`` instead of ``index/<hash>/``.
PYPI_SIMPLE_URL = "https://pypi.org/simple"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_SEPARATORS_RE = re.compile(r"[-_.]+")


def digest(text: str) -> str:
    """A stable 16-hex-digit key for ``text``: the same on every platform and Python version."""
    import hashlib  # not at import time: a warm command may hash nothing

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def normalize_url(url: str) -> str:
    """The canonical form of ``url`` for keying: lower-case scheme and host, no credentials,
    no default port, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def url_key(url: str) -> str:
    """The cache key of a URL; URLs that differ only in form share it."""
    return digest(normalize_url(url))


def path_key(path: str | os.PathLike[str]) -> str:
    """The cache key of a local path, by its absolute, normalized form."""
    return digest(os.path.normcase(os.path.abspath(os.fspath(path))))


def index_parts(index_url: str) -> tuple[str, ...]:
    """The path components naming an index inside a bucket: ``pypi`` or ``index/<hash>``."""
    normalized = normalize_url(index_url)
    if normalized == PYPI_SIMPLE_URL:
        return ("pypi",)
    return ("index", digest(normalized))


def normalize_name(name: str) -> str:
    """PEP 503 normalization of a project name, as used in cache paths.

    Raises ``ValueError`` for a string that is not a valid project name, so a name can never
    carry a path separator or ``..`` into the cache.
    """
    if not _NAME_RE.match(name):
        raise ValueError(f"not a valid project name: {name!r}")
    return _SEPARATORS_RE.sub("-", name).lower()
