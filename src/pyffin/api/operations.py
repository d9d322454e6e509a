"""The operations every command is made of: :func:`resolve` requirements into a resolution,
and :func:`prepare_and_install` what a plan needs into an environment (uv:
``crates/uv/src/commands/pip/operations.rs``).

``pyffin.compile`` resolves; ``pyffin.install`` and ``pyffin.sync`` resolve, plan and install;
the build context (:class:`~pyffin.api.building.InstallingBuildContext`) does the same for a
build environment. They share these two functions, so the defaults are written once: the
pre-release policy (:func:`prerelease_mode`), preferring what is installed
(:func:`installed_preferences`), ``--upgrade`` dropping preferences, hash-checking mode
(:func:`check_hash_mode`, :func:`required_hashes`), and how wheels are fetched, built, checked
and linked. Whether an environment already satisfies its requirements, which spares all of
this, is :mod:`pyffin.installer.satisfies`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.errors import PyffinError, UsageError
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.api.exclude_newer import ExcludeNewer
    from pyffin.api.session import Session
    from pyffin.api.target import Target
    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.database import EarlyFetch, FetchReporter, WheelDatabase
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.installer.installed import InstalledDistribution
    from pyffin.installer.link import LinkMode
    from pyffin.installer.plan import InstallPlan, Wanted
    from pyffin.interpreter.scheme import Scheme
    from pyffin.models.dist import Distribution
    from pyffin.models.versions import Version
    from pyffin.requirements import RequirementEntry, RequirementsSpec
    from pyffin.requirements.pep508 import Requirement
    from pyffin.resolver import DirectRequirement, Resolution
    from pyffin.resolver.index_source import IndexSource
    from pyffin.resolver.options import ForkStrategy, PrereleaseMode, ResolutionMode
    from pyffin.resolver.ranges import VersionSet
    from pyffin.resolver.resolution import ResolvedPackage
    from pyffin.resolver.universal import UniversalResolution
    from pyffin.settings import IndexSettings

#: Wheels prepared and linked at once. Linking is system calls, which release the GIL: two
#: threads keep two cores in the kernel, and hand the GIL over a few hundred times for a
#: 29k-file install; four made 84k futex calls for the same install (measured on 2 cores),
#: and were slower; so were three (measured again on the large set's install replay).
INSTALL_THREADS = 2


class HashRequirementError(PyffinError):
    """``--require-hashes`` (hash-checking mode) cannot be satisfied by the requirements."""


class RequiresPythonError(PyffinError):
    """The target's Python version is not one a requirements source admits."""


@record
class ResolveOptions:
    """How versions are chosen (the resolver's flags)."""

    resolution: ResolutionMode = "highest"
    prerelease: PrereleaseMode | None = None
    #: ``(normalized name, mode)`` pairs of ``--prerelease-package`` (see
    #: :func:`~pyffin.resolver.options.prerelease_package`): ``prerelease`` for the others.
    prerelease_packages: tuple[tuple[str, PrereleaseMode], ...] = ()
    exclude_newer: str | None = None
    #: ``NAME=DATE`` values of ``--exclude-newer-package``.
    exclude_newer_packages: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    no_build: bool = False
    #: A universal resolution's (uv's ``--fork-strategy``); one target ignores it.
    fork_strategy: ForkStrategy = "requires-python"

    def cutoffs(self) -> ExcludeNewer | None:
        """``--exclude-newer`` and ``--exclude-newer-package`` read (see
        :mod:`pyffin.api.exclude_newer`); ``None`` when neither is given."""
        if not (self.exclude_newer or self.exclude_newer_packages):
            return None
        from pyffin.api.exclude_newer import parse_exclude_newer

        return parse_exclude_newer(self.exclude_newer, self.exclude_newer_packages)


DEFAULT_RESOLVE = ResolveOptions()


@record(frozen=False, eq=False)
class Resolved:
    """A resolution and what it was made from."""

    resolution: Resolution
    #: The package source it was resolved from: metadata for reports, every file of a release
    #: for ``--generate-hashes``. Installing needs none of it: each package carries its
    #: distribution.
    source: IndexSource
    #: The requirements, each named (unnamed ones after building them).
    entries: list[RequirementEntry]


