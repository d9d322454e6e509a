"""Many processes share one cache, and ``kill -9`` at any instant leaves it usable (DESIGN §2,
invariants 1, 2, 3 and 5)."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from pyffin.cache import Cache, CacheBucket, maintenance
from pyffin.cache.core import decode_pointer
from tests.cache.conftest import start_worker, wait_for_line
from tests.cache.workers import ENTRY_NAMES, check_record, make_record

N_PROCESSES = 8


def test_concurrent_writers_and_readers_never_see_a_partial_record(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    workers = [start_worker("rw", root, str(seed), "150") for seed in range(N_PROCESSES)]
    results = [(w.wait(timeout=300), *w.communicate()) for w in workers]
    for code, out, err in results:
        assert code == 0, f"{out}\n{err}"
        assert out.strip() == "torn=0"
    with Cache(root) as cache:
        for name in ENTRY_NAMES:
            data = cache.entry(CacheBucket.SIMPLE, "pypi", name).read()
            assert data is None or check_record(data)


def _all_temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".tmp-" in p.name]


def test_kill_before_rename_leaves_the_old_record_and_prune_removes_the_temp_file(
        tmp_path: Path) -> None:
    root = tmp_path / "cache"
    with Cache(root) as cache:
        entry = cache.entry(CacheBucket.SIMPLE, "pypi", ENTRY_NAMES[0])
        entry.write(make_record(b"old"))
    proc = start_worker("hang-before-replace", root)
    wait_for_line(proc, "ready")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert entry.read() == make_record(b"old")
    assert len(_all_temp_files(root)) == 1
    with Cache(root) as cache:
        usage = maintenance.prune(cache)
    assert usage.files == 1 and _all_temp_files(root) == []
    assert entry.read() == make_record(b"old")


def test_kill_before_archive_rename_leaves_no_archive(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    proc = start_worker("hang-before-archive-rename", root)
    wait_for_line(proc, "ready")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    archives = root / "archive-v0"
    assert not archives.exists() or list(archives.iterdir()) == []
    leftovers = list((root / ".tmp").iterdir())
    assert len(leftovers) == 1
    with Cache(root) as cache:
        maintenance.prune(cache)
    assert list((root / ".tmp").iterdir()) == []


def test_kill_between_archive_rename_and_pointer_leaves_an_unreferenced_archive_for_prune(
        tmp_path: Path) -> None:
    root = tmp_path / "cache"
    with Cache(root) as cache:
        pointer = cache.entry(CacheBucket.WHEELS, "pypi", "kept", "kept.archive")
        with cache.temp_dir() as tmp:
            (tmp / "f").write_text("kept")
            kept = cache.persist(tmp, pointer)
    proc = start_worker("hang-before-pointer", root)
    wait_for_line(proc, "ready")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(list((root / "archive-v0").iterdir())) == 2
    with Cache(root) as cache:
        maintenance.prune(cache)
        assert list((root / "archive-v0").iterdir()) == [kept]
        assert cache.archive(pointer) == kept


def test_kill_at_random_instants_leaves_a_usable_cache(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    rng = random.Random(1234)
    for round_ in range(6):
        proc = start_worker("churn", root, str(round_))
        wait_for_line(proc, "ready")
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        with Cache(root) as cache:
            for name in ENTRY_NAMES:
                data = cache.entry(CacheBucket.SIMPLE, "pypi", name).read()
                assert data is None or check_record(data)
            pointers = list(cache.bucket(CacheBucket.WHEELS).rglob("*.archive"))
            for pointer in pointers:
                archive = cache.archive(cache.entry(CacheBucket.WHEELS, "pypi", "demo",
                                                    pointer.name))
                assert archive is not None and archive.is_dir()
    with Cache(root) as cache:
        maintenance.prune(cache)
        assert _all_temp_files(root) == []
        assert list((root / ".tmp").iterdir()) == []
        referenced = {decode_pointer(p.read_bytes())[0]  # type: ignore[index]
                      for p in cache.bucket(CacheBucket.WHEELS).rglob("*.archive")}
        assert {p.name for p in cache.bucket(CacheBucket.ARCHIVE).iterdir()} == referenced
