"""``pyffin cache dir|clean|prune|size`` against a real cache directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyffin.cache import Cache, CacheBucket
from pyffin.client.registry import connect
from pyffin.distribution.database import WheelDatabase
from pyffin.settings import IndexSettings
from tests.support.cli import Result, pyffin, run
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer
from tests.support.uv import UV


def _fill(root: Path) -> None:
    with Cache(root) as cache:
        cache.entry(CacheBucket.SIMPLE, "pypi", "flask.bin").write(b"f" * 100)
        cache.entry(CacheBucket.SIMPLE, "pypi", "click.bin").write(b"c" * 50)
        with cache.temp_dir() as tmp:
            (tmp / "m.py").write_text("x")
            cache.persist(tmp, cache.entry(CacheBucket.WHEELS, "pypi",
                                          "flask-1.0-py3-none-any.archive"))


@pytest.mark.parametrize("command", ["dir", "clean", "prune", "size", "verify"])
def test_cache_commands_accept_uv_s_network_and_python_options(tmp_path: Path,
                                                                command: str) -> None:
    # uv 0.13.9 takes them on every command (`uv cache dir --offline --managed-python`):
    # here they change nothing.
    options = ["--offline", "--allow-insecure-host", "example.com", "--system-certs",
               "--no-python-downloads", "--managed-python", "--python-preference", "system"]
    plain = pyffin("cache", command, cache_dir=tmp_path / "cache")
    given = pyffin("cache", command, *options, cache_dir=tmp_path / "cache")
    assert plain.returncode == 0, plain
    assert (given.returncode, given.stdout) == (0, plain.stdout), given


def test_cache_dir_prints_the_root_from_flag_or_env(tmp_path: Path) -> None:
    assert pyffin("cache", "dir", cache_dir=tmp_path / "c").stdout == f"{tmp_path / 'c'}\n"
    result = run(["cache", "dir"], env={"PYFFIN_CACHE_DIR": str(tmp_path / "env")})
    assert result.stdout == f"{tmp_path / 'env'}\n"
    flag_wins = run(["cache", "dir", "--cache-dir", tmp_path / "flag"],
                    env={"PYFFIN_CACHE_DIR": str(tmp_path / "env")})
    assert flag_wins.stdout == f"{tmp_path / 'flag'}\n"


def test_no_cache_uses_a_temporary_directory_removed_at_exit() -> None:
    result = run(["cache", "dir", "--no-cache"])
    root = Path(result.stdout.strip())
    assert result.returncode == 0 and root.name.startswith("pyffin-cache-")
    assert not root.exists()


def test_a_cache_inside_the_working_directory_is_named_relative_to_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As uv 0.13.9: "Clearing cache at: c" for ./c, however --cache-dir named it.
    monkeypatch.chdir(tmp_path)
    for command in ("prune", "clean"):
        _fill(tmp_path / "c")
        result = pyffin("cache", command, cache_dir=tmp_path / "c")
        assert result.returncode == 0, result
        verb = "Clearing" if command == "clean" else "Pruning"
        assert result.stderr.startswith(f"{verb} cache at: c\n"), result


def test_clean_everything(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    result = pyffin("cache", "clean", cache_dir=root)
    assert result.returncode == 0, result
    assert f"Clearing cache at: {root}" in result.stderr
    assert "Removed 4 files" in result.stderr  # 2 pages, pointer, archived file
    assert not (root / "simple-v0").exists() and (root / "CACHEDIR.TAG").exists()


def test_clean_and_prune_never_remove_what_is_not_pyffins(tmp_path: Path) -> None:
    """``--cache-dir`` may name a directory of the user's (a project, a home directory): only
    pyffin's buckets and temporary files go, the user's files stay and are named."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.py").write_text("print('mine')\n")
    (root / "notes-v1").mkdir()  # looks like a bucket of some version, but not one of pyffin's
    (root / "notes-v1" / "todo.txt").write_text("keep\n")
    (root / ".git").mkdir()
    _fill(root)
    result = pyffin("cache", "clean", cache_dir=root)
    assert result.returncode == 0, result
    assert "Removed 4 files" in result.stderr
    assert "Left 3 entries that are not pyffin's" in result.stderr
    assert (root / "a.py").read_text() == "print('mine')\n"
    assert (root / "notes-v1" / "todo.txt").exists() and (root / ".git").is_dir()
    assert not (root / "simple-v0").exists()
    assert pyffin("cache", "prune", cache_dir=root).returncode == 0
    assert (root / "a.py").exists() and (root / "notes-v1" / "todo.txt").exists()