# ------------------------------------------------------------------------------ resolving
def resolve(
    session: Session,
    spec: RequirementsSpec,
    *,
    markers: Mapping[str, str],
    tags: Sequence[str],
    sources: SourceDistributions | None,
    options: ResolveOptions = DEFAULT_RESOLVE,
    cutoffs: ExcludeNewer | None = None,
    preferences: Mapping[str, Version] | None = None,
    upgrade: bool = False,
    upgrade_packages: Iterable[str] = (),
    no_deps: bool = False,
    hash_mode: bool = False,
    report: bool = True,
    on_decided: Callable[[str, Version, Distribution], None] | None = None,
    installed: Mapping[str, InstalledDistribution] | None = None,
    requested_python: str | None = None,
) -> Resolved:
    """Resolve ``spec`` (requirements, constraints, overrides and the options of the files it
    was read from) for the target whose marker environment is ``markers`` and whose wheel tags
    are ``tags``, with the session's registry (:meth:`~pyffin.api.session.Session.configure`
    it with the spec's index options first).

    ``sources`` builds what has no wheel (``None``: nothing can be built). ``cutoffs`` is
    ``options``' exclude-newer, read once by the caller. ``preferences`` (pins to keep, such
    as an existing output file's or what is installed) are dropped with ``upgrade``;
    ``upgrade_packages`` drops those of some names, and bounds given with them (``six<1.17``)
    constrain the upgrade. ``no_deps`` resolves the requirements alone. In ``hash_mode`` every
    package must be a requirement. ``report`` tells the session's reporter how it goes.
    ``on_decided`` hears each version the solver decides on (see :func:`early_fetch`).
    ``installed`` (an install's, by normalized name) may each be chosen at their version
    whatever the binary options say of its files, with their own metadata: nothing is built or
    fetched for them, as uv and pip use what is installed (see
    :attr:`~pyffin.resolver.index_source.IndexSource.installed`). ``requested_python``: the
    target's :attr:`~pyffin.api.target.Target.requested_python`, for explanations.
    """
    from pyffin.api.building import name_entries
    from pyffin.resolver import ResolverOptions
    from pyffin.resolver import resolve as solve

    if hash_mode:
        check_hash_mode(spec)
    entries = name_entries(spec.requirements, sources)
    source = index_source(
        session, spec, tags, no_binary=options.no_binary, only_binary=options.only_binary,
        no_build=options.no_build, exclude_newer=cutoffs, no_deps=no_deps, sources=sources,
        editables=[e.url for e in entries if e.editable and e.url], report=report,
        installed=installed, markers=markers,
        walk=options.resolution == "highest" and not no_deps)
    source.on_decided = on_decided
    if hash_mode:
        source.allowed_hashes = {name: frozenset(digests) for name, digests
                                 in required_hashes(spec).items() if digests}
    upgrade_names, upgrade_bounds = upgrade_requests(upgrade_packages)
    resolver_options = ResolverOptions(
        resolution=options.resolution,
        prerelease=prerelease_mode(options.prerelease, pre=spec.pre),
        prerelease_packages=options.prerelease_packages,
        upgrade=upgrade,
        upgrade_packages=upgrade_names,
    )
    resolution = solve(
        direct_requirements(entries), source, markers, resolver_options,
        constraints=direct_requirements(spec.constraints) + upgrade_bounds,
        overrides=direct_requirements(spec.overrides), excludes=spec.excluded,
        preferences={} if upgrade else preferences, parser=session.parser,
        requested_python=requested_python)
    if hash_mode:
        direct = {entry.name for entry in entries}
        missing = sorted(p.name for p in resolution if p.name not in direct)
        if missing:
            raise HashRequirementError(
                "in --require-hashes mode every package must be listed with its hashes; "
                f"these dependencies are not: {', '.join(missing)}")
    return Resolved(resolution, source, entries)


@record(frozen=False, eq=False)
class ResolvedUniversal:
    """A universal resolution and what it was made from (see :class:`Resolved`)."""

    resolution: UniversalResolution
    source: IndexSource
    entries: list[RequirementEntry]


def resolve_universal(
    session: Session,
    spec: RequirementsSpec,
    *,
    requires_python: str,
    environments: Sequence[str] = (),
    required_environments: Sequence[str] = (),
    tags: Sequence[str],
    sources: SourceDistributions | None,
    options: ResolveOptions = DEFAULT_RESOLVE,
    cutoffs: ExcludeNewer | None = None,
    preferences: Sequence[tuple[str, str | None, Version]] = (),
    upgrade: bool = False,
    upgrade_packages: Iterable[str] = (),
    no_deps: bool = False,
    current: Mapping[str, str] | None = None,
) -> ResolvedUniversal:
    """:func:`resolve` for every environment ``requires_python`` (``">=3.9"``) and, if given,
    one of the ``environments`` markers allow (see :func:`pyffin.resolver.forks.
    resolve_universal`): the same defaults, but every wheel a Python of ``requires_python``
    may use on any platform counts (``tags`` are not used), and ``preferences`` are an output
    file's pins with their markers, ``(name, marker text, version)``. ``current`` (this
    machine's marker environment) words the hint of a failure."""
    from pyffin.api.building import name_entries
    from pyffin.api.universal import lowest_python
    from pyffin.resolver import ResolverOptions
    from pyffin.resolver.forks import resolve_universal as solve_universal

    entries = name_entries(spec.requirements, sources)
    source = index_source(
        session, spec, tags, no_binary=options.no_binary, only_binary=options.only_binary,
        no_build=options.no_build, exclude_newer=cutoffs, no_deps=no_deps, sources=sources,
        editables=[e.url for e in entries if e.editable and e.url],
        universal=lowest_python(requires_python),
        walk=options.resolution == "highest" and not no_deps)
    upgrade_names, upgrade_bounds = upgrade_requests(upgrade_packages)
    resolver_options = ResolverOptions(
        resolution=options.resolution,
        prerelease=prerelease_mode(options.prerelease, pre=spec.pre),
        prerelease_packages=options.prerelease_packages,
        upgrade=upgrade,
        upgrade_packages=upgrade_names,
        fork_strategy=options.fork_strategy,
    )
    resolution = solve_universal(
        direct_requirements(entries), source, requires_python, resolver_options,
        environments=environments, required_environments=required_environments,
        constraints=direct_requirements(spec.constraints) + upgrade_bounds,
        overrides=direct_requirements(spec.overrides), excludes=spec.excluded,
        preferences=() if upgrade else preferences, current=current, parser=session.parser)
    return ResolvedUniversal(resolution, source, entries)


