"""Building from source inside an operation: the :class:`~pyffin.build.BuildContext` that
installs build requirements with pyffin's own resolver and installer, and the factory of the
:class:`~pyffin.distribution.sdist.SourceDistributions` an operation uses."""

from __future__ import annotations

import os
from _thread import allocate_lock
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pyffin.errors import PyffinError
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.api.session import Session
    from pyffin.build import BuildEnvironment, SourceBuilder
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.git import GitSource
    from pyffin.interpreter import Interpreter
    from pyffin.models.metadata import CoreMetadata
    from pyffin.requirements import RequirementEntry, RequirementsSpec


@record
class BuildOptions:
    """``--no-build-isolation``, ``-C/--config-setting`` and their per-package forms
    (``--no-build-isolation-package``, ``--config-settings-package``), and what the build
    dependencies are resolved with (``-b/--build-constraints``, ``--require-build-hashes``).
    """

    isolated: bool = True
    config_settings: Mapping[str, str | list[str]] | None = None
    #: Normalized names of the packages built without isolation.
    no_isolation_packages: tuple[str, ...] = ()
    #: Settings for some packages' backends, by normalized name: merged with
    #: :attr:`config_settings` (see :meth:`for_package`).
    config_settings_packages: Mapping[str, Mapping[str, str | list[str]]] | None = None
    #: Constraints files for the resolution of build dependencies.
    build_constraints: tuple[str, ...] = ()
    #: Every build dependency must be pinned with hashes in :attr:`build_constraints`.
    require_build_hashes: bool = False

    @property
    def key(self) -> str:
        """What keys the metadata and wheels built with these options in the cache: ``""``
        for the defaults, else a hash of the settings and the isolation mode."""
        if self.isolated and not self.config_settings:
            return ""
        import json

        from pyffin.cache import digest

        return digest(json.dumps([self.isolated, dict(self.config_settings or {})],
                                 sort_keys=True))

    def for_package(self, name: str) -> BuildOptions | None:
        """The options a build of the package ``name`` (normalized) runs with when it has
        options of its own, else ``None``: no isolation if it is named by
        ``no_isolation_packages``, and its ``config_settings_packages`` merged with the
        global settings as uv merges them (its own values first; a key in both becomes the
        list of both)."""
        own = (self.config_settings_packages or {}).get(name)
        if own is None and name not in self.no_isolation_packages:
            return None
        settings: dict[str, str | list[str]] = {}
        for source in (own or {}, self.config_settings or {}):
            for key, value in source.items():
                values = value if isinstance(value, list) else [value]
                previous = settings.get(key)
                if previous is None:
                    settings[key] = value if isinstance(value, str) else list(value)
                else:
                    listed = previous if isinstance(previous, list) else [previous]
                    settings[key] = [*listed, *values]
        return BuildOptions(isolated=self.isolated and name not in self.no_isolation_packages,
                            config_settings=settings or None)


def parse_package_config_settings(items: Sequence[str]
                                  ) -> dict[str, dict[str, str | list[str]]]:
    """``--config-settings-package PACKAGE:KEY=VALUE`` values, by normalized package name (a
    repeated key becomes a list, as with ``-C``)."""
    from pyffin.build import parse_config_settings
    from pyffin.errors import UsageError
    from pyffin.models.names import checked_name

    by_package: dict[str, list[str]] = {}
    for item in items:
        package, sep, setting = item.partition(":")
        try:
            name = checked_name(package.strip()) if sep else None
        except ValueError:
            name = None
        if name is None or "=" not in setting:
            raise UsageError(f"invalid --config-settings-package {item!r}: expected "
                             "PACKAGE:KEY=VALUE")
        by_package.setdefault(name, []).append(setting)
    return {name: parse_config_settings(settings) for name, settings in by_package.items()}


