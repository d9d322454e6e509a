"""A file compiled with ``--universal`` installs, on each of this machine's Pythons, exactly what
a compile for that Python alone pins: its markers select the right version of every package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interpreter.conftest import pyenv_python
from tests.support.cli import pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

PYTHONS = {version: pyenv_python(version) for version in ("3.10", "3.11", "3.12", "3.13")}

#: Requirements that make the resolution fork by Python version and by platform.
UNIVERSE = {
    "app==1.0": ["numpy-like", "backport-like; python_version < '3.11'",
                 "linux-only; sys_platform == 'linux'", "win-only; sys_platform == 'win32'",
                 "modern; python_version >= '3.12'", "shared>=1"],
    "numpy-like==1.26.4": {"requires_python": ">=3.9"},
    "numpy-like==2.2.6": {"requires_python": ">=3.10", "requires": ["shared<3"]},
    "numpy-like==2.3.1": {"requires_python": ">=3.11"},
    "numpy-like==2.5.0": {"requires_python": ">=3.13", "requires": ["shared>=3"]},
    "backport-like==1.0": ["zipp-like"],
    "zipp-like==3.20": {"requires_python": ">=3.9"},
    "zipp-like==3.21": {"requires_python": ">=3.11"},
    "linux-only==1.0": [],
    "win-only==1.0": {"tags": ["cp310-cp310-win_amd64"]},
    "modern==1.0": {"requires_python": ">=3.12"},
    "shared==1.0": [], "shared==2.0": [], "shared==3.0": [],
}


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    for key, info in UNIVERSE.items():
        name, _, version = key.partition("==")
        spec = {"requires": info} if isinstance(info, list) else info
        requires_python = spec.get("requires_python")
        index_server.add_wheel(
            WheelSpec(name, version, requires_dist=spec.get("requires", []),
                      requires_python=requires_python, tags=spec.get("tags", ["py3-none-any"])),
            requires_python=requires_python)
    return index_server


def pins(text: str) -> set[str]:
    return {line.split(" ;")[0] for line in text.splitlines() if "==" in line}


def installed(venv: Path) -> set[str]:
    """``name==version`` of everything in a venv but pyffin's own seed."""
    found = set()
    for dist_info in venv.glob("lib/python3*/site-packages/*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
        found.add(f"{name.replace('_', '-')}=={version}")
    return found


@pytest.mark.parametrize("version", [v for v, python in PYTHONS.items() if python is not None])
def test_a_universal_file_installs_what_a_compile_for_that_python_pins(
        version: str, index: IndexServer, tmp_path: Path) -> None:
    python = PYTHONS[version]
    assert python is not None
    source = tmp_path / "requirements.in"
    source.write_text("app\n")
    cache = tmp_path / "cache"
    universal = pyffin("pip", "compile", "--universal", "--python-version", "3.10",
                       "--index-url", index.index_url, "--no-header", source, "-o",
                       tmp_path / "universal.txt", cache_dir=cache)
    assert universal.returncode == 0, universal.stderr
    assert len(pins(universal.stdout)) > len(UNIVERSE) // 2  # several versions of some
    alone = pyffin("pip", "compile", "--python", python, "--index-url", index.index_url,
                   "--no-header", source, cache_dir=cache)
    assert alone.returncode == 0, alone.stderr
    venv = tmp_path / "venv"
    assert pyffin("venv", venv, "--python", python, cache_dir=cache).returncode == 0
    synced = pyffin("pip", "sync", tmp_path / "universal.txt", "--python", venv / "bin/python",
                    "--index-url", index.index_url, cache_dir=cache)
    assert synced.returncode == 0, synced.stderr
    assert installed(venv) == pins(alone.stdout)
