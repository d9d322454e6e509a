"""``Cache``: the root of pyffin's shared cache, its buckets, shards, entries and archives.

No module outside :mod:`pyffin.cache` builds a cache path by hand: it asks
``cache.shard(CacheBucket.X, ...)`` or ``cache.entry(CacheBucket.X, ..., name)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from pyffin import log
from pyffin.cache import fs
from pyffin.cache.buckets import CacheBucket
from pyffin.cache.lock import FileLock
from pyffin.errors import CacheError

T = TypeVar("T")

#: Environment variable naming the cache root (the ``--cache-dir`` flag wins over it).
CACHE_DIR_ENV = "PYFFIN_CACHE_DIR"
#: Suffix of the pointer files that name an archive in ``archive-v0``.
ARCHIVE_POINTER_SUFFIX = ".archive"
#: Directory (inside the root) for temporary directories that become archives.
TEMP_DIRNAME = ".tmp"
LOCK_FILENAME = ".lock"

_CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file is a cache directory tag created by pyffin.\n"
    b"# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_ARCHIVE_ID_RE = re.compile(r"^[0-9a-f]{20,64}$")


def default_cache_dir() -> Path:
    """The platform's user cache directory for pyffin (``~/.cache/pyffin`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("pyffin", appauthor=False))


class CacheEntry:
    """One file in the cache: a directory and a file name."""

    __slots__ = ("dir", "name")

    def __init__(self, dir: Path, name: str) -> None:
        self.dir = dir
        self.name = name

    @property
    def path(self) -> Path:
        return self.dir / self.name

    @property
    def path_str(self) -> str:
        """The path as a string (cheaper than :attr:`path` where a key is all that's needed)."""
        return os.path.join(self.dir, self.name)

    def read(self) -> bytes | None:
        """The entry's bytes, or ``None`` when there is no such entry."""
        return fs.read_if_exists(self.path)

    def read_stamped(self) -> tuple[bytes, fs.FileStamp] | None:
        """The entry's bytes and the stamp of the file they came from."""
        return fs.read_stamped(self.path)

    def stamp(self) -> fs.FileStamp | None:
        """The stamp of the entry's current file (see :data:`~pyffin.cache.fs.FileStamp`)."""
        return fs.stamp(self.path_str)

    def write(self, data: bytes) -> fs.FileStamp:
        """Replace the entry's content atomically; returns the stamp of the file written."""
        return fs.write_atomic(self.path, data)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def with_name(self, name: str) -> CacheEntry:
        """A sibling entry in the same directory."""
        return CacheEntry(self.dir, name)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __repr__(self) -> str:
        return f"CacheEntry({str(self.path)!r})"


class CacheShard:
    """A directory inside a bucket that groups related entries (one project, one source)."""

    __slots__ = ("path",)

    def __init__(self, path: Path) -> None:
        self.path = path

    def entry(self, name: str) -> CacheEntry:
        return CacheEntry(self.path, name)

    def shard(self, *parts: str) -> CacheShard:
        return CacheShard(self.path.joinpath(*_checked(parts)))

    def lock(self, what: str) -> FileLock:
        """The inter-process lock of this shard (not yet taken), e.g. around a build."""
        return FileLock(self.path / LOCK_FILENAME, what)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __repr__(self) -> str:
        return f"CacheShard({str(self.path)!r})"


def _checked(parts: tuple[str, ...]) -> tuple[str, ...]:
    for part in parts:
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\0" in part:
            raise CacheError(f"invalid cache path component: {part!r}")
    return parts