class BuildHashError(PyffinError):
    """``--require-build-hashes``: a build dependency has no hash in the build constraints."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


class InstallingBuildContext:
    """Resolves build requirements for the build environment's interpreter and installs them
    into it, building any that have no wheel through the same machinery.

    ``constraints`` (``-b/--build-constraints`` files) constrain that resolution, and the
    hashes they give are checked against the files installed; with ``require_hashes`` every
    build dependency must have some there."""

    def __init__(self, session: Session, *, constraints: Sequence[str] = (),
                 require_hashes: bool = False) -> None:
        self.session = session
        self.sources: SourceDistributions | None = None
        self.constraint_files = tuple(constraints)
        self.require_hashes = require_hashes
        self._constraints: tuple[RequirementEntry, ...] | None = None
        self._lock = allocate_lock()

    def constraints(self) -> tuple[RequirementEntry, ...]:
        """The build constraints, read once (the first time something is built)."""
        with self._lock:
            if self._constraints is None:
                from pyffin.requirements import read_requirements

                self._constraints = read_requirements(
                    constraints=self.constraint_files).constraints if self.constraint_files \
                    else ()
            return self._constraints

    def install_requirements(self, requirements: Sequence[str], environment: BuildEnvironment,
                             *, purpose: str) -> None:
        from pyffin.api import operations
        from pyffin.build import BuildError
        from pyffin.installer.installed import scan
        from pyffin.installer.plan import make_plan
        from pyffin.requirements import RequirementEntry, RequirementsSpec
        from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement
        from pyffin.resolver import NoSolutionError

        entries = []
        for text in requirements:
            try:
                entries.append(RequirementEntry(parse_requirement(text), origin=purpose))
            except InvalidRequirement as e:
                raise BuildError(f"invalid requirement {text!r} in the {purpose}: {e}") from None
        interpreter = environment.interpreter
        # The backend's extra requirements join what is already in the environment: prefer
        # those versions, and never leave two versions of one project side by side.
        installed = scan([Path(p) for p in interpreter.site_packages])
        constraints = self.constraints()
        try:
            resolved = operations.resolve(
                self.session, RequirementsSpec(tuple(entries), constraints=constraints),
                markers=interpreter.markers,
                tags=interpreter.tags, sources=self.sources,
                preferences=operations.installed_preferences(installed), report=False)
        except NoSolutionError as e:
            # Said as what it is: this source cannot be built (not "the requirements fail").
            from textwrap import indent

            raise BuildError(f"cannot resolve the {purpose}:\n{indent(str(e), '  ')}"
                             ) from None
        hashes = {entry.name: tuple(entry.hashes) for entry in constraints
                  if entry.name is not None and entry.hashes}
        if self.require_hashes:
            missing = sorted(p.name for p in resolved.resolution if p.name not in hashes)
            if missing:
                raise BuildHashError(
                    f"--require-build-hashes: the {purpose} need {', '.join(missing)}, which "
                    "the build constraints do not give hashes for",
                    hint="pin each build dependency with its --hash in a -b/--build-constraints "
                         "file")
        plan = make_plan(operations.wanted(resolved.resolution), installed)
        if not plan.is_noop:
            operations.prepare_and_install(
                self.session, plan, scheme=environment.scheme,
                python=os.fspath(environment.python), sources=self.sources,
                hashes=hashes or None, python_version=interpreter.version[:2])


def source_distributions(session: Session,
                         interpreter: Interpreter | Callable[[], Interpreter],
                         options: BuildOptions | None = None, *,
                         reinstall: bool = False, reinstall_packages: Sequence[str] = ()
                         ) -> SourceDistributions:
    """The source distributions of an operation whose sources are built with ``interpreter``
    (or with the one a callable finds, the first time something must be built).

    Local projects are built again, whatever was built before, for ``--refresh`` and
    ``--reinstall`` (all of them) and for ``--refresh-package`` and ``--reinstall-package``
    (the named ones), as uv does."""
    from pyffin.client.cached import Refresh
    from pyffin.distribution.sdist import SourceDistributions

    settings = options or BuildOptions()
    context = InstallingBuildContext(session, constraints=settings.build_constraints,
                                     require_hashes=settings.require_build_hashes)
    build_interpreter = _once(interpreter) if callable(interpreter) else (lambda: interpreter)

    # The builder and git are imported only when something is actually built or fetched.
    def make_builder(options: BuildOptions) -> SourceBuilder:
        from pyffin.build import SourceBuilder

        return SourceBuilder(cache=session.cache, interpreter=build_interpreter(),
                             context=context, isolated=options.isolated,
                             config_settings=dict(options.config_settings or {}) or None)

    def builder() -> SourceBuilder:
        return make_builder(settings)

    def git() -> GitSource:
        from pyffin.git import GitSource

        return GitSource(session.cache, offline=session.offline)

    sources = SourceDistributions(session.cache, session.registry,
                                  tags=lambda: build_interpreter().tags, builder=builder,
                                  git=git, build_key=settings.key)
    sources.reporter = session.reporter
    if settings.no_isolation_packages or settings.config_settings_packages:
        sources.package_builds = _PackageBuilds(settings, make_builder)
    if session.refresh or session.refresh_packages or reinstall or reinstall_packages:
        sources.rebuild = Refresh(all=session.refresh or reinstall,
                                  packages=[*session.refresh_packages, *reinstall_packages])
    context.sources = sources
    return sources


class _PackageBuilds:
    """The builders of packages with options of their own (see
    :class:`~pyffin.distribution.sdist.PackageBuilds`), made on first use."""

    def __init__(self, options: BuildOptions,
                 make_builder: Callable[[BuildOptions], SourceBuilder]) -> None:
        self.options = options
        self.make_builder = make_builder
        self._builders: dict[str, SourceBuilder] = {}
        self._lock = allocate_lock()

    def key(self, name: str) -> str | None:
        own = self.options.for_package(name)
        return None if own is None else own.key

    def builder(self, name: str) -> SourceBuilder:
        with self._lock:
            found = self._builders.get(name)
            if found is None:
                own = self.options.for_package(name)
                assert own is not None
                found = self._builders[name] = self.make_builder(own)
            return found


def build_interpreter_finder(session: Session, *, python: str | None,
                             python_version: str | None, default: Interpreter | None,
                             system: bool = False) -> Callable[[], Interpreter]:
    """How a resolution for a target finds the interpreter its sources are built with.

    ``--python`` names it (and ``default`` is that one). Otherwise, with ``--python-version``,
    an interpreter of that version (see :func:`~pyffin.interpreter.find_build_interpreter`):
    a backend run by another Python may compute other metadata, or refuse to run. When this
    machine has none, the default interpreter builds, with a warning (as uv does).
    ``system`` skips virtual environments when looking for the default.
    """

    def find() -> Interpreter:
        from pyffin import log
        from pyffin.interpreter import find_build_interpreter, find_interpreter

        if python is not None or python_version is None:
            return default or find_interpreter(python, system=system, cache=session.cache)
        from pyffin.api.target import parse_python_version

        version = parse_python_version(python_version)
        found = (find_build_interpreter(version, cache=session.cache) or default
                 or find_interpreter(None, system=system, cache=session.cache))
        if found.version[:len(version)] != version:
            log.warn_once(
                f"The requested Python version {python_version} is not available; "
                f"{found.implementation_display} {found.version_str} at {found.executable} "
                "will be used to build dependencies instead")
        else:
            log.debug(f"Building sources with {found.implementation_display} "
                      f"{found.version_str} at {found.executable}")
        return found

    return find


def _once(find: Callable[[], Interpreter]) -> Callable[[], Interpreter]:
    """``find``, called at most once (by whichever thread first needs it)."""
    lock = allocate_lock()
    found: list[Interpreter] = []

    def get() -> Interpreter:
        with lock:
            if not found:
                found.append(find())
            return found[0]

    return get


def name_entries(entries: Sequence[RequirementEntry],
                 sources: SourceDistributions | None) -> list[RequirementEntry]:
    """Requirements with a name: unnamed ones (``./pkg``, ``https://host/master.zip``) are
    named from their wheel filename or their (built) metadata."""
    from pyffin.errors import NotSupportedError

    named = []
    for entry in entries:
        if entry.requirement is not None or entry.url is None:
            named.append(entry)
            continue
        from pyffin.models.direct import parse_direct

        direct = parse_direct(entry.url, editable=entry.editable)
        if direct.is_wheel:
            from packaging.utils import parse_wheel_filename

            name = str(parse_wheel_filename(direct.filename)[0])
        elif sources is None:
            raise NotSupportedError(f"building {entry.url} is not supported here")
        else:
            name = sources.direct_metadata(direct).name
        named.append(entry.with_name(name))
    return named


class _DeferredSources:
    """A :class:`LazySources`' source distributions, made at the first attribute looked up."""

    __slots__ = ("_lazy",)

    def __init__(self, lazy: LazySources) -> None:
        self._lazy = lazy

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lazy.get(), name)


