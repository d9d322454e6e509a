"""The ``[build-system]`` of a source tree (PEP 517 / 518), with pip's legacy fallback."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pyffin.build.errors import InvalidBuildSystem
from pyffin.build.source import SourceTree
from pyffin.records import record

#: The backend and requirements pip assumes without ``build-backend`` (PEP 517's "legacy
#: behaviour": run ``setup.py`` through setuptools' backend that emulates it).
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIRES = ("setuptools>=40.8.0",)

# ``module.path`` or ``module.path:object.path`` (PEP 517).
_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_BACKEND_RE = re.compile(rf"^{_DOTTED}(?::{_DOTTED})?$")


@record
class BuildSystem:
    """How to build a source tree: its build requirements and the backend to call."""

    #: ``[build-system] requires``, as written (validated PEP 508 strings).
    requires: tuple[str, ...]
    #: ``module`` or ``module:object``.
    backend: str
    #: ``backend-path`` entries as written: relative to the tree, checked to stay inside it.
    backend_path: tuple[str, ...] = ()
    #: True when no ``build-backend`` was declared and pip's legacy fallback applies.
    legacy: bool = False


def load_pyproject(path: Path) -> dict[str, Any] | None:
    """The parsed ``pyproject.toml`` at ``path``, ``None`` if there is none."""
    from pyffin import toml

    try:
        return toml.read(path, InvalidBuildSystem)
    except FileNotFoundError:
        return None


def read_build_system(tree: SourceTree) -> BuildSystem:
    """The build system of ``tree``.

    As pip: without ``pyproject.toml`` (then ``setup.py`` must exist) or without a
    ``[build-system]`` table, the legacy setuptools backend with ``setuptools>=40.8.0``; with a
    table but no ``build-backend``, the legacy backend with the table's ``requires``.
    """
    path = tree.root / "pyproject.toml"
    pyproject = load_pyproject(path)
    if pyproject is None:
        if not (tree.root / "setup.py").is_file():
            raise InvalidBuildSystem(
                f"{tree.origin} has neither pyproject.toml nor setup.py: nothing to build"
            )
        return BuildSystem(LEGACY_REQUIRES, LEGACY_BACKEND, legacy=True)
    table = pyproject.get("build-system")
    if table is None:
        return BuildSystem(LEGACY_REQUIRES, LEGACY_BACKEND, legacy=True)
    if not isinstance(table, dict):
        raise InvalidBuildSystem(f"{path}: [build-system] must be a table")
    if "requires" not in table:
        raise InvalidBuildSystem(
            f"{path}: [build-system] has no 'requires' key, which PEP 518 makes mandatory"
        )
    requires = _requirements(path, table["requires"])
    backend = table.get("build-backend")
    if backend is None:
        return BuildSystem(requires, LEGACY_BACKEND, legacy=True)
    if not isinstance(backend, str) or not _BACKEND_RE.match(backend.strip()):
        raise InvalidBuildSystem(
            f"{path}: invalid build-backend {backend!r} (expected 'module' or 'module:object')"
        )
    backend_path = _backend_path(path, tree.root, table.get("backend-path", []))
    return BuildSystem(requires, backend.strip(), backend_path)


def _requirements(path: Path, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidBuildSystem(f"{path}: [build-system] requires must be a list of strings")
    from packaging.requirements import InvalidRequirement, Requirement

    for item in value:
        try:
            Requirement(item)
        except InvalidRequirement as e:
            raise InvalidBuildSystem(
                f"{path}: invalid requirement {item!r} in [build-system] requires: {e}"
            ) from e
    return tuple(value)


def _backend_path(path: Path, root: Path, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidBuildSystem(f"{path}: [build-system] backend-path must be a list of strings")
    real_root = os.path.realpath(root)
    for item in value:
        # PEP 517: relative to the tree, and must not point outside it (links included).
        absolute = os.path.realpath(os.path.join(root, item))
        if os.path.isabs(item) or os.path.commonpath([real_root, absolute]) != real_root:
            raise InvalidBuildSystem(
                f"{path}: backend-path entry {item!r} is outside the source tree"
            )
    return tuple(value)
