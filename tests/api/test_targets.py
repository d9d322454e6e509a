"""The Python API's ``target`` / ``prefix``: ``pyffin.api.install`` and ``uninstall`` change a
directory instead of an environment; ``inspect.environment`` reads it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pyffin.api.inspect import environment, installed
from pyffin.api.install import install, uninstall
from pyffin.api.session import Session
from pyffin.cache import Cache
from pyffin.errors import UsageError
from pyffin.settings import IndexSettings
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer


def session(tmp_path: Path, index_server: IndexServer) -> Session:
    return Session(Cache(tmp_path / "cache"),
                   index=IndexSettings(index_url=index_server.index_url), no_config=True)


def test_install_and_uninstall_in_a_target_directory(index_server: IndexServer,
                                                     tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("six", "1.0"))
    target = tmp_path / "target"
    result = install(requirements=["six"], target=target, python=sys.executable,
                     session=session(tmp_path, index_server))
    assert result.installed == [("six", "1.0")]
    assert result.environment.directory is not None
    assert result.environment.site_packages == (str(target),)
    env = environment(python=sys.executable, target=target)
    assert [d.normalized_name for d in installed(env)] == ["six"]
    removed = uninstall(["six"], target=target, python=sys.executable,
                        session=session(tmp_path, index_server))
    assert removed.removed == [("six", "1.0")]
    assert not (target / "six").exists()


def test_target_and_prefix_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--target and --prefix cannot be used together"):
        install(requirements=["six"], target=tmp_path / "t", prefix=tmp_path / "p")
    assert not (tmp_path / "t").exists()
