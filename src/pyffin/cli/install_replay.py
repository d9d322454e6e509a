"""A repeated ``pip install`` / ``pip sync`` into a fresh environment, done again from a record.

The warm install people repeat — a new virtual environment, then ``pyffin pip install -r
requirements.txt`` (CI jobs, ``tox``/``nox`` sessions, ``make`` targets) — installs the same
kept resolution (:mod:`pyffin.api.resolution_cache`) from the same unzipped wheels each time.
When a run installed into an environment without any distribution, :func:`remember` writes a
record keyed as the no-op records are (:mod:`pyffin.cli.replay`: the command line, the working
directory, the environment variables) holding what the install did: the unzipped wheel of each
package, where each kind of file went, the scripts' interpreter, and what the answer depended on.
The next run of the same command finds the record and, when every input still holds, links the
same wheels without argparse, configuration, interpreter lookup, requirements parsing or
resolution.

What must hold, else the command runs as usual (nothing is changed before every check passed):

- the requirements and configuration files, and the base interpreter, have their stamps
  (:mod:`pyffin.stamps`; only files settled before the recorded run are trusted);
- the environment is the same kind of fresh: its ``bin/python`` is a link to the same
  interpreter, its ``pyvenv.cfg`` has the same content, and each of its site-packages and
  scheme directories lists exactly the names it listed before the recorded install (so it holds
  no distribution, and nothing an install would replace that the recorded one did not);
- the kept resolution's record and every cache entry it was made from are unchanged and still
  fresh (a page past its max-age is asked about by the usual path);
- each unzipped wheel is still in the cache and complete (its listing is checked against its
  RECORD before anything is linked, as every install does);
- neither the environment's lock nor the cache's is held by another process.

A failure while linking also hands over to the usual path, which finishes (or reports) it.
Anything out of the ordinary is never recorded: see :func:`_recordable`.
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
    from typing import NoReturn

    from pyffin.api.install import FreshInstall, InstallResult
    from pyffin.cli.command import Context
    from pyffin.installer.link import PreparedWheel, ReplacedFiles

_DIRECTORY = "install"
_MAGIC = b"PYFFIN-FRESH-INSTALL 1 "
#: The record format: changing it makes every record a miss.
_KIND = "fresh-install 2"
#: ``(key, stamps, dependencies, interpreter, cache_root, listings, scheme, launcher,
#: link_mode, packages, lines, resolved, python_version)``.
_SIZE = 13


def replay(words: tuple[str, ...], argv: Sequence[str], started_ns: int) -> int | None:
    """Do ``pyffin pip install|sync ARGV`` again from its record: the exit status, or ``None``
    when there is no record or something it depends on changed (the caller runs the
    command)."""
    record = records.find(_KIND, words, argv, _DIRECTORY, _MAGIC, _SIZE)
    if record is None:
        return None
    (_key, stamps, dependencies, interpreter, cache_root, listings, scheme, launcher, link_mode,
     packages, lines, resolved, python_version) = record
    if lines is not None and sys.stderr.isatty():
        return None  # recorded without colours: a terminal may want them
    if not records.holds(stamps) or not _same_interpreter(  # type: ignore[arg-type]
            interpreter) or not _dependencies_hold(dependencies):  # type: ignore[arg-type]
        return None
    assert isinstance(cache_root, str) and isinstance(scheme, tuple) \
        and isinstance(interpreter, tuple)
    cache_lock = _try_lock(os.path.join(cache_root, ".lock"), shared=True, create=False)
    if cache_lock is None:
        return None  # the cache is being cleaned (or is gone): the usual path waits
    try:
        # The environment's own lock, where the usual install takes it (beside pyvenv.cfg).
        env_lock = _try_lock(os.path.join(os.path.dirname(interpreter[2]), ".lock"),
                             shared=False, create=True)
        if env_lock is None:
            return None
        try:
            if _listings(listings) != listings:  # type: ignore[arg-type]
                return None
            resolved_ns = records.now_ns()
            try:
                if not _install(scheme, launcher, link_mode, packages,  # type: ignore[arg-type]
                                python_version):  # type: ignore[arg-type]
                    return None
            except KeyboardInterrupt:  # as the command says it (what is left, the next
                sys.stderr.write("error: interrupted\n")  # install sweeps away)
                return 130
        finally:
            os.close(env_lock)
    finally:
        os.close(cache_lock)
    if lines is not None:
        assert isinstance(resolved, int) and isinstance(packages, tuple)
        done_ns = records.now_ns()

        def count(n: int) -> str:
            return f"{n} package{'s' if n != 1 else ''}"

        text = "".join(line + "\n" for line in lines)  # type: ignore[attr-defined]
        text += (f"Resolved {count(resolved)} in "
                 f"{records.duration((resolved_ns - started_ns) / 1e9)}\n"
                 f"Installed {count(len(packages))} in "
                 f"{records.duration((done_ns - resolved_ns) / 1e9)}\n")
        text += "".join(f" + {name}=={version}\n"
                        for name, version, _, _ in sorted(packages))
        sys.stderr.write(text)
    return 0


def remember(words: tuple[str, ...], args: argparse.Namespace, ctx: Context,
             result: InstallResult, lines: Sequence[str], warned: bool) -> bool:
    """Record how ``pyffin WORDS ARGS`` installed into a fresh environment, if it can be
    repeated so (see the module's docstring); ``lines`` are the messages printed before the
    summary, ``warned`` whether a warning was. Returns whether it recorded."""
    fresh = result.fresh
    if warned or fresh is None or not _recordable(args, ctx, result):
        return False
    try:
        return _remember(words, args, ctx, result, fresh, lines)
    except OSError:
        return False  # a file we cannot stat or a cache we cannot write: nothing remembered


def _remember(words: tuple[str, ...], args: argparse.Namespace, ctx: Context,
              result: InstallResult, fresh: FreshInstall, lines: Sequence[str]) -> bool:
    root = records.recording_root(args.full_argv, ctx)
    key = records.key(_KIND, words, args.full_argv)
    if root is None or key is None:
        return False
    env = result.environment
    interpreter = _interpreter(args.python, os.fspath(env.sys_executable),
                               os.fspath(env.prefix))
    if interpreter is None:
        return False
    paths = [(__file__, True), *((os.path.abspath(s), True) for s in result.sources)]
    if ctx.configuration is not None:
        paths += [(str(path), True) for path in ctx.configuration.files()]
    paths.append((interpreter[1], True))
    stamps = tuple((path, stamp(*path)) for path in paths)
    if not all(settled(value, args.started_ns) for _path, value in stamps):
        return False
    dependencies: list[tuple[str, tuple[int, ...] | None, float | None]] = [
        (str(fresh.resolution_record), _cache_stamp(str(fresh.resolution_record)), None)]
    for dependency in fresh.dependencies:
        path, found, fresh_until = dependency[0], dependency[1], dependency[2]
        dependencies.append((str(path), None if found is None else tuple(found),
                             None if fresh_until is None else float(fresh_until)))
    scheme = env.scheme
    packages = tuple((name, version, os.fspath(fresh.archives[name]), requested)
                     for name, version, requested in _installed(result))
    records.write(root, _DIRECTORY, key, _MAGIC, (
        key, stamps, tuple(dependencies), interpreter, os.path.abspath(ctx.cache_location().root),
        fresh.listings, tuple(os.path.abspath(p) for p in (
            scheme.purelib, scheme.platlib, scheme.scripts, scheme.data, scheme.headers)),
        fresh.launcher, fresh.link_mode, packages, None if args.quiet else tuple(lines),
        result.resolved, tuple(env.version[:2])))
    return True


def _installed(result: InstallResult) -> Iterable[tuple[str, str, bool]]:
    for wanted in result.planned:
        yield wanted.name, wanted.version, wanted.requested


def _recordable(args: argparse.Namespace, ctx: Context, result: InstallResult) -> bool:
    """Whether the run was an ordinary install into a fresh virtual environment, with its
    interpreter named by path, that a replay can repeat word for word."""
    if sys.platform == "win32" or not hasattr(args, "started_ns"):
        return False
    if result.dry_run or result.removed or not result.installed or result.resolved is None:
        return False
    if not result.environment.is_venv or result.environment.directory is not None:
        return False
    if args.verbose or args.no_cache or args.system or args.reinstall or args.reinstall_package:
        return False
    if args.output_format != "text" or args.report or args.strict or args.check:
        return False
    if getattr(args, "upgrade", False) or getattr(args, "upgrade_package", None) \
            or getattr(args, "editable", None):
        return False
    if args.group or args.only_group or args.all_groups:
        return False
    if args.python is None or records.found_on_path(args.python):
        return False
    if not args.quiet and ctx.console.color:
        return False
    if any(w.direct_url is not None for w in result.planned):
        return False
    return bool(result.sources) and records.plain_files(result.sources)


# ------------------------------------------------------------------------------ helpers
def _interpreter(python: str, executable: str, prefix: str
                 ) -> tuple[str, str, str, bytes] | None:
    """``(executable, the interpreter it links to, pyvenv.cfg, its content)`` of a virtual
    environment whose ``bin/python`` is a link (what :mod:`pyffin.interpreter.query` derives
    from the base interpreter's facts) and that ``--python`` names (its root or that
    executable); ``None`` for any other."""
    given = os.path.abspath(os.path.expanduser(python.strip()))
    if given not in (executable, prefix) or not os.path.islink(executable):
        return None
    config = os.path.join(prefix, "pyvenv.cfg")
    try:
        with open(config, "rb") as file:
            content = file.read()
    except OSError:
        return None
    return executable, os.path.realpath(executable), config, content


def _same_interpreter(recorded: tuple[str, str, str, bytes]) -> bool:
    executable, real, config, content = recorded
    if not os.path.islink(executable) or os.path.realpath(executable) != real:
        return False
    try:
        with open(config, "rb") as file:
            return bool(file.read() == content)
    except OSError:
        return False


def _cache_stamp(path: str) -> tuple[int, int, int] | None:
    """:func:`pyffin.cache.fs.stamp` (whose module costs more to import than this replay)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _dependencies_hold(dependencies: Iterable[tuple[str, object, float | None]]) -> bool:
    """Whether every cache entry is unchanged and, for a stored response, still fresh."""
    import time

    now = time.time()
    for path, found, fresh_until in dependencies:
        current = _cache_stamp(path)
        if (None if found is None else tuple(found)) != current:  # type: ignore[arg-type]
            return False
        if fresh_until is not None and now >= fresh_until:
            return False
    return True


def _listings(recorded: dict[str, list[str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for directory in recorded:
        try:
            found[directory] = sorted(os.listdir(directory))
        except (FileNotFoundError, NotADirectoryError):
            found[directory] = []
    return found


def _try_lock(path: str, *, shared: bool, create: bool) -> int | None:
    """The lock file at ``path`` (made if ``create``), taken without waiting; its descriptor,
    or ``None`` when it is held or cannot be opened. The same ``flock`` as
    :class:`pyffin.cache.lock.FileLock`'s, without importing the cache package."""
    import fcntl

    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | (os.O_CREAT if create else 0), 0o666)
    except OSError:
        return None
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _install(scheme: tuple[str, ...], launcher: str, link_mode: str,
             packages: tuple[tuple[str, str, str, bool], ...],
             python_version: tuple[int, ...]) -> bool:
    """Install the unzipped wheels, checked first; whether it all went in (``False``:
    nothing, or only part of it, did: the usual path takes over)."""
    from pyffin.errors import PyffinError
    from pyffin.installer.link import prepare_wheel, warn_replaced

    paths = _Scheme(*scheme)
    ordered = sorted(packages)
    # Checked on this thread alone, all before the first link: checking while another thread
    # links measured slower (the check's Python keeps the GIL that the linking thread needs
    # between its system calls), and checking on two threads no faster.
    try:
        prepared = [(prepare_wheel(archive, paths, python=launcher,  # type: ignore[arg-type]
                                   link_mode=link_mode,  # type: ignore[arg-type]
                                   python_version=python_version), requested)
                    for _, _, archive, requested in ordered]
    except (PyffinError, OSError):
        return False
    shares = _shares([wheel.weight for wheel, _ in prepared]) if _may_fork() else None
    if shares is None:
        replaced = _link_in_threads(prepared)
    else:
        replaced = _link_in_two_processes(prepared, *shares)
    if replaced is None:
        return False
    warn_replaced(paths, replaced)  # type: ignore[arg-type]
    return True


def _link_in_threads(prepared: Sequence[tuple[PreparedWheel, bool]]
                     ) -> list[ReplacedFiles] | None:
    """Link the wheels on :data:`_INSTALL_THREADS` threads; the files each replaced, or
    ``None`` when one failed (the others stop after their wheel)."""
    from pyffin.errors import PyffinError

    replaced: list[ReplacedFiles] = []
    failed: list[BaseException] = []
    pending = iter(prepared)

    def work() -> None:
        # Linking is mostly mkdir and link calls, which release the GIL: wheels go in side
        # by side, as in pyffin.api.operations.prepare_and_install.
        for wheel, requested in pending:
            if failed:
                return
            try:
                wheel.link(requested=requested, replaced=replaced)
            except BaseException as e:  # told to the caller below
                failed.append(e)
                return

    import threading

    threads = [threading.Thread(target=work, daemon=True) for _ in range(_INSTALL_THREADS - 1)]
    for thread in threads:
        thread.start()
    try:
        work()
    except KeyboardInterrupt:
        failed.append(KeyboardInterrupt())  # the other threads stop after their wheel
        raise
    finally:
        for thread in threads:
            thread.join()
    if failed:
        if not isinstance(failed[0], (PyffinError, OSError)):
            raise failed[0]
        return None
    return replaced


# A batch worth linking in two processes: two threads share one GIL, and every mkdir or link
# call of one hands it to the other and back (measured: 5 to 15% more CPU than one thread, and
# far from twice as fast); a forked process links its share on its own. Forking costs a few
# milliseconds, more than sharing out a small batch gains.
def _may_fork() -> bool:
    """Whether this process can fork safely: on Linux, with no other thread running (a
    thread holding a lock at the fork would leave it held in the child for ever)."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def _shares(weights: Sequence[int]) -> tuple[list[int], list[int]] | None:
    """The indexes of the wheels this process links and of those a forked one does, in
    order, the heaviest first given to the lighter share; ``None`` for a batch too light to
    be worth a second process (below :data:`_FORK_WEIGHT`) or of a single wheel."""
    if len(weights) < 2 or sum(weights) < _FORK_WEIGHT:
        return None
    shares: tuple[list[int], list[int]] = ([], [])
    loads = [0, 0]
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        lighter = 0 if loads[0] <= loads[1] else 1
        shares[lighter].append(i)
        loads[lighter] += weights[i]
    return sorted(shares[0]), sorted(shares[1])


def _link_in_two_processes(prepared: Sequence[tuple[PreparedWheel, bool]],
                           mine: Sequence[int], theirs: Sequence[int]
                           ) -> list[ReplacedFiles] | None:
    """Link the wheels ``mine`` here and ``theirs`` in a forked process (which holds the
    locks this one holds, as their descriptors are shared), and wait for it; the files
    each replaced, or ``None`` when a wheel failed (the usual path takes over)."""
    import marshal

    from pyffin import log
    from pyffin.errors import PyffinError
    from pyffin.installer.link import ReplacedFiles

    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to be had (a limit, memory): the threads do it all
        os.close(read_end)
        os.close(write_end)
        return _link_in_threads(prepared)
    if pid == 0:
        os.close(read_end)
        _child([prepared[i] for i in theirs], write_end)  # never returns
    os.close(write_end)
    replaced: list[ReplacedFiles] = []
    ok = False
    try:
        for i in mine:
            wheel, requested = prepared[i]
            wheel.link(requested=requested, replaced=replaced)
        ok = True
    except (PyffinError, OSError):
        pass
    finally:  # interrupted or not, the child is waited for: the locks are held till it ends
        chunks = []
        while chunk := os.read(read_end, 1 << 16):
            chunks.append(chunk)
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    try:
        outcome, theirs_replaced, messages = marshal.loads(b"".join(chunks))
    except (EOFError, ValueError, TypeError):  # it died before telling (killed)
        return None
    for level, message in messages:
        log.emit(level, message)
    if outcome == _UNEXPECTED:
        raise RuntimeError(f"linking in a second process failed:\n{theirs_replaced}")
    if not ok or status != 0 or outcome != _DONE:
        return None
    replaced += [ReplacedFiles(label, dist_info, tuple(paths))
                 for label, dist_info, paths in theirs_replaced]
    return replaced


_DONE, _FAILED, _INTERRUPTED, _UNEXPECTED = range(4)


def _child(prepared: Sequence[tuple[PreparedWheel, bool]], report: int) -> NoReturn:
    """The forked process: link ``prepared``, write what came of it to the pipe ``report``
    (the outcome, the files replaced, the messages to show: this process prints nothing),
    and end without running anything of the parent's (exit handlers, buffered output)."""
    code = 1
    try:
        import marshal

        from pyffin import log
        from pyffin.errors import PyffinError

        messages: list[tuple[int, str]] = []
        log.configure(lambda level, message: messages.append((level, message)), log.DEBUG)
        replaced: list[ReplacedFiles] = []
        found: list[tuple[str, str, list[str]]] | str = []
        try:
            for wheel, requested in prepared:
                wheel.link(requested=requested, replaced=replaced)
            outcome = _DONE
            found = [(r.label, r.dist_info, list(r.paths)) for r in replaced]
        except (PyffinError, OSError):
            outcome = _FAILED
        except KeyboardInterrupt:
            outcome = _INTERRUPTED
        except BaseException:
            import traceback

            outcome, found = _UNEXPECTED, traceback.format_exc()
        view = memoryview(marshal.dumps((outcome, found, messages)))
        while view:
            view = view[os.write(report, view):]
        code = 0
    finally:
        os._exit(code)


class _Scheme:
    """The directories of :class:`pyffin.interpreter.scheme.Scheme` (whose package costs
    more to import than linking a small set of wheels), as the linker reads them."""

    __slots__ = ("data", "headers", "platlib", "purelib", "scripts")

    def __init__(self, purelib: str, platlib: str, scripts: str, data: str,
                 headers: str) -> None:
        self.purelib = purelib
        self.platlib = platlib
        self.scripts = scripts
        self.data = data
        self.headers = headers


#: As :data:`pyffin.api.operations.INSTALL_THREADS` (a test keeps them equal).
_INSTALL_THREADS = 2
#: The least :attr:`pyffin.installer.link.PreparedWheel.weight` of a batch linked in two
#: processes (a set of ten wheels weighs about 700, fifty 14,000).
_FORK_WEIGHT = 2000
