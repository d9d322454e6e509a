"""Cache keys are stable and identify a URL or path regardless of its spelling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffin.cache.keys import (
    digest,
    index_parts,
    path_key,
    repository_key,
    source_parts,
    tags_digest,
    url_key,
)
from pyffin.models.files import ProjectPage, SimplePage
from pyffin.models.git_url import parse_git_url
from pyffin.models.urls import normalize_url


def test_digest_is_stable_across_runs_and_platforms() -> None:
    # A changed digest would silently orphan every user's cache: pin it.
    assert digest("https://example.org/simple") == "ef2d4162b1cf5369"
    assert len(digest("")) == 16


def test_a_targets_tags_are_one_digest_whatever_the_last_target_asked() -> None:
    tags = ("cp311-cp311-manylinux_2_17_x86_64", "py3-none-any")
    assert tags_digest(tags) == digest("cp311-cp311-manylinux_2_17_x86_64\npy3-none-any")
    other = ("cp312-cp312-manylinux_2_17_x86_64", "py3-none-any")
    assert tags_digest(other) != tags_digest(tags)
    # An equal tuple (not the same object) after another target: the same digest.
    assert tags_digest(tuple(list(tags))) == tags_digest(tags)
    assert tags_digest(()) == digest("")


@pytest.mark.parametrize(
    "url",
    [
        "https://Example.ORG/simple/",
        "https://example.org:443/simple",
        "HTTPS://user:secret@example.org/simple#frag",
        "  https://example.org/simple  ",
    ],
)
def test_equivalent_urls_share_a_key(url: str) -> None:
    assert normalize_url(url) == "https://example.org/simple"
    assert url_key(url) == url_key("https://example.org/simple")


def test_different_urls_get_different_keys() -> None:
    assert url_key("https://example.org/simple") != url_key("https://example.org/other")
    assert url_key("https://example.org:8443/simple") != url_key("https://example.org/simple")
    assert url_key("http://example.org/simple") != url_key("https://example.org/simple")


def test_pypi_has_a_readable_shard_and_other_indexes_are_hashed() -> None:
    assert index_parts("https://pypi.org/simple/") == ("pypi",)
    assert index_parts("http://127.0.0.1:8000/simple") == (
        "index", url_key("http://127.0.0.1:8000/simple"))


def test_path_key_uses_the_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert path_key("pkg") == path_key(tmp_path / "pkg")
    assert path_key("pkg") == path_key(f"{tmp_path}{os.sep}pkg{os.sep}")


@pytest.mark.parametrize(("url", "key"), [
    ("git+https://user:pw@GitHub.com/org/repo.git@main", "bdb72e6e68b80f9e"),
    ("git+git@github.com:org/repo.git", "0450f4be9e8a432a"),
    ("git+file:///tmp/r.git", "9b3139f96cdb7944"),
])
def test_a_git_repository_keeps_its_key(url: str, key: str) -> None:
    # The keys of caches written by earlier versions: a change here orphans every git checkout.
    assert repository_key(parse_git_url(url)) == key


def test_a_pages_files_are_keyed_by_its_index_or_its_find_links_location() -> None:
    page = SimplePage("foo", {})
    assert source_parts(ProjectPage("https://pypi.org/simple/", page)) == ("pypi",)
    assert source_parts(ProjectPage("https://example.org/simple", page)) == \
        index_parts("https://example.org/simple")
    assert source_parts(ProjectPage("https://example.org/links", page, flat=True)) == \
        ("url", url_key("https://example.org/links"))
