"""The dependency tree of an environment, drawn as ``uv pip tree`` draws it.

Each installed distribution is a node; a requirement of one (its ``Requires-Dist`` whose marker
holds here without extras) is an edge to each installed distribution of that name whose version
it admits. Roots are the nodes nothing points to, sorted by name; children are sorted by name.
A package shown once with its dependencies is shown again as ``name vX (*)`` without them
(``no_dedupe`` repeats them, except around a cycle). ``invert`` reverses every edge (who needs
each package), ``packages`` keeps what is reachable from the named packages, ``prune`` drops
packages and the edges to them, ``depth`` stops the descent.

When the graph has cycles, a greedy feedback arc set (Eades, Lin and Smyth, the heuristic uv
uses) is ignored when looking for roots. The nodes are taken in name order; uv takes them in
hash-map order, so which member of a cycle with no way in becomes a root can differ from uv.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.installer.installed import InstalledDistribution
    from pyffin.models.versions import Version
    from pyffin.resolver.dependencies import Dependency


@record
class TreeOptions:
    """``uv pip tree``'s options."""

    depth: int = 255
    prune: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    no_dedupe: bool = False
    invert: bool = False
    show_version_specifiers: bool = False


class _Node:
    __slots__ = ("name", "shown_version", "version")

    def __init__(self, name: str, version: Version, shown_version: str) -> None:
        self.name = name
        self.version = version
        self.shown_version = shown_version

    @property
    def key(self) -> tuple[str, Version]:
        return (self.name, self.version)


class _Edge:
    __slots__ = ("requirement", "source", "target")

    def __init__(self, source: int, target: int, requirement: Dependency) -> None:
        self.source = source
        self.target = target
        self.requirement = requirement


#: The marker shown after a package whose dependencies were shown above.
REPEATED = "(*)"


def render_tree(dists: Sequence[InstalledDistribution], markers: Mapping[str, str],
                options: TreeOptions | None = None,
                latest: Mapping[str, Version] | None = None,
                highlight: Callable[[str], str] = str) -> list[str]:
    """The lines of the tree of ``dists`` (installed in an environment whose markers are
    ``markers``). ``latest`` maps names to the newest version an index has: a package older
    than that gets ``(latest: vX)``, passed through ``highlight``."""
    return _Tree(dists, markers, options or TreeOptions(), latest or {}, highlight).render()


def footer(lines: Sequence[str], options: TreeOptions) -> str | None:
    """The note uv prints under a tree that has repeated packages."""
    if not any(REPEATED in line for line in lines):
        return None
    if options.no_dedupe:
        return f"{REPEATED} Package tree is a cycle and cannot be shown"
    return f"{REPEATED} Package tree already displayed"


