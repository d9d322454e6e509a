"""pip's requirements-file format, line by line: what each construct means and how each mistake
is reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pyffin.errors import NotSupportedError
from pyffin.requirements import (
    Location,
    RequirementsError,
    RequirementsSpec,
    parse_requirements_file,
)

from .conftest import Parse, Write

MakeProject = Callable[..., Path]
SHA_A = "a" * 64
SHA_B = "b" * 64


def names(spec: RequirementsSpec) -> list[str | None]:
    return [entry.name for entry in spec.requirements]


def lines(spec: RequirementsSpec) -> list[str]:
    return [str(entry.requirement) for entry in spec.requirements]


# --- Comments, blank lines, continuations --------------------------------------------------------


def test_comments_and_blank_lines_are_skipped(parse: Parse) -> None:
    spec = parse("""\
        # a comment line
            # an indented comment

        flask>=2  # a trailing comment
        attrs\t# after a tab
        """)
    assert lines(spec) == ["flask>=2", "attrs"]
    assert [str(entry.location) for entry in spec.requirements] == [
        "requirements.txt:4", "requirements.txt:5"]


def test_hash_sign_inside_a_url_is_not_a_comment(parse: Parse) -> None:
    spec = parse("https://host/foo-1.0.tar.gz#egg=foo  # but this is\n")
    assert spec.requirements[0].url == "https://host/foo-1.0.tar.gz#egg=foo"


def test_backslash_joins_lines_and_the_first_line_number_is_kept(parse: Parse) -> None:
    spec = parse(f"""\
        # header
        requests==2.31.0 \\
            --hash=sha256:{SHA_A} \\
            --hash=sha256:{SHA_B}
        attrs
        """)
    assert lines(spec) == ["requests==2.31.0", "attrs"]
    assert spec.requirements[0].hashes == (f"sha256:{SHA_A}", f"sha256:{SHA_B}")
    assert [entry.location for entry in spec.requirements] == [
        Location("requirements.txt", 2), Location("requirements.txt", 5)]


def test_comment_line_ends_a_continuation(parse: Parse) -> None:
    # pip-compile writes "pkg==1 \" followed by "    # via x": the comment closes the line.
    spec = parse("""\
        flask==2.0 \\
            # via -r requirements.in
        attrs
        """)
    assert lines(spec) == ["flask==2.0", "attrs"]


def test_comment_line_ending_a_continuation_stays_a_comment(parse: Parse) -> None:
    assert lines(parse("flask==2.0\\\n# no space before the hash sign\nattrs\n")) == [
        "flask==2.0", "attrs"]


def test_comment_line_ending_in_a_backslash_is_not_continued(parse: Parse) -> None:
    assert lines(parse("# note \\\nflask\n")) == ["flask"]


def test_backslash_on_the_last_line(parse: Parse) -> None:
    assert lines(parse("flask \\")) == ["flask"]


def test_windows_line_endings(parse: Parse) -> None:
    assert lines(parse("flask\r\nattrs \\\r\n  >=21\r\n")) == ["flask", "attrs>=21"]


# --- Environment variables -----------------------------------------------------------------------


def test_environment_variables_are_expanded(parse: Parse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEX_HOST", "example.org")
    monkeypatch.setenv("TOKEN_2", "s3cret")
    spec = parse("--index-url https://user:${TOKEN_2}@${INDEX_HOST}/simple\n")
    assert spec.index_url == "https://user:s3cret@example.org/simple"


def test_an_expanded_reference_keeps_how_it_was_written(
        parse: Parse, monkeypatch: pytest.MonkeyPatch, make_project: MakeProject) -> None:
    """What a compiled file repeats (``given``) is the text before expansion, as uv writes it:
    a token or a machine's path from the environment stays out of a shared lock file."""
    project = make_project("projects/demo")
    monkeypatch.setenv("TOKEN", "s3cret")
    monkeypatch.setenv("PROJECTS", str(project.parent))
    spec = parse(
        "six @ https://me:${TOKEN}@host/six-1.16.0-py2.py3-none-any.whl ; python_version > '3'\n"
        f"${{PROJECTS}}/{project.name}\n"
        f"-e ${{PROJECTS}}/{project.name}\n"
        "--extra-index-url https://me:${TOKEN}@host/simple\n"
        "--find-links https://me:${TOKEN}@host/links/\n"
        "--index-url https://host/plain\n")
    url, path, editable = spec.requirements
    assert url.url == "https://me:s3cret@host/six-1.16.0-py2.py3-none-any.whl"
    assert url.given == "https://me:${TOKEN}@host/six-1.16.0-py2.py3-none-any.whl"
    assert path.url == editable.url == project.as_uri()
    assert path.given == editable.given == f"${{PROJECTS}}/{project.name}"
    assert spec.extra_index_urls == ("https://me:s3cret@host/simple",)
    assert dict(spec.written_urls) == {
        "https://me:s3cret@host/simple": "https://me:${TOKEN}@host/simple",
        "https://me:s3cret@host/links/": "https://me:${TOKEN}@host/links/"}


