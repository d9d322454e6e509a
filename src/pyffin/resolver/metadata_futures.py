"""The metadata of the versions a resolution looks at, each fetched once: asked for by the
solver (blocking) or prefetched in the I/O pool when the solver hints that it will need it.

Metadata comes without building whenever it can, in uv's order: the ``.metadata`` file (PEP 658,
else a range read) of the best wheel; for a version the target installs from its sdist, that of
a wheel for another Python or platform (a *stand-in*: by the spec's intent every file of a
version has the same metadata, as uv assumes); then the sdist's static metadata, its backend's
``prepare_metadata_for_build_wheel`` hook, and only then a build (see
:class:`~pyffin.distribution.sdist.SourceDistributions`). A prefetch (a version the solver has
not chosen yet) fetches only wheel metadata: it never downloads or builds an sdist on
speculation, and what fails is kept in its future, raised only if the solver asks for that
version. The one exception is a version every solution has — the only one a direct requirement
leaves (``foo==1.2`` in a requirements file): its sdist is downloaded and built in the I/O pool
as soon as its page is known, so that the sdists a file pins build side by side instead of one
after another as the solver comes to each.
"""

from __future__ import annotations

from _thread import allocate_lock
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.errors import NotSupportedError, PyffinError
from pyffin.futures import Future, settle

if TYPE_CHECKING:
    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.models.dist import Distribution
    from pyffin.models.metadata import CoreMetadata
    from pyffin.models.versions import Version
    from pyffin.resolver.file_selection import FileSelection, VersionFiles

Key = tuple[str, "Version"]


class MetadataFutures:
    """Metadata by version, as futures: a result or a failure, kept (asking again gives the
    same answer); an interruption is not kept."""

    def __init__(self, registry: RegistryClient, sources: SourceDistributions | None,
                 selection: FileSelection) -> None:
        self.registry = registry
        #: Builds metadata of sdists and direct sources; ``None``: not supported.
        self.sources = sources
        self.selection = selection
        self._lock = allocate_lock()
        #: Metadata asked for (or known), by version: a failure is kept like a result.
        self._futures: dict[Key, Future[CoreMetadata]] = {}
        #: Wheel metadata fetches started by :meth:`prefetch`.
        self._prefetched: dict[Key, Future[CoreMetadata]] = {}
        #: Versions :meth:`prefetch` left alone (only their sdist could tell: no download or
        #: build on speculation); there is nothing to wait for.
        self._declined: set[Key] = set()
        #: The sdists :meth:`prefetch` reads because every solution has their version.
        self._building: list[Future[CoreMetadata]] = []

    def get(self, name: str, version: Version, files: Callable[[], VersionFiles]
            ) -> CoreMetadata:
        """The metadata of a version (``files`` gives its usable files), read now by the
        cheapest way that can tell unless it is known or in flight."""
        key = (name, version)
        future = self._futures.get(key)
        if future is None:
            future = Future()
            try:
                future.set_result(self._read(name, version, files()))
            except Exception as e:  # kept: asking again gives the same answer (Ctrl-C is not)
                future.set_exception(e)
            with self._lock:
                future = self._futures.setdefault(key, future)
        return future.result()

    def pin(self, name: str, version: Version, metadata: CoreMetadata) -> None:
        """The metadata of a version known otherwise (a direct reference, read to learn its
        version)."""
        with self._lock:
            self._futures[(name, version)] = Future.of(metadata)

    def prefetch(self, name: str, version: Version, files: VersionFiles, *,
                 certain: bool = False) -> None:
        """Start fetching the metadata of a version the solver will probably choose, if a
        wheel's metadata tells it (that of the best wheel, else of a stand-in): in the I/O
        pool, its failure kept for :meth:`get`. An sdist-only version is answered from the
        cache or left for :meth:`get`: speculation never downloads or builds one — unless
        the version is ``certain`` (every solution has it): its sdist is then read (downloaded,
        built if it must be) in the I/O pool, what :meth:`get` would do, its failure kept the
        same way."""
        key = (name, version)
        if key in self._futures or key in self._prefetched or (
                key in self._declined and not certain):
            return
        best = files.best
        wheel = best if best.is_wheel else self.selection.stand_in(files)
        if wheel is not None:
            assert wheel.page is not None and wheel.file is not None
            future = self.registry.prefetch_wheel_metadata(wheel.page, wheel.file)
            with self._lock:
                self._prefetched.setdefault(key, future)
            return
        if self._from_cache(key, best):
            return
        if not certain or self.sources is None or best.direct is not None:
            with self._lock:
                self._declined.add(key)
            return
        building: Future[CoreMetadata] = Future()
        with self._lock:
            if self._futures.setdefault(key, building) is not building:
                return  # the solver asked meanwhile
            self._declined.discard(key)
            self._building.append(building)
        # Where get() finds it (and waits): built in the pool, not in the solver's thread.
        self.registry.pool.submit(building.run, lambda: self._sdist(best))

    def settle(self) -> None:
        """Wait for the sdists :meth:`prefetch` reads because every solution has them (when
        the resolution is over): one that failed first on another project does not end the
        command while a build it started still runs (unless it was interrupted: its builds
        are being stopped)."""
        with self._lock:
            building, self._building = self._building, []
        settle(building)

    def builds(self, name: str, version: Version, files: VersionFiles) -> bool:
        """Whether :meth:`get` would download or build the version's sdist: it has no wheel
        (nor a stand-in) and its sdist's metadata is not in the cache."""
        key = (name, version)
        if key in self._futures or key in self._prefetched:
            return False
        best = files.best
        if best.is_wheel or self.selection.stand_in(files) is not None or self.sources is None:
            return False  # (without sources, get() says building is not supported)
        return not self._from_cache(key, best)

    def _from_cache(self, key: Key, best: Distribution) -> bool:
        """Whether the cache has the metadata of ``best``, an index sdist (no download, no
        build): it is then the version's answer."""
        if self.sources is None or best.direct is not None:
            return False
        assert best.page is not None and best.file is not None
        cached = self.sources.cached_registry_metadata(best.page, best.file)
        if cached is None:
            return False
        with self._lock:
            self._futures.setdefault(key, Future.of(cached))
        return True

    def is_ready(self, name: str, version: Version) -> bool:
        """Whether :meth:`get` would not wait."""
        key = (name, version)
        future = self._futures.get(key) or self._prefetched.get(key)
        if future is not None:
            return future.done()
        # Nothing in flight would make it sooner: waiting for more would not help.
        return key in self._declined

    def direct(self, dist: Distribution) -> CoreMetadata:
        """The metadata of a direct reference: its wheel's, else its source's (built if it
        must be)."""
        if dist.is_wheel:
            assert dist.page is not None and dist.file is not None
            return self.registry.wheel_metadata(dist.page, dist.file)
        if self.sources is None:
            raise NotSupportedError(f"building {dist.label} is not supported here")
        assert dist.direct is not None
        return self.sources.direct_metadata(dist.direct)

    def _read(self, name: str, version: Version, files: VersionFiles) -> CoreMetadata:
        """The metadata of a version, by the cheapest way that can tell (see the module)."""
        best = files.best
        if best.is_wheel:
            assert best.page is not None and best.file is not None
            return self.registry.wheel_metadata(best.page, best.file)  # joins a prefetch
        stand_in = self.selection.stand_in(files)
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
