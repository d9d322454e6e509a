"""Processes share git repositories in the cache: one fetch or checkout at a time per
repository, and ``kill -9`` never leaves a partial checkout at its final path."""

from __future__ import annotations

import signal
from pathlib import Path

from pyffin.cache import Cache, CacheBucket, maintenance
from pyffin.cache.keys import repository_key
from pyffin.git import GitSource
from pyffin.models.git_url import parse_git_url
from tests.git.conftest import Origin, start_worker

N_PROCESSES = 4


def test_processes_checking_out_one_repository_at_once_share_one_checkout(
        tmp_path: Path, origin: Origin) -> None:
    root = tmp_path / "cache"
    workers = [start_worker("checkout", root, f"{origin.url}@feature")
               for _ in range(N_PROCESSES)]
    results = [(worker.wait(timeout=120), *worker.communicate()) for worker in workers]
    for code, _, err in results:
        assert code == 0, err
    checkouts = root / "git-v0" / "checkouts" / repository_key(parse_git_url(origin.url))
    assert {out.strip() for _, out, _ in results} == {str(checkouts / origin.v3)}
    assert list(checkouts.iterdir()) == [checkouts / origin.v3]
    assert list((root / ".tmp").iterdir()) == []


def test_kill_before_the_checkout_is_renamed_leaves_no_checkout_and_the_next_run_works(
        tmp_path: Path, origin: Origin) -> None:
    root = tmp_path / "cache"
    proc = start_worker("hang-before-checkout-rename", root, f"{origin.url}@feature")
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        raise AssertionError(f"worker said {line!r}; stderr:\n{proc.communicate()[1]}")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    url = parse_git_url(origin.url)
    with Cache(root) as cache:
        final = cache.shard(CacheBucket.GIT, "checkouts", repository_key(url), origin.v3).path
        assert not final.exists()
        assert len(list((root / ".tmp").iterdir())) == 1  # the half-made checkout, for prune
        # the dead process's lock is gone with it: this does not wait
        checkout = GitSource(cache).checkout(url, origin.v3)
        assert checkout == final
        assert (checkout / "feature.txt").read_text() == "feature\n"
        maintenance.prune(cache)
        assert list((root / ".tmp").iterdir()) == []
        assert (checkout / "feature.txt").is_file()
