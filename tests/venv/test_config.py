"""What an environment's ``pyvenv.cfg`` tells an install."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin.venv.config import is_relocatable, keeps_seed_packages


@pytest.mark.parametrize(("config", "keeps"), [
    (None, True),  # no pyvenv.cfg: a system interpreter, a --target directory
    ("home = /usr/bin\ninclude-system-site-packages = false\n", True),  # python -m venv
    ("home = /usr/bin\nvirtualenv = 20.25.1\n", True),
    ("home = /usr/bin\npyffin = 0.1.0\n", False),  # made bare: nobody put pip there
    ("home = /usr/bin\nseed = true\npyffin = 0.1.0\n", True),  # pyffin venv --seed
    ("home = /usr/bin\nuv = 0.13.9\n", False),
    ("home = /usr/bin\nuv = 0.13.9\nseed = True\n", True),
    ("home = /usr/bin\nUV = 0.13.9\nseed=false\n", False),
])
def test_a_sync_keeps_seed_packages_unless_pyffin_or_uv_made_the_environment_without(
        tmp_path: Path, config: str | None, keeps: bool) -> None:
    if config is not None:
        (tmp_path / "pyvenv.cfg").write_text(config)
    assert keeps_seed_packages(tmp_path) is keeps


def test_relocatable_is_read_as_before(tmp_path: Path) -> None:
    assert not is_relocatable(tmp_path)
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nrelocatable = true\n")
    assert is_relocatable(tmp_path)
    (tmp_path / "pyvenv.cfg").write_bytes(b"relocatable = \xff\n")
    assert not is_relocatable(tmp_path)
