"""The package provider that feeds nab-resolver's PubGrub core: candidates, dependencies, order.

Packages are strings: a normalized project name (``flask``) or an extra of one (``flask[async]``,
a virtual package that depends on ``flask==v`` and the extra's own requirements). The provider
decides which versions may be chosen and in what order; everything it rules out it can justify:
when no version of a range will do, it hands the solver the facts why (yanked, Requires-Python,
no file for the target, unusable metadata, not found, a constraint, none in range) as
incompatibilities, so the explanation can name them.

Scale: a package may offer thousands of versions and the solver may reject hundreds of them
(``boto3``/``botocore``). Candidates are kept sorted and a range is matched against them by
bisection (:func:`~pyffin.resolver.ranges.spans`), never by testing each version; a decision is
widened to the versions around it that do not exist (:meth:`Provider.widen_decision`), so the
facts learned about consecutive versions merge into one interval instead of one hole each; and
after a few versions of a package were tried, the next ones' metadata is requested in a batch.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from typing import TYPE_CHECKING, cast

from nab_resolver.ranges import NEGATIVE_INFINITY, POSITIVE_INFINITY, Range
from nab_resolver.types import Incompatibility, IncompatibilityCause, RangeProtocol, Term

from pyffin import log
from pyffin.errors import NotSupportedError, PyffinError
from pyffin.models.metadata import MetadataError, RequiresDist
from pyffin.models.names import normalize_name
from pyffin.models.versions import InvalidVersion, Version, parse_version
from pyffin.records import record
from pyffin.resolver.conflicts import ConflictTracker
from pyffin.resolver.dependencies import (
    DependencyError,
    DependencyParser,
    python_fits,
    python_range,
    same_url,
)
from pyffin.resolver.errors import PackageNotFoundError, TooManyBuildFailuresError
from pyffin.resolver.ranges import (
    FULL,
    VersionSet,
    format_range,
    intervals,
    sole_version,
    spans,
)
from pyffin.resolver.source import Positions, SortedCandidates

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from packaging.utils import NormalizedName

    from pyffin.models.metadata import CoreMetadata
    from pyffin.resolver.dependencies import Dependency, MarkerEvaluator
    from pyffin.resolver.options import ResolverOptions
    from pyffin.resolver.source import Candidate, Dropped, Likely, PackageSource

# Type aliases only: their runtime forms cost every command's start and serve nothing.
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    #: Why a version may not be chosen: yanked; its Requires-Python (the text) excludes the
    #: target; its metadata could not be read or declares something invalid (``invalid``);
    #: its sdist could not be built (``build``). The details of the last two are kept apart
    #: (the facts that state them carry them), so that consecutive versions failing alike
    #: read as one run. In a universal resolution, a version without a wheel for an
    #: environment it must serve (``platform``, the marker).
    Unusable: TypeAlias = (tuple[Literal["yanked"], None] | tuple[Literal["python"], str]
                           | tuple[Literal["invalid"], None] | tuple[Literal["build"], None]
                           | tuple[Literal["platform"], str])
    #: How pre-releases take part: not at all, by version, or after every final release.
    PrereleasePolicy: TypeAlias = Literal["disallow", "allow", "prefer-stable"]
    #: The kinds of fact :class:`Unavailable` states.
    UnavailableKind: TypeAlias = Literal[
        "not-found", "no-versions", "yanked", "python", "constraint", "invalid", "build",
        "files", "platform"]

# Priority categories, most urgent first, as uv's ``PubGrubPriority``: a package deprioritized
# ("conflict late") still goes before those never in a conflict ("unspecified"), to conflict
# before unrelated packages are decided. Checked with uv 0.13.9 on local indexes
# (``RUST_LOG=uv_resolver=trace``: "Chose package for decision: x3. remaining choices: z3").
_URL, _SINGLETON, _CONFLICT_EARLY, _CONFLICT_LATE, _UNSPECIFIED = range(5)

#: The most versions one batch prefetch asks for (uv's).
BATCH_LIMIT = 50
#: Failed builds one resolution gets past before the next is fatal. A version whose sdist does
#: not build is skipped for another (uv and pip stop at the first), but a run of them (every
#: old release of a project that no longer builds) would otherwise send the solver down
#: hundreds of old sdists, each built, to end where uv does: at the first failure.
BUILD_FAILURES_SKIPPED = 2


def split_key(package: str) -> tuple[str, str | None]:
    """``"flask[async]"`` -> ``("flask", "async")``; ``"flask"`` -> ``("flask", None)``;
    a marker proxy ``"numpy{python_version < \"3.10\"}"`` -> ``("numpy", None)``."""
    if package[-1] == "}":
        return package[:package.index("{")], None
    bracket = package.find("[")
    if bracket < 0:
        return package, None
    return package[:bracket], package[bracket + 1:-1]


def is_marker_proxy(package: str) -> bool:
    """Whether ``package`` is uv's marker proxy of a project (see :meth:`Provider._add_one`)."""
    return package[-1] == "}"


class Unavailable(Incompatibility[str, Version]):
    """An external fact from the provider: the versions of its one term cannot be chosen.

    ``detail`` is the Requires-Python text (``python``), the constraint's range
    (``constraint``), the source's error (``not-found``), the versions' failures
    (``invalid``/``build``: version -> message) or the files the source found
    (``files``: the newest version's :class:`~pyffin.resolver.source.Dropped` and how many
    versions the fact covers).
    """

    __slots__ = ("detail", "kind")

    def __init__(self, package: str, versions: VersionSet, kind: UnavailableKind,
                 detail: object = None) -> None:
        super().__init__([Term(package, versions, positive=True)], IncompatibilityCause.NO_VERSIONS)
        self.kind = kind
        self.detail = detail


@record
class ProjectVersions:
    """What the index offers for one project, sorted for bisection."""

    name: str
    #: Ascending by version.
    candidates: Sequence[Candidate]
    #: Their versions, and whether each is a pre-release (same order).
    versions: Sequence[Version]
    prerelease: Sequence[bool]
    #: Version -> position in :attr:`candidates`.
    index: Mapping[Version, int]
    policy: PrereleasePolicy
    #: Oldest first (``--resolution lowest``, or ``lowest-direct`` for a direct requirement).
    lowest: bool
    not_found: PackageNotFoundError | None = None
    #: ``--index-strategy unsafe-first-match``: each candidate's index rank (same order), when
    #: not all come from the first index (see :attr:`Candidate.index_rank`).
    index_ranks: Sequence[int] | None = None