def test_a_reference_inside_a_variable_is_written_expanded(
        parse: Parse, monkeypatch: pytest.MonkeyPatch) -> None:
    # Half of it from the variable: there is no text of it as written to repeat.
    monkeypatch.setenv("REQUIREMENT", "six @ https://host/six-1.16.0-py2.py3-none-any.whl")
    [entry] = parse("${REQUIREMENT}\n").requirements
    assert entry.given == "https://host/six-1.16.0-py2.py3-none-any.whl"


@pytest.mark.parametrize("text", ["${UNSET_VAR}", "$INDEX_HOST", "${index_host}", "${EMPTY}"])
def test_only_set_braced_uppercase_variables_are_expanded(
        parse: Parse, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.delenv("UNSET_VAR", raising=False)
    monkeypatch.setenv("INDEX_HOST", "example.org")
    monkeypatch.setenv("index_host", "example.org")
    monkeypatch.setenv("EMPTY", "")
    assert parse(f"-i https://{text}/simple\n").index_url == f"https://{text}/simple"


# --- Requirement lines ---------------------------------------------------------------------------


def test_every_requirement_form_in_one_file(parse: Parse, project: Path,
                                            make_project: MakeProject) -> None:
    make_project("pkg")
    spec = parse("""\
        flask[async]>=2 ; python_version >= "3.8"
        foo @ https://host/foo-1.0.tar.gz
        https://host/bar-2.0-py3-none-any.whl
        git+https://host/baz.git@v1#egg=baz
        ./pkg
        """)
    assert names(spec) == ["flask", "foo", "bar", "baz", None]
    assert spec.requirements[4].url == (project / "pkg").as_uri()


def test_hashes_in_both_option_forms_are_normalized(parse: Parse) -> None:
    spec = parse(f"foo==1.0 --hash=SHA256:{SHA_A.upper()} --hash sha512:{'c' * 128}\n")
    assert spec.requirements[0].hashes == (f"sha256:{SHA_A}", f"sha512:{'c' * 128}")


@pytest.mark.parametrize(
    ("value", "message"),
    [(SHA_A, r"invalid --hash 'a+': expected algorithm:hexdigest"),
     (f"md5:{SHA_A}", r"unsupported hash algorithm 'md5' in --hash \(use sha256, sha384 or "
                      r"sha512\)"),
     ("sha256:abc", "invalid sha256 digest in --hash: expected 64 hexadecimal digits"),
     (f"sha256:{'g' * 64}", "invalid sha256 digest")],
)
def test_invalid_hashes_name_the_line(parse: Parse, value: str, message: str) -> None:
    with pytest.raises(RequirementsError, match=rf"^requirements.txt:2: {message}") as error:
        parse(f"attrs\nfoo==1.0 --hash={value}\n")
    assert str(error.value).endswith(f"\n    foo==1.0 --hash={value}")


def test_invalid_requirement_names_file_and_line(parse: Parse) -> None:
    with pytest.raises(RequirementsError) as error:
        parse("flask\n\nflask>=>2\n")
    assert str(error.value).startswith("requirements.txt:3: invalid requirement 'flask>=>2': ")
    assert "\n    flask>=>2\n" in str(error.value)


def test_local_paths_are_relative_to_the_working_directory(write: Write, project: Path,
                                                           make_project: MakeProject) -> None:
    # As pip and uv do, even for a file in another directory (unlike nested -r files).
    make_project("pkg")
    write("reqs/requirements.txt", "./pkg\n-e ./pkg\n")
    spec = parse_requirements_file("reqs/requirements.txt")
    assert [entry.url for entry in spec.requirements] == [(project / "pkg").as_uri()] * 2


def test_missing_local_path_names_the_line(parse: Parse) -> None:
    with pytest.raises(RequirementsError, match=r"^requirements.txt:1: no such file or "
                                                r"directory: ./nope"):
        parse("./nope\n")


# --- Options -------------------------------------------------------------------------------------


def test_editable_option(parse: Parse, project: Path, make_project: MakeProject) -> None:
    make_project("pkg")
    spec = parse("-e ./pkg\n--editable=./pkg[dev]\n-e./pkg\n")
    assert [(entry.editable, entry.extras) for entry in spec.requirements] == [
        (True, ()), (True, ("dev",)), (True, ())]
    assert spec.editables == spec.requirements


def test_index_options(parse: Parse) -> None:
    spec = parse("""\
        -i https://first/simple
        --index-url=https://second/simple
        --extra-index-url https://extra/simple
        --extra-index-url=https://extra/simple
        --no-index
        """)
    assert spec.index_url == "https://second/simple"  # the last one wins, as in pip
    assert spec.extra_index_urls == ("https://extra/simple",)
    assert spec.no_index


def test_find_links_paths_are_relative_to_the_file_when_they_exist_there(
        write: Write, project: Path) -> None:
    (project / "reqs" / "wheels").mkdir(parents=True)
    write("reqs/requirements.txt", """\
        -f wheels
        --find-links=elsewhere
        --find-links https://host/links.html
        """)
    spec = parse_requirements_file("reqs/requirements.txt")
    assert spec.find_links == (str(project / "reqs" / "wheels"), str(project / "elsewhere"),
                               "https://host/links.html")


def test_flags(parse: Parse) -> None:
    spec = parse("--pre\n--require-hashes\n")
    assert spec.pre and spec.require_hashes
    assert not parse("flask\n").pre


def test_several_options_on_one_line(parse: Parse) -> None:
    spec = parse("--pre -i https://host/simple --no-index\n")
    assert (spec.pre, spec.index_url, spec.no_index) == (True, "https://host/simple", True)


def test_quoted_option_values(parse: Parse) -> None:
    assert parse('--index-url "https://host/simple"\n').index_url == "https://host/simple"


def test_unbalanced_quote_is_an_error(parse: Parse) -> None:
    with pytest.raises(RequirementsError, match=r"^requirements\.txt:1: cannot split the options"):
        parse('--index-url "https://host/simple\n')


def test_long_options_may_be_abbreviated_while_unambiguous(parse: Parse) -> None:
    assert parse("--index=https://host/simple\n").index_url == "https://host/simple"
    with pytest.raises(RequirementsError, match=r"ambiguous option --no- \(could be "
                                                r"--no-index, --no-binary\)"):
        parse("--no-\n")


@pytest.mark.parametrize(
    ("line", "message"),
    [("--frobnicate", "unknown option --frobnicate"),
     ("-x foo", "unknown option -x"),
     ("--index-url", "option --index-url needs a value"),
     ("--pre=yes", "option --pre does not take a value"),
     ("-i https://host/simple extra", "unexpected argument 'extra' after the options"),
     ("--no-binary=", "--no-binary needs project names, :all: or :none:")],
)
def test_option_mistakes_name_the_line_and_show_it(parse: Parse, line: str,
                                                   message: str) -> None:
    with pytest.raises(RequirementsError) as error:
        parse(f"flask\n{line}\n")
    assert str(error.value) == f"requirements.txt:2: {message}\n    {line}"


@pytest.mark.parametrize(
    ("lines_", "no_binary", "only_binary"),
    [(["--no-binary :all:"], {":all:"}, set()),
     (["--no-binary foo,Bar_Baz"], {"foo", "bar-baz"}, set()),
     (["--only-binary :all:", "--no-binary foo"], {"foo"}, {":all:"}),
     (["--no-binary foo", "--only-binary foo"], set(), {"foo"}),
     (["--no-binary :all:", "--only-binary :all:"], set(), {":all:"}),
     (["--no-binary foo", "--no-binary :none:"], set(), set()),
     (["--no-binary :all:,:none:,foo"], {"foo"}, set())],
)
def test_binary_format_control_follows_pip(parse: Parse, lines_: list[str],
                                           no_binary: set[str], only_binary: set[str]) -> None:
    spec = parse("\n".join(lines_) + "\n")
    assert (set(spec.no_binary), set(spec.only_binary)) == (no_binary, only_binary)


def test_ignored_options_warn_naming_the_line(parse: Parse, warnings: list[str]) -> None:
    spec = parse("""\
        --prefer-binary
        --use-feature=truststore
        foo==1.0 --config-settings key=value --global-option=--quiet
        bar -C key=value
        """)
    assert names(spec) == ["foo", "bar"]
    assert warnings == [
        "requirements.txt:1: --prefer-binary is not supported by pyffin; ignored",
        "requirements.txt:2: --use-feature is not supported by pyffin; ignored",
        "requirements.txt:3: --config-settings is not supported by pyffin; ignored",
        "requirements.txt:3: --global-option is not supported by pyffin; ignored",
        "requirements.txt:4: --config-settings is not supported by pyffin; ignored",
    ]


def test_trusted_hosts_are_kept(parse: Parse, warnings: list[str]) -> None:
    spec = parse("""\
        --trusted-host internal.example
        --trusted-host=mirror.example:8443 --trusted-host https://[::1]:8443/simple
        --trusted-host internal.example
        """)
    assert spec.trusted_hosts == ("internal.example", "mirror.example:8443",
                                  "https://[::1]:8443/simple")
    assert warnings == []


@pytest.mark.parametrize("value", [":8080", "host:port", "[::1", "host:123456"])
def test_a_bad_trusted_host_names_the_line(parse: Parse, value: str) -> None:
    with pytest.raises(RequirementsError, match=r"requirements.txt:2: --trusted-host needs "
                                                r"HOST or HOST:PORT"):
        parse(f"foo\n--trusted-host {value}\n")


def test_file_options_on_a_requirement_line_warn(parse: Parse, warnings: list[str]) -> None:
    spec = parse("foo --pre\n")
    assert names(spec) == ["foo"] and not spec.pre
    assert warnings == ["requirements.txt:1: --pre has no effect on a requirement line; ignored"]


def test_hash_without_a_requirement_warns(parse: Parse, warnings: list[str]) -> None:
    parse(f"--hash=sha256:{SHA_A}\n")
    assert warnings == ["requirements.txt:1: --hash applies only to a requirement (not an "
                        "editable) on the same line; ignored"]


# --- Nested files --------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["-r base.txt", "-rbase.txt", "--requirement=base.txt",
                                    "--requirement base.txt"])
