"""``paused()``: the cyclic garbage collector at rest while a resolution builds what it keeps.

A resolution's objects (pages, rows, versions, candidates, clauses) live until it is done, in
the solver's thread and in the I/O pool's: the collector would only walk them over and over. A
cold compile made two young collections of ~50,000 objects each before its solver even started
(~11 ms of CPU, 2% of it), while the pages it had asked for early were parsed; the solver's own
run is longer still. Cycles made meanwhile are collected by a later full collection.
"""

from __future__ import annotations

import gc
from types import TracebackType


class paused:  # lower case: used like a function, ``with collector.paused():``
    """Disable the collector for the ``with`` block; on leaving it, enable it again if it was
    enabled on entering (a nested block leaves that to the outermost one), having handed what
    was allocated meanwhile to the oldest generation (see :func:`hand_on`)."""

    __slots__ = ("_was_enabled",)

    def __init__(self) -> None:
        self._was_enabled = False

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._was_enabled:
            hand_on()
            gc.enable()


def hand_on() -> None:
    """Hand what was allocated while the collector was off (in every thread: a cold
    resolution's pages, rows and metadata, hundreds of thousands of objects, nearly all alive)
    to the oldest generation without walking it: the first young collection after
    ``gc.enable()`` would otherwise walk all of it at once (a tenth of a cold compile's CPU, on
    its critical path). Garbage among it goes at the next full collection. Not done when the
    process froze objects of its own (``gc.freeze``): unfreezing them is not ours to do."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
