"""Several processes reading and revalidating the same cache records at once never crash and
never read a torn record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

REPO = Path(__file__).resolve().parents[2]

WORKER = """
import sys
from pathlib import Path
from pyffin.cache import Cache
from pyffin.client.registry import connect
from pyffin.settings import IndexSettings

index, root = sys.argv[1], Path(sys.argv[2])
with Cache(root) as cache:
    for _ in range(15):
        registry = connect(cache, IndexSettings(index_url=index))
        for name in ("foo", "bar"):
            [page] = registry.project(name)
            for version in page.page.versions:
                for wheel in page.page.wheels(version):
                    assert registry.wheel_metadata(page, wheel.file).name == name
print("ok")
"""


def test_processes_share_records(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.set_max_age(0)  # every read revalidates and rewrites the record
    for version in ("1.0", "2.0", "3.0"):
        index_server.add_wheel(WheelSpec("foo", version))
        index_server.add_wheel(WheelSpec("bar", version))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, index_server.index_url,
                               str(tmp_path / "cache")], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
        assert "unreadable cache entry" not in err
