"""Every test module is collected: pytest's ``norecursedirs`` skips no directory of ``tests``.

Its default list has ``build`` and ``venv``, the names of two of pyffin's packages, whose tests
sit in ``tests/build`` and ``tests/venv``: with the default, ``pytest`` (and CI) ran neither.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def test_no_directory_of_test_modules_is_left_out(pytestconfig: pytest.Config) -> None:
    patterns = pytestconfig.getini("norecursedirs")
    directories = sorted({path.parent for path in TESTS.rglob("test_*.py")})
    left_out = [
        directory.relative_to(TESTS).as_posix() for directory in directories
        if any(fnmatch(part, pattern) for part in directory.relative_to(TESTS).parts
               for pattern in patterns)
    ]

    assert TESTS / "build" in directories and TESTS / "venv" in directories
    assert left_out == []
