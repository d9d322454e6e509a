"""All sources of a command merged into one specification: files, command-line arguments,
standard input, constraints and overrides."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from pyffin.errors import UsageError
from pyffin.requirements import (
    Location,
    RequirementsError,
    parse_requirements_file,
    read_requirements,
)

from .conftest import Write

MakeProject = Callable[..., Path]


def test_command_line_requirements_and_editables(project: Path,
                                                 make_project: MakeProject) -> None:
    make_project("pkg")
    spec = read_requirements(requirements=["flask>=2", "./pkg"], editables=["./pkg"])
    assert [(entry.name, entry.editable) for entry in spec.requirements] == [
        ("flask", False), (None, False), (None, True)]
    assert spec.requirements[0].location == Location("<command line>")
    assert str(spec.requirements[0].location) == "<command line>"
    assert spec.sources == ()


def test_invalid_command_line_requirement(project: Path) -> None:
    with pytest.raises(RequirementsError, match=r"^invalid requirement 'flask>=>2': "):
        read_requirements(requirements=["flask>=>2"])


def test_sources_are_merged_in_order(write: Write) -> None:
    write("a.txt", "-i https://a/simple\n--extra-index-url https://x/simple\nflask\n")
    write("b.txt", "-i https://b/simple\n--extra-index-url https://y/simple\nattrs\n")
    write("c.txt", "idna<4\n")
    write("o.txt", "urllib3==1.26.18\n")
    spec = read_requirements(["a.txt", "b.txt"], requirements=["click"], constraints=["c.txt"],
                             overrides=["o.txt"])
    assert [entry.name for entry in spec.requirements] == ["click", "flask", "attrs"]
    assert [entry.name for entry in spec.constraints] == ["idna"]
    assert [(entry.name, entry.origin) for entry in spec.overrides] == [
        ("urllib3", "--override o.txt")]
    assert spec.index_url == "https://b/simple"
    assert spec.extra_index_urls == ("https://x/simple", "https://y/simple")
    assert spec.sources == ("a.txt", "b.txt", "c.txt", "o.txt")


def test_excludes_name_projects_whatever_their_version_marker_or_extras(write: Write) -> None:
    write("x.txt", "# what to leave out\nClick>=100 ; python_version < '3'\n-r more.txt\n"
                   "requests[socks]\nsix @ https://example.com/six-1.0.tar.gz\n")
    write("more.txt", "Jinja2\n")
    spec = read_requirements(requirements=["flask"], excludes=["x.txt"])
    assert spec.excluded == {"click", "jinja2", "requests", "six"}
    assert [(entry.name, entry.origin) for entry in spec.excludes] == [
        ("click", "--excludes x.txt"), ("jinja2", "--excludes more.txt"),
        ("requests", "--excludes x.txt"), ("six", "--excludes x.txt")]
    assert [entry.name for entry in spec.requirements] == ["flask"]
    assert spec.sources == ("x.txt", "more.txt")  # (a repeated command checks them)


@pytest.mark.parametrize("line,message", [
    ("./pkg", r"^x\.txt:1: excludes must name a project \(write 'name @ file://"),
    ("-e ./pkg", r"^x\.txt:1: editable requirements are not allowed as excludes"),
], ids=["unnamed", "editable"])
def test_excludes_must_name_a_project(write: Write, make_project: MakeProject, line: str,
                                      message: str) -> None:
    make_project("pkg")
    write("x.txt", line + "\n")
    with pytest.raises(RequirementsError, match=message):
        read_requirements(requirements=["flask"], excludes=["x.txt"])


def test_a_lock_file_is_no_excludes_file(write: Write) -> None:
    write("pylock.toml", "")
    with pytest.raises(UsageError, match=r"^pylock\.toml is a PEP 751 lock file, not an "
                                         r"excludes file"):
        read_requirements(requirements=["flask"], excludes=["pylock.toml"])


def test_overrides_must_name_a_project(write: Write, make_project: MakeProject) -> None:
    make_project("pkg")
    write("o.txt", "./pkg\n")
    with pytest.raises(RequirementsError, match=r"^o\.txt:1: overrides must name a project"):
        read_requirements(overrides=["o.txt"])


def test_standard_input(write: Write) -> None:
    write("base.txt", "attrs\n")
    spec = read_requirements(["-"], stdin=io.StringIO("flask\n-r base.txt\n"))
    assert [(entry.name, str(entry.location)) for entry in spec.requirements] == [
        ("flask", "-:1"), ("attrs", "base.txt:1")]
    assert spec.requirements[0].origin == "-r -"
    assert spec.sources == ("-", "base.txt")


def test_standard_input_is_read_only_once(write: Write) -> None:
    write("requirements.txt", "-r -\n")
    with pytest.raises(RequirementsError, match=r"^requirements.txt:1: standard input \(-\) "
                                                r"can be read only once"):
        read_requirements(["-", "requirements.txt"], stdin=io.StringIO("flask\n"))


def test_working_dir_anchors_relative_paths(write: Write, project: Path,
                                            make_project: MakeProject) -> None:
    make_project("sub/pkg")
    write("requirements.txt", "./pkg\n")
    spec = parse_requirements_file("requirements.txt", working_dir=project / "sub")
    assert spec.requirements[0].url == (project / "sub" / "pkg").as_uri()


def test_pathlib_paths_are_accepted(write: Write) -> None:
    path = write("requirements.txt", "flask\n")
    assert read_requirements([path]).sources == (str(path),)


def test_requirements_only_looked_up_need_not_exist(write: Write, project: Path) -> None:
    """An uninstall's requirements are looked for among installed distributions: paths that
    are gone and wheel names that do not parse are no error (uv's uninstall reads them so)."""
    write("r.txt", """\
        -e ./gone
        ./also-gone
        six @ https://host/x.whl
        https://host/bad.whl
        """)
    with pytest.raises(RequirementsError, match=r"no such file or directory: \./gone"):
        read_requirements(["r.txt"])
    spec = read_requirements(["r.txt"], requirements=["./missing"], lookup_only=True)
    assert [(entry.name, entry.url, entry.editable) for entry in spec.requirements] == [
        (None, (project / "missing").as_uri(), False),
        (None, (project / "gone").as_uri(), True),
        (None, (project / "also-gone").as_uri(), False),
        ("six", "https://host/x.whl", False),
        (None, "https://host/bad.whl", False)]
