"""One benchmark run, inside the tools venv: mirror, checks, scenarios, results, report."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from packaging.tags import Tag, sys_tags

from bench import CHARTS_DIR, DATA_DIR, REPO_ROOT, REPORT, RESULTS, TOOLS_VENV, BenchError
from bench.catalog import (
    BACKTRACKING_SCENARIOS,
    BACKTRACKING_SDKS,
    BACKTRACKING_SET,
    OFFLINE_SETS,
    PUBLIC_SCENARIOS,
    SCALING_SCENARIOS,
    SCALING_SIZES,
    SCENARIOS,
    SET_SCENARIOS,
    STARTUP_SET,
    TOOLS,
    UNIVERSAL_PYTHON,
    UNIVERSAL_SCENARIOS,
    UNIVERSAL_SETS,
    VENV_SET,
    scaling_set,
    scaling_size,
)
from bench.check import CheckCase, check_mirror, serving
from bench.mirror import PYPI_SIMPLE, IndexPlan, Mirror
from bench.report import format_range, format_seconds, write_report
from bench.results import Machine, Measurement, Results, dump, load, merge_checks
from bench.scenarios import Runner, Target
from bench.sets import (
    SDIST_ONLY,
    SET_NAMES,
    BenchSet,
    Pin,
    closed_order,
    load_set,
    parse_pinned,
    write_requirements,
)
from bench.tools import ENVIRONMENT_NOTE, Toolbox, base_python, clean_env, remove, venv_python

#: A public-index set of its own (pandas, scipy, matplotlib: compiled for this interpreter).
PUBLIC_EXTRA_SET = "pandas-scipy-matplotlib"
PUBLIC_EXTRA_REQUIREMENTS = ("pandas", "scipy", "matplotlib")

Log = Callable[[str], None]

#: Sets drawn on for the scaling subsets.
SCALING_SOURCES = ("medium", "large")


@dataclass(frozen=True, slots=True)
class Selection:
    """What this invocation measures."""

    #: Every set loaded (the measured ones, plus the sources of the scaling subsets).
    sets: dict[str, BenchSet]
    measured: tuple[str, ...]
    scenarios: tuple[str, ...]
    scaling: bool
    public: bool
    quick: bool
    repeat: int | None

    def repeats(self, set_name: str) -> int:
        """Timed runs per scenario: fewer where one run takes long."""
        if self.repeat is not None:
            return self.repeat
        if self.quick:
            return 3
        return 3 if set_name == "large" or scaling_size(set_name) is not None else 5


    def public_sets(self) -> list[str]:
        """The measured sets also resolved against PyPI: those read from files (the
        backtracking set is generated for a local index), but the sdist set, whose point is
        an index without wheels."""
        return [name for name in self.measured if name in self.sets and name != "sdist"]


def select(args: argparse.Namespace) -> Selection:
    measured: list[str] = (
        ["small"] if args.quick else (args.sets or [*SET_NAMES, BACKTRACKING_SET])
    )
    scenarios: list[str] = args.scenarios or [
        *SET_SCENARIOS, *UNIVERSAL_SCENARIOS, "venv", "startup"]
    _validate(measured, scenarios)
    scaling = not (args.quick or args.no_scaling)
    needed = dict.fromkeys([*measured, *(SCALING_SOURCES if scaling else ())])
    return Selection(
        # The backtracking set is generated (see _backtracking), not read.
        sets={name: load_set(args.sets_dir, name) for name in needed if name in SET_NAMES},
        measured=tuple(measured),
        scenarios=tuple(scenarios),
        scaling=scaling,
        public=bool(args.public_index),
        quick=bool(args.quick),
        repeat=args.repeat,
    )


def run(args: argparse.Namespace, argv: Sequence[str], *, log: Log) -> None:
    started = time.perf_counter()
    selection = select(args)
    toolbox, versions = _tools(log)
    mirror = Mirror(DATA_DIR / "mirror", log)
    supported = frozenset(sys_tags())
    universal = _universal_sets(mirror, selection, toolbox, log)
    plans = _plans(mirror, selection, toolbox, supported, log, universal)
    findings = _check(mirror, plans, supported, selection, toolbox, versions, log, universal)
    bench_started = time.perf_counter()
    measurements, set_sizes = _measure(selection, toolbox, mirror, plans, supported, log,
                                       universal)
    bench_time = time.perf_counter() - bench_started

    mirror_mb = mirror.size() / 1e6
    results = Results(
        machine=_machine(),
        versions={**versions, "pyffin": f"{versions.get('pyffin', '?')} ({_git_state()})"},
        settings=_settings(argv, selection),
        measurements=tuple(measurements),
        checks=merge_checks(
            [f"mirror check: {f}" for f in findings],
            [f"mirror: {mirror_mb:.0f} MB on disk in bench/.data/mirror"],
        ),
        set_sizes=set_sizes,
    )
    dump(results, RESULTS)
    _publish(results, log)
    log(
        f"done: scenarios took {bench_time:.0f} s, the whole run "
        f"{time.perf_counter() - started:.0f} s; mirror {mirror_mb:.0f} MB; wrote "
        f"{RESULTS.relative_to(REPO_ROOT)} and {REPORT.relative_to(REPO_ROOT)}"
    )


def _tools(log: Log) -> tuple[Toolbox, dict[str, str]]:
    # The tools venv's python is the benchmark interpreter: the same CPython as its base, but
    # it starts without the base's site-packages (whose .pth files may slow every start).
    toolbox = Toolbox(TOOLS_VENV, venv_python(TOOLS_VENV))
    toolbox.check_present()
    toolbox = toolbox.detect_pyffin()
    versions = toolbox.versions()
    implemented = ", ".join(toolbox.pyffin_help) or "none of compile, install, sync, venv yet"
    log(f"tools: {', '.join(f'{n} {v}' for n, v in versions.items())}")
    log(f"pyffin implements: {implemented}")
    log(f"environment: {ENVIRONMENT_NOTE}")
    return toolbox, versions


def _check(
    mirror: Mirror,
    plans: Sequence[IndexPlan],
    supported: frozenset[Tag],
    selection: Selection,
    toolbox: Toolbox,
    versions: Mapping[str, str],
    log: Log,
    universal: Mapping[str, BenchSet],
) -> list[str]:
    """Resolve each measured set against the mirror with every resolver (see bench.check)."""
    log("mirror check: resolving each set against the mirror")
    resolvers = {
        tool: versions["pip-tools" if tool == "pip" else tool]
        for tool in TOOLS
        if toolbox.supports(tool, "compile")
    }
    passed = _Remembered(mirror.root / "checked.txt")
    findings = check_mirror(
        mirror,
        plans,
        supported,
        [*(CheckCase(_index_of(name), selection.sets[name]) for name in selection.measured
           if name in selection.sets),
         *(CheckCase("universal", bench_set, universal_options(bench_set))
           for bench_set in universal.values())],
        toolbox,
        resolvers,
        work=DATA_DIR / "work",
        remembered=passed.has,
        remember=passed.add,
        log=log,
    )
    for finding in findings:
        log(f"mirror check: {finding}")
    return findings


def _measure(
    selection: Selection,
    toolbox: Toolbox,
    mirror: Mirror,
    plans: Sequence[IndexPlan],
    supported: frozenset[Tag],
    log: Log,
    universal: Mapping[str, BenchSet],
) -> tuple[list[Measurement], dict[str, int]]:
    """Every scenario of the selection; returns the measurements and each set's size."""
    runner = Runner(toolbox, TOOLS, work_dir=DATA_DIR / "work", cache_dir=DATA_DIR / "cache")
    remove(DATA_DIR / "work")
    runner.clear_caches()
    measurements: list[Measurement] = []
    sizes = {name: len(bench_set.pins) for name, bench_set in selection.sets.items()
             if name in selection.measured}

    def measure(target: Target, scenario: str) -> None:
        results = runner.run(target, scenario, selection.repeats(target.name))
        measurements.extend(results)
        log(_summary(target.name, scenario, results))

    with serving(mirror, plans, supported) as (servers, _):

        def local(bench_set: BenchSet, index: str) -> Target:
            server = servers[index]
            expected = {p.name: p.version for p in bench_set.pins}
            return Target(
                bench_set.name,
                bench_set.requirements_in,
                bench_set.pinned,
                server.index_url,
                expected,
                server.take_misses,
            )

        for name in (n for n in selection.measured if n in selection.sets):
            target = local(selection.sets[name], _index_of(name))
            for scenario in (s for s in SET_SCENARIOS if s in selection.scenarios):
                if scenario != "resolve-offline" or name in OFFLINE_SETS:
                    measure(target, scenario)
        for name, bench_set in universal.items():
            server = servers["universal"]
            target = Target(name, bench_set.requirements_in, bench_set.pinned,
                            server.index_url, None, server.take_misses,
                            universal=universal_options(bench_set),
                            universal_pins=bench_set.pins)
            for scenario in UNIVERSAL_SCENARIOS:
                if scenario in selection.scenarios:
                    measure(target, scenario)
        if BACKTRACKING_SET in selection.measured:
            with _backtracking(log) as target:
                assert target.expected is not None
                sizes[BACKTRACKING_SET] = len(target.expected)
                for scenario in BACKTRACKING_SCENARIOS:
                    if scenario in selection.scenarios:
                        measure(target, scenario)
        if "venv" in selection.scenarios:
            # Only the venv path matters here; no requirements, no index.
            none = Path(os.devnull)
            measure(Target(VENV_SET, none, none, servers["main"].index_url, None), "venv")
        if "startup" in selection.scenarios:
            none = Path(os.devnull)
            target = Target(STARTUP_SET, none, none, servers["main"].index_url, None)
            measure(target, "startup")
        if selection.scaling:
            order = closed_order([selection.sets[s] for s in SCALING_SOURCES])
            for size in SCALING_SIZES:
                name = scaling_set(size)
                path = write_requirements(order[:size], DATA_DIR / "sets" / f"{name}.txt")
                subset = BenchSet(name, path, path, tuple(order[:size]), {}, ())
                sizes[name] = len(subset.pins)
                for scenario in SCALING_SCENARIOS:
                    measure(local(subset, "main"), scenario)
        if selection.public:
            for name in selection.public_sets():
                bench_set = selection.sets[name]
                public = Target(
                    name, bench_set.requirements_in, bench_set.pinned, PYPI_SIMPLE, None
                )
                for scenario in PUBLIC_SCENARIOS:
                    measure(public, scenario)
            # The case issue 10 names: the newest numpy/scipy/contourpy releases need a newer
            # Python than some targets, and a tool must not fetch sources to find that out.
            extra = DATA_DIR / "sets" / f"{PUBLIC_EXTRA_SET}.in"
            extra.parent.mkdir(parents=True, exist_ok=True)
            extra.write_text("".join(f"{name}\n" for name in PUBLIC_EXTRA_REQUIREMENTS))
            public = Target(PUBLIC_EXTRA_SET, extra, extra, PYPI_SIMPLE, None)
            for scenario in PUBLIC_SCENARIOS:
                measure(public, scenario)
    # The venvs and caches of a large run take gigabytes; the next run starts afresh anyway.
    remove(DATA_DIR / "work")
    runner.clear_caches()
    return measurements, sizes


