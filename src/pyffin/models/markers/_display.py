"""Decision diagram to marker text, written the way uv 0.13 writes it.

uv's own code for this (0.13) was not available; the steps below were inferred from its output
on thousands of markers (``tests/models/markers/data``) and reproduce every realistic one:

1. **Unfold.** Each node, in diagram order, splits its variable's values into classes that lead
   to the same child (in order of first appearance). The part of the marker that holds whatever
   the variable's value (the conjunction of the children) is written once, unconditionally —
   where the class leading to exactly it would have been written, else after the classes — and
   each class then gets its child minus that part. A class becomes one *term* per path: the
   values of one variable written as one or more comparisons (``sys_platform != 'darwin' and
   sys_platform != 'win32'``, ``python_full_version >= '3.9' and python_full_version < '3.11'``,
   ``python_full_version != '3.10.*'``) or, for values that are not one interval, one path per
   interval.
2. **Expand.** A term goes when the clause still implies the marker without it; then clauses
   containing another clause, and clauses the others cover, go. Combinations known to be
   impossible (``os_name == 'nt' and sys_platform == 'linux'``) count as covered.
3. **Sort.** Comparisons by key within a clause (``python_full_version`` first, then
   ``implementation_name``, ``os_name``, ``platform_machine``...; ``in`` after the other
   comparisons of its key), clauses by their keys; ties keep their order.
4. **Factor.** Clauses with the same first comparison share their common prefix, groups with the
   same remainders share it: ``(a or b) and x``, ``a and m and (x or y)``. Without any such
   sharing the marker is written as a plain disjunction with parenthesized conjunctions.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any, TypeAlias

from pyffin.models.markers import _algebra as a

# A comparison: (sort key, text, negation key). Two single-comparison terms negate each other
# when their negation keys' identities are equal and their polarities differ.
Comparison: TypeAlias = tuple[tuple[int, ...], str, Any]
# A term: (variable, comparisons, values): values are the intervals, or the bool, it stands for.
Term: TypeAlias = tuple[a.Var, tuple[Comparison, ...], Any]
Clause: TypeAlias = list[Term]
Expr: TypeAlias = tuple[tuple[int, ...], str]

# uv's display order of string keys (its MarkerValueString order), by our key index.
_STRING_SORT = {0: 1, 1: 12, 2: 9, 3: 3, 4: 5, 5: 8, 6: 10, 7: 0}
_LIST_SORT = {"extras": 0, "dependency_groups": 1}
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", "<=": ">", ">": "<="}


@lru_cache(maxsize=8192)
def to_string(x: int) -> str:
    """The text of marker ``x`` (not TRUE); FALSE is ``python_version < '0'``, as in uv."""
    if x == a.FALSE:
        return "python_version < '0'"
    clauses = _unfold(x, a.TRUE)
    _expand(clauses, x)
    flat = [sorted((c for term in clause for c in term[1]), key=lambda c: c[0])
            for clause in clauses]
    flat.sort(key=lambda clause: [c[0] for c in clause])
    return _render([[(c[0], c[1]) for c in clause] for clause in flat])


# --------------------------------------------------------------------------------- unfold
def _unfold(x: int, context: int) -> list[Clause]:
    """The clauses of ``x`` (step 1 of the module docstring) where ``context`` (the path so
    far) holds."""
    if x == a.FALSE:
        return []
    if x == a.TRUE:
        return [[]]
    var, children = a.node(x)
    classes = _classes(var, children)
    if var[0] == a.STRING and var[1] <= a.PLATFORM_SYSTEM and context != a.TRUE:
        classes = _reassign_impossible(var, classes, context)
    common = a.TRUE
    for _, child in classes:
        common = a.conjunction(common, child)
    out: list[Clause] = []
    written = common == a.FALSE
    for values, child in classes:
        if not written and child == common:
            out.extend(_unfold(common, context))
            written = True
            continue
        rest = a.conjunction(child, common ^ 1)
        if rest == a.FALSE:
            continue
        for term in _terms(var, values):
            out.extend([term, *clause]
                       for clause in _unfold(rest, a.conjunction(context, _term_node(term))))
    if not written:
        out.extend(_unfold(common, context))
    return out


def _reassign_impossible(var: a.Var, classes: list[tuple[Any, int]],
                         context: int) -> list[tuple[Any, int]]:
    """Values of a platform variable that the path makes impossible (``sys_platform ==
    'win32'`` after ``os_name == 'posix'``) join the first class, as uv words it."""
    moved: list[a.Interval] = []
    kept: list[tuple[list[a.Interval], int]] = []
    for intervals, child in classes:
        possible = []
        for interval in intervals:
            if interval[0] is not None and interval[0] == interval[2] and a.impossible(
                    a.conjunction(context, a.create(var, a.edges_for([interval])))):
                moved.append(interval)
            else:
                possible.append(interval)
        kept.append((possible, child))
    if not moved:
        return classes
    kept = [(intervals, child) for intervals, child in kept if intervals]
    first_intervals, first_child = kept[0]
    kept[0] = (a.union([*first_intervals, *moved]), first_child)
    return kept


def _classes(var: a.Var, children: a.Children) -> list[tuple[Any, int]]:
    """The values of ``var`` grouped by the child they lead to, in order of first appearance:
    ``(intervals or bool, child)``."""
    if not a.is_range(var):
        return [(True, children[0]), (False, children[1])]
    grouped: dict[int, list[a.Interval]] = {}
    for lo, lo_inc, hi, hi_inc, child in children:
        grouped.setdefault(child, []).append((lo, lo_inc, hi, hi_inc))
    return [(a.union(intervals), child) for child, intervals in grouped.items()]


# ---------------------------------------------------------------------------------- terms
def _terms(var: a.Var, values: Any) -> list[Term]:
    """The terms for ``var`` taking ``values``: one, or one per interval (each its own path)."""
    kind = var[0]
    if kind == a.VERSION:
        return _version_terms(var, values)
    if kind == a.STRING:
        return _string_terms(var, values)
    if kind == a.DARWIN:
        # Written with the key's name; no ``!=``/``.*`` shorthand.
        return [(var, tuple(_string_comparison(a.PLATFORM_RELEASE, op, _version_text(v), var)
                            for op, v in _bound_operators(interval)), (interval,))
                for interval in values]
    positive = bool(values)
    if kind in (a.IN, a.CONTAINS):
        operator = "in" if positive else "not in"
        key = a.STRING_KEYS[var[1]]
        text = (f"{key} {operator} '{var[2]}'" if kind == a.IN
                else f"'{var[2]}' {operator} {key}")
        # ``in`` comparisons sort after the other comparisons of their key.
        return [(var, (((2, _STRING_SORT[var[1]], 1), text, (var, positive)),), positive)]
    if kind == a.EXTRA:
        text = f"extra {'==' if positive else '!='} '{var[1]}'"
        return [(var, (((4,), text, (var, positive)),), positive)]
    text = f"'{var[2]}' {'in' if positive else 'not in'} {var[1]}"
    return [(var, (((3, _LIST_SORT[var[1]]), text, (var, positive)),), positive)]


def _inequality(intervals: Sequence[a.Interval]) -> list[Any] | None:
    """The excluded values when ``intervals`` are everything but a few points."""
    if not intervals or intervals[0][0] is not None or intervals[-1][2] is not None:
        return None
    excluded = []
    for left, right in pairwise(intervals):
        if left[3] or right[1] or left[2] != right[0]:
            return None
        excluded.append(left[2])
    return excluded


def _version_text(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def _version_terms(var: a.Var, intervals: Sequence[a.Interval]) -> list[Term]:
    excluded = _inequality(intervals)
    if excluded is not None:
        return [(var, tuple(_version_comparison(var, "!=", _version_text(v), v)
                            for v in excluded), tuple(intervals))]
    if len(intervals) == 2:
        (lo1, _, hi1, hi1_inc), (lo2, lo2_inc, hi2, _) = intervals
        if lo1 is None and hi2 is None and lo2_inc and not hi1_inc:
            star = _star(hi1, lo2)
            if star is not None:
                return [(var, (_version_comparison(var, "!=", star + ".*", ("*", star)),),
                         tuple(intervals))]
    terms: list[Term] = []
    for interval in intervals:
        lo, lo_inc, hi, hi_inc = interval
        if lo is not None and hi is not None and lo_inc and not hi_inc:
            star = _star(lo, hi)
            if star is not None:
                terms.append((var, (_version_comparison(var, "==", star + ".*", ("*", star)),),
                              (interval,)))
                continue
        terms.append((var, tuple(_version_comparison(var, op, _version_text(v), v)
                                 for op, v in _bound_operators(interval)), (interval,)))
    return terms


def _star(low: tuple[int, ...], high: tuple[int, ...]) -> str | None:
    """``major.minor`` when ``[low, high)`` is ``== major.minor.*``."""
    if len(low) == 1 and high == (low[0], 1):
        return f"{low[0]}.0"
    if len(low) == 2 and high == (low[0], low[1] + 1):
        return _version_text(low)
    return None


def _bound_operators(interval: a.Interval) -> list[tuple[str, Any]]:
    lo, lo_inc, hi, hi_inc = interval
    if lo is not None and lo == hi and lo_inc and hi_inc:
        return [("==", lo)]
    out = []
    if lo is not None:
        out.append((">=" if lo_inc else ">", lo))
    if hi is not None:
        out.append(("<=" if hi_inc else "<", hi))
    return out


def _identity(var: a.Var, value: Any, operator: str) -> tuple[Any, bool]:
    positive = operator in ("==", "<", "<=")
    return (var, value, operator if positive else _NEGATED[operator]), positive


def _version_comparison(var: a.Var, operator: str, text: str, value: Any) -> Comparison:
    key = a.VERSION_KEYS[var[1]]
    return (0, var[1]), f"{key} {operator} '{text}'", _identity(var, value, operator)


def _string_terms(var: a.Var, intervals: Sequence[a.Interval]) -> list[Term]:
    excluded = _inequality(intervals)
    if excluded is not None:
        return [(var, tuple(_string_comparison(var[1], "!=", v, var) for v in excluded),
                 tuple(intervals))]
    return [(var, tuple(_string_comparison(var[1], op, v, var)
                        for op, v in _bound_operators(interval)), (interval,))
            for interval in intervals]


def _string_comparison(key: int, operator: str, value: str, var: a.Var) -> Comparison:
    return ((2, _STRING_SORT[key], 0), f"{a.STRING_KEYS[key]} {operator} '{value}'",
            _identity(var, value, operator))


# --------------------------------------------------------------------------------- expand
@lru_cache(maxsize=65536)
def _term_node(term: Term) -> int:
    var, _, values = term
    if a.is_range(var):
        return a.create(var, a.edges_for(list(values)))
    return a.create(var, (a.TRUE, a.FALSE)) ^ (not values)


def _clause_node(clause: Sequence[Term]) -> int:
    result = a.TRUE
    for term in clause:
        result = a.conjunction(result, _term_node(term))
    return result


def _expand(dnf: list[Clause], x: int) -> None:
    """Drop the terms and clauses the marker does not need (step 2 of the module docstring)."""
    # Where the marker is false, impossible combinations aside: a term goes when the rest of
    # its clause is disjoint from it. A marker on no platform variable has no such combination
    # to set aside (every other assignment goes with a possible platform), and building the
    # exclusions was most of the cost of writing a first marker.
    platform = a.mentions_platform(x)
    outside = a.possible(x ^ 1) if platform else x ^ 1
    for clause in dnf:
        index = 0
        while index < len(clause):
            rest = clause[:index] + clause[index + 1:]
            if a.disjoint(_clause_node(rest), outside):
                del clause[index]
            else:
                index += 1
    removed: list[int] = []
    for i, clause in enumerate(dnf):
        for j, other in enumerate(dnf):
            if i != j and j not in removed and all(term in clause for term in other):
                removed.append(i)
                break
    for index in reversed(removed):
        del dnf[index]
    index = 0
    while index < len(dnf):
        others = a.FALSE
        for j, clause in enumerate(dnf):
            if j != index:
                others = a.disjunction(others, _clause_node(clause))
        alone = a.conjunction(_clause_node(dnf[index]), others ^ 1)
        if a.impossible(alone) if platform else alone == a.FALSE:
            del dnf[index]
        else:
            index += 1


# --------------------------------------------------------------------------------- render
def _render(dnf: list[list[Expr]]) -> str:
    """Factor the clauses that share comparisons (step 4 of the module docstring)."""
    if len(dnf) == 1:
        return _conjunction(dnf[0])
    by_first: dict[str, list[list[Expr]]] = {}
    for clause in dnf:
        by_first.setdefault(clause[0][1], []).append(clause)
    # Each group: its common prefix and the remainders.
    by_prefix: dict[tuple[str, ...], list[tuple[Expr, ...]]] = {}
    for members in by_first.values():
        shared = 1
        if len(members) > 1:
            while all(len(c) > shared and c[shared][1] == members[0][shared][1]
                      for c in members):
                shared += 1
        by_prefix[tuple(text for _, text in members[0][:shared])] = [
            tuple(c[shared:]) for c in members]
    # Groups with the same remainders share them.
    by_rest: dict[tuple[tuple[Expr, ...], ...], list[tuple[str, ...]]] = {}
    for prefix, remainders in by_prefix.items():
        by_rest.setdefault(tuple(remainders), []).append(prefix)
    if not any((len(prefixes) > 1 and rests != ((),)) or len(rests) > 1
               for rests, prefixes in by_rest.items()):
        return _plain(dnf)
    parts = []
    for rests, prefixes in by_rest.items():
        heads = [[((), text) for text in prefix] for prefix in prefixes]
        if len(prefixes) == 1:
            head = _conjunction(heads[0])
        elif rests == ((),):
            head = _plain(heads)
        else:
            head = f"({_plain(heads)})"
        if rests == ((),):
            parts.append(head)
        elif len(rests) == 1:
            parts.append(f"{head} and {_conjunction(rests[0])}")
        else:
            parts.append(f"{head} and ({_plain(rests)})")
    return " or ".join(parts)


def _plain(dnf: Sequence[Sequence[Expr]]) -> str:
    return " or ".join(_conjunction(clause) if len(dnf) == 1 or len(clause) == 1
                       else f"({_conjunction(clause)})" for clause in dnf)


def _conjunction(clause: Sequence[Expr]) -> str:
    return " and ".join(text for _, text in clause)
