"""``--exclude-newer`` and ``--exclude-newer-package``: upload-time cutoffs, read as uv 0.13 reads
them.

A value is one of:

* an RFC 3339 timestamp, ``2024-03-01T12:00:00Z`` (no offset: local time);
* a date, ``2024-03-01``: files uploaded *on* that day are kept, so the cutoff is the start of
  the next day in the local time zone (uv's rule);
* a duration before now, in the "friendly" form (``7 days``, ``1 week``, ``2 weeks, 3 days``,
  ``1w``, ``36h``, ``1.5 hours``, ``1 day 06:00:00``, ``3 days ago``) or ISO 8601
  (``P7D``, ``P1W``, ``PT12H``); years and months are refused, as their length varies (write
  days). Unit names are lowercase; only hours and smaller units take a fraction, on the last
  unit given;
* ``false``: no cutoff (for a package: none for it, whatever ``--exclude-newer`` says).

A cutoff computed from a duration moves with the clock: operations that use one do not keep
the per-target summaries of index pages, whose cache key includes the cutoff.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping

from pyffin.errors import UsageError
from pyffin.models.names import is_valid_name, normalize_name
from pyffin.records import record

_DAY = 86400.0
#: Friendly unit designators, largest first, as jiff (uv's time library) spells them.
_UNITS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("years", 0.0, ("y", "yr", "yrs", "year", "years")),
    ("months", 0.0, ("mo", "mos", "month", "months")),
    ("weeks", 7 * _DAY, ("w", "wk", "wks", "week", "weeks")),
    ("days", _DAY, ("d", "day", "days")),
    ("hours", 3600.0, ("h", "hr", "hrs", "hour", "hours")),
    ("minutes", 60.0, ("m", "min", "mins", "minute", "minutes")),
    ("seconds", 1.0, ("s", "sec", "secs", "second", "seconds")),
    ("milliseconds", 1e-3, ("ms", "msec", "msecs", "millisecond", "milliseconds")),
    ("microseconds", 1e-6, ("µs", "μs", "us", "usec", "usecs", "microsecond", "microseconds")),
    ("nanoseconds", 1e-9, ("ns", "nsec", "nsecs", "nanosecond", "nanoseconds")),
)
_DESIGNATORS = {name: index for index, (_, _, names) in enumerate(_UNITS) for name in names}
_HOURS = 4  # index of "hours": it and the smaller units may have a fraction
_UNIT_VALUE = re.compile(r"(\d+)(?:[.,](\d+))?\s*([a-zµμ]+)")
_HMS = re.compile(r"(\d+):(\d{2}):(\d{2})(?:[.,](\d+))?")
_ISO = re.compile(
    r"[Pp](?:(?P<years>\d+)[Yy])?(?:(?P<months>\d+)[Mm])?(?:(?P<weeks>\d+)[Ww])?"
    r"(?:(?P<days>\d+)[Dd])?(?:(?P<time>[Tt])(?:(?P<hours>\d+(?:[.,]\d+)?)[Hh])?"
    r"(?:(?P<minutes>\d+(?:[.,]\d+)?)[Mm])?(?:(?P<seconds>\d+(?:[.,]\d+)?)[Ss])?)?")
_EXPECTED = ("expected a date (2024-03-01), an RFC 3339 timestamp (2024-03-01T00:00:00Z), a "
             "duration (7 days, 1 week, P7D) or false")


@record
class ExcludeNewer:
    """The upload-time cutoffs of an operation, as POSIX timestamps."""

    #: ``--exclude-newer``; ``None``: no cutoff.
    default: float | None = None
    #: ``--exclude-newer-package``: normalized name -> cutoff (``None``: no cutoff for it).
    packages: Mapping[str, float | None] | None = None
    #: Whether a cutoff was computed from a duration (it changes from one run to the next).
    relative: bool = False


def parse_exclude_newer(value: str | None, packages: Iterable[str] = (), *,
                        now: float | None = None) -> ExcludeNewer:
    """``--exclude-newer VALUE`` and ``--exclude-newer-package NAME=VALUE`` options (the
    last value given for a package wins)."""
    now = time.time() if now is None else now
    default, relative = (None, False) if value is None else parse_cutoff(value, now=now)
    chosen: dict[str, float | None] = {}
    for text in packages:
        name, sep, cutoff_text = text.partition("=")
        name = name.strip()
        if not sep or not is_valid_name(name):
            raise UsageError(f"invalid --exclude-newer-package {text!r}: expected NAME=DATE "
                             "(flask=2024-03-01, flask=7 days or flask=false)")
        cutoff, moving = parse_cutoff(cutoff_text.strip(), option="--exclude-newer-package",
                                      now=now)
        chosen[normalize_name(name)] = cutoff
        relative = relative or moving
    return ExcludeNewer(default, chosen or None, relative)


def parse_cutoff(value: str, *, option: str = "--exclude-newer",
                 now: float | None = None) -> tuple[float | None, bool]:
    """One value: ``(cutoff or None for false, whether it is relative to now)``."""
    if value == "false":
        return None, False
    timestamp = _timestamp(value)
    if timestamp is not None:
        return timestamp, False
    seconds = duration_seconds(value, option=option)
    if seconds is None:
        raise UsageError(f"invalid {option} {value!r}: {_EXPECTED}")
    return (time.time() if now is None else now) - seconds, True


def _timestamp(value: str) -> float | None:
    from datetime import date, datetime, timedelta

    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"invalid date {value!r}") from None
        following = datetime.combine(day + timedelta(days=1), datetime.min.time())
        return following.astimezone().timestamp()
    if not re.match(r"\d{4}-\d{2}-\d{2}[Tt ]", text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"invalid timestamp {value!r}: expected RFC 3339, as in "
                         "2024-03-01T00:00:00Z") from None
    return (parsed if parsed.tzinfo else parsed.astimezone()).timestamp()


def duration_seconds(value: str, *, option: str = "--exclude-newer") -> float | None:
    """The length of the duration ``value`` in seconds (its sign ignored: a cutoff is always
    in the past), ``None`` if it is not a duration; raises for years and months."""
    text = value.rstrip()
    if text[:1] in "+-":
        text = text[1:]
    if not text or text[0].isspace():
        return None
    iso = _ISO.fullmatch(text)
    if iso is not None:
        return _iso_seconds(iso, value, option)
    return _friendly_seconds(text, value, option)


def _iso_seconds(match: re.Match[str], value: str, option: str) -> float | None:
    parts = {name: match.group(name) for name in ("years", "months", "weeks", "days", "hours",
                                                  "minutes", "seconds")}
    given = [name for name, part in parts.items() if part is not None]
    if not given or (match.group("time") and not any(
            parts[name] for name in ("hours", "minutes", "seconds"))):
        return None
    if any(("." in parts[name] or "," in parts[name]) for name in given[:-1]):
        return None  # a fraction only on the smallest unit
    amounts = {name: float(parts[name].replace(",", ".")) for name in given}
    _refuse_calendar_units(amounts, value, option)
    sizes = {name: size for name, size, _ in _UNITS}
    return sum(amount * sizes[name] for name, amount in amounts.items())


def _friendly_seconds(text: str, value: str, option: str) -> float | None:
    if text.endswith("ago") and text[:-3].rstrip() != text[:-3]:
        text = text[:-3].rstrip()
    amounts: dict[str, float] = {}
    last = -1
    position = 0
    fraction_seen = False
    while position < len(text):
        hms = _HMS.fullmatch(text, position)
        if hms is not None and last < _HOURS:
            hours, minutes, seconds, fraction = hms.groups()
            amounts["hours"] = float(hours)
            amounts["minutes"] = float(minutes)
            amounts["seconds"] = float(f"{seconds}.{fraction or 0}")
            break
        match = _UNIT_VALUE.match(text, position)
        if match is None or fraction_seen:
            return None
        whole, fraction, designator = match.groups()
        index = _DESIGNATORS.get(designator)
        if index is None or index <= last or (fraction is not None and index < _HOURS):
            return None
        last = index
        fraction_seen = fraction is not None
        amounts[_UNITS[index][0]] = float(f"{whole}.{fraction or 0}")
        position = match.end()
        separator = re.compile(r"\s*,\s*|\s*").match(text, position)
        assert separator is not None
        if separator.end() == len(text) and "," in separator.group():
            return None  # a trailing comma
        position = separator.end()
    if not amounts:
        return None
    _refuse_calendar_units(amounts, value, option)
    sizes = {name: size for name, size, _ in _UNITS}
    return sum(amount * sizes[name] for name, amount in amounts.items())


def _refuse_calendar_units(amounts: Mapping[str, float], value: str, option: str) -> None:
    if amounts.get("years"):
        days = round(amounts["years"] * 365)
        raise UsageError(f"invalid {option} {value!r}: years are not allowed (their length "
                         f"varies); use days instead, e.g. '{days} days'")
    if amounts.get("months"):
        days = round(amounts["months"] * 30)
        raise UsageError(f"invalid {option} {value!r}: months are not allowed (their length "
                         f"varies); use days instead, e.g. '{days} days'")
