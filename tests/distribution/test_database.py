"""The wheel database: what is verified before a wheel becomes an archive of the cache, and
when an archive of the cache is trusted again."""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyffin import log
from pyffin.cache import Cache, CacheBucket
from pyffin.client.errors import HashMismatchError
from pyffin.client.registry import RegistryClient, connect
from pyffin.distribution.database import WheelDatabase
from pyffin.errors import NotSupportedError
from pyffin.models.files import IndexFile, ProjectPage
from pyffin.models.metadata import MetadataError
from pyffin.settings import IndexSettings
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

WHEEL = "foo-1.0-py3-none-any.whl"


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    log.configure(lambda level, message: messages.append(message), log.WARNING)
    yield messages
    log.configure(None)


def registry(cache: Cache, server: IndexServer, **settings: Any) -> RegistryClient:
    return connect(cache, IndexSettings(index_url=server.index_url, **settings))


def wheel_of(client: RegistryClient, name: str = "foo", version: str = "1.0",
             ) -> tuple[ProjectPage, IndexFile]:
    [page] = client.project(name)
    return page, next(page.page.wheels(version)).file


def digest(path: Path, algorithm: str) -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


@pytest.fixture
def foo(index_server: IndexServer) -> Path:
    return index_server.add_wheel(WheelSpec("foo", "1.0"))


@pytest.mark.parametrize("json_api", [True, False], ids=["json", "html"])
@pytest.mark.parametrize("algorithm", ["sha512", "sha384", "blake2b", "sha3_256", "md5"])
def test_a_wheel_listed_only_with_another_algorithm_is_verified_with_it(
        cache: Cache, index_server: IndexServer, foo: Path, algorithm: str,
        json_api: bool) -> None:
    index_server.json_api = json_api
    index_server.set_hashes(WHEEL, {algorithm: "0" * len(digest(foo, algorithm))})
    client = registry(cache, index_server)
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for {WHEEL} .*"
                                                rf"the index says {algorithm}:0+, the file has "
                                                rf"{algorithm}:{digest(foo, algorithm)}"):
        WheelDatabase(cache, client).fetch(*wheel_of(client))
    assert not list(cache.bucket(CacheBucket.ARCHIVE).glob("*"))


def test_the_strongest_of_several_hashes_is_the_one_checked(
        cache: Cache, index_server: IndexServer, foo: Path, tmp_path: Path) -> None:
    # A right md5 does not vouch for a file whose sha512 is wrong.
    index_server.set_hashes(WHEEL, {"md5": digest(foo, "md5"), "sha512": "0" * 128})
    client = registry(cache, index_server)
    with pytest.raises(HashMismatchError, match="the index says sha512:"):
        WheelDatabase(cache, client).fetch(*wheel_of(client))
    index_server.set_hashes(WHEEL, {"md5": "0" * 32, "sha512": digest(foo, "sha512")})
    with Cache(tmp_path / "other-cache") as other:
        client = registry(other, index_server)
        archive = WheelDatabase(other, client).fetch(*wheel_of(client))
        assert (archive / "foo-1.0.dist-info" / "METADATA").is_file()


def test_a_right_sha512_is_accepted_and_keys_the_archive(cache: Cache, index_server: IndexServer,
                                                        foo: Path) -> None:
    index_server.set_hashes(WHEEL, {"sha512": digest(foo, "sha512")})
    client = registry(cache, index_server)
    database = WheelDatabase(cache, client)
    page, file = wheel_of(client)
    database.fetch(page, file)
    sha512 = digest(foo, "sha512")
    assert database.pointer(page, file).name == f"foo-1.0-py3-none-any-{sha512[:16]}.archive"
    # Hash-checking mode trusts the archive when the user's hash is the one that keys it.
    required = [f"sha512:{sha512}"]
    index_server.reset_counts()
    database.fetch(page, file, required_hashes=required)
    assert index_server.count(f"/files/{WHEEL}") == 0


