"""``IndexSource``: the :class:`~pyffin.resolver.source.PackageSource` backed by the registry
client — package indexes and find-links, for one target environment.

It composes three parts, each with one job: :class:`~.file_selection.FileSelection` decides
which files of a version the target can use (wheel tags, ``--only-binary``, ``--no-binary``,
``--no-build``, ``--exclude-newer``) and which one is best (the wheel whose tag the target
prefers most, else the sdist); :class:`~.summaries.Summaries` keeps that answer per page for
the next run; :class:`~.metadata_futures.MetadataFutures` fetches each version's metadata once,
in the I/O thread pool when the solver hints that it will need it. This class pins direct
references, reports progress and tells the solver what is ready.
"""

from __future__ import annotations

from _thread import allocate_lock
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pyffin.client import registry as registry_module
from pyffin.errors import PyffinError
from pyffin.models.names import checked_name
from pyffin.models.torch import PROJECTS as TORCH_PROJECTS
from pyffin.resolver.errors import PackageNotFoundError
from pyffin.resolver.file_selection import (
    FileSelection,
    VersionFiles,
    direct_distribution,
    sorted_candidates,
)
from pyffin.resolver.metadata_futures import MetadataFutures
from pyffin.resolver.ranges import sole_version
from pyffin.resolver.source import Candidate, SortedCandidates
from pyffin.resolver.summaries import StaleSummary, Summaries, SummarizedVersions
from pyffin.resolver.system import SystemPackages, is_system

