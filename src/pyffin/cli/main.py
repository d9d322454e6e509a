"""Entry point of the ``pyffin`` command: global options, dispatch, errors and exit codes.

Exit status: 0 on success, 1 when a command fails, 2 for a usage error (bad flags or arguments)
or an unexpected exception (a bug, said as such, with where it happened), 130 when interrupted
(Ctrl-C), 128 + N for signal N (SIGTERM). Errors are one line (``error: ...``); ``-v`` adds their
causes, and for an unexpected exception the traceback.
"""

from __future__ import annotations

import os
import sys
import time

from pyffin._version import __version__
from pyffin.cli import registry

# Nothing else at import time: ``pyffin --version`` and the help of ``pyffin`` and its groups
# run on this module and the registry alone; the rest is imported by what needs it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any

    from pyffin.cli.command import Command
    from pyffin.cli.config import Bound
    from pyffin.cli.console import Console

#: What ``--version`` prints.
VERSION = f"pyffin {__version__}"


def _split_command(argv: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """Find the command words in ``argv``; return them and the remaining arguments."""
    words: list[str] = []
    rest: list[str] = []
    expect_value = False
    for i, arg in enumerate(argv):
        if expect_value:
            rest.append(arg)
            expect_value = False
            continue
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg.startswith("-"):
            rest.append(arg)
            expect_value = arg in registry.VALUE_OPTIONS
            continue
        candidate = (*words, arg)
        if candidate in registry.COMMANDS:
            words.append(arg)
            rest.extend(argv[i + 1:])
            break
        if not words and arg in registry.GROUPS:
            words.append(arg)
            continue
        rest.extend(argv[i:])
        break
    return tuple(words), rest


def main(argv: Sequence[str] | None = None, *, code_bundle: bool = False) -> int:
    """Run the ``pyffin`` command line with ``argv`` (default: ``sys.argv[1:]``);
    ``code_bundle``: import the command's modules through :mod:`pyffin.cli.code_bundle`
    (the process's entry point alone: it installs an import hook for the process's life)."""
    started_ns = time.time_ns()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:
        sys.stdout.write(VERSION + "\n")
        return 0
    directory = _directory(args_list)
    if directory is None:
        return _main(args_list, started_ns, code_bundle)
    # uv's --directory: the command runs there, before anything reads a path (the cache's, a
    # configuration file's, a requirements file's); a caller that goes on gets its own back.
    previous = None
    if not OWNS_PROCESS:
        try:
            previous = os.getcwd()
        except OSError:  # the caller's own was removed: there is nothing to return to
            previous = None
    try:
        os.chdir(directory)
    except OSError as e:
        from pyffin.cli.console import Console

        Console().error(f"cannot change to the directory {directory}: "
                        f"{e.strerror or e}")
        return 2
    try:
        return _main(args_list, started_ns, code_bundle)
    finally:
        if previous is not None:
            os.chdir(previous)


def _directory(args_list: Sequence[str]) -> str | None:
    """The value of ``--directory`` on the command line (the last one), ``None`` when none is
    given before ``--`` (or it lacks its value: the parser says so)."""
    found = None
    for i, arg in enumerate(args_list):
        if arg == "--":
            break
        if arg == "--directory":
            found = args_list[i + 1] if i + 1 < len(args_list) else None
        elif arg.startswith("--directory="):
            found = arg.partition("=")[2]
    return found


def _main(args_list: list[str], started_ns: int, code_bundle: bool) -> int:
    words, rest = _split_command(args_list)
    if words in _REPLAYABLE:
        from pyffin.cli import noop

        code = noop.replay(words, args_list, started_ns, code_bundle=code_bundle)
        if code is not None:
            return code
    elif words == ("pip", "compile"):
        from pyffin.cli import recompile

        code = recompile.replay(words, args_list, started_ns)
        if code is not None:
            return code

    if code_bundle and words in registry.COMMANDS:  # not for help: the table alone answers
        # After the replays: a replay imports a few modules, each fewer than the bundle costs
        # to read (~3M instructions); an install replayed into a new environment reads it.
        from pyffin.cli import code_bundle as bundle

        bundle.activate_for_command()
    if words not in registry.COMMANDS:
        return _no_command(words, rest)
    _import_pathlib()
    if words in _RESOLVING and OWNS_PROCESS:
        _prestart_page_workers(args_list)
    found = None
    if words in _PARSED:
        from pyffin.cli import parsed

        found = parsed.load(words, rest)
    if found is not None:
        command, args, bound = found
    else:
        command, parser, bound = command_parser(words)
        args = parser.parse_args(rest)
        if words in _PARSED:
            parsed.remember(words, rest, args, bound)
    args.argv = rest  # the command's own arguments, e.g. for the header of compiled output
    args.full_argv = args_list
    args.started_ns = started_ns
    return _run(command, args, bound)


#: Whether the command owns its process (:func:`run`, the ``pyffin`` script): then its
#: sessions may fork helpers (see :attr:`pyffin.api.session.Session.page_workers_allowed`); not
#: when :func:`main` is called by a program that goes on.
OWNS_PROCESS = False


def run() -> None:
    """The process's entry point (the ``pyffin`` script, ``python -m pyffin``): :func:`main`,
    then :func:`exit_now`. Not for callers in a process that goes on (tests, the Python API)."""
    import gc

    # A cold resolution keeps millions of objects (pages, rows, versions) alive to the end:
    # with the default thresholds the cyclic collector walks all of them again and again
    # (about a fifth of a cold compile's CPU). Collections still happen, only far less often.
    gc.set_threshold(50_000, 20, 20)
    global OWNS_PROCESS
    OWNS_PROCESS = True
    code = main(code_bundle=True)
    bundle = sys.modules.get("pyffin.cli.code_bundle")
    if bundle is not None:
        bundle.save()
    exit_now(code)


def exit_now(code: int) -> None:
    """End the process with ``code`` once the output is out and the exit handlers ran (a
    temporary cache is removed), without the interpreter's teardown: freeing every object
    one by one (and a last full collection) takes longer than a warm command's whole work, and
    a cold compile's tenth. The usual exit when that could lose something: a non-daemon thread
    still running (it is waited for), or output that cannot be flushed (it is reported)."""
    # A thread is started through threading: if it was never imported, none runs (and importing
    # it here would cost a command that started none ~4M instructions).
    threading = sys.modules.get("threading")
    if threading is not None:
        main_thread = threading.main_thread()
        if any(t is not main_thread and not t.daemon and t.is_alive()
               for t in threading.enumerate()):
            sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


#: Commands that resolve, whose page workers may be forked as they start
#: (:func:`_prestart_page_workers`).
_RESOLVING = (("pip", "compile"), ("pip", "install"), ("pip", "sync"))

#: Commands whose parsed command line is kept (:mod:`pyffin.cli.parsed`).
_PARSED = (("pip", "compile"),)

#: Commands a repeated no-op of which is answered from a record (:mod:`pyffin.cli.noop`);
#: a repeated ``pip compile`` is too (:mod:`pyffin.cli.recompile`).
_REPLAYABLE = (("pip", "install"), ("pip", "sync"))


def _prestart_page_workers(argv: Sequence[str]) -> None:
    """On a cache that holds no index page (the one the command line names, or the default),
    fork the first page worker before anything else (see
    :func:`pyffin.resolver.page_worker.prestart`)."""
    if sys.platform != "linux" or any(arg in ("--offline", "-h", "--help") for arg in argv):
        return
    from pyffin.cli.replay import cache_root

    root = cache_root(argv)
    if root is None:
        return
    from pyffin.cache import CacheBucket

    pages = os.path.join(root, CacheBucket.SIMPLE.dirname)
    if os.path.isdir(pages) and os.environ.get("PYFFIN_PAGE_WORKERS_ALWAYS") != "1":
        return
    from pyffin.resolver import page_worker

    # The worker's imports go into the code bundle too (this process never makes them).
    bundle = sys.modules.get("pyffin.cli.code_bundle")
    page_worker.prestart(root, None if bundle is None else bundle.save)


def _import_pathlib() -> None:
    """Import :mod:`pathlib` (every command uses it) without :mod:`urllib.parse`, which it
    imports for ``Path.as_uri`` alone and which imports :mod:`ipaddress`: ~1 ms, 2% of a warm
    compile, that uses neither. For the length of the import, ``urllib.parse`` is a stand-in
    whose ``quote_from_bytes`` calls the real one; then it is gone, and whoever imports
    ``urllib.parse`` gets the real module. A ``pathlib`` that wants more of it is imported
    after, as usual."""
    if "pathlib" in sys.modules or "urllib.parse" in sys.modules:
        return
    stand_in = type(sys)("urllib.parse")

    def quote_from_bytes(*args: Any, **kwargs: Any) -> Any:
        from urllib.parse import quote_from_bytes

        return quote_from_bytes(*args, **kwargs)

    stand_in.quote_from_bytes = quote_from_bytes  # type: ignore[attr-defined]
    sys.modules["urllib.parse"] = stand_in
    try:
        import pathlib  # noqa: F401
    except ImportError:  # another Python's pathlib: it is imported as usual when needed
        pass
    finally:
        if sys.modules.get("urllib.parse") is stand_in:
            del sys.modules["urllib.parse"]


def command_parser(words: tuple[str, ...]) -> tuple[Command, argparse.ArgumentParser, Bound]:
    """The command ``words`` names (its module imported now), its argument parser, and its
    options that have configuration twins."""
    from pyffin.cli import parser

    return parser.command_parser(words)


def _no_command(words: tuple[str, ...], rest: list[str]) -> int:
    """``pyffin``, ``pyffin --help``, ``pyffin <group>`` or an unknown command."""
    group = words[0] if words else None
    if rest in ([], ["--help"], ["-h"]):
        from pyffin.cli import help

        text = help.render(group)
        if text is not None:
            # As argparse: asked for, the help goes to stdout; else it is a usage error.
            (sys.stdout if rest else sys.stderr).write(text)
            return 0 if rest else 2
    from pyffin.cli.parser import top_parser

    if group is not None:
        summaries = {name: spec.summary for name, spec in registry.subcommands(group).items()}
        parser = top_parser(f"pyffin {group}", summaries, registry.GROUPS[group])
    else:
        parser = top_parser(
            "pyffin", registry.top_level(),
            f"pyffin {__version__}: a fast Python package resolver and installer.",
        )
    args = parser.parse_args(rest)
    if args.command is not None:
        known = ", ".join(sorted(registry.subcommands(group) if group else registry.top_level()))
        parser.error(f"unrecognized command {args.command!r} (expected one of: {known})")
    parser.print_help(sys.stderr)
    return 2


def _project(value: str | None) -> Path | None:
    """uv's ``--project DIR``: where configuration files are looked for from (``None``: the
    working directory)."""
    if value is None:
        return None
    from pathlib import Path

    from pyffin.errors import UsageError

    path = Path(value)
    if not path.exists():
        raise UsageError(f"project directory {value} does not exist")
    if not path.is_dir():
        raise UsageError(f"project path {value} is not a directory")
    return path.absolute()


def _run(command: Command, args: argparse.Namespace, bound: Bound) -> int:
    from pyffin import log
    from pyffin.cli.command import Context
    from pyffin.cli.config import apply
    from pyffin.cli.console import Console
    from pyffin.errors import PyffinError
    from pyffin.settings import Configuration

    console = Console(quiet=args.quiet, verbose=args.verbose, color=args.color)
    log.configure(console.sink, console.log_level)
    context: Context | None = None
    stopped_after_error = False
    restore_signals = _stop_everything_on_signals()
    try:
        configuration = Configuration(
            no_config=args.no_config,
            config_file=args.config_file or os.environ.get("PYFFIN_CONFIG_FILE") or None,
            cwd=_project(args.project))
        apply(args, bound, configuration)
        console.progress = not args.no_progress
        context = Context(console, cache_dir=args.cache_dir, no_cache=args.no_cache,
                          no_config=configuration.no_config, configuration=configuration)
        code = command.run(args, context)
        sys.stdout.flush()  # here, so a reader that went away is noticed below
        return code
    except PyffinError as e:
        from pyffin.resolver.errors import NoSolutionError

        if isinstance(e, NoSolutionError):  # the derivation is the cause, as uv says it
            where = f" for {e.split}" if e.split else ""
            console.error(f"No solution found when resolving dependencies{where}",
                          causes=[e.explanation], hints=e.hints)
        else:
            console.error(e.message, causes=_causes(e) if args.verbose else None, hint=e.hint)
        # What still runs for the command (a wheel fetched early, a build) is of no use now:
        # stopped as Ctrl-C stops it, so that its temporary directories do not outlive it.
        from pyffin.interrupt import interrupt

        interrupt()
        stopped_after_error = True
        return e.exit_code
    except KeyboardInterrupt:
        from pyffin.interrupt import interrupt

        interrupt()  # also when it was not the signal handler's (a library's own handler)
        console.error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (``pyffin pip freeze | head``): it has what it wanted, so this
        # is a success, as for uv.
        _silence_stdout()
        return 0
    except OSError as e:
        # Not a bug when what vanished was in the cache: another process cleaned it.
        changed = (context.cache_changed(e) if context is not None
                   and isinstance(e, FileNotFoundError) else None)
        if changed is not None:
            console.error(changed.message, causes=_causes(changed) if args.verbose else None,
                          hint=changed.hint)
            return changed.exit_code
        # Else the system refused something pyffin did not expect to fail.
        if args.verbose:
            import traceback

            traceback.print_exc()
        console.error(_os_error(e), hint=None if args.verbose else
                      "run again with -v for the traceback")
        return 2
    except Exception as e:  # a bug: say so in one line, the traceback only with -v
        return _crashed(console, e, args.verbose)
    finally:
        from pyffin.interrupt import interrupted, reset

        if interrupted():
            _wind_down()
            if stopped_after_error:
                reset()  # no Ctrl-C: what runs this command in its process goes on
        if context is not None:
            context.close()
        restore_signals()


def _wind_down() -> None:
    """After Ctrl-C: give the threads a moment to stop (their children are killed, their
    downloads stop at the next chunk) and clean up after them, then remove what they left."""
    from pyffin import log
    from pyffin.futures import wait_for_pools
    from pyffin.interrupt import clean_up

    if not wait_for_pools(_WIND_DOWN_SECONDS):
        log.debug("Some work did not stop in time; leaving it behind")
    clean_up()


#: How long an interrupted command waits for its threads to stop.
_WIND_DOWN_SECONDS = 1.0


def _unexpected(error: BaseException) -> str:
    """An unexpected exception in one line that says what and where: ``KeyError: 'x' (at
    pyffin/resolver/provider.py:120, in versions)``."""
    text = str(error)
    what = f"{type(error).__name__}: {text}" if text else type(error).__name__
    tb = error.__traceback__
    if tb is None:
        return what
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    filename = code.co_filename.replace(os.sep, "/")
    marker = filename.rfind("/pyffin/")
    where = filename[marker + 1:] if marker >= 0 else filename
    return f"{what} (at {where}:{tb.tb_lineno}, in {code.co_name})"


def _os_error(error: OSError) -> str:
    """``Permission denied: /path`` rather than ``[Errno 13] Permission denied: '/path'``."""
    message = error.strerror or str(error) or type(error).__name__
    paths = [p for p in (error.filename, error.filename2) if p is not None]
    if paths:
        message += ": " + " -> ".join(os.fsdecode(p) for p in paths)
    return message


def _crashed(console: Console, e: Exception, verbose: int) -> int:
    """A bug: said in one line that says what and where, the traceback only with ``-v``."""
    if verbose:
        import traceback

        traceback.print_exc()
    console.error(f"pyffin crashed: {_unexpected(e)}",
                  hint="this is a bug; run again with -v for the traceback and report it")
    return 2


def _causes(error: BaseException) -> list[str]:
    """The texts of the errors ``error`` came from (``-v``), as a traceback would chain them
    (``raise ... from None`` ends the chain), leaving out those that say again what was said
    (an error re-raised with its hint: its text is the message, then the hint)."""
    causes: list[str] = []
    seen: set[int] = {id(error)}
    said = [str(getattr(error, "message", "") or error)]
    current = _cause(error)
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current) or type(current).__name__
        if not any(text.startswith(earlier) for earlier in said if earlier):
            causes.append(text)
        said.append(text)
        current = _cause(current)
    return causes


