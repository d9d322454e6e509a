"""Usable-versions summaries: what a target can use of a page, read instead of the page by
later sources, and ignored once the page file, the page's freshness or the target changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from pyffin.cache import Cache, CacheBucket
from pyffin.client.cached import REVALIDATED_NAME, Refresh
from pyffin.client.registry import connect
from pyffin.models.format_control import BinaryPolicy
from pyffin.resolver.index_source import IndexSource
from pyffin.resolver.summaries import SUMMARY_VERSION
from pyffin.settings import IndexSettings
from tests.resolver.test_index_source import (
    TAGS,
    PageReads,
    name,
    pages_in_cache,
    source,
    versions,
)
from tests.support.calls import files_made
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


@pytest.fixture
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local files count as settled as soon as they are written (no waiting in tests)."""
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 0)


def summary_files(cache: Cache) -> list[Path]:
    return sorted(path for path in cache.bucket(CacheBucket.SIMPLE).glob("**/foo.*.rec")
                  if path.name != REVALIDATED_NAME)


def test_a_later_source_answers_from_the_summary_without_the_page(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", requires_python=">=3.12"), yanked="broken")
    index_server.add_wheel(WheelSpec("foo", "2.0", requires_dist=["bar"]))
    index_server.add_sdist(SdistSpec("foo", "3.0"))
    pages_in_cache(cache, index_server)  # so that the summary has every version's row
    first = source(cache, index_server)
    expected = sorted(first.candidates(name("foo")), key=lambda c: c.version)
    first.metadata(name("foo"), Version("2.0"))
    # Summaries are written once the resolution is over, not while pages are being fetched.
    assert summary_files(cache) == []
    first.resolution_done()
    assert len(summary_files(cache)) == 1

    reads = PageReads(monkeypatch)
    second = source(cache, index_server)
    second.prefetch_candidates(name("foo"))
    assert second.is_ready(name("foo"), None)
    assert sorted(second.candidates(name("foo")), key=lambda c: c.version) == expected
    assert second.metadata(name("foo"), Version("2.0")).requires_dist == ("bar",)
    # The summary knows each version's best file ...
    best = second.files("foo", Version("1.0")).best
    original = first.files("foo", Version("1.0")).best
    assert best.page is not None and original.page is not None
    assert (best.page.source, best.page.page.name, best.page.flat, best.file, best.is_wheel) \
        == (original.page.source, original.page.page.name, original.page.flat, original.file,
            original.is_wheel)
    assert best.file is not None and best.file.yanked == "broken"
    assert second.files("foo", Version("3.0")).best.label == "foo-3.0.tar.gz"
    assert reads.count == 0
    # ... and every file of a version needs the page: it is read then, once.
    assert len(second.files("foo", Version("2.0")).usable) == 1
    assert len(second.files("foo", Version("3.0")).usable) == 1
    assert reads.count == 1


def test_each_target_has_its_own_summary(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0", tags=["cp311-cp311-manylinux_2_17_x86_64"]))
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]
    pure = IndexSource(connect(cache, IndexSettings(index_url=index_server.index_url)),
                       tags=("py3-none-any",))
    assert versions(pure, "foo") == ["1.0"]
    no_binary = source(cache, index_server, binary=BinaryPolicy(no_binary=frozenset({"foo"})))
    assert versions(no_binary, "foo") == []
    assert len(summary_files(cache)) == 3
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]


def test_a_package_cutoff_has_its_own_summary(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"),
                           upload_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    index_server.add_wheel(WheelSpec("foo", "2.0"),
                           upload_time=datetime(2025, 1, 1, tzinfo=timezone.utc))
    cutoff = datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp()
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]
    assert versions(source(cache, index_server, exclude_newer_packages={"foo": cutoff}),
                    "foo") == ["1.0"]
    assert len(summary_files(cache)) == 2
    # Another package's cutoff leaves foo's summary as it was.
    assert versions(source(cache, index_server, exclude_newer_packages={"bar": cutoff}),
                    "foo") == ["1.0", "2.0"]
    assert len(summary_files(cache)) == 2


