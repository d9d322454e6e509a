"""Cache maintenance behind ``pyffin cache clean|prune|size``.

``clean`` and ``prune`` run under the exclusive cache lock (the caller takes it), so no other
pyffin process is reading or writing while entries disappear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from pyffin.cache import fs
from pyffin.cache.buckets import CacheBucket
from pyffin.cache.core import (
    ARCHIVE_POINTER_SUFFIX,
    LOCK_FILENAME,
    TEMP_DIRNAME,
    Cache,
    is_archive_id,
)
from pyffin.cache.keys import normalize_name

#: Root entries that identify the directory as a cache and must outlive ``clean``.
_KEEP = frozenset({LOCK_FILENAME, "CACHEDIR.TAG", ".gitignore"})
_BUCKET_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*?-v-?\d+$")


def clean_all(cache: Cache) -> fs.Usage:
    """Remove every entry of the cache (its marker files and lock stay)."""
    usage = fs.Usage()
    if not cache.root.is_dir():
        return usage
    for child in sorted(cache.root.iterdir()):
        if child.name not in _KEEP:
            usage.add(fs.remove(child))
    return usage


def clean_package(cache: Cache, name: str) -> fs.Usage:
    """Remove one project's entries from every bucket, and the archives they pointed to.

    Raises ``ValueError`` when ``name`` is not a valid project name.
    """
    normalized = normalize_name(name)
    doomed: list[Path] = []
    for bucket in CacheBucket:
        base = cache.bucket(bucket)
        for pattern in bucket.package_globs:
            doomed.extend(base.glob(pattern.format(name=normalized)))
    doomed.extend(_named_revisions(cache, normalized))
    archive_ids = set(_pointed_archives(doomed))
    usage = fs.Usage()
    for path in doomed:
        usage.add(fs.remove(path))
    archives = cache.bucket(CacheBucket.ARCHIVE)
    for archive_id in archive_ids:
        usage.add(fs.remove(archives / archive_id))
    return usage


def _named_revisions(cache: Cache, name: str) -> Iterable[Path]:
    """Source revisions whose ``NAME`` file says ``name`` (their paths carry no name: a URL,
    git repository or directory is named only once built)."""
    base = cache.bucket(CacheBucket.SDISTS)
    for pattern in ("url/*/*/NAME", "git/*/*/*/NAME", "path/*/*/NAME"):
        for marker in base.glob(pattern):
            if fs.read_if_exists(marker) == name.encode():
                yield marker.parent


def prune(cache: Cache, *, ci: bool = False) -> fs.Usage:
    """Remove what no one can use: temporary leftovers of killed runs, archives no pointer
    names, build environments, and buckets of old format versions.

    ``ci`` (uv's ``cache prune --ci``) also drops what is quicker to download again than to
    save and restore in a CI cache: every downloaded wheel with its metadata and unzipped
    archive (all of ``wheels-v0``). Wheels built from source stay, with their sources and
    metadata (``sdists-v0``): their unzipped archives are made again from them when needed.
    """
    usage = fs.Usage()
    if not cache.root.is_dir():
        return usage
    usage.add(_remove_children(cache.root / TEMP_DIRNAME))
    usage.add(_remove_children(cache.bucket(CacheBucket.BUILDS)))
    if ci:
        usage.add(_remove_children(cache.bucket(CacheBucket.WHEELS)))

    current = {bucket.dirname for bucket in CacheBucket}
    for child in sorted(cache.root.iterdir()):
        if child.is_dir() and _BUCKET_NAME_RE.match(child.name) and child.name not in current:
            usage.add(fs.remove(child))

    referenced: set[str] = set()
    for bucket in CacheBucket:
        # Archives and git databases/checkouts are built in temporary directories and renamed
        # in whole: they never hold pyffin's temporary files, and walking them would be slow.
        if bucket in (CacheBucket.ARCHIVE, CacheBucket.BUILDS, CacheBucket.GIT):
            continue
        for dirpath, _dirnames, filenames in os.walk(cache.bucket(bucket)):
            for filename in filenames:
                path = Path(dirpath, filename)
                if fs.is_temp_name(filename):
                    usage.add(fs.remove(path))
                elif filename.endswith(ARCHIVE_POINTER_SUFFIX):
                    referenced.update(_pointed_archives([path]))

    archives = cache.bucket(CacheBucket.ARCHIVE)
    if archives.is_dir():
        for child in sorted(archives.iterdir()):
            if child.name not in referenced:
                usage.add(fs.remove(child))
    return usage


def size(cache: Cache) -> fs.Usage:
    """The files in the cache and their bytes (hard links counted once)."""
    return fs.measure(cache.root)


def disk_usage(cache: Cache) -> int:
    """The bytes the cache takes on disk, as ``du -s`` (and ``uv cache size``) count them: the
    blocks of every file, link and directory, the root included, hard links once."""
    import stat

    total = 0
    seen: set[tuple[int, int]] = set()

    def count(st: os.stat_result) -> None:
        nonlocal total
        if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in seen:
                return
            seen.add(key)
        total += st.st_blocks * 512

    try:
        count(os.lstat(cache.root))
    except OSError:
        return 0
    for dirpath, dirnames, filenames in os.walk(cache.root):
        for name in (*dirnames, *filenames):
            try:
                count(os.lstat(os.path.join(dirpath, name)))
            except OSError:  # removed meanwhile
                continue
    return total


def _remove_children(path: Path) -> fs.Usage:
    usage = fs.Usage()
    if path.is_dir():
        for child in sorted(path.iterdir()):
            usage.add(fs.remove(child))
    return usage


def _pointed_archives(paths: Iterable[Path]) -> Iterable[str]:
    """The archive ids named by the pointer files at or under ``paths``."""
    for path in paths:
        if path.is_dir():
            pointers: Iterable[Path] = path.rglob(f"*{ARCHIVE_POINTER_SUFFIX}")
        elif path.name.endswith(ARCHIVE_POINTER_SUFFIX):
            pointers = [path]
        else:
            continue
        for pointer in pointers:
            data = fs.read_if_exists(pointer)
            if data is None:
                continue
            archive_id = data.decode("ascii", "replace").strip()
            if is_archive_id(archive_id):
                yield archive_id