@contextmanager
def _backtracking(log: Log) -> Iterator[Target]:
    """The generated walk-back set (``tests/support/stress.py``) on its own local index: every
    version a wheel with PEP 658 metadata; ``net<1.25`` + ``sdk`` must walk ``sdk`` and ``core``
    back through hundreds of versions each."""
    from tests.support import stress
    from tests.support.index import IndexServer

    files = DATA_DIR / "backtracking"
    remove(files)
    requirements = DATA_DIR / "sets" / f"{BACKTRACKING_SET}.in"
    requirements.parent.mkdir(parents=True, exist_ok=True)
    requirements.write_text("net<1.25\nsdk\n")
    universe = stress.walkback(BACKTRACKING_SDKS)
    with IndexServer(dist_dir=files) as server:
        stress.serve(universe, server)
        count = sum(len(versions) for versions in universe.values())
        log(f"backtracking: serving {count} generated wheels at {server.index_url}")
        yield Target(BACKTRACKING_SET, requirements, requirements, server.index_url,
                     stress.expected_sdk_walkback(BACKTRACKING_SDKS))
    remove(files)


def report_only(*, log: Log) -> None:
    """Rewrite the report and charts from the last run's results."""
    _publish(load(RESULTS), log)
    log(f"wrote {REPORT.relative_to(REPO_ROOT)}")