def prerelease_mode(prerelease: PrereleaseMode | None, *, pre: bool = False) -> PrereleaseMode:
    """The pre-release policy: the one given, else ``allow`` when the requirements say
    ``--pre``, else uv's default ``if-necessary-or-explicit``."""
    if prerelease is not None:
        return prerelease
    return "allow" if pre else "if-necessary-or-explicit"


def installed_preferences(installed: Iterable[InstalledDistribution]) -> dict[str, Version]:
    """What is installed, as preferences: an install keeps those versions unless something
    requires others (distributions whose version does not parse are left to the resolver, and
    so are packages installed twice, as uv leaves them: which copy is meant is unknown)."""
    from pyffin.installer.installed import duplicated
    from pyffin.models.versions import InvalidVersion, Version

    installed = list(installed)
    twice = duplicated(installed)
    preferences: dict[str, Version] = {}
    for dist in installed:
        if dist.normalized_name in twice:
            continue
        try:
            preferences[dist.normalized_name] = Version(dist.version)
        except InvalidVersion:
            continue
    return preferences


def index_source(session: Session, spec: RequirementsSpec, tags: Sequence[str], *,
                 no_binary: Iterable[str] = (), only_binary: Iterable[str] = (),
                 no_build: bool = False, exclude_newer: ExcludeNewer | None = None,
                 no_deps: bool = False, sources: SourceDistributions | None = None,
                 editables: Iterable[str] = (), report: bool = True,
                 universal: tuple[int, ...] | None = None,
                 installed: Mapping[str, InstalledDistribution] | None = None,
                 markers: Mapping[str, str] | None = None, walk: bool = False) -> IndexSource:
    """The package source for ``spec`` on the session's registry, the binary flags of the
    command and of the requirements files combined; ``universal`` (the lowest Python of a
    universal resolution) makes it serve every platform. The session's page workers, if
    any, become the source's; with ``walk`` they walk the likely dependencies on the target
    whose marker environment is ``markers`` (on every platform for a universal one)."""
    from pyffin.models.format_control import BinaryPolicy
    from pyffin.resolver.index_source import IndexSource

    binary = BinaryPolicy.of([*no_binary, *spec.no_binary], [*only_binary, *spec.only_binary],
                             no_build=no_build)
    cutoffs = exclude_newer
    # The session's first package source takes its page workers (a build's resolution, for
    # another target, does without).
    workers, session.page_workers = session.page_workers, None
    return IndexSource(session.registry, tags=tags, binary=binary,
                       exclude_newer=cutoffs.default if cutoffs else None, no_deps=no_deps,
                       sources=sources, editables=editables,
                       exclude_newer_packages=cutoffs.packages if cutoffs else None,
                       summaries=not (cutoffs and cutoffs.relative),
                       reporter=session.reporter if report else None, universal=universal,
                       installed=installed, page_workers=workers, markers=markers, walk=walk,
                       excluded=spec.excluded)


def uncached(session: Session, plan: InstallPlan,
             sources: SourceDistributions | None = None) -> int:
    """How many of what ``plan`` installs the cache lacks (a dry run's "Would download"):
    their wheel is not unzipped there, nor built from the sdist before (with ``sources``)."""
    from pyffin.distribution.database import DistributionDatabase, WheelDatabase

    database = DistributionDatabase(
        WheelDatabase(session.cache, session.registry, None, pool=session.pool), sources)
    return sum(1 for item in plan.to_install if database.cached(item.source, item.name) is None)


def start_page_workers(session: Session) -> None:
    """Fork the session's page workers (:mod:`pyffin.resolver.page_worker`) for a resolution
    on a cache that holds no index page yet; call it before any thread starts. On a cache
    that holds pages, let go of the one the command line forked (none is wanted)."""
    from pyffin.cache import CacheBucket

    if session.page_workers_allowed and session.page_workers is None and (
            not os.path.isdir(session.cache.bucket(CacheBucket.SIMPLE))
            or os.environ.get("PYFFIN_PAGE_WORKERS_ALWAYS") == "1"):
        from pyffin.resolver import page_worker

        session.page_workers = page_worker.start(session.cache, offline=session.offline)
    else:
        release_page_workers()


