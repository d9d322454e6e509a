"""Dependency groups (PEP 735): the ``[dependency-groups]`` table of a ``pyproject.toml``.

::

    [dependency-groups]
    test = ["pytest>=8", {include-group = "typing"}]
    typing = ["mypy"]

Group names compare in their normalized form (``Typing`` and ``typing`` are one group; two keys
that normalize alike are an error). ``{include-group = "name"}`` brings in another group's
requirements; a cycle is an error naming the path through the groups. As the PEP recommends,
only the groups asked for (and those they include) are validated: a broken group that nobody
selects does not stop the others from being used.

Which file a group comes from follows pip 25.1 and ``uv pip``: ``--group NAME`` reads
``./pyproject.toml``, ``--group path/to/pyproject.toml:NAME`` that file. One extension, for a
user of ``pyffin pip compile some/pyproject.toml``: when exactly one ``pyproject.toml`` is
given as a requirements source, a bare ``NAME`` means that file; when the current directory
also has a different ``pyproject.toml``, the bare name is ambiguous and an error asks for the
``PATH:NAME`` form (uv would silently read ``./pyproject.toml`` there).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from pyffin.errors import UsageError
from pyffin.models.names import is_valid_name, normalize_name
from pyffin.records import record
from pyffin.requirements.errors import RequirementsError


@record
class GroupRequest:
    """One ``--group`` value: a normalized group name and the file named with it, if any."""

    name: str
    path: str | None
    #: As the user wrote it, for messages.
    text: str


def parse_group_option(text: str, option: str = "--group") -> GroupRequest:
    """``NAME`` or ``PATH:NAME`` (the last ``:`` splits them; the path must name a
    ``pyproject.toml``, as pip requires)."""
    path: str | None
    if ":" in text:
        path, _, name = text.rpartition(":")
        if not path.endswith("pyproject.toml"):
            raise UsageError(f"invalid {option} {text!r}: the path before ':' must name a "
                             "pyproject.toml file (path/to/pyproject.toml:NAME)")
    else:
        path, name = None, text
    if not is_valid_name(name):
        raise UsageError(f"invalid {option} {text!r}: {name!r} is not a valid group name "
                         "(letters, digits, '-', '_' and '.', starting and ending with a letter "
                         "or digit)")
    return GroupRequest(normalize_name(name), path, text)


class DependencyGroups:
    """The ``[dependency-groups]`` table of one ``pyproject.toml``, expanded on demand."""

    def __init__(self, path: str, table: object) -> None:
        self.path = path
        if not isinstance(table, dict):
            raise RequirementsError(f"{path}: [dependency-groups] must be a table")
        self._raw: dict[str, tuple[str, object]] = {}
        for key, value in table.items():
            normalized = normalize_name(key)
            if normalized in self._raw:
                raise RequirementsError(
                    f"{path}: [dependency-groups] defines {self._raw[normalized][0]!r} and "
                    f"{key!r}, which are the same group once normalized ({normalized!r})")
            if not is_valid_name(key):
                raise RequirementsError(f"{path}: [dependency-groups] key {key!r} is not a valid "
                                        "group name")
            self._raw[normalized] = (key, value)

    @property
    def names(self) -> list[str]:
        """Every group's normalized name, in the file's order."""
        return list(self._raw)

    def __contains__(self, name: str) -> bool:
        return normalize_name(name) in self._raw

    def requirements(self, name: str) -> list[str]:
        """The requirement strings of group ``name``, its includes expanded in place."""
        return self._expand(normalize_name(name), ())

    def _expand(self, name: str, path: tuple[str, ...]) -> list[str]:
        if name in path:
            chain = " -> ".join([*path[path.index(name):], name])
            raise RequirementsError(f"{self.path}: [dependency-groups] include a cycle: {chain}")
        if name not in self._raw:
            raise self.unknown(name, included_by=path[-1] if path else None)
        key, items = self._raw[name]
        if not isinstance(items, list):
            raise RequirementsError(f"{self.path}: dependency group {key!r} must be a list")
        result: list[str] = []
        for item in items:
            if isinstance(item, str):
                result.append(item)
            elif isinstance(item, dict) and set(item) == {"include-group"} and \
                    isinstance(item["include-group"], str):
                result.extend(self._expand(normalize_name(item["include-group"]), (*path, name)))
            else:
                raise RequirementsError(
                    f"{self.path}: dependency group {key!r} has an invalid item {item!r} "
                    "(expected a requirement string or {include-group = \"NAME\"})")
        return result

    def unknown(self, name: str, *, included_by: str | None = None) -> RequirementsError:
        available = ", ".join(self._raw[n][0] for n in self._raw) or "none"
        where = f" (included by {included_by!r})" if included_by else ""
        return RequirementsError(f"dependency group {name!r}{where} is not defined in "
                                 f"{self.path} (defined: {available})")


def load_groups(path: str, document: dict[str, Any]) -> DependencyGroups:
    """The dependency groups of the parsed ``pyproject.toml`` at ``path`` (maybe none)."""
    return DependencyGroups(path, document.get("dependency-groups", {}))


def default_group_file(pyprojects: Sequence[str], working_dir: str | None, *,
                       name: str | None) -> str:
    """The ``pyproject.toml`` a bare group name (``name``; ``None`` for ``--all-groups``)
    refers to (see the module docstring)."""
    here = os.path.join(working_dir or os.curdir, "pyproject.toml")
    shown = "pyproject.toml" if working_dir is None else here
    given = list(dict.fromkeys(pyprojects))
    if not given:
        return shown
    if any(same_file(path, here) for path in given):
        return next(path for path in given if same_file(path, here))
    if len(given) == 1 and not os.path.exists(here):
        return given[0]
    if len(given) == 1:
        reason = (f"{given[0]} is given as a source and {shown} exists in the current "
                  "directory")
    else:
        reason = f"several pyproject.toml files are given ({', '.join(given)})"
    if name is None:
        raise UsageError(f"--all-groups is ambiguous: {reason}; name the groups with "
                         f"--group {given[0]}:NAME")
    raise UsageError(f"--group {name} is ambiguous: {reason}; name the file, as in "
                     f"--group {given[0]}:{name}")


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)
