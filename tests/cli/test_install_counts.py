"""What a cold install does, counted: requests made and files written. A change that wastes
work (a wheel downloaded twice, a temporary copy of every download, a file written twice)
fails here, whatever the speed of the machine."""

from __future__ import annotations

import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tests.support.cli import pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer
from tests.support.written import files_written

SPECS = [
    WheelSpec("app", "1.0", requires_dist=["lib>=1", "big"],
              files={"app/__init__.py": "import lib\n", "app/cli.py": "def main(): pass\n"},
              entry_points={"console_scripts": {"app": "app.cli:main"}}),
    WheelSpec("lib", "1.0", files={f"lib/m{i}.py": f"X = {i}\n" for i in range(20)},
              data={"data": {"share/lib.conf": "conf\n"}}),
    # Larger than a network read: its download arrives in many chunks.
    WheelSpec("big", "1.0", files={"big/blob.bin": bytes(range(256)) * 8192}),
]


@pytest.mark.parametrize("command", ["install", "sync"])
def test_a_cold_install_downloads_each_file_once_and_writes_each_unzipped_file_once(
        index_server: IndexServer, tmp_path: Path, command: str) -> None:
    wheels = {spec.name: index_server.add_wheel(spec) for spec in SPECS}
    env, cache = tmp_path / "env", tmp_path / "cache"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir", cache).returncode == 0
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("app\n" if command == "install" else "app==1.0\nlib==1.0\nbig==1.0\n")
    index_server.reset_counts()

    source = ["-r", requirements] if command == "install" else [requirements]
    with files_written() as written:
        result = pyffin("pip", command, *source, "--python", env / "bin" / "python",
                        "--index-url", index_server.index_url, "--cache-dir", cache)
    assert result.returncode == 0, result

    # One request per page and per wheel, and at most one per .metadata file.
    paths = Counter(request.path for request in index_server.request_log)
    assert set(paths.values()) == {1}, paths
    needed = {f"/simple/{name}/" for name in wheels} | {f"/files/{w.name}" for w in wheels.values()}
    metadata = {f"/files/{wheel.name}.metadata" for wheel in wheels.values()}
    assert needed <= set(paths) <= needed | metadata

    # In the cache: each member of each wheel written once, straight into the directory that
    # becomes its archive (no temporary copy of the wheel), and one archive pointer per wheel.
    in_cache = [p.relative_to(cache) for p in written if p.is_relative_to(cache)]
    assert not [p for p in in_cache if p.name.endswith(".whl")]
    unzipped = sorted(str(Path(*p.parts[3:])) for p in in_cache
                      if p.parts[0] == ".tmp" and p.parts[2] == "unzipped")
    members = sorted(info.filename for wheel in wheels.values()
                     for info in zipfile.ZipFile(wheel).infolist() if not info.is_dir())
    assert unzipped == members
    assert not [p for p in in_cache if p.parts[0] == ".tmp" and p.parts[2] != "unzipped"]
    # (Counted by name: an attempt that found the project's directory not made yet, when a
    # wheel fetched during the resolution comes before its metadata, opens a second
    # temporary file; a second pointer would need a second unzip, refused above.)
    pointers = {p.name.partition(".archive.tmp-")[0] for p in in_cache
                if ".archive.tmp-" in p.name}
    assert len(pointers) == len(wheels)
