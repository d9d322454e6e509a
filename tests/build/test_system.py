"""``[build-system]``: PEP 517/518 tables, validated, and pip's legacy fallback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffin.build import (
    LEGACY_BACKEND,
    InvalidBuildSystem,
    SourceTree,
    read_build_system,
)


def _tree(tmp_path: Path, pyproject: str | None = None, *, setup_py: bool = False) -> SourceTree:
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)
    if setup_py:
        (root / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    return SourceTree(root, origin="project-1.0.tar.gz")


def test_a_declared_backend_and_requirements(tmp_path: Path) -> None:
    (tmp_path / "project" / "_backend").mkdir(parents=True)
    tree = _tree(tmp_path, """\
[build-system]
requires = ["hatchling>=1.25", "x; os_name == 'nt'"]
build-backend = "hatchling.build"
backend-path = ["_backend"]
""")

    system = read_build_system(tree)

    assert system.requires == ("hatchling>=1.25", "x; os_name == 'nt'")
    assert system.backend == "hatchling.build"
    assert system.backend_path == ("_backend",)
    assert not system.legacy


def test_setup_py_without_pyproject_uses_pips_legacy_default(tmp_path: Path) -> None:
    system = read_build_system(_tree(tmp_path, setup_py=True))

    assert system.requires == ("setuptools>=40.8.0",)
    assert system.backend == LEGACY_BACKEND == "setuptools.build_meta:__legacy__"
    assert system.legacy


def test_pyproject_without_build_system_table_uses_the_legacy_default(tmp_path: Path) -> None:
    system = read_build_system(_tree(tmp_path, '[project]\nname = "x"\n', setup_py=True))

    assert (system.requires, system.backend) == (("setuptools>=40.8.0",), LEGACY_BACKEND)


def test_requires_without_build_backend_keeps_the_requirements(tmp_path: Path) -> None:
    tree = _tree(tmp_path, '[build-system]\nrequires = ["setuptools>=60", "cython"]\n',
                 setup_py=True)

    system = read_build_system(tree)

    assert (system.requires, system.backend) == (("setuptools>=60", "cython"), LEGACY_BACKEND)
    assert system.legacy


def test_neither_pyproject_nor_setup_py_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidBuildSystem, match=r"neither pyproject\.toml nor setup\.py"):
        read_build_system(_tree(tmp_path))


@pytest.mark.parametrize(("pyproject", "reason"), [
    ("[build-system]\nbuild-backend = 'x'\n", "no 'requires' key"),
    ("[build-system]\nrequires = 'setuptools'\n", "must be a list of strings"),
    ("[build-system]\nrequires = ['setuptools >>= 1']\n", "invalid requirement 'setuptools >>= 1'"),
    ("[build-system]\nrequires = []\nbuild-backend = 'not a module'\n", "invalid build-backend"),
    ("[build-system]\nrequires = []\nbuild-backend = 'x'\nbackend-path = ['../elsewhere']\n",
     "'../elsewhere' is outside the source tree"),
    ("[build-system]\nrequires = []\nbuild-backend = 'x'\nbackend-path = ['/usr/lib']\n",
     "'/usr/lib' is outside the source tree"),
    ("build-system = 1\n", r"\[build-system\] must be a table"),
    ("[build-system\nrequires = []\n", "invalid TOML"),
])
def test_invalid_build_systems_name_the_file(tmp_path: Path, pyproject: str, reason: str) -> None:
    tree = _tree(tmp_path, pyproject)

    with pytest.raises(InvalidBuildSystem, match=reason) as caught:
        read_build_system(tree)

    assert str(tree.root / "pyproject.toml") in str(caught.value)


def test_backend_path_may_not_leave_the_tree_through_a_link(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "[build-system]\nrequires = []\nbuild-backend = 'x'\n"
                           "backend-path = ['escape']\n")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tree.root / "escape")

    with pytest.raises(InvalidBuildSystem, match="outside the source tree"):
        read_build_system(tree)
