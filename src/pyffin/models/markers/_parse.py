"""Marker text to decision diagram, with uv's grammar and meaning.

PEP 508 leaves several comparisons undefined; uv (which the output must match) gives them a
meaning, and so does this module:

* versions compare release-only (``python_full_version >= '3.13'`` holds for ``3.13.0rc1``);
  ``python_version`` becomes ``python_full_version`` (``python_version > '3.8'`` is
  ``python_full_version >= '3.9'``);
* ``platform_system == 'Windows'`` (and Darwin, Linux, AIX, Emscripten, Android) is
  ``sys_platform == 'win32'`` (...);
* string keys other than ``platform_release``/``platform_version`` are not ordered: ``<``/``>``
  are false, ``<=``/``>=`` mean ``==``; those two compare lexicographically, except that
  ``platform_release`` compares as a version where ``sys_platform == 'darwin'`` (when the value
  is one);
* a comparison uv cannot give a meaning to (``os_name ~= 'x'``, ``python_version >= 'x'``, two
  keys or two strings compared) is left out, with its ``and``/``or``, as uv does;
* ``===`` is not a marker operator; an invalid extra name never matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from pyffin.errors import PyffinError
from pyffin.models.markers import _algebra as a
from pyffin.models.names import is_valid_name, normalize_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyffin.models.markers._algebra import Interval


class MarkerError(PyffinError, ValueError):
    """Text that is not a valid PEP 508 marker."""


_STRING_KEYS = {name: index for index, name in enumerate(a.STRING_KEYS)}
_STRING_KEYS.update({"os.name": a.OS_NAME, "sys.platform": a.SYS_PLATFORM,
                     "platform.version": a.PLATFORM_VERSION, "platform.machine": 3,
                     "platform.python_implementation": 4, "python_implementation": 4})
_VERSION_KEYS = {"implementation_version": 0, "python_full_version": 1, "python_version": -1}
_LIST_KEYS = ("extras", "dependency_groups")
_SYSTEMS = {"Windows": "win32", "Darwin": "darwin", "Linux": "linux", "AIX": "aix",
            "Emscripten": "emscripten", "Android": "android"}
_INVERTED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!=", "~=": "~=",
             "in": "contains", "not in": "not contains"}
_OPERATOR_CHARS = "<=>~!"
_VALID_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">=", "~="})
_SIMPLE_VERSION = re.compile(r"\d+(?:\.\d+)*")
_WHITESPACE = " \t\n\r\f\v"


@lru_cache(maxsize=4096)
def parse(text: str) -> int:
    """The node for marker ``text``; raises :class:`MarkerError`."""
    parser = _Parser(text)
    result = parser.disjunction()
    parser.skip_whitespace()
    if parser.position < len(text):
        raise parser.error(f"Unexpected character {text[parser.position]!r}, expected 'and', "
                           "'or' or end of input")
    return a.TRUE if result is None else result


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def error(self, message: str) -> MarkerError:
        return MarkerError(f"invalid marker {self.text!r}: {message} (at {self.position})")

    def skip_whitespace(self) -> None:
        text, position = self.text, self.position
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        self.position = position

    def _word(self) -> str:
        end = self.position
        while end < len(self.text) and self.text[end] not in _WHITESPACE:
            end += 1
        return self.text[self.position:end]

    def disjunction(self) -> int | None:
        return self._chain("or", self.conjunction, a.disjunction)

    def conjunction(self) -> int | None:
        return self._chain("and", self.atom, a.conjunction)

    def _chain(self, word: str, inner: Callable[[], int | None],
               combine: Callable[[int, int], int]) -> int | None:
        # Left out expressions (None) drop out of the chain, as in uv.
        result = inner()
        while True:
            self.skip_whitespace()
            if self._word() != word:
                return result
            self.position += len(word)
            right = inner()
            if right is not None:
                result = right if result is None else combine(result, right)

    def atom(self) -> int | None:
        self.skip_whitespace()
        if self.text.startswith("(", self.position):
            self.position += 1
            inner = self.disjunction()
            self.skip_whitespace()
            if not self.text.startswith(")", self.position):
                raise self.error("Expected ')'")
            self.position += 1
            return inner
        left = self._value()
        self.skip_whitespace()
        operator = self._operator()
        self.skip_whitespace()
        right = self._value()
        return _expression(left, operator, right, self)

    def _value(self) -> tuple[bool, str]:
        """``(quoted, text)``: a quoted string, or a marker name."""
        text, position = self.text, self.position
        if position >= len(text):
            raise self.error("Expected marker value, found end of dependency specification")
        quote = text[position]
        if quote in "'\"":
            end = text.find(quote, position + 1)
            if end < 0:
                raise self.error("Missing closing quote")
            self.position = end + 1
            return True, text[position + 1:end]
        end = position
        while end < len(text) and text[end] not in _WHITESPACE and text[end] not in "><=!~)":
            end += 1
        name = text[position:end]
        if name not in _STRING_KEYS and name not in _VERSION_KEYS and name not in _LIST_KEYS \
                and name != "extra":
            raise self.error(f"Expected a quoted string or a valid marker name, found `{name}`")
        self.position = end
        return False, name

    def _operator(self) -> str:
        text, start = self.text, self.position
        end = start
        if start < len(text) and text[start].isalpha():
            while end < len(text) and text[end] not in _WHITESPACE and text[end] not in "'\"":
                end += 1
            word = text[start:end]
            self.position = end
            if word == "in":
                return "in"
            if word == "not":
                self.skip_whitespace()
                if self.position > end and text.startswith("in", self.position):
                    self.position += 2
                    return "not in"
            raise self.error("Expected a valid marker operator (such as `>=` or `not in`), "
                             f"found `{word}`")
        while end < len(text) and text[end] in _OPERATOR_CHARS:
            end += 1
        operator = text[start:end]
        if operator not in _VALID_OPERATORS:
            raise self.error("Expected a valid marker operator (such as `>=` or `not in`), "
                             f"found `{operator}`")
        self.position = end
        return operator


def _expression(left: tuple[bool, str], operator: str, right: tuple[bool, str],
                parser: _Parser) -> int | None:
    (left_quoted, left_text), (right_quoted, right_text) = left, right
    if not left_quoted:
        if left_text in _LIST_KEYS:
            raise parser.error(f"The marker {left_text} must be on the right hand side of the "
                               "expression")
        if not right_quoted:
            return None  # two keys compared: meaningless, left out
        if left_text in _VERSION_KEYS:
            return _version(left_text, operator, right_text, inverted=False)
        if left_text == "extra":
            return _extra(operator, right_text)
        return _string(_STRING_KEYS[left_text], operator, right_text)
    if right_quoted:
        return None  # two strings compared
    if right_text in _VERSION_KEYS:
        return _version(right_text, _INVERTED[operator], left_text, inverted=True)
    if right_text == "extra":
        return _extra(operator, left_text)
    if right_text in _LIST_KEYS:
        if operator not in ("in", "not in"):
            raise parser.error(f"The operator {operator} is not supported with the marker "
                               f"{right_text}, only the `in` and `not in` operators are "
                               "supported")
        value = normalize_name(left_text) if is_valid_name(left_text) else left_text
        return _boolean((a.LIST, right_text, value), operator == "in")
    return _string(_STRING_KEYS[right_text], _INVERTED[operator], left_text)


def _boolean(var: a.Var, positive: bool) -> int:
    return a.create(var, (a.TRUE, a.FALSE)) ^ (not positive)


def _extra(operator: str, value: str) -> int | None:
    if operator not in ("==", "!="):
        return None
    if not is_valid_name(value):
        return a.FALSE  # never matches (uv: an "arbitrary" extra is false)
    return _boolean((a.EXTRA, normalize_name(value)), operator == "==")


def _string(key: int, operator: str, value: str) -> int | None:
    if operator == "~=":
        return None
    if operator in ("in", "not in"):
        return _boolean((a.IN, key, value), operator == "in")
    if operator in ("contains", "not contains"):
        return _boolean((a.CONTAINS, key, value), operator == "contains")
    if key == a.PLATFORM_SYSTEM and value in _SYSTEMS:
        key, value = a.SYS_PLATFORM, _SYSTEMS[value]
    string = a.create((a.STRING, key), a.edges_for(_string_range(key, operator, value)))
    if key == a.PLATFORM_RELEASE:
        # uv compares Darwin kernel releases numerically (its 0.13 series).
        darwin = _darwin_release(operator, value)
        if darwin is not None:
            darwin_platform = a.create((a.STRING, a.SYS_PLATFORM),
                                       a.edges_for([a.singleton("darwin")]))
            return a.disjunction(a.conjunction(darwin_platform, darwin),
                                 a.conjunction(darwin_platform ^ 1, string))
    return string


def _string_range(key: int, operator: str, value: str) -> list[Interval]:
    if key in (a.PLATFORM_RELEASE, a.PLATFORM_VERSION):
        ordered = {"<": (None, False, value, False), "<=": (None, False, value, True),
                   ">": (value, False, None, False), ">=": (value, True, None, False)}
        if operator in ordered:
            return [ordered[operator]]
    if operator == "!=":
        return a.complement([a.singleton(value)])
    if operator in ("<", ">"):
        return []
    return [a.singleton(value)]


def _darwin_release(operator: str, value: str) -> int | None:
    spec = _specifier(operator, value)
    if spec is None:
        return None
    return a.create((a.DARWIN,), a.edges_for(_release_range(*spec)))


def _version(key: str, operator: str, value: str, inverted: bool) -> int | None:
    index = _VERSION_KEYS[key]
    if operator in ("in", "not in"):
        if inverted:
            return None
        return _version_in(index, value, operator == "in")
    if operator in ("contains", "not contains"):
        return None
    spec = _specifier(operator, value, allow_wildcard=not inverted)
    if spec is None:
        return None
    if index < 0:
        converted = _python_version(*spec)
        if isinstance(converted, int):
            return converted
        spec, index = converted, a.PYTHON_FULL_VERSION
    return a.create((a.VERSION, index), a.edges_for(_release_range(*spec)))


_Spec = tuple[str, tuple[int, ...], bool]


def _specifier(operator: str, value: str, allow_wildcard: bool = True) -> _Spec | None:
    """``(operator, release, wildcard)`` for a valid PEP 440 specifier, else ``None``."""
    wildcard = allow_wildcard and value.endswith(".*")
    text = value[:-2] if wildcard else value
    if _SIMPLE_VERSION.fullmatch(text):
        release = tuple(int(part) for part in text.split("."))
        local = False
    else:
        from pyffin.models.versions import InvalidVersion, Version

        try:
            parsed = Version(text)
        except InvalidVersion:
            return None
        release, local = parsed.release, parsed.local is not None
        if wildcard and (local or parsed.pre or parsed.post is not None or
                         parsed.dev is not None):
            return None
    if wildcard and operator not in ("==", "!="):
        return None
    if local and operator not in ("==", "!="):
        return None
    if operator == "~=" and len(release) < 2:
        return None
    return operator, release, wildcard


def _python_version(operator: str, release: tuple[int, ...], wildcard: bool) -> _Spec | int:
    """The ``python_full_version`` specifier equivalent to a ``python_version`` one (whose
    values are ``major.minor``), or TRUE/FALSE when the comparison is constant."""
    if wildcard:
        if len(release) == 1:
            return operator, release, True
        if all(part == 0 for part in release[2:]):
            return operator, release[:2], True
        return a.FALSE
    if operator == "~=":
        if len(release) == 2:
            return operator, release, False
        if all(part == 0 for part in release[2:]):
            return "==", release[:2], True
        return a.FALSE
    trimmed = _trim(release)
    if len(trimmed) <= 2:
        major, minor = trimmed[0], trimmed[1] if len(trimmed) > 1 else 0
        if operator == "==":
            return "==", (major, minor), True
        if operator == "!=":
            return "!=", (major, minor), True
        if operator == ">":
            return ">=", (major, minor + 1), False
        if operator == "<=":
            return "<", (major, minor + 1), False
        return operator, release, False
    major, minor = release[0], release[1]
    if operator == "==":
        return a.FALSE
    if operator == "!=":
        return a.TRUE
    if operator in ("<", "<="):
        return "<", (major, minor + 1), False
    return ">=", (major, minor + 1), False


def _version_in(index: int, value: str, positive: bool) -> int | None:
    intervals: list[Interval] = []
    for word in value.split():
        spec = _specifier("==", word, allow_wildcard=False)
        if spec is None:
            return None
        if index < 0:
            converted = _python_version(*spec)
            if isinstance(converted, int):
                return converted
            intervals.extend(_release_range(*converted))
        else:
            intervals.append(a.singleton(_trim(spec[1])))
    if index < 0:
        index = a.PYTHON_FULL_VERSION
    true = a.union(intervals)
    if not positive:
        true = a.complement(true)
    return a.create((a.VERSION, index), a.edges_for(true))


def _trim(release: Sequence[int]) -> tuple[int, ...]:
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return tuple(release[:end])


def _release_range(operator: str, release: tuple[int, ...], wildcard: bool) -> list[Interval]:
    """Release-only PEP 440 semantics of one specifier, as sorted intervals."""
    version = _trim(release)
    if wildcard:
        high = (*release[:-1], release[-1] + 1)
        true = [(version, True, high, False)]
        return true if operator == "==" else a.complement(true)
    if operator == "==":
        return [a.singleton(version)]
    if operator == "!=":
        return a.complement([a.singleton(version)])
    if operator == "<":
        return [(None, False, version, False)]
    if operator == "<=":
        return [(None, False, version, True)]
    if operator == ">":
        return [(version, False, None, False)]
    if operator == ">=":
        return [(version, True, None, False)]
    # ~=: at least the version, below the next release of its last-but-one segment.
    return [(version, True, (*release[:-2], release[-2] + 1), False)]
