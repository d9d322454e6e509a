"""The benchmark sets (``NAME.in`` + pinned ``NAME.txt``) and scaling subsets drawn from them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import BenchError

SET_NAMES: tuple[str, ...] = ("small", "medium", "large", "sdist")
#: The sdist set's packages served as source distributions only (see the comment in sdist.in).
SDIST_ONLY: frozenset[str] = frozenset({"python-dateutil", "six", "termcolor", "tomli-w"})
#: Marks a requirement of the ``.in`` file itself in a ``# via`` annotation.
ROOT = "-r"

_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VIA = re.compile(r"#\s+via(?:\s+(.*))?")
_VIA_MORE = re.compile(r"#\s+(\S.*)")


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True, slots=True)
class Pin:
    name: str  # normalized
    version: str

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True, slots=True, eq=False)
class BenchSet:
    name: str
    requirements_in: Path
    pinned: Path
    pins: tuple[Pin, ...]
    #: Package -> the packages that depend on it (``-r`` for the ``.in`` file), from ``# via``.
    dependents: dict[str, frozenset[str]]
    #: Normalized names of the ``.in`` file's requirements, in file order.
    roots: tuple[str, ...]

    def version(self, name: str) -> str | None:
        return next((p.version for p in self.pins if p.name == name), None)


def load_set(directory: Path, name: str) -> BenchSet:
    requirements_in = directory / f"{name}.in"
    pinned = directory / f"{name}.txt"
    for path in (requirements_in, pinned):
        if not path.is_file():
            raise BenchError(f"{path}: benchmark set file not found (use --sets-dir)")
    pins, dependents = parse_pinned(pinned.read_text(encoding="utf-8"), pinned)
    roots = parse_in(requirements_in.read_text(encoding="utf-8"))
    return BenchSet(name, requirements_in, pinned, pins, dependents, roots)


def parse_in(text: str) -> tuple[str, ...]:
    """Project names of a requirements ``.in`` file (comments and options skipped)."""
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        match = _NAME.match(line)
        if match and not line.startswith("-"):
            names.append(normalize(match.group()))
    return tuple(names)


def parse_pinned(text: str, source: Path) -> tuple[tuple[Pin, ...], dict[str, frozenset[str]]]:
    """Pins and ``# via`` annotations of a ``uv pip compile`` / ``pip-compile`` output file."""
    pins: list[Pin] = []
    dependents: dict[str, set[str]] = {}
    current: str | None = None
    in_via_list = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if not raw[0].isspace() and not line.startswith("#"):
            # A universal resolution's pins carry a marker: ``numpy==2.0.2 ; python_...``.
            requirement = line.split(" #", 1)[0].strip().rstrip("\\").split(";", 1)[0]
            match = _PIN.fullmatch(requirement.strip())
            if not match:
                raise BenchError(f"{source}:{lineno}: expected `name==version`, got {line!r}")
            current = normalize(match.group(1))
            pins.append(Pin(current, match.group(2)))
            dependents[current] = set()
            in_via_list = False
            continue
        if current is None or not line.startswith("#"):
            if line.startswith(("#", "--")):
                continue  # header comments and options before the first pin
            raise BenchError(f"{source}:{lineno}: unexpected line {line!r}")
        via = _VIA.fullmatch(line)
        if via:
            in_via_list = via.group(1) is None
            if via.group(1):
                dependents[current].add(_via_name(via.group(1)))
            continue
        more = _VIA_MORE.fullmatch(line)
        if in_via_list and more:
            dependents[current].add(_via_name(more.group(1)))
    if not pins:
        raise BenchError(f"{source}: no pinned requirements")
    return tuple(pins), {name: frozenset(deps) for name, deps in dependents.items()}


def _via_name(text: str) -> str:
    """``-r large.in`` -> ROOT, ``jupyter-server`` -> the normalized name."""
    text = text.strip()
    return ROOT if text.startswith("-r") else normalize(text.split()[0])


def closed_order(sets: Sequence[BenchSet]) -> list[Pin]:
    """All pins of ``sets`` ordered so that every prefix is closed under dependencies.

    Roots are taken in the order of the sets' ``.in`` files and each is emitted after its
    dependencies (post-order), so the first N packages form an installable set on their own.
    """
    versions: dict[str, str] = {}
    requires: dict[str, set[str]] = {}
    for bench_set in sets:
        for pin in bench_set.pins:
            known = versions.setdefault(pin.name, pin.version)
            if known != pin.version:
                raise BenchError(
                    f"{bench_set.pinned}: {pin} conflicts with {pin.name}=={known} of another set"
                )
            requires.setdefault(pin.name, set())
        for name, parents in bench_set.dependents.items():
            for parent in parents - {ROOT}:
                requires.setdefault(parent, set()).add(name)
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        # Iterative post-order DFS: the large set is deep enough to make recursion fragile.
        stack: list[tuple[str, list[str]]] = [(name, sorted(requires.get(name, ())))]
        seen.add(name)
        while stack:
            node, children = stack[-1]
            while children:
                child = children.pop(0)
                if child not in seen and child in versions:
                    seen.add(child)
                    stack.append((child, sorted(requires.get(child, ()))))
                    break
            else:
                stack.pop()
                order.append(node)

    roots = [r for s in sets for r in s.roots] + [p.name for s in sets for p in s.pins]
    for root in roots:
        if root not in seen and root in versions:
            visit(root)
    return [Pin(name, versions[name]) for name in order]


def write_requirements(pins: Iterable[Pin], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{pin}\n" for pin in pins), encoding="utf-8")
    return path


def read_pins(path: Path) -> dict[str, str]:
    """name -> version of the ``name==version`` lines of a tool's output file."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match and not line[0].isspace():
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def read_pin_list(path: Path) -> list[Pin]:
    """Every ``name==version`` line of a tool's output file, in order (a universal resolution
    pins some packages at several versions)."""
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match and not line[0].isspace():
            pins.append(Pin(normalize(match.group(1)), match.group(2)))
    return pins


def pin_set_differences(expected: Iterable[Pin], actual: Iterable[Pin]) -> str:
    """Empty when ``actual`` pins exactly the ``name==version`` of ``expected``, else a short
    list of what differs (``missing``, ``extra``)."""
    wanted = {str(pin) for pin in expected}
    found = {str(pin) for pin in actual}
    problems = [f"{pin} missing" for pin in sorted(wanted - found)]
    problems += [f"{pin} extra" for pin in sorted(found - wanted)]
    if len(problems) > 8:
        problems[8:] = [f"and {len(problems) - 8} more"]
    return ", ".join(problems)


def pin_differences(expected: Mapping[str, str], actual: Mapping[str, str], *, extras: bool) -> str:
    """Empty when ``actual`` has the expected versions, else a short list of what differs.

    ``extras``: also list names in ``actual`` that are not expected (a resolve must not add
    any; a venv may hold more, e.g. pip).
    """
    problems = []
    for name, version in sorted(expected.items()):
        if name not in actual:
            problems.append(f"{name} missing")
        elif not _same_version(actual[name], version):
            problems.append(f"{name}=={actual[name]} (pinned {version})")
    if extras:
        problems += [f"{name} extra" for name in sorted(set(actual) - set(expected))]
    if len(problems) > 8:
        problems[8:] = [f"and {len(problems) - 8} more"]
    return ", ".join(problems)


def _same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b
