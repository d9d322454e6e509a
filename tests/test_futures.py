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
