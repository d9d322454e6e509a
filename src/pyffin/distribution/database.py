"""The wheel database: turn a chosen distribution into an unzipped wheel in ``archive-v0``.

Each wheel is unzipped once into the cache and then linked into every environment (DESIGN §5).
A wheel already unzipped is never downloaded again: a pointer file next to its metadata names
its archive (``wheels-v0/<index>/<name>/<stem>[-<hash>].archive``, the hash being the index's
sha256, else its strongest). Otherwise the wheel is streamed to a temporary file inside the cache
while its hashes are computed, checked against the strongest hash the index (or the URL's
fragment) gives and the user's ``--hash`` values, unzipped into a temporary directory (in the
I/O thread that downloaded it: zlib and hashlib release the GIL) and persisted behind the
pointer. Several downloads run at once, largest first; the same wheel is fetched once per
process, however many callers ask for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from pyffin import log
from pyffin.cache import CacheBucket, CacheEntry, digest, index_parts
from pyffin.cache.keys import source_parts
from pyffin.client import hashes
from pyffin.client.errors import HashMismatchError
from pyffin.futures import Future
from pyffin.models.urls import redact

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.futures import ThreadPool
    from pyffin.models.dist import BuiltWheel, Distribution
    from pyffin.models.files import IndexFile, ProjectPage


class FetchReporter(Protocol):
    """Progress of downloads, for a progress display."""

    def on_fetch_start(self, name: str, size: int | None) -> None: ...

    def on_fetch_progress(self, name: str, nbytes: int) -> None: ...

    def on_fetch_done(self, name: str) -> None: ...


class WheelDatabase:
    """Unzipped wheels in the cache, fetched on demand."""

    def __init__(self, cache: Cache, registry: RegistryClient,
                 reporter: FetchReporter | None = None, *, pool: ThreadPool | None = None
                 ) -> None:
        self.cache = cache
        self.registry = registry
        self.reporter = reporter
        #: The I/O thread pool fetches (and, for :class:`DistributionDatabase`, builds) run in.
        self.pool = pool if pool is not None else registry.pool
        self._lock = threading.Lock()
        self._inflight: dict[str, Future[Path]] = {}

    # ----------------------------------------------------------------------------- lookup
    def pointer(self, page: ProjectPage, file: IndexFile) -> CacheEntry:
        """Where the archive pointer of ``file`` lives."""
        stem = file.filename[: -len(".whl")]
        local = _local_path(file.url)
        if local is not None:
            return self._path_pointer(local, page.page.name, stem)
        parts = source_parts(page)
        named = hashes.key(file.hashes)
        name = f"{stem}-{named[1][:16]}.archive" if named else f"{stem}.archive"
        return self.cache.entry(CacheBucket.WHEELS, *parts, page.page.name, name)

    def _path_pointer(self, path: str, name: str, stem: str) -> CacheEntry:
        """Where the archive pointer of a wheel on disk lives: a local file may change under
        the same name, so its path and stamp key the entry."""
        try:
            st = os.stat(path)
        except OSError:
            stamp = "missing"
        else:
            stamp = f"{st.st_mtime_ns}-{st.st_size}"
        return self.cache.entry(CacheBucket.WHEELS, "path", digest(f"{path}|{stamp}"), name,
                                f"{stem}.archive")

    def cached(self, page: ProjectPage, file: IndexFile) -> Path | None:
        """The unzipped wheel if the cache has it."""
        return self.cache.archive(self.pointer(page, file))

    # ------------------------------------------------------------------------------ fetch
    def fetch(self, page: ProjectPage, file: IndexFile, *, required_hashes: Sequence[str] = (),
              ) -> Path:
        """The unzipped wheel, fetched if needed (blocking)."""
        return self.submit(page, file, required_hashes=required_hashes, inline=True).result()

    def submit(self, page: ProjectPage, file: IndexFile, *, required_hashes: Sequence[str] = (),
               inline: bool = False) -> Future[Path]:
        """Fetch in the I/O pool (or in this thread with ``inline``); one fetch per wheel."""
        pointer = self.pointer(page, file)
        return self._once(pointer, lambda: self._fetch(page, file, pointer, required_hashes),
                          inline=inline)

    def built(self, wheel: BuiltWheel) -> Path:
        """The unzipped wheel of a wheel pyffin built (blocking; once per process). Nothing
        is downloaded or verified: it comes from the cache's own build."""
        path = os.fspath(wheel.path.absolute())
        pointer = self._path_pointer(path, wheel.name, wheel.filename[: -len(".whl")])
        return self._once(pointer, lambda: self._unzip_built(wheel, pointer),
                          inline=True).result()

    def _once(self, pointer: CacheEntry, work: Callable[[], Path], *, inline: bool
              ) -> Future[Path]:
        """``work``'s future, shared by every caller that asks for the archive at ``pointer``
        while it is in flight or done (unless it vanished or was interrupted since)."""
        key = os.fspath(pointer.path)
        with self._lock:
            future = self._inflight.get(key)
            if future is not None and not _vanished(future) and not future.interrupted():
                return future
            future = Future()
            self._inflight[key] = future

        def run() -> None:
            future.run(work)

        if inline:
            run()
        else:
            self.pool.submit(run)
        return future

    def _unzip_built(self, wheel: BuiltWheel, pointer: CacheEntry) -> Path:
        archive = self.cache.archive(pointer)
        if archive is not None:
            return archive
        from pyffin.distribution.unzip import unzip_wheel

        with self.cache.temp_dir() as tmp:
            unzipped = tmp / "unzipped"
            unzipped.mkdir()
            result = unzip_wheel(wheel.path, unzipped, filename=wheel.filename)
            return self.cache.persist(unzipped, pointer, result.files)

    def _fetch(self, page: ProjectPage, file: IndexFile, pointer: CacheEntry,
               required_hashes: Sequence[str]) -> Path:
        from pyffin.cache.core import CacheChangedError

        try:
            return self._fetch_once(page, file, pointer, required_hashes)
        except CacheChangedError as e:
            # Another process cleaned the cache under this one (`cache clean --force`): what
            # was downloaded or unzipped is gone, so start over, once.
            log.warn(f"The cache changed while {file.filename} was being prepared ({e}); "
                     "fetching it again")
            return self._fetch_once(page, file, pointer, required_hashes)

    def _fetch_once(self, page: ProjectPage, file: IndexFile, pointer: CacheEntry,
                    required_hashes: Sequence[str]) -> Path:
        archive = self.cache.archive(pointer)
        if archive is not None and _satisfies(required_hashes, file):
            return archive
        from pyffin.cache.core import CacheChangedError
        from pyffin.distribution.unzip import unzip_wheel
        from pyffin.models.wheel import UnzipError

        shown = redact(file.url)
        expected = hashes.to_verify(file.hashes, what=file.filename, url=shown,
                                    strict=bool(required_hashes))
        algorithms = hashes.algorithms(expected, required_hashes)
        local = _local_path(file.url)
        kept = self._kept_download(page, file)
        with self.cache.temp_dir() as tmp:
            if local is not None or kept is not None:
                wheel = Path(local) if local is not None else kept
                assert wheel is not None
                try:
                    actual = hashes.read_file(wheel, algorithms) if algorithms else {}
                except OSError as e:
                    if kept is not None:
                        raise CacheChangedError(f"the kept download {kept} vanished") from e
                    raise UnzipError(f"cannot read the wheel {wheel}: {e.strerror or e}") from e
            else:
                wheel = tmp / file.filename
                actual = self._download(file, wheel, algorithms)
            hashes.check(actual, expected, required_hashes, what=file.filename, url=shown)
            unzipped = tmp / "unzipped"
            unzipped.mkdir()
            result = unzip_wheel(wheel, unzipped, filename=file.filename)
            self._check_metadata(page, file, result.metadata)
            return self.cache.persist(unzipped, pointer, result.files)

    def _check_metadata(self, page: ProjectPage, file: IndexFile, data: bytes) -> None:
        """The wheel's own METADATA must say what the metadata the resolver used said (a PEP
        658 ``.metadata`` file, or a range read of another copy): else the environment would
        get dependencies its wheel does not declare."""
        used = self.registry.known_metadata(page, file)
        if used is None:
            return
        from pyffin.models.metadata import (
            CoreMetadata,
            MetadataError,
            differences,
            field_value,
        )

        own = CoreMetadata.parse(data, source=file.filename)
        fields = differences(own, used)
        if not fields:
            return
        where = ("its .metadata file on the index" if file.core_metadata is not None
                 else "the metadata read before it was downloaded")
        details = "; ".join(f"{f}: the wheel has {field_value(own, f)}, {where} has "
                            f"{field_value(used, f)}" for f in fields)
        raise MetadataError(
            f"the METADATA of {file.filename} from {redact(file.url)} disagrees with {where} "
            f"({', '.join(fields)}): {details}",
            hint="the index serves inconsistent files; ask its maintainers to fix them")

    def _kept_download(self, page: ProjectPage, file: IndexFile) -> Path | None:
        """A full download kept when a server ignored range requests for the metadata."""
        if page.flat or _local_path(file.url) is not None:
            return None
        entry = self.cache.entry(CacheBucket.WHEELS, *index_parts(page.source), page.page.name,
                                 file.filename)
        return entry.path if entry.path.is_file() else None

    def _download(self, file: IndexFile, dest: Path, algorithms: set[str]) -> dict[str, str]:
        download = _Download(file.filename, dest, algorithms, self.reporter)
        if self.reporter:
            self.reporter.on_fetch_start(file.filename, file.size)
        try:
            self.registry.cached.http.stream(file.url, download.write, download.restart)
        finally:
            download.close()
            if self.reporter:
                self.reporter.on_fetch_done(file.filename)
        return download.digests.hexdigests()


