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

import operator
import re
import sys
from collections.abc import Callable, Iterator
from itertools import repeat
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

    :attr:`versions` ``[v] = (wheels, sdists)`` where a wheel is ``(*file_tuple, tags, build)``
    and an sdist is a file tuple; see :class:`IndexFile` for the tuple layout.

    A JSON page keeps most files as the index listed them, grouped by the version in their
    filename, until one is looked at: a resolution sees every version of a project but the files
    of very few. Such a file is ``(listed, tags, build, base)`` for a wheel and ``(listed,
    base)`` for an sdist, ``listed`` being its PEP 691 entry's values as :func:`listed_file`
    keeps them and ``base`` the page's URL its relative URL is joined to (``None``: absolute;
    see :func:`listed_row`); :meth:`items` gives them as stored, :meth:`rows` and
    :attr:`versions` as file tuples.
    """

    RECORD_SCHEMA: ClassVar[str] = "simple-page"
    #: 2: legacy sdist names (``pybbox-0.0.5-alpha.zip``) are read; pages parsed before are
    #: read again. 3: files of JSON pages are kept as listed until looked at. 4: as tuples of
    #: their values (:func:`listed_file`), not the page's dictionaries.
    RECORD_VERSION: ClassVar[int] = 4

    __slots__ = ("_full", "_items", "name", "parsed")

    def __init__(self, name: str, versions: dict[str, tuple[list[Any], list[Any]]],
                 parsed: dict[str, Any] | None = None) -> None:
        self.name = name
        self._items = versions
        self._full: dict[str, tuple[list[Any], list[Any]]] | None = None
        #: Normalized version string -> its ``Version``, as the parser made them (maybe for
        #: other pages too; not stored): ranking the versions does not parse them again.
        self.parsed: dict[str, Any] = parsed if parsed is not None else {}

    @property
    def versions(self) -> dict[str, tuple[list[Any], list[Any]]]:
        """Every version's files as file tuples (all of them made now, then kept)."""
        full = self._full
        if full is None:
            full = self._full = {key: (list(map(wheel_row, wheels)), list(map(sdist_row, sdists)))
                                 for key, (wheels, sdists) in self._items.items()}
        return full

    def items(self) -> Any:
        """``(version, (wheels, sdists))`` as stored: files maybe not made yet (see the
        class, and :func:`wheel_tags`, :func:`file_yanked`, :func:`file_requires_python`)."""
        return self._items.items()

    def __iter__(self) -> Iterator[str]:
        """The versions (their normalized strings)."""
        return iter(self._items)

    def rows(self, version: str) -> tuple[list[Any], list[Any]] | None:
        """One version's files as file tuples; ``None``: the page has no such version."""
        if self._full is not None:
            return self._full.get(version)
        found = self._items.get(version)
        if found is None:
            return None
        return list(map(wheel_row, found[0])), list(map(sdist_row, found[1]))

    def to_record(self) -> Any:
        return (self.name, self._items)

    @classmethod
    def from_record(cls, data: Any) -> SimplePage:
        name, versions = data
        if not isinstance(name, str) or not isinstance(versions, dict):
            raise ValueError("malformed simple page record")
        return cls(name, versions)

    def wheels(self, version: str) -> Iterator[WheelEntry]:
        for row in (self.rows(version) or ((), ()))[0]:
            yield WheelEntry(IndexFile.from_tuple(row[:8]), tuple(row[8]), row[9])

    def sdists(self, version: str) -> Iterator[IndexFile]:
        for row in (self.rows(version) or ((), ()))[1]:
            yield IndexFile.from_tuple(row)

    def files(self) -> Iterator[IndexFile]:
        for wheels, sdists in self.versions.values():
            for row in wheels:
                yield IndexFile.from_tuple(row[:8])
            for row in sdists:
                yield IndexFile.from_tuple(row)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return sum(len(w) + len(s) for w, s in self._items.values())

    def __repr__(self) -> str:
        return f"SimplePage({self.name!r}, {len(self._items)} versions, {len(self)} files)"


def wheel_row(item: Any) -> Any:
    """A wheel of a page (see :class:`SimplePage`) as its file tuple."""
    if len(item) == 4:
        return (*listed_row(item[0], _listed_url(item[0], item[3])), item[1], item[2])
    return item


def sdist_row(item: Any) -> Any:
    """An sdist of a page (see :class:`SimplePage`) as its file tuple."""
    if len(item) == 2:
        return listed_row(item[0], _listed_url(item[0], item[1]))
    return item


