"""``RegistryClient``: which index answers for a project, find-links, and wheel metadata by
``.metadata`` file, range requests or download — counted on the local index server."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyffin import log
from pyffin.cache import Cache, CacheBucket, index_parts
from pyffin.cache.core import TEMP_DIRNAME
from pyffin.client.errors import (
    AuthenticationError,
    DownloadStatusError,
    HashMismatchError,
    OfflineError,
)
from pyffin.client.registry import PackageNotFoundError, RegistryClient, connect
from pyffin.models.metadata import MetadataError
from pyffin.settings import IndexSettings
from tests.support.calls import Calls
from tests.support.dists import WheelSpec, build_wheel
from tests.support.index import IndexServer


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


def client(cache: Cache, *indexes: IndexServer, offline: bool = False,
           **settings: Any) -> RegistryClient:
    if indexes:
        settings.setdefault("index_url", indexes[0].index_url)
        settings.setdefault("extra_index_urls", tuple(s.index_url for s in indexes[1:]))
    return connect(cache, IndexSettings(**settings), offline=offline)


@pytest.fixture
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(dist_dir=tmp_path_factory.mktemp("second")) as server:
        yield server


def versions(registry: RegistryClient, name: str) -> dict[str, list[str]]:
    return {p.source: sorted(p.page.versions) for p in registry.project(name)}


def test_extra_index_comes_first_and_the_first_that_knows_a_project_wins(
        cache: Cache, index_server: IndexServer, second_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    second_server.add_wheel(WheelSpec("foo", "9.0"))
    second_server.add_wheel(WheelSpec("bar", "1.0"))
    index_server.add_wheel(WheelSpec("baz", "1.0"))
    registry = client(cache, index_server, second_server)
    assert versions(registry, "foo") == {second_server.index_url: ["9.0"]}
    assert index_server.count("/simple/foo/") == 0
    assert versions(registry, "baz") == {index_server.index_url: ["1.0"]}
    assert second_server.count("/simple/baz/") == 1  # asked first, 404


@pytest.mark.parametrize("strategy", ["unsafe-best-match", "unsafe-first-match"])
def test_the_unsafe_strategies_read_every_index(cache: Cache, index_server: IndexServer,
                                                second_server: IndexServer,
                                                strategy: str) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    second_server.add_wheel(WheelSpec("foo", "9.0"))
    registry = client(cache, index_server, second_server, index_strategy=strategy)
    assert [p.source for p in registry.project("foo")] == [second_server.index_url,
                                                           index_server.index_url]
    assert versions(registry, "foo") == {second_server.index_url: ["9.0"],
                                         index_server.index_url: ["1.0"]}


def test_every_index_is_asked_at_once_when_every_index_is_read(
        cache: Cache, index_server: IndexServer, second_server: IndexServer,
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """uv's unsafe strategies (and --torch-backend auto, 27 CUDA indexes) ask the indexes
    together: the pages are awaited side by side, not one after the other. Each ask waits
    here until the three meet; asked in turn, the first would wait alone and fail."""
    with IndexServer(dist_dir=tmp_path_factory.mktemp("third")) as third_server:
        for server, version in ((index_server, "1.0"), (second_server, "2.0"),
                                (third_server, "3.0")):
            server.add_wheel(WheelSpec("foo", version))
        registry = client(cache, index_server, second_server, third_server,
                          index_strategy="unsafe-first-match")
        meeting = threading.Barrier(3, timeout=10)
        real = registry._index_page

        def index_page(index: str, name: str, **kwargs: Any) -> Any:
            meeting.wait()
            return real(index, name, **kwargs)

        monkeypatch.setattr(registry, "_index_page", index_page)
        assert versions(registry, "foo") == {second_server.index_url: ["2.0"],
                                             third_server.index_url: ["3.0"],
                                             index_server.index_url: ["1.0"]}
        # In the indexes' order, whatever order they answered in.
        assert [p.source for p in registry.project("foo")] == [
            second_server.index_url, third_server.index_url, index_server.index_url]


@pytest.mark.parametrize("status", [401, 403])
def test_an_index_that_refuses_access_does_not_have_it_when_every_index_is_read(
        cache: Cache, index_server: IndexServer, second_server: IndexServer,
        status: int) -> None:
    """As uv has it for its unsafe strategies (PyTorch's CDN answers 403 for the CUDA
    indexes it lacks, which --torch-backend auto asks); first-index says it is refused."""
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    second_server.fail("/simple/foo/", status)
    registry = client(cache, index_server, second_server, index_strategy="unsafe-first-match")
    assert versions(registry, "foo") == {index_server.index_url: ["1.0"]}
    with Cache(cache.root.parent / "other") as other, \
            pytest.raises(AuthenticationError, match="refused access"):
        client(other, index_server, second_server).project("foo")


def test_not_found_names_every_index_asked(cache: Cache, index_server: IndexServer,
                                           second_server: IndexServer, tmp_path: Path) -> None:
    registry = client(cache, index_server, second_server, find_links=(str(tmp_path),))
    with pytest.raises(PackageNotFoundError) as info:
        registry.project("nothere")
    message = str(info.value)
    assert message.startswith("nothere was not found in the package registry (asked: ")
    for where in (index_server.index_url, second_server.index_url, str(tmp_path)):
        assert where in message


def test_an_authentication_failure_names_the_index(cache: Cache,
                                                   index_server: IndexServer) -> None:
    index_server.fail("/simple/foo/", 403)
    with pytest.raises(AuthenticationError, match="/simple/foo/ refused access"):
        client(cache, index_server).project("foo")


def test_names_are_normalized(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("Foo.Bar_baz", "1.0"))
    assert versions(client(cache, index_server), "FOO_bar.Baz") == {
        index_server.index_url: ["1.0"]}
    assert index_server.count("/simple/foo-bar-baz/") == 1


def test_a_project_forgotten_is_read_again(cache: Cache, index_server: IndexServer) -> None:
    """A client keeps each project's pages for its life, unless told to let them go (a page
    worker done with a project): asked for again, they are read again (here with a request:
    this server's pages carry no max-age, so the cache record is revalidated)."""
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    registry = client(cache, index_server)
    first = registry.project("foo")
    assert registry.project("Foo") is first  # kept
    registry.forget_project("FOO")
    again = registry.project("foo")
    assert again is not first
    assert [p.page.to_record() for p in again] == [p.page.to_record() for p in first]
    assert index_server.count("/simple/foo/") == 2


def test_find_links_directory_with_no_index(cache: Cache, dist_dir: Path) -> None:
    build_wheel(WheelSpec("foo", "1.0", requires_dist=["bar"]), dist_dir)
    (dist_dir / "notes.txt").write_text("not a distribution")
    registry = client(cache, no_index=True, find_links=(str(dist_dir),))
    [page] = registry.project("foo")
    assert page.flat and sorted(page.page.versions) == ["1.0"]
    wheel = next(page.page.wheels("1.0")).file
    assert registry.wheel_metadata(page, wheel).requires_dist == ("bar",)


def test_find_links_html_page(cache: Cache, index_server: IndexServer, tmp_path: Path) -> None:
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    links = tmp_path / "links.html"
    links.write_text(f'<a href="{index_server.file_url(wheel.name)}">{wheel.name}</a>')
    registry = client(cache, no_index=True, find_links=(links.as_uri(),))
    [page] = registry.project("foo")
    meta = registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)
    assert (meta.name, meta.version) == ("foo", "1.0")


