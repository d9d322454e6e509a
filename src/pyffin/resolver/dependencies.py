"""Requirements as the solver reads them: direct ones with their origin, and ``Requires-Dist``.

A resolution of 150 packages parses close to a thousand ``Requires-Dist`` strings: the common
shapes go through :func:`pyffin.requirements.pep508.split_requirement` (one regular expression)
and keep their marker as text, parsed once per distinct text the first time it is evaluated, its
results cached per extra; anything else goes through the full parser (and ``packaging``), which
also words the error for invalid input.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeAlias

from pyffin.models.names import normalize_name
from pyffin.records import record
from pyffin.resolver.ranges import (
    RangeMemo,
    SpecifierError,
    VersionSet,
    check_clause,
    clause_range,
    clause_version,
    specifiers_range,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pyffin.models.versions import Version
    from pyffin.requirements.pep508 import Marker, Requirement


#: What :func:`pyffin.models.requirement_text.split_unchecked` splits a text into (or a
#: metadata record keeps of it).
_Parts: TypeAlias = tuple[str, tuple[str, ...], "Sequence[tuple[str, str]]", str | None]
#: :meth:`DependencyParser.check` without parts given: split the text.
_SPLIT: Any = object()


class DependencyError(ValueError):
    """An invalid requirement or marker; the caller names the distribution that declared it."""


@record
class DirectRequirement:
    """A requirement the user wrote, and where (``-r requirements.in``, ``-c constraints.txt``)."""

    requirement: Requirement
    #: Shown in ``# via`` annotations, as pip-tools and uv do.
    origin: str


@record
class Dependency:
    """One parsed requirement: normalized name and extras, specifier clauses, marker text."""

    name: str
    extras: tuple[str, ...]
    #: ``(operator, version)`` pairs, all of which must hold.
    clauses: tuple[tuple[str, str], ...]
    marker: str | None
    #: ``name @ url`` (not supported yet by the solver).
    url: str | None
    #: As written, for messages.
    text: str
    #: The versions the clauses admit (pre-releases included).
    versions: VersionSet


class DependencyParser:
    """Requirement strings parsed and specifier clauses turned into version sets, kept for as
    long as its owner lives: a :class:`~pyffin.api.session.Session` (the same ``Requires-Dist``
    texts and clauses recur across a resolution, its builds' resolutions and the checks before
    them), else one resolution. Never process-wide: a long-lived process using pyffin as a
    library would keep every text it ever saw."""

    __slots__ = ("_checked", "_parsed", "_split", "_valid", "ranges")

    def __init__(self) -> None:
        self._parsed: dict[str, Dependency] = {}
        #: Texts of the common shape known to parse, with their marker text: most of a
        #: version's requirements belong to extras nobody asked for, and only need to be
        #: valid (see :meth:`check`).
        self._checked: dict[str, str | None] = {}
        #: The parts :meth:`check` split such texts into, until :meth:`parse` uses them: the
        #: requirements a resolution keeps are split once, not again to be parsed.
        self._split: dict[str, _Parts] = {}
        #: Clauses already turned into version sets (see :func:`~.ranges.specifier_range`).
        self.ranges: RangeMemo = {}
        #: Clauses :meth:`check` found valid, with their versions (``None``: a plain
        #: release, not parsed yet): most texts it checks are never parsed (an extra nobody
        #: asked for), so it makes no version set of them, nor a version of most clauses.
        self._valid: dict[tuple[str, str], Version | None] = {}

    def parse(self, text: str) -> Dependency:
        """:func:`parse_dependency`, once per distinct text."""
        dependency = self._parsed.get(text)
        if dependency is None:
            parts = self._split.pop(text, None)
            if parts is not None:  # checked: its clauses' versions are known
                ranges = self.ranges
                for clause in parts[2]:
                    if clause not in ranges:
                        operator, text_of = clause
                        version = self._valid[clause]
                        ranges[clause] = clause_range(
                            operator, text_of,
                            clause_version(operator, text_of) if version is None else version)
            dependency = self._parsed[text] = (
                _parse(text, self.ranges) if parts is None
                else _from_parts(text, parts, specifiers_range(parts[2], self.ranges)))
        return dependency

    def check(self, text: str, parts: _Parts | None = _SPLIT) -> str | None:
        """Raise :class:`DependencyError` if :meth:`parse` would; else the requirement's
        marker text, as :meth:`parse` gives it. Cheaper than parsing for the common shape:
        names are not normalized, no :class:`Dependency` is made. ``parts``: the text's,
        as :func:`~pyffin.models.requirement_text.split_unchecked` found them before (a
        metadata record keeps them: see :class:`~pyffin.models.metadata.RequiresDist`)."""
        checked = self._checked
        if text in checked:  # a miss raises nothing (most texts are checked once)
            return checked[text]
        dependency = self._parsed.get(text)
        if dependency is not None:
            return dependency.marker
        if parts is _SPLIT:
            # Imported by its full name: on Python 3.11, ``from <module> import ...`` in a
            # function costs an AttributeError (the module has no ``__path__``) every call.
            import pyffin.models.requirement_text as requirement_text

            parts = requirement_text.split_unchecked(text)
        if parts is not None:
            valid = self._valid
            for clause in parts[2]:  # what _parse_fast reads
                if clause not in valid:
                    try:
                        valid[clause] = check_clause(*clause)
                    except SpecifierError:
                        parts = None
                        break
        if parts is None:  # the full parser, or its error
            return self.parse(text).marker
        self._split[text] = parts
        marker = checked[text] = parts[3]
        return marker


def parse_dependency(text: str) -> Dependency:
    """Parse a PEP 508 requirement string; raises :class:`DependencyError`. Texts that recur
    are better read through a :class:`DependencyParser`.

    Published metadata is read as leniently as uv reads it: a requirement that does not parse
    gets uv's repairs of common mistakes (``elasticsearch-dsl (>=7.2.0<8.0.0)`` lacks a
    comma), with a warning, before it is called invalid.
    """
    return _parse(text, None)


def _parse(text: str, memo: RangeMemo | None) -> Dependency:
    try:
        return _parse_fast(text, memo) or _parse_slow(text)
    except DependencyError:
        return _repaired(text, memo)


def _repaired(text: str, memo: RangeMemo | None) -> Dependency:
    from pyffin import log
    from pyffin.records import replace
    from pyffin.requirements.pep508 import repairs

    for patched, fixed in repairs(text):
        try:
            dependency = _parse_fast(patched, memo) or _parse_slow(patched)
        except DependencyError:
            continue
        log.warn_result(f"Fixing invalid requirement by {fixed} (before: `{text}`; after: "
                        f"`{patched}`)")
        return replace(dependency, text=text)
    return _parse_slow(text)  # raises, with the error of the text as written


def _parse_fast(text: str, memo: RangeMemo | None) -> Dependency | None:
    from pyffin.models.requirement_text import split_unchecked

    parts = split_unchecked(text)
    if parts is None:
        return None
    try:
        # Reads every clause's version: what split_requirement would check (see
        # pep508.valid_clauses) raises here too.
        versions = specifiers_range(parts[2], memo)
    except SpecifierError:
        return None  # let the full parser word the error
    return _from_parts(text, parts, versions)


def _from_parts(text: str, parts: _Parts, versions: VersionSet) -> Dependency:
    """The dependency of a text of the common shape, from its parts and its clauses' range."""
    name, extras, found, marker = parts
    return Dependency(normalize_name(name),
                      tuple(dict.fromkeys(map(normalize_name, extras))) if extras else (),
                      tuple(found), marker, None, text, versions)