def _listed_url(listed: tuple[Any, ...], base: str | None) -> str:
    href: str = listed[1]
    return href if base is None else join_url(base, href)


def is_pylock_filename(filename: str) -> bool:
    """Whether ``filename`` (the last path component) names a PEP 751 lock file:
    ``pylock.toml`` or ``pylock.NAME.toml`` (``NAME`` not empty, without dots). Here, not in
    :mod:`pyffin.models.pylock`, which commands only check file names against would import;
    with string methods, as every compile asks (a pattern would be compiled for it)."""
    if filename == "pylock.toml":
        return True
    name = filename[7:-5]
    return filename.startswith("pylock.") and filename.endswith(".toml") and bool(name) \
        and "." not in name


#: ``(base, directory)`` -> the URL ``directory/`` joins to (see :func:`join_url`).
_JOINED: dict[tuple[str, str], str] = {}
#: A last path segment urljoin passes through unchanged: no query, parameters, scheme
#: separator, whitespace or control characters. Compiled when a page is first parsed (a warm
#: command parses none).
_PLAIN_TAIL = r"[^\x00-\x20?;:#\x7f]+\Z"
_plain_tail: Callable[[str], object] | None = None


def join_url(base: str, href: str) -> str:
    """``urljoin(base, href)`` for a relative ``href`` without a fragment. A page's links share
    a few directories: each is joined to the page's URL once (``urljoin`` costs more than the
    rest of a file's parsing), then the filename is appended, which is what ``urljoin`` would
    give for a plain filename."""
    global _plain_tail
    plain = _plain_tail
    if plain is None:
        plain = _plain_tail = re.compile(_PLAIN_TAIL).match
    directory, slash, tail = href.rpartition("/")
    if not tail or tail in (".", "..") or not plain(tail):
        from urllib.parse import urljoin

        return urljoin(base, href)
    prefix = _JOINED.get((base, directory))
    if prefix is None:
        # The directory with a stand-in filename, which the join keeps as is.
        prefix = _join_plain(base, directory) if slash else None
        if prefix is None:
            from urllib.parse import urljoin

            prefix = urljoin(base, f"{directory}/x" if slash else "x")[:-1]
        _JOINED[(base, directory)] = prefix
    return prefix + tail


#: What :func:`_join_plain` finds in neither URL: whitespace, control characters, what
#: ``urlsplit`` reads as more than a path (query, fragment, parameters, an IPv6 host), and
#: ``\``; in the directory, also ``:`` (a scheme).
_NOT_PATH = bytes(range(0x21)) + b"?#;[]\\\x7f"


def _join_plain(base: str, directory: str) -> str | None:
    """``urljoin(base, directory + "/x")`` without its last character, for the usual shape
    (``None`` for any other): ``base`` an HTTP(S) URL with a host and a path, ``directory``
    a relative path, both in ASCII with none of :data:`_NOT_PATH`. Done as ``urljoin`` does
    it (RFC 3986 with its own empty-segment rule), without importing :mod:`urllib.parse`
    (and :mod:`ipaddress`, which it imports): a warm command joins the directory of each
    file it picks from a page with relative links, and nothing else of it."""
    scheme, _sep, rest = base.partition("://")
    netloc, slash, path = rest.partition("/")
    if (scheme not in ("https", "http") or not netloc or not slash or ":" in directory
            or directory[:1] in ("", "/")):  # (an empty one: the link's path is absolute)
        return None
    both = base + directory
    if not both.isascii() or len(both.encode().translate(None, _NOT_PATH)) != len(both):
        return None
    base_parts = ("/" + path).split("/")
    del base_parts[-1]  # the base's last segment ("" after a slash)
    segments = directory.split("/")
    # As urljoin: empty segments dropped, except the first (the root) and the last.
    segments = base_parts[:1] + [s for s in (*base_parts[1:], *segments) if s] + [""]
    resolved: list[str] = []
    for segment in segments:
        if segment == "..":
            if resolved:
                resolved.pop()
        elif segment != ".":
            resolved.append(segment)
    joined = "/".join(resolved)
    return f"{scheme}://{netloc}{joined if joined[:1] == '/' else '/' + joined}"


def wheel_tags(item: Any) -> Any:
    """A wheel's tags, whether its file tuple is made or not."""
    return item[1] if len(item) == 4 else item[8]