def release_page_workers() -> None:
    """Let go of the page worker the command line forked as it started (see
    :func:`pyffin.resolver.page_worker.prestart`), when no resolution will take it."""
    import sys

    if (early := sys.modules.get("pyffin.resolver.page_worker")) is not None:
        early.release()


def prefetch_requirement_pages(session: Session, spec: RequirementsSpec, *,
                               no_binary: Collection[str] = ()) -> None:
    """Start fetching the pages of ``spec``'s named requirements when the cache lacks them, so
    a cold run's first pages arrive while the target interpreter is looked at (a subprocess,
    when the cache has not seen it); and, for a requirement pinned with ``==`` (a locked
    file's), the metadata of its version's wheel when the target cannot change which wheel
    that is (see :meth:`~pyffin.client.registry.RegistryClient.prefetch_if_cold`). Not with
    ``--no-binary`` (``no_binary``, or the requirements files'): a wheel may not be used."""
    registry = configure_indexes(session, spec)
    excluded = spec.excluded
    named = [(name, entry.extras) for entry in spec.requirements if entry.url is None
             and (name := entry.name) is not None and name not in excluded]
    workers = session.page_workers
    if workers is None:
        registry.prefetch_if_cold([name for name, _ in named],
                                  None if no_binary or spec.no_binary else lambda: _pins(spec))
        return
    from pyffin.models.names import normalize_name

    ranges = _requirement_ranges(spec)
    for name, extras in named:
        key = normalize_name(name)
        workers.ask(key, ranges.get(key), extras)


def _requirement_ranges(spec: RequirementsSpec) -> dict[str, VersionSet]:
    """Normalized name -> the versions ``spec`` allows it (its requirement's specifier, and
    its constraints'), for a name required once with a specifier and not overridden: the
    walk's guess at its version is then one the solver may take (a ``django<5`` walks on from
    Django 4's metadata, not 5's)."""
    from pyffin.resolver.ranges import specifiers_range

    required: dict[str, list[Requirement]] = {}
    for entry in spec.requirements:
        if entry.name is not None and entry.requirement is not None:
            required.setdefault(entry.name, []).append(entry.requirement)
    for entry in spec.overrides:
        if entry.name is not None:
            required.pop(entry.name, None)
    ranges: dict[str, VersionSet] = {}
    for name, requirements in required.items():
        if len(requirements) != 1:
            continue
        clauses = [(s.operator, s.version) for s in requirements[0].specifier]
        for entry in spec.constraints:
            if entry.name == name and entry.requirement is not None:
                clauses += [(s.operator, s.version) for s in entry.requirement.specifier]
        if not clauses:
            continue
        try:
            ranges[name] = specifiers_range(clauses)
        except ValueError:  # not valid PEP 440: the solver says what is wrong with it
            continue
    return ranges


def _pins(spec: RequirementsSpec) -> dict[str, str]:
    """Normalized name -> the normalized version a requirement of ``spec`` pins with ``==``.
    Left out: a name required twice, constrained or overridden (which version is taken is the
    resolution's to say), a requirement with a marker (maybe another target's), and one on
    an excluded name."""
    from pyffin.installer.satisfies import exact_pin
    from pyffin.models.versions import InvalidVersion, Version

    pins: dict[str, str] = {}
    seen: set[str] = {name for entry in spec.constraints if (name := entry.name) is not None}
    seen |= spec.excluded
    for entry in spec.requirements:
        name = entry.name
        if name is None:
            continue
        if name in seen:
            pins.pop(name, None)
            continue
        seen.add(name)
        pin = None if entry.marker is not None else exact_pin(entry)
        if pin is None:
            continue
        try:
            pins[name] = str(Version(pin))
        except InvalidVersion:
            continue
    for entry in spec.overrides:
        if entry.name is not None:
            pins.pop(entry.name, None)
    return pins


def configure_indexes(session: Session, spec: RequirementsSpec) -> RegistryClient:
    """The session's registry, configured with ``spec``'s index options; the session's page
    workers, if any, are given the same (merged) settings and ``--refresh``."""
    registry = session.configure(spec_index_settings(spec))
    workers = session.page_workers
    if workers is not None and session.index_settings is not None:
        from pyffin.resolver.page_worker import on_this_machine

        locations = registry.locations
        torch_urls = () if locations.torch is None else locations.torch.urls
        workers.configure(session.index_settings, registry.cached.refresh,
                          local=on_this_machine((*locations.indexes(), *torch_urls,
                                                 *locations.find_links)),
                          torch=locations.torch)
    return registry


def spec_index_settings(spec: RequirementsSpec) -> IndexSettings:
    """The index options the requirements files gave (``-i``, ``--extra-index-url``,
    ``--find-links``, ``--no-index``, ``--trusted-host``)."""
    from pyffin.settings import IndexSettings

    return IndexSettings(
        index_url=spec.index_url,
        extra_index_urls=tuple(spec.extra_index_urls) or None,
        find_links=tuple(spec.find_links) or None,
        no_index=True if spec.no_index else None,
        allow_insecure_host=tuple(spec.trusted_hosts) or None,
    )