def test_file_index_laid_out_as_simple_name_index_html(cache: Cache, tmp_path: Path) -> None:
    files = tmp_path / "files"
    wheel = build_wheel(WheelSpec("foo", "1.0"), files)
    project = tmp_path / "simple" / "foo"
    project.mkdir(parents=True)
    (project / "index.html").write_text(f'<a href="../../files/{wheel.name}">{wheel.name}</a>')
    registry = client(cache, index_url=(tmp_path / "simple").as_uri())
    [page] = registry.project("foo")
    assert registry.wheel_metadata(page, next(page.page.wheels("1.0")).file).version == "1.0"
    with pytest.raises(PackageNotFoundError):
        registry.project("bar")


def test_metadata_from_the_pep658_file(cache: Cache, index_server: IndexServer) -> None:
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0", requires_dist=["bar>=2"],
                                             requires_python=">=3.8", extras=["x"]))
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    meta = registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)
    assert meta.requires_dist == ("bar>=2",) and meta.requires_python == ">=3.8"
    assert meta.provides_extra == ("x",)
    assert index_server.count(f"/files/{wheel.name}.metadata") == 1
    assert index_server.count(f"/files/{wheel.name}") == 0


def test_a_metadata_file_with_the_wrong_hash_is_refused(cache: Cache,
                                                        index_server: IndexServer) -> None:
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.corrupt(f"/files/{wheel.name}.metadata")
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for .*{wheel.name}.metadata"):
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)