def test_a_hash_pyffin_cannot_compute_is_a_warning_and_an_error_in_hash_checking_mode(
        cache: Cache, index_server: IndexServer, foo: Path, warnings: list[str]) -> None:
    from pyffin.client.hashes import UnverifiableHashError

    index_server.set_hashes(WHEEL, {"sha999": "ab" * 40})
    client = registry(cache, index_server)
    page, file = wheel_of(client)
    with pytest.raises(UnverifiableHashError, match=rf"cannot verify {WHEEL} from .*: it is "
                                                    r"listed only with hashes pyffin cannot "
                                                    r"compute \(sha999\)"):
        WheelDatabase(cache, client).fetch(
            page, file, required_hashes=[f"sha256:{digest(foo, 'sha256')}"])
    assert warnings == []
    WheelDatabase(cache, client).fetch(page, file)
    assert any(f"Cannot verify {WHEEL}" in w and "using it unverified" in w for w in warnings)


def test_a_direct_url_is_checked_against_its_fragment(cache: Cache, index_server: IndexServer,
                                                      foo: Path) -> None:
    from pyffin.models.direct import parse_direct
    from pyffin.resolver.file_selection import direct_distribution

    url = f"{index_server.file_url(WHEEL)}#sha3_512={'0' * 128}"
    dist = direct_distribution("foo", parse_direct(url))
    assert dist.page is not None and dist.file is not None
    client = registry(cache, index_server)
    with pytest.raises(HashMismatchError, match=r"the index says sha3_512:0+"):
        WheelDatabase(cache, client).fetch(dist.page, dist.file)


def test_a_wheel_of_a_local_index_is_checked_too(cache: Cache, foo: Path,
                                                 tmp_path: Path) -> None:
    from pyffin.records import replace

    client = connect(cache, IndexSettings(no_index=True, find_links=(str(foo.parent),)))
    page, file = wheel_of(client)  # a --find-links directory
    assert file.url.startswith("file:")
    file = replace(file, hashes=(("sha384", "0" * 96),))
    with pytest.raises(HashMismatchError, match="the index says sha384:"):
        WheelDatabase(cache, client).fetch(page, file)


def test_a_built_wheel_is_unzipped_once_and_again_after_it_changes(cache: Cache, foo: Path,
                                                                    tmp_path: Path) -> None:
    import os
    import shutil

    from pyffin.models.dist import BuiltWheel

    built = tmp_path / "built" / foo.name
    built.parent.mkdir()
    shutil.copy(foo, built)
    database = WheelDatabase(cache, connect(cache, IndexSettings(no_index=True)))
    archive = database.built(BuiltWheel("foo", built))
    assert (archive / "foo-1.0.dist-info" / "METADATA").is_file()
    assert database.built(BuiltWheel("foo", built)) == archive  # once per process...
    again = WheelDatabase(cache, connect(cache, IndexSettings(no_index=True)))
    assert again.built(BuiltWheel("foo", built)) == archive  # ...and per cache
    os.utime(built, ns=(1, 1))  # rebuilt: another wheel under the same name
    assert again.built(BuiltWheel("foo", built)) != archive


def sidecar(name: str, version: str, *requires: str) -> str:
    return "".join([f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                    *(f"Requires-Dist: {r}\n" for r in requires)])


def test_a_metadata_file_that_disagrees_with_the_wheel_is_refused_once_the_wheel_is_in_hand(
        cache: Cache, index_server: IndexServer, make_wheel: Any) -> None:
    index_server.add_file(make_wheel("foo", "1.0", requires_dist=["bar>=1"]),
                          metadata=sidecar("foo", "1.0", "baz"))
    client = registry(cache, index_server)
    page, file = wheel_of(client)
    assert client.wheel_metadata(page, file).requires_dist == ("baz",)  # what resolving saw
    with pytest.raises(MetadataError, match=rf"the METADATA of {WHEEL} from .* disagrees with "
                                            r"its .metadata file on the index \(Requires-Dist\): "
                                            r"Requires-Dist: the wheel has \['bar>=1'\], its "
                                            r".metadata file on the index has \['baz'\]"):
        WheelDatabase(cache, client).fetch(page, file)
    assert not list(cache.bucket(CacheBucket.ARCHIVE).glob("*"))


def test_the_comparison_is_of_parsed_fields_not_of_text(
        cache: Cache, index_server: IndexServer, make_wheel: Any) -> None:
    index_server.add_file(
        make_wheel("foo", "1.0", requires_dist=["bar>=1,<2", 'baz; extra == "x"'],
                   extras=["x"]),
        metadata=sidecar("Foo", "1.0.0", 'baz ; extra=="x"', "bar <2, >=1")
        + "Provides-Extra: x\n")
    client = registry(cache, index_server)
    page, file = wheel_of(client)
    client.wheel_metadata(page, file)
    WheelDatabase(cache, client).fetch(page, file)


