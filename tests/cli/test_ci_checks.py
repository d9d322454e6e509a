"""Checks for CI: ``install|sync --check`` (uv's: exit 1 when the environment does not already
match, change nothing), ``--strict`` (after installing, exit 1 when a package's dependencies
are not met), ``--output-format json`` (uv's summary of changes on stdout) and ``--report FILE``
(pip's installation report)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer
from tests.support.uv import UV, uv_env


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec(
        "app", "1.0", requires_dist=["lib>=1", 'opt; extra == "x"'], extras=["x"],
        metadata_extra=[("Summary", "An app"), ("Keywords", "web, tools"),
                        ("Classifier", "Topic :: Utilities"),
                        ("Classifier", "Typing :: Typed")]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    index_server.add_wheel(WheelSpec("opt", "1.0"))
    index_server.add_wheel(WheelSpec("bad", "1.0", requires_dist=["lib>=3"]))
    return index_server


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable,
                  cache_dir=tmp_path / "cache").returncode == 0
    return env


def pip(command: str, venv: Path, index: IndexServer, *args: str | Path) -> Result:
    return pyffin("pip", command, *args, "--python", venv / "bin" / "python", "--index-url",
                  index.index_url, "--no-config", cache_dir=venv.parent / "cache")


def uv_pip(command: str, venv: Path, index: IndexServer,
           *args: str | Path) -> subprocess.CompletedProcess[str] | None:
    if UV is None:
        return None
    return subprocess.run(
        [str(UV), "pip", command, *map(str, args), "--python", str(venv / "bin" / "python"),
         "--index-url", index.index_url, "--cache-dir", str(venv.parent / "uv-cache")],
        capture_output=True, text=True, env=uv_env(), timeout=120)


def changes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.match(r" [+-] \S+==", line)]


def frozen(venv: Path) -> list[str]:
    return pyffin("pip", "freeze", "--python", venv / "bin" / "python").stdout.split()


# ---------------------------------------------------------------------------------- --check
def test_install_check_lists_the_changes_exits_1_and_changes_nothing(
        index: IndexServer, venv: Path) -> None:
    result = pip("install", venv, index, "app", "--check")
    assert result.returncode == 1, result
    assert changes(result.stderr) == [" + app==1.0", " + lib==2.0"]
    assert "Would install 2 packages" in result.stderr
    assert frozen(venv) == []
    uv = uv_pip("install", venv, index, "app", "--check")
    if uv is not None:
        assert (uv.returncode, changes(uv.stderr)) == (1, changes(result.stderr))


def test_install_check_of_a_satisfied_environment_exits_0(index: IndexServer,
                                                          venv: Path) -> None:
    assert pip("install", venv, index, "app").returncode == 0
    result = pip("install", venv, index, "app", "--check")
    assert result.returncode == 0, result
    assert result.stderr.endswith("Would make no changes\n")
    upgrade = pip("install", venv, index, "lib==1.0", "--check")
    assert upgrade.returncode == 1
    assert changes(upgrade.stderr) == [" - lib==2.0", " + lib==1.0"]
    assert frozen(venv) == ["app==1.0", "lib==2.0"]
    uv = uv_pip("install", venv, index, "app", "--check")
    if uv is not None:
        assert uv.returncode == 0 and uv.stderr.endswith("Would make no changes\n")


def test_sync_check(index: IndexServer, venv: Path, tmp_path: Path) -> None:
    assert pip("install", venv, index, "app", "opt").returncode == 0
    (tmp_path / "pins.txt").write_text("app==1.0\nlib==2.0\n")
    result = pip("sync", venv, index, tmp_path / "pins.txt", "--check")
    assert result.returncode == 1, result
    assert changes(result.stderr) == [" - opt==1.0"]
    assert frozen(venv) == ["app==1.0", "lib==2.0", "opt==1.0"]
    uv = uv_pip("sync", venv, index, tmp_path / "pins.txt", "--check")
    if uv is not None:
        assert (uv.returncode, changes(uv.stderr)) == (1, [" - opt==1.0"])
    assert pip("sync", venv, index, tmp_path / "pins.txt").returncode == 0
    assert pip("sync", venv, index, tmp_path / "pins.txt", "--check").returncode == 0


# --------------------------------------------------------------------------------- --strict
def test_strict_fails_when_the_environment_is_inconsistent(index: IndexServer,
                                                           venv: Path) -> None:
    assert pip("install", venv, index, "app").returncode == 0
    result = pip("install", venv, index, "bad", "--no-deps", "--strict")
    assert result.returncode == 1, result
    assert "warning: The package `bad` requires `lib>=3`, but `2.0` is installed\n" \
        in result.stderr
    assert "error: the environment is inconsistent (--strict): 1 problem" in result.stderr
    assert "bad==1.0" in frozen(venv)  # installed: the check comes after
    uv = uv_pip("install", venv, index, "bad", "--no-deps", "--strict", "--reinstall")
    if uv is not None:  # uv words it the same, as a warning only
        assert "warning: The package `bad` requires `lib>=3`, but `2.0` is installed\n" \
            in uv.stderr


def test_strict_passes_a_consistent_environment_and_skips_dry_runs(index: IndexServer,
                                                                   venv: Path) -> None:
    assert pip("install", venv, index, "app", "--strict").returncode == 0
    assert pip("install", venv, index, "bad", "--no-deps", "--strict",
                "--dry-run").returncode == 0


# -------------------------------------------------------------------------- --output-format
def test_output_format_json_prints_uvs_summary(index: IndexServer, venv: Path,
                                               tmp_path: Path) -> None:
    assert pip("install", venv, index, "lib==1.0", "opt").returncode == 0
    (tmp_path / "pins.txt").write_text("app==1.0\nlib==2.0\n")
    dry = pip("sync", venv, index, tmp_path / "pins.txt", "--output-format", "json",
              "--dry-run")
    assert dry.returncode == 0, dry
    expected = {"schema": {"version": "preview"}, "changes": [
        {"name": "app", "version": "1.0", "action": "installed"},
        {"name": "lib", "version": "1.0", "action": "uninstalled"},
        {"name": "lib", "version": "2.0", "action": "installed"},
        {"name": "opt", "version": "1.0", "action": "uninstalled"}], "dry_run": True}
    assert dry.stdout == json.dumps(expected, indent=2) + "\n"
    uv = uv_pip("sync", venv, index, tmp_path / "pins.txt", "--output-format", "json",
                "--dry-run")
    if uv is not None:
        assert uv.stdout == dry.stdout
    done = pip("sync", venv, index, tmp_path / "pins.txt", "--output-format", "json")
    assert json.loads(done.stdout) == {**expected, "dry_run": False}
    again = pip("install", venv, index, "app", "--output-format", "json")
    assert json.loads(again.stdout) == {"schema": {"version": "preview"}, "changes": [],
                                        "dry_run": False}


def test_uninstall_output_format_json(index: IndexServer, venv: Path) -> None:
    assert pip("install", venv, index, "opt").returncode == 0
    result = pyffin("pip", "uninstall", "opt", "--output-format", "json", "--python",
                    venv / "bin" / "python")
    assert json.loads(result.stdout) == {"schema": {"version": "preview"}, "changes": [
        {"name": "opt", "version": "1.0", "action": "uninstalled"}], "dry_run": False}


# -------------------------------------------------------------------------------- --report
def _check_report_shape(report: dict[str, object]) -> None:
    """The keys pip documents for version 1 of its installation report."""
    assert report["version"] == "1"
    assert isinstance(report["pip_version"], str)
    environment = report["environment"]
    assert isinstance(environment, dict)
    assert {"python_version", "sys_platform", "implementation_name"} <= set(environment)
    assert isinstance(report["install"], list)
    for item in report["install"]:
        assert {"metadata", "is_direct", "is_yanked", "download_info", "requested"} <= set(item)


def test_report_of_an_install(index: IndexServer, venv: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    result = pip("install", venv, index, "app[x]", "--report", target)
    assert result.returncode == 0, result
    report = json.loads(target.read_text())
    _check_report_shape(report)
    by_name = {item["metadata"]["name"]: item for item in report["install"]}
    assert sorted(by_name) == ["app", "lib", "opt"]
    app = by_name["app"]
    assert app["requested"] is True and app["requested_extras"] == ["x"]
    assert app["is_direct"] is False and app["is_yanked"] is False
    assert app["metadata"] == {
        "metadata_version": "2.1", "name": "app", "version": "1.0", "summary": "An app",
        "keywords": ["web", "tools"], "classifier": ["Topic :: Utilities", "Typing :: Typed"],
        "requires_dist": ["lib>=1", 'opt; extra == "x"'], "provides_extra": ["x"]}
    info = app["download_info"]
    assert info["url"] == f"{index.url}/files/app-1.0-py3-none-any.whl"
    sha256 = info["archive_info"]["hashes"]["sha256"]
    assert info["archive_info"]["hash"] == f"sha256={sha256}"
    assert by_name["lib"]["requested"] is False and "requested_extras" not in by_name["lib"]
    assert report["environment"]["python_version"] == "{}.{}".format(*sys.version_info[:2])
    # What is already there is not in the next report.
    again = pip("install", venv, index, "app", "opt", "--report", target)
    assert again.returncode == 0
    assert json.loads(target.read_text())["install"] == []


def test_report_of_a_dry_run_on_stdout(index: IndexServer, venv: Path) -> None:
    result = pip("install", venv, index, "app", "--dry-run", "--report", "-")
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    _check_report_shape(report)
    assert [item["metadata"] for item in report["install"]] == [
        {"metadata_version": "2.1", "name": "app", "version": "1.0",
         "requires_dist": ["lib>=1", 'opt; extra == "x"'], "provides_extra": ["x"]},
        {"metadata_version": "2.1", "name": "lib", "version": "2.0"}]
    assert frozen(venv) == []


def test_report_of_a_direct_reference_and_a_sync(index: IndexServer, venv: Path,
                                                 tmp_path: Path, make_wheel) -> None:  # type: ignore[no-untyped-def]
    wheel = make_wheel("local", "0.1")
    (tmp_path / "pins.txt").write_text(f"local @ {wheel.as_uri()}\n")
    result = pip("sync", venv, index, tmp_path / "pins.txt", "--report", tmp_path / "r.json")
    assert result.returncode == 0, result
    [item] = json.loads((tmp_path / "r.json").read_text())["install"]
    assert item["is_direct"] is True
    assert item["download_info"]["url"] == wheel.as_uri()
    assert "archive_info" in item["download_info"]


def test_a_report_target_that_is_a_directory_is_refused_first(index: IndexServer, venv: Path,
                                                              tmp_path: Path) -> None:
    result = pip("install", venv, index, "app", "--report", tmp_path)
    assert result.returncode == 2
    assert "it is a directory" in result.stderr
    assert frozen(venv) == []
