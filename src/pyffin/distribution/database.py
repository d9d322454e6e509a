"""The wheel database: turn a chosen distribution into an unzipped wheel in ``archive-v0``.

Each wheel is unzipped once into the cache and then linked into every environment (DESIGN §5).
A wheel already unzipped is never downloaded again: a pointer file next to its metadata names
its archive (``wheels-v1/<index>/<stem>[-<hash>].archive``, the hash being the index's
sha256, else its strongest). Several downloads run at once, largest first; the same wheel is
fetched once per process, however many callers ask for it.

The install pipeline makes no copy it does not need. A download is hashed as it streams in and
kept in memory — written into an anonymous memory file as it comes where there are such files
(Linux), else kept as its chunks (:data:`MEMORY_BUDGET` bounds what all downloads hold at once:
a download whose size the index gives waits for room, one of unknown size that finds none goes
on in a temporary file, as does a wheel larger than the whole budget) — then unzipped from
memory straight into a temporary directory of the cache, which is persisted behind the
pointer. Once a wheel of a megabyte or more came, wheels are unzipped by helper
processes (:mod:`pyffin.distribution.unzip_worker`: the same code, off this process's GIL),
which are given the downloaded bytes as they are; before that, and where helpers cannot run,
at most one unzip per core runs at a time in this process (inflating is CPU work; more
threads only fight over the GIL), while the other threads keep downloading. A wheel on disk
(a ``file:`` URL, a wheel pyffin built, a full download kept from a metadata fetch) is hashed
and unzipped where it is.

What is verified, by where the wheel comes from:

==========================================  =================================================
the wheel arrived with a hash from outside  the wheel's bytes are checked against the
(an index's or find-links page's hash, a    strongest hash given and the ``--hash`` values;
URL's ``#sha256=`` fragment, ``--hash`` in  its members are not hashed again against RECORD
``--require-hashes`` mode)                  (as pip and uv): the wheel is the one published
no hash from outside (a find-links          every member is hashed while it is unzipped and
directory or page without hashes, a direct  checked against its RECORD line, so a wheel whose
URL without a fragment, a local path, a     content was changed after it was built is refused
wheel built from source)
==========================================  =================================================

Every wheel, either way: member names that could escape the directory, links, one
``.dist-info`` matching the filename, ``WHEEL``, ``METADATA``'s name and version, RECORD listing
exactly the archive's files with their sizes, each member's CRC-32 and declared size, local
headers that agree with the central directory, members that do not overlap (see
:mod:`pyffin.distribution.unzip`); and the wheel's ``METADATA`` against the metadata the
resolver used (a PEP 658 ``.metadata`` file, or a range read), so that the environment gets
the dependencies its wheel declares.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from pyffin import log
from pyffin.cache import CacheBucket, CacheEntry, digest, index_parts
from pyffin.cache.keys import source_parts
from pyffin.client import hashes
from pyffin.client.errors import HashMismatchError
from pyffin.futures import Future, settle
from pyffin.interrupt import check
from pyffin.models.urls import redact

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.distribution.unzip import UnzippedWheel
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
        #: The files (``/``-separated paths, sizes) of each archive this process unzipped.
        self._unzipped: dict[str, tuple[tuple[str, int], ...]] = {}

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
        return self.cache.entry(CacheBucket.WHEELS, *parts, name)

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
        """The unzipped wheel if the cache has it, its files unchecked: the install that
        asks lists them (see :meth:`pyffin.cache.Cache.archive`)."""
        return self.cache.archive(self.pointer(page, file), check=False)

    def listing(self, archive: Path) -> tuple[tuple[str, int], ...] | None:
        """Every file of ``archive`` (path, size) if this process unzipped it, as written:
        an install links them without listing its directories again."""
        return self._unzipped.get(os.fspath(archive))

    def _persist(self, unzipped: UnzippedWheel, pointer: CacheEntry) -> Path:
        archive = self.cache.persist(unzipped.path, pointer, unzipped.files)
        self._unzipped[os.fspath(archive)] = unzipped.files
        return archive

    def started(self, page: ProjectPage, file: IndexFile) -> bool:
        """Whether this process started fetching ``file`` (it may be done)."""
        with self._lock:
            return os.fspath(self.pointer(page, file).path) in self._inflight

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
        is downloaded; no outside hash vouches for it, so its members are checked against its
        RECORD."""
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
        with self.cache.temp_dir() as tmp:
            unzipped = tmp / "unzipped"
            unzipped.mkdir()
            return self._persist(_unzip(wheel.path, unzipped, filename=wheel.filename,
                                        verify_record=True), pointer)

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
        from pyffin.models.wheel import UnzipError

        shown = redact(file.url)
        expected = hashes.to_verify(file.hashes, what=file.filename, url=shown,
                                    strict=bool(required_hashes))
        algorithms = hashes.algorithms(expected, required_hashes)
        # The wheel's bytes are checked against a hash given from outside (the index, the
        # URL's fragment, --hash): RECORD adds nothing then (see the module's docstring).
        verify_record = not expected and not required_hashes
        local = _local_path(file.url)
        kept = self._kept_download(page, file)
        with self.cache.temp_dir() as tmp:
            wheel: Path | _Body
            body: _Body | None = None
            try:
                on_disk = Path(local) if local is not None else kept
                if on_disk is not None:
                    wheel = on_disk
                    try:
                        actual = hashes.read_file(on_disk, algorithms) if algorithms else {}
                    except OSError as e:
                        if kept is not None:
                            raise CacheChangedError(
                                f"the kept download {kept} vanished") from e
                        raise UnzipError(
                            f"cannot read the wheel {on_disk}: {e.strerror or e}") from e
                else:
                    body = _Body(file.filename, tmp / file.filename, file.size, algorithms,
                                 self.reporter)
                    self._download(file, body)
                    wheel = body  # in memory, or spilled to the temporary file
                    actual = body.digests.hexdigests()
                hashes.check(actual, expected, required_hashes, what=file.filename, url=shown)
                unzipped = tmp / "unzipped"
                unzipped.mkdir()
                result = _unzip(wheel, unzipped, filename=file.filename,
                                verify_record=verify_record)
            finally:
                if body is not None:
                    body.close()
            self._check_metadata(page, file, result.metadata)
            return self._persist(result, pointer)

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
        entry = self.cache.entry(CacheBucket.WHEELS, *index_parts(page.source), file.filename)
        return entry.path if entry.path.is_file() else None

    def _download(self, file: IndexFile, body: _Body) -> None:
        if self.reporter:
            self.reporter.on_fetch_start(file.filename, file.size)
        try:
            self.registry.stream(file.url, body.write, body.restart)
        finally:
            if self.reporter:
                self.reporter.on_fetch_done(file.filename)


