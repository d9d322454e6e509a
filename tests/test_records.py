"""``@record``: what the hot-path record classes rely on."""

from __future__ import annotations

from typing import ClassVar

import pytest

from pyffin.records import record, replace


@record
class Point:
    x: int
    y: int = 0
    label: str | None = None
    KIND: ClassVar[str] = "point"

    @property
    def norm(self) -> int:
        return abs(self.x) + abs(self.y)

    @classmethod
    def origin(cls) -> Point:
        return cls(0)


@record(frozen=False)
class Counter:
    count: int = 0


def test_init_defaults_and_positional_or_keyword() -> None:
    assert Point(1) == Point(x=1, y=0, label=None)
    assert Point(1, 2, "a").label == "a"
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]


def test_equality_hash_and_repr() -> None:
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert Point(1) != (1, 0, None)  # type: ignore[comparison-overlap]
    assert len({Point(1, 2), Point(1, 2)}) == 1
    assert repr(Point(1, 2)) == "Point(x=1, y=2, label=None)"


def test_frozen_and_slotted() -> None:
    p = Point(1)
    with pytest.raises(AttributeError, match="frozen"):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]
    assert not hasattr(p, "__dict__")


def test_methods_properties_and_class_constants_survive() -> None:
    assert Point(3, -4).norm == 7
    assert Point.origin() == Point(0)
    assert Point.KIND == "point" and "KIND" not in Point.__slots__  # type: ignore[attr-defined]


def test_mutable_records() -> None:
    c = Counter()
    c.count += 1
    assert c == Counter(1)
    with pytest.raises(TypeError):
        hash(c)


def test_records_pickle_and_copy() -> None:
    import copy
    import pickle

    for value in (Point(1, 2, "a"), Counter(3)):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.copy(value) == value and copy.deepcopy(value) == value


def test_replace() -> None:
    assert replace(Point(1, 2), y=5) == Point(1, 5)
    with pytest.raises(TypeError, match="no field 'z'"):
        replace(Point(1), z=1)


def test_mutable_defaults_and_field_order_are_refused() -> None:
    with pytest.raises(TypeError, match="mutable default"):
        @record
        class Bad:
            items: list[int] = []

    with pytest.raises(TypeError, match="without a default follows"):
        @record
        class Worse:
            a: int = 0
            b: int  # type: ignore[misc]


def test_match_args() -> None:
    match Point(1, 2):
        case Point(x, y):
            assert (x, y) == (1, 2)


@record(frozen=False, eq=False)
class Node:
    label: str
    shared: bool = False


def test_an_identity_record_compares_and_hashes_by_identity() -> None:
    a, b = Node("x"), Node("x")
    assert a != b and a == a
    assert len({a, b, a}) == 2
    a.shared = True
    assert a.shared and repr(b) == "Node(label='x', shared=False)"


def test_records_are_the_one_way_to_declare_a_record_type() -> None:
    # @dataclass costs its import and ~1 ms per class (see pyffin.records): src/ uses @record.
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src" / "pyffin"
    users = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names]
                module = getattr(node, "module", None)
                if module == "dataclasses" or "dataclasses" in names:
                    users.append(f"{path.relative_to(src)}:{node.lineno}")
    assert users == []


def test_records_of_one_shape_share_one_compiled_init(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    import pyffin.records

    compiled: list[str] = []
    real = builtins.compile

    def counted(source: str, *args: object, **kwargs: object) -> object:
        compiled.append(source)
        return real(source, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pyffin.records, "compile", counted, raising=False)

    @record
    class First:
        alpha: int
        beta: str = "b"
        gamma: str | None = None

    @record
    class Second:
        one: str
        two: int = 2
        three: tuple[int, ...] = ()

    assert len(compiled) <= 1  # none when a record of three frozen fields came before
    assert Second("x", three=(1,)) == Second(one="x", two=2, three=(1,))
    assert First(1).beta == "b" and First(1, "c", "d").gamma == "d"
    with pytest.raises(TypeError, match="'one'"):
        Second()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="alpha"):
        First(1, alpha=2)  # type: ignore[misc]


def test_the_usual_shapes_come_compiled_with_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    # Compiling a template at start-up cost a warm command ~3 ms: the shapes up to
    # PRECOMPILED_FIELDS are read from pyffin._record_inits' bytecode; a larger one is compiled.
    from pathlib import Path

    import pyffin.records

    generated = Path(pyffin.records.__file__).with_name("_record_inits.py")
    assert generated.read_text(encoding="utf-8") == pyffin.records.render_record_inits(), \
        "stale src/pyffin/_record_inits.py: regenerate it (see render_record_inits)"
    compiled: list[str] = []
    real = compile

    def counted(source: str, *args: object, **kwargs: object) -> object:
        compiled.append(source)
        return real(source, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pyffin.records, "compile", counted, raising=False)
    monkeypatch.setattr(pyffin.records, "_init_codes", {})
    small = record(type("Small", (), {"__annotations__": {"a": "int", "b": "int"}, "b": 2}))
    assert compiled == []
    assert small(1) == small(a=1, b=2) and small(1, 3).b == 3
    with pytest.raises(TypeError, match=r"__init__\(\) missing .* 'a'"):
        small()
    count = pyffin.records.PRECOMPILED_FIELDS + 1
    fields = {f"f{i}": "int" for i in range(count)}
    large = record(type("Large", (), {"__annotations__": fields}))
    assert len(compiled) == 1
    assert large(*range(count)).f24 == 24
    with pytest.raises(AttributeError, match="frozen"):
        large(*range(count)).f0 = 1
