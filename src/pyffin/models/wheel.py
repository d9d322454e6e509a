"""The wheel format (PEP 427, PEP 376/627): filenames, ``WHEEL`` and ``METADATA`` headers, the
``.data`` directories and ``RECORD`` — read and written.

Shared by the unzipper (:mod:`pyffin.distribution.unzip`), which validates a wheel against it
once, and the installer, which reads installed distributions and writes their ``RECORD``.
"RECORD" here always means that file; a :class:`RecordEntry` is one of its lines.
"""

from __future__ import annotations

import os
from binascii import b2a_base64
from collections.abc import Iterable

from pyffin.errors import PyffinError
from pyffin.models.names import normalize_name
from pyffin.records import record


class UnzipError(PyffinError):
    """A wheel could not be unzipped (an I/O error, or an invalid wheel)."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


class InvalidWheelError(UnzipError):
    """A wheel is malformed or hostile; the message names the wheel and the entry at fault."""


#: The ``{name}-{version}.data/<key>/`` subdirectories a wheel may have (PEP 427).
DATA_KEYS = frozenset({"purelib", "platlib", "scripts", "data", "headers"})


def parse_filename(filename: str) -> tuple[str, str]:
    """Name and version from a wheel filename (PEP 427)."""
    parts = filename[:-4].split("-") if filename.endswith(".whl") else []
    if len(parts) not in (5, 6) or not all(parts):
        raise InvalidWheelError(
            f"invalid wheel filename {filename!r}: expected "
            "'{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl'"
        )
    return parts[0], parts[1]


def wheel_tags(filename: str) -> tuple[tuple[int, str] | tuple[()], frozenset[str]] | None:
    """The build tag (``()`` when none) and the expanded tags (``py3-none-any``) of a wheel
    filename; ``None`` if it is not one. (``packaging.utils`` would import
    ``packaging.tags``, which an install from a lock or of built wheels has no other use
    for.)"""
    parts = filename[:-4].split("-") if filename.endswith(".whl") else []
    if len(parts) not in (5, 6) or not all(parts):
        return None
    build: tuple[int, str] | tuple[()] = ()
    if len(parts) == 6:
        tag = parts[2]
        digits = len(tag) - len(tag.lstrip("0123456789"))
        if not digits:
            return None
        build = (int(tag[:digits]), tag[digits:])
    pythons, abis, platforms = (part.lower().split(".") for part in parts[-3:])
    return build, frozenset(f"{p}-{a}-{m}" for p in pythons for a in abis for m in platforms)


def versions_equal(a: str, b: str) -> bool:
    """Whether two version strings are the same PEP 440 version (``1.0`` == ``1.0.0``)."""
    if a == b:
        return True
    from pyffin.models.versions import InvalidVersion, Version

    def parse(text: str) -> Version | None:
        # Filenames and directory names escape "-" as "_" (PEP 427).
        for candidate in (text, text.replace("_", "-")):
            try:
                return Version(candidate)
            except InvalidVersion:
                pass
        return None

    va, vb = parse(a), parse(b)
    return va is not None and va == vb


def dist_stem_matches(stem: str, name: str, version: str) -> bool:
    """Whether ``stem`` (of ``{name}-{version}.dist-info``) names ``name`` ``version``.

    Escaped names hold no ``-``, but legacy tools wrote unescaped names and versions, so every
    split point is tried against the expected pair.
    """
    if stem == f"{name}-{version}":
        return True
    wanted = normalize_name(name)
    start = 0
    while (i := stem.find("-", start)) != -1:
        if normalize_name(stem[:i]) == wanted and versions_equal(stem[i + 1:], version):
            return True
        start = i + 1
    return False


def read_headers(data: bytes, wanted: Iterable[str]) -> dict[str, str]:
    """The first value of each header in ``wanted`` (lower-case names) of an e-mail style file
    (``METADATA``, ``WHEEL``, ``PKG-INFO``), without the cost of :mod:`email`.

    Reading stops at the first blank line (the body); continuation lines are ignored, which is
    right for the single-line fields asked for here.
    """
    keys = set(wanted)
    found: dict[str, str] = {}
    end = data.find(b"\n\n")  # METADATA may carry a long description after the headers
    if end != -1:
        data = data[:end]
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        if not line:
            break
        if line[0] in " \t":
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key in keys and key not in found:
            found[key] = value.strip()
            if len(found) == len(keys):
                break
    return found


@record
class RecordEntry:
    """One line of a ``RECORD``: a ``/``-separated path, ``algo=digest`` hash and size."""

    path: str
    hash: str | None
    size: int | None


def parse_record(
    data: bytes, *, source: str, error: type[PyffinError] = InvalidWheelError
) -> list[RecordEntry]:
    """Parse ``RECORD`` (CSV); ``source`` names the file in errors, raised as ``error``.

    Lines without quotes (nearly all) are split by hand: the :mod:`csv` module is only imported
    for a line that needs it.
    """
    entries: list[RecordEntry] = []
    text = data.decode("utf-8", "surrogateescape")
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if '"' in line:
            import csv

            fields = next(csv.reader([line]))
        else:
            fields = line.rsplit(",", 2)
        if len(fields) != 3 or not fields[0]:
            raise error(f"{source}, line {lineno}: expected 'path,hash,size': {line!r}")
        path, digest, size = fields
        try:
            size_value = int(size) if size else None
        except ValueError:
            raise error(f"{source}, line {lineno}: invalid size {size!r}") from None
        entries.append(RecordEntry(path, digest or None, size_value))
    return entries


def format_record_line(path: str, hash: str | None, size: int | None) -> str:
    """One RECORD line as :mod:`csv` would write it (quoting only what needs it)."""
    if any(c in path for c in ',"\r\n'):
        path = '"' + path.replace('"', '""') + '"'
    return f"{path},{hash or ''},{'' if size is None else size}\n"


_URLSAFE = str.maketrans("+/", "-_")


def encode_digest(digest: bytes) -> str:
    """A digest in RECORD form: URL-safe base64 without padding."""
    return b2a_base64(digest, newline=False).rstrip(b"=").decode("ascii").translate(_URLSAFE)


def hash_bytes(data: bytes) -> str:
    """The RECORD hash field of ``data``: ``sha256=<urlsafe base64 without padding>``."""
    import hashlib  # not at import time: reading installed distributions hashes nothing

    return "sha256=" + encode_digest(hashlib.sha256(data).digest())


def hash_file(path: str) -> tuple[str, int]:
    """The RECORD hash field and size of the file at ``path``."""
    import hashlib

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
