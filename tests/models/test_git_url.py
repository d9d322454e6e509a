"""Parsing ``git+`` URLs: every form pip accepts, the revision split off correctly, fragments,
the repository's identity (which keys the cache) and redaction."""

from __future__ import annotations

import pytest

from pyffin.errors import PyffinError
from pyffin.models.git_url import GitUrl, GitUrlError, parse_git_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git+https://host/org/repo.git@v1.0#subdirectory=sub&egg=name",
         GitUrl("https://host/org/repo.git", "v1.0", "sub", "name")),
        ("git+https://host/org/repo", GitUrl("https://host/org/repo")),
        ("git+http://host:8080/repo.git@main", GitUrl("http://host:8080/repo.git", "main")),
        ("git+ssh://git@host/org/repo.git@v1.0", GitUrl("ssh://git@host/org/repo.git", "v1.0")),
        ("git+git://host/repo.git@v1", GitUrl("git://host/repo.git", "v1")),
        ("git://host/repo.git", GitUrl("git://host/repo.git")),
        ("git+file:///abs/path/repo@branch", GitUrl("file:///abs/path/repo", "branch")),
        ("git+file://localhost/abs/repo", GitUrl("file:///abs/repo")),
        ("GIT+HTTPS://host/repo", GitUrl("https://host/repo")),
        # scp-like, as pip accepts it; the user's "@" is not a revision
        ("git+git@github.com:org/repo.git@v1.0", GitUrl("git@github.com:org/repo.git", "v1.0")),
        ("git+git@github.com:org/repo.git", GitUrl("git@github.com:org/repo.git")),
        ("git+github.com:org/repo.git@main", GitUrl("github.com:org/repo.git", "main")),
        # an "@" in the userinfo is never a revision
        ("git+https://token@github.com/org/repo.git", GitUrl("https://token@github.com/org/repo.git")),
        ("git+https://user:p@ss@host/repo.git", GitUrl("https://user:p@ss@host/repo.git")),
        ("git+https://user:p@ss@host/r.git@dev", GitUrl("https://user:p@ss@host/r.git", "dev")),
        # revisions: a ref with slashes, a hash, percent-decoding
        ("git+https://host/r@refs/pull/12/head", GitUrl("https://host/r", "refs/pull/12/head")),
        ("git+https://host/repo@feature/x", GitUrl("https://host/repo", "feature/x")),
        ("git+https://host/repo@caf%C3%A9", GitUrl("https://host/repo", "café")),
        ("git+https://host/repo@" + "a" * 40, GitUrl("https://host/repo", "a" * 40)),
        # fragments: decoded, normalized, in any order; "." is the root
        ("git+https://host/repo#egg=demo", GitUrl("https://host/repo", egg="demo")),
        ("git+https://h/r#subdirectory=a/./b/&egg=x", GitUrl("https://h/r", None, "a/b", "x")),
        ("git+https://host/r#subdirectory=my%20dir", GitUrl("https://host/r", None, "my dir")),
        ("git+https://host/repo#subdirectory=.", GitUrl("https://host/repo")),
    ],
)
def test_parses(url: str, expected: GitUrl) -> None:
    assert parse_git_url(url) == expected


def test_a_query_keeps_the_revision_of_the_path() -> None:
    assert parse_git_url("git+https://host/repo@v1?x=1") == GitUrl("https://host/repo?x=1", "v1")


@pytest.mark.parametrize("url", [
    "git+https://user:secret@host/org/repo.git@v1.0#egg=demo&subdirectory=sub",
    "git+ssh://git@host/org/repo.git@refs/pull/1/head",
    "git+file:///abs/path/repo@feature/x",
    "git+git@github.com:org/repo.git@v1.0",
    "git+https://host/repo@caf%C3%A9#subdirectory=my%20dir",
])
def test_url_round_trips(url: str) -> None:
    parsed = parse_git_url(url)
    assert parse_git_url(parsed.url) == parsed


def test_str_redacts_the_password_and_url_keeps_it() -> None:
    parsed = parse_git_url("git+https://user:secret@host/repo.git@v1#egg=demo")
    assert str(parsed) == "git+https://user:****@host/repo.git@v1#egg=demo"
    assert parsed.shown_repository == "https://user:****@host/repo.git"
    assert parsed.url == "git+https://user:secret@host/repo.git@v1#egg=demo"


