"""Resolve requirements into pinned versions: pyffin's entry point onto nab-resolver's PubGrub.

Decision: build on nab-resolver 0.0.23 rather than a PubGrub core of pyffin's own. Evidence:

* answers: 150 random small universes (``tests/resolver/test_oracle.py``) agree with brute
  force (a solution exactly when one exists, and every solution valid), and every
  backtracking, cycle and explanation case of ``tests/resolver`` resolves as expected;
* speed, measured on a synthetic warm-data graph (150 packages, 10-80 versions each, 1-6
  requirements per version with markers, extras and ranges; CPU time, 2-core machine under
  load): 111 packages without conflicts in ~30 ms; with 13-16 conflicts (~575 decisions) in
  75-90 ms. About 60 % of that is nab's unit propagation and decision queue, the rest this
  package's provider (requirement parsing, candidate selection). A core of our own in Python
  would pay the same per-step costs;
* explanations: its derivation trees carry everything a uv-style report needs
  (:mod:`pyffin.resolver.report` renders them; nab's own text is not used);
* the known cost is PubGrub's: a learned single-version clause backjumps to the root, so a
  linear chain of N single-version packages ending in a failure replays O(N²) decisions
  (N=50: 0.17 s, N=200: 1.8 s). Real graphs are shallow; uv shares the algorithm.

The solver core stays behind :class:`~pyffin.resolver.provider.Provider`, which owns candidate
selection, so replacing the core would not touch callers.

A resolution first tries the answer made of each package's first choice
(:mod:`pyffin.resolver.first_choices`): when it holds together, it is PubGrub's answer (that
module says why), found in one pass without loading nab's solver; when it does not, the solver
searches from the start on a fresh provider (``stats["searched"]`` says which). A requirements
file of pins, and a set whose newest versions fit, take the first way.

Direct URL requirements (``name @ url``) pin their package to the one distribution at the URL:
the source offers it as the only candidate (:meth:`PackageSource.pin_url`). A dependency may
name a URL only when a direct requirement names the same one (uv's rule), so a package never
silently comes from two places. Any other URL dependency raises
:class:`~pyffin.errors.NotSupportedError`. The provider is ready for them: a source would offer the
URL's single candidate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from nab_resolver.errors import ResolutionError, ResolutionTerminatedError
from nab_resolver.types import RootRequirement

import pyffin.collector as collector
from pyffin.errors import PyffinError
from pyffin.resolver import first_choices
from pyffin.resolver.dependencies import (
    Dependency,
    DependencyError,
    MarkerEvaluator,
    from_requirement,
    same_url,
    target_python,
)
from pyffin.resolver.errors import NoSolutionError, ResolutionLimitError
from pyffin.resolver.options import ResolverOptions
from pyffin.resolver.provider import ProjectVersions, Provider, split_key
from pyffin.resolver.ranges import FULL, VersionSet, format_range, mentions_prerelease
from pyffin.resolver.resolution import Resolution, ResolvedPackage
from pyffin.resolver.system import is_system

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

    from nab_resolver.resolver import ResolverProvider, Solution

    from pyffin.models.metadata import CoreMetadata
    from pyffin.models.versions import Version
    from pyffin.resolver.dependencies import DependencyParser, DirectRequirement
    from pyffin.resolver.first_choices import FirstChoices
    from pyffin.resolver.pubgrub import Solver
    from pyffin.resolver.source import PackageSource

_DEFAULT_OPTIONS = ResolverOptions()


def resolve(
    requirements: Sequence[DirectRequirement],
    source: PackageSource,
    markers: Mapping[str, str],
    options: ResolverOptions = _DEFAULT_OPTIONS,
    *,
    constraints: Sequence[DirectRequirement] = (),
    overrides: Sequence[DirectRequirement] = (),
    excludes: Collection[str] = (),
    preferences: Mapping[str, Version] | None = None,
    stats: dict[str, int] | None = None,
    parser: DependencyParser | None = None,
    requested_python: str | None = None,
) -> Resolution:
    """Pin a version of every package ``requirements`` need on the target ``markers`` describe.

    ``markers`` is the target's PEP 508 environment; its ``python_full_version`` is the Python
    every Requires-Python must admit. ``constraints`` only restrict packages something else
    requires; ``overrides`` replace every requirement on their package, transitive ones included;
    ``excludes`` (normalized names, uv's ``--excludes``) are left out: every requirement on one,
    direct or transitive, is dropped, whatever its specifier, extras or marker;
    ``preferences`` (normalized name -> version, e.g. from an existing output file) are tried first
    unless ``options.upgrade``/``options.upgrade_packages`` say otherwise. ``parser`` keeps
    what was parsed for the next resolution (a session's); without, this one has its own.
    ``requested_python`` (``>=3.11``) is ``--python-version`` where it is not the running
    interpreter's: explanations then say "the requested Python version" rather than "the
    current", and hint at raising it, as uv does.
    Each resolved package carries the distribution the source chose for it
    (:meth:`~pyffin.resolver.source.PackageSource.distribution`).

    ``stats``, when given, receives counts of the work done (decisions, conflicts, clause
    evaluations, metadata reads, prefetches): tests bound them, ``-v`` may show them.

    Raises :class:`~pyffin.resolver.errors.NoSolutionError` with an explanation when the
    requirements cannot all hold, and lets the source's errors propagate.
    """
    evaluator = MarkerEvaluator(markers)
    python = target_python(markers)
    urls: dict[str, str] = {}
    excluded = frozenset(excludes)
    direct = _active(without_excluded(requirements, excluded), evaluator, urls)
    warn_unbounded([d for d, _ in direct], options)
    constraint_deps = _active(constraints, evaluator, urls)
    override_deps = _active(overrides, evaluator, urls, keep_inactive=True)
    for name, url in urls.items():
        source.pin_url(name, url)  # type: ignore[arg-type]

    overrides_by_name: dict[str, list[Dependency]] = {}
    for dependency, _origin in override_deps:
        overrides_by_name.setdefault(dependency.name, []).append(dependency)
    constraint_ranges: dict[str, VersionSet] = {}
    for dependency, _origin in constraint_deps:
        previous = constraint_ranges.get(dependency.name, FULL)
        constraint_ranges[dependency.name] = previous & dependency.versions

    # A root requirement's origin (opaque to nab) is its position, so explanations can list
    # requirements in the order the user wrote them.
    roots: list[RootRequirement[str, Version]] = []
    for dependency, _origin in direct:
        for replacement in _override(dependency, overrides_by_name, evaluator):
            for key in _keys(replacement, evaluator):
                roots.append(RootRequirement(key, replacement.versions, len(roots)))

    pinning = [d for d, _ in direct] + [d for d, _ in constraint_deps]
    required: dict[str, VersionSet] = dict(constraint_ranges)
    for root in roots:
        name = split_key(root.package)[0]
        required[name] = required.get(name, FULL) & root.constraint
    # What a first pass read (versions, checked metadata) serves the search after it.
    projects: dict[str, ProjectVersions] = {}
    metadata: dict[tuple[str, Version], CoreMetadata] = {}

    def new_provider() -> Provider:
        provider = Provider(
            source,
            markers=evaluator,
            python=python,
            options=options,
            direct=frozenset(d.name for d, _ in direct),
            explicit_prereleases=frozenset(
                d.name for d, _ in (*direct, *constraint_deps, *override_deps)
                if mentions_prerelease(d.clauses)),
            allowed_yanks=exact_pins(pinning),
            constraints=constraint_ranges,
            overrides=overrides_by_name,
            preferences=preferences or {},
            excludes=excluded,
            urls=urls,
            required=required,
            parser=parser,
            projects=projects,
            metadata=metadata,
            requested_python=requested_python,
        )
        for root in roots:
            provider.discover(root.package)
        return provider

    provider = new_provider()
    work = dict.fromkeys(provider.stats, 0)
    counts: dict[str, int] = {}
    try:
        with collector.paused():  # (as run_solver: nothing it allocates is garbage)
            solution: Solution[str, Version] | FirstChoices | None = first_choices.solve(
                provider, roots)
        if solution is not None:
            counts = {"decisions": len(solution.pins), "conflicts": 0, "backjumps": 0,
                      "restarts": 0, "evaluations": 0, "searched": 0}
        else:
            for key, value in provider.stats.items():
                work[key] += value
            provider = new_provider()
            resolver = make_solver(provider)
            try:
                solution = run_solver(resolver, provider, roots)
            finally:
                solver = resolver.stats
                counts = {"decisions": solver.decisions, "conflicts": solver.conflicts,
                          "backjumps": solver.backjumps, "restarts": solver.restarts,
                          "evaluations": resolver.evaluations, "searched": 1}
        provider.warn_missing_extras(solution.pins)
        provider.warn_skipped_builds(solution.pins)
    finally:
        source.resolution_done()
        if stats is not None:
            for key, value in provider.stats.items():
                work[key] += value
            stats.update(work, **counts)
    origins = [(d.name, origin) for d, origin in (*direct, *constraint_deps, *override_deps)]
    return _resolution(solution, origins, urls, source)


def make_solver(provider: Provider) -> Solver:
    """nab's solver over ``provider`` (which works on nab's concrete Range, narrower than the
    protocol it is typed against)."""
    from pyffin.resolver.pubgrub import Solver

    return Solver(cast("ResolverProvider[str, Version]", provider), format_range=format_range,
                  tracker=provider.tracker)


def run_solver(solver: Solver, provider: Provider,
               roots: Sequence[RootRequirement[str, Version]], *,
               more_hints: Callable[[], Sequence[str]] = tuple,
               split: str | None = None) -> Solution[str, Version]:
    """Solve ``roots``; a failure becomes :class:`NoSolutionError` with the explanation of its
    proof (``more_hints()`` first, ``split`` naming the fork) or :class:`ResolutionLimitError`."""
    # The solver's objects (candidates, ranges, clauses) live until it is done: the cyclic
    # collector would only walk them over and over (a tenth of a warm resolution's time).
    with collector.paused():
        try:
            return solver.solve(roots)
        except ResolutionTerminatedError as e:
            raise ResolutionLimitError(f"the resolver gave up: {e}") from None
        except ResolutionError as e:
            from pyffin.resolver.report import explain

            if e.incompatibility is None:  # pragma: no cover - nab proves every failure
                raise ResolutionLimitError(
                    f"the resolver failed without a proof: {e}") from None
            explanation, hints = explain(e.incompatibility, provider)
            raise NoSolutionError(explanation, (*more_hints(), *hints), split=split) from None


def _active(
    requirements: Sequence[DirectRequirement],
    evaluator: MarkerEvaluator,
    urls: dict[str, str],
    *,
    keep_inactive: bool = False,
) -> list[tuple[Dependency, str]]:
    """Parse direct requirements, dropping those whose marker excludes the target; direct
    references are recorded in ``urls`` (by name) and stripped from the dependency."""
    active = []
    for direct in requirements:
        try:
            dependency = from_requirement(direct.requirement)
            if not keep_inactive and dependency.marker is not None and not evaluator.evaluate(
                    dependency.marker):
                continue
        except DependencyError as e:
            raise PyffinError(f"{direct.origin}: {e}") from None
        if dependency.url is not None:
            known = urls.setdefault(dependency.name, dependency.url)
            if not same_url(known, dependency.url):
                raise PyffinError(
                    f"{dependency.name} is required from two different places: {known} and "
                    f"{dependency.url} ({direct.origin})")
            from pyffin.records import replace

            dependency = replace(dependency, url=None)
        active.append((dependency, direct.origin))
    return active


def without_excluded(requirements: Sequence[DirectRequirement], excluded: frozenset[str],
                     ) -> Sequence[DirectRequirement]:
    """``requirements`` but those on the ``excluded`` names."""
    if not excluded:
        return requirements
    from pyffin.models.names import normalize_name

    return [direct for direct in requirements
            if normalize_name(direct.requirement.name) not in excluded]


def _override(dependency: Dependency, overrides: Mapping[str, Sequence[Dependency]],
              evaluator: MarkerEvaluator) -> list[Dependency]:
    replacements = overrides.get(dependency.name)
    if replacements is None:
        return [dependency]
    return [
        _with_extras(replacement, dependency.extras)
        for replacement in replacements
        if replacement.marker is None or evaluator.evaluate(replacement.marker)
    ]


def _with_extras(dependency: Dependency, extras: tuple[str, ...]) -> Dependency:
    from pyffin.records import replace

    return replace(dependency, extras=tuple(sorted({*dependency.extras, *extras})))


def _keys(dependency: Dependency, evaluator: MarkerEvaluator) -> list[str]:
    """The solver packages a requirement names: its extras, else the project itself, or its
    marker proxy when a marker holds it (see :meth:`Provider._add_one`)."""
    if dependency.extras:
        return [f"{dependency.name}[{extra}]" for extra in dependency.extras]
    label = None if dependency.marker is None else evaluator.label(dependency.marker)
    return [dependency.name if label is None else f"{dependency.name}{{{label}}}"]


#: Operators that give a requirement a lower bound (``!=``, ``<`` and ``<=`` do not).
_LOWER_BOUNDED = frozenset({">=", ">", "==", "~=", "==="})


def warn_unbounded(direct: Sequence[Dependency], options: ResolverOptions) -> None:
    """uv's warning: with ``--resolution lowest`` or ``lowest-direct``, a direct requirement
    without a lower bound resolves to the project's oldest release, which is rarely meant."""
    if options.resolution == "highest":
        return
    from pyffin import log

    for dependency in direct:
        if dependency.url is None and not any(
                operator in _LOWER_BOUNDED for operator, _ in dependency.clauses):
            log.warn_result(
                f"The direct dependency `{dependency.name}` is unpinned. Consider setting a "
                "lower bound when using `--resolution lowest` or `--resolution lowest-direct` "
                "to avoid using outdated versions.")


def exact_pins(dependencies: Sequence[Dependency]) -> dict[str, frozenset[Version]]:
    """The versions pinned with ``==``/``===`` (which may then be yanked ones)."""
    from pyffin.models.versions import InvalidVersion, Version

    pins: dict[str, set[Version]] = {}
    for dependency in dependencies:
        for operator, text in dependency.clauses:
            if operator in ("==", "===") and not text.endswith(".*"):
                try:
                    pins.setdefault(dependency.name, set()).add(Version(text))
                except InvalidVersion:
                    continue
    return {name: frozenset(versions) for name, versions in pins.items()}


def _resolution(solution: Solution[str, Version] | FirstChoices, origins: Sequence[tuple[str, str]],
                urls: Mapping[str, str], source: PackageSource) -> Resolution:
    versions: dict[str, Version] = {}
    extras: dict[str, set[str]] = {}
    for package, version in solution.pins.items():
        name, extra = split_key(package)
        if is_system(name):
            continue  # what the versions chosen need of the machine: not a project
        versions[name] = version
        if extra is not None:
            extras.setdefault(name, set()).add(extra)
    dependents: dict[str, set[str]] = {}
    for parent, child in solution.edges:
        parent_name, child_name = split_key(parent)[0], split_key(child)[0]
        if parent_name != child_name and not is_system(child_name):
            dependents.setdefault(child_name, set()).add(parent_name)
    origins_by_name: dict[str, list[str]] = {}
    for name, origin in origins:
        listed = origins_by_name.setdefault(name, [])
        if origin not in listed:
            listed.append(origin)
    return Resolution({
        name: ResolvedPackage(
            name,
            versions[name],
            tuple(sorted(extras.get(name, ()))),
            tuple(sorted(dependents.get(name, ()))),
            tuple(origins_by_name.get(name, ())),
            urls.get(name),
            dist=source.distribution(name, versions[name]),  # type: ignore[arg-type]
        )
        for name in sorted(versions)
    })
