from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pyffin import log
from pyffin.installer.installed import InstalledDistribution
from pyffin.installer.link import LinkMode, install_wheel
from tests.installer.envs import Env, make_env, unzipped
from tests.support.dists import WheelSpec

Install = Callable[..., InstalledDistribution]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return make_env(tmp_path / "env")


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """pyffin's warnings, with the once-per-process memory reset for the test."""
    captured: list[str] = []
    monkeypatch.setattr(log, "_warned", set())
    monkeypatch.setattr(log, "_sink", lambda level, message: captured.append(message))
    monkeypatch.setattr(log, "_level", log.WARNING)
    return captured


@pytest.fixture
def install(env: Env, tmp_path: Path) -> Install:
    """``install(spec, **install_wheel options)``: build, unzip and install into ``env``."""

    def run(spec: WheelSpec, link_mode: LinkMode = "hardlink", **options: object
            ) -> InstalledDistribution:
        archive = unzipped(spec, tmp_path / "archives")
        return install_wheel(archive, env.scheme, python=env.python, link_mode=link_mode,
                             **options)  # type: ignore[arg-type]

    return run
