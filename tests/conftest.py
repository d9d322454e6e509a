"""Test-wide setup: the local index fixtures, and isolation from this machine's configuration
(its pip.conf names extra indexes and find-links that no test should see)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.support.fixtures"]


@pytest.fixture(autouse=True)
def _isolated_configuration(tmp_path_factory: pytest.TempPathFactory,
                            monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("PIP_", "PYFFIN_", "UV_")) or name in ("VIRTUAL_ENV", "CONDA_PREFIX"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("config-home")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("PYFFIN_CACHE_DIR", str(Path(home) / "cache"))
    monkeypatch.setenv("NETRC", str(Path(home) / "netrc"))
    monkeypatch.setenv("NO_COLOR", "1")
    # Scratch files (and --no-cache environment locks) go to TMPDIR: keep them with the test.
    (home / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(home / "tmp"))
    # A working directory of its own: what the checkout holds (the README's quick start
    # leaves a `.venv` there, which interpreter discovery finds) is not the test's.
    (home / "work").mkdir()
    monkeypatch.chdir(home / "work")
    for proxy in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                  "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    yield