def test_clean_one_package(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    result = pyffin("cache", "clean", "Flask", "missing", cache_dir=root)
    assert result.returncode == 0, result
    assert "Removed 3 files for Flask" in result.stderr
    assert "No cache entries found for missing" in result.stderr
    assert (root / "simple-v0" / "pypi" / "click.bin").exists()


def test_clean_rejects_a_bad_package_name(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    result = pyffin("cache", "clean", "../x", cache_dir=root)
    assert result.returncode == 2
    assert "invalid package name '../x'" in result.stderr


def test_clean_and_prune_of_a_missing_cache(tmp_path: Path) -> None:
    for command in ("clean", "prune"):
        result = pyffin("cache", command, cache_dir=tmp_path / "none")
        assert result.returncode == 0
        assert "No cache found" in result.stderr
        assert not (tmp_path / "none").exists()


def test_prune_reports_what_it_removed(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    assert "No unused entries found" in pyffin("cache", "prune", cache_dir=root).stderr
    (root / "wheels-v1" / "pypi" / "flask-1.0-py3-none-any.archive").unlink()
    result = pyffin("cache", "prune", cache_dir=root)
    assert "Removed 1 file " in result.stderr


def test_size_is_in_bytes_unless_asked_for_human_readable(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    exact = int(pyffin("cache", "size", cache_dir=root).stdout)  # stdout is not a terminal
    assert exact == _du(root)
    assert pyffin("cache", "size", "--output-format", "machine", cache_dir=root).stdout == \
        f"{exact}\n"
    human = f"{exact / 1024:.1f}KiB\n"
    assert pyffin("cache", "size", "-H", cache_dir=root).stdout == human
    assert pyffin("cache", "size", "--human", cache_dir=root).stdout == human
    assert pyffin("cache", "size", "--output-format", "human", cache_dir=root).stdout == human
    conflict = pyffin("cache", "size", "-H", "--output-format", "machine", cache_dir=root)
    assert conflict.returncode == 2


def test_size_of_a_missing_cache_is_zero(tmp_path: Path) -> None:
    assert pyffin("cache", "size", cache_dir=tmp_path / "none").stdout == "0\n"
    assert pyffin("cache", "size", "-H", cache_dir=tmp_path / "none").stdout == "0B\n"
    assert not (tmp_path / "none").exists()


def test_size_counts_a_hard_linked_file_once(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    before = int(pyffin("cache", "size", cache_dir=root).stdout)
    (root / "big").write_bytes(b"x" * 100_000)
    with_file = int(pyffin("cache", "size", cache_dir=root).stdout)
    (root / "big-link").hardlink_to(root / "big")
    assert int(pyffin("cache", "size", cache_dir=root).stdout) == with_file > before


@pytest.mark.skipif(UV is None, reason="uv is not available")
def test_size_prints_what_uv_prints(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    (root / "big").write_bytes(b"x" * 3_000_000)
    for args in ((), ("-H",)):
        uv = subprocess.run([str(UV), "cache", "size", *args, "--cache-dir", str(root)],
                            capture_output=True, text=True, timeout=60)
        assert pyffin("cache", "size", *args, cache_dir=root).stdout == uv.stdout


@pytest.mark.parametrize("n,shown", [
    (0, "0B"), (1023, "1023B"), (1024, "1.0KiB"), (1536, "1.5KiB"),
    (1048575, "1.0MiB"), (1048524, "1023.9KiB"), (5 * 1024**3, "5.0GiB"),
])
def test_human_readable_sizes_round_as_uvs(n: int, shown: str) -> None:
    from pyffin.cli.console import format_bytes

    assert format_bytes(n) == shown


def _du(root: Path) -> int:
    """``du -s --block-size=1``: what the cache takes on disk."""
    result = subprocess.run(["du", "-s", "--block-size=1", str(root)], capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        pytest.skip("no GNU du here")
    return int(result.stdout.split()[0])


# ------------------------------------------------------------------------------- prune --ci
def test_prune_ci_keeps_built_wheels_and_drops_downloaded_ones(index_server: IndexServer,
                                                               tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("downloaded", "1.0"))
    index_server.add_sdist(SdistSpec("built", "1.0"))
    cache = tmp_path / "cache"

    def install(env: str, *args: str) -> Result:
        venv = tmp_path / env
        if not venv.exists():
            assert pyffin("venv", venv, "--python", sys.executable, cache_dir=cache).returncode \
                == 0
        return pyffin("pip", "install", "--python", venv / "bin" / "python", "--index-url",
                      index_server.index_url, "--no-config", *args, cache_dir=cache)

    assert install("a", "downloaded", "built").returncode == 0
    [built] = (cache / "sdists-v0").rglob("built-1.0-*.whl")
    built_inode = built.stat().st_ino
    archives = set(os.listdir(cache / "archive-v0"))
    assert len(archives) == 2

    result = pyffin("cache", "prune", "--ci", cache_dir=cache)
    assert result.returncode == 0, result
    assert "Removed " in result.stderr
    assert [p for p in (cache / "wheels-v1").rglob("*") if p.is_file()] == []
    assert os.listdir(cache / "archive-v0") == []  # nothing points to them any more
    assert built.stat().st_ino == built_inode  # the built wheel stays, as it was

    # The built wheel is installed without network and without building it again...
    again = install("b", "built", "--offline")
    assert again.returncode == 0, again
    assert [p.stat().st_ino for p in (cache / "sdists-v0").rglob("built-1.0-*.whl")] == [
        built_inode]
    # ...the downloaded one must be downloaded again.
    gone = install("b", "downloaded", "--offline")
    assert gone.returncode == 1
    assert install("b", "downloaded").returncode == 0


def test_prune_without_ci_keeps_downloaded_wheels(index_server: IndexServer,
                                                  tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("downloaded", "1.0"))
    cache = tmp_path / "cache"
    venv = tmp_path / "env"
    assert pyffin("venv", venv, "--python", sys.executable, cache_dir=cache).returncode == 0
    assert pyffin("pip", "install", "--python", venv / "bin" / "python", "--index-url",
                  index_server.index_url, "--no-config", "downloaded",
                  cache_dir=cache).returncode == 0
    assert "No unused entries found" in pyffin("cache", "prune", cache_dir=cache).stderr
    assert len(os.listdir(cache / "archive-v0")) == 1


# ------------------------------------------------------------------------------------ verify
def _fill_from(index: IndexServer, root: Path) -> Path:
    """A cache holding a real page, metadata record and unzipped wheel; the archive's path."""
    index.add_wheel(WheelSpec("foo", "1.0", files={"foo/__init__.py": "VALUE = 1\n",
                                                   "foo/data.txt": "data\n"}))
    with Cache(root) as cache:
        registry = connect(cache, IndexSettings(index_url=index.index_url))
        [page] = registry.project("foo")
        file = next(page.page.wheels("1.0")).file
        registry.wheel_metadata(page, file)
        return WheelDatabase(cache, registry).fetch(page, file)


def test_verify_a_sound_cache(tmp_path: Path, index_server: IndexServer) -> None:
    root = tmp_path / "c"
    _fill_from(index_server, root)
    result = pyffin("cache", "verify", cache_dir=root)
    assert result.returncode == 0, result
    assert "Checked 2 records and 1 unzipped wheel" in result.stderr  # page, metadata
    assert "No problems found" in result.stderr


@pytest.mark.parametrize("damage", ["record", "changed", "missing", "extra", "pointer"])
def test_verify_finds_what_is_broken_and_repair_removes_it(
        tmp_path: Path, index_server: IndexServer, damage: str) -> None:
    root = tmp_path / "c"
    archive = _fill_from(index_server, root)
    [page] = (root / "simple-v0").rglob("foo.rec")
    [pointer] = (root / "wheels-v1").rglob("*.archive")
    if damage == "record":
        data = bytearray(page.read_bytes())
        data[-5] ^= 1
        page.write_bytes(bytes(data))
        expected, gone = f"{page}: corrupt simple-page", [page]
    elif damage == "changed":  # same size: only hashing finds it
        (archive / "foo" / "data.txt").write_text("DATA\n")
        expected, gone = "foo/data.txt does not match its sha256 hash in RECORD", [pointer,
                                                                                   archive]
    elif damage == "missing":
        (archive / "foo" / "data.txt").unlink()
        expected, gone = "foo/data.txt is missing", [pointer, archive]
    elif damage == "extra":
        (archive / "foo" / "planted.py").write_text("import os\n")
        expected, gone = "foo/planted.py is not listed in RECORD", [pointer, archive]
    else:
        pointer.write_bytes(b"garbage")
        expected, gone = f"{pointer}: not a readable archive pointer", [pointer]
    result = pyffin("cache", "verify", cache_dir=root)
    assert result.returncode == 1, result
    assert expected in result.stderr
    assert "Found 1 problem; run `pyffin cache verify --repair`" in result.stderr
    assert all(path.exists() for path in gone)

    repaired = pyffin("cache", "verify", "--repair", cache_dir=root)
    assert repaired.returncode == 0, repaired
    assert "to repair 1 problem" in repaired.stderr
    assert not any(path.exists() for path in gone)
    again = pyffin("cache", "verify", cache_dir=root)
    assert again.returncode == 0 and "No problems found" in again.stderr, again
    # What was removed is simply fetched again.
    assert (_fill_from_again(index_server, root) / "foo" / "data.txt").read_text() == "data\n"


def _fill_from_again(index: IndexServer, root: Path) -> Path:
    with Cache(root) as cache:
        registry = connect(cache, IndexSettings(index_url=index.index_url))
        [page] = registry.project("foo")
        return WheelDatabase(cache, registry).fetch(page, next(page.page.wheels("1.0")).file)


def test_verify_of_a_missing_cache(tmp_path: Path) -> None:
    result = pyffin("cache", "verify", cache_dir=tmp_path / "none")
    assert result.returncode == 0 and "No cache found" in result.stderr
    assert not (tmp_path / "none").exists()
