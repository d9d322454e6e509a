"""``IndexSource``: which versions and files of an index a target can use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from pyffin.build import BuildError
from pyffin.cache import Cache
from pyffin.client.registry import RegistryClient, connect
from pyffin.errors import NotSupportedError
from pyffin.models.format_control import BinaryPolicy
from pyffin.models.metadata import CoreMetadata, MetadataError
from pyffin.resolver.errors import PackageNotFoundError
from pyffin.resolver.index_source import IndexSource
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
    """The versions of ``project``, as a resolution that asked only for them would leave it."""
    found = sorted(str(c.version) for c in src.candidates(name(project)))
    src.resolution_done()
    return found


def pages_in_cache(cache: Cache, server: IndexServer, project: str = "foo") -> None:
    """Leave ``project``'s page in the cache without a summary: the next source reads the page
    from there (not from the network), and summarizes every version of it."""
    from pyffin.cache import CacheBucket

    versions(source(cache, server), project)
    for path in cache.bucket(CacheBucket.SIMPLE).glob(f"**/{project}.*.rec"):
        if not path.name.startswith("_"):
            path.unlink()


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


def test_a_package_cutoff_wins_over_the_default(cache: Cache, index_server: IndexServer
                                                 ) -> None:
    for project in ("foo", "bar"):
        index_server.add_wheel(WheelSpec(project, "1.0"),
                               upload_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
        index_server.add_wheel(WheelSpec(project, "2.0"),
                               upload_time=datetime(2025, 1, 1, tzinfo=timezone.utc))
    cutoff = datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp()
    later = datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp()
    src = source(cache, index_server, exclude_newer=cutoff,
                 exclude_newer_packages={"foo": later})
    assert (versions(src, "foo"), versions(src, "bar")) == (["1.0", "2.0"], ["1.0"])
    # A package's cutoff set to none lifts the default for it alone.
    src = source(cache, index_server, exclude_newer=cutoff, exclude_newer_packages={"bar": None})
    assert (versions(src, "foo"), versions(src, "bar")) == (["1.0"], ["1.0", "2.0"])
    # Only a package cutoff: the other packages have none.
    src = source(cache, index_server, exclude_newer_packages={"bar": cutoff})
    assert (versions(src, "foo"), versions(src, "bar")) == (["1.0", "2.0"], ["1.0"])


@pytest.mark.parametrize("strategy, expected", [
    # (version, index rank): with unsafe-first-match, the first index offering it; the
    # find-links count as the first (uv merges them into every index's versions).
    ("unsafe-first-match", [("0.5", 0), ("1.0", 0), ("2.0", 0), ("3.0", 1)]),
    ("unsafe-best-match", [("0.5", 0), ("1.0", 0), ("2.0", 0), ("3.0", 0)]),
])
def test_candidates_know_their_index_for_unsafe_first_match(
        cache: Cache, index_server: IndexServer, tmp_path_factory: pytest.TempPathFactory,
        make_wheel: Any, strategy: str, expected: list[tuple[str, int]]) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0"))
    links = tmp_path_factory.mktemp("links")
    (links / make_wheel("foo", "0.5").name).write_bytes(make_wheel("foo", "0.5").read_bytes())
    with IndexServer(dist_dir=tmp_path_factory.mktemp("second")) as second:
        second.add_wheel(WheelSpec("foo", "2.0"))
        second.add_wheel(WheelSpec("foo", "3.0"))
        registry = connect(cache, IndexSettings(
            index_url=second.index_url, extra_index_urls=(index_server.index_url,),
            find_links=(str(links),), index_strategy=strategy))
        src = IndexSource(registry, tags=TAGS)
        found = sorted((str(c.version), c.index_rank) for c in src.candidates(name("foo")))
        assert found == expected
        # 2.0 is on both: the first index's file is the one used.
        best = src.files("foo", Version("2.0")).best
        assert best.page is not None and best.page.source == index_server.index_url


@pytest.mark.parametrize("spelled", ["1.0", "1.0.0"])
def test_a_version_on_find_links_and_an_index_is_taken_from_find_links(
        cache: Cache, index_server: IndexServer, tmp_path_factory: pytest.TempPathFactory,
        make_wheel: Any, spelled: str) -> None:
    """As pip and uv: the find-links file, spelled as find-links spell it (1.0 == 1.0.0: one
    candidate, however the pages arrived)."""
    index_server.add_wheel(WheelSpec("foo", spelled))
    links = tmp_path_factory.mktemp("links")
    wheel = make_wheel("foo", "1.0")
    (links / wheel.name).write_bytes(wheel.read_bytes())
    registry = connect(cache, IndexSettings(index_url=index_server.index_url,
                                            find_links=(str(links),)))
    src = IndexSource(registry, tags=TAGS)
    assert [str(c.version) for c in src.candidates(name("foo"))] == ["1.0"]
    best = src.files("foo", Version("1.0")).best
    assert best.page is not None and best.page.flat and best.file is not None
    assert best.file.filename == wheel.name


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


class PageReads:
    """Counts how often sources ask the registry for pages (each ask decodes a page)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for method in ("project", "prefetch_project"):
            original = getattr(RegistryClient, method)

            def counted(client: RegistryClient, project: str, _original: Any = original) -> Any:
                self.count += 1
                return _original(client, project)

            monkeypatch.setattr(RegistryClient, method, counted)



