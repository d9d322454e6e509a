"""A repeated ``pip compile`` of unchanged inputs answered from one record, before argparse.

``pyffin pip compile requirements.in -o requirements.txt`` run again on unchanged inputs is
answered by the resolution cache (:mod:`pyffin.api.resolution_cache`) without solving — but
still after parsing the command line, reading the configuration and the requirements and
querying the interpreter. Its answer depends on nothing but the command line, the working
directory, the environment variables and files: the requirements, constraints and overrides
files (nested ``-r``/``-c`` ones too), the configuration files (present or not), the
interpreter, the output file (whose pins are preferences), and the cache entries the
resolution was made from. So when a run's resolution came from the resolution cache or was kept
in it, :func:`remember` writes a record keyed by the first three (:func:`pyffin.cli.replay.key`)
holding the stamp of every local file, each cache entry's stamp and the time until which its
response is fresh, and what the run wrote and printed. The next run finds the record, checks
every stamp and that every response is still fresh — past its max-age it is a miss, and the
command runs (and revalidates): a replay never asks the network — and then writes the output
file and prints what the first run printed (the elapsed time of the summary its own), importing
nothing else of pyffin.

Past a page's max-age the command asks about the stale pages with conditional requests and,
when none changed, writes the kept resolution and records the replay again with their new
freshness. The replay does not ask itself: it would need the HTTP stack and the configuration
(TLS, proxies, credentials) it does not read, to save little (measured on the large set: the
command's start costs ~35 ms of CPU more than a replay, the 147 requests ~250 ms).

The output file: the replay holds when it is absent and was absent before the recorded run,
or holds exactly what the replay writes (its pins are the ones that answer came from; not
for ``--universal``, whose preferences carry markers and whose kept resolutions are keyed by
them), or exactly what it held before the recorded run (the same preferences). Anything else
may be other preferences: the command runs. It is written as the command writes it
(:func:`pyffin.fs.write_user_file`: through links, atomically).

Never recorded: what the resolution cache does not keep (``--refresh``, ``--upgrade``, ``-P``,
``--no-cache``, a relative ``--exclude-newer``, direct references, a ``pylock.toml`` output),
a run that printed a warning, ``-v``, requirements read from standard input,
a project or script source (``pyproject.toml``, ``setup.py``, ``setup.cfg``, ``*.py``) or a
dependency group, a ``--python`` looked up on ``PATH`` (or the default interpreter found
there), an output file that is not a regular file, and files that changed a moment before the
run (:func:`pyffin.stamps.settled`).
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

    from pyffin.api.resolving import CompileResult
    from pyffin.cli.command import Context

_DIRECTORY = "compile"
_MAGIC = b"PYFFIN-COMPILE 1 "
#: The record format: changing it makes every record a miss.
_KIND = "compile 2"
#: ``(key, stamps, entries, output, written, before, absent, stdout, notes, count, own)``:
#: see :func:`remember`.
_SIZE = 11
_REGULAR = 0o100000  # stat.S_IFREG (the stat module is not worth importing here)
_FORMAT = 0o170000   # stat.S_IFMT


def replay(words: tuple[str, ...], argv: Sequence[str], started_ns: int) -> int | None:
    """Answer ``pyffin pip compile ARGV`` from its record: the exit status, or ``None`` when
    there is no valid record (the caller runs the command)."""
    record = records.find(_KIND, words, argv, _DIRECTORY, _MAGIC, _SIZE)
    if record is None:
        return None
    _key, stamps, entries, output, written, before, absent, stdout, notes, count, own = record
    assert isinstance(written, bytes) and isinstance(stdout, str) and isinstance(count, int)
    if not records.holds(stamps) or not _entries_hold(entries):  # type: ignore[arg-type]
        return None
    if output is not None:
        assert isinstance(output, str)
        current = _output(output)
        if current is False or (current is None and not absent) or \
                (current is not None and current != before and not (own and current == written)):
            return None
        from pyffin.errors import PyffinError
        from pyffin.fs import write_user_file

        try:
            write_user_file(output, written)
        except PyffinError:
            return None  # the command says what is wrong
    if notes is not None:  # not -q
        elapsed = (records.now_ns() - started_ns) / 1e9
        text = "".join(line + "\n" for line in notes)  # type: ignore[attr-defined]
        sys.stderr.write(f"{text}Resolved {count} package{'s' if count != 1 else ''} in "
                         f"{records.duration(elapsed)}\n")
    try:
        sys.stdout.write(stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (| head): as the command, a success
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


def _entries_hold(entries: Iterable[tuple[str, tuple[int, ...] | None, float | None]]) -> bool:
    """Whether every cache entry (or local file the resolution read) is unchanged and, for a
    stored response, still fresh: no revalidation here (past its max-age, the command asks)."""
    import time

    now = time.time()
    for path, value, fresh_until in entries:
        try:
            st = os.stat(path)
        except OSError:
            if value is not None:
                return False
            continue
        if value is None or (st.st_mtime_ns, st.st_size, st.st_ino) != tuple(value):
            return False
        if fresh_until is not None and now >= fresh_until:
            return False
    return True


def _output(path: str) -> bytes | bool | None:
    """The bytes of the output file at ``path``; ``None`` when there is none; ``False`` when
    it is not a regular file (a device, a FIFO: not read) or cannot be read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    if st.st_mode & _FORMAT != _REGULAR:
        return False
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return False


