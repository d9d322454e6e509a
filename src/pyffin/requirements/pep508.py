"""PEP 508 requirements and markers, read and evaluated without ``packaging`` on the common path.

Importing ``packaging.requirements`` or ``packaging.markers`` costs more than a warm ``pyffin``
command may spend in all (they pull in ``dataclasses``, ``inspect``, ``ast``, ``logging``,
``subprocess``...), and nearly every requirement and marker a resolution meets has one of a few
simple shapes. Those shapes are parsed here with regular expressions and evaluated directly
(PEP 508 and PEP 440 semantics); anything else goes to ``packaging``, which also words the errors
for invalid input. ``tests/requirements/test_pep508.py`` checks both paths agree.

The types mirror the parts of ``packaging``'s that pyffin uses: :class:`Requirement` (``name``,
``extras``, ``specifier``, ``marker``, ``url``, ``str()``), :class:`SpecifierSet` (iterable of
:class:`Specifier` with ``operator`` and ``version``), :class:`Marker` (``evaluate()``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pyffin.models.names import normalize_name
from pyffin.models.requirement_text import CLAUSE_RE as CLAUSE_RE
from pyffin.models.requirement_text import split_unchecked as split_unchecked
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.models.versions import Version


class InvalidRequirement(ValueError):
    """Not a valid PEP 508 requirement (``packaging``'s message, with its caret)."""


class InvalidMarker(ValueError):
    """Not a valid PEP 508 marker."""


@record
class Specifier:
    """One version clause: ``operator`` and ``version`` as written."""

    operator: str
    version: str

    def __str__(self) -> str:
        return f"{self.operator}{self.version}"


@record
class SpecifierSet:
    """The version clauses of a requirement; all must hold."""

    clauses: tuple[Specifier, ...] = ()

    def __iter__(self) -> Iterator[Specifier]:
        return iter(self.clauses)

    def __len__(self) -> int:
        return len(self.clauses)

    def __str__(self) -> str:
        return ",".join(sorted(str(clause) for clause in self.clauses))

    def admits(self, version: str) -> bool | None:
        """Whether ``version`` satisfies every clause (pre-releases included, as for a pin);
        ``None`` when that cannot be told (a version that does not parse)."""
        for clause in self.clauses:
            holds = _version_compare(version, clause.operator, clause.version)
            if not holds:
                return holds
        return True


class Extras(frozenset[str]):
    """A requirement's extras: a set (compared and hashed as a :class:`frozenset`) that also
    keeps them in the order written (:attr:`written`, each once), which decides the order the
    resolver meets them in, as in uv (``a[y,x]``: ``a[y]`` first)."""

    __slots__ = ("written",)
    written: tuple[str, ...]

    def __new__(cls, written: Iterable[str] = ()) -> Extras:
        ordered = tuple(dict.fromkeys(written))
        extras = super().__new__(cls, ordered)
        extras.written = ordered
        return extras

    def __reduce__(self) -> tuple[Any, ...]:
        return (Extras, (self.written,))

    def __repr__(self) -> str:
        # A set's repr follows string hashes, which differ from process to process: this one
        # is the same in each (it is part of the resolution cache's key).
        return f"Extras({self.written!r})"


@record(frozen=False)
class Requirement:
    """A parsed PEP 508 requirement."""

    name: str
    extras: frozenset[str] = frozenset()
    specifier: SpecifierSet = SpecifierSet()
    marker: Marker | None = None
    url: str | None = None

    def __str__(self) -> str:
        text = self.name
        if self.extras:
            text += f"[{','.join(sorted(self.extras))}]"
        if self.specifier:
            text += str(self.specifier)
        if self.url is not None:
            text += f" @ {self.url}"
            if self.marker is not None:
                text += " "
        if self.marker is not None:
            text += f"; {self.marker}"
        return text


def split_requirement(text: str) -> tuple[str, tuple[str, ...], tuple[Specifier, ...], str | None
                                        ] | None:
    """The parts of a requirement in one of the common shapes — name, extras (as written),
    clauses (versions valid), marker text (not parsed) — or ``None`` for any other text."""
    parts = split_unchecked(text)
    if parts is None:
        return None
    name, extra_names, clauses, marker_text = parts
    specifiers = tuple(Specifier(op, version) for op, version in clauses)
    if not valid_clauses(specifiers):
        return None
    return name, extra_names, specifiers, marker_text


def parse_requirement(text: str) -> Requirement:
    """Parse ``text``; raises :class:`InvalidRequirement`."""
    parts = split_requirement(text)
    if parts is not None:
        name, extras, specifiers, marker_text = parts
        try:
            marker = Marker.parse(marker_text) if marker_text else None
        except InvalidMarker:
            pass  # packaging words the error
        else:
            return Requirement(name, Extras(extras), SpecifierSet(specifiers), marker)
    return _parse_slow(text)


#: uv's repairs of common mistakes in requirement and specifier strings of published metadata
#: (``uv-pypi-types``' ``LenientRequirement``), in uv's order: a pattern, its replacement, and
#: what it fixes.
_FIXUPS: tuple[tuple[str, str, str], ...] = (
    (r"(\d)([<>=~^!])", r"\1,\2", "inserting missing comma"),  # >=7.2.0<8.0.0
    (r"!=~((?:\d\.)*\d)", r"!=\1.*", "replacing invalid tilde with wildcard"),  # !=~5.0
    (r"(<=|>=|<|>)\s*(\d+(\.\d+)*)\.\*", r"\1\2",
     "removing star after comparison operator other than equal and not equal"),  # >=1.9.*
    (r"(\d\.\d)+\*", r"\1.*", "inserting missing dot"),  # !=3.0*
    (r",\s*$", "", "removing trailing comma"),  # >=3.6,
    (r">dev", ">0.0.0dev", "assuming 0.0.0dev"),
    (r"(\d+(\.\d)*(a|b|rc|post|dev)\d+)\.0", r"\1", "removing trailing zero"),  # >=9.0.0a1.0
)


def repairs(text: str) -> Iterator[tuple[str, str]]:
    """What uv tries when ``text`` does not parse: each fix in turn, applied on top of the
    previous ones, as ``(repaired text, what was fixed so far)`` (only the fixes that changed
    something). The caller stops at the first text that parses."""
    patched = text
    fixed: list[str] = []
    for pattern, replacement, message in _FIXUPS:
        candidate = re.sub(pattern, replacement, patched)
        if candidate != patched:
            fixed.append(message)
            patched = candidate
            yield patched, ", ".join(fixed)
    # Stray quotes (``>= 2.7'``), outside a marker, where quotes belong.
    head, semicolon, marker = patched.partition(";")
    candidate = re.sub(r"[\'\"]", "", head) + semicolon + marker
    if candidate != patched:
        fixed.append("removing stray quotes")
        yield candidate, ", ".join(fixed)


def valid_clauses(specifiers: tuple[Specifier, ...]) -> bool:
    """Clauses whose versions parse (``packaging`` words the error for the others)."""
    if not specifiers:
        return True
    # Imported by its full name: on Python 3.11, ``from <module> import ...`` in a function
    # costs an AttributeError (the module has no ``__path__``) every call.
    import pyffin.models.versions as versions_module

    Version, InvalidVersion = versions_module.Version, versions_module.InvalidVersion
    for clause in specifiers:
        version = clause.version
        if version.endswith(".*"):
            if clause.operator not in ("==", "!="):
                return False
            version = version[:-2]
        if clause.operator == "===":
            continue
        try:
            parsed = Version(version)
        except InvalidVersion:
            return False
        if clause.operator == "~=" and len(parsed.release) < 2:
            return False
        if parsed.local is not None and clause.operator not in ("==", "!="):
            return False
    return True


def _parse_slow(text: str) -> Requirement:
    from packaging.requirements import InvalidRequirement as PackagingInvalid
    from packaging.requirements import Requirement as PackagingRequirement

    try:
        parsed = PackagingRequirement(text)
    except PackagingInvalid as e:
        raise InvalidRequirement(str(e)) from None
    # packaging keeps extras as a set: their order as written, from the brackets.
    written = text.partition("[")[2].partition("]")[0].split(",") if parsed.extras else []
    return Requirement(
        parsed.name,
        Extras([*(e.strip() for e in written if e.strip() in parsed.extras),
                *sorted(parsed.extras)]),
        SpecifierSet(tuple(Specifier(s.operator, s.version) for s in parsed.specifier)),
        Marker(str(parsed.marker), None) if parsed.marker is not None else None,
        parsed.url,
    )


# --------------------------------------------------------------------------------- markers
_VARIABLES = {
    "implementation_version", "platform_python_implementation", "implementation_name",
    "python_full_version", "platform_release", "platform_version", "platform_machine",
    "platform_system", "python_version", "sys_platform", "os_name", "extra",
    # Legacy spellings packaging still accepts.
    "os.name", "sys.platform", "platform.version", "platform.machine",
    "platform.python_implementation", "python_implementation",
}
_ALIASES = {"os.name": "os_name", "sys.platform": "sys_platform",
            "platform.version": "platform_version", "platform.machine": "platform_machine",
            "platform.python_implementation": "platform_python_implementation",
            "python_implementation": "platform_python_implementation"}
_TOKEN_PATTERN = (
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)"
    r"|(?P<bool>and\b|or\b)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<var>[a-z_]+(?:\.[a-z_]+)?))"
)