# ----------------------------------------------------------- metadata without building (issue 18)
class CountingSources:
    """Stands in for :class:`~pyffin.distribution.sdist.SourceDistributions`: records what the
    source asks of it and answers from ``metadata`` (what a build would give)."""

    def __init__(self, metadata: CoreMetadata | None = None) -> None:
        self.metadata = metadata
        self.cached: CoreMetadata | None = None
        self.built: list[str] = []
        self.looked_up: list[str] = []

    def registry_metadata(self, page: Any, file: Any) -> CoreMetadata:
        self.built.append(file.filename)
        if self.metadata is None:
            raise BuildError(f"{file.filename} does not build here")
        return self.metadata

    def cached_registry_metadata(self, page: Any, file: Any) -> CoreMetadata | None:
        self.looked_up.append(file.filename)
        return self.cached


def distribution_requests(server: IndexServer) -> list[str]:
    """The paths of distribution files (not ``.metadata`` files) the server was asked for."""
    return [r.path for r in server.request_log
            if r.path.startswith("/files/") and not r.path.endswith(".metadata")]


def test_a_version_installed_from_its_sdist_reads_the_metadata_of_another_wheel(
        cache: Cache, index_server: IndexServer) -> None:
    # Like scipy 1.10.1 for a cp312 target: wheels for other Pythons and platforms, and an
    # sdist that cannot be built here. uv reads one of those wheels' metadata; so does pyffin.
    index_server.add_wheel(WheelSpec("foo", "1.0", tags=["cp310-cp310-macosx_11_0_arm64"],
                                     requires_dist=["bar>=2"]))
    index_server.add_sdist(SdistSpec("foo", "1.0", fail_build="needs Fortran"))
    sources = CountingSources()
    src = source(cache, index_server, sources=sources)
    assert versions(src, "foo") == ["1.0"]  # still a candidate: installable by building
    files = src.files("foo", Version("1.0"))
    assert files.best.label == "foo-1.0.tar.gz"
    assert [d.label for d in files.usable] == ["foo-1.0.tar.gz"]
    assert src.metadata(name("foo"), Version("1.0")).requires_dist == ("bar>=2",)
    assert sources.built == []
    assert distribution_requests(index_server) == []
    assert index_server.count(
        "/files/foo-1.0-cp310-cp310-macosx_11_0_arm64.whl.metadata") == 1


def test_the_stand_in_is_the_wheel_nearest_to_the_target(cache: Cache,
                                                         index_server: IndexServer) -> None:
    old = datetime(2024, 1, 1, tzinfo=timezone.utc)
    new = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for tags in (["py2-none-any"], ["cp310-cp310-manylinux_2_17_x86_64"],
                 ["cp311-cp311-win_amd64"], ["cp311-cp311-macosx_11_0_arm64"]):
        index_server.add_wheel(WheelSpec("foo", "1.0", tags=tags), upload_time=old)
    index_server.add_wheel(WheelSpec("foo", "1.0", tags=["py311-none-any"]), upload_time=new)
    index_server.add_sdist(SdistSpec("foo", "1.0"), upload_time=old)

    def stand_in(**kwargs: Any) -> str | None:
        src = source(cache, index_server, **kwargs)
        found = src.selection.stand_in(src.files("foo", Version("1.0")))
        return None if found is None else found.label

    # Right Python and ABI on another platform first (the first listed among equals) ...
    assert stand_in(exclude_newer=datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp()) == \
        "foo-1.0-cp311-cp311-win_amd64.whl"
    # ... a wheel the target could install but --no-binary keeps out stands in best ...
    assert stand_in(binary=BinaryPolicy(no_binary=frozenset({"foo"}))) == \
        "foo-1.0-py311-none-any.whl"
    # ... and when the target can install a wheel, no stand-in is needed.
    assert stand_in() is None


