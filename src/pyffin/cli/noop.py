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
system interpreter, a ``--target`` or ``--prefix`` directory, a package installed twice — is never
recorded.
"""

from __future__ import annotations

import os
import sys

from pyffin.cli import replay as records
from pyffin.stamps import settled, stamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable, Sequence

    from pyffin.api.install import InstallResult
    from pyffin.cli.command import Context
    from pyffin.installer.installed import InstalledDistribution

_DIRECTORY = "noop"
_MAGIC = b"PYFFIN-NOOP 1 "
#: The record format: changing it makes every record a miss (2: ``audited`` counts an
#: install's requirements, as uv's "Checked N packages").
_KIND = "noop 2"
#: ``(key, lock, stamps, lines, audited)``.
_SIZE = 5


def replay(words: tuple[str, ...], argv: Sequence[str], started_ns: int, *,
           code_bundle: bool = False) -> int | None:
    """Answer ``pyffin pip install|sync ARGV`` from its record, or else do it again into a
    fresh environment from its record (:mod:`pyffin.cli.install_replay`): the exit status, or
    ``None`` when there is no valid record (the caller runs the command). ``code_bundle``:
    import what the latter needs through :mod:`pyffin.cli.code_bundle` (which costs more to
    read than the former imports)."""
    record = records.find(_KIND, words, argv, _DIRECTORY, _MAGIC, _SIZE)
    if record is None or not _holds(record):
        if code_bundle:
            from pyffin.cli import code_bundle as bundle

            bundle.activate_for_command()
        from pyffin.cli import install_replay

        return install_replay.replay(words, argv, started_ns)
    lines, audited = record[3], record[4]
    assert isinstance(audited, int)
    if lines is not None:  # not -q
        elapsed = (records.now_ns() - started_ns) / 1e9
        noun = "package" if audited == 1 else "packages"
        text = "".join(line + "\n" for line in lines)  # type: ignore[attr-defined]
        sys.stderr.write(f"{text}Checked {audited} {noun} in {records.duration(elapsed)}\n")
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
    root = records.recording_root(args.full_argv, ctx)
    if root is None:
        return False
    key = records.key(_KIND, words, args.full_argv)
    env = result.environment
    lock = os.path.join(env.prefix, ".lock")
    if key is None or not env.is_venv or not os.path.isfile(lock):
        return False
    from pathlib import Path

    from pyffin.installer.installed import duplicated, scan

    dists = scan([Path(p) for p in env.site_packages])
    if duplicated(dists):
        return False  # a replay would vouch for an environment `pip check` refuses
    paths = list(_witnesses(words, args, ctx, result, dists))
    stamps = tuple((path, stamp(*path)) for path in paths)
    if not all(settled(value, args.started_ns) for _path, value in stamps):
        return False
    records.write(root, _DIRECTORY, key, _MAGIC,
                  (key, lock, stamps, None if args.quiet else tuple(lines), result.audited))
    return True


# ------------------------------------------------------------------------------ helpers
def _holds(record: tuple[object, ...]) -> bool:
    """Whether every file of the no-op ``record`` still has its stamp, checked under the
    environment's lock (``False`` when someone holds it: the command waits)."""
    _key, lock, stamps, _lines, _audited = record
    assert isinstance(lock, str)
    fd = _try_lock(lock)
    if fd is None:
        return False
    try:
        return records.holds(stamps)  # type: ignore[arg-type]
    finally:
        os.close(fd)  # releases the lock


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
    if records.found_on_path(args.python):
        return False
    return records.plain_files(result.sources)


def _witnesses(words: tuple[str, ...], args: argparse.Namespace, ctx: Context,
               result: InstallResult, dists: Sequence[InstalledDistribution]
               ) -> Iterable[tuple[str, bool]]:
    """Every file whose change could change the answer, with whether to follow a link."""
    yield __file__, True  # pyffin itself (reinstalled: a new file)
    for source in result.sources:
        yield os.path.abspath(source), True
    if ctx.configuration is not None:
        for path in ctx.configuration.files():
            yield str(path), True
    env = result.environment
    yield from records.interpreter_witnesses(args.python, os.fspath(env.sys_executable),
                                             os.fspath(env.prefix))
    yield from _environment_witnesses(result, dists, metadata=words[-1] == "install")


def _environment_witnesses(result: InstallResult, dists: Sequence[InstalledDistribution], *,
                           metadata: bool) -> Iterable[tuple[str, bool]]:
    """``site-packages``, each installed distribution's directory (``dists``) and, for
    ``install`` (which reads their dependencies), its metadata file."""
    for directory in dict.fromkeys(os.path.abspath(p) for p in result.environment.site_packages):
        yield directory, True
    for dist in dists:
        yield str(dist.path), False
        if metadata or dist.kind != "dist-info":
            yield str(dist.metadata_path), True
