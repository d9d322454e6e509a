"""``@record``: frozen, slotted record classes, cheap to define.

A ``@dataclass(frozen=True, slots=True)`` costs 1-1.5 ms to *define* on this project's machines
(and importing :mod:`dataclasses` pulls in :mod:`inspect`, :mod:`ast`, :mod:`dis`...); a warm
``pyffin`` command defines dozens of record types, so that alone was a sizeable share of its
run time. ``@record`` builds the same shape — ``__slots__``, ``__init__`` with defaults,
``__eq__``, ``__hash__``, ``__repr__``, immutability, ``__match_args__`` — in about a tenth of
the time, and type checkers treat it as a dataclass (PEP 681 ``dataclass_transform``).

Supported: annotated fields with plain defaults (immutable ones: a list or dict default is an
error, as in dataclasses), ``ClassVar`` class constants, methods and properties,
``@record(frozen=False)`` for a mutable record, and ``@record(frozen=False, eq=False)`` for
one compared and hashed by identity (a node of a graph). Not supported: inheritance between
records, ``field()`` options. :func:`replace` is :func:`dataclasses.replace` for records.

This is the one way to declare a record type in pyffin: ``@dataclass`` is not used in
``src/`` (``tests/test_records.py`` checks).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from types import CodeType, FunctionType

# Not typing at run time: it costs a fresh command ~2 ms to import, and a warm install
# replayed into a fresh environment (pyffin.cli.install_replay) needs nothing else of it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar, overload

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:  # at run time both only mark the function
    def overload(function: Any) -> Any:
        return function

    def dataclass_transform(**kwargs: Any) -> Callable[[Any], Any]:
        return lambda decorator: decorator

_RECORD_FIELDS = "__record_fields__"


@overload
@dataclass_transform(frozen_default=True)
def record(cls: type[T], /) -> type[T]: ...


@overload
@dataclass_transform(frozen_default=True)
def record(*, frozen: bool = True, eq: bool = True) -> Callable[[type[T]], type[T]]: ...  # noqa: F811


def record(cls: Any = None, /, *, frozen: bool = True, eq: bool = True) -> Any:  # noqa: F811
    """Make ``cls`` a record (see the module docstring); usable with or without arguments."""
    if cls is None:
        return lambda c: _build(c, frozen, eq)
    return _build(cls, frozen, eq)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record ``obj`` with some fields changed."""
    fields = getattr(type(obj), _RECORD_FIELDS, None)
    if fields is None:
        raise TypeError(f"replace() needs a record, not {type(obj).__name__}")
    values = {name: getattr(obj, name) for name in fields}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(obj)(**values)


