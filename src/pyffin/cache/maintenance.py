"""Cache maintenance behind ``pyffin cache clean|prune|size|verify``.

``clean``, ``prune`` and ``verify --repair`` run under the exclusive cache lock (the caller takes
it), so no other pyffin process is reading or writing while entries disappear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from pyffin.cache import codec, fs
from pyffin.cache.buckets import METADATA_PACK, CacheBucket
from pyffin.cache.core import (
    ARCHIVE_POINTER_SUFFIX,
    LOCK_FILENAME,
    TEMP_DIRNAME,
    Cache,
    check_files,
    decode_pointer,
)
from pyffin.fs import Usage, measure, remove
from pyffin.models.names import checked_name, normalize_name

#: Root entries that identify the directory as a cache and must outlive ``clean``.
_KEEP = frozenset({LOCK_FILENAME, "CACHEDIR.TAG", ".gitignore"})
#: A bucket directory of any format version: ``<name>-v<N>``.
_BUCKET_NAME_RE = re.compile(r"^(?P<base>[a-z][a-z0-9-]*?)-v(?P<version>-?\d+)$")


def _is_own(name: str) -> bool:
    """Whether a root entry is pyffin's: a bucket (of this or another format version of a known
    bucket) or its temporary directory. ``--cache-dir`` may name a directory that also holds
    the user's files; those are never pyffin's to remove."""
    if name == TEMP_DIRNAME:
        return True
    match = _BUCKET_NAME_RE.match(name)
    return match is not None and match.group("base") in _bucket_bases()


def _bucket_bases() -> frozenset[str]:
    return frozenset(bucket.dirname.rpartition("-v")[0] for bucket in CacheBucket)


def foreign_entries(cache: Cache) -> list[Path]:
    """Entries of the cache root that are not pyffin's (``clean`` leaves them in place)."""
    if not cache.root.is_dir():
        return []
    return [child for child in sorted(cache.root.iterdir())
            if child.name not in _KEEP and not _is_own(child.name)]


def clean_all(cache: Cache) -> Usage:
    """Remove every entry of the cache: its buckets and temporary files. Its marker files and
    lock stay, and so does anything else in the directory (see :func:`foreign_entries`)."""
    usage = Usage()
    if not cache.root.is_dir():
        return usage
    for child in sorted(cache.root.iterdir()):
        if _is_own(child.name):
            usage.add(remove(child))
    return usage


def clean_package(cache: Cache, name: str) -> Usage:
    """Remove one project's entries from every bucket, and the archives they pointed to.

    Raises ``ValueError`` when ``name`` is not a valid project name.
    """
    normalized = checked_name(name)
    doomed: list[Path] = []
    for bucket in CacheBucket:
        base = cache.bucket(bucket)
        for pattern in bucket.package_globs:
            doomed.extend(base.glob(pattern.format(name=normalized)))
        for pattern in bucket.filename_dirs:
            for directory in base.glob(pattern):
                doomed.extend(_named_entries(directory, normalized))
    doomed.extend(_named_revisions(cache, normalized))
    pack = cache.bucket(CacheBucket.WHEELS) / METADATA_PACK
    if doomed and pack.exists():  # it may hold the project's metadata
        doomed.append(pack)
    archive_ids = set(_pointed_archives(doomed))
    usage = Usage()
    for path in doomed:
        usage.add(remove(path))
    archives = cache.bucket(CacheBucket.ARCHIVE)
    for archive_id in archive_ids:
        usage.add(remove(archives / archive_id))
    return usage


