"""Check that the mirror makes each tool's resolution land on the pinned sets.

Each tool resolves each set once against the mirror with an empty cache. A resolution that asks
for files beyond the pins (an older version's metadata while backtracking) has them fetched from
PyPI and the check repeats; a resolution that lands elsewhere than the pins is reported.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag

from bench.mirror import IndexPlan, Listing, Mirror
from bench.server import MirrorServer
from bench.sets import (
    BenchSet,
    pin_differences,
    pin_set_differences,
    read_pin_list,
    read_pins,
)
from bench.tools import Toolbox, clean_env, remove

_ROUNDS = 4

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class CheckCase:
    index: str  # name of the IndexPlan
    bench_set: BenchSet
    #: The options of a universal resolution (its pins: every version of each).
    universal: tuple[str, ...] = ()


@contextlib.contextmanager
def serving(
    mirror: Mirror, plans: Sequence[IndexPlan], supported: frozenset[Tag]
) -> Iterator[tuple[dict[str, MirrorServer], dict[str, dict[str, Listing]]]]:
    """Start one server per plan; yields (plan name -> server, plan name -> listings)."""
    listings = {plan.name: mirror.prepare(plan, supported) for plan in plans}
    any_platform = {plan.name: plan.any_platform for plan in plans}
    servers = {name: MirrorServer(mirror, lst, siblings=any_platform[name])
               for name, lst in listings.items()}
    try:
        for server in servers.values():
            server.start()
        yield servers, listings
    finally:
        for server in servers.values():
            server.stop()


def check_mirror(
    mirror: Mirror,
    plans: Sequence[IndexPlan],
    supported: frozenset[Tag],
    cases: Sequence[CheckCase],
    toolbox: Toolbox,
    tools: Mapping[str, str],
    *,
    work: Path,
    remembered: Callable[[str], bool],
    remember: Callable[[str], None],
    log: Log,
) -> list[str]:
    """Resolve every case with every tool; fetch what they miss; findings for the report.

    ``tools`` maps each tool to its version. ``remembered``/``remember`` skip (tool version, set,
    pins) combinations that passed before, except for uv, whose check runs every time as the
    reference the issue asks for.
    """
    by_name = {plan.name: plan for plan in plans}
    findings: dict[tuple[str, str], str] = {}
    todo = [
        (case, tool)
        for case in cases
        for tool in tools
        if (tool == "uv" or not remembered(_key(case, tool, tools[tool])))
        and not (case.universal and toolbox.supports_scenario(tool, "universal-warm"))
    ]
    for round_index in range(_ROUNDS):
        misses: dict[str, list[str]] = {}
        retry = []
        with serving(mirror, plans, supported) as (servers, listings):
            for case, tool in todo:
                server = servers[case.index]
                ok, finding = _resolve(toolbox, tool, case.bench_set, server.index_url, work,
                                       case.universal)
                findings[(case.bench_set.name, tool)] = finding
                missed = server.take_misses()
                if missed:
                    misses.setdefault(case.index, []).extend(missed)
                    retry.append((case, tool))
                elif ok:
                    remember(_key(case, tool, tools[tool]))
            fetched_total = 0
            for index, missed in misses.items():
                fetched, unfixable = mirror.fetch_misses(by_name[index], listings[index], missed)
                fetched_total += fetched
                for path in unfixable:
                    findings[(index, path)] = f"the {index} index cannot serve {path}"
        todo = retry
        if not todo or not fetched_total:
            break
        log(f"mirror check: fetched {fetched_total} files the resolvers asked for; checking again")
        if round_index == _ROUNDS - 1:
            log("mirror check: resolvers still ask for missing files after the last round")
    return list(findings.values())


def _key(case: CheckCase, tool: str, version: str) -> str:
    pins = "\n".join(str(p) for p in case.bench_set.pins)
    digest = hashlib.sha256(pins.encode()).hexdigest()[:16]
    universal = "/" + "-".join(case.universal) if case.universal else ""
    return f"{case.index}/{case.bench_set.name}{universal}/{tool}/{version}/{digest}"


def _resolve(
    toolbox: Toolbox, tool: str, bench_set: BenchSet, index_url: str, work: Path,
    universal: tuple[str, ...] = (),
) -> tuple[bool, str]:
    """One cold resolve: (whether it reproduced the pins, a finding for the report)."""
    where = work / f"check-{tool}"
    cache = where / "cache"
    remove(where)
    where.mkdir(parents=True)
    output = where / "resolved.txt"
    command = toolbox.compile(tool, bench_set.requirements_in, output, index_url, cache,
                              universal=universal)
    label = f"{_TOOL_COMMAND[tool]} of {bench_set.requirements_in.name}"
    if universal:
        label += " " + " ".join(universal)
    proc = subprocess.run(
        command,
        cwd=where,
        env=clean_env(cache / "xdg"),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        return False, f"{label} against the mirror failed (exit {proc.returncode}): {tail}"
    if universal:
        diff = pin_set_differences(bench_set.pins, read_pin_list(output))
        if diff:
            return False, f"{label} against the mirror differs from {bench_set.pinned.name}: {diff}"
        return True, f"{label} against the mirror reproduces the {len(bench_set.pins)} pins"
    expected = {p.name: p.version for p in bench_set.pins}
    diff = pin_differences(expected, read_pins(output), extras=True)
    if diff:
        return False, f"{label} against the mirror differs from {bench_set.pinned.name}: {diff}"
    return True, f"{label} against the mirror reproduces the {len(expected)} pins"


_TOOL_COMMAND = {"pip": "pip-compile", "uv": "uv pip compile", "pyffin": "pyffin pip compile"}
