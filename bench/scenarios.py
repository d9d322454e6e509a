"""Run the scenarios: prepare untimed, time the tool's command, alternate the tools run by run."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import DATA_DIR
from bench.catalog import BASELINE, SCENARIOS
from bench.results import FAILED, OK, UNSUPPORTED, Measurement
from bench.sets import (
    Pin,
    normalize,
    parse_in,
    pin_differences,
    pin_set_differences,
    read_pin_list,
    read_pins,
)
from bench.tools import Toolbox, clean_env, remove

#: Longest a single command may run before it counts as failed.
TIMEOUT = 900.0


@dataclass(frozen=True, slots=True)
class Target:
    """One set on one index, as the scenarios use it."""

    name: str
    #: What a resolve compiles (the ``.in``, or a pinned file for the scaling subsets).
    requirements_in: Path
    #: What an install or sync installs.
    pinned: Path
    index_url: str
    #: The pins a resolve must reproduce and an install must provide (None: not checked).
    expected: Mapping[str, str] | None
    #: Returns the paths the index answered 404 since the last call.
    take_misses: Callable[[], list[str]] = field(default=lambda: [])
    #: For the universal scenarios: the compile options (``--universal ...``), and every pin
    #: expected (a package may be pinned at several versions).
    universal: tuple[str, ...] = ()
    universal_pins: tuple[Pin, ...] | None = None


class _Failure(Exception):
    """An untimed step or a timed command failed; the message says which and why."""


@dataclass
class _Progress:
    tool: str
    times: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None


class Runner:
    def __init__(
        self,
        toolbox: Toolbox,
        tools: Sequence[str],
        *,
        work_dir: Path,
        cache_dir: Path,
    ) -> None:
        self.toolbox = toolbox
        self.tools = tuple(tools)
        self.work_dir = work_dir
        self.cache_dir = cache_dir
        self._placeholders: list[tuple[str, str]] = [
            (str(toolbox.python), "$PYTHON"),
            (str(toolbox.tools_venv), "$TOOLS"),
            (str(DATA_DIR), "$DATA"),
        ]

    def cache(self, tool: str) -> Path:
        return self.cache_dir / tool

    def clear_caches(self) -> None:
        for tool in self.tools:
            remove(self.cache(tool))

    def run(self, target: Target, scenario: str, repeat: int) -> list[Measurement]:
        """All tools through one scenario: setup each, then ``repeat`` rounds of A, B, C. The
        start-up scenario also times the baseline (:data:`bench.catalog.BASELINE`), last."""
        operation = SCENARIOS[scenario].operation
        tools = (*self.tools, BASELINE) if operation == "version" else self.tools
        active: list[_Progress] = []
        results: dict[str, Measurement] = {}
        steps: dict[str, _Steps] = {}
        for tool in tools:
            steps[tool] = self._steps(target, scenario, tool)
            impossible = self.toolbox.supports_scenario(tool, scenario)
            if impossible is not None or not self.toolbox.supports(tool, operation):
                results[tool] = Measurement(
                    target.name,
                    scenario,
                    tool,
                    UNSUPPORTED,
                    command=self.display(steps[tool].command, target),
                    note=impossible or f"{tool} does not implement {operation} yet",
                )
                continue
            progress = _Progress(tool)
            try:
                for step in steps[tool].setup:
                    step()
            except _Failure as exc:
                progress.failure = f"setup: {exc}"
            self._collect_misses(target, progress)
            active.append(progress)
        for round_index in range(repeat):
            for progress in active:
                if progress.failure is not None:
                    continue
                tool_steps = steps[progress.tool]
                try:
                    for step in tool_steps.prepare:
                        step()
                    # Write back what earlier runs left dirty (venvs, caches: up to GBs) now
                    # rather than during the timed run, where it would stall whoever runs.
                    os.sync()
                    elapsed = self._timed(tool_steps.command, self._work(target, progress.tool))
                    progress.times.append(elapsed)
                    if round_index == 0 and tool_steps.check is not None:
                        problem = tool_steps.check()
                        if problem:
                            progress.notes.append(problem)
                except _Failure as exc:
                    progress.failure = str(exc)
                self._collect_misses(target, progress)
        for progress in active:
            failed = progress.failure is not None
            notes = [progress.failure] if failed else []
            results[progress.tool] = Measurement(
                target.name,
                scenario,
                progress.tool,
                FAILED if failed else OK,
                times=() if failed else tuple(progress.times),
                command=self.display(steps[progress.tool].command, target),
                note="; ".join(dict.fromkeys(n for n in [*notes, *progress.notes] if n)),
            )
        return [results[tool] for tool in tools]

    def display(self, command: Sequence[str], target: Target) -> str:
        """The command with this machine's paths and the mirror's port as placeholders."""
        text = shlex.join(command)
        if target.index_url.startswith("http://127.0.0.1"):
            text = text.replace(target.index_url, "$INDEX")
        for value, name in self._placeholders:
            text = text.replace(value, name)
        return text

    # --- steps -------------------------------------------------------------------------------

    def _work(self, target: Target, tool: str) -> Path:
        path = self.work_dir / target.name / tool
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _steps(self, target: Target, scenario: str, tool: str) -> _Steps:
        tb = self.toolbox
        work = self._work(target, tool)
        cache = self.cache(tool)
        output = work / "resolved.txt"
        venv = work / "venv"
        index = target.index_url

        def drop_output() -> None:
            remove(output)

        def drop_cache() -> None:
            remove(cache)

        def fresh_venv(with_pip: bool = False) -> Callable[[], None]:
            def make() -> None:
                remove(venv)
                self._untimed(tb.venv("pip", venv, cache, with_pip=with_pip), work)

            return make

        def untimed(command: list[str]) -> Callable[[], None]:
            return lambda: self._untimed(command, work)

        def check_resolved() -> str | None:
            if target.universal_pins is not None:
                diff = pin_set_differences(target.universal_pins, read_pin_list(output))
                return f"resolved set differs from the pins: {diff}" if diff else None
            return _compare(target.expected, output, "resolved")

        def check_installed() -> str | None:
            return _compare(target.expected, venv, "installed")

        if SCENARIOS[scenario].operation == "version":
            return _Steps(tb.version(tool), [untimed(tb.version(tool))], [], None)
        if SCENARIOS[scenario].operation == "compile":
            compile_cmd = tb.compile(tool, target.requirements_in, output, index, cache,
                                     universal=target.universal)
            if scenario == "resolve-offline":
                offline = tb.compile(
                    tool, target.requirements_in, output, index, cache, offline=True
                )
                return _Steps(
                    offline, [drop_output, untimed(compile_cmd)], [drop_output], check_resolved
                )
            if scenario == "resolve-incremental":
                return self._incremental(target, tool, output, cache, check_resolved)
            if scenario.endswith("warm"):
                return _Steps(
                    compile_cmd, [drop_output, untimed(compile_cmd)], [drop_output], check_resolved
                )
            return _Steps(compile_cmd, [], [drop_cache, drop_output], check_resolved)
        install_cmd = tb.install(tool, target.pinned, venv, index, cache)
        if scenario == "install-warm":
            setup = [fresh_venv(), untimed(install_cmd)]
            return _Steps(install_cmd, setup, [fresh_venv()], check_installed)
        if scenario == "install-cold":
            return _Steps(install_cmd, [], [drop_cache, fresh_venv()], check_installed)
        if scenario == "install-cold-resolved":
            warm_up = tb.compile(tool, target.pinned, work / "prepared.txt", index, cache)
            prepare = [drop_cache, untimed(warm_up), fresh_venv()]
            return _Steps(install_cmd, [], prepare, check_installed)
        if scenario == "noop-install":
            return _Steps(install_cmd, [fresh_venv(), untimed(install_cmd)], [], check_installed)
        if scenario == "noop-sync":
            sync_cmd = tb.sync(tool, target.pinned, venv, index, cache)
            # pip-sync runs the target's own pip, so its venv needs one; populating with the
            # sync itself keeps pyffin measurable when it has sync but not install.
            setup = [fresh_venv(with_pip=tool == "pip"), untimed(sync_cmd), untimed(sync_cmd)]
            return _Steps(sync_cmd, setup, [], check_installed)
        if scenario == "venv":
            venv_cmd = tb.venv(tool, venv, cache)

            def drop_venv() -> None:
                remove(venv)

            return _Steps(venv_cmd, [drop_venv, untimed(venv_cmd)], [drop_venv], None)
        raise ValueError(f"unknown scenario {scenario!r}")

    def _incremental(self, target: Target, tool: str, output: Path, cache: Path,
                     check: Callable[[], str | None]) -> _Steps:
        """A warm cache from the set's ``.in``, then the ``.in`` with one requirement more: one
        of its dependencies, another each run (a tool that keeps its answers must solve each
        time). The pins stay the set's, so the check holds."""
        tb = self.toolbox
        work = self._work(target, tool)
        source = work / "incremental.in"
        given = {normalize(name) for name in parse_in(target.requirements_in.read_text())}
        added = sorted(set(target.expected or ()) - given)
        runs = iter(range(1 << 30))

        def add_one() -> None:
            remove(output)
            if not added:
                raise _Failure("the set has no dependency to add as a requirement")
            name = added[next(runs) % len(added)]
            source.write_text(f"-r {target.requirements_in}\n{name}\n")

        warm_up = tb.compile(tool, target.requirements_in, output, target.index_url, cache)
        return _Steps(
            tb.compile(tool, source, output, target.index_url, cache),
            [lambda: self._untimed(warm_up, work)], [add_one], check,
        )

    # --- processes ---------------------------------------------------------------------------

    def _env(self, work: Path) -> dict[str, str]:
        # Work directories are named after their tool (see _work).
        return clean_env(cache_home=self.cache(work.name) / "xdg")

    def _untimed(self, command: list[str], work: Path) -> None:
        self._timed(command, work)

    def _timed(self, command: list[str], work: Path) -> float:
        """Run ``command`` in ``work``; its wall-clock seconds. _Failure on a non-zero exit."""
        log_path = work / "last-command.log"
        env = self._env(work)
        with open(log_path, "wb") as out:
            start = time.perf_counter()
            try:
                proc = subprocess.Popen(
                    command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            except OSError as exc:
                raise _Failure(f"cannot run {command[0]}: {exc}") from None
            # wait(timeout=...) polls with sleeps growing to 50 ms, which would round every
            # short run up by tens of milliseconds; a blocking wait returns at the exit itself.
            watchdog = threading.Timer(TIMEOUT, proc.kill)
            watchdog.start()
            try:
                returncode = proc.wait()
            finally:
                watchdog.cancel()
            elapsed = time.perf_counter() - start
        if returncode != 0:
            program = _program(command)
            if returncode == -signal.SIGKILL and elapsed >= TIMEOUT:
                raise _Failure(f"{program} timed out after {TIMEOUT:.0f} s")
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise _Failure(f"{program} exited {returncode}: " + " | ".join(tail[-6:]))
        return elapsed

    def _collect_misses(self, target: Target, progress: _Progress) -> None:
        misses = target.take_misses()
        if misses:
            shown = ", ".join(sorted(set(misses))[:5])
            progress.notes.append(
                f"asked the mirror for {len(set(misses))} missing files ({shown})"
            )


def _program(command: Sequence[str]) -> str:
    """``pyffin pip compile``, ``pip-compile``: the command without its arguments (the full
    command is in the report's command list)."""
    words = [Path(command[0]).name]
    for word in command[1:3]:
        if word.startswith(("-", "/")):
            break
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class _Steps:
    command: list[str]
    #: Untimed, once before the rounds (warm-up, populating a venv).
    setup: list[Callable[[], None]]
    #: Untimed, before each timed run.
    prepare: list[Callable[[], None]]
    #: After the first timed run: a problem with the result, or None.
    check: Callable[[], str | None] | None


def installed(venv: Path) -> dict[str, str]:
    """name -> version of the distributions installed in a venv (from ``.dist-info`` names)."""
    found = {}
    for dist_info in venv.glob("lib/python*/site-packages/*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
        found[normalize(name)] = version
    return found


def _compare(expected: Mapping[str, str] | None, where: Path, what: str) -> str | None:
    """Differences between the expected pins and a resolve output file or a venv."""
    if expected is None:
        return None
    if what == "resolved":
        diff = pin_differences(expected, read_pins(where), extras=True)
    else:
        diff = pin_differences(expected, installed(where), extras=False)
    return f"{what} set differs from the pins: {diff}" if diff else None
