"""``GitSource``: revisions resolved to commits, fetches skipped when the cache can answer,
checkouts per commit, and errors that name the revision and the repository."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyffin import log
from pyffin.cache import Cache, CacheBucket
from pyffin.cache.keys import repository_key
from pyffin.git import GitError, GitSource
from pyffin.git.command import GitCommand, scrub
from pyffin.models.git_url import parse_git_url
from tests.git.conftest import Origin
from tests.git.repos import git


@pytest.fixture
def git_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The git subcommands pyffin runs, in order."""
    calls: list[str] = []
    real_run = GitCommand.run

    def run(self: GitCommand, command: str, *args: Any, **kwargs: Any) -> str:
        calls.append(command)
        return real_run(self, command, *args, **kwargs)

    monkeypatch.setattr(GitCommand, "run", run)
    return calls


def at(origin: Origin, rev: str | None = None, fragment: str = "") -> str:
    return origin.url + (f"@{rev}" if rev else "") + fragment


# ----------------------------------------------------------------------------------- resolve
@pytest.mark.parametrize(("rev", "expected"), [
    (None, "v2"),  # the remote's default branch
    ("main", "v2"),
    ("feature", "v3"),
    ("v1.0", "v1"),  # an annotated tag, peeled to its commit
    ("light", "v1"),
    ("refs/heads/feature", "v3"),
    ("refs/tags/v1.0", "v1"),
])
def test_resolves_a_revision_to_its_full_commit(source: GitSource, origin: Origin,
                                                rev: str | None, expected: str) -> None:
    assert source.resolve(parse_git_url(at(origin, rev))) == getattr(origin, expected)


def test_resolves_commit_hashes_short_full_and_upper_case(source: GitSource,
                                                          origin: Origin) -> None:
    assert source.resolve(parse_git_url(at(origin, origin.v1[:7]))) == origin.v1
    assert source.resolve(parse_git_url(at(origin, origin.v3))) == origin.v3
    assert source.resolve(parse_git_url(at(origin, origin.v2.upper()))) == origin.v2


def test_resolves_a_ref_outside_branches_and_tags_until_it_is_gone(
        cache: Cache, origin: Origin) -> None:
    origin.repo.git("update-ref", "refs/pull/1/head", origin.v3)
    url = parse_git_url(at(origin, "refs/pull/1/head"))
    assert GitSource(cache).resolve(url) == origin.v3
    origin.repo.git("update-ref", "-d", "refs/pull/1/head")
    with pytest.raises(GitError, match="unknown revision 'refs/pull/1/head'"):
        GitSource(cache).resolve(url)


def test_the_default_branch_is_whatever_the_remote_head_names(source: GitSource,
                                                               origin: Origin) -> None:
    origin.repo.git("symbolic-ref", "HEAD", "refs/heads/feature")
    assert source.resolve(parse_git_url(origin.url)) == origin.v3


def test_a_branch_wins_over_a_tag_of_the_same_name(source: GitSource, origin: Origin) -> None:
    origin.repo.git("tag", "feature", origin.v1)
    assert source.resolve(parse_git_url(at(origin, "feature"))) == origin.v3


@pytest.mark.parametrize("rev", ["nope", "deadbeef", "f" * 40, "refs/tags/nope",
                                 "refs/pull/9/head"])
def test_an_unknown_revision_is_an_error_naming_it_and_the_repository(
        source: GitSource, origin: Origin, rev: str) -> None:
    with pytest.raises(GitError) as raised:
        source.resolve(parse_git_url(at(origin, rev)))
    assert rev in str(raised.value)
    assert origin.repo.path.as_uri() in str(raised.value)


def test_an_abbreviated_hash_not_on_a_branch_or_tag_says_to_give_the_full_hash(
        source: GitSource, origin: Origin) -> None:
    with pytest.raises(GitError, match="unknown revision 'deadbeef'") as raised:
        source.resolve(parse_git_url(at(origin, "deadbeef")))
    assert raised.value.hint is not None and "full hash" in raised.value.hint


# ------------------------------------------------------------------------------ fetch rules
def test_a_full_hash_already_in_the_cache_needs_no_fetch(
        cache: Cache, origin: Origin, git_calls: list[str]) -> None:
    GitSource(cache).resolve(parse_git_url(at(origin, "main")))
    assert git_calls.count("fetch") == 1
    assert GitSource(cache).resolve(parse_git_url(at(origin, origin.v1))) == origin.v1
    assert git_calls.count("fetch") == 1