class _Tree:
    def __init__(self, dists: Sequence[InstalledDistribution], markers: Mapping[str, str],
                 options: TreeOptions, latest: Mapping[str, Version],
                 highlight: Callable[[str], str]) -> None:
        from pyffin.models.names import normalize_name
        from pyffin.resolver.dependencies import DependencyParser, MarkerEvaluator

        self.options = options
        self.latest = latest
        self.highlight = highlight
        prune = {normalize_name(name) for name in options.prune}
        wanted = {normalize_name(name) for name in options.packages}
        evaluator = MarkerEvaluator(markers)
        parser = DependencyParser()  # clauses recur from one distribution to the next

        self.nodes: list[_Node] = []
        requirements: list[list[Dependency]] = []
        by_name: dict[str, list[int]] = {}
        for dist in sorted(dists, key=lambda d: d.normalized_name):
            name = dist.normalized_name
            if name in prune:
                continue
            version, shown = _version(dist.version)
            by_name.setdefault(name, []).append(len(self.nodes))
            self.nodes.append(_Node(name, version, shown))
            requirements.append(_requirements(dist, evaluator, parser))

        self.edges: list[_Edge] = []
        for index, requires in enumerate(requirements):
            for requirement in requires:
                if requirement.name in prune:
                    continue
                for target in by_name.get(requirement.name, ()):
                    if requirement.url is None and requirement.clauses \
                            and self.nodes[target].version not in requirement.versions:
                        continue  # not what this package needs: not its dependency
                    self.edges.append(_Edge(index, target, requirement))

        if options.invert:
            for edge in self.edges:
                edge.source, edge.target = edge.target, edge.source

        alive = set(range(len(self.nodes)))
        if wanted:
            following: dict[int, list[int]] = {}
            for edge in self.edges:
                following.setdefault(edge.source, []).append(edge.target)
            alive = {i for i, node in enumerate(self.nodes) if node.name in wanted}
            stack = list(alive)
            while stack:
                for target in following.get(stack.pop(), ()):
                    if target not in alive:
                        alive.add(target)
                        stack.append(target)
            self.edges = [e for e in self.edges if e.source in alive and e.target in alive]
        self.alive = sorted(alive)
        self.outgoing: dict[int, list[_Edge]] = {i: [] for i in self.alive}
        for edge in self.edges:
            self.outgoing[edge.source].append(edge)
        self.roots = self._roots()

    def _roots(self) -> list[int]:
        """The nodes without incoming edges once the cycles are broken, sorted."""
        feedback = _feedback_arc_set(self.alive, self.edges)
        pointed = {e.target for i, e in enumerate(self.edges) if i not in feedback}
        roots = [i for i in self.alive if i not in pointed]
        return sorted(roots, key=lambda i: self.nodes[i].key)

    def render(self) -> list[str]:
        lines: list[str] = []
        visited: dict[str, list[str]] = {}
        for root in self.roots:
            lines.extend(self._visit(root, [], visited, []))
        return lines

    def _visit(self, node_index: int, via: list[_Edge], visited: dict[str, list[str]],
               path: list[str]) -> list[str]:
        if len(path) > self.options.depth:
            return []
        node = self.nodes[node_index]
        line = f"{node.name} v{node.shown_version}"
        if self.options.show_version_specifiers and via:
            shown = _aggregate(via)
            if self.options.invert:
                parent = self.nodes[via[0].source].name
                line += f" [requires: {parent} {shown or '*'}]"
            else:
                line += f" [required: {shown or '*'}]"

        seen = visited.get(node.name)
        if seen is not None and (not self.options.no_dedupe or node.name in path):
            return [f"{line} {REPEATED}" if seen else line]

        newest = self.latest.get(node.name)
        if newest is not None and newest > node.version:
            line += " " + self.highlight(f"(latest: v{newest})")

        grouped: dict[int, list[_Edge]] = {}
        for edge in self.outgoing.get(node_index, ()):
            grouped.setdefault(edge.target, []).append(edge)
        children = sorted(grouped.items(), key=lambda item: self.nodes[item[0]].key)

        lines = [line]
        visited[node.name] = [self.nodes[target].name for target, _ in children]
        path.append(node.name)
        for position, (target, edges) in enumerate(children):
            last = position == len(children) - 1
            top, rest = ("└── ", "    ") if last else ("├── ", "│   ")
            for i, child_line in enumerate(self._visit(target, edges, visited, path)):
                lines.append((top if i == 0 else rest) + child_line)
        path.pop()
        return lines


# ------------------------------------------------------------------------------ helpers
def _version(text: str) -> tuple[Version, str]:
    """The installed version, and how uv shows it (normalized when it parses)."""
    from pyffin.models.versions import InvalidVersion, Version

    try:
        version = Version(text)
    except InvalidVersion:
        return Version("0"), text
    return version, str(version)


def _requirements(dist: InstalledDistribution, evaluator: object, parser: object
                  ) -> list[Dependency]:
    """What ``dist`` requires in this environment (markers evaluated without extras)."""
    from pyffin.models.metadata import MetadataError
    from pyffin.resolver.dependencies import DependencyError, DependencyParser, MarkerEvaluator

    assert isinstance(evaluator, MarkerEvaluator) and isinstance(parser, DependencyParser)
    try:
        requires_dist = dist.metadata().requires_dist
    except MetadataError:
        return []
    found = []
    for text in requires_dist:
        try:
            dependency = parser.parse(text)
            if dependency.marker is None or evaluator.evaluate(dependency.marker):
                found.append(dependency)
        except DependencyError:
            continue
    return found


def _aggregate(edges: Sequence[_Edge]) -> str | None:
    """The requirements on one package along ``edges`` in one specifier, as uv shows them: the
    tightest lower and upper bounds and every other clause, sorted by version; a URL as is."""
    clauses: list[tuple[str, str]] = []
    for edge in edges:
        requirement = edge.requirement
        if requirement.url is not None:
            return requirement.url
        clauses.extend(requirement.clauses)
    if not clauses:
        return None
    return simplify_specifiers(clauses) or None