class _Download:
    """A file being downloaded: written and hashed as it streams, restartable on a retry."""

    def __init__(self, name: str, dest: Path, algorithms: set[str],
                 reporter: FetchReporter | None) -> None:
        self.name = name
        self.dest = dest
        self.algorithms = algorithms
        self.reporter = reporter
        self.received = 0
        self.handle = open(dest, "wb")  # noqa: SIM115 - closed by close() and on restart
        self.digests = hashes.Digests(algorithms)

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.digests.update(chunk)
        self.received += len(chunk)
        if self.reporter:
            self.reporter.on_fetch_progress(self.name, len(chunk))

    def restart(self) -> None:
        """Start over (the connection broke and the request is retried)."""
        self.handle.close()
        self.handle = open(self.dest, "wb")  # noqa: SIM115
        self.digests = hashes.Digests(self.algorithms)
        if self.reporter and self.received:
            self.reporter.on_fetch_progress(self.name, -self.received)
        self.received = 0

    def close(self) -> None:
        self.handle.close()


def _vanished(future: Future[Path]) -> bool:
    """Whether a finished fetch's archive is gone since (the cache was cleaned)."""
    if not future.done():
        return False
    try:
        return not future.result().is_dir()
    except BaseException:
        return False


def _local_path(url: str) -> str | None:
    if url.startswith("file:"):
        return unquote(urlsplit(url).path)
    return None