def test_without_summaries_none_is_read_or_written(cache: Cache, index_server: IndexServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    assert versions(source(cache, index_server), "foo") == ["1.0"]
    [summary] = summary_files(cache)
    reads = PageReads(monkeypatch)
    assert versions(source(cache, index_server, summaries=False), "foo") == ["1.0"]
    assert reads.count == 1  # the page, not the summary
    summary.unlink()
    assert versions(source(cache, index_server, summaries=False), "foo") == ["1.0"]
    assert summary_files(cache) == []


def test_a_summary_of_a_replaced_page_file_is_ignored(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    first = source(cache, index_server)
    assert versions(first, "foo") == ["1.0"]
    # Another process wrote the page again (same policy, new file): the summary no longer
    # speaks for it.
    single = first.registry.single_page_entry("foo")
    assert single is not None
    page = single[1]
    page.write(page.path.read_bytes())
    reads = PageReads(monkeypatch)
    assert versions(source(cache, index_server), "foo") == ["1.0"]
    assert reads.count == 1
    # ... and the source that read the page summarized it afresh.
    assert versions(source(cache, index_server), "foo") == ["1.0"]
    assert reads.count == 1


def test_a_summary_holds_versions_of_one_packaging_release(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import packaging

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "1.0.post1"))
    assert versions(source(cache, index_server), "foo") == ["1.0", "1.0.post1"]
    # The summary keeps its versions in packaging's order: another release has its own.
    monkeypatch.setattr(packaging, "__version__", "0.0-another")
    reads = PageReads(monkeypatch)
    assert versions(source(cache, index_server), "foo") == ["1.0", "1.0.post1"]
    assert reads.count == 1
    assert len(summary_files(cache)) == 2


def stored_summary(path: Path) -> list[Any]:
    """The payload of a summary file (its tail of rows left out)."""
    from pyffin.cache import codec

    payload, _ = codec.loads_head(path.read_bytes(), "usable-versions", SUMMARY_VERSION)
    return list(payload)  # type: ignore[call-overload]


def summary_tail(path: Path) -> bytes:
    from pyffin.cache import codec

    data = path.read_bytes()
    _, end = codec.loads_head(data, "usable-versions", SUMMARY_VERSION)
    return data[end:]


def rewrite_summary(path: Path, payload: object, tail: bytes | None = None) -> None:
    """Write ``payload`` as the summary at ``path``, with its tail as it was (or ``tail``)."""
    from pyffin.cache import codec

    tail = summary_tail(path) if tail is None else tail
    path.write_bytes(b"".join(codec.dump_parts_with_tail("usable-versions", SUMMARY_VERSION,
                                                         payload, tail)))


@pytest.mark.parametrize("damage", ["versions", "column", "shape", "rows", "old-format"])
def test_a_damaged_or_old_summary_is_a_miss_and_is_written_again(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch,
        damage: str) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0"))
    pages_in_cache(cache, index_server)
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]
    [summary] = summary_files(cache)
    good = summary.read_bytes()
    payload = stored_summary(summary)
    if damage == "versions":  # a version too few for the columns
        payload[2] = payload[2][:1]
    elif damage == "column":
        payload[3] = payload[3][:-1]
    elif damage == "shape":
        payload = payload[:4]
    elif damage == "rows":  # the rows' ends of one version too few
        hot, ends, crcs = payload[4]
        payload[4] = (hot, ends[:-4], crcs)
    if damage == "old-format":  # the previous format's record: every row in the payload
        from pyffin.cache import codec

        rows = [b"row"] * len(payload[2])
        summary.write_bytes(codec.dumps("usable-versions", SUMMARY_VERSION - 1, (
            payload[0], payload[1], payload[2], payload[3], rows, payload[5])))
    else:
        rewrite_summary(summary, tuple(payload))
    reads = PageReads(monkeypatch)
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]
    assert reads.count == 1
    # The page was read instead, and summarized again.
    assert summary.read_bytes() == good
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]
    assert reads.count == 1


