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
    RECORD_VERSION: ClassVar[int] = 1

    def to_record(self) -> tuple[object, ...]:
        return (self.name, self.version, self.requires_dist, self.requires_python,
                self.provides_extra, self.dynamic, self.metadata_version)

    @classmethod
    def from_record(cls, data: Any) -> CoreMetadata:
        """Rebuild from :meth:`to_record`; raises on a record of another shape."""
        name, version, requires_dist, requires_python, provides_extra, dynamic, mv = data
        return cls(str(name), str(version), tuple(requires_dist), requires_python,
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
    from packaging.version import InvalidVersion, Version

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
