"""The dependency tree drawn from installed distributions (``pyffin.installer.tree``), and the
newest-version rules of ``--outdated`` (``pyffin.installer.outdated``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from pyffin.installer.installed import InstalledDistribution, scan
from pyffin.installer.outdated import admits_from_below
from pyffin.installer.tree import TreeOptions, footer, render_tree, simplify_specifiers

MARKERS = {"sys_platform": "linux", "python_version": "3.11", "python_full_version": "3.11.2",
           "os_name": "posix", "platform_system": "Linux", "implementation_name": "cpython",
           "platform_machine": "x86_64", "platform_python_implementation": "CPython",
           "platform_release": "", "platform_version": "", "implementation_version": "3.11.2"}


def site(tmp_path: Path, packages: dict[str, list[str]]) -> list[InstalledDistribution]:
    """A site-packages directory with ``{"name version": [Requires-Dist, ...]}``."""
    root = tmp_path / "site-packages"
    for key, requires in packages.items():
        name, version = key.split()
        info = root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                 *(f"Requires-Dist: {r}" for r in requires)]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
    return scan([root])


def draw(dists: list[InstalledDistribution], **options: object) -> str:
    lines = render_tree(dists, MARKERS, TreeOptions(**options))  # type: ignore[arg-type]
    note = footer(lines, TreeOptions(**options))  # type: ignore[arg-type]
    return "\n".join(lines + ([note] if note else [])) + "\n"


def test_roots_are_what_nothing_needs_and_repeats_are_marked(tmp_path: Path) -> None:
    dists = site(tmp_path, {"app 1.0": ["web", "lib"], "web 2.0": ["lib>=1"],
                            "lib 1.5": ["base"], "base 1.0": [], "alone 0.1": []})
    assert draw(dists) == (
        "alone v0.1\n"
        "app v1.0\n"
        "├── lib v1.5\n"
        "│   └── base v1.0\n"
        "└── web v2.0\n"
        "    └── lib v1.5 (*)\n"
        "(*) Package tree already displayed\n")
    assert draw(dists, no_dedupe=True).count("base v1.0") == 2


def test_a_requirement_the_installed_version_does_not_meet_is_no_edge(tmp_path: Path) -> None:
    dists = site(tmp_path, {"app 1.0": ["lib>=2"], "lib 1.0": []})
    assert draw(dists) == "app v1.0\nlib v1.0\n"


def test_markers_hold_without_extras(tmp_path: Path) -> None:
    dists = site(tmp_path, {"app 1.0": ['win; sys_platform == "win32"', 'opt; extra == "x"',
                                        'posix; os_name == "posix"'],
                            "win 1.0": [], "opt 1.0": [], "posix 1.0": []})
    assert draw(dists) == "app v1.0\n└── posix v1.0\nopt v1.0\nwin v1.0\n"


def test_a_cycle_with_no_way_in_still_gets_a_root(tmp_path: Path) -> None:
    dists = site(tmp_path, {"a 1.0": ["b"], "b 1.0": ["c"], "c 1.0": ["a"]})
    text = draw(dists)
    assert len([line for line in text.splitlines() if not line.startswith(("│", "├", "└",
                                                                             " ", "("))]) == 1
    assert text.endswith("(*)\n(*) Package tree already displayed\n")
    assert "(*) Package tree is a cycle and cannot be shown" in draw(dists, no_dedupe=True)


def test_depth_prune_package_and_invert(tmp_path: Path) -> None:
    dists = site(tmp_path, {"app 1.0": ["web", "lib"], "web 2.0": ["lib>=1"],
                            "lib 1.5": ["base"], "base 1.0": []})
    assert draw(dists, depth=1) == "app v1.0\n├── lib v1.5\n└── web v2.0\n"
    assert draw(dists, prune=("lib",)) == "app v1.0\n└── web v2.0\nbase v1.0\n"
    assert draw(dists, packages=("web",)) == (
        "web v2.0\n└── lib v1.5\n    └── base v1.0\n")
    assert draw(dists, invert=True, packages=("lib",), show_version_specifiers=True) == (
        "lib v1.5\n"
        "├── app v1.0 [requires: lib *]\n"
        "└── web v2.0 [requires: lib >=1]\n"
        "    └── app v1.0 [requires: web *]\n")


def test_latest_versions_are_shown_when_newer(tmp_path: Path) -> None:
    dists = site(tmp_path, {"app 1.0": ["lib"], "lib 1.5": []})
    lines = render_tree(dists, MARKERS, TreeOptions(),
                        latest={"app": Version("1.0"), "lib": Version("2.0")},
                        highlight=lambda text: f"<{text}>")
    assert lines == ["app v1.0", "└── lib v1.5 <(latest: v2.0)>"]


@pytest.mark.parametrize("clauses,shown", [
    # uv's own cases (crates/uv/src/commands/pip/tree.rs)
    ([">=0.3.6", ">=0.3.7"], ">=0.3.7"),
    ([">=1", ">1"], ">1"),
    ([">=0.3.7", "<0.4", "!=0.3.9", ">=0.3.7"], ">=0.3.7, !=0.3.9, <0.4"),
    (["<=1", "<1"], "<1"),
    ([">=0.3.7", "<0.4", ">=0.3.6"], ">=0.3.7, <0.4"),
    # normalized, wildcards kept, operators ordered as uv's on one version
    ([">=1.0-1", "==1.*", "!=1.0"], "==1.*, !=1.0, >=1.0.post1"),
    (["~=2.1", "<3"], "~=2.1, <3"),
])
def test_version_specifiers_are_simplified_as_uv_does(clauses: list[str], shown: str) -> None:
    import re

    pairs = [re.fullmatch(r"([<>=!~]+)(.+)", clause).groups()  # type: ignore[union-attr]
             for clause in clauses]
    assert simplify_specifiers(pairs) == shown  # type: ignore[arg-type]


@pytest.mark.parametrize("requires_python,admitted", [
    (">=3.8", True), (">=3.11", True), (">=3.11.3", False), (">3.11.2", False),
    ("<3.11", True),  # an upper bound is not looked at (uv's reading)
    ("==3.11.*", True), ("==3.12.*", False), ("~=3.12", False), (">=3.8,!=3.11.2", True),
    ("not a specifier", False),
])
def test_requires_python_is_read_by_its_lower_bound(requires_python: str,
                                                    admitted: bool) -> None:
    assert admits_from_below(requires_python, Version("3.11.2")) is admitted
