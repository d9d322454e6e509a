"""The runner: alternation, warm-ups, unsupported and failing tools, with stand-in tools."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from bench.results import FAILED, OK, UNSUPPORTED
from bench.scenarios import Runner, Target
from bench.tools import Toolbox


def fake_tool(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "calls.log"
    monkeypatch.setenv("BENCH_TEST_LOG", str(log))
    return log


def make_runner(tmp_path: Path, tools: tuple[str, ...], uv_exit: int = 0) -> Runner:
    bin_dir = tmp_path / "tools" / "bin"
    # The stand-in pip-compile logs how many entries its cache holds, then fills it.
    fake_tool(
        bin_dir / "pip-compile",
        'while [ $# -gt 0 ]; do [ "$1" = --cache-dir ] && cache=$2; shift; done\n'
        'echo "pip $(ls "$cache" 2>/dev/null | wc -l)" >> "$BENCH_TEST_LOG"\n'
        'mkdir -p "$cache/http"',
    )
    fake_tool(bin_dir / "uv", f'echo uv >> "$BENCH_TEST_LOG"; echo boom; exit {uv_exit}')
    fake_tool(bin_dir / "pyffin", "exit 2")
    toolbox = Toolbox(tmp_path / "tools", Path(sys.executable))
    return Runner(toolbox, tools, work_dir=tmp_path / "work", cache_dir=tmp_path / "cache")


def target(tmp_path: Path) -> Target:
    requirements = tmp_path / "small.in"
    requirements.write_text("flask\n")
    return Target("small", requirements, requirements, "http://127.0.0.1:1/simple/", None)


def test_tools_alternate_run_by_run_after_one_warm_up_each(tmp_path: Path, calls: Path) -> None:
    runner = make_runner(tmp_path, ("pip", "uv"))
    results = runner.run(target(tmp_path), "resolve-warm", repeat=3)
    assert [line.split()[0] for line in calls.read_text().splitlines()] == [
        "pip", "uv",  # warm-ups
        "pip", "uv", "pip", "uv", "pip", "uv",
    ]  # fmt: skip
    assert [(m.tool, m.status, len(m.times)) for m in results] == [("pip", OK, 3), ("uv", OK, 3)]
    assert results[1].command.startswith("$TOOLS/bin/uv pip compile")
    assert "--index-url $INDEX" in results[1].command


def test_a_cold_run_starts_without_the_tools_cache(tmp_path: Path, calls: Path) -> None:
    runner = make_runner(tmp_path, ("pip",))
    (runner.cache("pip") / "http").mkdir(parents=True)
    runner.run(target(tmp_path), "resolve-cold", repeat=2)
    assert calls.read_text().splitlines() == ["pip 0", "pip 0"]


def test_a_warm_run_keeps_the_cache_its_warm_up_filled(tmp_path: Path, calls: Path) -> None:
    runner = make_runner(tmp_path, ("pip",))
    runner.run(target(tmp_path), "resolve-warm", repeat=2)
    assert calls.read_text().splitlines() == ["pip 0", "pip 1", "pip 1"]


def test_an_unimplemented_pyffin_command_is_reported_not_run(tmp_path: Path, calls: Path) -> None:
    runner = make_runner(tmp_path, ("pip", "pyffin"))
    pip, pyffin = runner.run(target(tmp_path), "resolve-warm", repeat=1)
    assert pyffin.status == UNSUPPORTED
    assert pyffin.times == ()
    assert pyffin.command.startswith("$TOOLS/bin/pyffin pip compile")
    assert pip.status == OK


def test_a_failing_tool_gets_no_number_and_the_others_go_on(tmp_path: Path, calls: Path) -> None:
    runner = make_runner(tmp_path, ("pip", "uv"), uv_exit=3)
    pip, uv = runner.run(target(tmp_path), "resolve-cold", repeat=2)
    assert uv.status == FAILED
    assert uv.times == ()
    assert uv.note == "uv pip compile exited 3: boom"
    assert (pip.status, len(pip.times)) == (OK, 2)
    assert calls.read_text().split() == ["pip", "0", "uv", "pip", "0"]


def test_an_install_with_the_resolve_cached_starts_from_what_a_compile_left(
        tmp_path: Path, calls: Path) -> None:
    runner = make_runner(tmp_path, ("pip",))
    # The stand-in pip logs how many entries its cache holds when it installs.
    fake_tool(tmp_path / "tools" / "bin" / "pip",
              'while [ $# -gt 0 ]; do [ "$1" = --cache-dir ] && cache=$2; shift; done\n'
              'echo "install $(ls "$cache" 2>/dev/null | wc -l)" >> "$BENCH_TEST_LOG"\n'
              'mkdir -p "$cache/wheels"')
    [pip] = runner.run(target(tmp_path), "install-cold-resolved", repeat=2)
    assert pip.status == OK, pip.note
    # Each run: the cache removed, a compile (untimed) fills it, the install finds it.
    assert calls.read_text().splitlines() == ["pip 0", "install 1", "pip 0", "install 1"]


def test_an_offline_run_uses_the_cache_an_online_warm_up_filled(tmp_path: Path,
                                                                  calls: Path) -> None:
    runner = make_runner(tmp_path, ("pip", "uv"))
    pip, uv = runner.run(target(tmp_path), "resolve-offline", repeat=2)
    assert pip.status == UNSUPPORTED and pip.note == "pip-compile has no offline mode"
    assert (uv.status, len(uv.times)) == (OK, 2)
    assert uv.command.startswith("$TOOLS/bin/uv pip compile") and "--offline" in uv.command
    assert calls.read_text().splitlines() == ["uv", "uv", "uv"]  # warm-up online, 2 offline


def test_an_incremental_run_adds_another_dependency_to_a_warm_set(tmp_path: Path,
                                                                   calls: Path) -> None:
    bin_dir = tmp_path / "tools" / "bin"
    # The stand-in pip-compile logs the last line of the file it compiles, and pins the set.
    fake_tool(bin_dir / "pip-compile", 'tail -n 1 "$1" >> "$BENCH_TEST_LOG"\n'
              'printf "flask==3.0\\nclick==8.1\\njinja2==3.1\\n" > "$3"')
    runner = Runner(Toolbox(tmp_path / "tools", Path(sys.executable)), ("pip",),
                    work_dir=tmp_path / "work", cache_dir=tmp_path / "cache")
    requirements = tmp_path / "small.in"
    requirements.write_text("flask\n")
    expected = {"flask": "3.0", "click": "8.1", "jinja2": "3.1"}
    small = Target("small", requirements, requirements, "http://127.0.0.1:1/simple/", expected)
    [pip] = runner.run(small, "resolve-incremental", repeat=3)
    assert (pip.status, len(pip.times)) == (OK, 3)
    # The warm-up compiles the set itself; each timed run one dependency more, another
    # each time, so a tool that keeps answers cannot reuse the last one.
    assert calls.read_text().splitlines() == ["flask", "click", "jinja2", "click"]
    source = tmp_path / "work" / "small" / "pip" / "incremental.in"
    assert source.read_text() == f"-r {requirements}\nclick\n"


def test_start_up_times_the_interpreter_alone_beside_the_tools(tmp_path: Path,
                                                              calls: Path) -> None:
    runner = make_runner(tmp_path, ("uv", "pyffin"))
    uv, pyffin, python = runner.run(target(tmp_path), "startup", repeat=2)
    assert [(m.tool, m.status, len(m.times)) for m in (uv, pyffin, python)] == [
        ("uv", OK, 2), ("pyffin", FAILED, 0), ("python", OK, 2)]
    assert uv.command == "$TOOLS/bin/uv --version"
    assert python.command == "$PYTHON -I -c pass"
    assert calls.read_text().splitlines() == ["uv", "uv", "uv"]  # a warm-up, then 2 runs


def test_a_universal_compile_passes_its_options_and_pip_has_none(tmp_path: Path) -> None:
    toolbox = Toolbox(tmp_path / "tools", Path(sys.executable))
    options = ("--universal", "--python-version", "3.9")
    command = toolbox.compile("uv", tmp_path / "large.in", tmp_path / "out.txt",
                              "http://127.0.0.1:1/simple/", tmp_path / "cache", universal=options)
    assert command[-8:-5] == list(options)
    assert toolbox.supports_scenario("pip", "universal-warm") == (
        "pip-compile has no universal mode")
    assert toolbox.supports_scenario("uv", "universal-cold") is None


def test_a_pip_venv_with_pip_gets_the_tools_pip_not_the_bundled_one(tmp_path: Path) -> None:
    # pip-sync refuses a target whose pip is older than its own requirement, and the
    # interpreter's bundled pip can be: the venv gets the tools venv's pip from its kept wheel.
    toolbox = Toolbox(tmp_path / "tools", Path(sys.executable))
    bare = toolbox.venv("pip", tmp_path / "venv", tmp_path / "cache")
    assert bare[-2:] == ["--without-pip", str(tmp_path / "venv")]
    shell, flag, script = toolbox.venv("pip", tmp_path / "venv", tmp_path / "cache",
                                       with_pip=True)
    assert (shell, flag) == ("sh", "-c")
    assert script.startswith(shlex.join(bare) + " && ")
    assert f"--find-links {toolbox.pip_wheels} " in script
    assert "--no-index" in script
