"""``CachedClient``: HTTP answers transformed into exactly what the caller needs, stored next to
the response's cache policy, and served from the cache while fresh (the seed's central idea).

The caller chooses the cache entry and the record type; only the transformed payload is stored,
so a warm run decodes one small record instead of re-parsing HTML, JSON or zip files.
"""

from __future__ import annotations

import os
import time
from _thread import allocate_lock
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pyffin import log
from pyffin.cache import CacheEntry, codec
from pyffin.cache.codec import Cacheable
from pyffin.cache.fs import stamp as _stamp_of
from pyffin.client.errors import HttpStatusError, OfflineError
from pyffin.client.policy import CachePolicy, body_digest, has_validators
from pyffin.models.urls import redact

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.cache.fs import FileStamp
    from pyffin.client.http import HttpClient, Response


R = TypeVar("R", bound=Cacheable)

#: What a record derived from cached data (a summary, a kept resolution) depends on:
#: ``(path, stamp, fresh_until, response_time)``. The file at ``path`` must still have
#: ``stamp`` (``None``: there must be no file) and, for a stored HTTP response
#: (``fresh_until`` not ``None``), the response must still be usable without the network:
#: fresh until then (or per the newer policy a revalidation gave it), not refreshed
#: (``--refresh`` looks at ``response_time``).
Dependency = tuple[str, "FileStamp | None", "float | None", float]

#: The record, in a directory of stored responses, of the newer policies revalidations gave
#: them (see :class:`_Revalidations`). No project's record has this name: a normalized
#: project name starts with a letter or a digit.
REVALIDATED_NAME = "_revalidated.rec"
_POLICY_SCHEMA = f"revalidated+http{CachePolicy.RECORD_VERSION}"
_POLICY_VERSION = 2

#: A stored response's newer policy: the stamp of the record file it is for, and the policy
#: as :meth:`CachePolicy.to_record` gives it.
_Newer = tuple[tuple[int, ...], Any]


class _Revalidations:
    """The newer policies revalidations gave stored responses (a 304, or the same bytes
    again), by directory and record name, for the whole process: one record per directory
    (:data:`REVALIDATED_NAME`), read once, written once per batch of revalidations
    (:meth:`flush`). A record file per response, as before, cost a stale warm compile of
    the large set 147 atomic writes: a fifth of its CPU.

    Each policy is tied to the stamp of the record file it is for: a record written again
    since (or removed) no longer has it. What a process keeps here and has not written yet
    is seen by every client of the process; another process sees it after :meth:`flush` (at
    the latest at exit), and one that misses it only asks the server once more. A policy
    that is no longer fresh says nothing a revalidation would not ask again: it is dropped
    when the record is written, which keeps the record to the recently revalidated."""

    def __init__(self) -> None:
        self._lock = allocate_lock()
        #: Directory -> record name -> newer policy: read from the directory's record, and
        #: given since.
        self._known: dict[str, dict[str, _Newer]] = {}
        #: Directory -> record name -> newer policy given since the last :meth:`flush`.
        self._unsaved: dict[str, dict[str, _Newer]] = {}
        self._exit_flush = False

    def get(self, path: str, stamp: tuple[int, ...]) -> Any | None:
        """The newer policy (as a record) of the response stored at ``path`` while its file
        has ``stamp``; ``None`` when there is none."""
        directory, name = os.path.split(path)
        with self._lock:
            known = self._known.get(directory)
        if known is None:
            read = _read_revalidated(directory)
            with self._lock:
                known = self._known.setdefault(directory, read)
        found = known.get(name)
        return found[1] if found is not None and found[0] == stamp else None

    def put(self, path: str, stamp: tuple[int, ...], policy: Any) -> None:
        """Keep the newer policy (as a record) of the response stored at ``path``, whose
        file has ``stamp``: written by the next :meth:`flush`."""
        directory, name = os.path.split(path)
        with self._lock:
            self._known.setdefault(directory, {})[name] = (stamp, policy)
            self._unsaved.setdefault(directory, {})[name] = (stamp, policy)
            register = not self._exit_flush
            self._exit_flush = True
        if register:
            import atexit

            atexit.register(self.flush)

    def flush(self) -> None:
        """Write what was given since the last call, each directory's record merged with
        what it holds now (another process may have written it meanwhile), dropping the
        policies no longer fresh. A directory that is gone (the cache was removed) is not
        made again. Never raises: an unwritten policy is only asked for again."""
        with self._lock:
            unsaved, self._unsaved = self._unsaved, {}
        now = time.time()
        for directory, given in unsaved.items():
            try:
                if not os.path.isdir(directory):
                    continue
                merged = {name: newer for name, newer in _read_revalidated(directory).items()
                          if name not in given and _fresh(newer, now)}
                merged.update(given)
                CacheEntry(Path(directory), REVALIDATED_NAME).write(codec.dumps(
                    _POLICY_SCHEMA, _POLICY_VERSION, merged))
            except Exception as e:  # never fatal: the next run asks the server again
                log.debug(f"Could not keep the revalidated policies in {directory}: {e}")
                continue
            with self._lock:
                self._known[directory] = {**merged, **self._known.get(directory, {})}


