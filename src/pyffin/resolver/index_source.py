"""``IndexSource``: the :class:`~pyffin.resolver.source.PackageSource` backed by the registry
client — package indexes and find-links, for one target environment.

It decides which files of a version the target can use (wheel tags, ``--only-binary``,
``--no-binary``, ``--no-build``, ``--exclude-newer``), which one is best (the wheel whose tag the
target prefers most, else the sdist), and fetches that version's metadata, in the I/O thread
pool when the solver hints that it will need it.

Metadata comes without building whenever it can, in uv's order: the ``.metadata`` file (PEP 658,
else a range read) of the best wheel; for a version the target installs from its sdist, that of
a wheel for another Python or platform (a *stand-in*: by the spec's intent every file of a
version has the same metadata, as uv assumes); then the sdist's static metadata, its backend's
``prepare_metadata_for_build_wheel`` hook, and only then a build (see
:class:`~pyffin.distribution.sdist.SourceDistributions`). A prefetch (a version the solver has
not chosen yet) fetches only wheel metadata: it never downloads or builds an sdist, and what
fails is kept in its future, raised only if the solver asks for that version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pyffin import log
from pyffin.cache import codec, digest
from pyffin.client import registry as registry_module
from pyffin.errors import NotSupportedError, PyffinError
from pyffin.futures import Future
from pyffin.models.dist import Distribution
from pyffin.models.format_control import ALL, BinaryPolicy
from pyffin.models.names import checked_name
from pyffin.resolver.errors import PackageNotFoundError
from pyffin.resolver.source import Candidate

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from pyffin.cache import CacheEntry
    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.models.direct import DirectSource
    from pyffin.models.files import ProjectPage
    from pyffin.models.metadata import CoreMetadata
    from pyffin.reporting import Reporter
    from pyffin.resolver.source import Dropped


class VersionFiles:
    """What one version offers the target: its usable files, best first.

    Kept as the page's raw rows (see :class:`~pyffin.models.files.SimplePage`) and turned into
    :class:`Distribution` objects only when asked: a resolution looks at every version of every
    project (tens of thousands of files for some) but at the files of very few. Read from a
    summary (see :meth:`IndexSource.versions`), a version knows only its best file until all
    of them are needed.
    """

    __slots__ = ("_best", "_from", "_rows", "_usable", "_version", "index_rank", "others",
                 "stand_in_row", "summary")

    def __init__(self, rows: list[tuple[ProjectPage, bool, Any]]) -> None:
        #: ``(page, is_wheel, row)``, best first.
        self._rows = rows
        self._best: Distribution | None = None
        self._usable: tuple[Distribution, ...] | None = None
        #: From a cached summary: ``(yanked, requires_python, best file's row, best is a
        #: wheel, stand-in row)``; the other rows come from ``_from`` when they are needed.
        self.summary: Summary | None = None
        self._from: _SummarizedPage | None = None
        self._version: Version | None = None
        #: When the best file is an sdist: the page and rows of the version's wheels the
        #: target cannot install, one of which may lend its metadata (see
        #: :meth:`IndexSource.stand_in`).
        self.others: tuple[ProjectPage, list[Any]] | None = None
        #: The chosen stand-in wheel's row (``None``: none), once known.
        self.stand_in_row: Any = _UNKNOWN
        #: See :attr:`~pyffin.resolver.source.Candidate.index_rank`.
        self.index_rank = 0

    @classmethod
    def summarized(cls, summary: Summary, version: Version,
                   page: _SummarizedPage) -> VersionFiles:
        """Files known by their summary: the page is read only when every file is needed."""
        files = cls([])
        files.summary = summary
        files._version = version
        files._from = page
        files.others = (page.page, [])
        files.stand_in_row = summary[4]
        return files

    @classmethod
    def of(cls, dist: Distribution) -> VersionFiles:
        """The files of a version that is one distribution (a direct reference)."""
        files = cls([])
        files._best = dist
        files._usable = (dist,)
        return files

    @property
    def best(self) -> Distribution:
        if self._best is None:
            if self.summary is not None and self._from is not None:
                self._best = _distribution(self._from.page, self.summary[3], self.summary[2])
            else:
                page, is_wheel, row = self._rows[0]
                self._best = _distribution(page, is_wheel, row)
        return self._best

    @property
    def usable(self) -> tuple[Distribution, ...]:
        if self._usable is None:
            if self._from is not None:
                assert self._version is not None
                self._rows = self._from.load(self._version)._rows
                self._from = None
            self._usable = tuple(_distribution(p, w, row) for p, w, row in self._rows)
        return self._usable

    @property
    def yanked(self) -> bool:
        """PEP 592: every usable file is yanked."""
        if self.summary is not None:
            return self.summary[0]
        if not self._rows:
            return False
        return all(row[4] is not None for _, _, row in self._rows)

    @property
    def requires_python(self) -> str | None:
        """The index's Requires-Python of the best file."""
        if self.summary is not None:
            return self.summary[1]
        return self._rows[0][2][3] if self._rows else None

    def summarize(self, stand_in: tuple[Any, ...] | None) -> Summary:
        _page, is_wheel, row = self._rows[0]
        return (self.yanked, self.requires_python, tuple(row[:8]), is_wheel, stand_in)


