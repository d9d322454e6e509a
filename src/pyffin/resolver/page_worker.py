"""Page workers: processes that fetch, decode and summarize the project pages of a cold
resolution, and the metadata of the versions it will most likely choose, on other cores
(Linux, the command line).

A cold resolution is CPU-bound in one process: decoding tens of megabytes of pages, choosing
each version's usable files and writing the records hold the interpreter lock for most of
its run, while the other cores idle (threads only take turns). Page workers are forks of the
command, taken before it starts any thread, when the cache has never held an index page
(:func:`start`). The first is forked as the command starts (:func:`prestart`, for the cache
its command line points at), so that it imports what pages need while the command imports
and reads what it needs, on another core. The resolution hands them each project it
discovers (:meth:`PageWorkers.ask`) and, once the target is known, what decides which files
it can use and its marker environment (:meth:`PageWorkers.target`). A worker fetches the
project's pages with its own I/O pool, writes the page records and this target's summary
into the cache, then the metadata of the version the solver will most likely choose (the
newest final release the asked range allows whose files and Requires-Python fit), and
answers with the name. It also names the dependencies that metadata gives the target (with
the extras the requirement asks for: ``uvicorn[standard]``'s too), which the command hands
on (to the least busy worker) before its solver gets there: the likely dependency graph is
walked by the workers, ahead of the solver. The resolution reads each
summary and metadata record as a warm resolution does.

Nothing a worker does is trusted beyond what the cache checks anyway: a summary is read only
if the pages it names are there, unchanged and fresh. What a worker cannot do (a page
missing, an error, the worker gone) it answers with a "no", and the resolution does that
project itself, the usual way, which reports what is wrong. A worker writes nothing to the
terminal (its standard streams are the null device), ignores Ctrl-C (the command's process
handles it) and exits when the command closes its end of the pipe — at the end of the
resolution, or when the process ends — once the project under way is written.

``PYFFIN_PAGE_WORKERS=0`` turns them off (``=N``: N workers; two by default); with
``PYFFIN_PAGE_WORKERS_ALWAYS=1`` they start on a cache that holds pages too.
"""

from __future__ import annotations

import os
import sys
from _thread import allocate_lock
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pyffin.futures import Future

if TYPE_CHECKING:
    from pathlib import Path

    from pyffin.cache import Cache
    from pyffin.client.cached import Refresh
    from pyffin.client.registry import RegistryClient
    from pyffin.errors import PyffinError
    from pyffin.models.torch import TorchIndexes
    from pyffin.models.versions import Version
    from pyffin.resolver.ranges import VersionSet
    from pyffin.settings import IndexSettings

__all__ = ["PageWorkers", "on_this_machine", "prestart", "release", "start", "wanted"]

#: Workers by default: two, beside the command's process, on two cores or more.
WORKERS = 2

#: Projects a worker works on at once, against an index elsewhere: it works on one while the
#: others' pages and metadata are on their way. Paired cold compiles against pypi.org (this
#: machine's has no metadata files: each wheel's METADATA is two or three range requests),
#: four against two: large set 0.74-0.82x, medium 0.88x, pandas-scipy-matplotlib 1.05x;
#: against a loopback index answering 15 ms late (with metadata files): large 0.70x, medium
#: 0.85x. Eight did better still on the large set (0.86-0.93x of four) but not on the medium
#: one, and worse on pandas-scipy-matplotlib (1.10x of two).
IN_FLIGHT = 4
#: ... and when every location is on this machine (see :func:`on_this_machine`): with next
#: to no latency to hide, a second project only shares the worker's CPU with the first,
#: which the solver may be waiting for (paired cold compiles from a loopback index: medium
#: 0.94x, large 0.95-0.97x; against pypi.org one was 1.05x of two).
IN_FLIGHT_LOCAL = 1

#: The length prefix of a message to a worker (a pickle): 4 bytes, little-endian.
_LENGTH = 4


def wanted(cache: Cache, *, offline: bool, forking: bool = True) -> int:
    """How many page workers pay here (0: none): a cold cache (no index page kept; not a
    temporary one, removed at the end while a worker may still write), a process that may
    fork (Linux, no thread started yet: ``forking`` checks that), and a core for each."""
    try:
        count = int(os.environ.get("PYFFIN_PAGE_WORKERS", WORKERS))
    except ValueError:
        count = WORKERS
    if (count <= 0 or offline or cache.temporary or sys.platform != "linux"
            or not hasattr(os, "fork")):
        return 0
    import _thread

    if forking and _thread._count() != 0:  # a thread alive: a fork would copy its locks
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    count = min(count, cpus)
    if cpus < 2:
        return 0
    if os.environ.get("PYFFIN_PAGE_WORKERS_ALWAYS") == "1":
        return count
    from pyffin.cache import CacheBucket

    try:
        with os.scandir(cache.bucket(CacheBucket.SIMPLE)) as entries:
            return count if next(entries, None) is None else 0
    except OSError:  # no such directory yet: cold
        return count


