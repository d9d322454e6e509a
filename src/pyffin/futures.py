"""``Future``: a result that one thread sets and others wait for; ``ThreadPool``: the threads
that work for the I/O pool.

:mod:`concurrent.futures` would do, but importing it pulls in :mod:`logging` and more (a warm
command, whose results are all ready at once, never needs a pool), and its worker threads keep
the process alive until their work is done: a Ctrl-C would wait for the slowest download or
build. These threads are daemons: once the command ends (interrupted or not), nothing waits
for them. Work that does go to the I/O pool (the session's,
:attr:`pyffin.api.session.Session.pool`, which
:meth:`pyffin.client.registry.RegistryClient.submit` uses) reports back through a
:class:`Future`.

Built on :mod:`_thread`'s locks: :mod:`threading` is imported only where a thread is started
(importing it costs a warm command ~4M instructions, and each ``threading.Event`` makes a
``Condition`` that raises and catches three AttributeErrors: a warm resolution makes
hundreds of futures, all ready at once).
"""

from __future__ import annotations

from _thread import _local, allocate_lock
from collections.abc import Callable, Sequence
from time import monotonic, process_time
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import threading
    from queue import SimpleQueue

T = TypeVar("T")
Item = TypeVar("Item")

#: Threads a :class:`ThreadPool` starts as soon as calls wait for them. Two, measured on the
#: cold resolutions of the bench sets on 2 CPUs against six (paired runs, wall time): a local
#: index 0.94-0.96, pypi.org 0.90-0.91 (fewer threads hand the interpreter lock round less
#: often: the large set's HTTP calls took a seventh less CPU, the whole run 6-12% less); a
#: local index 30 ms away 1.02-1.03, where the pool grows as the CPU waits. One did worse
#: than two on a local index (1.03).
EAGER_THREADS = 2
#: Threads a :class:`ThreadPool` starts at once for calls submitted as waiting on the network
#: (``submit(..., waits=True)``: a kept resolution's conditional requests, tiny answers from a
#: distant server, asked all together). With the two eager threads alone, the small set's
#: twelve pages were asked two at a time from pypi.org (the pool grows only when a call is
#: submitted or ends, and all were submitted at once). Eight: warm compiles against pypi.org
#: (pages without cache headers, so each is asked again), paired: small 232 -> 198 ms,
#: medium 451 -> 374 ms, large 580 -> 530 ms.
WAITING_THREADS = 8
#: A process using this share of one CPU is busy (its Python code holds the GIL, which one
#: thread at a time can): more threads would only compete for it.
BUSY_CPU = 0.75
#: Seconds between two checks of whether a pool should grow.
GROWTH_INTERVAL = 0.005


class Future(Generic[T]):
    """A value or an exception, set once, waited for by any number of threads."""

    __slots__ = ("_done", "_error", "_unset", "_value")

    def __init__(self) -> None:
        # Held until the outcome is set: a waiter blocks on it, then lets it go for the next.
        self._unset = allocate_lock()
        self._unset.acquire()
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    @classmethod
    def of(cls, value: T) -> Future[T]:
        """A future that is already done."""
        future: Future[T] = cls()
        future.set_result(value)
        return future

    def set_result(self, value: T) -> None:
        self._value = value
        self._set()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._set()

    def _set(self) -> None:
        # Done is said before the lock goes: a waiter holding it for a moment (result()) never
        # makes done() false again. Set twice, the lock is released once.
        self._done = True
        try:
            self._unset.release()
        except RuntimeError:  # set already
            pass

    def run(self, fn: Callable[[], T]) -> None:
        """Set the result of ``fn()``, or the exception it raised. An interruption
        (``KeyboardInterrupt``, ``SystemExit``) is not kept as the outcome of the work: waiters
        get :class:`~pyffin.interrupt.Interrupted`, and the interruption goes on here."""
        try:
            value = fn()
        except Exception as e:
            self.set_exception(e)
        except BaseException:
            from pyffin.interrupt import Interrupted

            self.set_exception(Interrupted())
            raise
        else:
            self.set_result(value)

    def done(self) -> bool:
        return self._done

    def failed(self) -> bool:
        """Whether the work is over and raised."""
        return self._done and self._error is not None

    def interrupted(self) -> bool:
        """Whether the work was interrupted (then it is to be done again, if ever asked)."""
        return isinstance(self._error, KeyboardInterrupt)

    def result(self) -> T:
        """The value, waiting for it; the exception if that is what was set."""
        if not self._done:
            pool: ThreadPool | None = getattr(_worker, "pool", None)
            if pool is not None:  # a pool thread: another takes its place while it waits
                pool.waiting(1)
                try:
                    with self._unset:
                        pass
                finally:
                    pool.waiting(-1)
            else:
                with self._unset:  # released when set; passed on to the next waiter
                    pass
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def in_thread(fn: Callable[[], T], name: str) -> Future[T]:
    """Start ``fn()`` in a daemon thread of its own (in a copy of this thread's
    :mod:`contextvars` context); its future has the outcome."""
    import threading

    import pyffin.interrupt as interrupt

    future: Future[T] = Future()

    def work() -> None:
        try:
            future.run(fn)
        except BaseException:  # interrupted: the waiter is told by the future
            pass

    threading.Thread(target=interrupt.handing_over(), args=(work,), name=name, daemon=True).start()
    return future


