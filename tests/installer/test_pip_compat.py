"""pip reads what pyffin installs.

The environment gets pip from the wheel that ``ensurepip`` bundles, unzipped and installed by
pyffin itself (no network, and ~20x faster than ``venv --with-pip``): a real-world wheel of
about a thousand files with entry points, which then has to work.
"""

from __future__ import annotations

import ensurepip
import json
import subprocess
from pathlib import Path

import pytest

from pyffin.distribution.unzip import unzip_wheel
from pyffin.installer.link import install_wheel
from tests.installer.envs import Env, make_env, unzipped
from tests.support.dists import WheelSpec

BUNDLED = sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))


@pytest.fixture(scope="module")
def pip_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    if not BUNDLED:
        pytest.skip("this Python's ensurepip bundles no pip wheel")
    tmp = tmp_path_factory.mktemp("pip-env")
    env = make_env(tmp / "env")
    archive = tmp / "pip-archive"
    archive.mkdir()
    unzip_wheel(BUNDLED[-1], archive)
    install_wheel(archive, env.scheme, python=env.python)
    return env


def pip(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return env.run(str(env.scheme.scripts / "pip"), "--disable-pip-version-check",
                   "--no-input", "--no-color", *args, check=False)


def test_pip_lists_shows_checks_and_uninstalls_what_pyffin_installed(
        pip_env: Env, tmp_path: Path) -> None:
    dep = WheelSpec("Dep_Lib", "2.1", files={"dep_lib/__init__.py": ""})
    app = WheelSpec("app", "1.0", requires_dist=["dep-lib>=2"],
                    files={"app/__init__.py": "def main(): pass\n"},
                    entry_points={"console_scripts": {"app-cli": "app:main"}},
                    data={"data": {"share/app/readme.txt": "hi"}})
    for spec in (dep, app):
        install_wheel(unzipped(spec, tmp_path / spec.name), pip_env.scheme,
                      python=pip_env.python, requested=spec is app)

    listed = {d["name"]: d["version"]
              for d in json.loads(pip(pip_env, "list", "--format=json").stdout)}
    shown = pip(pip_env, "show", "-f", "app").stdout
    check = pip(pip_env, "check")
    uninstalled = pip(pip_env, "uninstall", "-y", "app")

    assert {"app": "1.0", "Dep_Lib": "2.1", "pip": BUNDLED[-1].name.split("-")[1]}.items() \
        <= listed.items()
    assert "Requires: dep-lib\n" in shown
    for path in ["app/__init__.py", "../../../bin/app-cli", "../../../share/app/readme.txt",
                 "app-1.0.dist-info/INSTALLER"]:
        assert f"  {path}\n" in shown
    assert (check.returncode, check.stdout) == (0, "No broken requirements found.\n")
    assert uninstalled.returncode == 0, uninstalled.stderr
    assert not (pip_env.scheme.scripts / "app-cli").exists()
    assert not (pip_env.site_packages / "app").exists()
    assert not (pip_env.root / "share/app/readme.txt").exists()