@pytest.mark.parametrize("field, sidecar_text", [
    ("Requires-Python", sidecar("foo", "1.0") + "Requires-Python: >=3.99\n"),
    ("Provides-Extra", sidecar("foo", "1.0") + "Provides-Extra: more\n"),
], ids=["requires-python", "provides-extra"])
def test_requires_python_and_extras_are_compared_too(
        cache: Cache, index_server: IndexServer, make_wheel: Any, field: str,
        sidecar_text: str) -> None:
    # (A sidecar with another name or version is refused as soon as it is read.)
    index_server.add_file(make_wheel("foo", "1.0"), metadata=sidecar_text)
    client = registry(cache, index_server)
    page, file = wheel_of(client)
    client.wheel_metadata(page, file)
    with pytest.raises(MetadataError, match=rf"\({field}\)"):
        WheelDatabase(cache, client).fetch(page, file)


# ------------------------------------------------------------------- fetch, once per wheel
def test_a_wheel_asked_for_by_many_threads_is_downloaded_and_unzipped_once(
        cache: Cache, index_server: IndexServer, foo: Path) -> None:
    client = registry(cache, index_server)
    database = WheelDatabase(cache, client)
    page, file = wheel_of(client)
    index_server.delay(f"/files/{WHEEL}", 0.1)  # keeps the first download in flight
    futures = [database.submit(page, file) for _ in range(8)]
    archives = {future.result() for future in futures}
    assert len(archives) == 1 and index_server.count(f"/files/{WHEEL}") == 1
    assert len(list(cache.bucket(CacheBucket.ARCHIVE).iterdir())) == 1


def test_an_unzipped_wheel_is_used_from_the_cache_by_the_next_process(
        cache: Cache, index_server: IndexServer, foo: Path) -> None:
    client = registry(cache, index_server)
    archive = WheelDatabase(cache, client).fetch(*wheel_of(client))
    index_server.reset_counts()
    client = registry(cache, index_server)
    database = WheelDatabase(cache, client)
    assert database.cached(*wheel_of(client)) == archive
    assert database.fetch(*wheel_of(client)) == archive
    assert index_server.count(f"/files/{WHEEL}") == 0


def test_an_archive_removed_meanwhile_is_fetched_again(cache: Cache, index_server: IndexServer,
                                                       foo: Path) -> None:
    from pyffin.fs import remove

    client = registry(cache, index_server)
    database = WheelDatabase(cache, client)
    page, file = wheel_of(client)
    archive = database.fetch(page, file)
    remove(archive)  # what `pyffin cache clean --force` does under a running process
    again = database.fetch(page, file)
    assert again.is_dir() and index_server.count(f"/files/{WHEEL}") == 2


# ---------------------------------------------------------------------- fetch and build
def test_fetch_and_build_turns_any_distribution_into_an_unzipped_wheel(
        cache: Cache, index_server: IndexServer, foo: Path) -> None:
    from pyffin.distribution.database import DistributionDatabase
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.models.dist import Distribution
    from tests.distribution.fakes import FakeBuilder, no_git
    from tests.support.dists import SdistSpec

    index_server.add_sdist(SdistSpec("bar", "1.0"))
    client = registry(cache, index_server)
    builder = FakeBuilder()
    sources = SourceDistributions(cache, client, tags=("py3-none-any",),
                                  builder=lambda: builder, git=no_git)
    database = DistributionDatabase(WheelDatabase(cache, client), sources)
    [bar_page] = client.project("bar")
    [bar_sdist] = bar_page.page.sdists("1.0")
    sdist = Distribution(bar_page, bar_sdist, is_wheel=False)
    wheel = Distribution(*wheel_of(client), is_wheel=True)

    assert database.cached(sdist) is None  # an sdist is never "cached" without building
    assert database.cached(wheel) is None
    built = database.submit(sdist, "bar").result()
    assert (built / "bar-1.0.dist-info" / "METADATA").is_file() and builder.wheels == 1
    assert database.archive(sdist, "bar") == built and builder.wheels == 1
    fetched = database.archive(wheel, "foo")
    assert database.cached(wheel) == fetched

    without_builder = DistributionDatabase(WheelDatabase(cache, client), None)
    with pytest.raises(NotSupportedError, match=r"building bar-1\.0\.tar\.gz is not supported"):
        without_builder.archive(sdist, "bar")


