"""``RegistryClient``: the projects and wheel metadata of package indexes and find-links.

Indexes are asked in priority order — ``--extra-index-url`` values first, then ``--index-url``
— and, with the default ``first-index`` strategy, the first index that knows a project is the
only one used for it (uv's rule, against dependency confusion); ``unsafe-best-match`` and
``unsafe-first-match`` use every index (the resolver then prefers the highest version, or every
version of an earlier index to any of a later one). ``--find-links`` locations (a directory, or
an HTML page of links) are always merged in. Results are memoized per process and fetched at
most once even when several threads ask at the same time.

Wheel metadata comes from, in order: the PEP 658 ``.metadata`` file when the index advertises
one (its hash verified), HTTP range requests for the wheel's ``METADATA`` member, or a full
download (kept in the cache for the install). The parsed result is cached under
``wheels-v1/<index>/<wheel-stem>.rec``: a warm run reads no zip and parses no e-mail
headers.
"""

from __future__ import annotations

import os
from _thread import LockType, allocate_lock
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, TypeVar

from pyffin import log
from pyffin.cache import CacheBucket, CacheEntry, index_parts, path_key, url_key
from pyffin.cache.fs import stamp as fs_stamp
from pyffin.cache.fs import stamp_of
from pyffin.cache.keys import source_parts
from pyffin.client.cached import CachedClient, Dependency
from pyffin.client.errors import (
    AuthenticationError,
    DownloadStatusError,
    HttpStatusError,
    OfflineError,
)
from pyffin.errors import PyffinError, UsageError
from pyffin.futures import Future, ThreadPool
from pyffin.models.files import IndexFile, ProjectPage, SimplePage
from pyffin.models.metadata import CoreMetadata, MetadataError
from pyffin.models.names import checked_name, normalize_name
from pyffin.models.urls import redact
from pyffin.records import record
from pyffin.settings import concurrent_downloads

if TYPE_CHECKING:
    from pathlib import Path

    from pyffin.cache.fs import FileStamp
    from pyffin.client.http import Response
    from pyffin.client.metadata_pack import MetadataPack
    from pyffin.client.policy import CachePolicy
    from pyffin.client.simple import FilenameParts, PageBuilder
    from pyffin.models.torch import TorchIndexes

PYPI_SIMPLE = "https://pypi.org/simple"
#: The index pages of one project asked at once when every index is asked (uv's number).
_INDEXES_AT_ONCE = 8
#: The statuses of an index that refuses access (uv's "authentication error codes").
_REFUSALS = frozenset({401, 403, 407, 511})
INDEX_STRATEGIES = ("first-index", "unsafe-first-match", "unsafe-best-match")
#: The file extension of pyffin records in the cache.
RECORD_EXT = ".rec"

T = TypeVar("T")


class PackageNotFoundError(PyffinError):
    """No index and no find-links location knows the project."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1

    def __init__(self, name: str, sources: Sequence[str]) -> None:
        asked = ", ".join(redact(s) for s in sources) or "no index (--no-index)"
        super().__init__(f"{name} was not found in the package registry (asked: {asked})")
        self.name = name
        self.sources = tuple(sources)


@record
class IndexLocations:
    """Where projects are looked up."""

    index_url: str = PYPI_SIMPLE
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    strategy: str = "first-index"
    #: ``--torch-backend``: PyTorch's projects come from these indexes instead.
    torch: TorchIndexes | None = None

    def indexes(self) -> tuple[str, ...]:
        """Index URLs in priority order."""
        if self.no_index:
            return ()
        ordered: list[str] = []
        for url in (*self.extra_index_urls, self.index_url):
            if url not in ordered:
                ordered.append(url)
        return tuple(ordered)

    def for_name(self, name: str) -> IndexLocations:
        """Where project ``name`` (normalized) is looked up: these locations, but for a
        PyTorch project with ``--torch-backend``: PyTorch's indexes for the backend instead of
        the indexes, each index's versions before the next one's (uv's
        ``unsafe-first-match``), find-links and ``--no-index`` as they are."""
        torch = self.torch
        if torch is None or not torch.applies_to(name):
            return self
        *extra, last = torch.urls
        return IndexLocations(last, tuple(extra), self.find_links, self.no_index,
                              "unsafe-first-match")


class _FlatIndex:
    """A ``--find-links`` location's files grouped by project (cached for pages)."""

    RECORD_SCHEMA: ClassVar[str] = "flat-index"
    RECORD_VERSION: ClassVar[int] = 1

    def __init__(self, projects: dict[str, SimplePage]) -> None:
        self.projects = projects

    def to_record(self) -> Any:
        return {name: page.to_record() for name, page in self.projects.items()}

    @classmethod
    def from_record(cls, data: Any) -> _FlatIndex:
        return cls({name: SimplePage.from_record(page) for name, page in data.items()})


class _LocalMetadata:
    """Metadata of a local wheel, valid while the file's size and mtime are unchanged."""

    RECORD_SCHEMA: ClassVar[str] = "local-metadata"
    RECORD_VERSION: ClassVar[int] = 1

    def __init__(self, stamp: tuple[int, int], metadata: CoreMetadata) -> None:
        self.stamp = stamp
        self.metadata = metadata

    def to_record(self) -> Any:
        return (self.stamp, self.metadata.to_record())

    @classmethod
    def from_record(cls, data: Any) -> _LocalMetadata:
        stamp, metadata = data
        return cls((int(stamp[0]), int(stamp[1])), CoreMetadata.from_record(metadata))


class _Memo:
    """Per-process results keyed by anything, computed once even under concurrent callers."""

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self._futures: dict[object, Future[Any]] = {}

    def get(self, key: object, compute: Callable[[], T],
            submit: Callable[[Callable[[], T]], Future[T]] | None = None,
            fast: Callable[[], T | None] | None = None) -> Future[T]:
        """The memoized future for ``key``. ``submit`` runs ``compute`` in a pool; ``fast``,
        tried first in the calling thread, answers without ``compute`` when it can."""
        with self._lock:
            future = self._futures.get(key)
            if future is not None and not future.interrupted():
                return future
        if fast is not None:
            value = fast()
            if value is not None:
                with self._lock:
                    return self._futures.setdefault(key, Future.of(value))
        with self._lock:
            future = self._futures.get(key)
            if future is not None and not future.interrupted():
                return future
            if submit is not None:
                future = submit(compute)
                self._futures[key] = future
                return future
            future = Future()
            self._futures[key] = future
        future.run(compute)  # an interruption goes on from here, and is not kept
        return future

    def has(self, key: object) -> bool:
        """Whether ``key`` was asked for (its value may not be there yet)."""
        with self._lock:
            return key in self._futures

    def put_new(self, key: object, future: Future[Any]) -> None:
        """Keep ``future`` for ``key``, unless something was asked for it already."""
        with self._lock:
            self._futures.setdefault(key, future)

    def forget(self, key: object) -> None:
        """Drop what was kept for ``key``: it is computed again if asked for again."""
        with self._lock:
            self._futures.pop(key, None)

    def peek(self, key: object) -> Any:
        """The value computed for ``key``, or ``None`` when there is none (yet, or it
        failed)."""
        with self._lock:
            future = self._futures.get(key)
        if future is None or not future.done():
            return None
        try:
            return future.result()
        except BaseException:
            return None


