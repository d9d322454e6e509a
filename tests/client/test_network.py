"""Against the real public index (marked ``network``; skipped with ``-m 'not network'``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin.cache import Cache
from pyffin.client.registry import connect
from pyffin.settings import IndexSettings


@pytest.mark.network
def test_reads_a_real_project_page_and_its_metadata(tmp_path: Path) -> None:
    with Cache(tmp_path / "cache") as cache:
        registry = connect(cache, IndexSettings(index_url="https://pypi.org/simple"))
        [page] = registry.project("packaging")
        assert "24.0" in page.page.versions
        wheel = next(page.page.wheels("24.0"))
        assert wheel.file.upload_time and wheel.file.hash()
        metadata = registry.wheel_metadata(page, wheel.file)
        assert (metadata.name, metadata.version) == ("packaging", "24.0")
        assert metadata.requires_python == ">=3.7"
