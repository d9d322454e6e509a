"""``pyffin pip freeze|list|show`` print what uv 0.13 prints for the same environment (each
expected text below was checked against ``uv pip freeze|list|show`` on such an environment)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Result, child_env, pyffin
from tests.support.dists import SdistSpec, WheelSpec, write_develop_install, write_source_tree
from tests.support.index import IndexServer

WHEELS = [
    # dist-info directory charset_normalizer-3.0.dist-info, METADATA Name charset-normalizer
    WheelSpec("charset-normalizer", "3.0"),
    # dist-info directory web_kit-1.0.dist-info, METADATA Name Web.Kit
    WheelSpec("Web.Kit", "1.0"),
    WheelSpec("requests", "2.0", extras=["socks"], requires_dist=[
        "charset-normalizer>=2", 'PySocks>=1; extra == "socks"',
        'win-inet; sys_platform == "win32"']),
    WheelSpec("PySocks", "1.7"),
    WheelSpec("app", "1.0", requires_dist=["requests[socks]"]),
    # These need requests only under an extra, or only on Python 2: not "required by".
    WheelSpec("plugin", "1.0", extras=["http"], requires_dist=['requests; extra == "http"']),
    WheelSpec("legacy", "1.0", requires_dist=['requests; python_version < "3"']),
]


@pytest.fixture
def venv(index_server: IndexServer, tmp_path: Path) -> Path:
    for spec in WHEELS:
        index_server.add_wheel(spec)
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    result = pyffin("pip", "install", "app", "plugin", "legacy", "requests", "Web.Kit",
                    "--python", env / "bin" / "python", "--index-url", index_server.index_url,
                    "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    return env


def inspect(venv: Path, *args: str) -> Result:
    return pyffin("pip", *args, "--python", venv / "bin" / "python")


def announced(venv: Path) -> str:
    """What every command says first on stderr: the environment it reads (as uv)."""
    return f"Using Python {platform.python_version()} environment at: {venv}\n"


def site_packages(venv: Path) -> Path:
    [path] = (venv / "lib").glob("python3.*/site-packages")
    return path


NAMES = ["app", "charset-normalizer", "legacy", "plugin", "pysocks", "requests", "web-kit"]
VERSIONS = ["1.0", "3.0", "1.0", "1.0", "1.7", "2.0", "1.0"]


def test_freeze_and_list_print_project_names_not_directory_spellings(venv: Path) -> None:
    assert (site_packages(venv) / "charset_normalizer-3.0.dist-info").is_dir()
    assert (site_packages(venv) / "web_kit-1.0.dist-info").is_dir()
    pins = "".join(f"{n}=={v}\n" for n, v in zip(NAMES, VERSIONS, strict=True))
    assert inspect(venv, "freeze").stdout == pins
    assert inspect(venv, "list", "--format", "freeze").stdout == pins
    assert inspect(venv, "list", "--format", "json").stdout == json.dumps([
        {"name": n, "version": v} for n, v in zip(NAMES, VERSIONS, strict=True)],
        separators=(",", ":")) + "\n"
    assert inspect(venv, "list").stdout == (
        "Package            Version\n"
        "------------------ -------\n"
        + "".join(f"{n:<18} {v}\n" for n, v in zip(NAMES, VERSIONS, strict=True)))


def test_show_counts_only_requirements_that_hold_here_without_extras(venv: Path) -> None:
    location = site_packages(venv)
    result = inspect(venv, "show", "requests", "charset_normalizer", "pysocks")
    assert result.returncode == 0 and result.stderr == announced(venv)
    assert result.stdout == (
        "Name: charset-normalizer\nVersion: 3.0\n"
        f"Location: {location}\nRequires:\nRequired-by: requests\n"
        "---\n"
        "Name: pysocks\nVersion: 1.7\n"
        f"Location: {location}\nRequires:\nRequired-by:\n"
        "---\n"
        "Name: requests\nVersion: 2.0\n"
        f"Location: {location}\nRequires: charset-normalizer\nRequired-by: app\n")


def test_show_of_missing_packages(venv: Path) -> None:
    some = inspect(venv, "show", "nothere", "web_kit", "gone")
    assert some.returncode == 0
    assert some.stderr == announced(venv) + "warning: Package(s) not found for: gone, nothere\n"
    assert some.stdout.startswith("Name: web-kit\nVersion: 1.0\n")
    none = inspect(venv, "show", "nothere")
    assert (none.returncode, none.stdout) == (1, "")
    assert none.stderr == announced(venv) + "warning: Package(s) not found for: nothere\n"
    nothing = inspect(venv, "show")
    assert (nothing.returncode, nothing.stderr) == (
        1, "warning: Please provide a package name or names.\n")


def test_show_files_and_an_editable_project(venv: Path, tmp_path: Path,
                                           index_server: IndexServer) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", requires_dist=["app"]),
                                tmp_path / "local")
    result = pyffin("pip", "install", "-e", project, "--python", venv / "bin" / "python",
                    "--index-url", index_server.index_url, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    shown = inspect(venv, "show", "local", "--files").stdout
    assert shown.startswith(
        f"Name: local\nVersion: 1.0\nLocation: {site_packages(venv)}\n"
        f"Editable project location: {project}\nRequires: app\nRequired-by:\nFiles:\n")
    assert "  local-1.0.dist-info/METADATA\n" in shown
    assert "Editable project location" not in inspect(venv, "show", "app").stdout
    assert inspect(venv, "show", "app").stdout.endswith("Required-by: local\n")


def test_a_setup_py_develop_install_is_shown_as_an_editable(venv: Path, tmp_path: Path) -> None:
    """An ``.egg-link`` install (checked against uv 0.13.9 on one made by ``setup.py
    develop``): editable in freeze, list and show, located at its project."""
    project = tmp_path / "legacy"
    write_develop_install(site_packages(venv), project, "leg-pkg", "1.0")
    # Sorted by name, as uv sorts it ("-e" lines are not put first).
    assert inspect(venv, "freeze").stdout.splitlines()[2:4] == [f"-e {project}", "legacy==1.0"]
    assert f"-e {project}" not in inspect(venv, "freeze", "--exclude-editable").stdout
    assert inspect(venv, "list", "-e").stdout == _table([("leg-pkg", "1.0", str(project))])
    assert "leg-pkg" not in inspect(venv, "list", "--exclude-editable").stdout
    listed = json.loads(inspect(venv, "list", "--format", "json").stdout)
    assert {"name": "leg-pkg", "version": "1.0",
            "editable_project_location": str(project)} in listed
    assert inspect(venv, "show", "leg-pkg").stdout == (
        f"Name: leg-pkg\nVersion: 1.0\nLocation: {project}\n"
        f"Editable project location: {project}\nRequires:\nRequired-by:\n")
    # Removed as before: the link and its easy-install.pth line; the project stays.
    removed = inspect(venv, "uninstall", "leg-pkg")
    assert removed.returncode == 0 and removed.stderr.endswith(" - leg-pkg==1.0\n"), removed
    assert not (site_packages(venv) / "leg-pkg.egg-link").exists()
    assert (site_packages(venv) / "easy-install.pth").read_text() == ""
    assert (project / "leg_pkg.egg-info" / "PKG-INFO").is_file()


def _table(rows: list[tuple[str, str, str]]) -> str:
    """uv's table of ``pip list -e``: columns as wide as their widest cell."""
    heads = ("Package", "Version", "Editable project location")
    widths = [max(len(cell) for cell in column) for column in zip(heads, *rows, strict=True)]
    lines = [heads, tuple("-" * w for w in widths), *rows]
    return "".join(" ".join(f"{cell:<{w}}" for cell, w in zip(line, widths, strict=True))
                   .rstrip() + "\n" for line in lines)


@pytest.mark.parametrize("command", [["freeze"], ["list"], ["show", "requests"]])
def test_a_reader_that_goes_away_is_not_an_error(venv: Path, command: list[str]) -> None:
    """``pyffin pip freeze | head -1``: exit 0 and nothing on stderr but the environment's
    name, as uv."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before pyffin writes anything
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pyffin", "pip", *command, "--python", venv / "bin" / "python"],
            stdout=write, stderr=subprocess.PIPE, env=child_env(), timeout=60)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr.decode()) == (0, announced(venv))
