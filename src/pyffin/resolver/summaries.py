"""Usable-versions summaries: what one target can use of a project's pages, kept beside the
first index's page in ``simple-v0`` (``<name>.<hash(target, locations)>.rec``), so a warm
resolve reads a few bytes per project instead of decoding its pages.

A summary is tied to what the pages were read from (see
:meth:`~pyffin.client.registry.RegistryClient.project_dependencies`): each index page asked,
found or not, each find-links location, with the file stamp and HTTP freshness of each. Once one
of them changes, or a page is no longer usable without the network (stale, ``--refresh``), the
summary is ignored. A revalidated page (304) keeps its file — its newer policy is kept apart
(``_revalidated.rec``) — so its summary stays valid. Where a lookup left nothing in a file (an
index that answered 404), no summary is kept. Its key holds everything that decides which
files the target can use: the tags, the binary policy, the upload-time cutoff, the index
locations and strategy, and ``packaging``'s version (whose order the summary's versions are
kept in).
"""

from __future__ import annotations

from _thread import allocate_lock
from binascii import crc32
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pyffin.cache import codec, digest, tags_digest
from pyffin.models.files import ProjectPage, SimplePage
from pyffin.resolver.file_selection import UNKNOWN, SummarizedPage, VersionFiles
from pyffin.resolver.source import SortedCandidates, VersionList

if TYPE_CHECKING:
    from pyffin.cache import CacheEntry
    from pyffin.cache.fs import FileStamp
    from pyffin.client.cached import Dependency
    from pyffin.client.registry import RegistryClient
    from pyffin.models.versions import Version
    from pyffin.resolver.file_selection import FileSelection

#: The usable-versions summary: ``(dependencies, pages, versions, columns, rows, policies)``:
#: what the pages were read from (:data:`~pyffin.client.cached.Dependency` values), each
#: page's ``(source, flat)``; ``versions``, the usable versions' texts (as the pages write
#: them) in ascending order (as ``packaging`` sorts them: a reader bisects them, parsing only
#: the versions it looks at); ``columns``, what every candidate needs, one list per field in
#: the same order: yanked, requires-python, page position, index rank, pre-release; ``rows``,
#: where each version's file row is (see below); and the HTTP policy record of each stored
#: page, by path (to revalidate a stale page without reading it).
#:
#: A version's row — its best file, whether that is a wheel, its stand-in wheel (as
#: :func:`_packed` keeps them) and, for a universal resolution's versions looked at, the
#: filenames of its wheels when its usable files are all wheels (``False`` when they are not,
#: ``None`` when not kept: the forks' platform checks read them, see
#: :meth:`VersionFiles.wheel_filenames`), marshalled — is most of a summary's bytes, and a
#: resolution looks at a few of the thousands a summary lists: the rows are the record's tail
#: (:func:`~pyffin.cache.codec.dump_parts_with_tail`), which a reader leaves unread and reads
#: a row at a time when it looks a version up. ``rows`` is ``(hot, ends, crcs)``: ``hot``, by
#: version position, the rows of the versions the resolution that wrote the summary looked
#: at (the next ones most often look at them again: no read); ``ends``, where each version's
#: row ends in the tail, and ``crcs`` the CRC-32 of each, 4 bytes (little-endian) per version
#: (a hot version's row is empty in the tail). A row that cannot be read as written — its file
#: replaced since, or damaged — is read from the pages instead.
#:
#: A summary of pages that came over the network has no row for the versions not looked at
#: (empty in the tail too): encoding the ten thousand rows of a large set took a cold
#: resolution ~6% of its time, for a tail a warm one seldom reads. The first process that
#: needs one of those rows reads the pages, then writes the summary again with every row
#: (:meth:`Summaries.note`'s ``complete``).
SUMMARY_SCHEMA = "usable-versions"
SUMMARY_VERSION = 12


class StaleSummary:
    """A summary whose pages are unchanged on disk but stale: ``revalidate`` (run it in the
    I/O pool) asks the indexes and says whether ``found`` and ``candidates`` still hold."""

    __slots__ = ("candidates", "found", "revalidate")

    def __init__(self, revalidate: Callable[[], bool], found: Mapping[Version, VersionFiles],
                 candidates: SortedCandidates) -> None:
        self.revalidate = revalidate
        self.found = found
        self.candidates = candidates


