"""``--exclude-newer`` / ``--exclude-newer-package`` values, read as uv 0.13 reads them (the
accepted and refused spellings below were checked against uv 0.13.9)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pyffin.api.exclude_newer import duration_seconds, parse_cutoff, parse_exclude_newer
from pyffin.errors import UsageError

DAY = 86400.0
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(("text", "seconds"), [
    ("7 days", 7 * DAY), ("1 week", 7 * DAY), ("1w", 7 * DAY), ("7d", 7 * DAY),
    ("3days", 3 * DAY), ("1week2days", 9 * DAY), ("1 week, 2 days", 9 * DAY),
    ("2 weeks 3 days", 17 * DAY), ("0 days", 0.0), ("30 mins", 1800.0), ("4 hrs", 4 * 3600.0),
    ("1h", 3600.0), ("1.5 hours", 5400.0), ("1,5h", 5400.0), ("1 hour 30.5 minutes", 5430.0),
    ("1 day 01:00:00", DAY + 3600), ("01:00:00", 3600.0), ("7 days ago", 7 * DAY),
    ("-7 days", 7 * DAY), ("+3d", 3 * DAY), ("7 days  ", 7 * DAY), ("1 µs", 1e-6),
    ("P7D", 7 * DAY), ("p1w", 7 * DAY), ("P1W2D", 9 * DAY), ("PT12H", 12 * 3600.0),
    ("P1DT2H", DAY + 7200), ("PT1M", 60.0), ("PT1.5H", 5400.0), ("-P3D", 3 * DAY),
])
def test_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [
    "1.5 days", "2 days 3 weeks", "1d 1d", "1 days,", "1 WEEK", "1 Week", " 7 days", "+ 3 days",
    "1.5 hours 30 minutes", "1_000 days", "0", "7", "P", "PT", "P1.5D", "last tuesday", "",
])
def test_not_durations(text: str) -> None:
    assert duration_seconds(text) is None


@pytest.mark.parametrize(("text", "message"), [
    ("1 year", "years are not allowed .*use days instead, e.g. '365 days'"),
    ("P1Y", "years are not allowed"),
    ("2 months", "months are not allowed .*e.g. '60 days'"),
    ("P1M", "months are not allowed"),
    ("last tuesday", "invalid --exclude-newer 'last tuesday': expected a date"),
    ("2024-02-30", "invalid date '2024-02-30'"),
    ("2024-03-01T25:00:00Z", "invalid timestamp"),
])
def test_refused_values(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_cutoff(text)


def test_a_duration_counts_back_from_now() -> None:
    assert parse_cutoff("7 days", now=NOW) == (NOW - 7 * DAY, True)


def test_a_date_keeps_the_whole_day_in_local_time() -> None:
    # uv: files uploaded on the date are kept, so the cutoff is the next local midnight.
    expected = datetime(2024, 3, 2).astimezone().timestamp()
    assert parse_cutoff("2024-03-01") == (expected, False)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-01T12:00:00Z", datetime(2024, 3, 1, 12, tzinfo=timezone.utc)),
    ("2024-03-01 12:00:00Z", datetime(2024, 3, 1, 12, tzinfo=timezone.utc)),
    ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, tzinfo=timezone.utc)),
    ("2024-03-01T12:00:00.5Z", datetime(2024, 3, 1, 12, tzinfo=timezone.utc)
     + timedelta(milliseconds=500)),
])
def test_timestamps(text: str, expected: datetime) -> None:
    assert parse_cutoff(text) == (expected.timestamp(), False)


def test_false_is_no_cutoff() -> None:
    assert parse_cutoff("false") == (None, False)


def test_package_cutoffs() -> None:
    cutoffs = parse_exclude_newer("2024-03-01T00:00:00Z",
                                  ["Flask_Login=7 days", "django=false", "flask-login=1 day"],
                                  now=NOW)
    assert cutoffs.default == datetime(2024, 3, 1, tzinfo=timezone.utc).timestamp()
    assert cutoffs.packages == {"flask-login": NOW - DAY, "django": None}  # the last one wins
    assert cutoffs.relative
    assert not parse_exclude_newer("2024-03-01", ["a=2024-01-01"]).relative
    assert parse_exclude_newer(None) == parse_exclude_newer(None, [])


@pytest.mark.parametrize(("text", "message"), [
    ("flask", "invalid --exclude-newer-package 'flask': expected NAME=DATE"),
    ("flask_=2024-01-01", "expected NAME=DATE"),
    ("=2024-01-01", "expected NAME=DATE"),
    ("flask=soon", "invalid --exclude-newer-package 'soon'"),
])
def test_invalid_package_cutoffs(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_exclude_newer(None, [text])