def _token_re() -> re.Pattern[str]:
    # Compiled on first use (``re`` caches it): a warm command with no marker to read never
    # pays for it.
    return re.compile(_TOKEN_PATTERN)


_VERSION_OPERATORS = frozenset({"===", "==", "!=", "<=", ">=", "~=", "<", ">"})

# A parsed marker: ("and"|"or", left, right), ("group", inner) for a parenthesized part, or
# ("cmp", lhs, op, rhs) where lhs/rhs are ("var", name) or ("str", value).
Node = tuple[Any, ...]


@record
class Marker:
    """A PEP 508 environment marker: its text, and (when it has one of the shapes parsed here)
    its syntax tree; ``None`` means ``packaging`` evaluates it."""

    text: str
    tree: Node | None

    @classmethod
    def parse(cls, text: str) -> Marker:
        """Parse ``text``; raises :class:`InvalidMarker` for what ``packaging`` refuses too."""
        text = text.strip()
        tree = _MarkerParser(text).parse()
        if tree is None:
            from packaging.markers import InvalidMarker as PackagingInvalid
            from packaging.markers import Marker as PackagingMarker

            try:
                PackagingMarker(text)
            except PackagingInvalid as e:
                raise InvalidMarker(str(e)) from None
        return cls(text, tree)

    def __str__(self) -> str:
        """The marker in ``packaging``'s normal form (double quotes, redundant parentheses
        dropped), so both paths write markers the same way."""
        return self.text if self.tree is None else _format(self.tree)

    def evaluate(self, environment: Mapping[str, str]) -> bool:
        """Whether the marker holds in ``environment`` (with an ``extra`` key, ``""`` if
        none). Raises ``ValueError`` for a comparison PEP 508 leaves undefined."""
        if self.tree is not None:
            result = _evaluate(self.tree, environment)
            if result is not None:
                return result
        from packaging.markers import Marker as PackagingMarker

        return bool(PackagingMarker(self.text).evaluate(dict(environment)))

    def with_extra(self, extra: str) -> bool | Marker:
        """The marker once ``extra`` is known (``""``: no extra): ``True`` or ``False`` when
        that settles it, else what is left to evaluate (comparisons of ``extra`` removed).
        Raises ``ValueError`` for a marker of a shape only ``packaging`` reads that compares
        ``extra``."""
        if self.tree is None:
            if "extra" in self.text:
                raise ValueError(f"cannot select extras by the marker {self.text!r}")
            return self
        reduced = _with_extra(self.tree, normalize_name(extra))
        if isinstance(reduced, bool):
            return reduced
        return Marker.parse(_format(reduced))


