"""Inter-process locks: commands share the cache; clean and prune wait for them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffin import log
from pyffin.cache import FileLock
from pyffin.errors import LockError
from tests.cache.conftest import start_worker, wait_for_line
from tests.support.cli import spawn


def test_shared_locks_coexist_and_exclude_an_exclusive_one(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    a, b, c = FileLock(path, "x"), FileLock(path, "x"), FileLock(path, "x")
    assert a.try_acquire(shared=True)
    assert b.try_acquire(shared=True)
    assert not c.try_acquire(shared=False)
    a.release()
    b.release()
    assert c.try_acquire(shared=False)
    assert not a.try_acquire(shared=True)
    c.release()


def test_waiting_says_what_for(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    holder = start_worker("hold-shared", tmp_path, stdin=True)
    wait_for_line(holder, "locked")
    messages: list[str] = []
    log.configure(lambda level, msg: messages.append(msg))
    try:
        import threading

        lock = FileLock(path, "the cache")
        done = threading.Event()

        def take() -> None:
            lock.acquire(shared=False)
            done.set()

        t = threading.Thread(target=take)
        t.start()
        while not messages and not done.is_set():
            t.join(0.01)
        assert not done.is_set()
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        t.join(60)
        assert done.is_set()
        lock.release()
    finally:
        log.configure(None)
        holder.wait()
    assert "Waiting for another pyffin process to release the cache" in messages[0]
    assert str(path) in messages[0]


def test_waiting_for_another_thread_of_the_command_is_not_said_as_another_process(
        tmp_path: Path) -> None:
    # flock locks belong to an open file: two threads of one command contend like two
    # processes (the early fetch and the resolver building the same sdist), and nobody should
    # go looking for a process that does not exist.
    import threading

    path = tmp_path / ".lock"
    first, second = FileLock(path, "the build of a-1.0.tar.gz"), FileLock(path, "x")
    first.acquire()
    heard: list[tuple[int, str]] = []
    done = threading.Event()

    def take() -> None:
        second.acquire()
        done.set()

    log.configure(lambda level, message: heard.append((level, message)), log.DEBUG)
    try:
        waiter = threading.Thread(target=take)
        waiter.start()
        while not heard and waiter.is_alive():  # (said by the thread as it starts waiting)
            waiter.join(0.01)
        first.release()
        waiter.join(60)
    finally:
        log.configure(None)
    assert done.is_set()
    second.release()
    assert heard == [(log.DEBUG, "Waiting for another thread to release x")]


def test_cache_clean_waits_for_a_command_holding_the_shared_lock(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    holder = start_worker("hold-shared", root, stdin=True)
    wait_for_line(holder, "locked")
    (root / "simple-v0").mkdir()
    (root / "simple-v0" / "flask.bin").write_bytes(b"x")

    clean = spawn(["cache", "clean", "--cache-dir", root])
    assert clean.stderr is not None
    line = clean.stderr.readline()
    assert "Waiting for another pyffin process to release the cache" in line
    assert clean.poll() is None  # still waiting: nothing removed while the holder runs
    assert (root / "simple-v0" / "flask.bin").exists()

    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.close()
    holder.wait()
    _, err = clean.communicate(timeout=60)
    assert clean.returncode == 0, err
    assert "Removed 1 file" in err
    assert not (root / "simple-v0").exists()


def test_cache_clean_force_does_not_wait(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    holder = start_worker("hold-shared", root, stdin=True)
    wait_for_line(holder, "locked")
    try:
        clean = spawn(["cache", "clean", "--force", "--cache-dir", root])
        _, err = clean.communicate(timeout=60)
        assert clean.returncode == 0, err
        assert "Waiting" not in err
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()


def test_a_symlink_planted_at_the_lock_path_is_an_error_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    planted = tmp_path / ".lock"
    planted.symlink_to(victim)
    for take in (lambda lock: lock.acquire(), lambda lock: lock.try_acquire()):
        with pytest.raises(LockError, match=f"the lock file {planted} is a symbolic link"):
            take(FileLock(planted, "x"))
    dangling = tmp_path / "other.lock"
    dangling.symlink_to(tmp_path / "created-by-root")
    with pytest.raises(LockError, match="is a symbolic link"):
        FileLock(dangling, "x").acquire()
    assert victim.read_text() == "precious"
    assert not (tmp_path / "created-by-root").exists()


def test_a_lock_path_that_is_not_a_regular_file_is_an_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".lock")
    with pytest.raises(LockError, match="is not a regular file"):
        FileLock(tmp_path / ".lock", "x").acquire()

