"""The conflict tracker (uv's ``record_conflict`` / ``reprioritize_conflicts``) on its own."""

from __future__ import annotations

from pyffin.resolver.pubgrub import CONFLICT_THRESHOLD, ConflictTracker


def conflicts(tracker: ConflictTracker, affected: str, culprit: str, times: int) -> None:
    for _ in range(times):
        tracker.record(affected, [affected, culprit])


def test_after_enough_conflicts_the_affected_goes_earlier_and_the_culprit_later() -> None:
    tracker = ConflictTracker()
    conflicts(tracker, "y", "x[e]", CONFLICT_THRESHOLD - 1)
    assert tracker.reprioritize() == (False, [])
    conflicts(tracker, "y", "x[e]", 1)
    # The culprit's decision is to be undone; its project (all of x's packages) goes later.
    assert tracker.reprioritize() == (True, ["x[e]"])
    assert (tracker.category("y"), tracker.category("x"), tracker.category("x[e]")) == (0, 1, 1)


def test_a_requirement_pinning_a_marked_project_lifts_its_mark() -> None:
    """As uv, where a requirement of one version makes the project's priority "singleton"
    again (a requirement of a project not marked changes nothing)."""
    tracker = ConflictTracker()
    conflicts(tracker, "y", "x", CONFLICT_THRESHOLD)
    tracker.reprioritize()
    assert not tracker.pinned(["z", "w[e]"])
    assert tracker.pinned(["z", "x[e]"])
    assert tracker.category("x") is None and tracker.category("y") == 0
    assert tracker.pinned(["y"]) and tracker.category("y") is None