class EarlyFetch:
    """Fetch the wheels of pinned versions while a resolution goes on (an install of pinned
    requirements: its downloads and unzips overlap the rest of the resolution instead of
    waiting for it). Told of a version the solver decides on, or that it will most likely
    choose once the project's page arrived, it fetches only a version of ``pins`` (each
    project the requirements pin with ``==``, and the versions they pin it to): a version so
    pinned cannot be given up for another, so nothing fetched is wasted unless the resolution
    fails. A version ``installed`` gives (the install keeps it) is not fetched. An install
    then finds each wheel in flight or done in :attr:`wheels` (fetched once per process, see
    :meth:`WheelDatabase.submit`).

    With :attr:`sources`, an index sdist so pinned has its wheel built in the I/O pool too (the
    install finds it built, see :meth:`DistributionDatabase.started`): after its metadata, which
    may have built it already, not after the resolution."""

    def __init__(self, wheels: WheelDatabase, pins: Mapping[str, Collection[object]],
                 installed: Mapping[str, object]) -> None:
        self.wheels = wheels
        self.pins = pins
        self.installed = installed
        #: Builds the wheels of pinned index sdists; ``None``: they wait for the install.
        self.sources: SourceDistributions | None = None
        self._lock = threading.Lock()
        self._started: set[str] = set()
        self._builds: list[Future[None]] = []

    @property
    def names(self) -> frozenset[str]:
        """The projects pinned."""
        return frozenset(self.pins)

    @property
    def started(self) -> int:
        """How many wheels were fetched early."""
        return len(self._started)

    def __call__(self, name: str, version: object, dist: Distribution) -> None:
        sources = self.sources
        if (version not in self.pins.get(name, ()) or (not dist.is_wheel and sources is None)
                or dist.direct is not None or dist.page is None or dist.file is None
                or self.installed.get(name) == version):
            return
        with self._lock:
            if name in self._started:
                return
            self._started.add(name)
        if dist.is_wheel:
            self.wheels.submit(dist.page, dist.file)
            return
        assert sources is not None
        page, file = dist.page, dist.file
        done: Future[None] = Future()

        def build() -> None:
            try:
                # Its metadata first: the resolution may be reading it in another thread (a
                # build of this wheel, see wheel_for_metadata), which this joins instead of
                # waiting on the source's build lock as if another process held it.
                sources.registry_metadata(page, file)
                sources.registry_wheel(page, file)
            except Exception:  # the install builds it again, and reports what fails
                pass
            finally:
                done.set_result(None)

        with self._lock:
            self._builds.append(done)
        self.wheels.pool.submit(build)  # in this context (the pool carries it over)

    def settle(self) -> None:
        """Wait for the builds started (a resolution that failed: the command must not end
        while one of them still runs), unless the command was interrupted (they are being
        stopped)."""
        with self._lock:
            builds, self._builds = self._builds, []
        settle(builds)