def _is_class_var(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


def _build(cls: type[Any], frozen: bool, eq: bool = True) -> type[Any]:
    namespace = dict(cls.__dict__)
    annotations = namespace.get("__annotations__", {})
    fields = tuple(name for name, annotation in annotations.items()
                   if not _is_class_var(annotation))
    defaults: dict[str, object] = {}
    for name in fields:
        if name in namespace:
            default = namespace.pop(name)
            if isinstance(default, (list, dict, set)):
                raise TypeError(f"mutable default for field {name} of {cls.__name__}: "
                                "use an immutable value")
            defaults[name] = default
        elif defaults:
            raise TypeError(f"field {name} of {cls.__name__} without a default follows a "
                            "field with one")
    for special in ("__dict__", "__weakref__"):
        namespace.pop(special, None)
    namespace["__slots__"] = fields
    namespace["__match_args__"] = fields
    namespace[_RECORD_FIELDS] = fields
    # Only __init__ is generated (instances are made in hot loops); the other methods share
    # one C-level field getter.
    if len(fields) > len(_TEMPLATE_NAMES):
        raise TypeError(f"{cls.__name__} has more than {len(_TEMPLATE_NAMES)} fields")
    code = _init_code(len(fields), frozen).replace(
        co_filename=f"<record {cls.__qualname__}>")
    template = _TEMPLATE_NAMES[:len(fields)]
    renamed = dict(zip(template, fields, strict=True))
    code = code.replace(
        co_varnames=tuple(renamed.get(name, name) for name in code.co_varnames),
        co_names=tuple(renamed.get(name, name) for name in code.co_names),
        co_consts=tuple(renamed.get(value, value) if isinstance(value, str) else value
                        for value in code.co_consts))
    namespace["__init__"] = FunctionType(code, {"__set": object.__setattr__}, "__init__",
                                         tuple(defaults[name] for name in fields
                                               if name in defaults) or None)
    values = _getter(fields)
    namespace.setdefault("__repr__", _make_repr(fields))
    # Pickled as the call that makes it again (the default would set frozen slots one by
    # one): a resolution, made of records, can be kept (``pickle``) and sent between processes.
    namespace.setdefault("__reduce__", lambda self: (type(self), values(self)))
    if eq:
        namespace.setdefault("__eq__", _make_eq(values))
    if frozen:
        if eq:
            namespace.setdefault("__hash__", lambda self: hash(values(self)))
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
    elif eq:
        namespace["__hash__"] = None
    metaclass: Any = type(cls)
    built: type[Any] = metaclass(cls.__name__, cls.__bases__, namespace)
    built.__qualname__ = cls.__qualname__
    return built


#: Parameter names of the ``__init__`` templates (see :func:`_init_code`).
_TEMPLATE_NAMES = tuple(f"_record_field_{i}" for i in range(256))
_init_codes: dict[tuple[int, bool], CodeType] = {}


def _init_code(count: int, frozen: bool) -> CodeType:
    """The code of an ``__init__`` storing ``count`` fields, its parameters and the
    attributes it sets named from :data:`_TEMPLATE_NAMES`, renamed for each record (compiling
    each record's own costs a warm command ~5 ms). The usual shapes come compiled with the
    package (:mod:`pyffin._record_inits`, read from its bytecode: compiling them at start-up
    cost a warm command ~3 ms); a larger one is compiled once here."""
    code = _init_codes.get((count, frozen))
    if code is None:
        # Imported by name: a static import of it would put this module in an import cycle
        # for mypy, whose dataclass_transform support then reads mutable records as frozen
        # (and by __import__: importing importlib costs a warm command more than this).
        import sys

        __import__("pyffin._record_inits")
        _record_inits = sys.modules["pyffin._record_inits"]
        kind = "frozen" if frozen else "mutable"
        made = getattr(_record_inits, f"{kind}_{count}", None)
        if made is None:
            namespace: dict[str, Any] = {}
            exec(compile(init_source(count, frozen), "<record>", "exec"), namespace)
            made = namespace["__init__"]
        code = _init_codes[(count, frozen)] = made.__code__.replace(
            co_name="__init__", co_qualname="__init__")
    return code


def init_source(count: int, freeze: bool, name: str = "__init__") -> str:
    """The source of the ``__init__`` template of ``count`` fields, as function ``name``."""
    names = _TEMPLATE_NAMES[:count]
    body = [f"    __set(self, {field!r}, {field})" if freeze else f"    self.{field} = {field}"
            for field in names] or ["    pass"]
    return "\n".join([f"def {name}(self{', ' if names else ''}{', '.join(names)}):", *body])


#: The shapes :mod:`pyffin._record_inits` holds: up to this many fields.
PRECOMPILED_FIELDS = 24


def render_record_inits() -> str:
    """The text of :mod:`pyffin._record_inits` (``tests/test_records.py`` checks the file is
    this; regenerate it with ``python -c "from pyffin.records import render_record_inits as r;
    open('src/pyffin/_record_inits.py', 'w').write(r())"``)."""
    header = ('"""Generated by :func:`pyffin.records.render_record_inits`: the ``__init__`` '
              'templates of\nrecords, compiled with the package. Do not edit."""\n'
              "# ruff: noqa\n# mypy: ignore-errors\n")
    functions = [init_source(count, kind == "frozen", f"{kind}_{count}")
                 for kind in ("frozen", "mutable") for count in range(PRECOMPILED_FIELDS + 1)]
    return header + "".join(f"\n\n{function}\n" for function in functions)


def _getter(fields: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    if not fields:
        return lambda self: ()
    if len(fields) == 1:
        get = attrgetter(fields[0])
        return lambda self: (get(self),)
    return attrgetter(*fields)


def _make_eq(values: Callable[[object], tuple[object, ...]]) -> Callable[[object, object], Any]:
    def __eq__(self: object, other: object) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)

    return __eq__


def _make_repr(fields: tuple[str, ...]) -> Callable[[object], str]:
    def __repr__(self: object) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in fields)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is frozen")


def _frozen_delattr(self: object, name: str) -> None:
    raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is frozen")