def _cause(error: BaseException) -> BaseException | None:
    if error.__cause__ is not None or error.__suppress_context__:
        return error.__cause__
    return error.__context__


def _stop_everything_on_signals() -> Callable[[], None]:
    """Ctrl-C and SIGTERM stop the work of every thread and kill every child process (see
    :mod:`pyffin.interrupt`), then raise ``KeyboardInterrupt`` (exit 130) or ``SystemExit``
    (128 + the signal) in the main thread, so that ``finally`` blocks (lock release, removal
    of a ``--no-cache`` directory) run. Returns what puts the previous handlers back (pyffin
    may run inside another program)."""
    try:  # the C module alone: :mod:`signal` makes its enums at import (~0.5 ms a command)
        import _signal as signal  # type: ignore[import-not-found]
    except ImportError:  # another Python
        import signal

    from pyffin.interrupt import interrupt, reset

    reset()  # an interruption of an earlier command in this process is over

    def on_sigint(signum: int, frame: object) -> None:
        interrupt()
        raise KeyboardInterrupt

    def on_sigterm(signum: int, frame: object) -> None:
        interrupt()
        raise SystemExit(128 + signum)

    previous: dict[int, Any] = {}
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not ignored
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, on_sigint)
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread (pyffin called from a library user's thread)
        pass

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