def _fresh(newer: _Newer, now: float) -> bool:
    """Whether the newer policy ``newer`` is still fresh at ``now`` (not when unreadable)."""
    try:
        return CachePolicy.from_record(tuple(newer[1])).fresh_until() > now
    except (TypeError, ValueError):
        return False


def _read_revalidated(directory: str) -> dict[str, _Newer]:
    """The newer policies the record of ``directory`` holds (none when it has none, or an
    unreadable one)."""

    def decode(data: bytes) -> dict[str, _Newer]:
        loaded: Any = codec.loads(data, _POLICY_SCHEMA, _POLICY_VERSION)
        if not isinstance(loaded, dict):
            raise codec.RecordError("not a table of policies")
        return {name: (tuple(stamp), policy) for name, (stamp, policy) in loaded.items()}

    return CacheEntry(Path(directory), REVALIDATED_NAME).read_record(decode) or {}


_REVALIDATIONS = _Revalidations()


class Refresh:
    """``--refresh`` / ``--refresh-package``: entries last validated before the command started
    count as stale for all packages, or for the named ones."""

    __slots__ = ("all", "packages", "timestamp")

    def __init__(self, *, all: bool = False, packages: Iterable[str] = (),
                 timestamp: float | None = None) -> None:
        from pyffin.models.names import checked_name

        self.all = all
        self.packages = frozenset(checked_name(p) for p in packages)
        self.timestamp = time.time() if timestamp is None else timestamp

    def forces(self, package: str | None, validated_at: float) -> bool:
        """Must an entry of ``package`` validated at ``validated_at`` be revalidated?"""
        if validated_at >= self.timestamp:
            return False
        if self.all:
            return True
        return package is not None and package in self.packages


