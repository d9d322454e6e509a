"""Version sets for the solver: PEP 440 specifiers as ``nab_resolver`` ranges, and their display.

The solver works on :class:`nab_resolver.ranges.Range` over :class:`packaging.version.Version`
(sorted interval lists, cheap set algebra). ``packaging.ranges.VersionRange`` would be the natural
type, but nab-resolver 0.0.23 asks its ranges for ``relation()``, which ``VersionRange`` lacks, and
``VersionRange`` carries a pre-release admission policy of its own that must match across operands;
pyffin decides pre-releases in the provider instead, so plain intervals fit better.

Each specifier becomes an interval set that contains pre-releases; whether one may be *chosen* is
the provider's business. Boundaries follow PEP 440 (and uv):

* ``==V`` matches ``V`` and its local versions: ``[V, succ(V))`` where ``succ(V)`` is the first
  version after every ``V+local`` (``1.0`` -> ``1.0.post0.dev0``);
* ``<V`` excludes pre-releases of a final or post ``V``: ``(-inf, V.dev0)``;
* ``>V`` excludes post-releases and local versions of a final ``V``: it starts after every version
  of ``V``'s release, a boundary no PEP 440 version can name, hence :class:`ReleaseCeiling`;
* ``==1.4.*`` is ``[1.4.dev0, 1.5.dev0)``, ``~=1.4.5`` is ``[1.4.5, 1.5.dev0)``.

:func:`format_range` turns a set back into the specifier-like text explanations show.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from nab_resolver.ranges import NEGATIVE_INFINITY, POSITIVE_INFINITY, Range

# packaging.version through pyffin.models.versions, which imports it for less.
from pyffin.models.versions import InvalidVersion, Version, parse_version, version_of

if TYPE_CHECKING:
    from collections.abc import Sequence

VersionSet: TypeAlias = Range[Version]
#: One interval of a range: ``(lower, lower_inclusive, upper, upper_inclusive)``.
Interval: TypeAlias = tuple[Any, bool, Any, bool]

FULL: VersionSet = Range.full()
EMPTY: VersionSet = Range.empty()

_OPERATORS = ("===", "~=", "==", "!=", "<=", ">=", "<", ">")


class SpecifierError(ValueError):
    """A specifier that is not valid PEP 440 (the caller names the requirement at fault)."""


class ReleaseCeiling:
    """The boundary just above every version of one release (``1.0``, ``1.0.post3+local``, ...).

    ``>1.0`` is "after the ceiling of 1.0"; no version sits exactly there. Compares with
    :class:`Version` through the reflected operators (``Version`` returns ``NotImplemented`` for
    anything else), by ``(epoch, release without trailing zeros)``.
    """

    __slots__ = ("_key", "version")

    def __init__(self, version: Version) -> None:
        #: The version whose release this caps (for display: ``>1.0``).
        self.version = version
        self._key = (version.epoch, _trim(version.release))

    def _above(self, other: object) -> bool:
        """Whether the ceiling is above ``other`` (a version or another ceiling)."""
        if isinstance(other, ReleaseCeiling):
            return self._key > other._key
        if isinstance(other, Version):
            return (other.epoch, _trim(other.release)) <= self._key
        return other is NEGATIVE_INFINITY

    def __gt__(self, other: object) -> bool:
        return self._above(other)

    def __ge__(self, other: object) -> bool:
        return self == other or self._above(other)

    def __lt__(self, other: object) -> bool:
        return not self._above(other) and self != other

    def __le__(self, other: object) -> bool:
        return not self._above(other)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReleaseCeiling) and self._key == other._key

    def __hash__(self) -> int:
        return hash(("ceiling", self._key))

    def __repr__(self) -> str:
        return f"ReleaseCeiling({self.version})"


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return release[:end]


def _make(
    epoch: int,
    release: Sequence[int],
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    text = f"{epoch}!" if epoch else ""
    text += ".".join(map(str, release))
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return version_of(text, epoch, tuple(release), pre, post, dev)


def after_locals(version: Version) -> Version:
    """The first version above ``version`` and its local versions: ``1.0`` -> ``1.0.post0.dev0``."""
    if version.dev is not None:
        return _make(version.epoch, version.release, version.pre, version.post, version.dev + 1)
    if version.post is not None:
        return _make(version.epoch, version.release, version.pre, version.post + 1, 0)
    return _make(version.epoch, version.release, version.pre, 0, 0)


def _first_of(version: Version) -> Version:
    """``version``'s own ``.dev0``: the lowest pre-release of a final or post version."""
    return _make(version.epoch, version.release, version.pre, version.post, 0)


