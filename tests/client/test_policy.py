"""RFC 9111 freshness for a private cache, decided from stored headers alone."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from pyffin.client.policy import CachePolicy, parse_cache_control, parse_http_date

NOW = 1_800_000_000.0


def policy(headers: dict[str, str], *, status: int = 200, at: float = NOW,
           authenticated: bool = False) -> CachePolicy:
    return CachePolicy.from_response(status, {k.lower(): v for k, v in headers.items()},
                                     request_time=at, response_time=at,
                                     authenticated=authenticated)


def date(t: float) -> str:
    return formatdate(t, usegmt=True)


def test_parse_cache_control() -> None:
    assert parse_cache_control('Max-Age=60, no-cache, private="x", max-age=5') == {
        "max-age": "60", "no-cache": None, "private": "x"}
    assert parse_cache_control(None) == {}


@pytest.mark.parametrize(("value", "expected"), [
    ("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0),  # IMF-fixdate, what servers send
    ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
    ("Mon, 1 Jan 2026 00:00:00 GMT", 1767225600.0),
    ("Sunday, 06-Nov-94 08:49:37 GMT", 784111777.0),  # RFC 850, obsolete
    ("Sun Nov  6 08:49:37 1994", 784111777.0),  # asctime, obsolete
    ("Mon, 01 Jan 2026 00:00:00 +0000", 1767225600.0),
    ("Mon, 31 Feb 2026 00:00:00 GMT", None),  # no such day
    ("Mon, 01 Jan 2026 24:00:00 GMT", None),
    ("Mon, 01 Foo 2026 00:00:00 GMT", None),
    ("Mon, 01 Jan 2026 0a:00:00 GMT", None),
    ("garbage", None),
    ("", None),
])
def test_http_dates(value: str, expected: float | None) -> None:
    assert parse_http_date(value) == expected


def test_max_age_makes_a_response_fresh_until_it_expires() -> None:
    p = policy({"Cache-Control": "max-age=600", "Date": date(NOW)})
    assert p.is_fresh(NOW + 599)
    assert not p.is_fresh(NOW + 601)


def test_age_header_counts_against_max_age() -> None:
    p = policy({"Cache-Control": "max-age=600", "Age": "500", "Date": date(NOW)})
    assert p.is_fresh(NOW + 99)
    assert not p.is_fresh(NOW + 101)


def test_a_date_in_the_past_is_apparent_age() -> None:
    p = policy({"Cache-Control": "max-age=600", "Date": date(NOW - 550)})
    assert not p.is_fresh(NOW + 60)


def test_s_maxage_is_ignored_by_a_private_cache() -> None:
    assert not policy({"Cache-Control": "s-maxage=600"}).is_fresh(NOW + 1)


def test_expires_relative_to_date() -> None:
    p = policy({"Expires": date(NOW + 100), "Date": date(NOW)})
    assert p.is_fresh(NOW + 99) and not p.is_fresh(NOW + 101)
    assert not policy({"Expires": "garbage"}).is_fresh(NOW)


def test_max_age_wins_over_expires() -> None:
    p = policy({"Cache-Control": "max-age=10", "Expires": date(NOW + 1000), "Date": date(NOW)})
    assert not p.is_fresh(NOW + 11)


def test_no_cache_always_revalidates() -> None:
    assert not policy({"Cache-Control": "max-age=600, no-cache"}).is_fresh(NOW)
    assert not policy({"Pragma": "no-cache"}).is_fresh(NOW)


def test_immutable_without_max_age_stays_fresh() -> None:
    assert policy({"Cache-Control": "immutable"}).is_fresh(NOW + 10**8)
    assert not policy({"Cache-Control": "immutable, max-age=1"}).is_fresh(NOW + 2)


def test_heuristic_freshness_from_last_modified() -> None:
    p = policy({"Date": date(NOW), "Last-Modified": date(NOW - 1000)})
    assert p.is_fresh(NOW + 99)  # 10% of 1000 s
    assert not p.is_fresh(NOW + 101)
    # Not for statuses that are not cacheable by default.
    assert not policy({"Date": date(NOW), "Last-Modified": date(NOW - 1000)},
                      status=302).is_fresh(NOW + 1)


def test_nothing_said_means_stale() -> None:
    assert not policy({}).is_fresh(NOW)


@pytest.mark.parametrize("headers,authenticated,storable", [
    ({"Cache-Control": "max-age=60"}, False, True),
    ({"Cache-Control": "no-store"}, False, False),
    ({"Cache-Control": "private, max-age=60"}, False, True),
    ({"Cache-Control": "private, max-age=60"}, True, False),
    ({"Cache-Control": "max-age=60"}, True, True),
])
def test_storability(headers: dict[str, str], authenticated: bool, storable: bool) -> None:
    assert policy(headers, authenticated=authenticated).is_storable() is storable


def test_revalidation_headers_use_both_validators() -> None:
    p = policy({"ETag": '"abc"', "Last-Modified": date(NOW - 10)})
    assert p.revalidation_headers() == {"If-None-Match": '"abc"',
                                        "If-Modified-Since": date(NOW - 10)}
    assert policy({}).revalidation_headers() == {}


def test_a_304_refreshes_the_policy_and_keeps_omitted_validators() -> None:
    old = policy({"Cache-Control": "max-age=60", "ETag": '"abc"', "Date": date(NOW)})
    new = old.revalidated(304, {"cache-control": "max-age=120", "date": date(NOW + 1000)},
                          request_time=NOW + 1000, response_time=NOW + 1000)
    assert new.etag == '"abc"'
    assert new.is_fresh(NOW + 1100) and not new.is_fresh(NOW + 1121)


def test_record_round_trip() -> None:
    p = policy({"Cache-Control": "max-age=60, immutable", "ETag": '"x"',
                "Last-Modified": date(NOW)})
    assert CachePolicy.from_record(p.to_record()) == p


def test_a_response_without_validators_can_be_revalidated_by_its_digest() -> None:
    from pyffin.client.policy import body_digest, has_validators

    assert not has_validators({}) and has_validators({"etag": '"x"'})
    assert not policy({}).can_revalidate()
    assert policy({"ETag": '"x"'}).can_revalidate()
    digested = CachePolicy.from_response(200, {}, request_time=NOW, response_time=NOW,
                                         digest=body_digest(b"page"))
    assert digested.can_revalidate() and digested.revalidation_headers() == {}
    assert digested.digest == body_digest(b"page") != body_digest(b"page 2")
    assert CachePolicy.from_record(digested.to_record()) == digested


def test_the_same_bytes_again_refresh_the_policy_and_keep_the_digest() -> None:
    old = CachePolicy.from_response(200, {}, request_time=NOW, response_time=NOW,
                                    digest="d")
    new = old.revalidated(200, {"cache-control": "max-age=60"}, request_time=NOW + 1000,
                          response_time=NOW + 1000)
    assert new.digest == "d" and new.is_fresh(NOW + 1030)


def test_a_newer_policy_that_adds_nothing_needs_not_be_written() -> None:
    stored = CachePolicy.from_response(200, {}, request_time=NOW, response_time=NOW,
                                       digest="d")
    again = stored.revalidated(200, {}, request_time=NOW + 60, response_time=NOW + 60)
    assert again.adds_nothing_to(stored)
    fresh = stored.revalidated(200, {"cache-control": "max-age=60"}, request_time=NOW + 60,
                               response_time=NOW + 60)
    assert not fresh.adds_nothing_to(stored)
    tagged = policy({"ETag": '"x"'}, at=NOW + 60)
    assert not tagged.adds_nothing_to(stored)
    assert not again.adds_nothing_to(policy({"Cache-Control": "max-age=600"}))  # was fresh


def test_a_record_from_before_the_digest_reads_with_none() -> None:
    p = policy({"ETag": '"x"'})
    assert CachePolicy.from_record(p.to_record()[:-1]) == p