def test_requirement_option_forms(write: Write, option: str) -> None:
    write("reqs/base.txt", "attrs\n")
    write("reqs/requirements.txt", f"flask\n{option}\nclick\n")
    spec = parse_requirements_file("reqs/requirements.txt")
    assert names(spec) == ["flask", "attrs", "click"]
    assert [entry.origin for entry in spec.requirements] == [
        "-r reqs/requirements.txt", "-r reqs/base.txt", "-r reqs/requirements.txt"]
    assert spec.sources == ("reqs/requirements.txt", "reqs/base.txt")


def test_nested_files_are_relative_to_the_including_file(write: Write) -> None:
    write("requirements.txt", "-r reqs/dev.txt\n")
    write("reqs/dev.txt", "-r ../common/base.txt\npytest\n")
    write("common/base.txt", "attrs\n")
    spec = parse_requirements_file("requirements.txt")
    assert names(spec) == ["attrs", "pytest"]
    assert spec.requirements[0].location == Location("common/base.txt", 1)


def test_constraints_file(write: Write) -> None:
    write("constraints.txt", "urllib3<2\nidna==3.4\n")
    write("requirements.txt", "requests\n-c constraints.txt\n")
    spec = parse_requirements_file("requirements.txt")
    assert names(spec) == ["requests"]
    assert [str(entry.requirement) for entry in spec.constraints] == ["urllib3<2", "idna==3.4"]
    assert spec.constraints[0].origin == "-c constraints.txt"