class Provider:
    """nab-resolver's view of a :class:`~pyffin.resolver.source.PackageSource` (its
    ``ResolverProvider``; not a subclass of nab's ``BaseProvider``, whose module is the
    solver's: a resolution of first choices, :mod:`pyffin.resolver.first_choices`, never
    imports it)."""

    def __init__(
        self,
        source: PackageSource,
        *,
        markers: MarkerEvaluator,
        python: Version,
        options: ResolverOptions,
        direct: frozenset[str],
        explicit_prereleases: frozenset[str],
        allowed_yanks: Mapping[str, frozenset[Version]],
        constraints: Mapping[str, VersionSet],
        overrides: Mapping[str, Sequence[Dependency]],
        preferences: Mapping[str, Version],
        excludes: frozenset[str] = frozenset(),
        urls: Mapping[str, str] | None = None,
        required: Mapping[str, VersionSet] | None = None,
        parser: DependencyParser | None = None,
        projects: dict[str, ProjectVersions] | None = None,
        metadata: dict[tuple[str, Version], CoreMetadata] | None = None,
        requested_python: str | None = None,
    ) -> None:
        self._source = source
        self._requested_python = requested_python
        #: Parses ``Requires-Dist``; the caller's (a session's) when given, so what one
        #: resolution parsed serves the next.
        self._parser = parser or DependencyParser()
        self._urls = urls or {}
        self._markers = markers
        self._python = python
        self._options = options
        self._prerelease_modes = dict(options.prerelease_packages)
        self._direct = direct
        self._explicit_prereleases = explicit_prereleases
        self._allowed_yanks = allowed_yanks
        self._constraints = constraints
        self._overrides = overrides
        #: Normalized names left out of the resolution: a dependency on one is dropped.
        self._excludes = excludes
        self._preferences = preferences
        #: What the direct requirements (and constraints) allow of each name, whatever else
        #: happens: a batch prefetch never goes past it.
        self._required = required or {}
        # What does not depend on the target (the index's versions, checked metadata) may be
        # shared by the resolutions of one universal resolution's forks.
        self._projects: dict[str, ProjectVersions] = {} if projects is None else projects
        self._metadata: dict[tuple[str, Version], CoreMetadata] = (
            {} if metadata is None else metadata)
        self._unusable: dict[tuple[str, Version], Unusable | None] = {}
        self._failures: dict[tuple[str, Version], str] = {}
        #: The versions whose sdist failed to build, in order, with the error.
        self._build_failures: list[tuple[str, PyffinError]] = []
        self._python_fits: dict[str, bool] = {}
        self._dependencies: dict[tuple[str, Version], dict[str, VersionSet]] = {}
        #: The marker text of each ``Requires-Dist`` of a version, as checking its metadata
        #: found them: reading its dependencies then need not look each text up again.
        self._marker_texts: dict[tuple[str, Version], tuple[str | None, ...]] = {}
        self._pending: list[Incompatibility[str, Version]] = []
        self._stated: set[tuple[str, object]] = set()
        self._discovered: dict[str, int] = {}
        self._names: dict[str, int] = {}
        self._requested: set[str] = set()
        self._keys: dict[str, list[str]] = {}
        self._decisions: Mapping[str, Version] = {}
        self._positive: Mapping[str, VersionSet] = {}
        self._hinted_range: dict[str, VersionSet] = {}
        self._likely: dict[str, tuple[VersionSet, Version | None]] = {}
        #: Packages whose page had not arrived when their likely version was asked for.
        self._waiting: set[str] = set()
        self._spans: dict[tuple[str, int], tuple[VersionSet, list[tuple[int, int]]]] = {}
        #: How conflicts reorder packages (shared with the solver, which records them).
        self.tracker = ConflictTracker()
        #: The Pythons the versions refused for their Requires-Python asked for, together.
        self._refused_pythons: VersionSet = Range.empty()
        self._tried: dict[str, set[Version]] = {}
        self._last_batch: dict[str, int] = {}
        self._prefetched: set[tuple[str, Version]] = set()
        self._dropped: dict[str, list[Dropped]] = {}
        #: ``(name[extra], version)`` read without the extra: warned about only if pinned.
        self.missing_extras: set[tuple[str, Version]] = set()
        #: What the provider did, for tests and ``-v``: decisions offered, metadata asked.
        self.stats = {"choices": 0, "metadata": 0, "batch-prefetches": 0}

    # --- what the solver asks -------------------------------------------------------------------

    def choose_version(self, package: str, version_range: VersionSet) -> Version | None:
        name, extra = split_key(package)
        project = self.project(name)
        allowed = self._constrain(package, name, version_range)
        if extra is not None:
            base = self._positive.get(name)
            outside = None if base is None else version_range & ~base
            if (outside is not None and not outside.is_empty
                    and next(self._indices(project, allowed & outside), None) is not None
                    and not self._refused_first(project, package, allowed)):
                # ``foo[x]==v`` depends on ``foo==v``: no version outside where ``foo`` stands
                # can do while it stays there. Saying so narrows ``foo[x]`` to those (or, when
                # none is left, backtracks) at once, where choosing would read (for an sdist,
                # build) the metadata of such versions only to fail on them: with
                # ``--resolution lowest``, every old release below ``foo``'s range. (Unless
                # the first version in the extra's own range needs another Python: uv refuses
                # it first, a conflict that moves priorities, as for any package.)
                self._pending.append(Incompatibility(
                    [Term(package, outside, positive=True),
                     Term(name, outside, positive=False)],
                    IncompatibilityCause.DEPENDENCY))
                return None
        chosen, refused = self._first_choice(project, package, allowed)
        self.stats["choices"] += 1
        if refused:
            return None
        if chosen is None:
            self._explain_unavailable(package, project, allowed)
        elif extra is None and not is_marker_proxy(package):  # (the project's is next)
            self._batch_prefetch(project, chosen, allowed)
        return chosen

    def has_satisfying_version(self, package: str, version_range: VersionSet) -> bool:
        name, _extra = split_key(package)
        constraint = self._constraints.get(name)
        if constraint is not None:
            version_range = version_range & constraint
        return self._select(self.project(name), package, version_range) is not None

    def get_dependencies(self, package: str, version: Version) -> dict[str, VersionSet]:
        key = (package, version)
        dependencies = self._dependencies.get(key)
        if dependencies is None:  # read when chosen, unless chosen by another provider call
            dependencies = self._dependencies[key] = self._read_dependencies(package, version)
        name, extra = split_key(package)
        if extra is not None and name not in self._decisions:
            # uv reaches an extra through a proxy package: the base package, pinned to this
            # version, is decided first and what it depends on is met before what the extra
            # adds. Met here in that order, the projects keep uv's priorities.
            self.discover(name)
            try:
                self.get_dependencies(name, version)
            except PyffinError:
                pass  # said when the base package is decided
        for dependency in dependencies:
            self.discover(dependency)
        return dependencies

    def prioritize(
        self,
        package: str,
        version_range: VersionSet,
        conflict_counts: Mapping[str, int],
        culprit_counts: Mapping[str, int] | None = None,
    ) -> tuple[int, int, int]:
        # uv's order: direct URLs, exact pins, then projects whose decisions kept being undone,
        # then those that kept undoing others' (see pubgrub.ConflictTracker; nab's own counts
        # are not used), then first come, first served by project: breadth-first keeps close to
        # uv's choices.
        self._hinted_range[package] = version_range
        name, _extra = split_key(package)
        # A conflict's mark outranks a pin, as in uv, where marking a project replaces its
        # priority until a requirement pins it again (ConflictTracker.pinned): a culprit undone
        # stays undecided while the versions it refused are decided.
        conflicted = self.tracker.category(package)
        if name in self._urls:
            category = _URL
        elif conflicted is not None:
            category = _CONFLICT_EARLY if conflicted == 0 else _CONFLICT_LATE
        elif name in self.tracker.singletons:
            category = _SINGLETON
        else:
            category = _UNSPECIFIED
        order = self._names.get(name, len(self._names))
        return category, order, self._discovered.get(package, len(self._discovered))

    def begin_decision_scan(self) -> Callable[[str], bool] | None:
        # A package still waiting for its page is looked at again at each decision, so that
        # the metadata of its likely version is fetched as soon as the page is in.
        waiting = self._waiting
        if waiting:
            decided = self._decisions
            for package in list(waiting):
                if package in decided or self._check_ready(package):
                    waiting.discard(package)
        # Every package reads as ready (see is_ready): no key waits on a probe.
        return None

    def is_ready(self, package: str) -> bool:
        """Always true: what has arrived never orders the decisions, or the answer would
        depend on network timing (the same input resolved to different pins from one cold run
        to the next), as uv's never does. Asking starts the fetch of the package's likely
        version; a decision that needs data still in flight waits for it."""
        if package not in self._waiting and not self._check_ready(package):
            self._waiting.add(package)
        return True

    def widen_decision(self, package: str, version: Version) -> VersionSet | None:
        """The interval up to the nearest candidates either side of ``version`` that might
        still be chosen, exclusive (inclusive of the first or last candidate at either end of
        the list, so that no widened range is unbounded and only a real "every version" reads
        as one).

        Sound because no other version there can ever be chosen: none exists, or it is known
        unusable. It makes the facts about neighbouring versions overlap: the dependency
        clauses of consecutive versions that require the same thing merge into one interval,
        and so do the ranges the solver rules out, instead of gaining one hole per rejected
        (or unusable) version.
        """
        name = split_key(package)[0]
        project = self._projects.get(name)
        if project is None or len(project.versions) < 2:
            return None
        position = project.index.get(version)
        if position is None:
            return None
        versions = project.versions
        below, above = position - 1, position + 1
        while below >= 0 and self._never_chosen(project, below):
            below -= 1
        while above < len(versions) and self._never_chosen(project, above):
            above += 1
        lower = (versions[below], False) if below >= 0 else (versions[0], True)
        upper = (versions[above], False) if above < len(versions) else (versions[-1], True)
        return Range(((*lower, *upper),))

    def _never_chosen(self, project: ProjectVersions, position: int) -> bool:
        """Whether the candidate at ``position`` is known never to be chosen in this
        resolution (an unusable version, or a pre-release the policy keeps out)."""
        if project.policy == "disallow" and project.prerelease[position]:
            return True
        candidate = project.candidates[position]
        known = self._unusable.get((project.name, candidate.version), False)
        if known is not False:
            return known is not None
        return self._index_unusable(project.name, candidate) is not None

    def narrow_for_display(self, package: str, constraint: RangeProtocol[Version]
                           ) -> RangeProtocol[Version]:
        if not isinstance(package, str) or not isinstance(constraint, Range):
            return constraint  # the solver's root, or a range pyffin did not make
        return self.narrow(split_key(package)[0], constraint)

    def receive_partial_solution_hint(
        self,
        positive_ranges: Mapping[str, VersionSet],
        decisions: Mapping[str, Version],
    ) -> None:
        # Read-only snapshots; the decisions tell ``foo[x]`` which ``foo`` it should agree with.
        self._decisions = decisions
        self._positive = positive_ranges

    def consume_pending_clauses(self) -> list[Incompatibility[str, Version]]:
        pending, self._pending = self._pending, []
        return pending

    def consume_force_backtrack_targets(self) -> list[str]:
        return []  # no forced backtracks: conflicts reorder packages (ConflictTracker)

    # --- what the solver layer asks -------------------------------------------------------------

    def discover(self, package: str) -> None:
        """Note a package the solution needs, and start fetching its versions."""
        if package in self._discovered:
            return
        self._discovered[package] = len(self._discovered)
        name, _extra = split_key(package)
        self._names.setdefault(name, len(self._names))
        self._keys.setdefault(name, []).append(package)
        if name not in self._requested:
            self._requested.add(name)
            self._source.prefetch_candidates(self._typed(name), self._likely_test(name),
                                             self._every_solution(name))

    # --- what a resolution of first choices asks (pyffin.resolver.first_choices) ---------------

    def sure_choice(self, package: str, allowed: VersionSet, base: VersionSet) -> Version | None:
        """The version :meth:`choose_version` chooses for ``package`` in ``allowed``, when it
        would choose the same in every range within ``base`` (the direct requirements' range,
        which holds every range a search could ask about) that holds it, whatever was decided
        before, and reading one version's metadata, without a build, tells it; else ``None``.
        That is: the first candidate of ``base`` in :meth:`_first_choice`'s order that the
        index page does not rule out lies in ``allowed``, is usable, and comes after nothing
        but yanked versions (a version the target's Python excludes stops
        :meth:`_first_choice`: uv backtracks there)."""
        name, _extra = split_key(package)
        project = self.project(name)
        whole = self._constrain(package, name, base)
        candidate, _refused = self._first_by_index(project, self._preferences_of(name), whole)
        if candidate is None or not self._contains(
                project, self._constrain(package, name, allowed), candidate.version):
            return None
        if self._source.builds(self._typed(name), candidate.version):
            return None
        self.stats["choices"] += 1
        return candidate.version if self._usable_for(package, name, candidate) else None

    def expect(self, package: str, versions: VersionSet) -> None:
        """``package`` will be decided in ``versions``: start fetching what that needs (its
        versions, then the metadata of the version it most likely takes)."""
        self.discover(package)
        self._hinted_range[package] = versions
        self.is_ready(package)

    def _every_solution(self, name: str) -> VersionSet | None:
        """Where the version of ``name`` that every solution has lies — a direct
        requirement's range (and the constraints') — or ``None`` when ``name`` may be left
        out (a constraint alone, an inactive requirement) or comes from a direct URL."""
        if name not in self._direct or name in self._urls:
            return None
        return self._required.get(name)

    def _likely_test(self, name: str) -> Likely | None:
        """What the version :meth:`choose_version` will most likely choose first for ``name``
        must be, judged before its versions are known (see
        :meth:`PackageSource.prefetch_candidates`): the newest final, not yanked release whose
        Requires-Python fits that the direct requirements and constraints allow. ``None``
        where that guess is no good: another resolution mode, pre-releases allowed, a pin to
        keep, a direct URL."""
        options = self._options
        if (options.resolution != "highest" or name in self._urls
                or self._policy(name) == "allow"
                or (name in self._preferences and not options.upgrade
                    and name not in options.upgrade_packages)):
            return None
        required = self._required.get(name, FULL)
        constraint = self._constraints.get(name)
        if constraint is not None:
            required = required & constraint
        yanks = self._allowed_yanks.get(name, ())
        fits_python = self._fits_python

        def likely(version: Version, yanked: bool, requires_python: str | None) -> bool:
            return (not version.is_prerelease and (not yanked or version in yanks)
                    and (not requires_python or fits_python(requires_python))
                    and Range.singleton(version).is_subset(required))

        return likely

    def project(self, name: str) -> ProjectVersions:
        """The versions of ``name`` (blocking on the source the first time)."""
        project = self._projects.get(name)
        if project is None:
            project = self._projects[name] = self._load(name)
        return project

    def unusable(self, name: str, candidate: Candidate) -> Unusable | None:
        """Why ``candidate`` may not be chosen (fetches its metadata), or ``None``.

        A version whose metadata cannot be read or built, or declares an invalid requirement,
        is unusable: the solver moves on, and says why only if no solution exists without it.
        """
        key = (name, candidate.version)
        if key in self._unusable:
            return self._unusable[key]
        reason = self._index_unusable(name, candidate)
        if reason is None:
            reason = self._metadata_unusable(name, candidate.version)
        self._unusable[key] = reason
        return reason

    def metadata(self, name: str, version: Version) -> CoreMetadata:
        """The core metadata of one version, checked to describe that version."""
        key = (name, version)
        metadata = self._metadata.get(key)
        if metadata is None:
            self.stats["metadata"] += 1
            metadata = self._source.metadata(self._typed(name), version)
            if normalize_name(metadata.name) != name:
                raise MetadataError(
                    f"the metadata of {name}=={version} is for another project: "
                    f"{metadata.name} {metadata.version}")
            try:
                same = parse_version(metadata.version) == version
            except InvalidVersion:
                same = False
            if not same:
                raise MetadataError(
                    f"the metadata of {name}=={version} is for version {metadata.version!r}")
            self._metadata[key] = metadata
        return metadata

    def available(self, name: str) -> list[Version]:
        """The versions of ``name`` explanations count as existing (not disallowed pre-releases)."""
        project = self._projects.get(name)
        if project is None:
            return []
        versions = list(project.versions)
        if project.policy == "disallow":
            versions = [v for v, pre in zip(versions, project.prerelease, strict=True) if not pre]
        dropped = self._dropped.get(name)
        if dropped:  # they exist too, only without a file for the target
            versions = sorted({*versions, *(d.version for d in dropped)})
        return versions

    def hidden_prereleases(self, name: str, version_range: VersionSet) -> list[Version]:
        """Pre-releases of ``name`` in ``version_range`` that the pre-release policy kept out."""
        project = self._projects.get(name)
        if project is None or project.policy != "disallow":
            return []
        return [project.versions[i] for i in self._indices(project, version_range)
                if project.prerelease[i]]

    def narrow(self, name: str, versions: VersionSet) -> VersionSet:
        """``versions`` as a reader wants it, holding the same known versions.

        The solver widens a decision to the gaps around it and rules versions out one at a
        time, which leaves bounds that fall, exclusive, on versions that exist
        (``>1.0.3,<1.0.5`` for ``==1.0.4``). Each such bound moves to the nearest known version
        inside, inclusive; an interval left without a known version goes; intervals with no
        known version between them join. Sixty consecutive versions then read as uv writes
        them, ``>=0.1.50,<=0.1.113``; bounds a requirement wrote (``>=1.0,<2``) stay, but the
        side that holds the oldest or the newest version is left open, as uv shows it
        (:func:`_open_ended`).
        """
        return self._shown(name, versions, subject=True)

    def simplify(self, name: str, versions: VersionSet) -> VersionSet:
        """A requirement's ``versions`` as uv shows them (:func:`_open_ended`)."""
        return self._shown(name, versions, subject=False)

    def _shown(self, name: str, versions: VersionSet, *, subject: bool) -> VersionSet:
        project = self._projects.get(name)
        if project is None or not project.versions or versions == FULL:
            return versions
        runs = self._runs(project, versions) if subject else versions
        return _open_ended(runs, project.versions, project.prerelease,
                           with_prereleases=project.policy != "disallow", subject=subject)

    @staticmethod
    def _runs(project: ProjectVersions, versions: VersionSet) -> VersionSet:
        """``versions`` with its bounds on the known versions (see :meth:`narrow`)."""
        known = project.versions
        parts = intervals(versions)
        if not any(_exclusive_on(known, bound, inclusive)
                   for part in parts for bound, inclusive in ((part[0], part[1]),
                                                              (part[2], part[3]))):
            return versions
        kept: list[tuple[object, bool, object, bool, int, int]] = []
        for part in parts:
            found = spans(known, Range((part,)))
            if not found:
                continue
            (start, end), = found
            lower, lower_inclusive, upper, upper_inclusive = part
            if _exclusive_on(known, lower, lower_inclusive):
                lower, lower_inclusive = known[start], True
            if _exclusive_on(known, upper, upper_inclusive):
                upper, upper_inclusive = known[end - 1], True
            if kept and kept[-1][5] == start:  # no known version between the two
                previous = kept.pop()
                lower, lower_inclusive, start = previous[0], previous[1], previous[4]
            kept.append((lower, lower_inclusive, upper, upper_inclusive, start, end))
        if not kept:
            return versions
        return Range(tuple((lower, lower_inclusive, upper, upper_inclusive)
                           for lower, lower_inclusive, upper, upper_inclusive, _, _ in kept))

    @property
    def python(self) -> Version:
        return self._python

    @property
    def python_target(self) -> str:
        """How explanations name the Python versions resolved for: uv's words."""
        if self._requested_python is not None:
            return f"the requested Python version ({self._requested_python})"
        return f"the current Python version ({self._python})"

    @property
    def requested_python(self) -> str | None:
        """``--python-version`` where it is not the interpreter's (``>=3.11``), else ``None``."""
        return self._requested_python

    @property
    def requires_python(self) -> str | None:
        """A universal resolution's requires-python (none here)."""
        return None

    def unchecked_index(self, name: str) -> tuple[str, str] | None:
        """See :meth:`PackageSource.unchecked_index`."""
        return self._source.unchecked_index(name)  # type: ignore[arg-type]

    # --- internals ------------------------------------------------------------------------------

    @staticmethod
    def _typed(name: str) -> NormalizedName:
        return cast("NormalizedName", name)

    def _load(self, name: str) -> ProjectVersions:
        policy = self._policy(name)
        resolution = self._options.resolution
        lowest = resolution == "lowest" or (resolution == "lowest-direct" and name in self._direct)
        try:
            offered = self._source.candidates(self._typed(name))
        except PackageNotFoundError as e:
            return ProjectVersions(name, (), (), (), {}, policy, lowest, not_found=e)
        if isinstance(offered, SortedCandidates):  # ascending already, made when looked at
            ranks: Sequence[int] = offered.index_ranks
            return ProjectVersions(
                name, offered, offered.versions, offered.prerelease,
                Positions(offered.versions), policy, lowest,
                index_ranks=ranks if any(ranks) else None)
        candidates = tuple(sorted(offered, key=_version_of))
        versions = tuple(c.version for c in candidates)
        ranks = tuple(c.index_rank for c in candidates)
        return ProjectVersions(
            name, candidates, versions, tuple(v.is_prerelease for v in versions),
            {version: i for i, version in enumerate(versions)}, policy, lowest,
            index_ranks=ranks if any(ranks) else None)

    def _policy(self, name: str) -> PrereleasePolicy:
        # uv 0.13: pre-releases are candidates after every final release in range, unless
        # disallowed; a direct requirement naming a pre-release (``a>=1.0b1``) still prefers a
        # final release that satisfies it. ``explicit`` admits them only for such packages.
        mode = self._prerelease_modes.get(name) or self._options.prerelease
        if mode == "allow":
            return "allow"
        if mode == "disallow":
            return "disallow"
        if mode == "explicit" and name not in self._explicit_prereleases:
            return "disallow"
        return "prefer-stable"

    def _fits_python(self, requires_python: str) -> bool:
        fits = self._python_fits.get(requires_python)
        if fits is None:
            fits = self._python_fits[requires_python] = python_fits(
                requires_python, self._python, self._parser)
        return fits

    def _index_unusable(self, name: str, candidate: Candidate) -> Unusable | None:
        """Why the index page alone rules ``candidate`` out (no request needed), or ``None``."""
        if candidate.yanked and candidate.version not in self._allowed_yanks.get(name, ()):
            return ("yanked", None)
        requires_python = candidate.requires_python
        if requires_python and not self._fits_python(requires_python):
            return ("python", requires_python)
        return None

    def _metadata_unusable(self, name: str, version: Version) -> Unusable | None:
        try:
            metadata = self.metadata(name, version)
            requires_python = metadata.requires_python
            if requires_python and not self._fits_python(requires_python):
                return ("python", requires_python)
            check = self._parser.check
            texts = metadata.requires_dist
            self._marker_texts[(name, version)] = (
                tuple(map(check, texts, texts.parts)) if isinstance(texts, RequiresDist)
                else tuple(map(check, texts)))
        except DependencyError as e:
            return self._failed(name, version, "invalid", f"declares {e}")
        except MetadataError as e:
            return self._failed(name, version, "invalid", str(e))
        except PyffinError as e:
            # A build that failed makes only that version unusable; anything else (the
            # network, above all) stays fatal, as in uv.
            if not _build_failure(e):
                raise
            self._build_failures.append((f"{name}=={version}", e))
            if len(self._build_failures) > BUILD_FAILURES_SKIPPED:
                raise TooManyBuildFailuresError(self._build_failures) from e
            return self._failed(name, version, "build", str(e))
        return None

    def _failed(self, name: str, version: Version, kind: Literal["invalid", "build"],
                message: str) -> Unusable:
        log.debug(f"Skipping {name}=={version}: {message}")
        self._failures[(name, version)] = message
        return ("invalid", None) if kind == "invalid" else ("build", None)

    def _constrain(self, package: str, name: str, version_range: VersionSet) -> VersionSet:
        constraint = self._constraints.get(name)
        if constraint is None:
            return version_range
        if (package, "constraint") not in self._stated:
            # A constraint is the fact "no version outside it", stated once per package.
            self._stated.add((package, "constraint"))
            self._pending.append(Unavailable(package, ~constraint, "constraint", constraint))
        return version_range & constraint

    def _indices(self, project: ProjectVersions, version_range: VersionSet) -> Iterator[int]:
        """Positions of the candidates in ``version_range``, ascending."""
        for start, end in self._spans_of(project, version_range):
            yield from range(start, end)

    def _spans_of(self, project: ProjectVersions,
                  version_range: VersionSet) -> list[tuple[int, int]]:
        key = (project.name, id(version_range))
        cached = self._spans.get(key)
        if cached is not None and cached[0] is version_range:
            return cached[1]
        if len(self._spans) > 4096:
            self._spans.clear()
        found = spans(project.versions, version_range)
        self._spans[key] = (version_range, found)
        return found

    def _contains(self, project: ProjectVersions, version_range: VersionSet,
                  version: Version) -> bool:
        position = project.index.get(version)
        if position is None:
            return False
        return any(start <= position < end
                   for start, end in self._spans_of(project, version_range))

    def _ordered(self, project: ProjectVersions, version_range: VersionSet) -> Iterator[int]:
        """Positions of the candidates in ``version_range`` that may be chosen, most preferred
        first: by the resolution mode, final releases before pre-releases unless allowed."""
        found = self._spans_of(project, version_range)
        if not found:
            return
        prerelease = project.prerelease
        passes: tuple[bool | None, ...] = (
            (None,) if project.policy == "allow"
            else (False,) if project.policy == "disallow" else (False, True))
        ranks = project.index_ranks
        # unsafe-first-match: each index in turn, its pre-releases before the next index's
        # versions, as uv's candidate selector goes through one index's versions at a time.
        for rank in (None,) if ranks is None else range(max(ranks) + 1):
            for wanted in passes:
                for start, end in (found if project.lowest else reversed(found)):
                    positions = (range(start, end) if project.lowest
                                 else range(end - 1, start - 1, -1))
                    for i in positions:
                        if ((wanted is None or prerelease[i] is wanted)
                                and (ranks is None or ranks[i] == rank)):
                            yield i

    def _select(self, project: ProjectVersions, package: str,
                allowed: VersionSet) -> Version | None:
        return self._first_choice(project, package, allowed, refuse=False)[0]

    def _first_choice(self, project: ProjectVersions, package: str, allowed: VersionSet,
                      *, refuse: bool = True) -> tuple[Version | None, bool]:
        """The version to choose, and whether it is refused instead: with ``refuse``, the
        search stops as uv's candidate selector does at a version whose Requires-Python (on
        the index page) excludes the target when no usable one comes before it. uv decides
        that version, and the conflict it makes with the Python it depends on moves
        priorities and backjumps (``ConflictTracker.refuse_for_python``), which decides which
        of several valid answers it ends on."""
        name = project.name
        for version in self._preferred(name, package):
            if self._contains(project, allowed, version) and self._usable_for(
                    package, name, project.candidates[project.index[version]]):
                return version, False
        candidates = project.candidates
        for i in self._ordered(project, allowed):
            candidate = candidates[i]
            if self._usable_for(package, name, candidate):
                return candidate.version, False
            # (Only for one target: a universal resolution's forks find the same answers as
            # uv's without it, and the backjumps made its cold run 1.5 s -> 2.5 s.)
            reason = (self._index_unusable(name, candidate)
                      if refuse and self.requires_python is None else None)
            if reason is not None and reason[0] == "python":
                self._refuse_for_python(package, project, i, reason[1])
                return None, True
        return None, False

    def _refused_first(self, project: ProjectVersions, package: str,
                       allowed: VersionSet) -> bool:
        """Whether :meth:`_first_choice` would refuse a version for its Requires-Python (on
        the index page) before it meets one the index page lets it choose."""
        return self.requires_python is None and self._first_by_index(
            project, self._preferred(project.name, package), allowed)[1]

    def _first_by_index(self, project: ProjectVersions, preferred: Iterable[Version],
                        allowed: VersionSet) -> tuple[Candidate | None, bool]:
        """The first candidate of ``allowed`` in :meth:`_first_choice`'s order (``preferred``
        versions first) that the index page lets be chosen; or ``(None, True)`` when one its
        Requires-Python rules out comes before it (yanked ones are passed over)."""
        name = project.name
        for version in preferred:
            if self._contains(project, allowed, version):
                found = project.candidates[project.index[version]]
                if self._index_unusable(name, found) is None:
                    return found, False
        for i in self._ordered(project, allowed):
            found = project.candidates[i]
            reason = self._index_unusable(name, found)
            if reason is None:
                return found, False
            if reason[0] == "python":
                return None, True
        return None, False

    def _refuse_for_python(self, package: str, project: ProjectVersions, position: int,
                           requires_python: str) -> None:
        """State that the version at ``position`` requires another Python (one fact, and
        one conflict, per version, as in uv), and tell the tracker whether Python's range
        was new (uv decides Python then)."""
        version = project.versions[position]
        run: VersionSet = Range(((version, True, version, True),))
        if (package, run) not in self._stated:
            self._stated.add((package, run))
            self._pending.append(Unavailable(package, run, "python", requires_python))
        pythons = python_range(requires_python, self._parser)
        known = pythons is not None and pythons.is_subset(self._refused_pythons)
        if pythons is not None and not known:
            self._refused_pythons = self._refused_pythons | pythons
        self.tracker.refuse_for_python(package, python_decided=not known)

    def _usable_for(self, package: str, name: str, candidate: Candidate) -> bool:
        """Whether ``candidate`` may be chosen for ``package``: usable, and its dependencies
        (which the solver asks for next) can be read. A marker proxy's versions depend on the
        project's alone: what the index page says is all there is to check (as uv, whose
        project then finds what its metadata says), and nothing is fetched, let alone built,
        for a version its project cannot take."""
        if is_marker_proxy(package):
            return self._index_unusable(name, candidate) is None
        if self.unusable(name, candidate) is not None:
            return False
        key = (package, candidate.version)
        if key not in self._dependencies:
            try:
                self._dependencies[key] = self._read_dependencies(package, candidate.version)
            except MetadataError as e:  # a marker that cannot be evaluated on the target
                self._unusable[(name, candidate.version)] = self._failed(
                    name, candidate.version, "invalid", str(e))
                return False
        return True

    def _preferred(self, name: str, package: str) -> list[Version]:
        """Versions to try before the policy's order: the version the base package or another
        extra of it was decided at (``foo[x]`` must agree with ``foo``), then the user's pin.

        A pin the source does not offer (an installed version of a local project whose version
        has since changed, a release deleted from the index) is not used: the source is never
        asked about a version it does not have."""
        versions = [self._decisions[key] for key in self._keys.get(name, ())
                    if key != package and key in self._decisions]
        versions.extend(self._preferences_of(name))
        return versions

    def _preferences_of(self, name: str) -> list[Version]:
        """The user's pin of ``name`` to try first (an output file's, an installed one), when
        the upgrade options leave it and the source has that version."""
        options = self._options
        preferred = self._preferences.get(name)
        if preferred is not None and not options.upgrade and name not in options.upgrade_packages \
                and preferred in self.project(name).index:
            return [preferred]
        return []

    def _explain_unavailable(self, package: str, project: ProjectVersions,
                             allowed: VersionSet) -> None:
        """State why no version of ``allowed`` will do, as facts that stay true."""
        if project.not_found is not None:
            if (package, "not-found") not in self._stated:
                self._stated.add((package, "not-found"))
                self._pending.append(Unavailable(package, FULL, "not-found", project.not_found))
            return
        covered: VersionSet = Range.empty()
        for low, high, reason in self._unusable_runs(project, allowed):
            run: VersionSet = Range(((low, True, high, True),))
            covered = covered | run
            if (package, run) not in self._stated:
                self._stated.add((package, run))
                kind: UnavailableKind = reason[0]
                detail: object = reason[1]
                if kind in ("invalid", "build"):
                    detail = {v: self._failures.get((project.name, v), "")
                              for v in project.versions[project.index[low]:
                                                        project.index[high] + 1]
                              if (project.name, v) in self._failures}
                self._pending.append(Unavailable(package, run, kind, detail))
        remainder = allowed - covered
        if remainder.is_empty:
            return
        for lacking in self._dropped_runs(project, remainder):
            first, last = lacking[0].version, lacking[-1].version
            span: VersionSet = Range(((first, True, last, True),))
            remainder = remainder - span
            if (package, span) not in self._stated:
                self._stated.add((package, span))
                # The newest version's files speak for the run (as uv's hint does).
                self._pending.append(Unavailable(package, span, "files", lacking[-1]))
        if not remainder.is_empty:
            self._pending.append(Unavailable(package, remainder, "no-versions"))

    def _dropped_of(self, name: str) -> list[Dropped]:
        """The versions the source left out for want of a usable file, ascending (asked once,
        when a failure is explained)."""
        dropped = self._dropped.get(name)
        if dropped is None:
            dropped = self._dropped[name] = sorted(self._source.dropped(self._typed(name)),
                                                   key=lambda item: item.version)
        return dropped

    def _dropped_runs(self, project: ProjectVersions,
                      remainder: VersionSet) -> list[list[Dropped]]:
        """The dropped versions in ``remainder`` in runs that no candidate interrupts and
        that lack the same thing."""
        runs: list[list[Dropped]] = []
        dropped = self._dropped_of(project.name)
        if not dropped:
            return runs
        versions = project.versions
        for item in dropped:
            if item.version not in remainder:
                continue
            if runs:
                last = runs[-1][-1]
                between = bisect_left(versions, item.version) - bisect_left(versions, last.version)
                if between == 0 and (last.reason, last.expected) == (item.reason, item.expected):
                    runs[-1].append(item)
                    continue
            runs.append([item])
        return runs

    def _unusable_runs(self, project: ProjectVersions,
                       allowed: VersionSet) -> list[tuple[Version, Version, Unusable]]:
        """Maximal runs of adjacent versions in ``allowed`` that are unusable for one reason.

        Pre-releases the policy keeps out do not break a run: they are not candidates at all.
        """
        runs: list[tuple[Version, Version, Unusable]] = []
        extends = False  # whether the previous candidate ended a run
        inside = set(self._indices(project, allowed))
        for i, candidate in enumerate(project.candidates):
            if project.policy == "disallow" and project.prerelease[i]:
                continue
            reason = self.unusable(project.name, candidate) if i in inside else None
            if reason is None:
                extends = False
                continue
            if extends and runs[-1][2] == reason:
                runs[-1] = (runs[-1][0], candidate.version, reason)
            else:
                runs.append((candidate.version, candidate.version, reason))
            extends = True
        return runs

    def _batch_prefetch(self, project: ProjectVersions, chosen: Version,
                        allowed: VersionSet) -> None:
        """uv's batch prefetch: once 5, 10, 20 versions of a package were tried (then every
        20 more), ask for the metadata of as many of the next ones (at most 50), those the
        range allows first, then the older (newer, lowest-first) ones the user's requirement
        allows: a package walked back through hundreds of versions (``botocore``) is then not
        fetched one version at a time."""
        name = project.name
        tried = self._tried.setdefault(name, set())
        tried.add(chosen)
        count = len(tried)
        last = self._last_batch.get(name, 0)
        if not ((count >= 5 and last < 5) or (count >= 10 and last < 10)
                or (count >= 20 and count - last >= 20)):
            return
        self._last_batch[name] = count
        budget = min(count, BATCH_LIMIT)
        typed = self._typed(name)
        candidates = project.candidates
        position = project.index[chosen]
        required = self._required.get(name, FULL)
        beyond = (range(position + 1, len(candidates)) if project.lowest
                  else range(position - 1, -1, -1))
        sequence = itertools.chain(
            self._ordered(project, allowed),
            (i for i in beyond if self._contains(project, required, candidates[i].version)
             and not (project.policy == "disallow" and project.prerelease[i])))
        # The window is the next ``budget`` versions, whether or not asked for already (as
        # uv's): it moves down with the walk instead of running ahead of it.
        for i in itertools.islice(sequence, budget):
            candidate = candidates[i]
            key = (name, candidate.version)
            if (candidate.version in tried or key in self._prefetched or key in self._metadata
                    or self._index_unusable(name, candidate) is not None):
                continue
            self._prefetched.add(key)
            self._source.prefetch(typed, candidate.version)
            self.stats["batch-prefetches"] += 1

    def _read_dependencies(self, package: str, version: Version) -> dict[str, VersionSet]:
        name, extra = split_key(package)
        if is_marker_proxy(package):
            return {name: Range.singleton(version)}
        metadata = self.metadata(name, version)
        dependencies: dict[str, VersionSet] = {}
        if extra is not None:
            dependencies[name] = Range.singleton(version)
        evaluate = self._markers.evaluate
        parse = self._parser.parse
        texts = metadata.requires_dist
        markers = self._marker_texts.get((name, version))
        if markers is None or len(markers) != len(texts):
            try:
                markers = tuple(map(self._parser.check, texts))
            except DependencyError as e:
                raise MetadataError(f"{name}=={version} declares {e}") from None
        for text, marker in zip(texts, markers, strict=True):
            try:
                # The marker first: most requirements are an extra's that is not asked for.
                if marker is None:
                    if extra is not None:
                        continue  # the base package's own
                elif extra is None:
                    if not evaluate(marker):
                        continue
                elif not evaluate(marker, extra) or evaluate(marker):
                    continue  # not this extra's, or the base package's own
                dependency = parse(text)
            except DependencyError as e:
                raise MetadataError(f"{name}=={version} declares {e}") from None
            self._add(dependencies, package, name, version, dependency)
        if extra is not None and len(dependencies) == 1 and extra not in _extras(metadata):
            self.missing_extras.add((package, version))
        if extra is None:  # (an extra's base package has them)
            for system, needed in self._source.system_dependencies(
                    self._typed(name), version).items():
                dependencies[system] = Range.singleton(needed)
        return dependencies

    def warn_missing_extras(self, pins: Mapping[str, Version]) -> None:
        """Warn about the extras the pinned versions do not provide (as uv, only those: a
        version tried and left behind is not named)."""
        for package, version in sorted(self.missing_extras):
            if pins.get(package) == version:
                name, extra = split_key(package)
                log.warn_result(f"{name}=={version} does not provide the extra '{extra}'")

    def warn_skipped_builds(self, pins: Mapping[str, Version]) -> None:
        """Name the versions left out because their source distribution failed to build,
        unless the version chosen comes before them in the resolution's order (newer, or
        older with ``--resolution lowest``): the answer may differ from the one a working
        build would have given (uv stops at the first such failure; pyffin goes on, so it
        says so)."""
        pinned = {split_key(package)[0]: version for package, version in pins.items()}
        for label, error in self._build_failures:
            name, _, version = label.partition("==")
            chosen = pinned.get(name)
            project = self._projects.get(name)
            lowest = project is not None and project.lowest
            if chosen is not None and (chosen < Version(version) if lowest
                                       else chosen > Version(version)):
                continue
            lines = str(error).strip().splitlines()
            instead = ("the resolution does without it" if chosen is None
                       else f"{name}=={chosen} was chosen instead")
            log.warn_result(f"{label} was left out: its source distribution failed to build "
                            f"({lines[0] if lines else type(error).__name__}); {instead}")

    def _add(self, dependencies: dict[str, VersionSet], package: str, name: str,
             version: Version, dependency: Dependency) -> None:
        if dependency.name in self._excludes:
            return  # excluded: whatever it asks for, and before any override of it
        replacements = self._overrides.get(dependency.name)
        if replacements is not None:
            evaluate = self._markers.evaluate
            for replacement in replacements:
                if replacement.marker is not None and not evaluate(replacement.marker):
                    continue
                self._add_one(dependencies, package, name, version, replacement,
                              dependency.extras + replacement.extras)
            return
        self._add_one(dependencies, package, name, version, dependency, dependency.extras)

    def _add_one(self, dependencies: dict[str, VersionSet], package: str, name: str,
                 version: Version, dependency: Dependency, extras: tuple[str, ...]) -> None:
        if dependency.url is not None:
            known = self._urls.get(dependency.name)
            if known is None:
                raise NotSupportedError(
                    f"{name}=={version} depends on {dependency.text}, a direct URL; give the "
                    f"same requirement directly (pyffin follows URL dependencies only when a "
                    f"direct requirement names the URL)")
            if not same_url(known, dependency.url):
                raise PyffinError(
                    f"{dependency.name} is required from two different places: {known} (a "
                    f"direct requirement) and {dependency.url} (by {name}=={version})")
        keys = [f"{dependency.name}[{extra}]" for extra in dict.fromkeys(extras)]  # as written
        if not keys:
            if dependency.name == name:
                return  # a package depending on itself: nothing to add
            label = (None if dependency.marker is None or self.requires_python is not None
                     else self._markers.label(dependency.marker))
            keys.append(dependency.name if label is None else f"{dependency.name}{{{label}}}")
        for key in keys:
            if key == package:
                continue
            previous = dependencies.get(key)
            versions = dependency.versions
            dependencies[key] = versions if previous is None else previous & versions

    def _check_ready(self, package: str) -> bool:
        name, _extra = split_key(package)
        source = self._source
        typed = self._typed(name)
        if name not in self._projects and not source.is_ready(typed, None):
            return False
        version_range = self._hinted_range.get(package, FULL)
        likely = self._likely.get(package)
        if likely is None or likely[0] is not version_range:
            likely = (version_range, self._likely_version(name, package, version_range))
            self._likely[package] = likely
            if likely[1] is not None and (name, likely[1]) not in self._metadata:
                # The version it will most likely decide: fetch its metadata meanwhile (even
                # from its sdist when every solution has it).
                required = self._every_solution(name)
                source.prefetch(typed, likely[1], certain=required is not None and sole_version(
                    self.project(name).versions, required) == likely[1])
        return likely[1] is None or source.is_ready(typed, likely[1])

    def _likely_version(self, name: str, package: str,
                        version_range: VersionSet) -> Version | None:
        """The version :meth:`choose_version` will probably pick, judged without a request:
        versions the index page already rules out (yanked, Requires-Python) are passed over."""
        constraint = self._constraints.get(name)
        if constraint is not None:
            version_range = version_range & constraint
        project = self.project(name)
        for version in self._preferred(name, package):
            if self._contains(project, version_range, version):
                return version
        unusable = self._unusable
        for i in self._ordered(project, version_range):
            candidate = project.candidates[i]
            known = unusable.get((name, candidate.version), False)
            if known is None:
                return candidate.version
            if known is False and self._index_unusable(name, candidate) is None:
                return candidate.version
        return None


