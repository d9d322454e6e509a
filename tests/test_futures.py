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