def direct_requirements(entries: Sequence[RequirementEntry]) -> list[DirectRequirement]:
    """Named requirements as the resolver takes them, with their origin."""
    from pyffin.resolver import DirectRequirement

    direct: list[DirectRequirement] = []
    for entry in entries:
        if entry.requirement is None:
            where = f" ({entry.location})" if entry.location else ""
            raise UsageError(f"a requirement without a name cannot be used here: "
                             f"{entry.url}{where}")
        direct.append(DirectRequirement(entry.requirement, entry.origin or "-r <command line>"))
    return direct


def upgrade_requests(upgrade_packages: Iterable[str],
                     ) -> tuple[frozenset[str], list[DirectRequirement]]:
    """``--upgrade-package`` values: the names whose pins are ignored, and the bounds some of
    them carry (``six<1.17``), which constrain the upgrade, as uv and pip-tools read them."""
    from pyffin.models.names import checked_name

    names: set[str] = set()
    bounds: list[DirectRequirement] = []
    for text in upgrade_packages:
        try:
            names.add(checked_name(text.strip()))  # the usual case: a bare name
            continue
        except ValueError:
            pass
        from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement
        from pyffin.resolver import DirectRequirement

        try:
            requirement = parse_requirement(text)
        except InvalidRequirement as e:
            raise UsageError(f"invalid --upgrade-package {text!r}: {e}") from None
        if requirement.url:
            raise UsageError(f"invalid --upgrade-package {text!r}: a URL cannot be upgraded")
        names.add(checked_name(requirement.name))
        bounds.append(DirectRequirement(requirement, "--upgrade-package"))
    return frozenset(names), bounds


def check_requires_python(spec: RequirementsSpec, target: Target, *,
                          hint: str = "choose another interpreter with --python, or a version "
                                      "with --python-version") -> None:
    """A source that declares the Python versions it runs on (a PEP 723 script's
    ``requires-python``) must admit the target's."""
    if not spec.requires_python:
        return
    from packaging.specifiers import SpecifierSet

    version = target.markers.get("python_full_version") or target.markers["python_version"]
    for source, specifier in spec.requires_python:
        if not SpecifierSet(specifier).contains(version, prereleases=True):
            raise RequiresPythonError(
                f"{source} requires Python {specifier} (requires-python), but the target is "
                f"{target.description}", hint=hint)


# --------------------------------------------------------------------------------- hashes
def is_hash_mode(spec: RequirementsSpec, *, require_hashes: bool = False,
                 verify_hashes: bool = True) -> bool:
    """Hash-checking mode: asked for (``--require-hashes``, in a file too), or implied by
    any requirement that carries a ``--hash``, as pip does — unless not ``verify_hashes``
    (uv's ``--no-verify-hashes``), which ignores the ``--hash`` values."""
    return require_hashes or spec.require_hashes or (verify_hashes and any(
        entry.hashes for entry in spec.requirements))


def check_hash_mode(spec: RequirementsSpec) -> None:
    """In hash-checking mode every requirement must be pinned with ``==`` and have hashes,
    but a local source tree (``-e ./proj``, ``./proj``), which is no one file to hash: a
    hashed ``compile`` of a project lists it so, and installs as uv installs it."""
    from pyffin.installer.satisfies import exact_pin

    problems = []
    for entry in spec.requirements:
        if _source_tree(entry):
            continue
        shown = entry.requirement or entry.given or entry.url
        if exact_pin(entry) is None:
            problems.append(f"{shown} ({entry.location}) is not pinned with ==")
        elif not entry.hashes:
            problems.append(f"{shown} ({entry.location}) has no --hash")
    if problems:
        raise HashRequirementError(
            "in --require-hashes mode every requirement must be pinned with == and have "
            "hashes:\n" + "\n".join(f"  {p}" for p in problems))


def _source_tree(entry: RequirementEntry) -> bool:
    if entry.url is None or not entry.url.startswith("file:"):
        return False
    from pyffin.models.direct import parse_direct

    try:
        return parse_direct(entry.url, editable=entry.editable).is_directory
    except PyffinError:
        return False


def required_hashes(spec: RequirementsSpec) -> dict[str, tuple[str, ...]]:
    """The ``--hash`` values of each requirement, by name."""
    return {entry.name: tuple(entry.hashes) for entry in spec.requirements
            if entry.name is not None}


