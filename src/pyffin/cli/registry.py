"""The command registry: every command's path, summary and where its code lives.

Only this table is read at start-up; a command's module is imported when that command runs.
"""

from __future__ import annotations


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
