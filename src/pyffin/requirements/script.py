"""Inline script metadata (PEP 723): the ``# /// script`` block of a single-file script.

::

    # /// script
    # requires-python = ">=3.11"
    # dependencies = ["requests<3", "rich"]
    # ///

The block is found with the PEP's reference regular expression, so what counts as a block (and
where it ends: the *last* ``# ///`` line of the run of comment lines) is what every other tool
reads. What the expression silently skips is reported instead, naming the file and line: an
opening ``# /// script`` line with no closing ``# ///`` (or a closing line with trailing text),
a second ``script`` block, and invalid TOML (its line counted in the script). Dependencies are
PEP 508 requirements; a relative path in ``name @ ./dir`` is taken from the script's directory.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pyffin.records import record
from pyffin.requirements.errors import RequirementsError

#: PEP 723's reference expression, verbatim.
REGEX = r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"
_OPENING = "# /// script"


@record
class ScriptMetadata:
    """The ``script`` block of a file: what it asks for, as written."""

    path: str
    dependencies: tuple[str, ...]
    requires_python: str | None
    #: 1-based line of the opening ``# /// script`` (for messages).
    line: int


def has_script_block(text: str) -> bool:
    """Whether ``text`` has a line opening a ``script`` block (cheap; no validation)."""
    return _OPENING in text and any(line.rstrip("\r") == _OPENING
                                    for line in text.splitlines())


def read_script_metadata(path: str, text: str) -> ScriptMetadata | None:
    """The ``script`` block of ``text`` (the contents of ``path``), ``None`` if it has none.

    Raises :class:`RequirementsError` naming ``path`` and the line for a malformed block.
    """
    text = text.replace("\r\n", "\n")
    matches = [m for m in re.finditer(REGEX, text) if m.group("type") == "script"]
    _check_unclosed(path, text, matches)
    if not matches:
        return None
    first = matches[0]
    line = _line_of(text, first.start())
    # Two blocks with only comment lines between them read as one (it ends at the last
    # "# ///"): an opening line inside the block is a second block all the same.
    inner = [offset for offset in _line_offsets(first.group(), first.start())[1:]
             if text.startswith(_OPENING + "\n", offset)]
    if len(matches) > 1 or inner:
        second = inner[0] if inner else matches[1].start()
        raise RequirementsError(f"{path}:{_line_of(text, second)}: a second '# /// script' "
                                f"block (the first starts at line {line}); a script has at "
                                "most one")
    content = "".join(
        part[2:] if part.startswith("# ") else part[1:]
        for part in first.group("content").splitlines(keepends=True))
    table = _parse_toml(path, content, line, _line_of(text, first.end()))
    tool = table.get("tool")
    if isinstance(tool, dict):
        for name in ("uv", "pyffin"):
            if isinstance(tool.get(name), dict) and tool[name]:
                # uv applies its constraints, overrides and index there; pyffin does not yet:
                # said, rather than a different resolution in silence.
                from pyffin import log

                log.warn(f"{path}:{line}: the script's [tool.{name}] table is not read (not "
                         "supported yet): its settings do not apply")
    return ScriptMetadata(path, _dependencies(path, table, line),
                          _requires_python(path, table, line), line)


def _check_unclosed(path: str, text: str, matches: list[re.Match[str]]) -> None:
    """An opening line that starts no block and lies inside none: the regex skipped it."""
    spans = [m.span() for m in re.finditer(REGEX, text)]
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line == _OPENING and not any(start <= offset < end for start, end in spans):
            following = text[offset:].split("\n")[1:]
            comments = []
            for item in following:
                if not (item == "#" or item.startswith("# ")):
                    break
                comments.append(item)
            if any(item.startswith("# ///") and item != "# ///" for item in comments):
                detail = ("its closing line has text after '# ///'; the closing line must be "
                          "exactly '# ///'")
            else:
                detail = ("no '# ///' line closes it; every line up to the closing '# ///' "
                          "must start with '#' (empty lines too)")
            raise RequirementsError(f"{path}:{number}: unclosed '# /// script' block: {detail}")
        offset += len(line) + 1


def _line_offsets(block: str, start: int) -> list[int]:
    """Where each line of ``block`` (found at ``start``) begins in the text."""
    offsets = [start]
    for line in block.split("\n")[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    return offsets


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _parse_toml(path: str, content: str, line: int, closing: int) -> dict[str, Any]:
    from pyffin import toml

    try:
        table = toml.loads(content)
    except toml.TOMLDecodeError as e:
        message = str(e)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if where is None:
            # "(at end of document)": the block's closing line.
            reason = re.sub(r"\s*\(at end of document\)", "", message)
            raise RequirementsError(f"{path}:{closing}: invalid TOML in the '# /// script' "
                                    f"block: {reason} (at the end of the block)") from None
        # Line 1 of the content is the line after the opening one.
        number = line + int(where.group(1))
        reason = message[:where.start()].rstrip()
        raise RequirementsError(f"{path}:{number}: invalid TOML in the '# /// script' block: "
                                f"{reason} (column {int(where.group(2)) + 2})") from None
    return table


def _dependencies(path: str, table: dict[str, Any], line: int) -> tuple[str, ...]:
    value = table.get("dependencies", [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequirementsError(f"{path}:{line}: 'dependencies' of the '# /// script' block "
                                "must be a list of strings")
    return tuple(value)


def _requires_python(path: str, table: dict[str, Any], line: int) -> str | None:
    value = table.get("requires-python")
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequirementsError(f"{path}:{line}: 'requires-python' of the '# /// script' block "
                                "must be a string")
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        raise RequirementsError(f"{path}:{line}: invalid requires-python {value!r} in the "
                                "'# /// script' block") from None
    return value


def script_directory(path: str) -> str:
    """Where the script's relative paths start."""
    return os.path.dirname(os.path.abspath(path))
