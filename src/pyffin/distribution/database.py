"""The wheel database: turn a chosen distribution into an unzipped wheel in ``archive-v0``.

Each wheel is unzipped once into the cache and then linked into every environment (DESIGN §5).
A wheel already unzipped is never downloaded again: a pointer file next to its metadata names
its archive (``wheels-v0/<index>/<name>/<stem>[-<sha256>].archive``). Otherwise the wheel is
streamed to a temporary file inside the cache while its hashes are computed, checked against the
index's sha256 and the user's ``--hash`` values, unzipped into a temporary directory (in the
I/O thread that downloaded it: zlib and hashlib release the GIL) and persisted behind the
pointer. Several downloads run at once, largest first; the same wheel is fetched once per
process, however many callers ask for it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from pyffin.cache import CacheBucket, CacheEntry, digest, index_parts, url_key
from pyffin.client.auth import redact
from pyffin.client.errors import HashMismatchError
from pyffin.futures import Future

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.client.registry import ProjectPage, RegistryClient
    from pyffin.client.simple import IndexFile
    from pyffin.distribution.artifact import Distribution
    from pyffin.distribution.sdist import SourceDistributions


class FetchReporter(Protocol):
    """Progress of downloads, for a progress display."""

    def on_fetch_start(self, name: str, size: int | None) -> None: ...

    def on_fetch_progress(self, name: str, nbytes: int) -> None: ...

    def on_fetch_done(self, name: str) -> None: ...


class WheelDatabase:
    """Unzipped wheels in the cache, fetched on demand."""

    def __init__(self, cache: Cache, registry: RegistryClient,
                 reporter: FetchReporter | None = None) -> None:
        self.cache = cache
        self.registry = registry
        self.reporter = reporter
        self._lock = threading.Lock()
        self._inflight: dict[str, Future[Path]] = {}

    # ----------------------------------------------------------------------------- lookup
    def pointer(self, page: ProjectPage, file: IndexFile) -> CacheEntry:
        """Where the archive pointer of ``file`` lives."""
        stem = file.filename[: -len(".whl")]
        local = _local_path(file.url)
        if local is not None:
            try:
                st = os.stat(local)
            except OSError:
                stamp = "missing"
            else:
                stamp = f"{st.st_mtime_ns}-{st.st_size}"
            # A local file may change under the same name: its path and stamp key the entry.
            return self.cache.entry(CacheBucket.WHEELS, "path", digest(f"{local}|{stamp}"),
                                    page.page.name, f"{stem}.archive")
        parts = ("url", url_key(page.source)) if page.flat else index_parts(page.source)
        sha256 = file.hash("sha256")
        name = f"{stem}-{sha256[:16]}.archive" if sha256 else f"{stem}.archive"
        return self.cache.entry(CacheBucket.WHEELS, *parts, page.page.name, name)

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
        key = os.fspath(pointer.path)
        with self._lock:
            future = self._inflight.get(key)
            if future is not None and not future.interrupted():
                return future
            future = Future()
            self._inflight[key] = future

        def run() -> None:
            future.run(lambda: self._fetch(page, file, pointer, required_hashes))

        if inline:
            run()
        else:
            self.registry.cached.http.executor.submit(run)
        return future

    def _fetch(self, page: ProjectPage, file: IndexFile, pointer: CacheEntry,
               required_hashes: Sequence[str]) -> Path:
        archive = self.cache.archive(pointer)
        if archive is not None and _satisfies(required_hashes, file.hash("sha256")):
            return archive
        from pyffin.distribution.unzip import unzip_wheel

        local = _local_path(file.url)
        kept = self._kept_download(page, file)
        with self.cache.temp_dir() as tmp:
            if local is not None:
                wheel = Path(local)
                _check_hashes(_file_hashes(wheel, required_hashes), file, required_hashes)
            elif kept is not None:
                wheel = kept
                _check_hashes(_file_hashes(wheel, required_hashes), file, required_hashes)
            else:
                wheel = tmp / file.filename
                hashes = self._download(file, wheel, required_hashes)
                _check_hashes(hashes, file, required_hashes)
            unzipped = tmp / "unzipped"
            unzipped.mkdir()
            unzip_wheel(wheel, unzipped, filename=file.filename)
            return self.cache.persist(unzipped, pointer)

    def _kept_download(self, page: ProjectPage, file: IndexFile) -> Path | None:
        """A full download kept when a server ignored range requests for the metadata."""
        if page.flat or _local_path(file.url) is not None:
            return None
        entry = self.cache.entry(CacheBucket.WHEELS, *index_parts(page.source), page.page.name,
                                 file.filename)
        return entry.path if entry.path.is_file() else None

    def _download(self, file: IndexFile, dest: Path, required_hashes: Sequence[str],
                  ) -> dict[str, str]:
        download = _Download(file.filename, dest, _algorithms(required_hashes), self.reporter)
        if self.reporter:
            self.reporter.on_fetch_start(file.filename, file.size)
        try:
            self.registry.cached.http.stream(file.url, download.write, download.restart)
        finally:
            download.close()
            if self.reporter:
                self.reporter.on_fetch_done(file.filename)
        return download.hexdigests()


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
        self.hashers = {a: hashlib.new(a) for a in algorithms}

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        for hasher in self.hashers.values():
            hasher.update(chunk)
        self.received += len(chunk)
        if self.reporter:
            self.reporter.on_fetch_progress(self.name, len(chunk))

    def restart(self) -> None:
        """Start over (the connection broke and the request is retried)."""
        self.handle.close()
        self.handle = open(self.dest, "wb")  # noqa: SIM115
        self.hashers = {a: hashlib.new(a) for a in self.algorithms}
        if self.reporter and self.received:
            self.reporter.on_fetch_progress(self.name, -self.received)
        self.received = 0

    def close(self) -> None:
        self.handle.close()

    def hexdigests(self) -> dict[str, str]:
        return {a: h.hexdigest() for a, h in self.hashers.items()}


def _local_path(url: str) -> str | None:
    if url.startswith("file:"):
        return unquote(urlsplit(url).path)
    return None


def _algorithms(required_hashes: Sequence[str]) -> set[str]:
    algorithms = {"sha256"}
    for value in required_hashes:
        algorithms.add(value.partition(":")[0])
    return algorithms


def _file_hashes(path: Path, required_hashes: Sequence[str]) -> dict[str, str]:
    hashers = {a: hashlib.new(a) for a in _algorithms(required_hashes)}
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}


def _satisfies(required_hashes: Sequence[str], sha256: str | None) -> bool:
    """Can an archive unzipped earlier be trusted for ``required_hashes``? Only when one of
    them is the sha256 the index gives for the file (the pointer is keyed by that sha256)."""
    if not required_hashes:
        return True
    return sha256 is not None and f"sha256:{sha256}" in required_hashes


def _check_hashes(actual: dict[str, str], file: IndexFile, required: Sequence[str]) -> None:
    shown = redact(file.url)
    expected = file.hash("sha256")
    if expected is not None and actual.get("sha256") != expected:
        raise HashMismatchError(
            f"hash mismatch for {file.filename} from {shown}: the index says "
            f"sha256:{expected}, the file has sha256:{actual.get('sha256')}", url=shown)
    if required and not any(f"{a}:{d}" in required for a, d in actual.items()):
        wanted = "\n".join(f"    {h}" for h in sorted(required))
        raise HashMismatchError(
            f"hash mismatch for {file.filename} from {shown}: expected one of\n{wanted}\n"
            f"  but the file has sha256:{actual.get('sha256')}", url=shown)




class DistributionDatabase:
    """Fetch and build: any :class:`~pyffin.distribution.artifact.Distribution` to an unzipped
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

        self.wheels.registry.cached.http.executor.submit(context.run, run)
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
                sha256 = dist.file.hash("sha256")
                if sha256 is None or f"sha256:{sha256}" not in required_hashes:
                    raise HashMismatchError(
                        f"cannot verify {dist.file.filename} against the required hashes: the "
                        "index gives no matching sha256 for it", url=redact(dist.file.url))
            wheel = self.sources.registry_wheel(dist.page, dist.file)
        return self.wheels.fetch(*built_wheel_page(name, wheel))


def built_wheel_page(name: str, wheel: Path) -> tuple[ProjectPage, IndexFile]:
    """A one-file page for a wheel on disk (one pyffin built), so the wheel database unzips it
    like any other local wheel."""
    from pyffin.client.registry import ProjectPage
    from pyffin.client.simple import IndexFile, SimplePage

    file = IndexFile(wheel.name, wheel.absolute().as_uri(), (), None, None, None,
                     wheel.stat().st_size, None)
    return ProjectPage(str(wheel.parent), SimplePage(name, {}), flat=True), file