def _publish(results: Results, log: Log) -> None:
    try:
        from bench.chart import write_charts

        charts = write_charts(results, CHARTS_DIR, "bench")
    except ImportError as exc:
        log(f"charts skipped: {exc}")
        charts = {}
    write_report(results, REPORT, charts)


def _validate(set_names: Sequence[str], scenarios: Sequence[str]) -> None:
    known = [*SET_NAMES, BACKTRACKING_SET]
    unknown = [s for s in set_names if s not in known]
    if unknown:
        raise BenchError(f"unknown set(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    allowed = [*SET_SCENARIOS, *UNIVERSAL_SCENARIOS, "venv", "startup"]
    unknown = [s for s in scenarios if s not in allowed]
    if unknown:
        raise BenchError(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(allowed)}"
        )


def _index_of(set_name: str) -> str:
    return "sdist" if set_name == "sdist" else "main"


def _universal_sets(
    mirror: Mirror, selection: Selection, toolbox: Toolbox, log: Log
) -> dict[str, BenchSet]:
    """The universal resolution of each measured set of :data:`UNIVERSAL_SETS` (when a
    universal scenario is selected): uv's, against PyPI as it was when the set's pins were
    the newest (its files' latest upload time), resolved once and kept in
    ``bench/.data/sets``. Its pins make the universal index (see :func:`_plans`)."""
    if not any(s in selection.scenarios for s in UNIVERSAL_SCENARIOS):
        return {}
    found = {}
    for name in (n for n in selection.measured if n in UNIVERSAL_SETS):
        bench_set = selection.sets[name]
        path = DATA_DIR / "sets" / f"{name}-universal-{UNIVERSAL_PYTHON}.txt"
        if not path.exists():
            cutoff = mirror.latest_upload(bench_set.pins)
            if cutoff is None:
                raise BenchError(f"{name}: the mirror's pages give no upload time of its pins")
            log(f"mirror: resolving {name} --universal against PyPI as of {cutoff} (once)")
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            command = [
                str(toolbox.bin("uv")), "pip", "compile", str(bench_set.requirements_in),
                "--universal", "--python-version", UNIVERSAL_PYTHON, "--exclude-newer", cutoff,
                "--index-url", PYPI_SIMPLE, "--no-config", "--no-header", "-q",
                "-o", str(partial),
            ]  # fmt: skip
            proc = subprocess.run(command, env=clean_env(), capture_output=True, text=True,
                                  timeout=900, check=False)
            if proc.returncode != 0:
                raise BenchError(f"uv pip compile --universal of {name} against PyPI failed: "
                                 f"{proc.stderr.strip()[-500:]}")
            # The first line keeps the cutoff: the mirror's pages list later files (a patch
            # release of an older line), so resolutions against it need it too.
            partial.write_text(f"# --exclude-newer {cutoff}\n" + partial.read_text("utf-8"),
                               encoding="utf-8")
            partial.replace(path)
        pins, dependents = parse_pinned(path.read_text(encoding="utf-8"), path)
        found[name] = BenchSet(name, bench_set.requirements_in, path, pins, dependents,
                               bench_set.roots)
    return found