def test_with_rev_pins_a_commit() -> None:
    parsed = parse_git_url("git+https://host/repo.git@main#subdirectory=sub")
    pinned = parsed.with_rev("a" * 40)
    assert str(pinned) == f"git+https://host/repo.git@{'a' * 40}#subdirectory=sub"


@pytest.mark.parametrize(("a", "b"), [
    ("git+https://host/org/repo.git", "git+https://host/org/repo"),
    ("git+https://host/org/repo.git", "git+HTTPS://HOST/org/repo.git/"),
    ("git+https://host/org/repo", "git+https://user:secret@host:443/org/repo@v2#egg=x"),
    ("git+ssh://git@host/org/repo.git", "git+ssh://host/org/repo"),
    ("git+git@host:org/repo.git@v1", "git+host:org/repo"),
    ("git+file:///abs/repo", "git+file://localhost/abs/repo/@main"),
])
def test_forms_of_one_repository_share_an_identity(a: str, b: str) -> None:
    assert parse_git_url(a).canonical_repository == parse_git_url(b).canonical_repository


@pytest.mark.parametrize(("a", "b"), [
    ("git+https://host/org/repo", "git+https://host/org/other"),
    ("git+https://host/org/repo", "git+http://host/org/repo"),
    ("git+https://host/org/repo", "git+https://host/ORG/repo"),
    ("git+file:///abs/repo", "git+file:///abs/repo.git"),
    ("git+git@host:org/repo", "git+ssh://git@host/org/repo"),
])
def test_different_repositories_have_different_identities(a: str, b: str) -> None:
    assert parse_git_url(a).canonical_repository != parse_git_url(b).canonical_repository


def test_is_local() -> None:
    assert parse_git_url("git+file:///abs/repo").is_local
    assert not parse_git_url("git+https://host/repo").is_local


@pytest.mark.parametrize(("url", "message"), [
    ("https://host/repo.git", "not a git URL"),
    ("hg+https://host/repo", "not a git URL"),
    ("git+ftp://host/repo.git", "unsupported scheme 'ftp'"),
    ("git+https://host/repo.git@", "empty revision after '@'"),
    ("git+https://host/repo.git@-upload-pack=x", "invalid git revision '-upload-pack=x'"),
    ("git+https://host/repo.git@a..b", "invalid git revision"),
    ("git+https://host/repo.git@a%20b", "invalid git revision 'a b'"),
    ("git+https://host/repo.git@a:b", "invalid git revision"),
    ("git+https:///org/repo.git", "missing or invalid host"),
    ("git+https://host", "names no repository"),
    ("git+https://host/", "names no repository"),
    ("git+https://host:port/repo", "invalid port"),
    ("git+ssh://-oProxyCommand=x/repo", "missing or invalid host"),
    ("git+-oProxyCommand=x:repo", "invalid git URL"),
    ("git+file://server/share/repo", "cannot name a host"),
    ("git+file:relative/repo", "needs an absolute path"),
    ("git+relative/repo", "invalid git URL"),
    ("git+https://host/repo#sha256=abc", "cannot be checked against a hash"),
    ("git+https://host/repo#subdirectry=sub", "unknown fragment 'subdirectry'"),
    ("git+https://host/repo#egg", "invalid fragment 'egg'"),
    ("git+https://host/repo#subdirectory=", "invalid fragment 'subdirectory='"),
    ("git+https://host/repo#subdirectory=../x", "must be a relative path"),
    ("git+https://host/repo#subdirectory=a/../../x", "must be a relative path"),
    ("git+https://host/repo#subdirectory=/abs", "must be a relative path"),
])
def test_rejects(url: str, message: str) -> None:
    with pytest.raises(GitUrlError) as raised:
        parse_git_url(url)
    assert message in str(raised.value)
    assert isinstance(raised.value, PyffinError)


@pytest.mark.parametrize("url", [
    "git+ftp://user:secret@host/repo.git",
    "git+https://user:secret@host/repo.git@",
    "git+https://user:secret@host:port/repo",
    "git+https://user:secret@host/repo#sha256=abc",
    "git+user:secret@host:repo",
])
def test_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(GitUrlError) as raised:
        parse_git_url(url)
    assert "secret" not in str(raised.value)
    assert "****" in str(raised.value)
