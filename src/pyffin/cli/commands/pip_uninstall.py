"""``pyffin pip uninstall``."""

from __future__ import annotations

import argparse

from pyffin.cli.command import Command, Context


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="*", metavar="PACKAGE",
                        help="Packages to uninstall: names, or the paths or URLs they were "
                             "installed from (./proj)")
    parser.add_argument("-r", "--requirement", "--requirements", action="append", default=[],
                        metavar="FILE",
                        help="Uninstall the packages named in FILE")
    from pyffin.cli.options import add_no_network_options, add_python_options, negation

    python = parser.add_argument_group("Python options")
    python.add_argument("-p", "--python", metavar="PYTHON",
                        help="The environment's interpreter")
    python.add_argument("--system", action="store_true",
                        help="Uninstall from the system interpreter")
    python.add_argument("--break-system-packages", action="store_true",
                        help="Allow changing an EXTERNALLY-MANAGED interpreter (PEP 668)")
    negation(python, "--no-break-system-packages", dest="break_system_packages")
    add_python_options(python)
    add_no_network_options(parser, keyring=True)
    from pyffin.cli.commands.pip_install import add_directory_options

    add_directory_options(parser.add_argument_group("Target options"),
                          "Uninstall from the --target directory DIR",
                          "Uninstall from the --prefix directory DIR")
    parser.add_argument("--dry-run", action="store_true",
                        help="Show what would be removed, remove nothing")
    parser.add_argument("--output-format", choices=("text", "json"), default="text",
                        help="json: also print the changes as JSON on stdout, as pyffin pip "
                             "install does (default: text)")
    # pip's: pyffin never asks for confirmation.
    parser.add_argument("-y", "--yes", action="store_true", help=argparse.SUPPRESS)


def _run(args: argparse.Namespace, ctx: Context) -> int:
    import pyffin.api.install as api
    from pyffin.api.session import Session
    from pyffin.cli.commands.pip_install import finish, report
    from pyffin.cli.options import check_python_preference
    from pyffin.errors import UsageError

    check_python_preference(args)
    if not args.packages and not args.requirement:
        raise UsageError("nothing to uninstall: pass package names or -r FILE")
    result = api.uninstall(args.packages, sources=args.requirement,
                           session=Session(ctx.cache()), python=args.python, system=args.system,
                           break_system_packages=args.break_system_packages,
                           dry_run=args.dry_run, target=args.target, prefix=args.prefix)
    if not result.removed:
        if args.dry_run:
            ctx.console.note("Would make no changes")  # as uv
        else:
            ctx.console.warn("No packages to uninstall")  # (as uv: a warning)
    else:
        report(ctx, result)
    return finish(args, ctx, result)


UNINSTALL = Command(_configure, _run, "Uninstall packages from an environment.")
