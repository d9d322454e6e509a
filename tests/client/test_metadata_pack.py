"""The metadata pack: the wheel metadata the latest resolutions used, read in one record by
the next instead of a record per wheel, for wheels whose hash the page lists."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyffin.cache import Cache, CacheBucket
from pyffin.cache.buckets import METADATA_PACK
from pyffin.client.cached import Refresh
from pyffin.client.metadata_pack import MAX_ENTRIES, MetadataPack
from pyffin.client.registry import RegistryClient, connect
from pyffin.models.metadata import CoreMetadata
from pyffin.settings import IndexSettings
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


def client(cache: Cache, server: IndexServer, refresh: Refresh | None = None) -> RegistryClient:
    return connect(cache, IndexSettings(index_url=server.index_url), refresh=refresh)


class RecordReads:
    """Counts the wheel metadata records read (the pack aside)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from pyffin.cache import fs

        self.count = 0
        original = fs.read_stamped
        wheels = f"{os.sep}{CacheBucket.WHEELS.value}{os.sep}"

        def counted(path: Any) -> Any:
            if wheels in str(path) and not str(path).endswith(METADATA_PACK):
                self.count += 1
            return original(path)

        monkeypatch.setattr(fs, "read_stamped", counted)


def metadata_of(registry: RegistryClient, name: str, version: str, *,
                prefetch: bool = False) -> CoreMetadata:
    [page] = registry.project(name)
    file = next(page.page.wheels(version)).file
    if prefetch:
        return registry.prefetch_wheel_metadata(page, file).result()
    return registry.wheel_metadata(page, file)


def pack_of(cache: Cache) -> Path:
    return cache.bucket(CacheBucket.WHEELS) / METADATA_PACK


@pytest.mark.parametrize("prefetch", [False, True], ids=["asked", "prefetched"])
def test_the_metadata_a_resolution_used_is_read_from_the_pack_by_the_next(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch,
        prefetch: bool) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", requires_dist=["bar<2"]))
    index_server.add_wheel(WheelSpec("bar", "1.5"))
    first = client(cache, index_server)
    assert metadata_of(first, "foo", "1.0").requires_dist == ("bar<2",)
    assert metadata_of(first, "bar", "1.5").version == "1.5"
    assert not pack_of(cache).exists()  # written once the resolution is over
    first.save_metadata_pack()
    assert pack_of(cache).exists()

    reads = RecordReads(monkeypatch)
    second = client(cache, index_server)
    assert metadata_of(second, "foo", "1.0", prefetch=prefetch) == metadata_of(first, "foo", "1.0")
    assert metadata_of(second, "bar", "1.5", prefetch=prefetch).version == "1.5"
    assert reads.count == 0
    assert index_server.count("/files/foo-1.0-py3-none-any.whl.metadata") == 1
    # Nothing new was used: the pack is left as it is.
    stamp = os.stat(pack_of(cache)).st_ino
    second.save_metadata_pack()
    assert os.stat(pack_of(cache)).st_ino == stamp


def test_a_wheel_listed_without_a_hash_is_not_packed(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.set_hashes(wheel.name, {}, metadata={})
    first = client(cache, index_server)
    metadata_of(first, "foo", "1.0")
    first.save_metadata_pack()
    assert not pack_of(cache).exists()
    reads = RecordReads(monkeypatch)
    metadata_of(client(cache, index_server), "foo", "1.0")
    assert reads.count == 1  # its own record, with its cache headers


def test_refresh_passes_the_pack_over(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    first = client(cache, index_server)
    metadata_of(first, "foo", "1.0")
    first.save_metadata_pack()
    metadata_of(client(cache, index_server, Refresh(packages=["foo"])), "foo", "1.0")
    assert index_server.count("/files/foo-1.0-py3-none-any.whl.metadata") == 2


def test_a_damaged_pack_is_no_pack_and_is_written_again(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    first = client(cache, index_server)
    metadata_of(first, "foo", "1.0")
    first.save_metadata_pack()
    data = bytearray(pack_of(cache).read_bytes())
    data[-5] ^= 0x10
    pack_of(cache).write_bytes(bytes(data))
    reads = RecordReads(monkeypatch)
    second = client(cache, index_server)
    assert metadata_of(second, "foo", "1.0").version == "1.0"
    assert reads.count == 1  # the wheel's own record
    second.save_metadata_pack()
    reads.count = 0
    assert metadata_of(client(cache, index_server), "foo", "1.0").version == "1.0"
    assert reads.count == 0


def test_the_pack_keeps_what_was_used_last_first(cache: Cache) -> None:
    entry = cache.entry(CacheBucket.WHEELS, METADATA_PACK)
    metadata = CoreMetadata("foo", "1.0", (), None, (), (), "2.1")
    older = MetadataPack(entry)
    for i in range(MAX_ENTRIES):
        older.add(f"https://x/foo-{i}.whl", f"{i:064x}", 1.0, metadata)
    older.save()
    newer = MetadataPack(entry)
    assert newer.get("https://x/foo-0.whl", f"{0:064x}") == (1.0, metadata)
    newer.add("https://x/bar.whl", "b" * 64, 2.0, metadata)
    newer.save()
    kept = MetadataPack(entry)
    # What the last process used comes first; the oldest of the rest gives way.
    assert kept.get("https://x/bar.whl", "b" * 64) == (2.0, metadata)
    assert kept.get("https://x/foo-0.whl", f"{0:064x}") is not None
    assert kept.get(f"https://x/foo-{MAX_ENTRIES - 1}.whl", f"{MAX_ENTRIES - 1:064x}") is None
    assert kept.get("https://x/foo-1.whl", "0" * 64) is None  # another hash: another wheel


def test_a_process_that_only_adds_keeps_what_the_pack_held(cache: Cache) -> None:
    entry = cache.entry(CacheBucket.WHEELS, METADATA_PACK)
    metadata = CoreMetadata("foo", "1.0", (), None, (), (), "2.1")
    first = MetadataPack(entry)
    first.add("https://x/foo.whl", "f" * 64, 1.0, metadata)
    first.save()
    second = MetadataPack(entry)  # never asked: read when written
    second.add("https://x/bar.whl", "b" * 64, 2.0, metadata)
    second.save()
    kept = MetadataPack(entry)
    assert kept.get("https://x/foo.whl", "f" * 64) == (1.0, metadata)
    assert kept.get("https://x/bar.whl", "b" * 64) == (2.0, metadata)


def test_cleaning_a_project_removes_the_pack(cache: Cache, index_server: IndexServer) -> None:
    from pyffin.cache.maintenance import clean_package

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    registry = client(cache, index_server)
    metadata_of(registry, "foo", "1.0")
    registry.save_metadata_pack()
    clean_package(cache, "foo")
    assert not pack_of(cache).exists()