#: A version as a summary keeps it: ``(yanked, requires_python, best file's row (see
#: :meth:`~pyffin.models.files.IndexFile.from_tuple`), best is a wheel, the stand-in wheel's
#: row or None)``.
Summary = tuple[bool, "str | None", tuple[Any, ...], bool, "tuple[Any, ...] | None"]

#: :attr:`VersionFiles.stand_in_row` not looked for yet.
_UNKNOWN: Any = object()


class _SummarizedPage:
    """What the versions read from one summary share: a stand-in for the page (distributions
    use only its source and project name) and how to read the real one."""

    __slots__ = ("load", "page")

    def __init__(self, page: ProjectPage, load: Callable[[Version], VersionFiles]) -> None:
        self.page = page
        self.load = load


#: The usable-versions summary: ``(page stamp, page cache policy, rows, versions)``, a row
#: being ``(version, *Summary)`` in ascending version order and ``versions`` those versions as
#: pickled ``Version`` objects with their sort keys computed: unpickling them is several times
#: cheaper than parsing (the summary's key includes packaging's version, whose objects they are).
_SUMMARY_SCHEMA = "usable-versions"
_SUMMARY_VERSION = 4


def _distribution(page: ProjectPage, is_wheel: bool, row: Any) -> Distribution:
    from pyffin.models.files import IndexFile

    return Distribution(page, IndexFile.from_tuple(row[:8]), is_wheel)


