"""``pyffin.install``, ``pyffin.sync``, ``pyffin.uninstall``: change an environment.

An operation finds the environment, reads the requirements, and — when the environment
already satisfies them — stops there, without network and without resolving. Otherwise it
resolves (``sync``: each requirement alone, as pip-sync and uv do; ``install``: with
dependencies, preferring what is installed), plans, fetches what the cache lacks (in parallel),
and changes the environment under its lock: removals first, then links.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pyffin import log
from pyffin.errors import PyffinError, UsageError
from pyffin.models.names import checked_name
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.api.building import BuildOptions, LazySources
    from pyffin.api.exclude_newer import ExcludeNewer
    from pyffin.api.session import Session
    from pyffin.cache import Cache, FileLock
    from pyffin.installer.installed import InstalledDistribution, InstalledState
    from pyffin.installer.link import LinkMode
    from pyffin.installer.plan import InstallPlan, Wanted
    from pyffin.interpreter import Interpreter
    from pyffin.models.metadata import CoreMetadata
    from pyffin.reporting import Reporter
    from pyffin.requirements import GroupSelection, RequirementEntry, RequirementsSpec
    from pyffin.resolver.index_source import IndexSource
    from pyffin.resolver.options import PrereleaseMode, ResolutionMode

#: Wheels linked at once: enough to keep the file system busy, few enough that the Python
#: parts of each install do not just queue for the GIL.
_INSTALL_THREADS = 4


class HashRequirementError(PyffinError):
    """``--require-hashes`` (hash-checking mode) cannot be satisfied by the requirements."""


class EmptyRequirementsError(UsageError):
    """``sync`` was given no requirement at all: it would empty the environment, which needs
    ``allow_empty``."""


class InstallResult:
    """What an install, sync or uninstall did (or, with ``dry_run``, would do)."""

    __slots__ = ("audited", "dry_run", "environment", "installed", "metadata", "planned",
                 "prepared", "removed", "requested_extras", "resolved", "sources", "timings")

    def __init__(self, environment: Interpreter, *, dry_run: bool = False) -> None:
        self.environment = environment
        #: ``(name, version)`` pairs, sorted.
        self.installed: list[tuple[str, str]] = []
        self.removed: list[tuple[str, str]] = []
        #: Packages checked and found satisfying (no change needed).
        self.audited = 0
        self.resolved: int | None = None
        #: Wheels fetched into the cache (downloaded and unzipped, or built).
        self.prepared = 0
        self.dry_run = dry_run
        self.timings: dict[str, float] = {}
        #: What was (or would be) installed, with the file each comes from: for reports.
        self.planned: tuple[Wanted, ...] = ()
        #: The extras the user asked for, by normalized name (pip's report lists them).
        self.requested_extras: dict[str, tuple[str, ...]] = {}
        #: The core metadata the resolver read for a planned distribution (``None``: no
        #: resolution took place).
        self.metadata: Callable[[Wanted], CoreMetadata] | None = None
        #: The requirement files read, nested ones included (``-``: standard input).
        self.sources: tuple[str, ...] = ()


@record
class ResolveOptions:
    """How versions are chosen (the resolver's flags)."""

    resolution: ResolutionMode = "highest"
    prerelease: PrereleaseMode | None = None
    exclude_newer: str | None = None
    #: ``NAME=DATE`` values of ``--exclude-newer-package``.
    exclude_newer_packages: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    no_build: bool = False


@record
class ChangeOptions:
    """How the environment is changed."""

    reinstall: bool = False
    reinstall_packages: tuple[str, ...] = ()
    link_mode: LinkMode = "hardlink"
    compile_bytecode: bool = False
    dry_run: bool = False
    require_hashes: bool = False


DEFAULT_RESOLVE = ResolveOptions()
DEFAULT_CHANGE = ChangeOptions()


# --------------------------------------------------------------------------------- public
def install(
    sources: Sequence[str | Path] = (),
    *,
    requirements: Sequence[str] = (),
    editables: Sequence[str] = (),
    constraints: Sequence[str | Path] = (),
    overrides: Sequence[str | Path] = (),
    extras: Sequence[str] = (),
    all_extras: bool = False,
    groups: Sequence[str] = (),
    only_groups: Sequence[str] = (),
    all_groups: bool = False,
    no_groups: Sequence[str] = (),
    session: Session | None = None,
    python: str | None = None,
    system: bool = False,
    break_system_packages: bool = False,
    upgrade: bool = False,
    upgrade_packages: Iterable[str] = (),
    no_deps: bool = False,
    resolve_options: ResolveOptions = DEFAULT_RESOLVE,
    change: ChangeOptions = DEFAULT_CHANGE,
    build: BuildOptions | None = None,
    reporter: Reporter | None = None,
    stdin: TextIO | None = None,
) -> InstallResult:
    """Install requirements (files, ``requirements`` strings, dependency groups) and their
    dependencies. Sources are read as :func:`pyffin.compile` reads them."""
    from pyffin.requirements import GroupSelection

    return _Operation(session, python, system, break_system_packages, change, reporter,
                      build).run(
        sources=sources, requirements=requirements, editables=editables,
        constraints=constraints, overrides=overrides, extras=extras, all_extras=all_extras,
        groups=GroupSelection(tuple(groups), tuple(only_groups), all_groups, tuple(no_groups)),
        sync=False, upgrade=upgrade, upgrade_packages=tuple(upgrade_packages), no_deps=no_deps,
        resolve_options=resolve_options, stdin=stdin)


def sync(
    sources: Sequence[str | Path] = (),
    *,
    constraints: Sequence[str | Path] = (),
    groups: Sequence[str] = (),
    only_groups: Sequence[str] = (),
    all_groups: bool = False,
    no_groups: Sequence[str] = (),
    session: Session | None = None,
    python: str | None = None,
    system: bool = False,
    break_system_packages: bool = False,
    resolve_options: ResolveOptions = DEFAULT_RESOLVE,
    change: ChangeOptions = DEFAULT_CHANGE,
    build: BuildOptions | None = None,
    reporter: Reporter | None = None,
    stdin: TextIO | None = None,
    allow_empty: bool = False,
) -> InstallResult:
    """Make the environment contain exactly the given requirements (no dependencies are
    added; everything else is removed). Sources without any requirement raise
    :class:`EmptyRequirementsError` unless ``allow_empty``: then everything is removed."""
    from pyffin.requirements import GroupSelection

    return _Operation(session, python, system, break_system_packages, change, reporter,
                      build).run(
        sources=sources, constraints=constraints, sync=True, no_deps=True,
        groups=GroupSelection(tuple(groups), tuple(only_groups), all_groups, tuple(no_groups)),
        resolve_options=resolve_options, stdin=stdin, allow_empty=allow_empty)


def uninstall(
    packages: Sequence[str] = (),
    *,
    sources: Sequence[str | Path] = (),
    session: Session | None = None,
    python: str | None = None,
    system: bool = False,
    break_system_packages: bool = False,
    dry_run: bool = False,
) -> InstallResult:
    """Remove packages (names, or the requirements of files) from the environment; names that
    are not installed are skipped with a warning."""
    from pyffin.installer import debris as leftovers
    from pyffin.installer.installed import scan
    from pyffin.installer.uninstall import uninstall as remove
    from pyffin.requirements import read_requirements

    started = time.perf_counter()
    operation = _Operation(session, python, system, break_system_packages,
                           ChangeOptions(dry_run=dry_run), None)
    env = operation.environment()
    spec = read_requirements([str(s) for s in sources], requirements=packages)
    names = [entry.name for entry in spec.requirements]
    if any(name is None for name in names):
        raise UsageError("uninstall needs package names, not URLs or paths")
    with operation.locked(env):
        debris: list[str] = []
        installed = {d.normalized_name: d
                     for d in scan([Path(p) for p in env.site_packages], debris=debris)}
        doomed: list[InstalledDistribution] = []
        for name in dict.fromkeys(n for n in names if n is not None):
            dist = installed.get(name)
            if dist is None:
                log.warn(f"Skipping {name} as it is not installed")
            else:
                doomed.append(dist)
        result = InstallResult(env, dry_run=dry_run)
        result.removed = sorted((d.normalized_name, d.version) for d in doomed)
        if not dry_run:
            leftovers.remove(debris)
            for dist in doomed:
                remove(dist, env.scheme)
    result.timings["uninstall"] = time.perf_counter() - started
    return result


# ------------------------------------------------------------------------------ internals
class _Operation:
    def __init__(self, session: Session | None, python: str | None, system: bool,
                 break_system_packages: bool, change: ChangeOptions,
                 reporter: Reporter | None, build: BuildOptions | None = None) -> None:
        from pyffin.api.session import Session

        self.session = session or Session()
        if reporter is not None and self.session.reporter is None:
            self.session.reporter = reporter  # hears the resolution and builds too
        self.build = build
        self.python = python
        self.system = system
        self.break_system_packages = break_system_packages
        self.change = change
        self.reporter = reporter
        self.sources: LazySources | None = None
        self._requested_extras: dict[str, tuple[str, ...]] = {}

    def lazy_sources(self, env: Interpreter) -> LazySources:
        """The operation's source distributions (made on first use)."""
        if self.sources is None:
            from pyffin.api.building import LazySources

            self.sources = LazySources(self.session, env, self.build,
                                       reinstall=self.change.reinstall,
                                       reinstall_packages=self.change.reinstall_packages)
        return self.sources

    def environment(self) -> Interpreter:
        from pyffin.interpreter import find_environment

        return find_environment(self.python, system=self.system,
                                break_system_packages=self.break_system_packages,
                                cache=self.session.cache, announce=self._announce)

    def _announce(self, env: Interpreter) -> None:
        """Say which environment is changed, as uv does: not for ``./.venv`` (the default)
        or an environment inside the cache (a build's)."""
        root = Path(os.path.abspath(env.prefix))
        try:
            cwd: Path | None = Path(os.getcwd())
        except OSError:  # the working directory was removed
            cwd = None
        if (cwd is not None and root == cwd / ".venv") or root.is_relative_to(
                self.session.cache.root):
            return
        shown = root.relative_to(cwd) if cwd is not None and root.is_relative_to(cwd) else root
        log.info(f"Using Python {env.version_str} environment at: {shown}")

    @contextmanager
    def locked(self, env: Interpreter) -> Iterator[None]:
        """Hold the environment's lock for the whole operation, from reading what is installed
        to the last change (as uv): a plan made without it could remove what another process
        removed or reinstalled meanwhile. A dry run changes nothing and takes no lock."""
        if self.change.dry_run:
            yield
            return
        with environment_lock(env, self.session.cache):
            yield

    def run(self, *, sources: Sequence[str | Path], constraints: Sequence[str | Path],
            sync: bool, no_deps: bool, resolve_options: ResolveOptions,
            stdin: TextIO | None, requirements: Sequence[str] = (),
            editables: Sequence[str] = (), overrides: Sequence[str | Path] = (),
            extras: Sequence[str] = (), all_extras: bool = False,
            groups: GroupSelection | None = None, upgrade: bool = False,
            upgrade_packages: tuple[str, ...] = (), allow_empty: bool = False) -> InstallResult:
        from pyffin.requirements import read_requirements

        started = time.perf_counter()
        cutoffs = None
        if resolve_options.exclude_newer or resolve_options.exclude_newer_packages:
            from pyffin.api.exclude_newer import parse_exclude_newer

            cutoffs = parse_exclude_newer(resolve_options.exclude_newer,
                                          resolve_options.exclude_newer_packages)
        # As uv: the requirements are read before the environment is looked for (and
        # announced); only a project read through its build backend needs it sooner.
        found: list[Interpreter] = []

        def environment() -> Interpreter:
            if not found:
                found.append(self.environment())
            return found[0]

        spec = read_requirements(
            [str(s) for s in sources], requirements=requirements, editables=editables,
            constraints=[str(c) for c in constraints], overrides=[str(o) for o in overrides],
            extras=extras, all_extras=all_extras, groups=groups, stdin=stdin,
            build_project=lambda path, spec: self.lazy_sources(environment()).project_metadata(
                path, spec))
        if not spec.requirements and sync:
            for path in sources:
                log.warn(f"Requirements file `{path}` does not contain any dependencies")
            if not allow_empty:
                raise EmptyRequirementsError(
                    "no requirements found", hint="use --allow-empty-requirements to clear the "
                    "environment")
        elif not spec.requirements:
            raise UsageError("no requirements given: pass package names or requirements files")
        env = environment()
        if spec.requires_python:
            from pyffin.api.resolving import check_requires_python
            from pyffin.api.target import make_target

            check_requires_python(spec, make_target(env), hint="choose an environment whose "
                                  "Python it admits with --python")
        with self.locked(env):
            return self._run_locked(
                env, spec, started, sync=sync, no_deps=no_deps, resolve_options=resolve_options,
                upgrade=upgrade, upgrade_packages=upgrade_packages, cutoffs=cutoffs)

    def _run_locked(self, env: Interpreter, spec: RequirementsSpec, started: float, *,
                    sync: bool, no_deps: bool, resolve_options: ResolveOptions, upgrade: bool,
                    upgrade_packages: tuple[str, ...], cutoffs: ExcludeNewer | None
                    ) -> InstallResult:
        from pyffin.installer import debris as leftovers
        from pyffin.installer.installed import InstalledState

        hash_mode = self.change.require_hashes or spec.require_hashes or any(
            entry.hashes for entry in spec.requirements)
        debris: list[str] = []
        state = InstalledState([Path(p) for p in env.site_packages], self.session.cache,
                               debris=debris)
        installed = state.distributions
        if debris and not self.change.dry_run:
            leftovers.remove(debris)  # killed installs' (we hold the lock): even on a no-op
        result = InstallResult(env, dry_run=self.change.dry_run)
        result.sources = spec.sources

        if not (upgrade or upgrade_packages or self.change.reinstall
                or self.change.reinstall_packages) and not spec.overrides:
            audited = (_already_synced(spec, state, env) if sync
                       else _already_installed(spec, state, env))
            state.save()
            if audited is not None:
                result.audited = audited
                result.timings["audit"] = time.perf_counter() - started
                return result

        wanted, source = self._resolve(spec, env, installed, resolve_options, no_deps=no_deps,
                                       upgrade=upgrade, upgrade_packages=upgrade_packages,
                                       hash_mode=hash_mode, cutoffs=cutoffs)
        result.resolved = len(wanted)
        result.timings["resolve"] = time.perf_counter() - started
        from pyffin.installer.plan import make_plan

        plan = make_plan(wanted, installed, sync=sync, reinstall=self.change.reinstall,
                         reinstall_packages={checked_name(n) for n in
                                             self.change.reinstall_packages})
        result.installed = sorted((w.name, w.version) for w in plan.to_install)
        result.planned = plan.to_install
        result.requested_extras = self._requested_extras
        result.metadata = lambda wanted: _planned_metadata(source, wanted)
        result.removed = sorted((d.normalized_name, d.version) for d in plan.to_remove)
        result.audited = len(plan.kept)
        if self.change.dry_run or plan.is_noop:
            return result
        hashes = _required_hashes(spec) if hash_mode else {}
        self._apply(plan, env, source, result, hashes)
        return result

    def _resolve(self, spec: RequirementsSpec, env: Interpreter,
                 installed: Sequence[InstalledDistribution], options: ResolveOptions, *,
                 no_deps: bool, upgrade: bool, upgrade_packages: tuple[str, ...],
                 hash_mode: bool, cutoffs: ExcludeNewer | None
                 ) -> tuple[list[Wanted], IndexSource]:
        from packaging.version import InvalidVersion, Version

        from pyffin.api.building import name_entries
        from pyffin.api.resolving import (
            direct_requirements,
            index_source,
            spec_index_settings,
            upgrade_requests,
        )
        from pyffin.installer.plan import Wanted
        from pyffin.resolver import ResolverOptions, resolve

        if hash_mode:
            _check_hash_mode(spec)
        self.session.registry(spec_index_settings(spec))
        builds = self.lazy_sources(env).get()
        assert builds is not None  # an environment has an interpreter
        entries = name_entries(spec.requirements, builds)
        self._requested_extras = {
            entry.name: tuple(sorted(entry.extras)) for entry in entries
            if entry.name is not None and entry.extras}
        source = index_source(self.session, spec, env.tags, no_binary=options.no_binary,
                              only_binary=options.only_binary, no_build=options.no_build,
                              exclude_newer=cutoffs, no_deps=no_deps,
                              sources=builds,
                              editables=[e.url for e in entries if e.editable and e.url])
        preferences: dict[str, Version] = {}
        if not upgrade:
            for dist in installed:
                try:
                    preferences[dist.normalized_name] = Version(dist.version)
                except InvalidVersion:
                    continue
        upgrade_names, upgrade_bounds = upgrade_requests(upgrade_packages)
        resolver_options = ResolverOptions(
            resolution=options.resolution,
            prerelease=options.prerelease or ("allow" if spec.pre else
                                              "if-necessary-or-explicit"),
            upgrade=upgrade, upgrade_packages=upgrade_names)
        resolution = resolve(direct_requirements(entries), source, env.markers,
                             resolver_options,
                             constraints=direct_requirements(spec.constraints) + upgrade_bounds,
                             overrides=direct_requirements(spec.overrides),
                             preferences=preferences)
        direct = {entry.name for entry in entries}
        if hash_mode:
            missing = sorted(p.name for p in resolution if p.name not in direct)
            if missing:
                raise HashRequirementError(
                    "in --require-hashes mode every package must be listed with its hashes; "
                    f"these dependencies are not: {', '.join(missing)}")
        wanted: list[Wanted] = []
        for package in resolution:
            best = source.files(package.name, package.version).best
            direct_url = None
            if best.direct is not None:
                commit = (builds.git_commit(best.direct) if best.direct.git is not None
                          else None)
                direct_url = best.direct.direct_url(commit=commit,
                                                    sha256=dict(best.direct.hashes).get("sha256"))
            wanted.append(Wanted(package.name, str(package.version),
                                 requested=package.name in direct, direct_url=direct_url,
                                 source=best))
        return wanted, source

    def _apply(self, plan: InstallPlan, env: Interpreter, source: IndexSource,
               result: InstallResult, hashes: Mapping[str, tuple[str, ...]]) -> None:
        from pyffin.distribution.database import DistributionDatabase, WheelDatabase
        from pyffin.futures import run_in_threads
        from pyffin.installer import debris
        from pyffin.installer.errors import InstallError
        from pyffin.installer.link import PreparedWheel, ReplacedFiles, prepare_wheel, warn_replaced
        from pyffin.installer.uninstall import uninstall as remove

        database = DistributionDatabase(
            WheelDatabase(self.session.cache, source.registry, self.reporter), source.sources)
        started = time.perf_counter()
        archives: dict[str, Path] = {}
        pending = []
        # Largest downloads first; builds start alongside them, not after.
        for item in sorted(plan.to_install, key=lambda w: -w.source.size):
            required = hashes.get(item.name, ())
            cached = database.cached(item.source)
            if cached is not None and not required:
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
        result.prepared = len(pending)
        result.timings["prepare"] = time.perf_counter() - started

        python = os.fspath(env.sys_executable)
        launcher_python = python
        if env.is_venv:
            from pyffin.venv import is_relocatable

            if is_relocatable(env.prefix):  # scripts run the interpreter beside them
                launcher_python = os.path.relpath(python, env.scheme.scripts)
        to_install = sorted(plan.to_install, key=lambda w: w.name)

        def prepare(item: Wanted) -> PreparedWheel:
            return prepare_wheel(archives[item.name], env.scheme, python=launcher_python,
                                 link_mode=self.change.link_mode)

        # Every wheel is checked before the environment is touched: a refused one (a script
        # named python, say) leaves the environment as it was, old versions included.
        prepared = dict(zip([w.name for w in to_install],
                            run_in_threads(prepare, to_install, workers=_INSTALL_THREADS),
                            strict=True))
        debris.sweep(env.scheme)  # the scripts directory's and the prefix's too
        started = time.perf_counter()
        for dist in plan.to_remove:
            remove(dist, env.scheme)
        result.timings["uninstall"] = time.perf_counter() - started
        started = time.perf_counter()
        replaced: list[ReplacedFiles] = []

        def install(item: Wanted) -> object:
            archive = archives[item.name]
            try:
                return prepared[item.name].install(requested=item.requested,
                                                   direct_url=item.direct_url, replaced=replaced)
            except InstallError as e:
                if archive.is_dir():
                    raise
                from pyffin.cache.core import CacheChangedError

                raise CacheChangedError(
                    f"the unzipped wheel of {item.name} {item.version} vanished from the "
                    f"cache while it was being installed ({archive})",
                    hint="was `pyffin cache clean --force` run meanwhile? Run the command "
                         "again: it finishes the install") from e

        # Linking is mostly mkdir and link calls, which release the GIL: wheels go in side by
        # side. When two wheels ship the same file, which copy stays is not defined (as with
        # uv); the one that came second warns, once every RECORD is in place.
        try:
            run_in_threads(install, to_install, workers=_INSTALL_THREADS)
        finally:
            warn_replaced(env.scheme, replaced)
        result.timings["install"] = time.perf_counter() - started
        if self.change.compile_bytecode:
            from pyffin.installer.bytecode import compile_bytecode

            started = time.perf_counter()
            compile_bytecode([Path(p) for p in dict.fromkeys(
                (env.scheme.purelib, env.scheme.platlib))], python)
            result.timings["bytecode"] = time.perf_counter() - started


def environment_lock(env: Interpreter, cache: Cache) -> FileLock:
    """The lock of the environment ``env`` (not yet taken): ``.lock`` in a virtual
    environment's root — the file uv locks, so the two tools never change one environment at
    once — else, for a system interpreter or an environment we cannot write to, a lock in the
    cache keyed by the environment's real path."""
    from pyffin.cache import CacheBucket, FileLock, digest

    what = f"the environment at {env.prefix}"
    if env.is_venv and os.access(env.prefix, os.W_OK):
        return FileLock(Path(env.prefix) / ".lock", what)
    key = digest(os.path.realpath(env.prefix))
    if cache.temporary:
        # --no-cache: a per-process cache would exclude no one; the temporary directory is
        # shared (the lock file is opened without following links).
        temp = os.environ.get("TMPDIR") or os.environ.get("TEMP") or os.environ.get("TMP") \
            or "/tmp"
        return FileLock(Path(temp) / f"pyffin-env-{key}.lock", what)
    return FileLock(cache.entry(CacheBucket.INTERPRETER, f"{key}.lock").path, what)


def _planned_metadata(source: IndexSource, wanted: Wanted) -> CoreMetadata:
    from packaging.version import Version

    from pyffin.models.names import normalize_name

    return source.metadata(normalize_name(wanted.name), Version(wanted.version))


# ------------------------------------------------------------------------------ fast paths
def _already_synced(spec: RequirementsSpec, state: InstalledState,
                    env: Interpreter) -> int | None:
    """For ``sync``: the number of packages when the environment is exactly the pinned
    requirements (no network, no resolution), else ``None``."""
    installed = state.distributions
    wanted: dict[str, str] = {}
    environment = {**env.markers, "extra": ""}
    for entry in spec.requirements:
        pin = _exact_pin(entry)
        if pin is None or entry.hashes:
            return None
        if entry.marker is not None:
            try:
                if not entry.marker.evaluate(environment):
                    continue
            except ValueError:
                return None  # a comparison PEP 508 leaves undefined: let the resolver say
        assert entry.name is not None
        wanted[entry.name] = pin
    if len(installed) != len(wanted) or not _pins_meet_constraints(wanted, spec, env):
        return None
    from pyffin.models.wheel import versions_equal

    for dist in installed:
        pin = wanted.get(dist.normalized_name)
        if pin is None or dist.kind == "egg-link" or not versions_equal(dist.version, pin) \
                or state.has_direct_url(dist):
            return None
    return len(installed)


def _pins_meet_constraints(wanted: Mapping[str, str], spec: RequirementsSpec,
                           env: Interpreter) -> bool:
    """Whether every pin satisfies the constraints (a ``pip.conf`` may give some to every
    command), judged without resolving; anything unclear is ``False``."""
    environment = None
    for entry in spec.constraints:
        requirement = entry.requirement
        if requirement is None or requirement.url is not None:
            return False
        pin = wanted.get(entry.name or "")
        if pin is None:
            continue  # a constraint on another package adds nothing
        if requirement.marker is not None:
            environment = environment or {**env.markers, "extra": ""}
            try:
                if not requirement.marker.evaluate(environment):
                    continue
            except ValueError:
                return False
        if not requirement.specifier.admits(pin):
            return False
    return True


def _exact_pin(entry: RequirementEntry) -> str | None:
    requirement = entry.requirement
    if requirement is None or entry.url is not None or entry.editable:
        return None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
        return None
    return specifiers[0].version


def _already_installed(spec: RequirementsSpec, state: InstalledState,
                       env: Interpreter) -> int | None:
    """For ``install``: the number of packages checked when the installed distributions
    satisfy every requirement and, by their own metadata, every dependency; else ``None``.

    Read with :mod:`pyffin.requirements.pep508` alone: importing the resolver would cost a
    no-op more than the check itself."""
    from pyffin.models.names import normalize_name
    from pyffin.requirements.pep508 import InvalidMarker, InvalidRequirement, Requirement
    from pyffin.requirements.pep508 import parse_requirement as parse

    by_name = {d.normalized_name: d for d in state.distributions}
    environment = dict(env.markers)
    constraints: dict[str, list[Requirement]] = {}
    for entry in spec.constraints:
        if entry.requirement is not None and entry.name is not None:
            constraints.setdefault(entry.name, []).append(entry.requirement)
    todo: list[tuple[str, str]] = [(str(e.requirement), "") for e in spec.requirements]
    seen: set[tuple[str, str]] = set()
    parsed: dict[str, Requirement] = {}
    markers: dict[tuple[str, str], bool] = {}
    checked: dict[str, str] = {}  # name -> installed version, once it passed every check
    try:
        while todo:
            item = todo.pop()
            if item in seen:
                continue
            seen.add(item)
            text, extra = item
            requirement = parsed.get(text)
            if requirement is None:
                requirement = parsed[text] = parse(text)
            if requirement.marker is not None:
                key = (requirement.marker.text, extra)
                holds = markers.get(key)
                if holds is None:
                    environment["extra"] = extra
                    holds = markers[key] = requirement.marker.evaluate(environment)
                if not holds:
                    continue
            if requirement.url is not None:
                return None
            name = normalize_name(requirement.name)
            version = checked.get(name)
            new = version is None
            if new:
                dist = by_name.get(name)
                if dist is None or dist.kind == "egg-link" or state.has_direct_url(dist):
                    return None
                version = dist.version
                for constraint in constraints.get(name, ()):
                    if constraint.url is not None or \
                            constraint.specifier.admits(version) is not True:
                        return None
            assert version is not None
            if requirement.specifier.admits(version) is not True:
                return None
            extras = sorted({normalize_name(e) for e in requirement.extras})
            if new or extras:
                checked[name] = version
                requires = state.requires_dist(by_name[name])
                for extra_name in ("", *extras) if new else extras:
                    todo.extend((r, extra_name) for r in requires)
    except (InvalidRequirement, InvalidMarker, PyffinError, ValueError):
        return None  # anything unclear: let the resolver decide
    return len(checked)


# --------------------------------------------------------------------------------- hashes
def _check_hash_mode(spec: RequirementsSpec) -> None:
    problems = []
    for entry in spec.requirements:
        if _exact_pin(entry) is None:
            problems.append(f"{entry.requirement} ({entry.location}) is not pinned with ==")
        elif not entry.hashes:
            problems.append(f"{entry.requirement} ({entry.location}) has no --hash")
    if problems:
        raise HashRequirementError(
            "in --require-hashes mode every requirement must be pinned with == and have "
            "hashes:\n" + "\n".join(f"  {p}" for p in problems))


def _required_hashes(spec: RequirementsSpec) -> dict[str, tuple[str, ...]]:
    return {entry.name: tuple(entry.hashes) for entry in spec.requirements
            if entry.name is not None}