def _with_extra(node: Node, extra: str) -> bool | Node:
    kind = node[0]
    if kind == "group":
        inner = _with_extra(node[1], extra)
        return inner if isinstance(inner, bool) else ("group", inner)
    if kind in ("and", "or"):
        left, right = _with_extra(node[1], extra), _with_extra(node[2], extra)
        absorbing = kind == "or"  # True absorbs an "or", False an "and"
        if left is absorbing or right is absorbing:
            return absorbing
        if isinstance(left, bool):
            return right
        if isinstance(right, bool):
            return left
        return (kind, left, right)
    if ("var", "extra") not in (node[1], node[3]):
        return node
    result = _evaluate(node, {"extra": extra})
    if result is None:
        raise ValueError(f"cannot select extras by the marker {_format(node)!r}")
    return result


class _MarkerParser:
    """Recursive descent over the common marker grammar; ``None`` for anything else."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _token_re().match(text, position)
            if match is None or match.end() == position:
                self.tokens = []
                self.failed = True
                return
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, " ".join(match.group(kind).split())))
            position = match.end()
            while position < len(text) and text[position].isspace():
                position += 1
        self.failed = False
        self.index = 0

    def parse(self) -> Node | None:
        if self.failed or not self.tokens:
            return None
        try:
            node = self._or()
        except _Unsupported:
            return None
        return node if self.index == len(self.tokens) else None

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, kind: str) -> str:
        token = self._peek()
        if token is None or token[0] != kind:
            raise _Unsupported
        self.index += 1
        return token[1]

    def _or(self) -> Node:
        node = self._and()
        while self._peek() == ("bool", "or"):
            self.index += 1
            node = ("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._atom()
        while self._peek() == ("bool", "and"):
            self.index += 1
            node = ("and", node, self._atom())
        return node

    def _atom(self) -> Node:
        token = self._peek()
        if token is not None and token[0] == "lp":
            self.index += 1
            node = self._or()
            self._take("rp")
            return ("group", node)
        lhs = self._value()
        op = self._take("op")
        rhs = self._value()
        if (lhs[0] == "var") == (rhs[0] == "var"):
            raise _Unsupported  # two variables or two strings: packaging's business
        return ("cmp", lhs, op, rhs)

    def _value(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise _Unsupported
        self.index += 1
        kind, value = token
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "var" and value in _VARIABLES:
            return ("var", _ALIASES.get(value, value))
        raise _Unsupported


class _Unsupported(Exception):
    pass


def _evaluate(node: Node, environment: Mapping[str, str]) -> bool | None:
    """The value of ``node``; ``None`` when a comparison needs ``packaging``'s judgement."""
    kind = node[0]
    if kind == "group":
        return _evaluate(node[1], environment)
    if kind == "and":
        left = _evaluate(node[1], environment)
        if left is False:
            return False
        right = _evaluate(node[2], environment)
        return None if left is None or right is None else right
    if kind == "or":
        left = _evaluate(node[1], environment)
        if left is True:
            return True
        right = _evaluate(node[2], environment)
        return None if left is None or right is None else right
    lhs: tuple[str, str] = node[1]
    op: str = node[2]
    rhs: tuple[str, str] = node[3]
    variable = lhs[1] if lhs[0] == "var" else rhs[1]
    if variable not in environment:
        return None  # packaging raises UndefinedEnvironmentName: let it
    lhs_value: str = environment[variable] if lhs[0] == "var" else lhs[1]
    rhs_value: str = environment[variable] if rhs[0] == "var" else rhs[1]
    if variable == "extra":
        # PEP 685: extras compare normalized.
        lhs_value, rhs_value = normalize_name(lhs_value), normalize_name(rhs_value)
    if op in ("in", "not in"):
        return (lhs_value in rhs_value) == (op == "in")
    if op in _VERSION_OPERATORS:
        verdict = _version_compare(lhs_value, op, rhs_value)
        if verdict is not None:
            return verdict
    if op == "==":
        return lhs_value == rhs_value
    if op == "!=":
        return lhs_value != rhs_value
    return None


