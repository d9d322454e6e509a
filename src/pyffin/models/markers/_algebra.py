"""Markers as reduced ordered algebraic decision diagrams (the representation uv uses).

A marker is a function from environments to booleans. It is stored as a decision diagram whose
nodes test one *variable* each; the edges of a node partition the variable's values into
intervals (string and version variables) or into true/false (``'x' in os_name``, extras). With a
fixed variable order, isomorphic nodes merged (interning) and nodes whose edges all lead to the
same child removed, the diagram is canonical: two markers are equivalent exactly when they are the
same node. So ``is_true``, ``is_false``, equality and hashing are O(1), and ``and``/``or`` are
memoized graph products.

A node id is an ``int``: ``0`` is TRUE, ``1`` is FALSE, and node ``i`` is ``(i + 1) << 1`` with the
lowest bit set for its complement, so negation is ``id ^ 1`` and ``or`` is ``not (not a and not
b)``. A node's first edge is never complemented, which keeps the representation unique.

Values: version variables hold release-only versions as tuples of ints without trailing zeros
(``3.10.0`` is ``(3, 10)``; pre-releases and locals are dropped, as uv does, so that
``python_version >= '3.9' or python_version < '3.9'`` is TRUE); string variables hold ``str``
compared by code point (uv compares UTF-8 bytes: same order). An interval is
``(lo, lo_inclusive, hi, hi_inclusive)``, ``None`` being the open end.

Known-impossible combinations (``os_name == 'nt' and sys_platform == 'linux'``...) are
``exclusions``: a conjunction of the platform variables that lies entirely inside them is FALSE.
"""

from __future__ import annotations

from _thread import allocate_lock
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeAlias

TRUE = 0
FALSE = 1

# Variable kinds, in diagram order. A variable is a tuple whose first item is its kind.
STRING = 0  # (STRING, key index): os_name, sys_platform, ...
DARWIN = 1  # (DARWIN,): platform_release compared as a version where sys_platform is darwin
VERSION = 2  # (VERSION, key index): implementation_version, python_full_version
IN = 3  # (IN, key index, value): ``key in 'value'``
CONTAINS = 4  # (CONTAINS, key index, value): ``'value' in key``
EXTRA = 5  # (EXTRA, name)
LIST = 6  # (LIST, key, value): ``'value' in extras`` / ``dependency_groups`` (PEP 751)

#: String keys in diagram order; the first three take part in exclusions.
STRING_KEYS = ("os_name", "sys_platform", "platform_system", "platform_machine",
               "platform_python_implementation", "platform_release", "platform_version",
               "implementation_name")
VERSION_KEYS = ("implementation_version", "python_full_version")
OS_NAME, SYS_PLATFORM, PLATFORM_SYSTEM = 0, 1, 2
PLATFORM_RELEASE, PLATFORM_VERSION = 5, 6
PYTHON_FULL_VERSION = 1

Var: TypeAlias = tuple[Any, ...]
Interval: TypeAlias = tuple[Any, bool, Any, bool]
Edge: TypeAlias = tuple[Any, bool, Any, bool, int]
# Range nodes: a tuple of edges sorted by interval, covering the domain (but for Python versions
# simplified away by requires-python). Boolean nodes: (high, low).
Children: TypeAlias = tuple[Any, ...]

# The node table and the operation caches are process-wide on purpose, unlike the resolver's
# memos (which a session owns): a node is an index into this one table, so the table and the
# results computed over it must live as long as any diagram does; every entry is a pure
# function of its operands and the caches grow only with the distinct markers ever combined.
_nodes: list[tuple[Var, Children]] = []
_unique: dict[tuple[Var, Children], int] = {}
_and_cache: dict[tuple[int, int], int] = {}
# Conjunctions that ignore exclusions (to build and test against them) must not share results
# with the others (uv#20368: sharing made results depend on the order of operations).
_plain_cache: dict[tuple[int, int], int] = {}
_disjoint_cache: dict[tuple[int, int], bool] = {}
_lock = allocate_lock()
_exclusions: list[int] = []


def is_range(var: Var) -> bool:
    return bool(var[0] <= VERSION)