def summary_after_looking_at_2_0(cache: Cache, index_server: IndexServer, *, cached: bool,
                                 ) -> tuple[dict[int, bytes], bytes, bytes]:
    """Serve foo 1.0, 2.0 and 3.0, resolve looking at 2.0's files (the page read from the
    cache, or from the network): the summary's hot rows, where each row ends, and its tail."""
    for text in ("1.0", "2.0", "3.0"):
        index_server.add_wheel(WheelSpec("foo", text))
    if cached:
        pages_in_cache(cache, index_server)
    first = source(cache, index_server)
    assert len(first.candidates(name("foo"))) == 3
    assert first.files("foo", Version("2.0")).best.label == "foo-2.0-py3-none-any.whl"
    first.resolution_done()
    [summary] = summary_files(cache)
    hot, ends, _ = stored_summary(summary)[4]
    return hot, ends, summary_tail(summary)


def test_only_the_rows_of_versions_the_resolution_looked_at_are_in_the_payload(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    hot, ends, tail = summary_after_looking_at_2_0(cache, index_server, cached=True)
    # 2.0's row is read with the payload; 1.0's and 3.0's are in the tail, read when asked.
    assert list(hot) == [1]
    assert int.from_bytes(ends[-4:], "little") == len(tail) > 0
    reads = PageReads(monkeypatch)
    second = source(cache, index_server)
    assert [second.files("foo", Version(v)).best.label for v in ("1.0", "2.0", "3.0")] == [
        f"foo-{v}-py3-none-any.whl" for v in ("1.0", "2.0", "3.0")]
    assert reads.count == 0


def test_a_damaged_row_is_read_from_the_page(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for text in ("1.0", "2.0"):
        index_server.add_wheel(WheelSpec("foo", text))
    pages_in_cache(cache, index_server)
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]
    [summary] = summary_files(cache)
    data = bytearray(summary.read_bytes())
    data[-3] ^= 0x20  # in 2.0's row, the last one of the tail
    summary.write_bytes(bytes(data))
    reads = PageReads(monkeypatch)
    second = source(cache, index_server)
    assert second.files("foo", Version("1.0")).best.label == "foo-1.0-py3-none-any.whl"
    assert reads.count == 0
    assert second.files("foo", Version("2.0")).best.label == "foo-2.0-py3-none-any.whl"
    assert reads.count == 1


def test_a_summary_replaced_after_it_was_read_is_not_read_for_its_rows(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for text in ("1.0", "2.0"):
        index_server.add_wheel(WheelSpec("foo", text))
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]
    [summary] = summary_files(cache)
    second = source(cache, index_server)
    assert versions(second, "foo") == ["1.0", "2.0"]
    # Another process summarizes the page again meanwhile: what this source read of the old
    # file says where the rows were in it, not in the new one.
    payload = stored_summary(summary)
    hot, ends, crcs = payload[4]
    payload[4] = (hot, b"\0\0\0\0" * (len(ends) // 4), crcs)
    rewrite_summary(summary, payload, tail=b"")
    reads = PageReads(monkeypatch)
    assert second.files("foo", Version("1.0")).best.label == "foo-1.0-py3-none-any.whl"
    assert reads.count == 1


def test_a_save_waits_for_one_under_way(cache: Cache, index_server: IndexServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The end of a resolution saves what is left, and must not return while a pool thread
    still writes a summary it took: the command may end right after, and lose it."""
    import threading

    from pyffin.cache.core import CacheEntry

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    src = source(cache, index_server)
    src.candidates(name("foo"))  # noted, not saved
    assert src.summaries is not None
    writing, go_on = threading.Event(), threading.Event()
    original = CacheEntry.write

    def slow_write(entry: CacheEntry, data: Any) -> Any:
        writing.set()
        go_on.wait(10)
        return original(entry, data)

    monkeypatch.setattr(CacheEntry, "write", slow_write)
    pool_thread = threading.Thread(target=src.summaries.save)
    pool_thread.start()
    assert writing.wait(10)
    last = threading.Thread(target=src.summaries.save)
    last.start()
    last.join(0.2)
    assert last.is_alive()  # waits for the save under way
    go_on.set()
    last.join(10)
    pool_thread.join(10)
    assert len(summary_files(cache)) == 1


def test_a_summary_keeps_versions_as_ordered_texts(
        cache: Cache, index_server: IndexServer) -> None:
    from pyffin.resolver.source import SortedCandidates

    for text in ("1.0", "1.0.post1", "2.0rc1", "1.10", "1.9", "2.0"):
        index_server.add_wheel(WheelSpec("foo", text))
    assert len(versions(source(cache, index_server), "foo")) == 6
    [summary] = summary_files(cache)
    payload = stored_summary(summary)
    assert payload[2] == ["1.0", "1.0.post1", "1.9", "1.10", "2.0rc1", "2.0"]
    assert payload[3][4] == [False, False, False, False, True, False]  # pre-release column
    # A later source hands them on sorted, making each version only when looked at.
    candidates = source(cache, index_server).candidates(name("foo"))
    assert isinstance(candidates, SortedCandidates)
    assert candidates[3].version == Version("1.10")
    assert candidates.versions.position(Version("2.0rc1")) == 4
    assert candidates.versions.position(Version("1.1")) is None
    assert [str(c.version) for c in candidates] == payload[2]


def test_a_stale_page_is_revalidated_despite_its_summary(cache: Cache,
                                                         index_server: IndexServer) -> None:
    index_server.set_max_age(0)
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    assert versions(source(cache, index_server), "foo") == ["1.0"]
    index_server.add_wheel(WheelSpec("foo", "2.0"))
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]


def test_refresh_ignores_the_summary(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    assert versions(source(cache, index_server), "foo") == ["1.0"]
    index_server.add_wheel(WheelSpec("foo", "2.0"))
    assert versions(source(cache, index_server), "foo") == ["1.0"]  # fresh: from the cache
    refreshed = IndexSource(connect(cache, IndexSettings(index_url=index_server.index_url),
                                    refresh=Refresh(packages=["foo"])), tags=TAGS)
    assert versions(refreshed, "foo") == ["1.0", "2.0"]
    assert versions(source(cache, index_server), "foo") == ["1.0", "2.0"]


def test_a_revalidated_page_keeps_its_summary(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.set_max_age(0)
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    first = source(cache, index_server)
    assert versions(first, "foo") == ["1.0"]
    page = first.registry.single_page_entry("foo")
    assert page is not None
    stamp = page[1].stamp()
    # Stale: asked again, not modified (304), fresh for a while from now on. The summary
    # stands: the page is not read.
    index_server.set_max_age(600)
    index_server.reset_counts()
    reads = PageReads(monkeypatch)
    assert versions(source(cache, index_server), "foo") == ["1.0"]
    assert index_server.count("/simple/foo/") == 1
    assert reads.count == 0
    # The page file is the one the summary was made from: only its policy is new.
    assert page[1].stamp() == stamp
    index_server.reset_counts()
    assert versions(source(cache, index_server), "foo") == ["1.0"]
    assert reads.count == 0
    assert index_server.count() == 0


def test_find_links_have_summaries_too(cache: Cache, index_server: IndexServer,
                                       make_wheel: Any, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       settled_at_once: None) -> None:
    import shutil

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    links = tmp_path / "links"
    links.mkdir()
    shutil.copy(make_wheel("foo", "1.5"), links)
    settings = IndexSettings(index_url=index_server.index_url, find_links=(str(links),))

    def linked() -> IndexSource:
        return IndexSource(connect(cache, settings), tags=TAGS)

    pages_in_cache(cache, index_server)  # the index page: from the cache next
    assert versions(linked(), "foo") == ["1.0", "1.5"]
    assert len(summary_files(cache)) == 1
    reads = PageReads(monkeypatch)
    second = linked()
    assert versions(second, "foo") == ["1.0", "1.5"]
    assert reads.count == 0
    # The summary knows which location lists each best file.
    best = second.files("foo", Version("1.5")).best
    assert best.page is not None and best.page.flat and best.page.source == str(links)
    # A file added to the directory is seen at once.
    shutil.copy(make_wheel("foo", "2.0"), links)
    assert versions(linked(), "foo") == ["1.0", "1.5", "2.0"]
    assert reads.count == 1


def test_extra_indexes_have_summaries_while_every_answer_is_on_file(
        cache: Cache, index_server: IndexServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
                                                                    settled_at_once: None) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    local = tmp_path / "simple"
    local.mkdir()
    # A local (file://) index first, without foo: its absence is on file too.
    settings = IndexSettings(index_url=index_server.index_url,
                             extra_index_urls=(local.as_uri(),))
    assert versions(IndexSource(connect(cache, settings), tags=TAGS), "foo") == ["1.0"]
    assert len(summary_files(cache)) == 1
    reads = PageReads(monkeypatch)
    assert versions(IndexSource(connect(cache, settings), tags=TAGS), "foo") == ["1.0"]
    assert reads.count == 0
    # foo appears on the first index: its summary no longer speaks for the pages.
    (local / "foo").mkdir()
    (local / "foo" / "index.html").write_text("<html><body></body></html>")
    assert versions(IndexSource(connect(cache, settings), tags=TAGS), "foo") == []
    assert reads.count == 1


def test_an_index_that_answered_404_makes_no_summary(cache: Cache, index_server: IndexServer,
                                                   ) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    # An HTTP index that does not have foo says so each time: nothing on file stands for it.
    settings = IndexSettings(index_url=index_server.index_url,
                             extra_index_urls=(index_server.url + "/other/",))
    assert versions(IndexSource(connect(cache, settings), tags=TAGS), "foo") == ["1.0"]
    assert summary_files(cache) == []


def test_a_summary_makes_the_files_of_a_version_only_when_asked(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.resolver.file_selection import VersionFiles

    for minor in range(20):
        index_server.add_wheel(WheelSpec("foo", f"1.{minor}"))
    pages_in_cache(cache, index_server)
    assert len(versions(source(cache, index_server), "foo")) == 20
    made: list[str] = []
    original = VersionFiles.summarized.__func__  # type: ignore[attr-defined]

    def counted(cls: Any, summary: Any, version: Version, *rest: Any) -> VersionFiles:
        made.append(str(version))
        return original(cls, summary, version, *rest)  # type: ignore[no-any-return]

    monkeypatch.setattr(VersionFiles, "summarized", classmethod(counted))
    second = source(cache, index_server)
    assert len(second.candidates(name("foo"))) == 20
    assert made == []
    assert second.files("foo", Version("1.7")).best.label == "foo-1.7-py3-none-any.whl"
    assert Version("1.70") not in second.versions("foo")
    assert made == ["1.7"]


def test_local_locations_changed_just_before_are_not_summarized(
        cache: Cache, index_server: IndexServer, make_wheel: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    links = tmp_path / "links"
    links.mkdir()
    shutil.copy(make_wheel("foo", "1.5"), links)
    settings = IndexSettings(index_url=index_server.index_url, find_links=(str(links),))
    # Changed "just now": a change within the same tick could go unseen.
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 10**18)
    assert versions(IndexSource(connect(cache, settings), tags=TAGS), "foo") == ["1.0", "1.5"]
    assert summary_files(cache) == []
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 0)
    assert versions(IndexSource(connect(cache, settings), tags=TAGS), "foo") == ["1.0", "1.5"]
    assert len(summary_files(cache)) == 1


def test_a_summary_gives_each_version_the_files_its_page_gives(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    uploaded = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    index_server.add_wheel(WheelSpec("foo", "1.0", requires_python=">=3.8"), yanked="broken",
                           upload_time=uploaded)
    index_server.add_wheel(WheelSpec("foo", "2.0", tags=["cp310-cp310-macosx_11_0_arm64"]),
                           upload_time=uploaded)
    index_server.add_sdist(SdistSpec("foo", "2.0"), upload_time=uploaded)
    index_server.add_wheel(WheelSpec("foo", "3.0"), upload_time=uploaded)
    first = source(cache, index_server)
    first.candidates(name("foo"))
    assert first.files("foo", Version("3.0")).best.is_wheel  # looked at now; the others not
    first.resolution_done()
    assert len(summary_files(cache)) == 1
    paged = {v: first.files("foo", Version(v)) for v in ("1.0", "2.0", "3.0")}
    expected = {v: (files.best, first.selection.stand_in(files), files.yanked,
                    files.requires_python) for v, files in paged.items()}
    stand_in = expected["2.0"][1]
    assert stand_in is not None and stand_in.label == "foo-2.0-cp310-cp310-macosx_11_0_arm64.whl"

    made = files_made(monkeypatch)
    second = source(cache, index_server)
    for version, (original, original_stand_in, yanked, requires_python) in expected.items():
        summarized = second.files("foo", Version(version))
        best = summarized.best
        assert best.page is not None and original.page is not None
        assert (best.page.source, best.file, best.is_wheel) == (
            original.page.source, original.file, original.is_wheel)
        assert (summarized.yanked, summarized.requires_python) == (yanked, requires_python)
        stand_in = second.selection.stand_in(summarized)
        assert (stand_in and stand_in.file) == (original_stand_in and original_stand_in.file)
    assert expected["1.0"][0].file is not None and expected["1.0"][0].file.yanked == "broken"
    # The file looked at was kept made; the others are made from their listed values when asked.
    assert "foo-3.0-py3-none-any.whl" not in made
    assert "foo-1.0-py3-none-any.whl" in made


def test_a_summary_of_a_page_from_the_network_has_the_rows_of_the_versions_looked_at(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold resolution encodes no row nobody asked for; the first later one that needs
    another version's row reads the page once and summarizes every version."""
    hot, ends, tail = summary_after_looking_at_2_0(cache, index_server, cached=False)
    assert list(hot) == [1] and tail == b""
    assert ends == b"\0\0\0\0" * 3
    reads = PageReads(monkeypatch)
    second = source(cache, index_server)
    assert len(second.candidates(name("foo"))) == 3
    assert second.files("foo", Version("2.0")).best.label == "foo-2.0-py3-none-any.whl"
    assert reads.count == 0
    assert [second.files("foo", Version(v)).best.label for v in ("1.0", "3.0")] == [
        "foo-1.0-py3-none-any.whl", "foo-3.0-py3-none-any.whl"]
    assert reads.count == 1
    second.resolution_done()
    [summary] = summary_files(cache)
    assert len(summary_tail(summary)) > 0
    third = source(cache, index_server)
    assert [third.files("foo", Version(v)).best.label for v in ("1.0", "2.0", "3.0")] == [
        f"foo-{v}-py3-none-any.whl" for v in ("1.0", "2.0", "3.0")]
    assert reads.count == 1


@pytest.mark.parametrize("universal", [True, False], ids=["universal", "target"])
def test_a_universal_summary_keeps_the_wheel_filenames_of_the_versions_looked_at(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch,
        universal: bool) -> None:
    """A universal resolution's forks ask which platforms a version's wheels serve (all its
    wheel filenames): its summary keeps them for the versions looked at, and a later one
    reads them without the page. A target's resolution never asks: its summaries do not."""
    platforms = ("manylinux_2_17_x86_64", "win_amd64", "macosx_11_0_arm64")
    for platform in platforms:
        index_server.add_wheel(WheelSpec("foo", "2.0", tags=[f"py3-none-{platform}"]))
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    kwargs: dict[str, Any] = {"universal": (3, 9)} if universal else {}
    first = source(cache, index_server, **kwargs)
    expected = first.wheel_filenames(name("foo"), Version("2.0"))
    assert expected is not None and len(expected) == (3 if universal else 1)
    first.resolution_done()

    reads = PageReads(monkeypatch)
    second = source(cache, index_server, **kwargs)
    again = second.wheel_filenames(name("foo"), Version("2.0"))
    assert again is not None and list(again) == list(expected)
    assert reads.count == (0 if universal else 1)