_LAST = 1 << 62


class _Turns:
    """Pages take turns to be parsed, one at a time: the page a caller is waiting for first,
    then the page asked for first. Parsing holds the interpreter lock, which goes round the
    threads that want it: twenty pages parsed together all arrive near the end of the twenty
    parses, while one at a time, the first one the solver needs arrives after its own parse,
    and its metadata requests go out while the others are parsed.

    The turn is handed over: the parse that ends picks the next and wakes that one alone (a
    condition's ``notify_all`` woke every waiter at every turn, and each wanted the
    interpreter lock just to go back to sleep: a thousand wake-ups in a cold resolve)."""

    def __init__(self) -> None:
        self._lock = allocate_lock()
        #: The parse whose turn it is (``None``: nobody's).
        self._owner: _Waiter | None = None
        #: Project -> when it was first asked for (its place in the queue).
        self._order: dict[str, int] = {}
        #: Projects a caller waits for.
        self._urgent: set[str] = set()
        #: The parses waiting for their turn.
        self._waiting: list[_Waiter] = []

    def asked(self, name: str) -> None:
        if name not in self._order:
            with self._lock:  # read when the next turn is given: no one to wake
                self._order.setdefault(name, len(self._order))

    def urgent(self, name: str) -> None:
        with self._lock:
            self._urgent.add(name)

    def _rank(self, waiter: _Waiter) -> tuple[bool, int]:
        name = waiter[0]
        # A name never asked for goes last.
        return name not in self._urgent, self._order.get(name, _LAST)

    @contextmanager
    def turn(self, name: str) -> Iterator[None]:
        waiter: _Waiter = (name, allocate_lock())
        waiter[1].acquire()  # released when this parse's turn comes
        try:
            with self._lock:
                if self._owner is None:
                    self._owner = waiter
                    waiter[1].release()
                else:
                    self._waiting.append(waiter)
            waiter[1].acquire()
        except BaseException:  # interrupted: out of the queue, or the turn passed on
            self._leave(waiter)
            raise
        try:
            yield
        finally:
            self._leave(waiter)

    def _leave(self, waiter: _Waiter) -> None:
        """``waiter`` is done: out of the queue if it waits there, and if the turn is its,
        handed to the first of the others."""
        with self._lock:
            for index, other in enumerate(self._waiting):
                if other is waiter:
                    del self._waiting[index]
                    return
            if self._owner is not waiter:
                return
            self._owner = None
            if self._waiting:
                after = min(self._waiting, key=self._rank)
                self._waiting.remove(after)
                self._owner = after
                after[1].release()


#: A parse waiting for its turn: its project and the lock released when the turn is its.
_Waiter = tuple[str, LockType]