if TYPE_CHECKING:
    from typing import Any, Protocol

    from packaging.utils import NormalizedName

    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.futures import Future
    from pyffin.models.dist import Distribution
    from pyffin.models.files import ProjectPage
    from pyffin.models.format_control import BinaryPolicy
    from pyffin.models.markers import Marker
    from pyffin.models.metadata import CoreMetadata
    from pyffin.models.versions import Version
    from pyffin.reporting import Reporter
    from pyffin.resolver.page_versions import PageVersions
    from pyffin.resolver.page_worker import PageWorkers
    from pyffin.resolver.ranges import VersionSet
    from pyffin.resolver.source import Dropped, Likely

    # (For type checkers only: a class made at import costs a warm resolution for nothing.)
    class Installed(Protocol):
        """An installed distribution, as :attr:`IndexSource.installed` needs it (the
        installer's :class:`~pyffin.installer.installed.InstalledDistribution` is one)."""

        @property
        def version(self) -> str: ...

        def metadata(self) -> CoreMetadata: ...


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
        installed: Mapping[str, Installed] | None = None,
        page_workers: PageWorkers | None = None,
        markers: Mapping[str, str] | None = None,
        walk: bool = False,
        excluded: Iterable[str] = (),
    ) -> None:
        self.registry = registry
        #: ``system:cuda`` when ``--torch-backend auto`` mixes CUDA indexes (see
        #: :mod:`pyffin.resolver.system`).
        self.system = SystemPackages(registry.locations.torch)
        #: What an install finds installed (from an index: no direct reference), by name, with
        #: its version: each may be chosen at that version even where the binary options rule
        #: out its files (an sdist under ``--only-binary``), and then its own metadata is used
        #: (see :meth:`_installed_metadata`), as uv and pip use what is installed.
        self.installed: dict[str, tuple[Version, Installed]] = {}
        if installed:
            from pyffin.models.versions import InvalidVersion, parse_version

            for name, dist in installed.items():
                try:
                    self.installed[name] = (parse_version(dist.version), dist)
                except InvalidVersion:
                    continue
        self._installed_pinned: set[str] = set()
        #: Hears how many packages the resolution has looked at (see :meth:`metadata`).
        self.reporter = reporter
        self._reported: set[str] = set()
        selection: dict[str, Any] = dict(
            tags=tuple(tags), binary=binary, exclude_newer=exclude_newer,
            exclude_newer_packages=exclude_newer_packages,
            first_match=registry.locations.strategy == "unsafe-first-match",
            first_match_names=frozenset() if registry.locations.torch is None
            else TORCH_PROJECTS,
            universal=universal,
            installed={name: str(version) for name, (version, _) in self.installed.items()})
        #: Which files of each version the target can use, and which is best.
        self.selection = FileSelection(**selection)
        #: The usable-versions summaries read and written; ``None`` without (for a cutoff that
        #: moves with the clock: each run would write summaries no later run reads).
        self.summaries = Summaries(registry, self.selection) if summaries else None
        #: Fetch and summarize the pages of projects not in the cache, in processes of their
        #: own (see :mod:`pyffin.resolver.page_worker`): they work through summaries; with
        #: ``walk``, they walk the likely dependencies too, on the target whose marker
        #: environment is ``markers`` (for a universal resolution, on every platform), but
        #: never to the ``excluded`` names (the resolution leaves them out).
        self.page_workers = page_workers if summaries else None
        if page_workers is not None and not summaries:
            page_workers.close()
        #: What :meth:`prefetch_candidates` was told of each project asked of the workers.
        self._likely: dict[str, tuple[Likely | None, VersionSet | None]] = {}
        if self.page_workers is not None:
            self.page_workers.on_answer = self._worker_answered
            self.page_workers.on_failure = registry.failed_elsewhere
            self.page_workers.target(selection, markers if walk else None, walk=walk,
                                     excluded=sorted(excluded))
            # What they receive is this command's, as if received here (even pages that say
            # they are stale at once).
            registry.cached.received_since = self.page_workers.started
        #: Builds metadata and wheels of sdists and direct sources; ``None``: not supported.
        self.sources = sources
        #: The metadata of each version, fetched once.
        self.metadata_futures = MetadataFutures(registry, sources, self.selection)
        #: Direct references (URLs, as the requirements give them) to install as editable.
        self.editables = frozenset(editables)
        #: Direct references pinned with :meth:`pin_url`, by name.
        self.pinned: dict[str, Distribution] = {}
        #: ``--no-deps`` / ``pip sync``: versions are chosen for the requirements alone.
        self.no_deps = no_deps
        self._lock = allocate_lock()
        self._versions: dict[str, Mapping[Version, VersionFiles]] = {}
        self._full: dict[str, PageVersions] = {}
        self._summary_tried: set[str] = set()
        #: Projects whose summary is noted (see :meth:`_note_summary`).
        self._noted: set[str] = set()
        #: Summaries being noted in pool threads (see :meth:`_note_summary`), under its lock,
        #: and a lock held while any is: the last save waits for them. (_thread's locks:
        #: a warm resolution starts no thread, and importing threading costs it ~4M
        #: instructions.)
        self._noting = 0
        self._notes = allocate_lock()
        self._none_noting = allocate_lock()
        #: Candidates, ascending: a summary's, or those of the usable versions of the pages.
        self._candidates: dict[str, SortedCandidates] = {}
        #: The pages being fetched (see :meth:`prefetch_candidates`), by name.
        self._pages: dict[str, Future[list[ProjectPage]]] = {}
        #: Summaries of stale pages being revalidated, by name.
        self._revalidating: dict[str, tuple[Future[bool], StaleSummary]] = {}
        #: Told each version the solver decides on, and the version it most likely will of
        #: each project whose page arrives, with its best file (an install starts
        #: downloading the wheel of a pinned version then, while the resolution goes on).
        self.on_decided: Callable[[str, Version, Distribution], None] | None = None
        #: Hash-checking mode's ``--hash`` values (``algorithm:hexdigest``) by name: the file
        #: of a pinned version is one the index lists with such a digest, as pip and uv pick
        #: it (a line may allow the sdist alone), before the best one by tags.
        self.allowed_hashes: Mapping[str, frozenset[str]] = {}

    # ---------------------------------------------------------------- PackageSource protocol
    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        if is_system(name):
            return self.system.candidates(name)
        if self.reporter is not None and not self._reported:
            self.reporter.on_resolve_progress(0)  # the resolution starts
        if self._from_summary(name):
            made = self._candidates.get(name)
            if made is not None:
                return made
        return self._sorted_candidates(name, self.versions(name))

    def _sorted_candidates(self, name: str, found: Mapping[Version, VersionFiles]
                           ) -> SortedCandidates:
        """The candidates of ``found`` (ascending, as usable versions are), made once: the
        solver and the summary read the same columns."""
        with self._lock:
            made = self._candidates.get(name)
        if made is None:
            made = sorted_candidates(found)
            with self._lock:
                made = self._candidates.setdefault(name, made)
        return made

    def pin_url(self, name: NormalizedName, url: str) -> None:
        """Make the distribution at ``url`` the only candidate of ``name``: its metadata is
        read (or built) now, to learn its version."""
        from pyffin.models.direct import parse_direct
        from pyffin.models.metadata import MetadataError
        from pyffin.models.versions import InvalidVersion, Version

        direct = parse_direct(url, editable=url in self.editables)
        dist = direct_distribution(name, direct)
        metadata = self.metadata_futures.direct(dist)
        if checked_name(metadata.name) != name:
            raise MetadataError(f"{_shown(url)} is {metadata.name} {metadata.version}, not "
                                f"{name}")
        try:
            version = Version(metadata.version)
        except InvalidVersion:
            raise MetadataError(f"{_shown(url)} has an invalid version "
                                f"{metadata.version!r}") from None
        with self._lock:
            self.pinned[name] = dist
            self._versions[name] = {version: VersionFiles.of(dist)}
        self.metadata_futures.pin(name, version, metadata)

    def metadata(self, name: NormalizedName, version: Version) -> CoreMetadata:
        if is_system(name):
            return self.system.metadata(name, version)
        if self.reporter is not None and name not in self._reported:
            self._reported.add(name)
            self.reporter.on_resolve_progress(len(self._reported))
        if self.on_decided is not None and name not in self.pinned:
            self.on_decided(name, version, self.files(name, version).best)
        if name in self.installed:
            self._installed_metadata(name, version, self.files(name, version))
        metadata = self.metadata_futures.get(name, version, lambda: self.files(name, version))
        if self.no_deps:
            from pyffin.records import replace

            return replace(metadata, requires_dist=())
        return metadata

    def _installed_metadata(self, name: str, version: Version, files: VersionFiles) -> bool:
        """Whether ``version`` of ``name`` is installed and its files are all ruled out by the
        binary options (it is a candidate only because it is installed: see
        :attr:`installed`); its metadata is then the installed one (pinned, so that nothing
        fetches or builds it)."""
        found = self.installed.get(name)
        if found is None or found[0] != version:
            return False
        best = files.best
        binary = self.selection.binary
        if binary.wheels_allowed(name) if best.is_wheel else binary.sdists_allowed(name):
            return False
        if name not in self._installed_pinned:
            self._installed_pinned.add(name)
            self.metadata_futures.pin(name, version, found[1].metadata())
        return True

    def prefetch_candidates(self, name: NormalizedName, likely: Likely | None = None,
                            required: VersionSet | None = None) -> None:
        """Start fetching ``name``'s pages; the pool thread that parses them goes on to the
        usable versions and their summary and, with ``likely``, starts fetching the metadata
        of the newest version ``likely`` accepts: the solver finds it there (or in flight)
        when it decides, instead of asking for it only once it notices that the page has
        arrived. That of an sdist only when it is the one version ``required`` leaves (see
        :meth:`PackageSource.prefetch_candidates`)."""
        if is_system(name):
            return
        if self._from_summary(name, wait=False) or name in self._revalidating:
            return  # known, or being revalidated (then known without the pages, most often)
        workers = self.page_workers
        if workers is not None:
            self._likely[name] = (likely, required)
            if workers.ask(name, required):
                return
        then = None if likely is None and self.summaries is None else (
            lambda pages: self._pages_arrived(name, pages, likely, required))
        self._pages[name] = self.registry.prefetch_project(name, then)

    def _pages_arrived(self, name: str, pages: list[ProjectPage], likely: Likely | None,
                       required: VersionSet | None = None) -> None:
        with self._lock:
            full = self._full.get(name)
        if full is None:
            full = self.selection.usable_versions(name, pages)
            with self._lock:
                full = self._full.setdefault(name, full)
        if likely is not None:
            self._prefetch_likely(name, full, likely, required)
        if self.summaries is not None and self._note_summary(name, full):
            # Written here, in this pool thread, while the solver's thread waits for pages
            # and metadata (with or without a likely version: an output file's pins leave
            # none): at the end, after the solution, it would be waited for.
            self.summaries.save()

    def _worker_answered(self, name: str, summarized: bool) -> None:
        """The page workers' answer for ``name`` (in a reader's thread): once summarized,
        the summary is read, and the likely version's metadata asked for, as when the pages
        arrive here (see :meth:`_pages_arrived`)."""
        workers = self.page_workers
        if not summarized or self.summaries is None or workers is None:
            return
        self.registry.forget_absent()  # the worker made the directory a summary is in
        found = self.summaries.read(name, lambda version: self._row_from_pages(name, version))
        if found is None or isinstance(found, StaleSummary):
            return  # read the usual way
        versions, candidates = found
        self._summarized(name, versions, candidates)
        likely, required = self._likely.get(name, (None, None))
        if likely is not None and isinstance(versions, SummarizedVersions):
            self._prefetch_likely(name, versions, likely, required)

    def _prefetch_likely(self, name: str, full: PageVersions | SummarizedVersions, likely: Likely,
                         required: VersionSet | None) -> None:
        for version in reversed(full):  # newest first
            files = full[version]
            if likely(version, files.yanked, files.requires_python):
                # Only a wheel's metadata (a stand-in's too): an sdist is for the solver's
                # thread, unless every solution has this version.
                certain = required is not None and sole_version(full.versions,
                                                                required) == version
                if name in self.installed and self._installed_metadata(name, version, files):
                    pass  # installed: its metadata is known
                elif certain or files.best.is_wheel or self.selection.stand_in(files) is not None:
                    self.metadata_futures.prefetch(name, version, files, certain=certain)
                if self.on_decided is not None:
                    self.on_decided(name, version, files.best)
                return

    def _note_summary(self, name: str, found: Mapping[Version, VersionFiles], *,
                      every_row: bool = False) -> bool:
        """Note ``name``'s usable versions for its summary, once; whether this did. With
        every version's row when ``every_row`` or when the pages came from the cache (see
        :meth:`Summaries.note`)."""
        assert self.summaries is not None
        with self._notes:
            if name in self._noted:
                return False
            self._noted.add(name)
            self._noting += 1
            if self._noting == 1:
                self._none_noting.acquire()
        try:
            self.summaries.note(name, found, self._sorted_candidates(name, found),
                                complete=every_row or not self.registry.received(name))
        finally:
            with self._notes:
                self._noting -= 1
                if self._noting == 0:
                    self._none_noting.release()
        return True

    def prefetch(self, name: NormalizedName, version: Version, *,
                 certain: bool = False) -> None:
        """Start fetching the metadata of a version the solver will probably choose (see
        :meth:`MetadataFutures.prefetch`), once its project's versions are known."""
        versions = self._versions.get(name)
        files = None if versions is None else versions.get(version)
        if files is not None and not (name in self.installed
                                      and self._installed_metadata(name, version, files)):
            self.metadata_futures.prefetch(name, version, files, certain=certain)

    def builds(self, name: NormalizedName, version: Version) -> bool:
        if is_system(name):
            return False
        files = self.versions(name).get(version)
        if files is None or name in self.pinned or (
                name in self.installed and self._installed_metadata(name, version, files)):
            return False  # its metadata is known already (a direct reference, installed)
        return self.metadata_futures.builds(name, version, files)

    def is_ready(self, name: NormalizedName, version: Version | None) -> bool:
        if is_system(name):
            return True
        if version is None:
            if name in self._versions or self._from_summary(name, wait=False):
                return True
            if name in self._revalidating:
                return False
            workers = self.page_workers
            asked = None if workers is None else workers.asked(name)
            if asked is not None and not asked.done():
                return False
            # The solver asks again at every decision until the pages are there.
            pages = self._pages.get(name)
            if pages is None or pages.interrupted():
                pages = self._pages[name] = self.registry.prefetch_project(name)
            return pages.done()
        return self.metadata_futures.is_ready(name, version)

    # ------------------------------------------------------------------------ the rest
    def versions(self, name: str) -> Mapping[Version, VersionFiles]:
        """Every usable version of ``name`` with its files (memoized)."""
        found = self._versions.get(name)
        if found is None:
            if self._from_summary(name):
                return self._versions[name]
            found = self._versions_from_pages(name)
            with self._lock:
                found = self._versions.setdefault(name, found)
        return found

    def _from_summary(self, name: str, *, wait: bool = True) -> bool:
        """Whether ``name``'s versions are known now from this target's summary, which is
        asked once per project: with one, its page need not be fetched or decoded. A summary
        of stale pages is revalidated in the I/O pool (conditional requests, no page read);
        ``wait`` waits for that answer, else a revalidation under way is a "not yet"."""
        if name in self._versions:
            return True
        workers = self.page_workers
        asked = None if workers is None else workers.asked(name)
        if asked is not None:
            if not asked.done():
                if not wait:
                    return False
                workers.urgent(name)  # type: ignore[union-attr]
                asked.result()
            if name in self._versions:
                return True
            # Not summarized by the worker: the pages are read the usual way.
        pending = self._revalidating.get(name)
        if pending is None:
            if name in self._summary_tried or self.summaries is None:
                return False
            self._summary_tried.add(name)
            summarized = self.summaries.read(
                name, lambda version: self._row_from_pages(name, version))
            if summarized is None:
                return False
            if not isinstance(summarized, StaleSummary):
                return self._summarized(name, *summarized)
            pending = self._revalidating[name] = (
                self.registry.submit(summarized.revalidate), summarized)
        future, stale = pending
        if not wait and not future.done():
            return False
        del self._revalidating[name]
        try:
            holds = future.result()
        except PyffinError:  # the pages are asked for the usual way, which reports it
            holds = False
        return holds and self._summarized(name, stale.found, stale.candidates)

    def _summarized(self, name: str, found: Mapping[Version, VersionFiles],
                    candidates: SortedCandidates) -> bool:
        with self._lock:
            if self._versions.setdefault(name, found) is found:
                self._candidates[name] = candidates
        return True

    def _versions_from_pages(self, name: str) -> Mapping[Version, VersionFiles]:
        found = self._full_versions(name)
        if self.summaries is not None:
            self._note_summary(name, found)
        return found

    def _row_from_pages(self, name: str, version: Version) -> VersionFiles:
        """A version's files from the decoded pages, for a summary that lacks its row (or
        cannot read it): the summary is written again, with every version's row."""
        found = self._full_versions(name)
        if self.summaries is not None:
            self._note_summary(name, found, every_row=True)
        return found[version]

    def distribution(self, name: NormalizedName, version: Version) -> Distribution | None:
        """The best file of a pinned version (the wheel the target prefers most, else the
        sdist), or its direct source — a git one with the commit it resolved to — without its
        page's other files (see :meth:`Distribution.without_files`)."""
        if is_system(name):
            return None
        found = self.versions(name).get(version)
        if found is None:
            return None
        best = found.best
        allowed = self.allowed_hashes.get(name)
        if allowed and not _allowed(best, allowed):
            # The first allowed file in the order of preference; none: the best, whose
            # download then fails the check, naming the hashes.
            best = next((d for d in found.usable if _allowed(d, allowed)), best)
        dist = best.without_files()
        direct = dist.direct
        if direct is not None and direct.git is not None and self.sources is not None:
            from pyffin.records import replace

            dist = replace(dist, commit=self.sources.git_commit(direct))
        return dist

    def system_dependencies(self, name: NormalizedName, version: Version
                            ) -> Mapping[str, Version]:
        if not self.system or is_system(name):
            return {}
        page = self.files(name, version).best.page
        return self.system.dependencies(name, None if page is None else page.source)

    def resolution_done(self) -> None:
        if self.page_workers is not None:
            self.page_workers.close()  # every page the resolution needs is read
        self.metadata_futures.settle()
        if self.reporter is not None:
            self.reporter.on_resolve_done()
        if self.summaries is not None:
            # A pool thread may be noting a project the solver read the versions of (it
            # found it noted already): that summary is part of this save, not left to the
            # pool thread's own save, which the end of the command may not wait for.
            with self._none_noting:
                pass
            self.summaries.save()
            self.registry.forget_absent()  # the summaries just written may be read again
        # What the pages' revalidations gave (304s), for the next command too.
        self.registry.cached.flush_revalidations()
        self.registry.save_metadata_pack()

    def _full_versions(self, name: str) -> PageVersions:
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
            with self._lock:  # a prefetch may have made them meanwhile (see prefetch_candidates)
                full = self._full.get(name)
            if full is None:
                full = self.selection.usable_versions(name, pages)
                with self._lock:
                    full = self._full.setdefault(name, full)
        return full

    def files(self, name: str, version: Version) -> VersionFiles:
        return self.versions(name)[version]

    def wheel_filenames(self, name: NormalizedName, version: Version) -> Sequence[str] | None:
        """The filenames of a version's usable files when they are all wheels (see
        :meth:`~pyffin.resolver.source.PackageSource.wheel_filenames`)."""
        if is_system(name):
            return None
        return self.files(name, version).wheel_filenames()

    def serves(self, name: NormalizedName, version: Version, marker: Marker) -> bool:
        if is_system(name):
            return True
        from pyffin.resolver.forks import implied_marker

        best = self.files(name, version).best  # (a summary's: the other files are not read)
        if not best.is_wheel or best.file is None or best.direct is not None or \
                not implied_marker([best.file.filename]).is_disjoint(marker):
            return True
        filenames = self.wheel_filenames(name, version)
        return filenames is None or not implied_marker(filenames).is_disjoint(marker)

    def release_files(self, name: str, version: Version) -> list[Distribution]:
        """Every file of a pinned release (see :meth:`FileSelection.release_files`)."""
        return self.selection.release_files(name, version, self.files(name, version))

    def dropped(self, name: NormalizedName) -> Sequence[Dropped]:
        if name in self.pinned or is_system(name):
            return ()
        try:
            usable = self._full_versions(name)
        except PackageNotFoundError:
            return ()
        # A version another index offers usable files of is not dropped.
        return [d for d in self.selection.dropped(name) if d.version not in usable]


    def unchecked_index(self, name: NormalizedName) -> tuple[str, str] | None:
        locations = self.registry.locations.for_name(name)
        if is_system(name) or name in self.pinned or locations.strategy != "first-index":
            return None
        indexes = locations.indexes()
        if len(indexes) < 2:
            return None
        try:
            pages = self.registry.project(name)
        except registry_module.PackageNotFoundError:
            return None
        found = next((page.source for page in pages if not page.flat), None)
        if found is None or found not in indexes or found == indexes[-1]:
            return None
        from pyffin.models.urls import strip_credentials

        return (strip_credentials(found),
                strip_credentials(indexes[indexes.index(found) + 1]))


def _shown(url: str) -> str:
    from pyffin.models.urls import redact

    return redact(url)


def _redacted(text: str) -> str:
    from pyffin.models.urls import redact

    return ", ".join(redact(part.strip()) for part in text.split(","))


def _allowed(dist: Distribution, allowed: frozenset[str]) -> bool:
    """Whether the index lists ``dist`` with one of the ``allowed`` digests."""
    file = dist.file
    return file is not None and any(f"{algorithm}:{digest}" in allowed
                                    for algorithm, digest in file.hashes)
