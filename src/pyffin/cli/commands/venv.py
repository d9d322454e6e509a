"""``pyffin venv [PATH]``: create a virtual environment."""

from __future__ import annotations

import argparse
import os
import re
from typing import TYPE_CHECKING

from pyffin.cli.command import Command, Context
from pyffin.cli.options import (
    EXCLUDE_NEWER_HELP,
    EXCLUDE_NEWER_PACKAGE_HELP,
    add_cache_options,
    add_compat_options,
    add_index_options,
    add_python_options,
    check_compat,
    check_python_preference,
    describe_negations,
    negation,
    session,
)

if TYPE_CHECKING:
    from pyffin.api.operations import ResolveOptions

_SAFE_SHELL_WORD_RE = re.compile(r"[\w@%+=:,./-]+")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".venv", metavar="PATH",
                        help="Where to create the environment (default: .venv)")
    parser.add_argument("-p", "--python", metavar="PYTHON",
                        help="The interpreter to base it on: a version (3.12), an executable "
                             "name (python3.12, pypy3) or a path")
    add_python_options(parser.add_argument_group("Python options"))
    parser.add_argument("--prompt", metavar="PROMPT",
                        help="The prompt shown while the environment is active (default: the "
                             "directory's name; '.' means the current directory's name)")
    parser.add_argument("--system-site-packages", action="store_true",
                        help="Give the environment access to the interpreter's site-packages")
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument("--clear", action="store_true",
                          help="Replace the virtual environment at PATH (a directory that is "
                               "not one only with --force)")
    existing.add_argument("--allow-existing", action="store_true",
                          help="Update the virtual environment at PATH in place: rewrite its "
                               "configuration, interpreter links and activation scripts, keep "
                               "its packages")
    negation(parser, "--no-clear", dest="clear")  # not in the group: --clear --no-clear
    parser.add_argument("--force", action="store_true",
                        help="Let --clear remove a directory that is not a virtual environment "
                             "(never the file system's root or your home)")
    parser.add_argument("--seed", action="store_true",
                        help="Install pip into the environment (and setuptools and wheel before "
                             "Python 3.12)")
    parser.add_argument("--relocatable", action="store_true",
                        help="Make the environment movable: activation scripts and the scripts "
                             "of packages installed into it find it from where they are (no "
                             "activate.csh)")
    negation(parser, "--no-relocatable", dest="relocatable")
    parser.add_argument("--no-project", "--no-workspace", action="store_true",
                        help="Do not look for a project: pyffin venv never does (no "
                             "pyproject.toml or .python-version is read), accepted for uv's")
    seed = parser.add_argument_group("Seed options", "How --seed installs its packages")
    seed.add_argument("--link-mode", choices=("hardlink", "copy", "clone", "symlink"),
                      default="hardlink",
                      help="How files get from the cache into the environment (default: "
                           "hardlink; falls back to copy across file systems)")
    seed.add_argument("--exclude-newer", metavar="DATE", help=EXCLUDE_NEWER_HELP)
    seed.add_argument("--exclude-newer-package", action="append", default=[],
                      metavar="NAME=DATE", help=EXCLUDE_NEWER_PACKAGE_HELP)
    add_index_options(parser)
    add_cache_options(parser)
    add_compat_options(parser, ("venv",))
    describe_negations(parser)


def _run(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.interpreter.discovery import find_interpreter
    from pyffin.venv import create

    check_python_preference(args)
    check_compat(args, ("venv",))
    from pyffin.api.operations import ResolveOptions

    resolve = ResolveOptions(exclude_newer=args.exclude_newer,
                             exclude_newer_packages=tuple(args.exclude_newer_package))
    resolve.cutoffs()  # a bad date is an error before anything is made
    console = ctx.console
    # A new environment is based on a system interpreter: an active or nearby venv is skipped
    # (an explicit --python path to one is fine: its base interpreter is used).
    interpreter = find_interpreter(args.python, system=True, cache=ctx.cache())
    from pyffin.interpreter.discovery import shown_path

    console.note(f"Using {interpreter.implementation_display} {interpreter.version_str} "
                 f"interpreter at: {shown_path(interpreter.sys_executable)}")
    prompt = args.prompt
    if prompt == ".":
        prompt = os.path.basename(os.getcwd())
    console.note(f"Creating virtual environment {'with seed packages ' if args.seed else ''}"
                 f"at: {args.path}")
    root = create(args.path, interpreter, prompt=prompt,
                  system_site_packages=args.system_site_packages, clear=args.clear,
                  allow_existing=args.allow_existing, relocatable=args.relocatable,
                  force=args.force,
                  seed=args.seed)
    if args.seed:
        _seed(args, ctx, root, interpreter.version, resolve)
    console.note(f"Activate with: {_activation_command(args.path)}")
    return 0


def _seed(args: argparse.Namespace, ctx: Context, root: os.PathLike[str],
          python: tuple[int, ...], resolve: ResolveOptions) -> None:
    """Install the seed packages with pyffin itself (``--seed``: see
    :func:`~pyffin.venv.creation.seed_packages`)."""
    import pyffin.api.install as api
    from pyffin import log
    from pyffin.cli.commands.pip_install import report_changes
    from pyffin.venv.creation import seed_packages

    # As uv: the packages installed, not the install's own summary (its environment, what it
    # resolved and prepared), unless -v asks for the details.
    console = ctx.console
    level = console.log_level if console.verbose else max(console.log_level, log.WARNING)
    with log.routed(console.sink, level):
        result = api.install(requirements=list(seed_packages(python)),
                             session=session(args, ctx), python=os.path.join(root, "bin", "python"),
                             resolve_options=resolve,
                             change=api.ChangeOptions(link_mode=args.link_mode))
    report_changes(ctx, result)


def _activation_command(path: str) -> str:
    """How the user's shell (``$SHELL``) activates the environment at ``path``."""
    shell = os.path.basename(os.environ.get("SHELL", ""))
    script = {"fish": "activate.fish", "csh": "activate.csh", "tcsh": "activate.csh"}.get(
        shell, "activate")
    return f"source {_shell_quote(os.path.join(path, 'bin', script))}"


def _shell_quote(text: str) -> str:
    if _SAFE_SHELL_WORD_RE.fullmatch(text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


VENV = Command(
    _configure, _run,
    "Create a virtual environment at PATH (default: .venv) for the interpreter --python asks "
    "for, or the first Python on PATH. PATH must not exist or be an empty directory; an "
    "existing virtual environment there is replaced with --clear or updated with "
    "--allow-existing; anything else is never touched.",
)
