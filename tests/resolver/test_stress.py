"""Walking back through hundreds of versions (``boto3``/``botocore``-like universes, see
``tests/support/stress.py``): the right pins, with work that grows linearly (counts bounded,
not times)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pyffin.cache import Cache
from pyffin.client.registry import connect
from pyffin.resolver.errors import NoSolutionError
from pyffin.resolver.index_source import IndexSource
from pyffin.resolver.solver import resolve
from pyffin.settings import IndexSettings
from tests.resolver.memory import TARGET, MemorySource, direct
from tests.support import stress
from tests.support.index import IndexServer

SDKS = 200
TAGS = ("cp311-cp311-manylinux_2_17_x86_64", "py3-none-any")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(dist_dir=tmp_path_factory.mktemp("stress")) as served:
        stress.serve(stress.walkback(SDKS), served)
        yield served


def walked(pins: dict[str, str]) -> int:
    """How many versions of ``sdk`` and ``core`` a walk from the newest down to ``pins`` tries."""
    newest = 2 * SDKS - 1
    core = int(pins["core"].split(".")[1]) * 10 + int(pins["core"].split(".")[2])
    sdk = (SDKS - 1 - (int(pins["sdk"].split(".")[1]) * 10 + int(pins["sdk"].split(".")[2]))
           if "sdk" in pins else 0)
    return newest - core + 1 + sdk


def solve_served(server: IndexServer, tmp_path: Path, *requirements: str
                 ) -> tuple[dict[str, str], dict[str, int], int]:
    """Resolve against the served universe: pins, solver counts, ``.metadata`` requests."""
    before = len(server.request_log)
    stats: dict[str, int] = {}
    with Cache(tmp_path / "cache") as cache:
        source = IndexSource(connect(cache, IndexSettings(index_url=server.index_url)),
                             tags=TAGS)
        resolution = resolve(direct(*requirements), source, TARGET, stats=stats)
    fetched = sum(1 for request in server.request_log[before:]
                  if request.path.endswith(".metadata"))
    return {k: str(v) for k, v in resolution.pins().items()}, stats, fetched


@pytest.mark.parametrize("requirements, expected", [
    (("net<1.25", "sdk"), stress.expected_sdk_walkback(SDKS)),
    ((f"core<{stress.version(2 * SDKS - 1)}", "net>=2"), stress.expected_core_walkback(SDKS)),
])
def test_a_walk_back_through_hundreds_of_versions_fetches_each_once(
        server: IndexServer, tmp_path: Path, requirements: tuple[str, ...],
        expected: dict[str, str]) -> None:
    pins, stats, fetched = solve_served(server, tmp_path, *requirements)
    assert pins == expected  # uv 0.13.9's pins on the same index
    tried = walked(pins)
    # Every version walked is read once; the batch prefetch reads at most a window (50) ahead
    # of where the walk stops, per walked package.
    assert tried <= stats["metadata"] <= tried + 4
    assert fetched <= stats["metadata"] + 2 * 50
    # One decision and at most one conflict per version tried, give or take.
    assert stats["decisions"] <= 1.5 * tried + 10
    assert stats["conflicts"] <= tried
    # Unit propagation does not revisit every clause after every backjump.
    assert stats["evaluations"] <= 10 * tried


def test_the_work_grows_linearly_with_the_versions_walked() -> None:
    counts = []
    for sdks in (100, 400):
        stats: dict[str, int] = {}
        resolution = resolve(direct("net<1.25", "sdk"), MemorySource(stress.walkback(sdks)),
                             TARGET, stats=stats)
        assert {k: str(v) for k, v in resolution.pins().items()} == (
            stress.expected_sdk_walkback(sdks))
        counts.append(stats)
    small, large = counts
    for count in ("decisions", "conflicts", "metadata", "evaluations"):
        assert large[count] <= 4.5 * small[count], count


def test_unusable_and_repaired_versions_on_the_walk(server: IndexServer, tmp_path: Path) -> None:
    invalid, repaired = stress.version(23 * 16), stress.version(17 * 21)  # 1.36.8, 1.35.7
    pins, _, _ = solve_served(server, tmp_path, f"core>={stress.version(23 * 16 - 1)},<={invalid}")
    assert pins["core"] == stress.version(23 * 16 - 1)  # 1.36.8 declares "net>=": passed over
    pins, _, _ = solve_served(server, tmp_path, f"core=={repaired}")
    assert pins == {"core": repaired, "jmes": "0.10.0", "net": "1.26"}  # read as >=1.25.4,<1.27
    with pytest.raises(NoSolutionError) as raised:
        resolve(direct(f"core=={invalid}"), MemorySource(stress.walkback(SDKS)), TARGET)
    assert str(raised.value) == (
        "Because core==1.36.8 has invalid metadata and you require core==1.36.8, we can conclude "
        "that your requirements are unsatisfiable.\n\n"
        "hint: `core==1.36.8`: declares invalid requirement 'net>=': Expected semicolon (after "
        "name with no version specifier) or end ...")
