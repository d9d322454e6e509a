"""Fixtures the command-line tests share."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.cli import pyffin


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A new virtual environment of this interpreter, made by ``pyffin venv`` (its cache at
    ``tmp_path / "cache"``)."""
    env = tmp_path / "env"
    result = pyffin("venv", env, "--python", sys.executable, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    return env