class _MemoryBudget:
    """Bytes of downloads held in memory at once, from the start of their download to the end
    of their unzip."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.free = total
        self._changed = threading.Condition()

    def reserve(self, size: int) -> bool:
        """Take ``size`` bytes, waiting for earlier downloads to be unzipped if need be; False
        (at once) when ``size`` is more than the whole budget."""
        if size > self.total:
            return False
        with self._changed:
            while self.free < size:
                self._changed.wait(0.25)
                check()  # Ctrl-C
            self.free -= size
        return True

    def try_reserve(self, size: int) -> bool:
        """Take ``size`` bytes if they are free now."""
        with self._changed:
            if self.free < size:
                return False
            self.free -= size
            return True

    def release(self, size: int) -> None:
        if size:
            with self._changed:
                self.free += size
                self._changed.notify_all()


#: Downloads kept in memory at once, process-wide (a download that does not fit goes to a
#: temporary file; one whose size the index gives waits for room instead, if it can ever fit).
MEMORY_BUDGET = _MemoryBudget(256 << 20)
#: Room taken at a time for a download whose size is not known in advance.
_STEP = 4 << 20


class _Body:
    """A wheel being downloaded: hashed as it streams in, and kept in memory when the budget
    has room (most wheels), else written to a temporary file; restartable on a retry."""

    def __init__(self, name: str, dest: Path, size: int | None, algorithms: set[str],
                 reporter: FetchReporter | None, budget: _MemoryBudget | None = None) -> None:
        self.name = name
        self.dest = dest
        self.algorithms = algorithms
        self.reporter = reporter
        self.budget = budget or MEMORY_BUDGET
        self.received = 0
        self.chunks: list[bytes] = []
        self.handle: BinaryIO | None = None
        self.digests = hashes.Digests(algorithms)
        self.reserved = 0
        #: The memory file the bytes go into as they come (see :func:`_memory_file`), if
        #: any: else they are kept as the chunks they came in.
        self.memory: int | None = None
        if size is not None:
            if self.budget.reserve(size):
                self.reserved = size
            else:
                self.handle = open(dest, "wb")  # noqa: SIM115 - closed by close()
        if self.handle is None:
            self.memory = _memory_file(name)

    def write(self, chunk: bytes) -> None:
        self.digests.update(chunk)
        self.received += len(chunk)
        if self.handle is None and self.received > self.reserved:
            more = max(_STEP, self.received - self.reserved)
            if self.budget.try_reserve(more):
                self.reserved += more
            else:
                self._spill()
        if self.handle is not None:
            self.handle.write(chunk)
        elif self.memory is not None:
            _write_all(self.memory, chunk)
        else:
            self.chunks.append(chunk)
        if self.reporter:
            self.reporter.on_fetch_progress(self.name, len(chunk))

    def _spill(self) -> None:
        """Go on in the temporary file: the budget has no more room."""
        self.handle = open(self.dest, "wb")  # noqa: SIM115 - closed by close()
        if self.memory is not None:
            _copy_memory(self.memory, self.handle)
            os.close(self.memory)
            self.memory = None
        self.handle.writelines(self.chunks)
        self.chunks.clear()
        self.budget.release(self.reserved)
        self.reserved = 0

    def restart(self) -> None:
        """Start over (the connection broke and the request is retried)."""
        self.chunks.clear()
        if self.handle is not None:
            self.handle.seek(0)
            self.handle.truncate()
        if self.memory is not None:
            os.ftruncate(self.memory, 0)
            os.lseek(self.memory, 0, os.SEEK_SET)
        self.digests = hashes.Digests(self.algorithms)
        if self.reporter and self.received:
            self.reporter.on_fetch_progress(self.name, -self.received)
        self.received = 0

    @property
    def size(self) -> int:
        return self.received

    def parts(self) -> list[bytes] | Path | int:
        """The whole wheel: the memory file that holds it (a descriptor), its bytes in the
        chunks they came in, or the temporary file that holds them (joined by no one: a
        helper process is given them as they are)."""
        if self.handle is not None:
            self.handle.close()
            return self.dest
        if self.memory is not None:
            return self.memory
        return self.chunks

    def close(self) -> None:
        """Done with it (unzipped, or failed): give its room back."""
        if self.handle is not None:
            self.handle.close()
        if self.memory is not None:
            os.close(self.memory)
            self.memory = None
        self.chunks.clear()
        self.budget.release(self.reserved)
        self.reserved = 0


def _unzip(wheel: _Body | Path, dest: Path, *, filename: str, verify_record: bool
           ) -> UnzippedWheel:
    """Unzip a wheel downloaded into ``wheel`` (or on disk) into the empty directory
    ``dest``: in a helper process (see :mod:`pyffin.distribution.unzip_worker`) once a wheel
    big enough to pay for starting one came (every wheel after it too, waiting for a helper
    to be free), else in this thread, in a slot."""
    from pyffin.distribution import unzip_worker
    from pyffin.distribution.unzip import unzip_mapped, unzip_wheel

    if isinstance(wheel, Path):
        try:
            size = os.stat(wheel).st_size
        except OSError:
            size = 0
        parts: list[bytes] | Path | int = wheel
    else:
        size = wheel.size
        parts = wheel.parts()
    if unzip_worker.available() and (size >= unzip_worker.MIN_SIZE
                                     or unzip_worker.started()):
        worker = unzip_worker.acquire()
        if worker is not None:
            try:
                try:
                    return worker.unzip(parts, dest, filename=filename,
                                        verify_record=verify_record)
                except unzip_worker.WorkerGone as e:
                    log.debug(f"The unzip helper process failed ({e}); unzipping {filename} "
                              "here")
                    import shutil

                    shutil.rmtree(dest)
                    dest.mkdir()
            finally:
                unzip_worker.release(worker)
    with _unzip_slot():
        if isinstance(parts, int):  # a memory file: mapped, not copied
            return unzip_mapped(parts, dest, filename=filename, verify_record=verify_record)
        return unzip_wheel(parts if isinstance(parts, Path) else b"".join(parts), dest,
                           filename=filename, verify_record=verify_record)


def _memory_file(name: str) -> int | None:
    """An anonymous memory file for a download (Linux): written as the bytes come, so they
    are neither kept as chunks nor copied again for the unzip, which maps it or hands it to
    a helper process as it is. ``None`` where there is none (the chunks are kept)."""
    create = getattr(os, "memfd_create", None)
    if create is None:
        return None
    try:
        fd: int = create(f"pyffin-{name}", os.MFD_CLOEXEC)
    except OSError:  # out of descriptors, say: the chunks do
        return None
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy_memory(fd: int, out: BinaryIO) -> None:
    """Copy what the memory file ``fd`` holds into ``out``."""
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        out.write(chunk)
        offset += len(chunk)


_slots: threading.BoundedSemaphore | None = None


@contextmanager
def _unzip_slot() -> Iterator[None]:
    """Unzip at most as many wheels at once as there are cores: inflating is CPU work, and
    more threads only fight over the GIL, while the downloads go on in the other threads."""
    global _slots
    if _slots is None:
        _slots = threading.BoundedSemaphore(_cores())
    while not _slots.acquire(timeout=0.25):
        check()  # Ctrl-C
    try:
        yield
    finally:
        _slots.release()


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


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

    def cached(self, dist: Distribution, name: str | None = None, *,
               required_hashes: Sequence[str] = ()) -> Path | None:
        """The unzipped wheel of an index wheel, if the cache has it (no building); with the
        project's ``name``, also of an index sdist whose wheel was built before. With
        ``required_hashes`` (hash-checking mode), only one that :meth:`archive` would take
        without fetching again."""
        if dist.page is None or dist.file is None:
            return None
        if dist.is_wheel:
            if not _satisfies(required_hashes, dist.file):
                return None
            return self.wheels.cached(dist.page, dist.file)
        if name is None or dist.direct is not None or self.sources is None:
            return None
        if required_hashes:
            try:
                _check_sdist_hashes(dist.file, required_hashes)
            except HashMismatchError:  # said by archive(), which refuses it
                return None
        wheel = self.sources.cached_registry_wheel(dist.page, dist.file)
        if wheel is None:
            return None
        from pyffin.models.dist import BuiltWheel

        return self.wheels.built(BuiltWheel(name, wheel))  # as _build: unzipped once

    def listing(self, archive: Path) -> tuple[tuple[str, int], ...] | None:
        """See :meth:`WheelDatabase.listing`."""
        return self.wheels.listing(archive)

    def started(self, dist: Distribution) -> bool:
        """Whether this process started fetching the index wheel ``dist`` (see
        :class:`EarlyFetch`), or built the wheel of the index sdist ``dist`` during the
        resolution: it counts as prepared by this install, not found in the cache."""
        if dist.page is None or dist.file is None or dist.direct is not None:
            return False
        if dist.is_wheel:
            return self.wheels.started(dist.page, dist.file)
        return self.sources is not None and self.sources.built_registry_wheel(dist.page,
                                                                               dist.file)

    def submit(self, dist: Distribution, name: str, *, required_hashes: Sequence[str] = ()
               ) -> Future[Path]:
        """The unzipped wheel of ``dist`` (a project called ``name``), in the I/O pool."""
        if dist.is_wheel:
            assert dist.page is not None and dist.file is not None
            return self.wheels.submit(dist.page, dist.file, required_hashes=required_hashes)
        future: Future[Path] = Future()
        # The pool runs it in this context, which carries the chain of builds (cycle
        # detection).
        self.wheels.pool.submit(future.run, lambda: self._build(dist, name, required_hashes))
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
