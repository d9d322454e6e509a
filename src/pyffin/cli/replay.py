"""What the replays of repeated commands share: the key, the record file, the stamps.

A command whose answer depends only on its command line, working directory, environment
variables and the files it reads can be answered again from a record of that answer, before
argparse and the rest of pyffin are imported: :mod:`pyffin.cli.noop` does so for a no-op
``pip install`` / ``pip sync``, :mod:`pyffin.cli.recompile` for ``pip compile``. Both key their
records by :func:`key` and keep them in the cache the command would use when no configuration
file names one (:func:`cache_root`), one file per command line
(``environments-v0/<kind>/<hash(key)>.rec``), holding the stamp of every file the answer
depends on (:mod:`pyffin.stamps`).

Only :mod:`os` and :mod:`sys` at import (and :mod:`marshal` and :mod:`binascii` to read a
record): a replay must cost less than the command's own start.
"""

from __future__ import annotations

import os
import sys

from pyffin.stamps import Stamp, stamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    from pyffin.cli.command import Context

#: The cache bucket of the records (``CacheBucket.ENVIRONMENTS``; a test keeps them equal —
#: importing :mod:`pyffin.cache` would cost more than the whole replay).
BUCKET = "environments-v0"
#: Variables that differ between two shells running the same command, without bearing on it.
VOLATILE = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "COLUMNS", "LINES"})

#: ``((path, follow), stamp)``: the file at ``path`` (the link itself when not ``follow``)
#: must still have that stamp (``None``: be absent).
Stamped = tuple[tuple[str, bool], "Stamp | None"]


# ------------------------------------------------------------------------------- the key
def key(kind: str, words: tuple[str, ...], argv: Sequence[str]) -> bytes | None:
    """Everything the command was given besides files: the record's ``kind`` (its format),
    pyffin's version, the interpreter running it, the command line, the working directory
    and the environment variables. ``None`` without a working directory."""
    from pyffin._version import RESOLVER_REVISION, __version__

    try:
        cwd = os.getcwd()
    except OSError:
        return None
    variables = sorted(f"{k}={v}" for k, v in os.environ.items() if k not in VOLATILE)
    parts = [kind, __version__, str(RESOLVER_REVISION), sys.executable, *words, "", *argv, "",
             cwd, "", *variables]
    return "\0".join(parts).encode("utf-8", "surrogateescape")


def record_path(root: str, directory: str, key: bytes) -> str:
    from binascii import crc32

    name = f"{crc32(key):08x}{crc32(key[::-1]):08x}.rec"
    return os.path.join(root, BUCKET, directory, name)


# ---------------------------------------------------------------------------- the record
def read(root: str, directory: str, key: bytes, magic: bytes,
         size: int) -> tuple[object, ...] | None:
    """The record of ``key`` (a tuple of ``size`` items, the key first), or ``None`` when
    there is none, it is damaged or it belongs to another key."""
    try:
        with open(record_path(root, directory, key), "rb") as file:
            data = file.read()
    except OSError:
        return None
    start = len(magic) + 9
    if not data.startswith(magic) or data[start - 1:start] != b"\n":
        return None
    import marshal
    from binascii import crc32

    body = memoryview(data)[start:]
    try:
        if int(data[len(magic):start - 1], 16) != crc32(body):
            return None
        record = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(record, tuple) or len(record) != size or record[0] != key:
        return None
    return record


def find(kind: str, words: tuple[str, ...], argv: Sequence[str], directory: str, magic: bytes,
         size: int) -> tuple[object, ...] | None:
    """The record a replay of ``pyffin WORDS ARGV`` answers from (see :func:`read`), or
    ``None``: none kept, or a platform where none is (no ``flock``)."""
    if sys.platform == "win32":
        return None
    root = cache_root(argv)
    found = None if root is None else key(kind, words, argv)
    return None if found is None or root is None else read(root, directory, found, magic, size)


def write(root: str, directory: str, key: bytes, magic: bytes, record: tuple[Any, ...]) -> None:
    """Keep ``record`` (marshal-able, ``key`` first) for :func:`read`."""
    import marshal
    from binascii import crc32
    from pathlib import Path

    from pyffin.cache import write_atomic

    assert record[0] == key
    body = marshal.dumps(record)
    path = Path(record_path(root, directory, key))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, b"%s%08x\n" % (magic, crc32(body)) + body)


