"""Ctrl-C stops every command within a second, whatever it is waiting for (a build in this
thread or another, a download), kills the build processes, cleans up and exits 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import pyffin, spawn
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer

#: Far longer than an interrupted command may take; only a command that ignores Ctrl-C waits.
HOOK_SECONDS = 60
EXIT_TIMEOUT = 15


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    s = index_server
    # Its dependencies are known only from its backend (the metadata hook runs in the main
    # thread); "static" has them in PKG-INFO, so only its wheel is built (in the I/O pool).
    s.add_sdist(SdistSpec("dynamic", "1.0", dynamic=["Requires-Dist"], static_pyproject=False))
    s.add_sdist(SdistSpec("static", "1.0"))
    s.add_wheel(WheelSpec("big", "1.0"))
    s.delay("/files/big-1.0-py3-none-any.whl", HOOK_SECONDS)
    return s


@pytest.fixture
def backend_log(tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "backend.log"
    yield log
    for pid in hook_processes(log):  # whatever happened, never leave a sleeper behind
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    return env


def hook_processes(log: Path) -> list[int]:
    """The pids of the hooks that started and of what they started."""
    if not log.exists():
        return []
    events = [json.loads(line) for line in log.read_text().splitlines()]
    return [e[k] for e in events for k in ("pid", "sleeper") if k in e]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] != "Z"


def interrupt_when(args: list[str | Path], ready: Callable[[], bool], tmp_path: Path,
                   backend_log: Path) -> subprocess.CompletedProcess[str]:
    """Run ``pyffin ARGS``, send SIGINT once ``ready()``, and wait (boundedly) for it."""
    env = {"PYFFIN_TEST_BACKEND_SLEEP": str(HOOK_SECONDS),
           "PYFFIN_TEST_BACKEND_LOG": str(backend_log)}
    proc = spawn([*args, "--cache-dir", tmp_path / "cache"], env=env)
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the command never got to the slow part"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=EXIT_TIMEOUT)
        return subprocess.CompletedProcess(args, proc.returncode, out, err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def assert_clean(cache: Path, backend_log: Path) -> None:
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in hook_processes(backend_log)):
        assert time.monotonic() < deadline, "a build process was left running"
        time.sleep(0.02)
    assert not list((cache / ".tmp").iterdir())
    assert not list((cache / "builds-v0").glob("*"))
    assert not [p for p in cache.rglob("*") if ".tmp-" in p.name]


def test_ctrl_c_during_a_metadata_build(index: IndexServer, tmp_path: Path,
                                        backend_log: Path) -> None:
    (tmp_path / "requirements.in").write_text("dynamic\n")
    result = interrupt_when(
        ["pip", "compile", tmp_path / "requirements.in", "-i", index.index_url, "--no-config"],
        lambda: bool(hook_processes(backend_log)), tmp_path, backend_log)
    assert result.returncode == 130, result
    assert result.stderr.endswith("error: interrupted\n")
    assert_clean(tmp_path / "cache", backend_log)


def test_ctrl_c_during_a_build_in_the_io_pool(index: IndexServer, venv: Path, tmp_path: Path,
                                              backend_log: Path) -> None:
    result = interrupt_when(
        ["pip", "install", "static", "-i", index.index_url, "--no-config", "--python",
         venv / "bin" / "python"],
        lambda: bool(hook_processes(backend_log)), tmp_path, backend_log)
    assert result.returncode == 130, result
    assert_clean(tmp_path / "cache", backend_log)
    assert "static" not in pyffin("pip", "freeze", "--python", venv / "bin" / "python").stdout


def test_ctrl_c_during_a_download(index: IndexServer, venv: Path, tmp_path: Path,
                                  backend_log: Path) -> None:
    result = interrupt_when(
        ["pip", "install", "big", "-i", index.index_url, "--no-config", "--python",
         venv / "bin" / "python"],
        lambda: index.count("/files/big-1.0-py3-none-any.whl") > 0, tmp_path, backend_log)
    assert result.returncode == 130, result
    assert_clean(tmp_path / "cache", backend_log)
