"""The installed ``RECORD``: hashing what an install writes and rendering the file."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from pyffin.distribution.unzip import RecordEntry, encode_digest, format_record_line

__all__ = ["RecordEntry", "format_record", "hash_bytes", "hash_file"]


def hash_bytes(data: bytes) -> str:
    """The RECORD hash field of ``data``: ``sha256=<urlsafe base64 without padding>``."""
    return "sha256=" + encode_digest(hashlib.sha256(data).digest())


def hash_file(path: str) -> tuple[str, int]:
    """The RECORD hash field and size of the file at ``path``."""
    hasher = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            hasher.update(chunk)
            size += len(chunk)
    return "sha256=" + encode_digest(hasher.digest()), size


def format_record(entries: Iterable[RecordEntry]) -> bytes:
    """``RECORD`` text for ``entries`` (paths use ``/``, as the spec requires)."""
    sep = os.sep
    lines = [
        format_record_line(e.path if sep == "/" else e.path.replace(sep, "/"), e.hash, e.size)
        for e in entries
    ]
    return "".join(lines).encode("utf-8", "surrogateescape")