def _format(node: Node) -> str:
    kind = node[0]
    if kind == "group":
        inner = node[1]
        return _format(inner) if inner[0] in ("cmp", "group") else f"({_format(inner)})"
    if kind in ("and", "or"):
        return f"{_format(node[1])} {kind} {_format(node[2])}"
    _, lhs, op, rhs = node
    extra = ("var", "extra") in (lhs, rhs)
    return " ".join((_format_value(lhs, extra), op, _format_value(rhs, extra)))


def _format_value(value: tuple[str, str], extra: bool) -> str:
    if value[0] == "var":
        return value[1]
    # packaging writes the value compared with ``extra`` normalized (PEP 685).
    return f'"{normalize_name(value[1]) if extra else value[1]}"'


def _may_be_version(text: str) -> bool:
    """Whether ``text`` may be a PEP 440 version, which begins with a digit (or ``v`` and one,
    after blanks): ``CPython``, ``linux`` are told apart without packaging's pattern (which a
    warm resolution then may never compile: ~5M instructions)."""
    head = text.lstrip()[:2]
    return head[:1].isdigit() or (head[:1] in ("v", "V") and head[1:2].isdigit())


def _version_compare(left: str, op: str, right: str) -> bool | None:
    """PEP 440 comparison of ``left`` against the specifier ``op right`` (pre-releases
    allowed, as in markers); ``None`` when either side is not a version."""
    import pyffin.models.versions as versions_module  # (see valid_clauses)

    Version, InvalidVersion = versions_module.Version, versions_module.InvalidVersion
    parse_version = versions_module.parse_version

    if op == "===":
        return left.lower() == right.lower()
    wildcard = right.endswith(".*")
    if (wildcard and op not in ("==", "!=")) or not _may_be_version(right) \
            or not _may_be_version(left):
        return None
    try:
        # The same few texts recur (``3.11``, the target's own versions): parsed once.
        spec = parse_version(right[:-2] if wildcard else right)
        candidate = parse_version(left)
    except InvalidVersion:
        return None
    if op in ("==", "!="):
        if wildcard:
            matched = spec.local is None and _prefix_match(candidate, spec)
        elif spec.local is None:
            matched = _public(candidate) == spec
        else:
            matched = candidate == spec
        return matched if op == "==" else not matched
    public = _public(candidate)
    if op == "<=":
        return public <= spec
    if op == ">=":
        return public >= spec
    if op == "<":
        # A pre-release of the specified (final) version is not "less than" it (PEP 440).
        return public < spec and not (not spec.is_prerelease and candidate.is_prerelease
                                      and _same_base(candidate, spec))
    if op == ">":
        # Nor is a post-release of it "greater than" it (a local version of it is not greater
        # by comparing public versions).
        if not spec.is_postrelease and candidate.is_postrelease and _same_base(candidate, spec):
            return False
        return public > spec
    if op == "~=":
        if len(spec.release) < 2:
            return None
        prefix = Version(".".join(map(str, spec.release[:-1])))
        return public >= spec and _prefix_match(candidate, prefix)
    return None


def _same_base(a: Version, b: Version) -> bool:
    from pyffin.models.versions import Version as VersionType

    return VersionType(a.base_version) == VersionType(b.base_version)


def _public(version: Version) -> Version:
    if version.local is None:
        return version
    from pyffin.models.versions import Version as VersionType

    return VersionType(version.public)


def _prefix_match(candidate: Version, prefix: Version) -> bool:
    """``candidate`` matches ``prefix.*`` (PEP 440 prefix matching, zero-padded)."""
    if candidate.epoch != prefix.epoch:
        return False
    wanted = prefix.release
    release = candidate.release + (0,) * max(0, len(wanted) - len(candidate.release))
    if release[:len(wanted)] != wanted:
        return False
    # A prefix that names a pre/post/dev release must match it too.
    if prefix.pre is not None or prefix.post is not None or prefix.dev is not None:
        return (candidate.pre, candidate.post, candidate.dev) == (prefix.pre, prefix.post,
                                                                   prefix.dev)
    return True
