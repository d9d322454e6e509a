"""Core metadata read from a source tree without running its build backend.

Two sources are trusted, in order:

1. an sdist's ``PKG-INFO`` with Metadata-Version 2.2 or later that does not declare
   ``Requires-Dist``, ``Requires-Python`` or ``Provides-Extra`` dynamic (PEP 643: a field not
   marked ``Dynamic`` is the same in every wheel built from the sdist);
2. a PEP 621 ``[project]`` table whose ``name`` and ``version`` are given and whose
   ``dependencies``, ``optional-dependencies`` and ``requires-python`` are not ``dynamic``.

Anything else needs the backend (``prepare_metadata_for_build_wheel`` or a build).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyffin.build.errors import InvalidBuildSystem
from pyffin.build.source import SourceTree
from pyffin.build.system import load_pyproject
from pyffin.models.metadata import CoreMetadata, MetadataError
from pyffin.models.names import normalize_name

if TYPE_CHECKING:
    from packaging.requirements import Requirement

#: Fields whose values the resolver needs; if any is dynamic, the metadata is not static.
_RESOLVER_FIELDS = frozenset({"requires-dist", "requires-python", "provides-extra"})
#: Metadata-Version of the metadata made from a ``[project]`` table (normalized extras: 2.3).
_PYPROJECT_METADATA_VERSION = "2.3"


def static_metadata(tree: SourceTree) -> CoreMetadata | None:
    """The core metadata of ``tree`` if it can be known without a build, else ``None``."""
    if tree.is_sdist:
        metadata = _from_pkg_info(tree.root / "PKG-INFO", tree.origin)
        if metadata is not None:
            return metadata
    return _from_pyproject(tree.root / "pyproject.toml")


def _from_pkg_info(path: Path, origin: str) -> CoreMetadata | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return None  # unreadable: let the backend produce the metadata
    try:
        metadata = CoreMetadata.parse(data, source=f"{origin} (PKG-INFO)")
    except MetadataError:
        return None  # a broken PKG-INFO is not a reason to fail: the backend may do better
    if _version_tuple(metadata.metadata_version) < (2, 2):
        return None
    if _RESOLVER_FIELDS & set(metadata.dynamic):
        return None
    return metadata


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def _from_pyproject(path: Path) -> CoreMetadata | None:
    pyproject = load_pyproject(path)
    project = pyproject.get("project") if pyproject is not None else None
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic", [])
    if not isinstance(dynamic, list) or not all(isinstance(item, str) for item in dynamic):
        raise InvalidBuildSystem(f"{path}: [project] dynamic must be a list of strings")
    if {"version", "dependencies", "optional-dependencies", "requires-python"} & set(dynamic):
        return None
    name, version = project.get("name"), project.get("version")
    if not isinstance(name, str) or not name:
        raise InvalidBuildSystem(f"{path}: [project] name must be a non-empty string")
    if not isinstance(version, str):
        return None  # not given: the backend must fail or compute it, so ask it
    requires_python = project.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        raise InvalidBuildSystem(f"{path}: [project] requires-python must be a string")
    dependencies = _requirements(path, "dependencies", project.get("dependencies", []))
    requires = [str(requirement) for requirement in dependencies]
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise InvalidBuildSystem(f"{path}: [project] optional-dependencies must be a table")
    extras = []
    for extra, group in optional.items():
        normalized = normalize_name(extra)
        extras.append(normalized)
        for requirement in _requirements(path, f"optional-dependencies.{extra}", group):
            requires.append(_with_extra_marker(requirement, normalized))
    return CoreMetadata(
        name=name,
        version=_normalized_version(path, version),
        requires_dist=tuple(requires),
        requires_python=requires_python,
        provides_extra=tuple(dict.fromkeys(extras)),
        metadata_version=_PYPROJECT_METADATA_VERSION,
    )


def _requirements(path: Path, key: str, value: Any) -> list[Requirement]:
    """The requirements in ``[project] key``, parsed (errors name the file and the key)."""
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidBuildSystem(f"{path}: [project] {key} must be a list of strings")
    parsed = []
    for item in value:
        try:
            parsed.append(Requirement(item))
        except InvalidRequirement as e:
            raise InvalidBuildSystem(
                f"{path}: invalid requirement {item!r} in [project] {key}: {e}"
            ) from e
    return parsed


def _with_extra_marker(requirement: Requirement, extra: str) -> str:
    """``requirement`` limited to ``extra``: ``b>=1; (python_version < "3.11") and extra ==
    "x"`` — an existing marker parenthesized, so an ``or`` in it keeps its meaning."""
    marker = requirement.marker
    requirement.marker = None
    clause = f'extra == "{extra}"'
    return f"{requirement}; ({marker}) and {clause}" if marker is not None else \
        f"{requirement}; {clause}"


def _normalized_version(path: Path, version: str) -> str:
    # A backend writes the normalized form into METADATA; match what a build would give.
    from pyffin.models.versions import InvalidVersion, Version

    try:
        return str(Version(version))
    except InvalidVersion as e:
        raise InvalidBuildSystem(f"{path}: [project] version {version!r} is invalid") from e


def static_name(project: Path) -> str | None:
    """The name project directory ``project`` gives itself without a build: its
    ``pyproject.toml`` ``[project] name``, else its ``setup.cfg`` ``[metadata] name``, else
    an unpacked sdist's ``PKG-INFO`` ``Name``; ``None`` when only running ``setup.py`` could
    tell. A ``pyproject.toml`` that is not TOML raises :class:`InvalidBuildSystem`."""
    pyproject = load_pyproject(project / "pyproject.toml")
    table = pyproject.get("project") if pyproject is not None else None
    if isinstance(table, dict) and isinstance(table.get("name"), str) and table["name"]:
        return str(table["name"])
    import configparser

    setup_cfg = configparser.ConfigParser(interpolation=None)
    try:
        setup_cfg.read(project / "setup.cfg", encoding="utf-8")
        name = setup_cfg.get("metadata", "name", fallback="").strip()
    except (configparser.Error, UnicodeDecodeError):
        name = ""  # setuptools would fail on it too: no name to be had
    if name:
        return name
    try:
        data = (project / "PKG-INFO").read_bytes()
    except OSError:
        return None
    from pyffin.models.wheel import read_headers

    return read_headers(data, ["name"]).get("name") or None
