"""The metadata of each version a resolution looks at: fetched once, a failure kept like a
result, and a prefetch that never downloads or builds a source distribution."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.version import Version

from pyffin.futures import Future
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
