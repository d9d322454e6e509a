"""Stable keys for cache paths: short hashes of normalized URLs and paths."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pyffin.models.urls import normalize_url

if TYPE_CHECKING:
    from typing import Any

    from pyffin.models.files import ProjectPage
    from pyffin.models.git_url import GitUrl

#: The index whose entries live under ``pypi/`` instead of ``index/<hash>/``.
PYPI_SIMPLE_URL = "https://pypi.org/simple"



def digest(text: str, size: int = 16) -> str:
    """A stable key of ``size`` hex digits (at most 64) for ``text``: the same on every
    platform and Python version."""
    hexdigest: str = sha256(text.encode("utf-8")).hexdigest()
    return hexdigest[:size]


def tags_digest(tags: tuple[str, ...]) -> str:
    """:func:`digest` of a target's wheel tags, one per line. A target has about a thousand
    (tens of kilobytes): the resolution cache's key and the usable-versions summaries' both
    need them, hashed once per process (the last target's is remembered)."""
    for known, found in _last_tags:
        if known is tags or known == tags:
            return found
    found = digest("\n".join(tags))
    _last_tags[:] = [(tags, found)]
    return found


_last_tags: list[tuple[tuple[str, ...], str]] = []


def sha256(data: bytes) -> Any:
    """SHA-256 from CPython's own module where there is one: :mod:`hashlib` loads OpenSSL,
    whose start-up costs a warm command about 2 ms, more than it ever hashes here (keys, and
    the few small files an install writes)."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found, unused-ignore]  # <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found, unused-ignore]  # 3.12+
        except ImportError:
            from hashlib import sha256
    return sha256(data)


def url_key(url: str) -> str:
    """The cache key of a URL; URLs that differ only in form share it."""
    return digest(normalize_url(url))


def repository_key(url: GitUrl) -> str:
    """The cache key of a git repository (see
    :attr:`~pyffin.models.git_url.GitUrl.canonical_repository`)."""
    return digest(url.canonical_repository)


def path_key(path: str | os.PathLike[str]) -> str:
    """The cache key of a local path, by its absolute, normalized form."""
    return digest(os.path.normcase(os.path.abspath(os.fspath(path))))


def index_parts(index_url: str) -> tuple[str, ...]:
    """The path components naming an index inside a bucket: ``pypi`` or ``index/<hash>``."""
    parts = _index_parts.get(index_url)
    if parts is None:
        normalized = normalize_url(index_url)
        parts = ("pypi",) if normalized == PYPI_SIMPLE_URL else ("index", digest(normalized))
        if len(_index_parts) < 64:  # a process knows a few indexes: asked once per record
            _index_parts[index_url] = parts
    return parts


_index_parts: dict[str, tuple[str, ...]] = {}


def source_parts(page: ProjectPage) -> tuple[str, ...]:
    """The path components naming where a page's files come from inside a bucket: its index
    (:func:`index_parts`), or ``url/<hash>`` for a find-links location."""
    return ("url", url_key(page.source)) if page.flat else index_parts(page.source)
