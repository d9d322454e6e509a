"""``pyffin.futures``: futures and running work on threads."""

from __future__ import annotations

import threading

import pytest

from pyffin.futures import Future, run_in_threads


def test_a_future_hands_its_value_or_error_to_every_waiter() -> None:
    assert Future.of(3).result() == 3
    failed: Future[int] = Future()
    assert not failed.done()
    failed.set_exception(ValueError("no"))
    assert failed.done()
    with pytest.raises(ValueError, match="no"):
        failed.result()


def test_threads_waiting_on_one_future_all_get_its_value() -> None:
    future: Future[str] = Future()
    got: list[str] = []
    waiters = [threading.Thread(target=lambda: got.append(future.result())) for _ in range(4)]
    for waiter in waiters:
        waiter.start()
    future.set_result("v")
    for waiter in waiters:
        waiter.join(timeout=10)
    assert got == ["v"] * 4
    assert future.done() and future.result() == "v"  # and for the next one, at once


def test_a_future_set_again_keeps_the_last_outcome() -> None:
    future: Future[int] = Future()
    future.set_result(1)
    future.set_exception(ValueError("later"))
    assert future.done() and future.failed()
    with pytest.raises(ValueError, match="later"):
        future.result()


def test_a_warm_command_makes_futures_without_threading() -> None:
    import subprocess
    import sys

    from tests.support.cli import child_env

    probe = ("import sys; from pyffin.futures import Future, ThreadPool, wait_for_pools; "
             "f = Future.of(1); f.result(); ThreadPool(4, 'io'); "
             "assert wait_for_pools(0); print('threading' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=child_env(), check=True)
    assert proc.stdout.strip() == "False"


def test_run_in_threads_keeps_the_order_of_the_items() -> None:
    threads: set[int] = set()
    barrier = threading.Barrier(3)

    def square(n: int) -> int:
        threads.add(threading.get_ident())
        if n < 3:
            barrier.wait(timeout=10)  # the first three run at the same time
        return n * n

    assert run_in_threads(square, list(range(10)), workers=3) == [n * n for n in range(10)]
    assert len(threads) == 3


def test_every_item_is_attempted_and_the_first_failure_in_order_is_raised() -> None:
    attempted: list[int] = []
    lock = threading.Lock()

    def check(n: int) -> int:
        with lock:
            attempted.append(n)
        if n in (2, 5):
            raise ValueError(f"bad {n}")
        return n

    with pytest.raises(ValueError, match="bad 2"):
        run_in_threads(check, list(range(8)), workers=4)
    assert sorted(attempted) == list(range(8))


def test_one_worker_runs_in_the_calling_thread() -> None:
    caller = threading.get_ident()
    assert run_in_threads(lambda _: threading.get_ident(), [1, 2], workers=1) == [caller] * 2


def test_an_interruption_is_not_kept_as_the_outcome() -> None:
    """A waiter learns the work was interrupted; the interruption goes on in the thread that
    was doing it, and nothing holds on to the KeyboardInterrupt."""
    from pyffin.interrupt import Interrupted

    future: Future[int] = Future()

    def interrupted() -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        future.run(interrupted)
    assert future.interrupted() and future.failed()
    with pytest.raises(Interrupted):
        future.result()
    failed: Future[int] = Future()
    failed.run(lambda: 1 // 0)  # an error is the outcome, raised to waiters only
    assert failed.failed() and not failed.interrupted()
    done: Future[int] = Future()
    done.run(lambda: 7)
    assert done.result() == 7 and not done.failed()


def test_pool_threads_are_daemons_that_keep_going_after_a_failing_call() -> None:
    from pyffin.futures import ThreadPool, wait_for_pools

    pool = ThreadPool(2, "test-pool")
    seen: list[bool] = []
    release = threading.Event()
    results: list[Future[int]] = [Future() for _ in range(4)]

    def work(i: int) -> int:
        seen.append(threading.current_thread().daemon)
        release.wait(10)
        if i == 0:
            raise KeyboardInterrupt  # stays in its own future
        return i

    for i, future in enumerate(results):
        pool.submit(future.run, lambda i=i: work(i))
    assert not wait_for_pools(0.05)  # two calls are running
    release.set()
    assert [f.result() for f in results[1:]] == [1, 2, 3]
    assert wait_for_pools(5)
    assert [f.interrupted() for f in results] == [True, False, False, False]
    assert seen == [True] * 4
    pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(print)


def test_work_runs_in_the_context_it_was_handed_over_from() -> None:
    """So that what a caller routed there (a Python API call's messages, pyffin.log.routed)
    follows its work onto the pool's threads and run_in_threads' threads."""
    from pyffin import log
    from pyffin.futures import ThreadPool

    heard: list[str] = []
    pool = ThreadPool(2, "test")
    with log.routed(lambda level, message: heard.append(message)):
        done: Future[None] = Future()
        pool.submit(done.run, lambda: log.warn("from the pool"))
        done.result()
        run_in_threads(lambda n: log.warn(f"from thread {n}"), [1, 2], workers=2)
    outside: Future[None] = Future()
    pool.submit(outside.run, lambda: log.debug("not routed"))
    outside.result()
    assert sorted(heard) == ["from the pool", "from thread 1", "from thread 2"]
    pool.shutdown()


def test_settling_waits_for_work_under_way_without_raising_its_failure() -> None:
    from pyffin.futures import settle

    slow: Future[int] = Future()
    failed: Future[int] = Future()
    failed.set_exception(ValueError("kept for whoever asks"))
    timer = threading.Timer(0.1, slow.set_result, (1,))
    timer.start()
    settle([failed, slow])
    assert slow.done()
    with pytest.raises(ValueError, match="kept"):
        failed.result()


def test_settling_does_not_wait_once_the_command_is_interrupted() -> None:
    from pyffin import interrupt
    from pyffin.futures import settle

    never: Future[int] = Future()
    interrupt.interrupt()
    try:
        settle([never])  # returns: the work is being stopped
    finally:
        interrupt.reset()
    assert not never.done()


class _Clock:
    """Stands for ``time.monotonic`` and ``time.process_time``: ``busy`` says how much CPU
    the process uses per second that passes."""

    def __init__(self, busy: float) -> None:
        self.now = 100.0
        self.cpu = 0.0
        self.busy = busy

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.cpu += seconds * self.busy


def _pool_with_clock(monkeypatch: pytest.MonkeyPatch, clock: _Clock, *, max_workers: int,
                     eager: int) -> object:
    import pyffin.futures as futures

    monkeypatch.setattr(futures, "monotonic", lambda: clock.now)
    monkeypatch.setattr(futures, "process_time", lambda: clock.cpu)
    return futures.ThreadPool(max_workers, "test-pool", eager=eager)


@pytest.mark.parametrize(("busy", "threads"), [(1.0, 2), (0.1, 8)])
def test_a_pool_grows_past_its_eager_threads_only_while_the_cpu_is_idle(
        monkeypatch: pytest.MonkeyPatch, busy: float, threads: int) -> None:
    """Calls that wait on the network leave the CPU idle: more threads shorten the wait. A
    busy process (its Python code holding the interpreter lock) gains nothing from more."""
    from pyffin.futures import ThreadPool

    clock = _Clock(busy)
    pool = _pool_with_clock(monkeypatch, clock, max_workers=8, eager=2)
    assert isinstance(pool, ThreadPool)
    release = threading.Event()
    calls: list[Future[None]] = [Future() for _ in range(12)]
    for call in calls[:2]:
        pool.submit(call.run, lambda: release.wait(10))
    assert pool._threads == 2  # the eager ones, at once
    for call in calls[2:]:
        clock.advance(0.05)
        pool.submit(call.run, lambda: release.wait(10))
    # Ten calls queued one after the other while two threads wait: an idle CPU starts one for
    # each, as many as the pool may have (8), a busy one none.
    assert pool._threads == threads
    release.set()
    for call in calls:
        call.result()
    pool.shutdown()


@pytest.mark.parametrize(("max_workers", "threads"), [(50, 8), (5, 5)])
def test_calls_that_wait_on_the_network_start_their_threads_at_once_cpu_busy_or_not(
        monkeypatch: pytest.MonkeyPatch, max_workers: int, threads: int) -> None:
    """A kept resolution's conditional requests, submitted together: the CPU busy with the
    first TLS handshakes kept the pool at its two eager threads, and the small set's twelve
    pages were asked two at a time. Submitted as waiting on the network, eight start at once
    (as many as the pool may have, if fewer)."""
    from pyffin.futures import WAITING_THREADS, ThreadPool

    assert WAITING_THREADS == 8
    clock = _Clock(1.0)  # busy: the pool would not grow
    pool = _pool_with_clock(monkeypatch, clock, max_workers=max_workers, eager=2)
    assert isinstance(pool, ThreadPool)
    release = threading.Event()
    calls: list[Future[None]] = [Future() for _ in range(12)]
    for call in calls:
        pool.submit(call.run, lambda: release.wait(10), waits=True)
    assert pool._threads == threads
    pool.submit(Future().run, lambda: None)  # another kind of call: no thread of its own
    assert pool._threads == threads
    release.set()
    for call in calls:
        call.result()
    pool.shutdown()


def test_a_pool_checks_its_cpu_use_at_most_every_growth_interval(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.futures import GROWTH_INTERVAL, ThreadPool

    clock = _Clock(0.0)
    pool = _pool_with_clock(monkeypatch, clock, max_workers=8, eager=1)
    assert isinstance(pool, ThreadPool)
    release = threading.Event()
    calls: list[Future[None]] = [Future() for _ in range(4)]
    for call in calls:  # no time has passed since the first thread: nothing to measure yet
        pool.submit(call.run, lambda: release.wait(10))
    assert pool._threads == 1
    clock.advance(2 * GROWTH_INTERVAL)
    more: Future[None] = Future()
    pool.submit(more.run, lambda: release.wait(10))
    assert pool._threads == 5  # one for each call still queued
    release.set()
    for call in [*calls, more]:
        call.result()
    pool.shutdown()


def test_a_thread_that_ends_a_call_while_others_wait_grows_the_idle_pool(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of calls arrives at once (a resolution's first pages): the eager threads take
    it, and when the first answer comes back slowly, more threads start for the rest."""
    import time

    from pyffin.futures import ThreadPool

    clock = _Clock(0.0)
    pool = _pool_with_clock(monkeypatch, clock, max_workers=4, eager=1)
    assert isinstance(pool, ThreadPool)
    first, rest = threading.Event(), threading.Event()
    calls: list[Future[None]] = [Future() for _ in range(4)]
    pool.submit(calls[0].run, lambda: first.wait(10))
    for call in calls[1:]:
        pool.submit(call.run, lambda: rest.wait(10))
    assert pool._threads == 1
    clock.advance(0.2)  # the answer took 200 ms, the CPU idle
    first.set()
    calls[0].result()
    deadline = time.monotonic() + 10
    while pool._threads < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool._threads == 4
    rest.set()
    for call in calls:
        call.result()
    pool.shutdown()


@pytest.mark.parametrize("queued", ["before", "after"])
def test_a_pool_thread_waiting_for_other_work_is_not_counted_among_the_eager_ones(
        monkeypatch: pytest.MonkeyPatch, queued: str) -> None:
    """Pool work that waits for other pool work (a hint waiting for the pages it was given)
    must not wait forever because that work is queued behind it, or comes later, CPU busy or
    not."""
    import time

    from pyffin.futures import ThreadPool

    clock = _Clock(1.0)  # busy: the pool does not grow for an idle CPU
    pool = _pool_with_clock(monkeypatch, clock, max_workers=4, eager=1)
    assert isinstance(pool, ThreadPool)
    pages: Future[str] = Future()
    hint: Future[str] = Future()
    go = threading.Event()

    def use_pages() -> str:
        go.wait(10)
        return f"seen {pages.result()}"

    pool.submit(hint.run, use_pages)
    clock.advance(1)
    if queued == "before":
        pool.submit(pages.run, lambda: "pages")
        go.set()
    else:
        go.set()
        deadline = time.monotonic() + 10
        while pool._waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        pool.submit(pages.run, lambda: "pages")
    outcome: list[str] = []
    waiter = threading.Thread(target=lambda: outcome.append(hint.result()), daemon=True)
    waiter.start()
    waiter.join(10)
    assert outcome == ["seen pages"]
    assert pool._threads == 2
    pool.shutdown()


def test_a_shut_down_pool_starts_no_thread_for_a_waiting_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Once shut down, the queue holds one end for each thread: a new thread would take one
    and leave a thread without."""
    import time

    from pyffin.futures import ThreadPool

    clock = _Clock(0.0)
    pool = _pool_with_clock(monkeypatch, clock, max_workers=4, eager=1)
    assert isinstance(pool, ThreadPool)
    go = threading.Event()
    later: Future[str] = Future()
    call: Future[str] = Future()

    def wait_for_later() -> str:
        go.wait(10)
        return later.result()

    pool.submit(call.run, wait_for_later)
    pool.shutdown()
    go.set()
    deadline = time.monotonic() + 10
    while pool._waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool._waiting == 1 and pool._threads == 1
    later.set_result("done")
    assert call.result() == "done"