# ---------------------------------------------------------------------- what is recorded
class Before:
    """The output file as it was before the command ran: absent, or its bytes (``None`` when
    not a usable state to replay from)."""

    __slots__ = ("absent", "data")

    def __init__(self, output_file: str | None, started_ns: int | None) -> None:
        self.absent = False
        self.data: bytes | None = None
        if output_file is None or output_file == "-" or started_ns is None:
            return
        try:
            st = os.stat(output_file)
        except FileNotFoundError:
            self.absent = True
            return
        except OSError:
            return
        if st.st_mode & _FORMAT != _REGULAR:
            return
        try:
            with open(output_file, "rb") as file:
                data = file.read()
                st = os.fstat(file.fileno())
        except OSError:
            return
        # Changed a moment ago, it may be changed again while the command reads it.
        if settled((st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev),
                   started_ns):
            self.data = data


def remember(args: argparse.Namespace, ctx: Context, result: CompileResult, *,
             before: Before, written: bytes | None, stdout: str, notes: Sequence[str],
             warned: bool) -> bool:
    """Record what ``pyffin pip compile ARGS`` did, if it can be trusted (see the module's
    docstring): ``before`` the output file as it was, ``written`` what was written to it
    (``None``: no output file), ``stdout`` what was printed there, ``notes`` the messages
    printed before the summary, ``warned`` whether a warning was printed. Returns whether it
    recorded."""
    if warned or not _recordable(args, result):
        return False
    try:
        return _remember(args, ctx, result, before, written, stdout, notes)
    except OSError:
        return False  # a file we cannot stat or a cache we cannot write: nothing remembered


def _remember(args: argparse.Namespace, ctx: Context, result: CompileResult, before: Before,
              written: bytes | None, stdout: str, notes: Sequence[str]) -> bool:
    root = records.recording_root(args.full_argv, ctx)
    if root is None:
        return False
    key = records.key(_KIND, ("pip", "compile"), args.full_argv)
    witnesses = _witnesses(args, ctx, result)
    if key is None or witnesses is None:
        return False
    stamps = tuple((path, stamp(*path)) for path in witnesses)
    if not all(settled(value, args.started_ns) for _path, value in stamps):
        return False
    output = None
    if written is not None:
        output = os.path.abspath(args.output_file)
        if not before.absent and before.data is None:
            return False  # neither absent nor readable: the next run could not tell it
    assert result.kept is not None
    records.write(root, _DIRECTORY, key, _MAGIC, (
        key, stamps, result.kept, output, written or b"", before.data, before.absent, stdout,
        None if args.quiet else tuple(notes), len(result.resolution), not args.universal))
    return True


def _recordable(args: argparse.Namespace, result: CompileResult) -> bool:
    """Whether the run was an ordinary one a replay can repeat word for word."""
    if sys.platform == "win32" or not hasattr(args, "started_ns") or result.kept is None:
        return False
    if args.verbose or args.upgrade or args.upgrade_package:
        return False
    if args.group or args.only_group or args.all_groups:
        return False  # read from a pyproject.toml
    if records.found_on_path(args.python):
        return False
    if result.index_settings.torch_backend == "auto":
        return False  # the machine's GPU decides: no file stands for it
    return records.plain_files(result.sources)


def _witnesses(args: argparse.Namespace, ctx: Context,
               result: CompileResult) -> list[tuple[str, bool]] | None:
    """Every local file whose change could change the answer, with whether to follow a link;
    ``None`` when the interpreter came from somewhere there are too many places to stamp."""
    import packaging

    found = [(__file__, True), (packaging.__file__ or "", True)]  # pyffin and packaging
    found += [(os.path.abspath(source), True) for source in result.sources]
    if ctx.configuration is not None:
        found += [(str(path), True) for path in ctx.configuration.files()]
    interpreter = result.interpreter
    if interpreter is not None:
        executable = os.fspath(interpreter.executable)
        if args.python is None and not _from_an_environment(executable):
            return None  # found on PATH
        found += records.interpreter_witnesses(args.python, executable,
                                               os.fspath(interpreter.prefix))
        found += [(os.fspath(interpreter.sys_executable), True)]
    return found


def _from_an_environment(executable: str) -> bool:
    """Whether discovery found the default interpreter at ``executable`` in the active
    virtual or conda environment or the nearest ``.venv`` (which
    :func:`~pyffin.cli.replay.interpreter_witnesses` stamp), not on ``PATH``."""
    root = os.path.dirname(os.path.dirname(executable))
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = os.environ.get(variable)
        if value and os.path.abspath(value) == root:
            return True
    directory = os.getcwd()
    while True:
        venv = os.path.join(directory, ".venv")
        if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            return venv == root
        parent = os.path.dirname(directory)
        if parent == directory:
            return False
        directory = parent
