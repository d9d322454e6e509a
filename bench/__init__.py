"""Benchmarks: pyffin side by side with pip, pip-tools and uv on a local mirror.

Run ``python -m bench --help`` from the repository root. Everything the harness downloads or
creates (tools venv, mirror, caches, venvs, ``results.json``) lives in ``bench/.data/``
(gitignored); the report goes to ``docs/benchmarks.md`` and ``docs/bench/*.png``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CHARTS_DIR",
    "DATA_DIR",
    "REPORT",
    "REPO_ROOT",
    "RESULTS",
    "TOOLS_VENV",
    "BenchError",
    "default_sets_dir",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "bench" / ".data"
TOOLS_VENV = DATA_DIR / "tools"
RESULTS = DATA_DIR / "results.json"
REPORT = REPO_ROOT / "docs" / "benchmarks.md"
CHARTS_DIR = REPO_ROOT / "docs" / "bench"


class BenchError(Exception):
    """A problem the harness reports as one line (bad input, failed setup, network error)."""


def default_sets_dir() -> Path:
    """The benchmark sets: ``shared/bench`` beside the repository (as on CI and dev machines)."""
    return REPO_ROOT.parent / "shared" / "bench"
