"""PEP 508 environment markers as a canonical boolean algebra (what universal resolution needs).

:class:`Marker` is an immutable value. Equivalent markers are equal: ``python_version >= '3.9'
and python_version < '3.11'`` equals ``python_version in '3.9 3.10'``. ``&``, ``|`` and ``~``
combine markers; :meth:`~Marker.is_false` tells an unsatisfiable one, :meth:`~Marker.is_disjoint`
and :meth:`~Marker.implies` compare two. ``str()`` writes the text uv 0.13 writes for the same
marker, and :meth:`~Marker.simplify_python` first drops what requires-python already says, as uv
does before writing a pin's marker in ``uv pip compile --universal`` output::

    >>> m = Marker.parse("python_version >= '3.8' and sys_platform == 'win32'")
    >>> str(m)
    "python_full_version >= '3.8' and sys_platform == 'win32'"
    >>> str(m.simplify_python(">=3.9"))
    "sys_platform == 'win32'"

Meaning follows uv (:mod:`._parse`): versions compare release-only, ``platform_system ==
'Windows'`` is ``sys_platform == 'win32'``, platform combinations known to be impossible
(``os_name == 'nt' and sys_platform == 'linux'``) are false. The representation is a decision
diagram (:mod:`._algebra`); every operation is memoized on interned nodes, so the thousandth use
of a marker in a resolution is a dictionary lookup. Nodes live for the process; a
:class:`Marker` pickles by structure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyffin.models.markers import _algebra, _display, _parse
from pyffin.models.markers._parse import MarkerError
from pyffin.models.names import normalize_name

__all__ = ["Marker", "MarkerError", "PythonInterval", "python_interval"]

#: A range of Python versions, release-only: ``(lower, lower_inclusive, upper,
#: upper_inclusive)``, a bound being a tuple of ints without trailing zeros (``(3, 10)``) or
#: ``None`` for no bound.
PythonInterval = tuple[Any, bool, Any, bool]


class Marker:
    """A PEP 508 marker, canonical: equal markers are equivalent ones."""

    __slots__ = ("_node",)
    _node: int

    TRUE: Marker
    FALSE: Marker

    def __init__(self, node: int) -> None:
        self._node = node

    @classmethod
    def parse(cls, text: str) -> Marker:
        """The marker ``text`` (uv's grammar and meaning); raises :class:`MarkerError`."""
        return cls(_parse.parse(text))

    @classmethod
    def requires_python(cls, specifiers: str) -> Marker:
        """The marker that holds exactly for the Python versions ``specifiers`` (a
        requires-python value such as ``">=3.9,<4"``) allows, release-only."""
        return cls(_algebra.create((_algebra.VERSION, _algebra.PYTHON_FULL_VERSION),
                                   _algebra.edges_for(_python_range(specifiers))))

    @classmethod
    def python_between(cls, interval: PythonInterval) -> Marker:
        """The marker that holds for the Python versions of ``interval``
        (``python_full_version >= '3.9' and python_full_version < '3.10'``)."""
        return cls(_algebra.create((_algebra.VERSION, _algebra.PYTHON_FULL_VERSION),
                                   _algebra.edges_for([interval])))

    # ---------------------------------------------------------------------------- algebra
    def __and__(self, other: Marker) -> Marker:
        return Marker(_algebra.conjunction(self._node, other._node))

    def __or__(self, other: Marker) -> Marker:
        return Marker(_algebra.disjunction(self._node, other._node))

    def __invert__(self) -> Marker:
        return Marker(self._node ^ 1)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Marker) and other._node == self._node

    def __hash__(self) -> int:
        return hash(self._node)

    def is_true(self) -> bool:
        """Whether the marker holds in every environment."""
        return self._node == _algebra.TRUE

    def is_false(self) -> bool:
        """Whether no environment satisfies the marker."""
        return self._node == _algebra.FALSE

    def is_disjoint(self, other: Marker) -> bool:
        """Whether no environment satisfies both markers."""
        return _algebra.is_disjoint(self._node, other._node)

    def implies(self, other: Marker) -> bool:
        """Whether every environment satisfying this marker satisfies ``other``."""
        return _algebra.is_disjoint(self._node, other._node ^ 1)

    # ---------------------------------------------------------------------------- output
    def __str__(self) -> str:
        """uv's text for the marker: ``""`` for the always-true marker, ``python_version <
        '0'`` for the unsatisfiable one."""
        if self._node == _algebra.TRUE:
            return ""
        return _display.to_string(self._node)

    def __repr__(self) -> str:
        return f"Marker({str(self)!r})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _rebuild, (_export(self._node),)

    # --------------------------------------------------------------------- restrictions
    def simplify_python(self, requires_python: str) -> Marker:
        """The marker where ``requires_python`` (``">=3.9"``) is known to hold: the Python
        version decisions that only restate it are gone, so the result means the same only
        where requires-python holds. uv writes markers this way."""
        allowed = _python_range(requires_python)
        if not allowed:
            return Marker.FALSE
        bounding = (allowed[0][0], allowed[0][1], allowed[-1][2], allowed[-1][3])
        return Marker(_algebra.simplify_python(self._node, bounding))

    def restrict(self, assumption: Marker) -> Marker:
        """A marker equal to this one wherever ``assumption`` holds, with the decisions only
        needed to restate the assumption removed (its value elsewhere is unspecified)."""
        return Marker(_algebra.restrict(self._node, assumption._node))

    def with_extras(self, extras: Iterable[str]) -> Marker:
        """The marker once exactly ``extras`` are requested (``extra`` comparisons decided)."""
        wanted = {normalize_name(extra) for extra in extras}
        return Marker(_algebra.restrict_by(
            self._node, lambda var: var[1] in wanted if var[0] == _algebra.EXTRA else None))

    def without_extras(self) -> Marker:
        """Where the marker holds for some choice of extras (``extra`` comparisons removed)."""
        return Marker(_algebra.quantify(self._node, lambda var: var[0] != _algebra.EXTRA))

    def only_extras(self) -> Marker:
        """The extras for which the marker holds in some environment."""
        return Marker(_algebra.quantify(self._node, lambda var: var[0] == _algebra.EXTRA))

    def python_bounds(self) -> PythonInterval | None:
        """The smallest interval holding every Python version for which the marker can hold
        (uv's ``requires_python`` of a marker): ``None`` when it says nothing about the
        Python version (or is always true or never). ``python_version >= '3.9' and
        sys_platform == 'win32'`` gives ``((3, 9), True, None, False)``."""
        if self._node in _python_bounds:
            return _python_bounds[self._node]
        python = (_algebra.VERSION, _algebra.PYTHON_FULL_VERSION)
        kept = _algebra.quantify(self._node, lambda var: var == python)
        found: PythonInterval | None = None
        if kept > _algebra.FALSE:
            _var, edges = _algebra.node(kept)
            true = [edge for edge in edges if edge[4] == _algebra.TRUE]
            found = (true[0][0], true[0][1], true[-1][2], true[-1][3])
            if found[0] is None and found[2] is None:
                found = None
        _python_bounds[self._node] = found
        return found

    def extras(self) -> frozenset[str]:
        """The (normalized) extras the marker compares."""
        return frozenset(var[1] for var in _algebra.support(self._node)
                         if var[0] == _algebra.EXTRA)

    def environment_keys(self) -> frozenset[str]:
        """The environment markers (PEP 508 names) the marker compares, as the diagram holds
        them (``python_version`` is ``python_full_version``); not extras, nor a lock's lists."""
        keys: set[str] = set()
        for var in _algebra.support(self._node):
            kind = var[0]
            if kind in (_algebra.STRING, _algebra.IN, _algebra.CONTAINS):
                keys.add(_algebra.STRING_KEYS[var[1]])
            elif kind == _algebra.VERSION:
                keys.add(_algebra.VERSION_KEYS[var[1]])
            elif kind == _algebra.DARWIN:
                keys.add("platform_release")
        return frozenset(keys)

    # ------------------------------------------------------------------------- evaluate
    def evaluate(self, environment: Mapping[str, str], extras: Iterable[str] = (), *,
                 lock: Mapping[str, Iterable[str]] | None = None) -> bool:
        """Whether the marker holds in ``environment`` (PEP 508 names to values, as
        ``packaging.markers.default_environment()`` gives) with ``extras`` requested.
        ``lock`` gives the PEP 751 sets of a lock file's installation (``extras`` and
        ``dependency_groups``: normalized names); outside a lock both are empty."""
        wanted = frozenset(normalize_name(extra) for extra in extras)
        lists = {key: frozenset(values) for key, values in (lock or {}).items()}

        def value_of(var: tuple[Any, ...]) -> Any:
            kind = var[0]
            if kind == _algebra.STRING:
                return environment.get(_algebra.STRING_KEYS[var[1]])
            if kind == _algebra.VERSION:
                text = environment.get(_algebra.VERSION_KEYS[var[1]])
                if text is None and var[1] == _algebra.PYTHON_FULL_VERSION:
                    text = environment.get("python_version")
                return None if text is None else _release(text)
            if kind == _algebra.DARWIN:
                return _release(environment.get("platform_release", ""))
            if kind in (_algebra.IN, _algebra.CONTAINS):
                value = environment.get(_algebra.STRING_KEYS[var[1]])
                if value is None:
                    return None
                return value in var[2] if kind == _algebra.IN else var[2] in value
            if kind == _algebra.EXTRA:
                return var[1] in wanted
            return var[2] in lists.get(var[1], ())  # PEP 751 ``extras``/``dependency_groups``

        return _algebra.evaluate(self._node, value_of)


