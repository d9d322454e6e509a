"""The message facade: levels, routing, warnings given once, and a result's warnings."""

from __future__ import annotations

import pytest

from pyffin import log


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log, "_warned", set())
    monkeypatch.setattr(log, "_results", [])


def test_a_warning_is_given_once_per_process_and_then_only_at_debug() -> None:
    heard: list[tuple[int, str]] = []
    with log.routed(lambda level, message: heard.append((level, message)), log.DEBUG):
        log.warn_once("careful")
        log.warn_once("careful")
    assert heard == [(log.WARNING, "careful"), (log.DEBUG, "careful")]


def test_a_results_warnings_are_those_given_since_its_mark_each_once() -> None:
    """Even one the process already gave (a second resolution in the same process finds the
    same missing extra): it is part of that result too."""
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.WARNING):
        log.warn_result("a==1 does not provide the extra 'x'")
        mark = log.results_mark()
        log.warn_result("b==2 does not provide the extra 'y'")
        log.warn_once("a network hiccup")  # not a result's
        log.warn_result("a==1 does not provide the extra 'x'")
        log.warn_result("b==2 does not provide the extra 'y'")
    assert log.results_since(mark) == ("b==2 does not provide the extra 'y'",
                                       "a==1 does not provide the extra 'x'")
    assert heard == ["a==1 does not provide the extra 'x'",
                     "b==2 does not provide the extra 'y'", "a network hiccup"]
