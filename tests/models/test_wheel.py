"""The wheel format shared by the unzipper and the installer: RECORD, headers, dist-info names,
filenames, RECORD hashes."""

from __future__ import annotations

import hashlib
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest

from pyffin.models.wheel import (
    InvalidWheelError,
    RecordEntry,
    dist_stem_matches,
    format_record,
    hash_bytes,
    hash_file,
    parse_filename,
    parse_record,
    read_headers,
    versions_equal,
)


def test_record_lines_with_commas_are_quoted() -> None:
    entries = parse_record(b'"a,b.py",sha256=x,1\nc.py,,\n', source="RECORD")

    assert [(e.path, e.hash, e.size) for e in entries] == [("a,b.py", "sha256=x", 1),
                                                          ("c.py", None, None)]


def test_malformed_record_lines_name_the_line() -> None:
    with pytest.raises(InvalidWheelError, match="RECORD, line 2: invalid size 'x'"):
        parse_record(b"a.py,,\nb.py,sha256=y,x\n", source="RECORD")


def test_headers_stop_at_the_body() -> None:
    text = b"Name: a\nVersion: 1\n Summary-continued\n\nVersion: 2\n"

    assert read_headers(text, ["version", "name"]) == {"name": "a", "version": "1"}


@pytest.mark.parametrize(
    ("stem", "name", "version", "matches"),
    [
        ("foo_bar-1.0", "foo_bar", "1.0", True),
        ("foo-bar-1.0", "foo_bar", "1.0", True),  # legacy, unescaped
        ("Foo.Bar-1.0.0", "foo_bar", "1.0", True),
        ("foo_bar-1.0", "foo_bar", "1.1", False),
        ("foo-1.0", "foo_bar", "1.0", False),
    ],
)
def test_dist_info_names_match_normalized(stem: str, name: str, version: str,
                                          matches: bool) -> None:
    assert dist_stem_matches(stem, name, version) is matches


def test_versions_compare_by_pep_440() -> None:
    assert versions_equal("1.0", "1.0.0")
    assert versions_equal("1.0_post1", "1.0.post1")
    assert not versions_equal("1.0", "1.0.1")
    assert not versions_equal("not a version", "1.0")


def test_a_record_written_is_read_back() -> None:
    entries = [RecordEntry("a,b.py", "sha256=x", 1), RecordEntry('q"uote.py', None, None),
               RecordEntry("pkg/c.py", "sha256=y", 22)]
    assert parse_record(format_record(entries), source="RECORD") == entries


def test_record_hashes_are_urlsafe_base64_without_padding(tmp_path: Path) -> None:
    data = b"print('hi')\n"
    expected = "sha256=" + urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")
    assert hash_bytes(data) == expected
    (tmp_path / "f.py").write_bytes(data)
    assert hash_file(str(tmp_path / "f.py")) == (expected, len(data))


@pytest.mark.parametrize(("filename", "expected"), [
    ("foo_bar-1.0-py3-none-any.whl", ("foo_bar", "1.0")),
    ("foo-1.0-1build-cp312-cp312-linux_x86_64.whl", ("foo", "1.0")),
])
def test_a_wheel_filename_gives_its_name_and_version(filename: str,
                                                     expected: tuple[str, str]) -> None:
    assert parse_filename(filename) == expected


@pytest.mark.parametrize("filename",
                         ["foo-1.0.tar.gz", "foo-1.0-py3-any.whl", "foo--py3-none-any.whl"])
def test_a_bad_wheel_filename_is_refused(filename: str) -> None:
    with pytest.raises(InvalidWheelError, match="invalid wheel filename"):
        parse_filename(filename)
