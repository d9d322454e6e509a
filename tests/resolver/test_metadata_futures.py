"""The metadata of each version a resolution looks at: fetched once, a failure kept like a
result, and a prefetch that never downloads or builds a source distribution on speculation —
only one whose version every solution has, in the I/O pool."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from packaging.version import Version

from pyffin.futures import Future, ThreadPool
from pyffin.models.files import IndexFile, ProjectPage
from pyffin.models.metadata import CoreMetadata, MetadataError
from pyffin.resolver.file_selection import FileSelection, VersionFiles
from pyffin.resolver.metadata_futures import MetadataFutures
from tests.resolver.test_file_selection import TAGS, page, sdist, wheel


class Registry:
    """Answers wheel metadata from ``answers`` (a value, or an exception to raise) and counts
    what it was asked."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.prefetched: list[str] = []

    def wheel_metadata(self, page: ProjectPage, file: IndexFile) -> CoreMetadata:
        self.asked.append(file.filename)
        answer = self.answers[file.filename]
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, CoreMetadata)
        return answer

    def prefetch_wheel_metadata(self, page: ProjectPage, file: IndexFile
                                ) -> Future[CoreMetadata]:
        self.prefetched.append(file.filename)
        return Future.of(self.answers[file.filename])


def metadata(version: str) -> CoreMetadata:
    return CoreMetadata.parse(f"Metadata-Version: 2.1\nName: foo\nVersion: {version}\n".encode(),
                              source="test")


def files_of(selection: FileSelection, rows: dict[str, Any]) -> dict[Version, VersionFiles]:
    return selection.usable_versions("foo", [page(rows)])


def test_metadata_is_read_once_and_a_failure_is_kept() -> None:
    selection = FileSelection(TAGS)
    found = files_of(selection, {"1.0": ([wheel("foo", "1.0")], []),
                                 "2.0": ([wheel("foo", "2.0")], [])})
    registry = Registry(**{"foo-1.0-py3-none-any.whl": metadata("1.0"),
                           "foo-2.0-py3-none-any.whl": MetadataError("broken")})
    futures = MetadataFutures(registry, None, selection)  # type: ignore[arg-type]
    for _ in range(2):
        assert futures.get("foo", Version("1.0"), lambda: found[Version("1.0")]).version == "1.0"
        with pytest.raises(MetadataError, match="broken"):
            futures.get("foo", Version("2.0"), lambda: found[Version("2.0")])
    assert registry.asked == ["foo-1.0-py3-none-any.whl", "foo-2.0-py3-none-any.whl"]


def test_a_prefetch_asks_for_wheel_metadata_and_declines_an_sdist_only_version() -> None:
    selection = FileSelection(TAGS)
    found = files_of(selection, {"1.0": ([wheel("foo", "1.0")], []),
                                 "2.0": ([], [sdist("foo", "2.0")])})
    registry = Registry(**{"foo-1.0-py3-none-any.whl": metadata("1.0")})
    futures = MetadataFutures(registry, None, selection)  # type: ignore[arg-type]
    futures.prefetch("foo", Version("1.0"), found[Version("1.0")])
    futures.prefetch("foo", Version("1.0"), found[Version("1.0")])
    assert registry.prefetched == ["foo-1.0-py3-none-any.whl"]  # once
    assert futures.is_ready("foo", Version("1.0"))
    # Only its sdist could tell, and speculation never builds: nothing to wait for.
    assert not futures.is_ready("foo", Version("2.0"))
    futures.prefetch("foo", Version("2.0"), found[Version("2.0")])
    assert futures.is_ready("foo", Version("2.0")) and registry.prefetched == [
        "foo-1.0-py3-none-any.whl"]


def test_a_pinned_version_is_known_without_asking() -> None:
    futures = MetadataFutures(Registry(), None, FileSelection(TAGS))  # type: ignore[arg-type]
    futures.pin("foo", Version("3.0"), metadata("3.0"))
    assert futures.is_ready("foo", Version("3.0"))
    assert futures.get("foo", Version("3.0"), lambda: pytest.fail("not read")).version == "3.0"


class Sources:
    """Reads an sdist's metadata (as its build would tell it: ``answer``, or an exception to
    raise), noting the thread that asked."""

    def __init__(self, answer: CoreMetadata | Exception) -> None:
        self.answer = answer
        self.threads: list[str] = []

    def cached_registry_metadata(self, page: ProjectPage, file: IndexFile) -> None:
        return None

    def registry_metadata(self, page: ProjectPage, file: IndexFile) -> CoreMetadata:
        self.threads.append(threading.current_thread().name)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def pooled_registry() -> Registry:
    registry = Registry()
    registry.pool = ThreadPool(2, "test-pool")  # type: ignore[attr-defined]
    return registry


