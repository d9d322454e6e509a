"""``CachedClient``: warm answers need no request; stale ones are revalidated (DESIGN §3).
Every claim is checked by counting the requests the local index server received."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from pyffin.cache import Cache, CacheBucket, CacheEntry
from pyffin.client.cached import CachedClient, Refresh
from pyffin.client.errors import HttpStatusError, OfflineError
from pyffin.client.http import HttpClient, HttpSettings, Response
from pyffin.errors import PyffinError
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

PAGE = "/simple/foo/"


class Body:
    """A trivial record: the page's length and how often it was transformed."""

    RECORD_SCHEMA: ClassVar[str] = "test-body"
    RECORD_VERSION: ClassVar[int] = 1
    transforms = 0

    def __init__(self, text: str) -> None:
        self.text = text

    def to_record(self) -> Any:
        return self.text

    @classmethod
    def from_record(cls, data: Any) -> Body:
        return cls(str(data))


def transform(response: Response) -> Body:
    Body.transforms += 1
    return Body(response.content.decode())


@pytest.fixture
def server(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    return index_server


@pytest.fixture
def cache(tmp_path: Any) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


def make_client(cache: Cache, **kwargs: Any) -> CachedClient:
    return CachedClient(cache, lambda: HttpClient(HttpSettings(retries=0)), **kwargs)


def entry(cache: Cache) -> CacheEntry:
    return cache.entry(CacheBucket.SIMPLE, "test", "foo.rec")


def get(client: CachedClient, server: IndexServer, package: str | None = "foo") -> Body:
    return client.get(server.url + PAGE, entry(client.cache), transform, Body, package=package)


def test_a_fresh_entry_is_served_without_a_request(server: IndexServer, cache: Cache) -> None:
    first = get(make_client(cache), server)
    assert server.count(PAGE) == 1
    second = get(make_client(cache), server)  # a new process would do the same
    assert second.text == first.text
    assert server.count(PAGE) == 1


def test_the_client_says_what_it_last_read_or_wrote_at_an_entry(server: IndexServer,
                                                                 cache: Cache) -> None:
    client = make_client(cache)
    assert client.last_seen(entry(cache)) is None
    get(client, server)  # written
    written = client.last_seen(entry(cache))
    assert written is not None and written[1] == entry(cache).stamp()
    reader = make_client(cache)
    get(reader, server)  # read, fresh
    assert reader.last_seen(entry(cache)) == written


def test_a_stale_entry_is_revalidated_and_a_304_keeps_the_data(server: IndexServer,
                                                               cache: Cache) -> None:
    server.set_max_age(0)
    first = get(make_client(cache), server)
    transforms = Body.transforms
    second = get(make_client(cache), server)
    assert second.text == first.text
    assert server.count(PAGE) == 2
    revalidation = server.request_log[-1].headers
    assert "if-none-match" in revalidation and "if-modified-since" in revalidation
    assert Body.transforms == transforms  # not parsed again


def test_a_304_rewrites_the_policy(server: IndexServer, cache: Cache) -> None:
    server.set_max_age(0)
    get(make_client(cache), server)
    server.set_max_age(600)
    get(make_client(cache), server)  # 304 with max-age=600: now fresh for ten minutes
    get(make_client(cache), server)
    assert server.count(PAGE) == 2


def revalidated(server: IndexServer, cache: Cache) -> CachedClient:
    """Store the page stale at once, then revalidate it (a 304 with a max-age of ten
    minutes, so its newer policy is kept): the client that did, its policies not written."""
    server.set_max_age(0)
    get(make_client(cache), server)
    server.set_max_age(600)
    client = make_client(cache)
    get(client, server)
    return client


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process knows of newer policies, as another process would."""
    from pyffin.client import cached

    monkeypatch.setattr(cached, "_REVALIDATIONS", cached._Revalidations())


def test_the_newer_policies_of_a_directory_are_one_record_written_once(
        server: IndexServer, cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    """Revalidating many stored pages writes one record of their newer policies per
    directory, once per batch (not a file per page: a stale warm compile of 147 pages spent
    a fifth of its CPU writing them); another process reads it once and asks nothing."""
    from pyffin.cache import fs
    from pyffin.client.cached import REVALIDATED_NAME

    names = [f"p{i}" for i in range(5)]
    for name in names:
        server.add_wheel(WheelSpec(name, "1.0"))
    server.set_max_age(0)
    client = make_client(cache)

    def page(name: str) -> Body:
        return client.get(f"{server.url}/simple/{name}/",
                          cache.entry(CacheBucket.SIMPLE, "test", f"{name}.rec"),
                          transform, Body, package=name)

    for name in names:
        page(name)
    server.set_max_age(600)
    new_process(monkeypatch)
    client = make_client(cache)
    writes: list[str] = []
    write_atomic = fs.write_atomic
    monkeypatch.setattr(fs, "write_atomic",
                        lambda path, data: writes.append(path.name) or write_atomic(path, data))
    for name in names:
        page(name)  # stale: a 304 each, with a max-age now
    assert writes == []  # kept until the batch is over
    client.flush_revalidations()
    assert writes == [REVALIDATED_NAME]
    directory = cache.entry(CacheBucket.SIMPLE, "test", "x.rec").path.parent
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [REVALIDATED_NAME, *(f"{name}.rec" for name in names)])
    server.reset_counts()
    new_process(monkeypatch)
    client = make_client(cache)
    for name in names:
        page(name)
    assert server.count() == 0  # fresh through the record of newer policies


def test_a_newer_policy_holds_only_for_the_record_file_it_was_given_to(
        server: IndexServer, cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    client = revalidated(server, cache)  # fresh for ten minutes, by the newer policy
    client.flush_revalidations()
    # The record written again (another process stored the page anew): not fresh any more.
    data = entry(cache).path.read_bytes()
    entry(cache).path.unlink()
    entry(cache).path.write_bytes(data)
    new_process(monkeypatch)
    server.reset_counts()
    get(make_client(cache), server)
    assert server.count(PAGE) == 1


def test_a_flush_keeps_what_another_process_wrote_and_drops_what_is_no_longer_fresh(
        server: IndexServer, cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.client import cached
    from pyffin.client.policy import CachePolicy

    directory = str(entry(cache).path.parent)
    server.set_max_age(0)
    get(make_client(cache), server)
    now = __import__("time").time()

    def policy(max_age: int) -> Any:
        return CachePolicy.from_response(200, {"cache-control": f"max-age={max_age}"},
                                         request_time=now, response_time=now).to_record()

    other = cached._Revalidations()  # another process's
    other.put(f"{directory}/other.rec", (1, 2, 3), policy(600))
    other.put(f"{directory}/gone.rec", (4, 5, 6), policy(0))
    other.flush()
    assert set(cached._read_revalidated(directory)) == {"other.rec", "gone.rec"}
    new_process(monkeypatch)
    server.set_max_age(600)
    client = make_client(cache)
    get(client, server)
    client.flush_revalidations()
    assert set(cached._read_revalidated(directory)) == {"other.rec", "foo.rec"}


def test_newer_policies_are_not_written_where_the_cache_was_removed(
        server: IndexServer, cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    new_process(monkeypatch)
    client = revalidated(server, cache)
    shutil.rmtree(cache.root)
    client.flush_revalidations()  # nothing made again, nothing raised
    assert not cache.root.exists()


def test_an_unreadable_record_of_newer_policies_is_a_revalidation_more(
        server: IndexServer, cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.client.cached import REVALIDATED_NAME

    client = revalidated(server, cache)
    client.flush_revalidations()
    policies = entry(cache).path.with_name(REVALIDATED_NAME)
    policies.write_bytes(b"garbage")
    new_process(monkeypatch)
    server.reset_counts()
    client = make_client(cache)
    get(client, server)  # stale again, as far as it knows: asked, a 304
    assert server.count(PAGE) == 1
    client.flush_revalidations()  # and written anew
    new_process(monkeypatch)
    server.reset_counts()
    get(make_client(cache), server)
    assert server.count(PAGE) == 0


def test_a_changed_etag_replaces_the_data(server: IndexServer, cache: Cache) -> None:
    server.set_max_age(0)
    first = get(make_client(cache), server)
    server.add_wheel(WheelSpec("foo", "2.0"))
    second = get(make_client(cache), server)
    assert "foo-2.0" in second.text and "foo-2.0" not in first.text
    server.set_max_age(600)
    assert get(make_client(cache), server).text == second.text  # stored


@pytest.fixture
def bare(server: IndexServer) -> IndexServer:
    """An index that sends no cache headers and no validators (no ETag, no Last-Modified):
    every stored answer is stale at once, and can only be asked for again in full."""
    server.set_cache_control(None)
    server.etag = server.last_modified = False
    return server


def test_the_same_bytes_without_validators_keep_the_stored_data(bare: IndexServer,
                                                                cache: Cache) -> None:
    from pyffin.client.cached import REVALIDATED_NAME

    first = get(make_client(cache), bare)
    transforms = Body.transforms
    record = entry(cache).stamp()
    for _ in range(2):
        client = make_client(cache)
        assert get(client, bare).text == first.text
        client.flush_revalidations()
    assert bare.count(PAGE) == 3  # asked in full each time: nothing says it is fresh
    assert Body.transforms == transforms  # not transformed again
    assert entry(cache).stamp() == record  # nor stored again: what derives from it holds
    # Nor anything else: the newer policy says no more than the stored one (stale at once).
    policies = entry(cache).path.with_name(REVALIDATED_NAME)
    assert not policies.exists()
    # The same bytes with a max-age make the stored page fresh: only the policy is written,
    # in the directory's record of newer policies, and the next run asks nothing.
    bare.set_cache_control("max-age=600")
    client = make_client(cache)
    get(client, bare)
    client.flush_revalidations()
    assert policies.exists() and entry(cache).stamp() == record
    get(make_client(cache), bare)
    assert bare.count(PAGE) == 4 and Body.transforms == transforms


def test_changed_bytes_without_validators_replace_the_data(bare: IndexServer,
                                                           cache: Cache) -> None:
    first = get(make_client(cache), bare)
    record = entry(cache).stamp()
    bare.add_wheel(WheelSpec("foo", "2.0"))
    transforms = Body.transforms
    second = get(make_client(cache), bare)
    assert "foo-2.0" in second.text and "foo-2.0" not in first.text
    assert Body.transforms == transforms + 1 and entry(cache).stamp() != record
    # The new bytes are the ones compared next time.
    assert get(make_client(cache), bare).text == second.text
    assert Body.transforms == transforms + 1


def test_a_revalidation_without_validators_compares_the_bytes(bare: IndexServer,
                                                              cache: Cache) -> None:
    client = make_client(cache)
    get(client, bare)
    seen = client.last_seen(entry(cache))
    assert seen is not None
    policy, stamp = seen
    assert policy.digest is not None and not policy.revalidation_headers()
    transforms = Body.transforms
    assert make_client(cache).revalidate(bare.url + PAGE, entry(cache), stamp, policy,
                                         transform, Body)
    assert Body.transforms == transforms and entry(cache).stamp() == stamp
    assert "if-none-match" not in bare.request_log[-1].headers
    bare.add_wheel(WheelSpec("foo", "2.0"))
    assert not make_client(cache).revalidate(bare.url + PAGE, entry(cache), stamp, policy,
                                             transform, Body)
    assert Body.transforms == transforms + 1  # the new page is stored, as get() does
    assert "foo-2.0" in make_client(cache).stored(entry(cache), Body).text  # type: ignore[union-attr]


def test_a_response_with_validators_keeps_no_digest(server: IndexServer, cache: Cache) -> None:
    client = make_client(cache)
    get(client, server)
    seen = client.last_seen(entry(cache))
    assert seen is not None and seen[0].digest is None and seen[0].etag


def test_refresh_revalidates_fresh_entries_once_per_command(server: IndexServer,
                                                            cache: Cache) -> None:
    get(make_client(cache), server)
    client = make_client(cache, refresh=Refresh(all=True))
    get(client, server)
    get(client, server)  # validated during this command: fresh again
    assert server.count(PAGE) == 2


def test_refresh_package_only_touches_that_package(server: IndexServer, cache: Cache) -> None:
    get(make_client(cache), server)
    get(make_client(cache, refresh=Refresh(packages=["bar"])), server)
    assert server.count(PAGE) == 1
    get(make_client(cache, refresh=Refresh(packages=["Foo"])), server)
    assert server.count(PAGE) == 2


def test_offline_answers_from_the_cache_even_when_stale(server: IndexServer,
                                                       cache: Cache) -> None:
    server.set_max_age(0)
    first = get(make_client(cache), server)
    assert get(make_client(cache, offline=True), server).text == first.text
    assert server.count(PAGE) == 1


def test_offline_miss_is_a_clear_error(server: IndexServer, cache: Cache) -> None:
    with pytest.raises(OfflineError, match="is not in the cache and pyffin is offline"):
        get(make_client(cache, offline=True), server)
    assert server.count() == 0


@pytest.mark.parametrize("cache_control", ["no-store", "private, max-age=600"])
def test_responses_that_may_not_be_stored_are_not(server: IndexServer, cache: Cache,
                                                  cache_control: str) -> None:
    server.set_cache_control(cache_control)
    url = server.url.replace("http://", "http://user:pw@") + PAGE
    client = make_client(cache)
    client.get(url, entry(cache), transform, Body)
    client.get(url, entry(cache), transform, Body)
    assert server.count(PAGE) == 2
    assert not entry(cache).path.exists()


def test_a_private_answer_is_kept_unless_credentials_were_sent(server: IndexServer,
                                                               cache: Cache) -> None:
    from pyffin.client.auth import Credentials
    from tests.support.keyring import FakeKeyring

    server.set_cache_control("private, max-age=600")
    make_client(cache).get(server.url + PAGE, entry(cache), transform, Body)
    assert entry(cache).path.exists()  # pyffin's cache is a private one
    entry(cache).remove()
    # Credentials the keyring gave after a 401 count as much as those of the URL.
    server.auth = ("user", "pw")
    keyring = FakeKeyring({(server.url + PAGE, None): ("user", "pw")})
    client = CachedClient(cache, lambda: HttpClient(
        HttpSettings(retries=0), Credentials(use_netrc=False, keyring=keyring)))
    assert client.get(server.url + PAGE, entry(cache), transform, Body).text
    assert keyring.asked and not entry(cache).path.exists()


def test_a_corrupt_entry_is_a_miss(server: IndexServer, cache: Cache) -> None:
    get(make_client(cache), server)
    data = entry(cache).read()
    assert data is not None
    entry(cache).write(data[: len(data) // 2])
    assert "foo-1.0" in get(make_client(cache), server).text
    assert server.count(PAGE) == 2


def test_errors_store_nothing(server: IndexServer, cache: Cache) -> None:
    server.fail(PAGE, 404)
    with pytest.raises(HttpStatusError) as info:
        get(make_client(cache), server)
    assert info.value.status == 404

    def broken(response: Response) -> Body:
        raise PyffinError("cannot parse")

    server.clear_faults()
    with pytest.raises(PyffinError, match="cannot parse"):
        make_client(cache).get(server.url + PAGE, entry(cache), broken, Body)
    assert not entry(cache).path.exists()


def test_the_http_client_is_not_created_for_a_warm_hit(server: IndexServer,
                                                       cache: Cache) -> None:
    get(make_client(cache), server)
    made: list[int] = []

    def factory() -> HttpClient:
        made.append(1)
        return HttpClient()

    get(CachedClient(cache, factory), server)
    assert made == []


def test_threads_asking_at_once_share_one_http_client(cache: Cache) -> None:
    """A cold run's first requests come from a score of threads at once: one HTTP client (one
    trust store, one set of connections) serves them all."""
    import threading

    made: list[HttpClient] = []
    inside, again, release = threading.Event(), threading.Event(), threading.Event()

    def factory() -> HttpClient:
        made.append(HttpClient(HttpSettings()))
        if inside.is_set():
            again.set()
        inside.set()
        release.wait(10)
        return made[-1]

    client = CachedClient(cache, factory)
    got: list[HttpClient] = []
    threads = [threading.Thread(target=lambda: got.append(client.http)) for _ in range(2)]
    threads[0].start()
    assert inside.wait(10)  # the first thread is making the client
    threads[1].start()
    again.wait(0.2)  # a second client would be made by now (the bound only when none is)
    release.set()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and got == [made[0], made[0]]


class Blob:
    """A record as large as the body it comes from."""

    RECORD_SCHEMA: ClassVar[str] = "test-blob"
    RECORD_VERSION: ClassVar[int] = 1

    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_record(self) -> Any:
        return self.data

    @classmethod
    def from_record(cls, data: Any) -> Blob:
        return cls(bytes(data))


def test_a_body_is_not_held_while_its_record_is_written(server: IndexServer,
                                                        cache: Cache) -> None:
    size = 8 << 20
    server.respond(PAGE, bytes(range(256)) * (size // 256))
    client = make_client(cache)
    assert client.http  # made (and urllib3 imported) before measuring
    tracemalloc.start()
    try:
        blob = client.get(server.url + PAGE, entry(cache), lambda r: Blob(r.content[::-1]),
                          Blob)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(blob.data) == size
    # The record and its encoding, or the body and the record: never all three at once.
    assert peak < 2.5 * size
