"""``pyffin.compile``: requirements in, a pinned resolution out (``pyffin pip compile``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import pyffin.collector as collector
from pyffin.errors import PyffinError, UsageError
from pyffin.records import record

if TYPE_CHECKING:
    from typing import Literal

    from packaging.utils import NormalizedName

    from pyffin.api.building import BuildOptions, LazySources
    from pyffin.api.exclude_newer import ExcludeNewer
    from pyffin.api.operations import ResolveOptions
    from pyffin.api.resolution_cache import ResolutionCache
    from pyffin.api.session import Session
    from pyffin.api.target import Target
    from pyffin.interpreter import Interpreter
    from pyffin.models.dist import Distribution
    from pyffin.models.pylock import LockedFile, LockedPackage, PylockFile
    from pyffin.models.versions import Version
    from pyffin.requirements import RequirementEntry, RequirementsSpec
    from pyffin.requirements.pep508 import Requirement
    from pyffin.resolver import Resolution
    from pyffin.resolver.index_source import IndexSource
    from pyffin.resolver.options import ForkStrategy, PrereleaseMode, ResolutionMode
    from pyffin.resolver.resolution import ResolvedPackage
    from pyffin.resolver.universal import UniversalResolution
    from pyffin.settings import IndexSettings

    #: What ``compile`` writes: pinned requirements, or a PEP 751 lock file.
    OutputFormat = Literal["requirements.txt", "pylock.toml"]


def choose_output_format(given: str | None, output_file: str | os.PathLike[str] | None
                         ) -> OutputFormat:
    """``--format``, else what the output file's name says (as uv: ``*.toml`` is a lock
    file). A lock must be named ``pylock.toml`` or ``pylock.NAME.toml`` (PEP 751), and a file
    so named holds nothing but a lock."""
    from pyffin.models.files import is_pylock_filename

    name = Path(output_file).name if output_file not in (None, "-") else None
    if given is None:
        given = "pylock.toml" if name is not None and name.lower().endswith(".toml") \
            else "requirements.txt"
    if given not in ("requirements.txt", "pylock.toml"):
        raise UsageError(f"invalid output format {given!r} (expected requirements.txt or "
                         "pylock.toml)")
    if given == "requirements.txt" and name is not None and is_pylock_filename(name):
        raise UsageError(f"{name} names a PEP 751 lock file: requirements.txt syntax does not "
                         "belong in it", hint="drop --format requirements.txt, or name the "
                         "output requirements.txt")
    if given == "pylock.toml" and name is not None and not is_pylock_filename(name):
        raise UsageError(f"the output file of a lock must be named pylock.toml or "
                         f"pylock.NAME.toml (NAME without dots), not {name!r}")
    return "pylock.toml" if given == "pylock.toml" else "requirements.txt"


@record
class CompileResult:
    """A resolution and what is needed to write it out."""

    #: A :class:`~pyffin.resolver.universal.UniversalResolution` for ``universal=True``.
    resolution: Resolution | UniversalResolution
    target: Target
    spec: RequirementsSpec
    #: ``name -> ["sha256:…", …]`` when hashes were asked for.
    hashes: dict[str, list[str]] | None
    index_settings: IndexSettings
    #: Seconds spent resolving (for the summary line).
    elapsed: float
    sources: tuple[str, ...] = ()
    #: The lock (PEP 751) of the resolution, when ``compile`` was asked for one; local paths
    #: in it are absolute until :meth:`to_pylock_toml` writes them.
    lock: PylockFile | None = None
    #: The interpreter the target was taken from (``None``: given as a version and platform).
    interpreter: Interpreter | None = None
    #: When the resolution came from the resolution cache or was kept in it: the cache
    #: entries and local files it holds on (see :meth:`ResolutionCache.witnesses
    #: <pyffin.api.resolution_cache.ResolutionCache.witnesses>`).
    kept: tuple[tuple[str, tuple[int, ...] | None, float | None], ...] | None = None
    #: With ``marker_expression``: the environment markers the resolution read, as this
    #: target has them (``python_full_version == '3.12.1' and sys_platform == 'linux'``):
    #: where it is known to hold (``None``: everywhere).
    marker_expression: str | None = None

    def to_pylock_toml(self, *, header_command: str | None = None,
                       no_emit_packages: Iterable[str] = (),
                       directory: str | Path | None = None) -> str:
        """The resolution as a ``pylock.toml`` (PEP 751), as ``uv pip compile --format
        pylock.toml`` writes it. Local paths the user gave relative are written relative to
        ``directory`` (the output file's; default: the working directory)."""
        if self.lock is None:
            raise UsageError("this result has no lock: compile with output_format="
                             "'pylock.toml'")
        from pyffin.models.names import checked_name
        from pyffin.models.pylock import dumps
        from pyffin.records import replace

        given = list(dict.fromkeys(checked_name(n) for n in no_emit_packages))
        omitted = frozenset(given)
        base = os.path.abspath(directory if directory is not None else os.curdir)
        relative = {name for name, text in self.written().items()
                    if not os.path.isabs(text.removeprefix("-e ").strip())}
        packages = [_relative_paths(p, base) if p.name in relative else p
                    for p in self.lock.packages if p.name not in omitted]
        if omitted:  # nor named as a dependency: each entry names one that is there
            packages = [replace(p, dependencies=tuple(
                d for d in p.dependencies if d.get("name") not in omitted)) for p in packages]
        header = [_HEADER, f"#    {header_command}"] if header_command is not None else []
        lines = dumps(replace(self.lock, packages=tuple(packages)), header=header)
        locked = {p.name for p in self.lock.packages}
        excluded = [name for name in given if name in locked]  # as given, as uv lists them
        if excluded:
            lines += "\n# The following packages were excluded from the output:\n" + "".join(
                f"# {name}\n" for name in excluded)
        return lines

    def __repr__(self) -> str:
        pins = listed([f"{package.name}=={package.version}"
                       + (f" ; {package.marker}" if package.marker else "")
                       for package in self.resolution])
        from pyffin.resolver import Resolution

        target = self.target.description if isinstance(self.resolution, Resolution) \
            else "universal"
        return f"CompileResult({target}: {pins})"

    def to_requirements_txt(self, *, header_command: str | None = None, annotate: bool = True,
                            annotation_style: str = "split", emit_index_url: bool = False,
                            emit_find_links: bool = False,
                            no_emit_packages: Iterable[str] = (), strip_extras: bool = True,
                            emit_index_annotation: bool = False,
                            build_options: Sequence[str] = ()) -> str:
        """The resolution as a requirements file, as ``uv pip compile`` writes it (the
        arguments are its options: ``strip_extras=False`` is ``--no-strip-extras``;
        ``build_options``, the lines ``--emit-build-options`` writes: see
        :func:`build_option_lines`), with :attr:`marker_expression` when there is one."""
        from pyffin.models.names import checked_name
        from pyffin.models.urls import strip_credentials
        from pyffin.resolver import format_requirements

        if annotation_style not in ("split", "line"):
            raise UsageError(f"invalid annotation style {annotation_style!r} "
                             "(expected split or line)")
        settings = self.index_settings
        # A URL a requirements file wrote with ${VARS} is repeated so; any other loses its
        # credentials (a lock file is shared; the variables are each reader's own).
        written = dict(self.spec.written_urls)

        def shown(url: str) -> str:
            return written.get(url) or strip_credentials(url)

        index_url = None
        extra: list[str] = []
        if emit_index_url and not settings.no_index:
            index_url = shown(settings.index_url or "https://pypi.org/simple")
            extra = [shown(u) for u in settings.extra_index_urls or ()]
        return format_requirements(
            self.resolution,
            header_command=header_command,
            annotate=annotate,
            annotation_style=annotation_style,  # type: ignore[arg-type]
            hashes=self.hashes,
            index_url=index_url,
            extra_index_urls=extra,
            find_links=[written.get(link, link) for link in settings.find_links or ()]
            if emit_find_links else (),
            no_emit_packages=frozenset(checked_name(n) for n in no_emit_packages),
            written=self.written(),
            strip_extras=strip_extras,
            index_annotation=emit_index_annotation,
            build_options=build_options,
            marker_expression=self.marker_expression,
        )

    def written(self) -> dict[str, str]:
        """The pins to write as the user wrote their direct reference (see
        :func:`written_requirement`), by name."""
        entries = [e for e in (*self.spec.requirements, *self.spec.constraints,
                               *self.spec.overrides) if e.url is not None and e.given]
        written: dict[str, str] = {}
        for package in self.resolution:
            if package.url is None:
                continue
            from pyffin.resolver.dependencies import same_url

            for entry in entries:
                if entry.url is not None and same_url(entry.url, package.url):
                    text = written_requirement(package.name, entry, package.url)
                    if text is not None:
                        written[package.name] = text
                    break
        return written


_HEADER = "# This file was autogenerated by pyffin via the following command:"


def _relative_paths(package: LockedPackage, base: str) -> LockedPackage:
    """``package`` with its local paths relative to ``base``."""
    from pyffin.records import replace

    def rel(path: str) -> str:
        return os.path.relpath(path, base).replace(os.sep, "/")

    if package.directory is not None:
        return replace(package, directory=replace(package.directory,
                                                  path=rel(package.directory.path)))
    if package.archive is not None and package.archive.path is not None:
        return replace(package, archive=replace(package.archive,
                                                path=rel(package.archive.path)))
    return package


def listed(items: Sequence[str], limit: int = 12) -> str:
    """``a, b, c`` for a repr: the first ``limit`` items and how many more."""
    shown = ", ".join(items[:limit])
    return f"{shown}, ... ({len(items) - limit} more)" if len(items) > limit else shown


def written_requirement(name: str, entry: RequirementEntry,
                        resolved: str | None = None) -> str | None:
    """How a compiled file writes a pin from a direct reference, as uv does: an editable as
    ``-e`` and its reference as given; a local path as given (``./pkg``, relative paths stay
    relative); a ``file:`` URL as ``name @ file:…`` as given. ``None``: the resolution's URL
    (remote URLs, git pinned to its commit), but a remote URL written with ``${VARS}`` keeps
    them (the ``resolved`` URL, git's pinned commit, with the credentials as written)."""
    from pyffin.requirements.requirement import url_scheme

    given = entry.given
    if given is None or entry.url is None:
        return None
    if entry.editable:
        return f"-e {given}"
    if not entry.url.startswith("file:"):
        if "${" not in given:
            return None
        if resolved is None or resolved == entry.url:
            return f"{name} @ {given}"
        from urllib.parse import urlsplit, urlunsplit

        written, pinned = urlsplit(given), urlsplit(resolved)
        if "${" not in written.netloc:
            return None
        return f"{name} @ {urlunsplit(pinned._replace(netloc=written.netloc))}"
    if url_scheme(given) is None:
        return given  # a path: a requirements file may name a project by its path
    return f"{name} @ {given}"


def compile(  # the public name mirrors `pyffin pip compile`
    sources: Sequence[str | Path] = (),
    *,
    requirements: Sequence[str] = (),
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
    python_version: str | None = None,
    python_platform: str | None = None,
    resolution: ResolutionMode = "highest",
    prerelease: PrereleaseMode | None = None,
    prerelease_packages: Iterable[tuple[str, PrereleaseMode]] = (),
    exclude_newer: str | None = None,
    exclude_newer_packages: Iterable[str] = (),
    only_binary: Iterable[str] = (),
    no_binary: Iterable[str] = (),
    no_build: bool = False,
    no_deps: bool = False,
    upgrade: bool = False,
    upgrade_packages: Iterable[str] = (),
    preferences_from: str | Path | None = None,
    generate_hashes: bool = False,
    output_format: OutputFormat = "requirements.txt",
    build: BuildOptions | None = None,
    stdin: TextIO | None = None,
    universal: bool = False,
    fork_strategy: ForkStrategy = "requires-python",
    strip_markers: bool = True,
    environments: Sequence[str] = (),
    required_environments: Sequence[str] = (),
    marker_expression: bool = False,
) -> CompileResult:
    """Resolve ``sources`` (requirements files, ``pyproject.toml``, ``setup.py`` /
    ``setup.cfg``, PEP 723 scripts, ``-`` for ``stdin``) and ``requirements`` (strings) into
    pinned versions for the target (``system``: an interpreter found outside virtual
    environments, as uv's ``--system``).

    ``excludes`` are files naming projects to leave out of the resolution, as uv's
    ``--excludes``: every requirement on one is dropped, direct or not (its own dependencies
    with it). ``prerelease_packages`` are ``(normalized name, mode)`` pairs (uv's
    ``--prerelease-package``): ``prerelease`` holds for the other packages.
    ``groups`` (``NAME`` or ``path/to/pyproject.toml:NAME``), ``only_groups``, ``all_groups``
    and ``no_groups`` select PEP 735 dependency groups. ``no_deps`` pins the requirements
    alone, without their dependencies. ``exclude_newer`` and ``exclude_newer_packages``
    (``NAME=DATE``) are read as :mod:`pyffin.api.exclude_newer` describes.
    ``preferences_from`` names an existing output file (a requirements file or a
    ``pylock.toml``) whose pins are kept unless ``upgrade`` or ``upgrade_packages`` say
    otherwise. ``output_format="pylock.toml"`` makes the result's :attr:`~CompileResult.lock`
    (every file of each pinned release, with its hashes). ``universal`` resolves for every
    platform and every Python from ``python_version`` (else the interpreter's) on, or for
    the ``environments`` markers (which must not overlap), and pins each version with the
    marker where it is needed (see :mod:`pyffin.resolver.forks`); versions without a source
    distribution must have wheels for those environments and the
    ``required_environments``; ``fork_strategy`` is uv's ``--fork-strategy`` (see
    :data:`~pyffin.resolver.options.ForkStrategy`). Without ``strip_markers`` (uv's
    ``--no-strip-markers``) a resolution for one target marks each package with where the
    requirements need it, as a lock does (``attrs==26.1.0 ; python_full_version < '3.13'``).
    ``marker_expression`` (uv's ``--emit-marker-expression``, for one target) makes the result's
    :attr:`~CompileResult.marker_expression`. Raises
    :class:`~pyffin.resolver.NoSolutionError` when the requirements cannot all hold.
    """
    from pyffin.api import operations
    from pyffin.api.building import LazySources, build_interpreter_finder
    from pyffin.api.session import Session
    from pyffin.api.target import make_target
    from pyffin.interpreter import start_find_interpreter
    from pyffin.requirements import GroupSelection, read_requirements

    started = time.perf_counter()
    if output_format not in ("requirements.txt", "pylock.toml"):
        raise UsageError(f"invalid output format {output_format!r} (expected "
                         "requirements.txt or pylock.toml)")
    if fork_strategy not in ("fewest", "requires-python"):
        raise UsageError(f"invalid fork strategy {fork_strategy!r} (expected fewest or "
                         "requires-python)")
    from pyffin.models.files import is_pylock_filename

    for source in (*sources, *constraints, *overrides, *excludes):
        if is_pylock_filename(Path(source).name):
            raise UsageError(f"{source}: a pylock.toml is not an input of compile (it is "
                             "installed as it is: pyffin pip sync pylock.toml)")
    if universal or environments or required_environments:
        from pyffin.api import universal as universal_module

        universal_module.check_no_platform(True, python_platform)
        universal = True
    session = session or Session()
    if python_platform is not None:  # (the OS --torch-backend auto picks indexes for)
        session.python_platform = python_platform
    upgrade_packages = tuple(upgrade_packages)
    if upgrade or upgrade_packages:  # the newest is looked for: kept pages are asked again
        session.look_again(everything=upgrade,
                           packages=operations.upgrade_requests(upgrade_packages)[0])
    exclude_newer_packages = tuple(exclude_newer_packages)
    cutoffs = None
    if exclude_newer is not None or exclude_newer_packages:
        from pyffin.api.exclude_newer import parse_exclude_newer

        cutoffs = parse_exclude_newer(exclude_newer, exclude_newer_packages)
    found_interpreter: list[Interpreter | None] = []
    operations.start_page_workers(session)  # (before any thread starts)
    # On a cold cache the interpreter's probe runs while the requirements are read and their
    # pages asked for.
    find = (start_find_interpreter(python, cache=session.cache, system=system)
            if python_platform is None or python_version is None else None)

    def target_interpreter() -> Interpreter | None:
        if not found_interpreter:
            found_interpreter.append(None if find is None else find())
        return found_interpreter[0]

    # What no wheel tells comes from sources, built (when their metadata is not static) by an
    # interpreter of the target's Python version, found only if something is built; for
    # another platform too, as uv: the metadata hook of a pure-Python project gives what it
    # gives there.
    lazy = LazySources(session, lambda: build_interpreter_finder(
        session, python=python, python_version=python_version, default=target_interpreter(),
        system=system)(),
        build)
    try:
        spec = read_requirements(
            [str(s) for s in sources], requirements=requirements,
            constraints=[str(c) for c in constraints], overrides=[str(o) for o in overrides],
            excludes=[str(e) for e in excludes], extras=extras, all_extras=all_extras,
            groups=GroupSelection(tuple(groups), tuple(only_groups), all_groups,
                                  tuple(no_groups)),
            stdin=stdin, build_project=lazy.project_metadata)
    except PyffinError:
        target_interpreter()  # its error first, as when it was found before reading
        raise
    if not spec.requirements and not sources:
        try:  # a lookup started is not left half done (its error is not this one)
            target_interpreter()
        except PyffinError:
            pass
        raise UsageError("no requirements given: pass requirements files or package names")
    if not spec.requirements and not (spec.constraints or spec.overrides):
        # Sources with nothing to resolve (a file of comments, a project without
        # dependencies): an empty resolution, with uv's warning.
        from pyffin import log

        for source in spec.sources or sources:
            log.warn(f"Requirements file `{source}` does not contain any dependencies")
    # From the first page asked for to the solution: the pages the pool parses meanwhile, and
    # everything the solver makes, live until it is done (see pyffin.collector).
    with collector.paused():
        if not universal:
            operations.prefetch_requirement_pages(session, spec, no_binary=tuple(no_binary))
        elif session.page_workers is not None:
            operations.configure_indexes(session, spec)
        interpreter = target_interpreter()
        target = make_target(interpreter, python_version=python_version,
                             python_platform=python_platform)
        options = operations.ResolveOptions(
            resolution=resolution, prerelease=prerelease,
            prerelease_packages=tuple(prerelease_packages), only_binary=tuple(only_binary),
            no_binary=tuple(no_binary), no_build=no_build,
            fork_strategy=fork_strategy if universal else "requires-python")
        if universal:
            return _compile_universal(
                session, spec, target, interpreter, lazy, cutoffs, started, build,
                python_version=python_version, python_platform=python_platform,
                environments=environments,
                required_environments=required_environments, options=options, upgrade=upgrade,
                upgrade_packages=upgrade_packages, no_deps=no_deps,
                preferences_from=preferences_from, generate_hashes=generate_hashes,
                output_format=output_format)
        operations.check_requires_python(spec, target)
        session.configure(operations.spec_index_settings(spec))
        assert session.index_settings is not None
        preferences = {} if upgrade else _preferences(preferences_from)
        upgrade_packages = tuple(upgrade_packages)
        from pyffin.api.resolution_cache import ResolutionCache

        # A lock (pylock.toml) lists every file of each release, which only the package source
        # knows: it is made by solving, not kept.
        kept = None if (output_format == "pylock.toml" or not strip_markers
                        or marker_expression) else ResolutionCache.of(
            session, spec, target, cutoffs=cutoffs, preferences=preferences, upgrade=upgrade,
            upgrade_packages=upgrade_packages,
            output_file=preferences_from is not None and str(preferences_from) != "-",
            files=build.build_constraints if build is not None else (),
            inputs=(options, no_deps, generate_hashes, build, python_version, python_platform))
        found = None if kept is None else kept.get()
        if found is not None:
            return CompileResult(found[0], target, spec, found[1], session.index_settings,
                                 time.perf_counter() - started, tuple(spec.sources),
                                 interpreter=interpreter, kept=_witnesses(kept))
        builds = lazy.deferred()
        resolved = operations.resolve(
            session, spec, markers=target.markers, tags=target.tags, sources=builds,
            options=options, cutoffs=cutoffs, preferences=None if upgrade else preferences,
            upgrade=upgrade, upgrade_packages=upgrade_packages, no_deps=no_deps,
            requested_python=target.requested_python)
        result = _pin_git_commits(resolved.resolution)
        hashes = _hashes(result, resolved.source) if generate_hashes else None
        if kept is not None:
            kept.put(result, hashes)
        # As uv writes it: the version --python-version gives (3.11 or 3.11.4), else the
        # interpreter's full version.
        version = (target.markers["python_version"] if python_version is not None
                   and python_version.count(".") < 2 else
                   target.markers.get("python_full_version")
                   or target.markers["python_version"])
        if not strip_markers:
            from pyffin.records import replace
            from pyffin.resolver import Resolution

            reached = _reach_markers(result, resolved.entries, resolved.source, target.markers,
                                     f">={version}")
            result = Resolution({package.name: replace(package, marker=reached.get(package.name))
                                 for package in result})
        expression = (_marker_expression(result, spec, resolved.source, target.markers)
                      if marker_expression else None)
        lock = None
        if output_format == "pylock.toml":
            lock = _lock(result, resolved.source, requires_python=f">={version}",
                         tags=frozenset(target.tags),
                         markers=_reach_markers(result, resolved.entries, resolved.source,
                                                target.markers, f">={version}"))
        return CompileResult(result, target, spec, hashes, session.index_settings,
                             time.perf_counter() - started, tuple(spec.sources), lock,
                             interpreter=interpreter, kept=_witnesses(kept),
                             marker_expression=expression)


def build_option_lines(spec: RequirementsSpec, *, no_binary: Iterable[str] = (),
                       only_binary: Iterable[str] = (), no_build: bool = False) -> list[str]:
    """The ``--no-binary`` and ``--only-binary`` lines ``--emit-build-options`` writes, as uv
    writes them: one name a line, the command's then the requirements files', ``--no-build``
    as ``--only-binary :all:``."""
    no_binaries = [*no_binary, *spec.no_binary]
    only_binaries = [":all:"] if no_build else [*only_binary, *spec.only_binary]
    return ([f"--no-binary {name}" for name in dict.fromkeys(no_binaries)]
            + [f"--only-binary {name}" for name in dict.fromkeys(only_binaries)])


def _witnesses(kept: ResolutionCache | None,
               ) -> tuple[tuple[str, tuple[int, ...] | None, float | None], ...] | None:
    found = None if kept is None else kept.witnesses()
    return None if found is None else tuple(found)


def _compile_universal(
    session: Session, spec: RequirementsSpec, target: Target, interpreter: Interpreter | None,
    lazy: LazySources, cutoffs: ExcludeNewer | None, started: float,
    build: BuildOptions | None, *, python_version: str | None, python_platform: str | None,
    environments: Sequence[str],
    required_environments: Sequence[str], options: ResolveOptions, upgrade: bool,
    upgrade_packages: Iterable[str], no_deps: bool, preferences_from: str | Path | None,
    generate_hashes: bool, output_format: OutputFormat,
) -> CompileResult:
    """:func:`compile`'s universal resolution: for every Python from ``python_version`` (else
    the interpreter's) on, not the target's alone, so a script's requires-python is not
    checked against the target."""
    from pyffin.api import operations
    from pyffin.api import universal as universal_module
    from pyffin.api.resolution_cache import ResolutionCache

    requires_python = universal_module.requires_python(python_version, interpreter)
    session.configure(operations.spec_index_settings(spec))
    preferences = () if upgrade else universal_module.pinned_preferences(preferences_from)
    current = interpreter.markers if interpreter is not None else None
    upgrade_packages = tuple(upgrade_packages)
    # Kept as a plain compile's is, keyed by what only a universal resolution reads: the
    # Python range, the environments, the output file's pins with their markers (so no second
    # record for its own pins: the next run with that file solves once more and keeps that).
    kept = None if output_format == "pylock.toml" else ResolutionCache.of(
        session, spec, target, cutoffs=cutoffs, preferences={}, upgrade=upgrade,
        upgrade_packages=upgrade_packages,
        files=build.build_constraints if build is not None else (),
        inputs=("universal", requires_python, tuple(environments),
                tuple(required_environments), preferences,
                None if current is None else sorted(current.items()), options, no_deps,
                generate_hashes, build, python_version, python_platform))
    found = None if kept is None else kept.get()
    if found is not None:
        assert session.index_settings is not None
        return CompileResult(found[0], target, spec, found[1], session.index_settings,
                             time.perf_counter() - started, tuple(spec.sources),
                             interpreter=interpreter, kept=_witnesses(kept))
    builds = lazy.deferred()
    resolved = operations.resolve_universal(
        session, spec, requires_python=requires_python, environments=environments,
        required_environments=required_environments, tags=target.tags, sources=builds,
        options=options, cutoffs=cutoffs, preferences=preferences,
        upgrade=upgrade, upgrade_packages=upgrade_packages, no_deps=no_deps, current=current)
    source = resolved.source
    result = universal_module.pin_git_commits(resolved.resolution, source)
    hashes = None
    if generate_hashes:
        hashes = universal_module.hashes(
            result, lambda name, version: _release_hashes(
                source, name, version, source.files(name, version).best))
    if kept is not None:
        kept.put(result, hashes)
    lock = None
    if output_format == "pylock.toml":
        # The environments are known when given; each package's marker says where it is
        # needed. Which version of a name pinned twice a dependency means is not recorded,
        # so no entry lists its dependencies (as uv's).
        lock = _lock(result, source, requires_python=result.requires_python,
                     environments=tuple(environments) or None, dependencies=False)
    assert session.index_settings is not None
    return CompileResult(result, target, spec, hashes, session.index_settings,
                         time.perf_counter() - started, tuple(spec.sources), lock,
                         interpreter=interpreter, kept=_witnesses(kept))


def _pin_git_commits(resolution: Resolution) -> Resolution:
    """Git requirements are written pinned to the commit their revision resolved to."""
    from pyffin.records import replace
    from pyffin.resolver import Resolution as ResolutionType

    if not any(p.url and p.url.startswith("git+") for p in resolution):
        return resolution
    packages = dict(resolution.packages)
    for name, package in packages.items():
        dist = package.dist
        if dist is None or dist.commit is None or dist.direct is None or dist.direct.git is None:
            continue
        packages[name] = replace(package, url=dist.direct.git.with_rev(dist.commit).url)
    return ResolutionType(packages)


def _preferences(path: str | Path | None) -> dict[str, Version]:
    """Pins of an existing output file: ``name==version`` lines only, or the versions of a
    ``pylock.toml``'s packages."""
    if path is None or str(path) == "-" or not Path(path).is_file():
        return {}
    from pyffin.models.files import is_pylock_filename

    if is_pylock_filename(Path(path).name):
        from pyffin.models.versions import Version
        from pyffin.requirements.pylock import read_pylock

        return {p.name: Version(p.version) for p in read_pylock(path).packages
                if p.version is not None and p.marker is None}
    from pyffin.models.versions import InvalidVersion, Version
    from pyffin.requirements import parse_requirements_file

    preferences: dict[str, Version] = {}
    for entry in parse_requirements_file(path).requirements:
        if entry.requirement is None or entry.name is None:
            continue
        specifiers = list(entry.requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator in ("==", "==="):
            try:
                preferences[entry.name] = Version(specifiers[0].version)
            except InvalidVersion:
                continue
    return preferences


def _hashes(resolution: Resolution, source: IndexSource) -> dict[str, list[str]]:
    """``sha256`` of every file of each pinned release, for every platform and Python (so a
    hashed lock made here installs anywhere), as uv writes them: the index's hashes of all the
    release's files but those ``--exclude-newer`` leaves out; a file the index lists without a
    hash is read (or downloaded) only if it is the one this target uses."""
    return {package.name: _release_hashes(source, package.name, package.version, package.dist)
            for package in resolution}


def _release_hashes(source: IndexSource, name: str, version: Version,
                    chosen: Distribution | None) -> list[str]:
    """The ``sha256:…`` digests of every file of one release whose ``chosen`` file is the
    one the target uses (see :func:`_hashes`)."""
    digests: set[str] = set()
    for dist in source.release_files(name, version):
        if dist.file is not None:
            digest = dist.file.hash("sha256")
            if digest is None and chosen is not None and \
                    dist.file.url == (chosen.file and chosen.file.url):
                digest = _compute_sha256(source, dist.file.url)
        elif dist.direct is not None and dist.direct.kind in ("sdist-url", "path") and \
                not dist.direct.is_directory:
            url = dist.direct.url.partition("#")[0]
            digest = dict(dist.direct.hashes).get("sha256") or _compute_sha256(source, url)
        else:
            continue  # a git checkout or a directory has no archive to hash
        if digest is not None:
            digests.add(f"sha256:{digest}")
    return sorted(digests)


def _compute_sha256(source: IndexSource, url: str) -> str:
    """The sha256 of a file the index lists without a hash: read or download it."""
    import hashlib

    digest = hashlib.sha256()
    if url.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        from pyffin.cache.fs import stamp

        path = unquote(urlsplit(url).path)
        # A kept resolution's hashes hold while the file does (see resolution_cache).
        source.registry.cached.note_local(path, stamp(path))
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def reset() -> None:
        nonlocal digest
        digest = hashlib.sha256()

    source.registry.stream(url, lambda chunk: digest.update(chunk), reset)
    return digest.hexdigest()


# ------------------------------------------------------------------------------ pylock.toml
def _published_requirements(resolution: Resolution, source: IndexSource,
                            ) -> Iterator[tuple[ResolvedPackage, Requirement]]:
    """Each pinned release with each requirement its metadata publishes (those that cannot
    be read or parsed left out: the resolution read them already)."""
    from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement

    for package in resolution:
        try:
            requires_dist = source.metadata(cast("NormalizedName", package.name),
                                            package.version).requires_dist
        except PyffinError:
            continue
        for text in requires_dist:
            try:
                yield package, parse_requirement(text)
            except InvalidRequirement:
                continue


def _marker_expression(resolution: Resolution, spec: RequirementsSpec, source: IndexSource,
                       environment: Mapping[str, str]) -> str | None:
    """uv's ``--emit-marker-expression``: every environment marker compared by the
    requirements (the user's, with their constraints and overrides) and by the published
    dependencies of every pinned release (under extras too), each equal to the target's
    value, joined; ``None`` when none is compared."""
    from pyffin.models.markers import Marker, MarkerError
    from pyffin.models.names import normalize_name

    keys: set[str] = set()

    def note(marker: Any) -> None:
        if marker is not None:
            try:
                keys.update(Marker.parse(str(marker)).environment_keys())
            except MarkerError:
                pass

    def by_name(entries: Sequence[RequirementEntry]) -> dict[str, list[RequirementEntry]]:
        found: dict[str, list[RequirementEntry]] = {}
        for entry in entries:
            if entry.name is not None:
                found.setdefault(normalize_name(entry.name), []).append(entry)
        return found

    overrides, constraints = by_name(spec.overrides), by_name(spec.constraints)

    def requirement(name: str, marker: Any) -> None:
        """A requirement on ``name``: overrides stand for it, constraints join it."""
        for entry in overrides.get(name) or ():
            note(entry.marker)
        if name not in overrides:
            note(marker)
        for entry in constraints.get(name, ()):
            note(entry.marker)

    for entry in spec.requirements:
        if entry.name is None:
            note(entry.marker)
        else:
            requirement(normalize_name(entry.name), entry.marker)
    for _, parsed in _published_requirements(resolution, source):
        requirement(normalize_name(parsed.name), parsed.marker)
    expression = Marker.TRUE
    for key in sorted(keys):
        value = environment.get(key)
        if value is None and key == "python_full_version":
            value = environment.get("python_version")
        value = value or ""
        quote = '"' if "'" in value else "'"
        try:
            expression &= Marker.parse(f"{key} == {quote}{value}{quote}")
        except MarkerError:  # a value no marker can compare with (both quotes in it)
            continue
    return str(expression) or None


def _reach_markers(resolution: Resolution, entries: Sequence[RequirementEntry],
                   source: IndexSource, environment: Mapping[str, str],
                   requires_python: str) -> dict[str, str]:
    """Where each package of a resolution for one target is needed, as uv writes it in a
    lock: the markers along the requirements that lead to it from the user's (those that hold
    on the target, ``extra`` settled by the extras the resolution uses), joined over every
    path and simplified for ``requires_python``; a package needed everywhere is left out."""
    from pyffin.models.markers import Marker, MarkerError
    from pyffin.models.names import normalize_name
    from pyffin.resolver.forks import reachability

    names = {package.name for package in resolution}
    evaluated = {**environment, "extra": ""}

    def holds(marker: Any, extras: Iterable[str]) -> Marker | None:
        """The edge's marker once the extras are known, ``None`` when it does not hold."""
        if marker is None:
            return Marker.TRUE
        found: Marker | None = None
        for extra in ("", *extras):
            try:
                reduced = marker.with_extra(extra)
                if reduced is False or (reduced is not True
                                        and not reduced.evaluate(evaluated)):
                    continue
                here = Marker.TRUE if reduced is True else Marker.parse(str(reduced))
            except (ValueError, MarkerError):
                continue
            found = here if found is None else found | here
        return found

    edges: dict[tuple[str, str], Marker] = {}

    def add(parent: str, child: str, marker: Marker | None) -> None:
        if marker is not None:
            known = edges.get((parent, child))
            edges[(parent, child)] = marker if known is None else known | marker

    for entry in entries:
        if entry.name in names:
            add("", entry.name, holds(entry.marker, ()))
    for package, requirement in _published_requirements(resolution, source):
        child: str = normalize_name(requirement.name)
        if child in names and child != package.name:
            add(package.name, child, holds(requirement.marker, package.extras))
    found = {}
    for name, marker in reachability(edges, "", Marker.TRUE).items():
        simplified = marker.simplify_python(requires_python)
        if name and not simplified.is_true():
            found[name] = str(simplified)
    return found


def _lock(resolution: Resolution | UniversalResolution, source: IndexSource, *,
          requires_python: str, environments: tuple[str, ...] | None = None,
          dependencies: bool = True, tags: frozenset[str] | None = None,
          markers: Mapping[str, str] | None = None) -> PylockFile:
    """The PEP 751 lock of ``resolution``: each package with every file of its release (as
    ``--generate-hashes`` hashes them; with ``tags``, a resolution for one target's, only the
    wheels it can install, as uv writes it: the packages were chosen for that target alone)
    or its direct source, its marker, and (with ``dependencies``) the packages it depends
    on."""
    from pyffin.models.pylock import LockedPackage, PylockFile

    depends_on: dict[str, list[str]] = {}
    for package in resolution if dependencies else ():
        for dependent in package.dependents:
            depends_on.setdefault(dependent, []).append(package.name)
    packages = []
    for package in resolution:
        locked = LockedPackage(
            package.name, str(package.version),
            marker=package.marker if markers is None else markers.get(package.name),
            dependencies=tuple({"name": n} for n in sorted(depends_on.get(package.name, ()))),
            key=package.name)
        dist = package.dist
        if dist is None:  # a universal resolution's: the file its pin was chosen by
            dist = source.files(package.name, package.version).best
            if dist.direct is not None and dist.direct.git is not None and package.url:
                from pyffin.records import replace

                dist = replace(dist, commit=dist.commit or _git_rev(package.url))
        packages.append(_locked_source(locked, dist, source, package.name, package.version,
                                       tags))
    return PylockFile("1.0", "pyffin", tuple(packages), requires_python=requires_python,
                      environments=environments)


def _git_rev(url: str) -> str | None:
    from pyffin.models.direct import parse_direct

    git = parse_direct(url).git
    return git.rev if git is not None else None


def _locked_source(locked: LockedPackage, dist: Distribution | None, source: IndexSource,
                   name: str, version: Version, tags: frozenset[str] | None = None
                   ) -> LockedPackage:
    from pyffin.models.pylock import LockedDirectory, LockedVcs
    from pyffin.models.urls import strip_credentials
    from pyffin.records import replace

    if dist is None:
        raise UsageError(f"the resolution does not say where {name} {version} comes from")
    direct = dist.direct
    if direct is None:
        files = [d for d in source.release_files(name, version)
                 if d.file is not None and (d.file.yanked is None or d is dist
                                            or d.file.url == (dist.file and dist.file.url))
                 and (tags is None or not d.is_wheel or _installable(d.file.filename, tags))]
        # By filename, as uv lists them.
        wheels = tuple(_locked_file(d, source) for d in sorted(
            (d for d in files if d.is_wheel), key=lambda d: d.file.filename if d.file else ""))
        sdists = [_locked_file(d, source) for d in files if not d.is_wheel]
        page = dist.page
        index = strip_credentials(page.source) if page is not None and not page.flat else None
        return replace(locked, index=index, wheels=wheels, sdist=sdists[0] if sdists else None,
                       requires_python=dist.file.requires_python if dist.file else None)
    if direct.git is not None:
        if dist.commit is None:
            raise UsageError(f"the commit of {name} ({direct.git.shown_repository}) is unknown")
        return replace(locked, vcs=LockedVcs(
            "git", strip_credentials(direct.git.repository), None, dist.commit,
            direct.git.rev, direct.subdirectory))
    if direct.is_directory:
        assert direct.path is not None
        # The version of a source tree may change with its files: PEP 751 leaves it out.
        return replace(locked, version=None, directory=LockedDirectory(
            os.path.abspath(direct.path), direct.editable, direct.subdirectory))
    url = direct.url.partition("#")[0]
    digest = dict(direct.hashes).get("sha256") or _compute_sha256(source, url)
    from pyffin.models.pylock import LockedFile

    if direct.path is not None:
        size = os.path.getsize(direct.path)
        archive = LockedFile(None, os.path.abspath(direct.path), (("sha256", digest),),
                             size=size, subdirectory=direct.subdirectory)
    else:
        archive = LockedFile(strip_credentials(url), None, (("sha256", digest),),
                             size=dist.file.size if dist.file else None,
                             subdirectory=direct.subdirectory)
    return replace(locked, archive=archive)


def _installable(filename: str, tags: frozenset[str]) -> bool:
    """Whether the wheel ``filename`` has one of the target's ``tags``."""
    from pyffin.models.wheel import wheel_tags

    parsed = wheel_tags(filename)
    return parsed is not None and not parsed[1].isdisjoint(tags)


def _locked_file(dist: Distribution, source: IndexSource) -> LockedFile:
    """An index's wheel or sdist as a lock lists it: PEP 751 requires a hash, so one the
    index does not give is computed."""
    from pyffin.models.pylock import LockedFile
    from pyffin.models.urls import strip_credentials

    file = dist.file
    assert file is not None
    hashes = file.hashes or (("sha256", _compute_sha256(source, file.url)),)
    url = strip_credentials(file.url)
    location = url.partition("#")[0].rpartition("/")[2]
    from urllib.parse import unquote

    return LockedFile(url, None, tuple(hashes),
                      name=None if unquote(location) == file.filename else file.filename,
                      size=file.size, upload_time=file.upload_time)
