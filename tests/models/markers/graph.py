"""Where each package of a dependency graph without forks is needed: the disjunction over its
paths from the root of the conjunction of the markers along the path (uv's *reachability*).
Used by the corpus tests to check markers and output against uv's for ``data/graph.json``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pyffin.models.markers import Marker

ROOT = "-r requirements.in"


def split(requirement: str, extra: str | None = None) -> tuple[str, list[str], Marker]:
    """Name, requested extras and marker of ``requirement``, its ``extra`` comparisons decided
    for the requiring node's ``extra``."""
    head, _, marker_text = requirement.partition(";")
    match = re.fullmatch(r"\s*([a-z0-9-]+)(?:\[([a-z,]+)\])?\s*(?:[<>=!].*)?", head)
    assert match is not None, requirement
    marker = Marker.parse(marker_text) if marker_text.strip() else Marker.TRUE
    extras = match.group(2).split(",") if match.group(2) else []
    return match.group(1), extras, marker.with_extras([extra] if extra else [])


def reachability(requirements: Sequence[str], packages: Mapping[str, Sequence[str]],
                 ) -> tuple[dict[str, Marker], list[tuple[str, str, Marker]]]:
    """The marker of every package (of its base node), and every edge ``(parent, child,
    marker)`` with the marker under which it is followed; the root is :data:`ROOT`."""
    needed: dict[tuple[str, str | None], Marker] = {}
    edges: dict[tuple[str, str], Marker] = {}
    pending: list[tuple[str, tuple[str, str | None], Marker]] = []
    for line in requirements:
        name, extras, marker = split(line)
        pending += [(ROOT, (name, extra), marker) for extra in [None, *extras]]
    while pending:
        parent, node, marker = pending.pop()
        edges[parent, node[0]] = edges.get((parent, node[0]), Marker.FALSE) | marker
        before = needed.get(node, Marker.FALSE)
        now = before | marker
        if now == before:
            continue
        needed[node] = now
        name, extra = node
        for requirement in packages[name]:
            dependency, extras, edge = split(requirement, extra)
            pending += [(name, (dependency, e), now & edge) for e in [None, *extras]]
    markers = {name: marker for (name, extra), marker in needed.items() if extra is None}
    return markers, [(parent, child, marker) for (parent, child), marker in edges.items()]
