"""``python -m bench``: set up the tools and the mirror, run the scenarios, write the report.

Only the standard library and :mod:`bench.tools` are imported at the top: the first process
creates the tools venv and re-executes the harness inside it, where ``packaging`` and
``matplotlib`` are installed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import REPO_ROOT, TOOLS_VENV, BenchError, default_sets_dir
from bench.tools import ensure_tools, in_venv


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    from bench.catalog import SET_SCENARIOS

    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark pyffin side by side with pip, pip-tools and uv on a local mirror.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the small set, 3 repeats, no scaling (for development)",
    )
    parser.add_argument(
        "--sets",
        type=_names,
        default=None,
        help="comma-separated sets (default: small,medium,large,sdist,backtracking)",
    )
    parser.add_argument(
        "--scenarios",
        type=_names,
        default=None,
        help=f"comma-separated scenarios (default: {','.join(SET_SCENARIOS)},venv,startup)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed runs per scenario (default: 5; large and scaling: 3)",
    )
    parser.add_argument(
        "--public-index",
        action="store_true",
        help="also resolve against https://pypi.org/simple (network)",
    )
    parser.add_argument(
        "--no-scaling", action="store_true", help="skip the 10/50/150-package scaling runs"
    )
    parser.add_argument(
        "--update-tools",
        action="store_true",
        help="reinstall the latest pip, uv and pip-tools into the tools venv",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite docs/benchmarks.md and charts from the last results.json",
    )
    parser.add_argument(
        "--sets-dir",
        type=Path,
        default=default_sets_dir(),
        help="where NAME.in and NAME.txt are (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    try:
        if not in_venv(TOOLS_VENV):
            python = ensure_tools(TOOLS_VENV, REPO_ROOT, update=args.update_tools, log=say)
            os.chdir(REPO_ROOT)
            os.execv(python, [str(python), "-m", "bench", *argv])
        from bench.run import report_only, run

        if args.report_only:
            report_only(log=say)
        else:
            run(args, argv, log=say)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    return 0
