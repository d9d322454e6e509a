"""nab-resolver's PubGrub solver, made to walk as uv's (astral's pubgrub) does.

Unit propagation remembers. nab 0.0.23 skips a clause during unit propagation while one of its
terms is known to be contradicted, but forgets that on every backjump (an epoch stamp), and
visits every clause of a package each time the package's range moves. A long walk back through a
package's versions (``urllib3<1.25.4`` with ``boto3``: 1,400 versions of ``boto3`` and of
``botocore``, each rejected after a conflict and a backjump) then evaluates every clause on
``boto3`` again after every backjump: 1.1 million clause evaluations, 90 % of the run. Here a
clause found contradicted is put to sleep: it leaves the lists unit propagation walks until the
solver backtracks below the decision level of the trail entry that contradicts it (the newest
entry for that package at the time). A package's range only narrows while its entries stay on
the trail, and a contradicted term stays contradicted under narrowing, so a sleeping clause could
only be found contradicted again. It wakes when the solver backtracks below that level or
restarts, when nab widens it (merging dependency clauses in place), and when a range it mentions
empties (an empty range is a subset of everything, which voids the rule, as it voids nab's
stamps).

Where uv's choices depend on the order things happen in, the order is uv's (each point was
found comparing traces of real resolutions, ``apache-airflow[celery]==2.8.*`` the first whose
pins differed):

* Propagation takes the packages to look at last in, first out, and a package's clauses newest
  first, as pubgrub does: which clause a conflict is found in decides what is learned.
* Until something has gone wrong (a conflict, a backjump), a version is decided without
  holding its requirements against the partial solution (pubgrub's fast path); afterwards one
  whose requirement is already ruled out is refused where it stands, all its requirements'
  clauses added ("dependency conflict"). A version whose clauses were added before is decided
  at once (uv's ``added_dependencies``): unit propagation would have ruled it out.
* A requirement of ``foo[x]`` in a range adds that ``foo[x]`` there requires ``foo`` there too
  (uv's proxy clause), before the requirement's own clause. So does a requirement that holds
  on the target only under its marker (``foo>=1; python_version < '3.12'``): it is one of uv's
  marker proxy ``foo{python_full_version < '3.12'}`` (one per marker, written as uv writes
  it), whose versions each depend on that of ``foo`` and are chosen in the proxy's own range,
  refused for Requires-Python and counted in conflicts as a package of their own.
* Priorities are uv's (``Provider.prioritize``, ``ConflictTracker``), and read again only for
  the packages whose range moved (pubgrub keeps the others'): a project some requirement named
  at one version is "singleton" for the rest of the resolution; conflicts mark projects to be
  decided earlier or later. In each step of a conflict's resolution, every package of the
  clause but that step's satisfier (and its project's other packages) is a *culprit*, and the
  package chosen last is *affected* (uv's ``record_conflict`` of the satisfier causes). A package
  affected 5 times is decided earlier from then on; a culprit 5 times is decided later and its
  decision is undone at once. A version refused for the Requires-Python of its index page is a
  conflict too, and a backjump, as uv decides it and lets it clash with Python
  (:meth:`ConflictTracker.refuse_for_python`). nab's own schemes to the same end (restarts,
  culprit backjumps after 30 conflicts, re-reading every priority after a conflict) are off:
  they made different choices than uv.
* ``-v`` traces the choices and conflicts in uv's words, a choice made again from the same
  range (which uv keeps) silently.

Everything else is nab's: the loop of :meth:`Solver.solve` is ``Resolver.solve`` with the
propagation call swapped and the reprioritisation added.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from nab_resolver import conflict, decide, incompat_index
from nab_resolver.errors import ResolutionLimitError
from nab_resolver.propagate import term_relation
from nab_resolver.resolver import Resolver, ResolverObserver
from nab_resolver.root import ROOT
from nab_resolver.types import (
    Incompatibility,
    IncompatibilityCause,
    IncompatibilityState,
    SetRelation,
    Term,
)

from pyffin import log

# The class itself, not its name, for Resolver[...]: typing compiles a name given as text, and
# the process's first compile() sets up the compiler (~9M instructions, 4% of a warm compile).
from pyffin.models.versions import Version
from pyffin.resolver.conflicts import ConflictTracker, project_of
from pyffin.resolver.ranges import singleton_version

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from nab_resolver.resolver import Solution
    from nab_resolver.types import Incompatibility, RangeProtocol, RootRequirement

    from pyffin.resolver.ranges import VersionSet

_SATISFIED = SetRelation.SATISFIED
_CONTRADICTED = SetRelation.CONTRADICTED
_CONFLICT = IncompatibilityState.CONFLICT



class _Stamps(list[int]):
    """nab's per-clause epoch stamps; nab resets one (``-1``) when it widens a clause in place,
    which must also wake the clause here."""

    def __init__(self, wake: Callable[[int], None]) -> None:
        super().__init__()
        self._wake = wake

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        if isinstance(index, int) and value < 0:
            self._wake(index)


class _ConflictSteps(ResolverObserver[str, Version]):
    """Keeps each step of the conflict resolution under way: its clause and satisfier."""

    def __init__(self) -> None:
        self.steps: list[tuple[Incompatibility[Any, Any], Any]] = []

    def on_conflict_step(self, incompatibility: Incompatibility[Any, Any], *,
                         satisfier_package: Any, satisfier_is_decision: bool,
                         satisfier_level: int, previous_level: int,
                         can_backjump: bool) -> None:
        self.steps.append((incompatibility, satisfier_package))


class Solver(Resolver[str, Version]):
    """``nab_resolver.Resolver`` whose unit propagation keeps what it learned across backjumps,
    and whose conflicts reorder packages as uv's do."""

    # nab's restarts and culprit backjumps, off (see the module docstring).
    _MAX_RESTARTS = 0
    TARGETED_BT_MIN_CONFLICTS = 1 << 62

    def __init__(self, *args: Any, tracker: ConflictTracker | None = None,
                 **kwargs: Any) -> None:
        if kwargs.get("observer") is not None:
            raise TypeError("the solver observes its conflicts itself: it takes no observer")
        super().__init__(*args, **kwargs)
        #: What each conflict's resolution went through (uv counts every step of it).
        self._steps = _ConflictSteps()
        self.observer = self._steps
        self.clause_contradicted_at = _Stamps(self._wake)
        #: Clause evaluations done by unit propagation (a measure of its work, for tests).
        self.evaluations = 0
        #: Shared with the provider, whose priorities read it.
        self.tracker = tracker or ConflictTracker()
        self._forget()

    def _forget(self) -> None:
        #: The package chosen last (uv's ``state.next``): conflicts count against it.
        self._next: Any = ROOT
        #: Each package's last choice, with the range it was chosen from (for the trace).
        self._selected: dict[Any, tuple[Any, Version]] = {}
        #: The versions whose requirements' clauses were added (uv's ``added_dependencies``).
        self._added: set[tuple[Any, Version]] = set()
        #: Per package, the indices of its clauses that are awake, and how many of nab's
        #: index list for the package were taken in.
        self._awake: dict[Any, set[int]] = {}
        self._taken: dict[Any, int] = {}
        #: Sleeping clause -> its level; level -> the clauses sleeping there.
        self._asleep: dict[int, int] = {}
        self._by_level: dict[int, list[int]] = {}
        self._seen_solution: Any = None
        self._seen_level = 0

    def solve(
        self,
        requirements: Mapping[str, RangeProtocol[Version]]
        | Sequence[RootRequirement[str, Version]],
        constraints: Mapping[str, RangeProtocol[Version]] | None = None,
    ) -> Solution[str, Version]:
        # nab's ``Resolver.solve`` (0.0.23), with :meth:`_propagate` for unit propagation.
        from nab_resolver.decide import choose_package_to_decide
        from nab_resolver.resolver import _as_root_requirements

        if self.preferred_trial_consumed:
            raise RuntimeError("A preferred-model trial consumes its resolver and provider; "
                               "create fresh ones")
        self._reset(constraints)
        self._forget()
        roots = _as_root_requirements(requirements)
        self.tracker.pinned([root.package for root in roots
                             if singleton_version(cast("VersionSet", root.constraint)) is not None])
        self._add_proxy_clauses([(root.package, root.constraint) for root in roots])
        self._add_root_requirements(roots)
        restart_threshold = self._RESTART_THRESHOLD
        restarts_remaining = self._MAX_RESTARTS
        changed_package: Any = ROOT
        for _ in range(self.max_iterations):
            self.stats.rounds += 1
            conflicting = self._propagate(changed_package)
            if conflicting is not None:
                changed_package, restart_threshold, restarts_remaining = self._handle_conflict(
                    conflicting, restart_threshold, restarts_remaining)
                continue
            undone = self._reprioritize()
            if undone is not None:
                changed_package = undone
                continue
            next_package = choose_package_to_decide(self)
            if next_package is None:
                return self._build_result()
            changed_package = self._decide_next(next_package)
        raise ResolutionLimitError(f"Resolution exceeded {self.max_iterations} iterations")

    def _handle_conflict(self, conflicting: Incompatibility[Any, Any], restart_threshold: int,
                         restarts_remaining: int) -> tuple[Any, int, int]:
        """nab's conflict handling, with uv's record of the conflict (each step of its
        resolution, see :meth:`ConflictTracker.record_cause`) and propagation going on from
        the last step's satisfier, as pubgrub's does."""
        steps = self._steps.steps
        steps.clear()
        epoch = self.priority_epoch
        changed, restart_threshold, restarts_remaining = super()._handle_conflict(
            conflicting, restart_threshold, restarts_remaining)
        # nab would read every priority again after a conflict; pubgrub reads only those of
        # the packages whose range moved (the decision queue's own "changed").
        self.priority_epoch = epoch
        for index, (clause, satisfier) in enumerate(steps):
            learned = steps[index + 1][0] if index + 1 < len(steps) else clause
            packages = [term.package for term in learned.terms if term.package is not ROOT]
            if self.tracker.record_cause(self._next, satisfier, packages) and log.enabled(
                    log.DEBUG):
                log.debug(f"Recording unit propagation conflict of {satisfier} from "
                          f"incompatibility of ({', '.join(packages)})")
        if steps:
            changed = steps[-1][1]
        steps.clear()
        return changed, restart_threshold, restarts_remaining

    def _decide_next(self, next_package: Any) -> Any:
        """nab's decision step, as astral's pubgrub takes it (see the module): a version
        whose clauses are in already is decided at once; otherwise its requirements' clauses
        are added, and, once something has gone wrong, a version one of whose requirements the
        partial solution already rules out — by a range required of that package or by one
        derived against it, as pubgrub reads the package's whole term — is not decided (uv's
        "Recording dependency conflict"): unit propagation rules it out at the current level.
        Deciding it would make a conflict whose learned clause names only what the root
        implies, and the backjump would undo every decision (apache-airflow==2.7.*: 121
        backjumps to level 1, 2,696 decisions where uv makes 304)."""
        self._next = next_package
        version = decide.choose_version(self, next_package)
        had_pending = decide.absorb_pending_clauses(self)
        force_targets = list(self.provider.consume_force_backtrack_targets())
        if force_targets:
            self.priority_epoch += 1
            triggering = conflict.force_targeted_backtrack(self, force_targets)
            if triggering is not None:
                return triggering
        if version is None:
            if self.tracker.take_refused() == next_package:
                self._backjump_refused(next_package)
                return next_package
            decide.record_no_versions(self, next_package, had_pending=had_pending)
            return next_package
        solution = self.solution
        if log.enabled(log.DEBUG):
            # uv's -v trace, line for line: each version chosen, before its requirements are
            # held against the partial solution, but not one chosen again from the same range
            # (uv keeps that choice, and says nothing).
            chosen = (solution.get(next_package), version)
            if self._selected.get(next_package) != chosen:
                self._selected[next_package] = chosen
                log.debug(f"Selecting: {next_package}=={version}")
        dependencies = self.provider.get_dependencies(next_package, version)
        if (next_package, version) in self._added:
            # Its requirements' clauses are in already: unit propagation would have ruled the
            # version out were one of them contradicted. uv decides it at once.
            return self._decide(next_package, version, dependencies)
        self._added.add((next_package, version))
        self.tracker.pinned([dependency for dependency, supplied in dependencies.items()
                             if singleton_version(cast("VersionSet", supplied)) is not None])
        self._add_proxy_clauses(dependencies.items())
        stats = self.stats
        checking = bool(stats.conflicts or stats.backjumps or stats.targeted_backtracks)
        for dependency, supplied in (dependencies.items() if checking else ()):
            if dependency == next_package:
                continue
            current = solution.get(dependency)
            if current is None:
                continue
            required = self.as_term_range(supplied)
            if (current & required).is_empty:
                widened = self.provider.widen_decision(next_package, version)
                parent = self.as_term_range(
                    widened if widened is not None else self.range_type.singleton(version))
                for other, other_supplied in dependencies.items():
                    if other == next_package:
                        continue
                    incompat_index.add_incompatibility(self, Incompatibility(
                        [Term(next_package, parent, positive=True),
                         Term(other, self.as_term_range(other_supplied), positive=False)],
                        cause=IncompatibilityCause.DEPENDENCY))
                self.tracker.record(next_package, [next_package, dependency])
                if log.enabled(log.DEBUG):
                    log.debug(f"Recording dependency conflict of {next_package}=={version} "
                              f"from incompatibility of ({next_package}, {dependency})")
                return next_package
        return self._decide(next_package, version, dependencies)

    def _decide(self, package: Any, version: Version, dependencies: Mapping[Any, Any]) -> Any:
        exact_range = self.solution.decide(package, version)
        self.stats.decisions += 1
        self.observer.on_decision(package, version, self.solution.decision_level)
        if dependencies:
            self._record_dependency_clauses(package, version, exact_range, dependencies)
        return package

    def _add_proxy_clauses(self, requirements: Iterable[tuple[Any, Any]]) -> None:
        """uv's proxy clauses: a requirement of ``foo[x]`` in a range adds that ``foo[x]``
        there requires ``foo`` in the same range, before the requirements' own clauses
        (pubgrub's ``add_proxy_package_incompatibility``), so that a range of the extra the
        base package cannot take is a conflict at once."""
        for package, supplied in requirements:
            base = project_of(package)
            if base == package:
                continue
            required = self.as_term_range(supplied)
            incompat_index.add_incompatibility(self, Incompatibility(
                [Term(package, required, positive=True), Term(base, required, positive=False)],
                cause=IncompatibilityCause.DEPENDENCY))

    def _backjump_refused(self, package: Any) -> None:
        """A version of ``package`` refused for its Requires-Python: uv decides it, and
        resolving the conflict with Python learns that the version is out, with only that
        package left in the clause: it backjumps to where ``package`` was first derived
        (pubgrub's previous satisfier of a decision excluded whole is the package's first
        assignment). The decisions after it are made again, in the order priorities give
        then, as in uv; the provider's fact rules the version out there."""
        entries = self.solution.assignments_for(package)
        target = max(entries[0].decision_level, 1) if entries else 1
        if target >= self.solution.decision_level:
            return
        self.solution.backtrack(target)
        self._wake_above(target)
        self._seen_level = target
        self.stats.backjumps += 1

    def _reprioritize(self) -> Any | None:
        """uv's ``reprioritize_conflicts``: a package newly decided later loses its decision
        (``backtrack_package``: back to the level before it). New priorities are read, as
        pubgrub reads them, for each package whose range moves from then on. The package
        backtracked, to propagate from, or ``None``."""
        moved, undo = self.tracker.reprioritize()
        if not moved:
            return None
        backtracked = None
        for package in undo:
            decision = next((entry for entry in self.solution.assignments_for(package)
                             if entry.is_decision), None)
            if decision is None or decision.decision_level - 1 < 1:
                continue
            target = decision.decision_level - 1
            if target < self.solution.decision_level:
                log.debug(f"Backtracking to decision level {target}, before {package}")
                self.solution.backtrack(target)
                self._wake_above(target)
                self._seen_level = target
                self.stats.targeted_backtracks += 1
                backtracked = package
        return backtracked

    def _wake(self, index: int) -> None:
        level = self._asleep.pop(index, None)
        if level is None:
            return
        for term in self.incompatibilities[index].terms:
            awake = self._awake.get(term.package)
            if awake is not None:
                awake.add(index)

    def _wake_above(self, level: int) -> None:
        for stale in [lvl for lvl in self._by_level if lvl > level]:
            for index in self._by_level.pop(stale):
                if self._asleep.get(index) == stale:
                    self._wake(index)

    def _sleep(self, index: int, level: int) -> None:
        self._asleep[index] = level
        self._by_level.setdefault(level, []).append(index)
        for term in self.incompatibilities[index].terms:
            awake = self._awake.get(term.package)
            if awake is not None:
                awake.discard(index)

    def _clauses_of(self, package: Any) -> list[int]:
        """The awake clauses on ``package``, in nab's order, taking in new ones first."""
        listed = self.package_to_incompatibilities.get(package, ())
        awake = self._awake.get(package)
        if awake is None:
            awake = self._awake[package] = set()
        taken = self._taken.get(package, 0)
        if taken < len(listed):
            asleep = self._asleep
            awake.update(index for index in listed[taken:] if index not in asleep)
            self._taken[package] = len(listed)
        return sorted(awake)

    def _propagate(self, changed_package: Any) -> Incompatibility[Any, Any] | None:
        """nab's ``unit_propagation``, walking only the awake clauses."""
        solution = self.solution
        if solution is not self._seen_solution:  # a new resolution or a restart
            for index in list(self._asleep):
                self._wake(index)
            self._by_level.clear()
            self._seen_solution = solution
        elif solution.decision_level < self._seen_level:
            self._wake_above(solution.decision_level)
        queue: deque[Any] = deque([changed_package])
        queued: set[Any] = {changed_package}
        incompatibilities = self.incompatibilities
        contradicted_at = self.clause_contradicted_at
        epoch = solution.contradiction_epoch
        try:
            while queue:
                package = queue.pop()
                queued.discard(package)
                current = solution.get(package)
                if current is not None and current.is_empty:
                    # An empty range voids the sleepers' rule: look at all of them again.
                    for index in self.package_to_incompatibilities.get(package, ()):
                        self._wake(index)
                for index in reversed(self._clauses_of(package)):
                    if contradicted_at[index] == epoch or index in self._asleep:
                        continue
                    incompatibility = incompatibilities[index]
                    self.evaluations += 1
                    unit: Term[Any, Any] | None = None
                    state: Any = None
                    for term in incompatibility.terms:
                        relation = term_relation(self, term)
                        if relation is _SATISFIED:
                            continue
                        if relation is _CONTRADICTED:
                            state = _CONTRADICTED
                            entries = solution.assignments_for(term.package)
                            if entries:
                                self._sleep(index, entries[-1].decision_level)
                            break
                        if unit is not None:
                            state = None
                            unit = None
                            break
                        unit = term
                        state = term
                    else:
                        if unit is None:
                            state = _CONFLICT
                    if state is _CONTRADICTED:
                        contradicted_at[index] = epoch
                        continue
                    if state is _CONFLICT:
                        return incompatibility
                    if unit is not None:
                        negated = unit.negate()
                        before = solution.get(negated.package)
                        after = solution.derive(
                            negated.package, negated.constraint,
                            positive=negated.is_positive(), cause=incompatibility)
                        epoch = solution.contradiction_epoch
                        if before != after:
                            self.stats.derivations += 1
                            self.observer.on_derivation(negated.package,
                                                        positive=negated.is_positive(),
                                                        cause=incompatibility)
                            if negated.package not in queued:
                                queue.append(negated.package)
                                queued.add(negated.package)
            return None
        finally:
            self._seen_level = solution.decision_level
