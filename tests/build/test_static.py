"""Metadata without building: PKG-INFO (Metadata 2.2+, PEP 643) and a static ``[project]``."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import Marker

from pyffin.build import InvalidBuildSystem, SourceTree, prepare_source, static_metadata
from pyffin.build.static import static_name
from tests.support.dists import SdistSpec, build_sdist, write_source_tree


def _sdist_tree(tmp_path: Path, spec: SdistSpec) -> SourceTree:
    return prepare_source(build_sdist(spec, tmp_path / "dists"), tmp_path / "src")


def _pyproject_tree(tmp_path: Path, project: str) -> SourceTree:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        "[build-system]\nrequires = []\nbuild-backend = 'x'\n\n[project]\n" + project)
    return SourceTree(root, origin=str(root))


def test_pkg_info_2_2_without_dynamic_dependencies(tmp_path: Path) -> None:
    # pyproject.toml's dependencies are dynamic: only PKG-INFO can answer.
    spec = SdistSpec("Foo", "1.0", requires_dist=['bar>=1', 'baz; extra == "x"'], extras=["x"],
                     requires_python=">=3.8", static_pyproject=False)

    metadata = static_metadata(_sdist_tree(tmp_path, spec))

    assert metadata is not None
    assert (metadata.name, metadata.version) == ("Foo", "1.0")
    assert metadata.requires_dist == ("bar>=1", 'baz; extra == "x"')
    assert metadata.requires_python == ">=3.8"
    assert metadata.provides_extra == ("x",)
    assert metadata.metadata_version == "2.2"


@pytest.mark.parametrize("dynamic", ["Requires-Dist", "Requires-Python", "Provides-Extra"])
def test_pkg_info_with_a_dynamic_resolver_field_is_not_enough(tmp_path: Path,
                                                              dynamic: str) -> None:
    spec = SdistSpec("foo", "1.0", requires_dist=["bar"], dynamic=[dynamic],
                     static_pyproject=False)

    assert static_metadata(_sdist_tree(tmp_path, spec)) is None


def test_pkg_info_older_than_2_2_is_not_trusted(tmp_path: Path) -> None:
    spec = SdistSpec("foo", "1.0", requires_dist=["bar"], metadata_version="2.1",
                     static_pyproject=False)

    assert static_metadata(_sdist_tree(tmp_path, spec)) is None


def test_pkg_info_of_a_plain_directory_is_not_trusted(tmp_path: Path) -> None:
    # A project directory's PKG-INFO may be stale; only an sdist's describes it.
    spec = SdistSpec("foo", "1.0", requires_dist=["bar"], static_pyproject=False)
    root = write_source_tree(spec, tmp_path / "foo")

    assert static_metadata(prepare_source(root, tmp_path / "unused")) is None


def test_static_pyproject_when_pkg_info_is_dynamic(tmp_path: Path) -> None:
    spec = SdistSpec("foo", "1.0", requires_dist=["bar>=1"], dynamic=["Requires-Dist"])

    metadata = static_metadata(_sdist_tree(tmp_path, spec))

    assert metadata is not None
    assert metadata.requires_dist == ("bar>=1",)


def test_pyproject_optional_dependencies_get_extra_markers(tmp_path: Path) -> None:
    tree = _pyproject_tree(tmp_path, """\
name = "foo"
version = "1.0.0-beta.1"
requires-python = ">=3.9"
dependencies = ["a >= 1", "b; python_version < '3.11'"]