class RegistryClient:
    """Projects and wheel metadata from the configured indexes and find-links locations."""

    def __init__(self, cached: CachedClient, locations: IndexLocations | None = None, *,
                 pool: ThreadPool | None = None) -> None:
        self.cached = cached
        self.cache = cached.cache
        self.locations = locations or IndexLocations()
        #: The I/O thread pool prefetches run in: the session's (see
        #: :attr:`pyffin.api.session.Session.pool`), else one of this client's own.
        self.pool = pool if pool is not None else ThreadPool(concurrent_downloads(), "pyffin-io")
        if self.locations.strategy not in INDEX_STRATEGIES:
            raise UsageError(f"invalid index strategy {self.locations.strategy!r} "
                             f"(expected one of: {', '.join(INDEX_STRATEGIES)})")
        self._projects = _Memo()
        self._metadata = _Memo()
        #: The metadata pack (see :mod:`pyffin.client.metadata_pack`), made when first asked.
        self._pack: MetadataPack | None = None
        self._flat = _Memo()
        #: What each project's pages were read from (see :meth:`project_dependencies`), and
        #: each find-links location's.
        self._project_deps: dict[str, list[Dependency] | None] = {}
        self._flat_deps: dict[str, list[Dependency] | None] = {}
        #: The policy records of pages used through a record derived from them (a summary),
        #: by path: this process did not read those pages (see :meth:`page_policies`).
        self._derived_policies: dict[str, Any] = {}
        #: Cache directories by path: absent when first looked at (see :meth:`may_be_cached`).
        self._absent: dict[str, bool] = {}
        #: Filename parts parsed on any page this client read (most recur across pages),
        #: made with the first page parsed (a kept resolution parses none).
        self._filename_parts: FilenameParts | None = None
        #: Pages parsed one at a time, the most needed first.
        self._turns = _Turns()
        #: Projects :meth:`prefetch_if_cold` is fetching -> the ``then`` a later
        #: :meth:`prefetch_project` gave (``None``: none yet); then those it fetched before any.
        self._bare: dict[str, Callable[[list[ProjectPage]], None] | None] = {}
        self._bare_fetched: set[str] = set()
        self._bare_lock = allocate_lock()
        #: Projects an index page of which this process received over the network (see
        #: :meth:`received`).
        self._received: set[str] = set()

    # ------------------------------------------------------------------------ projects
    def project(self, name: str) -> list[ProjectPage]:
        """The pages that list ``name``; raises :class:`PackageNotFoundError`."""
        key = checked_name(name)
        self._turns.asked(key)
        if self._projects.peek(key) is None:  # its parse goes first: this thread waits for it
            self._turns.urgent(key)
        return self._projects.get(key, lambda: self._fetch_project(name)).result()

    def prefetch_project(self, name: str,
                         then: Callable[[list[ProjectPage]], None] | None = None,
                         ) -> Future[list[ProjectPage]]:
        """Start fetching ``name``'s pages in the I/O pool; the future is shared. Pages the
        cache can answer are read right away, in this thread: handing a warm lookup to a
        thread costs more than the lookup.

        ``then`` is given the pages in the pool thread that fetched them, before the future
        says they are there (so what it leaves is seen by whoever waits for them); it is a
        hint (what it raises is dropped), and is not called when the pages were known."""
        key = checked_name(name)
        self._turns.asked(key)
        if then is not None and (key in self._bare or key in self._bare_fetched):
            with self._bare_lock:
                late = key in self._bare_fetched
                if key in self._bare:  # being fetched early: that fetch calls ``then``
                    self._bare[key] = then
                    then = None
                self._bare_fetched.discard(key)
            if late:  # fetched early: ``then`` runs now, in the pool (never waiting there)
                future = self._projects.get(key, lambda: self._fetch_project(name))
                self.pool.submit(self._hint, key, then, future)
                return future

        def fetch() -> list[ProjectPage]:
            pages = self._fetch_project(name)
            if then is not None:
                self._hint(name, then, Future.of(pages))
            return pages

        return self._projects.get(key, fetch, self.submit,
                                  fast=lambda: self._cached_project(key))

    @staticmethod
    def _hint(name: str, then: Callable[[list[ProjectPage]], None],
              pages: Future[list[ProjectPage]]) -> None:
        """Give a :meth:`prefetch_project` hint the pages (done: never waited for here)."""
        try:
            then(pages.result())
        except Exception as e:  # a hint: whoever needs the pages sees what is wrong
            log.debug(f"Nothing prefetched for {name}: {e}")

    def prefetch_if_cold(self, names: Sequence[str],
                         pinned: Callable[[], Mapping[str, str]] | None = None) -> None:
        """Start fetching the pages of ``names`` (the requirements: what a resolution asks for
        first) if the cache holds no page of the first index (a cold run), before the work
        that comes before the resolution (finding the target interpreter); a later
        :meth:`prefetch_project` of one of them with ``then`` still has it called, in a pool
        thread. A warm run reads each page when asked: nothing here.

        ``pinned`` gives (asked on a cold run only) normalized name -> the normalized version
        its requirement pins with ``==``. Once such a page is there, the metadata of that
        version's wheel is fetched too when the target cannot change which wheel it is (see
        :meth:`_prefetch_pinned_metadata`): the resolution then finds it waiting."""
        indexes = self.locations.indexes()
        if not indexes or _local_path(indexes[0]) is not None:
            return
        directory = self.cache.entry(CacheBucket.SIMPLE, *index_parts(indexes[0]),
                                     RECORD_EXT).dir
        if self.may_be_cached(directory):
            return
        pins = None if pinned is None else pinned()
        for name in names:
            key = checked_name(name)
            with self._bare_lock:
                if key in self._bare or key in self._bare_fetched or self._projects.has(key):
                    continue
                self._bare[key] = None

            def fetch(key: str = key) -> list[ProjectPage]:
                try:
                    pages = self._fetch_project(key)
                finally:
                    with self._bare_lock:
                        then = self._bare.pop(key, None)
                        if then is None:
                            self._bare_fetched.add(key)
                if then is not None:
                    self._hint(key, then, Future.of(pages))
                version = None if pins is None else pins.get(key)
                if version is not None:
                    self._prefetch_pinned_metadata(pages, version)
                return pages

            self._projects.get(key, fetch, self.submit)

    def _prefetch_pinned_metadata(self, pages: list[ProjectPage], version: str) -> None:
        """Start fetching the metadata of ``version``'s wheel when one page lists that version
        with a single wheel, pure Python 3 (``py3-none-any``: every Python 3 target takes it,
        so it is the wheel the resolution reads whatever the target, which is not known yet)
        and with its metadata file (PEP 658): nothing larger than that file is asked for, and
        nothing is when the version has other wheels (which one the target takes is its tags'
        to say) or is not there. A hint: what goes wrong is the resolution's to find."""
        found = [(page, rows) for page in pages if (rows := page.page.rows(version))]
        if len(found) != 1 or len(found[0][1][0]) != 1:
            return
        page = found[0][0]
        wheel = next(page.page.wheels(version))
        if "py3-none-any" in wheel.tags and wheel.file.core_metadata is not None:
            self.prefetch_wheel_metadata(page, wheel.file)

    def project_dependencies(self, name: str) -> list[Dependency] | None:
        """What ``name``'s pages, as this process read them, came from — each index page
        asked (found or not) and each find-links location — as dependencies a record derived
        from those pages is valid while (see :meth:`CachedClient.holds`). ``None`` when they
        were not read, or when some answer is not kept in a file (an HTTP 404)."""
        return self._project_deps.get(name)

    def received(self, name: str) -> bool:
        """Whether this process received an index page of ``name`` over the network (not
        from the cache, not a local file): a cold run's, most often."""
        return name in self._received

    def derived_entry(self, name: str, key: str) -> CacheEntry:
        """Where a record derived from ``name``'s pages for ``key`` is kept: beside the first
        index's page (``simple-v0/<index>/<name>.<key>.rec``), or in ``simple-v0/flat/`` with
        find-links alone."""
        indexes = self.locations.for_name(name).indexes()
        parts = index_parts(indexes[0]) if indexes else ("flat",)
        return self.cache.entry(CacheBucket.SIMPLE, *parts, f"{name}.{key}{RECORD_EXT}")

    def holds(self, dependencies: list[Dependency], name: str | None = None,
              policies: dict[str, Any] | None = None) -> bool:
        """Whether a record derived with ``dependencies`` (for project ``name``, so that
        ``--refresh-package`` applies) is still valid; if so, they count as read by this
        process (:meth:`CachedClient.dependencies`), with their pages' ``policies`` (see
        :meth:`page_policies`)."""
        if not self.cached.holds(dependencies, name):
            return False
        self.cached.note_dependencies(dependencies)
        if isinstance(policies, dict):
            self._derived_policies.update(policies)
        return True

    def page_policies(self, dependencies: list[Dependency]) -> dict[str, Any]:
        """The policy records of the stored responses among ``dependencies``, by path: what
        :meth:`revalidation` needs to ask whether they changed without reading them."""
        found = {}
        for path, _, fresh_until, _ in dependencies:
            if fresh_until is None:
                continue
            policy = self.cached.seen_policy(path)
            if policy is not None:
                found[path] = policy.to_record()
            elif path in self._derived_policies:
                found[path] = self._derived_policies[path]
        return found

    def revalidation(self, name: str, dependencies: list[Dependency],
                     policies: dict[str, Any], *,
                     known_stale: bool = False) -> Callable[[], bool] | None:
        """When the only thing wrong with ``dependencies`` (of a record derived from
        ``name``'s pages) is that some index pages need revalidating: what asks the indexes
        (conditional requests, or plain ones for a page that came without validators, whose
        bytes are then compared by digest; no page is decoded unless it changed) and says
        whether the record holds, to run
        in the I/O pool. ``None`` when something changed, or cannot be revalidated so.
        ``known_stale``: the caller just found every one of ``dependencies`` stale (not checked
        again)."""
        from pyffin.client.policy import CachePolicy

        pages = {}
        for index in self.locations.for_name(name).indexes():
            if _local_path(index) is None:
                entry = self.cache.entry(CacheBucket.SIMPLE, *index_parts(index),
                                         f"{name}{RECORD_EXT}")
                pages[entry.path_str] = (f"{index.rstrip('/')}/{name}/", entry)
        stale = []
        for dependency in dependencies:
            state = "stale" if known_stale else self.cached.dependency_state(dependency, name)
            if state == "holds":
                continue
            page = pages.get(dependency[0])
            policy = policies.get(dependency[0])
            if state != "stale" or page is None or policy is None or dependency[1] is None:
                return None
            current = CachePolicy.from_record(tuple(policy))
            if not current.can_revalidate():
                return None  # neither validators nor a digest: the page must be read again
            stale.append((page, tuple(dependency[1]), current))

        def revalidate() -> bool:
            from pyffin.client.simple import ACCEPT, parse_page

            for (url, entry), stamp, policy in stale:
                if not self.cached.revalidate(
                        url, entry, stamp, policy,  # type: ignore[arg-type]
                        lambda response: parse_page(name, response.url, response.content,
                                                    response.headers.get("content-type")),
                        SimplePage, headers={"Accept": ACCEPT,
                                             "Accept-Encoding": "gzip, deflate"},
                        package=name):
                    return False
            # Current now (the others held when asked): they count as read, as in holds().
            self.cached.note_dependencies(dependencies)
            for path, *_ in dependencies:
                if path in policies:
                    self._derived_policies[path] = policies[path]
            return True

        return revalidate

    def single_page_entry(self, name: str) -> tuple[str, CacheEntry] | None:
        """The index and cache entry of ``name``'s only page, when the configuration makes one
        page the whole story (first-index, no find-links); else ``None``."""
        locations = self.locations.for_name(name)
        if locations.find_links or locations.strategy != "first-index":
            return None
        indexes = locations.indexes()
        if not indexes:
            return None
        index = indexes[0]
        return index, self.cache.entry(CacheBucket.SIMPLE, *index_parts(index),
                                       f"{name}{RECORD_EXT}")

    def page_validity(self, entry: CacheEntry) -> tuple[CachePolicy, FileStamp] | None:
        """The cache policy and file stamp of the page at ``entry`` (see
        :meth:`single_page_entry`) as this client last read or wrote it; ``None`` when it did
        neither. Records derived from the page (a target's summary of it) are tied to both."""
        return self.cached.last_seen(entry)

    def usable_without_network(self, policy: CachePolicy, name: str) -> bool:
        """Whether a record derived from a page of ``name`` whose response had ``policy`` may
        be used as is: fresh and not refreshed (``--refresh``), or offline."""
        return self.cached.usable_without_network(policy, name)

    def stream(self, url: str, sink: Callable[[bytes], None], reset: Callable[[], None],
               ) -> None:
        """Download ``url`` (a file an index or find-links page lists) chunk by chunk into
        ``sink``, with this client's credentials and retries; ``reset`` starts it over."""
        self.cached.http.stream(url, sink, reset)

    def _cached_project(self, name: str) -> list[ProjectPage] | None:
        """``name``'s pages if one page is the whole story and the cache has it fresh, else
        ``None``."""
        single = self.single_page_entry(name)
        if single is None:
            return None
        index, entry = single
        if not self.may_be_cached(entry.dir):
            return None
        page = self.cached.cached(entry, SimplePage, package=name)
        if page is None:
            return None
        dependency = self.cached.policy_dependency(entry)
        self._project_deps[name] = None if dependency is None else [dependency]
        return [ProjectPage(index, page)]

    def may_be_cached(self, directory: Path) -> bool:
        """Whether the cache may hold entries read from ``directory`` (an index's pages, an
        index's wheel metadata): ``False`` when it did not exist the first time this client
        looked (before this client wrote there), until :meth:`forget_absent`. A cold run then
        asks its pool for every page and ``.metadata`` file without a failed ``open`` per
        project and version in the solver's thread, each of which waited for the interpreter
        lock that the threads parsing pages hold (what this client writes, it memoizes)."""
        key = str(directory)
        absent = self._absent.get(key)
        if absent is None:
            absent = self._absent[key] = not os.path.isdir(key)
        return not absent

    def forget_project(self, name: str) -> None:
        """Let go of the pages of ``name`` this client keeps (a page worker done with a
        project: the memory of its rows goes to the next one's, instead of new pages of
        memory, each a page fault). Asked for again, they are read again."""
        self._projects.forget(checked_name(name))

    def failed_elsewhere(self, name: str, error: PyffinError) -> None:
        """Another process fetching ``name``'s pages for this one (a page worker, with the
        same settings and retries) failed with ``error``: asked for here, they raise it,
        without trying again (a cold resolution against an index that is down would wait
        through the retries twice)."""
        failed: Future[list[ProjectPage]] = Future()
        failed.set_exception(error)
        self._projects.put_new(checked_name(name), failed)

    def forget_absent(self) -> None:
        """Look at the cache again: records were written outside this client (summaries)."""
        self._absent.clear()

    def _parts(self) -> FilenameParts:
        parts = self._filename_parts
        if parts is None:
            from pyffin.client.simple import FilenameParts as Parts

            parts = self._filename_parts = Parts()
        return parts

    def submit(self, fn: Callable[[], T], *, waits: bool = False) -> Future[T]:
        """Run ``fn`` in the I/O pool; its result (or exception) arrives in the future.
        ``waits``: ``fn`` mostly waits on the network (see :meth:`ThreadPool.submit`)."""
        future: Future[T] = Future()
        self.pool.submit(future.run, fn, waits=waits)
        return future

    def _fetch_project(self, name: str) -> list[ProjectPage]:
        normalized = checked_name(name)
        pages: list[ProjectPage] = []
        asked: list[str] = []
        deps: list[Dependency] | None = []
        locations = self.locations.for_name(normalized)
        indexes = locations.indexes()
        found: Iterator[tuple[SimplePage | None, Dependency | None]]
        if locations.strategy == "first-index" or len(indexes) < 2:
            found = (self._index_page(index, normalized) for index in indexes)
        else:  # every index is asked: all at once, as uv does (--torch-backend auto: 27)
            from pyffin.futures import run_in_threads

            found = iter(run_in_threads(
                lambda index: self._index_page(index, normalized, every_index=True), indexes,
                workers=_INDEXES_AT_ONCE))
        for index, (page, dependency) in zip(indexes, found, strict=False):  # (lazy: break)
            asked.append(index)
            if deps is not None:
                deps = None if dependency is None else [*deps, dependency]
            if page is not None:
                pages.append(ProjectPage(index, page))
                if locations.strategy == "first-index":
                    break
        for location in self.locations.find_links:
            asked.append(location)
            flat = self._flat_index(location)
            flat_deps = self._flat_deps.get(location)
            deps = None if deps is None or flat_deps is None else [*deps, *flat_deps]
            page = flat.projects.get(normalized)
            if page is not None:
                pages.append(ProjectPage(location, page, flat=True))
        self._project_deps[normalized] = deps
        if not pages:
            raise PackageNotFoundError(name, asked)
        return pages

    def _index_page(self, index: str, name: str, *, every_index: bool = False
                    ) -> tuple[SimplePage | None, Dependency | None]:
        """``name``'s page on ``index`` (``None``: not there) and what it was read from
        (``None``: nothing a file stands for). ``every_index``: every index is asked (the
        unsafe strategies), and one that refuses access counts as not having the project, as
        uv has it (PyTorch's CDN answers 403 for an index it does not have)."""
        url = f"{index.rstrip('/')}/{name}/"
        entry = self.cache.entry(CacheBucket.SIMPLE, *index_parts(index), f"{name}{RECORD_EXT}")
        local = _local_path(url)
        dependency: Dependency | None = None
        if local is not None:
            # A local index is read afresh each time: its page file is what answers depend on
            # (taken before reading it: a change meanwhile only makes them look stale).
            if os.path.isdir(local):
                local = os.path.join(local, "index.html")
            dependency = (local, fs_stamp(local), None, 0.0)
            self.cached.note_local(local, dependency[1])
        # Known before anything is written there; a cold run tries no read of its records.
        absent = not self.may_be_cached(entry.dir)
        # Imported only when a page may be parsed: a kept resolution reads none.
        from pyffin.client.simple import ACCEPT, parse_page

        parts = self._parts()

        def parse(response: Response) -> SimplePage:
            if local is None:
                self._received.add(name)
            with self._turns.turn(name):
                return parse_page(name, response.url, response.content,
                                  response.headers.get("content-type"), parts)

        try:
            page = self.cached.get(
                url, entry, parse,
                SimplePage, headers={"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
                package=name, absent=absent)
        except HttpStatusError as e:
            if e.status in (404, 410) or (every_index and e.status in _REFUSALS):
                log.debug(f"{name} is not on {redact(index)} (HTTP {e.status})")
                if local is None:
                    self.cached.note_untracked(f"{name} is not on {redact(index)}")
                return None, dependency
            raise
        except OfflineError:
            raise OfflineError(
                f"{name} is not in the cache for {redact(index)} and pyffin is offline",
                url=redact(url), hint="drop --offline to allow network access") from None
        return page, dependency if local is not None else self.cached.policy_dependency(entry)

    def _flat_index(self, location: str) -> _FlatIndex:
        return self._flat.get(("flat", location), lambda: self._read_flat(location)).result()

    def _read_flat(self, location: str) -> _FlatIndex:
        path = _local_path(location)
        if path is not None:
            # Read afresh each time: the directory or file is what answers depend on (its stamp
            # taken first; a directory's changes when a file is added, removed or renamed).
            stamp = fs_stamp(path)
            self.cached.note_local(path, stamp)
            self._flat_deps[location] = [(path, stamp, None, 0.0)]
            if not os.path.isdir(path):
                if os.path.isfile(path) and path.endswith((".html", ".htm")):
                    return self._flat_page(f"file://{os.path.abspath(path)}")
                raise UsageError(f"the --find-links location {location} does not exist")
            return _flat_directory(path)
        flat = self._flat_page(location)
        entry = self._flat_entry(location)
        dependency = self.cached.policy_dependency(entry)
        self._flat_deps[location] = None if dependency is None else [dependency]
        return flat

    def _flat_entry(self, url: str) -> CacheEntry:
        return self.cache.entry(CacheBucket.SIMPLE, "flat", f"{url_key(url)}{RECORD_EXT}")

    def _flat_page(self, url: str) -> _FlatIndex:
        entry = self._flat_entry(url)

        def transform(response: Response) -> _FlatIndex:
            from packaging.utils import parse_sdist_filename, parse_wheel_filename

            from pyffin.client.simple import PageBuilder, parse_html

            builders: dict[str, PageBuilder] = {}
            text = response.content.decode("utf-8", "replace")
            for file in parse_html(response.url, text):
                try:
                    if file.filename.endswith(".whl"):
                        project = parse_wheel_filename(file.filename)[0]
                    else:
                        project = parse_sdist_filename(file.filename)[0]
                except ValueError:
                    continue
                builders.setdefault(project, PageBuilder(project, redact(url))).add(file)
            return _FlatIndex({n: b.page() for n, b in builders.items()})

        return self.cached.get(url, entry, transform, _FlatIndex)

    # ------------------------------------------------------------------------ metadata
    def wheel_metadata(self, page: ProjectPage, file: IndexFile) -> CoreMetadata:
        """The core metadata of a wheel listed on ``page``."""
        key = (page.source, file.url)
        return self._metadata.get(key, lambda: self._fetch_metadata(page, file)).result()

    def prefetch_wheel_metadata(self, page: ProjectPage, file: IndexFile) -> Future[CoreMetadata]:
        """Start fetching a wheel's metadata in the I/O pool (answered at once from the cache
        when it can be)."""
        key = (page.source, file.url)
        return self._metadata.get(key, lambda: self._fetch_metadata(page, file), self.submit,
                                  fast=lambda: self._cached_metadata(page, file))

    def known_metadata(self, page: ProjectPage, file: IndexFile) -> CoreMetadata | None:
        """The metadata this process already used for a wheel (or, failing that, the cache's
        record of it, however old), without any request; ``None`` when there is none."""
        found = self._metadata.peek((page.source, file.url))
        if isinstance(found, CoreMetadata):
            return found
        if file.url.startswith("file:") or "://" not in file.url:
            return None
        return self.cached.stored(self._metadata_entry(page, file), CoreMetadata)

    def _metadata_entry(self, page: ProjectPage, file: IndexFile) -> CacheEntry:
        """Where a wheel's metadata is kept: under the wheel's hash when the page gives one
        (the record is then content-addressed: see :meth:`CachedClient.immutable`), in the
        index's directory (see :class:`~pyffin.cache.CacheBucket`'s ``WHEELS``)."""
        parts = source_parts(page)
        stem = file.filename[: -len(".whl")]
        digest = _content_hash(file)
        name = f"{stem}-{digest[:16]}{RECORD_EXT}" if digest else f"{stem}{RECORD_EXT}"
        return self.cache.entry(CacheBucket.WHEELS, *parts, name)

    def _cached_metadata(self, page: ProjectPage, file: IndexFile) -> CoreMetadata | None:
        if file.url.startswith("file:") or "://" not in file.url:
            return None
        digest = _content_hash(file)
        if digest is not None:
            packed = self._packed_metadata(page, file, digest)
            if packed is not None:
                return packed
        entry = self._metadata_entry(page, file)
        if not self.may_be_cached(entry.dir):
            return None
        if digest is None:
            return self.cached.cached(entry, CoreMetadata, package=page.page.name)
        found = self.cached.immutable(entry, CoreMetadata, package=page.page.name)
        if found is not None:
            self._pack_metadata(file, digest, entry, found)
        return found

    def _fetch_metadata(self, page: ProjectPage, file: IndexFile) -> CoreMetadata:
        local = _local_path(file.url)
        if local is not None:
            return self._local_wheel_metadata(local, file.filename)
        digest = _content_hash(file)
        if digest is not None:
            packed = self._packed_metadata(page, file, digest)
            if packed is not None:
                return packed
        parts = source_parts(page)
        entry = self._metadata_entry(page, file)
        # Known before anything is written there; a cold run tries no read of its records.
        absent = not self.may_be_cached(entry.dir)
        if digest is not None and not absent:
            # The metadata of the wheel with this hash, whatever the age of its response.
            found = self.cached.immutable(entry, CoreMetadata, package=page.page.name)
            if found is not None:
                self._pack_metadata(file, digest, entry, found)
                return found
        fetched = None
        if file.core_metadata is not None:
            fetched = self._metadata_file(page, file, entry, absent)
        if fetched is None:
            fetched = self.cached.fetch(
                file.url, entry, CoreMetadata,
                lambda conditional: self._metadata_by_range(file, conditional, parts, page),
                package=page.page.name, absent=absent)
        if digest is not None:
            self._pack_metadata(file, digest, entry, fetched)
        return fetched

    def _metadata_file(self, page: ProjectPage, file: IndexFile, entry: CacheEntry,
                       absent: bool) -> CoreMetadata | None:
        """The wheel's metadata from the ``.metadata`` file the page says it has (PEP 658);
        ``None`` when the index answers that there is no such file after all (404, 410: some
        mirrors list metadata files they do not serve), for the caller to read the wheel's
        own. Any other error status is a distribution that failed (exit status 1, as uv's)."""
        url = file.url + ".metadata"
        try:
            return self.cached.get(
                url, entry,
                lambda response: _checked_metadata(
                    response.content, file, url, file.core_metadata or ()),
                CoreMetadata, package=page.page.name, absent=absent)
        except AuthenticationError:
            raise
        except HttpStatusError as e:
            if e.status not in (404, 410):
                raise DownloadStatusError(e.message, url=e.url, status=e.status,
                                          hint=e.hint) from None
            index = redact(page.source)
            log.warn_once(f"{index} lists metadata files it does not serve (HTTP {e.status} for "
                          f"{file.filename}.metadata): reading the wheels' own instead",
                          key=f"metadata files missing on {index}")
            return None

    # The metadata pack (see pyffin.client.metadata_pack): wheels whose hash the page lists.
    def _packed_metadata(self, page: ProjectPage, file: IndexFile,
                         digest: str) -> CoreMetadata | None:
        found = self._metadata_pack().get(file.url, digest)
        if found is None:
            return None
        response_time, metadata = found
        if self.cached.refresh.forces(page.page.name, response_time):
            return None  # as the wheel's own record would be
        return metadata

    def _pack_metadata(self, file: IndexFile, digest: str, entry: CacheEntry,
                       metadata: CoreMetadata) -> None:
        response_time = self.cached.response_time(entry)
        if response_time is not None:
            self._metadata_pack().add(file.url, digest, response_time, metadata)

    def _metadata_pack(self) -> MetadataPack:
        pack = self._pack
        if pack is None:
            from pyffin.cache.buckets import METADATA_PACK
            from pyffin.client.metadata_pack import MetadataPack

            with self._bare_lock:  # one pack, whichever thread asks first
                pack = self._pack
                if pack is None:
                    pack = self._pack = MetadataPack(self.cache.entry(CacheBucket.WHEELS,
                                                                      METADATA_PACK))
        return pack

    def save_metadata_pack(self) -> None:
        """Keep the metadata this process used in the pack, if it used any the pack lacked
        (once the resolution is over: see :class:`~pyffin.client.metadata_pack.MetadataPack`)."""
        if self._pack is not None:
            self._pack.save()

    def _metadata_by_range(self, file: IndexFile, conditional: Mapping[str, str],
                           parts: tuple[str, ...], page: ProjectPage,
                           ) -> tuple[Response, CoreMetadata | None]:
        from pyffin.client import hashes, remote_zip

        http = self.cached.http
        limit = http.settings.max_page_bytes
        shown = redact(file.url)
        headers = {"Range": f"bytes=-{remote_zip.TAIL}", **conditional}
        with ExitStack() as stack:
            # A server that ignores Range sends the whole wheel: it goes to disk, not memory,
            # in a temporary directory made then (not for every 206: a mkdir and a removal
            # per wheel of a cold resolution from an index without metadata files).
            body = _RangeOrWhole(lambda: stack.enter_context(self.cache.temp_dir()) / "wheel",
                                 limit, shown, hashes.algorithms(hashes.verifiable(file.hashes)))
            try:
                first = http.stream(file.url, body.write, body.reset, headers=headers,
                                    not_modified=True, on_status=body.start)
            finally:
                body.close()
            if first.status == 304:
                return first, None
            if first.status == 206:
                first.content = body.content()

                def fetch(start: int, end: int) -> bytes:
                    response = http.get(file.url, {"Range": f"bytes={start}-{end - 1}"})
                    if response.status != 206:
                        raise HttpStatusError(
                            f"{shown} answered HTTP {response.status} to a range request",
                            url=shown, status=response.status)
                    return response.content

                found = remote_zip.read_member(first, fetch,
                                               _metadata_member_finder(file.filename), limit)
                if found is None:
                    raise MetadataError(f"the wheel {file.filename} has no .dist-info/METADATA")
                log.debug(f"Read the metadata of {file.filename} with range requests")
                return first, _checked_metadata(found[1], file, file.url, ())
            # The server ignored Range: this is the whole wheel. Check it and keep it for
            # install.
            hashes.check(body.digests.hexdigests(),
                         hashes.to_verify(file.hashes, what=file.filename, url=shown,
                                          strict=False), (), what=file.filename, url=shown)
            kept = self.cache.entry(CacheBucket.WHEELS, *parts, file.filename)
            body.keep(kept)
        import zipfile

        try:
            with zipfile.ZipFile(kept.path) as zf:
                member = _metadata_member_finder(file.filename)(zf.namelist())
                if member is None:
                    raise MetadataError(f"the wheel {file.filename} has no .dist-info/METADATA")
                data = remote_zip.read_bounded(zf, member, limit, file.filename)
        except zipfile.BadZipFile as e:
            kept.remove()
            raise MetadataError(f"{file.filename} from {shown} is not a valid wheel: {e}") from e
        return first, _checked_metadata(data, file, file.url, ())

    def _local_wheel_metadata(self, path: str, filename: str) -> CoreMetadata:
        try:
            st = os.stat(path)
        except OSError as e:
            raise PyffinError(f"cannot read {path}: {e.strerror}") from e
        self.cached.note_local(path, stamp_of(st))
        stamp = (st.st_mtime_ns, st.st_size)
        from packaging.utils import parse_wheel_filename

        name = parse_wheel_filename(filename)[0]
        entry = self.cache.entry(CacheBucket.WHEELS, "path", path_key(path), name,
                                 f"{filename[:-4]}{RECORD_EXT}")
        from pyffin.cache import codec

        cached = self.cache.read_record(entry, lambda data: _LocalMetadata.from_record(
            codec.loads(data, _LocalMetadata.RECORD_SCHEMA, _LocalMetadata.RECORD_VERSION)))
        if cached is not None and cached.stamp == stamp:
            return cached.metadata
        import zipfile

        from pyffin.client.remote_zip import read_bounded
        from pyffin.settings import max_page_bytes

        try:
            with zipfile.ZipFile(path) as zf:
                member = _metadata_member_finder(filename)(zf.namelist())
                if member is None:
                    raise MetadataError(f"the wheel {path} has no .dist-info/METADATA")
                data = read_bounded(zf, member, max_page_bytes(), path)
                metadata = _checked_metadata(data, None, path, (), filename=filename)
        except zipfile.BadZipFile as e:
            raise MetadataError(f"{path} is not a valid wheel: {e}") from e
        entry.write(codec.dumps(_LocalMetadata.RECORD_SCHEMA, _LocalMetadata.RECORD_VERSION,
                                _LocalMetadata(stamp, metadata).to_record()))
        return metadata


class _RangeOrWhole:
    """The body of a suffix range request: kept in memory for a 206 (bounded like any page),
    streamed to ``path`` and hashed for a 200 — a server that ignores ``Range`` sends the
    whole wheel, possibly gigabytes."""

    def __init__(self, make_path: Callable[[], Path], limit: int, shown: str,
                 algorithms: set[str]) -> None:
        from pyffin.client import hashes

        #: Where a whole wheel goes, made when the first one starts (see :meth:`start`).
        self.make_path = make_path
        self.path: Path | None = None
        self.limit = limit
        self.shown = shown
        self.algorithms = algorithms
        self.whole = False
        self.chunks: list[bytes] = []
        self.size = 0
        self.handle: BinaryIO | None = None
        self.digests = hashes.Digests(algorithms)

    def start(self, status: int) -> None:
        self.whole = status == 200
        if self.whole and self.handle is None:
            if self.path is None:
                self.path = self.make_path()
            self.handle = open(self.path, "wb")  # noqa: SIM115 - closed by close()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.handle is not None:
            self.handle.write(chunk)
            self.digests.update(chunk)
            return
        if self.size > self.limit:
            from pyffin.client.errors import ResponseTooLargeError

            raise ResponseTooLargeError(
                f"the response of {self.shown} to a range request is larger than {self.limit} "
                "bytes", url=self.shown)
        self.chunks.append(chunk)

    def reset(self) -> None:
        from pyffin.client import hashes

        self.close()
        self.handle = None
        self.chunks.clear()
        self.size = 0
        self.digests = hashes.Digests(self.algorithms)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def content(self) -> bytes:
        return b"".join(self.chunks)

    def keep(self, entry: CacheEntry) -> None:
        """Move the whole wheel to ``entry`` (atomically: same file system)."""
        assert self.path is not None, "no whole wheel was received"
        entry.dir.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, entry.path)