def test_an_sdist_every_solution_has_is_read_in_the_pool_and_asked_for_once() -> None:
    # A version a direct requirement leaves alone (``foo==2.0``): its sdist is built in the
    # I/O pool as soon as it is known, beside the others, not when the solver comes to it.
    selection = FileSelection(TAGS)
    found = files_of(selection, {"2.0": ([], [sdist("foo", "2.0")])})
    sources = Sources(metadata("2.0"))
    futures = MetadataFutures(pooled_registry(), sources, selection)  # type: ignore[arg-type]
    futures.prefetch("foo", Version("2.0"), found[Version("2.0")])
    assert sources.threads == []  # on speculation: declined, as before
    futures.prefetch("foo", Version("2.0"), found[Version("2.0")], certain=True)
    futures.prefetch("foo", Version("2.0"), found[Version("2.0")], certain=True)
    futures.settle()
    assert futures.is_ready("foo", Version("2.0"))
    assert futures.get("foo", Version("2.0"), lambda: pytest.fail("read again")).version == "2.0"
    assert len(sources.threads) == 1 and sources.threads[0] != threading.current_thread().name


def test_a_failed_build_of_a_certain_sdist_is_kept_for_the_solver() -> None:
    selection = FileSelection(TAGS)
    found = files_of(selection, {"2.0": ([], [sdist("foo", "2.0")])})
    sources = Sources(MetadataError("the build failed"))
    futures = MetadataFutures(pooled_registry(), sources, selection)  # type: ignore[arg-type]
    futures.prefetch("foo", Version("2.0"), found[Version("2.0")], certain=True)
    futures.settle()  # the resolution is over: waits, raises nothing
    for _ in range(2):
        with pytest.raises(MetadataError, match="the build failed"):
            futures.get("foo", Version("2.0"), lambda: found[Version("2.0")])
    assert len(sources.threads) == 1


def test_a_certain_version_with_a_wheel_is_prefetched_as_any_other() -> None:
    selection = FileSelection(TAGS)
    found = files_of(selection, {"1.0": ([wheel("foo", "1.0")], [sdist("foo", "1.0")])})
    registry = Registry(**{"foo-1.0-py3-none-any.whl": metadata("1.0")})
    sources = Sources(metadata("1.0"))
    futures = MetadataFutures(registry, sources, selection)  # type: ignore[arg-type]
    futures.prefetch("foo", Version("1.0"), found[Version("1.0")], certain=True)
    assert registry.prefetched == ["foo-1.0-py3-none-any.whl"] and sources.threads == []


class CachedSources(Sources):
    """An sdist whose built metadata the cache has."""

    def cached_registry_metadata(self, page: ProjectPage, file: IndexFile  # type: ignore[override]
                                 ) -> CoreMetadata:
        assert isinstance(self.answer, CoreMetadata)
        return self.answer


def test_only_an_sdist_whose_metadata_the_cache_lacks_builds() -> None:
    """What a resolution of first choices asks before reading a version: a wheel (or a
    stand-in) tells without a build, so does an sdist built before; another sdist does not."""
    selection = FileSelection(TAGS)
    found = files_of(selection, {"1.0": ([wheel("foo", "1.0")], [sdist("foo", "1.0")]),
                                 "2.0": ([], [sdist("foo", "2.0")])})
    futures = MetadataFutures(Registry(), Sources(metadata("2.0")),  # type: ignore[arg-type]
                              selection)
    assert not futures.builds("foo", Version("1.0"), found[Version("1.0")])
    assert futures.builds("foo", Version("2.0"), found[Version("2.0")])
    futures.pin("foo", Version("2.0"), metadata("2.0"))
    assert not futures.builds("foo", Version("2.0"), found[Version("2.0")])  # known now
    sources = CachedSources(metadata("2.0"))
    cached = MetadataFutures(Registry(), sources, selection)  # type: ignore[arg-type]
    assert not cached.builds("foo", Version("2.0"), found[Version("2.0")])
    assert cached.get("foo", Version("2.0"), lambda: pytest.fail("read again")).version == "2.0"
    assert sources.threads == []  # never built
