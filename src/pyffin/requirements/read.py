"""The entry points: every requirement source of a command, merged into one specification."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, TextIO

from pyffin.errors import UsageError
from pyffin.models.names import normalize_name
from pyffin.requirements.collect import WHAT, Collector
from pyffin.requirements.errors import RequirementsError, invalid, not_supported
from pyffin.requirements.requirement import parse_requirement
from pyffin.requirements.txt import TxtReader, _load
from pyffin.requirements.types import (
    COMMAND_LINE,
    STDIN,
    GroupSelection,
    Location,
    RequirementsSpec,
    shown_path,
)

if TYPE_CHECKING:
    from pyffin.requirements.collect import Kind
    from pyffin.requirements.pyproject import ProjectMetadata

PathLike = str | os.PathLike[str]

#: Asks the build backend of the project that a ``setup.py``, ``setup.cfg`` or
#: ``pyproject.toml`` (the path given) belongs to for its metadata (PEP 517
#: ``prepare_metadata_for_build_wheel``); it receives what was read so far, whose index options
#: the build's own requirements are resolved with.
ProjectBuilder = Callable[[str, RequirementsSpec], "ProjectMetadata"]


def read_requirements(
    paths: Sequence[PathLike] = (),
    *,
    requirements: Sequence[str] = (),
    editables: Sequence[str] = (),
    constraints: Sequence[PathLike] = (),
    overrides: Sequence[PathLike] = (),
    excludes: Sequence[PathLike] = (),
    extras: Sequence[str] = (),
    all_extras: bool = False,
    groups: GroupSelection | None = None,
    stdin: TextIO | None = None,
    working_dir: PathLike | None = None,
    build_project: ProjectBuilder | None = None,
    lookup_only: bool = False,
) -> RequirementsSpec:
    """Read every requirement source of a command.

    ``paths`` are requirements files (``-`` is standard input, read from ``stdin``, default
    :data:`sys.stdin`), ``pyproject.toml`` files whose ``extras`` (or ``all_extras``) are
    selected, ``setup.py`` / ``setup.cfg`` files (their project's dependencies, which only its
    build backend can tell: ``build_project`` asks it; without one they are not supported), and
    PEP 723 scripts (``*.py``, or a file without extension that has a ``# /// script`` block).
    ``groups`` selects PEP 735 dependency groups (see :mod:`pyffin.requirements.groups`).
    ``requirements`` and ``editables`` are command-line arguments (``"flask>=2"``,
    ``./pkg``); ``constraints``, ``overrides`` and ``excludes`` are files of those kinds (an
    excludes file's entries only name the projects to leave out). Relative local paths
    in requirements are taken from ``working_dir`` (default: the current directory).
    ``lookup_only`` (uninstall): the requirements and requirements files' lines are only looked
    for among installed distributions (see :func:`parse_requirement`).
    """
    collector = Collector()
    cwd = None if working_dir is None else os.fspath(working_dir)
    command_line = Location(COMMAND_LINE)
    for text in requirements:
        entry = parse_requirement(text, command_line, working_dir=cwd, lookup_only=lookup_only)
        collector.add(entry, "requirement", text)
    for text in editables:
        entry = parse_requirement(text, command_line, editable=True, working_dir=cwd,
                                  lookup_only=lookup_only)
        collector.add(entry, "requirement", text)
    reader = TxtReader(collector, working_dir=cwd, stdin=stdin, lookup_only=lookup_only)
    wanted: dict[str, str] = {normalize_name(extra): extra for extra in extras}
    selection = groups or GroupSelection()
    if selection.only_groups and (wanted or all_extras):
        raise UsageError("--only-group leaves out the project's dependencies, and with them its "
                         "extras: --extra and --all-extras cannot be combined with it")
    pyprojects = [os.fspath(p) for p in paths if os.path.basename(os.fspath(p)) ==
                  "pyproject.toml"]
    # Groups are read only when asked for: a plain install never imports their code.
    selected = _selected_groups(selection, pyprojects, cwd) if selection else {}
    skipped = [path for path, (_, only) in selected.items() if only]
    defined: set[str] = set()
    projects: list[str] = []
    pending: list[tuple[str, Kind]] = []
    sources: tuple[tuple[Kind, Sequence[PathLike]], ...] = (
        ("requirement", paths), ("constraint", constraints), ("override", overrides),
        ("exclude", excludes))
    for kind, group in sources:
        for source in group:
            path = os.fspath(source)
            filename = os.path.basename(path)
            from pyffin.models.files import is_pylock_filename

            if is_pylock_filename(filename):
                # Callers that install a lock take it before reading requirements.
                what = "an excludes" if kind == "exclude" else f"a {kind}"
                raise UsageError(f"{path} is a PEP 751 lock file, not {what} file: it is "
                                 "installed as it is, alone (pyffin pip sync " + filename +
                                 " or pyffin pip install -r " + filename + ")")
            if filename == "pyproject.toml":
                collector.add_source(path)
                if kind == "requirement" and skipped and _among(path, skipped):
                    continue  # --only-group: the project itself is left out
                from pyffin.requirements.pyproject import NeedsBuild, read_pyproject

                projects.append(path)
                try:
                    defined |= read_pyproject(collector, path, kind, extras=wanted.keys(),
                                              all_extras=all_extras)
                except NeedsBuild:
                    if kind == "requirement" and _only_groups(path, selected):
                        continue  # a project that is no package: its groups are all it has
                    if build_project is None:
                        raise
                    pending.append((path, kind))
            elif filename in ("setup.py", "setup.cfg"):
                if build_project is None:
                    raise not_supported(None, f"reading dependencies from {path} is not "
                                        "supported yet (needs a build); declare them in a "
                                        "pyproject.toml [project] table or a requirements file")
                if not os.path.isfile(path):
                    raise RequirementsError(f"{filename} not found: {path}")
                collector.add_source(path)
                projects.append(path)
                pending.append((path, kind))
            elif filename.endswith(".py"):
                _read_script(collector, path, kind, None)
            elif path != STDIN and "." not in filename and os.path.isfile(path):
                # As uv: a file without extension is a script if it has a script block.
                from pyffin.requirements.script import has_script_block

                text = _load(path, None)
                if has_script_block(text):
                    _read_script(collector, path, kind, text)
                else:
                    reader.read(path, kind)
            else:
                reader.read(path, kind)
    if selected:
        _add_groups(collector, selected, _excluded_groups(selection))
    for path, kind in pending:
        assert build_project is not None
        defined |= _built_project(collector, path, kind, build_project, wanted.keys(),
                                  all_extras)
    _check_extras(wanted, defined, projects, all_extras)
    return collector.spec()


def _only_groups(path: str, selected: dict[str, tuple[list[str] | None, bool]]) -> bool:
    """Whether ``path`` is a ``pyproject.toml`` that groups are selected from and that
    describes no package: no ``[project]`` or ``[build-system]`` table, no ``setup.py`` or
    ``setup.cfg`` beside it (PEP 735 groups need no package)."""
    from pyffin.requirements.pyproject import load_toml

    if not selected or not _among(path, list(selected)):
        return False
    document = load_toml(path)
    directory = os.path.dirname(os.path.abspath(path))
    return "project" not in document and "build-system" not in document and not any(
        os.path.exists(os.path.join(directory, name)) for name in ("setup.py", "setup.cfg"))


def _read_script(collector: Collector, path: str, kind: Kind, text: str | None) -> None:
    """The dependencies of the PEP 723 script ``path`` (its ``requires-python`` is recorded for
    the operation to check)."""
    from pyffin.requirements.script import read_script_metadata, script_directory

    if kind != "requirement":
        what = WHAT[kind]
        raise RequirementsError(f"{path}: a script's dependencies cannot be used as {what}")
    metadata = read_script_metadata(path, _load(path, None) if text is None else text)
    if metadata is None:
        raise RequirementsError(f"{path} does not contain inline script metadata (a "
                                "'# /// script' block, PEP 723)")
    collector.add_source(path)
    location = Location(path, metadata.line)
    base = script_directory(path)
    for dependency in metadata.dependencies:
        entry = parse_requirement(dependency, location, origin=shown_path(path), working_dir=base)
        if entry.requirement is None:
            raise invalid(location, "a script's dependency must name a project (write "
                          f"'name @ {entry.url}')", dependency)
        collector.add(entry, kind, dependency)
    if metadata.requires_python is not None:
        collector.requires_python.append((path, metadata.requires_python))


def _among(path: str, paths: list[str]) -> bool:
    from pyffin.requirements.groups import same_file

    return any(same_file(path, other) for other in paths)


def _selected_groups(selection: GroupSelection, pyprojects: list[str], cwd: str | None
                     ) -> dict[str, tuple[list[str] | None, bool]]:
    """``pyproject.toml`` path -> (normalized group names, ``None`` for all of them; whether
    ``--only-group`` chose them)."""
    from pyffin.requirements.groups import default_group_file, parse_group_option, same_file

    if selection.only_groups and (selection.groups or selection.all_groups):
        raise UsageError("--only-group cannot be combined with --group or --all-groups")
    selected: dict[str, tuple[list[str] | None, bool]] = {}
    only = bool(selection.only_groups)

    def add(path: str, names: list[str] | None) -> None:
        key = next((known for known in selected if same_file(known, path)), path)
        known, _ = selected.get(key, ([], only))
        if known is None or names is None:
            selected[key] = (None, only)
        else:
            selected[key] = (list(dict.fromkeys([*known, *names])), only)

    for text in selection.only_groups or selection.groups:
        option = "--only-group" if only else "--group"
        request = parse_group_option(text, option)
        path = request.path or default_group_file(pyprojects, cwd, name=request.name)
        add(path, [request.name])
    if selection.all_groups:
        add(default_group_file(pyprojects, cwd, name=None), None)
    return selected


def _excluded_groups(selection: GroupSelection) -> list[str]:
    """``--no-group`` names (plain names: they apply to every file)."""
    from pyffin.requirements.groups import parse_group_option

    excluded = []
    for text in selection.no_groups:
        request = parse_group_option(text, "--no-group")
        if request.path is not None:
            raise UsageError(f"invalid --no-group {text!r}: give the group's name only")
        excluded.append(request.name)
    return excluded


def _add_groups(collector: Collector, selected: dict[str, tuple[list[str] | None, bool]],
                excluded: list[str]) -> None:
    from pyffin.requirements.groups import load_groups
    from pyffin.requirements.pyproject import load_toml

    tables = {path: load_toml(path) for path in selected}
    loaded = [(path, names, load_groups(path, tables[path]))
              for path, (names, _) in selected.items()]
    for name in excluded:
        if loaded and not any(name in groups for _, _, groups in loaded):
            raise loaded[0][2].unknown(name)
    for path, names, groups in loaded:
        for name in groups.names if names is None else names:
            if name in excluded:
                continue  # --no-group wins over --group and --all-groups, as in uv
            if name not in groups:
                raise groups.unknown(name)
            base = os.path.dirname(os.path.abspath(path))
            # As uv names them: ``demo-proj (pyproject.toml:lint)``, the project's name first.
            project = tables[path].get("project")
            named = project.get("name") if isinstance(project, dict) else None
            origin = (f"{normalize_name(named)} ({shown_path(path)}:{name})"
                      if isinstance(named, str) and named else f"{shown_path(path)}:{name}")
            for text in groups.requirements(name):
                entry = parse_requirement(text, Location(path), origin=origin, working_dir=base)
                if entry.requirement is None:
                    raise invalid(Location(path), f"dependency group {name!r} has a "
                                  f"requirement that does not name a project (write "
                                  f"'name @ {entry.url}')", text)
                collector.add(entry, "requirement", text)
        collector.add_source(path)


def _built_project(collector: Collector, path: str, kind: Kind, build_project: ProjectBuilder,
                   extras: Collection[str], all_extras: bool) -> frozenset[str]:
    from pyffin.requirements.pyproject import add_built_project

    metadata = build_project(path, collector.spec())
    return add_built_project(collector, path, kind, metadata, extras=extras,
                             all_extras=all_extras)


def parse_requirements_file(path: PathLike, *, working_dir: PathLike | None = None,
                            stdin: TextIO | None = None) -> RequirementsSpec:
    """Read one requirements file (and the files it includes)."""
    return read_requirements([path], working_dir=working_dir, stdin=stdin)


def _check_extras(wanted: dict[str, str], defined: set[str], projects: list[str],
                  all_extras: bool) -> None:
    if (wanted or all_extras) and not projects:
        raise RequirementsError("selecting extras needs a pyproject.toml source")
    unknown = [extra for normalized, extra in wanted.items() if normalized not in defined]
    if unknown:
        available = ", ".join(sorted(defined)) or "none"
        raise RequirementsError(f"unknown extra {unknown[0]!r}: not defined in "
                                f"{', '.join(projects)} (available: {available})")
