"""The records of one benchmark run and their JSON form (``bench/.data/results.json``)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import BenchError

FORMAT_VERSION = 1

OK = "ok"
UNSUPPORTED = "unsupported"
FAILED = "failed"
_STATUSES = (OK, UNSUPPORTED, FAILED)


@dataclass(frozen=True, slots=True)
class Measurement:
    """All timed runs of one tool in one scenario on one set."""

    set: str
    scenario: str
    tool: str
    status: str
    #: Wall-clock seconds of each timed run, in run order.
    times: tuple[float, ...] = ()
    #: The command as run, with machine-specific paths replaced by placeholders.
    command: str = ""
    #: Why it is unsupported or failed, or a warning about an otherwise valid result.
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK and bool(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def max(self) -> float:
        return max(self.times)


@dataclass(frozen=True, slots=True)
class Machine:
    cpu_count: int
    cpu_model: str
    python: str
    platform: str
    date: str


@dataclass(frozen=True, slots=True)
class Results:
    machine: Machine
    #: Tool name -> version string, e.g. {"uv": "0.13.9", "pip-tools": "7.6.2"}.
    versions: dict[str, str]
    #: Facts about how the run was made (repeats, index, neutralized environment), for the report.
    settings: dict[str, str]
    measurements: tuple[Measurement, ...]
    #: Findings of the mirror checks and warnings raised during the run.
    checks: tuple[str, ...] = ()
    #: Package count of each set, e.g. {"small": 12}.
    set_sizes: dict[str, int] = field(default_factory=dict)

    def find(self, set_name: str, scenario: str, tool: str) -> Measurement | None:
        for m in self.measurements:
            if (m.set, m.scenario, m.tool) == (set_name, scenario, tool):
                return m
        return None

    def sets(self) -> list[str]:
        return list(dict.fromkeys(m.set for m in self.measurements))

    def scenarios(self, set_name: str | None = None) -> list[str]:
        return list(
            dict.fromkeys(m.scenario for m in self.measurements if set_name in (None, m.set))
        )


def ratio(numerator: Measurement | None, denominator: Measurement | None) -> float | None:
    """median(numerator) / median(denominator), None unless both were measured."""
    if numerator is None or denominator is None or not (numerator.ok and denominator.ok):
        return None
    if denominator.median <= 0:
        return None
    return numerator.median / denominator.median


def dump(results: Results, path: Path) -> None:
    doc = {"format": FORMAT_VERSION, **asdict(results)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def load(path: Path) -> Results:
    """Read a results file written by :func:`dump`; BenchError names the file when it is bad."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{path}: no results yet; run `python -m bench` first") from None
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path}: cannot read results: {exc}") from None
    try:
        return _from_doc(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise BenchError(f"{path}: not a results file of this harness: {exc!r}") from None


def _from_doc(doc: dict[str, Any]) -> Results:
    if doc.get("format") != FORMAT_VERSION:
        raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT_VERSION}")
    measurements = tuple(_measurement(m) for m in doc["measurements"])
    return Results(
        machine=Machine(**doc["machine"]),
        versions=_str_dict(doc["versions"]),
        settings=_str_dict(doc["settings"]),
        measurements=measurements,
        checks=tuple(str(c) for c in doc.get("checks", ())),
        set_sizes={str(k): int(v) for k, v in doc.get("set_sizes", {}).items()},
    )


def _measurement(doc: dict[str, Any]) -> Measurement:
    status = doc["status"]
    if status not in _STATUSES:
        raise ValueError(f"unknown status {status!r}")
    times = tuple(float(t) for t in doc.get("times", ()))
    if status == OK and not times:
        raise ValueError(f"{doc['set']}/{doc['scenario']}/{doc['tool']}: ok without times")
    return Measurement(
        set=str(doc["set"]),
        scenario=str(doc["scenario"]),
        tool=str(doc["tool"]),
        status=status,
        times=times,
        command=str(doc.get("command", "")),
        note=str(doc.get("note", "")),
    )


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def merge_checks(*groups: Iterable[str]) -> tuple[str, ...]:
    """Concatenate check messages, dropping repeats but keeping their order."""
    return tuple(dict.fromkeys(c for group in groups for c in group))