def test_without_a_stand_in_python_tags_count_before_none(cache: Cache,
                                                         index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", tags=["py2-none-any"]))
    index_server.add_wheel(WheelSpec("foo", "1.0", tags=["cp311-cp311m-win32"]))
    index_server.add_sdist(SdistSpec("foo", "1.0"))
    src = source(cache, index_server)
    found = src.selection.stand_in(src.files("foo", Version("1.0")))
    assert found is not None and found.label == "foo-1.0-cp311-cp311m-win32.whl"
    index_server.add_sdist(SdistSpec("bar", "1.0"))
    assert src.selection.stand_in(src.files("bar", Version("1.0"))) is None


def test_a_broken_stand_in_falls_back_to_the_sdist(cache: Cache,
                                                   index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", tags=["cp27-cp27mu-manylinux1_x86_64"]),
                           metadata="not metadata at all")
    index_server.add_sdist(SdistSpec("foo", "1.0"))
    sources = CountingSources(CoreMetadata("foo", "1.0", requires_dist=("built",)))
    src = source(cache, index_server, sources=sources)
    versions(src, "foo")
    assert src.metadata(name("foo"), Version("1.0")).requires_dist == ("built",)
    assert sources.built == ["foo-1.0.tar.gz"]


def test_a_prefetch_never_downloads_or_builds_an_sdist(cache: Cache,
                                                       index_server: IndexServer) -> None:
    index_server.add_sdist(SdistSpec("foo", "1.0", fail_build="boom"))
    sources = CountingSources()
    src = source(cache, index_server, sources=sources)
    versions(src, "foo")
    src.prefetch(name("foo"), Version("1.0"))
    assert sources.looked_up == ["foo-1.0.tar.gz"] and sources.built == []
    assert distribution_requests(index_server) == []
    # Nothing is in flight: the solver need not wait for it.
    assert src.is_ready(name("foo"), Version("1.0"))
    # When the solver does need that version, its sdist is read (and here fails, then).
    with pytest.raises(BuildError, match="does not build here"):
        src.metadata(name("foo"), Version("1.0"))
    assert sources.built == ["foo-1.0.tar.gz"]


def test_a_prefetch_answers_from_metadata_already_read_from_the_sdist(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.add_sdist(SdistSpec("foo", "1.0"))
    sources = CountingSources()
    sources.cached = CoreMetadata("foo", "1.0", requires_dist=("cached",))
    src = source(cache, index_server, sources=sources)
    versions(src, "foo")
    src.prefetch(name("foo"), Version("1.0"))
    assert src.is_ready(name("foo"), Version("1.0"))
    assert src.metadata(name("foo"), Version("1.0")).requires_dist == ("cached",)
    assert sources.built == []


def test_a_failed_prefetch_surfaces_only_when_the_version_is_needed(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0"), metadata="Name: foo\n")  # no Version
    src = source(cache, index_server)
    versions(src, "foo")
    src.prefetch(name("foo"), Version("2.0"))  # fails in the pool, silently
    assert src.metadata(name("foo"), Version("1.0")).version == "1.0"
    with pytest.raises(MetadataError, match="no Version"):
        src.metadata(name("foo"), Version("2.0"))


def test_ctrl_c_while_reading_metadata_is_not_kept(cache: Cache, index_server: IndexServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    src = source(cache, index_server)
    versions(src, "foo")

    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(RegistryClient, "wheel_metadata", interrupted)
        with pytest.raises(KeyboardInterrupt):
            src.metadata(name("foo"), Version("1.0"))
    assert src.metadata(name("foo"), Version("1.0")).version == "1.0"


def test_the_summary_keeps_the_stand_in(cache: Cache, index_server: IndexServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", tags=["cp310-cp310-macosx_11_0_arm64"],
                                     requires_dist=["bar"]))
    index_server.add_sdist(SdistSpec("foo", "1.0"))
    index_server.add_sdist(SdistSpec("foo", "2.0"))
    pages_in_cache(cache, index_server)
    first = source(cache, index_server)
    assert first.metadata(name("foo"), Version("1.0")).requires_dist == ("bar",)
    first.resolution_done()
    reads = PageReads(monkeypatch)
    second = source(cache, index_server, sources=CountingSources())
    assert versions(second, "foo") == ["1.0", "2.0"]
    assert second.metadata(name("foo"), Version("1.0")).requires_dist == ("bar",)
    assert second.selection.stand_in(second.files("foo", Version("2.0"))) is None
    assert reads.count == 0
    assert distribution_requests(index_server) == []


def test_versions_without_a_usable_file_are_reported_with_what_they_lack(
        cache: Cache, index_server: IndexServer) -> None:
    from pyffin.resolver.source import Dropped

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0", tags=["pp310-pypy310_pp73-manylinux1_x86_64"]))
    index_server.add_wheel(WheelSpec("foo", "3.0", tags=["cp39-cp39-manylinux_2_17_x86_64",
                                                         "cp310-cp310-manylinux_2_17_x86_64"]))
    index_server.add_wheel(WheelSpec("foo", "4.0", tags=["cp311-cp311-win_amd64"]))
    index_server.add_sdist(SdistSpec("foo", "5.0"))
    # A CPython 3.11 target accepts cp39 and cp310 as Python tags (with the abi3 ABI only).
    tags = (*TAGS, "cp310-abi3-manylinux_2_17_x86_64", "cp39-abi3-manylinux_2_17_x86_64")
    registry = connect(cache, IndexSettings(index_url=index_server.index_url))
    src = IndexSource(registry, tags=tags,
                      binary=BinaryPolicy(only_binary=frozenset({"foo"})))
    assert versions(src, "foo") == ["1.0"]
    assert sorted(src.dropped(name("foo")), key=lambda d: d.version) == [
        Dropped(Version("2.0"), "python-tag", ("pp310",), "cp311"),
        Dropped(Version("3.0"), "abi-tag", ("cp39", "cp310"), "cp311"),
        Dropped(Version("4.0"), "platform-tag", ("win_amd64",), "manylinux_2_17_x86_64"),
        Dropped(Version("5.0"), "no-build", (), "--only-binary foo"),
    ]


def test_a_version_past_exclude_newer_is_not_reported_as_dropped(
        cache: Cache, index_server: IndexServer) -> None:
    late = datetime(2030, 1, 1, tzinfo=timezone.utc)
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0", tags=["cp311-cp311-win_amd64"]),
                           upload_time=late)
    src = source(cache, index_server,
                 exclude_newer=datetime(2029, 1, 1, tzinfo=timezone.utc).timestamp())
    assert versions(src, "foo") == ["1.0"]
    assert list(src.dropped(name("foo"))) == []


def test_a_legacy_sdist_name_is_a_candidate(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_sdist(SdistSpec("pybbox", "0.0.5a0", format="zip",
                                     filename="pybbox-0.0.5-alpha.zip"))
    src = source(cache, index_server)
    assert versions(src, "pybbox") == ["0.0.5a0"]
    assert src.files("pybbox", Version("0.0.5a0")).best.label == "pybbox-0.0.5-alpha.zip"


def test_the_likely_version_s_metadata_is_asked_for_as_soon_as_its_page_arrives(
        cache: Cache, index_server: IndexServer) -> None:
    # The thread that parsed the page asks for it: the solver finds it fetched (or in flight)
    # when it comes to decide, without a round trip through its own thread first.
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "1.5"))
    index_server.add_wheel(WheelSpec("foo", "2.0"), requires_python=">=3.99")
    src = source(cache, index_server)
    asked: list[tuple[str, bool, str | None]] = []

    def likely(version: Version, yanked: bool, requires_python: str | None) -> bool:
        asked.append((str(version), yanked, requires_python))
        return requires_python is None

    src.prefetch_candidates(name("foo"), likely)
    src.registry.prefetch_project("foo").result()
    assert asked == [("2.0", False, ">=3.99"), ("1.5", False, None)]
    assert src.is_ready(name("foo"), None)
    # In flight once the page is there, though nothing else was asked of the source.
    in_flight = src.metadata_futures._prefetched[(name("foo"), Version("1.5"))]
    assert in_flight.result().version == "1.5"
    assert index_server.count("/files/foo-1.5-py3-none-any.whl.metadata") == 1
    assert src.metadata(name("foo"), Version("1.5")).version == "1.5"
    assert index_server.count("/files/foo-1.5-py3-none-any.whl.metadata") == 1
    assert [r.path for r in index_server.request_log if r.path.startswith("/files/")] == [
        "/files/foo-1.5-py3-none-any.whl.metadata"]


def test_an_sdist_every_solution_has_is_built_as_soon_as_its_page_arrives(
        cache: Cache, index_server: IndexServer) -> None:
    # ``foo==1.0`` leaves one version, an sdist: the thread that parsed the page starts
    # reading its metadata (a build), in the pool, while the solver goes on; ``bar>=1.0``
    # leaves two, and its sdist waits for the solver, as a guess never builds one.
    import threading

    from pyffin.resolver.ranges import specifier_range

    index_server.add_sdist(SdistSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "0.9"))
    index_server.add_sdist(SdistSpec("bar", "1.0"))
    index_server.add_sdist(SdistSpec("bar", "1.1"))
    built: list[tuple[str, str]] = []

    class Sources:
        def cached_registry_metadata(self, page: Any, file: Any) -> None:
            return None

        def registry_metadata(self, page: Any, file: Any) -> CoreMetadata:
            built.append((file.filename, threading.current_thread().name))
            name_, version = file.filename[:-len(".tar.gz")].rsplit("-", 1)
            return CoreMetadata.parse(
                f"Metadata-Version: 2.1\nName: {name_}\nVersion: {version}\n".encode(),
                source="test")

    src = source(cache, index_server, sources=Sources())
    src.prefetch_candidates(name("foo"), lambda *_: True, specifier_range("==", "1.0"))
    src.prefetch_candidates(name("bar"), lambda *_: True, specifier_range(">=", "1.0"))
    src.registry.prefetch_project("foo").result()
    src.registry.prefetch_project("bar").result()
    src.metadata_futures.settle()
    assert [filename for filename, _ in built] == ["foo-1.0.tar.gz"]
    assert built[0][1] != threading.current_thread().name
    assert src.metadata(name("foo"), Version("1.0")).version == "1.0"
    assert src.metadata(name("bar"), Version("1.1")).version == "1.1"
    assert [filename for filename, _ in built] == ["foo-1.0.tar.gz", "bar-1.1.tar.gz"]
    assert built[1][1] == threading.current_thread().name


