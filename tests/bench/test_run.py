"""What one ``python -m bench`` invocation measures (:func:`bench.run.select`)."""

from __future__ import annotations

from pathlib import Path

from bench.cli import parse_args
from bench.run import select


def write_set(directory: Path, name: str) -> None:
    (directory / f"{name}.in").write_text("six\n")
    (directory / f"{name}.txt").write_text("six==1.16.0\n    # via -r in\n")


def test_the_public_index_resolves_the_sets_read_from_files_but_the_sdist_one(
        tmp_path: Path) -> None:
    for name in ("small", "medium", "large", "sdist"):
        write_set(tmp_path, name)
    selection = select(parse_args(["--public-index", "--sets-dir", str(tmp_path)]))
    # The backtracking set is measured, but generated for a local index: not a PyPI case.
    assert "backtracking" in selection.measured
    assert selection.public_sets() == ["small", "medium", "large"]
