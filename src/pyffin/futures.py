"""``Future``: a result that one thread sets and others wait for.

:class:`concurrent.futures.Future` would do, but importing :mod:`concurrent.futures` pulls in
:mod:`logging` and more; a warm command, whose results are all ready at once, never needs a pool.
Work that does go to the I/O pool (:meth:`pyffin.client.http.HttpClient.submit`) reports back
through one of these.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
Item = TypeVar("Item")


class Future(Generic[T]):
    """A value or an exception, set once, waited for by any number of threads."""

    __slots__ = ("_error", "_event", "_value")

    def __init__(self) -> None:
        self._event = threading.Event()
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
        self._event.set()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._event.set()

    def done(self) -> bool:
        return self._event.is_set()

    def result(self) -> T:
        """The value, waiting for it; the exception if that is what was set."""
        self._event.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def run_in_threads(fn: Callable[[Item], T], items: Sequence[Item], *, workers: int) -> list[T]:
    """``[fn(item) for item in items]`` on up to ``workers`` threads (for work that waits on
    system calls, which release the GIL). Every item is attempted; if any raised, the error
    of the first such item in ``items`` order is raised once all are done."""
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    results: list[Future[T]] = [Future() for _ in items]
    next_index = iter(range(len(items)))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            try:
                results[index].set_result(fn(items[index]))
            except BaseException as e:  # handed to the caller below
                results[index].set_exception(e)

    threads = [threading.Thread(target=work, daemon=True)
               for _ in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [future.result() for future in results]