def node(x: int) -> tuple[Var, Children]:
    """The variable and children of node ``x`` (not TRUE/FALSE), complement applied."""
    var, children = _nodes[(x >> 1) - 1]
    if x & 1:
        children = _negated(var, children)
    return var, children


def variable(x: int) -> Var:
    return _nodes[(x >> 1) - 1][0]


def _negated(var: Var, children: Children) -> Children:
    if var[0] <= VERSION:
        return tuple((e[0], e[1], e[2], e[3], e[4] ^ 1) for e in children)
    return (children[0] ^ 1, children[1] ^ 1)


def create(var: Var, children: Children) -> int:
    """The node testing ``var`` with ``children``, reduced and interned."""
    ranged = var[0] <= VERSION
    first: int = children[0][4] if ranged else children[0]
    flipped: int = first & 1
    if flipped:
        children = _negated(var, children)
        first ^= 1
    if ranged:
        if all(e[4] == first for e in children):
            return first ^ flipped
    elif children[1] == first:
        return first ^ flipped
    key = (var, children)
    found: int | None = _unique.get(key)
    if found is None:
        with _lock:
            found = _unique.get(key)
            if found is None:
                _nodes.append(key)
                found = len(_nodes) << 1
                _unique[key] = found
    return found ^ flipped


# ------------------------------------------------------------------------------ intervals
def lower_after(a_lo: Any, a_inc: bool, b_lo: Any, b_inc: bool) -> bool:
    """Whether lower bound ``a`` starts strictly after lower bound ``b``."""
    if a_lo is None:
        return False
    if b_lo is None:
        return True
    if a_lo != b_lo:
        return bool(a_lo > b_lo)
    return b_inc and not a_inc


def upper_before(a_hi: Any, a_inc: bool, b_hi: Any, b_inc: bool) -> bool:
    """Whether upper bound ``a`` ends strictly before upper bound ``b``."""
    if a_hi is None:
        return False
    if b_hi is None:
        return True
    if a_hi != b_hi:
        return bool(a_hi < b_hi)
    return b_inc and not a_inc


def intersect(a: Sequence[Any], b: Sequence[Any]) -> Interval | None:
    lo, lo_inc = (a[0], a[1]) if lower_after(a[0], a[1], b[0], b[1]) else (b[0], b[1])
    hi, hi_inc = (a[2], a[3]) if upper_before(a[2], a[3], b[2], b[3]) else (b[2], b[3])
    if lo is not None and hi is not None and (lo > hi or (lo == hi and not (lo_inc and hi_inc))):
        return None
    return lo, lo_inc, hi, hi_inc


