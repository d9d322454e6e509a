"""Files as an index lists them: :class:`IndexFile`, the :class:`SimplePage` of one project
grouped by version, and the :class:`ProjectPage` that says which source listed it.

The parsers that make them (PEP 503 HTML, PEP 691 JSON, find-links) live in
:mod:`pyffin.client.simple`; these are the data every layer passes around. The cached form of a
page is what resolution needs, grouped by version with filenames already parsed: ``version →
(wheels, sdists)``. Files are kept as plain tuples and turned into :class:`IndexFile` objects
only when one is looked at, so loading a page of thousands of files from the cache costs one
``marshal.loads``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pyffin.records import record

Hashes = tuple[tuple[str, str], ...]

#: Algorithms pyffin computes, strongest first; the first one a file has is verified.
STRENGTH = ("sha512", "sha3_512", "blake2b", "sha384", "sha3_384", "sha256", "sha3_256",
            "blake2s", "sha224", "sha3_224", "sha1", "md5")


@record
class IndexFile:
    """One file of a project as an index lists it."""

    filename: str
    #: Absolute URL, without credentials.
    url: str
    #: ``(algorithm, hex digest)`` pairs, sorted.
    hashes: Hashes
    requires_python: str | None
    #: ``None``: not yanked; otherwise the reason (``""`` when none was given).
    yanked: str | None
    #: Upload time as a POSIX timestamp (PEP 700), when the index says.
    upload_time: float | None
    size: int | None
    #: PEP 658/714 metadata file: ``None`` when not served, else its hashes (maybe empty).
    core_metadata: Hashes | None

    def hash(self, algorithm: str = "sha256") -> str | None:
        for name, digest in self.hashes:
            if name == algorithm:
                return digest
        return None

    def to_tuple(self) -> tuple[Any, ...]:
        return (self.filename, self.url, self.hashes, self.requires_python, self.yanked,
                self.upload_time, self.size, self.core_metadata)

    @classmethod
    def from_tuple(cls, data: Any) -> IndexFile:
        f, u, h, rp, y, t, s, m = data
        return cls(f, u, tuple(map(tuple, h)), rp, y, t, s,
                   None if m is None else tuple(map(tuple, m)))


@record
class WheelEntry:
    """A wheel file with its parsed filename: compatible tags and build tag."""

    file: IndexFile
    tags: tuple[str, ...]
    build: str


class SimplePage:
    """The files of one project on one index, grouped by normalized version string.

    ``versions[v] = (wheels, sdists)`` where a wheel is ``(*file_tuple, tags, build)`` and an
    sdist is a file tuple; see :class:`IndexFile` for the tuple layout.
    """

    RECORD_SCHEMA: ClassVar[str] = "simple-page"
    #: 2: legacy sdist names (``pybbox-0.0.5-alpha.zip``) are read; pages parsed before are
    #: read again.
    RECORD_VERSION: ClassVar[int] = 2

    __slots__ = ("name", "versions")

    def __init__(self, name: str, versions: dict[str, tuple[list[Any], list[Any]]]) -> None:
        self.name = name
        self.versions = versions

    def to_record(self) -> Any:
        return (self.name, self.versions)

    @classmethod
    def from_record(cls, data: Any) -> SimplePage:
        name, versions = data
        if not isinstance(name, str) or not isinstance(versions, dict):
            raise ValueError("malformed simple page record")
        return cls(name, versions)

    def wheels(self, version: str) -> Iterator[WheelEntry]:
        for row in self.versions.get(version, ((), ()))[0]:
            yield WheelEntry(IndexFile.from_tuple(row[:8]), tuple(row[8]), row[9])

    def sdists(self, version: str) -> Iterator[IndexFile]:
        for row in self.versions.get(version, ((), ()))[1]:
            yield IndexFile.from_tuple(row)

    def files(self) -> Iterator[IndexFile]:
        for wheels, sdists in self.versions.values():
            for row in wheels:
                yield IndexFile.from_tuple(row[:8])
            for row in sdists:
                yield IndexFile.from_tuple(row)

    def __len__(self) -> int:
        return sum(len(w) + len(s) for w, s in self.versions.values())

    def __repr__(self) -> str:
        return f"SimplePage({self.name!r}, {len(self.versions)} versions, {len(self)} files)"


@record
class ProjectPage:
    """The files of a project at one source (an index URL or a find-links location)."""

    source: str
    page: SimplePage
    #: ``True`` for a find-links location (files are local or linked from a flat page).
    flat: bool = False

    def without_files(self) -> ProjectPage:
        """This page with no files: where a project's files are listed, and nothing more (what
        a chosen distribution keeps of its page)."""
        return ProjectPage(self.source, SimplePage(self.page.name, {}), self.flat)
