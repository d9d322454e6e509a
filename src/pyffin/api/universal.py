"""``pyffin.compile(..., universal=True)``: what a universal resolution needs around the
resolver (:mod:`pyffin.resolver.forks`): the Python versions it is for, and its pins' hashes
and git commits, per pinned version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyffin.interpreter import Interpreter
    from pyffin.models.versions import Version
    from pyffin.resolver.index_source import IndexSource
    from pyffin.resolver.universal import UniversalResolution


def requires_python(python_version: str | None, interpreter: Interpreter | None) -> str:
    """The Python versions a universal resolution is for, uv's rule: ``--python-version`` and
    later, else the interpreter's ``major.minor`` and later (a project's own requires-python
    is not read, as with ``uv pip compile --universal``)."""
    if python_version is not None:
        from pyffin.api.target import parse_python_version

        version = parse_python_version(python_version)
        return ">=" + ".".join(map(str, version))
    if interpreter is None:
        raise UsageError("no interpreter to take the lowest Python version from: pass "
                         "--python-version")
    return f">={interpreter.version[0]}.{interpreter.version[1]}"


def pinned_preferences(path: str | Path | None) -> list[tuple[str, str | None, Version]]:
    """The pins of an existing output file with the marker of each (``numpy==2.0.2 ;
    python_full_version < '3.10'``, or a ``pylock.toml`` package's ``marker``): a universal
    resolution prefers each where its marker holds, as uv does."""
    if path is None or str(path) == "-" or not Path(path).is_file():
        return []
    from pyffin.models.files import is_pylock_filename
    from pyffin.models.versions import InvalidVersion
    from pyffin.models.versions import Version as ParsedVersion

    if is_pylock_filename(Path(path).name):  # a lock: its packages, each with its marker
        from pyffin.requirements.pylock import read_pylock

        return [(p.name, p.marker, ParsedVersion(p.version))
                for p in read_pylock(path).packages if p.version is not None]

    from pyffin.requirements import parse_requirements_file

    found = []
    for entry in parse_requirements_file(path).requirements:
        if entry.requirement is None or entry.name is None:
            continue
        specifiers = list(entry.requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator in ("==", "==="):
            try:
                version = ParsedVersion(specifiers[0].version)
            except InvalidVersion:
                continue
            marker = entry.requirement.marker
            found.append((entry.name, str(marker) if marker is not None else None, version))
    return found


def lowest_python(requires: str) -> tuple[int, ...]:
    """``">=3.9.2"`` -> ``(3, 9, 2)``."""
    return tuple(int(part) for part in requires.removeprefix(">=").split("."))


def check_no_platform(universal: bool, python_platform: str | None) -> None:
    """``--python-platform`` describes one machine, ``--universal`` all of them (uv's clap
    message)."""
    if universal and python_platform is not None:
        raise UsageError("the argument '--universal' cannot be used with "
                         "'--python-platform <PYTHON_PLATFORM>'")


def pin_git_commits(resolution: UniversalResolution, source: IndexSource) -> UniversalResolution:
    """Git requirements are written pinned to the commit their revision resolved to."""
    from pyffin.records import replace

    if source.sources is None or not any(p.url and p.url.startswith("git+")
                                         for p in resolution.pins):
        return resolution
    pins = []
    for pin in resolution.pins:
        dist = source.pinned.get(pin.name)
        if dist is not None and dist.direct is not None and dist.direct.git is not None:
            commit = source.sources.git_commit(dist.direct)
            pin = replace(pin, url=dist.direct.git.with_rev(commit).url)
        pins.append(pin)
    return replace(resolution, pins=tuple(pins))


def hashes(resolution: UniversalResolution,
           release_hashes: Callable[[str, Version], list[str]]) -> dict[str, list[str]]:
    """The hashes of every file of each pinned release, by ``name==version`` (a package may
    be pinned at several versions)."""
    return {f"{pin.name}=={pin.version}": release_hashes(pin.name, pin.version)
            for pin in resolution.pins}