# ------------------------------------------------------ which wheels are hashed against RECORD
@pytest.fixture
def tampered(index_server: IndexServer, tmp_path: Path) -> Path:
    """A wheel whose module was changed after RECORD was written, served by the index."""
    from tests.support.dists import build_wheel

    wheel = build_wheel(WheelSpec("foo", "1.0", files={"foo/__init__.py": "X = 1\n"}),
                        tmp_path / "tampered", raw_entries={"foo/__init__.py": b"X = 2\n"})
    index_server.add_file(wheel)
    return wheel


def test_a_wheel_whose_hash_the_index_vouches_for_is_not_hashed_again_against_record(
        cache: Cache, index_server: IndexServer, tampered: Path) -> None:
    # The bytes are the ones published (as pip and uv, RECORD is not checked again).
    client = registry(cache, index_server)
    archive = WheelDatabase(cache, client).fetch(*wheel_of(client))
    assert (archive / "foo" / "__init__.py").read_bytes() == b"X = 2\n"


def test_a_wheel_without_a_hash_from_the_index_is_checked_against_its_record(
        cache: Cache, index_server: IndexServer, tampered: Path) -> None:
    from pyffin.models.wheel import InvalidWheelError

    index_server.set_hashes(WHEEL, {})
    client = registry(cache, index_server)
    with pytest.raises(InvalidWheelError, match=r"the sha256 hash of 'foo/__init__.py' does "
                                                r"not match RECORD"):
        WheelDatabase(cache, client).fetch(*wheel_of(client))
    assert not list(cache.bucket(CacheBucket.ARCHIVE).glob("*"))


def test_a_hash_the_user_requires_vouches_for_a_wheel_the_index_lists_without_one(
        cache: Cache, index_server: IndexServer, tampered: Path) -> None:
    index_server.set_hashes(WHEEL, {})
    client = registry(cache, index_server)
    archive = WheelDatabase(cache, client).fetch(
        *wheel_of(client), required_hashes=[f"sha256:{digest(tampered, 'sha256')}"])
    assert (archive / "foo" / "__init__.py").read_bytes() == b"X = 2\n"


@pytest.mark.parametrize("fragment", [True, False], ids=["with-fragment", "without-fragment"])
def test_a_direct_url_is_hashed_against_record_unless_its_fragment_vouches_for_it(
        cache: Cache, index_server: IndexServer, tampered: Path, fragment: bool) -> None:
    from pyffin.models.direct import parse_direct
    from pyffin.models.wheel import InvalidWheelError
    from pyffin.resolver.file_selection import direct_distribution

    url = index_server.file_url(WHEEL)
    if fragment:
        url += f"#sha256={digest(tampered, 'sha256')}"
    dist = direct_distribution("foo", parse_direct(url))
    assert dist.page is not None and dist.file is not None
    database = WheelDatabase(cache, registry(cache, index_server))
    if fragment:
        database.fetch(dist.page, dist.file)
    else:
        with pytest.raises(InvalidWheelError, match="does not match RECORD"):
            database.fetch(dist.page, dist.file)


def test_a_built_wheel_is_hashed_against_its_record(cache: Cache, tampered: Path) -> None:
    from pyffin.models.dist import BuiltWheel
    from pyffin.models.wheel import InvalidWheelError

    client = connect(cache, IndexSettings(no_index=True))
    with pytest.raises(InvalidWheelError, match="does not match RECORD"):
        WheelDatabase(cache, client).built(BuiltWheel("foo", tampered))