class IndexSource:
    """Candidates and metadata from a :class:`RegistryClient` for one target."""

    def __init__(
        self,
        registry: RegistryClient,
        *,
        tags: Sequence[str],
        binary: BinaryPolicy | None = None,
        exclude_newer: float | None = None,
        sources: SourceDistributions | None = None,
        editables: Iterable[str] = (),
        no_deps: bool = False,
        exclude_newer_packages: Mapping[str, float | None] | None = None,
        summaries: bool = True,
        reporter: Reporter | None = None,
        universal: tuple[int, ...] | None = None,
    ) -> None:
        self.registry = registry
        #: ``--universal``: the lowest Python (``(3, 9)``) of requires-python. Every wheel a
        #: Python of it or later may use counts, whatever the platform (see
        #: :func:`universal_wheel`), and ``tags`` are not used.
        self.universal = universal
        self._universal_tags: dict[str, bool] = {}
        #: Hears how many packages the resolution has looked at (see :meth:`metadata`).
        self.reporter = reporter
        self._reported: set[str] = set()
        #: Tag → priority (lower is preferred), in the target's order.
        self._tag_rank = {tag: i for i, tag in enumerate(tags)}
        self.binary = binary or BinaryPolicy()
        self.exclude_newer = exclude_newer
        #: ``--exclude-newer-package``: normalized name -> its own cutoff (``None``: none).
        self.exclude_newer_packages = exclude_newer_packages or {}
        #: Whether usable-versions summaries are read and written (not for a cutoff that
        #: moves with the clock: each run would write summaries no later run reads).
        self.summaries = summaries
        #: Builds metadata and wheels of sdists and direct sources; ``None``: not supported.
        self.sources = sources
        #: Direct references (URLs, as the requirements give them) to install as editable.
        self.editables = frozenset(editables)
        #: Direct references pinned with :meth:`pin_url`, by name.
        self.pinned: dict[str, Distribution] = {}
        #: ``--no-deps`` / ``pip sync``: versions are chosen for the requirements alone.
        self.no_deps = no_deps
        self._lock = threading.Lock()
        self._versions: dict[str, dict[Version, VersionFiles]] = {}
        self._full: dict[str, dict[Version, VersionFiles]] = {}
        self._summary_tried: set[str] = set()
        #: Candidates made with a summary's versions, ascending.
        self._candidates: dict[str, list[Candidate]] = {}
        #: Summaries to write (see :meth:`save_summaries`): entry, page stamp, page policy
        #: record, usable versions.
        self._unsaved: list[tuple[CacheEntry, Any, Any, dict[Version, VersionFiles]]] = []
        self._target_key: str | None = None
        #: Metadata asked for (or known), by version: a failure is kept like a result.
        self._metadata_futures: dict[tuple[str, Version], Future[CoreMetadata]] = {}
        #: Wheel metadata fetches started by :meth:`prefetch`.
        self._prefetched: dict[tuple[str, Version], Future[CoreMetadata]] = {}
        #: Versions :meth:`prefetch` left alone (only their sdist could tell: no download or
        #: build on speculation); there is nothing to wait for.
        self._declined: set[tuple[str, Version]] = set()
        #: Tag → how near it comes to the target (see :meth:`_affinity`).
        self._affinities: dict[str, int] = {}
        self._pythons: frozenset[str] | None = None
        self._python_abis: frozenset[tuple[str, str]] = frozenset()
        #: Versions left out for want of a usable file, by name (see :meth:`dropped`).
        self._dropped: dict[str, list[Dropped]] = {}

    # ---------------------------------------------------------------- PackageSource protocol
    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        if self.reporter is not None and not self._reported:
            self.reporter.on_resolve_progress(0)  # the resolution starts
        if self._from_summary(name):
            made = self._candidates.get(name)
            if made is not None:
                return made
        return [
            Candidate(version, yanked=files.yanked, requires_python=files.requires_python,
                      index_rank=files.index_rank)
            for version, files in self.versions(name).items()
        ]

    def pin_url(self, name: NormalizedName, url: str) -> None:
        """Make the distribution at ``url`` the only candidate of ``name``: its metadata is
        read (or built) now, to learn its version."""
        from packaging.version import InvalidVersion, Version

        from pyffin.models.direct import parse_direct
        from pyffin.models.metadata import MetadataError

        direct = parse_direct(url, editable=url in self.editables)
        dist = _direct_distribution(name, direct)
        metadata = self._direct_metadata(dist)
        if checked_name(metadata.name) != name:
            raise MetadataError(f"{_shown(url)} is {metadata.name} {metadata.version}, not "
                                f"{name}")
        try:
            version = Version(metadata.version)
        except InvalidVersion:
            raise MetadataError(f"{_shown(url)} has an invalid version "
                                f"{metadata.version!r}") from None
        done = Future.of(metadata)
        with self._lock:
            self.pinned[name] = dist
            self._versions[name] = {version: VersionFiles.of(dist)}
            self._metadata_futures[(name, version)] = done

    def metadata(self, name: NormalizedName, version: Version) -> CoreMetadata:
        if self.reporter is not None and name not in self._reported:
            self._reported.add(name)
            self.reporter.on_resolve_progress(len(self._reported))
        key = (name, version)
        future = self._metadata_futures.get(key)
        if future is None:
            future = Future()
            try:
                future.set_result(self._read_metadata(name, version))
            except Exception as e:  # kept: asking again gives the same answer (Ctrl-C is not)
                future.set_exception(e)
            with self._lock:
                future = self._metadata_futures.setdefault(key, future)
        metadata = future.result()
        if self.no_deps:
            from pyffin.records import replace

            return replace(metadata, requires_dist=())
        return metadata

    def prefetch_candidates(self, name: NormalizedName) -> None:
        if not self._from_summary(name):
            self.registry.prefetch_project(name)

    def prefetch(self, name: NormalizedName, version: Version) -> None:
        """Start fetching the metadata of a version the solver will probably choose, if a
        wheel's metadata tells it (that of the best wheel, else of a stand-in): in the I/O
        pool, its failure kept for :meth:`metadata`. An sdist-only version is answered from
        the cache or left for :meth:`metadata`: speculation never downloads or builds one."""
        key = (name, version)
        if (name not in self._versions or key in self._metadata_futures
                or key in self._prefetched or key in self._declined):
            return
        files = self._versions[name].get(version)
        if files is None:
            return
        best = files.best
        wheel = best if best.is_wheel else self.stand_in(files)
        if wheel is not None:
            assert wheel.page is not None and wheel.file is not None
            future = self.registry.prefetch_wheel_metadata(wheel.page, wheel.file)
            with self._lock:
                self._prefetched.setdefault(key, future)
            return
        cached = None
        if self.sources is not None and best.direct is None:
            assert best.page is not None and best.file is not None
            cached = self.sources.cached_registry_metadata(best.page, best.file)
        with self._lock:
            if cached is not None:
                self._metadata_futures.setdefault(key, Future.of(cached))
            else:
                self._declined.add(key)

    def is_ready(self, name: NormalizedName, version: Version | None) -> bool:
        if version is None:
            return (name in self._versions or self._from_summary(name)
                    or self.registry.prefetch_project(name).done())
        key = (name, version)
        future = self._metadata_futures.get(key) or self._prefetched.get(key)
        if future is not None:
            return future.done()
        # Nothing in flight would make it sooner: waiting for more would not help.
        return key in self._declined

    # ------------------------------------------------------------------------ the rest
    def versions(self, name: str) -> dict[Version, VersionFiles]:
        """Every usable version of ``name`` with its files (memoized)."""
        found = self._versions.get(name)
        if found is None:
            if self._from_summary(name):
                return self._versions[name]
            found = self._versions_from_pages(name)
            with self._lock:
                found = self._versions.setdefault(name, found)
        return found

    def _from_summary(self, name: str) -> bool:
        """Whether ``name``'s versions are known now from this target's summary, which is
        asked once per project: with one, its page need not be fetched or decoded."""
        if name in self._versions:
            return True
        if name in self._summary_tried:
            return False
        self._summary_tried.add(name)
        summarized = self._summarized_versions(name)
        if summarized is None:
            return False
        found, candidates = summarized
        with self._lock:
            if self._versions.setdefault(name, found) is found:
                self._candidates[name] = candidates
        return True

    def _versions_from_pages(self, name: str) -> dict[Version, VersionFiles]:
        found = self._full_versions(name)
        entries = self._summary_entries(name)
        seen = None if entries is None else self.registry.cached.seen.get(entries[1].path_str)
        if entries is not None and seen is not None:
            policy, stamp = seen
            with self._lock:
                self._unsaved.append((entries[2], stamp, policy.to_record(), found))
        return found

    def resolution_done(self) -> None:
        if self.reporter is not None:
            self.reporter.on_resolve_done()
        self.save_summaries()

    def save_summaries(self) -> None:
        """Keep what this target can use of each page read since the last call next to the
        page, tied to the page file it came from and its policy: a warm resolve then reads a
        few bytes per project instead of decoding its page.

        Called once the resolution is over: while pages are still being fetched and parsed in
        the I/O threads, each write would wait for the GIL at every system call."""
        import pickle

        with self._lock:
            unsaved, self._unsaved = self._unsaved, []
        for entry, stamp, policy, found in unsaved:
            versions = sorted(found)
            for version in versions:
                hash(version)  # computes the sort key, which is pickled with the version
            rows = []
            for version in versions:
                files = found[version]
                stand_in = self.stand_in_row(files)
                rows.append((str(version), *files.summarize(
                    None if stand_in is None else tuple(stand_in[:8]))))
            entry.write(codec.dumps(
                _SUMMARY_SCHEMA, _SUMMARY_VERSION,
                (stamp, policy, rows, pickle.dumps(versions, protocol=5))))

    def _full_versions(self, name: str) -> dict[Version, VersionFiles]:
        """The usable versions from the decoded pages (memoized)."""
        full = self._full.get(name)
        if full is None:
            try:
                pages = self.registry.project(name)
            except registry_module.PackageNotFoundError as e:
                asked = ", ".join(e.sources)
                detail = (f"not found on {_redacted(asked)}" if asked
                          else "no index was asked (--no-index without --find-links)")
                raise PackageNotFoundError(name, detail) from None
            full = self._full[name] = self._usable_versions(name, pages)
        return full

    def cutoff(self, name: str) -> float | None:
        """The upload-time cutoff for ``name``'s files (``None``: none)."""
        packages = self.exclude_newer_packages
        return packages.get(name, self.exclude_newer)

    def _summary_entries(self, name: str) -> tuple[str, CacheEntry, CacheEntry] | None:
        """The index, page entry and summary entry of ``name`` for this target, when one page
        is the whole story."""
        if not self.summaries:
            return None
        single = self.registry.single_page_entry(name)
        if single is None:
            return None
        index, page_entry = single
        if self._target_key is None:
            from packaging import __version__ as packaging_version

            target = [f"universal {self.universal}"] if self.universal else list(self._tag_rank)
            self._target_key = digest("\n".join([packaging_version, *target]))
        key = digest(f"{self._target_key}|{self.binary.wheels_allowed(name)}|"
                     f"{self.binary.sdists_allowed(name)}|{self.cutoff(name)}")
        return index, page_entry, page_entry.with_name(f"{name}.{key}.rec")

    def _summarized_versions(self, name: str
                             ) -> tuple[dict[Version, VersionFiles], list[Candidate]] | None:
        """The usable versions (and their candidates) from this target's summary of the page,
        when it still describes the page file and the page is usable without the network."""
        entries = self._summary_entries(name)
        if entries is None:
            return None
        index, page_entry, summary_entry = entries
        stored = self.registry.cache.read_record(
            summary_entry,
            lambda data: codec.loads(data, _SUMMARY_SCHEMA, _SUMMARY_VERSION))
        if stored is None:
            return None
        stored_tuple: Any = stored
        stamp, policy_data, rows, pickled = stored_tuple
        if tuple(stamp) != page_entry.stamp():
            return None
        from pyffin.client.policy import CachePolicy

        if not self.registry.cached.usable_without_network(
                CachePolicy.from_record(tuple(policy_data)), name):
            return None
        import pickle

        from pyffin.models.files import ProjectPage, SimplePage

        try:
            versions = pickle.loads(pickled)
        except Exception:  # a damaged record is a miss, like any other
            return None
        if not isinstance(versions, list) or len(versions) != len(rows):
            return None

        def load(version: Version) -> VersionFiles:
            return self._full_versions(name)[version]

        page = _SummarizedPage(ProjectPage(index, SimplePage(name, {})), load)
        found: dict[Version, VersionFiles] = {}
        candidates: list[Candidate] = []
        summarized = VersionFiles.summarized
        for version, (_, yanked, requires_python, best, is_wheel, stand_in) in zip(
                versions, rows, strict=True):
            found[version] = summarized((yanked, requires_python, best, is_wheel, stand_in),
                                        version, page)
            candidates.append(Candidate(version, yanked=yanked, requires_python=requires_python))
        return found, candidates

    def files(self, name: str, version: Version) -> VersionFiles:
        return self.versions(name)[version]

    def wheel_filenames(self, name: NormalizedName, version: Version) -> Sequence[str] | None:
        """The filenames of a version's usable files when they are all wheels (see
        :meth:`~pyffin.resolver.source.PackageSource.wheel_filenames`)."""
        filenames = []
        for dist in self.files(name, version).usable:
            if not dist.is_wheel or dist.file is None or dist.direct is not None:
                return None
            filenames.append(dist.file.filename)
        return filenames

    def release_files(self, name: str, version: Version) -> list[Distribution]:
        """Every file of a pinned version on the page that offers it, whatever the target
        (other platforms and Pythons, yanked files, those ``--only-binary`` / ``--no-binary``
        leave out), but not those uploaded after the ``--exclude-newer`` cutoff: what uv
        hashes for ``--generate-hashes``. A direct reference is its one file."""
        files = self.files(name, version)
        best = files.best
        if best.page is None:
            return [best]
        page = files.usable[0].page  # usable files have their page
        assert page is not None
        rows = page.page.versions.get(str(version))
        if rows is None:  # not the key the page grouped it under: look for it
            from packaging.version import InvalidVersion, Version

            for key, found in page.page.versions.items():
                try:
                    if Version(key) == version:
                        rows = found
                        break
                except InvalidVersion:
                    continue
        if rows is None:
            return list(files.usable)
        cutoff = self.cutoff(name)
        wheels, sdists = rows
        return [_distribution(page, is_wheel, row)
                for is_wheel, group in ((True, wheels), (False, sdists)) for row in group
                if cutoff is None or row[5] is None or row[5] <= cutoff]

    def _usable_versions(self, name: str, pages: Iterable[ProjectPage]
                         ) -> dict[Version, VersionFiles]:
        """The versions the target can use, from the pages' raw rows (no objects per file:
        this loop sees every file of every version)."""
        from packaging.version import InvalidVersion, Version

        wheels_ok = self.binary.wheels_allowed(name)
        sdists_ok = self.binary.sdists_allowed(name)
        rank = self._tag_rank
        no_wheel = len(rank) + 1
        universal = self.universal is not None
        cutoff = self.cutoff(name)
        result: dict[Version, VersionFiles] = {}
        seen: set[str] = set()
        first_match = self.registry.locations.strategy == "unsafe-first-match"
        positions: dict[str, int] = {}
        ranked_files: list[tuple[str, VersionFiles]] = []
        index_pages = 0
        for page in pages:
            if first_match:
                # A version's index: the first index page offering it; find-links count as
                # the first index (uv merges them into every index's versions).
                position = 0 if page.flat else index_pages
                if not page.flat:
                    index_pages += 1
                for version_str in page.page.versions:
                    known = positions.get(version_str)
                    if known is None or position < known:
                        positions[version_str] = position
            for version_str, (wheel_rows, sdist_rows) in page.page.versions.items():
                if version_str in seen:
                    continue  # the first page that offers a version wins it (index priority)
                ranked: list[tuple[int, bool, Any]] = []
                if wheels_ok:
                    for row in wheel_rows:
                        best = no_wheel
                        if universal:
                            if any(self._universal_tag(tag) for tag in row[8]):
                                best = 0
                        else:
                            for tag in row[8]:
                                tag_rank = rank.get(tag)
                                if tag_rank is not None and tag_rank < best:
                                    best = tag_rank
                        if best < no_wheel and not (cutoff is not None and row[5] is not None
                                                    and row[5] > cutoff):
                            ranked.append((best, True, row))
                if sdists_ok:
                    for row in sdist_rows:
                        if not (cutoff is not None and row[5] is not None and row[5] > cutoff):
                            ranked.append((no_wheel, False, row))
                if not ranked:
                    self._note_dropped(name, version_str, wheel_rows, sdist_rows, wheels_ok,
                                       sdists_ok)
                    continue
                try:
                    version = Version(version_str)
                except InvalidVersion:
                    log.debug(f"Skipping {name} {version_str}: not a valid version")
                    continue
                seen.add(version_str)
                ranked.sort(key=lambda item: (item[0], item[2][4] is not None))
                files = result[version] = VersionFiles([(page, w, row) for _, w, row in ranked])
                if not ranked[0][1] and wheel_rows:
                    files.others = (page, wheel_rows)
                if first_match:
                    ranked_files.append((version_str, files))
        for version_str, files in ranked_files:
            files.index_rank = positions[version_str]
        return result

    def _universal_tag(self, tag: str) -> bool:
        fits = self._universal_tags.get(tag)
        if fits is None:
            assert self.universal is not None
            fits = self._universal_tags[tag] = universal_wheel(tag, self.universal)
        return fits

    def dropped(self, name: NormalizedName) -> Sequence[Dropped]:
        if name in self.pinned:
            return ()
        try:
            usable = self._full_versions(name)
        except PackageNotFoundError:
            return ()
        # A version another index offers usable files of is not dropped.
        return [d for d in self._dropped.get(name, ()) if d.version not in usable]

    def _note_dropped(self, name: str, version_str: str, wheel_rows: Sequence[Any],
                      sdist_rows: Sequence[Any], wheels_ok: bool, sdists_ok: bool) -> None:
        """Remember why no file of a version is usable, for explanations (files past
        ``--exclude-newer`` do not count: such a version is as good as absent, as in uv)."""
        from packaging.version import InvalidVersion, Version

        from pyffin.resolver.source import Dropped

        cutoff = self.cutoff(name)

        def current(rows: Sequence[Any]) -> list[Any]:
            return [row for row in rows
                    if cutoff is None or row[5] is None or row[5] <= cutoff]

        wheels, sdists = current(wheel_rows), current(sdist_rows)
        try:
            version = Version(version_str)
        except InvalidVersion:
            return
        if wheels and wheels_ok:
            dropped = self._tag_mismatch(version, [tag for row in wheels for tag in row[8]])
        elif wheels and not sdists:
            binary = self.binary
            option = f"--no-binary {name}" if name in binary.no_binary else f"--no-binary {ALL}"
            dropped = Dropped(version, "no-binary", expected=option)
        elif sdists and not sdists_ok:
            binary = self.binary
            option = ("--no-build" if binary.no_build else f"--only-binary {name}"
                      if name in binary.only_binary else f"--only-binary {ALL}")
            dropped = Dropped(version, "no-build", expected=option)
        else:
            return
        self._dropped.setdefault(name, []).append(dropped)

    def _tag_mismatch(self, version: Version, tags: Sequence[str]) -> Dropped:
        """What the closest of a version's wheel tags lacks for the target (uv's order:
        Python implementation tag, then ABI tag, then platform tag)."""
        from pyffin.resolver.source import Dropped

        target = [tag.split("-") for tag in self._tag_rank]
        pythons = {python for python, _, _ in target}
        pairs = {(python, abi) for python, abi, _ in target}
        parts = [tag.split("-") for tag in tags if tag.count("-") == 2]
        closest = max((2 if (python, abi) in pairs else 1 if python in pythons else 0)
                      for python, abi, _ in parts) if parts else 0
        best = target[0] if target else ["", "", ""]
        # Name a manylinux platform, as uv does, rather than the bare ``linux_x86_64``.
        best_platform = next((platform for python, abi, platform in target
                              if platform.startswith("manylinux")), best[2])
        if closest == 0:
            return Dropped(version, "python-tag", _natural({p for p, _, _ in parts}), best[0])
        if closest == 1:
            abis = {abi for _, abi, _ in parts if abi != "none"}
            return Dropped(version, "abi-tag", _natural(abis), best[1])
        platforms = {platform for python, abi, platform in parts if (python, abi) in pairs}
        return Dropped(version, "platform-tag", _natural(platforms), best_platform)

    # ----------------------------------------------------------------------- stand-ins
    def stand_in(self, files: VersionFiles) -> Distribution | None:
        """The wheel whose metadata stands for a version the target installs from its sdist:
        one for another Python or platform (or one ``--no-binary`` keeps from installing).

        uv's choice: the wheel that comes nearest to the target (right Python and ABI, wrong
        platform; then right Python; then any), the first listed among equals; wheels
        uploaded after ``--exclude-newer`` do not count. ``None``: the version has no such
        wheel, or its best file is a wheel."""
        row = self.stand_in_row(files)
        if row is None:
            return None
        assert files.others is not None
        return _distribution(files.others[0], True, row)

    def stand_in_row(self, files: VersionFiles) -> Any:
        """The raw row of :meth:`stand_in` (memoized on ``files``)."""
        row = files.stand_in_row
        if row is not _UNKNOWN:
            return row
        if files.others is None:
            row = None
        else:
            cutoff = self.exclude_newer
            best_score = -1
            row = None
            for candidate in files.others[1]:
                if cutoff is not None and candidate[5] is not None and candidate[5] > cutoff:
                    continue
                score = max((self._affinity(tag) for tag in candidate[8]), default=0) * 2 + (
                    candidate[4] is None)  # not yanked first, among equals
                if score > best_score:
                    best_score, row = score, candidate
        files.stand_in_row = row
        return row

    def _affinity(self, tag: str) -> int:
        """How near a wheel tag comes to the target: 4 it is one of the target's, 3 the Python
        and ABI are the target's, 2 the Python is, 1 neither (uv's ``IncompatibleTag``
        order)."""
        affinity = self._affinities.get(tag)
        if affinity is None:
            if self._pythons is None:
                pairs = [t.split("-")[:2] for t in self._tag_rank]
                self._python_abis = frozenset((p, a) for p, a in pairs)
                self._pythons = frozenset(p for p, _ in pairs)
            python, abi = [*tag.split("-"), ""][:2]
            if tag in self._tag_rank:
                affinity = 4
            elif (python, abi) in self._python_abis:
                affinity = 3
            else:
                affinity = 2 if python in self._pythons else 1
            self._affinities[tag] = affinity
        return affinity

    def _read_metadata(self, name: str, version: Version) -> CoreMetadata:
        """The metadata of a version, by the cheapest way that can tell (see the module)."""
        files = self.files(name, version)
        best = files.best
        if best.is_wheel:
            assert best.page is not None and best.file is not None
            return self.registry.wheel_metadata(best.page, best.file)  # joins a prefetch
        stand_in = self.stand_in(files)
        if stand_in is not None:
            assert stand_in.page is not None and stand_in.file is not None
            try:
                return self.registry.wheel_metadata(stand_in.page, stand_in.file)
            except PyffinError as e:
                log.debug(f"No metadata of {name} {version} from {stand_in.label} ({e}): "
                          f"reading {best.label} instead")
        return self._sdist(best)

    def _sdist(self, dist: Distribution) -> CoreMetadata:
        if self.sources is None:
            raise NotSupportedError(
                f"building source distributions is not supported here: {dist.label} is the "
                "only usable file of this version",
                hint="pass --only-binary :all: to use only versions that have wheels")
        assert dist.page is not None and dist.file is not None
        return self.sources.registry_metadata(dist.page, dist.file)

    def _direct_metadata(self, dist: Distribution) -> CoreMetadata:
        if dist.is_wheel:
            assert dist.page is not None and dist.file is not None
            return self.registry.wheel_metadata(dist.page, dist.file)
        if self.sources is None:
            raise NotSupportedError(f"building {dist.label} is not supported here")
        assert dist.direct is not None
        return self.sources.direct_metadata(dist.direct)