class Cache:
    """The cache root: buckets, temporary directories, archives and the cache-wide lock.

    ``init()`` creates the root and takes the shared lock every command holds while it uses the
    cache; ``close()`` releases it and, for a temporary cache (``--no-cache``), removes the root.
    """

    def __init__(self, root: Path, *, temporary: bool = False) -> None:
        self.root = root
        self.temporary = temporary
        self._lock = FileLock(root / LOCK_FILENAME, "the cache")
        self._initialized = False
        self._temp_cleanup_registered = False

    # ----------------------------------------------------------------------------- creation
    @classmethod
    def from_settings(cls, cache_dir: str | os.PathLike[str] | None = None, *,
                      no_cache: bool = False) -> Cache:
        """The cache chosen by ``--no-cache``, ``--cache-dir``, ``PYFFIN_CACHE_DIR`` or the
        platform default, in that order."""
        if no_cache:
            return cls.temp()
        if cache_dir is None or os.fspath(cache_dir) == "":
            cache_dir = os.environ.get(CACHE_DIR_ENV) or None
        root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        return cls(Path(os.path.abspath(root)))

    @classmethod
    def temp(cls) -> Cache:
        """A fresh cache in a temporary directory, removed by :meth:`close` or at exit."""
        import atexit
        import tempfile

        cache = cls(Path(tempfile.mkdtemp(prefix="pyffin-cache-")), temporary=True)
        atexit.register(cache.close)
        return cache

    def init(self) -> Cache:
        """Create the root if needed and take the shared cache lock. Idempotent."""
        if self._initialized:
            return self
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                # --cache-dir may name a directory of the user's: add, never replace.
                _create_if_absent(self.root / ".gitignore", b"*\n")
                fs.write_atomic(tag, _CACHEDIR_TAG)
        except OSError as e:
            raise CacheError(f"cannot create the cache directory {self.root}: "
                             f"{e.strerror or e}") from e
        self._lock.acquire(shared=True)
        self._initialized = True
        return self

    def close(self) -> None:
        """Release the shared lock; remove the root of a temporary cache."""
        self._lock.release()
        self._initialized = False
        if self.temporary and self.root.exists():
            fs.remove(self.root)

    def __enter__(self) -> Cache:
        return self.init()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------------------- layout
    def bucket(self, bucket: CacheBucket) -> Path:
        """The directory of ``bucket`` (not created)."""
        return self.root / bucket.dirname

    def shard(self, bucket: CacheBucket, *parts: str) -> CacheShard:
        """A shard inside ``bucket``; ``parts`` are single path components."""
        return CacheShard(self.bucket(bucket).joinpath(*_checked(parts)))

    def entry(self, bucket: CacheBucket, *parts: str) -> CacheEntry:
        """An entry inside ``bucket``: ``parts`` are the shard components and the file name."""
        if not parts:
            raise CacheError("a cache entry needs a file name")
        *dirs, name = _checked(parts)
        return CacheEntry(self.bucket(bucket).joinpath(*dirs), name)

    # ------------------------------------------------------------------------------ records
    def read_record(self, entry: CacheEntry, decode: Callable[[bytes], T]) -> T | None:
        """Decode ``entry``; a missing entry is ``None``, and so is a truncated or undecodable
        one (a cache miss, with one warning per process, never a crash)."""
        stored = self.read_stamped_record(entry, decode)
        return None if stored is None else stored[0]

    def read_stamped_record(self, entry: CacheEntry, decode: Callable[[bytes], T]
                            ) -> tuple[T, fs.FileStamp] | None:
        """:meth:`read_record`, with the stamp of the file the record was read from."""
        stored = entry.read_stamped()
        if stored is None:
            return None
        data, stamp = stored
        try:
            return decode(data), stamp
        except Exception as e:  # any decoder error means the record is unusable
            log.warn_once(
                f"Ignoring an unreadable cache entry {entry.path} ({type(e).__name__}: {e}); "
                "it will be fetched again",
                key="unreadable-cache-entry",
            )
            return None

    # ----------------------------------------------------------------------------- archives
    @contextmanager
    def temp_dir(self) -> Iterator[Path]:
        """A temporary directory on the cache's file system, removed unless persisted."""
        from pyffin.interrupt import temporary

        parent = self.root / TEMP_DIRNAME
        parent.mkdir(parents=True, exist_ok=True)
        path = parent / fs.token()
        path.mkdir()
        try:
            with temporary(path):  # removed even if its thread is still busy at Ctrl-C
                yield path
        finally:
            if path.exists():
                fs.remove(path)

    def persist(self, src: Path, pointer: CacheEntry) -> Path:
        """Move the finished directory ``src`` into ``archive-v0/<id>`` in one rename and point
        ``pointer`` at it; return the archive's path.

        An archive is never changed after this: a replaced pointer leaves the old archive for
        ``prune``, so a concurrent install that still links from it is never disturbed.
        """
        if not pointer.name.endswith(ARCHIVE_POINTER_SUFFIX):
            raise CacheError(f"archive pointer {pointer.path} must end in {ARCHIVE_POINTER_SUFFIX}")
        archives = self.bucket(CacheBucket.ARCHIVE)
        archives.mkdir(parents=True, exist_ok=True)
        archive_id = os.urandom(10).hex()
        target = archives / archive_id
        os.rename(src, target)
        pointer.write(archive_id.encode("ascii"))
        return target

    def archive(self, pointer: CacheEntry) -> Path | None:
        """The archive ``pointer`` names, or ``None`` if the pointer or the archive is gone."""
        data = pointer.read()
        if data is None:
            return None
        archive_id = data.decode("ascii", "replace").strip()
        if not _ARCHIVE_ID_RE.match(archive_id):
            log.warn_once(f"Ignoring a corrupt archive pointer {pointer.path}",
                          key="corrupt-archive-pointer")
            return None
        path = self.bucket(CacheBucket.ARCHIVE) / archive_id
        return path if path.is_dir() else None

    # -------------------------------------------------------------------------------- locks
    def exclusive_lock(self, *, force: bool = False) -> FileLock | None:
        """Take the cache lock exclusively (for ``clean``/``prune``), waiting for every other
        command to finish; ``force`` skips the lock and returns ``None``."""
        if force:
            return None
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.root / LOCK_FILENAME, "the cache")
        return lock.acquire(shared=False, wait_hint="Use --force to skip the wait.")


def _create_if_absent(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o644)
    except FileExistsError:
        return
    with open(fd, "wb") as f:
        f.write(data)


def is_archive_id(name: str) -> bool:
    return bool(_ARCHIVE_ID_RE.match(name))
