"""Test environments: real venvs (without pip) and their install scheme, plus unzipped wheels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass
from pathlib import Path

from pyffin.distribution.unzip import unzip_wheel
from pyffin.interpreter.scheme import Scheme
from tests.support.dists import WheelSpec, build_wheel

_PATHS = (
    "import json, sys, sysconfig; p = sysconfig.get_paths();"
    "print(json.dumps([p['purelib'], p['platlib'], p['scripts'], p['data'],"
    " '%d.%d' % sys.version_info[:2]]))"
)


@dataclass
class Env:
    root: Path
    python: str
    scheme: Scheme

    @property
    def site_packages(self) -> Path:
        return self.scheme.purelib

    def tree(self) -> set[str]:
        """Every path below the environment (files, directories, links), relative."""
        out = set()
        for root, dirs, files in os.walk(self.root):
            for name in dirs + files:
                out.add(os.path.relpath(os.path.join(root, name), self.root))
        return out

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, check=check,
                              env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})


def make_env(path: Path, python: str | None = None) -> Env:
    """A ``--without-pip`` venv at ``path`` made by ``python`` (default: this interpreter)."""
    if python is None:
        venv.create(path, symlinks=True, with_pip=False)
    else:
        subprocess.run([python, "-m", "venv", "--without-pip", str(path)], check=True)
    exe = str(path / "bin" / "python")
    purelib, platlib, scripts, data, version = json.loads(
        subprocess.run([exe, "-c", _PATHS], capture_output=True, text=True, check=True).stdout
        if python is not None else _paths_here(path))
    scheme = Scheme(Path(purelib), Path(platlib), Path(scripts), Path(data),
                    Path(data) / "include" / "site" / f"python{version}")
    return Env(path, exe, scheme)


def _paths_here(path: Path) -> str:
    """The venv's paths for this interpreter without starting it (saves ~20 ms per test)."""
    import sysconfig

    base = str(path)
    paths = sysconfig.get_paths(vars={"base": base, "platbase": base, "installed_base": base,
                                      "installed_platbase": base})
    v = "{}.{}".format(*sys.version_info[:2])
    return json.dumps([paths["purelib"], paths["platlib"], paths["scripts"], paths["data"], v])


def unzipped(spec: WheelSpec, tmp: Path) -> Path:
    """Build ``spec`` and unzip it, each into a fresh directory below ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(spec, Path(tempfile.mkdtemp(dir=tmp)))
    dest = Path(tempfile.mkdtemp(dir=tmp))
    unzip_wheel(wheel, dest)
    return dest
