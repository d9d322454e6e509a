"""pip's requirements-file format.

Reading a file, as pip does:

1. Decode: a UTF-8/16/32 byte-order mark wins, then a PEP 263 ``coding:`` comment on one of the
   first two lines, else UTF-8 (pip's last resort, the locale's encoding, is not used: a file
   that is not UTF-8 is an error naming the line).
2. Join lines ending in ``\\`` with the next one; a comment line is never continued, and it ends
   a continuation (the joined line takes the first line's number).
3. Strip comments: ``#`` at the start of a line or after whitespace (``url#sha256=...`` and
   ``url#egg=name`` keep theirs), then blank lines.
4. Expand ``${NAME}`` (uppercase letters, digits, ``_``) from the environment; unset or empty
   variables stay as written. A direct reference keeps its text as written (``given``, what a
   compiled file repeats), as uv does: a token or a path from the environment is not written
   into a lock file.
5. Split the line at its first word that starts with ``-``: before it, a requirement (see
   :mod:`pyffin.requirements.requirement`) with per-requirement options (``--hash``); without
   one, an option line (``-r``, ``-c``, ``-e``, index options). Options take their value as
   ``-r file``, ``-rfile``, ``--requirement file`` or ``--requirement=file``; long options may
   be abbreviated while unambiguous (as optparse allows).

Nested ``-r``/``-c`` files are relative to the including file; every other relative path to the
working directory, except ``--find-links`` directories, which are taken relative to the file
when they exist there (pip's rule). Inside a constraints or overrides file, ``-r`` includes more
of the same kind (pip would read them as requirements); ``-c`` always reads constraints.

pip options pyffin accepts but ignores, with a warning naming the line: ``--prefer-binary``,
``--use-feature``, ``--global-option`` and ``--config-settings``/``-C``. Any other option is
an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TextIO

from pyffin import log
from pyffin.records import replace
from pyffin.requirements.collect import FLAGS, Collector
from pyffin.requirements.errors import RequirementsError, invalid, not_supported
from pyffin.requirements.requirement import parse_requirement
from pyffin.requirements.types import STDIN, Location, shown_path

if TYPE_CHECKING:
    from pyffin.requirements.collect import Kind
    from pyffin.requirements.types import RequirementEntry

# Patterns stay strings, compiled (and cached) by ``re`` on first use: the usual file (names
# and whole-line comments) needs none of them, and compiling one costs more than reading it.
_COMMENT = r"(^|\s+)#.*$"
_ENV_VAR = r"\$\{([A-Z0-9_]+)\}"
_CODING = rb"coding[:=]\s*([-\w.]+)"
_HEX = r"[0-9a-f]+"
_REMOTE_FILE = r"(?i:https?|file|ftp):"

# Checked in this order: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))

#: Every option of a requirements file, and whether it takes a value.
_OPTIONS = {
    "--requirement": True, "--constraint": True, "--editable": True, "--index-url": True,
    "--extra-index-url": True, "--find-links": True, "--no-index": False, "--no-binary": True,
    "--only-binary": True, "--pre": False, "--require-hashes": False, "--hash": True,
    "--prefer-binary": False, "--trusted-host": True, "--use-feature": True,
    "--global-option": True, "--config-settings": True,
}
_SHORT = {"-r": "--requirement", "-c": "--constraint", "-e": "--editable", "-i": "--index-url",
          "-f": "--find-links", "-C": "--config-settings"}
_IGNORED = frozenset({"--prefer-binary", "--use-feature", "--global-option",
                      "--config-settings"})
#: ``--trusted-host``'s value: ``HOST[:PORT]``, maybe as a URL (uv's ``--allow-insecure-host``).
_TRUSTED_HOST = r"(?i:https?://)?(\[[^\]/]+\]|[^\s:/\[\]]+)(:\d{1,5})?(/\S*)?"
_HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

Options = list[tuple[str, str]]


class TxtReader:
    """Reads requirements files (and their nested ``-r``/``-c`` files) into a collector."""

    def __init__(self, collector: Collector, *, working_dir: str | None = None,
                 stdin: TextIO | None = None, lookup_only: bool = False) -> None:
        self.collector = collector
        self.working_dir = working_dir
        #: See :func:`~pyffin.requirements.requirement.parse_requirement`.
        self.lookup_only = lookup_only
        self._stdin = stdin
        self._stdin_read = False
        #: The files being read, outermost first, as (identity, path as shown) for cycles.
        self._stack: list[tuple[str, str]] = []

    def read(self, path: str, kind: Kind, included_from: Location | None = None) -> None:
        """Read file ``path`` (``-``: standard input) as entries of ``kind``."""
        key = path if path == STDIN else os.path.realpath(path)
        if any(key == open_key for open_key, _ in self._stack):
            chain = " -> ".join([shown for _, shown in self._stack] + [path])
            raise invalid(included_from, f"requirements files include each other: {chain}")
        text = self._read_stdin(included_from) if path == STDIN else _load(path, included_from)
        self.collector.add_source(path)
        origin = f"{FLAGS[kind]} {shown_path(path)}"
        self._stack.append((key, path))
        try:
            for number, raw in logical_lines(text):
                line, as_written = _expand_variables(raw)
                self._line(line, Location(path, number), kind, origin, as_written)
        finally:
            self._stack.pop()

    def _read_stdin(self, included_from: Location | None) -> str:
        if self._stdin_read:
            raise invalid(included_from, "standard input (-) can be read only once")
        self._stdin_read = True
        if self._stdin is None:
            import sys

            return sys.stdin.read()
        return self._stdin.read()

    def _line(self, line: str, location: Location, kind: Kind, origin: str,
              as_written: Unexpand | None = None) -> None:
        tokens = line.split()
        count = next((i for i, token in enumerate(tokens) if token.startswith("-")), len(tokens))
        options = _parse_options(tokens[count:], location, line)
        if count:
            text = " ".join(tokens[:count])
            self._requirement_line(text, options, location, kind, origin, line, as_written)
        else:
            self._option_line(options, location, kind, origin, line, as_written)

    def _requirement_line(self, text: str, options: Options, location: Location, kind: Kind,
                          origin: str, line: str, as_written: Unexpand | None = None) -> None:
        hashes = []
        for name, value in options:
            if name == "--hash":
                hashes.append(_normalize_hash(value, location, line))
            elif name in _IGNORED:
                _warn_ignored(name, location)
            else:
                log.warn(f"{location}: {name} has no effect on a requirement line; ignored")
        entry = parse_requirement(text, location, hashes=tuple(hashes), origin=origin,
                                  working_dir=self.working_dir, lookup_only=self.lookup_only)
        self.collector.add(_given_as_written(entry, as_written), kind, text)

    def _option_line(self, options: Options, location: Location, kind: Kind, origin: str,
                     line: str, as_written: Unexpand | None = None) -> None:
        collector = self.collector
        for name, value in options:
            if name == "--requirement":
                self._include(value, kind, location)
            elif name == "--constraint":
                self._include(value, "constraint", location)
            elif name == "--editable":
                entry = parse_requirement(value, location, editable=True, origin=origin,
                                          working_dir=self.working_dir,
                                          lookup_only=self.lookup_only)
                collector.add(_given_as_written(entry, as_written), kind, value)
            elif name == "--index-url":
                collector.index_url = value
                _keep_written(collector, value, as_written)
            elif name == "--extra-index-url":
                collector.add_extra_index_url(value)
                _keep_written(collector, value, as_written)
            elif name == "--find-links":
                link = self._find_links(value, location.path)
                collector.add_find_links(link)
                if link == value:  # (a URL: a local path is made absolute)
                    _keep_written(collector, value, as_written)
            elif name == "--no-index":
                collector.no_index = True
            elif name == "--trusted-host":
                if not re.fullmatch(_TRUSTED_HOST, value):
                    raise invalid(location, f"--trusted-host needs HOST or HOST:PORT, not "
                                  f"{value!r}", line)
                collector.add_trusted_host(value)
            elif name in ("--no-binary", "--only-binary"):
                collector.format_control(name, value, location, line)
            elif name == "--pre":
                collector.pre = True
            elif name == "--require-hashes":
                collector.require_hashes = True
            elif name == "--hash":
                log.warn(f"{location}: --hash applies only to a requirement (not an editable) "
                         "on the same line; ignored")
            else:
                _warn_ignored(name, location)

    def _include(self, value: str, kind: Kind, location: Location) -> None:
        if _remote(value):
            raise not_supported(location, f"reading requirements files from URLs is not "
                                f"supported yet: {value}")
        if os.path.basename(value) in ("pyproject.toml", "setup.py", "setup.cfg"):
            raise not_supported(location, f"including {value} from a requirements file is not "
                                "supported yet; pass it as a source of its own")
        if value != STDIN and location.path != STDIN:
            value = os.path.normpath(os.path.join(os.path.dirname(location.path), value))
        self.read(value, kind, location)

    def _find_links(self, value: str, path: str) -> str:
        """A ``--find-links`` URL as written; a local path made absolute (pip's rule: relative
        to the requirements file if it exists there, else to the working directory)."""
        if _remote(value):
            return value
        working_dir = self.working_dir or os.getcwd()
        if path != STDIN:
            beside = os.path.join(os.path.dirname(os.path.abspath(path)), value)
            if os.path.exists(beside):
                return os.path.normpath(beside)
        return os.path.normpath(os.path.join(working_dir, value))


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a requirements file with continuations joined and comments
    removed (``${VARS}`` not yet expanded: see :func:`_expand_variables`), each with the number
    of its first physical line."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), 1):
        is_comment = raw.lstrip().startswith("#")
        if raw.endswith("\\") and not is_comment:
            if not pending:
                first = number
            pending.append(raw.rstrip("\\"))
            continue
        if pending:
            # The space keeps a comment line a comment once joined.
            pending.append(" " + raw if is_comment else raw)
            number, raw = first, "".join(pending)
            pending = []
        line = _clean(raw)
        if line:
            yield number, line
    if pending:
        line = _clean("".join(pending))
        if line:
            yield first, line


def _clean(line: str) -> str:
    if "#" in line:
        # A whole-line comment is all comment (``\s`` is what ``str.isspace`` says).
        line = "" if line.lstrip().startswith("#") else re.sub(_COMMENT, "", line)
    return line.strip()


#: Gives the text as written of a piece of an expanded line (see :func:`_expand_variables`).
Unexpand = Callable[[str], str]


def _expand_variables(line: str) -> tuple[str, Unexpand | None]:
    """``line`` with its ``${VARS}`` expanded, and, when one was, how a piece of the expanded
    line was written: the same span of ``line`` when the piece starts and ends outside every
    expansion (``None``: nothing was expanded)."""
    if "${" not in line:
        return line, None
    # (expanded start, expanded end, written start, written end) of each expansion.
    spans: list[tuple[int, int, int, int]] = []
    parts: list[str] = []
    written_at = expanded_at = 0
    for match in re.finditer(_ENV_VAR, line):
        value = os.environ.get(match.group(1)) or match.group(0)
        literal = line[written_at:match.start()]
        parts += (literal, value)
        expanded_at += len(literal)
        spans.append((expanded_at, expanded_at + len(value), match.start(), match.end()))
        expanded_at += len(value)
        written_at = match.end()
    parts.append(line[written_at:])
    expanded = "".join(parts)
    if expanded == line:
        return line, None

    def position(at: int) -> int | None:
        shift = 0
        for start, stop, _written_start, written_stop in spans:
            if at <= start:
                break
            if at < stop:
                return None  # inside an expansion
            shift = written_stop - stop
        return at + shift

    def as_written(piece: str) -> str:
        found = expanded.find(piece)
        if found < 0:
            return piece
        start, stop = position(found), position(found + len(piece))
        return piece if start is None or stop is None else line[start:stop]

    return expanded, as_written


def _keep_written(collector: Collector, url: str, as_written: Unexpand | None) -> None:
    written = url if as_written is None else as_written(url)
    if written != url:
        collector.written_urls[url] = written


def _given_as_written(entry: RequirementEntry, as_written: Unexpand | None
                      ) -> RequirementEntry:
    """``entry`` whose direct reference keeps the ``${VARS}`` it was written with."""
    if as_written is None or not entry.given:
        return entry
    written = as_written(entry.given)
    return entry if written == entry.given else replace(entry, given=written)


def _remote(value: str) -> bool:
    """Whether ``value`` is an ``http(s):``, ``file:`` or ``ftp:`` URL (any case); its colon
    is the 4th to 6th character, looked for before the pattern is compiled."""
    return ":" in value[3:6] and re.match(_REMOTE_FILE, value) is not None




def _load(path: str, included_from: Location | None) -> str:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        where = f" (included from {included_from})" if included_from is not None else ""
        raise RequirementsError(f"requirements file not found: {path}{where}") from None
    except OSError as e:
        raise invalid(included_from, f"cannot read requirements file {path}: "
                      f"{e.strerror or e}") from e
    return decode(data, path)


def decode(data: bytes, path: str) -> str:
    """The text of requirements file ``path`` (see the module docstring for the rules)."""
    encoding = "utf-8"
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom):], bom_encoding
            break
    else:
        for line in data.split(b"\n", 2)[:2]:
            declared = (re.search(_CODING, line) if line.startswith(b"#") and b"coding" in line
                        else None)
            if declared is not None:
                encoding = declared.group(1).decode("ascii")
                break
    try:
        return data.decode(encoding)
    except LookupError:
        raise RequirementsError(f"{path}: unknown encoding {encoding!r} declared") from None
    except UnicodeDecodeError as e:
        number = data.count(b"\n", 0, e.start) + 1
        raise RequirementsError(
            f"{path}:{number}: the file is not valid {encoding} (byte 0x{data[e.start]:02x}); "
            "save it as UTF-8 or declare its encoding on its first line "
            "(# -*- coding: latin-1 -*-)") from None


def _parse_options(tokens: list[str], location: Location, line: str) -> Options:
    """``(long option name, value)`` pairs (``""`` for a flag) of an option string."""
    if not tokens:
        return []
    joined = " ".join(tokens)
    if '"' in joined or "'" in joined or "\\" in joined:
        import shlex

        try:
            tokens = shlex.split(joined)
        except ValueError as e:
            raise invalid(location, f"cannot split the options: {e}", line) from e
    options: Options = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        value: str | None
        if token.startswith("--"):
            name, equals, value = token.partition("=")
            name = _long_option(name, location, line)
            if not equals:
                value = None
        elif token.startswith("-") and token[:2] in _SHORT:
            name, value = _SHORT[token[:2]], token[2:] or None
        elif token.startswith("-"):
            raise invalid(location, f"unknown option {token}", line)
        else:
            raise invalid(location, f"unexpected argument {token!r} after the options", line)
        if not _OPTIONS[name]:
            if value is not None:
                raise invalid(location, f"option {name} does not take a value", line)
            value = ""
        elif value is None:
            if index == len(tokens):
                raise invalid(location, f"option {name} needs a value", line)
            value = tokens[index]
            index += 1
        options.append((name, value))
    return options


def _long_option(name: str, location: Location, line: str) -> str:
    if name in _OPTIONS:
        return name
    candidates = [option for option in _OPTIONS if option.startswith(name)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise invalid(location, f"ambiguous option {name} (could be {', '.join(candidates)})",
                      line)
    raise invalid(location, f"unknown option {name}", line)


def _normalize_hash(value: str, location: Location, line: str) -> str:
    algorithm, colon, digest = value.partition(":")
    if not colon or not digest:
        raise invalid(location, f"invalid --hash {value!r}: expected algorithm:hexdigest, "
                      "e.g. --hash=sha256:<64 hex digits>", line)
    algorithm, digest = algorithm.lower(), digest.lower()
    length = _HASH_LENGTHS.get(algorithm)
    if length is None:
        raise invalid(location, f"unsupported hash algorithm {algorithm!r} in --hash "
                      "(use sha256, sha384 or sha512)", line)
    if len(digest) != length or not re.fullmatch(_HEX, digest):
        raise invalid(location, f"invalid {algorithm} digest in --hash: expected {length} "
                      "hexadecimal digits", line)
    return f"{algorithm}:{digest}"


def _warn_ignored(option: str, location: Location) -> None:
    log.warn(f"{location}: {option} is not supported by pyffin; ignored")