def _parse_slow(text: str) -> Dependency:
    from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement

    try:
        requirement = parse_requirement(text)
    except InvalidRequirement as e:
        raise DependencyError(f"invalid requirement {text!r}: {e}") from None
    return from_requirement(requirement)


def from_requirement(requirement: Requirement) -> Dependency:
    """The solver's view of an already parsed requirement; raises :class:`DependencyError`."""
    clauses = tuple((spec.operator, spec.version) for spec in requirement.specifier)
    try:
        versions = specifiers_range(clauses)
    except SpecifierError as e:
        raise DependencyError(f"unsupported specifier in {str(requirement)!r}: {e}") from None
    return Dependency(
        normalize_name(requirement.name),
        # In the order written when the parser kept it (pep508.Extras), as uv meets them.
        tuple(dict.fromkeys(map(normalize_name, getattr(requirement.extras, "written", None)
                                or sorted(requirement.extras)))),
        clauses,
        str(requirement.marker) if requirement.marker is not None else None,
        requirement.url,
        str(requirement),
        versions,
    )


#: The most common marker by far (an extra's own requirement), read without parsing.
_EXTRA_ONLY = re.compile(r"""\s*extra\s*==\s*(?:"([^"]*)"|'([^']*)')\s*""")
#: One comparison uv writes back as it is (quotes aside), or, for ``python_version`` and a
#: ``major.minor`` (minor not 0), as a ``python_full_version`` one: most markers a resolution
#: meets, labelled without the marker algebra (see :meth:`MarkerEvaluator.label`). Compiled
#: when first needed (0.6 ms, which a command that meets no marker need not pay).
_PLAIN_COMPARISON = (
    r"""\s*(python_version|sys_platform|os_name|implementation_name|platform_machine"""
    r"""|platform_python_implementation)\s*(==|!=|<=|>=|<|>)\s*"""
    r"""(?:"([A-Za-z0-9_.-]*)"|'([A-Za-z0-9_.-]*)')\s*""")
