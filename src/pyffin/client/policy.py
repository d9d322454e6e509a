"""HTTP cache policy (RFC 9111) for a private cache: is a stored response still fresh, and how
to revalidate it when it is not.

The policy is stored next to the transformed payload, as a plain tuple (see
:meth:`CachePolicy.to_record`), and evaluated without parsing any header again.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyffin.records import record

# Status codes that are cacheable by default (RFC 9110 §15.1) and so allow heuristic freshness.
_HEURISTICALLY_CACHEABLE = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
#: Heuristic freshness: this fraction of the time since Last-Modified (RFC 9111 §4.2.2).
_HEURISTIC_FRACTION = 0.1
#: Upper bound on heuristic freshness, so an old page is not trusted for months.
_HEURISTIC_MAX = 24 * 3600.0


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """``max-age=600, no-cache`` → ``{"max-age": "600", "no-cache": None}`` (names lower-cased;
    quoted values unquoted; the first occurrence of a directive wins)."""
    directives: dict[str, str | None] = {}
    if not value:
        return directives
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        name = name.strip().lower()
        if not name or name in directives:
            continue
        directives[name] = arg.strip().strip('"') if sep else None
    return directives


def parse_http_date(value: str | None) -> float | None:
    """An HTTP date as a POSIX timestamp; ``None`` when absent or invalid (RFC 9111 says an
    invalid ``Expires`` means "already expired", which callers handle)."""
    if not value:
        return None
    import email.utils  # (no ``from``: see pyffin.client.simple.FilenameParts.version)

    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def has_validators(headers: Mapping[str, str]) -> bool:
    """Whether a response (lower-case header names) can be revalidated by a conditional
    request."""
    return "etag" in headers or "last-modified" in headers


def body_digest(content: bytes) -> str:
    """What identifies a body that came without validators: a later 200 with the same digest
    is the same response, with nothing to transform again (SHA-256: a changed page never
    passes for the old one by accident)."""
    import hashlib

    return hashlib.sha256(content).hexdigest()


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = int(value)
    except ValueError:
        return None
    return float(max(seconds, 0))


@record
class CachePolicy:
    """What a stored response's headers say about reusing it.

    Times are POSIX timestamps taken from this machine's clock (``request_time`` and
    ``response_time``) or the server's headers (``date``, ``expires``, ``last_modified``).
    """

    status: int
    request_time: float
    response_time: float
    date: float | None
    age: float
    max_age: float | None
    expires: float | None
    #: ``Expires`` was present but unparsable: the response counts as already expired.
    expires_invalid: bool
    last_modified: str | None
    last_modified_time: float | None
    etag: str | None
    no_cache: bool
    no_store: bool
    must_revalidate: bool
    immutable: bool
    private: bool
    #: The request carried credentials (``Authorization``).
    authenticated: bool
    #: The :func:`body_digest` of the body, kept when the response has no validator (no
    #: ``ETag``, no ``Last-Modified``): a later 200 with the same digest is not modified.
    digest: str | None = None

    #: Records written before :attr:`digest` was kept (one value fewer) read with none: a
    #: page stored then is parsed once more, not every cached response fetched again.
    RECORD_VERSION = 1

    @classmethod
    def from_response(
        cls,
        status: int,
        headers: Mapping[str, str],
        *,
        request_time: float,
        response_time: float,
        authenticated: bool = False,
        digest: str | None = None,
    ) -> CachePolicy:
        """Read the policy of a response; ``headers`` has lower-case names. ``digest``: its
        body's (see :attr:`digest`)."""
        cc = parse_cache_control(headers.get("cache-control"))
        pragma_no_cache = "cache-control" not in headers and "no-cache" in headers.get(
            "pragma", "").lower()
        expires_header = headers.get("expires")
        expires = parse_http_date(expires_header)
        last_modified = headers.get("last-modified")
        return cls(
            status=status,
            request_time=request_time,
            response_time=response_time,
            date=parse_http_date(headers.get("date")),
            age=_seconds(headers.get("age")) or 0.0,
            max_age=_seconds(cc.get("max-age")) if "max-age" in cc else None,
            expires=expires,
            expires_invalid=expires_header is not None and expires is None,
            last_modified=last_modified,
            last_modified_time=parse_http_date(last_modified),
            etag=headers.get("etag"),
            no_cache="no-cache" in cc or pragma_no_cache,
            no_store="no-store" in cc,
            must_revalidate="must-revalidate" in cc,
            immutable="immutable" in cc,
            private="private" in cc,
            authenticated=authenticated,
            digest=digest,
        )

    # --------------------------------------------------------------------------- decisions
    def is_storable(self) -> bool:
        """May the response be stored? Not with ``no-store``, and not a ``private`` answer to a
        request with credentials (the cache directory may be shared, e.g. in CI images)."""
        if self.no_store:
            return False
        return not (self.private and self.authenticated)

    @property
    def freshness_lifetime(self) -> float:
        """How long the response is fresh after it was generated (RFC 9111 §4.2.1)."""
        if self.max_age is not None:  # s-maxage is for shared caches: a private cache ignores it
            return self.max_age
        if self.expires_invalid:
            return 0.0
        if self.expires is not None:
            return max(0.0, self.expires - (self.date if self.date is not None
                                            else self.response_time))
        if self.immutable:
            return float("inf")
        if self.last_modified_time is not None and self.status in _HEURISTICALLY_CACHEABLE:
            since = (self.date if self.date is not None else self.response_time)
            return min(max(0.0, since - self.last_modified_time) * _HEURISTIC_FRACTION,
                       _HEURISTIC_MAX)
        return 0.0

    def current_age(self, now: float) -> float:
        """RFC 9111 §4.2.3."""
        apparent_age = max(0.0, self.response_time - self.date) if self.date is not None else 0.0
        response_delay = max(0.0, self.response_time - self.request_time)
        corrected_initial_age = max(apparent_age, self.age + response_delay)
        return corrected_initial_age + max(0.0, now - self.response_time)

    def is_fresh(self, now: float) -> bool:
        """May the stored response be used without asking the server?"""
        if self.no_cache:
            return False
        return self.freshness_lifetime > self.current_age(now)

    def fresh_until(self) -> float:
        """The time until which :meth:`is_fresh` holds (``-inf``: never fresh), so a record
        derived from the response can keep one number instead of the whole policy."""
        if self.no_cache:
            return float("-inf")
        return self.response_time + self.freshness_lifetime - self.current_age(
            self.response_time)

    def revalidation_headers(self) -> dict[str, str]:
        """Headers of a conditional request that asks whether the stored response changed."""
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def can_revalidate(self) -> bool:
        """Whether asking the server can tell that the stored response is still current: by
        a conditional request (validators), or by the body's digest (the same bytes again)."""
        return bool(self.etag or self.last_modified or self.digest)

    def adds_nothing_to(self, stored: CachePolicy) -> bool:
        """Whether this policy, which a revalidation of the response stored with ``stored``
        gave, tells a later command nothing ``stored`` does not: neither is fresh now nor
        this one ever, and the validators and digest are the same (the response is asked for
        again all the same, in the same way) — so it needs not be written."""
        now = self.response_time
        return (not self.is_fresh(now) and not stored.is_fresh(now)
                and self.etag == stored.etag and self.last_modified == stored.last_modified
                and self.digest == stored.digest)

    def revalidated(self, status: int, headers: Mapping[str, str], *, request_time: float,
                    response_time: float) -> CachePolicy:
        """The policy after a 304, or a 200 whose body has the stored :attr:`digest`: the new
        response's headers update the stored ones (RFC 9111 §4.3.4); validators the new
        response omits, and the digest, are kept."""
        fresh = CachePolicy.from_response(self.status, headers, request_time=request_time,
                                          response_time=response_time,
                                          authenticated=self.authenticated,
                                          digest=self.digest)
        keep_validators = {
            "etag": fresh.etag or self.etag,
            "last_modified": fresh.last_modified or self.last_modified,
            "last_modified_time": (fresh.last_modified_time if fresh.last_modified
                                   else self.last_modified_time),
        }
        from pyffin.records import replace

        return replace(fresh, **keep_validators)

    # ------------------------------------------------------------------------------ record
    def to_record(self) -> tuple[object, ...]:
        return (self.status, self.request_time, self.response_time, self.date, self.age,
                self.max_age, self.expires, self.expires_invalid, self.last_modified,
                self.last_modified_time, self.etag, self.no_cache, self.no_store,
                self.must_revalidate, self.immutable, self.private, self.authenticated,
                self.digest)

    @classmethod
    def from_record(cls, data: tuple[object, ...]) -> CachePolicy:
        return cls(*data)  # type: ignore[arg-type]
