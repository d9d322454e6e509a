"""``pyffin cache dir|clean|prune|size`` against a real cache directory."""

from __future__ import annotations

from pathlib import Path

from pyffin.cache import Cache, CacheBucket
from tests.support.cli import pyffin, run


def _fill(root: Path) -> None:
    with Cache(root) as cache:
        cache.entry(CacheBucket.SIMPLE, "pypi", "flask.bin").write(b"f" * 100)
        cache.entry(CacheBucket.SIMPLE, "pypi", "click.bin").write(b"c" * 50)
        with cache.temp_dir() as tmp:
            (tmp / "m.py").write_text("x")
            cache.persist(tmp, cache.entry(CacheBucket.WHEELS, "pypi", "flask", "f.archive"))


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


def test_clean_everything(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    result = pyffin("cache", "clean", cache_dir=root)
    assert result.returncode == 0, result
    assert f"Clearing cache at: {root}" in result.stderr
    assert "Removed 4 files" in result.stderr  # 2 pages, pointer, archived file
    assert not (root / "simple-v0").exists() and (root / "CACHEDIR.TAG").exists()


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
    (root / "wheels-v0" / "pypi" / "flask" / "f.archive").unlink()
    result = pyffin("cache", "prune", cache_dir=root)
    assert "Removed 1 file " in result.stderr


def test_size_human_and_bytes(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _fill(root)
    exact = int(pyffin("cache", "size", "--bytes", cache_dir=root).stdout)
    assert exact >= 151
    assert pyffin("cache", "size", cache_dir=root).stdout.strip().endswith("B")
