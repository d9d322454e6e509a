"""The newest version an index offers for an installed package (``pip list --outdated``), read
from the pages as they keep their files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pyffin.client.simple import parse_page
from pyffin.futures import Future
from pyffin.installer.outdated import latest_versions
from pyffin.models.files import ProjectPage, SimplePage, upload_time
from tests.support.calls import files_made

TAGS = ("cp311-cp311-manylinux_2_17_x86_64", "py3-none-any")


def entry(filename: str, *, uploaded: str = "2024-01-01T00:00:00Z", yanked: bool = False,
          requires_python: str | None = None) -> dict[str, Any]:
    return {"filename": filename, "url": f"https://files.example/{filename}",
            "hashes": {"sha256": "ab" * 32}, "upload-time": uploaded, "yanked": yanked,
            "requires-python": requires_python}


def json_page(*entries: dict[str, Any]) -> SimplePage:
    content = json.dumps({"meta": {"api-version": "1.1"}, "files": list(entries)}).encode()
    return parse_page("foo", "https://files.example/simple/foo/", content,
                      "application/vnd.pypi.simple.v1+json")


class Registry:
    """What latest_versions asks of a registry: each project's pages."""

    def __init__(self, page: SimplePage) -> None:
        self.page = page

    def prefetch_project(self, name: str) -> Future[list[ProjectPage]]:
        return Future.of([ProjectPage("https://index", self.page)])


PAGE = (
    entry("foo-1.0-py3-none-any.whl"),
    entry("foo-1.1.tar.gz"),  # an sdist newer than every usable wheel but 1.2's
    entry("foo-1.2-cp311-cp311-manylinux_2_17_x86_64.whl"),
    entry("foo-1.3-py3-none-any.whl", yanked=True),
    entry("foo-1.4-py3-none-any.whl", requires_python=">=3.12"),
    entry("foo-1.5-cp311-cp311-win32.whl"),
    entry("foo-1.6-py3-none-any.whl", uploaded="2024-06-01T00:00:00Z"),
    entry("foo-2.0rc1-py3-none-any.whl"),
)


@pytest.mark.parametrize(("cutoff", "prereleases", "expected"), [
    (None, False, ("1.6", "wheel")),
    (None, True, ("2.0rc1", "wheel")),
    ("2024-03-01T00:00:00Z", False, ("1.2", "wheel")),
])
def test_the_newest_usable_file_wins_without_making_the_pages_files(
        monkeypatch: Any, cutoff: str | None, prereleases: bool,
        expected: tuple[str, str]) -> None:
    made = files_made(monkeypatch)
    at = upload_time(cutoff)
    found = latest_versions(Registry(json_page(*PAGE)), ["foo"], tags=TAGS,  # type: ignore[arg-type]
                            python_version="3.11.4", prereleases=prereleases,
                            cutoff=None if at is None else lambda name: at)
    assert (str(found["foo"].version), found["foo"].filetype) == expected
    assert made == []  # yanked, Requires-Python, upload time and tags read as listed


def test_file_tuples_give_the_same_answer() -> None:
    page = json_page(*PAGE)
    whole = SimplePage("foo", page.versions)  # every file made
    for prereleases in (False, True):
        answers = [latest_versions(Registry(p), ["foo"], tags=TAGS,  # type: ignore[arg-type]
                                   python_version="3.11.4", prereleases=prereleases)
                   for p in (page, whole)]
        assert answers[0] == answers[1]


def test_an_sdist_wins_only_when_newer_than_every_usable_wheel() -> None:
    page = json_page(entry("foo-1.0-py3-none-any.whl"), entry("foo-1.1.tar.gz"),
                     entry("foo-1.1-cp311-cp311-win32.whl"))
    found = latest_versions(Registry(page), ["foo"], tags=TAGS,  # type: ignore[arg-type]
                            python_version="3.11.4")
    assert (str(found["foo"].version), found["foo"].filetype) == ("1.1", "sdist")