def test_requirements_included_by_a_constraints_file_are_constraints(write: Write) -> None:
    write("pins.txt", "idna==3.4\n")
    write("constraints.txt", "-r pins.txt\n")
    write("requirements.txt", "-c constraints.txt\n")
    spec = parse_requirements_file("requirements.txt")
    assert spec.requirements == ()
    assert [entry.origin for entry in spec.constraints] == ["-c pins.txt"]


@pytest.mark.parametrize(
    ("line", "message"),
    [("./pkg", r"constraints must name a project \(write 'name @ file://"),
     ("-e ./pkg", "editable requirements are not allowed as constraints")],
)
def test_constraints_must_be_plain_named_requirements(write: Write, make_project: MakeProject,
                                                      line: str, message: str) -> None:
    make_project("pkg")
    write("constraints.txt", f"{line}\n")
    write("requirements.txt", "-c constraints.txt\n")
    with pytest.raises(RequirementsError, match=rf"^constraints.txt:1: {message}"):
        parse_requirements_file("requirements.txt")


def test_a_constraints_extras_are_ignored(write: Write) -> None:
    """As uv (pip refuses them): the constraint bounds the project's versions."""
    write("constraints.txt", "foo[bar]<2\n")
    write("requirements.txt", "-c constraints.txt\nfoo\n")
    [constraint] = parse_requirements_file("requirements.txt").constraints
    assert constraint.name == "foo" and str(constraint.requirement.specifier) == "<2"


