"""Dependency groups (PEP 735): which pyproject.toml a group comes from, include-group expansion,
name normalization, and the errors for unknown groups, cycles and malformed tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyffin.errors import NotSupportedError, UsageError
from pyffin.requirements import (
    GroupSelection,
    RequirementsError,
    RequirementsSpec,
    read_requirements,
)
from pyffin.requirements.groups import DependencyGroups, parse_group_option

from .conftest import Write

PYPROJECT = """\
    [project]
    name = "proj"
    version = "1.0"
    dependencies = ["flask"]

    [dependency-groups]
    Test = ["pytest>=8", {include-group = "Typing_Stuff"}]
    typing-stuff = ["mypy", "local @ ./libs/local"]
    docs = ["sphinx"]
    broken = [{include-group = "nowhere"}]
    """


def names(spec: RequirementsSpec) -> list[str]:
    return [str(entry.requirement) for entry in spec.requirements]


def read(*paths: str, **selection: Any) -> list[str]:
    return names(read_requirements(list(paths), groups=GroupSelection(**selection)))


# ------------------------------------------------------------------------- the --group value
@pytest.mark.parametrize(("text", "name", "path"), [
    ("test", "test", None),
    ("Typing_Stuff", "typing-stuff", None),
    ("pyproject.toml:dev", "dev", "pyproject.toml"),
    ("sub/dir/pyproject.toml:Dev.Tools", "dev-tools", "sub/dir/pyproject.toml"),
    ("C:/x/pyproject.toml:dev", "dev", "C:/x/pyproject.toml"),
])
def test_group_option_forms(text: str, name: str, path: str | None) -> None:
    request = parse_group_option(text)
    assert (request.name, request.path) == (name, path)


@pytest.mark.parametrize(("text", "message"), [
    ("setup.cfg:dev", "must name a pyproject.toml"),
    ("dev_", "'dev_' is not a valid group name"),
    ("pyproject.toml:", "'' is not a valid group name"),
])
def test_invalid_group_options(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_group_option(text)


# ---------------------------------------------------------------------------- the table
def test_include_group_expands_in_place_and_names_are_normalized() -> None:
    groups = DependencyGroups("pyproject.toml", {
        "Test": ["pytest", {"include-group": "LINT"}, "coverage"], "lint": ["ruff"]})
    assert groups.names == ["test", "lint"]
    assert groups.requirements("TEST") == ["pytest", "ruff", "coverage"]


def test_a_cycle_is_an_error_naming_the_path() -> None:
    groups = DependencyGroups("pyproject.toml", {
        "a": [{"include-group": "b"}], "b": [{"include-group": "C"}],
        "c": [{"include-group": "b"}]})
    with pytest.raises(RequirementsError, match=r"pyproject.toml: \[dependency-groups\] include "
                                                r"a cycle: b -> c -> b"):
        groups.requirements("a")


def test_names_that_normalize_alike_are_an_error() -> None:
    with pytest.raises(RequirementsError, match="defines 'Test' and 'test', which are the same "
                                                "group once normalized"):
        DependencyGroups("pyproject.toml", {"Test": [], "test": []})


@pytest.mark.parametrize(("table", "message"), [
    ({"a": "pytest"}, "dependency group 'a' must be a list"),
    ({"a": [1]}, "dependency group 'a' has an invalid item 1"),
    ({"a": [{"include-group": "b", "extra": "x"}], "b": []}, "has an invalid item"),
    ({"a": [{"include-group": "missing"}]},
     "dependency group 'missing' \\(included by 'a'\\) is not defined in pyproject.toml"),
])
def test_malformed_groups(table: dict[str, object], message: str) -> None:
    with pytest.raises(RequirementsError, match=message):
        DependencyGroups("pyproject.toml", table).requirements("a")


def test_only_the_groups_asked_for_are_validated() -> None:
    groups = DependencyGroups("pyproject.toml", {"good": ["ruff"], "bad": [1]})
    assert groups.requirements("good") == ["ruff"]


# ----------------------------------------------------------------- groups as requirements
def test_a_bare_group_reads_the_current_directory_pyproject(write: Write, project: Path
                                                            ) -> None:
    write("pyproject.toml", PYPROJECT)
    (project / "libs" / "local").mkdir(parents=True)
    (project / "libs" / "local" / "setup.py").write_text("")
    spec = read_requirements([], groups=GroupSelection(groups=("test",)))
    assert names(spec) == ["pytest>=8", "mypy", f"local @ {(project / 'libs/local').as_uri()}"]
    # As uv names them: the project, then the file and group.
    assert {entry.origin for entry in spec.requirements} == {"proj (pyproject.toml:test)"}
    assert spec.sources == ("pyproject.toml",)


def test_with_the_project_as_a_source_its_dependencies_come_too(write: Write) -> None:
    write("pyproject.toml", PYPROJECT)
    assert read("pyproject.toml", groups=("docs",)) == ["flask", "sphinx"]
    assert read("pyproject.toml", groups=("docs", "DOCS")) == ["flask", "sphinx"]


def test_only_group_leaves_the_project_dependencies_out(write: Write) -> None:
    write("pyproject.toml", PYPROJECT)
    assert read("pyproject.toml", only_groups=("docs",)) == ["sphinx"]
    with pytest.raises(UsageError, match="--only-group cannot be combined with --group"):
        read("pyproject.toml", only_groups=("docs",), groups=("test",))
    with pytest.raises(UsageError, match="--extra and --all-extras cannot be combined"):
        read_requirements(["pyproject.toml"], extras=["x"],
                          groups=GroupSelection(only_groups=("docs",)))


def test_all_groups_and_no_group(write: Write) -> None:
    write("pyproject.toml", PYPROJECT.replace('broken = [{include-group = "nowhere"}]\n', "")
          .replace(', "local @ ./libs/local"', ""))
    assert read(all_groups=True) == ["pytest>=8", "mypy", "mypy", "sphinx"]
    assert read(all_groups=True, no_groups=("Typing_stuff", "test")) == ["sphinx"]
    assert read(groups=("docs",), no_groups=("docs",)) == []
    with pytest.raises(RequirementsError, match="dependency group 'nope' is not defined"):
        read(all_groups=True, no_groups=("nope",))
    with pytest.raises(UsageError, match="give the group's name only"):
        read(all_groups=True, no_groups=("pyproject.toml:docs",))


def test_a_pyproject_given_as_the_only_source_is_the_default(write: Write) -> None:
    write("sub/pyproject.toml", PYPROJECT)
    assert read("sub/pyproject.toml", groups=("docs",)) == ["flask", "sphinx"]
    spec = read_requirements(["sub/pyproject.toml"], groups=GroupSelection(groups=("docs",)))
    assert spec.requirements[1].origin == "proj (sub/pyproject.toml:docs)"


def test_a_bare_group_is_ambiguous_when_two_files_could_be_meant(write: Write) -> None:
    write("pyproject.toml", PYPROJECT)
    write("sub/pyproject.toml", PYPROJECT)
    with pytest.raises(UsageError, match=r"--group docs is ambiguous: sub/pyproject\.toml is "
                                         r"given as a source and pyproject\.toml exists"):
        read("sub/pyproject.toml", groups=("docs",))
    assert read("sub/pyproject.toml", groups=("sub/pyproject.toml:docs",)) == [
        "flask", "sphinx"]
    assert read("sub/pyproject.toml", groups=("pyproject.toml:docs",)) == ["flask", "sphinx"]
    # The current directory's own file, given as a source, is not ambiguous.
    assert read("pyproject.toml", "sub/pyproject.toml", groups=("docs",)) == [
        "flask", "flask", "sphinx"]


def test_a_path_form_group_reads_that_file_only(write: Write) -> None:
    write("pyproject.toml", PYPROJECT)
    write("other/pyproject.toml", '[dependency-groups]\ndev = ["ruff"]\n')
    assert read(groups=("other/pyproject.toml:dev", "docs")) == ["ruff", "sphinx"]


@pytest.mark.parametrize(("selection", "message"), [
    ({"groups": ("nope",)},
     "dependency group 'nope' is not defined in pyproject.toml \\(defined: Test, typing-stuff, "
     "docs, broken\\)"),
    ({"groups": ("broken",)}, "'nowhere' \\(included by 'broken'\\) is not defined"),
    ({"groups": ("missing/pyproject.toml:dev",)},
     "pyproject.toml not found: missing/pyproject.toml"),
])
def test_unknown_groups_and_files(write: Write, selection: dict[str, Any],
                                  message: str) -> None:
    write("pyproject.toml", PYPROJECT)
    with pytest.raises(RequirementsError, match=message):
        read(**selection)


def test_no_pyproject_at_all(project: Path) -> None:
    with pytest.raises(RequirementsError, match=r"pyproject\.toml not found: pyproject\.toml"):
        read(groups=("dev",))


def test_a_group_requirement_must_name_a_project(write: Write, project: Path) -> None:
    write("pyproject.toml", '[dependency-groups]\ndev = ["./lib"]\n')
    (project / "lib").mkdir()
    (project / "lib" / "setup.py").write_text("")
    with pytest.raises(RequirementsError, match="does not name a project"):
        read(groups=("dev",))


def test_groups_of_a_pyproject_that_describes_no_package(write: Write) -> None:
    write("pyproject.toml", '[dependency-groups]\ndev = ["ruff"]\n')
    assert read("pyproject.toml", groups=("dev",)) == ["ruff"]
    # Without groups from it, it still needs a build to say what it depends on.
    with pytest.raises(NotSupportedError, match="it has no \\[project\\] table"):
        read("pyproject.toml")
    write("setup.py", "")
    with pytest.raises(NotSupportedError, match="it has no \\[project\\] table"):
        read("pyproject.toml", groups=("dev",))