def _satisfies(required_hashes: Sequence[str], file: IndexFile) -> bool:
    """Can an archive unzipped earlier be trusted for ``required_hashes``? Only when one of
    them is the index's hash that keys the archive's pointer (it was verified before the
    archive was made). A local file may have changed since: it is hashed again."""
    if not required_hashes:
        return True
    named = hashes.key(file.hashes)
    return (named is not None and _local_path(file.url) is None
            and f"{named[0]}:{named[1]}" in required_hashes)




class DistributionDatabase:
    """Fetch and build: any :class:`~pyffin.models.dist.Distribution` to an unzipped
    wheel in the cache. Wheels are downloaded (:class:`WheelDatabase`), sources are built
    (:class:`~pyffin.distribution.sdist.SourceDistributions`) — in the same I/O pool, so a
    build starts without waiting for the largest download, and builds stay bounded by
    ``PYFFIN_CONCURRENT_BUILDS`` inside the builder."""

    def __init__(self, wheels: WheelDatabase, sources: SourceDistributions | None) -> None:
        self.wheels = wheels
        self.sources = sources

    def cached(self, dist: Distribution) -> Path | None:
        """The unzipped wheel of an index wheel, if the cache has it (no building)."""
        if dist.is_wheel and dist.page is not None and dist.file is not None:
            return self.wheels.cached(dist.page, dist.file)
        return None

    def submit(self, dist: Distribution, name: str, *, required_hashes: Sequence[str] = ()
               ) -> Future[Path]:
        """The unzipped wheel of ``dist`` (a project called ``name``), in the I/O pool."""
        if dist.is_wheel:
            assert dist.page is not None and dist.file is not None
            return self.wheels.submit(dist.page, dist.file, required_hashes=required_hashes)
        import contextvars

        future: Future[Path] = Future()
        context = contextvars.copy_context()  # carries the chain of builds (cycle detection)

        def run() -> None:
            future.run(lambda: self._build(dist, name, required_hashes))

        self.wheels.pool.submit(context.run, run)
        return future

    def archive(self, dist: Distribution, name: str, *, required_hashes: Sequence[str] = ()
                ) -> Path:
        """Like :meth:`submit`, in this thread."""
        if dist.is_wheel:
            assert dist.page is not None and dist.file is not None
            return self.wheels.fetch(dist.page, dist.file, required_hashes=required_hashes)
        return self._build(dist, name, required_hashes)

    def _build(self, dist: Distribution, name: str, required_hashes: Sequence[str]) -> Path:
        if self.sources is None:
            from pyffin.errors import NotSupportedError

            raise NotSupportedError(f"building {dist.label} is not supported here")
        if dist.direct is not None:
            wheel = self.sources.direct_wheel(dist.direct)
        else:
            assert dist.page is not None and dist.file is not None
            if required_hashes:
                _check_sdist_hashes(dist.file, required_hashes)
            wheel = self.sources.registry_wheel(dist.page, dist.file)
        if not wheel.is_file():
            from pyffin.cache.core import CacheChangedError

            raise CacheChangedError(
                f"the wheel built from {dist.label} vanished from the cache ({wheel})",
                hint="was `pyffin cache clean --force` run meanwhile? Run the command again")
        from pyffin.models.dist import BuiltWheel

        return self.wheels.built(BuiltWheel(name, wheel))


def _check_sdist_hashes(file: IndexFile, required_hashes: Sequence[str]) -> None:
    """Hash-checking mode for an index's sdist: a hash its download is checked against must be
    among the required ones, for the wheel built from it to be trusted."""
    shown = redact(file.url)
    verified = hashes.to_verify(file.hashes, what=file.filename, url=shown, strict=True)
    if not any(f"{a}:{d}" in required_hashes for a, d in verified):
        raise HashMismatchError(
            f"cannot verify {file.filename} against the required hashes: the index gives no "
            "matching hash for it", url=shown)