def _local_path(location: str) -> str | None:
    """The local path of a ``file://`` URL or a plain path; ``None`` for remote URLs."""
    if location.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(location).path)
    if "://" in location:
        return None
    return os.path.abspath(os.path.expanduser(location))


def _flat_directory(path: str) -> _FlatIndex:
    from pathlib import Path

    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    from pyffin.client.simple import PageBuilder

    builders: dict[str, PageBuilder] = {}
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if not entry.is_file():
            continue
        try:
            if entry.name.endswith(".whl"):
                project = parse_wheel_filename(entry.name)[0]
            elif entry.name.endswith((".tar.gz", ".zip")):
                project = parse_sdist_filename(entry.name)[0]
            else:
                continue
        except ValueError:
            log.debug(f"Skipping {entry.name} in {path}: not a distribution filename")
            continue
        file = IndexFile(entry.name, Path(entry.path).absolute().as_uri(), (), None, None, None,
                         entry.stat().st_size, None)
        builders.setdefault(project, PageBuilder(project, path)).add(file)
    return _FlatIndex({name: builder.page() for name, builder in builders.items()})


def _metadata_member_finder(filename: str) -> Callable[[list[str]], str | None]:
    """Which of a wheel's ``.dist-info/METADATA`` members is its own: the one of its
    project's name (a wheel may vendor another's), else the only one."""
    # Not packaging.utils: it imports packaging.tags (see _checked_metadata).
    import pyffin.models.wheel as wheel_module

    name = normalize_name(wheel_module.parse_filename(filename)[0])

    def find(names: list[str]) -> str | None:
        candidates = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        for candidate in candidates:
            dist_info = candidate.split("/")[0][: -len(".dist-info")]
            if normalize_name(dist_info.rpartition("-")[0]) == name:
                return candidate
        return candidates[0] if len(candidates) == 1 else None

    return find