def universal_options(bench_set: BenchSet) -> tuple[str, ...]:
    """The compile options of a universal set: ``--universal``, the lowest Python and the
    cutoff its pins were resolved with (the first line of its pinned file)."""
    first = bench_set.pinned.read_text(encoding="utf-8").split("\n", 1)[0]
    options = ("--universal", "--python-version", UNIVERSAL_PYTHON)
    if first.startswith("# --exclude-newer "):
        options += ("--exclude-newer", first.split()[-1])
    return options


def _plans(
    mirror: Mirror, selection: Selection, toolbox: Toolbox, supported: frozenset[Tag], log: Log,
    universal: Mapping[str, BenchSet] | None = None,
) -> list[IndexPlan]:
    """The main index (wheels of every set but sdist), if needed the sdist-only index, and
    the universal index (every pin of the universal resolutions, any platform's)."""
    sets = selection.sets
    main = IndexPlan("main", {})
    main = main.with_pins(p for name, s in sets.items() if name != "sdist" for p in s.pins)
    plans = [main]
    if "sdist" in selection.measured:
        sdist = IndexPlan("sdist", {}, SDIST_ONLY).with_pins(sets["sdist"].pins)
        listings = mirror.prepare(sdist, supported)
        sdists = [name for p in SDIST_ONLY for name in listings[p].served]
        build = mirror.build_pins(sdists, lambda reqs: _resolve_public(toolbox, reqs))
        log(f"mirror: the sdist index also serves the build requirements {_pins(build)}")
        plans.append(sdist.with_pins(build))
    if universal:
        plans.append(IndexPlan("universal", {}, any_platform=True).with_pins(
            p for bench_set in universal.values() for p in bench_set.pins))
    return plans


def _pins(pins: Sequence[Pin]) -> str:
    return ", ".join(sorted({str(p) for p in pins}))