def test_missing_nested_file_names_the_including_line(write: Write) -> None:
    write("requirements.txt", "flask\n-r reqs/missing.txt\n")
    with pytest.raises(RequirementsError) as error:
        parse_requirements_file("requirements.txt")
    assert str(error.value) == ("requirements file not found: reqs/missing.txt (included from "
                                "requirements.txt:2)")


def test_missing_file(project: Path) -> None:
    with pytest.raises(RequirementsError, match=r"^requirements file not found: nope.txt$"):
        parse_requirements_file("nope.txt")


def test_unreadable_file_is_an_error(project: Path) -> None:
    (project / "adir.txt").mkdir()
    with pytest.raises(RequirementsError, match=r"cannot read requirements file adir\.txt"):
        parse_requirements_file("adir.txt")


def test_include_cycles_are_reported(write: Write) -> None:
    write("a.txt", "flask\n-r sub/b.txt\n")
    write("sub/b.txt", "-r ../a.txt\n")
    with pytest.raises(RequirementsError) as error:
        parse_requirements_file("a.txt")
    assert str(error.value) == ("sub/b.txt:1: requirements files include each other: "
                                "a.txt -> sub/b.txt -> a.txt")


def test_a_file_may_be_included_twice_without_a_cycle(write: Write) -> None:
    write("base.txt", "attrs\n")
    write("requirements.txt", "-r base.txt\n-c base.txt\n")
    spec = parse_requirements_file("requirements.txt")
    assert names(spec) == ["attrs"] and [e.name for e in spec.constraints] == ["attrs"]
    assert spec.sources == ("requirements.txt", "base.txt")


@pytest.mark.parametrize("url", ["https://host/requirements.txt", "HTTP://host/r.txt",
                                 "File:///srv/r.txt", "ftp://host/r.txt"])
def test_requirements_files_from_urls_are_not_supported_yet(parse: Parse, url: str) -> None:
    with pytest.raises(NotSupportedError, match=r"^requirements.txt:1: reading requirements "
                                                r"files from URLs is not supported yet"):
        parse(f"-r {url}\n")


@pytest.mark.parametrize("name", ["pyproject.toml", "sub/setup.py", "setup.cfg"])
def test_including_project_files_is_not_supported_yet(parse: Parse, name: str) -> None:
    with pytest.raises(NotSupportedError, match=rf"^requirements.txt:1: including {name} from "
                                                r"a requirements file is not supported yet"):
        parse(f"-r {name}\n")


# --- Encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_marks_select_the_encoding(project: Path, encoding: str) -> None:
    text = "flask\n-i https://host/simple/café\n"
    (project / "requirements.txt").write_bytes(text.encode(encoding))
    spec = parse_requirements_file("requirements.txt")
    assert (names(spec), spec.index_url) == (["flask"], "https://host/simple/café")


def test_pep263_declaration_selects_the_encoding(project: Path) -> None:
    text = "# -*- coding: latin-1 -*-\n-i https://host/simple/café\n"
    (project / "requirements.txt").write_bytes(text.encode("latin-1"))
    spec = parse_requirements_file("requirements.txt")
    assert spec.index_url == "https://host/simple/café"


def test_file_that_is_not_utf8_is_an_error_naming_the_line(project: Path) -> None:
    (project / "requirements.txt").write_bytes(b"flask\n# caf\xe9\n")
    with pytest.raises(RequirementsError, match=r"^requirements.txt:2: the file is not valid "
                                                r"utf-8 \(byte 0xe9\); save it as UTF-8"):
        parse_requirements_file("requirements.txt")


def test_unknown_declared_encoding_is_an_error(project: Path) -> None:
    (project / "requirements.txt").write_bytes(b"# coding: klingon\nflask\n")
    with pytest.raises(RequirementsError, match="unknown encoding 'klingon' declared"):
        parse_requirements_file("requirements.txt")