def _verify_hashes(data: bytes, hashes: Sequence[tuple[str, str]], url: str) -> None:
    """Check ``data`` against the strongest of ``hashes`` pyffin can compute."""
    from pyffin.client import hashes as h

    shown = redact(url)
    what = _filename_of(url)
    expected = h.to_verify(hashes, what=what, url=shown, strict=False)
    if expected:
        digests = h.Digests(h.algorithms(expected))
        digests.update(data)
        h.check(digests.hexdigests(), expected, (), what=what, url=shown)


def _content_hash(file: IndexFile) -> str | None:
    """The hash that keys the metadata record of ``file`` (see
    ``RegistryClient._metadata_entry``); ``None``: the page lists none pyffin can use."""
    from pyffin.client import hashes

    named = hashes.key(file.hashes)
    return None if named is None else named[1]


def _filename_of(url: str) -> str:
    from urllib.parse import unquote

    return unquote(url.partition("#")[0].partition("?")[0].rpartition("/")[2]) or url


def _checked_metadata(data: bytes, file: IndexFile | None, url: str,
                      hashes: Sequence[tuple[str, str]], *, filename: str | None = None,
                      ) -> CoreMetadata:
    """Parse metadata, verify its hash, and check that it describes the wheel it came with."""
    # Not packaging.utils's parse_wheel_filename: it imports packaging.tags (with platform,
    # subprocess and sysconfig), ~6 ms of each page worker's first metadata, for tags this
    # check does not read.
    from pyffin.models.versions import InvalidVersion, Version
    from pyffin.models.wheel import InvalidWheelError, parse_filename

    _verify_hashes(data, hashes, url)
    wheel = filename or (file.filename if file else url)
    metadata = CoreMetadata.parse(data, source=redact(url))
    try:
        name_part, version_part = parse_filename(wheel)
        name, version = normalize_name(name_part), Version(version_part)
    except (InvalidWheelError, InvalidVersion):
        raise MetadataError(f"{wheel} is not a wheel filename with a valid version, so its "
                            "metadata cannot be checked against it") from None
    try:
        same_version = Version(metadata.version) == version
    except InvalidVersion:
        same_version = False
    if normalize_name(metadata.name) != name or not same_version:
        raise MetadataError(
            f"the metadata of {wheel} describes {metadata.name} {metadata.version}, "
            f"but the filename says {name} {version}")
    return metadata


