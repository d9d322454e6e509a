"""Warm commands import only what they use (DESIGN §7). Not a timing test: it names the heavy
modules a warm compile or a no-op sync must not load, so a change that drags one back in fails
here instead of silently slowing every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import child_env, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

#: Heavy modules a warm command has no use for.
HEAVY = ("urllib3", "ssl", "truststore", "packaging.requirements", "packaging.markers",
         "packaging.metadata", "email.parser", "dataclasses", "inspect", "concurrent.futures",
         "logging", "subprocess", "zipfile", "tarfile", "pyffin.build", "pyffin.git",
         "pyffin.client.http", "pyffin.interpreter.tags", "shutil", "isal", "zlib_ng",
         # The I/O pool's queue: a warm command has a pool it never uses.
         "queue")

PROBE = """
import json, sys
from pyffin.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in json.loads(sys.stdin.readline()) if m in sys.modules)
print(json.dumps([code, heavy]), file=sys.stderr)
"""


def loaded(args: list[str | Path]) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], input=json.dumps(HEAVY),
                          capture_output=True, text=True, env=child_env())
    code, heavy = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0, proc.stderr
    return list(heavy)


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=[
        "lib>=1", 'colorama; sys_platform == "win32"', 'extra-dep; extra == "x"'],
        requires_python=">=3.8"))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    return index_server


def test_a_warm_compile_imports_nothing_heavy(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "r.in").write_text("app\n")
    args: list[str | Path] = ["pip", "compile", tmp_path / "r.in", "-q", "--index-url",
                              index.index_url, "--cache-dir", tmp_path / "cache"]
    assert pyffin(*args).returncode == 0  # cold: fills the cache
    assert loaded(args) == []


def test_a_noop_sync_imports_nothing_heavy(index: IndexServer, tmp_path: Path) -> None:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    (tmp_path / "r.txt").write_text("app==1.0\nlib==1.0\n")
    args: list[str | Path] = ["pip", "sync", tmp_path / "r.txt", "-q", "--python",
                              env / "bin" / "python", "--index-url", index.index_url,
                              "--cache-dir", tmp_path / "cache"]
    assert pyffin(*args).returncode == 0
    assert loaded(args) == []
    assert loaded(["pip", "install", "app", *args[3:]]) == []