# ----------------------------------------------------------------------------- installing
def early_fetch(session: Session, spec: RequirementsSpec, installed: Mapping[str, Version],
                reporter: FetchReporter | None = None) -> EarlyFetch | None:
    """What starts fetching, during an install's resolution, the wheels of the projects its
    requirements and constraints pin with ``==`` (``None``: none are), but not the versions
    ``installed`` (what the install keeps: pass nothing to reinstall); pass it to
    :func:`resolve` and its :attr:`~EarlyFetch.wheels` to :func:`prepare_and_install`. Not
    in hash-checking mode, where every download is checked against the required hashes."""
    from pyffin.distribution.database import EarlyFetch, WheelDatabase
    from pyffin.installer.satisfies import exact_pin
    from pyffin.models.versions import InvalidVersion, Version

    overridden = {entry.name for entry in spec.overrides}
    entries = [entry for entry in (*spec.requirements, *spec.constraints)
               if entry.name not in overridden]
    excluded = spec.excluded
    pins: dict[str, set[Version]] = {}
    for entry in (*entries, *spec.overrides):
        pin = exact_pin(entry)
        if entry.name is None or pin is None or entry.name in excluded:
            continue
        try:
            pins.setdefault(entry.name, set()).add(Version(pin))
        except InvalidVersion:  # the resolver says what is wrong with it
            continue
    if not pins:
        return None
    return EarlyFetch(WheelDatabase(session.cache, session.registry, reporter,
                                    pool=session.pool), pins, installed)


def wanted(resolution: Resolution, *, requested: Collection[str] = ()) -> list[Wanted]:
    """What an environment must contain after installing ``resolution``: each package with the
    distribution it was resolved to and its PEP 610 record; those in ``requested`` get
    ``REQUESTED``."""
    from pyffin.installer.plan import Wanted

    found = []
    for package in resolution:
        dist = package.dist
        if dist is None:
            raise PyffinError(f"the resolution does not say which file of {package.name} "
                              f"{package.version} to install")
        found.append(Wanted(package.name, str(package.version),
                            requested=package.name in requested,
                            direct_url=dist.direct_url(), source=dist))
    return found


def prepare_and_install(
    session: Session,
    plan: InstallPlan,
    *,
    scheme: Scheme,
    python: str,
    sources: SourceDistributions | None,
    link_mode: LinkMode = "hardlink",
    hashes: Mapping[str, tuple[str, ...]] | None = None,
    reporter: FetchReporter | None = None,
    timings: dict[str, float] | None = None,
    target: Target | None = None,
    archives: dict[str, Path] | None = None,
    wheels: WheelDatabase | None = None,
    python_version: tuple[int, ...] | None = None,
) -> int:
    """Carry out ``plan`` in the environment of ``scheme``: fetch or build every wheel to
    install that the cache lacks (in the session's I/O pool, largest first), check every
    wheel before touching the environment, remove what the plan removes, then link. The
    caller holds the environment's lock.

    ``python`` is the interpreter scripts run (their shebang), of ``python_version`` (for
    pip's versioned scripts: see :func:`pyffin.installer.link.prepare_wheel`). ``hashes``
    are the required hashes by name (hash-checking mode). ``reporter`` hears how downloads
    progress, the session's reporter each removal and install; ``timings`` receives the
    seconds spent preparing, uninstalling and installing; ``archives`` (when given) the
    unzipped wheel installed for each name. ``wheels`` holds the fetches started during the
    resolution (see :func:`early_fetch`). Returns how many wheels were fetched or built.
    """
    from pyffin.distribution.database import DistributionDatabase, WheelDatabase
    from pyffin.futures import run_in_threads
    from pyffin.installer import debris
    from pyffin.installer.errors import DamagedArchiveError, InstallError
    from pyffin.installer.link import PreparedWheel, ReplacedFiles, prepare_wheel, warn_replaced

    hashes = hashes or {}
    timings = timings if timings is not None else {}
    archives = archives if archives is not None else {}
    if wheels is None:
        wheels = WheelDatabase(session.cache, session.registry, reporter, pool=session.pool)
    database = DistributionDatabase(wheels, sources)
    started = time.perf_counter()
    pending = []
    # Largest downloads first; builds start alongside them, not after.
    for item in sorted(plan.to_install, key=lambda w: -w.source.size):
        required = hashes.get(item.name, ())
        # A wheel fetched (or built) during the resolution counts as fetched by this install.
        # Asked after the cache: a build that ends between the two questions is still its own
        # (the cache shows a built wheel only once its build is known to this process).
        cached = database.cached(item.source, item.name, required_hashes=required)
        if cached is not None and not database.started(item.source):
            archives[item.name] = cached
        else:
            pending.append((item, database.submit(item.source, item.name,
                                                  required_hashes=required)))
    for item, future in pending:
        archives[item.name] = future.result()
    for item in plan.to_install:  # removed since it was found (`cache clean --force`)?
        if not archives[item.name].is_dir():
            archives[item.name] = database.archive(item.source, item.name,
                                                   required_hashes=hashes.get(item.name, ()))
    timings["prepare"] = time.perf_counter() - started
    if target is not None:
        for item in plan.to_install:
            if not item.source.is_wheel:
                check_built_wheel(archives[item.name], item, target)

    to_install = sorted(plan.to_install, key=lambda w: w.name)

    def prepare(item: Wanted) -> PreparedWheel:
        archive = archives[item.name]
        try:
            return prepare_wheel(archive, scheme, python=python, link_mode=link_mode,
                                 listing=database.listing(archive),
                                 python_version=python_version)
        except DamagedArchiveError:
            # A file of the unzipped wheel was deleted from the cache: fetched and unzipped
            # again (the fetch checks every file of the archive, and says what it found).
            archives[item.name] = database.archive(
                item.source, item.name, required_hashes=hashes.get(item.name, ()))
            return prepare_wheel(archives[item.name], scheme, python=python,
                                 link_mode=link_mode, python_version=python_version)

    # Every wheel is checked before the environment is touched: a refused one (a script
    # named python, say) leaves the environment as it was, old versions included.
    prepared = dict(zip([w.name for w in to_install],
                        run_in_threads(prepare, to_install, workers=INSTALL_THREADS),
                        strict=True))
    # And every removal: one refused (a distutils install) leaves the others in place, not
    # removed with nothing installed instead.
    removals = []
    if plan.to_remove:
        import pyffin.installer.uninstall as uninstalling  # (none: not imported)

        removals = uninstalling.plan_uninstall(plan.to_remove, scheme)
    debris.sweep(scheme)  # the scripts directory's and the prefix's too
    started = time.perf_counter()
    announce = session.reporter
    for dist, remove in zip(plan.to_remove, removals, strict=True):
        remove()
        if announce is not None:
            announce.on_uninstall(dist.normalized_name, dist.version)
    timings["uninstall"] = time.perf_counter() - started
    started = time.perf_counter()
    replaced: list[ReplacedFiles] = []

    def install(item: Wanted) -> object:
        archive = archives[item.name]
        try:
            installed = prepared[item.name].install(requested=item.requested,
                                                    direct_url=item.direct_url,
                                                    replaced=replaced)
        except InstallError as e:
            if archive.is_dir():
                raise
            from pyffin.cache.core import CacheChangedError

            raise CacheChangedError(
                f"the unzipped wheel of {item.name} {item.version} vanished from the "
                f"cache while it was being installed ({archive})",
                hint="was `pyffin cache clean --force` run meanwhile? Run the command "
                     "again: it finishes the install") from e
        if announce is not None:
            announce.on_install(item.name, item.version)
        return installed

    # Linking is mostly mkdir and link calls, which release the GIL: wheels go in side by
    # side. When two wheels ship the same file, which copy stays is not defined (as with
    # uv); the one that came second warns, once every RECORD is in place.
    try:
        run_in_threads(install, to_install, workers=INSTALL_THREADS)
    finally:
        warn_replaced(scheme, replaced)
    timings["install"] = time.perf_counter() - started
    return len(pending)


