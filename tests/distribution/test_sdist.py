"""Source distributions of an index: their download is verified before anything is built."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyffin.cache import Cache
from pyffin.client.errors import HashMismatchError
from pyffin.client.registry import connect
from pyffin.distribution.sdist import SourceDistributions
from pyffin.settings import IndexSettings
from tests.support.dists import SdistSpec
from tests.support.index import IndexServer


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


def unbuildable() -> Any:
    raise AssertionError("nothing may be built from an unverified sdist")


@pytest.mark.parametrize("algorithm", ["sha512", "sha384", "sha3_512"])
def test_an_sdist_listed_only_with_another_algorithm_is_verified_with_it(
        cache: Cache, index_server: IndexServer, algorithm: str) -> None:
    sdist = index_server.add_sdist(SdistSpec("bar", "1.0"))
    size = len(hashlib.new(algorithm, b"").hexdigest())
    index_server.set_hashes(sdist.name, {algorithm: "0" * size})
    registry = connect(cache, IndexSettings(index_url=index_server.index_url))
    sources = SourceDistributions(cache, registry, tags=(), builder=unbuildable,
                                  git=unbuildable)
    [page] = registry.project("bar")
    [file] = page.page.sdists("1.0")
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for {sdist.name} .*the index "
                                                rf"says {algorithm}:0+"):
        sources.registry_metadata(page, file)


def test_a_local_sdist_listed_with_a_hash_is_verified_before_it_is_unpacked(
        cache: Cache, dist_dir: Path, tmp_path: Path) -> None:
    from tests.support.dists import build_sdist

    sdist = build_sdist(SdistSpec("bar", "1.0"), dist_dir)
    page_dir = tmp_path / "simple" / "bar"
    page_dir.mkdir(parents=True)
    (page_dir / "index.html").write_text(
        f'<a href="{sdist.as_uri()}#sha512={"0" * 128}">{sdist.name}</a>\n')
    registry = connect(cache, IndexSettings(index_url=(tmp_path / "simple").as_uri()))
    sources = SourceDistributions(cache, registry, tags=(), builder=unbuildable,
                                  git=unbuildable)
    [page] = registry.project("bar")
    [file] = page.page.sdists("1.0")
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for {sdist.name} .*sha512:0+"):
        sources.registry_metadata(page, file)
