"""Dependencies read from a pyproject.toml [project] table (PEP 621), with extras selected."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pyffin.errors import NotSupportedError
from pyffin.models.metadata import CoreMetadata
from pyffin.requirements import RequirementsError, RequirementsSpec, read_requirements

from .conftest import Write

PROJECT = """\
    [project]
    name = "My_Project"
    version = "1.0"
    dependencies = ["flask>=2", 'tomli ; python_version < "3.11"']

    [project.optional-dependencies]
    Test = ["pytest>=8"]
    docs = ["sphinx"]
    """


def read(write: Write, text: str = PROJECT, *, extras: Sequence[str] = (),
         all_extras: bool = False) -> RequirementsSpec:
    write("pyproject.toml", text)
    return read_requirements(["pyproject.toml"], extras=extras, all_extras=all_extras)


def requirements(spec: RequirementsSpec) -> list[str]:
    return [str(entry.requirement) for entry in spec.requirements]


def test_dependencies(write: Write) -> None:
    spec = read(write)
    assert requirements(spec) == ["flask>=2", 'tomli; python_version < "3.11"']
    # Named as uv names them in ``# via``: the project, then its file.
    assert [entry.origin for entry in spec.requirements] == ["my-project (pyproject.toml)"] * 2
    assert spec.sources == ("pyproject.toml",)
    assert str(spec.requirements[0].location) == "pyproject.toml"


def test_selected_extras_are_matched_normalized(write: Write) -> None:
    spec = read(write, extras=["test"])
    assert requirements(spec) == ["flask>=2", 'tomli; python_version < "3.11"', "pytest>=8"]


def test_all_extras(write: Write) -> None:
    assert requirements(read(write, all_extras=True))[2:] == ["pytest>=8", "sphinx"]


def test_unknown_extra_names_it_and_lists_the_available_ones(write: Write) -> None:
    with pytest.raises(RequirementsError) as error:
        read(write, extras=["docs", "Lint"])
    assert str(error.value) == ("unknown extra 'Lint': not defined in pyproject.toml "
                                "(available: docs, test)")


def test_extras_need_a_pyproject_source(write: Write) -> None:
    write("requirements.txt", "flask\n")
    with pytest.raises(RequirementsError, match=r"selecting extras needs a pyproject\.toml"):
        read_requirements(["requirements.txt"], extras=["dev"])


def test_an_extra_needs_to_exist_in_one_of_several_projects(write: Write) -> None:
    write("a/pyproject.toml", '[project]\nname = "a"\n[project.optional-dependencies]\n'
                              'dev = ["pytest"]\n')
    write("b/pyproject.toml", '[project]\nname = "b"\ndependencies = ["attrs"]\n')
    spec = read_requirements(["a/pyproject.toml", "b/pyproject.toml"], extras=["dev"])
    assert requirements(spec) == ["pytest", "attrs"]


def test_extras_that_name_the_project_itself_are_expanded(write: Write) -> None:
    spec = read(write, """\
        [project]
        name = "my-project"
        dependencies = []
        [project.optional-dependencies]
        test = ["pytest", "my_project[lint]"]
        lint = ["ruff"]
        all = ['My.Project[test,docs] ; python_version >= "3.10"', "my-project[all]"]
        docs = ['sphinx ; os_name == "posix"']
        """, extras=["all"])
    assert requirements(spec) == [
        'sphinx; python_version >= "3.10" and os_name == "posix"',
        'pytest; python_version >= "3.10"',
        'ruff; python_version >= "3.10"',
    ]


def test_a_self_reference_to_an_undefined_extra_is_an_error(write: Write) -> None:
    with pytest.raises(RequirementsError, match=r"'pkg\[nope\]' refers to extra 'nope'"):
        read(write, '[project]\nname = "pkg"\ndependencies = ["pkg[nope]"]\n')


def test_relative_path_dependency_is_relative_to_the_project(write: Write, project: Path) -> None:
    write("app/libs/lib/setup.py", "")
    write("app/pyproject.toml", '[project]\nname = "app"\ndependencies = ["lib @ ./libs/lib"]\n')
    spec = read_requirements(["app/pyproject.toml"])
    assert spec.requirements[0].url == (project / "app" / "libs" / "lib").as_uri()


@pytest.mark.parametrize(
    ("text", "reason"),
    [('[project]\nname = "x"\ndynamic = ["dependencies"]\n',
      "its [project] dependencies are dynamic"),
     ('[build-system]\nrequires = ["setuptools"]\n', "it has no [project] table")],
)
def test_dynamic_dependencies_are_not_supported_yet(write: Write, text: str, reason: str) -> None:
    with pytest.raises(NotSupportedError) as error:
        read(write, text)
    assert str(error.value) == (
        "reading dependencies from a pyproject.toml with dynamic dependencies is not supported "
        f"yet: pyproject.toml: {reason} (needs a build)")


def test_dynamic_optional_dependencies_matter_only_when_extras_are_selected(write: Write) -> None:
    text = '[project]\nname = "x"\ndependencies = ["a"]\ndynamic = ["optional-dependencies"]\n'
    assert requirements(read(write, text)) == ["a"]
    with pytest.raises(NotSupportedError, match="optional-dependencies are dynamic"):
        read(write, text, all_extras=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [('[project]\nversion = "1"\n', "pyproject.toml: \\[project\\] has no name"),
     ('[project]\nname = "x"\ndependencies = "flask"\n',
      "dependencies must be a list of strings"),
     ('[project]\nname = "x"\n[project.optional-dependencies]\ndev = [1]\n',
      "optional-dependencies.dev must be a list of strings"),
     ('[project]\nname = "x"\noptional-dependencies = ["a"]\n',
      "optional-dependencies must be a table"),
     ('[project\nname = "x"\n', "pyproject.toml: invalid TOML: "),
     ('[project]\nname = "x"\ndependencies = ["flask>=>2"]\n',
      "pyproject.toml: invalid requirement 'flask>=>2'"),
     ('[project]\nname = "x"\ndependencies = ["https://host/x.zip"]\n',
      "dependency 'https://host/x.zip' does not name a project")],
)
def test_invalid_pyproject(write: Write, text: str, message: str) -> None:
    with pytest.raises(RequirementsError, match=message):
        read(write, text)


def test_missing_pyproject(project: Path) -> None:
    with pytest.raises(RequirementsError, match=r"pyproject\.toml not found: sub/pyproject\.toml"):
        read_requirements(["sub/pyproject.toml"])


@pytest.mark.parametrize("name", ["setup.py", "setup.cfg"])
def test_setup_files_are_not_supported_yet(write: Write, name: str) -> None:
    write(name, "")
    with pytest.raises(NotSupportedError, match=rf"reading dependencies from {name} is not "
                                                r"supported yet \(needs a build\)"):
        read_requirements([name])


# ------------------------------------------------------------- projects that need a build
BUILT = CoreMetadata("My_Project", "1.0", requires_dist=(
    "flask>=2", 'tomli; python_version < "3.11"', 'pytest>=8; extra == "test"',
    'coverage; extra == "Test" and sys_platform == "linux"', 'my-project[test]; extra == "all"',
    'sphinx; extra == "docs" or extra == "all"'), provides_extra=("Test", "docs", "all"))


@pytest.mark.parametrize("name", ["setup.py", "setup.cfg", "pyproject.toml"])
def test_a_project_that_needs_a_build_is_read_from_its_backend(write: Write, name: str) -> None:
    write(name, '[project]\nname = "x"\ndynamic = ["dependencies"]\n'
          if name == "pyproject.toml" else "")
    asked: list[str] = []

    def build(path: str, spec: RequirementsSpec) -> CoreMetadata:
        asked.append(path)
        assert spec.index_url == "https://example.invalid/simple"  # read before building
        return BUILT

    write("index.txt", "--index-url https://example.invalid/simple\n")
    spec = read_requirements([name, "index.txt"], build_project=build)
    assert asked == [name]
    assert requirements(spec) == ["flask>=2", 'tomli; python_version < "3.11"']
    assert {entry.origin for entry in spec.requirements} == {f"my-project ({name})"}
    assert name in spec.sources


def test_extras_of_a_built_project_lose_their_extra_markers(write: Write) -> None:
    write("setup.py", "")
    spec = read_requirements(["setup.py"], extras=["all"],
                             build_project=lambda path, spec: BUILT)
    assert requirements(spec) == [
        "flask>=2", 'tomli; python_version < "3.11"', "sphinx", "pytest>=8",
        'coverage; sys_platform == "linux"']
    with pytest.raises(RequirementsError, match="unknown extra 'nope'"):
        read_requirements(["setup.py"], extras=["nope"], build_project=lambda path, spec: BUILT)


def test_setup_py_must_exist(project: Path) -> None:
    with pytest.raises(RequirementsError, match=r"setup\.py not found: sub/setup\.py"):
        read_requirements(["sub/setup.py"], build_project=lambda path, spec: BUILT)