def file_yanked(item: Any) -> bool:
    """Whether a file (either form) is yanked: its file tuple's yanked is not ``None``."""
    if len(item) < 8:
        yanked = item[0][4]
        return yanked is not False and yanked is not None
    return item[4] is not None


def file_requires_python(item: Any) -> str | None:
    """A file's Requires-Python (either form), as its file tuple has it."""
    if len(item) < 8:
        return item[0][3] or None
    return item[3]  # type: ignore[no-any-return]


def file_upload_time(item: Any) -> float | None:
    """A file's upload time (either form), as its file tuple has it: read from the listed
    text when the tuple is not made (an ``--exclude-newer`` cutoff compares every file's)."""
    if len(item) < 8:
        return upload_time(item[0][5])
    return item[5]  # type: ignore[no-any-return]


#: A hash algorithm's name as a page may give it (see :func:`hash_name_pattern`).
_HASH_NAME = r"^[a-z][a-z0-9_-]{1,31}$"
_hash_name: re.Pattern[str] | None = None


def hash_name_pattern() -> re.Pattern[str]:
    """:data:`_HASH_NAME`, compiled when first asked for (a warm command parses no page)."""
    global _hash_name
    if _hash_name is None:
        _hash_name = re.compile(_HASH_NAME)
    return _hash_name


#: A PEP 691 file entry's values as :func:`listed_file` keeps them, when it has them all.
_LISTED_KEYS = ("filename", "url", "hashes", "requires-python", "yanked", "upload-time", "size",
                "core-metadata")
_listed_values = operator.itemgetter(*_LISTED_KEYS)
_listed_but_metadata = operator.itemgetter(*_LISTED_KEYS[:-1])
_NO_METADATA = (False,)
_METADATA_KEYS = ("core-metadata", "dist-info-metadata")


