"""The package provider that feeds nab-resolver's PubGrub core: candidates, dependencies, order.

Packages are strings: a normalized project name (``flask``) or an extra of one (``flask[async]``,
a virtual package that depends on ``flask==v`` and the extra's own requirements). The provider
decides which versions may be chosen and in what order; everything it rules out it can justify:
when no version of a range will do, it hands the solver the facts why (yanked, Requires-Python,
not found, a constraint, none in range) as incompatibilities, so the explanation can name them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias, cast

from nab_resolver.ranges import Range
from nab_resolver.resolver import BaseProvider
from nab_resolver.types import Incompatibility, IncompatibilityCause, Term
from packaging.version import InvalidVersion, Version

from pyffin import log
from pyffin.errors import NotSupportedError, PyffinError
from pyffin.models.metadata import MetadataError
from pyffin.models.names import normalize_name
from pyffin.records import record
from pyffin.resolver.dependencies import DependencyError, parse_dependency, same_url
from pyffin.resolver.errors import PackageNotFoundError
from pyffin.resolver.ranges import FULL, VersionSet, singleton_version

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from packaging.utils import NormalizedName

    from pyffin.models.metadata import CoreMetadata
    from pyffin.resolver.dependencies import Dependency, MarkerEvaluator
    from pyffin.resolver.options import ResolverOptions
    from pyffin.resolver.source import Candidate, PackageSource

#: Why a version may not be chosen: yanked, or its Requires-Python (the text) excludes the target.
Unusable: TypeAlias = tuple[Literal["yanked"], None] | tuple[Literal["python"], str]
#: How pre-releases take part: not at all, by version, or after every final release.
PrereleasePolicy: TypeAlias = Literal["disallow", "allow", "prefer-stable"]
#: The kinds of fact :class:`Unavailable` states.
UnavailableKind: TypeAlias = Literal["not-found", "no-versions", "yanked", "python", "constraint"]


def split_key(package: str) -> tuple[str, str | None]:
    """``"flask[async]"`` -> ``("flask", "async")``; ``"flask"`` -> ``("flask", None)``."""
    bracket = package.find("[")
    if bracket < 0:
        return package, None
    return package[:bracket], package[bracket + 1:-1]


class Unavailable(Incompatibility[str, Version]):
    """An external fact from the provider: the versions of its one term cannot be chosen.

    ``detail`` is the Requires-Python text (``python``), the constraint's range
    (``constraint``), or the source's error (``not-found``).
    """

    __slots__ = ("detail", "kind")

    def __init__(self, package: str, versions: VersionSet, kind: UnavailableKind,
                 detail: object = None) -> None:
        super().__init__([Term(package, versions, positive=True)], IncompatibilityCause.NO_VERSIONS)
        self.kind = kind
        self.detail = detail


@record
class ProjectVersions:
    """What the index offers for one project, and the order the provider tries it in."""

    name: str
    #: Ascending by version.
    candidates: tuple[Candidate, ...]
    #: The candidates that may be chosen, most preferred first (pre-releases per policy).
    order: tuple[Candidate, ...]
    policy: PrereleasePolicy
    by_version: dict[Version, Candidate]
    not_found: PackageNotFoundError | None = None


class Provider(BaseProvider[str, Version]):
    """nab-resolver's view of a :class:`~pyffin.resolver.source.PackageSource`."""

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
        urls: Mapping[str, str] | None = None,
    ) -> None:
        self._source = source
        self._urls = urls or {}
        self._markers = markers
        self._python = python
        self._options = options
        self._direct = direct
        self._explicit_prereleases = explicit_prereleases
        self._allowed_yanks = allowed_yanks
        self._constraints = constraints
        self._overrides = overrides
        self._preferences = preferences
        self._projects: dict[str, ProjectVersions] = {}
        self._metadata: dict[tuple[str, Version], CoreMetadata] = {}
        self._unusable: dict[tuple[str, Version], Unusable | None] = {}
        self._python_fits: dict[str, bool] = {}
        self._dependencies: dict[tuple[str, Version], dict[str, VersionSet]] = {}
        self._pending: list[Incompatibility[str, Version]] = []
        self._stated: set[tuple[str, object]] = set()
        self._discovered: dict[str, int] = {}
        self._requested: set[str] = set()
        self._keys: dict[str, list[str]] = {}
        self._decisions: Mapping[str, Version] = {}
        self._hinted_range: dict[str, VersionSet] = {}
        self._likely: dict[str, tuple[VersionSet, Version | None]] = {}
        self._ready_this_scan: dict[str, bool] = {}

    # --- what the solver asks -------------------------------------------------------------------

    def choose_version(self, package: str, version_range: VersionSet) -> Version | None:
        name, _extra = split_key(package)
        project = self.project(name)
        allowed = self._constrain(package, name, version_range)
        chosen = self._select(project, package, allowed)
        if chosen is None:
            self._explain_unavailable(package, project, allowed)
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
        if dependencies is None:
            dependencies = self._dependencies[key] = self._read_dependencies(package, version)
            for dependency in dependencies:
                self.discover(dependency)
        return dependencies

    def prioritize(
        self,
        package: str,
        version_range: VersionSet,
        conflict_counts: Mapping[str, int],
        culprit_counts: Mapping[str, int] | None = None,
    ) -> tuple[int, int]:
        # Exact pins first (they cannot branch), then first come, first served: breadth-first
        # order keeps the solver close to uv's choices, and conflicts reorder through nab.
        self._hinted_range[package] = version_range
        pinned = 0 if singleton_version(version_range) is not None else 1
        return pinned, self._discovered.get(package, len(self._discovered))

    def begin_decision_scan(self) -> Callable[[str], bool] | None:
        # A source fed by threads changes under us; answer each package once per scan.
        self._ready_this_scan.clear()
        return None

    def is_ready(self, package: str) -> bool:
        ready = self._ready_this_scan.get(package)
        if ready is None:
            ready = self._ready_this_scan[package] = self._check_ready(package)
        return ready

    def widen_decision(self, package: str, version: Version) -> None:
        return None

    def receive_partial_solution_hint(  # type: ignore[override]
        self,
        positive_ranges: Mapping[str, VersionSet],
        decisions: Mapping[str, Version],
    ) -> None:
        # Read-only snapshots; the decisions tell ``foo[x]`` which ``foo`` it should agree with.
        self._decisions = decisions

    def consume_pending_clauses(self) -> list[Incompatibility[str, Version]]:
        pending, self._pending = self._pending, []
        return pending

    # --- what the solver layer asks -------------------------------------------------------------

    def discover(self, package: str) -> None:
        """Note a package the solution needs, and start fetching its versions."""
        if package in self._discovered:
            return
        self._discovered[package] = len(self._discovered)
        name, _extra = split_key(package)
        self._keys.setdefault(name, []).append(package)
        if name not in self._requested:
            self._requested.add(name)
            self._source.prefetch_candidates(self._typed(name))

    def project(self, name: str) -> ProjectVersions:
        """The versions of ``name`` (blocking on the source the first time)."""
        project = self._projects.get(name)
        if project is None:
            project = self._projects[name] = self._load(name)
        return project

    def unusable(self, name: str, candidate: Candidate) -> Unusable | None:
        """Why ``candidate`` may not be chosen (may fetch its metadata), or ``None``."""
        key = (name, candidate.version)
        if key in self._unusable:
            return self._unusable[key]
        reason: Unusable | None = None
        if candidate.yanked and candidate.version not in self._allowed_yanks.get(name, ()):
            reason = ("yanked", None)
        else:
            requires_python = candidate.requires_python
            if requires_python is None:
                # The index did not say; the metadata does (and is needed next anyway).
                requires_python = self.metadata(name, candidate.version).requires_python
            if requires_python and not self._fits_python(requires_python):
                reason = ("python", requires_python)
        self._unusable[key] = reason
        return reason

    def metadata(self, name: str, version: Version) -> CoreMetadata:
        """The core metadata of one version, checked to describe that version."""
        key = (name, version)
        metadata = self._metadata.get(key)
        if metadata is None:
            metadata = self._source.metadata(self._typed(name), version)
            if normalize_name(metadata.name) != name:
                raise MetadataError(
                    f"the metadata of {name}=={version} is for another project: "
                    f"{metadata.name} {metadata.version}")
            try:
                same = Version(metadata.version) == version
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
        return [c.version for c in project.candidates
                if not (project.policy == "disallow" and c.version.is_prerelease)]

    def hidden_prereleases(self, name: str, version_range: VersionSet) -> list[Version]:
        """Pre-releases of ``name`` in ``version_range`` that the pre-release policy kept out."""
        project = self._projects.get(name)
        if project is None or project.policy != "disallow":
            return []
        return [c.version for c in project.candidates
                if c.version.is_prerelease and c.version in version_range]

    @property
    def python(self) -> Version:
        return self._python

    # --- internals ------------------------------------------------------------------------------

    @staticmethod
    def _typed(name: str) -> NormalizedName:
        return cast("NormalizedName", name)

    def _load(self, name: str) -> ProjectVersions:
        policy = self._policy(name)
        try:
            offered = self._source.candidates(self._typed(name))
        except PackageNotFoundError as e:
            return ProjectVersions(name, (), (), policy, {}, not_found=e)
        candidates = tuple(sorted(offered, key=_version_of))
        resolution = self._options.resolution
        lowest = resolution == "lowest" or (resolution == "lowest-direct" and name in self._direct)
        ordered = candidates if lowest else candidates[::-1]
        if policy == "allow":
            order = ordered
        else:
            final = [c for c in ordered if not c.version.is_prerelease]
            if policy == "prefer-stable" and len(final) < len(ordered):
                final += [c for c in ordered if c.version.is_prerelease]
            order = tuple(final)
        if any(c.index for c in candidates):
            # unsafe-first-match: an earlier index's versions first (the sort is stable, so
            # within an index the order above stays), as uv's candidate selector does.
            order = tuple(sorted(order, key=_index_of))
        by_version = {candidate.version: candidate for candidate in candidates}
        return ProjectVersions(name, candidates, order, policy, by_version)

    def _policy(self, name: str) -> PrereleasePolicy:
        mode = self._options.prerelease
        if mode == "allow":
            return "allow"
        if mode == "disallow":
            return "disallow"
        if mode == "if-necessary":
            return "prefer-stable"
        if name in self._explicit_prereleases:
            return "allow"
        return "disallow" if mode == "explicit" else "prefer-stable"

    def _fits_python(self, requires_python: str) -> bool:
        fits = self._python_fits.get(requires_python)
        if fits is None:
            fits = self._python_fits[requires_python] = _python_fits(requires_python, self._python)
        return fits

    def _constrain(self, package: str, name: str, version_range: VersionSet) -> VersionSet:
        constraint = self._constraints.get(name)
        if constraint is None:
            return version_range
        if (package, "constraint") not in self._stated:
            # A constraint is the fact "no version outside it", stated once per package.
            self._stated.add((package, "constraint"))
            self._pending.append(Unavailable(package, ~constraint, "constraint", constraint))
        return version_range & constraint

    def _select(self, project: ProjectVersions, package: str,
                allowed: VersionSet) -> Version | None:
        name = project.name
        for version in self._preferred(name, package):
            if version in allowed:
                candidate = project.by_version.get(version)
                if candidate is not None and self.unusable(name, candidate) is None:
                    return version
        for candidate in project.order:
            if candidate.version in allowed and self.unusable(name, candidate) is None:
                return candidate.version
        return None

    def _preferred(self, name: str, package: str) -> list[Version]:
        """Versions to try before the policy's order: the version the base package or another
        extra of it was decided at (``foo[x]`` must agree with ``foo``), then the user's pin.

        A pin the source does not offer (an installed version of a local project whose version
        has since changed, a release deleted from the index) is not used: the source is never
        asked about a version it does not have."""
        versions = [self._decisions[key] for key in self._keys.get(name, ())
                    if key != package and key in self._decisions]
        options = self._options
        preferred = self._preferences.get(name)
        if preferred is not None and not options.upgrade and name not in options.upgrade_packages \
                and preferred in self.project(name).by_version:
            versions.append(preferred)
        return versions

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
                self._pending.append(Unavailable(package, run, kind, reason[1]))
        remainder = allowed - covered
        if not remainder.is_empty:
            self._pending.append(Unavailable(package, remainder, "no-versions"))

    def _unusable_runs(self, project: ProjectVersions,
                       allowed: VersionSet) -> list[tuple[Version, Version, Unusable]]:
        """Maximal runs of adjacent versions in ``allowed`` that are unusable for one reason.

        Pre-releases the policy keeps out do not break a run: they are not candidates at all.
        """
        runs: list[tuple[Version, Version, Unusable]] = []
        extends = False  # whether the previous candidate ended a run
        for candidate in project.candidates:
            if project.policy == "disallow" and candidate.version.is_prerelease:
                continue
            reason = None
            if candidate.version in allowed:
                reason = self.unusable(project.name, candidate)
            if reason is None:
                extends = False
                continue
            if extends and runs[-1][2] == reason:
                runs[-1] = (runs[-1][0], candidate.version, reason)
            else:
                runs.append((candidate.version, candidate.version, reason))
            extends = True
        return runs

    def _read_dependencies(self, package: str, version: Version) -> dict[str, VersionSet]:
        name, extra = split_key(package)
        metadata = self.metadata(name, version)
        dependencies: dict[str, VersionSet] = {}
        if extra is not None:
            dependencies[name] = Range.singleton(version)
        evaluate = self._markers.evaluate
        for text in metadata.requires_dist:
            try:
                dependency = parse_dependency(text)
                if dependency.marker is None:
                    if extra is not None:
                        continue  # the base package's own
                elif extra is None:
                    if not evaluate(dependency.marker):
                        continue
                elif not evaluate(dependency.marker, extra) or evaluate(dependency.marker):
                    continue  # not this extra's, or the base package's own
            except DependencyError as e:
                raise MetadataError(f"{name}=={version} declares {e}") from None
            self._add(dependencies, package, name, version, dependency)
        if extra is not None and len(dependencies) == 1 and extra not in _extras(metadata):
            log.warn_once(f"{name}=={version} does not provide the extra '{extra}'")
        return dependencies

    def _add(self, dependencies: dict[str, VersionSet], package: str, name: str,
             version: Version, dependency: Dependency) -> None:
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
        keys = [f"{dependency.name}[{extra}]" for extra in sorted(set(extras))]
        if not keys:
            if dependency.name == name:
                return  # a package depending on itself: nothing to add
            keys.append(dependency.name)
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
            if likely[1] is not None:
                # The version it will most likely decide: fetch its metadata meanwhile.
                source.prefetch(typed, likely[1])
        return likely[1] is None or source.is_ready(typed, likely[1])

    def _likely_version(self, name: str, package: str,
                        version_range: VersionSet) -> Version | None:
        """The version :meth:`choose_version` will probably pick, judged without metadata."""
        constraint = self._constraints.get(name)
        if constraint is not None:
            version_range = version_range & constraint
        for version in self._preferred(name, package):
            if version in version_range:
                return version
        for candidate in self.project(name).order:
            if candidate.version in version_range and not candidate.yanked:
                return candidate.version
        return None


def _version_of(candidate: Candidate) -> Version:
    return candidate.version


def _index_of(candidate: Candidate) -> int:
    return candidate.index


def _extras(metadata: CoreMetadata) -> set[str]:
    return {normalize_name(extra) for extra in metadata.provides_extra}


def _python_fits(requires_python: str, python: Version) -> bool:
    """Whether the target Python satisfies a Requires-Python text (an invalid one: yes, warned)."""
    from pyffin.requirements.pep508 import CLAUSE_RE
    from pyffin.resolver.ranges import SpecifierError, specifiers_range

    clauses = []
    for part in requires_python.split(","):
        match = CLAUSE_RE.fullmatch(part.strip())
        if match is None:
            if part.strip():
                log.warn_once(f"ignoring the invalid Requires-Python {requires_python!r}")
                return True
            continue
        clauses.append((match.group(1), match.group(2)))
    try:
        return python in specifiers_range(clauses)
    except SpecifierError:
        log.warn_once(f"ignoring the invalid Requires-Python {requires_python!r}")
        return True
