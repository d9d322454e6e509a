"""The command registry: every command's path, summary and where its code lives, and the
global options.

Only this table is read at start-up; a command's module is imported when that command runs.
``pyffin --version`` and the help of ``pyffin`` and its groups need nothing else (not even
:mod:`argparse`: see :mod:`pyffin.cli.help`).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pyffin.cli.command import Command


class CommandSpec:
    """Where a command's code lives (``"module:attribute"`` of its
    :class:`pyffin.cli.command.Command`) and its one-line summary. A plain class: this table is
    read at every start-up."""

    __slots__ = ("summary", "target")

    def __init__(self, target: str, summary: str) -> None:
        self.target = target
        self.summary = summary


#: Top-level groups that only hold subcommands, with their summaries.
GROUPS: dict[str, str] = {
    "cache": "Manage pyffin's cache",
    "pip": "pip-compatible commands: compile, sync, install, uninstall, download, wheel, "
           "freeze, list, tree, show, check",
}

COMMANDS: dict[tuple[str, ...], CommandSpec] = {
    ("pip", "compile"): CommandSpec(
        "pyffin.cli.commands.pip_compile:COMPILE",
        "Compile requirements into a pinned requirements.txt",
    ),
    ("pip", "sync"): CommandSpec(
        "pyffin.cli.commands.pip_install:SYNC",
        "Make an environment match requirements files exactly",
    ),
    ("pip", "install"): CommandSpec(
        "pyffin.cli.commands.pip_install:INSTALL", "Install packages into an environment"
    ),
    ("pip", "uninstall"): CommandSpec(
        "pyffin.cli.commands.pip_uninstall:UNINSTALL", "Uninstall packages from an environment"
    ),
    ("pip", "download"): CommandSpec(
        "pyffin.cli.commands.pip_download:DOWNLOAD", "Download distributions into a directory"
    ),
    ("pip", "wheel"): CommandSpec(
        "pyffin.cli.commands.pip_download:WHEEL", "Build or download wheels into a directory"
    ),
    ("pip", "freeze"): CommandSpec(
        "pyffin.cli.commands.pip_inspect:FREEZE", "List installed packages as requirements"
    ),
    ("pip", "list"): CommandSpec("pyffin.cli.commands.pip_inspect:LIST",
                                 "List installed packages"),
    ("pip", "tree"): CommandSpec("pyffin.cli.commands.pip_inspect:TREE",
                                 "Show the installed packages as a dependency tree"),
    ("pip", "show"): CommandSpec("pyffin.cli.commands.pip_inspect:SHOW",
                                 "Show information about installed packages"),
    ("pip", "check"): CommandSpec(
        "pyffin.cli.commands.pip_inspect:CHECK",
        "Check that installed packages have compatible dependencies",
    ),
    ("cache", "dir"): CommandSpec("pyffin.cli.commands.cache:DIR", "Show the cache directory"),
    ("cache", "clean"): CommandSpec(
        "pyffin.cli.commands.cache:CLEAN", "Remove all cache entries, or those of some packages"
    ),
    ("cache", "prune"): CommandSpec(
        "pyffin.cli.commands.cache:PRUNE", "Remove unused entries and leftovers from the cache"
    ),
    ("cache", "size"): CommandSpec("pyffin.cli.commands.cache:SIZE", "Show the cache's size"),
    ("cache", "verify"): CommandSpec(
        "pyffin.cli.commands.cache:VERIFY", "Check the cache for damaged entries (and remove them)"
    ),
    ("venv",): CommandSpec("pyffin.cli.commands.venv:VENV", "Create a virtual environment"),
}


def subcommands(group: str) -> dict[str, CommandSpec]:
    return {path[1]: spec for path, spec in COMMANDS.items() if len(path) == 2 and path[0] == group}


def top_level() -> dict[str, str]:
    """Names and summaries of everything callable directly after ``pyffin``."""
    entries = {path[0]: spec.summary for path, spec in COMMANDS.items() if len(path) == 1}
    entries.update(GROUPS)
    return dict(sorted(entries.items()))


def commands_listing(summaries: dict[str, str]) -> str:
    """The ``Commands:`` list that ends the help of ``pyffin`` and of a group."""
    width = max((len(name) for name in summaries), default=0) + 2
    listing = "\n".join(f"  {name:<{width}}{summary}" for name, summary in summaries.items())
    return f"Commands:\n{listing}"


class GlobalOption:
    """An option every command takes. ``action``: ``count``, ``store_true``, ``value`` (takes
    ``metavar``), ``choice`` (one of ``choices``) or ``version``; ``env``: the variable the
    configuration binds to it (shown in the help as ``[env: ...]``)."""

    __slots__ = ("action", "choices", "default", "env", "flags", "help", "metavar")

    def __init__(self, flags: tuple[str, ...], action: str, help: str, *, metavar: str = "",
                 choices: tuple[str, ...] = (), default: object = None,
                 env: str | None = None) -> None:
        self.flags = flags
        self.action = action
        self.help = help
        self.metavar = metavar
        self.choices = choices
        self.default = default
        self.env = env


GLOBAL_OPTIONS: tuple[GlobalOption, ...] = (
    GlobalOption(("-q", "--quiet"), "count", "Print less output (-qq: not even warnings)",
                 default=0),
    GlobalOption(("-v", "--verbose"), "count",
                 "Print more output: debug messages, causes of errors", default=0),
    GlobalOption(("--color",), "choice",
                 "When to use colours (default: auto; NO_COLOR disables)",
                 choices=("auto", "always", "never"), default="auto"),
    GlobalOption(("--cache-dir",), "value", "Path to the cache directory", metavar="DIR",
                 env="PYFFIN_CACHE_DIR"),
    GlobalOption(("-n", "--no-cache", "--no-cache-dir"), "store_true",
                 "Use a temporary cache, removed when the command ends", default=False,
                 env="PYFFIN_NO_CACHE"),
    GlobalOption(("--no-config", "--isolated"), "store_true",
                 "Ignore every configuration file, pyffin's and pip's [env: PYFFIN_NO_CONFIG]",
                 default=False),
    GlobalOption(("--config-file",), "value",
                 "Read settings from this pyffin.toml instead of looking for one "
                 "[env: PYFFIN_CONFIG_FILE]", metavar="FILE"),
    GlobalOption(("--no-progress",), "store_true", "Hide progress bars", default=False,
                 env="PYFFIN_NO_PROGRESS"),
    GlobalOption(("--directory",), "value",
                 "Change to DIR before running the command (relative paths are taken from "
                 "there, as uv's)", metavar="DIR"),
    GlobalOption(("--project",), "value",
                 "Look for pyffin.toml and [tool.pyffin] from DIR up, instead of from the "
                 "working directory (relative paths stay the working directory's, as uv's)",
                 metavar="DIR"),
    GlobalOption(("--version",), "version", "Print the version and exit"),
)

#: Global options that take a value (needed to find the command words in ``argv``).
VALUE_OPTIONS = frozenset(flag for option in GLOBAL_OPTIONS
                          if option.action in ("value", "choice") for flag in option.flags)

_help_width: int | None = None


def help_width() -> int:
    """The width help is wrapped to: the terminal's (``COLUMNS`` first) less two, as argparse
    does; looked up once per process."""
    global _help_width
    if _help_width is None:
        try:
            columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(2).columns
        except (ValueError, OSError):
            columns = 80
        _help_width = max(columns - 2, 40)
    return _help_width


def command(words: tuple[str, ...]) -> Command:
    """The command ``words`` names, its module imported now."""
    module_name, _, attribute = COMMANDS[words].target.partition(":")
    __import__(module_name)  # not importlib.import_module: importing importlib costs more
    found: Command = getattr(sys.modules[module_name], attribute)
    return found