def _prefix_bounds(epoch: int, prefix: tuple[int, ...]) -> tuple[Version, Version]:
    """``[prefix.dev0, next-prefix.dev0)``: every version whose release starts with ``prefix``."""
    bumped = (*prefix[:-1], prefix[-1] + 1)
    return _make(epoch, prefix, dev=0), _make(epoch, bumped, dev=0)


def _interval(lower: Any, lower_inclusive: bool, upper: Any, upper_inclusive: bool) -> VersionSet:
    return Range(((lower, lower_inclusive, upper, upper_inclusive),))


#: Clauses already turned into version sets: see :func:`specifier_range`.
RangeMemo: TypeAlias = dict[tuple[str, str], VersionSet]


def specifier_range(operator: str, version_text: str, memo: RangeMemo | None = None
                    ) -> VersionSet:
    """The versions one specifier clause (``">=", "1.0"``) admits, pre-releases included.

    Raises :class:`SpecifierError` for clauses PEP 440 forbids (``~=1``, ``<=1.0.*``, ...).
    With ``memo`` (owned by a session: the same clauses recur across a resolution), each
    clause is computed once.
    """
    if memo is None:
        return _specifier_range(operator, version_text)
    key = (operator, version_text)
    cached = memo.get(key)
    if cached is None:
        cached = memo[key] = _specifier_range(operator, version_text)
    return cached


def clause_version(operator: str, text: str) -> Version:
    """The version of one specifier clause (without its ``.*``), once checked to be a clause
    :func:`specifier_range` accepts; raises :class:`SpecifierError` as it would. What a
    caller that only needs to know the clause is valid asks: no version set is made."""
    if operator not in _OPERATORS:
        raise SpecifierError(f"unknown operator {operator!r}")
    wildcard = text.endswith(".*")
    if wildcard and operator not in ("==", "!="):
        raise SpecifierError(f"{operator}{text}: only == and != accept a .* suffix")
    try:
        version = parse_version(text[:-2] if wildcard else text)
    except InvalidVersion:
        if operator == "===":
            raise SpecifierError(f"==={text}: arbitrary (non-PEP 440) versions") from None
        raise SpecifierError(f"{operator}{text}: {text!r} is not a valid version") from None
    if (version.local is not None and operator not in ("==", "!=", "===")) or (
        wildcard and (version.local is not None or version.pre or version.post or version.dev)
    ):
        raise SpecifierError(f"{operator}{text}: not a valid specifier")
    if operator == "~=" and len(version.release) < 2:
        raise SpecifierError(f"~={text}: ~= needs at least two release segments")
    return version


def check_clause(operator: str, text: str) -> Version | None:
    """:func:`clause_version`'s verdict on a clause, without parsing the version of a plain
    release (``>=1.26.4``, ``==1.4.*``: most clauses), for which it answers ``None``:
    most clauses checked are never made a version set (see
    :meth:`~pyffin.resolver.dependencies.DependencyParser.check`)."""
    wildcard = text.endswith(".*")
    plain = text[:-2] if wildcard else text
    # Digits and single dots, a digit at either end, as packaging reads a plain release
    # (``isdigit`` of an ASCII text is 0-9 alone); a few hundred characters at most (a longer
    # run of digits is left to packaging, which has a limit of its own).
    if (plain.isascii() and plain[:1].isdigit() and plain[-1:].isdigit() and ".." not in plain
            and len(plain) < 256 and plain.replace(".", "").isdigit()
            and operator in _OPERATORS and (operator != "~=" or "." in plain)
            and (not wildcard or operator in ("==", "!="))):
        return None
    return clause_version(operator, text)


def _specifier_range(operator: str, text: str) -> VersionSet:
    return clause_range(operator, text, clause_version(operator, text))


