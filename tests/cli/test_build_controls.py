"""Per-package build controls (issue 16), as uv spells them: ``--config-settings-package``,
``--no-build-isolation-package``, ``-b/--build-constraints`` and ``--require-build-hashes``,
for compile, install, sync and wheel; and the built-wheel cache keyed by them."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec, write_source_tree
from tests.support.index import IndexServer


@pytest.fixture
def backend_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "backend.log"
    monkeypatch.setenv("PYFFIN_TEST_BACKEND_LOG", str(log))
    return log


def calls(log: Path, hook: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    events = [json.loads(line) for line in log.read_text().splitlines()]
    return [e for e in events if (hook is None or e["hook"] == hook)
            and (name is None or e["name"] == name)]


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    return env


def run(command: str, tmp_path: Path, index: IndexServer, *args: str | Path,
        venv: Path | None = None) -> Result:
    extra: list[str | Path] = ["--python", venv / "bin" / "python"] if venv else []
    return pyffin("pip", command, *args, *extra, "--index-url", index.index_url,
                  "--cache-dir", tmp_path / "cache")


def wheel_settings(wheel: Path) -> Any:
    name = wheel.name.split("-")[0]
    with zipfile.ZipFile(wheel) as z:
        record = json.loads(z.read(f"{name}-1.0.dist-info/pyffin_test_backend.json"))
    return record["config_settings"]


# ------------------------------------------------------------------- --config-settings-package
def test_package_settings_reach_only_that_package_merged_after_the_global_ones(
        index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_sdist(SdistSpec("one", "1.0"))
    index_server.add_sdist(SdistSpec("two", "1.0"))
    result = run("wheel", tmp_path, index_server, "one", "two", "-w", tmp_path / "w",
                 "-C", "mode=fast", "--config-settings-package", "one:mode=slow",
                 "--config-settings-package", "One:extra=1")
    assert result.returncode == 0, result
    # uv's merge: the package's own values first; a key in both becomes the list of both.
    assert wheel_settings(tmp_path / "w" / "one-1.0-py3-none-any.whl") == {
        "mode": ["slow", "fast"], "extra": "1"}
    assert wheel_settings(tmp_path / "w" / "two-1.0-py3-none-any.whl") == {"mode": "fast"}


def test_package_settings_key_the_built_wheel_cache(
        index_server: IndexServer, tmp_path: Path, backend_log: Path) -> None:
    index_server.add_sdist(SdistSpec("one", "1.0"))
    runs: list[tuple[list[str], Any]] = [
        (["--config-settings-package", "one:mode=fast"], {"mode": "fast"}),
        ([], {}),
        (["--config-settings-package", "one:mode=slow"], {"mode": "slow"}),
        (["--config-settings-package", "one:mode=fast"], {"mode": "fast"}),  # built before
        (["-C", "mode=fast"], {"mode": "fast"}),  # the same settings: the same build
        (["--config-settings-package", "other:mode=x"], {}),  # another package's: the default
    ]
    for i, (options, expected) in enumerate(runs):
        out = tmp_path / f"w{i}"
        result = run("wheel", tmp_path, index_server, "one", "-w", out, *options)
        assert result.returncode == 0, result
        assert wheel_settings(out / "one-1.0-py3-none-any.whl") == expected, options
    assert len(calls(backend_log, "build_wheel", "one")) == 3


@pytest.mark.parametrize("command", ["install", "sync"])
def test_install_and_sync_pass_package_settings(
        index_server: IndexServer, tmp_path: Path, venv: Path, command: str) -> None:
    index_server.add_sdist(SdistSpec("one", "1.0"))
    (tmp_path / "r.txt").write_text("one==1.0\n")
    args = ["-r", tmp_path / "r.txt"] if command == "install" else [tmp_path / "r.txt"]
    result = run(command, tmp_path, index_server, *args, "--config-settings-package",
                 "one:mode=fast", venv=venv)
    assert result.returncode == 0, result
    [record] = (venv / "lib").glob("python3.*/site-packages/one-1.0.dist-info/"
                                   "pyffin_test_backend.json")
    assert json.loads(record.read_text())["config_settings"] == {"mode": "fast"}


def test_compile_passes_package_settings_to_the_metadata_hook(
        index_server: IndexServer, tmp_path: Path, backend_log: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", dynamic=["Requires-Dist"],
                                          static_pyproject=False), tmp_path / "local")
    (tmp_path / "r.in").write_text(f"{project}\n")
    result = run("compile", tmp_path, index_server, tmp_path / "r.in",
                 "--config-settings-package", "local:a=1")
    assert result.returncode == 0, result
    [prepared] = calls(backend_log, "prepare_metadata_for_build_wheel", "local")
    assert prepared["config_settings"] == {"a": "1"}


@pytest.mark.parametrize("value", ["bad", "one:x", ":a=1", "not a name:a=1"])
def test_a_malformed_package_setting_is_a_usage_error(tmp_path: Path, value: str,
                                                      index_server: IndexServer) -> None:
    result = run("wheel", tmp_path, index_server, "one", "--config-settings-package", value)
    assert result.returncode == 2
    assert f"invalid --config-settings-package {value!r}: expected PACKAGE:KEY=VALUE" \
        in result.stderr


# --------------------------------------------------------------- --no-build-isolation-package
def unbuildable_in_isolation(index: IndexServer) -> None:
    """Two sdists whose build requirement no index has: they build only without isolation."""
    for name in ("one", "two"):
        index.add_sdist(SdistSpec(name, "1.0", build_requires=["not-on-any-index"]))


def test_no_build_isolation_package_builds_only_that_package_in_place(
        index_server: IndexServer, tmp_path: Path, venv: Path, backend_log: Path) -> None:
    unbuildable_in_isolation(index_server)
    result = run("install", tmp_path, index_server, "one", "--no-build-isolation-package",
                 "one", venv=venv)
    assert result.returncode == 0, result
    # Its build requirement is not installed anywhere: only a build in place can work.
    assert len(calls(backend_log, "build_wheel", "one")) == 1
    assert " + one==1.0" in result.stderr
    result = run("install", tmp_path, index_server, "two", "--no-build-isolation-package",
                 "one", venv=venv)
    assert result.returncode == 1
    assert "cannot resolve the build requirements of two-1.0.tar.gz" in result.stderr


def test_no_build_isolation_package_names_a_project_by_its_pyproject(
        index_server: IndexServer, tmp_path: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", build_requires=["not-on-any-index"]),
                                tmp_path / "local")
    result = run("wheel", tmp_path, index_server, str(project), "-w", tmp_path / "w")
    assert result.returncode == 1
    result = run("wheel", tmp_path, index_server, str(project), "-w", tmp_path / "w",
                 "--no-build-isolation-package", "Local")
    assert result.returncode == 0, result
    assert (tmp_path / "w" / "local-1.0-py3-none-any.whl").is_file()


def test_compile_and_sync_take_no_build_isolation_package(
        index_server: IndexServer, tmp_path: Path, venv: Path) -> None:
    unbuildable_in_isolation(index_server)
    index_server.add_sdist(SdistSpec("dyn", "1.0", dynamic=["Requires-Dist"],
                                     static_pyproject=False,
                                     build_requires=["not-on-any-index"]))
    (tmp_path / "r.in").write_text("dyn\n")
    assert run("compile", tmp_path, index_server, tmp_path / "r.in").returncode == 1
    result = run("compile", tmp_path, index_server, tmp_path / "r.in",
                 "--no-build-isolation-package", "dyn")
    assert result.returncode == 0, result
    (tmp_path / "r.txt").write_text("one==1.0\n")
    result = run("sync", tmp_path, index_server, tmp_path / "r.txt",
                 "--no-build-isolation-package", "one", venv=venv)
    assert result.returncode == 0, result


# ------------------------------------------------------------------------ build constraints
@pytest.fixture
def helper_index(index_server: IndexServer) -> IndexServer:
    """``needs`` builds with ``helper``, which has two versions on the index."""
    index_server.add_wheel(WheelSpec("helper", "1.0"))
    index_server.add_wheel(WheelSpec("helper", "2.0"))
    index_server.add_sdist(SdistSpec("needs", "1.0", build_requires=["helper"]))
    return index_server


def fetched(index: IndexServer, filename: str) -> int:
    return index.count(f"/files/{filename}")


@pytest.mark.parametrize("spelling", ["-b", "--build-constraints", "--build-constraint"])
def test_build_constraints_constrain_the_build_dependencies(
        helper_index: IndexServer, tmp_path: Path, spelling: str) -> None:
    (tmp_path / "build.txt").write_text("helper<2\n")
    result = run("wheel", tmp_path, helper_index, "needs", "-w", tmp_path / "w",
                 spelling, tmp_path / "build.txt")
    assert result.returncode == 0, result
    assert fetched(helper_index, "helper-1.0-py3-none-any.whl") == 1
    assert fetched(helper_index, "helper-2.0-py3-none-any.whl") == 0


def test_build_constraints_do_not_constrain_the_packages_themselves(
        helper_index: IndexServer, tmp_path: Path, venv: Path) -> None:
    (tmp_path / "build.txt").write_text("helper<2\n")
    result = run("install", tmp_path, helper_index, "needs", "helper", "-b",
                 tmp_path / "build.txt", venv=venv)
    assert result.returncode == 0, result
    assert " + helper==2.0" in result.stderr


def test_a_build_constraint_hash_is_checked(helper_index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "build.txt").write_text(f"helper==1.0 --hash=sha256:{'0' * 64}\n")
    result = run("wheel", tmp_path, helper_index, "needs", "-w", tmp_path / "w", "-b",
                 tmp_path / "build.txt")
    assert result.returncode == 1
    assert "hash mismatch for helper-1.0-py3-none-any.whl" in result.stderr


def test_require_build_hashes(helper_index: IndexServer, tmp_path: Path,
                              venv: Path) -> None:
    (tmp_path / "build.txt").write_text("helper==1.0\n")
    result = run("install", tmp_path, helper_index, "needs", "-b", tmp_path / "build.txt",
                 "--require-build-hashes", venv=venv)
    assert result.returncode == 1
    assert ("--require-build-hashes: the build requirements of needs-1.0.tar.gz need helper, "
            "which the build constraints do not give hashes for") in result.stderr
    served = helper_index.file_url("helper-1.0-py3-none-any.whl")
    import urllib.request

    with urllib.request.urlopen(served) as response:
        digest = hashlib.sha256(response.read()).hexdigest()
    (tmp_path / "build.txt").write_text(f"helper==1.0 --hash=sha256:{digest}\n")
    result = run("install", tmp_path, helper_index, "needs", "-b", tmp_path / "build.txt",
                 "--require-build-hashes", venv=venv)
    assert result.returncode == 0, result


def test_compile_and_sync_take_build_constraints(
        helper_index: IndexServer, tmp_path: Path, venv: Path) -> None:
    helper_index.add_sdist(SdistSpec("dyn", "1.0", dynamic=["Requires-Dist"],
                                     static_pyproject=False, build_requires=["helper"]))
    (tmp_path / "build.txt").write_text("helper<2\n")
    (tmp_path / "r.in").write_text("dyn\n")
    result = run("compile", tmp_path, helper_index, tmp_path / "r.in", "-b",
                 tmp_path / "build.txt")
    assert result.returncode == 0, result
    assert fetched(helper_index, "helper-1.0-py3-none-any.whl") == 1
    (tmp_path / "build.txt").write_text("helper>1\n")
    (tmp_path / "r.txt").write_text("needs==1.0\n")
    result = run("sync", tmp_path, helper_index, tmp_path / "r.txt", "-b",
                 tmp_path / "build.txt", venv=venv)
    assert result.returncode == 0, result
    assert fetched(helper_index, "helper-2.0-py3-none-any.whl") == 1
