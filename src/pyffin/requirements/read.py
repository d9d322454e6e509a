"""The entry points: every requirement source of a command, merged into one specification."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from pyffin.requirements.collect import Collector, Kind
from pyffin.requirements.errors import RequirementsError, not_supported
from pyffin.requirements.requirement import parse_requirement
from pyffin.requirements.txt import TxtReader
from pyffin.requirements.types import COMMAND_LINE, Location, RequirementsSpec, normalize_name

PathLike = str | os.PathLike[str]


def read_requirements(
    paths: Sequence[PathLike] = (),
    *,
    requirements: Sequence[str] = (),
    editables: Sequence[str] = (),
    constraints: Sequence[PathLike] = (),
    overrides: Sequence[PathLike] = (),
    extras: Sequence[str] = (),
    all_extras: bool = False,
    stdin: TextIO | None = None,
    working_dir: PathLike | None = None,
) -> RequirementsSpec:
    """Read every requirement source of a command.

    ``paths`` are requirements files (``-`` is standard input, read from ``stdin``, default
    :data:`sys.stdin`), or ``pyproject.toml`` files whose ``extras`` (or ``all_extras``) are
    selected; ``requirements`` and ``editables`` are command-line arguments (``"flask>=2"``,
    ``./pkg``); ``constraints`` and ``overrides`` are files of those kinds. Relative local paths
    in requirements are taken from ``working_dir`` (default: the current directory).
    """
    collector = Collector()
    cwd = None if working_dir is None else os.fspath(working_dir)
    command_line = Location(COMMAND_LINE)
    for text in requirements:
        entry = parse_requirement(text, command_line, working_dir=cwd)
        collector.add(entry, "requirement", text)
    for text in editables:
        entry = parse_requirement(text, command_line, editable=True, working_dir=cwd)
        collector.add(entry, "requirement", text)
    reader = TxtReader(collector, working_dir=cwd, stdin=stdin)
    wanted = {normalize_name(extra): extra for extra in extras}
    defined: set[str] = set()
    projects: list[str] = []
    sources: tuple[tuple[Kind, Sequence[PathLike]], ...] = (
        ("requirement", paths), ("constraint", constraints), ("override", overrides))
    for kind, group in sources:
        for source in group:
            path = os.fspath(source)
            filename = os.path.basename(path)
            if filename == "pyproject.toml":
                from pyffin.requirements.pyproject import read_pyproject

                defined |= read_pyproject(collector, path, kind, extras=wanted.keys(),
                                          all_extras=all_extras)
                collector.add_source(path)
                projects.append(path)
            elif filename in ("setup.py", "setup.cfg"):
                raise not_supported(None, f"reading dependencies from {path} is not supported "
                                    "yet (needs a build); declare them in a pyproject.toml "
                                    "[project] table or a requirements file")
            else:
                reader.read(path, kind)
    _check_extras(wanted, defined, projects, all_extras)
    return collector.spec()


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
