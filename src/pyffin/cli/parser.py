"""The argument parsers: argparse with pyffin's rules (no abbreviations, one-line usage errors,
the terminal width looked up once), the global options and the parsers of groups and commands.

Imported only when a command line has to be parsed: ``pyffin --version`` and the help of
``pyffin`` and its groups are answered from :mod:`pyffin.cli.registry` alone
(:mod:`pyffin.cli.help`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from pyffin._version import __version__
from pyffin.cli import registry
from pyffin.cli.console import Console

if TYPE_CHECKING:
    from pyffin.cli.command import Command
    from pyffin.cli.config import Bound


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter with the terminal width looked up once: argparse builds a
    formatter for every ``add_argument`` call, and each one imports :mod:`shutil` and asks the
    terminal for its size — a measurable share of a warm command's start-up."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else registry.help_width())

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        # As argparse's, but an option named in a description is never split at a hyphen.
        import textwrap

        text = " ".join(text.split())
        return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False)


class _RawFormatter(argparse.RawDescriptionHelpFormatter, _Formatter):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse without prefix abbreviations (``--exclude`` is not ``--exclude-editable``),
    whose usage errors are one line with a hint instead of the whole usage text."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_abbrev=False, **kwargs)  # type: ignore[arg-type]

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: None = None) -> argparse.Namespace:
        parsed, unknown = self.parse_known_args(args, namespace)
        if unknown:
            self._unexpected(unknown[0])
        return parsed

    def error(self, message: str) -> NoReturn:
        self._fail(message)

    def _unexpected(self, arg: str) -> NoReturn:
        if not arg.startswith("-") or arg == "-":
            self._fail(f"unexpected argument {arg!r}")
        import difflib

        option = arg.partition("=")[0]
        known = [s for action in self._actions for s in action.option_strings
                 if s.startswith("--")]
        # The start of an option (argparse's abbreviations, which are off), else a near miss.
        close = [s for s in known if s.startswith(option)][:1] or \
            difflib.get_close_matches(option, known, n=1, cutoff=0.7)
        self._fail(f"unexpected option {option!r}",
                   f"did you mean {close[0]!r}?" if close else None)

    def _fail(self, message: str, suggestion: str | None = None) -> NoReturn:
        see = f"see '{self.prog} --help'"
        Console().error(message, hint=f"{suggestion} ({see})" if suggestion else see)
        raise SystemExit(2)


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options every command takes, as :data:`pyffin.cli.registry.GLOBAL_OPTIONS` lists
    them (their help there is also what ``pyffin --help`` prints without argparse)."""
    group = parser.add_argument_group("Global options")
    for option in registry.GLOBAL_OPTIONS:
        kwargs: dict[str, object] = {"help": option.help}
        if option.action == "choice":
            kwargs.update(choices=option.choices, default=option.default)
        elif option.action == "value":
            kwargs["metavar"] = option.metavar
        elif option.action == "version":
            kwargs.update(action="version", version=f"pyffin {__version__}")
        else:
            kwargs.update(action=option.action, default=option.default)
        group.add_argument(*option.flags, **kwargs)  # type: ignore[arg-type]
    # pip's: pyffin never checks for a newer version of itself.
    group.add_argument("--disable-pip-version-check", action="store_true",
                       help=argparse.SUPPRESS)


def top_parser(prog: str, summaries: dict[str, str], description: str) -> argparse.ArgumentParser:
    """The parser of ``pyffin`` or a group (``pyffin pip``): global options and a command."""
    parser = _Parser(
        prog=prog,
        usage=f"{prog} [OPTIONS] <COMMAND>",
        description=description,
        epilog=registry.commands_listing(summaries),
        formatter_class=_RawFormatter,
    )
    add_global_options(parser)
    from pyffin.cli.config import bind

    bind(parser)  # for the [env: ...] notes in the help
    parser.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def command_parser(words: tuple[str, ...]) -> tuple[Command, argparse.ArgumentParser, Bound]:
    """The command ``words`` names (its module imported now), its argument parser, and its
    options that have configuration twins."""
    from pyffin.cli.config import bind

    command = registry.command(words)
    parser = _Parser(prog="pyffin " + " ".join(words), description=command.description,
                     formatter_class=_Formatter)
    command.configure(parser)
    add_global_options(parser)
    return command, parser, bind(parser)
