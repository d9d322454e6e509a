"""At most ``PYFFIN_CONCURRENT_BUILDS`` builds run at once in a process."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyffin import log
from pyffin.build import (
    CONCURRENT_BUILDS_ENV,
    SourceBuilder,
    SourceTree,
    concurrent_builds,
    prepare_source,
)
from pyffin.errors import UsageError
from tests.build.support import set_build_system
from tests.support.dists import SdistSpec, build_sdist

# Logs when each build starts and ends; the build of "slow" holds until a file appears.
_GATE_BACKEND = """\
import os, time
import pyffin_test_backend

def _event(text):
    with open(os.environ["GATE_EVENTS"], "a") as f:
        f.write(text + "\\n")

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = pyffin_test_backend._spec()["name"]
    _event("start " + name)
    deadline = time.monotonic() + 60
    while name == "slow" and not os.path.exists(os.environ["GATE_RELEASE"]):
        if time.monotonic() > deadline:
            raise RuntimeError("never released")
        time.sleep(0.01)
    result = pyffin_test_backend.build_wheel(wheel_directory, config_settings, metadata_directory)
    _event("end " + name)
    return result
"""


def _gated_tree(tmp_path: Path, name: str) -> SourceTree:
    tree = prepare_source(build_sdist(SdistSpec(name, "1.0"), tmp_path / "dists"),
                          tmp_path / "src" / name)
    (tree.root / "_backend" / "gate_backend.py").write_text(_GATE_BACKEND)
    set_build_system(tree.root, requires=[], backend="gate_backend", backend_path=["_backend"])
    return tree


@pytest.fixture
def debug_messages() -> Iterator[list[str]]:
    messages: list[str] = []
    log.configure(lambda _level, message: messages.append(message), log.DEBUG)
    try:
        yield messages
    finally:
        log.configure(None)


def _wait_for(condition: Callable[[], bool], what: str, *,
              unless: Callable[[], str | None] = lambda: None) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        failure = unless()
        if failure is not None:
            pytest.fail(failure)
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_a_second_build_waits_for_the_first_with_one_slot(
        tmp_path: Path, builder: SourceBuilder, monkeypatch: pytest.MonkeyPatch,
        debug_messages: list[str]) -> None:
    events, release = tmp_path / "events", tmp_path / "release"
    monkeypatch.setenv(CONCURRENT_BUILDS_ENV, "1")
    monkeypatch.setenv("GATE_EVENTS", str(events))
    monkeypatch.setenv("GATE_RELEASE", str(release))
    slow, fast = _gated_tree(tmp_path, "slow"), _gated_tree(tmp_path, "fast")

    def read_events() -> list[str]:
        return events.read_text().splitlines() if events.exists() else []

    def overlap() -> str | None:
        return "the second build started" if "start fast" in read_events() else None

    errors: list[BaseException] = []

    def build(tree: SourceTree) -> None:
        try:
            builder.build_wheel(tree, tmp_path / "wheels")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=build, args=(tree,)) for tree in (slow, fast)]
    threads[0].start()
    try:
        _wait_for(lambda: "start slow" in read_events(), "the first build to start")
        threads[1].start()
        _wait_for(lambda: any("free build slot" in m and "fast-1.0" in m for m in debug_messages),
                  "the second build to wait for a slot", unless=overlap)
    finally:
        release.touch()
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join()

    assert errors == []
    assert read_events() == ["start slow", "end slow", "start fast", "end fast"]


def test_the_default_bound_is_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONCURRENT_BUILDS_ENV, raising=False)
    assert concurrent_builds() == (os.cpu_count() or 1)
    monkeypatch.setenv(CONCURRENT_BUILDS_ENV, "3")
    assert concurrent_builds() == 3


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_an_invalid_bound_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(CONCURRENT_BUILDS_ENV, value)

    with pytest.raises(UsageError, match=CONCURRENT_BUILDS_ENV):
        concurrent_builds()
