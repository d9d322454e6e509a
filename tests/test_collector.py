"""``pyffin.collector``: the cyclic collector at rest for a block, nested blocks included."""

from __future__ import annotations

import gc

import pytest

from pyffin import collector


def test_a_paused_block_disables_the_collector_and_enables_it_after() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_outermost_block_enables_it_again_even_on_an_error() -> None:
    with pytest.raises(KeyError), collector.paused():
        with collector.paused():
            pass
        assert not gc.isenabled()  # the inner block leaves it to the outer one
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Tracked:
    """An object the cyclic collector tracks (an instance with a ``__dict__``)."""


def test_what_was_made_meanwhile_goes_to_the_oldest_generation() -> None:
    thresholds = gc.get_threshold()
    gc.set_threshold(1 << 30)  # no collection of its own moves it meanwhile
    try:
        with collector.paused():
            made = _Tracked()
        assert any(o is made for o in gc.get_objects(generation=2))
    finally:
        gc.set_threshold(*thresholds)
