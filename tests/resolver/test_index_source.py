"""``IndexSource``: which versions and files of an index a target can use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from pyffin.cache import Cache
from pyffin.client.registry import connect
from pyffin.errors import NotSupportedError
from pyffin.resolver.errors import PackageNotFoundError
from pyffin.resolver.index_source import BinaryPolicy, IndexSource
from pyffin.settings import IndexSettings
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer

TAGS = ("cp311-cp311-manylinux_2_17_x86_64", "cp311-abi3-manylinux_2_17_x86_64",
        "py3-none-manylinux_2_17_x86_64", "py311-none-any", "py3-none-any")


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


def source(cache: Cache, server: IndexServer, **kwargs: Any) -> IndexSource:
    registry = connect(cache, IndexSettings(index_url=server.index_url))
    return IndexSource(registry, tags=TAGS, **kwargs)


def name(text: str) -> NormalizedName:
    return canonicalize_name(text)


def versions(src: IndexSource, project: str) -> list[str]:
    return sorted(str(c.version) for c in src.candidates(name(project)))


def test_only_versions_with_a_usable_file_are_candidates(cache: Cache,
                                                         index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0", tags=["cp27-cp27mu-manylinux1_x86_64"]))
    index_server.add_wheel(WheelSpec("foo", "3.0", tags=["cp311-cp311-win_amd64"]))
    index_server.add_sdist(SdistSpec("foo", "4.0"))
    assert versions(source(cache, index_server), "foo") == ["1.0", "4.0"]
    only_binary = source(cache, index_server, binary=BinaryPolicy(only_binary=frozenset({"foo"})))
    assert versions(only_binary, "foo") == ["1.0"]
    no_build = source(cache, index_server, binary=BinaryPolicy(no_build=True))
    assert versions(no_build, "foo") == ["1.0"]
    no_binary = source(cache, index_server, binary=BinaryPolicy(no_binary=frozenset({":all:"})))
    assert versions(no_binary, "foo") == ["4.0"]


def test_the_best_file_is_the_wheel_with_the_most_preferred_tag(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "1.0", tags=["cp311-abi3-manylinux_2_17_x86_64"]))
    index_server.add_sdist(SdistSpec("foo", "1.0"))
    files = source(cache, index_server).files("foo", Version("1.0"))
    assert files.best.file.filename == "foo-1.0-cp311-abi3-manylinux_2_17_x86_64.whl"
    assert len(files.usable) == 3


def test_yanked_and_requires_python_come_from_the_index(cache: Cache,
                                                        index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", requires_python=">=3.12"), yanked="broken")
    index_server.add_wheel(WheelSpec("foo", "2.0"))
    [one, two] = sorted(source(cache, index_server).candidates(name("foo")),
                        key=lambda c: c.version)
    assert (one.yanked, one.requires_python) == (True, ">=3.12")
    assert (two.yanked, two.requires_python) == (False, None)


def test_exclude_newer_drops_later_uploads(cache: Cache, index_server: IndexServer) -> None:
    old = datetime(2024, 1, 1, tzinfo=timezone.utc)
    new = datetime(2025, 1, 1, tzinfo=timezone.utc)
    index_server.add_wheel(WheelSpec("foo", "1.0"), upload_time=old)
    index_server.add_wheel(WheelSpec("foo", "2.0"), upload_time=new)
    cutoff = datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp()
    assert versions(source(cache, index_server, exclude_newer=cutoff), "foo") == ["1.0"]


def test_metadata_of_a_wheel(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", requires_dist=["bar"]))
    src = source(cache, index_server)
    assert src.metadata(name("foo"), Version("1.0")).requires_dist == ("bar",)


def test_an_sdist_needs_a_builder(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_sdist(SdistSpec("foo", "1.0"))
    src = source(cache, index_server)
    with pytest.raises(NotSupportedError, match="building source distributions is not supported "
                                                r"here: foo-1\.0\.tar\.gz"):
        src.metadata(name("foo"), Version("1.0"))


def test_unknown_projects_name_the_index(cache: Cache, index_server: IndexServer) -> None:
    with pytest.raises(PackageNotFoundError) as info:
        source(cache, index_server).candidates(name("nothere"))
    assert index_server.index_url in str(info.value)


def test_prefetch_makes_data_ready(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    src = source(cache, index_server)
    src.prefetch_candidates(name("foo"))
    src.candidates(name("foo"))
    assert src.is_ready(name("foo"), None)
    assert not src.is_ready(name("foo"), Version("1.0"))
    src.prefetch(name("foo"), Version("1.0"))
    src.metadata(name("foo"), Version("1.0"))
    assert src.is_ready(name("foo"), Version("1.0"))
    assert index_server.count("/files/foo-1.0-py3-none-any.whl.metadata") == 1