class Summaries:
    """The summaries of one target's pages: read when a project is first asked for, written
    (:meth:`save`) for the pages this process had to decode."""

    def __init__(self, registry: RegistryClient, selection: FileSelection) -> None:
        self.registry = registry
        self.selection = selection
        self._lock = allocate_lock()
        #: Held by :meth:`save` while it writes.
        self._saving = allocate_lock()
        #: Summaries to write (see :meth:`save`): entry, what the pages were read from,
        #: usable versions and their candidates, whether with every version's row.
        self._unsaved: list[tuple[CacheEntry, list[Dependency],
                                  Mapping[Version, VersionFiles], SortedCandidates, bool]] = []
        self._target_key: str | None = None
        self._keys: dict[tuple[bool, bool, float | None, str | None], str] = {}
        import time

        #: When this target's resolution began: local files summarized must have settled
        #: before (see :meth:`save`).
        self._started_ns = time.time_ns()

    def _entry(self, name: str) -> CacheEntry:
        """The summary entry of ``name`` for this target and these index locations."""
        selection = self.selection
        if self._target_key is None:
            from packaging import __version__ as packaging_version

            locations = self.registry.locations
            target = (f"universal {selection.universal}" if selection.universal
                      else f"tags {tags_digest(selection.tags)}")
            # The format's version too: a later format never meets an earlier one's file.
            self._target_key = digest("\n".join([
                f"v{SUMMARY_VERSION}", packaging_version, repr(locations.indexes()),
                locations.strategy,
                repr(locations.find_links), target]
                + ([] if locations.torch is None else [repr(locations.torch.urls)])))
        # Most projects share their binary policy and cutoff: one digest for each distinct one.
        policy = (selection.binary.wheels_allowed(name), selection.binary.sdists_allowed(name),
                  selection.cutoff(name), selection.kept_version(name))
        key = self._keys.get(policy)
        if key is None:
            wheels, sdists, cutoff, kept = policy
            # (An installed version allowed beyond the binary options: only then in the key.)
            key = self._keys[policy] = digest(f"{self._target_key}|{wheels}|{sdists}|{cutoff}"
                                              + ("" if kept is None else f"|kept {kept}"))
        return self.registry.derived_entry(name, key)

    def read(self, name: str, load: Callable[[Version], VersionFiles]
             ) -> tuple[Mapping[Version, VersionFiles], SortedCandidates] | StaleSummary | None:
        """The usable versions (and their candidates) from this target's summary of the pages,
        when what they were read from is unchanged and usable without the network; a
        :class:`StaleSummary` when it is unchanged but some index page must be revalidated.
        ``load`` gives a version's files from the decoded pages, once all of them are
        needed."""
        if not self.registry.locations.indexes() and not self.registry.locations.find_links:
            return None
        entry = self._entry(name)
        if not self.registry.may_be_cached(entry.dir):
            return None
        stored = entry.read_head_record(
            codec.head_length, lambda data: codec.loads_head(data, SUMMARY_SCHEMA, SUMMARY_VERSION))
        if stored is None:
            return None
        (stored_payload, tail_start), stamp = stored
        payload: Any = stored_payload
        try:
            dependencies, sources, texts, columns, (hot, ends, crcs), policies = payload
            yanked, requires_python, _, ranks, prerelease = columns
        except (TypeError, ValueError):  # a damaged record is a miss, like any other
            return None
        if not isinstance(texts, list) or any(
                not isinstance(column, list) or len(column) != len(texts) for column in columns
        ) or not isinstance(hot, dict) or any(
                not isinstance(column, bytes) or len(column) != 4 * len(texts)
                for column in (ends, crcs)):
            return None
        revalidate = None
        if not self.registry.holds(dependencies, name, policies):
            # Only stale? Then whether it holds is a few conditional requests away.
            revalidate = self.registry.revalidation(name, dependencies, policies)
            if revalidate is None:
                return None
        pages = [SummarizedPage(ProjectPage(source, SimplePage(name, {}), flat), load)
                 for source, flat in sources]
        versions = VersionList(texts)
        candidates = SortedCandidates(versions, yanked, requires_python, ranks, prerelease)
        rows = _Rows(entry, stamp, tail_start, hot, ends, crcs)
        found = SummarizedVersions(versions, columns, rows, pages)
        if revalidate is not None:
            return StaleSummary(revalidate, found, candidates)
        return found, candidates

    def note(self, name: str, found: Mapping[Version, VersionFiles],
             candidates: SortedCandidates, *, complete: bool) -> None:
        """``found`` are the usable versions of ``name``'s pages, decoded by this process, in
        ascending order (as :meth:`FileSelection.usable_versions` gives them), and
        ``candidates`` theirs: to summarize (:meth:`save`) if what the pages came from is
        known. ``complete``: with the row of every version, not only of those looked at."""
        dependencies = self.registry.project_dependencies(name)
        if dependencies is not None:
            with self._lock:
                self._unsaved.append((self._entry(name), dependencies, found, candidates,
                                      complete))

    def save(self) -> None:
        """Keep what this target can use of each page noted since the last call next to the
        page, tied to the page file it came from and its policy: a warm resolve then reads a
        few bytes per project instead of decoding its page.

        Called by the pool thread that noted a page, and once the resolution is over for the
        rest: one call at a time, so that the last one also waits for a pool thread's that is
        under way (the command may end right after: its summary would be lost)."""
        with self._saving:
            self._save()

    def _save(self) -> None:
        import marshal

        from pyffin.stamps import settled, stamp

        with self._lock:
            unsaved, self._unsaved = self._unsaved, []
        if not unsaved:
            return
        # Pages were read, so this is imported already.
        from pyffin.resolver.page_versions import PageVersions

        stand_in_row = self.selection.stand_in_row
        stand_in_of = self.selection.stand_in_of
        universal = self.selection.universal is not None
        dumps = marshal.dumps
        for entry, dependencies, found, candidates, complete in unsaved:
            # A local directory or page changed within a tick of its clock before it was read
            # could change again unseen ("racily clean"): summarized once it has settled.
            if not all(settled(stamp(path), self._started_ns)
                       for path, _, fresh_until, _ in dependencies if fresh_until is None):
                continue
            # The candidates' columns are the summary's: only the rows are made here, in the
            # form the page keeps them (a file tuple is made for the versions looked up).
            positions: dict[tuple[str, bool], int] = {}
            where: list[int] = []
            hot: dict[int, bytes] = {}
            tail: list[bytes] = []
            ends = bytearray()
            crcs = bytearray()
            end = 0
            last_page: Any = None
            position = 0
            if isinstance(found, PageVersions):  # no version's files made for this
                rows: Iterable[tuple[Any, bool, Any, VersionFiles | None, Any]] = (
                    found.best_rows())
                texts = found.texts
            else:
                rows = ((*files.best_row, files, None) for files in found.values())
                texts = [str(version) if files.text is None else files.text
                         for version, files in found.items()]
            for i, (page, is_wheel, row, files, wheels) in enumerate(rows):
                if page is not last_page:  # versions of one page come one after another
                    at = (page.source, page.flat)
                    position = positions.setdefault(at, len(positions))
                    last_page = page
                where.append(position)
                if files is None and not complete:  # no row: read from the pages if asked
                    ends += end.to_bytes(4, "little")
                    crcs += b"\0\0\0\0"
                    continue
                stand_in = None
                filenames: Any = None
                if files is not None:
                    if universal:
                        known = files.known_wheel_filenames()
                        filenames = False if known is None else (
                            None if known is UNKNOWN else known)
                    # A file this resolution looked at (a later one will again, most often)
                    # is kept as its file tuple, read as is; the others as listed.
                    made = files.best_made
                    if made is not None and made.file is not None:
                        row = made.file.to_tuple()
                    if files.others is not None:
                        stand_in = stand_in_row(files)
                elif wheels is not None:
                    stand_in = stand_in_of(wheels)
                # _packed inline: this loop sees every usable version.
                packed = (row[0], row[-1]) if len(row) < 8 else row[:8]
                data = dumps((packed, is_wheel, None if stand_in is None else _packed(stand_in),
                              filenames))
                if files is not None:
                    hot[i] = data
                    crcs += b"\0\0\0\0"
                else:
                    tail.append(data)
                    end += len(data)
                    crcs += crc32(data).to_bytes(4, "little")
                ends += end.to_bytes(4, "little")
            columns = (candidates.yanked, candidates.requires_python, where,
                       candidates.index_ranks, candidates.prerelease)
            entry.write(codec.dump_parts_with_tail(
                SUMMARY_SCHEMA, SUMMARY_VERSION,
                (dependencies, list(positions), texts, columns, (hot, bytes(ends), bytes(crcs)),
                 self.registry.page_policies(dependencies)),
                b"".join(tail)))


