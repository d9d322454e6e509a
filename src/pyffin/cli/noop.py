"""A repeated no-op ``pip install`` / ``pip sync`` answered from one record, before argparse.

The command people repeat all day — ``pyffin pip sync requirements.txt`` on an environment that
already matches — depends on nothing but its inputs: the command line, the working directory,
the environment variables, and the files it reads (the requirements files, the configuration
files, the interpreter, the environment's ``site-packages``). When a run finds the environment
already satisfies its requirements, :func:`remember` writes a record keyed by the first three and
holding the *stamp* of every file of the last kind (``stat``: modification and change times,
size, inode, device; "absent" counts too). The next run with the same command line, directory and
variables finds the record, takes the environment's lock, compares the stamps, and — when none
changed — prints what the first run printed and exits, importing nothing else of pyffin.

What a stamp catches: a package installed, removed or upgraded by anyone (pip, uv, pyffin) adds
or removes a ``*.dist-info`` directory, which changes ``site-packages``; a file added to or
removed from a ``.dist-info`` (``direct_url.json``, ``REQUESTED``) changes that directory; an
edited ``METADATA`` (whose dependencies ``install`` checks) or requirements or configuration file
changes its own stamp, and a file replaced with an older modification time (``cp -p``) still
gets a new change time. What it cannot catch is a change within the file system's timestamp
granularity of the stamp itself, so a record is only written when every stamped file last changed
well before the run began (:func:`pyffin.stamps.settled`: "racily clean" files, in git's words,
are never trusted); the next run writes it instead.

Files whose change would not alter the answer (a package's own modules, a ``.pth`` file's
content) are not stamped: the no-op check never reads them. Anything out of the ordinary — a
warning, ``-v``, a requirements file on standard input, a project or script source, an editable
install, ``--dry-run``, ``--upgrade``, ``--reinstall``, a ``--python`` looked up on ``PATH``, a
system interpreter, a ``--target`` or ``--prefix`` directory — is never recorded.
"""

from __future__ import annotations

import os
import sys

from pyffin.stamps import Stamp, settled, stamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from pyffin.api.install import InstallResult
    from pyffin.cli.command import Context

#: The cache bucket of the records (``CacheBucket.ENVIRONMENTS``; a test keeps them equal —
#: importing :mod:`pyffin.cache` would cost more than the whole replay).
BUCKET = "environments-v0"
_DIRECTORY = "noop"
_MAGIC = b"PYFFIN-NOOP 1 "
#: The record format and pyffin's version: either changing makes every record a miss.
_FORMAT = "1"
#: Variables that differ between two shells running the same command, without bearing on it.
_VOLATILE = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "COLUMNS", "LINES"})


def replay(words: tuple[str, ...], argv: Sequence[str], started_ns: int) -> int | None:
    """Answer ``pyffin pip install|sync ARGV`` from its record: the exit status, or ``None``
    when there is no valid record (the caller runs the command)."""
    if sys.platform == "win32":
        return None  # never recorded there (no flock)
    root = _cache_root(argv)
    if root is None:
        return None
    key = _key(words, argv)
    if key is None:
        return None
    try:
        with open(_record_path(root, key), "rb") as file:
            data = file.read()
    except OSError:
        return None
    record = _decode(data)
    if record is None or record[0] != key:
        return None
    _key_bytes, lock, stamps, lines, audited = record
    fd = _try_lock(lock)
    if fd is None:
        return None  # someone is changing the environment: run the command, which waits
    try:
        for (path, follow), value in stamps:
            if stamp(path, follow) != value:
                return None
    finally:
        os.close(fd)  # releases the lock
    if lines is not None:  # not -q
        elapsed = (_now_ns() - started_ns) / 1e9
        noun = "package" if audited == 1 else "packages"
        text = "".join(line + "\n" for line in lines)
        sys.stderr.write(f"{text}Audited {audited} {noun} in {_duration(elapsed)}\n")
    return 0


def remember(words: tuple[str, ...], args: argparse.Namespace, ctx: Context,
             result: InstallResult, lines: Sequence[str], warned: bool) -> bool:
    """Record that ``pyffin WORDS ARGS`` found nothing to do, if it can be trusted (see the
    module's docstring); ``lines`` are the messages the run printed before its summary (shown
    when not quiet), ``warned`` whether it printed a warning. Returns whether it recorded."""
    if warned or not _recordable(args, result):
        return False
    try:
        return _remember(words, args, ctx, result, lines)
    except OSError:
        return False  # a file we cannot stat or a cache we cannot write: nothing remembered


def _remember(words: tuple[str, ...], args: argparse.Namespace, ctx: Context,
              result: InstallResult, lines: Sequence[str]) -> bool:
    root = _cache_root(args.full_argv)
    if root is None or os.path.realpath(root) != os.path.realpath(ctx.cache_location().root):
        return False  # the cache came from a configuration file: a replay would not find it
    key = _key(words, args.full_argv)
    env = result.environment
    lock = os.path.join(env.prefix, ".lock")
    if key is None or not env.is_venv or not os.path.isfile(lock):
        return False
    paths = list(_witnesses(words, args, ctx, result))
    stamps = tuple((path, stamp(*path)) for path in paths)
    if not all(settled(value, args.started_ns) for _path, value in stamps):
        return False
    payload = (key, lock, stamps, None if args.quiet else tuple(lines), result.audited)
    import marshal
    from binascii import crc32

    body = marshal.dumps(payload)
    from pathlib import Path

    from pyffin.cache import write_atomic

    path = Path(_record_path(root, key))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, b"%s%08x\n" % (_MAGIC, crc32(body)) + body)
    return True


