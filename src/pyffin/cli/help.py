"""The help of ``pyffin`` and of its groups (``pyffin pip``), written from
:mod:`pyffin.cli.registry` without :mod:`argparse`.

It is what argparse prints for the same parser (a test compares the two at several widths), at
a fraction of the start-up: importing argparse and building the parser cost more than the rest
of ``pyffin --help``. When the text would need argparse's finer wrapping rules (a word longer
than a line, a hyphenated word), :func:`render` returns ``None`` and the caller asks argparse.
"""

from __future__ import annotations

from pyffin._version import __version__
from pyffin.cli import registry

#: argparse's text for its own ``-h`` option.
_HELP_OPTION = ("-h, --help", "show this help message and exit")


def render(group: str | None) -> str | None:
    """The help text of ``pyffin`` (``group`` None) or of ``pyffin <group>``."""
    if group is None:
        prog = "pyffin"
        summaries = registry.top_level()
        description = f"pyffin {__version__}: a fast Python package resolver and installer."
    else:
        prog = f"pyffin {group}"
        summaries = {name: spec.summary for name, spec in registry.subcommands(group).items()}
        description = registry.GROUPS[group]
    options = [_HELP_OPTION]
    for option in registry.GLOBAL_OPTIONS:
        text = option.help + (f" [env: {option.env}]" if option.env else "")
        options.append((_invocation(option), text))
    items = _items(options, registry.help_width())
    if items is None:
        return None
    return (f"usage: {prog} [OPTIONS] <COMMAND>\n\n{description}\n\n"
            f"options:\n{items[0]}\nGlobal options:\n{''.join(items[1:])}\n"
            f"{registry.commands_listing(summaries)}\n")


def _invocation(option: registry.GlobalOption) -> str:
    if option.action == "value":
        return ", ".join(f"{flag} {option.metavar}" for flag in option.flags)
    if option.action == "choice":
        choices = "{" + ",".join(option.choices) + "}"
        return ", ".join(f"{flag} {choices}" for flag in option.flags)
    return ", ".join(option.flags)


def _items(options: list[tuple[str, str]], width: int) -> list[str] | None:
    """Each option's lines, laid out as argparse's ``HelpFormatter`` lays them out."""
    indent = 2
    longest = max(len(invocation) for invocation, _ in options) + indent
    help_position = min(longest + 2, min(24, max(width - 20, indent * 2)))
    help_width = max(width - help_position, 11)
    action_width = help_position - indent - 2
    items = []
    for invocation, text in options:
        lines = _wrap(text, help_width)
        if lines is None:
            return None
        if len(invocation) <= action_width:
            first = f"{'':{indent}}{invocation:<{action_width}}  {lines[0]}\n"
        else:
            first = f"{'':{indent}}{invocation}\n{'':{help_position}}{lines[0]}\n"
        items.append(first + "".join(f"{'':{help_position}}{line}\n" for line in lines[1:]))
    return items


def _wrap(text: str, width: int) -> list[str] | None:
    """Greedy word wrap, as :func:`textwrap.wrap` does it for plain words; ``None`` when a word
    needs its other rules (too long for a line, or hyphenated)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if len(word) > width or _hyphenated(word):
            return None
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines


def _hyphenated(word: str) -> bool:
    """Whether textwrap could break ``word`` at a hyphen (a hyphen between letters)."""
    return any(word[i - 1].isalpha() and word[i + 1].isalpha()
               for i in range(1, len(word) - 1) if word[i] == "-")
