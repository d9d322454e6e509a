"""Universal resolution (``--universal``): one pin set for every environment, as uv makes it.

A universal resolution solves for environments described by a marker instead of one concrete
environment. It starts with one *fork* (every environment requires-python allows, or one per
``--environment`` marker) and splits a fork in two where one resolution cannot serve all its
environments, as uv 0.13 does:

* **dependency forks** (uv's ``ForkedDependencies::fork``): when a package requires one name
  under several markers that are not all the same (``numpy>=2 ; python_version >= '3.10'`` and
  ``numpy<2 ; python_version < '3.10'``), each requirement's marker splits the fork into the
  environments where it holds and those where it does not; a single requirement splits only
  when its marker raises the Python lower bound (``uv ; python_version >= '3.8'`` under
  ``>=3.7``);
* **Python forks** (uv's ``fork_version_by_python_requirement``): when the version chosen for a
  package requires a newer Python than the fork's lowest, the fork splits at that bound: the
  newer Pythons take that version, the older go on with older ones. Under uv's
  ``--fork-strategy fewest`` (:data:`~pyffin.resolver.options.ForkStrategy`) no fork is made:
  the version is passed over for an older one that serves every Python of the fork, and forks
  with lower Python bounds are solved first (their choices are the others' preferences).

Forks are solved one after another, most recent first (a stack, as uv's), each from the start
with :class:`UniversalProvider` reading requirements for its environments: a requirement whose
marker cannot hold there is left out. (uv clones its solver state at the fork point; solving
again from the start with the same inputs and first choices comes to the same decisions,
without cloning nab-resolver's state.) The requirements the fork it split from had read before
the split are read again as that fork read them, since uv's clone keeps them: the root's
``imaging<10 ; python_version < '3.9'`` still holds in a fork from Python 3.11 that a later
choice made (see :meth:`UniversalProvider._read_as`). After a dependency split, the versions
the fork had decided are each package's first choice in both new forks, as uv's clones keep
them decided; after a Python split, both forks decide them again (in uv's fork of the older
Pythons, the version's Requires-Python conflicts with the Python, decided first, which undoes
every decision after it; deciding them again in the newer Pythons' fork too gave uv's pins
in more of the sets tried against the public index: 58 of 59, keeping them there 51 of 53).
A fork solved adds its pins to the preferences of the forks still to solve, so they choose the
same versions wherever those satisfy them.

The results are merged as uv's ``ResolverOutput::from_state`` merges them: one node per
``(name, version, extra)``, the edges of every fork with the fork's marker, and each node's
marker is where it can be reached from the requirements (uv's ``marker_reachability``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeVar, cast

from nab_resolver.ranges import POSITIVE_INFINITY, Range
from nab_resolver.types import RootRequirement

from pyffin import log
from pyffin.errors import PyffinError, UsageError
from pyffin.models.markers import Marker, MarkerError, PythonInterval, python_interval
from pyffin.models.metadata import MetadataError
from pyffin.models.names import normalize_name
from pyffin.records import record
from pyffin.resolver.dependencies import DependencyError, from_requirement
from pyffin.resolver.options import ResolverOptions
from pyffin.resolver.provider import Provider, split_key
from pyffin.resolver.ranges import FULL, VersionSet, intervals, mentions_prerelease
from pyffin.resolver.solver import (
    exact_pins,
    make_solver,
    run_solver,
    warn_unbounded,
    without_excluded,
)
from pyffin.resolver.system import is_system
from pyffin.resolver.universal import UniversalPin, UniversalResolution

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
    from typing import TypeAlias

    from packaging.utils import NormalizedName

    from pyffin.models.metadata import CoreMetadata
    from pyffin.models.versions import Version
    from pyffin.resolver.dependencies import Dependency, DependencyParser, DirectRequirement
    from pyffin.resolver.provider import ProjectVersions, Unusable
    from pyffin.resolver.source import Candidate, PackageSource

    #: What a fork read requirements of: a package's version, or the root (``None``).
    Read: TypeAlias = "tuple[str, Version] | None"
    #: The environments a fork reads requirements for: its marker and its Pythons.
    Environment: TypeAlias = "tuple[Marker, PythonInterval]"

_T = TypeVar("_T")

_DEFAULT_OPTIONS = ResolverOptions()
#: The graph's root (the requirements), as a node.
_ROOT = ("", None, None)


@record
class Fork:
    """The environments one resolution is for."""

    #: Where the fork holds: ``TRUE`` at the start, narrowed by each split (uv's fork markers).
    marker: Marker
    #: Its Python versions: requires-python, narrowed by the Python bounds of :attr:`marker`.
    python: PythonInterval

    def narrowed(self, marker: Marker) -> Fork:
        """The fork for the environments of this one where ``marker`` holds (uv's
        ``ForkState::with_env``)."""
        narrowed = self.marker & marker
        return Fork(narrowed, _narrow(self.python, narrowed.python_bounds()))

    def describe(self) -> str | None:
        """How uv names the fork in messages (``split (markers: sys_platform == 'win32')``),
        ``None`` for the whole universe."""
        if self.marker.is_true():
            return None
        return f"split (markers: {self.marker})"


class Forked(Exception):
    """A fork must split: the forks to solve instead, in the order they are pushed on the
    stack (the last is solved first), and whether they keep the versions decided before the
    split as their first choices (a dependency split's do, a Python split's do not)."""

    def __init__(self, forks: list[Fork], *, keeps: bool = True) -> None:
        super().__init__(f"{len(forks)} forks")
        self.forks = forks
        self.keeps = keeps


@record
class _Requirement:
    """One requirement as a fork reads it."""

    name: str
    extras: tuple[str, ...]
    versions: VersionSet
    #: Where it applies, its ``extra`` comparisons decided (uv's requirement marker).
    marker: Marker
    #: A constraint (``-c``) with a marker: it narrows the versions but names no package.
    constraint: bool = False
    #: The root's: the position of the requirement among the user's.
    position: int = 0

    def packages(self) -> list[str]:
        if self.extras:
            return [f"{self.name}[{extra}]" for extra in self.extras]
        return [self.name]


@functools.lru_cache(maxsize=8192)
def requirement_marker(text: str | None, extra: str | None) -> Marker:
    """The marker of a requirement once the requiring node's extras are decided: no extra for
    a package itself, exactly ``extra`` for one of its extras, which takes only what the
    extra adds (uv's ``requirements_for_extra``). Raises :class:`DependencyError`."""
    return _decided(_parsed_marker(text), extra)


def _parsed_marker(text: str | None) -> Marker:
    if text is None:
        return Marker.TRUE
    try:
        return Marker.parse(text)
    except MarkerError as e:
        raise DependencyError(f"invalid marker {text!r}: {e}") from None


def _decided(marker: Marker, extra: str | None) -> Marker:
    base = marker.with_extras(())
    if extra is None:
        return base
    return marker.with_extras((extra,)) & ~base


@record(frozen=False, eq=False)
class ForkCache:
    """What the forks of one universal resolution work out alike, kept for all of them: each
    fork is solved from the start, so without it every fork reads every version again."""

    #: Why a version is unusable on the index page or in its metadata, and the failure
    #: message for an explanation: ``(name, version, fork's Python lower bound, inclusive)``.
    unusable: dict[tuple[str, Version, Any, bool], tuple[Unusable | None, str | None]]
    #: The parsed requirements of ``(package, version)`` that can hold somewhere, and
    #: whether one of them bounds the Python version.
    requirements: dict[tuple[str, Version], tuple[list[Dependency], bool]]
    #: A version's dependencies and edges in a fork, by the requirements left out there and
    #: the fork's Python lower bound, when the fork did not split there.
    dependencies: dict[tuple[str, Version, tuple[int, ...], Any, bool],
                       tuple[dict[str, VersionSet], list[tuple[str, Marker]]]]

    @classmethod
    def empty(cls) -> ForkCache:
        return cls({}, {}, {})


class UniversalProvider(Provider):
    """The provider of one fork: a requirement applies where its marker can hold in the
    fork's environments; several requirements on one name under different markers, or a
    version whose Requires-Python leaves out some of the fork's Pythons, raise
    :class:`Forked`."""

    def __init__(self, source: PackageSource, *, fork: Fork, requires_python: str,
                 fork_preferences: Mapping[str, Sequence[tuple[Marker, Version]]],
                 marked_constraints: Mapping[str, Sequence[Dependency]],
                 artifact_environments: Sequence[Marker] = (),
                 pinned_preferences: Mapping[str, Sequence[tuple[Marker, Version]]] | None = None,
                 cache: ForkCache | None = None,
                 inherited: Mapping[Read, Environment] | None = None,
                 decided: Mapping[str, Version] | None = None,
                 **kwargs: Any) -> None:
        from pyffin.models.versions import Version
        from pyffin.resolver.dependencies import MarkerEvaluator

        lower = fork.python[0]
        python = Version(".".join(map(str, lower)) if lower is not None else "0")
        super().__init__(source, markers=MarkerEvaluator({}), python=python, **kwargs)
        self.fork = fork
        self._requires_python = requires_python
        #: uv's ``requires-python`` fork strategy: a version that leaves out the fork's lower
        #: Pythons splits the fork (``fewest``: it is passed over).
        self._python_forks = self._options.fork_strategy == "requires-python"
        self._python_marker = Marker.python_between(fork.python)
        # Which wheels serve this fork, as uv judges them: by the resolution's lowest Python and
        # the fork's highest (cp39-only wheels are none in a fork below 3.9; a cp310-only wheel
        # still is in a fork from 3.13 of a resolution from 3.10). None: no bound to judge by.
        floor = _lower_bound(requires_python)
        span = (*(floor or (None, False)), fork.python[2], fork.python[3])
        self._wheel_pythons = (None if span[0] is None and span[2] is None
                               else Marker.python_between(span))
        self._fork_preferences = fork_preferences
        self._pinned_preferences = pinned_preferences or {}
        self._marked_constraints = marked_constraints
        self._applies: dict[tuple[str | None, str | None], Marker | None] = {}
        #: The requirements read of each ``(package, version)``: ``(key, marker)``.
        self.edges: dict[tuple[str, Version], list[tuple[str, Marker]]] = {}
        self.root_edges: list[tuple[str, Marker]] = []
        self._sorted_preferences: dict[str, list[Version]] = {}
        #: Environments a version without a source distribution must have a wheel for
        #: (uv's ``environments`` and ``required-environments``).
        self._artifact_environments = [m for m in artifact_environments
                                       if not m.is_disjoint(fork.marker)]
        self._probing = False
        self._cache = cache or ForkCache.empty()
        #: Whether the last :meth:`_fork_requirements` found nothing to split on.
        self._plain = False
        self._shared_with: dict[Marker, bool] = {}
        #: The environments in which an ancestor fork read requirements before this fork
        #: split off (see :meth:`_read_as`).
        self._inherited = inherited or {}
        #: The versions decided before a dependency split made this fork (uv's clone keeps
        #: them): each package's first choice here too (see :meth:`_preferred`).
        self._decided_before = decided or {}
        #: The package (and version) whose requirements split this fork, if they did.
        self._split_by: tuple[str, Version] | None = None
        #: The environments this fork read each requirement list in (``None``: the root's),
        #: for the forks it may split into.
        self.read_in: dict[Read, Environment] = {}
        self._applies_by_environment: dict[Environment, dict[tuple[str | None, str | None],
                                                             Marker | None]] = {}

    # --- requirements ---------------------------------------------------------------------------

    def root_requirements(self, direct: Sequence[Dependency],
                          ) -> tuple[list[RootRequirement[str, Version]], list[tuple[str, Marker]]]:
        """The solver's root requirements in this fork and the root's edges (raises
        :class:`Forked` when the requirements themselves split the fork)."""
        def read() -> list[_Requirement]:
            requirements: list[_Requirement] = []
            for position, dependency in enumerate(direct):
                try:
                    self._expand(requirements, dependency, None, position)
                except DependencyError as e:
                    raise PyffinError(f"{dependency.text}: {e}") from None
            return self._fork_requirements(requirements)

        kept = self._read_as(None, read)
        roots: list[RootRequirement[str, Version]] = []
        edges: list[tuple[str, Marker]] = []
        for requirement in kept:
            for key in requirement.packages():
                edges.append((key, requirement.marker))
                if not requirement.constraint:
                    roots.append(RootRequirement(key, requirement.versions,
                                                 requirement.position))
                else:
                    roots.append(RootRequirement(key, requirement.versions, len(direct)))
        self.root_edges = edges
        return roots, edges

    def _read_dependencies(self, package: str, version: Version) -> dict[str, VersionSet]:
        name, extra = split_key(package)
        if extra is not None and (name, version) not in self.read_in:
            # uv decides a package before its extra (``name[extra]`` is a proxy that depends
            # on the package, then on its extra): where the package's own requirements split
            # the fork, they split it first.
            self._read_dependencies(name, version)
        try:
            return self._read_as((package, version),
                                 lambda: self._read_fork_dependencies_cached(package, version))
        except Forked:
            # Decided, then split by its requirements: decided in both forks (uv forks after
            # the decision).
            self._split_by = (package, version)
            raise

    def decided(self) -> dict[str, Version]:
        """The versions this fork had decided when it split (see :meth:`_preferred`)."""
        found = dict(self._decisions)
        if self._split_by is not None:
            package, version = self._split_by
            found[package] = version
        return found

    def _read_as(self, key: Read, read: Callable[[], _T]) -> _T:
        """``read()`` the requirements of ``key`` (``None``: the root's) in the environments
        of the fork that read them first: an ancestor's when they were read there before this
        fork split off, else this fork's. uv clones its solver state at a split, so what was
        read before holds in every fork after, even where its marker cannot
        (``imaging<10 ; python_version < '3.9'`` in the fork from 3.11 that a requirement read
        later made); solving each fork from the start, pyffin reads them as then. Noted in
        :attr:`read_in` for the forks this one may split into."""
        environment = self._inherited.get(key)
        if environment is not None:
            saved = self.fork, self._python_marker, self._applies
            marker, python = environment
            self.fork = Fork(marker, python)
            self._python_marker = Marker.python_between(python)
            self._applies = self._applies_by_environment.setdefault(environment, {})
            try:
                found = read()
            except Forked:
                # (Read alike, they split nothing there: should they, this fork reads them.)
                environment = None
            finally:
                self.fork, self._python_marker, self._applies = saved
            if environment is not None:
                self.read_in[key] = environment
                return found
        found = read()
        self.read_in[key] = (self.fork.marker, self.fork.python)
        return found

    def _read_fork_dependencies_cached(self, package: str, version: Version,
                                       ) -> dict[str, VersionSet]:
        """The dependencies of ``package`` in this fork; another fork's when the same
        requirements hold in both (the common case: only where a requirement's marker meets
        a fork do they differ)."""
        if self._overrides or self._marked_constraints:
            return self._read_fork_dependencies(package, version)
        extra = split_key(package)[1]
        found_requirements = self._requirements(package, version)
        if found_requirements is None:
            return self._read_fork_dependencies(package, version)
        parsed, python_sensitive = found_requirements
        applicable = self._applicable
        left_out = tuple(i for i, dependency in enumerate(parsed) if dependency.marker
                         is not None and applicable(dependency.marker, extra) is None)
        # Only a requirement with a Python bound can split the fork by its lowest Python.
        lower, inclusive = self.fork.python[0:2] if python_sensitive else (None, False)
        key = (package, version, left_out, lower, inclusive)
        found = self._cache.dependencies.get(key)
        if found is not None:
            self.edges[(package, version)] = list(found[1])
            return dict(found[0])
        self._plain = False
        dependencies = self._read_fork_dependencies(package, version)
        if self._plain:
            self._cache.dependencies[key] = (dict(dependencies),
                                             list(self.edges[(package, version)]))
        return dependencies

    def _requirements(self, package: str, version: Version,
                      ) -> tuple[list[Dependency], bool] | None:
        """The requirements of ``package`` whose marker can hold somewhere, parsed, and
        whether one of their markers bounds the Python version (``None`` when one cannot be
        read: the fork's own reading says so)."""
        key = (package, version)
        found = self._cache.requirements.get(key)
        if found is None:
            name, extra = split_key(package)
            kept: list[Dependency] = []
            python_sensitive = False
            try:
                for text in self.metadata(name, version).requires_dist:
                    dependency = self._parser.parse(text)
                    marker = requirement_marker(dependency.marker, extra)
                    if not marker.is_false():
                        kept.append(dependency)
                        python_sensitive = python_sensitive or marker.python_bounds() is not None
            except DependencyError:
                return None
            found = self._cache.requirements[key] = (kept, python_sensitive)
        return found

    def _read_fork_dependencies(self, package: str, version: Version,
                                ) -> dict[str, VersionSet]:
        name, extra = split_key(package)
        metadata = self.metadata(name, version)
        requirements: list[_Requirement] = []
        for text in metadata.requires_dist:
            try:
                self._expand(requirements, self._parser.parse(text), extra, 0)
            except DependencyError as e:
                raise MetadataError(f"{name}=={version} declares {e}") from None
        dependencies: dict[str, VersionSet] = {}
        if extra is not None:
            dependencies[name] = Range.singleton(version)
        edges = self.edges[(package, version)] = []
        for requirement in self._fork_requirements(requirements):
            keys = requirement.packages()
            if requirement.name == name and not requirement.extras:
                continue  # a package depending on itself: nothing to add
            for key in keys:
                if key == package:
                    continue
                edges.append((key, requirement.marker))
                previous = dependencies.get(key)
                dependencies[key] = (requirement.versions if previous is None
                                     else previous & requirement.versions)
        if extra is not None and len(dependencies) == 1 and extra not in {
                normalize_name(e) for e in metadata.provides_extra}:
            self.missing_extras.add((package, version))
        if extra is None:  # (an extra's base package has them)
            for system, needed in self._source.system_dependencies(
                    self._typed(name), version).items():
                dependencies[system] = Range.singleton(needed)
        return dependencies

    def _applicable(self, text: str | None, extra: str | None) -> Marker | None:
        """The marker of a requirement read for ``extra`` when it can hold in this fork
        (uv's ``is_requirement_applicable``), else ``None``."""
        key = (text, extra)
        if key in self._applies:
            return self._applies[key]
        marker: Marker | None = requirement_marker(text, extra)
        assert marker is not None
        if marker.is_disjoint(self._python_marker) or marker.is_disjoint(self.fork.marker):
            marker = None
        self._applies[key] = marker
        return marker

    def _expand(self, requirements: list[_Requirement], dependency: Dependency,
                extra: str | None, position: int) -> None:
        """Add ``dependency`` read for ``extra`` where it can hold in this fork, or what
        overrides it, and the constraints with a marker on its name, as uv does: an override
        replaces the requirement, marker included (but for the requirement's extra), before its
        marker is read (``Overrides::apply``); a constraint is added to each requirement on its
        name under both markers (``constraints_for_requirement``)."""
        if dependency.name in self._excludes:
            return  # excluded: whatever it asks for, and before any override of it
        replacements = self._overrides.get(dependency.name)
        added: list[_Requirement] = []
        if replacements is None:
            marker = self._applicable(dependency.marker, extra)
            if marker is None:
                return
            if dependency.url is not None:
                self._url_dependency(dependency)
            added.append(_Requirement(dependency.name, dependency.extras, dependency.versions,
                                      marker, position=position))
        else:
            original = _parsed_marker(dependency.marker)
            extras_part = original.only_extras() if original.extras() else Marker.TRUE
            for replacement in replacements:
                replaced = _decided(extras_part & _parsed_marker(replacement.marker), extra)
                if replaced.is_disjoint(self._python_marker) or replaced.is_disjoint(
                        self.fork.marker):
                    continue
                added.append(_Requirement(
                    replacement.name, tuple(sorted({*dependency.extras, *replacement.extras})),
                    replacement.versions, replaced, position=position))
        for requirement in added:
            requirements.append(requirement)
            for constraint in self._marked_constraints.get(requirement.name, ()):
                constrained = requirement.marker & requirement_marker(constraint.marker, None)
                if constrained.is_disjoint(self._python_marker) or constrained.is_disjoint(
                        self.fork.marker):
                    continue
                requirements.append(_Requirement(requirement.name, (), constraint.versions,
                                                 constrained, constraint=True,
                                                 position=position))

    def _url_dependency(self, dependency: Dependency) -> None:
        known = self._urls.get(dependency.name)
        if known is None:
            from pyffin.errors import NotSupportedError

            raise NotSupportedError(
                f"a dependency names {dependency.text}, a direct URL; give the same "
                f"requirement directly (pyffin follows URL dependencies only when a direct "
                f"requirement names the URL)")
        _same_url(dependency.name, known, dependency.url or "", dependency.text)

    def _fork_requirements(self, requirements: list[_Requirement]) -> list[_Requirement]:
        """The requirements of one package in this fork, or :class:`Forked` when they need
        several forks (uv's ``ForkedDependencies::fork``)."""
        by_name: dict[str, list[_Requirement]] = {}
        for requirement in requirements:
            by_name.setdefault(requirement.name, []).append(requirement)
        names = sorted(by_name)
        if all(len(by_name[name]) == 1 and not self._raises_python(by_name[name][0].marker)
               for name in names):
            # The common case, nothing to split on. uv's grouping by name orders a universal
            # resolution's requirements by name, which decides the order packages are met in.
            self._plain = True
            return [by_name[name][0] for name in names]
        forks: list[tuple[Marker, list[_Requirement]]] = [(self.fork.marker, [])]
        split = False
        for name in names:
            group = by_name[name]
            first = group[0].marker
            if all(requirement.marker == first for requirement in group) and \
                    not self._raises_python(first):
                for requirement in group:
                    for environment, kept in forks:
                        if not environment.is_disjoint(requirement.marker):
                            kept.append(requirement)
                continue
            for requirement in group:
                marker = requirement.marker
                if self.fork.marker.is_disjoint(marker):
                    continue
                if marker.is_true():
                    for _environment, kept in forks:
                        kept.append(requirement)
                    continue
                remaining = marker
                new: list[tuple[Marker, list[_Requirement]]] = []
                for environment, kept in forks:
                    if environment.is_disjoint(remaining):
                        new.append((environment, kept))
                        continue
                    split = True
                    environments = []
                    if not environment.is_disjoint(~remaining):
                        environments.append(environment & ~remaining)
                    environments.append(environment & remaining)
                    remaining = remaining & ~environment
                    for narrowed in environments:
                        ours = [r for r in kept if not narrowed.is_disjoint(r.marker)]
                        if not narrowed.is_disjoint(marker):
                            ours.append(requirement)
                        if not narrowed.is_disjoint(self._python_marker):
                            new.append((narrowed, ours))
                forks = new
        if not split or len(forks) < 2:
            return forks[0][1] if forks else []
        raise Forked(self._ordered_forks(forks))

    def _raises_python(self, marker: Marker) -> bool:
        """Whether ``marker`` holds only above the fork's lowest Python (uv's
        ``PythonRequirement::raises``)."""
        bounds = marker.python_bounds()
        if bounds is None:
            return False
        return _lower_after(bounds[0], bounds[1], self.fork.python[0], self.fork.python[1])

    def _ordered_forks(self, forks: list[tuple[Marker, list[_Requirement]]]) -> list[Fork]:
        """The new forks in stack order (uv: with ``requires-python`` as the fork strategy,
        the highest Python lower bound is solved first, then the fork with more upper-bounded
        requirements; with ``fewest``, or ``--resolution lowest``, the lowest Python
        first)."""

        def python_key(marker: Marker) -> tuple[int, Any, int]:
            bounds = marker.python_bounds()
            if bounds is None or bounds[0] is None:
                return (0, (), 0)
            return (1, bounds[0], 0 if bounds[1] else 1)

        def upper_bounded(kept: list[_Requirement]) -> int:
            return sum(1 for r in kept if intervals(r.versions)
                       and intervals(r.versions)[-1][2] is not POSITIVE_INFINITY)

        if self._options.resolution == "lowest" or not self._python_forks:
            keyed = sorted(forks, key=lambda item: upper_bounded(item[1]))
            keyed = sorted(keyed, key=lambda item: python_key(item[0]), reverse=True)
        else:
            keyed = sorted(forks, key=lambda item: (python_key(item[0]),
                                                    upper_bounded(item[1])))
        return [self.fork.narrowed(marker) for marker, _ in keyed]

    # --- versions -------------------------------------------------------------------------------

    def has_satisfying_version(self, package: str, version_range: VersionSet) -> bool:
        self._probing = True
        try:
            return super().has_satisfying_version(package, version_range)
        finally:
            self._probing = False

    def unusable(self, name: str, candidate: Candidate) -> Unusable | None:
        # What the index page and the metadata say depends on the fork's lowest Python only.
        key = (name, candidate.version)
        if key in self._unusable:
            return self._unusable[key]
        shared = (name, candidate.version, self.fork.python[0], self.fork.python[1])
        found = self._cache.unusable.get(shared)
        if found is not None:
            reason, failure = found
            if failure is not None:
                self._failures[key] = failure
            self._unusable[key] = reason
            return reason
        reason = super().unusable(name, candidate)
        self._cache.unusable[shared] = (reason, self._failures.get(key))
        return reason

    def _usable_for(self, package: str, name: str, candidate: Candidate) -> bool:
        reason = self.unusable(name, candidate)
        # (Under --fork-strategy fewest, such a version is passed over for an older one that
        # serves every Python of the fork, as uv's candidate selection does.)
        if reason is not None and reason[0] == "python" and self._python_forks:
            forks = self._python_split(reason[1])
            if forks:
                if self._probing:
                    return True  # deciding it will split the fork
                raise Forked(forks, keeps=False)
        if not super()._usable_for(package, name, candidate):
            return False
        pythons = self._wheel_pythons
        if pythons is not None and not self._source.serves(
                cast("NormalizedName", name), candidate.version, pythons):
            # As uv: only wheels, none for this fork's Pythons (cp39 ones where Python < 3.9).
            self._unusable[(name, candidate.version)] = ("platform", str(pythons))
            return False
        if self._artifact_environments:
            missing = self._missing_platform(name, candidate.version)
            if missing is not None:
                self._unusable[(name, candidate.version)] = ("platform", str(missing))
                return False
        return True

    def _missing_platform(self, name: str, version: Version) -> Marker | None:
        """An environment of this fork that the version must serve and has no wheel for
        (uv's ``fork_version_registry``), else ``None``."""
        filenames = self._source.wheel_filenames(cast("NormalizedName", name), version)
        if filenames is None:
            return None
        implied = implied_marker(filenames)
        for required in self._artifact_environments:
            if not implied.is_disjoint(required) or self._relevance(name).is_disjoint(required):
                continue
            if not self.fork.marker.is_disjoint(~required):
                from pyffin.errors import NotSupportedError

                raise NotSupportedError(
                    f"{name}=={version} has no wheel for `{required}`, an environment this "
                    f"resolution must serve (--required-environment) only in part: splitting "
                    f"the resolution there is not supported yet")
            return required
        return None

    def _relevance(self, name: str) -> Marker:
        """Where ``name`` is needed, judged by the requirements read so far (uv's
        ``find_environments``)."""
        children: dict[str, list[tuple[str, Marker]]] = {}
        for (parent, _version), edges in self.edges.items():
            children.setdefault(parent, []).extend(edges)
        reach: dict[str, Marker] = {}
        queue: list[tuple[str, Marker]] = list(self.root_edges)
        while queue:
            key, marker = queue.pop()
            existing = reach.get(key, Marker.FALSE)
            combined = existing | marker
            if combined == existing:
                continue
            reach[key] = combined
            queue.extend((child, combined & edge) for child, edge in children.get(key, ()))
        found = Marker.FALSE
        for key, marker in reach.items():
            if split_key(key)[0] == name:
                found = found | marker
        return found

    def _python_split(self, requires_python: str) -> list[Fork]:
        """The forks for the Pythons below and from the lower bound of ``requires_python``
        (uv's ``fork_version_by_python_requirement``), none when that bound does not split
        the fork's Pythons."""
        bound = _lower_bound(requires_python)
        if bound is None or bound[0] is None:
            return []
        lower, inclusive = bound
        fork = self.fork.python
        upper_part = _intersect((lower, inclusive, None, False), fork)
        lower_part = _intersect((None, False, lower, not inclusive), fork)
        if upper_part is None or lower_part is None:
            return []
        forks = []
        for part in (lower_part, upper_part):
            marker = Marker.python_between(part)
            if not self.fork.marker.is_disjoint(marker):
                forks.append(self.fork.narrowed(marker))
        return forks

    def _fits_python(self, requires_python: str) -> bool:
        fits = self._python_fits.get(requires_python)
        if fits is None:
            bound = _lower_bound(requires_python)
            fits = bound is None or not _lower_after(
                bound[0], bound[1], self.fork.python[0], self.fork.python[1])
            self._python_fits[requires_python] = fits
        return fits

    @property
    def python_target(self) -> str:
        return f"the requested Python version ({self._requires_python})"

    @property
    def requires_python(self) -> str | None:
        return self._requires_python

    def _preferred(self, name: str, package: str) -> list[Version]:
        """The decision of the base package or another extra of it first, then the version
        decided before a dependency split made this fork (uv's forks start from a clone of
        that state), then the preferences: the user's pins and the versions forks already
        solved chose, those made for environments this fork shares first, then the newest (uv's
        ``get_preferred``)."""
        versions = [self._decisions[key] for key in self._keys.get(name, ())
                    if key != package and key in self._decisions]
        before = self._decided_before.get(package)
        if before is not None and before not in versions:
            versions.append(before)
        preferred = self._sorted_preferences.get(name)
        if preferred is None:
            preferred = self._sorted_preferences[name] = self._sort_preferences(name)
        versions += [version for version in preferred if version not in versions]
        return versions

    def _shares(self, marker: Marker) -> bool:
        """Whether this fork shares environments with ``marker`` (a solved fork's: a handful
        of markers asked about for every package)."""
        found = self._shared_with.get(marker)
        if found is None:
            found = self._shared_with[marker] = not self.fork.marker.is_disjoint(marker)
        return found

    def _sort_preferences(self, name: str) -> list[Version]:
        """The preferences of ``name``, in the order they are tried (they do not change while
        the fork is solved)."""
        entries: list[tuple[bool, Version, bool]] = []
        shares = self._shares
        for marker, version in self._pinned_preferences.get(name, ()):
            entries.append((shares(marker), version, False))
        for marker, version in self._fork_preferences.get(name, ()):
            entries.append((shares(marker), version, True))
        if not entries:
            return []
        project = self.project(name)
        lowest = project.lowest
        entries.sort(key=lambda entry: (entry[0], _Reversed(entry[1]) if lowest else entry[1]),
                     reverse=True)
        versions: list[Version] = []
        for _matches, version, resolved in entries:
            if version not in project.index or version in versions:
                continue
            if version.is_prerelease and (project.policy == "disallow" or (
                    resolved and project.policy == "prefer-stable")):
                continue
            versions.append(version)
        return versions


class _Reversed:
    """Sorts a version the other way round."""

    __slots__ = ("version",)

    def __init__(self, version: Version) -> None:
        self.version = version

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.version > other.version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.version == other.version

    def __hash__(self) -> int:
        return hash(self.version)


def _same_url(name: str, known: str, url: str, where: str) -> None:
    from pyffin.resolver.dependencies import same_url

    if not same_url(known, url):
        raise PyffinError(f"{name} is required from two different places: {known} and {url} "
                          f"({where})")


# --- wheels -----------------------------------------------------------------------------------

#: The ``platform_machine`` values a macOS binary format serves (uv's).
_MACOS_MACHINES = {
    "arm64": ("arm64",), "x86_64": ("x86_64",), "i386": ("i386",), "ppc": ("ppc",),
    "ppc64": ("ppc64",), "intel": ("x86_64", "i386"), "fat": ("x86_64", "ppc"),
    "fat32": ("x86_64", "i386", "ppc", "ppc64"), "fat64": ("x86_64", "ppc64"),
    "universal": ("x86_64", "i386", "ppc64", "ppc", "intel"), "universal2": ("x86_64", "arm64"),
}
_WINDOWS_MACHINES = {"win32": "x86", "win_amd64": "AMD64", "win_arm64": "ARM64"}
_IMPLEMENTATIONS = {"cp": "CPython", "pp": "PyPy", "graalpy": "GraalPy", "pyston": "Pyston"}


@functools.lru_cache(maxsize=4096)
def _wheel_marker(filename: str) -> Marker:
    """Where a wheel can be installed, from its tags (uv's ``implied_markers``)."""
    import re

    parts = filename[:-len(".whl")].split("-")
    pythons, abis, platforms = (part.split(".") for part in parts[-3:])
    platform = Marker.FALSE
    for tag in platforms:
        if tag == "any":
            platform = Marker.TRUE
            break
        text = None
        if tag in _WINDOWS_MACHINES:
            text = f"sys_platform == 'win32' and platform_machine == '{_WINDOWS_MACHINES[tag]}'"
        elif tag.startswith("macosx_"):
            machines = _MACOS_MACHINES.get(tag.split("_", 3)[-1], ())
            if machines:
                either = " or ".join(f"platform_machine == '{m}'" for m in machines)
                text = f"sys_platform == 'darwin' and ({either})"
        else:
            match = re.fullmatch(r"(?:many|musl)linux(?:1|2010|2014|_\d+_\d+)_(.+)|linux_(.+)",
                                 tag)
            if match is not None:
                machine = match.group(1) or match.group(2)
                text = f"sys_platform == 'linux' and platform_machine == '{machine}'"
        if text is not None:
            platform = platform | Marker.parse(text)
    stable = any(abi.startswith("abi3") for abi in abis)
    python = Marker.FALSE
    for tag in pythons:
        match = re.fullmatch(r"(py|cp|pp|graalpy|pyston)(\d)(\d*)", tag)
        if tag == "none" or match is None:
            python = Marker.TRUE
            break
        kind, major, minor = match.groups()
        version = f"{major}.{minor}" if minor else major
        text = (f"python_version >= '{version}'" if stable
                else f"python_full_version == '{version}.*'")
        if kind in _IMPLEMENTATIONS:
            text += f" and platform_python_implementation == '{_IMPLEMENTATIONS[kind]}'"
        python = python | Marker.parse(text)
    return platform & python


def implied_marker(filenames: Iterable[str]) -> Marker:
    """Where some wheel of ``filenames`` can be installed."""
    found = Marker.FALSE
    for filename in filenames:
        found = found | _wheel_marker(filename)
    return found


# --- Python bounds ----------------------------------------------------------------------------

def _lower_after(a: Any, a_inclusive: bool, b: Any, b_inclusive: bool) -> bool:
    """Whether lower bound ``a`` is above lower bound ``b`` (``None``: no bound)."""
    if a is None:
        return False
    if b is None:
        return True
    if a != b:
        return bool(a > b)
    return b_inclusive and not a_inclusive


def _upper_before(a: Any, a_inclusive: bool, b: Any, b_inclusive: bool) -> bool:
    """Whether upper bound ``a`` is below upper bound ``b`` (``None``: no bound)."""
    if a is None:
        return False
    if b is None:
        return True
    if a != b:
        return bool(a < b)
    return b_inclusive and not a_inclusive


def _intersect(a: PythonInterval, b: PythonInterval) -> PythonInterval | None:
    lower = (a[0], a[1]) if _lower_after(a[0], a[1], b[0], b[1]) else (b[0], b[1])
    upper = (a[2], a[3]) if _upper_before(a[2], a[3], b[2], b[3]) else (b[2], b[3])
    if lower[0] is not None and upper[0] is not None and (
            lower[0] > upper[0] or (lower[0] == upper[0] and not (lower[1] and upper[1]))):
        return None
    return (*lower, *upper)


def _narrow(python: PythonInterval, bounds: PythonInterval | None) -> PythonInterval:
    """``python`` with the tighter of each bound of ``bounds`` (uv's
    ``RequiresPython::narrow``)."""
    if bounds is None:
        return python
    lower = (bounds[0], bounds[1]) if not _lower_after(python[0], python[1], bounds[0],
                                                        bounds[1]) else (python[0], python[1])
    upper = (bounds[2], bounds[3]) if not _upper_before(python[2], python[3], bounds[2],
                                                         bounds[3]) else (python[2], python[3])
    return (*lower, *upper)


@functools.lru_cache(maxsize=1024)
def _lower_bound(requires_python: str) -> tuple[Any, bool] | None:
    """The lower bound of a Requires-Python text, release-only (``(3, 10), True`` for
    ``>=3.10``), with uv's repairs of invalid texts; ``None`` for a text that says nothing
    (or cannot be read, with a warning)."""
    from pyffin.requirements.pep508 import repairs

    try:
        found = python_interval(requires_python)
    except MarkerError:
        for patched, fixed in repairs(requires_python):
            try:
                found = python_interval(patched)
            except MarkerError:
                continue
            log.warn_result(f"Fixing invalid Requires-Python by {fixed} (before: "
                            f"`{requires_python}`; after: `{patched}`)")
            break
        else:
            log.warn_result(f"ignoring the invalid Requires-Python {requires_python!r}")
            return None
    if not found:
        return None
    return found[0][0], found[0][1]


# --- the driver -------------------------------------------------------------------------------

@record(frozen=False, eq=False)
class _Solved:
    fork: Fork
    pins: dict[str, Version]
    edges: dict[tuple[str, Version], list[tuple[str, Marker]]]
    root_edges: list[tuple[str, Marker]]


def resolve_universal(
    requirements: Sequence[DirectRequirement],
    source: PackageSource,
    requires_python: str,
    options: ResolverOptions = _DEFAULT_OPTIONS,
    *,
    environments: Sequence[str] = (),
    required_environments: Sequence[str] = (),
    constraints: Sequence[DirectRequirement] = (),
    overrides: Sequence[DirectRequirement] = (),
    excludes: Collection[str] = (),
    preferences: Sequence[tuple[str, str | None, Version]] = (),
    stats: dict[str, int] | None = None,
    current: Mapping[str, str] | None = None,
    parser: DependencyParser | None = None,
) -> UniversalResolution:
    """Pin versions of every package ``requirements`` need in any environment that
    ``requires_python`` (``">=3.9"``) and, if given, one of the ``environments`` markers
    allow; each pin is written with the marker of the environments that need it.

    ``preferences`` are the pins of an existing output file, ``(name, marker text, version)``:
    each is preferred where its marker holds (before the other forks' choices when newer), unless
    ``options.upgrade``/``options.upgrade_packages`` say otherwise.
    ``environments`` must not overlap. A version without a source distribution must have a
    wheel for each of them and each of the ``required_environments`` markers where it is
    needed (uv's rule). The other arguments are those of
    :func:`~pyffin.resolver.solver.resolve`. Raises
    :class:`~pyffin.resolver.errors.NoSolutionError` naming the fork that has no solution;
    when that fork leaves out ``current`` (this machine's environment markers), a hint says
    so, as uv's does. ``parser`` (a session's) parses ``Requires-Dist`` for every fork;
    without, the forks share one of their own.
    """
    from pyffin.resolver.dependencies import DependencyParser

    parser = parser or DependencyParser()
    try:
        [python] = python_interval(requires_python)
    except (MarkerError, ValueError):
        raise UsageError(f"invalid requires-python {requires_python!r}") from None
    excluded = frozenset(excludes)
    direct, origins, urls = _direct(without_excluded(requirements, excluded), "requirement")
    warn_unbounded(direct, options)
    constraint_deps, constraint_origins, _ = _direct(constraints, "constraint", urls)
    override_deps, override_origins, _ = _direct(overrides, "override", urls)
    for name, url in urls.items():
        source.pin_url(name, url)  # type: ignore[arg-type]

    overrides_by_name: dict[str, list[Dependency]] = {}
    for dependency in override_deps:
        overrides_by_name.setdefault(dependency.name, []).append(dependency)
    constraint_ranges: dict[str, VersionSet] = {}
    marked: dict[str, list[Dependency]] = {}
    for dependency in constraint_deps:
        if dependency.marker is None:
            constraint_ranges[dependency.name] = (
                constraint_ranges.get(dependency.name, FULL) & dependency.versions)
        else:
            marked.setdefault(dependency.name, []).append(dependency)
    required: dict[str, VersionSet] = dict(constraint_ranges)
    for dependency in direct:
        required[dependency.name] = required.get(dependency.name, FULL) & dependency.versions

    start = Fork(Marker.TRUE, python)
    artifacts = [_environment(text) for text in (*environments, *required_environments)]
    forks = [start]
    if environments:
        forks = [start.narrowed(_environment(text)) for text in environments]
        _check_disjoint(environments, forks)
        forks.reverse()
        forks.sort(key=lambda fork: _python_order(fork.marker),
                   reverse=(options.resolution == "lowest"
                            or options.fork_strategy == "fewest"))
    #: The forks to solve, the last first, each with the environments its ancestors read
    #: requirements in before it split off (see UniversalProvider._read_as), and the versions
    #: they had decided then.
    stack: list[tuple[Fork, Mapping[Read, Environment], Mapping[str, Version]]] = [
        (fork, {}, {}) for fork in forks]
    shared_projects: dict[str, ProjectVersions] = {}
    shared_metadata: dict[tuple[str, Version], CoreMetadata] = {}
    cache = ForkCache.empty()
    fork_preferences: dict[str, list[tuple[Marker, Version]]] = {}
    pinned: dict[str, list[tuple[Marker, Version]]] = {}
    for name, marker_text, version in preferences:
        if name in options.upgrade_packages or options.upgrade:
            continue
        try:
            marker = requirement_marker(marker_text, None)
        except DependencyError:
            continue  # an unreadable marker in an old output file: no preference
        pinned.setdefault(normalize_name(name), []).append((marker, version))
    solved: list[_Solved] = []
    totals: dict[str, int] = {}
    try:
        while stack:
            fork, inherited, decided = stack.pop()
            provider = UniversalProvider(
                source, fork=fork, requires_python=requires_python,
                fork_preferences={name: list(found) for name, found in fork_preferences.items()},
                marked_constraints=marked,
                options=options,
                direct=frozenset(d.name for d in direct),
                explicit_prereleases=frozenset(
                    d.name for d in (*direct, *constraint_deps, *override_deps)
                    if mentions_prerelease(d.clauses)),
                allowed_yanks=exact_pins([*direct, *constraint_deps]),
                constraints=constraint_ranges, overrides=overrides_by_name,
                excludes=excluded,
                preferences={}, pinned_preferences=pinned, urls=urls, required=required,
                projects=shared_projects, metadata=shared_metadata, parser=parser,
                artifact_environments=artifacts, cache=cache, inherited=inherited,
                decided=decided)
            try:
                result = _solve(provider, direct, totals, current)
            except Forked as forked:
                log.debug(f"Forking {fork.describe() or 'the resolution'} into "
                          f"{', '.join(str(f.marker) for f in forked.forks)}")
                read = {**inherited, **provider.read_in}
                before = {**decided, **provider.decided()} if forked.keeps else {}
                stack.extend((split, read, before) for split in forked.forks)
                continue
            solved.append(result)
            if options.resolution in ("highest", "lowest"):
                for key, version in result.pins.items():
                    fork_preferences.setdefault(split_key(key)[0], []).append(
                        (fork.marker, version))
    finally:
        source.resolution_done()
        if stats is not None:
            stats.update(totals, forks=len(solved))
    return _merge(solved, requires_python, [*origins, *constraint_origins, *override_origins],
                  urls, source)


def _solve(provider: UniversalProvider, direct: Sequence[Dependency],
           totals: dict[str, int], current: Mapping[str, str] | None = None) -> _Solved:
    fork = provider.fork
    roots, root_edges = provider.root_requirements(direct)
    for root in roots:
        provider.discover(root.package)
    solver = make_solver(provider)
    try:
        solution = run_solver(solver, provider, roots,
                              more_hints=lambda: _elsewhere(fork, current),
                              split=fork.describe())
        provider.warn_missing_extras(solution.pins)
        provider.warn_skipped_builds(solution.pins)
    finally:
        for key, value in (*provider.stats.items(), ("decisions", solver.stats.decisions),
                           ("conflicts", solver.stats.conflicts)):
            totals[key] = totals.get(key, 0) + value
    # A system package (what the versions chosen need of the machine) is not a project.
    return _Solved(fork, {key: version for key, version in solution.pins.items()
                          if not is_system(key)}, provider.edges, root_edges)


def _elsewhere(fork: Fork, current: Mapping[str, str] | None) -> list[str]:
    """uv's hint when the fork without a solution is not this machine's environment."""
    if current is None or fork.marker.is_true():
        return []
    version = current.get("python_version", "")
    if fork.marker.is_disjoint(Marker.parse(f"python_version == '{version}'")):
        return [f"While the active Python version is {version}, the resolution failed for "
                f"other Python versions supported by your project. Consider limiting your "
                f"project's supported Python versions using `requires-python`."]
    if not fork.marker.evaluate(current):
        return ["The resolution failed for an environment that is not the current one, "
                "consider limiting the environments with `--environment`."]
    return []


def _direct(requirements: Sequence[DirectRequirement], kind: str,
            urls: dict[str, str] | None = None,
            ) -> tuple[list[Dependency], list[tuple[str, str]], dict[str, str]]:
    """Parse the user's requirements (all of them: markers are read per fork); direct
    references go to ``urls`` by name."""
    from pyffin.records import replace

    urls = {} if urls is None else urls
    parsed: list[Dependency] = []
    origins: list[tuple[str, str]] = []
    for direct in requirements:
        try:
            dependency = from_requirement(direct.requirement)
            if dependency.marker is not None:
                requirement_marker(dependency.marker, None)
        except DependencyError as e:
            raise PyffinError(f"{direct.origin}: {e}") from None
        if dependency.url is not None:
            known = urls.setdefault(dependency.name, dependency.url)
            _same_url(dependency.name, known, dependency.url, direct.origin)
            dependency = replace(dependency, url=None)
        parsed.append(dependency)
        origins.append((dependency.name, direct.origin))
    return parsed, origins, urls


def _environment(text: str) -> Marker:
    try:
        marker = Marker.parse(text)
    except MarkerError as e:
        raise UsageError(f"invalid --environment {text!r}: {e}") from None
    if marker.is_false():
        raise UsageError(f"--environment {text!r} holds in no environment")
    return marker


def _check_disjoint(texts: Sequence[str], forks: Sequence[Fork]) -> None:
    for i, fork in enumerate(forks):
        for j in range(i):
            if not fork.marker.is_disjoint(forks[j].marker):
                raise UsageError(
                    f"Supported environments must be disjoint, but the following markers "
                    f"overlap: `{texts[j]}` and `{texts[i]}`")


def _python_order(marker: Marker) -> tuple[int, Any, int]:
    bounds = marker.python_bounds()
    if bounds is None or bounds[0] is None:
        return (0, (), 0)
    return (1, bounds[0], 0 if bounds[1] else 1)


# --- merging ----------------------------------------------------------------------------------

Node = tuple[str, "Version | None", "str | None"]


def _merge(solved: Sequence[_Solved], requires_python: str,
           origins: Iterable[tuple[str, str]], urls: Mapping[str, str],
           source: PackageSource) -> UniversalResolution:
    """One graph of every fork's pins and requirements, and where each pin is needed (and,
    from ``source``, which pins are yanked)."""
    edges: dict[tuple[Node, Node], Marker] = {}

    def add(parent: Node, child_key: str, marker: Marker, pins: Mapping[str, Version]) -> None:
        found = pins.get(child_key)
        if found is None:
            return
        child_name, child_extra = split_key(child_key)
        targets: list[Node] = [(child_name, found, None)]
        if child_extra is not None:
            targets.insert(0, (child_name, found, child_extra))
        for child in targets:
            if parent[0] == child_name and child[2] is None:
                continue  # an extra's own package (uv flattens a package's extras instead)
            key = (parent, child)
            previous = edges.get(key)
            edges[key] = marker if previous is None else previous | marker

    nodes: set[Node] = set()
    for result in solved:
        fork_marker = result.fork.marker
        pins = result.pins
        for key, version in pins.items():
            name, extra = split_key(key)
            nodes.add((name, version, extra))
            if extra is not None:
                nodes.add((name, version, None))
        for key, marker in result.root_edges:
            add(_ROOT, key, marker & fork_marker, pins)
        for key, version in pins.items():
            name, extra = split_key(key)
            parent: Node = (name, version, extra)
            for child_key, marker in result.edges.get((key, version), ()):
                add(parent, child_key, marker & fork_marker, pins)

    if len(solved) == 1 and solved[0].fork.marker.is_true():
        root_marker = Marker.TRUE
    else:
        root_marker = Marker.FALSE
        for result in solved:
            root_marker = root_marker | result.fork.marker
    reachable = reachability(edges, _ROOT, root_marker)

    by_pin: dict[tuple[str, Version], dict[str, Any]] = {}
    for node in nodes:
        node_marker = reachable.get(node, Marker.FALSE)
        if node_marker.is_false() or node[1] is None:
            continue
        entry = by_pin.setdefault((node[0], node[1]), {
            "marker": Marker.FALSE, "extras": set(), "dependents": set()})
        entry["marker"] = entry["marker"] | node_marker
        if node[2] is not None:
            entry["extras"].add(node[2])
    for (parent, child), _marker in edges.items():
        if parent == _ROOT or child[1] is None or parent[0] == child[0]:
            continue
        if reachable.get(parent, Marker.FALSE).is_false():
            continue
        found = by_pin.get((child[0], child[1]))
        if found is not None:
            found["dependents"].add(parent[0])
    origins_by_name: dict[str, list[str]] = {}
    for name, origin in origins:
        listed = origins_by_name.setdefault(name, [])
        if origin not in listed:
            listed.append(origin)
    merged = tuple(
        UniversalPin(name, version, entry["marker"], tuple(sorted(entry["extras"])),
                     tuple(sorted(entry["dependents"])), tuple(origins_by_name.get(name, ())),
                     urls.get(name), *((None, None) if name in urls
                                       else _yanked_and_index(source, name, version)))
        for (name, version), entry in sorted(by_pin.items()))
    forks = tuple(result.fork.marker for result in solved) if len(solved) > 1 else ()
    return UniversalResolution(requires_python, merged, forks)


def _yanked_and_index(source: PackageSource, name: str, version: Version
                      ) -> tuple[str | None, str | None]:
    """Why the index yanked a pinned version, and where its file is listed (see
    :attr:`UniversalPin.yanked`, :attr:`UniversalPin.index`)."""
    dist = source.distribution(cast("NormalizedName", name), version)
    if dist is None:
        return None, None
    return dist.file.yanked if dist.file is not None else None, dist.listed_on


_N = TypeVar("_N")


def reachability(edges: Mapping[tuple[_N, _N], Marker], start: _N, root: Marker
                 ) -> dict[_N, Marker]:
    """Where each node can be reached from ``start`` (where ``root`` holds): the disjunction
    over paths of the conjunction of the edges' markers (uv's ``marker_reachability``; a
    fix-point, so cycles end). Also what a lock for one target marks its packages with."""
    children: dict[_N, list[tuple[_N, Marker]]] = {}
    for (parent, child), marker in edges.items():
        children.setdefault(parent, []).append((child, marker))
    reachable: dict[_N, Marker] = {start: root}
    queue: list[_N] = [start]
    while queue:
        parent = queue.pop()
        marker = reachable[parent]
        for child, edge in children.get(parent, ()):
            through = edge & marker
            existing = reachable.get(child)
            combined = through if existing is None else through | existing
            if existing is None or combined != existing:
                reachable[child] = combined
                queue.append(child)
    return reachable
