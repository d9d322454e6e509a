"""``Cache``: the root of pyffin's shared cache, its buckets, shards, entries and archives.

No module outside :mod:`pyffin.cache` builds a cache path by hand: it asks
``cache.shard(CacheBucket.X, ...)`` or ``cache.entry(CacheBucket.X, ..., name)``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from pyffin import log
from pyffin.cache import codec, fs
from pyffin.cache.buckets import CacheBucket
from pyffin.cache.lock import FileLock
from pyffin.errors import CacheError, PyffinError
from pyffin.fs import remove, token

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
#: What an archive's id is made of (20 to 64 of them): checked with string methods, not a
#: pattern every command would compile.
_HEX_DIGITS = frozenset("0123456789abcdef")


class CacheChangedError(CacheError):
    """Something pyffin was working on in the cache vanished (another process cleaned it)."""


def changed_error(root: Path, error: FileNotFoundError) -> CacheChangedError | None:
    """A :class:`CacheChangedError` for ``error`` when the file it names is inside the cache
    at ``root`` (so it vanished because another process cleaned the cache), else ``None``."""
    for name in (error.filename, error.filename2):
        if name is None:
            continue
        try:
            inside = Path(os.path.abspath(os.fsdecode(name))).is_relative_to(root)
        except (TypeError, ValueError):
            continue
        if inside:
            changed = CacheChangedError(
                f"the cache at {root} changed while pyffin was using it: "
                f"{os.fsdecode(name)} vanished",
                hint="was `pyffin cache clean --force` run meanwhile? Run the command again")
            changed.__cause__ = error
            return changed
    return None


def default_cache_dir() -> Path:
    """The platform's user cache directory for pyffin (``~/.cache/pyffin`` on Linux)."""
    if sys.platform.startswith("linux"):
        # platformdirs' rule (the XDG one), without importing platformdirs: that costs a warm
        # command more than all it does with the cache. ``pyffin.cli.noop`` follows it too.
        base = os.environ.get("XDG_CACHE_HOME", "")
        return Path(base if os.path.isabs(base) else os.path.expanduser("~/.cache"), "pyffin")
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
        return fs.read_if_exists(self.path_str)

    def read_stamped(self) -> tuple[bytes, fs.FileStamp] | None:
        """The entry's bytes and the stamp of the file they came from."""
        return fs.read_stamped(self.path_str)

    def read_record(self, decode: Callable[[bytes], T]) -> T | None:
        """Decode the entry; a missing entry is ``None``, and so is a truncated or undecodable
        one (a cache miss, with one warning per process, never a crash)."""
        stored = self.read_stamped_record(decode)
        return None if stored is None else stored[0]

    def read_stamped_record(self, decode: Callable[[bytes], T]
                            ) -> tuple[T, fs.FileStamp] | None:
        """:meth:`read_record`, with the stamp of the file the record was read from."""
        return self._decoded(self.read_stamped(), decode)

    def read_head_record(self, head_length: Callable[[bytes], int | None],
                         decode: Callable[[bytes], T]) -> tuple[T, fs.FileStamp] | None:
        """:meth:`read_stamped_record` of a record whose tail is read a piece at a time
        (:meth:`read_piece`): ``decode`` gets its first bytes, as many as ``head_length``
        says its header and payload take."""
        return self._decoded(fs.read_head_stamped(self.path_str, head_length), decode)

    def _decoded(self, stored: tuple[bytes, fs.FileStamp] | None,
                 decode: Callable[[bytes], T]) -> tuple[T, fs.FileStamp] | None:
        if stored is None:
            return None
        data, stamp = stored
        try:
            return decode(data), stamp
        except codec.OtherVersionError as e:  # another release's: a plain miss
            log.debug(f"Ignoring {self.path}: {e}")
            return None
        except Exception as e:  # any decoder error means the record is unusable
            log.warn_once(
                f"Ignoring an unreadable cache entry {self.path} ({type(e).__name__}: {e}); "
                "it will be fetched again",
                key="unreadable-cache-entry",
            )
            return None

    def read_piece(self, offset: int, length: int, stamp: fs.FileStamp) -> bytes | None:
        """``length`` bytes of the entry's file from ``offset`` if it is still the one with
        ``stamp``; ``None`` otherwise (see :func:`~pyffin.cache.fs.read_piece`)."""
        return fs.read_piece(self.path_str, offset, length, stamp)

    def stamp(self) -> fs.FileStamp | None:
        """The stamp of the entry's current file (see :data:`~pyffin.cache.fs.FileStamp`)."""
        return fs.stamp(self.path_str)

    def write(self, data: bytes | tuple[bytes, ...]) -> fs.FileStamp:
        """Replace the entry's content (``data``, or its parts one after the other)
        atomically; returns the stamp of the file written."""
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
        #: Entry directories made so far: a warm resolution asks for hundreds of entries in a
        #: few directories, and each ``Path`` join costs more than reading a small record.
        self._dirs: dict[tuple[str, ...], Path] = {}

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
            remove(self.root)

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
        return CacheEntry(self._dir((bucket.dirname, *dirs)), name)

    def _dir(self, key: tuple[str, ...]) -> Path:
        """The directory of ``key`` (a bucket's directory name, then path components), made
        from its parent's (itself kept) with one join."""
        directory = self._dirs.get(key)
        if directory is None:
            parent = self.root if len(key) == 1 else self._dir(key[:-1])
            directory = self._dirs[key] = parent / key[-1]
        return directory

    # ------------------------------------------------------------------------------ records
    def read_record(self, entry: CacheEntry, decode: Callable[[bytes], T]) -> T | None:
        """:meth:`CacheEntry.read_record`."""
        return entry.read_record(decode)

    def read_stamped_record(self, entry: CacheEntry, decode: Callable[[bytes], T]
                            ) -> tuple[T, fs.FileStamp] | None:
        """:meth:`CacheEntry.read_stamped_record`."""
        return entry.read_stamped_record(decode)

    # ----------------------------------------------------------------------------- archives
    @contextmanager
    def temp_dir(self) -> Iterator[Path]:
        """A temporary directory on the cache's file system, removed unless persisted.

        An error raised after the directory vanished (``pyffin cache clean --force`` ran
        meanwhile) becomes a :class:`CacheChangedError`, which callers may answer by starting
        over."""
        from pyffin.interrupt import Interrupted, check, interrupted, temporary

        parent = self.root / TEMP_DIRNAME
        path = parent / token()
        # Registered before it is made, so that the interruption's clean-up never misses it
        # (see pyffin.interrupt); checked once made, in case the clean-up ran in between.
        with temporary(path):  # removed even if its thread is still busy at Ctrl-C
            fs.ensure_dir(path)
            try:
                check()
                yield path
            except (OSError, PyffinError) as e:  # an unzip or a build error, say
                if isinstance(e, CacheChangedError) or os.path.isdir(path):
                    raise
                if interrupted():  # removed by the interruption's clean-up: not to start over
                    raise Interrupted() from e
                raise CacheChangedError(
                    f"the cache at {self.root} changed while pyffin was using it: {path} vanished",
                    hint="was `pyffin cache clean --force` run meanwhile? Run the command again",
                ) from e
            finally:
                if path.exists():
                    remove(path)

    def persist(self, src: Path, pointer: CacheEntry,
                files: Sequence[tuple[str, int]] | None = None) -> Path:
        """Move the finished directory ``src`` into ``archive-v0/<id>`` in one rename and point
        ``pointer`` at it; return the archive's path.

        The pointer also records what the archive must hold: ``files``, every file's
        ``/``-separated path and size (listed from ``src`` when not given), which
        :meth:`archive` checks before an archive is used again. An archive is never changed
        after this: a replaced pointer leaves the old archive for ``prune``, so a concurrent
        install that still links from it is never disturbed.
        """
        if not pointer.name.endswith(ARCHIVE_POINTER_SUFFIX):
            raise CacheError(f"archive pointer {pointer.path} must end in {ARCHIVE_POINTER_SUFFIX}")
        if files is None:
            files = list_files(src)
        archives = self.bucket(CacheBucket.ARCHIVE)
        fs.ensure_dir(archives)
        archive_id = os.urandom(10).hex()
        target = archives / archive_id
        try:
            os.rename(src, target)
        except FileNotFoundError:
            if not src.is_dir():
                raise
            fs.ensure_dir(archives)  # removed since (`cache clean`)
            os.rename(src, target)
        pointer.write(encode_pointer(archive_id, files))
        return target

    def archive(self, pointer: CacheEntry, *, check: bool = True) -> Path | None:
        """The archive ``pointer`` names, or ``None`` if the pointer or the archive is gone,
        or (``check``) the archive lacks a file it had when it was made, or holds it at
        another size (a file deleted or truncated since: the caller unzips the wheel again).

        The check is one ``stat`` per file, the cheapest that still catches a deleted or
        truncated file: no file is read (``pyffin cache verify`` hashes them all). Without
        it, the caller checks what it uses (an install lists the archive to link it, and
        finds a deleted file then, before linking: see :mod:`pyffin.installer.link`).
        """
        data = pointer.read()
        if data is None:
            return None
        parsed = decode_pointer(data)
        if parsed is None:
            log.warn_once(f"Ignoring a corrupt archive pointer {pointer.path}",
                          key="corrupt-archive-pointer")
            return None
        archive_id, files = parsed
        path = self.bucket(CacheBucket.ARCHIVE) / archive_id
        if not check:
            return path if os.path.isdir(path) else None
        problem = check_files(path, files)
        if problem is not None:
            if problem != MISSING_ARCHIVE:
                log.warn(f"The unzipped wheel {pointer.name[: -len(ARCHIVE_POINTER_SUFFIX)]} in "
                         f"the cache is damaged ({problem}); unzipping it again")
            return None
        return path

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
    return 20 <= len(name) <= 64 and _HEX_DIGITS.issuperset(name)