def clause_range(operator: str, text: str, version: Version) -> VersionSet:
    """:func:`specifier_range` of a clause whose version :func:`clause_version` gave."""
    wildcard = text.endswith(".*")
    if operator == "===":
        return Range.singleton(version)
    if operator in ("==", "!="):
        if wildcard:
            low, high = _prefix_bounds(version.epoch, version.release)
            matched = _interval(low, True, high, False)
        elif version.local is not None:
            matched = Range.singleton(version)
        else:
            matched = _interval(version, True, after_locals(version), False)
        return matched if operator == "==" else ~matched
    if operator == "~=":
        _, high = _prefix_bounds(version.epoch, version.release[:-1])
        return _interval(version, True, high, False)
    if operator == ">=":
        return _interval(version, True, POSITIVE_INFINITY, False)
    if operator == "<=":
        return _interval(NEGATIVE_INFINITY, False, after_locals(version), False)
    if operator == "<":
        bound = version if version.is_prerelease else _first_of(version)
        return _interval(NEGATIVE_INFINITY, False, bound, False)
    # ">": a pre-release or post-release admits what follows it (but not its local versions);
    # a final release admits nothing of its own release (PEP 440: no post-releases of V).
    if version.is_prerelease or version.post is not None:
        return _interval(after_locals(version), True, POSITIVE_INFINITY, False)
    return _interval(ReleaseCeiling(version), False, POSITIVE_INFINITY, False)


def specifiers_range(clauses: Iterable[tuple[str, str]], memo: RangeMemo | None = None
                     ) -> VersionSet:
    """The intersection of several clauses (a comma-separated specifier set); none is everything."""
    result: VersionSet | None = None
    for operator, version in clauses:
        found = specifier_range(operator, version, memo)
        result = found if result is None else result & found  # most have one clause
    return FULL if result is None else result


def mentions_prerelease(clauses: Iterable[tuple[str, str]]) -> bool:
    """Whether a specifier names a pre-release outright (``>=2.0b1``), opting its package in.

    Exclusions (``!=2.0b1``) opt nothing in, as in uv.
    """
    for operator, text in clauses:
        if operator in ("!=",) or text.endswith(".*"):
            continue
        try:
            if parse_version(text).is_prerelease:
                return True
        except InvalidVersion:
            continue
    return False


def intervals(version_set: VersionSet) -> tuple[Interval, ...]:
    """The canonical interval list of a range (through its documented pickle state)."""
    state: tuple[tuple[Interval, ...]] = version_set.__getstate__()
    return state[0]


def spans(versions: Sequence[Version], version_set: VersionSet) -> list[tuple[int, int]]:
    """Where ``version_set`` meets ascending ``versions``: half-open index ranges, ascending.

    Two bisections per interval, where testing each version for membership would scan every
    interval: the solver's ranges gain an interval per rejected version, and a package may
    offer thousands of versions.
    """
    found: list[tuple[int, int]] = []
    count = len(versions)
    # A VersionList bisects its texts, parsing few of them.
    left = getattr(versions, "bisect_left", None) or partial(bisect_left, versions)
    right = getattr(versions, "bisect_right", None) or partial(bisect_right, versions)
    for lower, lower_inclusive, upper, upper_inclusive in intervals(version_set):
        start = 0 if lower is NEGATIVE_INFINITY else (left if lower_inclusive else right)(lower)
        end = count if upper is POSITIVE_INFINITY else (right if upper_inclusive else left)(upper)
        if start < end:
            found.append((start, end))
    return found


def sole_version(versions: Sequence[Version], version_set: VersionSet) -> Version | None:
    """The one version of ascending ``versions`` in ``version_set``; ``None`` when there are
    none or several."""
    found = spans(versions, version_set)
    if len(found) != 1 or found[0][1] - found[0][0] != 1:
        return None
    return versions[found[0][0]]


def singleton_version(version_set: VersionSet) -> Version | None:
    """The one version a range pins (``==1.0`` with or without local versions), else ``None``."""
    parts = intervals(version_set)
    if len(parts) != 1:
        return None
    lower, lower_inclusive, upper, upper_inclusive = parts[0]
    if not isinstance(lower, Version) or not lower_inclusive or not isinstance(upper, Version):
        return None
    if upper_inclusive and upper == lower:
        return lower
    if not upper_inclusive and lower.local is None and _is_after_locals(lower, upper):
        return lower
    return None


def _is_after_locals(version: Version, bound: Version) -> bool:
    """``bound == after_locals(version)``, without building a version (the solver asks often)."""
    if bound.local is not None or bound.epoch != version.epoch or bound.pre != version.pre:
        return False
    if _trim(bound.release) != _trim(version.release):
        return False
    if version.dev is not None:
        return bound.post == version.post and bound.dev == version.dev + 1
    if version.post is not None:
        return bound.post == version.post + 1 and bound.dev == 0
    return bound.post == 0 and bound.dev == 0