def _named_entries(directory: Path, name: str) -> Iterable[Path]:
    """The entries of ``directory`` named after a wheel of ``name`` (its filename's part
    before the first ``-``, normalized: ``Foo.Bar-1.0-...`` and ``foo_bar-1.0-...`` are
    ``foo-bar``'s). Temporary files are left to ``prune``."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        head, dash, _ = entry.name.partition("-")
        if dash and head and not fs.is_temp_name(entry.name) and normalize_name(head) == name:
            yield Path(entry.path)


def _named_revisions(cache: Cache, name: str) -> Iterable[Path]:
    """Source revisions whose ``NAME`` file says ``name`` (their paths carry no name: a URL,
    git repository or directory is named only once built)."""
    base = cache.bucket(CacheBucket.SDISTS)
    for pattern in ("url/*/*/NAME", "git/*/*/*/NAME", "path/*/*/NAME"):
        for marker in base.glob(pattern):
            if fs.read_if_exists(marker) == name.encode():
                yield marker.parent


def prune(cache: Cache, *, ci: bool = False) -> Usage:
    """Remove what no one can use: temporary leftovers of killed runs, archives no pointer
    names, build environments, and buckets of old format versions.

    ``ci`` (uv's ``cache prune --ci``) also drops what is quicker to download again than to
    save and restore in a CI cache: every downloaded wheel with its metadata and unzipped
    archive (all of ``wheels-v1``). Wheels built from source stay, with their sources and
    metadata (``sdists-v0``): their unzipped archives are made again from them when needed.
    """
    usage = Usage()
    if not cache.root.is_dir():
        return usage
    usage.add(_remove_children(cache.root / TEMP_DIRNAME))
    usage.add(_remove_children(cache.bucket(CacheBucket.BUILDS)))
    if ci:
        usage.add(_remove_children(cache.bucket(CacheBucket.WHEELS)))

    current = {bucket.dirname for bucket in CacheBucket}
    for child in sorted(cache.root.iterdir()):
        if child.is_dir() and _is_own(child.name) and child.name not in current \
                and child.name != TEMP_DIRNAME:
            usage.add(remove(child))

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
                    usage.add(remove(path))
                elif filename.endswith(ARCHIVE_POINTER_SUFFIX):
                    referenced.update(_pointed_archives([path]))

    archives = cache.bucket(CacheBucket.ARCHIVE)
    if archives.is_dir():
        for child in sorted(archives.iterdir()):
            if child.name not in referenced:
                usage.add(remove(child))
    return usage


def size(cache: Cache) -> Usage:
    """The files in the cache and their bytes (hard links counted once)."""
    return measure(cache.root)


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


def _remove_children(path: Path) -> Usage:
    usage = Usage()
    if path.is_dir():
        for child in sorted(path.iterdir()):
            usage.add(remove(child))
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
            parsed = None if data is None else decode_pointer(data)
            if parsed is not None:
                yield parsed[0]


# ------------------------------------------------------------------------------------ verify
#: Buckets whose files include records (``*.rec``; the interpreter bucket's ``*.bin``).
_RECORD_BUCKETS = (CacheBucket.SIMPLE, CacheBucket.WHEELS, CacheBucket.SDISTS,
                   CacheBucket.RESOLUTIONS)


class Problem:
    """Something broken in the cache: the path at fault, what is wrong, and what a repair
    removes (the path, and for a pointer its archive too)."""

    __slots__ = ("path", "reason", "remove")

    def __init__(self, path: Path, reason: str, remove: tuple[Path, ...]) -> None:
        self.path = path
        self.reason = reason
        self.remove = remove

    def __repr__(self) -> str:
        return f"Problem({str(self.path)!r}, {self.reason!r})"


class Verification:
    """What :func:`verify` checked and found."""

    __slots__ = ("archives", "problems", "records", "unreferenced")

    def __init__(self) -> None:
        self.records = 0
        self.archives = 0
        #: Archives no pointer names (``prune`` removes them; nothing uses them).
        self.unreferenced = 0
        self.problems: list[Problem] = []


def verify(cache: Cache, check_archive: Callable[[Path], list[str]]) -> Verification:
    """Check that every record of the cache decodes and every archive a pointer names holds
    what its pointer lists and what its wheel's RECORD says (``check_archive`` hashes its
    files: the distribution layer knows wheels)."""
    found = Verification()
    if not cache.root.is_dir():
        return found
    referenced: set[str] = set()
    archives = cache.bucket(CacheBucket.ARCHIVE)
    for bucket in (*_RECORD_BUCKETS, CacheBucket.INTERPRETER):
        for dirpath, _dirnames, filenames in os.walk(cache.bucket(bucket)):
            for filename in sorted(filenames):
                path = Path(dirpath, filename)
                if fs.is_temp_name(filename):
                    continue
                if filename.endswith(ARCHIVE_POINTER_SUFFIX):
                    _verify_pointer(path, archives, check_archive, found, referenced)
                elif filename.endswith(".rec") or bucket is CacheBucket.INTERPRETER:
                    found.records += 1
                    data = fs.read_if_exists(path)
                    problem = None if data is None else codec.check(data)
                    if problem is not None:
                        found.problems.append(Problem(path, problem, (path,)))
    if archives.is_dir():
        found.unreferenced = sum(1 for child in archives.iterdir()
                                 if child.name not in referenced)
    return found


def _verify_pointer(path: Path, archives: Path, check_archive: Callable[[Path], list[str]],
                    found: Verification, referenced: set[str]) -> None:
    data = fs.read_if_exists(path)
    parsed = None if data is None else decode_pointer(data)
    if parsed is None:
        found.problems.append(Problem(path, "not a readable archive pointer", (path,)))
        return
    archive_id, files = parsed
    referenced.add(archive_id)
    archive = archives / archive_id
    found.archives += 1
    problem = check_files(archive, files)
    problems = [problem] if problem is not None else check_archive(archive)
    for reason in problems:
        found.problems.append(Problem(path, f"its archive {archive_id}: {reason}",
                                      (path, archive)))


def repair(problems: Iterable[Problem]) -> Usage:
    """Remove what ``problems`` name (the caller holds the exclusive cache lock): the next
    command fetches, unzips or builds it again."""
    usage = Usage()
    for problem in problems:
        for path in problem.remove:
            usage.add(remove(path))
    return usage
