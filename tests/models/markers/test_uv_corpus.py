"""pyffin writes each marker the way uv 0.13.9 does: ``data/`` holds uv's own output for the same
markers (regenerate with ``python -m tests.models.markers.make_corpus``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pyffin.models.markers import Marker, _algebra
from tests.models.markers.graph import reachability

DATA = Path(__file__).parent / "data"


def rows(name: str) -> list[list[str]]:
    return [line.split("\t") for line in (DATA / name).read_text().splitlines()
            if line and not line.startswith("#")]


def written(marker: Marker, floor: str) -> str:
    """What uv writes on a pin needed under ``marker``, for requires-python ``>=floor``."""
    marker = marker.simplify_python(f">={floor}")
    return "<true>" if marker.is_true() else "<false>" if marker.is_false() else str(marker)


def requirement_marker(text: str) -> Marker:
    """A requirements file's marker: no extra is requested at the top level."""
    return Marker.parse(text).with_extras(())


def same_meaning(ours: Marker, uv_text: str, floor: str) -> bool:
    """Whether uv's text means what ``ours`` means where requires-python holds (platform
    combinations known to be impossible aside: uv's text may rely on them)."""
    if uv_text in ("<true>", "<false>"):
        theirs = Marker.TRUE if uv_text == "<true>" else Marker.FALSE
    else:
        theirs = Marker.parse(uv_text)
    possible = Marker.requires_python(f">={floor}")
    return all(_algebra.impossible((x & ~y & possible)._node)
               for x, y in ((ours, theirs), (theirs, ours)))


def test_every_shape_is_written_as_uv_writes_it() -> None:
    # Hand-written probes, the markers of real metadata and uv's own output for the benchmark
    # sets, each for requires-python >=3.9 and >=3.7.
    table = rows("uv-shapes.tsv")
    assert len(table) > 400
    wrong = [(floor, text, uv, ours) for floor, text, uv in table
             if (ours := written(requirement_marker(text), floor)) != uv]
    assert wrong == []


def test_published_requires_dist_markers_read_as_uv_reads_them() -> None:
    # Extras included: uv keeps them in the requirements it stores, unsimplified.
    table = rows("real-requires-dist.tsv")
    assert len(table) > 200
    wrong = [(text, uv, str(Marker.parse(text))) for text, uv in table
             if str(Marker.parse(text)) != uv]
    assert wrong == []


def test_generated_markers_are_written_as_uv_writes_them_but_for_known_shapes() -> None:
    table = rows("uv-generated.tsv")
    known = {(floor, text) for floor, text in rows("uv-generated-differences.tsv")}
    different = {(floor, text) for floor, text, uv in table
                 if written(requirement_marker(text), floor) != uv}
    # A smaller set is progress: update the list (make_corpus.py's corpora are deterministic).
    assert different - known == set(), "markers written differently from uv (regression)"
    assert known - different == set(), "now written as uv does: remove them from the list"
    assert len(known) < len(table) / 8


@pytest.mark.parametrize("name", ["uv-shapes.tsv", "uv-generated.tsv"])
def test_uv_text_means_what_the_marker_means(name: str) -> None:
    # Even where pyffin words a marker differently, uv's words mean the same thing.
    wrong = [(floor, text, uv) for floor, text, uv in rows(name)
             if not same_meaning(requirement_marker(text), uv, floor)]
    assert wrong == []


@pytest.mark.parametrize("floor", ["3.9", "3.8"])
def test_pins_of_a_graph_carry_uvs_markers(floor: str) -> None:
    # Without forks, a pin is needed where some path to it is: the disjunction over its
    # parents (and the extras requested of it) of the parent's marker and the edge's.
    spec = json.loads((DATA / "graph.json").read_text())
    markers, _ = reachability(spec["requirements"], spec["packages"])
    expected = {name: written(marker, floor) for name, marker in markers.items()
                if written(marker, floor) != "<false>"}
    uv = {}
    for line in (DATA / f"graph-{floor}.txt").read_text().splitlines():
        match = re.fullmatch(r"([a-z0-9-]+)==1\.0(?: ; (.*))?", line)
        if match:
            uv[match.group(1)] = match.group(2) or "<true>"
    assert expected == uv
