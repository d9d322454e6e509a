"""Universes that make a universal resolution fork, and uv's output for each.

Each ``data/universal/NAME.json`` holds a scenario::

    {"requirements": ["plotter"],              # requirements.in
     "args": ["--python-version", "3.9"],      # for both tools
     "environments": ["sys_platform == 'linux'"],   # optional: --environment / uv's
                                                     # [tool.uv] environments
     "constraints": ["numpy-like<2"], "overrides": [...],  # optional: -c c.txt, --override o.txt
     "packages": {"plotter==1.0": ["numpy-like>=1.20"],          # Requires-Dist only
                  "numpy-like==2.2.6": {"requires": [], "requires_python": ">=3.10",
                                        "wheels": [["cp310-cp310-win_amd64"]],
                                        "sdist": false, "extras": []}}}

and ``data/universal/NAME.txt`` is what ``uv pip compile --universal --no-header`` (0.13.9)
printed for it against the local test index, after a first line saying so. Regenerate them
with (a developer tool, offline: loopback index only, no interpreter downloads)::

    python -m tests.resolver.universal_scenarios [--uv PATH] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer

DATA = Path(__file__).parent / "data" / "universal"
UV = os.environ.get("UV", "/work/main/bench/.data/tools/bin/uv")


def scenarios() -> list[str]:
    return sorted(path.stem for path in DATA.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return spec


def serve(server: IndexServer, spec: dict[str, Any]) -> None:
    """Add the scenario's distributions to ``server``."""
    for key, info in spec["packages"].items():
        name, _, version = key.partition("==")
        if isinstance(info, list):
            info = {"requires": info}
        requires = info.get("requires", [])
        requires_python = info.get("requires_python")
        for tags in info.get("wheels", [["py3-none-any"]]):
            server.add_wheel(WheelSpec(name, version, requires_dist=requires,
                                       requires_python=requires_python,
                                       extras=info.get("extras", []), tags=tags),
                             requires_python=requires_python)
        if info.get("sdist"):
            server.add_sdist(SdistSpec(name, version, requires_dist=requires),
                             requires_python=requires_python)


def write_inputs(directory: Path, spec: dict[str, Any]) -> list[str]:
    """Write the scenario's input files; the options that name them."""
    (directory / "requirements.in").write_text("\n".join(spec["requirements"]) + "\n")
    options = []
    for key, filename, option in (("constraints", "c.txt", "-c"),
                                  ("overrides", "o.txt", "--override")):
        if spec.get(key):
            (directory / filename).write_text("\n".join(spec[key]) + "\n")
            options += [option, filename]
    return options


def expected(name: str) -> str:
    """uv's output for the scenario, without the line saying how it was made."""
    return (DATA / f"{name}.txt").read_text().split("\n", 1)[1]


def uv_output(uv: str, name: str) -> str:
    spec = load(name)
    with IndexServer() as server, tempfile.TemporaryDirectory() as scratch:
        serve(server, spec)
        directory = Path(scratch)
        options = write_inputs(directory, spec)
        environments = spec.get("environments", [])
        if environments:  # uv reads them from a project's [tool.uv] only
            listed = ", ".join(json.dumps(marker) for marker in environments)
            (directory / "pyproject.toml").write_text(
                f"[tool.uv]\nenvironments = [{listed}]\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
        env["UV_PYTHON_DOWNLOADS"] = "never"
        result = subprocess.run(
            [uv, "pip", "compile", "--universal", "--no-header", "--no-python-downloads",
             "--cache-dir", f"{scratch}/cache", "--index-url", server.index_url,
             *spec.get("args", []), *options, "requirements.in"],
            capture_output=True, text=True, env=env, cwd=directory, check=False)
    if result.returncode:
        sys.exit(f"{name}: {result.stderr}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uv", default=UV)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    version = subprocess.run([args.uv, "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    for name in args.names or scenarios():
        spec = load(name)
        command = " ".join(["--universal", *spec.get("args", [])])
        output = uv_output(args.uv, name)
        (DATA / f"{name}.txt").write_text(
            f"# {version}: {name}.json, uv pip compile {command} (universal_scenarios.py)\n"
            f"{output}")
        print(f"wrote {name}.txt")


if __name__ == "__main__":
    main()
