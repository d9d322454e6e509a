"""Real backends (setuptools, hatchling) fetched from the public index, in isolated builds."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from pyffin.build import (
    BuildEnvironment,
    SourceBuilder,
    SourceTree,
    prepare_source,
    static_metadata,
)
from pyffin.cache import Cache
from pyffin.interpreter import Interpreter

pytestmark = pytest.mark.network


class PipDownloadContext:
    """Test-only stand-in for pyffin's resolver and installer: ``pip download`` the wheels of
    the requirements (and their dependencies) and unzip them into the environment's purelib."""

    def __init__(self, wheelhouse: Path) -> None:
        self.wheelhouse = wheelhouse
        self.requested: list[str] = []

    def install_requirements(self, requirements: Sequence[str], environment: BuildEnvironment,
                             *, purpose: str) -> None:
        self.requested.extend(requirements)
        dest = self.wheelhouse / str(len(self.requested))
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet",
                        "--disable-pip-version-check", "--only-binary",
                        ":all:", "--dest", str(dest), *requirements], check=True)
        for wheel in dest.glob("*.whl"):
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(environment.scheme.purelib)


@pytest.fixture
def pip_context(tmp_path: Path) -> PipDownloadContext:
    return PipDownloadContext(tmp_path / "wheelhouse")


@pytest.fixture
def real_builder(cache: Cache, interpreter: Interpreter,
                 pip_context: PipDownloadContext) -> SourceBuilder:
    return SourceBuilder(cache=cache, interpreter=interpreter, context=pip_context)


def _tree(root: Path, files: dict[str, str]) -> SourceTree:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return prepare_source(root, root.parent / "unused")


def test_a_legacy_setup_py_project_builds_with_real_setuptools(
        tmp_path: Path, real_builder: SourceBuilder, pip_context: PipDownloadContext) -> None:
    tree = _tree(tmp_path / "legacy", {
        "setup.py": "from setuptools import setup\n"
                    "setup(name='legacy-pkg', version='0.3', packages=['legacy_pkg'],\n"
                    "      install_requires=['six>=1'])\n",
        "legacy_pkg/__init__.py": "",
    })

    prepared = real_builder.build_metadata(tree, tmp_path / "metadata")
    wheel = real_builder.build_wheel(tree, tmp_path / "wheels")

    assert pip_context.requested[0] == "setuptools>=40.8.0"
    assert prepared.read().requires_dist == ("six>=1",)
    assert wheel.name == "legacy_pkg-0.3-py3-none-any.whl"


def test_a_hatchling_project_builds_wheels_and_editables(
        tmp_path: Path, real_builder: SourceBuilder, pip_context: PipDownloadContext) -> None:
    tree = _tree(tmp_path / "modern", {
        "pyproject.toml": "[build-system]\nrequires = ['hatchling']\n"
                          "build-backend = 'hatchling.build'\n\n"
                          "[project]\nname = 'modern-pkg'\nversion = '2.0'\n"
                          "requires-python = '>=3.8'\n"
                          "dependencies = ['attrs; python_version >= \"3.8\"']\n",
        "src/modern_pkg/__init__.py": "",
    })

    wheel = real_builder.build_wheel(tree, tmp_path / "wheels")
    editable = real_builder.build_editable(tree, tmp_path / "editables")

    assert "hatchling" in pip_context.requested
    assert wheel.name == "modern_pkg-2.0-py3-none-any.whl"
    with zipfile.ZipFile(editable) as zf:
        pth = [name for name in zf.namelist() if name.endswith(".pth")]
        assert pth and str(tree.root / "src") in zf.read(pth[0]).decode()
    static = static_metadata(tree)
    assert static is not None and static.requires_dist == ('attrs; python_version >= "3.8"',)
