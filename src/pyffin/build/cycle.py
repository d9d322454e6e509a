"""Build-cycle detection: which sources are being built on behalf of the current one.

A build installs its build requirements through the :class:`~pyffin.build.BuildContext`, which
may build another source, whose requirements may need the first one again: without a check
that recursion never ends (or waits on itself). The chain of sources is kept in a
:class:`contextvars.ContextVar`, so concurrent, unrelated builds of one source on other threads
are not mistaken for a cycle, and a thread pool that runs work in a copy of the submitting
context carries the chain along.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pyffin.build.errors import BuildCycleError

_STACK: ContextVar[tuple[str, ...]] = ContextVar("pyffin_build_stack", default=())


def build_stack() -> tuple[str, ...]:
    """The origins of the sources being built for the current context, outermost first."""
    return _STACK.get()


def check_cycle(origin: str) -> None:
    """Raise :class:`BuildCycleError` if building ``origin`` now would be a cycle."""
    stack = _STACK.get()
    if origin not in stack:
        return
    chain = [*stack[stack.index(origin):], origin]
    steps = ", which needs ".join(f"{source} to build" for source in chain[1:])
    raise BuildCycleError(
        f"build dependency cycle: {chain[0]} needs {steps}",
        hint="provide a wheel for one of these (e.g. with --find-links) so it need not be built",
    )


@contextmanager
def building(origin: str) -> Iterator[None]:
    """Mark ``origin`` as being built while the block installs its build requirements."""
    check_cycle(origin)
    token = _STACK.set((*_STACK.get(), origin))
    try:
        yield
    finally:
        _STACK.reset(token)
