"""A universal resolution is written as ``uv pip compile --universal`` writes it: the expected
files are uv 0.13.9's output (``tests/models/markers/make_corpus.py graph``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from packaging.version import Version

from pyffin.models.markers import Marker
from pyffin.resolver.output import format_requirements
from pyffin.resolver.universal import UniversalPin, UniversalResolution
from tests.models.markers.graph import ROOT, reachability

DATA = Path(__file__).parents[1] / "models" / "markers" / "data"


def uv_output(name: str) -> str:
    """uv's file without the line saying how it was made."""
    return (DATA / name).read_text().split("\n", 1)[1]


def graph_resolution(floor: str) -> UniversalResolution:
    spec = json.loads((DATA / "graph.json").read_text())
    markers, edges = reachability(spec["requirements"], spec["packages"])
    requires_python = f">={floor}"

    def followed(marker: Marker) -> bool:
        return not marker.simplify_python(requires_python).is_false()

    pins = []
    for name, marker in markers.items():
        parents = {parent for parent, child, edge in edges if child == name and followed(edge)}
        pins.append(UniversalPin(
            name, Version("1.0"), marker, dependents=tuple(sorted(parents - {ROOT})),
            origins=(ROOT,) if ROOT in parents else ()))
    return UniversalResolution(requires_python, tuple(pins))


@pytest.mark.parametrize(("style", "expected"), [
    ("split", "graph-3.9-annotated.txt"), ("line", "graph-3.9-line.txt")])
def test_pins_carry_their_marker_after_a_semicolon(style: str, expected: str) -> None:
    resolution = graph_resolution("3.9")
    text = format_requirements(resolution, annotation_style=style)  # type: ignore[arg-type]
    assert text == uv_output(expected)


def test_pins_requires_python_rules_out_are_left_out() -> None:
    resolution = graph_resolution("3.9")
    assert "old-lib" not in resolution  # needed only below Python 3.8
    assert "alpha" in resolution
    assert format_requirements(resolution, annotate=False) == uv_output("graph-3.9.txt")


FORKED = UniversalResolution(">=3.9", (
    UniversalPin("plotter", Version("1.0"), Marker.TRUE, origins=(ROOT,)),
    UniversalPin("numpy-like", Version("2.1.0"), Marker.parse("python_version >= '3.10'"),
                 dependents=("plotter",), origins=(ROOT,)),
    UniversalPin("numpy-like", Version("1.26.4"), Marker.parse("python_version < '3.10'"),
                 dependents=("plotter",), origins=(ROOT,)),
    UniversalPin("typing-like", Version("4.0"),
                 Marker.parse("python_version >= '3.10' and python_version < '3.12'"),
                 dependents=("numpy-like",)),
    UniversalPin("win-only", Version("1.0"), Marker.parse("platform_system == 'Windows'"),
                 dependents=("plotter",), origins=(ROOT,)),
), forks=(Marker.parse("python_version < '3.10'"), Marker.parse("python_version >= '3.10'")))


def test_each_version_of_a_forked_package_has_its_own_entry() -> None:
    assert format_requirements(FORKED) == uv_output("forked-3.9.txt")


def test_hashes_belong_to_each_version() -> None:
    expected = uv_output("forked-3.9-hashes.txt")
    # The digests of each pin, as uv listed them (the test index builds the wheels afresh).
    hashes = {}
    for block in re.split(r"\n(?=\S)", expected):
        pin = block.split(" ", 1)[0]
        hashes[pin] = re.findall(r"--hash=(sha256:\w+)", block)
    assert hashes["numpy-like==1.26.4"] != hashes["numpy-like==2.1.0"]
    text = format_requirements(FORKED, annotation_style="line", hashes=hashes)
    assert text == expected