def run_in_threads(fn: Callable[[Item], T], items: Sequence[Item], *, workers: int) -> list[T]:
    """``[fn(item) for item in items]`` on up to ``workers`` threads (for work that waits on
    system calls, which release the GIL). Every item is attempted; if any raised, the error
    of the first such item in ``items`` order is raised once all are done."""
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    import threading
    from functools import partial

    results: list[Future[T]] = [Future() for _ in items]
    next_index = iter(range(len(items)))
    lock = allocate_lock()

    def work() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            try:  # the error is handed to the caller below
                results[index].run(partial(fn, items[index]))
            except BaseException:
                return  # interrupted: the caller is told by the future

    import pyffin.interrupt as interrupt

    threads = [threading.Thread(target=interrupt.handing_over(), args=(work,), daemon=True)
               for _ in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [future.result() for future in results]


class ThreadPool:
    """Up to ``max_workers`` daemon threads running submitted calls, each in the
    :mod:`contextvars` context it was submitted from. A call reports its outcome through its
    own :class:`Future`; what it raises is dropped here.

    Threads start as calls arrive, the first ``eager`` at once; beyond those, only while this
    process leaves the CPU idle (:meth:`_grow`). The pool's calls are requests: a thread that
    waits on a distant server costs nothing and more of them shorten the wait, but once the
    answers come quickly the calls compete for the GIL, and fifty runnable threads cost more
    than they bring. A cold resolution of the large set, against fifty threads started at
    once: 0.92 of the time against a local index (cache on tmpfs; 11% less kernel time, from
    scheduling and contended directory locks), 0.91 against pypi.org; 1.04 against the local
    index with 30 ms added to each request (the CPU was busy enough that the pool grew
    little; with :data:`BUSY_CPU` at 0.9 it was 0.99 there, but 0.97 and 0.95 on the
    others). A thread that waits for a future is not counted among the eager ones
    (:meth:`waiting`): the work it waits for may still be queued. Growth is looked at only
    when a call is submitted or ends: calls queued behind long ones (a slow server, a build)
    start when one of those ends, or at the next submit."""

    def __init__(self, max_workers: int, name: str, *, eager: int | None = None) -> None:
        self._max_workers = max_workers
        self._eager = min(max_workers, EAGER_THREADS if eager is None else eager)
        self._name = name
        # Where the CPU use since the last growth check is measured from (monotonic time,
        # process time); set with the first thread.
        self._since = (0.0, 0.0)
        # Made with the first call: a warm command owns a pool it never uses, and importing
        # queue (with heapq) costs about a millisecond.
        self._queue: SimpleQueue[tuple[Callable[..., object], tuple[object, ...]] | None] | None
        self._queue = None
        # Made with the first thread, as threading is imported then.
        self._idle: threading.Semaphore | None = None
        self._lock = allocate_lock()
        self._threads = 0
        #: Threads waiting for a future (see :meth:`waiting`).
        self._waiting = 0
        self._closed = False

    def submit(self, fn: Callable[..., object], *args: object, waits: bool = False) -> None:
        """Run ``fn(*args)`` in a thread of the pool. ``waits``: the call mostly waits on a
        distant server (one of many such submitted together): up to :data:`WAITING_THREADS`
        threads start for such calls whatever the CPU's use."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the thread pool is shut down")
            if self._queue is None:
                import queue

                self._queue = queue.SimpleQueue()
            # In the submitter's context: what it routed there (a Python API call's messages,
            # see pyffin.log.routed) follows its work into the pool, and an interruption
            # stops it even once the process goes on (see pyffin.interrupt.handing_over).
            import pyffin.interrupt as interrupt  # (no ``from``: see FilenameParts.version)

            self._queue.put((interrupt.handing_over(), (fn, *args)))
            if self._idle is not None and self._idle.acquire(blocking=False):
                return  # a waiting thread takes it
            eager = max(self._eager, min(WAITING_THREADS, self._max_workers)) if waits \
                else self._eager
            if self._threads - self._waiting < eager:
                self._start_thread()
            else:
                self._grow()

    def _start_thread(self) -> None:
        # Under self._lock.
        import threading

        if self._idle is None:
            self._idle = threading.Semaphore(0)
            _start_counting()
            self._since = (monotonic(), process_time())
        self._threads += 1
        thread = threading.Thread(target=self._work, daemon=True,
                                  name=f"{self._name}_{self._threads}")
        thread.start()

    def waiting(self, change: int) -> None:
        """One of this pool's threads starts (``1``) or stops (``-1``) waiting for other work
        (a future). A waiting thread does not count among the eager ones: the work it waits
        for may be queued, or come later, and must find a thread, the CPU idle or not."""
        with self._lock:
            self._waiting += change
            if change > 0 and not self._closed and self._queue is not None \
                    and not self._queue.empty() and self._threads - self._waiting < self._eager \
                    and self._threads < self._max_workers:
                self._start_thread()

    def _grow(self) -> None:
        """Start threads for the queued calls when the process used less than
        :data:`BUSY_CPU` of a CPU since the last check (its threads wait on the network or a
        build): as many more as would have kept it that busy, at most one per queued call.
        Checked at most every :data:`GROWTH_INTERVAL` seconds, under ``self._lock``."""
        if self._threads >= self._max_workers or self._queue is None or self._closed:
            return  # (once shut down, the queue holds the threads' ends)
        now = monotonic()
        since, cpu_since = self._since
        if now - since < GROWTH_INTERVAL:
            return
        cpu = process_time()
        self._since = (now, cpu)
        used = (cpu - cpu_since) / (now - since)
        if used >= BUSY_CPU:
            return
        wanted = int(self._threads * (BUSY_CPU / max(used, 0.05) - 1)) or 1
        for _ in range(min(wanted, self._queue.qsize(), self._max_workers - self._threads)):
            self._start_thread()

    def shutdown(self) -> None:
        """Drop the calls not started yet; the threads end once their current call does."""
        import queue

        with self._lock:
            self._closed = True
            if self._queue is None:
                return  # never used
            try:
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            for _ in range(self._threads):
                self._queue.put(None)

    def _work(self) -> None:
        # A thread starts after the first call is queued and the counting started.
        busy = _busy
        assert self._queue is not None and self._idle is not None and busy is not None
        _worker.pool = self
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, args = item
            with busy:
                _running[0] += 1
            try:
                fn(*args)
            except BaseException:  # the call reports through its own future
                pass
            finally:
                with busy:
                    _running[0] -= 1
                    busy.notify_all()
            del item, fn, args
            self._idle.release()
            if not self._queue.empty() and self._threads < self._max_workers:
                with self._lock:  # calls wait: more threads may help
                    self._grow()


#: ``pool``: the :class:`ThreadPool` whose thread this is (for :meth:`Future.result`).
_worker = _local()

#: Calls running in any :class:`ThreadPool`, and the condition that says when it changes
#: (made when a pool starts its first thread: until then, no call runs).
_running = [0]
_busy: threading.Condition | None = None
_busy_made = allocate_lock()


def _start_counting() -> None:
    global _busy
    import threading

    with _busy_made:
        if _busy is None:
            _busy = threading.Condition()


def settle(futures: Sequence[Future[T]]) -> None:
    """Wait for ``futures`` (their outcomes not raised: they are kept for whoever asks), unless
    the command was interrupted: its work is being stopped, and this would hold it up."""
    from pyffin.interrupt import interrupted

    for future in futures:
        if interrupted():
            return
        if not future.done():
            try:
                future.result()
            except Exception:
                pass


def wait_for_pools(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds until no pool thread runs a call; whether none does."""
    busy = _busy
    if busy is None:
        return True  # no pool ever started a thread
    with busy:
        return busy.wait_for(lambda: _running[0] == 0, timeout)