def _adjacent(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """``a`` ends exactly where ``b`` starts, without gap or overlap."""
    return a[2] is not None and b[0] is not None and a[2] == b[0] and a[3] != b[1]


def complement(intervals: Sequence[Interval]) -> list[Interval]:
    """The complement of sorted, disjoint ``intervals`` in the whole domain."""
    out: list[Interval] = []
    lo: Any = None
    lo_inc = False
    for a_lo, a_inc, a_hi, a_hi_inc in intervals:
        if a_lo is not None:
            gap = (lo, lo_inc, a_lo, not a_inc)
            if intersect(gap, gap) is not None:
                out.append(gap)
        if a_hi is None:
            return out
        lo, lo_inc = a_hi, not a_hi_inc
    out.append((lo, lo_inc, None, False))
    return out


def union(intervals: Sequence[Interval]) -> list[Interval]:
    """Sorted, disjoint, merged intervals covering the same values as ``intervals``."""
    items = sorted(intervals, key=_start_key)
    out: list[Interval] = []
    for item in items:
        if out:
            last = out[-1]
            if intersect(last, item) is not None or _adjacent(last, item):
                if upper_before(last[2], last[3], item[2], item[3]):
                    out[-1] = (last[0], last[1], item[2], item[3])
                continue
        out.append(item)
    return out


def _start_key(interval: Sequence[Any]) -> tuple[Any, ...]:
    lo = interval[0]
    return (0,) if lo is None else (1, lo, not interval[1])


def edges_for(true: Sequence[Interval]) -> Children:
    """Edges of a node that is TRUE on ``true`` (sorted, disjoint) and FALSE elsewhere."""
    edges = [(*i, TRUE) for i in true] + [(*i, FALSE) for i in complement(true)]
    edges.sort(key=_start_key)
    return tuple(edges)


def singleton(value: Any) -> Interval:
    return (value, True, value, True)


# ------------------------------------------------------------------------------- operations
def conjunction(x: int, y: int) -> int:
    return _conjoin(x, y, True)


def disjunction(x: int, y: int) -> int:
    return _conjoin(x ^ 1, y ^ 1, True) ^ 1


def _conjoin(x: int, y: int, check: bool) -> int:
    if x == TRUE:
        return y
    if y == TRUE or x == y:
        return x
    if x == FALSE or y == FALSE or x ^ 1 == y:
        return FALSE
    key = (x, y) if x < y else (y, x)
    cache = _and_cache if check else _plain_cache
    found = cache.get(key)
    if found is not None:
        return found
    x_var, x_children = _nodes[(x >> 1) - 1]
    y_var, y_children = _nodes[(y >> 1) - 1]
    if x_var < y_var:
        var = x_var
        children = _map(x_var, x_children, x & 1, lambda c: _conjoin(c, y, check))
    elif y_var < x_var:
        var = y_var
        children = _map(y_var, y_children, y & 1, lambda c: _conjoin(c, x, check))
    else:
        var = x_var
        children = _apply(var, x_children, x & 1, y_children, y & 1,
                          lambda a, b: _conjoin(a, b, check))
    result = create(var, children)
    # The platform variables lead the order: when both sides start with one, the result may be
    # a combination known to be impossible.
    if (check and result > FALSE and x_var[0] == STRING and x_var[1] <= PLATFORM_SYSTEM
            and y_var[0] == STRING and y_var[1] <= PLATFORM_SYSTEM
            and _conjoin(result, exclusions() ^ 1, False) == FALSE):
        result = FALSE
    cache[key] = result
    return result


def _map(var: Var, children: Children, complemented: int,
         function: Callable[[int], int]) -> Children:
    if var[0] <= VERSION:
        return tuple((e[0], e[1], e[2], e[3], function(e[4] ^ complemented)) for e in children)
    return (function(children[0] ^ complemented), function(children[1] ^ complemented))


def _apply(var: Var, left: Children, left_complement: int, right: Children,
           right_complement: int, function: Callable[[int, int], int]) -> Children:
    if var[0] > VERSION:
        return (function(left[0] ^ left_complement, right[0] ^ right_complement),
                function(left[1] ^ left_complement, right[1] ^ right_complement))
    out: list[Edge] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = left[i], right[j]
        overlap = intersect(a, b)
        if overlap is not None:
            child = function(a[4] ^ left_complement, b[4] ^ right_complement)
            if out and out[-1][4] == child and _adjacent(out[-1], overlap):
                last = out[-1]
                out[-1] = (last[0], last[1], overlap[2], overlap[3], child)
            else:
                out.append((*overlap, child))
        if upper_before(a[2], a[3], b[2], b[3]):
            i += 1
        elif upper_before(b[2], b[3], a[2], a[3]):
            j += 1
        else:
            i += 1
            j += 1
    return tuple(out)


def is_disjoint(x: int, y: int) -> bool:
    return conjunction(x, y) == FALSE


def disjoint(x: int, y: int) -> bool:
    """Whether ``x and y`` is unsatisfiable, ignoring exclusions: a walk that builds no node
    and stops at the first satisfiable path."""
    if x == FALSE or y == FALSE or x ^ 1 == y:
        return True
    if TRUE in (x, y) or x == y:
        return False
    key = (x, y) if x < y else (y, x)
    found = _disjoint_cache.get(key)
    if found is not None:
        return found
    x_var, x_children = _nodes[(x >> 1) - 1]
    y_var, y_children = _nodes[(y >> 1) - 1]
    if x_var < y_var:
        result = all(disjoint(c, y) for c in _child_ids(x_var, _maybe_negated(x, x_children)))
    elif y_var < x_var:
        result = all(disjoint(c, x) for c in _child_ids(y_var, _maybe_negated(y, y_children)))
    elif x_var[0] > VERSION:
        result = (disjoint(x_children[0] ^ (x & 1), y_children[0] ^ (y & 1))
                  and disjoint(x_children[1] ^ (x & 1), y_children[1] ^ (y & 1)))
    else:
        result = True
        i = j = 0
        while result and i < len(x_children) and j < len(y_children):
            a, b = x_children[i], y_children[j]
            if intersect(a, b) is not None and not disjoint(a[4] ^ (x & 1), b[4] ^ (y & 1)):
                result = False
            if upper_before(a[2], a[3], b[2], b[3]):
                i += 1
            elif upper_before(b[2], b[3], a[2], a[3]):
                j += 1
            else:
                i += 1
                j += 1
    _disjoint_cache[key] = result
    return result


def _maybe_negated(x: int, children: Children) -> Children:
    return _negated(_nodes[(x >> 1) - 1][0], children) if x & 1 else children


def mentions_platform(x: int) -> bool:
    """Whether ``x`` tests a variable the exclusions are about. They come first in the
    diagram's order, so only its root can."""
    return x > FALSE and (var := variable(x))[0] == STRING and var[1] <= PLATFORM_SYSTEM


def possible(x: int) -> int:
    """``x`` without the impossible platform combinations (computed without the exclusion
    check, which would otherwise decide on its own which part to keep)."""
    return _conjoin(x, exclusions() ^ 1, False)


def impossible(x: int) -> bool:
    """Whether ``x`` holds only in impossible platform combinations. The exclusion check of
    :func:`conjunction` only applies where both sides start with a platform variable (as in
    uv), so a marker may differ from FALSE, or from an equivalent one, there."""
    return disjoint(x, exclusions() ^ 1)


#: What ``sys_platform`` cannot be on the BSDs, SunOS, iOS and iPadOS (``platform_system``).
_EXCLUDED_PLATFORMS = ("aix", "android", "emscripten", "ios", "linux", "darwin", "win32",
                       "cygwin", "wasi")


def exclusions() -> int:
    """The disjunction of platform combinations known to be impossible (as uv)."""
    if _exclusions:
        return _exclusions[0]

    def string(key: int, *values: str) -> int:
        return create((STRING, key), edges_for([singleton(value) for value in sorted(values)]))

    # Grouped by value (the diagram is canonical, so it is the node the disjunction of each
    # pair would give, in a tenth of the operations: 5.9 ms down to ~0.5, most of the cost of
    # the first marker a process writes).
    apple = ("iOS", "iPadOS")
    groups = [
        (string(OS_NAME, "nt"), string(SYS_PLATFORM, "linux", "darwin", "ios")),
        (string(OS_NAME, "posix"), string(SYS_PLATFORM, "win32")),
        (string(PLATFORM_SYSTEM, "FreeBSD", "NetBSD", "OpenBSD", "SunOS"),
         string(SYS_PLATFORM, *_EXCLUDED_PLATFORMS)),
        (string(PLATFORM_SYSTEM, *apple),
         string(SYS_PLATFORM, *(p for p in _EXCLUDED_PLATFORMS if p != "ios"))),
    ]
    tree = FALSE
    for a, b in groups:
        tree = _conjoin(tree ^ 1, _conjoin(a, b, False) ^ 1, False) ^ 1
    if not _exclusions:
        _exclusions.append(tree)
    return _exclusions[0]


# ------------------------------------------------------------------------------ restrictions
def restrict_by(x: int, decide: Callable[[Var], bool | None]) -> int:
    """``x`` with the boolean variables ``decide`` answers for fixed to that answer."""
    cache: dict[int, int] = {}

    def walk(x: int) -> int:
        if x <= FALSE:
            return x
        found = cache.get(x)
        if found is not None:
            return found
        var, children = node(x)
        value = decide(var) if var[0] > VERSION else None
        if value is not None:
            result = walk(children[0] if value else children[1])
        else:
            result = create(var, _map(var, children, 0, walk))
        cache[x] = result
        return result

    return walk(x)


def quantify(x: int, keep: Callable[[Var], bool]) -> int:
    """``x`` with every variable ``keep`` refuses existentially removed (the disjunction of its
    branches): what is left holds wherever some value of the removed variables makes ``x``
    hold. uv's ``without_extras`` and ``only_extras``."""
    cache: dict[int, int] = {}

    def walk(x: int) -> int:
        if x <= FALSE:
            return x
        found = cache.get(x)
        if found is not None:
            return found
        var, children = node(x)
        if keep(var):
            result = create(var, _map(var, children, 0, walk))
        else:
            joined = FALSE
            for child in _child_ids(var, children):
                joined = disjunction(joined, child)
            result = walk(joined)
        cache[x] = result
        return result

    return walk(x)


def _child_ids(var: Var, children: Children) -> Iterator[int]:
    if var[0] <= VERSION:
        return (e[4] for e in children)
    return iter(children)


def restrict(value: int, assumption: int) -> int:
    """A marker equal to ``value`` wherever ``assumption`` holds, with the decisions only needed
    to restate the assumption removed (its value elsewhere is unspecified)."""
    cache: dict[tuple[int, int], int] = {}

    def walk(value: int, assumption: int) -> int:
        if assumption == TRUE or value <= FALSE:
            return value
        if assumption == FALSE:
            return FALSE
        if value == assumption:
            return TRUE
        if value == assumption ^ 1:
            return FALSE
        key = (value, assumption)
        found = cache.get(key)
        if found is not None:
            return found
        v_var, v_children = node(value)
        a_var, a_children = node(assumption)
        if v_var < a_var:
            result = create(v_var, _map(v_var, v_children, 0, lambda c: walk(c, assumption)))
        elif a_var < v_var:
            joined = FALSE
            for child in _child_ids(a_var, a_children):
                joined = disjunction(joined, child)
            result = walk(value, joined)
        else:
            fallback: list[int] = []

            def first(v: int, a: int) -> int:
                if a == FALSE:
                    return FALSE
                restricted = walk(v, a)
                if not fallback:
                    fallback.append(restricted)
                return restricted

            _apply(v_var, v_children, 0, a_children, 0, first)
            if not fallback:
                result = FALSE
            else:
                result = create(v_var, _apply(
                    v_var, v_children, 0, a_children, 0,
                    lambda v, a: fallback[0] if a == FALSE else walk(v, a)))
        cache[key] = result
        return result

    return walk(value, assumption)


def simplify_python(x: int, lower: Interval | None) -> int:
    """``x`` assuming the Python version lies in ``lower`` (an interval: requires-python): the
    ``python_full_version`` decisions that only restate it are removed (uv's
    ``simplify_python_versions``). Meaningful only where the assumption holds."""
    if lower is None or x <= FALSE:
        return x
    cache: dict[int, int] = {}
    python = (VERSION, PYTHON_FULL_VERSION)

    def walk(x: int) -> int:
        if x <= FALSE:
            return x
        found = cache.get(x)
        if found is not None:
            return found
        var, children = _nodes[(x >> 1) - 1]
        if var != python:
            result = create(var, _map(var, children, x & 1, walk))
        else:
            kept = [(*overlap, e[4]) for e in children
                    if (overlap := intersect(e, lower)) is not None]
            # The remaining edges stand for every version: stretch the ends to infinity.
            first, last = kept[0], kept[-1]
            kept[0] = (None, False, first[2], first[3], first[4])
            last = kept[-1]
            kept[-1] = (last[0], last[1], None, False, last[4])
            result = create(var, tuple(kept)) ^ (x & 1)
        cache[x] = result
        return result

    return walk(x)


def evaluate(x: int, value_of: Callable[[Var], Any]) -> bool:
    """Walk ``x`` with ``value_of(variable)``: a string, a version tuple, a bool (for boolean
    variables), or ``None`` when the variable has no value (the marker is then false)."""
    while x > FALSE:
        var, children = node(x)
        value = value_of(var)
        if value is None:
            return False
        if var[0] > VERSION:
            x = children[0] if value else children[1]
            continue
        for lo, lo_inc, hi, hi_inc, child in children:
            if (lo is None or lo < value or (lo_inc and lo == value)) and (
                    hi is None or value < hi or (hi_inc and hi == value)):
                x = child
                break
        else:
            return False
    return x == TRUE


def support(x: int) -> set[Var]:
    """The variables ``x`` depends on."""
    seen: set[int] = set()
    out: set[Var] = set()
    stack = [x]
    while stack:
        x = stack.pop()
        if x <= FALSE or (x | 1) in seen:
            continue
        seen.add(x | 1)
        var, children = _nodes[(x >> 1) - 1]
        out.add(var)
        stack.extend(_child_ids(var, children))
    return out