def prestart(root: str | None, imported: Callable[[], None] | None = None) -> None:
    """Fork the first worker now, at the start of the command, when the cache at ``root``
    (the one the command line names, or the default: a configuration file may name another)
    looks cold: it imports what pages need on another core while the command imports its
    own modules and reads its configuration and requirements, instead of after. :func:`start`
    takes it on when the cache the command uses is that one and the workers are
    :func:`wanted` there; otherwise it is let go (:func:`release`), as it is when the command
    ends before. ``imported`` is called in it once its imports are made (the command line
    keeps their code for the next time: see :mod:`pyffin.cli.code_bundle`)."""
    global _early
    if _early is not None or root is None:
        return
    from pathlib import Path

    from pyffin.cache import Cache

    cache = Cache(Path(root))
    count = wanted(cache, offline=False)
    if count:
        _early = _fork(count, cache.root, imported)


def release() -> None:
    """Let go of a first worker :func:`prestart` forked and no resolution took: it exits
    once it reads the end of its pipe."""
    global _early
    early, _early = _early, None
    if early is not None:
        early.close()


def start(cache: Cache, *, offline: bool = False) -> PageWorkers | None:
    """Page workers, when :func:`wanted`: the first one :func:`prestart` forked for this
    cache, or one forked now. The first imports what the pages need, then forks the others
    (each import once, and on another core than the command's)."""
    global _early
    early, _early = _early, None
    count = wanted(cache, offline=offline, forking=early is None)
    if early is not None and (early.root != cache.root or len(early._children) != count):
        early.close()
        early = None
        count = wanted(cache, offline=offline)
    workers = early or (_fork(count, cache.root) if count else None)
    if workers is not None:
        from pyffin import log

        log.debug(f"Started {count} page workers (the cache holds no index page)")
    return workers


#: The first worker :func:`prestart` forked, until :func:`start` takes it (or it is let go).
_early: PageWorkers | None = None


def _fork(count: int, root: Path, imported: Callable[[], None] | None = None,
          ) -> PageWorkers | None:
    """Fork the first of ``count`` workers for the cache at ``root`` (see :func:`prestart`
    for ``imported``)."""
    import time

    started = time.time()
    pipes: list[tuple[int, int, int, int]] = []  # (worker reads, command writes, command
    try:                                           #  reads, worker writes) of each
        for _ in range(count):
            to_worker = os.pipe()
            try:
                from_worker = os.pipe()
            except OSError:
                os.close(to_worker[0])
                os.close(to_worker[1])
                raise
            pipes.append((to_worker[0], to_worker[1], from_worker[0], from_worker[1]))
        pid = os.fork()
    except OSError:
        for pipe in pipes:
            for fd in pipe:
                os.close(fd)
        return None
    if pid == 0:  # the first worker: never returns
        code = 1
        try:
            for _, command_writes, command_reads, _ in pipes:
                os.close(command_writes)
                os.close(command_reads)
            _zygote(pipes, imported)
            code = 0
        finally:
            os._exit(code)
    children = []
    for worker_reads, command_writes, command_reads, worker_writes in pipes:
        os.close(worker_reads)
        os.close(worker_writes)
        children.append(_Child(command_writes, command_reads))
    children[0].pid = pid
    return PageWorkers(children, started, root)


def _zygote(pipes: list[tuple[int, int, int, int]],
            imported: Callable[[], None] | None = None) -> None:
    """The first worker: import what pages need, fork the other workers, then serve."""
    import gc
    import signal

    # A worker's pages, rows and versions live until it exits (see pyffin.collector).
    gc.disable()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command's process answers Ctrl-C
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    _import_page_path()  # while the command reads its requirements
    if imported is not None:
        try:
            imported()
        except Exception:  # (only ever a slower next start)
            pass
    mine = pipes[0]
    worker = _Worker(mine[3])
    # The index settings first: what a connection to an HTTPS index needs is made once, for
    # every worker (the others are forked after).
    if not _serve(mine[0], worker, until_configured=True):
        worker.finish()
        return
    worker.warm_up()
    for other in pipes[1:]:
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            code = 1
            try:
                for pipe in pipes:
                    if pipe is not other:
                        os.close(pipe[0])
                        os.close(pipe[3])
                _serve(other[0], _Worker(other[3]))
                code = 0
            finally:
                os._exit(code)
        # That worker's ends (or, with no fork, ends that nobody reads: the command's reads
        # of it end at once, and what it asked is answered "no").
        os.close(other[0])
        os.close(other[3])
    _serve(mine[0], worker)