def torch_indexes(mode: str, python_platform: str | None = None) -> TorchIndexes:
    """The PyTorch indexes ``--torch-backend`` ``mode`` stands for when resolving for
    ``python_platform`` (``--python-platform``; ``None``: this machine's), with the machine's
    GPU for ``auto``, at ``PYFFIN_TORCH_INDEX_URL`` (a mirror of PyTorch's) if set."""
    from pyffin.interpreter.tags import platform_os
    from pyffin.models import torch

    accelerator = None
    if mode == "auto":
        from pyffin.interpreter.accelerator import detect

        accelerator = detect()
    base = os.environ.get("PYFFIN_TORCH_INDEX_URL", "").strip() or torch.DEFAULT_INDEX_URL
    try:
        found = torch.torch_indexes(mode, platform_os(python_platform), accelerator,
                                    base_url=base)
    except ValueError as e:
        raise UsageError(str(e)) from None
    log.debug(f"PyTorch backend {mode}: {', '.join(found.backends)}"
              + (f" ({found.accelerator})" if found.accelerator is not None else ""))
    return found


def connect(cache: Any, settings: Any = None, *, offline: bool = False,
            refresh: Any = None, pool: ThreadPool | None = None,
            torch: TorchIndexes | None = None,
            python_platform: str | None = None) -> RegistryClient:
    """A registry client for ``settings`` (:class:`pyffin.settings.IndexSettings`, already
    merged), sharing one lazily created HTTP client; its work runs in ``pool``. ``torch``:
    the indexes its ``torch_backend`` stands for, when already worked out (a page worker's);
    else they are worked out here (see :func:`torch_indexes`) for ``python_platform``."""
    from pyffin.client.cached import Refresh
    from pyffin.settings import IndexSettings

    settings = settings or IndexSettings()

    assert isinstance(settings, IndexSettings)
    if torch is None and settings.torch_backend:
        torch = torch_indexes(settings.torch_backend, python_platform)
    torch_urls = () if torch is None else torch.urls
    keyring = settings.keyring_provider or "disabled"
    if keyring not in ("disabled", "subprocess"):
        raise UsageError(f"invalid keyring provider {keyring!r} (expected disabled or "
                         "subprocess)")

    hosts: tuple[Any, ...] = ()
    if settings.allow_insecure_host:
        from pyffin.client.http import insecure_hosts

        hosts = insecure_hosts(settings.allow_insecure_host)

    def http() -> Any:
        from pyffin.client.auth import Credentials, Keyring
        from pyffin.client.http import HttpClient, HttpSettings

        credentials = Credentials(keyring=Keyring() if keyring == "subprocess" else None,
                                  indexes=(*locations.indexes(), *torch_urls,
                                           *locations.find_links))
        return HttpClient(HttpSettings.from_env(offline=offline, ca_bundle=settings.cert,
                                                insecure_hosts=hosts), credentials)

    locations = IndexLocations(
        index_url=settings.index_url or PYPI_SIMPLE,
        extra_index_urls=settings.extra_index_urls or (),
        find_links=settings.find_links or (),
        no_index=bool(settings.no_index),
        strategy=settings.index_strategy or "first-index",
        torch=torch,
    )
    cached = CachedClient(
        cache,
        http,
        refresh=refresh if isinstance(refresh, Refresh) else None,
        offline=offline,
    )
    return RegistryClient(cached, locations, pool=pool)