[project.optional-dependencies]
Fancy_Extra = ["c; sys_platform == 'linux' or sys_platform == 'darwin'", "d[x] ~= 2.0"]
""")

    metadata = static_metadata(tree)

    assert metadata is not None
    assert metadata.version == "1.0.0b1"  # normalized, as a backend writes it
    assert metadata.requires_python == ">=3.9"
    assert metadata.provides_extra == ("fancy-extra",)
    assert metadata.requires_dist == (
        "a>=1",
        'b; python_version < "3.11"',
        'c; (sys_platform == "linux" or sys_platform == "darwin") and extra == "fancy-extra"',
        'd[x]~=2.0; extra == "fancy-extra"',
    )
    # The parentheses keep the 'or' inside the extra: without the extra, c is not required.
    c_marker = Marker(metadata.requires_dist[2].split(";", 1)[1])
    assert not c_marker.evaluate({"sys_platform": "linux", "extra": ""})
    assert c_marker.evaluate({"sys_platform": "linux", "extra": "fancy-extra"})


@pytest.mark.parametrize("project", [
    'name = "foo"\nversion = "1.0"\ndynamic = ["dependencies"]\n',
    'name = "foo"\nversion = "1.0"\ndynamic = ["optional-dependencies"]\n',
    'name = "foo"\nversion = "1.0"\ndynamic = ["requires-python"]\n',
    'name = "foo"\ndynamic = ["version"]\n',
])
def test_a_dynamic_field_the_resolver_needs_means_ask_the_backend(tmp_path: Path,
                                                                  project: str) -> None:
    assert static_metadata(_pyproject_tree(tmp_path, project)) is None


def test_dynamic_fields_the_resolver_does_not_need_are_fine(tmp_path: Path) -> None:
    tree = _pyproject_tree(tmp_path, 'name = "foo"\nversion = "1.0"\ndynamic = ["readme"]\n')

    metadata = static_metadata(tree)

    assert metadata is not None
    assert metadata.requires_dist == ()


def test_no_project_table_means_ask_the_backend(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "setup.py").write_text("")

    assert static_metadata(SourceTree(root, origin="project")) is None


@pytest.mark.parametrize(("project", "reason"), [
    ('name = "foo"\nversion = "1.0"\ndependencies = ["bar >>= 1"]\n',
     r"invalid requirement 'bar >>= 1' in \[project\] dependencies"),
    ('name = "foo"\nversion = "1.0"\n[project.optional-dependencies]\nx = "bar"\n',
     r"\[project\] optional-dependencies.x must be a list of strings"),
    ('name = "foo"\nversion = "one"\n', "version 'one' is invalid"),
    ('version = "1.0"\n', "name must be a non-empty string"),
])
def test_an_invalid_project_table_names_the_file(tmp_path: Path, project: str,
                                                 reason: str) -> None:
    tree = _pyproject_tree(tmp_path, project)

    with pytest.raises(InvalidBuildSystem, match=reason) as caught:
        static_metadata(tree)

    assert str(tree.root / "pyproject.toml") in str(caught.value)


def test_a_project_name_is_read_without_a_build(tmp_path: Path) -> None:
    def project(files: dict[str, str]) -> Path:
        root = tmp_path / str(len(list(tmp_path.iterdir())))
        root.mkdir()
        for name, text in files.items():
            (root / name).write_text(text)
        return root

    setup_py = {"setup.py": "from setuptools import setup\nsetup(name='hidden')\n"}
    assert static_name(project({"pyproject.toml": "[project]\nname = 'From-TOML'\n",
                                "setup.cfg": "[metadata]\nname = other\n"})) == "From-TOML"
    # A [build-system] table alone, and a setup.cfg naming the project (setuptools reads it).
    assert static_name(project({"pyproject.toml": "[build-system]\nrequires = []\n",
                                "setup.cfg": "[metadata]\nname = from-cfg\nversion = %(x)s\n",
                                **setup_py})) == "from-cfg"
    assert static_name(project({"PKG-INFO": "Metadata-Version: 1.0\nName: unpacked\n",
                                **setup_py})) == "unpacked"
    # Only running setup.py could tell; a setup.cfg that does not parse names nothing.
    assert static_name(project(setup_py)) is None
    assert static_name(project({"setup.cfg": "name = loose\n", **setup_py})) is None
    with pytest.raises(InvalidBuildSystem, match=r"pyproject\.toml: invalid TOML"):
        static_name(project({"pyproject.toml": "[project\n"}))