class _Child:
    """The command's end of one worker process."""

    __slots__ = ("incoming", "outgoing", "pid", "under_way", "writing")

    def __init__(self, outgoing: int, incoming: int) -> None:
        #: The process to reap (the first worker: the others are its children).
        self.pid: int | None = None
        self.outgoing = outgoing
        self.incoming = incoming
        #: Projects asked of it and not answered yet.
        self.under_way = 0
        #: Held while a message is written (one longer than a pipe writes at once would
        #: interleave with another thread's).
        self.writing = allocate_lock()


class PageWorkers:
    """The command's end of its page workers (see the module)."""

    def __init__(self, children: list[_Child], started: float, root: Path) -> None:
        #: When the workers were started: what they received since is this command's.
        self.started = started
        #: The root of the cache they write to.
        self.root = root
        self._children = children
        self._lock = allocate_lock()
        #: Each project asked for (by the resolution, or named by a worker's walk) ->
        #: whether a worker summarized it (its answer).
        self._asked: dict[str, Future[bool]] = {}
        #: Told each answer, in a reader's thread, before its future is set.
        self.on_answer: Callable[[str, bool], None] | None = None
        #: Told, before the answer, why a worker could not fetch a project's pages when
        #: the command would fail the same way (see :func:`_failure`).
        self.on_failure: Callable[[str, PyffinError], None] | None = None
        self._reading = False
        self._closed = False
        #: Projects answered "yes" so far.
        self._summarized = 0
        #: Projects a worker works on at once (see :meth:`configure`).
        self._in_flight = IN_FLIGHT
        #: Projects asked for and not handed to a worker yet, the next one first: those the
        #: resolution waits for (see :meth:`urgent`), then those a walk named, the latest
        #: first (a dependency of the one just read goes before its siblings: a chain of
        #: dependencies is walked down at once), then those the resolution named, in order.
        self._queue: list[tuple[str, tuple[str, Any]]] = []

    def configure(self, settings: IndexSettings, refresh: Refresh | None, *,
                  local: bool = False, torch: TorchIndexes | None = None) -> None:
        """The index settings the command's registry uses (merged: the flags, variables,
        configuration files and requirements files), its ``--refresh`` and the PyTorch
        indexes its ``--torch-backend`` stands for: each worker's registry is made of them.
        ``local``: every location they name is on this machine (:func:`on_this_machine`), and
        each worker takes one project at a time."""
        self._in_flight = IN_FLIGHT_LOCAL if local else IN_FLIGHT
        self._send_all(("index", (str(self.root), settings, refresh, torch)))

    def target(self, selection: Mapping[str, Any], markers: Mapping[str, str] | None, *,
                walk: bool, excluded: Iterable[str] = ()) -> None:
        """What decides which files the target can use (the keywords of its
        :class:`~pyffin.resolver.file_selection.FileSelection`) and, with ``walk``, that the
        likely dependencies are walked, those ``markers`` (its environment) give it, or with
        none (a universal resolution's) those any platform may need, but for the ``excluded``
        names (uv's ``--excludes``: the resolution never asks for them)."""
        self._send_all(("target", (dict(selection), None if markers is None
                                   else dict(markers), walk, tuple(excluded))))

    def ask(self, name: str, required: VersionSet | None = None,
            extras: tuple[str, ...] = ()) -> bool:
        """Have a worker summarize the pages of ``name`` (normalized) — and fetch the
        metadata of the newest version ``required`` allows that the target can use, the walk
        going on to the dependencies ``extras`` add too — if not asked yet; whether it is (or
        was) asked."""
        return self._ask(name, ("range", (required, extras)))

    def asked(self, name: str) -> Future[bool] | None:
        """The answer for ``name`` (``True``: its summary is in the cache); ``None``: not
        asked."""
        return self._asked.get(name)

    def close(self) -> None:
        """Let the workers go: each exits once it reads the end of its pipe. Projects still
        asked for are answered "no"."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            reading = self._reading
            summarized = self._summarized
            asked = len(self._asked)
        if asked:
            from pyffin import log

            log.debug(f"The page workers summarized {summarized} of the {asked} projects "
                      "asked of them")
        for child in self._children:
            with child.writing:  # not under a write of another thread (its number reused)
                if child.outgoing >= 0:
                    os.close(child.outgoing)
                    child.outgoing = -1
            if not reading:
                os.close(child.incoming)
                _reap(child.pid)

    # ------------------------------------------------------------------------ internals
    def _ask(self, name: str, accept: tuple[str, Any]) -> bool:
        with self._lock:
            if name in self._asked:
                return True
            if self._closed:
                return False
            self._asked[name] = Future()
            if accept[0] == "text":  # a walk's: before those the resolution named
                self._queue.insert(0, (name, accept))
            else:
                self._queue.append((name, accept))
            start_reading = not self._reading
            self._reading = True
        if start_reading:
            from pyffin.futures import in_thread

            for each in self._children:
                in_thread(_Reader(self, each), "pyffin-page-worker")
        self._dispatch()
        return True

    def urgent(self, name: str) -> None:
        """The resolution waits for ``name``: it goes to the next free worker first."""
        with self._lock:
            for i, (queued, _) in enumerate(self._queue):
                if queued == name:
                    if i:
                        self._queue.insert(0, self._queue.pop(i))
                    return

    def _dispatch(self) -> None:
        """Hand queued projects to the workers with room for them: each works on at most
        :data:`IN_FLIGHT` at once (:data:`IN_FLIGHT_LOCAL` when the index is on this
        machine), so that the pages left go to whichever is free first
        (a few pages take most of the time: pushed ahead, one worker would get them all)."""
        while True:
            with self._lock:
                if not self._queue or self._closed:
                    return
                child = min(self._children, key=_under_way)
                if child.under_way >= self._in_flight:
                    return
                name, accept = self._queue.pop(0)
                child.under_way += 1
            self._send(child, ("page", (name, accept)))

    def _send_all(self, message: tuple[str, Any]) -> None:
        for child in self._children:
            self._send(child, message)

    def _send(self, child: _Child, message: tuple[str, Any]) -> None:
        import pickle

        try:
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
            with child.writing:
                if child.outgoing < 0:  # let go
                    return
                _write_all(child.outgoing, len(data).to_bytes(_LENGTH, "little") + data)
        except Exception:  # a worker gone (or that cannot be told): the others are let go
            self.close()
            self._gone()

    def _read_answers(self, child: _Child) -> None:
        """A reader's thread: each line of ``child`` is ``+name`` (summarized), ``-name``
        (not), ``!name<TAB>error`` (not: its pages could not be fetched, see
        :func:`_failure`), or ``?name requirement`` (a likely dependency to walk to)."""
        pending = b""
        try:
            while True:
                chunk = os.read(child.incoming, 65536)
                if not chunk:
                    break
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    text = line[1:].decode("utf-8", "replace")
                    if line[:1] == b"?":
                        name, _, requirement = text.partition(" ")
                        self._ask(name, ("text", requirement))
                    else:
                        with self._lock:
                            child.under_way -= 1
                        self._dispatch()
                        error = None
                        if line[:1] == b"!":
                            text, _, failure = text.partition("\t")
                            error = _failed_with(failure)
                        self._answer(text, line[:1] == b"+", error)
        except OSError:
            pass
        finally:
            os.close(child.incoming)
            _reap(child.pid)
            self._gone()

    def _answer(self, name: str, summarized: bool, error: PyffinError | None = None) -> None:
        future = self._asked.get(name)
        if future is None or future.done():
            return
        if error is not None and self.on_failure is not None and not self._closed:
            from pyffin import log

            log.debug(f"A page worker could not fetch the pages of {name}: {error}")
            try:
                self.on_failure(name, error)
            except Exception:  # the project is read the usual way, which says what is wrong
                pass
        # Counted first: once told, the resolution may use the summary, end, and report the
        # count before this thread goes on.
        if summarized:
            with self._lock:
                self._summarized += 1
        if self.on_answer is not None and not self._closed:  # (the resolution is over)
            try:
                self.on_answer(name, summarized)
            except Exception:  # the project is read the usual way
                if summarized:
                    with self._lock:
                        self._summarized -= 1
                summarized = False
        future.set_result(summarized)

    def _gone(self) -> None:
        """A worker ended (the command let it go, or it died): the command is done with them
        all, and what is still asked is answered "no" (the resolution reads those pages
        itself)."""
        with self._lock:
            self._closed = True
            self._queue.clear()
            futures = list(self._asked.values())
        for future in futures:
            if not future.done():
                future.set_result(False)


class _Reader:
    """A reader's thread's work: :meth:`PageWorkers._read_answers` of one worker."""

    __slots__ = ("child", "workers")

    def __init__(self, workers: PageWorkers, child: _Child) -> None:
        self.workers = workers
        self.child = child

    def __call__(self) -> None:
        self.workers._read_answers(self.child)


def _under_way(child: _Child) -> int:
    return child.under_way


def on_this_machine(locations: Iterable[str]) -> bool:
    """Whether every one of ``locations`` (index and find-links URLs or paths) is on this
    machine: a local path or ``file:`` URL, or a URL whose host is ``localhost`` or a loopback
    address (``127.x.x.x``, ``::1``). Names are not looked up: any other host counts as
    remote. (Read by hand: the command's process has not imported :mod:`urllib.parse`, nor
    :mod:`ipaddress` with it, by the time it asks, and they would cost it ~1 ms.)"""
    for location in locations:
        scheme, sep, rest = location.partition("://")
        if not sep or scheme.lower() == "file":
            continue
        netloc = rest.split("/", 1)[0].rpartition("@")[2].lower()
        # (An IPv6 address is bracketed, with colons of its own.)
        host = (netloc[1:].partition("]")[0] if netloc.startswith("[")
                else netloc.partition(":")[0])
        if host == "localhost" or host.endswith(".localhost") or host == "::1":
            continue
        octets = host.split(".")
        if (len(octets) == 4 and octets[0] == "127"
                and all(o.isdigit() and o.isascii() and int(o) < 256 for o in octets)):
            continue
        return False
    return True


def _reap(pid: int | None) -> None:
    if pid is None:
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _failure(name: str, error: BaseException) -> bytes | None:
    """The answer that tells the command why ``name``'s pages could not be fetched, when it
    would fail the same way: the index (or a find-links location) could not be reached or
    answered an error status, after the retries the command's client makes too. Against an
    index that is down, a cold resolution would otherwise wait through them twice. Not for
    refused credentials: the command may have more (a keyring)."""
    from pyffin.client.errors import (
        AuthenticationError,
        ConnectError,
        HttpStatusError,
        RequestTimeout,
    )

    if not isinstance(error, (ConnectError, RequestTimeout, HttpStatusError)) or isinstance(
            error, AuthenticationError):
        return None
    import json

    status = error.status if isinstance(error, HttpStatusError) else None
    described = [type(error).__name__, error.message, error.url, status, error.hint]
    return f"!{name}\t{json.dumps(described)}".encode()


def _failed_with(text: str) -> PyffinError | None:
    """The error a worker's ``!`` answer describes (see :func:`_failure`); ``None`` when it
    cannot be read."""
    import json

    from pyffin.client.errors import ConnectError, HttpStatusError, RequestTimeout

    try:
        kind, message, url, status, hint = json.loads(text)
        if kind == "HttpStatusError":
            return HttpStatusError(message, url=url, status=int(status), hint=hint)
        known = {"ConnectError": ConnectError, "RequestTimeout": RequestTimeout}
        return known[kind](message, url=url, hint=hint) if kind in known else None
    except (ValueError, TypeError):
        return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# --------------------------------------------------------------------------- a worker
def _serve(incoming: int, worker: _Worker, *, until_configured: bool = False) -> bool:
    """A worker's life: read the command's messages until the end of the pipe (then
    :meth:`_Worker.finish`), fetching and summarizing pages in its own I/O pool; with
    ``until_configured``, only until the index settings came. Whether the pipe is still
    open."""
    import pickle

    while True:
        head = _read_exactly(incoming, _LENGTH)
        body = None if head is None else _read_exactly(incoming, int.from_bytes(head, "little"))
        if body is None:
            if not until_configured:
                worker.finish()
            return False
        kind, value = pickle.loads(body)
        if kind == "index":
            worker.configure(value)
            if until_configured:
                return True
        elif kind == "target":
            worker.target(*value)
        elif kind == "page":
            worker.ask(*value)


class _Worker:
    """What a worker process keeps: its registry, the target's selection and summaries, and
    the projects under way."""

    def __init__(self, outgoing: int) -> None:
        self._outgoing = outgoing
        self._registry: RegistryClient | None = None
        self._write_lock = allocate_lock()
        #: Held until the target is known: a page that arrives first waits for it.
        self._no_target = allocate_lock()
        self._no_target.acquire()
        self._summarize: Callable[[str, Any, tuple[str, Any]], bool] | None = None
        self._under_way = 0
        self._count_lock = allocate_lock()
        #: Held while any project is under way: the end waits for them.
        self._idle = allocate_lock()
        #: Set once the command is done with the worker: projects not started are dropped.
        self._ending = False

    def configure(self, value: tuple[str, IndexSettings, Refresh | None,
                                     TorchIndexes | None]) -> None:
        root, settings, refresh, torch = value
        if self._registry is not None or settings.keyring_provider == "subprocess":
            return  # (a keyring is asked by the command alone: it may prompt)
        try:
            from pathlib import Path

            from pyffin.cache import Cache
            from pyffin.client.registry import connect
            from pyffin.futures import ThreadPool
            from pyffin.settings import concurrent_downloads

            # Its own hold of the cache's shared lock (a cleaning waits for the worker too).
            cache = Cache(Path(root)).init()
            self._registry = connect(cache, settings, refresh=refresh,
                                     pool=ThreadPool(concurrent_downloads(), "pyffin-io"),
                                     torch=torch)
        except Exception:  # every project is answered "no": the command says what is wrong
            self._registry = None

    def warm_up(self) -> None:
        """Make what connections to the first HTTPS location need (the trust store), once
        for every worker forked after (see :func:`pyffin.client.http._system_store_context`)."""
        registry = self._registry
        if registry is None:
            return
        from urllib.parse import urlsplit

        for location in (*registry.locations.indexes(), *registry.locations.find_links):
            parts = urlsplit(location)
            if parts.scheme == "https" and parts.hostname:
                try:
                    registry.cached.http.tls_options(parts.hostname, parts.port or 443)
                except Exception:  # the first request says what is wrong
                    pass
                return

    def target(self, keywords: dict[str, Any], markers: dict[str, str] | None,
               walking: bool, excluded: tuple[str, ...] = ()) -> None:
        if self._summarize is not None or self._registry is None:
            return
        from pyffin.resolver.file_selection import FileSelection, sorted_candidates
        from pyffin.resolver.summaries import Summaries

        registry = self._registry
        selection = FileSelection(**keywords)
        summaries = Summaries(registry, selection)
        walk = _Walk(markers, selection, self._say, excluded) if walking else None

        def summarize(name: str, pages: Any, accept: tuple[str, Any]) -> bool:
            found = selection.usable_versions(name, pages)
            if registry.project_dependencies(name) is None:
                return False  # an answer not kept in a file (a 404): nothing to summarize
            wanted = None if walk is None else walk.wanted(accept)
            # (Looked up before the summary is noted: their rows are then kept hot in it.)
            wheels = [] if wanted is None or walk is None else walk.likely_wheels(found,
                                                                                 wanted[0])
            summaries.note(name, found, sorted_candidates(found), complete=False)
            summaries.save()
            if walk is not None and wanted is not None:
                for wheel in wheels:
                    walk.follow(registry, wheel, wanted[1])
            return True

        self._summarize = summarize
        self._no_target.release()

    def ask(self, name: str, accept: tuple[str, Any]) -> None:
        registry = self._registry
        if registry is None:
            self._say(b"-" + name.encode("utf-8"))
            return
        with self._count_lock:
            self._under_way += 1
            if self._under_way == 1:
                self._idle.acquire()
        registry.submit(lambda: self._project(name, accept))

    def _project(self, name: str, accept: tuple[str, Any]) -> None:
        summarized = False
        answer = b"-" + name.encode("utf-8")
        try:
            if self._ending:
                return
            assert self._registry is not None
            pages = self._registry.project(name)
            with self._no_target:  # the target is known from here on
                pass
            assert self._summarize is not None
            summarized = self._summarize(name, pages, accept)
            del pages
            # Done with its pages (the command asks for a project once): their memory goes to
            # the next pages' rows (a worker's pages all kept took it ~10k page faults more).
            self._registry.forget_project(name)
        except BaseException as error:  # the command's process does it, and says what is wrong
            summarized = False
            # ... unless the request failed as it would there, retries and all: then the
            # command is told the error instead (it would wait as long again to repeat it).
            answer = _failure(name, error) or answer
        finally:
            self._say(b"+" + name.encode("utf-8") if summarized else answer)
            with self._count_lock:
                self._under_way -= 1
                if self._under_way == 0:
                    self._idle.release()

    def _say(self, line: bytes) -> None:
        with self._write_lock:
            try:
                _write_all(self._outgoing, line + b"\n")
            except OSError:
                pass

    def finish(self) -> None:
        """The command is done with the worker: the projects under way end (a record being
        written is finished: an exit would leave its temporary file), those not started
        yet are dropped, and none waits for a target that will not come."""
        self._ending = True
        if self._summarize is None:
            self._summarize = lambda name, pages, accept: False
            self._no_target.release()
        with self._idle:
            pass


def _import_page_path() -> None:
    """Import what a worker's registry, pages, summaries and walk need, before the other
    workers are forked (forked by :func:`prestart`, the command had imported nearly none of
    it)."""
    import contextvars  # noqa: F401
    import encodings.idna  # noqa: F401  (a host name's encoding)
    import pickle  # noqa: F401

    # (Not packaging.utils, with packaging.tags: pages do without them, see
    # pyffin.client.simple.FilenameParts.)
    from pyffin import cache, futures, settings  # noqa: F401
    from pyffin.client import hashes, http, metadata_pack, registry, simple  # noqa: F401
    from pyffin.models import wheel  # noqa: F401  (the check of each wheel's metadata)
    from pyffin.requirements import pep508  # noqa: F401
    from pyffin.resolver import (  # noqa: F401
        dependencies,
        file_selection,
        page_versions,
        summaries,
    )

    cache.keys.sha256(b"")  # (its module)
    http._urllib3()
    try:
        from pyffin.client import typed_page
    except ImportError:
        pass
    else:
        # Imported already: every page a worker decodes goes msgspec's way, from the first
        # (the ``json`` way's budget only spares a process that may never need msgspec the
        # cost of its import; it is 70% slower on a page of megabytes).
        simple.use_typed_decoding(typed_page.decode)


class _UniversalMarkers:
    """Whether a marker may hold somewhere a universal resolution covers: with exactly the
    extras asked for, on some platform, with a Python from its lowest on
    (``python_version < '3.8'`` does not when it starts at 3.9: uv leaves such dependencies
    out too)."""

    def __init__(self, lowest: str) -> None:
        self._lowest = lowest
        self._covered: Any = None
        self._seen: dict[tuple[str, tuple[str, ...]], bool] = {}

    def possible(self, marker: str, extras: tuple[str, ...] = ()) -> bool:
        if "extra" in marker:
            if not extras:
                return False
        elif "python" not in marker:
            return True
        else:
            extras = ()  # (the same answer with any)
        key = (marker, extras)
        found = self._seen.get(key)
        if found is None:
            from pyffin.models.markers import Marker, MarkerError

            if self._covered is None:
                self._covered = Marker.requires_python(f">={self._lowest}")
            try:
                found = not Marker.parse(marker).with_extras(extras).is_disjoint(self._covered)
            except MarkerError:  # the resolution says what is wrong with it
                found = True
            self._seen[key] = found
        return found


class _TargetMarkers:
    """Whether a marker holds on the target, without an extra or with one of those asked
    for."""

    def __init__(self, markers: dict[str, str]) -> None:
        from pyffin.resolver.dependencies import MarkerEvaluator

        self._evaluate = MarkerEvaluator(markers).evaluate

    def possible(self, marker: str, extras: tuple[str, ...] = ()) -> bool:
        evaluate = self._evaluate
        return evaluate(marker) or any(evaluate(marker, extra) for extra in extras)


#: How many minor versions from a universal resolution's lowest Python the walk tells apart
#: (see :meth:`_Walk.likely_wheels`): a version for the Pythons past them serves them too.
_UNIVERSAL_MINORS = 16

_UNKNOWN: Any = object()


class _Walk:
    """A worker's walk along the likely dependencies: the version the solver will most
    likely choose of each project (see :meth:`likely_wheels`), its metadata fetched, and the
    dependencies it gives the target named to the command (see :class:`PageWorkers`)."""

    def __init__(self, markers: dict[str, str] | None, selection: Any,
                 say: Callable[[bytes], None], excluded: Iterable[str] = ()) -> None:
        from pyffin.resolver.dependencies import DependencyParser

        #: ``None``: a universal resolution's walk (every platform's dependencies, the lowest
        #: Python's Requires-Python).
        #: Whether a dependency's marker may hold, with the extras asked for: on the target,
        #: or (universal) on some platform with a Python the resolution covers.
        self._possible: Callable[[str, tuple[str, ...]], bool]
        #: The Pythons of the bands :meth:`likely_wheels` tells apart, lowest first: the
        #: target's; a universal resolution's lowest and the next :data:`_UNIVERSAL_MINORS`
        #: minor versions of its major version.
        self._bands: list[Version]
        if markers is None:
            from pyffin.models.versions import Version

            lowest = ".".join(map(str, selection.universal or (3,)))
            self._possible = _UniversalMarkers(lowest).possible
            major, minor = (*Version(lowest).release, 0)[:2]
            self._bands = [Version(f"{major}.{m}")
                           for m in range(minor, minor + _UNIVERSAL_MINORS)]
        else:
            from pyffin.resolver.dependencies import target_python

            self._possible = _TargetMarkers(markers).possible
            self._bands = [target_python(markers)]
        self._parser = DependencyParser()
        #: Requires-Python text -> its band (see :meth:`_band`).
        self._band_of: dict[str, int | None] = {}
        self._selection = selection
        self._say = say
        #: The names said so far, and those never to be (the excluded ones).
        self._named: set[str] = set(excluded)
        self._lock = allocate_lock()

    def wanted(self, accept: tuple[str, Any]) -> tuple[Any, tuple[str, ...]] | None:
        """The versions ``accept`` allows (``None``: any) and the extras it asks for, from
        ``("range", (VersionSet or None, extras))`` or ``("text", requirement)``; ``None``: a
        requirement that cannot be read (the resolution says why)."""
        kind, value = accept
        if kind != "text":
            from pyffin.models.names import normalize_name

            required, extras = value
            return required, tuple(map(normalize_name, extras))
        try:
            dependency = self._parser.parse(value)
        except Exception:
            return None
        return dependency.versions, dependency.extras

    def likely_wheels(self, found: Any, required: VersionSet | None) -> list[Any]:
        """The wheels (or stand-ins) whose metadata the solver most likely reads of ``found``
        (a project's usable versions), among the versions ``required`` allows (``None``:
        any): the newest version's for the target's Python, none when it has no usable wheel
        or stand-in; for a universal resolution, the newest version's for each band of
        Pythons its versions' Requires-Python lower bounds make — the version a fork of
        those Pythons chooses (scipy for Python 3.9 on: 1.13.1 for 3.9, 1.15.3 for 3.10,
        1.17.1 for 3.11, 1.18.1 for 3.12 on). Their rows are kept hot in the summary: the
        command reads them without the pages."""
        from nab_resolver.ranges import Range

        versions = found.version_list
        yanked = found.yanked
        requires_python = found.requires_python
        # The lowest band of the Pythons a newer version found serves.
        served: int | None = None
        wheels = []
        for i in range(len(versions) - 1, -1, -1):
            version = versions[i]
            if version.is_prerelease or yanked[i]:
                continue
            text = requires_python[i]
            band = self._band(text) if text else 0
            if band is None or (served is not None and band >= served):
                continue
            if required is not None and not Range.singleton(version).is_subset(required):
                continue
            files = found[version]
            best = files.best
            wheel = best if best.is_wheel else self._selection.stand_in(files)
            if wheel is not None:
                wheels.append(wheel)
            served = band
            if band == 0:
                break
        return wheels

    def _band(self, text: str) -> int | None:
        """The lowest band (see :attr:`_bands`) whose Python the Requires-Python ``text``
        admits (only its lower bound counts: see
        :func:`~pyffin.resolver.dependencies.python_fits`); ``None``: none."""
        band = self._band_of.get(text, _UNKNOWN)
        if band is _UNKNOWN:
            from pyffin.resolver.dependencies import python_fits

            band = self._band_of[text] = next(
                (i for i, python in enumerate(self._bands)
                 if python_fits(text, python, self._parser)), None)
        return band  # type: ignore[no-any-return]

    def follow(self, registry: RegistryClient, wheel: Any, extras: tuple[str, ...] = ()) -> None:
        """Fetch ``wheel``'s metadata (into the cache) and name the dependencies it gives the
        target with ``extras``, each once."""
        try:
            metadata = registry.wheel_metadata(wheel.page, wheel.file)
        except Exception:
            return
        parser = self._parser
        for text in metadata.requires_dist:
            try:
                marker = parser.check(text)
                if marker is not None and not self._possible(marker, extras):
                    continue  # another target's, or an extra's
                dependency = parser.parse(text)
            except Exception:
                continue
            if dependency.url is not None or "\n" in text:
                continue
            with self._lock:
                if dependency.name in self._named:
                    continue
                self._named.add(dependency.name)
            self._say(f"?{dependency.name} {text}".encode())