def format_range(version_set: VersionSet) -> str:
    """Specifier-like text for a range, to follow a package name.

    ``""`` for every version, ``"==1.0"``, ``">=1.0,<2.0"``, ``">=1.0,!=1.5,<2.0"``,
    ``"<1.0 | >2.0"``, ``" ∅"`` for the empty set.
    """
    parts = intervals(version_set)
    if not parts:
        return " ∅"
    # Intervals separated by a single excluded version read as one with ``!=v``.
    groups: list[list[Interval]] = [[parts[0]]]
    for part in parts[1:]:
        if _excludes_one(groups[-1][-1], part):
            groups[-1].append(part)
        else:
            groups.append([part])
    return " | ".join(_format_group(group) for group in groups)


def _excludes_one(before: Interval, after: Interval) -> bool:
    """Whether the gap between two adjacent intervals is one version (with or without locals)."""
    upper, upper_inclusive = before[2], before[3]
    lower, lower_inclusive = after[0], after[1]
    if not isinstance(upper, Version) or upper_inclusive or not isinstance(lower, Version):
        return False
    if not lower_inclusive:
        return lower == upper  # a solver decision excludes exactly ``v``
    return upper.local is None and lower == after_locals(upper)


def _format_group(group: list[Interval]) -> str:
    if len(group) == 1:
        return _format_interval(group[0])
    lower, lower_inclusive = group[0][0], group[0][1]
    upper, upper_inclusive = group[-1][2], group[-1][3]
    texts = [] if lower is NEGATIVE_INFINITY else [_format_lower(lower, lower_inclusive)]
    texts += [f"!={part[2]}" for part in group[:-1]]
    if upper is not POSITIVE_INFINITY:
        texts.append(_format_upper(upper, upper_inclusive))
    return ",".join(texts)


def _format_interval(part: Interval) -> str:
    lower, lower_inclusive, upper, upper_inclusive = part
    if lower is NEGATIVE_INFINITY and upper is POSITIVE_INFINITY:
        return ""
    if isinstance(lower, Version) and lower_inclusive and isinstance(upper, Version):
        if upper_inclusive and upper == lower:
            return f"=={lower}"
        if not upper_inclusive:
            if lower.local is None and upper == after_locals(lower):
                return f"=={lower}"
            prefix = _prefix_text(lower, upper)
            if prefix is not None:
                return f"=={prefix}.*"
    texts = []
    if lower is not NEGATIVE_INFINITY:
        texts.append(_format_lower(lower, lower_inclusive))
    if upper is not POSITIVE_INFINITY:
        texts.append(_format_upper(upper, upper_inclusive))
    return ",".join(texts)


def _prefix_text(lower: Version, upper: Version) -> str | None:
    """``1.4`` when ``[lower, upper)`` is exactly ``==1.4.*``."""
    if lower.dev != 0 or lower.pre or lower.post is not None or lower.local is not None:
        return None
    prefix = lower.release
    if _prefix_bounds(lower.epoch, prefix) != (lower, upper):
        return None
    return (f"{lower.epoch}!" if lower.epoch else "") + ".".join(map(str, prefix))


def _format_lower(bound: Any, inclusive: bool) -> str:
    if isinstance(bound, ReleaseCeiling):
        return f">{bound.version}"
    if inclusive and bound.dev == 0 and bound.post is not None and bound.local is None:
        # ``succ(V)`` from ``>V`` (V a pre- or post-release): show the ``>V`` it came from.
        post = bound.post - 1 if bound.post else None
        return f">{_make(bound.epoch, bound.release, bound.pre, post)}"
    return f">={bound}" if inclusive else f">{bound}"


def _format_upper(bound: Any, inclusive: bool) -> str:
    if isinstance(bound, ReleaseCeiling):
        return f"<={bound.version}"
    if inclusive:
        return f"<={bound}"
    if bound.dev == 0 and bound.pre is None and bound.local is None:
        if bound.post == 0:
            # ``succ(V)`` of a final release: ``<=V``.
            return f"<={_make(bound.epoch, bound.release)}"
        # ``V.dev0`` of a final or post release: ``<V``.
        return f"<{_make(bound.epoch, bound.release, post=bound.post)}"
    if bound.dev == 0 and bound.post == 0 and bound.local is None:
        return f"<={_make(bound.epoch, bound.release, bound.pre)}"
    return f"<{bound}"
