"""``IndexSource``: the :class:`~pyffin.resolver.source.PackageSource` backed by the registry
client — package indexes and find-links, for one target environment.

It decides which files of a version the target can use (wheel tags, ``--only-binary``,
``--no-binary``, ``--no-build``, ``--exclude-newer``), which one is best (the wheel whose tag the
target prefers most, else the sdist), and fetches that file's metadata, in the I/O thread pool
when the solver hints that it will need it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.client import registry as registry_module
from pyffin.errors import NotSupportedError
from pyffin.resolver.errors import PackageNotFoundError
from pyffin.resolver.source import Candidate

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from pyffin.client.registry import ProjectPage, RegistryClient
    from pyffin.client.simple import IndexFile
    from pyffin.distribution.metadata import CoreMetadata

#: ``:all:`` in ``--no-binary`` / ``--only-binary`` means every package (pip's spelling).
ALL = ":all:"


@dataclass(frozen=True, slots=True)
class BinaryPolicy:
    """``--no-binary``, ``--only-binary`` and ``--no-build`` (pip's semantics: a package named
    in both, or ``:all:`` in one and the name in the other, follows the named one)."""

    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    no_build: bool = False

    def wheels_allowed(self, name: str) -> bool:
        if name in self.only_binary:
            return True
        return not (name in self.no_binary or ALL in self.no_binary)

    def sdists_allowed(self, name: str) -> bool:
        if self.no_build:
            return False
        if name in self.no_binary:
            return True
        return not (name in self.only_binary or ALL in self.only_binary)


@dataclass(frozen=True, slots=True)
class Distribution:
    """The file pyffin would use for one version: a wheel or an sdist, and where it is listed."""

    page: ProjectPage
    file: IndexFile
    is_wheel: bool


@dataclass(frozen=True, slots=True)
class VersionFiles:
    """What one version offers the target: its best file, and every usable file (for hashes)."""

    best: Distribution
    usable: tuple[Distribution, ...]


SdistMetadata = Callable[[Distribution], "CoreMetadata"]


class IndexSource:
    """Candidates and metadata from a :class:`RegistryClient` for one target."""

    def __init__(
        self,
        registry: RegistryClient,
        *,
        tags: Sequence[str],
        binary: BinaryPolicy | None = None,
        exclude_newer: float | None = None,
        sdist_metadata: SdistMetadata | None = None,
        no_deps: bool = False,
    ) -> None:
        self.registry = registry
        #: Tag → priority (lower is preferred), in the target's order.
        self._tag_rank = {tag: i for i, tag in enumerate(tags)}
        self.binary = binary or BinaryPolicy()
        self.exclude_newer = exclude_newer
        self._sdist_metadata = sdist_metadata
        #: ``--no-deps`` / ``pip sync``: versions are chosen for the requirements alone.
        self.no_deps = no_deps
        self._lock = threading.Lock()
        self._versions: dict[str, dict[Version, VersionFiles]] = {}
        self._metadata_futures: dict[tuple[str, Version], Future[CoreMetadata]] = {}

    # ---------------------------------------------------------------- PackageSource protocol
    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        return [
            Candidate(version, yanked=_yanked(files),
                      requires_python=files.best.file.requires_python)
            for version, files in self.versions(name).items()
        ]

    def metadata(self, name: NormalizedName, version: Version) -> CoreMetadata:
        metadata = self._metadata_future(name, version, submit=False).result()
        if self.no_deps:
            from dataclasses import replace

            return replace(metadata, requires_dist=())
        return metadata

    def prefetch_candidates(self, name: NormalizedName) -> None:
        self.registry.prefetch_project(name)

    def prefetch(self, name: NormalizedName, version: Version) -> None:
        if name in self._versions:
            self._metadata_future(name, version, submit=True)

    def is_ready(self, name: NormalizedName, version: Version | None) -> bool:
        if version is None:
            return name in self._versions or self.registry.prefetch_project(name).done()
        future = self._metadata_futures.get((name, version))
        return future is not None and future.done()

    # ------------------------------------------------------------------------ the rest
    def versions(self, name: str) -> dict[Version, VersionFiles]:
        """Every usable version of ``name`` with its files (memoized)."""
        found = self._versions.get(name)
        if found is None:
            try:
                pages = self.registry.project(name)
            except registry_module.PackageNotFoundError as e:
                asked = ", ".join(e.sources)
                detail = (f"not found on {_redacted(asked)}" if asked
                          else "no index was asked (--no-index without --find-links)")
                raise PackageNotFoundError(name, detail) from None
            found = self._usable_versions(name, pages)
            with self._lock:
                found = self._versions.setdefault(name, found)
        return found

    def files(self, name: str, version: Version) -> VersionFiles:
        return self.versions(name)[version]

    def _usable_versions(self, name: str, pages: Iterable[ProjectPage]
                         ) -> dict[Version, VersionFiles]:
        from packaging.version import InvalidVersion, Version

        wheels_ok = self.binary.wheels_allowed(name)
        sdists_ok = self.binary.sdists_allowed(name)
        rank = self._tag_rank
        cutoff = self.exclude_newer
        collected: dict[Version, list[tuple[int, Distribution]]] = {}
        for page in pages:
            for version_str in page.page.versions:
                ranked: list[tuple[int, Distribution]] = []
                if wheels_ok:
                    for wheel in page.page.wheels(version_str):
                        best_tag = min((rank[t] for t in wheel.tags if t in rank), default=None)
                        if best_tag is None or _too_new(wheel.file, cutoff):
                            continue
                        ranked.append((best_tag, Distribution(page, wheel.file, True)))
                if sdists_ok:
                    for sdist in page.page.sdists(version_str):
                        if not _too_new(sdist, cutoff):
                            ranked.append((len(rank), Distribution(page, sdist, False)))
                if not ranked:
                    continue
                try:
                    version = Version(version_str)
                except InvalidVersion:
                    log.debug(f"Skipping {name} {version_str}: not a valid version")
                    continue
                # The first page that offers a version wins it (index priority).
                collected.setdefault(version, ranked)
        result: dict[Version, VersionFiles] = {}
        for version, ranked in collected.items():
            ranked.sort(key=lambda item: (item[0], item[1].file.yanked is not None))
            result[version] = VersionFiles(ranked[0][1], tuple(d for _, d in ranked))
        return result

    def _metadata_future(self, name: str, version: Version, *, submit: bool
                         ) -> Future[CoreMetadata]:
        key = (name, version)
        future = self._metadata_futures.get(key)
        if future is not None:
            return future
        best = self.files(name, version).best
        if best.is_wheel:
            if submit:
                future = self.registry.prefetch_wheel_metadata(best.page, best.file)
            else:
                future = Future()
                try:
                    future.set_result(self.registry.wheel_metadata(best.page, best.file))
                except BaseException as e:
                    future.set_exception(e)
        else:
            future = Future()
            try:
                future.set_result(self._sdist(best))
            except BaseException as e:
                future.set_exception(e)
        with self._lock:
            return self._metadata_futures.setdefault(key, future)

    def _sdist(self, dist: Distribution) -> CoreMetadata:
        if self._sdist_metadata is None:
            raise NotSupportedError(
                f"building source distributions is not supported yet: {dist.file.filename} "
                "is the only usable file of this version",
                hint="pass --only-binary :all: to use only versions that have wheels")
        return self._sdist_metadata(dist)


def _yanked(files: VersionFiles) -> bool:
    return all(d.file.yanked is not None for d in files.usable)


def _too_new(file: IndexFile, cutoff: float | None) -> bool:
    return cutoff is not None and file.upload_time is not None and file.upload_time > cutoff


def _redacted(text: str) -> str:
    from pyffin.client.auth import redact

    return ", ".join(redact(part.strip()) for part in text.split(","))
