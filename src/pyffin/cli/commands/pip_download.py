"""``pyffin pip download`` and ``pyffin pip wheel``: pip's commands, over pyffin's resolver
and cache."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from pyffin.cli.command import Command, Context
from pyffin.cli.options import (
    add_build_options,
    add_cache_options,
    add_index_options,
    add_resolution_options,
    build_options,
    session,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pyffin.api.download import DownloadResult
    from pyffin.api.operations import ResolveOptions


def _inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="*", metavar="PACKAGE",
                        help="Requirements (PEP 508), URLs, local archives or project "
                             "directories")
    parser.add_argument("-r", "--requirement", "--requirements", action="append", default=[],
                        metavar="FILE",
                        help="The requirements in FILE (a requirements file, pyproject.toml, "
                             "setup.py, setup.cfg, a PEP 723 script, or - for standard input)")
    parser.add_argument("-c", "--constraint", "--constraints", action="append", default=[],
                        metavar="FILE", help="Constrain versions with the requirements in FILE")
    parser.add_argument("--override", "--overrides", action="append", default=[],
                        metavar="FILE",
                        help="Override dependency versions with the requirements in FILE")
    parser.add_argument("--no-deps", action="store_true",
                        help="Only the given requirements, not their dependencies")
    parser.add_argument("-p", "--python", metavar="PYTHON",
                        help="The interpreter to resolve for and build with (default: the "
                             "active or nearest virtual environment, else python3 on PATH)")
    parser.add_argument("--require-hashes", action="store_true",
                        help="Require a matching --hash for every package (pip's "
                             "hash-checking mode; on by itself when a requirement has --hash)")


def _configure_download(parser: argparse.ArgumentParser) -> None:
    _inputs(parser)
    parser.add_argument("-d", "--dest", "--destination-dir", "--destination-directory",
                        dest="dest", default=".", metavar="DIR",
                        help="Save the files into DIR (default: the current directory)")
    target = parser.add_argument_group("Target options (pip's)")
    target.add_argument("--platform", action="append", default=[], metavar="PLATFORM",
                        help="Only wheels for this platform tag (manylinux2014_x86_64, "
                             "win_amd64, macosx_11_0_arm64...; repeatable). Needs --no-deps "
                             "or --only-binary=:all:, as do the three below")
    target.add_argument("--python-version", metavar="VERSION",
                        help="Resolve for this Python version (3, 3.12, 312 or 3.12.1)")
    target.add_argument("--implementation", metavar="IMPL",
                        help="Only wheels for this implementation: cp, pp, ... (py: "
                             "implementation-agnostic wheels)")
    target.add_argument("--abi", action="append", default=[], metavar="ABI",
                        help="Only wheels for this ABI tag (cp312, abi3, none...; repeatable)")
    add_resolution_options(parser)
    add_build_options(parser)
    add_index_options(parser)
    add_cache_options(parser)


def _configure_wheel(parser: argparse.ArgumentParser) -> None:
    _inputs(parser)
    parser.add_argument("-w", "--wheel-dir", default=".", metavar="DIR",
                        help="Save the wheels into DIR (default: the current directory)")
    add_resolution_options(parser)
    add_build_options(parser)
    add_index_options(parser)
    add_cache_options(parser)


def _resolve_options(args: argparse.Namespace) -> ResolveOptions:
    from pyffin.api.operations import ResolveOptions
    from pyffin.errors import UsageError

    if args.pre and args.prerelease not in (None, "allow") \
            and "prerelease" not in args.setting_origins:
        raise UsageError("--pre conflicts with --prerelease " + args.prerelease)
    return ResolveOptions(resolution=args.resolution,
                          prerelease="allow" if args.pre else args.prerelease,
                          exclude_newer=args.exclude_newer,
                          exclude_newer_packages=tuple(args.exclude_newer_package),
                          only_binary=tuple(args.only_binary),
                          no_binary=tuple(args.no_binary), no_build=args.no_build)


def _run_download(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.api.download import check_dist_restriction, download

    # Before anything is read or fetched, as pip.
    check_dist_restriction(platforms=args.platform, python_version=args.python_version,
                           implementation=args.implementation, abis=args.abi,
                           no_deps=args.no_deps, only_binary=args.only_binary,
                           no_binary=args.no_binary)
    _check_inputs(args)
    from pyffin.cli.progress import DownloadProgress

    progress = DownloadProgress(ctx.console)
    try:
        result = download(
            args.requirement, dest=args.dest, requirements=args.packages,
            constraints=args.constraint, overrides=args.override, session=session(args, ctx),
            python=args.python, platforms=args.platform, python_version=args.python_version,
            implementation=args.implementation, abis=args.abi, no_deps=args.no_deps,
            resolve_options=_resolve_options(args), require_hashes=args.require_hashes,
            build=build_options(args), reporter=progress, stdin=sys.stdin)
    finally:
        progress.finish()
    _report(ctx, result)
    names = " ".join(f.name for f in result.files)
    ctx.console.note(f"Successfully downloaded {names}")
    return 0


def _run_wheel(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.api.download import wheel

    _check_inputs(args)
    from pyffin.cli.progress import DownloadProgress

    progress = DownloadProgress(ctx.console)
    try:
        result = wheel(
            args.requirement, wheel_dir=args.wheel_dir, requirements=args.packages,
            constraints=args.constraint, overrides=args.override, session=session(args, ctx),
            python=args.python, no_deps=args.no_deps, resolve_options=_resolve_options(args),
            require_hashes=args.require_hashes, build=build_options(args), reporter=progress,
            stdin=sys.stdin)
    finally:
        progress.finish()
    _report(ctx, result)
    built = [f.name for f in result.files if f.built]
    if built:
        ctx.console.note(f"Successfully built {' '.join(built)}")
    return 0


def _check_inputs(args: argparse.Namespace) -> None:
    if not args.packages and not args.requirement:
        from pyffin.errors import UsageError

        raise UsageError("no requirements given: pass package names or -r requirements files")


def _report(ctx: Context, result: DownloadResult) -> None:
    """pip's lines: each file saved, or already there."""
    note = ctx.console.note
    for saved in result.files:
        if saved.path is None:
            continue
        shown = display_path(saved.path)
        if saved.built and saved.status != "kept":
            note(f"Created wheel for {saved.name}: filename={saved.path.name} "
                 f"size={saved.size} sha256={saved.sha256}")
        if saved.status == "kept":  # pip shows this one's absolute path
            import os

            note(f"File was already downloaded {os.path.abspath(saved.path)}")
            continue
        if saved.status == "replaced":
            ctx.console.warn(f"Replacing {shown}: the file there is not {saved.name} "
                             f"{saved.version}'s (its sha256 differs)")
        note(f"Saved {shown}")


def display_path(path: Path) -> str:
    """pip's ``display_path``: relative to the current directory (``./dir/x.whl``) when
    inside it."""
    import os

    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return "." + absolute[len(cwd):]
    return absolute


DOWNLOAD = Command(_configure_download, _run_download,
                   "Download the distributions that requirements resolve to (wheels or "
                   "sdists, as pip download), from the cache when it has them.")
WHEEL = Command(_configure_wheel, _run_wheel,
                "Save a wheel of every package that requirements resolve to (as pip wheel): "
                "the index's, or one built from source.")
