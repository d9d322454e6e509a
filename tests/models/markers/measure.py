"""Cost of marker operations in a resolution-shaped workload (a measurement, not a test).

    python -m tests.models.markers.measure

A graph of 400 packages, each required by up to three earlier ones through realistic edge
markers (``generate.REALISTIC``, half of the edges unconditional): parse the edge markers,
propagate each package's marker (``parent & edge``, ``|`` over parents), test pairs for
disjointness, and write every pin's marker for requires-python ``>=3.9``.
"""

from __future__ import annotations

import random
import time

from pyffin.models.markers import Marker
from tests.models.markers import generate


def main() -> None:
    r = random.Random(7)
    edges = [" and ".join(r.choice(generate.REALISTIC)(r) for _ in range(r.randint(1, 2)))
             for _ in range(300)]
    start = time.perf_counter()
    parsed = [Marker.parse(text) for text in edges]
    parse = time.perf_counter() - start

    count = 400
    parents = {i: r.sample(range(i), min(i, 3)) for i in range(1, count)}
    edge = {(i, p): r.choice([*parsed, *[Marker.TRUE] * 300])
            for i in parents for p in parents[i]}
    start = time.perf_counter()
    marker = {0: Marker.TRUE}
    operations = 0
    for i in range(1, count):
        needed = Marker.FALSE
        for p in parents[i]:
            needed = needed | (marker[p] & edge[i, p])
            operations += 2
        marker[i] = needed
    propagate = time.perf_counter() - start

    pairs = [(i, j) for i in range(1, count, 3) for j in range(1, count, 7)]
    start = time.perf_counter()
    for i, j in pairs:
        marker[i].is_disjoint(marker[j])
    disjoint = time.perf_counter() - start

    start = time.perf_counter()
    texts = [str(marker[i].simplify_python(">=3.9")) for i in range(1, count)]
    write = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(1, count):
        str(marker[i].simplify_python(">=3.9"))
    rewrite = time.perf_counter() - start

    print(f"parse {len(edges)} edge markers: {parse * 1e3:.1f} ms")
    print(f"{operations} and/or: {propagate * 1e3:.1f} ms ({propagate / operations * 1e6:.1f} µs "
          "each)")
    print(f"{len(pairs)} is_disjoint: {disjoint * 1e3:.1f} ms "
          f"({disjoint / len(pairs) * 1e6:.1f} µs each)")
    print(f"write {count - 1} pin markers ({len(set(texts))} distinct): {write * 1e3:.1f} ms "
          f"({write / (count - 1) * 1e3:.2f} ms each); again (cached): {rewrite * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