def holds(stamps: Iterable[Stamped]) -> bool:
    """Whether every file still has its stamp."""
    return all(stamp(path, follow) == value for (path, follow), value in stamps)


# ------------------------------------------------------------------------- the cache root
def cache_root(argv: Sequence[str]) -> str | None:
    """The cache a command with ``argv`` uses when no configuration file names one: its
    ``--cache-dir``, ``PYFFIN_CACHE_DIR``, or the platform's default; ``None`` for
    ``--no-cache``."""
    value = None
    for i, arg in enumerate(argv):
        if arg in ("-n", "--no-cache", "--no-cache-dir"):
            return None
        if arg == "--cache-dir" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--cache-dir="):
            value = arg.partition("=")[2]
        elif arg == "--":
            break
    if os.environ.get("PYFFIN_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no",
                                                                     "off"):
        return None
    value = value or os.environ.get("PYFFIN_CACHE_DIR") or None
    if value is None:
        value = _default_cache_root()
    return os.path.abspath(os.path.expanduser(value))


def _default_cache_root() -> str:
    """``pyffin.cache.core.default_cache_dir()`` (which this module cannot import: it costs
    more than a replay), on Linux the XDG rule. Were the two ever to differ, a command would
    not record (:func:`recording_root`: it writes only where the replay looks), so a replay
    never answers from a cache the command does not use."""
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CACHE_HOME", "")
        return os.path.join(base if os.path.isabs(base) else os.path.expanduser("~/.cache"),
                            "pyffin")
    import platformdirs

    return platformdirs.user_cache_dir("pyffin", appauthor=False)


def recording_root(argv: Sequence[str], ctx: Context) -> str | None:
    """Where a command run with ``argv`` keeps its record: the cache the replay looks in,
    ``None`` when that is not the cache the command used (one a configuration file names:
    the replay, which reads no configuration, would not find it)."""
    root = cache_root(argv)
    if root is None or os.path.realpath(root) != os.path.realpath(ctx.cache_location().root):
        return None
    return root


# ------------------------------------------------------------------------------- helpers
def now_ns() -> int:
    import time

    return time.time_ns()


def duration(seconds: float) -> str:
    """As :func:`pyffin.cli.console.format_duration` (uv's)."""
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


def found_on_path(python: str | None) -> bool:
    """Whether the ``--python`` value ``python`` is looked up on ``PATH`` (a version or a
    name): too many places to stamp, so such a command is never recorded."""
    if python is None:
        return False
    from pyffin.interpreter.discovery import PythonRequest

    return PythonRequest.parse(python).path is None


def plain_files(sources: Iterable[str]) -> bool:
    """Whether the requirement sources are all plain files whose stamps tell their content:
    not standard input, not a URL, not a project or a script (whose answer may need a build
    or reads more than the file)."""
    for source in sources:
        name = os.path.basename(source)
        if source == "-" or "://" in source or name in ("pyproject.toml", "setup.py",
                                                        "setup.cfg") or name.endswith(".py"):
            return False
    return True


def interpreter_witnesses(python: str | None, executable: str,
                          prefix: str) -> Iterable[tuple[str, bool]]:
    """What finding the interpreter looked at: the ``--python`` path (or the variables and
    ``.venv`` directories discovery reads), the interpreter ``executable`` and its
    environment's ``pyvenv.cfg`` — each link and what it leads to."""
    candidates: list[str] = []
    if python is not None:
        path = os.path.abspath(os.path.expanduser(python.strip()))
        candidates += [path, os.path.join(path, "bin", "python"),
                       os.path.join(path, "bin", "python3")]
    else:
        for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
            value = os.environ.get(variable)
            if value:
                candidates += [os.path.join(value, "bin", "python"),
                               os.path.join(value, "bin", "python3")]
        directory = os.getcwd()
        while True:
            candidates.append(os.path.join(directory, ".venv", "pyvenv.cfg"))
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    candidates += [executable, os.path.join(prefix, "pyvenv.cfg")]
    for path in candidates:
        yield path, False
        yield path, True
