"""The conflict tracker (uv's ``record_conflict`` / ``reprioritize_conflicts``) on its own."""

from __future__ import annotations

from pyffin.resolver.conflicts import CONFLICT_THRESHOLD, ConflictTracker


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


def test_a_requirement_pinning_a_project_makes_it_singleton_and_lifts_its_mark() -> None:
    """As uv, where a requirement of one version makes the project's priority "singleton"
    for the rest of the resolution (uv keeps the highest priority a project was given), and
    lifts a conflict mark: a priority moves only the first time."""
    tracker = ConflictTracker()
    conflicts(tracker, "y", "x", CONFLICT_THRESHOLD)
    tracker.reprioritize()
    assert tracker.pinned(["z", "w[e]"]) and tracker.singletons == {"z", "w"}
    assert not tracker.pinned(["w", "z[e]"])
    assert tracker.pinned(["z", "x[e]"]) and tracker.singletons == {"z", "w", "x"}
    assert tracker.category("x") is None and tracker.category("y") == 0
    assert not tracker.pinned(["x"])
    assert tracker.pinned(["y"]) and tracker.category("y") is None


def test_each_step_of_a_conflict_counts_as_uv_records_its_satisfier_causes() -> None:
    """uv's ``record_conflict`` for a conflict unit propagation met: in the clause of each
    step of its resolution, every package but that step's satisfier (and its project's other
    packages) is a culprit, and the package chosen last is affected, once per step that had
    a culprit."""
    tracker = ConflictTracker()
    assert tracker.record_cause("a", "b", ["b", "c", "d"])
    assert tracker.culprit == {"c": 1, "d": 1} and tracker.affected == {"a": 1}
    assert not tracker.record_cause("a", "x[e]", ["x[e]", "x"])  # an extra and its base
    assert tracker.culprit == {"c": 1, "d": 1} and tracker.affected == {"a": 1}
    for _ in range(CONFLICT_THRESHOLD - 1):
        tracker.record_cause("a", "b", ["c", "b"])
    assert tracker.reprioritize() == (True, ["c"])
    assert (tracker.category("a"), tracker.category("c")) == (0, 1)