class IncompatibleWheelError(PyffinError):
    """A wheel built from source does not fit the target (another Python or platform)."""


def check_built_wheel(archive: Path, item: Wanted, target: Target) -> None:
    """Refuse the unzipped wheel ``archive`` built for ``item`` when none of its tags (its
    ``WHEEL`` file's) is one of the target's, as uv does: an interpreter of the target's Python
    on the target's platform is needed to build it, unless it builds a pure-Python wheel."""
    tags: list[str] = []
    for info in archive.glob("*.dist-info/WHEEL"):
        tags += [line.partition(":")[2].strip() for line in
                 info.read_text("utf-8", "replace").splitlines()
                 if line.lower().startswith("tag:")]
    accepted = set(target.tags)
    if any(tag in accepted for tag in tags):
        return
    raise IncompatibleWheelError(
        f"the wheel built from {item.name} {item.version} (tags: {', '.join(tags) or 'none'}) "
        f"does not fit the target, {target.description}",
        hint="building it needs an interpreter of the target's Python on its platform; "
             "--only-binary :all: installs wheels only")


def launcher_python(python: str, *, prefix: str | os.PathLike[str],
                    scripts: str | os.PathLike[str], is_venv: bool) -> str:
    """The interpreter path scripts are written to run: ``python`` itself, or — in a
    relocatable virtual environment — its path relative to the scripts directory."""
    if is_venv:
        from pyffin.venv.config import is_relocatable

        if is_relocatable(prefix):  # scripts run the interpreter beside them
            return os.path.relpath(python, scripts)
    return python


# ---------------------------------------------------------------------- saving files
@record
class SavedFile:
    """One distribution's file in the directory :func:`save_distributions` filled."""

    name: str
    version: str
    #: The file in that directory; ``None``: nothing to save (a local project directory).
    path: Path | None
    #: ``saved`` (written), ``kept`` (the same file was there already), ``replaced`` (a
    #: different file of that name was there) or ``none`` (no file, see :attr:`path`).
    status: str
    #: Built from a source distribution or project (``pyffin pip wheel``).
    built: bool = False
    size: int = 0
    sha256: str = ""


