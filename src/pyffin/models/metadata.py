"""Core metadata (``METADATA`` / ``PKG-INFO``), reduced to what resolving and installing need.

Parsed once, from the ``.metadata`` file, a range read, a download or a build, then cached as a
record: a warm run never parses e-mail headers again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pyffin.errors import PyffinError
from pyffin.models.names import normalize_name
from pyffin.records import record


class MetadataError(PyffinError):
    """A distribution's core metadata is missing, malformed or does not match its name."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


@record
class CoreMetadata:
    """Name, version and dependency fields of one distribution's core metadata.

    Requirement and specifier strings are kept as written; the resolver parses the ones it
    needs (``packaging`` is costly to run over every field of every candidate).
    """

    name: str
    version: str
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    provides_extra: tuple[str, ...] = ()
    #: ``Dynamic`` fields (Metadata 2.2+); in a PKG-INFO they mean "ask the backend".
    dynamic: tuple[str, ...] = ()
    metadata_version: str = "2.1"

    RECORD_SCHEMA: ClassVar[str] = "core-metadata"
    #: 2: with the parts of each ``Requires-Dist`` (see :class:`RequiresDist`).
    RECORD_VERSION: ClassVar[int] = 2

    def to_record(self) -> tuple[object, ...]:
        # A plain tuple: marshal stores no subclass.
        return (self.name, self.version, tuple(self.requires_dist), self.requires_python,
                self.provides_extra, self.dynamic, self.metadata_version,
                RequiresDist.parts_of(self.requires_dist))

    @classmethod
    def from_record(cls, data: Any) -> CoreMetadata:
        """Rebuild from :meth:`to_record` (or the record of version 1, without the parts, as
        a source distribution's manifest may still hold); raises on a record of another
        shape."""
        name, version, requires_dist, requires_python, provides_extra, dynamic, mv, *rest = data
        if len(rest) > 1:
            raise ValueError(f"a core metadata record of {len(data)} fields")
        texts = tuple(requires_dist)
        if rest and rest[0] is not None and len(rest[0]) == len(texts):
            texts = RequiresDist(texts, tuple(rest[0]))
        return cls(str(name), str(version), texts, requires_python,
                   tuple(provides_extra), tuple(dynamic), str(mv))

    @classmethod
    def parse(cls, data: bytes | str, *, source: str) -> CoreMetadata:
        """Parse ``METADATA``/``PKG-INFO`` text; ``source`` names the file in errors.

        Plain UTF-8 headers (what wheels carry) are read here; anything unusual — other
        encodings, folded values in the fields read — goes to ``packaging.metadata``, whose
        import (the whole :mod:`email` package) a no-op install should not pay for.
        """
        simple = _read_simple(data)
        raw: Mapping[str, Any]
        if simple is not None:
            raw = simple
        else:
            from packaging.metadata import parse_email

            try:
                raw, _unparsed = parse_email(data)
            except Exception as e:  # parse_email raises on undecodable bytes
                raise MetadataError(f"cannot parse the core metadata of {source}: {e}") from e
        name = raw.get("name")
        version = raw.get("version")
        if not name:
            raise MetadataError(f"the core metadata of {source} has no Name")
        if not version:
            raise MetadataError(f"the core metadata of {source} has no Version")
        return cls(
            name=name,
            version=version,
            requires_dist=tuple(raw.get("requires_dist", ())),
            requires_python=raw.get("requires_python") or None,
            provides_extra=tuple(raw.get("provides_extra", ())),
            dynamic=tuple(d.lower() for d in raw.get("dynamic", ())),
            metadata_version=raw.get("metadata_version", "1.0"),
        )


#: :data:`pyffin.models.requirement_text.Parts`, as a record stores them (clauses a tuple).
StoredParts = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...], "str | None"]