def _resolve_public(toolbox: Toolbox, requirements: list[str]) -> list[Pin]:
    """Resolve build requirements against PyPI with uv (wheels only, for this interpreter)."""
    command = [
        str(toolbox.bin("uv")),
        "pip",
        "compile",
        "-",
        "--index-url",
        PYPI_SIMPLE,
        "--no-config",
        "--python",
        str(toolbox.python),
        "--no-header",
        "--no-annotate",
        "--no-build",
        "-q",
        "--cache-dir",
        str(DATA_DIR / "cache" / "mirror-uv"),
    ]
    proc = subprocess.run(
        command,
        input="\n".join(requirements) + "\n",
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"cannot resolve build requirements {requirements}: {proc.stderr}")
    pins = []
    for line in proc.stdout.splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            pins.append(Pin(name, version))
    return pins


def _summary(set_name: str, scenario: str, results: Sequence[Measurement]) -> str:
    parts = []
    for m in results:
        if m.ok:
            text = f"{format_seconds(m.median)} ({format_range(m.min, m.max)})"
            text += " [!]" if m.note else ""
        else:
            text = "n/a" if m.status == "unsupported" else f"FAILED: {m.note[:300]}"
        parts.append(f"{m.tool} {text}")
    return f"{set_name:<9} {SCENARIOS[scenario].label:<24} " + " | ".join(parts)


def _python_build() -> str:
    """Where the interpreter is and whether its libpython is a shared library (mapped into
    the process): pyffin and pip run on it, and a build like pyenv's default (libpython
    shared, no profile-guided optimization) runs them markedly slower than, say, a Linux
    distribution's statically linked, optimized one."""
    shared = False
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            shared = any("/libpython" in line for line in maps)
    except OSError:
        return ""
    return f" ({base_python()}{', libpython shared' if shared else ''})"


def _machine() -> Machine:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = f"{platform.python_implementation()} {platform.python_version()}{_python_build()}"
    return Machine(
        cpu_count=os.cpu_count() or 0,
        cpu_model=model,
        python=python,
        platform=platform.platform(),
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _git_state() -> str:
    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, check=False
        )
        return proc.stdout.strip() if proc.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    dirty = git("status", "--porcelain", "--", "src", "pyproject.toml")
    return f"working tree at {commit}" + (" with uncommitted changes" if dirty else "")


def _settings(argv: Sequence[str], selection: Selection) -> dict[str, str]:
    repeats = ", ".join(f"{name} {selection.repeats(name)}" for name in selection.measured)
    if selection.scaling:
        repeats += f", scaling {selection.repeats(scaling_set(SCALING_SIZES[0]))}"
    return {
        "invocation": " ".join(["python -m bench", *argv]),
        "index": "a local mirror of PyPI on 127.0.0.1 (tests.support.index.IndexServer): PEP "
        "691 JSON and HTML pages listing every file of every version up to the pinned one, "
        "PEP 658 metadata, ETag/Last-Modified, `Cache-Control: max-age=600` on pages and "
        "immutable files, as PyPI sends; the sdist set uses a second index that serves "
        "python-dateutil, six, termcolor and tomli-w as sdists only, plus their build "
        "backends",
        "same terms": "the same index URL, interpreter and kind of fresh venv for every tool; "
        "each tool has its own cache directory (`$DATA/cache/<tool>`)",
        "environment": ENVIRONMENT_NOTE,
        "pip's HTTP cache": "pip, pip-compile and pip-sync get `--trusted-host 127.0.0.1`: pip "
        "caches nothing it fetches from a plain-HTTP index otherwise, while PyPI (HTTPS) is "
        "cached",
        "bytecode": "no tool compiles bytecode: pip and pip-sync with `--no-compile`, uv and "
        "pyffin by default",
        "interpreter": f"{platform.python_implementation()} {platform.python_version()}, the "
        "target of every resolve and the base of every venv; commands name it by the tools "
        "venv's python (`$PYTHON`), which starts without the base installation's "
        "site-packages and its .pth files",
        "venvs": "install runs go into a fresh `python -m venv --without-pip` venv made "
        "untimed before each run; pip installs into it with `pip --python`, uv and pyffin with "
        "`--python`",
        "repeats": f"timed runs per scenario: {repeats}; tools alternate run by run "
        "(pip, uv, pyffin, pip, uv, …)",
        "tools": "installed in their own venv (`$DATA/tools`): the latest pip, pip-tools and uv "
        "from PyPI, pyffin non-editable from the working tree, all byte-compiled",
    }


class _Remembered:
    """A set of strings kept in a text file (mirror checks that passed)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def has(self, key: str) -> bool:
        try:
            return key in self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return False

    def add(self, key: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(key + "\n")