def save_distributions(
    session: Session,
    resolution: Resolution,
    dest: Path,
    *,
    sources: SourceDistributions | None,
    build_wheels: bool = False,
    hashes: Mapping[str, tuple[str, ...]] | None = None,
    reporter: FetchReporter | None = None,
) -> list[SavedFile]:
    """Put the file of every package of ``resolution`` into ``dest`` (made if missing): the
    wheel or sdist it was resolved to (``pyffin pip download``) or, with ``build_wheels``, a
    wheel — built from source when it has none (``pyffin pip wheel``).

    Files come from the cache when it has them (see :mod:`pyffin.distribution.files`) and are
    checked as an install checks them: against the index's hash and, in hash-checking mode,
    the required ``hashes`` by name (of the sdist, for a wheel built from one). A file of the
    same name already in ``dest`` is kept when it is the same file, and replaced (atomically)
    otherwise. Returns what was done, by name.
    """
    from pyffin.client import hashes as _hashes
    from pyffin.distribution.files import DistributionFiles
    from pyffin.futures import run_in_threads

    required_by_name = hashes or {}
    files = DistributionFiles(session.cache, session.registry, sources, reporter)
    dest.mkdir(parents=True, exist_ok=True)

    def save(package: ResolvedPackage) -> SavedFile:
        dist = package.dist
        name, version = package.name, str(package.version)
        if dist is None:
            raise PyffinError(f"the resolution does not say which file of {name} {version} "
                              "to save")
        required = required_by_name.get(name, ())
        if build_wheels and not dist.is_wheel:
            if required:  # the source is what the hashes are of
                archive = files.path(dist)
                if archive is None:
                    raise HashRequirementError(
                        f"cannot check the hashes of {dist.label}: it is a directory")
                _checked_digest(archive, dist.hashes, required, what=dist.label)
            wheel = _built_wheel(sources, dist)
            sha256 = _checked_digest(wheel, (), (), what=wheel.name)
            return _place(wheel, dest / wheel.name, sha256, name, version, built=True)
        if dist.direct is not None and dist.direct.kind == "git":
            with session.cache.temp_dir() as tmp:  # a zip of the checkout, as pip saves it
                archive = files.git_archive(dist.direct, dist.commit, name, version, tmp)
                sha256 = _checked_digest(archive, (), required, what=archive.name)
                return _place(archive, dest / archive.name, sha256, name, version)
        filename = dist.label if dist.direct is None else dist.direct.filename
        expected = _hashes.verifiable(dist.hashes)
        target = dest / filename
        if (expected or required) and target.is_file() and not target.is_symlink():
            try:
                sha256 = _checked_digest(target, expected, required, what=filename)
            except (OSError, PyffinError):
                pass  # not that file: fetched and replaced below
            else:
                return SavedFile(name, version, target, "kept", size=target.stat().st_size,
                                 sha256=sha256)
        source = files.path(dist)
        if source is None:
            return SavedFile(name, version, None, "none")
        sha256 = _checked_digest(source, expected, required, what=filename)
        return _place(source, target, sha256, name, version)

    packages = sorted(resolution, key=lambda p: p.name)
    return run_in_threads(save, packages, workers=SAVE_THREADS)


#: Files fetched or copied at once by :func:`save_distributions`.
SAVE_THREADS = 8


def _checked_digest(path: Path, expected: Iterable[tuple[str, str]], required: Sequence[str],
                    *, what: str) -> str:
    """The sha256 of the file at ``path``, checked against ``expected`` (the index's hashes)
    and ``required`` (the user's)."""
    from pyffin.client import hashes as _hashes
    from pyffin.models.urls import redact

    expected = list(expected)
    actual = _hashes.read_file(path, _hashes.algorithms(expected, required) | {"sha256"})
    _hashes.check(actual, expected, required, what=what,
                  url=redact(path.absolute().as_uri()))
    return actual["sha256"]


def _built_wheel(sources: SourceDistributions | None, dist: Distribution) -> Path:
    """The wheel built (or built before, in the cache) from a source distribution."""
    from pyffin.errors import NotSupportedError

    if sources is None:
        raise NotSupportedError(f"building {dist.label} is not supported here")
    if dist.direct is not None:
        if dist.direct.editable:
            raise UsageError(f"an editable requirement cannot be built into a wheel file: "
                             f"{dist.direct.url}")
        return sources.direct_wheel(dist.direct)
    assert dist.page is not None and dist.file is not None
    return sources.registry_wheel(dist.page, dist.file)


def _place(source: Path, target: Path, sha256: str, name: str, version: str, *,
           built: bool = False) -> SavedFile:
    """Copy ``source`` (whose sha256 is given) to ``target``, atomically: kept as it is when
    ``target`` is already that file."""
    import shutil

    from pyffin.client import hashes as _hashes

    status = "saved"
    if os.path.lexists(target):
        if target.is_dir() and not target.is_symlink():
            raise PyffinError(f"cannot save {source.name}: {target} is a directory")
        try:
            same = _hashes.read_file(target, ("sha256",))["sha256"] == sha256
        except OSError:
            same = False
        if same:
            return SavedFile(name, version, target, "kept", built=built,
                             size=target.stat().st_size, sha256=sha256)
        status = "replaced"
    tmp = target.with_name(f".{target.name}.tmp-{os.urandom(8).hex()}")
    from pyffin.interrupt import temporary

    try:
        with temporary(tmp):
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return SavedFile(name, version, target, status, built=built,
                     size=target.stat().st_size, sha256=sha256)