# ------------------------------------------------------------------------------- the key
def _key(words: tuple[str, ...], argv: Sequence[str]) -> bytes | None:
    """Everything the command was given besides files: pyffin's version, the command line, the
    working directory and the environment variables."""
    from pyffin._version import __version__

    try:
        cwd = os.getcwd()
    except OSError:
        return None
    variables = sorted(f"{k}={v}" for k, v in os.environ.items() if k not in _VOLATILE)
    parts = [_FORMAT, __version__, sys.executable, *words, "", *argv, "", cwd, "", *variables]
    return "\0".join(parts).encode("utf-8", "surrogateescape")


def _record_path(root: str, key: bytes) -> str:
    from binascii import crc32

    name = f"{crc32(key):08x}{crc32(key[::-1]):08x}.rec"
    return os.path.join(root, BUCKET, _DIRECTORY, name)


def _decode(data: bytes) -> tuple[bytes, str, tuple[tuple[tuple[str, bool], Stamp | None], ...],
                                  tuple[str, ...] | None, int] | None:
    """The record in ``data``, or ``None`` when it is not a whole, undamaged one."""
    start = len(_MAGIC) + 9
    if not data.startswith(_MAGIC) or data[start - 1:start] != b"\n":
        return None
    import marshal
    from binascii import crc32

    body = memoryview(data)[start:]
    try:
        if int(data[len(_MAGIC):start - 1], 16) != crc32(body):
            return None
        record = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(record, tuple) or len(record) != 5:
        return None
    return record


def _cache_root(argv: Sequence[str]) -> str | None:
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
    more than a replay), on Linux the XDG rule. Were the two ever to differ, :func:`remember`
    would not record (it writes only where the replay looks), so a replay never answers from a
    cache the command does not use — though any record would do: the answer depends on no
    cache entry."""
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CACHE_HOME", "")
        return os.path.join(base if os.path.isabs(base) else os.path.expanduser("~/.cache"),
                            "pyffin")
    import platformdirs

    return platformdirs.user_cache_dir("pyffin", appauthor=False)


# ------------------------------------------------------------------------------ helpers
def _now_ns() -> int:
    import time

    return time.time_ns()


def _duration(seconds: float) -> str:
    """As :func:`pyffin.cli.console.format_duration` (uv's)."""
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


def _try_lock(path: str) -> int | None:
    """The environment's lock (the file uv and pyffin lock), taken without waiting; the open
    descriptor, or ``None`` when it is held or cannot be opened."""
    import fcntl

    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


# ---------------------------------------------------------------------- what is recorded
def _recordable(args: argparse.Namespace, result: InstallResult) -> bool:
    """Whether the run was an ordinary no-op a replay can repeat word for word."""
    if sys.platform == "win32" or not hasattr(args, "started_ns"):
        return False
    if result.dry_run or result.resolved is not None or result.installed or result.removed:
        return False
    if result.environment.directory is not None:
        return False  # --target/--prefix: its own lock, an interpreter perhaps from PATH
    if args.verbose or args.no_cache or args.system or args.reinstall or args.reinstall_package:
        return False
    if args.output_format != "text" or args.report or args.strict or args.check:
        return False
    if getattr(args, "upgrade", False) or getattr(args, "upgrade_package", None) \
            or getattr(args, "editable", None):
        return False
    if args.group or args.only_group or args.all_groups:
        return False
    if args.python is not None:
        from pyffin.interpreter.discovery import PythonRequest

        if PythonRequest.parse(args.python).path is None:
            return False  # found on PATH: too many places to stamp
    for source in result.sources:
        name = os.path.basename(source)
        if source == "-" or name in ("pyproject.toml", "setup.py", "setup.cfg") \
                or name.endswith(".py"):
            return False
    return True


def _witnesses(words: tuple[str, ...], args: argparse.Namespace, ctx: Context,
               result: InstallResult) -> Iterable[tuple[str, bool]]:
    """Every file whose change could change the answer, with whether to follow a link."""
    yield __file__, True  # pyffin itself (reinstalled: a new file)
    for source in result.sources:
        yield os.path.abspath(source), True
    if ctx.configuration is not None:
        for path in ctx.configuration.files():
            yield str(path), True
    yield from _interpreter_witnesses(args.python, result)
    yield from _environment_witnesses(result, metadata=words[-1] == "install")


def _interpreter_witnesses(python: str | None,
                           result: InstallResult) -> Iterable[tuple[str, bool]]:
    """What finding the environment looked at: the ``--python`` path (or the variables and
    ``.venv`` directories discovery reads), the interpreter and its ``pyvenv.cfg``."""
    env = result.environment
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
    candidates += [os.fspath(env.sys_executable), os.path.join(env.prefix, "pyvenv.cfg")]
    for path in candidates:
        yield path, False
        yield path, True


def _environment_witnesses(result: InstallResult, *,
                           metadata: bool) -> Iterable[tuple[str, bool]]:
    """``site-packages``, each installed distribution's directory and, for ``install`` (which
    reads their dependencies), its metadata file."""
    from pathlib import Path

    from pyffin.installer.installed import scan

    directories: list[Path] = [Path(p) for p in result.environment.site_packages]
    for directory in dict.fromkeys(os.path.abspath(p) for p in directories):
        yield directory, True
    for dist in scan(directories):
        yield str(dist.path), False
        if metadata or dist.kind != "dist-info":
            yield str(dist.metadata_path), True
