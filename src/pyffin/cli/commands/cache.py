"""``pyffin cache dir|clean|prune|size|verify``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from pyffin.cli.command import Command, Context
from pyffin.cli.console import format_bytes
from pyffin.errors import UsageError


def _shown(root: os.PathLike[str]) -> str:
    """The cache's directory as uv names it: relative to the working directory inside it."""
    from pyffin.requirements.types import shown_path

    return shown_path(os.fspath(root))


def _configure_dir(parser: argparse.ArgumentParser) -> None:
    pass


def _run_dir(args: argparse.Namespace, ctx: Context) -> int:
    ctx.console.out(str(ctx.cache_location().root))
    return 0


def _configure_clean(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="*", metavar="PACKAGE",
                        help="Remove only these packages' entries (default: everything)")
    _add_force(parser)


def _run_clean(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.cache import maintenance

    cache = ctx.cache_location()
    console = ctx.console
    if not cache.root.is_dir():
        console.note(f"No cache found at: {_shown(cache.root)}")
        return 0
    for name in args.packages:
        _check_name(name)
    lock = cache.exclusive_lock(force=args.force)
    try:
        if not args.packages:
            console.note(f"Clearing cache at: {_shown(cache.root)}")
            usage = maintenance.clean_all(cache)
            console.note(f"Removed {_files(usage.files)} ({format_bytes(usage.bytes)})")
            foreign = maintenance.foreign_entries(cache)
            if foreign:
                shown = ", ".join(p.name for p in foreign[:5]) + (", ..." if len(foreign) > 5
                                                                  else "")
                console.warn(f"Left {len(foreign)} entries that are not pyffin's in "
                             f"{cache.root}: {shown}")
            return 0
        for name in args.packages:
            usage = maintenance.clean_package(cache, name)
            if usage.files:
                console.note(f"Removed {_files(usage.files)} for {name} "
                             f"({format_bytes(usage.bytes)})")
            else:
                console.note(f"No cache entries found for {name}")
    finally:
        if lock is not None:
            lock.release()
    return 0


def _configure_prune(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ci", action="store_true",
                        help="Also remove downloaded wheels, keeping the wheels built from "
                             "source: the cache to save between CI runs")
    _add_force(parser)


def _run_prune(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.cache import maintenance

    cache = ctx.cache_location()
    console = ctx.console
    if not cache.root.is_dir():
        console.note(f"No cache found at: {_shown(cache.root)}")
        return 0
    lock = cache.exclusive_lock(force=args.force)
    try:
        console.note(f"Pruning cache at: {_shown(cache.root)}")
        usage = maintenance.prune(cache, ci=args.ci)
    finally:
        if lock is not None:
            lock.release()
    if usage.files:
        console.note(f"Removed {_files(usage.files)} ({format_bytes(usage.bytes)})")
    else:
        console.note("No unused entries found")
    return 0


def _configure_size(parser: argparse.ArgumentParser) -> None:
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--output-format", choices=("auto", "human", "machine"),
                       default="auto",
                       help="auto (default): human-readable on a terminal, bytes otherwise")
    shown.add_argument("-H", "--human", "--human-readable", action="store_true",
                       help="Print the size human-readable (1.2GiB), not in bytes")
    shown.add_argument("--bytes", action="store_true", help=argparse.SUPPRESS)


def _run_size(args: argparse.Namespace, ctx: Context) -> int:
    """The space the cache takes on disk, as ``uv cache size`` prints it."""
    from pyffin.cache import maintenance

    if args.human:
        human = True
    elif args.bytes:
        human = False
    else:
        isatty = getattr(ctx.console.stdout, "isatty", None)
        human = {"human": True, "machine": False}.get(
            args.output_format, bool(isatty and isatty()))
    total = maintenance.disk_usage(ctx.cache_location())
    ctx.console.out(format_bytes(total) if human else str(total))
    return 0


def _configure_verify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repair", action="store_true",
                        help="Remove what is broken (waits until no other pyffin process uses "
                             "the cache); later commands fetch it again")


def _run_verify(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.cache import maintenance
    from pyffin.distribution.unzip import check_unzipped

    cache = ctx.cache_location()
    console = ctx.console
    if not cache.root.is_dir():
        console.note(f"No cache found at: {_shown(cache.root)}")
        return 0
    # Checking shares the cache with running commands (the shared lock, released when the
    # command ends); repairing waits for them to finish.
    lock = cache.exclusive_lock() if args.repair else None
    if lock is None:
        cache.init()
    try:
        console.note(f"Verifying cache at: {_shown(cache.root)}")
        found = maintenance.verify(cache, check_unzipped)
        for problem in found.problems:
            console.warn(f"{problem.path}: {problem.reason}")
        console.note(f"Checked {_count(found.records, 'record')} and "
                     f"{_count(found.archives, 'unzipped wheel')}")
        if found.unreferenced:
            console.note(f"{_count(found.unreferenced, 'unzipped wheel')} no longer used "
                         "(`pyffin cache prune` removes them)")
        if not found.problems:
            console.note("No problems found")
            return 0
        if not args.repair:
            console.note(f"Found {_count(len(found.problems), 'problem')}; run "
                         "`pyffin cache verify --repair` to remove what is broken")
            return 1
        usage = maintenance.repair(found.problems)
        console.note(f"Removed {_files(usage.files)} ({format_bytes(usage.bytes)}) to repair "
                     f"{_count(len(found.problems), 'problem')}")
        return 0
    finally:
        if lock is not None:
            lock.release()


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="Do not wait for other pyffin processes using the cache")


def _check_name(name: str) -> None:
    from pyffin.models.names import checked_name

    try:
        checked_name(name)
    except ValueError:
        raise UsageError(f"invalid package name {name!r}: expected a project name such as "
                         "'requests'") from None


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _uv_globals(configure: Callable[[argparse.ArgumentParser], None],
                ) -> Callable[[argparse.ArgumentParser], None]:
    """``configure``, and the network and Python discovery options, which uv takes on every
    command: accepted, to no effect (a cache command makes no request and looks for no
    interpreter), so that a script passing them everywhere carries over."""
    from pyffin.cli.options import add_no_network_options, add_python_options

    def configured(parser: argparse.ArgumentParser) -> None:
        configure(parser)
        add_no_network_options(parser)
        add_python_options(parser.add_argument_group(
            "Python options (this command looks for no interpreter; accepted for uv's)"))

    return configured


DIR = Command(_uv_globals(_configure_dir), _run_dir,
              "Print the path of pyffin's cache directory.")
CLEAN = Command(
    _uv_globals(_configure_clean), _run_clean,
    "Remove every entry of the cache, or the entries of the given packages. Waits until no other "
    "pyffin process uses the cache, unless --force is given.",
)
PRUNE = Command(
    _uv_globals(_configure_prune), _run_prune,
    "Remove what no command can use any more: unzipped wheels nothing points to, buckets of old "
    "format versions, build environments and temporary files left by interrupted runs. With "
    "--ci, also every downloaded wheel (quicker to download again than to restore in CI), "
    "keeping the wheels built from source.",
)
SIZE = Command(_uv_globals(_configure_size), _run_size,
               "Print the space the cache takes on disk: in bytes, or human-readable with -H "
               "(the default on a terminal).")
VERIFY = Command(
    _uv_globals(_configure_verify), _run_verify,
    "Check that every record of the cache decodes and that every unzipped wheel holds exactly "
    "the files its RECORD lists, with their hashes. Exit status 1 when something is broken; "
    "--repair removes it (later commands fetch it again) and waits until no other pyffin "
    "process uses the cache.",
)
