"""Which files the mirror lists and serves, and how its index answers (loopback only)."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from packaging.tags import Tag

from bench import BenchError
from bench.mirror import ListedFile, Listing, Mirror, parse_page, plan_listing
from bench.server import MirrorServer
from tests.support.dists import WheelSpec, build_wheel

LINUX = frozenset({Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")})


def entry(filename: str, body: bytes = b"x", requires_python: str | None = None) -> dict[str, Any]:
    return {
        "filename": filename,
        "url": f"https://files.example/{filename}",
        "hashes": {"sha256": hashlib.sha256(body).hexdigest()},
        "requires-python": requires_python,
        "size": len(body),
        "upload-time": "2026-01-02T03:04:05.000000Z",
        "yanked": False,
    }


PAGE = {
    "meta": {"api-version": "1.1"},
    "files": [
        entry("demo-1.0.tar.gz"),
        entry("demo-1.0-py3-none-any.whl"),
        entry("demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        entry("demo-2.0-cp311-cp311-win_amd64.whl"),
        entry("demo-2.0.tar.gz"),
        entry("demo-2.1rc1-py3-none-any.whl"),
        entry("demo-3.0-py3-none-any.whl"),
        entry("demo-0.1dev-r12.zip"),  # legacy version: no tool considers it
        entry("demo-1.0.win32.exe"),
    ],
}


def names(files: list[ListedFile]) -> list[str]:
    return [f.filename for f in files]


def no_log(message: str) -> None:
    raise AssertionError(f"unexpected log: {message}")


def test_a_page_keeps_wheels_and_sdists_with_valid_versions() -> None:
    files = parse_page(PAGE)
    assert "demo-0.1dev-r12.zip" not in names(files)
    assert "demo-1.0.win32.exe" not in names(files)
    assert len(files) == 7


def test_versions_up_to_the_pin_are_listed_and_only_fitting_files_of_the_pin_served() -> None:
    listed, served = plan_listing("demo", parse_page(PAGE), ["2.0"], LINUX, sdist_only=False,
                                  log=no_log)  # fmt: skip
    assert names(listed) == [
        "demo-1.0.tar.gz",
        "demo-1.0-py3-none-any.whl",
        "demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo-2.0-cp311-cp311-win_amd64.whl",
        "demo-2.0.tar.gz",
    ]
    assert names(served) == ["demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"]


def test_an_sdist_only_project_lists_and_serves_sdists_alone() -> None:
    listed, served = plan_listing("demo", parse_page(PAGE), ["2.0"], LINUX, sdist_only=True,
                                  log=no_log)  # fmt: skip
    assert names(listed) == ["demo-1.0.tar.gz", "demo-2.0.tar.gz"]
    assert names(served) == ["demo-2.0.tar.gz"]


def test_a_pin_without_a_usable_file_is_an_error_naming_it() -> None:
    windows_only = {"meta": {}, "files": [entry("demo-2.0-cp311-cp311-win_amd64.whl")]}
    with pytest.raises(BenchError, match=r"demo==2\.0: PyPI has no wheel or sdist usable here"):
        plan_listing("demo", parse_page(windows_only), ["2.0"], LINUX, sdist_only=False,
                     log=no_log)  # fmt: skip


def test_the_index_lists_absent_files_serves_present_ones_and_records_misses(
    tmp_path: Path,
) -> None:
    mirror = Mirror(tmp_path / "mirror", no_log)
    wheel = build_wheel(WheelSpec("demo", "2.0", requires_python=">=3.9"), mirror.files_dir)
    data = wheel.read_bytes()
    metadata = b"Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n"
    mirror.metadata_path(wheel.name).parent.mkdir(parents=True)
    mirror.metadata_path(wheel.name).write_bytes(metadata)
    page = {"files": [entry("demo-1.0-py3-none-any.whl"), entry(wheel.name, data, ">=3.9")]}
    files = parse_page(page)
    listing = Listing("demo", tuple(files), frozenset({wheel.name}))
    with MirrorServer(mirror, {"demo": listing}) as server:
        request = urllib.request.Request(
            f"{server.index_url}demo/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        with urllib.request.urlopen(request) as response:
            doc = json.loads(response.read())
        with urllib.request.urlopen(f"{server.url}/files/{wheel.name}") as response:
            assert response.read() == data
            assert "immutable" in response.headers["Cache-Control"]
        with urllib.request.urlopen(f"{server.url}/files/{wheel.name}.metadata") as response:
            assert response.read() == metadata
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{server.url}/files/demo-1.0-py3-none-any.whl.metadata")
        assert server.take_misses() == ["/files/demo-1.0-py3-none-any.whl.metadata"]
        assert server.take_misses() == []
    absent, present = doc["files"]
    assert absent["filename"] == "demo-1.0-py3-none-any.whl"
    assert absent["core-metadata"] is True  # advertised, as PyPI does for every wheel
    assert present["core-metadata"] == {"sha256": hashlib.sha256(metadata).hexdigest()}
    assert present["requires-python"] == ">=3.9"
    assert doc["versions"] == ["1.0", "2.0"]


def test_a_universal_index_serves_a_pin_without_a_wheel_for_here_by_another_platforms() -> None:
    windows_only = {"meta": {}, "files": [entry("demo-2.0-cp311-cp311-win_amd64.whl"),
                                          entry("demo-2.0-cp311-cp311-win32.whl")]}
    _listed, served = plan_listing("demo", parse_page(windows_only), ["2.0"], LINUX,
                                   sdist_only=False, log=no_log, any_platform=True)
    assert names(served) == ["demo-2.0-cp311-cp311-win_amd64.whl"]


def test_a_universal_index_answers_for_a_wheels_metadata_with_a_sibling_wheels(
    tmp_path: Path,
) -> None:
    mirror = Mirror(tmp_path / "mirror", no_log)
    metadata = b"Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n"
    served = "demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    mirror.metadata_path(served).parent.mkdir(parents=True)
    mirror.metadata_path(served).write_bytes(metadata)
    files = parse_page({"files": [entry("demo-2.0-cp311-cp311-win_amd64.whl"), entry(served),
                                  entry("demo-1.0-cp311-cp311-win_amd64.whl")]})
    listing = Listing("demo", tuple(files), frozenset())
    with MirrorServer(mirror, {"demo": listing}, siblings=True) as server:
        url = f"{server.url}/files/demo-2.0-cp311-cp311-win_amd64.whl.metadata"
        with urllib.request.urlopen(url) as response:
            assert response.read() == metadata
        with pytest.raises(urllib.error.HTTPError, match="404"):  # no wheel of 1.0 has one
            urllib.request.urlopen(f"{server.url}/files/demo-1.0-cp311-cp311-win_amd64.whl"
                                   ".metadata")