#: uv's order of operators among clauses on the same version.
_OPERATOR_ORDER = {"==": 0, "==*": 1, "===": 2, "!=": 3, "!=*": 4, "~=": 5, "<": 6, "<=": 7,
                   ">": 8, ">=": 9}


def simplify_specifiers(clauses: Sequence[tuple[str, str]]) -> str:
    """``(operator, version)`` clauses as one specifier: the highest lower bound (``>`` wins
    a tie with ``>=``), the lowest upper bound (``<`` wins a tie), every other clause, each
    once, sorted by version then operator, and normalized (``>=1.0``, ``==1.2.*``)."""
    lower: tuple[str, Version, str] | None = None
    upper: tuple[str, Version, str] | None = None
    others: list[tuple[str, Version, str]] = []
    for operator, text in clauses:
        clause = _clause(operator, text)
        if operator in (">", ">="):
            if lower is None or clause[1] > lower[1] or (
                    clause[1] == lower[1] and operator == ">" and lower[0] == ">="):
                lower = clause
        elif operator in ("<", "<="):
            if upper is None or clause[1] < upper[1] or (
                    clause[1] == upper[1] and operator == "<" and upper[0] == "<="):
                upper = clause
        else:
            others.append(clause)
    merged = [c for c in (lower, upper) if c is not None] + others
    shown: dict[str, tuple[str, Version, str]] = {}
    for clause in merged:
        shown.setdefault(clause[2], clause)
    ordered = sorted(shown.values(), key=lambda c: (c[1], _OPERATOR_ORDER.get(c[0], 10)))
    return ", ".join(text for _, _, text in ordered)


def _clause(operator: str, text: str) -> tuple[str, Version, str]:
    """``(sort operator, version, shown text)`` of one clause."""
    from pyffin.models.versions import InvalidVersion, Version

    star = text.endswith(".*")
    base = text[:-2] if star else text
    try:
        version = Version(base)
    except InvalidVersion:  # ``===`` takes any string
        return operator, Version("0"), f"{operator}{text}"
    shown = f"{operator}{version}{'.*' if star else ''}"
    return (operator + "*" if star else operator), version, shown


def _feedback_arc_set(nodes: Sequence[int], edges: Sequence[_Edge]) -> set[int]:
    """The indexes in ``edges`` of a small set of edges whose removal leaves no cycle: Eades,
    Lin and Smyth's greedy ordering (sinks to the end, sources to the front, else the node
    with the most outgoing minus incoming edges), then every edge pointing backwards in it."""
    if _acyclic(nodes, edges):  # the usual case: nothing to break
        return set()
    remaining = set(nodes)
    out: dict[int, list[int]] = {n: [] for n in nodes}
    into: dict[int, list[int]] = {n: [] for n in nodes}
    for i, edge in enumerate(edges):
        if edge.source != edge.target:
            out[edge.source].append(i)
            into[edge.target].append(i)

    def degree(node: int, table: dict[int, list[int]], end: str) -> int:
        return sum(1 for i in table[node] if getattr(edges[i], end) in remaining)

    front: list[int] = []
    back: list[int] = []
    while remaining:
        changed = True
        while changed:
            changed = False
            for node in sorted(remaining):
                if degree(node, out, "target") == 0:
                    back.append(node)
                    remaining.discard(node)
                    changed = True
                elif degree(node, into, "source") == 0:
                    front.append(node)
                    remaining.discard(node)
                    changed = True
        if remaining:
            best = max(sorted(remaining),
                       key=lambda n: degree(n, out, "target") - degree(n, into, "source"))
            front.append(best)
            remaining.discard(best)
    order = {node: position for position, node in enumerate(front + back[::-1])}
    return {i for i, edge in enumerate(edges)
            if edge.source == edge.target or order[edge.source] > order[edge.target]}


def _acyclic(nodes: Sequence[int], edges: Sequence[_Edge]) -> bool:
    """Kahn's algorithm: whether every node can be taken once nothing points to it."""
    pointing = dict.fromkeys(nodes, 0)
    following: dict[int, list[int]] = {}
    for edge in edges:
        pointing[edge.target] += 1
        following.setdefault(edge.source, []).append(edge.target)
    ready = [node for node, count in pointing.items() if count == 0]
    taken = 0
    while ready:
        taken += 1
        for target in following.get(ready.pop(), ()):
            pointing[target] -= 1
            if pointing[target] == 0:
                ready.append(target)
    return taken == len(pointing)
