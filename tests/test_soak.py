"""Soak: concurrent ``pyffin pip sync`` processes (or syncs, installs and uninstalls mixed) on
one shared cache into several venvs, some killed with SIGKILL at random moments; afterwards
every environment re-syncs cleanly, every installed file matches its RECORD hash, and no
temporary file is left in the cache or in any environment.

The short versions run by default (a few rounds, a fixed seed; their assertions are invariants
that hold whatever the timing). Under load the long ones found an uninstall killed mid-way
leaving a dist-info without some of its files, or without its RECORD, and a killed install's
temporary file at the top of a venv that later no-op commands never swept. The long ones run
for ``PYFFIN_SOAK_SECONDS`` seconds::

    PYFFIN_SOAK_SECONDS=600 .venv-test/bin/python -m pytest tests/test_soak.py -k long -s
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from pyffin.cache.fs import is_temp_name
from pyffin.installer.debris import is_debris
from pyffin.models.wheel import hash_file, parse_record
from tests.support.cli import pyffin, spawn
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

#: Read at import: the test-wide fixture clears PYFFIN_* variables before each test runs.
SOAK_SECONDS = float(os.environ.get("PYFFIN_SOAK_SECONDS") or 0)
SOAK_SEED = int(os.environ.get("PYFFIN_SOAK_SEED") or time.time())

#: Pinned sets the syncs move between: each change removes, upgrades and adds packages.
SETS = [
    ["alpha==1.0", "beta==1.0", "gamma==1.0"],
    ["alpha==2.0", "beta==1.0", "delta==1.0"],
    ["alpha==1.0", "gamma==2.0", "delta==1.0"],
    ["beta==2.0", "gamma==1.0", "delta==2.0"],
]


def _wheels() -> list[WheelSpec]:
    specs = []
    for name in ("alpha", "beta", "gamma", "delta"):
        for version in ("1.0", "2.0"):
            files = {f"{name}/__init__.py": f"VERSION = {version!r}\n"}
            files.update({f"{name}/sub{i}/mod{j}.py": f"X = {i * j}\n{'#' * 2000}\n"
                          for i in range(4) for j in range(6)})
            specs.append(WheelSpec(
                name, version, files=files,
                entry_points={"console_scripts": {f"{name}-cli": f"{name}:main"}},
                data={"scripts": {f"{name}-tool": "#!python\nprint('tool')\n"},
                      "data": {f"share/{name}/{name}.txt": version}}))
    # (A killed install leaves files without their dist-info; installing that distribution
    # again replaces them: the path that makes temporary files in the environment.)
    return specs


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    for spec in _wheels():
        index_server.add_wheel(spec)
    return index_server


def soak(index: IndexServer, tmp_path: Path, *, venvs: int, rounds: int | None,
         seconds: float, seed: int, mixed: bool = False) -> None:
    """``mixed``: each command is a sync, an install (of a pin, or an upgrade) or an uninstall,
    drawn at random; else a sync."""
    rng = random.Random(seed)
    cache = tmp_path / "cache"
    envs = [tmp_path / f"env{i}" for i in range(venvs)]
    for env in envs:
        assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                      tmp_path / "venv-cache").returncode == 0
    requirements = []
    for i, pins in enumerate(SETS):
        path = tmp_path / f"set{i}.txt"
        path.write_text("\n".join(pins) + "\n")
        requirements.append(path)

    def sync_args(env: Path, requirements_file: Path, *extra: str) -> list[str | Path]:
        return ["pip", "sync", requirements_file, "--python", env, "--index-url",
                index.index_url, "--cache-dir", cache, *extra]

    def command(env: Path) -> list[str | Path]:
        kind = rng.choice(("sync", "install", "upgrade", "uninstall")) if mixed else "sync"
        if kind == "sync":
            return sync_args(env, rng.choice(requirements), "-q")
        name = rng.choice(("alpha", "beta", "gamma", "delta"))
        where: list[str | Path] = ["--python", env, "--cache-dir", cache, "-q"]
        if kind == "uninstall":
            return ["pip", "uninstall", name, *where]
        wanted = ["-U", name] if kind == "upgrade" else [f"{name}=={rng.choice(('1.0', '2.0'))}"]
        return ["pip", "install", *wanted, "--index-url", index.index_url, *where]

    deadline = time.monotonic() + seconds
    done = killed = 0
    round_number = 0
    while (round_number < rounds) if rounds is not None else (time.monotonic() < deadline):
        round_number += 1
        # Every venv gets one or two syncs at once (two contend for its lock), all on one cache.
        procs = []
        for env in envs:
            for _ in range(rng.choice((1, 1, 2))):
                procs.append(spawn(command(env)))
        doomed = [p for p in procs if rng.random() < 0.5]
        started = time.monotonic()
        for proc in sorted(doomed, key=lambda _: rng.random()):
            # A random moment of its run: start-up, resolution, download, unzip or linking.
            time.sleep(max(0.0, started + rng.uniform(0.05, 1.0) - time.monotonic()))
            proc.send_signal(signal.SIGKILL)
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            if proc in doomed and proc.returncode == -signal.SIGKILL:
                killed += 1
                continue
            # A process nobody killed succeeds, whatever the killed ones left behind.
            assert proc.returncode == 0, f"exit {proc.returncode}\n{err}"
            done += 1

    final = requirements[0]
    for env in envs:  # (in this process from here on: no process start-up to wait for)
        result = pyffin(*sync_args(env, final))
        assert result.returncode == 0, result
        again = pyffin(*sync_args(env, final))
        assert again.returncode == 0 and f"Checked {len(SETS[0])} packages in" in again.stderr, \
            again
        freeze = pyffin("pip", "freeze", "--python", env)
        assert freeze.stdout.splitlines() == sorted(SETS[0]), freeze
        _check_records(env)
        _check_no_debris(env)
    _check_cache(cache)
    print(f"soak: {round_number} rounds, {done} commands completed, {killed} killed")


def _site_packages(env: Path) -> Path:
    [path] = (env / "lib").glob("python3.*/site-packages")
    return path


def _check_records(env: Path) -> None:
    """Every file every RECORD lists is there with the hash and size it records."""
    site = _site_packages(env)
    dist_infos = list(site.glob("*.dist-info"))
    assert len(dist_infos) == len(SETS[0])
    for dist_info in dist_infos:
        record = dist_info / "RECORD"
        for entry in parse_record(record.read_bytes(), source=str(record)):
            if entry.hash is None:
                continue
            path = os.path.normpath(site / entry.path)
            digest, size = hash_file(path)
            assert (digest, size) == (entry.hash, entry.size), f"{path} differs from {record}"


def _check_no_debris(env: Path) -> None:
    places = [env, env / "bin", _site_packages(env)]
    for place in places:
        left = [p.name for p in place.iterdir() if is_debris(p.name) or ".tmp-" in p.name
                or "pyffin-" in p.name]
        assert not left, f"left in {place}: {left}"
    for dirpath, _dirnames, filenames in os.walk(env):
        assert not [f for f in filenames if "pyffin-tmp" in f], dirpath
    assert not [p.name for p in env.parent.iterdir()
                if p.name.startswith(f".{env.name}.")], "venv debris beside the environment"


def _check_cache(cache: Path) -> None:
    """After ``cache prune`` (the documented remover of killed runs' leftovers), no temporary
    file or directory remains anywhere in the cache."""
    prune = pyffin("cache", "prune", "--cache-dir", cache)
    assert prune.returncode == 0, prune
    leftovers = []
    for dirpath, dirnames, filenames in os.walk(cache):
        leftovers += [os.path.join(dirpath, n) for n in dirnames + filenames
                      if is_temp_name(n) or ".tmp-" in n]
    assert not leftovers, leftovers
    temp = cache / ".tmp"
    assert not temp.exists() or not list(temp.iterdir())
    # MERGE(issue 12): `pyffin cache verify` comes from the safety-input branch. Once both are
    # merged this runs it; until then the cache has no such command and the check is skipped.
    verify_help = pyffin("cache", "verify", "--help")
    if verify_help.returncode == 0:
        verify = pyffin("cache", "verify", "--cache-dir", cache)
        assert verify.returncode == 0, verify


def test_short_soak_of_killed_concurrent_syncs(index: IndexServer, tmp_path: Path) -> None:
    soak(index, tmp_path, venvs=2, rounds=3, seconds=0, seed=12)


def test_short_soak_of_killed_concurrent_installs_and_uninstalls(index: IndexServer,
                                                                 tmp_path: Path) -> None:
    soak(index, tmp_path, venvs=2, rounds=3, seconds=0, seed=5, mixed=True)


@pytest.mark.skipif(not SOAK_SECONDS, reason="set PYFFIN_SOAK_SECONDS to run the long soak")
def test_long_soak_of_killed_concurrent_syncs(index: IndexServer, tmp_path: Path) -> None:
    print(f"soak: seed {SOAK_SEED} (PYFFIN_SOAK_SEED)")
    soak(index, tmp_path, venvs=4, rounds=None, seconds=SOAK_SECONDS, seed=SOAK_SEED)


@pytest.mark.skipif(not SOAK_SECONDS, reason="set PYFFIN_SOAK_SECONDS to run the long soak")
def test_long_soak_of_killed_concurrent_installs_and_uninstalls(index: IndexServer,
                                                                tmp_path: Path) -> None:
    print(f"soak: seed {SOAK_SEED} (PYFFIN_SOAK_SEED)")
    soak(index, tmp_path, venvs=3, rounds=None, seconds=SOAK_SECONDS, seed=SOAK_SEED,
         mixed=True)


def test_the_check_finds_a_leftover(tmp_path: Path) -> None:
    # The soak's own checks must be able to fail.
    env = tmp_path / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    (env / "bin").mkdir(parents=True)
    site.mkdir(parents=True)
    (site / ".pyffin-tmp-0123456789ab").write_text("")
    with pytest.raises(AssertionError, match="left in"):
        _check_no_debris(env)