def listed_file(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What a page keeps of a PEP 691 file ``entry`` until the file is looked at (see
    :class:`SimplePage`): its values, as listed, in a tuple (less memory than the dictionary,
    and quicker to store and read back): ``(filename, url, hashes, requires-python, yanked,
    upload-time, size, core-metadata)``, the last one ``dist-info-metadata``'s value when there
    is no ``core-metadata`` (``None`` for any other value missing). :func:`listed_row` makes
    the file tuple."""
    try:
        return _listed_values(entry)  # type: ignore[no-any-return]
    except KeyError:  # some key missing (an older page or index): one by one
        get = entry.get
        return (*map(get, _LISTED_KEYS[:-1]),
                get("core-metadata", get("dist-info-metadata", False)))


def listed_files(entries: list[Any]) -> list[tuple[Any, ...]] | None:
    """:func:`listed_file` of every entry of a page, made in C (no call per entry) when all
    have every key, or all every key but the metadata ones (an index that serves no metadata
    file may leave them out, as this sandbox's pypi.org does); ``None`` for any other page
    (an entry not a table, keys missing from some)."""
    try:
        return list(map(_listed_values, entries))
    except KeyError:
        pass
    except TypeError:
        return None
    try:
        if any(any(map(dict.__contains__, entries, repeat(key))) for key in _METADATA_KEYS):
            return None
        return list(map(operator.add, map(_listed_but_metadata, entries), repeat(_NO_METADATA)))
    except (KeyError, TypeError):
        return None


def entry_row(entry: dict[str, Any], url: str | None = None,
              fragment_hashes: Hashes = ()) -> tuple[Any, ...]:
    """The file tuple (see :meth:`IndexFile.to_tuple`) of a PEP 691 file ``entry`` whose URL
    is ``url`` (by default its own ``"url"``, absolute and without a fragment) and whose URL's
    fragment gave ``fragment_hashes``."""
    return listed_row(listed_file(entry), url, fragment_hashes)


def listed_row(listed: tuple[Any, ...], url: str | None = None,
               fragment_hashes: Hashes = ()) -> tuple[Any, ...]:
    """:func:`entry_row` of a file kept as :func:`listed_file` keeps it."""
    filename, href, raw_hashes, requires_python, yanked, uploaded, size, metadata = listed
    file_url: str = href if url is None else url
    hashes: Hashes
    raw_hashes = raw_hashes or {}
    if (type(raw_hashes) is dict and len(raw_hashes) == 1
            and type(sha256 := raw_hashes.get("sha256")) is str):
        hashes = (("sha256", sha256.lower()),)  # nearly every file on real indexes
    else:
        hashes = (tuple(sorted((str(k).lower(), str(v).lower())
                               for k, v in raw_hashes.items()
                               if hash_name_pattern().match(str(k).lower())))
                  if isinstance(raw_hashes, dict) else ()) or fragment_hashes
    core_metadata: Hashes | None
    if metadata is False or metadata is None:
        core_metadata = None
    elif isinstance(metadata, dict):
        core_metadata = tuple(sorted((str(k).lower(), str(v).lower())
                                     for k, v in metadata.items()))
    else:
        core_metadata = ()
    return (str(filename or _filename(file_url)), file_url, hashes,
            requires_python or None,
            None if yanked is False or yanked is None else
            (yanked if isinstance(yanked, str) else ""),
            upload_time(uploaded),
            size if isinstance(size, int) else None, core_metadata)


def _filename(url: str) -> str:
    from urllib.parse import unquote

    name = url.partition("?")[0].rpartition("/")[2]
    return unquote(name) if "%" in name else name


#: Day numbers of the dates upload times were read with (see :func:`upload_time`).
_DAYS: dict[str, int | None] = {}
#: Whether ``datetime.fromisoformat`` reads every form :func:`upload_time` is given (from
#: Python 3.11: before, it refuses ``Z`` and fractions of other than 3 or 6 digits); the
#: function once it is used, and how many are read by hand before.
_ISO_READS_ALL = sys.version_info >= (3, 11)
_FROM_ISO: list[Any] = []
_BY_HAND_LEFT = 256


def upload_time(value: object, days: dict[str, int | None] = _DAYS) -> float | None:
    """PEP 700 ``upload-time`` as a POSIX timestamp: what ``datetime.fromisoformat`` gives
    (``Z`` read as ``+00:00``). The first few of PyPI's forms (``2024-01-02T03:04:05.678901Z``,
    without the fraction) are read by hand, without importing :mod:`datetime` (a warm command
    reads a few and uses nothing else of it), each date's day number computed once: the
    result is the float ``datetime.timestamp()`` gives, its microseconds divided as
    ``timedelta.total_seconds()`` divides them. Then, from Python 3.11, ``fromisoformat``,
    five times faster in C (a cold ``--exclude-newer`` resolution reads tens of thousands;
    before 3.11 it refuses ``Z``)."""
    if not isinstance(value, str) or not value:
        return None
    if _ISO_READS_ALL:
        if _FROM_ISO:
            try:
                stamp: float = _FROM_ISO[0](value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return None
            return stamp
        global _BY_HAND_LEFT
        _BY_HAND_LEFT -= 1
        if _BY_HAND_LEFT <= 0:
            from datetime import datetime

            _FROM_ISO.append(datetime.fromisoformat)
    size = len(value)
    if ((size == 20 or (size == 27 and value[19] == ".")) and value[10] == "T"
            and value[19 if size == 20 else 26] == "Z" and value[13] == ":" == value[16]):
        clock = value[11:13] + value[14:16] + value[17:19] + value[20:26]
        if clock.isascii() and clock.isdigit():
            date = value[:10]
            day = days.get(date, -1)
            if day == -1:
                day = days[date] = _day_number(date)
            hour, minute, second = int(clock[:2]), int(clock[2:4]), int(clock[4:6])
            if day is not None and hour < 24 and minute < 60 and second < 60:
                micro = int(clock[6:]) if size == 27 else 0
                return ((day * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000
                        + micro) / 1_000_000
    from datetime import datetime

    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


#: Days in each month of a common year (index 1 to 12).
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _day_number(text: str) -> int | None:
    """Days from 1970-01-01 to the date ``YYYY-MM-DD`` (``None``: not such a date, as
    ``date.fromisoformat`` would refuse it), counted in the proleptic Gregorian calendar as
    :mod:`datetime` counts them."""
    digits = text[:4] + text[5:7] + text[8:10]
    if text[4] != "-" or text[7] != "-" or not (digits.isascii() and digits.isdigit()):
        return None
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= _MONTH_DAYS[month] + (
            month == 2 and leap):
        return None
    # Days before the year, then before the month, as date.toordinal() counts them.
    before = year - 1
    ordinal = before * 365 + before // 4 - before // 100 + before // 400
    ordinal += sum(_MONTH_DAYS[:month]) + (month > 2 and leap) + day
    return ordinal - 719_163


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
