"""``pyffin.install``, ``pyffin.sync``, ``pyffin.uninstall``: change an environment.

An operation finds the environment, reads the requirements, and — when the environment
already satisfies them — stops there, without network and without resolving. Otherwise it
resolves (``sync``: each requirement alone, as pip-sync and uv do; ``install``: with
dependencies, preferring what is installed), plans, fetches what the cache lacks (in parallel),
and changes the environment under its lock: removals first, then links — with the
operations of :mod:`pyffin.api.operations` (whose :class:`ResolveOptions` and
:class:`HashRequirementError` are part of this API too) and the checks of
:mod:`pyffin.installer.satisfies`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import pyffin.collector as collector
from pyffin import log
from pyffin.api.operations import DEFAULT_RESOLVE, HashRequirementError, ResolveOptions
from pyffin.errors import PyffinError, UsageError
from pyffin.models.names import checked_name, normalize_name
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.api.building import BuildOptions, LazySources
    from pyffin.api.exclude_newer import ExcludeNewer
    from pyffin.api.resolution_cache import ResolutionCache
    from pyffin.api.session import Session
    from pyffin.api.target import Target
    from pyffin.cache import Cache, FileLock
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.installer.installed import InstalledDistribution, InstalledState
    from pyffin.installer.link import LinkMode
    from pyffin.installer.plan import Wanted
    from pyffin.interpreter import InstallDirectory, Interpreter
    from pyffin.models.dist import Distribution
    from pyffin.models.metadata import CoreMetadata
    from pyffin.models.versions import Version
    from pyffin.reporting import HeldFetches, Reporter
    from pyffin.requirements import GroupSelection, RequirementsSpec
    from pyffin.resolver.index_source import IndexSource

__all__ = ["DEFAULT_CHANGE", "DEFAULT_RESOLVE", "ChangeOptions", "EmptyRequirementsError",
           "HashRequirementError", "InstallResult", "ResolveOptions", "check_install_directory",
           "directory_option", "environment_lock", "install", "install_directory", "sync",
           "uninstall"]


class EmptyRequirementsError(UsageError):
    """``sync`` was given no requirement at all: it would empty the environment, which needs
    ``allow_empty``."""


class InstallResult:
    """What an install, sync or uninstall did (or, with ``dry_run``, would do)."""

    __slots__ = ("audited", "compiled", "dry_run", "environment", "fresh", "installed",
                 "metadata", "origins", "planned", "prepared", "removed", "requested_extras",
                 "resolved", "sources", "timings", "uncached", "yanked")

    def __init__(self, environment: Interpreter, *, dry_run: bool = False) -> None:
        self.environment = environment
        #: ``(name, version)`` pairs, sorted.
        self.installed: list[tuple[str, str]] = []
        self.removed: list[tuple[str, str]] = []
        #: Where each of :attr:`installed` and :attr:`removed` that is (or was) a direct
        #: installation comes from, by ``(name, version)``, as uv shows it after its line (see
        #: :func:`shown_origin`).
        self.origins: dict[tuple[str, str], str] = {}
        #: Packages checked and found satisfying (no change needed); an install that needed
        #: no resolution counts its requirements, as uv does.
        self.audited = 0
        self.resolved: int | None = None
        #: Wheels fetched into the cache (downloaded and unzipped, or built).
        self.prepared = 0
        #: ``--compile-bytecode``: the ``.py`` files of the environment compiled (``None``:
        #: not asked, or nothing changed).
        self.compiled: int | None = None
        #: A dry run's: how many of what it would install the cache lacks (uv's "Would
        #: download").
        self.uncached = 0
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
        #: How the same install into an equally fresh environment can be done again without
        #: resolving (see :class:`FreshInstall`), when it can.
        self.fresh: FreshInstall | None = None
        #: A warning for each yanked version the resolution chose (see
        #: :meth:`~pyffin.resolver.Resolution.yanked`).
        self.yanked: list[str] = []

    def __repr__(self) -> str:
        from pyffin.api.resolving import listed

        def pins(pairs: list[tuple[str, str]]) -> str:
            return "[" + listed([f"{name}=={version}" for name, version in pairs]) + "]"

        resolved = "" if self.resolved is None else f", resolved={self.resolved}"
        dry_run = ", dry_run=True" if self.dry_run else ""
        return (f"InstallResult({self.environment.prefix}, installed={pins(self.installed)}, "
                f"removed={pins(self.removed)}, audited={self.audited}{resolved}{dry_run})")


class FreshInstall:
    """An install of a kept resolution into an environment without any distribution: what
    repeating it into another environment like it (same interpreter, same directory
    listings) takes, none of it worked out again (:mod:`pyffin.cli.install_replay`)."""

    __slots__ = ("archives", "dependencies", "launcher", "link_mode", "listings",
                 "resolution_record")

    def __init__(self, resolution_record: Path, dependencies: list[tuple[Any, ...]],
                 archives: dict[str, Path], listings: dict[str, list[str]], launcher: str,
                 link_mode: LinkMode) -> None:
        #: The record of the kept resolution, and what that resolution was made from
        #: (:data:`pyffin.client.cached.Dependency`).
        self.resolution_record = resolution_record
        self.dependencies = dependencies
        #: The unzipped wheel installed, by name.
        self.archives = archives
        #: The names in each scheme and site-packages directory before the install (sorted;
        #: taken under the environment's lock).
        self.listings = listings
        #: The interpreter the scripts' shebangs name.
        self.launcher = launcher
        self.link_mode = link_mode


def _listings(env: Interpreter) -> dict[str, list[str]]:
    """The sorted names in the environment's site-packages and scheme directories (``[]``:
    the directory is absent)."""
    from pyffin.installer import debris

    found: dict[str, list[str]] = {}
    for directory in (*debris.directories(env.scheme),
                      *(os.path.abspath(p) for p in env.site_packages)):
        try:
            found[directory] = sorted(os.listdir(directory))
        except (FileNotFoundError, NotADirectoryError):
            found[directory] = []
    return found


@record
class ChangeOptions:
    """How the environment is changed."""

    reinstall: bool = False
    reinstall_packages: tuple[str, ...] = ()
    link_mode: LinkMode = "hardlink"
    compile_bytecode: bool = False
    dry_run: bool = False
    require_hashes: bool = False
    #: ``False`` (``--no-verify-hashes``): ``--hash`` values do not imply hash-checking mode.
    verify_hashes: bool = True


DEFAULT_CHANGE = ChangeOptions()


# --------------------------------------------------------------------------------- public
def install(
    sources: Sequence[str | Path] = (),
    *,
    requirements: Sequence[str] = (),
    editables: Sequence[str] = (),
    constraints: Sequence[str | Path] = (),
    overrides: Sequence[str | Path] = (),
    excludes: Sequence[str | Path] = (),
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
    target: str | Path | None = None,
    prefix: str | Path | None = None,
    python_version: str | None = None,
    python_platform: str | None = None,
    exact: bool = False,
    no_editable: bool = False,
    no_editable_packages: Iterable[str] = (),
) -> InstallResult:
    """Install requirements (files, ``requirements`` strings, dependency groups) and their
    dependencies. Sources are read as :func:`pyffin.compile` reads them. ``exact`` (uv's
    ``--exact``) also removes what they do not need, as a sync does (its seed packages
    aside); ``no_editable`` (uv's ``--no-editable``) installs the editable requirements
    (``-e``, in files too) as the projects' wheels instead, and ``no_editable_packages``
    (uv's ``--no-editable-package``) those of the projects these names name. ``excludes``
    are files naming projects left out of the resolution (uv's ``--excludes``): none of them
    is installed for these requirements (what is installed already stays).

    ``target`` / ``prefix`` install into that directory instead of an environment (see
    :func:`install_directory`); ``python_version`` / ``python_platform`` install for another
    Python or platform, as :func:`pyffin.compile` resolves for them."""
    from pyffin.requirements import GroupSelection

    with _Operation(session, python, system, break_system_packages, change, reporter,
                    build, directory=directory_option(target, prefix),
                    python_version=python_version, python_platform=python_platform
                    ) as operation:
        return operation.run(
            sources=sources, requirements=requirements, editables=editables,
            no_editable=no_editable, no_editable_packages=frozenset(
                normalize_name(name) for name in no_editable_packages),
            constraints=constraints, overrides=overrides,
            excludes=excludes, extras=extras, all_extras=all_extras, groups=GroupSelection(
                tuple(groups), tuple(only_groups), all_groups, tuple(no_groups)),
            sync=exact, upgrade=upgrade, upgrade_packages=tuple(upgrade_packages),
            no_deps=no_deps, resolve_options=resolve_options, stdin=stdin)


def sync(
    sources: Sequence[str | Path] = (),
    *,
    constraints: Sequence[str | Path] = (),
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
    resolve_options: ResolveOptions = DEFAULT_RESOLVE,
    change: ChangeOptions = DEFAULT_CHANGE,
    build: BuildOptions | None = None,
    reporter: Reporter | None = None,
    stdin: TextIO | None = None,
    allow_empty: bool = False,
    target: str | Path | None = None,
    prefix: str | Path | None = None,
    python_version: str | None = None,
    python_platform: str | None = None,
) -> InstallResult:
    """Make the environment contain exactly the given requirements (no dependencies are
    added; everything else is removed, but seed packages: :func:`_preserved`), or a
    ``pylock.toml``'s packages for it (``extras`` and ``groups`` select the lock's optional
    parts). Sources without any requirement raise
    :class:`EmptyRequirementsError` unless ``allow_empty``: then everything is removed.
    ``target``, ``prefix``, ``python_version`` and ``python_platform`` as for
    :func:`install`."""
    from pyffin.requirements import GroupSelection

    with _Operation(session, python, system, break_system_packages, change, reporter,
                    build, directory=directory_option(target, prefix),
                    python_version=python_version, python_platform=python_platform
                    ) as operation:
        return operation.run(
            sources=sources, constraints=constraints, sync=True, no_deps=True, extras=extras,
            all_extras=all_extras, groups=GroupSelection(
                tuple(groups), tuple(only_groups), all_groups, tuple(no_groups)),
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
    target: str | Path | None = None,
    prefix: str | Path | None = None,
) -> InstallResult:
    """Remove packages (names, or the requirements of files) from the environment, or from a
    ``target`` / ``prefix`` directory; names that are not installed are skipped with a
    warning (none for a dry run, as uv). A path or URL names what was installed from it, or
    the local project's name (see :mod:`pyffin.installer.requested`)."""
    from pyffin.installer import debris as leftovers
    from pyffin.installer.installed import scan
    from pyffin.installer.requested import requested
    from pyffin.installer.uninstall import plan_uninstall
    from pyffin.requirements import read_requirements

    started = time.perf_counter()
    operation = _Operation(session, python, system, break_system_packages,
                           ChangeOptions(dry_run=dry_run), None,
                           directory=directory_option(target, prefix))
    env = operation.environment()
    # Paths and URLs are only looked up among what is installed: they need not exist.
    spec = read_requirements([str(s) for s in sources], requirements=packages,
                             lookup_only=True)
    with operation.locked(env, create=False):
        debris: list[str] = []
        doomed = requested(spec.requirements,
                           scan([Path(p) for p in env.site_packages], debris=debris),
                           warn=not dry_run)
        result = InstallResult(env, dry_run=dry_run)
        result.removed = sorted((d.normalized_name, d.version) for d in doomed)
        _note_origins(result, (), doomed)
        if not dry_run:
            # One that cannot be removed (a distutils install) stops the command before
            # any is: not after removing those before it, unsaid.
            removals = plan_uninstall(doomed, env.scheme)
            leftovers.remove([*debris, *leftovers.beside(env.scheme, env.site_packages)])
            announce = operation.session.reporter
            for dist, remove in zip(doomed, removals, strict=True):
                remove()
                if announce is not None:
                    announce.on_uninstall(dist.normalized_name, dist.version)
    result.timings["uninstall"] = time.perf_counter() - started
    return result


# ------------------------------------------------------------------------------ internals
class _Operation:
    def __init__(self, session: Session | None, python: str | None, system: bool,
                 break_system_packages: bool, change: ChangeOptions,
                 reporter: Reporter | None, build: BuildOptions | None = None, *,
                 directory: InstallDirectory | None = None, python_version: str | None = None,
                 python_platform: str | None = None) -> None:
        from pyffin.api.session import Session

        self.session = session or Session()
        if python_platform is not None:  # (the OS --torch-backend auto picks indexes for)
            self.session.python_platform = python_platform
        if reporter is not None and self.session.reporter is None:
            self.session.reporter = reporter  # hears the resolution and builds too
        self.build = build
        self.python = python
        self.system = system
        self.break_system_packages = break_system_packages
        self.change = change
        self.reporter = reporter
        self.directory = directory
        self.python_version = python_version
        self.python_platform = python_platform
        #: The target, when ``python_version`` or ``python_platform`` make it another
        #: interpreter's or platform's than the environment's.
        self.target: Target | None = None
        #: The interpreter found, as it is (no target directory, its own markers and tags):
        #: the one that builds sources.
        self.interpreter: Interpreter | None = None
        self.sources: LazySources | None = None
        self._requested_extras: dict[str, tuple[str, ...]] = {}
        #: The lookup :meth:`start_environment` started: called with the announcement.
        self._finding: Callable[[Callable[[Interpreter], None] | None], Interpreter] | None = None

    def __enter__(self) -> _Operation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # The source trees and build environments kept for wheel builds that did not come
        # (versions the resolution tried and left; see lazy_sources) are removed.
        if self.sources is not None:
            self.sources.release()

    def lazy_sources(self, env: Interpreter) -> LazySources:
        """The operation's source distributions (made on first use)."""
        if self.sources is None:
            from pyffin.api.building import LazySources, build_interpreter_finder

            interpreter: Interpreter | Callable[[], Interpreter] = self.interpreter or env
            if self.python_version is not None and self.python is None:
                # Built with an interpreter of the target's version when there is one, as
                # compile does (a wheel built by another Python would not fit the target).
                from pyffin.api.target import parse_python_version

                version = parse_python_version(self.python_version)
                if self.interpreter is None or self.interpreter.version[:len(version)] \
                        != version:
                    interpreter = build_interpreter_finder(
                        self.session, python=None, python_version=self.python_version,
                        default=self.interpreter)
            # What read a source's metadata is kept for its wheel's build (see __exit__).
            self.sources = LazySources(self.session, interpreter, self.build,
                                       reinstall=self.change.reinstall,
                                       reinstall_packages=self.change.reinstall_packages,
                                       keep_prepared=not self.change.dry_run)
        return self.sources

    def start_environment(self) -> None:
        """Start looking for the environment (:meth:`environment` then takes the answer): on
        a cold cache the interpreter's probe runs while the requirements are read and their
        pages asked for (see :func:`~pyffin.interpreter.start_find_environment`)."""
        if self.directory is None and self._finding is None:
            from pyffin.interpreter import start_find_environment

            self._finding = start_find_environment(
                self.python, system=self.system,
                break_system_packages=self.break_system_packages, cache=self.session.cache)

    def environment(self) -> Interpreter:
        """The environment the operation changes: the one found, or the target directory
        with the interpreter found; with the target's markers and tags."""
        if self.directory is not None:
            env = self._directory_environment(self.directory)
        else:
            finding, self._finding = self._finding, None
            if finding is None:
                from pyffin.interpreter import find_environment

                env = find_environment(self.python, system=self.system,
                                       break_system_packages=self.break_system_packages,
                                       cache=self.session.cache, announce=self._announce)
            else:
                env = finding(self._announce)
            self.interpreter = env
        if self.python_version is not None or self.python_platform is not None:
            from pyffin.api.target import make_target
            from pyffin.records import replace

            self.target = make_target(env, python_version=self.python_version,
                                      python_platform=self.python_platform)
            env = replace(env, markers=self.target.markers, tags=self.target.tags)
        return env

    def _directory_environment(self, directory: InstallDirectory) -> Interpreter:
        """A ``--target`` / ``--prefix`` directory as the environment, as uv has it: any
        interpreter will do (a virtual environment first, as usual; never refused as
        EXTERNALLY-MANAGED, since its own packages are not touched); with
        ``python_version`` and no ``python``, one of that version if this machine has one."""
        from pyffin.interpreter import find_build_interpreter, find_interpreter

        check_install_directory(directory)
        interpreter = None
        if self.python_version is not None and self.python is None:
            from pyffin.api.target import parse_python_version

            interpreter = find_build_interpreter(parse_python_version(self.python_version),
                                                 cache=self.session.cache)
        if interpreter is None:
            interpreter = find_interpreter(self.python, system=self.system,
                                           cache=self.session.cache)
        self.interpreter = interpreter
        from pyffin.interpreter.discovery import shown_path

        log.info(f"Using {interpreter.implementation_display} {interpreter.version_str} "
                 f"interpreter at: {shown_path(interpreter.sys_executable)}")
        if directory.kind == "target":
            return interpreter.with_target(directory.root)
        return interpreter.with_prefix(directory.root)

    def _announce(self, env: Interpreter) -> None:
        from pyffin.interpreter import announce_environment

        announce_environment(env, self.session.cache.root)

    @contextmanager
    def locked(self, env: Interpreter, *, create: bool = True) -> Iterator[None]:
        """Hold the environment's lock for the whole operation, from reading what is installed
        to the last change (as uv): a plan made without it could remove what another process
        removed or reinstalled meanwhile. A dry run changes nothing and takes no lock.

        A target directory that does not exist is made first (``create``; else there is
        nothing in it to change or lock) and removed again if the operation fails before
        anything is installed into it."""
        if self.change.dry_run:
            yield
            return
        directory = env.directory
        made: list[Path] = []
        if directory is not None and not os.path.isdir(directory.root):
            if not create:
                yield
                return
            made = _make_directories(directory.root)
        with environment_lock(env, self.session.cache):
            try:
                yield
            except BaseException:
                if made:  # while the lock is held: nobody is installing into it meanwhile
                    _remove_if_unused(made)
                raise

    def run(self, *, sources: Sequence[str | Path], constraints: Sequence[str | Path],
            sync: bool, no_deps: bool, resolve_options: ResolveOptions,
            stdin: TextIO | None, requirements: Sequence[str] = (),
            editables: Sequence[str] = (), overrides: Sequence[str | Path] = (),
            excludes: Sequence[str | Path] = (),
            extras: Sequence[str] = (), all_extras: bool = False,
            groups: GroupSelection | None = None, upgrade: bool = False,
            upgrade_packages: tuple[str, ...] = (), allow_empty: bool = False,
            no_editable: bool = False,
            no_editable_packages: frozenset[str] = frozenset()) -> InstallResult:
        from pyffin.api import operations
        from pyffin.requirements import read_requirements

        started = time.perf_counter()
        # An upgrade looks for the newest, a reinstall for a fresh copy: what the cache keeps
        # of them is asked about again, as uv does (its --upgrade and --reinstall imply
        # --refresh).
        refreshed = (*operations.upgrade_requests(upgrade_packages)[0],
                     *self.change.reinstall_packages)
        if upgrade or self.change.reinstall or refreshed:
            self.session.look_again(everything=upgrade or self.change.reinstall,
                                    packages=refreshed)
        lock = _lock_source(sources, requirements=requirements, editables=editables,
                            constraints=constraints, overrides=overrides, excludes=excludes,
                            groups=groups)
        if lock is not None:  # what it installs is chosen without a resolution
            operations.release_page_workers()
            return self._run_lock(lock, started, sync=sync, extras=extras,
                                  all_extras=all_extras, groups=groups,
                                  options=resolve_options, allow_empty=allow_empty)
        cutoffs = resolve_options.cutoffs()
        operations.start_page_workers(self.session)  # (before any thread starts)
        # As uv: the requirements are read before the environment is announced (and any
        # error of its lookup reported); only a project read through its build backend needs
        # it sooner. The lookup itself starts now.
        self.start_environment()
        found: list[Interpreter] = []

        def environment() -> Interpreter:
            if not found:
                found.append(self.environment())
            return found[0]

        spec = read_requirements(
            [str(s) for s in sources], requirements=requirements, editables=editables,
            constraints=[str(c) for c in constraints], overrides=[str(o) for o in overrides],
            excludes=[str(e) for e in excludes],
            extras=extras, all_extras=all_extras, groups=groups, stdin=stdin,
            build_project=lambda path, spec: self.lazy_sources(environment()).project_metadata(
                path, spec))
        if (no_editable or no_editable_packages) and spec.editables:
            spec = _not_editable(spec, None if no_editable else no_editable_packages,
                                 lambda: self.lazy_sources(environment()).get())
        if not spec.requirements and sync:
            for path in sources:
                log.warn(f"Requirements file `{path}` does not contain any dependencies")
            if not allow_empty:
                raise EmptyRequirementsError(
                    "no requirements found", hint="use --allow-empty-requirements to clear the "
                    "environment")
        elif not spec.requirements:
            if not sources:
                raise UsageError("no requirements given: pass package names or requirements "
                                 "files")
            # As uv: an empty requirements file is worth a warning, not a failure.
            for path in sources:
                log.warn(f"Requirements file `{path}` does not contain any dependencies")
        # From the first page asked for to the end: what the pool parses and the solver makes
        # lives until the resolution is done (see pyffin.collector). The installation after it
        # made no collection of its own in a cold install (medium set) anyway.
        with collector.paused():
            if spec.requirements and not found:
                # As compile (the wheels of pinned requirements then start sooner too).
                from pyffin.api.operations import prefetch_requirement_pages

                prefetch_requirement_pages(self.session, spec,
                                           no_binary=resolve_options.no_binary)
            env = environment()
            if spec.requires_python:
                from pyffin.api.operations import check_requires_python
                from pyffin.api.target import make_target

                check_requires_python(spec, self.target or make_target(env),
                                      hint="choose an environment whose Python it admits with "
                                           "--python")
            with self.locked(env):
                return self._run_locked(
                    env, spec, started, sync=sync, no_deps=no_deps,
                    resolve_options=resolve_options, upgrade=upgrade,
                    upgrade_packages=upgrade_packages, cutoffs=cutoffs)

    def _run_locked(self, env: Interpreter, spec: RequirementsSpec, started: float, *,
                    sync: bool, no_deps: bool, resolve_options: ResolveOptions, upgrade: bool,
                    upgrade_packages: tuple[str, ...], cutoffs: ExcludeNewer | None
                    ) -> InstallResult:
        from pyffin.api import operations
        from pyffin.installer import debris as leftovers
        from pyffin.installer.installed import InstalledState

        hash_mode = operations.is_hash_mode(spec, require_hashes=self.change.require_hashes,
                                            verify_hashes=self.change.verify_hashes)
        debris: list[str] = []
        state = InstalledState([Path(p) for p in env.site_packages], self.session.cache,
                               debris=debris)
        installed = state.distributions
        debris += leftovers.beside(env.scheme, env.site_packages)
        if debris and not self.change.dry_run:
            leftovers.remove(debris)  # killed installs' (we hold the lock): even on a no-op
        result = InstallResult(env, dry_run=self.change.dry_run)
        result.sources = spec.sources
        preserved = _preserved(env) if sync else frozenset()
        # An empty environment: its install may be repeated into the next one like it.
        listings = _listings(env) if not installed and not hash_mode and not self.change.dry_run \
            and not self.change.compile_bytecode and self.target is None \
            and env.directory is None else None

        # The local directories named on the command line are built and installed again on
        # every install, as uv does: `install .` after an edit installs the edit, also when
        # only a file the cache keys do not name changed (a version in `__init__.py`).
        trees = _explicit_trees(spec)
        if not (upgrade or upgrade_packages or self.change.reinstall
                or self.change.reinstall_packages or trees) and not spec.overrides:
            from pyffin.installer import satisfies

            audited = (satisfies.already_synced(spec, state, env.markers, preserved)
                       if sync else satisfies.already_installed(spec, state, env.markers))
            state.save()
            if audited is not None:
                # An install counts the requirements it checked, as uv does ("Checked 1
                # package" for `install requests`, whatever requests needs); a sync, the
                # packages (its requirements are the environment's packages).
                result.audited = audited if sync else len(spec.requirements)
                result.timings["audit"] = time.perf_counter() - started
                return result

        self.session.configure(operations.spec_index_settings(spec))
        if trees:
            for tree in trees.values():
                log.debug(f"Marking explicit source tree for reinstall: `{tree}`")
            self.lazy_sources(env).rebuild(trees.values())

        def builds() -> SourceDistributions:
            # Made when something may be built: a kept resolution of index wheels needs none.
            made = self.lazy_sources(env).get()
            assert made is not None  # an environment has an interpreter
            return made

        # What is installed is kept, but what is to be reinstalled: that is resolved anew, as
        # uv and pip (--force-reinstall) do (--reinstall of requests 2.31.0 gives the newest).
        reinstalled = {checked_name(n) for n in self.change.reinstall_packages}
        preferences = {} if self.change.reinstall else {
            name: version for name, version in operations.installed_preferences(
                installed).items() if name not in reinstalled}
        kept = None if trees else self._resolution_cache(
            env, spec, preferences, hash_mode=hash_mode, no_deps=no_deps,
            resolve_options=resolve_options, upgrade=upgrade, upgrade_packages=upgrade_packages,
            cutoffs=cutoffs)
        found = None if kept is None else kept.get()
        early = None
        held: HeldFetches | None = None
        if found is not None:
            # Kept only after a resolution of the same inputs, hash-checking mode's included,
            # passed every check.
            resolution = found[0]
            entries = list(spec.requirements)
            if any(e.requirement is None and e.url is not None for e in entries):
                from pyffin.api.building import name_entries

                # Named from their wheel filename or a cached build: nothing is built.
                entries = name_entries(entries, builds())
            source: IndexSource | None = None
        else:
            if not (hash_mode or self.change.dry_run):
                reinstall = self.change.reinstall or self.change.reinstall_packages
                from pyffin.reporting import HeldFetches

                # Named once the resolution is reported, as uv names what it downloads.
                held = HeldFetches(self.reporter)
                early = operations.early_fetch(self.session, spec,
                                               {} if reinstall else preferences, held)
                if early is not None:  # their wheels are built to read their metadata
                    builds().wheel_for_metadata = early.names
                    early.sources = builds()  # and during the resolution
            if self.session.page_workers is not None and not self.change.dry_run:
                # A cold cache: the workers read the pages, this process downloads the wheels.
                from pyffin.client.http import import_in_background

                import_in_background()
            try:
                resolved = operations.resolve(
                    self.session, spec, markers=env.markers, tags=env.tags, sources=builds(),
                    options=resolve_options, cutoffs=cutoffs, preferences=preferences,
                    upgrade=upgrade, upgrade_packages=upgrade_packages, no_deps=no_deps,
                    hash_mode=hash_mode, on_decided=early,
                    installed=_kept_installs(state, spec, resolve_options, reinstalled)
                    if not self.change.reinstall else None,
                    requested_python=None if self.target is None
                    else self.target.requested_python)
            except Exception:  # (an interruption stops the builds instead)
                if early is not None:
                    early.settle()  # the builds it started end before the command does
                raise
            resolution, entries, source = resolved.resolution, resolved.entries, resolved.source
            if kept is not None:
                kept.put(resolution, None)
        self._requested_extras = {
            entry.name: tuple(sorted(entry.extras)) for entry in entries
            if entry.name is not None and entry.extras}
        wanted = operations.wanted(resolution,
                                   requested={entry.name for entry in entries if entry.name})
        result.resolved = len(wanted)
        result.yanked = resolution.yanked()
        result.timings["resolve"] = time.perf_counter() - started
        if self.reporter is not None:
            self.reporter.on_resolved(result.resolved, result.timings["resolve"])
        if held is not None:
            held.release()
        planning = time.perf_counter()
        from pyffin.installer.plan import make_plan

        plan = make_plan(wanted, installed, sync=sync, reinstall=self.change.reinstall,
                         reinstall_packages=reinstalled | {
                             entry.name for entry in entries
                             if entry.name is not None and entry.url in trees},
                         preserved=_say_preserved(preserved, installed, wanted))
        result.installed = sorted((w.name, w.version) for w in plan.to_install)
        result.planned = plan.to_install
        result.requested_extras = self._requested_extras
        sources: list[IndexSource] = [] if source is None else [source]

        def metadata(wanted: Wanted) -> CoreMetadata:
            if not sources:  # a kept resolution: the package source is made when asked
                sources.append(operations.index_source(
                    self.session, spec, env.tags, no_binary=resolve_options.no_binary,
                    only_binary=resolve_options.only_binary, no_build=resolve_options.no_build,
                    exclude_newer=cutoffs, no_deps=no_deps, sources=builds(), report=False))
            return _planned_metadata(sources[0], wanted)

        result.metadata = metadata
        result.removed = sorted((d.normalized_name, d.version) for d in plan.to_remove)
        _note_origins(result, plan.to_install, plan.to_remove)
        result.audited = len(plan.kept)
        result.timings["audit"] = time.perf_counter() - planning  # uv's: the plan's time
        if self.change.dry_run and plan.to_install:
            result.uncached = operations.uncached(
                self.session, plan, None if self.sources is None else self.sources.get())
        if self.change.dry_run or plan.is_noop:
            return result
        python = os.fspath(env.sys_executable)
        launcher = operations.launcher_python(python, prefix=env.prefix,
                                              scripts=env.scheme.scripts,
                                              is_venv=env.is_venv and env.directory is None)
        archives: dict[str, Path] = {}
        result.prepared = operations.prepare_and_install(
            self.session, plan, scheme=env.scheme, python=launcher,
            sources=builds() if any(not w.source.is_wheel for w in plan.to_install) else None,
            link_mode=self.change.link_mode, target=self.target,
            hashes=operations.required_hashes(spec) if hash_mode else None,
            reporter=self.reporter, timings=result.timings, archives=archives,
            wheels=None if early is None else early.wheels, python_version=env.version[:2])
        torch = self.session.registry.locations.torch
        if listings is not None and kept is not None and kept.kept is not None \
                and not plan.to_remove and (torch is None or torch.mode != "auto"):
            # (With ``--torch-backend auto``, the machine's GPU decides: no file stands for
            # it, so nothing replays this install.)
            # Each stored response with the freshness a revalidation beside it gave it.
            cached = self.session.registry.cached
            dependencies = [(path, stamp, cached.fresh_until(dependency), response_time)
                            for dependency in kept.kept
                            for path, stamp, _, response_time in [dependency]]
            result.fresh = FreshInstall(kept.entry.path, dependencies, archives, listings,
                                        launcher, self.change.link_mode)
        if self.change.compile_bytecode:
            from pyffin.installer.bytecode import compile_bytecode

            started = time.perf_counter()
            result.compiled = compile_bytecode([Path(p) for p in dict.fromkeys(
                (env.scheme.purelib, env.scheme.platlib))], python)
            result.timings["bytecode"] = time.perf_counter() - started
        return result


    def _resolution_cache(self, env: Interpreter, spec: RequirementsSpec,
                          preferences: Mapping[str, Version], *, hash_mode: bool,
                          no_deps: bool, resolve_options: ResolveOptions, upgrade: bool,
                          upgrade_packages: tuple[str, ...], cutoffs: ExcludeNewer | None
                          ) -> ResolutionCache | None:
        """The kept resolution of this install's inputs (see
        :mod:`pyffin.api.resolution_cache`): what is installed is read by the resolution as
        preferences only, so the preferences key it, with the environment's markers and tags
        (the target's). ``--reinstall`` solves again, as ``--refresh`` does."""
        if self.change.reinstall or self.change.reinstall_packages:
            return None
        from pyffin.api.resolution_cache import ResolutionCache
        from pyffin.api.target import Target

        build = self.build
        return ResolutionCache.of(
            self.session, spec, Target(dict(env.markers), tuple(env.tags), ""),
            cutoffs=cutoffs, preferences=preferences, upgrade=upgrade,
            upgrade_packages=upgrade_packages,
            files=build.build_constraints if build is not None else (),
            inputs=("install", resolve_options, no_deps, hash_mode, build, self.python_version,
                    self.python_platform))

    def _run_lock(self, path: str, started: float, *, sync: bool, extras: Sequence[str],
                  all_extras: bool, groups: GroupSelection | None, options: ResolveOptions,
                  allow_empty: bool) -> InstallResult:
        """Install the packages a ``pylock.toml`` has for the environment (see
        :mod:`pyffin.api.locked`): no resolution, no index page."""
        from pyffin.api import locked, operations
        from pyffin.installer import debris as leftovers
        from pyffin.installer.installed import scan
        from pyffin.installer.plan import make_plan
        from pyffin.requirements.pylock import read_pylock

        lock = read_pylock(path)
        if not lock.packages and sync and not allow_empty:
            log.warn(f"Requirements file `{path}` does not contain any dependencies")
            raise EmptyRequirementsError(
                "no requirements found", hint="use --allow-empty-requirements to clear the "
                "environment")
        wanted_extras = set(lock.extras) if all_extras else {checked_name(e) for e in extras}
        if groups is not None and groups.only_groups:
            raise UsageError("--only-group does not apply to a pylock.toml: use --group")
        # Without --group, the lock's default groups (PEP 751); --no-group takes from either.
        group_names = set(lock.default_groups)
        if groups:
            group_names = (set(lock.dependency_groups) if groups.all_groups
                           else {checked_name(g) for g in groups.groups})
        if groups is not None:
            group_names -= {checked_name(g) for g in groups.no_groups}
        env = self.environment()
        with self.locked(env):
            debris: list[str] = []
            installed = scan([Path(p) for p in env.site_packages], debris=debris)
            debris += leftovers.beside(env.scheme, env.site_packages)
            if debris and not self.change.dry_run:
                leftovers.remove(debris)

            def version_of(name: str, dist: Distribution) -> Version:
                assert dist.direct is not None
                builds = self.lazy_sources(env).get()
                assert builds is not None
                from pyffin.models.versions import Version

                return Version(builds.direct_metadata(dist.direct).version)

            from pyffin.models.format_control import BinaryPolicy

            binary = BinaryPolicy.of(options.no_binary, options.only_binary,
                                     no_build=options.no_build)
            chosen = locked.select(lock, path, markers=env.markers, tags=env.tags,
                                   extras=wanted_extras, groups=group_names,
                                   version_of=version_of, binary=binary)
            result = InstallResult(env, dry_run=self.change.dry_run)
            wanted = operations.wanted(chosen.resolution,
                                       requested={p.name for p in chosen.resolution})
            if chosen.requested_revisions:
                wanted = [_with_revision(w, chosen.requested_revisions.get(w.name))
                          for w in wanted]
            result.resolved = len(wanted)
            # What the lock gives for this environment is its resolution: its time, said
            # before what is prepared, as an install's (it said "in 0ms" at the end before).
            result.timings["resolve"] = time.perf_counter() - started
            plan = make_plan(wanted, installed, sync=sync, reinstall=self.change.reinstall,
                             reinstall_packages={checked_name(n) for n in
                                                 self.change.reinstall_packages},
                             preserved=_say_preserved(
                                 _preserved(env) if sync else frozenset(), installed, wanted))
            result.installed = sorted((w.name, w.version) for w in plan.to_install)
            result.planned = plan.to_install
            result.removed = sorted((d.normalized_name, d.version) for d in plan.to_remove)
            _note_origins(result, plan.to_install, plan.to_remove)
            result.audited = len(plan.kept)
            result.sources = (path,)
            if plan.is_noop and not self.change.dry_run and all(
                    p.dist is not None and p.dist.direct is None for p in chosen.resolution):
                # Nothing resolved, nothing to do, and nothing read but the lock and the
                # environment (no source tree whose version a build reports): reported, and
                # replayable, as a no-op sync of requirements.
                result.resolved = None
            if self.change.dry_run or plan.is_noop:
                result.timings["audit"] = time.perf_counter() - started
                return result
            if self.reporter is not None:
                self.reporter.on_resolved(len(wanted), result.timings["resolve"])
            python = os.fspath(env.sys_executable)
            result.prepared = operations.prepare_and_install(
                self.session, plan, scheme=env.scheme,
                python=operations.launcher_python(
                    python, prefix=env.prefix, scripts=env.scheme.scripts,
                    is_venv=env.is_venv and env.directory is None),
                sources=self.lazy_sources(env).get(), link_mode=self.change.link_mode,
                target=self.target, hashes=chosen.hashes, reporter=self.reporter,
                timings=result.timings, python_version=env.version[:2])
        if self.change.compile_bytecode:
            from pyffin.installer.bytecode import compile_bytecode

            started = time.perf_counter()
            result.compiled = compile_bytecode([Path(p) for p in dict.fromkeys(
                (env.scheme.purelib, env.scheme.platlib))], python)
            result.timings["bytecode"] = time.perf_counter() - started
        return result


def _with_revision(wanted: Wanted, revision: str | None) -> Wanted:
    """``wanted`` with the git revision the lock says was asked for in its PEP 610 record
    (the source is fetched at the locked commit, so the record would name the commit)."""
    record = wanted.direct_url
    if revision is None or record is None or "vcs_info" not in record:
        return wanted
    from pyffin.records import replace

    return replace(wanted, direct_url={
        **record, "vcs_info": {**record["vcs_info"], "requested_revision": revision}})


def _not_editable(spec: RequirementsSpec, names: Collection[str] | None,
                  sources: Callable[[], SourceDistributions | None]) -> RequirementsSpec:
    """``spec`` with its editable requirements on ``names`` (normalized; ``None``: all of
    them) installed as the projects' wheels instead. An unnamed one (``-e ./pkg``) is named
    first, from its metadata (``sources`` makes what reads it), which its resolution reads
    anyway."""
    from pyffin.api.building import name_entries
    from pyffin.records import replace

    entries = []
    for entry in spec.requirements:
        if entry.editable and names is not None and entry.name is None:
            [entry] = name_entries([entry], sources())
        if entry.editable and (names is None or entry.name in names):
            entry = replace(entry, editable=False)
        entries.append(entry)
    return replace(spec, requirements=tuple(entries))


def _lock_source(sources: Sequence[str | Path], *, requirements: Sequence[str],
                 editables: Sequence[str], constraints: Sequence[str | Path],
                 overrides: Sequence[str | Path], excludes: Sequence[str | Path] = (),
                 groups: GroupSelection | None = None) -> str | None:
    """The ``pylock.toml`` among ``sources``, if one is: it must come alone (as uv: a lock is
    installed as it is, so nothing may be added to it or constrain it); ``--group`` names its
    dependency groups, not a ``pyproject.toml``'s."""
    from pyffin.models.files import is_pylock_filename

    locks = [os.fspath(s) for s in sources if is_pylock_filename(Path(s).name)]
    if not locks:
        return None
    if len(locks) > 1:
        raise UsageError(f"only one pylock.toml can be installed at once: {', '.join(locks)}")
    if len(sources) > 1 or requirements or editables:
        raise UsageError(f"{locks[0]} cannot be installed with other requirements: a lock file "
                         "is installed as it is")
    for what, given in (("constraints", constraints), ("overrides", overrides),
                        ("excludes", excludes)):
        if given:
            raise UsageError(f"{what} cannot be used with a pylock.toml ({locks[0]})")
    for value in (*(groups.groups if groups else ()), *(groups.only_groups if groups else ())):
        if ":" in value:
            raise UsageError(f"--group {value}: with a pylock.toml, groups are the lock's "
                             "dependency groups (no path)")
    return locks[0]


def environment_lock(env: Interpreter, cache: Cache) -> FileLock:
    """The lock of the environment ``env`` (not yet taken): ``.lock`` in a virtual
    environment's root — the file uv locks, so the two tools never change one environment at
    once — else, for a system interpreter or an environment we cannot write to, a lock in the
    cache keyed by the environment's real path."""
    from pyffin.cache import CacheBucket, FileLock, digest

    if env.directory is not None:  # as uv: its own lock, not the interpreter's
        root = env.directory.root
        return FileLock(root / ".lock", f"the {env.directory.option} directory {root}")
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


# -------------------------------------------------------------------- target directories
def install_directory(path: str | os.PathLike[str], kind: Literal["target", "prefix"]
                      ) -> InstallDirectory:
    """The ``--target`` (``kind="target"``) or ``--prefix`` directory ``path``, absolute (its
    links are kept: a link to a directory is followed, as pip and uv do)."""
    from pyffin.interpreter import InstallDirectory

    text = os.fspath(path)
    if not text.strip():
        raise UsageError(f"--{kind} needs a directory")
    return InstallDirectory(kind, Path(os.path.abspath(os.path.expanduser(text))))


def check_install_directory(directory: InstallDirectory) -> None:
    """Refuse a ``--target`` / ``--prefix`` that is not a directory nor can become one: a
    file, a device or a FIFO, a link to one or to nothing (that would make a directory
    wherever the link points), or a path below a file."""
    import stat

    root = directory.root
    what = f"{directory.option} {root}"
    try:
        mode = os.lstat(root).st_mode
    except (FileNotFoundError, NotADirectoryError):
        parent = root.parent
        while not os.path.lexists(parent) and parent != parent.parent:
            parent = parent.parent
        if not os.path.isdir(parent):
            raise UsageError(f"{what}: cannot be made, {parent} is not a directory") from None
        return
    except OSError as e:
        raise UsageError(f"{what}: {e.strerror}") from None
    if stat.S_ISLNK(mode):
        link = os.readlink(root)
        try:
            mode = os.stat(root).st_mode
        except OSError:
            raise UsageError(f"{what}: it is a symbolic link to {link}, which does not exist",
                             hint="make that directory first, or name another one") from None
        if not stat.S_ISDIR(mode):
            raise UsageError(f"{what}: it is a symbolic link to {link}, which is "
                             f"{_kind_of(mode)}, not a directory")
        return
    if not stat.S_ISDIR(mode):
        raise UsageError(f"{what}: it is {_kind_of(mode)}, not a directory")


def _kind_of(mode: int) -> str:
    import stat

    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a directory"


def directory_option(target: str | Path | None, prefix: str | Path | None
                     ) -> InstallDirectory | None:
    """The directory ``--target`` or ``--prefix`` names (at most one of them), if any."""
    if target is not None and prefix is not None:
        raise UsageError("--target and --prefix cannot be used together")
    if target is not None:
        return install_directory(target, "target")
    if prefix is not None:
        return install_directory(prefix, "prefix")
    return None


def _make_directories(root: Path) -> list[Path]:
    """Make ``root`` and its missing parents; the directories made, deepest first."""
    made: list[Path] = []
    path = root
    while not os.path.lexists(path) and path != path.parent:
        made.append(path)
        path = path.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot make the directory {root}: {e.strerror}") from None
    return made


def _remove_if_unused(made: list[Path]) -> None:
    """Remove the directories an operation made for its target when it failed before putting
    anything in them but its lock file."""
    root = made[0]
    try:
        if {entry.name for entry in os.scandir(root)} - {".lock"}:
            return
        (root / ".lock").unlink(missing_ok=True)
        for path in made:
            path.rmdir()
    except OSError:  # in use by someone else meanwhile: leave it
        pass


def _preserved(env: Interpreter) -> frozenset[str]:
    """The seed packages a sync into ``env`` keeps when nothing asks for them (none in an
    environment pyffin or uv made without them: :func:`pyffin.venv.config.keeps_seed_packages`)."""
    from pyffin.installer.plan import seed_packages
    from pyffin.venv.config import keeps_seed_packages

    # (A --target or --prefix directory is judged by itself: no pyvenv.cfg, seeds kept.)
    if not keeps_seed_packages(env.prefix if env.directory is None else env.directory.root):
        return frozenset()
    return seed_packages(env.version)


def shown_origin(direct_url: Mapping[str, Any] | None) -> str | None:
    """Where a direct installation (its PEP 610 ``direct_url.json``) comes from, as uv shows
    it: the URL, a VCS one as ``git+URL@commit``, without credentials; ``None`` from an index
    (or a record without a URL)."""
    if not isinstance(direct_url, Mapping) or not isinstance(direct_url.get("url"), str):
        return None
    from pyffin.models.urls import redact

    url = redact(direct_url["url"])
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, Mapping) and isinstance(vcs.get("vcs"), str):
        commit = vcs.get("commit_id")
        return f"{vcs['vcs']}+{url}" + (f"@{commit}" if isinstance(commit, str) else "")
    return url


def _note_origins(result: InstallResult, installing: Iterable[Wanted],
                  removing: Iterable[InstalledDistribution]) -> None:
    """Fill :attr:`InstallResult.origins`; a version removed and installed again (one ``~``
    line) shows where the new installation comes from."""
    again = set()
    for wanted in installing:
        again.add((wanted.name, wanted.version))
        shown = shown_origin(wanted.direct_url)
        if shown is not None:
            result.origins[(wanted.name, wanted.version)] = shown
    for dist in removing:
        key = (dist.normalized_name, dist.version)
        shown = None if key in again else shown_origin(dist.direct_url())
        if shown is not None:
            result.origins[key] = shown


def _explicit_trees(spec: RequirementsSpec) -> dict[str, str]:
    """The local directories the command line names (not a requirements file), by their
    entry's URL: what an install builds and installs again (see :meth:`_run_locked`)."""
    from pyffin.models.direct import parse_direct
    from pyffin.requirements import COMMAND_LINE

    trees: dict[str, str] = {}
    for entry in spec.requirements:
        if entry.url is None or not entry.url.startswith("file:") or entry.location is None \
                or entry.location.path != COMMAND_LINE:
            continue
        try:
            direct = parse_direct(entry.url, editable=entry.editable)
        except PyffinError:
            continue  # (the resolution reports it)
        if direct.path is not None and direct.is_directory:
            trees[entry.url] = direct.path
    return trees


def _kept_installs(state: InstalledState, spec: RequirementsSpec, options: ResolveOptions,
                   reinstalled: Iterable[str]) -> dict[str, InstalledDistribution] | None:
    """What is installed that the resolution may keep whatever the binary options say of its
    files (``--only-binary :all:`` and an installed sdist build of a dependency: uv and pip keep
    it): only when such options are given, and only what came from an index (an install from
    a URL or an editable one does not stand for the index's files)."""
    if not (options.only_binary or options.no_binary or options.no_build or spec.only_binary
            or spec.no_binary):
        return None
    from pyffin.installer.installed import duplicated

    left_out = set(reinstalled) | duplicated(state.distributions)  # those are reinstalled
    return {dist.normalized_name: dist for dist in state.distributions
            if dist.normalized_name not in left_out and not state.has_direct_url(dist)}


def _say_preserved(preserved: frozenset[str], installed: Iterable[InstalledDistribution],
                   wanted: Iterable[Wanted]) -> frozenset[str]:
    """``preserved``, each of the ``installed`` ones nothing ``wanted`` names said at debug
    level (uv's words)."""
    if preserved:
        asked = {w.name for w in wanted}
        for dist in installed:
            if dist.normalized_name in preserved and dist.normalized_name not in asked:
                log.debug(f"Preserving seed package: {dist.normalized_name}=={dist.version}")
    return preserved


def _planned_metadata(source: IndexSource, wanted: Wanted) -> CoreMetadata:
    from pyffin.models.names import normalize_name
    from pyffin.models.versions import Version

    return source.metadata(normalize_name(wanted.name), Version(wanted.version))