class ProjectMetadataError(PyffinError):
    """A project given as a requirements source (``setup.py``, ``setup.cfg``, a dynamic
    ``pyproject.toml``) could not report its metadata."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


class LazySources:
    """An operation's :class:`SourceDistributions`, made when first needed: also while the
    requirements are read, when a source is a project whose dependencies only its build backend
    can tell (:meth:`project_metadata`, a :data:`~pyffin.requirements.read.ProjectBuilder`)."""

    def __init__(self, session: Session,
                 interpreter: Interpreter | Callable[[], Interpreter] | None,
                 options: BuildOptions | None, *, reinstall: bool = False,
                 reinstall_packages: Sequence[str] = (), keep_prepared: bool = False) -> None:
        self.session = session
        #: See :attr:`~pyffin.distribution.sdist.SourceDistributions.keep_prepared`: the
        #: caller then calls :meth:`release`.
        self.keep_prepared = keep_prepared
        self.interpreter = interpreter
        self.options = options
        self.reinstall = reinstall
        self.reinstall_packages = reinstall_packages
        #: See :meth:`rebuild`.
        self.trees: frozenset[str] = frozenset()
        self._sources: SourceDistributions | None = None
        self._lock = allocate_lock()

    def rebuild(self, trees: Iterable[str]) -> None:
        """Build the local directories ``trees`` again, whatever was built from them before
        (:attr:`~pyffin.distribution.sdist.SourceDistributions.rebuild_trees`)."""
        from pyffin.distribution.sdist import tree_key

        self.trees = frozenset(tree_key(t) for t in trees)
        if self._sources is not None:
            self._sources.rebuild_trees = self.trees

    def release(self) -> None:
        """Remove what was kept for wheel builds that did not come (see
        :meth:`~pyffin.distribution.sdist.SourceDistributions.release_prepared`)."""
        if self._sources is not None:
            self._sources.release_prepared()

    def get(self) -> SourceDistributions | None:
        """``None`` when there is no interpreter to build with."""
        if self._sources is None and self.interpreter is not None:
            with self._lock:  # one for all threads: builds in flight are shared through it
                if self._sources is None:
                    sources = source_distributions(
                        self.session, self.interpreter, self.options, reinstall=self.reinstall,
                        reinstall_packages=self.reinstall_packages)
                    sources.rebuild_trees = self.trees
                    sources.keep_prepared = self.keep_prepared
                    self._sources = sources
        return self._sources

    def deferred(self) -> SourceDistributions | None:
        """What :meth:`get` gives, made only when first used: a resolution from wheels alone
        never imports the source-distribution machinery nor sets it up."""
        if self._sources is not None or self.interpreter is None:
            return self._sources
        return cast("SourceDistributions", _DeferredSources(self))

    def project_metadata(self, path: str, spec: RequirementsSpec) -> CoreMetadata:
        """The metadata of the project ``path`` (its ``setup.py``, ``setup.cfg`` or
        ``pyproject.toml``) belongs to, from its backend's PEP 517 metadata hook; ``spec`` is
        what was read so far (its index options serve the build requirements)."""
        from pyffin.api.operations import spec_index_settings
        from pyffin.errors import NotSupportedError
        from pyffin.models.direct import parse_direct

        self.session.configure(spec_index_settings(spec))
        sources = self.get()
        if sources is None:
            raise NotSupportedError(f"reading the dependencies of {path} needs a build, and "
                                    "there is no interpreter to build with (--python-platform)")
        directory = Path(path).absolute().parent
        try:
            return sources.direct_metadata(parse_direct(directory.as_uri()))
        except NotSupportedError:
            raise
        except PyffinError as e:
            raise ProjectMetadataError(
                f"{path}: the project cannot report its metadata (its build backend's "
                f"prepare_metadata_for_build_wheel hook, PEP 517), so its dependencies are "
                f"unknown: {e}", hint=e.hint) from e