class _Rows:
    """The rows of one summary's versions: its hot ones, and where the others are in the
    record's tail (see :data:`SUMMARY_SCHEMA`), read one at a time from the file the record
    was read from."""

    __slots__ = ("_crcs", "_ends", "_entry", "_hot", "_stamp", "_start")

    def __init__(self, entry: CacheEntry, stamp: FileStamp, start: int, hot: dict[int, bytes],
                 ends: bytes, crcs: bytes) -> None:
        self._entry = entry
        self._stamp = stamp
        self._start = start
        self._hot = hot
        self._ends = ends
        self._crcs = crcs

    def get(self, i: int) -> bytes | None:
        """Version ``i``'s row; ``None`` when it cannot be read as written."""
        row = self._hot.get(i)
        if row is not None:
            return row
        ends = self._ends
        start = int.from_bytes(ends[4 * i - 4:4 * i], "little") if i else 0
        end = int.from_bytes(ends[4 * i:4 * i + 4], "little")
        if end <= start:
            return None
        row = self._entry.read_piece(self._start + start, end - start, self._stamp)
        if row is None or crc32(row) != int.from_bytes(self._crcs[4 * i:4 * i + 4], "little"):
            return None
        return row


class SummarizedVersions(Mapping["Version", VersionFiles]):
    """The usable versions of one summary, each made a :class:`VersionFiles` when first looked
    up: a resolution looks at the files of a few of the thousands of versions summaries list,
    so none is built (nor hashed into a dict) before it is asked for."""

    __slots__ = ("_columns", "_made", "_pages", "_rows", "_versions")

    def __init__(self, versions: VersionList, columns: tuple[list[Any], ...], rows: _Rows,
                 pages: list[SummarizedPage]) -> None:
        #: Ascending, as the summary keeps them: looked up by bisection.
        self._versions = versions
        self._columns = columns
        self._rows = rows
        self._pages = pages
        self._made: dict[int, VersionFiles] = {}

    def __getitem__(self, version: Version) -> VersionFiles:
        i = self._versions.position(version)
        if i is None:
            raise KeyError(version)
        made = self._made.get(i)
        if made is None:
            yanked, requires_python, position, rank, _ = (column[i] for column in self._columns)
            row = self._rows.get(i)
            unpacked: Any = None
            if row is not None:
                import marshal

                try:
                    unpacked = marshal.loads(row)
                except (EOFError, ValueError, TypeError):
                    unpacked = None
            if type(unpacked) is not tuple or len(unpacked) != 4:
                # The file was replaced since, or is damaged: the pages.
                made = self._pages[position].load(version)
            else:
                best, is_wheel, stand_in, filenames = unpacked
                best = _unpacked(best, is_wheel)
                if stand_in is not None:
                    stand_in = _unpacked(stand_in, True)
                made = VersionFiles.summarized(
                    (yanked, requires_python, best, is_wheel, stand_in), version,
                    self._pages[position],
                    UNKNOWN if filenames is None else (filenames or None))
                made.index_rank = rank
            self._made[i] = made
        return made

    @property
    def versions(self) -> VersionList:
        """The versions, ascending."""
        return self._versions

    def __iter__(self) -> Iterator[Version]:
        return iter(self._versions)

    def __reversed__(self) -> Iterator[Version]:
        return reversed(self._versions)

    def __len__(self) -> int:
        return len(self._versions)


def _packed(row: Any) -> Any:
    """A file of a page (either form, see :class:`~pyffin.models.files.SimplePage`) as a
    summary keeps it: a listed one as its listed values
    (:func:`~pyffin.models.files.listed_file`) and base, a file tuple as is."""
    if len(row) < 8:  # (listed, base) or (listed, tags, build, base)
        return row[0], row[-1]
    return row[:8]


def _unpacked(row: Any, is_wheel: bool) -> Any:
    """A file as :func:`_packed` kept it, in a form the page keeps files in (a wheel's tags
    left out: a summary's rows are read for their file only)."""
    if len(row) != 2:
        return row
    listed, base = row
    return (listed, (), "", base) if is_wheel else (listed, base)
