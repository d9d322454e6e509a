"""What the replays of repeated commands share (:mod:`pyffin.cli.replay`): the cache they
look in is the one the command uses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffin.cli import replay


def test_the_replay_finds_the_cache_the_command_uses(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    from pyffin.cache import Cache, CacheBucket

    assert CacheBucket.ENVIRONMENTS.dirname == replay.BUCKET
    monkeypatch.delenv("PYFFIN_CACHE_DIR")
    for xdg in (None, str(tmp_path / "xdg"), "relative/xdg", ""):
        if xdg is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert replay.cache_root([]) == str(Cache.from_settings().root), xdg
    monkeypatch.setenv("PYFFIN_CACHE_DIR", str(tmp_path / "env-cache"))
    assert replay.cache_root([]) == str(tmp_path / "env-cache")
    assert replay.cache_root(["--cache-dir", "c"]) == os.path.abspath("c")
    assert replay.cache_root(["--cache-dir=c"]) == os.path.abspath("c")
    assert replay.cache_root(["-n"]) is None
    monkeypatch.setenv("PYFFIN_NO_CACHE", "1")
    assert replay.cache_root([]) is None