class RequiresDist(tuple[str, ...]):
    """``Requires-Dist`` texts (a plain tuple to every reader) that also carry each text's
    parts as :func:`~pyffin.models.requirement_text.split_unchecked` finds them (``None``
    for a text of another shape): kept in the metadata record, so that a warm resolution
    checks and parses its candidates' requirements without splitting any text again.

    Only :meth:`CoreMetadata.from_record` makes one (the record is written where metadata
    is fetched, and read where it is resolved); a caller storing the texts in a record of its
    own stores ``tuple(texts)``: marshal takes no subclass."""

    parts: tuple[StoredParts | None, ...]

    def __new__(cls, texts: tuple[str, ...],
                parts: tuple[StoredParts | None, ...]) -> RequiresDist:
        made = super().__new__(cls, texts)
        made.parts = parts
        return made

    def __reduce__(self) -> tuple[object, ...]:
        return (RequiresDist, (tuple(self), self.parts))

    @staticmethod
    def parts_of(texts: tuple[str, ...]) -> tuple[StoredParts | None, ...]:
        """The parts of each text (those already known, else split now)."""
        if isinstance(texts, RequiresDist):
            return texts.parts
        from pyffin.models.requirement_text import split_unchecked

        found: list[StoredParts | None] = []
        for text in texts:
            parts = split_unchecked(text)
            found.append(None if parts is None
                         else (parts[0], parts[1], tuple(parts[2]), parts[3]))
        return tuple(found)


#: Header name → the key ``packaging.metadata.parse_email`` uses, for the fields read here.
_SINGLE = {"name": "name", "version": "version", "requires-python": "requires_python",
           "metadata-version": "metadata_version"}
_MULTIPLE = {"requires-dist": "requires_dist", "provides-extra": "provides_extra",
             "dynamic": "dynamic"}


def _read_simple(data: bytes | str) -> dict[str, Any] | None:
    """The fields pyffin uses, when the headers are plain (else ``None``)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        text = data
    raw: dict[str, Any] = {}
    wanted: str | None = None
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line:
            break  # the body (the long description) starts
        if line[0] in " \t":
            if wanted is not None:
                return None  # a folded value in a field we read: let packaging unfold it
            continue
        header, sep, value = line.partition(":")
        if not sep:
            return None
        key = header.strip().lower()
        wanted = None
        if key in _SINGLE:
            raw.setdefault(_SINGLE[key], value.strip())
            wanted = key
        elif key in _MULTIPLE:
            raw.setdefault(_MULTIPLE[key], []).append(value.strip())
            wanted = key
    return raw


def differences(first: CoreMetadata, second: CoreMetadata) -> list[str]:
    """The fields (``Name``, ``Version``, ``Requires-Dist``, ``Requires-Python``,
    ``Provides-Extra``) in which two metadata records of one distribution disagree, compared
    parsed (``foo >= 1`` is ``foo>=1``; order does not matter), not as text."""
    if first == second:
        return []
    found = []
    if normalize_name(first.name) != normalize_name(second.name):
        found.append("Name")
    if not _same_version(first.version, second.version):
        found.append("Version")
    if _requirements(first.requires_dist) != _requirements(second.requires_dist):
        found.append("Requires-Dist")
    if _specifiers(first.requires_python) != _specifiers(second.requires_python):
        found.append("Requires-Python")
    if ({normalize_name(e) for e in first.provides_extra}
            != {normalize_name(e) for e in second.provides_extra}):
        found.append("Provides-Extra")
    return found


def field_value(metadata: CoreMetadata, field: str) -> str:
    """One field of :func:`differences`, as text for a message."""
    value: object = {
        "Name": metadata.name, "Version": metadata.version,
        "Requires-Dist": list(metadata.requires_dist),
        "Requires-Python": metadata.requires_python,
        "Provides-Extra": list(metadata.provides_extra),
    }[field]
    return "(none)" if value in (None, []) else str(value)


def _same_version(a: str, b: str) -> bool:
    from pyffin.models.versions import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a.strip() == b.strip()


def _requirements(values: tuple[str, ...]) -> list[str]:
    from packaging.requirements import InvalidRequirement, Requirement

    normalized = []
    for value in values:
        try:
            r = Requirement(value)
        except InvalidRequirement:
            normalized.append(" ".join(value.split()))
            continue
        extras = ",".join(sorted(normalize_name(e) for e in r.extras))
        normalized.append(f"{normalize_name(r.name)}[{extras}]{r.url or ''}{r.specifier};"
                          f"{r.marker or ''}")
    return sorted(normalized)


def _specifiers(value: str | None) -> object:
    if not value:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(value)
    except InvalidSpecifier:
        return " ".join(value.split())