@pytest.mark.parametrize("guess", [True, False], ids=["likely version", "no guess"])
def test_the_summary_of_a_prefetched_page_is_written_by_the_thread_that_parsed_it(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch,
        guess: bool) -> None:
    # Not at the end of the resolution, where the solution would wait for it; also when the
    # solver makes no guess of the version it will choose (an output file's pins to keep).
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    first = source(cache, index_server)
    first.prefetch_candidates(
        name("foo"), (lambda version, yanked, requires_python: True) if guess else None)
    first.registry.prefetch_project("foo").result()
    reads = PageReads(monkeypatch)
    second = source(cache, index_server)
    assert versions(second, "foo") == ["1.0"]  # from the summary: the page is not read
    assert reads.count == 0
    assert first._versions_from_pages("foo")  # asked again: the summary is not noted twice
    assert first.summaries is not None and not first.summaries._unsaved


def test_the_candidates_of_pages_are_sorted_columns_made_once(cache: Cache,
                                                              index_server: IndexServer) -> None:
    from pyffin.resolver.source import SortedCandidates

    for version in ("1.10", "1.2", "2.0b1", "1.9"):
        index_server.add_wheel(WheelSpec("foo", version))
    src = source(cache, index_server)
    candidates = src.candidates(name("foo"))
    # Ascending already: the provider neither sorts them nor makes every Candidate.
    assert isinstance(candidates, SortedCandidates)
    assert [str(c.version) for c in candidates] == ["1.2", "1.9", "1.10", "2.0b1"]
    assert list(candidates.prerelease) == [False, False, False, True]
    assert src.candidates(name("foo")) is candidates


def test_the_solver_s_readiness_checks_ask_the_registry_for_the_pages_once(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    src = source(cache, index_server)
    asked: list[str] = []
    original = RegistryClient.prefetch_project

    def counted(client: RegistryClient, project: str, *args: Any) -> Any:
        asked.append(project)
        return original(client, project, *args)

    monkeypatch.setattr(RegistryClient, "prefetch_project", counted)
    src.prefetch_candidates(name("foo"))
    while not src.is_ready(name("foo"), None):  # the solver asks at every decision
        pass
    for _ in range(5):
        assert src.is_ready(name("foo"), None)
    assert asked == ["foo"]