_plain: list[tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]] = []


class MarkerEvaluator:
    """Evaluates marker texts against one target environment, with ``extra`` per call."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self._environment = dict(environment)
        self._markers: dict[str, Marker | str] = {}
        self._results: dict[tuple[str, str], bool] = {}
        self._labels: dict[str, str | None] = {}

    def evaluate(self, marker: str, extra: str = "") -> bool:
        """Whether ``marker`` holds on the target with ``extra``.

        Raises :class:`DependencyError` for a marker that cannot be parsed or evaluated.
        """
        key = (marker, extra)
        result = self._results.get(key)
        if result is None:
            parsed = self._markers.get(marker)
            if parsed is None:
                only = _EXTRA_ONLY.fullmatch(marker)
                # ``extra == "name"``: its normalized name (PEP 685: extras compare so).
                parsed = self._markers[marker] = (
                    _parse_marker(marker) if only is None
                    else normalize_name(only.group(1) if only.group(1) is not None
                                        else only.group(2)))
            if isinstance(parsed, str):
                result = parsed == normalize_name(extra)
            else:
                environment = dict(self._environment, extra=extra)
                try:
                    result = parsed.evaluate(environment)
                except Exception as e:  # packaging raises UndefinedComparison and friends
                    raise DependencyError(f"cannot evaluate marker {marker!r}: {e}") from None
            self._results[key] = result
        return result

    def label(self, marker: str) -> str | None:
        """How uv writes ``marker`` once its ``extra`` comparisons are gone: the name of the
        marker proxy package of a requirement that holds here only under it (``numpy{
        python_full_version < '3.10'}``). ``None`` when nothing is left (a marker on extras
        only)."""
        labels = self._labels
        if marker in labels:
            return labels[marker]
        if _EXTRA_ONLY.fullmatch(marker):
            labels[marker] = None
            return None
        label = _plain_label(marker)
        if label is not None:
            labels[marker] = label
            return label
        from pyffin.models.markers import Marker as Canonical

        try:
            canonical = Canonical.parse(marker).without_extras()
        except ValueError as e:
            raise DependencyError(f"invalid marker {marker!r}: {e}") from None
        label = labels[marker] = None if canonical.is_true() else str(canonical)
        return label


def _plain_label(marker: str) -> str | None:
    """uv's text of ``marker`` when it is one :data:`_PLAIN_COMPARISON`, or a conjunction of
    ``!=`` ones on one variable (``sys_platform != 'win32' and sys_platform != 'cygwin'``,
    values in code point order, as uv sorts them); else ``None``."""
    if not _plain:
        _plain.append((re.compile(_PLAIN_COMPARISON), re.compile(r"(\d+)\.([1-9]\d*)"),
                       re.compile(r"\s+and\s+")))
    comparison, minor, conjunction = _plain[0]
    terms = []
    for part in conjunction.split(marker):
        found = comparison.fullmatch(part)
        if found is None:
            return None
        value = found.group(3)
        terms.append((found.group(1), found.group(2), found.group(4) if value is None else value))
    variable, operator, value = terms[0]
    if len(terms) > 1:
        if variable == "python_version" or any(
                term[0] != variable or term[1] != "!=" for term in terms):
            return None
        return " and ".join(f"{variable} != '{value}'"
                            for value in sorted({term[2] for term in terms}))
    if variable != "python_version":
        return f"{variable} {operator} '{value}'" if operator in ("==", "!=") else None
    version = minor.fullmatch(value)
    if version is None:
        return None
    if operator in ("==", "!="):
        return f"python_full_version {operator} '{value}.*'"
    if operator in ("<=", ">"):  # up to and from the next minor version
        value = f"{version.group(1)}.{int(version.group(2)) + 1}"
        operator = "<" if operator == "<=" else ">="
    return f"python_full_version {operator} '{value}'"


def _parse_marker(text: str) -> Marker:
    import pyffin.requirements.pep508 as pep508  # (see DependencyParser.check)

    try:
        return pep508.Marker.parse(text)
    except pep508.InvalidMarker as e:
        raise DependencyError(f"invalid marker {text!r}: {e}") from None


def same_url(a: str, b: str) -> bool:
    """Whether two direct references name the same distribution. Git URLs compare without
    their revision (a requirement pinned to the commit a branch resolved to is the same
    source), everything else as written, without the ``egg=`` fragment."""

    def key(url: str) -> str:
        base, _, fragment = url.strip().partition("#")
        parts = [p for p in fragment.split("&") if p and not p.startswith("egg=")]
        if base.startswith("git+"):
            head, _, tail = base.rpartition("@")
            if "/" not in tail and head.count("/") >= 2:
                base = head
        return base + ("#" + "&".join(sorted(parts)) if parts else "")

    return key(a) == key(b)


def python_fits(requires_python: str, python: Version, parser: DependencyParser) -> bool:
    """Whether the target Python satisfies a Requires-Python text, as uv judges it: only the
    lower bound counts (``>=3.8,<3.11`` is ``>=3.8``: an upper bound is a guess about Pythons
    not released yet), against the target's release (``3.13.0rc1`` is ``3.13.0``). A text that
    does not parse gets uv's repairs (``>=3.6,``); one that still does not admits every Python,
    with a warning."""
    from nab_resolver.ranges import NEGATIVE_INFINITY

    from pyffin.resolver.ranges import intervals

    found = python_range(requires_python, parser)
    if found is None:
        from pyffin import log
        from pyffin.requirements.pep508 import repairs

        for patched, fixed in repairs(requires_python):
            found = python_range(patched, parser)
            if found is not None:
                log.warn_result(f"Fixing invalid Requires-Python by {fixed} (before: "
                                f"`{requires_python}`; after: `{patched}`)")
                break
        else:
            log.warn_result(f"ignoring the invalid Requires-Python {requires_python!r}")
            return True
    parts = intervals(found)
    if not parts or parts[0][0] is NEGATIVE_INFINITY:
        return True
    lower, inclusive = parts[0][0], parts[0][1]
    from pyffin.models.versions import parse_version

    target = parse_version(".".join(str(part) for part in python.release[:3]))
    return bool(target > lower or (inclusive and target == lower))


def python_range(requires_python: str, parser: DependencyParser) -> VersionSet | None:
    """The versions a Requires-Python text admits, or ``None`` if it is not valid."""
    from pyffin.requirements.pep508 import CLAUSE_RE
    from pyffin.resolver.ranges import SpecifierError, specifiers_range

    clauses = []
    for part in requires_python.split(","):
        match = CLAUSE_RE.fullmatch(part.strip())
        if match is None:
            if part.strip():
                return None
            continue
        clauses.append((match.group(1), match.group(2)))
    try:
        return specifiers_range(clauses, parser.ranges)
    except SpecifierError:
        return None


def target_python(markers: Mapping[str, str]) -> Version:
    """The target's Python: its marker environment's ``python_full_version``."""
    from pyffin.errors import PyffinError
    from pyffin.models.versions import InvalidVersion, Version

    text = markers.get("python_full_version", "")
    try:
        return Version(text.rstrip("+"))
    except InvalidVersion:
        raise PyffinError(
            f"the target environment has no valid python_full_version: {text!r}") from None