#: :meth:`Marker.python_bounds` by node (nodes live for the process).
_python_bounds: dict[int, PythonInterval | None] = {}


def python_interval(specifiers: str) -> list[PythonInterval]:
    """The Python versions a requires-python text (``">=3.9,<4"``) allows, release-only, as
    sorted disjoint intervals; raises :class:`MarkerError` for an invalid one."""
    return _python_range(specifiers)


def _release(text: str) -> tuple[int, ...] | None:
    spec = _parse._specifier("==", text, allow_wildcard=False)
    return None if spec is None else _parse._trim(spec[1])


def _python_range(specifiers: str) -> list[_algebra.Interval]:
    """The Python versions ``specifiers`` allows, release-only, as sorted intervals."""
    allowed: list[_algebra.Interval] = [(None, False, None, False)]
    for clause in filter(None, (part.strip() for part in specifiers.split(","))):
        operator = next((op for op in ("===", "~=", "==", "!=", "<=", ">=", "<", ">")
                         if clause.startswith(op)), None)
        spec = None if operator in (None, "===") else _parse._specifier(
            operator, clause[len(operator):].strip())
        if spec is None:
            raise MarkerError(f"invalid requires-python {specifiers!r}: {clause!r}")
        allowed = [overlap for left in allowed for right in _parse._release_range(*spec)
                   if (overlap := _algebra.intersect(left, right)) is not None]
    return allowed


def _export(node: int) -> Any:
    if node <= _algebra.FALSE:
        return node
    var, children = _algebra.node(node)
    if _algebra.is_range(var):
        return var, tuple((*edge[:4], _export(edge[4])) for edge in children)
    return var, (_export(children[0]), _export(children[1]))


def _import(structure: Any) -> int:
    if isinstance(structure, int):
        return structure
    var, children = structure
    if _algebra.is_range(var):
        return _algebra.create(var, tuple((*edge[:4], _import(edge[4])) for edge in children))
    return _algebra.create(var, (_import(children[0]), _import(children[1])))


def _rebuild(structure: Any) -> Marker:
    return Marker(_import(structure))


Marker.TRUE = Marker(_algebra.TRUE)
Marker.FALSE = Marker(_algebra.FALSE)
