"""The layers of ``docs/architecture.md``: no module of pyffin imports from a layer above its own.

Every import counts — at module level, inside functions, under ``TYPE_CHECKING`` — because a
lazy or type-only import upward is still a dependency upward. The allow-list is empty, and
stays so: a new need for an upward import means a type belongs lower (usually in
:mod:`pyffin.models`) or a protocol belongs where it is used.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "pyffin"

#: Bottom first. A module may import from its own layer and the layers before it. A layer is
#: a package (``pyffin.cache`` and everything in it) or a single module.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pyffin.errors",),
    ("pyffin.log",),
    ("pyffin.records", "pyffin._record_inits"),
    ("pyffin._version",),
    ("pyffin.toml",),
    ("pyffin.interrupt",),
    ("pyffin.reporting",),
    ("pyffin.futures",),
    ("pyffin.collector",),
    ("pyffin.stamps",),
    ("pyffin.fs",),
    ("pyffin.models",),
    ("pyffin.settings",),
    ("pyffin.cache",),
    ("pyffin.requirements",),
    ("pyffin.interpreter",),
    ("pyffin.venv",),
    ("pyffin.client",),
    ("pyffin.git",),
    ("pyffin.build",),
    ("pyffin.distribution",),
    ("pyffin.resolver",),
    ("pyffin.installer",),
    ("pyffin.api",),
    ("pyffin.cli",),
    # The front door: ``import pyffin`` (which fronts the API) and ``python -m pyffin``.
    ("pyffin", "pyffin.__main__"),
)

#: Upward imports tolerated. Empty; keep it so.
ALLOWED: frozenset[tuple[str, str]] = frozenset()

#: What the shared vocabulary may import besides the standard library and itself.
MODELS_MAY_IMPORT = ("pyffin.errors", "pyffin.records", "pyffin.models", "packaging",
                     "typing_extensions")


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def layer_of(module: str) -> int:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, names in enumerate(LAYERS):
        for name in names:
            inside = module == name or (module.startswith(name + ".") and name != "pyffin")
            if inside and (best is None or len(name) > best[0]):
                best = (len(name), index)
    if best is None:
        raise LookupError(module)
    return best[1]


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module ``module`` imports (pyffin's and others'), with the line."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[:len(base) - drop] if drop else base
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                # ``from pyffin import log`` imports the module pyffin.log, not the package.
                submodule = f"{target}.{alias.name}"
                yield (submodule if _is_module(submodule) else target), node.lineno


def upward_edges() -> list[str]:
    found: list[str] = []
    for module, path in modules():
        own = layer_of(module)
        for target, line in imports(module, path):
            if target != "pyffin" and not target.startswith("pyffin."):
                continue
            if layer_of(target) > own and (module, target) not in ALLOWED:
                found.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {target} "
                             f"(layer {LAYERS[layer_of(target)][0]} is above "
                             f"{LAYERS[own][0]})")
    return sorted(set(found))


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for module, _ in modules():
        try:
            layer_of(module)
        except LookupError:
            unplaced.append(module)
    assert unplaced == [], "add these to LAYERS (and docs/architecture.md)"


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    assert upward_edges() == []


def test_the_allow_list_is_empty() -> None:
    assert frozenset() == ALLOWED


def test_models_import_only_the_standard_library_packaging_and_the_bottom() -> None:
    stdlib = sys.stdlib_module_names
    found = []
    for module, path in modules():
        if not module.startswith("pyffin.models"):
            continue
        for target, line in imports(module, path):
            top = target.split(".")[0]
            if top in stdlib or any(target == allowed or target.startswith(allowed + ".")
                                    for allowed in MODELS_MAY_IMPORT):
                continue
            found.append(f"{path.relative_to(ROOT)}:{line}: {target}")
    assert found == []


def test_the_checker_sees_lazy_type_only_and_relative_imports(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    # The walk must not miss the forms an upward import hides in.
    source = tmp_path / "pyffin" / "cache" / "thing.py"
    source.parent.mkdir(parents=True)
    (source.parent / "__init__.py").write_text("")
    (tmp_path / "pyffin" / "__init__.py").write_text("")
    (tmp_path / "pyffin" / "log.py").write_text("")
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from pyffin import log\n"
        "if TYPE_CHECKING:\n"
        "    from pyffin.client.registry import RegistryClient\n"
        "def f():\n"
        "    import pyffin.resolver\n"
        "    from .. import __version__\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    found = list(imports("pyffin.cache.thing", source))
    assert [target for target, _ in found] == [
        "typing", "pyffin.log", "pyffin.client.registry", "pyffin.resolver", "pyffin"]
    assert [layer_of(t) > layer_of("pyffin.cache.thing")
            for t, _ in found[1:]] == [False, True, True, True]


def test_the_documented_layers_are_these() -> None:
    # docs/architecture.md lists the layers in a table, top first; it must match LAYERS.
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    documented = [tuple(re.findall(r"`([a-z_.]+)`", line.split("|")[1]))
                  for line in section.splitlines() if line.startswith("| `")]
    assert documented == list(reversed(LAYERS))
