"""Helpers for the build frontend tests: a recording BuildContext and tree editing."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyffin.build import BuildEnvironment
from pyffin.cache import Cache, CacheBucket


@dataclass
class Install:
    requirements: list[str]
    purpose: str
    environment: BuildEnvironment


@dataclass
class RecordingContext:
    """A BuildContext that records what it is asked to install; ``wheels`` maps a requirement
    string to local wheels it installs by unzipping them into the environment's purelib (test
    stand-in for resolving and installing), ``on_install`` runs on every call."""

    wheels: dict[str, list[Path]] = field(default_factory=dict)
    on_install: Callable[[Sequence[str], BuildEnvironment], None] | None = None
    installs: list[Install] = field(default_factory=list)

    def install_requirements(self, requirements: Sequence[str], environment: BuildEnvironment,
                             *, purpose: str) -> None:
        self.installs.append(Install(list(requirements), purpose, environment))
        for requirement in requirements:
            for wheel in self.wheels.get(requirement, []):
                with zipfile.ZipFile(wheel) as zf:
                    zf.extractall(environment.scheme.purelib)
        if self.on_install is not None:
            self.on_install(requirements, environment)


def hooks_called(events: list[dict[str, Any]]) -> list[str]:
    return [event["hook"] for event in events]


def leftover_environments(cache: Cache) -> list[Path]:
    builds = cache.bucket(CacheBucket.BUILDS)
    return sorted(builds.iterdir()) if builds.exists() else []


def set_build_system(root: Path, *, requires: Sequence[str], backend: str,
                     backend_path: Sequence[str] | None = None) -> None:
    """Replace the ``[build-system]`` table of the test tree at ``root``."""
    pyproject = root / "pyproject.toml"
    _, project = pyproject.read_text().split("[project]", 1)
    table = [f"[build-system]\nrequires = {json.dumps(list(requires))}",
             f"build-backend = {json.dumps(backend)}"]
    if backend_path is not None:
        table.append(f"backend-path = {json.dumps(list(backend_path))}")
    pyproject.write_text("\n".join(table) + "\n\n[project]" + project)