# --------------------------------------------------------- downloads: no copy, bounded memory
def test_a_downloaded_wheel_is_unzipped_from_memory_without_a_temporary_copy(
        cache: Cache, index_server: IndexServer, foo: Path) -> None:
    from tests.support.written import files_written

    client = registry(cache, index_server)
    with files_written() as written:
        archive = WheelDatabase(cache, client).fetch(*wheel_of(client))
    assert (archive / "foo-1.0.dist-info" / "METADATA").is_file()
    assert not [p for p in written if p.name.endswith(".whl")]
    assert index_server.count(f"/files/{WHEEL}") == 1


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch, foo: Path) -> Any:
    """A memory budget of a third of the wheel's size."""
    from pyffin.distribution import database

    small = database._MemoryBudget(foo.stat().st_size // 3)
    monkeypatch.setattr(database, "MEMORY_BUDGET", small)
    return small


@pytest.mark.parametrize("size_known", [True, False], ids=["size-known", "size-unknown"])
def test_a_wheel_that_does_not_fit_the_memory_budget_goes_through_a_temporary_file(
        cache: Cache, index_server: IndexServer, foo: Path, budget: Any,
        size_known: bool) -> None:
    from pyffin.records import replace
    from tests.support.written import files_written

    client = registry(cache, index_server)
    page, file = wheel_of(client)
    if not size_known:  # (a page that gives no size: the download spills once out of room)
        file = replace(file, size=None)
    index_server.truncate(f"/files/{WHEEL}", 100, times=1)  # a retry starts the file over
    with files_written() as written:
        archive = WheelDatabase(cache, client).fetch(page, file)
    assert (archive / "foo-1.0.dist-info" / "METADATA").read_bytes() == \
        zipfile.ZipFile(foo).read("foo-1.0.dist-info/METADATA")
    assert [p.name for p in written if p.name.endswith(".whl")] == [WHEEL]
    assert budget.free == budget.total  # all given back


def test_a_failed_download_gives_its_memory_back(cache: Cache, index_server: IndexServer,
                                                 foo: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    from pyffin.distribution import database

    budget = database._MemoryBudget(1 << 20)
    monkeypatch.setattr(database, "MEMORY_BUDGET", budget)
    index_server.set_hashes(WHEEL, {"sha256": "0" * 64})
    client = registry(cache, index_server)
    with pytest.raises(HashMismatchError):
        WheelDatabase(cache, client).fetch(*wheel_of(client))
    assert budget.free == budget.total


needs_memory_files = pytest.mark.skipif(not hasattr(os, "memfd_create"),
                                        reason="memory files are Linux only")


@needs_memory_files
def test_a_download_goes_into_a_memory_file_as_it_comes(tmp_path: Path) -> None:
    from pyffin.distribution.database import _Body, _MemoryBudget

    budget = _MemoryBudget(1 << 20)
    body = _Body("foo.whl", tmp_path / "foo.whl", 10, {"sha256"}, None, budget)
    body.write(b"01234")
    body.restart()  # a retry starts it over
    body.write(b"abcde")
    body.write(b"fghij")
    fd = body.parts()
    assert isinstance(fd, int) and body.chunks == []  # no chunk kept
    assert os.pread(fd, 100, 0) == b"abcdefghij" and os.fstat(fd).st_size == 10
    assert body.digests.hexdigests() == {"sha256": hashlib.sha256(b"abcdefghij").hexdigest()}
    body.close()
    assert budget.free == budget.total
    with pytest.raises(OSError):
        os.fstat(fd)  # closed
    assert not (tmp_path / "foo.whl").exists()


@needs_memory_files
def test_a_memory_file_out_of_room_goes_on_in_the_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.distribution import database

    monkeypatch.setattr(database, "_STEP", 100)
    budget = database._MemoryBudget(150)
    body = database._Body("foo.whl", tmp_path / "foo.whl", None, set(), None, budget)
    body.write(b"x" * 10)  # takes a step of room
    body.write(b"y" * 200)  # no room for another: what the memory file held is copied
    body.write(b"z")
    assert body.parts() == tmp_path / "foo.whl" and body.memory is None
    assert (tmp_path / "foo.whl").read_bytes() == b"x" * 10 + b"y" * 200 + b"z"
    body.close()
    assert budget.free == budget.total


def test_the_memory_budget_makes_a_download_wait_for_room() -> None:
    from pyffin.distribution.database import _MemoryBudget

    budget = _MemoryBudget(100)
    assert budget.reserve(60) and not budget.try_reserve(50)
    assert not budget.reserve(101)  # can never fit: at once, without waiting
    got = threading.Event()

    def second() -> None:
        budget.reserve(50)
        got.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    assert not got.wait(0.05)  # waits while the first holds the room
    budget.release(60)
    thread.join(10)
    assert got.is_set() and budget.free == 50


def test_no_more_wheels_are_unzipped_at_once_than_the_unzip_slots(
        cache: Cache, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.distribution import database, unzip

    for n in range(4):
        index_server.add_wheel(WheelSpec(f"p{n}", "1.0"))
    waiting: set[int] = set()
    active = [0, 0]  # now, most
    changed = threading.Condition()
    release = threading.Event()

    class Slots(threading.BoundedSemaphore):
        def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
            with changed:
                waiting.add(threading.get_ident())
                changed.notify_all()
            return super().acquire(blocking, timeout)

    def counted(original: Any) -> Any:
        def unzip_wheel(*args: Any, **kwargs: Any) -> Any:
            with changed:
                active[0] += 1
                active[1] = max(active)
            release.wait(10)
            with changed:
                active[0] -= 1
            return original(*args, **kwargs)

        return unzip_wheel

    monkeypatch.setattr(database, "_slots", Slots(2))
    # Unzipped in this process: an earlier test's large wheel (pip's, installed by a command
    # run in this process) may have started the unzip helpers, which then take every wheel.
    monkeypatch.setenv("PYFFIN_UNZIP_PROCESS", "0")
    # Four fetches at once, each held in its unzip here: the pool starts them all (it would
    # start the rest only once the CPU idles at a later submit or call end, and these calls
    # end when the test lets them).
    from pyffin import futures

    monkeypatch.setattr(futures, "EAGER_THREADS", 4)
    # (a download in a memory file is mapped, one in chunks joined)
    monkeypatch.setattr(unzip, "unzip_wheel", counted(unzip.unzip_wheel))
    monkeypatch.setattr(unzip, "unzip_mapped", counted(unzip.unzip_mapped))
    client = registry(cache, index_server)
    db = WheelDatabase(cache, client)
    futures = [db.submit(*wheel_of(client, f"p{n}")) for n in range(4)]
    with changed:  # every fetch has downloaded its wheel and asked for a slot
        assert changed.wait_for(lambda: len(waiting) == 4, 10)
    assert active == [2, 2]
    release.set()
    for future in futures:
        assert future.result().is_dir()
    assert active[1] == 2


# ----------------------------------------------------------------- the unzip helper process
@pytest.fixture
def helper(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every wheel big enough for the helper process; its helpers (ended afterwards)."""
    from pyffin.distribution import unzip_worker

    if not unzip_worker.available():
        pytest.skip("the unzip helper process is Linux only")
    workers: list[Any] = []
    monkeypatch.setattr(unzip_worker, "MIN_SIZE", 0)
    monkeypatch.setattr(unzip_worker, "_workers", workers)
    yield workers
    unzip_worker.close_all()


def test_a_wheel_big_enough_is_unzipped_by_the_helper_with_the_same_checks(
        cache: Cache, index_server: IndexServer, tampered: Path, helper: list[Any]) -> None:
    from pyffin.models.wheel import InvalidWheelError

    client = registry(cache, index_server)
    archive = WheelDatabase(cache, client).fetch(*wheel_of(client))
    assert (archive / "foo" / "__init__.py").read_bytes() == b"X = 2\n"
    assert [w.unzipped for w in helper] == [1]

    index_server.set_hashes(WHEEL, {})  # no hash from outside: RECORD is checked, and fails
    with Cache(cache.root.parent / "other") as other:
        client = registry(other, index_server)
        with pytest.raises(InvalidWheelError, match=r"the sha256 hash of 'foo/__init__\.py' "
                                                    r"does not match RECORD"):
            WheelDatabase(other, client).fetch(*wheel_of(client))
        assert not list(other.bucket(CacheBucket.ARCHIVE).glob("*"))
    assert [w.unzipped for w in helper] == [1] and not helper[0].broken


def test_a_download_is_given_to_the_helper_in_its_memory_file_uncopied(
        cache: Cache, index_server: IndexServer, foo: Path, helper: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.distribution import unzip_worker

    def copied(*args: Any) -> int:
        raise AssertionError("the download was copied into another memory file")

    monkeypatch.setattr(unzip_worker, "_memfd", copied)
    client = registry(cache, index_server)
    archive = WheelDatabase(cache, client).fetch(*wheel_of(client))
    assert (archive / "foo-1.0.dist-info" / "METADATA").read_bytes() == \
        zipfile.ZipFile(foo).read("foo-1.0.dist-info/METADATA")
    assert [w.unzipped for w in helper] == [1] and not helper[0].broken


def test_a_small_wheel_is_unzipped_in_this_process(
        cache: Cache, index_server: IndexServer, foo: Path, helper: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.distribution import unzip_worker

    monkeypatch.setattr(unzip_worker, "MIN_SIZE", foo.stat().st_size + 1)
    client = registry(cache, index_server)
    assert WheelDatabase(cache, client).fetch(*wheel_of(client)).is_dir()
    assert helper == []  # none started


def test_a_wheel_is_unzipped_here_when_the_helper_died(
        cache: Cache, index_server: IndexServer, helper: list[Any]) -> None:
    for name in ("p1", "p2", "p3"):
        index_server.add_wheel(WheelSpec(name, "1.0"))
    client = registry(cache, index_server)
    database = WheelDatabase(cache, client)
    database.fetch(*wheel_of(client, "p1"))
    [worker] = helper
    worker._process.kill()

    archive = database.fetch(*wheel_of(client, "p2"))

    assert (archive / "p2-1.0.dist-info" / "METADATA").is_file()
    assert worker.broken and worker.unzipped == 1
    assert cache.archive(database.pointer(*wheel_of(client, "p2"))) == archive
    assert database.fetch(*wheel_of(client, "p3")).is_dir()
    assert helper == [worker]  # no other helper was started


def test_once_helpers_run_every_wheel_goes_to_them(
        cache: Cache, index_server: IndexServer, helper: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.distribution import unzip_worker

    big = index_server.add_wheel(WheelSpec("big", "1.0", files={"big/x.bin": "x" * 5000}))
    index_server.add_wheel(WheelSpec("small", "1.0"))
    monkeypatch.setattr(unzip_worker, "MIN_SIZE", big.stat().st_size)
    client = registry(cache, index_server)
    database = WheelDatabase(cache, client)

    database.fetch(*wheel_of(client, "big"))
    database.fetch(*wheel_of(client, "small"))

    assert sum(w.unzipped for w in helper) == 2


def test_a_caller_waits_for_a_busy_helper(helper: list[Any],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.distribution import unzip_worker

    monkeypatch.setattr(unzip_worker, "WORKERS", 1)
    first = unzip_worker.acquire()
    assert first is not None
    got: list[Any] = []
    thread = threading.Thread(target=lambda: got.append(unzip_worker.acquire()))
    thread.start()
    thread.join(0.05)
    assert thread.is_alive() and not got  # waits: no second helper
    unzip_worker.release(first)
    thread.join(10)
    assert got == [first] and helper == [first]
    unzip_worker.release(first)


def test_an_early_build_is_waited_for_when_asked_to_settle() -> None:
    # An install whose resolution failed ends only once the wheels it started building
    # (its pinned sdists', see EarlyFetch) are built: no build outlives the command.
    import time
    from types import SimpleNamespace

    from pyffin.distribution.database import EarlyFetch
    from pyffin.futures import ThreadPool

    finished: list[str] = []

    class Sources:
        def registry_metadata(self, page: Any, file: Any) -> None:
            finished.append("metadata")

        def registry_wheel(self, page: Any, file: Any) -> None:
            time.sleep(0.2)
            finished.append(file.filename)

    wheels = SimpleNamespace(pool=ThreadPool(2, "test-pool"))
    early = EarlyFetch(wheels, {"bar": {"1.0"}}, {})  # type: ignore[arg-type]
    early.sources = Sources()  # type: ignore[assignment]
    sdist = SimpleNamespace(is_wheel=False, direct=None, page=object(),
                            file=SimpleNamespace(filename="bar-1.0.tar.gz"))
    early("bar", "1.0", sdist)  # type: ignore[arg-type]
    early("bar", "1.0", sdist)  # type: ignore[arg-type]  # once
    early("other", "1.0", sdist)  # type: ignore[arg-type]  # not pinned
    assert early.started == 1
    early.settle()
    assert finished == ["metadata", "bar-1.0.tar.gz"]  # its metadata (maybe in flight) first
