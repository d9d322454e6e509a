"""The results file and the report written from it, on a tiny fake run (no tools, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import BenchError
from bench.catalog import SCENARIOS
from bench.report import format_range, format_ratio, format_seconds, render, write_report
from bench.results import FAILED, OK, UNSUPPORTED, Machine, Measurement, Results, dump, load


def fake_run(pyffin: Measurement | None = None) -> Results:
    pyffin = pyffin or Measurement(
        "small", "resolve-warm", "pyffin", UNSUPPORTED, command="pyffin pip compile small.in"
    )
    return Results(
        machine=Machine(2, "Test CPU", "CPython 3.11.7", "Linux", "2026-11-23 12:00 UTC"),
        versions={"pip": "26.3", "uv": "0.13.9"},
        settings={"invocation": "python -m bench --quick", "bytecode": "none compiled"},
        measurements=(
            Measurement(
                "small", "resolve-warm", "pip", OK, (1.1, 1.3, 1.2), "pip-compile small.in"
            ),
            Measurement("small", "resolve-warm", "uv", OK, (0.03, 0.02, 0.025), "uv pip compile"),
            pyffin,
            Measurement("small", "install-cold", "pip", OK, (2.0,)),
            Measurement("small", "install-cold", "uv", FAILED, note="exit 2: no such index"),
            Measurement("venv", "venv", "uv", OK, (0.01, 0.012)),
        ),
        checks=("uv pip compile of small.in against the mirror reproduces the 12 pins",),
        set_sizes={"small": 12},
    )


def table_row(page: str, label: str) -> str:
    return next(line for line in page.splitlines() if line.startswith(f"| {label} |"))


def test_results_survive_a_round_trip_through_json(tmp_path: Path) -> None:
    results = fake_run()
    dump(results, tmp_path / "results.json")
    assert load(tmp_path / "results.json") == results


def test_a_results_file_of_another_format_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    dump(fake_run(), path)
    doc = json.loads(path.read_text())
    doc["format"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(BenchError, match=r"results\.json: not a results file"):
        load(path)


def test_an_ok_measurement_without_times_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    dump(fake_run(), path)
    doc = json.loads(path.read_text())
    doc["measurements"][0]["times"] = []
    path.write_text(json.dumps(doc))
    with pytest.raises(BenchError, match="ok without times"):
        load(path)


def test_missing_results_say_how_to_make_them(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="run `python -m bench` first"):
        load(tmp_path / "results.json")


def test_a_set_table_shows_median_and_range_and_marks_pyffin_not_implemented() -> None:
    page = render(fake_run(), charts={})
    assert "## Set: small (12 packages)" in page
    row = table_row(page, "resolve warm")
    assert row == (
        "| resolve warm | **1.20 s** (1.10-1.30 s) | **25.0 ms** (20.0-30.0 ms) "
        "| n/a (not implemented) | n/a | n/a |"
    )


def test_ratios_and_targets_appear_once_pyffin_is_measured() -> None:
    pyffin = Measurement("small", "resolve-warm", "pyffin", OK, (0.05, 0.06, 0.04))
    page = render(fake_run(pyffin), charts={})
    row = table_row(page, "resolve warm")
    assert row.endswith("| **50.0 ms** (40.0-60.0 ms) | 2.00x | 24x |")
    summary = table_row(page, "small")  # first row of the ratios table
    assert summary == "| small | resolve warm | 2.00x | 24x | ≤ 3x uv ✓; ≥ 10x pip ✓ |"


def test_a_missed_target_is_marked() -> None:
    pyffin = Measurement("small", "resolve-warm", "pyffin", OK, (0.5,))
    page = render(fake_run(pyffin), charts={})
    assert "| small | resolve warm | 20x | 2.40x | ≤ 3x uv ✗; ≥ 10x pip ✗ |" in page


@pytest.mark.parametrize(
    ("set_name", "scenario", "uv", "pyffin", "expected"),
    [
        ("medium", "resolve-warm", 0.030, 0.033, "≤ 3x uv ✓; ≤ 1x uv ✗"),
        ("sdist", "resolve-warm", 0.030, 0.033, "≤ 3x uv ✓; ≥"),
        ("large", "resolve-cold", 0.300, 0.420, "≤ 1.5x uv ✓"),
        ("large", "install-cold", 4.0, 5.2, "≤ 1.25x uv ✗"),
        ("sdist", "install-cold", 4.0, 5.2, "≤ 1.5x uv ✓"),
        ("sdist", "install-warm", 0.10, 0.12, "≤ 1.1x uv ✗"),
    ],
)
def test_issues_10_and_11_tighten_the_targets_of_the_medium_and_large_sets(
    set_name: str, scenario: str, uv: float, pyffin: float, expected: str
) -> None:
    runs = fake_run()
    runs = Results(runs.machine, runs.versions, runs.settings, (
        *runs.measurements,
        Measurement(set_name, scenario, "uv", OK, (uv,)),
        Measurement(set_name, scenario, "pyffin", OK, (pyffin,)),
    ), runs.checks, {**runs.set_sizes, set_name: 3})
    row = next(line for line in render(runs, charts={}).splitlines()
               if line.startswith(f"| {set_name} | {SCENARIOS[scenario].label} |"))
    assert row.split(" | ")[-1].startswith(expected)


def test_a_failure_shows_no_number_and_a_footnote_with_the_reason() -> None:
    page = render(fake_run(), charts={})
    assert table_row(page, "install cold").startswith("| install cold | **2.00 s** | failed ‡ |")
    assert "- ‡ uv, install cold: exit 2: no such index" in page


def test_the_page_names_machine_versions_commands_checks_and_charts(tmp_path: Path) -> None:
    path = tmp_path / "docs" / "benchmarks.md"
    write_report(fake_run(), path, charts={"resolve-warm": "bench/resolve-warm.png"})
    page = path.read_text()
    assert "Generated by `python -m bench --quick` on 2026-11-23 12:00 UTC" in page
    assert "- CPU: Test CPU, 2 cores" in page
    assert "- uv: 0.13.9" in page
    assert "- **bytecode**: none compiled" in page
    assert "pip-compile small.in" in page
    assert "![resolve-warm](bench/resolve-warm.png)" in page
    assert "## Venv creation" in page
    assert "- uv pip compile of small.in against the mirror reproduces the 12 pins" in page


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0224, "22.4 ms"), (0.477, "477 ms"), (1.444, "1.44 s"), (46.7, "46.7 s"), (154.2, "154 s")],
)
def test_durations_keep_about_three_significant_digits(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_a_range_uses_the_unit_of_its_upper_end() -> None:
    assert format_range(0.47, 0.512) == "470-512 ms"
    assert format_range(0.9, 1.52) == "0.90-1.52 s"
    assert format_ratio(None) == "n/a"
    assert format_ratio(35.2) == "35x"


def test_start_up_is_measured_against_the_interpreter_alone() -> None:
    runs = fake_run()
    runs = Results(runs.machine, runs.versions, runs.settings, (
        *runs.measurements,
        Measurement("startup", "startup", "uv", OK, (0.006,)),
        Measurement("startup", "startup", "pyffin", OK, (0.014,)),
        Measurement("startup", "startup", "python", OK, (0.010,), "$PYTHON -I -c pass"),
    ), runs.checks, runs.set_sizes)
    page = render(runs, charts={})
    assert "| startup | start-up (--version) | 2.33x | n/a | ≤ 1.5x `python -I -c pass` ✓ |" \
        in page
    assert "## Start-up" in page
    assert "`python -I -c pass`, timed in the same rounds: **10.0 ms**; pyffin / python: 1.40x" \
        in page
    assert "# start-up (--version) · python -I -c pass\n$PYTHON -I -c pass" in page