def test_without_the_remote_a_cached_commit_resolves_and_a_branch_fails_clearly(
        cache: Cache, origin: Origin) -> None:
    GitSource(cache).resolve(parse_git_url(at(origin, "main")))
    origin.repo.path.rename(origin.repo.path.with_name("gone"))
    later = GitSource(cache)
    assert later.resolve(parse_git_url(at(origin, origin.v2))) == origin.v2
    assert later.checkout(parse_git_url(origin.url), origin.v1).is_dir()
    with pytest.raises(GitError, match="cannot fetch the git repository file://") as raised:
        later.resolve(parse_git_url(at(origin, "main")))
    assert "does not appear to be a git repository" in str(raised.value)


def test_one_source_fetches_a_repository_once_for_any_number_of_names(
        source: GitSource, origin: Origin, git_calls: list[str]) -> None:
    for rev in ("main", "feature", "main", "v1.0", None, origin.v1[:8]):
        source.resolve(parse_git_url(at(origin, rev)))
    assert git_calls.count("fetch") == 1


def test_a_branch_that_moved_is_fetched_again_by_the_next_command(
        cache: Cache, origin: Origin) -> None:
    first = GitSource(cache)
    url = parse_git_url(at(origin, "feature"))
    assert first.resolve(url) == origin.v3
    origin.repo.git("checkout", "--quiet", "feature")
    v4 = origin.repo.commit({"feature.txt": "more\n"}, "v4")
    assert first.resolve(url) == origin.v3  # one command sees one commit per revision
    assert GitSource(cache).resolve(url) == v4


def test_a_deleted_branch_no_longer_resolves(cache: Cache, origin: Origin) -> None:
    url = parse_git_url(at(origin, "feature"))
    GitSource(cache).resolve(url)
    origin.repo.git("branch", "--quiet", "-D", "feature")
    with pytest.raises(GitError, match="unknown revision 'feature'"):
        GitSource(cache).resolve(url)


def test_a_commit_not_yet_in_the_cache_is_fetched_by_hash(
        cache: Cache, origin: Origin, git_calls: list[str]) -> None:
    GitSource(cache).resolve(parse_git_url(at(origin, "main")))
    origin.repo.git("checkout", "--quiet", "feature")
    v4 = origin.repo.commit({"feature.txt": "more\n"}, "v4")
    assert GitSource(cache).resolve(parse_git_url(at(origin, v4))) == v4
    assert git_calls.count("fetch") == 2


def test_offline_answers_from_the_cache_and_names_what_it_cannot(
        cache: Cache, origin: Origin, git_calls: list[str]) -> None:
    GitSource(cache).resolve(parse_git_url(at(origin, "main")))
    offline = GitSource(cache, offline=True)
    assert offline.resolve(parse_git_url(at(origin, "feature"))) == origin.v3
    assert offline.resolve(parse_git_url(origin.url)) == origin.v2
    assert git_calls.count("fetch") == 1
    with pytest.raises(GitError, match=r"revision 'nope' of .* is not in the cache and pyffin "
                                       r"is offline"):
        offline.resolve(parse_git_url(at(origin, "nope")))
    with pytest.raises(GitError, match="is offline") as raised:
        offline.resolve(parse_git_url(at(origin, "f" * 40)))
    assert raised.value.hint == "drop --offline to allow network access"


def test_a_lock_file_left_by_a_killed_git_does_not_block_the_next_fetch(
        cache: Cache, origin: Origin) -> None:
    url = parse_git_url(at(origin, "main"))
    GitSource(cache).resolve(url)
    db = cache.shard(CacheBucket.GIT, "db", repository_key(url)).path
    (db / "refs" / "remotes" / "origin" / "main.lock").write_text("")
    (db / "packed-refs.lock").write_text("")
    origin.repo.commit({"x.txt": "x\n"})
    assert GitSource(cache).resolve(url) == origin.repo.commits[-1]


# --------------------------------------------------------------------------------- checkout
def test_a_checkout_holds_the_files_of_its_commit(source: GitSource, origin: Origin) -> None:
    url = parse_git_url(origin.url)
    old = source.checkout(url, origin.v1)
    new = source.checkout(url, origin.v3)
    assert (old / "demo" / "__init__.py").read_text() == "VERSION = 1\n"
    assert not (old / "feature.txt").exists()
    assert (new / "demo" / "__init__.py").read_text() == "VERSION = 2\n"
    assert (new / "feature.txt").read_text() == "feature\n"
    assert old.name == origin.v1 and new.name == origin.v3
    # a real repository at that commit, with its tags, for tools that read versions from git
    assert git(old, "rev-parse", "HEAD") == origin.v1
    assert git(old, "describe", "--tags", "--exact-match") in ("light", "v1.0")
    assert git(new, "status", "--porcelain") == ""


def test_a_checkout_includes_submodules(source: GitSource, origin: Origin) -> None:
    checkout = source.checkout(parse_git_url(origin.url), origin.v2)
    assert (checkout / "vendor" / "lib.txt").read_text() == "library 1\n"