@pytest.mark.parametrize("json_api", [True, False], ids=["json", "html"])
def test_a_metadata_file_is_checked_against_the_strongest_hash_listed(
        cache: Cache, index_server: IndexServer, json_api: bool) -> None:
    index_server.json_api = json_api
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.set_hashes(wheel.name, metadata={"sha512": "0" * 128})
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for {wheel.name}.metadata .*"
                                                r"the index says sha512:0+"):
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)


def test_a_full_download_for_the_metadata_is_checked_against_the_strongest_hash(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.metadata_files = False
    index_server.ranges = False
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.set_hashes(wheel.name, {"sha384": "0" * 96})
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    with pytest.raises(HashMismatchError, match=r"the index says sha384:0+"):
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)
    assert not cache.entry(CacheBucket.WHEELS, *index_parts(index_server.index_url),
                           wheel.name).path.exists()


def test_metadata_by_range_requests(cache: Cache, index_server: IndexServer,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.metadata_files = False
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0", requires_dist=["bar"]))
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    temporary = Calls(monkeypatch, Cache, "temp_dir")
    assert registry.wheel_metadata(page, next(page.page.wheels("1.0")).file).requires_dist == (
        "bar",)
    requests = [r for r in index_server.request_log if r.path == f"/files/{wheel.name}"]
    assert [r.headers.get("range") for r in requests] == ["bytes=-65536"]
    assert not cache.entry(CacheBucket.WHEELS, *index_parts(index_server.index_url),
                           wheel.name).path.exists()
    # Nothing on disk for a server that honours Range: no temporary directory either.
    assert temporary.count == 0


@pytest.mark.parametrize("status", [404, 410])
def test_a_listed_metadata_file_the_index_does_not_serve_is_read_from_the_wheel(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch,
        status: int) -> None:
    # Some mirrors list a metadata file for every wheel and answer 404 for it: the wheel,
    # which they do serve, has its own. Said once per index, not once per wheel.
    captured: list[str] = []
    monkeypatch.setattr(log, "_warned", set())
    monkeypatch.setattr(log, "_sink", lambda level, message: captured.append(message))
    first = index_server.add_wheel(WheelSpec("foo", "1.0", requires_dist=["bar"]))
    second = index_server.add_wheel(WheelSpec("foo", "2.0", requires_dist=["baz"]))
    for wheel in (first, second):
        index_server.fail(f"/files/{wheel.name}.metadata", status)
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    assert registry.wheel_metadata(page, next(page.page.wheels("1.0")).file).requires_dist == (
        "bar",)
    assert registry.wheel_metadata(page, next(page.page.wheels("2.0")).file).requires_dist == (
        "baz",)
    for wheel in (first, second):
        assert index_server.count(f"/files/{wheel.name}.metadata") == 1
        assert [r.headers.get("range") for r in index_server.request_log
                if r.path == f"/files/{wheel.name}"] == ["bytes=-65536"]
    assert captured == [
        f"{index_server.index_url} lists metadata files it does not serve (HTTP {status} for "
        f"{first.name}.metadata): reading the wheels' own instead"]
    # Kept under the wheel's hash: the next process asks for neither.
    index_server.request_log.clear()
    again = client(cache, index_server)
    [page] = again.project("foo")
    assert again.wheel_metadata(page, next(page.page.wheels("1.0")).file).requires_dist == (
        "bar",)
    assert not [r for r in index_server.request_log if r.path.startswith("/files/")]


def test_a_metadata_file_that_fails_otherwise_is_a_distribution_that_failed(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_HTTP_RETRIES", "0")
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.fail(f"/files/{wheel.name}.metadata", 500)
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    with pytest.raises(DownloadStatusError, match=rf"{wheel.name}\.metadata") as raised:
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)
    assert raised.value.status == 500 and raised.value.exit_code == 1
    assert index_server.count(f"/files/{wheel.name}") == 0  # no guess from the wheel


def test_range_reads_of_a_large_wheel_fetch_only_parts(cache: Cache,
                                                       index_server: IndexServer) -> None:
    index_server.metadata_files = False
    rng = random.Random(0)
    big = {f"foo/data{i}.bin": rng.randbytes(100_000) for i in range(20)}  # incompressible
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0", files=big))
    assert wheel.stat().st_size > 1_000_000
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    assert registry.wheel_metadata(page, next(page.page.wheels("1.0")).file).version == "1.0"
    ranges = [r.headers.get("range") for r in index_server.request_log
              if r.path == f"/files/{wheel.name}"]
    assert ranges == ["bytes=-65536"]  # the central directory and METADATA sit at the end


def test_a_server_that_ignores_range_gives_a_full_download_kept_for_install(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.metadata_files = False
    index_server.ranges = False
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    assert registry.wheel_metadata(page, next(page.page.wheels("1.0")).file).name == "foo"
    kept = cache.entry(CacheBucket.WHEELS, *index_parts(index_server.index_url), wheel.name)
    assert kept.read() == wheel.read_bytes()
    assert not any((cache.root / TEMP_DIRNAME).iterdir())  # its temporary directory is gone


def test_metadata_must_match_the_filename(cache: Cache, index_server: IndexServer,
                                          dist_dir: Path) -> None:
    bad = build_wheel(WheelSpec("foo", "1.0"), dist_dir,
                      metadata_override="Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    index_server.add_file(bad, metadata="Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    with pytest.raises(MetadataError, match=r"describes evil 1\.0, but the filename says foo 1\.0"):
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)


def test_checking_metadata_against_its_filename_imports_no_tags_module() -> None:
    # packaging.utils's parser would import packaging.tags (with platform, subprocess and
    # sysconfig): ~6 ms of each page worker's first metadata, for tags the check never reads.
    code = (
        "import sys\n"
        "from pyffin.client.registry import _checked_metadata\n"
        "data = b'Metadata-Version: 2.1\\nName: Foo.Bar\\nVersion: 1.0.0\\n'\n"
        "m = _checked_metadata(data, None, 'https://x/foo_bar-1.0-py3-none-any.whl.metadata',"
        " (), filename='foo_bar-1.0-py3-none-any.whl')\n"
        "assert m.name == 'Foo.Bar', m.name\n"
        "print(sorted(n for n in sys.modules if n.startswith('packaging')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "packaging.tags" not in result.stdout


def test_metadata_of_a_wheel_whose_filename_has_no_valid_version_is_refused() -> None:
    from pyffin.client.registry import _checked_metadata

    with pytest.raises(MetadataError, match=r"foo-1\.0\.x-py3-none-any\.whl is not a wheel "):
        _checked_metadata(b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n", None,
                          "https://x/foo-1.0.x-py3-none-any.whl.metadata", (),
                          filename="foo-1.0.x-py3-none-any.whl")


def test_a_cold_run_reads_no_record_of_a_directory_that_was_not_there(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # In no thread: a failed open per page and two per metadata file (the content-addressed
    # look, then the usual one) are system calls that hand the interpreter lock around.
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("bar", "1.0"))
    index_server.metadata_files = False  # and metadata read by range requests
    index_server.add_wheel(WheelSpec("baz", "1.0"))
    reads: list[str] = []
    real_read = Cache.read_stamped_record

    def counted(self: Cache, entry: Any, decode: Any) -> Any:
        reads.append(entry.name)
        return real_read(self, entry, decode)

    monkeypatch.setattr(Cache, "read_stamped_record", counted)
    cold = client(cache, index_server)
    for name in ("foo", "bar", "baz"):
        page = cold.project(name)[0]
        wheel = next(page.page.wheels("1.0")).file
        assert cold.wheel_metadata(page, wheel).name == name
    assert reads == []
    requests = index_server.count()
    warm = client(cache, index_server)
    for name in ("foo", "bar", "baz"):
        page = warm.project(name)[0]
        assert warm.wheel_metadata(page, next(page.page.wheels("1.0")).file).name == name
    assert index_server.count() == requests  # what the cold run wrote is found


def test_a_warm_second_run_makes_no_request(cache: Cache, index_server: IndexServer) -> None:
    index_server.metadata_files = False
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    for _ in range(2):
        registry = client(cache, index_server)
        [page] = registry.project("foo")
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)
    assert index_server.count() == 2  # the page and one range request, both on the first run


@pytest.mark.parametrize("metadata_files", [True, False])
def test_the_metadata_of_a_listed_hash_is_read_again_at_any_age(
        cache: Cache, index_server: IndexServer, metadata_files: bool) -> None:
    """An index that sends no cache headers (every stored response is stale at once): the
    page is asked again each run, but the metadata of a wheel the page lists with its sha256
    is that wheel's for good (its record is keyed by the hash), so it is not fetched again."""
    index_server.metadata_files = metadata_files
    index_server.set_cache_control(None)
    index_server.etag = index_server.last_modified = False
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0", requires_dist=["bar"]))
    for _ in range(3):
        registry = client(cache, index_server)
        [page] = registry.project("foo")
        assert registry.wheel_metadata(page, next(page.page.wheels("1.0")).file
                                       ).requires_dist == ("bar",)
    assert index_server.count("/simple/foo/") == 3
    metadata = [r for r in index_server.request_log if r.path.startswith(f"/files/{wheel.name}")]
    assert len(metadata) == 1


def test_a_page_sent_again_without_validators_is_not_parsed_again(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index that sends no cache headers and no validators: each run asks for the page
    again, in full; the same bytes are neither parsed again nor stored again (what derives
    from the record, as summaries and kept resolutions, holds); changed bytes are."""
    index_server.set_cache_control(None)
    index_server.etag = index_server.last_modified = False
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    from pyffin.client import simple

    parses = Calls(monkeypatch, simple, "parse_page")
    page = cache.entry(CacheBucket.SIMPLE, *index_parts(index_server.index_url), "foo.rec")
    client(cache, index_server).project("foo")
    stamp = page.stamp()
    for _ in range(2):
        [found] = client(cache, index_server).project("foo")
        assert sorted(found.page) == ["1.0"]
    assert index_server.count("/simple/foo/") == 3 and parses.count == 1
    assert page.stamp() == stamp
    index_server.add_wheel(WheelSpec("foo", "2.0"))
    [found] = client(cache, index_server).project("foo")
    assert sorted(found.page) == ["1.0", "2.0"]
    assert parses.count == 2 and page.stamp() != stamp


def test_the_metadata_of_a_file_listed_without_a_hash_follows_its_cache_headers(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.set_cache_control(None)
    index_server.etag = index_server.last_modified = False
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.set_hashes(wheel.name, {}, metadata={})
    for _ in range(2):
        registry = client(cache, index_server)
        [page] = registry.project("foo")
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)
    assert index_server.count(f"/files/{wheel.name}.metadata") == 2


def test_refresh_fetches_the_metadata_of_a_listed_hash_again(
        cache: Cache, index_server: IndexServer) -> None:
    from pyffin.client.cached import Refresh

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    for refresh in (False, True):
        registry = connect(cache, IndexSettings(index_url=index_server.index_url),
                           refresh=Refresh(all=True) if refresh else None)
        [page] = registry.project("foo")
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)
    assert index_server.count("/files/foo-1.0-py3-none-any.whl.metadata") == 2


def test_offline_miss_names_the_project_and_the_index(cache: Cache,
                                                      index_server: IndexServer) -> None:
    with pytest.raises(OfflineError, match=r"foo is not in the cache for http://127\.0\.0\.1"):
        client(cache, index_server, offline=True).project("foo")


def test_concurrent_lookups_make_one_request(cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.delay("/simple/foo/", 0.2)
    registry = client(cache, index_server)
    threads = [threading.Thread(target=registry.project, args=("foo",)) for _ in range(8)]
    for t in threads:
        t.start()
    futures = [registry.prefetch_project("foo") for _ in range(4)]
    for t in threads:
        t.join()
    assert all(f.result()[0].page.name == "foo" for f in futures)
    assert index_server.count("/simple/foo/") == 1


def test_a_metadata_member_larger_than_the_limit_is_refused_unread(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch,
        dist_dir: Path) -> None:
    monkeypatch.setenv("PYFFIN_MAX_PAGE_BYTES", "100000")
    index_server.metadata_files = False
    huge = "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n\n" + "x" * 200_000
    index_server.add_file(build_wheel(WheelSpec("foo", "1.0"), dist_dir,
                                      metadata_override=huge))
    registry = client(cache, index_server)
    [page] = registry.project("foo")
    with pytest.raises(MetadataError, match=r"foo-1\.0\.dist-info/METADATA in .* would "
                                            r"decompress to \d+ bytes, more than the 100000"):
        registry.wheel_metadata(page, next(page.page.wheels("1.0")).file)


def test_the_state_of_a_page_read_is_public_for_records_derived_from_it(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    registry = client(cache, index_server)
    single = registry.single_page_entry("foo")
    assert single is not None and single[0] == index_server.index_url
    assert registry.page_validity(single[1]) is None  # not read yet
    registry.project("foo")
    state = registry.page_validity(single[1])
    assert state is not None
    policy, stamp = state
    assert stamp == single[1].stamp() and registry.usable_without_network(policy, "foo")
    assert client(cache, index_server, find_links=("/nowhere",)).single_page_entry("foo") is None


def test_a_listed_file_streams_through_the_client(cache: Cache, index_server: IndexServer
                                                  ) -> None:
    wheel = index_server.add_wheel(WheelSpec("foo", "1.0"))
    chunks: list[bytes] = []
    client(cache, index_server).stream(index_server.file_url(wheel.name), chunks.append,
                                       chunks.clear)
    assert b"".join(chunks) == wheel.read_bytes()


def test_a_cold_cache_is_not_read_for_each_lookup(cache: Cache, index_server: IndexServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # In the calling thread (the solver's), each failed read would wait for the interpreter
    # lock that the threads parsing pages hold; the pool's own reads do not matter.
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("bar", "1.0"))
    reads: list[str] = []
    real_read = Cache.read_stamped_record

    def counted(self: Cache, entry: Any, decode: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            reads.append(entry.name)
        return real_read(self, entry, decode)

    monkeypatch.setattr(Cache, "read_stamped_record", counted)
    cold = client(cache, index_server)
    for name in ("foo", "bar"):
        page = cold.prefetch_project(name).result()[0]
        wheel = next(page.page.wheels("1.0")).file
        assert cold.prefetch_wheel_metadata(page, wheel).result().name == name
    assert reads == []
    requests = index_server.count()
    warm = client(cache, index_server)  # a later process reads what the first one wrote
    for name in ("foo", "bar"):
        page = warm.prefetch_project(name).result()[0]
        wheel = next(page.page.wheels("1.0")).file
        assert warm.prefetch_wheel_metadata(page, wheel).result().name == name
    assert index_server.count() == requests
    assert len(reads) == 4


def test_pages_are_parsed_one_at_a_time_the_awaited_one_first_then_in_asking_order() -> None:
    # Parsing holds the interpreter lock: pages parsed together would all arrive late.
    import time

    from pyffin.client.registry import _Turns

    turns = _Turns()
    for project in ("first", "second", "third", "awaited"):
        turns.asked(project)
    parsed: list[str] = []
    inside = 0
    most_inside = 0
    lock = threading.Lock()

    def parse(project: str) -> None:
        nonlocal inside, most_inside
        with turns.turn(project):
            with lock:
                inside += 1
                most_inside = max(most_inside, inside)
            parsed.append(project)
            with lock:
                inside -= 1

    with turns.turn("first"):  # the others queue up meanwhile
        threads = [threading.Thread(target=parse, args=(p,))
                   for p in ("third", "awaited", "second")]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(turns._waiting) < 3 and time.monotonic() < deadline:
            time.sleep(0.001)
        turns.urgent("awaited")
    for thread in threads:
        thread.join()
    assert parsed == ["awaited", "second", "third"]
    assert most_inside == 1


def test_a_parse_that_ends_wakes_only_the_next_one() -> None:
    # Waking every waiter at every turn cost a cold resolve a thousand thread switches.
    import time

    from pyffin.client.registry import _Turns

    turns = _Turns()
    names = ["a", "b", "c", "d"]
    for project in names:
        turns.asked(project)
    order: list[str] = []
    release = threading.Event()

    def parse(project: str) -> None:
        with turns.turn(project):
            order.append(project)
            release.wait(10)

    with turns.turn("first"):
        threads = [threading.Thread(target=parse, args=(p,), daemon=True) for p in names]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(turns._waiting) < 4 and time.monotonic() < deadline:
            time.sleep(0.001)
    deadline = time.monotonic() + 10
    while not order and time.monotonic() < deadline:
        time.sleep(0.001)
    assert order == ["a"]
    # The others were not woken: each still waits on the lock only its turn releases.
    assert sorted((name, lock.locked()) for name, lock in turns._waiting) == [
        ("b", True), ("c", True), ("d", True)]
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == names


def test_a_parse_interrupted_while_it_waits_for_its_turn_leaves_the_queue() -> None:
    import signal
    import time

    from pyffin.client.registry import _Turns

    turns = _Turns()
    busy = threading.Event()
    finish = threading.Event()

    def first() -> None:
        with turns.turn("first"):
            busy.set()
            finish.wait(10)

    holder = threading.Thread(target=first, daemon=True)
    holder.start()
    assert busy.wait(10)
    main = threading.get_ident()

    def interrupt() -> None:
        deadline = time.monotonic() + 10
        while not turns._waiting and time.monotonic() < deadline:
            time.sleep(0.001)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt), turns.turn("second"):
        pass
    assert turns._waiting == []
    finish.set()
    holder.join(10)
    with turns.turn("third"):  # the turns go on: nothing waits for the one that left
        pass
    assert turns._owner is None


def test_a_cold_run_fetches_the_requirements_pages_early_and_a_warm_one_does_not(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("bar", "1.0"))
    cold = client(cache, index_server)
    cold.prefetch_if_cold(["foo", "Bar"])
    # Asked later with what to do once they are there: done in a pool thread.
    seen: list[list[str]] = []
    done = threading.Event()

    def then(pages: Any) -> None:
        seen.append(sorted(pages[0].page.versions))
        done.set()

    cold.prefetch_project("foo", then).result()
    assert done.wait(10) and seen == [["1.0"]]
    assert cold.project("bar")
    assert index_server.count("/simple/foo/") == index_server.count("/simple/bar/") == 1
    warm = client(cache, index_server)

    def pins() -> dict[str, str]:
        raise AssertionError("a warm run's pins are not worked out")

    warm.prefetch_if_cold(["foo", "bar"], pins)
    assert index_server.count("/simple/foo/") == index_server.count("/simple/bar/") == 1
    assert not warm._bare


def _requests_for(server: IndexServer, path: str, count: int) -> int:
    """Requests ``server`` received for ``path`` once it has ``count`` of them (or 10 s on):
    what the pool was handed is done meanwhile."""
    import time

    deadline = time.monotonic() + 10
    while server.count(path) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return server.count(path)


def test_a_cold_run_fetches_a_pinned_pure_wheel_s_metadata_with_its_page(
        cache: Cache, index_server: IndexServer) -> None:
    from tests.support.dists import wheel_filename

    # A locked file's pins. The single wheel of a pinned version, pure Python 3, is the one
    # every Python 3 target takes: its metadata is asked for as soon as its page is there,
    # before the target is known. Which of several wheels is taken is the target's to say.
    pure = WheelSpec("pure", "1.0")
    index_server.add_wheel(pure)
    index_server.add_wheel(WheelSpec("pure", "2.0"))
    native = WheelSpec("native", "1.0", tags=["cp311-cp311-manylinux_2_17_x86_64"])
    index_server.add_wheel(native)
    index_server.add_wheel(WheelSpec("twice", "1.0"))
    index_server.add_wheel(WheelSpec("twice", "1.0", tags=["py2-none-any"]))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    registry = client(cache, index_server)
    registry.prefetch_if_cold(["pure", "native", "twice", "other"], lambda: {
        "pure": "1.0", "native": "1.0", "twice": "1.0", "other": "3.0"})
    pages = {name: registry.project(name)[0] for name in ("pure", "native", "twice", "other")}
    metadata = f"/files/{wheel_filename(pure)}.metadata"
    assert _requests_for(index_server, metadata, 1) == 1
    # Nothing else was asked for: the others' decision was made before their pages were
    # handed over.
    assert sum(1 for r in index_server.request_log if r.path.endswith(".metadata")) == 1
    # The resolution then finds it there.
    wheel = next(pages["pure"].page.wheels("1.0")).file
    assert registry.wheel_metadata(pages["pure"], wheel).version == "1.0"
    assert index_server.count(metadata) == 1


def test_a_pinned_wheel_s_metadata_is_not_fetched_early_without_its_file_or_from_two_pages(
        cache: Cache, index_server: IndexServer, tmp_path: Path) -> None:
    # Without a metadata file only the wheel itself would tell (a range request): that waits
    # for the resolution. A version on two indexes (the strategy reads both): which page's
    # wheel is taken is the resolution's to say.
    with IndexServer(dist_dir=tmp_path / "bare", metadata_files=False) as bare, \
            IndexServer(dist_dir=tmp_path / "extra") as extra, \
            Cache(tmp_path / "other-cache") as other:
        bare.add_wheel(WheelSpec("plain", "1.0"))
        registry = client(cache, bare)
        registry.prefetch_if_cold(["plain"], lambda: {"plain": "1.0"})
        assert registry.project("plain")
        index_server.add_wheel(WheelSpec("both", "1.0"))
        extra.add_wheel(WheelSpec("both", "1.0"))
        both = client(other, index_server, extra, index_strategy="unsafe-best-match")
        both.prefetch_if_cold(["both"], lambda: {"both": "1.0"})
        assert len(both.project("both")) == 2
        assert [r.path for r in bare.request_log] == ["/simple/plain/"]
        assert not [r for server in (index_server, extra) for r in server.request_log
                    if not r.path.startswith("/simple/")]


def test_pages_waiting_their_turn_all_get_it_while_the_solver_marks_some_awaited() -> None:
    # Marking a page awaited reorders the queue: the waiters must look again, or the new
    # first one sleeps while nobody parses.
    from pyffin.client.registry import _Turns

    turns = _Turns()
    names = [f"p{i}" for i in range(40)]
    for project in names:
        turns.asked(project)
    done: list[str] = []

    def parse(project: str) -> None:
        with turns.turn(project):
            done.append(project)

    threads = [threading.Thread(target=parse, args=(p,), daemon=True) for p in names]
    for thread in threads:
        thread.start()
    for project in reversed(names):
        turns.urgent(project)
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(done) == sorted(names)
    add = threading.Thread(target=parse, args=("never-asked",), daemon=True)
    add.start()
    add.join(10)
    assert done[-1] == "never-asked"


def test_a_cold_runs_requests_share_one_http_client_and_one_lookup_of_the_index(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first requests of a cold run go out from a dozen threads at once: they share one
    HTTP client (one trust store, one pool of connections) and one DNS lookup of the index."""
    import socket

    from pyffin.client import http

    names = [f"p{n}" for n in range(12)]
    for name in names:
        index_server.add_wheel(WheelSpec(name, "1.0"))
        index_server.delay(f"/simple/{name}/", 0.1, times=1)  # the requests overlap
    asked: list[str] = []
    real_lookup = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return real_lookup("127.0.0.1" if host == "index.test" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    clients: list[object] = []

    class Counted(http.HttpClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            clients.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(http, "HttpClient", Counted)
    index = index_server.index_url.replace("127.0.0.1", "index.test")
    registry = connect(cache, IndexSettings(index_url=index))
    registry.prefetch_if_cold(names)
    for name in names:
        page = registry.project(name)[0]
        assert registry.wheel_metadata(page, next(page.page.wheels("1.0")).file).name == name
    assert len(clients) == 1
    assert asked.count("index.test") == 1


def test_a_page_stored_in_the_previous_record_version_is_fetched_again(
        cache: Cache, index_server: IndexServer) -> None:
    from pyffin.models.files import SimplePage

    index_server.add_wheel(WheelSpec("foo", "1.0"))
    [page] = client(cache, index_server).project("foo")
    [stored] = cache.bucket(CacheBucket.SIMPLE).rglob("foo.rec")
    data = stored.read_bytes()
    header = b" %d " % SimplePage.RECORD_VERSION
    assert header in data.partition(b"\n")[0]
    # Version 3 kept the files of a JSON page as the page's dictionaries: its records are
    # misses, not read as version 4's tuples.
    stored.write_bytes(data.replace(header, b" %d " % (SimplePage.RECORD_VERSION - 1), 1))
    [again] = client(cache, index_server).project("foo")
    assert index_server.count("/simple/foo/") == 2
    assert again.page.versions == page.page.versions
    assert [f.filename for f in again.page.files()] == ["foo-1.0-py3-none-any.whl"]
