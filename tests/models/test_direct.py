"""Direct references: what a URL, git URL or local path names, and the PEP 610 record of an
install from it (never with credentials)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin.errors import NotSupportedError, UsageError
from pyffin.models.direct import parse_direct


@pytest.mark.parametrize(("url", "kind", "is_wheel"), [
    ("https://host/foo-1.0-py3-none-any.whl", "wheel-url", True),
    ("https://host/archive/master.zip", "sdist-url", False),
    ("git+https://host/org/repo@v1", "git", False),
    ("file:///abs/foo-1.0-py3-none-any.whl", "path", True),
    ("file:///abs/foo-1.0.tar.gz", "path", False),
])
def test_a_reference_is_classified(url: str, kind: str, is_wheel: bool) -> None:
    source = parse_direct(url)
    assert (source.kind, source.is_wheel) == (kind, is_wheel)


def test_the_fragment_gives_hashes_and_subdirectory() -> None:
    source = parse_direct("https://host/x.zip#sha256=ABC&subdirectory=pkg&egg=x")
    assert source.hashes == (("sha256", "abc"),)
    assert source.subdirectory == "pkg"
    assert source.filename == "x.zip"
    with pytest.raises(UsageError, match="unknown fragment 'nope'"):
        parse_direct("https://host/x.zip#nope=1")


def test_only_git_is_supported_among_version_control_systems() -> None:
    with pytest.raises(NotSupportedError, match="only git is supported"):
        parse_direct("hg+https://host/repo")


def test_an_editable_must_be_a_local_directory(tmp_path: Path) -> None:
    assert parse_direct(tmp_path.as_uri(), editable=True).is_directory
    with pytest.raises(UsageError, match="must be a local directory"):
        parse_direct("https://host/x.zip", editable=True)
    (tmp_path / "x.whl").write_bytes(b"")
    with pytest.raises(UsageError, match="must be a local directory"):
        parse_direct((tmp_path / "x.whl").as_uri(), editable=True)


def test_the_pep_610_record_carries_no_credentials() -> None:
    assert parse_direct("https://u:pw@host/x.zip#sha256=ab").direct_url(sha256="ab") == {
        "url": "https://host/x.zip", "archive_info": {"hash": "sha256=ab"}}
    assert parse_direct("git+https://u:pw@host/repo@v1#subdirectory=sub").direct_url(
        commit="c0ffee") == {"url": "https://host/repo", "subdirectory": "sub",
                             "vcs_info": {"vcs": "git", "commit_id": "c0ffee",
                                          "requested_revision": "v1"}}


def test_a_local_directory_records_whether_it_is_editable(tmp_path: Path) -> None:
    assert parse_direct(tmp_path.as_uri(), editable=True).direct_url() == {
        "url": tmp_path.as_uri(), "dir_info": {"editable": True}}
    assert parse_direct(tmp_path.as_uri()).direct_url() == {"url": tmp_path.as_uri(),
                                                            "dir_info": {}}