def test_an_existing_checkout_is_reused_untouched(
        source: GitSource, cache: Cache, origin: Origin, git_calls: list[str]) -> None:
    url = parse_git_url(origin.url)
    first = source.checkout(url, origin.v2)
    inode = os.stat(first / "demo" / "__init__.py").st_ino
    calls = len(git_calls)
    assert GitSource(cache).checkout(url, origin.v2.upper()) == first
    assert os.stat(first / "demo" / "__init__.py").st_ino == inode
    assert len(git_calls) == calls


def test_forms_of_one_url_share_the_database_and_the_checkout(
        source: GitSource, origin: Origin, git_calls: list[str]) -> None:
    a = source.checkout(parse_git_url(at(origin, "main")), origin.v1)
    b = source.checkout(parse_git_url(f"git+file://localhost{origin.repo.path}/"), origin.v1)
    assert a == b
    assert git_calls.count("clone") == 1


def test_a_checkout_needs_a_full_commit_hash(source: GitSource, origin: Origin) -> None:
    with pytest.raises(GitError, match="not a full commit hash: 'main'"):
        source.checkout(parse_git_url(origin.url), "main")


def test_source_dir_applies_the_subdirectory(source: GitSource, origin: Origin) -> None:
    url = parse_git_url(at(origin, fragment="#subdirectory=sub"))
    path = source.source_dir(url, origin.v1)
    assert path == source.checkout(url, origin.v1) / "sub"
    assert (path / "pyproject.toml").is_file()
    assert source.source_dir(parse_git_url(origin.url), origin.v1) == path.parent


@pytest.mark.parametrize("subdirectory", ["missing", "demo/__init__.py", "escape"])
def test_a_subdirectory_must_be_a_directory_inside_the_checkout(
        source: GitSource, origin: Origin, subdirectory: str) -> None:
    (origin.repo.path / "escape").symlink_to(origin.repo.path.parent)
    commit = origin.repo.commit({}, "symlink out")
    url = parse_git_url(at(origin, fragment=f"#subdirectory={subdirectory}"))
    with pytest.raises(GitError, match=f"the subdirectory '{subdirectory}' does not exist in "
                                       f"file://.* at commit {commit}"):
        source.source_dir(url, commit)


# ----------------------------------------------------------------------------------- errors
def test_an_unreachable_repository_fails_fast_without_showing_credentials(
        source: GitSource) -> None:
    url = parse_git_url("git+https://user:secret@127.0.0.1:1/repo.git@main")
    with pytest.raises(GitError) as raised:
        source.resolve(url)
    message = str(raised.value)
    assert message.startswith("cannot fetch the git repository https://user:****@127.0.0.1:1/")
    assert "secret" not in message
    assert "127.0.0.1" in message.partition(": ")[2]  # git's own words follow


def test_credentials_are_scrubbed_from_what_git_prints() -> None:
    assert (scrub("fatal: unable to access 'https://user:secret@host/r/': 403")
            == "fatal: unable to access 'https://user:****@host/r/': 403")
    assert scrub("from https://TOKEN@host/r and ssh://git@host/r") == (
        "from https://****@host/r and ssh://****@host/r")


def test_git_missing_is_named_with_the_requirement(source: GitSource, origin: Origin,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GitError, match=r"git is not installed .*it is needed for the git "
                                       r"requirement git\+file://"):
        source.resolve(parse_git_url(origin.url))


def test_git_variables_of_an_enclosing_repository_are_ignored(
        source: GitSource, origin: Origin, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    # as when pyffin runs inside a git hook
    monkeypatch.setenv("GIT_DIR", str(origin.library.path / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(origin.library.path))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "index"))
    checkout = source.checkout(parse_git_url(origin.url), source.resolve(
        parse_git_url(at(origin, "feature"))))
    assert (checkout / "feature.txt").is_file()


# ---------------------------------------------------------------------------------- threads
def test_threads_resolving_and_checking_out_one_repository_agree_and_wait_quietly(
        cache: Cache, origin: Origin, git_calls: list[str]) -> None:
    source = GitSource(cache)
    results: list[Path] = []
    errors: list[BaseException] = []
    messages: list[str] = []

    def work(rev: str) -> Callable[[], None]:
        def run() -> None:
            try:
                url = parse_git_url(at(origin, rev))
                results.append(source.checkout(url, source.resolve(url)))
            except BaseException as e:
                errors.append(e)
        return run

    threads = [threading.Thread(target=work(rev)) for rev in ["main", "v1.0", "main"] * 3]
    log.configure(lambda level, message: messages.append(message))
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        log.configure(None)
    assert errors == []
    # threads of one process queue on a thread lock, not on the file lock meant for processes
    assert not [message for message in messages if "Waiting for another pyffin process" in message]
    assert {path.name for path in results} == {origin.v1, origin.v2}
    assert git_calls.count("fetch") == 1
    assert git_calls.count("clone") == 2
