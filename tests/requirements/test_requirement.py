"""One requirement, as a command-line argument or a requirements-file line: the single-line forms
pip accepts (PEP 508, URLs, local paths) and what each resolves to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from pyffin.errors import NotSupportedError
from pyffin.requirements import (
    COMMAND_LINE,
    Location,
    RequirementsError,
    parse_requirement,
)

MakeProject = Callable[..., Path]
WHEEL = "https://host/files/Foo_Bar-1.0-py3-none-any.whl"


# --- PEP 508 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["flask", "Flask==2.0.1", "a>=1,<2", "a >= 1 , != 1.5", "foo~=1.4", "zope.interface!=5.*",
     "x_y-z.w<=3.0.0rc1", "pkg>1.0.post1", "n==1.0+local.7"],
)
def test_simple_lines_equal_what_packaging_parses(text: str) -> None:
    # Simple lines skip packaging's grammar; the result must be indistinguishable from it.
    entry = parse_requirement(text)
    expected = Requirement(text)
    assert entry.requirement is not None
    assert str(entry.requirement) == str(expected)
    assert sorted(map(str, entry.requirement.specifier)) == sorted(map(str, expected.specifier))
    assert (entry.requirement.name, entry.requirement.url, entry.requirement.extras,
            entry.requirement.marker) == (expected.name, None, frozenset(), None)
    assert entry.url is None and entry.extras == () and entry.marker is None


def test_pep508_with_extras_specifiers_and_marker() -> None:
    entry = parse_requirement('Flask[Async,dotenv] >=2.0, <3 ; python_version >= "3.8"')
    assert entry.name == "flask"
    assert str(entry.requirement) == 'Flask[Async,dotenv]<3,>=2.0; python_version >= "3.8"'
    assert entry.extras == ("Async", "dotenv")
    assert str(entry.marker) == 'python_version >= "3.8"'
    assert entry.url is None and not entry.editable


def test_name_is_pep503_normalized() -> None:
    assert parse_requirement("Zope.Interface_Extra==1").name == "zope-interface-extra"


def test_invalid_requirement_shows_packagings_caret_and_the_location() -> None:
    with pytest.raises(RequirementsError) as error:
        parse_requirement("flask>=>2", Location("requirements.txt", 3))
    message = str(error.value)
    assert message.startswith("requirements.txt:3: invalid requirement 'flask>=>2': Expected")
    assert message.endswith("    flask>=>2\n         ^")


def test_invalid_specifier_on_a_simple_line_is_reported_by_the_full_parser() -> None:
    with pytest.raises(RequirementsError, match=r"^reqs.txt:1: invalid requirement 'foo~=1'"):
        parse_requirement("foo~=1", Location("reqs.txt", 1))


@pytest.mark.parametrize("text", ["six=1.16.0", "six~1.16", "six!1.16.0", "six!!", "six!a",
                                  "six>=1.0,=1.16.0", "six==1.16.0,!1.16.0", "six <2, =1"])
def test_an_operator_that_does_not_exist_is_an_error(text: str) -> None:
    # Not a requirement without the clause (which installed the newest version, exit 0).
    with pytest.raises(RequirementsError, match=r"^reqs.txt:1: invalid requirement"):
        parse_requirement(text, Location("reqs.txt", 1))


@pytest.mark.parametrize("text,specifier", [
    ("six===1.16.0", "===1.16.0"), ("six ~= 1.16", "~=1.16"), ("six (>=1.0)", ">=1.0"),
    ("six>=1.0,<2", "<2,>=1.0"), ("six!=1!2.0", "!=1!2.0")])
def test_every_operator_reads_on_a_simple_line(text: str, specifier: str) -> None:
    entry = parse_requirement(text, Location("reqs.txt", 1))
    assert entry.requirement is not None and str(entry.requirement.specifier) == specifier


def test_command_line_errors_have_no_location_prefix() -> None:
    with pytest.raises(RequirementsError, match=r"^invalid requirement 'a b'"):
        parse_requirement("a b", Location(COMMAND_LINE))


def test_empty_requirement_is_an_error() -> None:
    with pytest.raises(RequirementsError, match="empty requirement"):
        parse_requirement("   ")


# --- URLs ----------------------------------------------------------------------------------------


def test_name_at_url_keeps_the_url_as_written() -> None:
    entry = parse_requirement("foo @ https://host/foo-1.0.tar.gz#sha256=abc")
    assert entry.name == "foo"
    assert entry.url == "https://host/foo-1.0.tar.gz#sha256=abc"
    assert entry.requirement is not None
    assert entry.requirement.url == entry.url


def test_wheel_url_is_named_by_its_file_name() -> None:
    entry = parse_requirement(WHEEL)
    assert entry.name == "foo-bar"
    assert entry.url == WHEEL
    assert str(entry.requirement) == f"foo-bar @ {WHEEL}"


def test_source_archive_url_is_unnamed() -> None:
    entry = parse_requirement("https://host/archive/master.zip")
    assert entry.requirement is None and entry.name is None
    assert entry.url == "https://host/archive/master.zip"


def test_egg_fragment_names_a_url() -> None:
    entry = parse_requirement("git+https://host/org/repo.git@v1.2#egg=repo_name&subdirectory=py")
    assert entry.name == "repo-name"
    assert entry.url == "git+https://host/org/repo.git@v1.2#egg=repo_name&subdirectory=py"


def test_git_url_without_egg_is_unnamed_and_kept_as_written() -> None:
    url = "git+https://host/org/repo@0123abc#subdirectory=x"
    entry = parse_requirement(url)
    assert (entry.requirement, entry.url) == (None, url)


def test_invalid_egg_fragment_is_an_error() -> None:
    with pytest.raises(RequirementsError, match=r"invalid #egg= fragment 'not a name'"):
        parse_requirement("https://host/x.zip#egg=not a name")


def test_invalid_wheel_file_name_is_an_error() -> None:
    with pytest.raises(RequirementsError, match="Invalid wheel filename"):
        parse_requirement("https://host/files/foo.whl")


def test_url_marker_must_be_set_off_by_whitespace() -> None:
    entry = parse_requirement(f'{WHEEL} ; python_version >= "3.8"')
    assert entry.url == WHEEL
    assert str(entry.marker) == 'python_version >= "3.8"'
    assert str(entry.requirement) == f'foo-bar @ {WHEEL} ; python_version >= "3.8"'
    # Without whitespace the ';' belongs to the URL.
    assert parse_requirement("https://host/get;v=1").url == "https://host/get;v=1"


def test_invalid_marker_is_an_error() -> None:
    with pytest.raises(RequirementsError, match=r"invalid marker 'python_version >'"):
        parse_requirement(f"{WHEEL} ; python_version >")


def test_wheel_url_must_match_the_requirement_name() -> None:
    with pytest.raises(RequirementsError, match=r"named 'other' but its URL is a distribution "
                                                r"of 'foo-bar'"):
        parse_requirement(f"other @ {WHEEL}")


@pytest.mark.parametrize("url", ["hg+https://host/repo#egg=x", "svn+https://host/repo",
                                 "bzr+https://host/repo"])
def test_other_version_control_systems_are_not_supported_yet(url: str) -> None:
    with pytest.raises(NotSupportedError, match="requirements are not supported yet"):
        parse_requirement(url)


# --- Local paths ---------------------------------------------------------------------------------


def test_local_directory_becomes_an_absolute_file_url(project: Path,
                                                      make_project: MakeProject) -> None:
    make_project("pkg")
    entry = parse_requirement("./pkg")
    assert entry.requirement is None
    assert entry.url == (project / "pkg").as_uri()


def test_local_directory_with_extras_and_marker(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    entry = parse_requirement('./pkg[test, dev] ; sys_platform == "linux"')
    assert entry.url == (project / "pkg").as_uri()
    assert entry.extras == ("dev", "test")
    assert str(entry.marker) == 'sys_platform == "linux"'


def test_empty_extras_brackets_mean_no_extras(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    assert parse_requirement("./pkg[]").extras == ()


def test_invalid_extra_name_is_an_error(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    with pytest.raises(RequirementsError, match=r"invalid extra name 'a b'"):
        parse_requirement("./pkg[a b]")


def test_path_with_a_space_is_percent_encoded(project: Path, make_project: MakeProject) -> None:
    make_project("my pkg")
    entry = parse_requirement("./my pkg")
    assert entry.url == (project / "my pkg").as_uri()
    assert entry.url is not None and "%20" in entry.url


def test_local_wheel_is_named_by_its_file_name(project: Path) -> None:
    (project / "dist").mkdir()
    wheel = project / "dist" / "foo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    entry = parse_requirement("dist/foo-1.0-py3-none-any.whl")
    assert entry.name == "foo"
    assert entry.url == wheel.as_uri()
    assert str(entry.requirement) == f"foo @ {wheel.as_uri()}"


def test_relative_archive_outside_the_working_directory(project: Path) -> None:
    (project / "dist").mkdir()
    (project / "dist" / "foo-1.0.tar.gz").write_bytes(b"")
    (project / "work").mkdir()
    entry = parse_requirement("../dist/foo-1.0.tar.gz", working_dir=str(project / "work"))
    assert entry.requirement is None
    assert entry.url == (project / "dist" / "foo-1.0.tar.gz").as_uri()


def test_archive_file_name_without_a_directory_is_a_path(project: Path) -> None:
    (project / "foo-1.0.tar.gz").write_bytes(b"")
    assert parse_requirement("foo-1.0.tar.gz").url == (project / "foo-1.0.tar.gz").as_uri()


def test_name_at_relative_path_is_resolved(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    entry = parse_requirement("pkg @ ./pkg")
    assert entry.name == "pkg"
    assert entry.url == (project / "pkg").as_uri()
    assert str(entry.requirement) == f"pkg @ {(project / 'pkg').as_uri()}"


def test_file_urls_are_made_absolute(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    uri = (project / "pkg").as_uri()
    assert parse_requirement(f"pkg @ {uri}").url == uri
    assert parse_requirement("file:./pkg#egg=pkg").url == uri + "#egg=pkg"
    assert parse_requirement(f"file://localhost{project / 'pkg'}").url == uri


def test_file_url_naming_another_host_is_not_supported_yet() -> None:
    with pytest.raises(NotSupportedError, match="file URLs naming a host"):
        parse_requirement("file://server/share/pkg")


def test_missing_path_is_an_error_showing_where_it_was_looked_for(project: Path) -> None:
    with pytest.raises(RequirementsError) as error:
        parse_requirement("./missing", Location("requirements.txt", 4))
    assert str(error.value) == (
        f"requirements.txt:4: no such file or directory: ./missing (resolved to "
        f"{project / 'missing'})\n    ./missing")


def test_directory_must_be_a_python_project(project: Path) -> None:
    (project / "docs").mkdir()
    with pytest.raises(RequirementsError, match=r"is not a Python project: it has neither "
                                                r"pyproject\.toml nor setup\.py"):
        parse_requirement("./docs")


def test_setup_py_makes_a_directory_a_project(project: Path) -> None:
    (project / "legacy").mkdir()
    (project / "legacy" / "setup.py").write_text("")
    assert parse_requirement("./legacy").url == (project / "legacy").as_uri()


def test_a_file_that_is_not_an_archive_hints_at_dash_r(project: Path) -> None:
    (project / "requirements.txt").write_text("flask\n")
    with pytest.raises(RequirementsError, match="not a wheel or source archive; to read it as "
                                                "a requirements file, use -r"):
        parse_requirement("./requirements.txt")


# --- Editables -----------------------------------------------------------------------------------


def test_editable_directory(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    entry = parse_requirement("./pkg[dev]", editable=True)
    assert entry.editable
    assert (entry.requirement, entry.url, entry.extras) == (None, (project / "pkg").as_uri(),
                                                            ("dev",))


def test_editable_project_directory_may_omit_the_dot_slash(project: Path,
                                                           make_project: MakeProject) -> None:
    make_project("pkg")
    assert parse_requirement("pkg", editable=True).url == (project / "pkg").as_uri()


def test_editable_named_by_egg_fragment(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    entry = parse_requirement("file:./pkg#egg=Pkg", editable=True)
    assert entry.name == "pkg" and entry.editable


def test_editable_name_at_path(project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    entry = parse_requirement("pkg @ ./pkg", editable=True)
    assert entry.name == "pkg" and entry.url == (project / "pkg").as_uri()


@pytest.mark.parametrize(
    ("text", "message"),
    [("flask", "an editable requirement must be a local directory"),
     ("https://host/pkg-1.0.tar.gz", "must be a local directory, not a remote archive"),
     ("./pkg-1.0.tar.gz", "must be a directory, not a file")],
)
def test_editable_must_be_a_local_directory(project: Path, text: str, message: str) -> None:
    (project / "pkg-1.0.tar.gz").write_bytes(b"")
    with pytest.raises(RequirementsError, match=message):
        parse_requirement(text, editable=True)


def test_editable_git_checkouts_are_not_supported_yet() -> None:
    with pytest.raises(NotSupportedError, match="editable git requirements"):
        parse_requirement("git+https://host/repo#egg=repo", editable=True)


# --- Naming after a build ------------------------------------------------------------------------


def test_with_name_turns_an_unnamed_entry_into_name_at_url(project: Path,
                                                           make_project: MakeProject) -> None:
    make_project("pkg")
    entry = parse_requirement('./pkg[dev] ; os_name == "posix"', editable=True)
    named = entry.with_name("Pkg")
    uri = (project / "pkg").as_uri()
    assert named.name == "pkg"
    assert str(named.requirement) == f'Pkg[dev] @ {uri} ; os_name == "posix"'
    assert (named.url, named.editable, named.extras) == (uri, True, ("dev",))
