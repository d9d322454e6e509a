"""A project's dependencies: declared statically in a ``pyproject.toml`` ``[project]`` table
(PEP 621), or reported by its build backend.

A project whose dependencies are dynamic (or that has no ``[project]`` table) needs a build to
tell them: :func:`read_pyproject` raises :class:`NeedsBuild`, and the caller that can build
passes the backend's answer to :func:`add_built_project`. A relative path in a
``name @ ./path`` dependency is taken relative to the ``pyproject.toml``'s directory.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pyffin.errors import NotSupportedError
from pyffin.models.names import normalize_name
from pyffin.requirements.collect import Collector
from pyffin.requirements.errors import RequirementsError, not_supported
from pyffin.requirements.requirement import parse_requirement
from pyffin.requirements.types import Location, RequirementEntry

if TYPE_CHECKING:
    from pyffin.requirements.collect import Kind
    from pyffin.requirements.pep508 import Marker


class NeedsBuild(NotSupportedError):
    """The project's dependencies are known only to its build backend."""


class ProjectMetadata(Protocol):
    """What a build backend reports about a project (a ``CoreMetadata`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def requires_dist(self) -> Sequence[str]: ...
    @property
    def provides_extra(self) -> Sequence[str]: ...


def read_pyproject(collector: Collector, path: str, kind: Kind, *, extras: Collection[str] = (),
                   all_extras: bool = False) -> frozenset[str]:
    """Add the project's dependencies, and those of ``extras`` (normalized names) that it
    defines (all of them with ``all_extras``), to ``collector``; return the extras it defines.

    Extras the project does not define are left to the caller to report: with several
    ``pyproject.toml`` sources, an extra only needs to exist in one of them.
    """
    project = load_toml(path).get("project")
    if not isinstance(project, dict):
        raise _needs_build(path, "it has no [project] table")
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise RequirementsError(f"{path}: [project] has no name")
    dynamic = project.get("dynamic", [])
    if "dependencies" in dynamic:
        raise _needs_build(path, "its [project] dependencies are dynamic")
    optional = _optional_dependencies(path, project.get("optional-dependencies", {}))
    if (extras or all_extras) and "optional-dependencies" in dynamic:
        raise _needs_build(path, "its [project] optional-dependencies are dynamic")
    selected = list(optional) if all_extras else [extra for extra in extras if extra in optional]
    dependencies = _strings(path, "dependencies", project.get("dependencies", []))
    groups: dict[str | None, list[str]] = {None: dependencies}
    groups.update(optional.items())
    _Expander(collector, path, kind, normalize_name(name), groups).add(selected)
    return frozenset(optional)


def _needs_build(path: str, reason: str) -> NeedsBuild:
    return NeedsBuild("reading dependencies from a pyproject.toml with dynamic dependencies is "
                      f"not supported yet: {path}: {reason} (needs a build)")


def add_built_project(collector: Collector, path: str, kind: Kind, metadata: ProjectMetadata,
                      *, extras: Collection[str] = (), all_extras: bool = False
                      ) -> frozenset[str]:
    """Add the dependencies the build backend reported for the project of ``path`` (a
    ``pyproject.toml``, ``setup.py`` or ``setup.cfg``), and those of the ``extras`` it defines;
    return the extras it defines (normalized)."""
    from pyffin.requirements.pep508 import InvalidRequirement
    from pyffin.requirements.pep508 import parse_requirement as parse_pep508

    defined = [normalize_name(extra) for extra in metadata.provides_extra]
    groups: dict[str | None, list[str]] = {None: []}
    groups.update((extra, []) for extra in defined)
    for text in metadata.requires_dist:
        try:
            requirement = parse_pep508(text)
        except InvalidRequirement as e:
            raise RequirementsError(f"{path}: the build backend reported an invalid "
                                    f"dependency {text!r}: {e}") from None
        marker = requirement.marker
        try:
            # Each dependency goes to the base set or to the extras whose marker admits it,
            # with the ``extra`` comparisons taken out of its marker.
            for extra in (None, *defined):
                if marker is None:
                    reduced: bool | Marker = extra is None
                else:
                    reduced = marker.with_extra(extra or "")
                    if extra is not None and marker.with_extra("") is not False:
                        reduced = False  # already in the base set
                if reduced is False:
                    continue
                requirement.marker = None if reduced is True else reduced
                groups[extra].append(str(requirement))
        except ValueError as e:
            raise not_supported(None, f"{path}: {e}") from None
    selected = defined if all_extras else [extra for extra in extras if extra in groups]
    _Expander(collector, path, kind, normalize_name(metadata.name), groups).add(selected)
    return frozenset(defined)


def load_toml(path: str) -> dict[str, Any]:
    from pyffin import toml

    try:
        return toml.read(path, RequirementsError)
    except FileNotFoundError:
        raise RequirementsError(f"pyproject.toml not found: {path}") from None


def _strings(path: str, key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequirementsError(f"{path}: [project] {key} must be a list of strings")
    return value


def _optional_dependencies(path: str, value: object) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise RequirementsError(f"{path}: [project] optional-dependencies must be a table")
    return {normalize_name(extra): _strings(path, f"optional-dependencies.{extra}", items)
            for extra, items in value.items()}


class _Expander:
    """Adds dependency groups; ``project[extra]`` naming the project itself adds that extra's
    group instead (``all = ["project[test,docs]"]``), under the referring line's marker."""

    def __init__(self, collector: Collector, path: str, kind: Kind, project: str,
                 groups: dict[str | None, list[str]]) -> None:
        self.collector = collector
        self.path = path
        self.kind = kind
        self.project = project
        self.groups = groups
        self.location = Location(path)
        self.base = os.path.dirname(os.path.abspath(path))
        self.seen: set[tuple[str | None, str]] = set()

    def add(self, extras: Collection[str]) -> None:
        pending: list[tuple[str | None, Marker | None]] = [(None, None)]
        pending += [(extra, None) for extra in extras]
        while pending:
            group, marker = pending.pop(0)
            if (group, str(marker)) in self.seen:
                continue
            self.seen.add((group, str(marker)))
            for text in self.groups[group]:
                # Named as uv names a project's requirements: ``demo-proj (pyproject.toml)``.
                entry = parse_requirement(text, self.location,
                                          origin=f"{self.project} ({self.path})",
                                          working_dir=self.base)
                if entry.requirement is None:
                    raise RequirementsError(f"{self.path}: dependency {text!r} does not name a "
                                            "project (write 'name @ url')")
                combined = _both(marker, entry.marker)
                if entry.name == self.project and entry.url is None:
                    for extra in entry.extras:
                        extra = normalize_name(extra)
                        if extra not in self.groups:
                            raise RequirementsError(f"{self.path}: {text!r} refers to extra "
                                                    f"{extra!r}, which the project does not "
                                                    "define")
                        pending.append((extra, combined))
                    continue
                if combined is not entry.marker:
                    entry = _with_marker(entry, combined)
                self.collector.add(entry, self.kind, text)


def _both(outer: Marker | None, inner: Marker | None) -> Marker | None:
    if outer is None:
        return inner
    if inner is None:
        return outer
    from pyffin.requirements.pep508 import Marker

    return Marker.parse(f"({outer}) and ({inner})")


def _with_marker(entry: RequirementEntry, marker: Marker | None) -> RequirementEntry:
    from pyffin.records import replace
    from pyffin.requirements.pep508 import parse_requirement

    assert entry.requirement is not None  # unnamed dependencies were rejected
    requirement = parse_requirement(str(entry.requirement))
    requirement.marker = marker
    return replace(entry, requirement=requirement, marker=marker)
