"""Fixtures for the build frontend: a cache, the test interpreter, a recording BuildContext and
the test backend's hook log."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyffin.build import SourceBuilder
from pyffin.cache import Cache
from pyffin.interpreter import Interpreter, interpreter_at
from tests.build.support import RecordingContext
from tests.support.backend import LOG_ENV


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the session: the test interpreter is queried once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache(cache_dir: Path) -> Iterator[Cache]:
    with Cache(cache_dir) as c:
        yield c


@pytest.fixture
def interpreter(cache: Cache) -> Interpreter:
    return interpreter_at(sys.executable, cache=cache)


@pytest.fixture
def context() -> RecordingContext:
    return RecordingContext()


@pytest.fixture
def builder(cache: Cache, interpreter: Interpreter, context: RecordingContext) -> SourceBuilder:
    return SourceBuilder(cache=cache, interpreter=interpreter, context=context)


@pytest.fixture
def hook_log(tmp_path_factory: pytest.TempPathFactory,
             monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[dict[str, Any]]]:
    """Turn on the test backend's log; the fixture returns a reader of the calls so far."""
    path = tmp_path_factory.mktemp("hook-log") / "hooks.jsonl"
    monkeypatch.setenv(LOG_ENV, str(path))

    def read() -> list[dict[str, Any]]:
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    return read
