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


# ------------------------------------------------------------------------ Python discovery
@pytest.mark.parametrize("words", [("pip", "install"), ("pip", "sync"), ("pip", "compile"),
                                   ("venv",)])
def test_python_discovery_options_are_accepted(words: tuple[str, ...], tmp_path: Path,
                                               index: IndexServer) -> None:
    """pyffin's discovery is uv's with system Pythons only, and it never downloads one."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable).returncode == 0
    source = ["-r", requirements] if words[-1] == "install" else [requirements]
    for flags in (["--python-preference", "only-system", "--no-python-downloads"],
                  ["--python-preference", "system", "--allow-python-downloads"],
                  ["--python-preference", "managed"],
                  ["--managed-python", "--no-managed-python"]):
        if words == ("venv",):
            result = pyffin("venv", env, "--clear", "--python", sys.executable, *flags,
                            cache_dir=tmp_path / "cache")
        else:
            result = pyffin(*words, *source, "--python", env / "bin" / "python",
                            "--index-url", index.index_url, *flags,
                            cache_dir=tmp_path / "cache")
        assert result.returncode == 0, (flags, result)


@pytest.mark.parametrize("words", [("pip", "install"), ("pip", "sync"), ("pip", "compile"),
                                   ("venv",)])
def test_only_managed_pythons_are_not_supported(words: tuple[str, ...], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = [*words, *([] if words == ("venv",) else ["r.txt"])]
    for flags in (["--managed-python"], ["--python-preference", "only-managed"],
                  ["--no-managed-python", "--managed-python"]):
        result = pyffin(*args, *flags, cache_dir=tmp_path / "cache")
        assert result.returncode == 2, result
        assert result.stderr.startswith("error: only managed Pythons (--managed-python, "
                                        "--python-preference only-managed): not supported")
    monkeypatch.setenv("PYFFIN_PYTHON_PREFERENCE", "only-managed")
    result = pyffin(*args, cache_dir=tmp_path / "cache")
    assert "only-managed) (from PYFFIN_PYTHON_PREFERENCE): not supported" in result.stderr
    assert not (tmp_path / ".venv").exists()