class CachedClient:
    """HTTP GET through the cache, following RFC 9111 for a private cache."""

    def __init__(self, cache: Cache, http: HttpClient | Callable[[], HttpClient], *,
                 refresh: Refresh | None = None, offline: bool = False) -> None:
        self.cache = cache
        self._http = http
        self._http_lock = allocate_lock()
        self.refresh = refresh or Refresh()
        self.offline = offline
        #: Stored responses received at this time or later are current for the rest of the
        #: command, whatever their policy says, as those this client wrote are (see
        #: :attr:`_current`): this command's page workers received them
        #: (:mod:`pyffin.resolver.page_worker`). ``None``: none is.
        self.received_since: float | None = None
        #: The cache policy and file stamp of what this client last read or wrote at each
        #: entry (by path): records derived from a response are tied to both.
        self._seen: dict[str, tuple[CachePolicy, FileStamp]] = {}
        #: Local files and directories read (``file://`` pages, find-links directories, local
        #: wheels) with their stamps, and why some answer could not be tied to files at all
        #: (see :meth:`dependencies`).
        self._local: dict[str, FileStamp | None] = {}
        self._untracked: list[str] = []
        self._derived: dict[str, Dependency] = {}
        #: Content-addressed records read at any age (see :meth:`immutable`): path -> stamp
        #: and response time. They hold while their file is unchanged.
        self._immutable: dict[str, tuple[FileStamp, float]] = {}
        #: The stored responses this client wrote or had confirmed by the server (a 304, the
        #: same bytes again), by path, with the stamp of the file it left: current for the
        #: rest of the command, whatever their policy says (one asks a page once per command
        #: even when the index makes it stale at once: a kept resolution's revalidation, then
        #: the resolution that reads the pages it found changed).
        self._current: dict[str, FileStamp] = {}
        #: The policies revalidations gave records (see :meth:`_revalidated_policy`)
        #: as read or written here, by path, with the stamp of the record they are for: each
        #: is read once (a page's summary, then the kept resolution, check it). One another
        #: command stores meanwhile is not seen: the older one only says less fresh.
        self._newer: dict[str, tuple[tuple[int, ...], CachePolicy | None]] = {}

    @property
    def http(self) -> HttpClient:
        """The HTTP client, created on first network use (importing urllib3 is expensive);
        once: a cold run's first requests ask for it from a score of threads at once, and
        clients of their own would each load the trust store and open their own connections."""
        http = self._http
        if callable(http):
            with self._http_lock:
                if callable(self._http):
                    self._http = self._http()
                http = self._http
        assert not callable(http)
        return http

    def cached(self, entry: CacheEntry, record_type: type[R], *,
               package: str | None = None) -> R | None:
        """The stored payload if it can be used without the network (fresh, or offline);
        ``None`` otherwise. Lets callers answer warm lookups in the calling thread and send
        only real network work to the I/O pool."""
        stored = self._read(entry, record_type)
        if stored is None:
            return None
        policy, value = stored
        return value if self.usable_without_network(policy, package) else None

    def immutable(self, entry: CacheEntry, record_type: type[R], *,
                  package: str | None = None) -> R | None:
        """The stored payload of a content-addressed ``entry`` (its key holds the hash of what
        it was derived from: the metadata of a wheel the index lists with its sha256), at any
        age: it cannot change while the hash does not, whatever the response's cache headers
        said (an index that sends none makes every record stale at once). A record derived
        from it holds while the file keeps its stamp (fresh for ever, see
        :meth:`dependencies`); ``--refresh`` still fetches it again."""
        stored = self._read_stamped(entry, record_type)
        if stored is None:
            return None
        (policy, value), stamp = stored
        if self.refresh.forces(package, policy.response_time):
            return None
        self._immutable[entry.path_str] = (stamp, policy.response_time)
        return value

    def stored(self, entry: CacheEntry, record_type: type[R]) -> R | None:
        """The stored payload, fresh or not; ``None`` when there is none."""
        stored = self._read(entry, record_type)
        return None if stored is None else stored[1]

    def response_time(self, entry: CacheEntry) -> float | None:
        """When the response stored at ``entry``, as this client last read or wrote it, was
        received (``None``: it did neither)."""
        found = self._immutable.get(entry.path_str)
        if found is not None:
            return found[1]
        seen = self._seen.get(entry.path_str)
        return None if seen is None else seen[0].response_time

    def last_seen(self, entry: CacheEntry) -> tuple[CachePolicy, FileStamp] | None:
        """The cache policy and file stamp of what this client last read or wrote at
        ``entry`` (``None``: neither, in this process). A record derived from that response
        is valid while the entry's file keeps the stamp and the policy allows its use."""
        return self._seen.get(entry.path_str)

    def note_local(self, path: str, stamp: FileStamp | None) -> None:
        """Something was read from the local file or directory ``path`` (``stamp`` taken
        before reading it; ``None``: it did not exist)."""
        self._local.setdefault(path, stamp)

    def note_untracked(self, why: str) -> None:
        """An answer came from somewhere no file stands for (an index that answered 404, which
        is not stored): what this process read cannot be kept as :meth:`dependencies`."""
        self._untracked.append(why)

    def note_dependencies(self, dependencies: Iterable[Dependency]) -> None:
        """Records derived from cached data were used in their place (a summary instead of
        its pages): what they depend on counts as read (see :meth:`dependencies`)."""
        for dependency in dependencies:
            self._derived[dependency[0]] = dependency

    def dependencies(self) -> list[Dependency] | None:
        """Everything this client read or wrote so far, as :data:`Dependency` values: a record
        derived from it is valid while :meth:`holds` them. ``None`` when something it used
        cannot be checked that way (see :meth:`note_untracked`)."""
        if self._untracked:
            return None
        found = dict(self._derived)
        for path, stamp in list(self._local.items()):
            found[path] = (path, stamp, None, 0.0)
        for path, (policy, stamp) in list(self._seen.items()):
            found[path] = (path, stamp, policy.fresh_until(), policy.response_time)
        for path, (stamp, response_time) in list(self._immutable.items()):
            if found.get(path, (None, stamp))[1] == stamp:  # not rewritten since
                found[path] = (path, stamp, float("inf"), response_time)
        return list(found.values())

    def policy_dependency(self, entry: CacheEntry) -> Dependency | None:
        """The :data:`Dependency` on the response stored at ``entry`` as this client last
        read or wrote it; ``None`` when it did neither."""
        seen = self._seen.get(entry.path_str)
        if seen is None:
            return None
        policy, stamp = seen
        return entry.path_str, stamp, policy.fresh_until(), policy.response_time

    def seen_policy(self, path: str) -> CachePolicy | None:
        """The policy of the response stored at ``path`` as this client last read or wrote
        it (``None``: neither)."""
        seen = self._seen.get(path)
        return None if seen is None else seen[0]

    def holds(self, dependencies: Iterable[Dependency], package: str | None = None) -> bool:
        """Whether every dependency still holds: each file unchanged (or still absent), each
        stored response still usable without the network — fresh (after a revalidation, per
        the newer policy a revalidation gave it), not refreshed for ``package``, received
        since :attr:`received_since`, or offline."""
        now = time.time()
        return all(self.dependency_state(d, package, now) == "holds" for d in dependencies)

    def dependency_state(self, dependency: Dependency, package: str | None = None,
                         now: float | None = None) -> str:
        """``holds`` (see :meth:`holds`), ``stale``: the file is unchanged but its response is
        no longer usable without asking the server (:meth:`revalidate` may tell it holds), or
        ``changed``."""
        path, stamp, fresh_until, response_time = dependency
        if _stamp_of(path) != (None if stamp is None else tuple(stamp)):
            return "changed"
        since = self.received_since
        if fresh_until is None or self.offline or (since is not None
                                                   and response_time >= since):
            return "holds"
        if self.refresh.forces(package, response_time):
            return "stale"
        if (time.time() if now is None else now) < fresh_until:
            return "holds"
        newer = self._revalidated_policy(path, stamp)
        if newer is None or not self.usable_without_network(newer, package):
            return "stale"
        return "holds"

    def fresh_until(self, dependency: Dependency) -> float | None:
        """Until when the stored response ``dependency`` names is fresh: its own policy's
        time, or the newer policy's a revalidation gave it (``None``: not a stored
        response)."""
        path, stamp, fresh_until, _ = dependency
        if fresh_until is None:
            return None
        newer = self._revalidated_policy(path, stamp)
        return fresh_until if newer is None else max(fresh_until, newer.fresh_until())

    def revalidate(self, url: str, entry: CacheEntry, stamp: FileStamp, policy: CachePolicy,
                   transform: Callable[[Response], R], record_type: type[R], *,
                   headers: Mapping[str, str] | None = None,
                   package: str | None = None) -> bool:
        """Ask whether the response stored at ``entry`` (the file with ``stamp``, whose policy
        is ``policy``) is still current, without decoding it: ``True`` when not modified — a
        304, or a 200 with the very bytes stored (see :attr:`CachePolicy.digest`) — (the
        newer policy is kept apart, the file stays; ``package`` is kept for symmetry
        with :meth:`get`); ``False`` when it changed (the new response is transformed and
        stored, as :meth:`get` does) or the server said anything else (the caller asks again
        the usual way, and reports it)."""
        current = self._revalidated_policy(entry.path_str, stamp) or policy
        if not current.can_revalidate():
            return False
        request = dict(headers or {})
        request.update(current.revalidation_headers())
        response = self.http.get(url, request)
        if response.status == 304 or self._same_bytes(current, response):
            log.debug(f"Not modified: {redact(url)}")
            new_policy = current.revalidated(
                response.status, response.headers, request_time=response.request_time,
                response_time=response.response_time)
            if entry.stamp() != tuple(stamp):
                return False  # replaced meanwhile: what it holds now is anyone's guess
            self._seen[entry.path_str] = (current, stamp)
            if new_policy.is_storable():
                self._write_policy(entry, new_policy)
            return True  # current now, whatever its new policy says about later
        if response.status == 200:
            value = transform(response)
            new_policy = _policy_of(response, digest=True)
            if new_policy.is_storable():
                self._write(entry, record_type, new_policy, value)
        return False

    @staticmethod
    def _same_bytes(policy: CachePolicy, response: Response) -> bool:
        """Whether ``response`` is a 200 with the body of the stored response whose policy is
        ``policy`` (known when that one came without validators)."""
        if response.status != 200 or policy.digest is None:
            return False
        from pyffin.client.policy import body_digest

        return body_digest(response.content) == policy.digest

    def usable_without_network(self, policy: CachePolicy, package: str | None) -> bool:
        """Whether a response with ``policy`` may be used as is (fresh, not refreshed,
        received since :attr:`received_since`, or offline) — for records derived from a
        cached response."""
        since = self.received_since
        return self.offline or (since is not None and policy.response_time >= since) or (
            policy.is_fresh(time.time()) and not self.refresh.forces(package,
                                                                     policy.response_time))

    def get(self, url: str, entry: CacheEntry, transform: Callable[[Response], R],
            record_type: type[R], *, headers: Mapping[str, str] | None = None,
            package: str | None = None, absent: bool = False) -> R:
        """The payload for ``url``: from ``entry`` while fresh, else fetched (conditionally
        when a stored payload exists) and transformed by ``transform`` — unless the server
        says it is not modified, by a 304 or by a 200 with the very bytes stored (a response
        without validators keeps its body's digest): the stored payload is then kept as it
        is, with only its newer policy kept apart (see :meth:`_write_policy`).

        ``package`` (a normalized name) makes ``--refresh-package`` apply to this entry.
        ``absent``: the caller knows nothing is stored there (its directory was not there when
        it looked): no read is tried (a cold run's every page and metadata file). Statuses
        other than 200 and 304 raise :class:`HttpStatusError` (a 404 included) and store
        nothing.
        """

        def fetch(stored: CachePolicy | None) -> tuple[Response, R | None]:
            request_headers = dict(headers or {})
            conditional = {} if stored is None else stored.revalidation_headers()
            request_headers.update(conditional)
            response = self.http.get(url, request_headers)
            if response.status == 304 and conditional:
                return response, None
            if response.status != 200:
                shown = redact(url)
                raise HttpStatusError(f"{shown} answered HTTP {response.status}", url=shown,
                                      status=response.status)
            if stored is not None and self._same_bytes(stored, response):
                return response, None
            return response, transform(response)

        return self._fetch(url, entry, record_type, fetch, package=package, digest=True,
                           absent=absent, release=True)

    def fetch(self, url: str, entry: CacheEntry, record_type: type[R],
              fetch: Callable[[Mapping[str, str]], tuple[Response, R | None]], *,
              package: str | None = None, absent: bool = False) -> R:
        """Like :meth:`get`, with the requests made by ``fetch``: it receives the conditional
        headers to send (empty when nothing is stored) and returns the response that carries
        the cache policy with the value, or ``(304 response, None)`` when not modified. Used
        when one value takes several requests (range reads of a remote zip)."""
        return self._fetch(
            url, entry, record_type,
            lambda stored: fetch({} if stored is None else stored.revalidation_headers()),
            package=package, digest=False, absent=absent)

    def _fetch(self, url: str, entry: CacheEntry, record_type: type[R],
               fetch: Callable[[CachePolicy | None], tuple[Response, R | None]], *,
               package: str | None, digest: bool, absent: bool = False,
               release: bool = False) -> R:
        """:meth:`get` and :meth:`fetch`: ``fetch`` receives the stored response's policy
        (``None``: nothing stored) and returns the response with the value, or ``None`` for
        it when not modified (a 304, or a 200 with the stored bytes). ``digest``: keep the
        digest of a body that comes without validators (it is the whole response).
        ``release``: the response is this client's own, its body dropped once transformed."""
        stored = None if absent else self._read(entry, record_type)
        if stored is not None:
            policy, value = stored
            if self.usable_without_network(policy, package) or self._is_current(entry):
                return value
            response, new_value = fetch(policy)
            if new_value is None:
                log.debug(f"Not modified: {redact(url)}")
                new_policy = policy.revalidated(
                    response.status, response.headers, request_time=response.request_time,
                    response_time=response.response_time)
                if new_policy.is_storable():
                    self._write_policy(entry, new_policy)
                return value
            log.debug(f"Modified: {redact(url)}")
        else:
            if self.offline:
                shown = redact(url)
                raise OfflineError(f"{shown} is not in the cache and pyffin is offline",
                                   url=shown, hint="drop --offline to allow network access")
            response, new_value = fetch(None)
            assert new_value is not None, "fetch returned no value for an unconditional request"
        if url.startswith("file:"):
            return new_value  # local files are read afresh every time: nothing to revalidate
        policy = _policy_of(response, digest=digest)
        if release:
            # Transformed: the body (a project page is megabytes) is not held while its
            # record is encoded and written, and its memory serves the encoding.
            response.content = b""
        if policy.is_storable():
            self._write(entry, record_type, policy, new_value)
        else:
            entry.remove()
        return new_value

    def _is_current(self, entry: CacheEntry) -> bool:
        """Whether the stored response at ``entry``, as last read, is one this client wrote or
        had confirmed in this command (see :attr:`_current`)."""
        current = self._current.get(entry.path_str)
        if current is None:
            return False
        seen = self._seen.get(entry.path_str)
        return seen is not None and seen[1] == current

    def _read_stamped(self, entry: CacheEntry, record_type: type[R],
                      ) -> tuple[tuple[CachePolicy, R], FileStamp] | None:
        """The stored policy and payload at ``entry`` with the file's stamp, as written."""
        schema = _schema(record_type)
        return self.cache.read_stamped_record(
            entry, lambda data: _decode(data, schema, record_type))

    def _read(self, entry: CacheEntry, record_type: type[R]) -> tuple[CachePolicy, R] | None:
        stored = self._read_stamped(entry, record_type)
        if stored is None:
            return None
        (policy, value), stamp = stored
        if not policy.is_fresh(time.time()) or self.refresh.all or self.refresh.packages:
            # A revalidation since it was written may have given it a newer policy.
            policy = self._revalidated_policy(entry.path_str, stamp) or policy
        self._seen[entry.path_str] = (policy, stamp)
        return policy, value

    def _write_policy(self, entry: CacheEntry, policy: CachePolicy) -> None:
        """After a 304 (or the same bytes again): the record's data stands, only its policy
        is new. The policy is kept apart (:class:`_Revalidations`), tied to the record file's
        stamp, so the record file — and everything derived from it (summaries, kept
        resolutions) — stays as it was; not even that when it adds nothing to the stored one
        (an index that sends no cache headers: stale at once, as before)."""
        seen = self._seen.get(entry.path_str)
        stamp = seen[1] if seen is not None else entry.stamp()
        if stamp is None:
            return
        if seen is None or not policy.adds_nothing_to(seen[0]):
            _REVALIDATIONS.put(entry.path_str, tuple(stamp), policy.to_record())
            self._newer[entry.path_str] = (tuple(stamp), policy)
        self._seen[entry.path_str] = (policy, stamp)
        self._current[entry.path_str] = stamp

    def _revalidated_policy(self, path: str, stamp: FileStamp | None) -> CachePolicy | None:
        """The policy a revalidation gave the record at ``path`` while it had ``stamp``;
        ``None`` when there is none (or it belongs to another version)."""
        if stamp is None:
            return None
        key = tuple(stamp)
        known = self._newer.get(path)
        if known is not None and known[0] == key:
            return known[1]
        record = _REVALIDATIONS.get(path, key)
        found = None
        if record is not None:
            try:
                found = CachePolicy.from_record(tuple(record))
            except (TypeError, ValueError):  # another shape: as if there were none
                found = None
        self._newer[path] = (key, found)
        return found

    def flush_revalidations(self) -> None:
        """Write the newer policies this process's revalidations gave (see
        :class:`_Revalidations`): after a batch of them, so other processes see them."""
        _REVALIDATIONS.flush()

    def _write(self, entry: CacheEntry, record_type: type[R], policy: CachePolicy,
               value: R) -> None:
        stamp = entry.write(_encode(_schema(record_type), record_type.RECORD_VERSION, policy,
                                    value.to_record()))
        self._seen[entry.path_str] = (policy, stamp)
        self._current[entry.path_str] = stamp


def _policy_of(response: Response, *, digest: bool) -> CachePolicy:
    """The policy of a 200 ``response``; ``digest``: with its body's digest when it came
    without validators (a later 200 with the same bytes is then known to be not modified)."""
    return CachePolicy.from_response(
        response.status, response.headers, request_time=response.request_time,
        response_time=response.response_time, authenticated=response.authenticated,
        digest=body_digest(response.content)
        if digest and not has_validators(response.headers) else None)


def _schema(record_type: type[Cacheable]) -> str:
    return f"{record_type.RECORD_SCHEMA}+http{CachePolicy.RECORD_VERSION}"


def _encode(schema: str, version: int, policy: CachePolicy, payload: Any
            ) -> tuple[bytes, bytes]:
    return codec.dump_parts(schema, version, (policy.to_record(), payload))


def _decode(data: bytes, schema: str, record_type: type[R]) -> tuple[CachePolicy, R]:
    loaded: Any = codec.loads(data, schema, record_type.RECORD_VERSION)
    policy_data, payload = loaded
    return CachePolicy.from_record(tuple(policy_data)), record_type.from_record(payload)
