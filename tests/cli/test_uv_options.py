"""Options of ``uv pip install/sync/compile`` and ``uv venv`` that CI scripts moving from uv
pass: each is accepted and does what it does in uv, or what pyffin's equivalent is."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("lib", "1.0", files={"lib/__init__.py": "VALUE = 1\n"}))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    return index_server


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    env = tmp_path / "env"
    result = pyffin("venv", env, "--python", sys.executable, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    return env


def install(command: str, index: IndexServer, venv: Path, *args: str | Path) -> Result:
    return pyffin("pip", command, *args, "--python", venv / "bin" / "python",
                  "--index-url", index.index_url, "--cache-dir", venv.parent / "cache")


# ------------------------------------------------------------------------- --verify-hashes
@pytest.mark.parametrize("command", ["install", "sync"])
def test_no_verify_hashes_ignores_the_hash_values(index: IndexServer, venv: Path,
                                                  tmp_path: Path, command: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"lib==1.0 --hash=sha256:{'0' * 64}\nother\n")
    # A --hash implies hash-checking mode: every requirement needs one, and they must match.
    args = ["-r", requirements] if command == "install" else [requirements]
    refused = install(command, index, venv, *args)
    assert refused.returncode == 2 and "other (" in refused.stderr, refused
    assert "other (" in refused.stderr and "is not pinned with ==" in refused.stderr
    ignored = install(command, index, venv, *args, "--no-verify-hashes")
    assert ignored.returncode == 0, ignored
    assert ignored.stderr.endswith(" + lib==1.0\n + other==1.0\n"), ignored
    # --verify-hashes undoes it (the last wins), --require-hashes wins over it.
    for flags in (["--no-verify-hashes", "--verify-hashes"],
                  ["--no-verify-hashes", "--require-hashes"]):
        again = install(command, index, venv, *args, *flags, "--reinstall")
        assert again.returncode == 2 and "is not pinned with ==" in again.stderr, (flags, again)
    monkeypatch.setenv("PYFFIN_NO_VERIFY_HASHES", "1")
    assert install(command, index, venv, *args, "--reinstall").returncode == 0


def test_no_verify_hashes_keeps_a_requirements_files_require_hashes(
        index: IndexServer, venv: Path, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--require-hashes\nlib==1.0 --hash=sha256:{'0' * 64}\n")
    result = install("install", index, venv, "-r", requirements, "--no-verify-hashes")
    assert result.returncode == 1 and "hash mismatch for lib-1.0" in result.stderr, result