def _version_of(candidate: Candidate) -> Version:
    return candidate.version


def _extras(metadata: CoreMetadata) -> set[str]:
    return {normalize_name(extra) for extra in metadata.provides_extra}


def _build_failure(error: PyffinError) -> bool:
    """Whether ``error`` says a source distribution could not be built (or read)."""
    from pyffin.build.errors import ArchiveError, BuildError, InvalidSourceTree

    return isinstance(error, (BuildError, InvalidSourceTree, ArchiveError))


def _open_ended(versions: VersionSet, known: Sequence[Version], prerelease: Sequence[bool], *,
                with_prereleases: bool, subject: bool) -> VersionSet:
    """``versions`` as uv shows it in an explanation (pubgrub's ``Ranges::simplify`` over the
    known versions, pre-releases among them when they may be chosen or a bound is one):
    intervals that hold no known version go, intervals with no known version between them
    join, and a side that holds the oldest (newest) known version has no lower (upper) bound:
    ``djangorestframework>=3.18.0`` rather than ``>=3.18.0,<=3.18.3`` when 3.18.3 is the
    newest. A single version stays as it is; where it is the only one, a requirement
    (``b>=1.0``) reads as it (``b==1.0``), and a ``subject`` (``b==1.0 depends on c``) as
    all versions, as uv words them."""
    if len(known) == 1 and known[0] in versions:
        return FULL if subject else Range.singleton(known[0])
    if format_range(versions).startswith("=="):
        return versions
    parts = intervals(versions)
    if not with_prereleases and any(isinstance(bound, Version) and bound.is_prerelease
                                    for part in parts for bound in (part[0], part[2])):
        with_prereleases = True
    listed = known if with_prereleases else [
        version for version, pre in zip(known, prerelease, strict=True) if not pre]
    # [first interval, last interval, first version, end]: each run of known versions
    runs: list[list[int]] = []
    for position, part in enumerate(parts):
        found = spans(listed, Range((part,)))
        if not found:
            continue
        (start, end), = found
        if runs and runs[-1][3] == start:
            runs[-1][1], runs[-1][3] = position, end
        else:
            runs.append([position, position, start, end])
    if not runs:
        return versions
    count = len(listed)
    return Range(tuple(
        (*((NEGATIVE_INFINITY, False) if start == 0 else parts[first][:2]),
         *((POSITIVE_INFINITY, False) if end == count else parts[last][2:]))
        for first, last, start, end in runs))


def _exclusive_on(known: Sequence[Version], bound: object, inclusive: bool) -> bool:
    """Whether ``bound`` is an exclusive bound on one of the ``known`` versions (ascending)."""
    if inclusive or not isinstance(bound, Version):
        return False
    position = bisect_left(known, bound)
    return position < len(known) and known[position] == bound
