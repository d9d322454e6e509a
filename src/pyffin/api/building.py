"""Building from source inside an operation: the :class:`~pyffin.build.BuildContext` that
installs build requirements with pyffin's own resolver and installer, and the factory of the
:class:`~pyffin.distribution.sdist.SourceDistributions` an operation uses."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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
    """``--no-build-isolation`` and ``-C/--config-setting``."""

    isolated: bool = True
    config_settings: Mapping[str, str | list[str]] | None = None

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


class InstallingBuildContext:
    """Resolves build requirements for the build environment's interpreter and installs them
    into it, building any that have no wheel through the same machinery."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sources: SourceDistributions | None = None

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
        try:
            resolved = operations.resolve(
                self.session, RequirementsSpec(tuple(entries)), markers=interpreter.markers,
                tags=interpreter.tags, sources=self.sources,
                preferences=operations.installed_preferences(installed), report=False)
        except NoSolutionError as e:
            # Said as what it is: this source cannot be built (not "the requirements fail").
            from textwrap import indent

            raise BuildError(f"cannot resolve the {purpose}:\n{indent(str(e), '  ')}"
                             ) from None
        plan = make_plan(operations.wanted(resolved.resolution), installed)
        if not plan.is_noop:
            operations.prepare_and_install(
                self.session, plan, scheme=environment.scheme,
                python=os.fspath(environment.python), sources=self.sources)


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
    context = InstallingBuildContext(session)
    build_interpreter = _once(interpreter) if callable(interpreter) else (lambda: interpreter)

    # The builder and git are imported only when something is actually built or fetched.
    def builder() -> SourceBuilder:
        from pyffin.build import SourceBuilder

        return SourceBuilder(cache=session.cache, interpreter=build_interpreter(),
                             context=context, isolated=settings.isolated,
                             config_settings=dict(settings.config_settings or {}) or None)

    def git() -> GitSource:
        from pyffin.git import GitSource

        return GitSource(session.cache, offline=session.offline)

    sources = SourceDistributions(session.cache, session.registry,
                                  tags=lambda: build_interpreter().tags, builder=builder,
                                  git=git, build_key=settings.key)
    sources.reporter = session.reporter
    if session.refresh or session.refresh_packages or reinstall or reinstall_packages:
        sources.rebuild = Refresh(all=session.refresh or reinstall,
                                  packages=[*session.refresh_packages, *reinstall_packages])
    context.sources = sources
    return sources


def build_interpreter_finder(session: Session, *, python: str | None,
                             python_version: str | None, default: Interpreter | None
                             ) -> Callable[[], Interpreter]:
    """How a resolution for a target finds the interpreter its sources are built with.

    ``--python`` names it (and ``default`` is that one). Otherwise, with ``--python-version``,
    an interpreter of that version (see :func:`~pyffin.interpreter.find_build_interpreter`):
    a backend run by another Python may compute other metadata, or refuse to run. When this
    machine has none, the default interpreter builds, with a warning (as uv does).
    """

    def find() -> Interpreter:
        from pyffin import log
        from pyffin.interpreter import find_build_interpreter, find_interpreter

        if python is not None or python_version is None:
            return default or find_interpreter(python, cache=session.cache)
        from pyffin.api.target import parse_python_version

        version = parse_python_version(python_version)
        found = (find_build_interpreter(version, cache=session.cache) or default
                 or find_interpreter(None, cache=session.cache))
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
    lock = threading.Lock()
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


class ProjectMetadataError(PyffinError):
    """A project given as a requirements source (``setup.py``, ``setup.cfg``, a dynamic
    ``pyproject.toml``) could not report its metadata."""


class LazySources:
    """An operation's :class:`SourceDistributions`, made when first needed: also while the
    requirements are read, when a source is a project whose dependencies only its build backend
    can tell (:meth:`project_metadata`, a :data:`~pyffin.requirements.read.ProjectBuilder`)."""

    def __init__(self, session: Session,
                 interpreter: Interpreter | Callable[[], Interpreter] | None,
                 options: BuildOptions | None, *, reinstall: bool = False,
                 reinstall_packages: Sequence[str] = ()) -> None:
        self.session = session
        self.interpreter = interpreter
        self.options = options
        self.reinstall = reinstall
        self.reinstall_packages = reinstall_packages
        self._sources: SourceDistributions | None = None

    def get(self) -> SourceDistributions | None:
        """``None`` when there is no interpreter to build with."""
        if self._sources is None and self.interpreter is not None:
            self._sources = source_distributions(
                self.session, self.interpreter, self.options, reinstall=self.reinstall,
                reinstall_packages=self.reinstall_packages)
        return self._sources

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