def universal_wheel(tag: str, python: tuple[int, ...]) -> bool:
    """Whether a wheel tag (``cp39-cp39-win_amd64``) may serve some Python of ``python`` or
    later, on any platform: uv's rule for a universal resolution. Python 2 tags never do; a
    version-specific ABI (``cp38``) or a CPython/PyPy tag without ABI (``cp38-none-any``) must
    not be older than ``python``; ``abi3``, ``py3``/``py38`` tags (lower bounds) and tags
    nobody knows do."""
    python_tag, _, rest = tag.partition("-")
    abi = rest.partition("-")[0]
    floor = python[:2]

    def version(text: str) -> tuple[int, ...] | None:
        import re

        match = re.match(r"[a-z]+(\d+)", text)
        if match is None:
            return None
        digits = match.group(1)
        return (int(digits[0]), int(digits[1:])) if len(digits) > 1 else (int(digits),)

    if abi.startswith("abi3"):
        return True
    if abi == "none":
        if python_tag.startswith(("py", "cp", "pp", "graalpy", "pyston")):
            found = version(python_tag)
            if found is None:
                return True
            if found[0] == 2:
                return False
            if python_tag.startswith("py") and not python_tag.startswith("pyston"):
                return True
            return len(found) < 2 or found >= floor
        return True
    if abi.startswith(("cp", "pypy", "pp", "graalpy")):
        found = version(abi.partition("_")[0])
        if abi.startswith(("pypy", "pp")) and found is None:
            return False  # PyPy's ABI without a version: Python 2 (``pypy_41``)
        if found is None:
            return True
        if found[0] == 2:
            return False
        return len(found) < 2 or found >= floor
    return True


def _natural(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags in natural order: ``cp39`` before ``cp310``."""
    import re

    return tuple(sorted(tags, key=lambda tag: [int(part) if part.isdigit() else part
                                               for part in re.split(r"(\d+)", tag)]))


def _direct_distribution(name: str, direct: DirectSource) -> Distribution:
    """A direct reference as a :class:`Distribution`; a wheel gets a one-file page so the
    registry client and wheel database treat it like any other wheel."""
    if not direct.is_wheel:
        return Distribution(None, None, False, direct)
    from pyffin.models.files import IndexFile, ProjectPage, SimplePage

    if direct.path is not None:
        from pathlib import Path

        file_url = Path(direct.path).absolute().as_uri()
    else:
        file_url = direct.url.partition("#")[0]
    file = IndexFile(direct.filename, file_url, direct.hashes, None, None, None, None, None)
    page = ProjectPage(file_url.rpartition("/")[0], SimplePage(name, {}), flat=True)
    return Distribution(page, file, True, direct)


def _shown(url: str) -> str:
    from pyffin.models.urls import redact

    return redact(url)


def _redacted(text: str) -> str:
    from pyffin.models.urls import redact

    return ", ".join(redact(part.strip()) for part in text.split(","))
