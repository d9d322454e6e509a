"""Child processes for the cache's multi-process tests: ``python -m tests.cache.workers MODE ROOT``.

Records written here carry their own length and sha256, so a reader can tell a whole record from
a torn one without trusting the code under test.
"""

from __future__ import annotations

import hashlib
import os
import random
import struct
import sys
import time
from pathlib import Path

from pyffin.cache import Cache, CacheBucket
from pyffin.cache import fs as cache_fs

ENTRY_NAMES = [f"record-{i}.bin" for i in range(4)]


def make_record(payload: bytes) -> bytes:
    return struct.pack(">Q", len(payload)) + hashlib.sha256(payload).digest() + payload


def check_record(data: bytes) -> bool:
    if len(data) < 40:
        return False
    (length,) = struct.unpack(">Q", data[:8])
    payload = data[40:]
    return len(payload) == length and hashlib.sha256(payload).digest() == data[8:40]


def read_write(cache: Cache, seed: int, iterations: int) -> int:
    rng = random.Random(seed)
    torn = 0
    for _ in range(iterations):
        target = cache.entry(CacheBucket.SIMPLE, "pypi", rng.choice(ENTRY_NAMES))
        if rng.random() < 0.5:
            target.write(make_record(rng.randbytes(rng.randint(1, 1 << 20))))
        else:
            data = target.read()
            if data is not None and not check_record(data):
                torn += 1
    print(f"torn={torn}", flush=True)
    return 1 if torn else 0


def hang(message: str) -> None:
    print(message, flush=True)
    time.sleep(3600)


def persist_one(cache: Cache, n_files: int = 50) -> Path:
    with cache.temp_dir() as tmp:
        for i in range(n_files):
            (tmp / f"file{i}.py").write_bytes(b"x = %d\n" % i * 100)
        return cache.persist(tmp, cache.entry(CacheBucket.WHEELS, "pypi", "demo",
                                              f"demo-{os.getpid()}.archive"))


def main(argv: list[str]) -> int:
    mode, root = argv[0], Path(argv[1])
    cache = Cache(root).init()
    if mode == "rw":
        return read_write(cache, int(argv[2]), int(argv[3]))
    if mode == "hang-before-replace":
        real_replace = os.replace

        def replace(src: str, dst: str) -> None:
            hang("ready")
            real_replace(src, dst)

        os.replace = replace  # type: ignore[assignment]
        cache.entry(CacheBucket.SIMPLE, "pypi", ENTRY_NAMES[0]).write(make_record(b"new" * 1000))
        return 0
    if mode == "hang-before-archive-rename":
        real_rename = os.rename

        def rename(src: str, dst: str) -> None:
            hang("ready")
            real_rename(src, dst)

        os.rename = rename  # type: ignore[assignment]
        persist_one(cache)
        return 0
    if mode == "hang-before-pointer":
        real_write = cache_fs.write_atomic

        def write_atomic(path: Path, data: bytes) -> None:
            if path.name.endswith(".archive"):
                hang("ready")
            real_write(path, data)

        cache_fs.write_atomic = write_atomic  # type: ignore[assignment]
        persist_one(cache)
        return 0
    if mode == "churn":
        # Write records and persist archives until killed.
        rng = random.Random(int(argv[2]))
        print("ready", flush=True)
        while True:
            cache.entry(CacheBucket.SIMPLE, "pypi", rng.choice(ENTRY_NAMES)).write(
                make_record(rng.randbytes(rng.randint(1, 4 << 20)))
            )
            persist_one(cache, n_files=rng.randint(1, 200))
    if mode == "hold-shared":
        print("locked", flush=True)
        sys.stdin.readline()
        return 0
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
