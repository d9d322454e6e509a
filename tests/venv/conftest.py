from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyffin.cache import Cache
from pyffin.interpreter import Interpreter, interpreter_at


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole session: each interpreter is queried once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache(cache_dir: Path) -> Iterator[Cache]:
    with Cache(cache_dir) as c:
        yield c


@pytest.fixture
def interpreter(cache: Cache) -> Interpreter:
    """The interpreter running the tests (a venv's python, when they run in one)."""
    return interpreter_at(sys.executable, cache=cache)