# ----------------------------------------------------------------------- archive pointers
_POINTER_SCHEMA = "archive-pointer"
_POINTER_VERSION = 1
#: :func:`check_files`' answer when the archive directory itself is gone.
MISSING_ARCHIVE = "the archive is missing"


def encode_pointer(archive_id: str, files: Sequence[tuple[str, int]]) -> bytes:
    """A pointer's content: the archive's id and its files' paths and sizes."""
    return codec.dumps(_POINTER_SCHEMA, _POINTER_VERSION,
                       (archive_id, [path for path, _ in files], [size for _, size in files]))


def decode_pointer(data: bytes) -> tuple[str, list[tuple[str, int]]] | None:
    """The archive id and files a pointer names; ``None`` for a damaged pointer, or one
    written before pointers listed their files (the wheel is unzipped again)."""
    try:
        loaded: Any = codec.loads(data, _POINTER_SCHEMA, _POINTER_VERSION)
        archive_id, paths, sizes = loaded
    except (codec.RecordError, TypeError, ValueError):
        return None
    if not (isinstance(archive_id, str) and is_archive_id(archive_id)
            and isinstance(paths, list) and isinstance(sizes, list)
            and len(paths) == len(sizes)):
        return None
    return archive_id, list(zip(paths, sizes, strict=True))


def check_files(root: Path, files: Sequence[tuple[str, int]]) -> str | None:
    """What is wrong with the archive at ``root``, given the files it must hold: ``None``
    when every file is there at its size. One ``stat`` per file, relative to the archive's
    directory where the platform allows (no path walk from ``/`` for each file)."""
    relative = os.stat in os.supports_dir_fd
    try:
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if relative else None
    except OSError:
        return MISSING_ARCHIVE
    if fd is None and not os.path.isdir(root):
        return MISSING_ARCHIVE
    base = "" if relative else os.fspath(root) + os.sep
    try:
        for path, size in files:
            try:
                found = os.stat(base + path, dir_fd=fd).st_size
            except OSError:
                return f"{path} is missing"
            if found != size:
                return f"{path} has {found} bytes instead of {size}"
    finally:
        if fd is not None:
            os.close(fd)
    return None


def list_files(root: Path) -> list[tuple[str, int]]:
    """Every file below ``root``: its ``/``-separated relative path and size."""
    found: list[tuple[str, int]] = []
    base = os.fspath(root)
    for dirpath, _dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        for name in filenames:
            found.append((prefix + name, os.lstat(os.path.join(dirpath, name)).st_size))
    return found
