"""Regenerate the uv-written fixtures under ``data/`` (a developer tool, not a test).

    python -m tests.models.markers.make_corpus [--uv PATH] shapes|generated|graph

``shapes`` and ``generated``: every marker becomes a requirement ``mN ; <marker>`` on a wheel
with no dependencies; ``uv pip compile --universal --python-version X`` writes the marker it
keeps for each pin (simplified for requires-python ``>=X``), or drops the pin when the marker can
never hold. ``graph``: the packages of ``data/graph.json`` served by the local test index,
compiled the same way. Offline: ``--no-index``/``--find-links`` or the loopback index only, no
interpreter downloads.

Output format (``*.tsv``): ``<X>\\t<marker>\\t<uv's marker>``, where uv's marker is ``<true>`` for
a pin written without one and ``<false>`` for a pin left out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.models.markers import generate
from tests.support.dists import WheelSpec, build_wheel
from tests.support.index import IndexServer

DATA = Path(__file__).parent / "data"
UV = os.environ.get("UV", "/work/main/bench/.data/tools/bin/uv")
#: (seed, count, floor) of each generated corpus.
GENERATED = {"realistic": [(21, 400, "3.9"), (22, 400, "3.8"), (23, 400, "3.10")],
             "stress": [(1, 300, "3.9"), (2, 300, "3.7")]}


def compile_universal(uv: str, args: list[str], requirements: str, floor: str) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "requirements.in"
        source.write_text(requirements)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
        env["UV_PYTHON_DOWNLOADS"] = "never"
        result = subprocess.run(
            [uv, "pip", "compile", "--universal", "--python-version", floor, "--no-header",
             "--no-python-downloads", "--cache-dir", f"{scratch}/cache", *args, source.name],
            capture_output=True, text=True, env=env, cwd=scratch, check=False)
    if result.returncode:
        sys.exit(result.stderr)
    return result.stdout


def single(uv: str, markers: list[str], floor: str) -> list[str]:
    """uv's marker for each of ``markers`` (``<true>``/``<false>`` as in the module doc)."""
    with tempfile.TemporaryDirectory() as wheels:
        for index in range(len(markers)):
            build_wheel(WheelSpec(f"m{index}", "1.0"), Path(wheels))
        requirements = "".join(f"m{i} ; {m}\n" for i, m in enumerate(markers))
        output = compile_universal(
            uv, ["--no-annotate", "--offline", "--no-index", "--find-links", wheels],
            requirements, floor)
    pins = {}
    for line in output.splitlines():
        match = re.fullmatch(r"m(\d+)==1\.0(?: ; (.*))?", line)
        if match:
            pins[int(match.group(1))] = match.group(2) or "<true>"
    return [pins.get(index, "<false>") for index in range(len(markers))]


def write_tsv(path: Path, header: str, rows: list[tuple[str, str, str]]) -> None:
    lines = [f"# {line}" for line in header.splitlines()]
    lines += ["\t".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(rows)} rows to {path}")


def version(uv: str) -> str:
    return subprocess.run([uv, "--version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def shapes(uv: str) -> None:
    markers = [line.strip() for line in (DATA / "shapes.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    rows = [(floor, marker, written) for floor in ("3.9", "3.7")
            for marker, written in zip(markers, single(uv, markers, floor), strict=True)]
    write_tsv(DATA / "uv-shapes.tsv", f"{version(uv)}: the markers of shapes.txt "
              "(make_corpus.py shapes)", rows)


def generated(uv: str) -> None:
    rows = []
    for kind, runs in GENERATED.items():
        for seed, count, floor in runs:
            markers = getattr(generate, kind)(seed, count)
            rows += [(floor, marker, written) for marker, written
                     in zip(markers, single(uv, markers, floor), strict=True)]
    write_tsv(DATA / "uv-generated.tsv", f"{version(uv)}: generate.py corpora {GENERATED} "
              "(make_corpus.py generated)", rows)


#: Output files of ``graph``: name -> (graph, floor, extra uv arguments).
GRAPH_OUTPUTS = {
    "graph-3.9.txt": ("graph.json", "3.9", ["--no-annotate"]),
    "graph-3.8.txt": ("graph.json", "3.8", ["--no-annotate"]),
    "graph-3.9-annotated.txt": ("graph.json", "3.9", []),
    "graph-3.9-line.txt": ("graph.json", "3.9", ["--annotation-style", "line"]),
    "forked-3.9.txt": ("forked.json", "3.9", []),
    "forked-3.9-hashes.txt": ("forked.json", "3.9", ["--generate-hashes", "--annotation-style",
                                                     "line"]),
}


def graph(uv: str) -> None:
    for output_name, (graph_name, floor, extra) in GRAPH_OUTPUTS.items():
        spec = json.loads((DATA / graph_name).read_text())
        with IndexServer() as server:
            for key, requires in spec["packages"].items():
                name, _, release = key.partition("==")
                extras = sorted({m for r in requires
                                 for m in re.findall(r"extra == '([^']+)'", r)})
                server.add_wheel(WheelSpec(name, release or "1.0", requires_dist=requires,
                                           extras=extras))
            output = compile_universal(
                uv, ["--index-url", server.index_url, *extra],
                "\n".join(spec["requirements"]) + "\n", floor)
            # The index's port changes from run to run.
            output = output.replace(server.index_url, "http://127.0.0.1/simple/")
        path = DATA / output_name
        path.write_text(f"# {version(uv)}: {graph_name}, --universal --python-version {floor} "
                        f"{' '.join(extra)} (make_corpus.py graph)\n{output}")
        print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uv", default=UV)
    parser.add_argument("what", choices=["shapes", "generated", "graph"], nargs="+")
    args = parser.parse_args()
    for what in args.what:
        {"shapes": shapes, "generated": generated, "graph": graph}[what](args.uv)


if __name__ == "__main__":
    main()
