"""uv 0.13, the reference for many outputs: looked for on PATH and in the benchmark tools
(``bench/.data/tools/bin/uv``, here or in the main tree of this git worktree). ``UV`` is
``None`` without it: tests that compare with uv then skip that comparison."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def find_uv() -> Path | None:
    trees = [ROOT]
    try:  # a git worktree: the main tree's benchmark tools too
        common = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        if common:
            trees.append((ROOT / common).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        pass
    candidates = [shutil.which("uv"), *(tree / "bench/.data/tools/bin/uv" for tree in trees)]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


UV = find_uv()


def uv_env() -> dict[str, str]:
    """The environment for a uv child: this process's (isolated by ``tests/conftest.py``),
    without colour, with uv's own configuration files ignored."""
    return {**os.environ, "NO_COLOR": "1", "UV_NO_CONFIG": "1"}
