"""A resolution made of first choices: answered without search exactly when nothing clashes,
and then the search's own answer."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyffin.build.errors import BuildError
from pyffin.resolver import first_choices
from pyffin.resolver.errors import NoSolutionError
from pyffin.resolver.options import ResolverOptions
from pyffin.resolver.resolution import Resolution
from tests.resolver.memory import MemorySource, Release, Universe, pins, solve

ROOT = Path(__file__).resolve().parents[2]


def searched(universe: Universe | MemorySource, *requirements: str, **kwargs: Any) -> int:
    """Whether resolving needed the search (the solver's ``searched`` count)."""
    stats: dict[str, int] = {}
    solve(universe, *requirements, stats=stats, **kwargs)
    return stats["searched"]


def test_newest_versions_that_fit_together_are_the_answer_without_search() -> None:
    universe = {"app": {"1.0": ["lib>=1"], "2.0": ["lib>=2", "util"]},
                "lib": {"1.0": [], "2.0": ["util<3"], "2.1": ["util<3"]},
                "util": {"1.0": [], "2.5": []}}
    assert pins(universe, "app") == {"app": "2.0", "lib": "2.1", "util": "2.5"}
    assert searched(universe, "app") == 0


def test_pins_below_the_newest_are_the_answer_without_search() -> None:
    """A requirements file of pins (``pip install -r requirements.txt``): each range holds one
    version, its first choice, whatever is newer."""
    universe = {"app": {"1.0": ["lib"], "2.0": ["lib"]}, "lib": {"1.0": [], "3.0": []}}
    assert pins(universe, "app==1.0", "lib==1.0") == {"app": "1.0", "lib": "1.0"}
    assert searched(universe, "app==1.0", "lib==1.0") == 0


def test_a_cap_met_after_its_package_was_decided_takes_the_search() -> None:
    """``lib`` 2.0 is decided first; ``other`` holds it below 2 once decided: the search
    answers, as it would alone."""
    universe = {"lib": {"1.0": [], "2.0": []}, "other": {"1.0": ["lib<2"]}}
    assert pins(universe, "lib", "other") == {"lib": "1.0", "other": "1.0"}
    assert searched(universe, "lib", "other") == 1


def test_a_cap_met_before_its_package_is_decided_still_takes_the_search() -> None:
    """``lib`` is first required through ``mid``, capped: its version in that range (1.0) is
    not what a search could choose in a wider one (2.0, were ``lib`` decided before ``mid``)."""
    universe = {"app": {"1.0": ["mid", "lib"]}, "mid": {"1.0": ["lib<2"]},
                "lib": {"1.0": [], "2.0": []}}
    assert pins(universe, "app") == {"app": "1.0", "lib": "1.0", "mid": "1.0"}
    assert searched(universe, "app") == 1


def test_a_yanked_newest_version_is_passed_over_and_a_python_it_excludes_is_searched() -> None:
    yanked = {"lib": {"1.0": [], "2.0": Release(yanked=True)}}
    assert pins(yanked, "lib") == {"lib": "1.0"}
    assert searched(yanked, "lib") == 0
    newer_python = {"lib": {"1.0": [], "2.0": Release(python=">=3.12")}}
    assert pins(newer_python, "lib") == {"lib": "1.0"}
    assert searched(newer_python, "lib") == 1  # uv decides 2.0 and backtracks from Python


def test_an_extra_and_its_package_agree_on_one_first_choice() -> None:
    universe = {"lib": {"1.0": Release(["c; extra == 'x'"], extras=["x"]),
                        "2.0": Release(["c; extra == 'x'"], extras=["x"])},
                "c": {"1.0": []}, "app": {"1.0": ["lib[x]", "lib"]}}
    resolution = solve(universe, "app")
    assert {n: str(p.version) for n, p in resolution.packages.items()} == {
        "app": "1.0", "c": "1.0", "lib": "2.0"}
    assert resolution["lib"].extras == ("x",)
    assert searched(universe, "app") == 0
    # lib[x] is chosen where lib may stand: in the direct requirement's range
    assert pins(universe, "app", "lib<2") == {"app": "1.0", "c": "1.0", "lib": "1.0"}
    assert searched(universe, "app", "lib<2") == 0


def test_a_preferred_version_is_the_first_choice() -> None:
    universe = {"lib": {"1.0": [], "2.0": []}}
    assert pins(universe, "lib", preferences={"lib": "1.0"}) == {"lib": "1.0"}
    assert searched(universe, "lib", preferences={"lib": "1.0"}) == 0


def test_an_sdist_that_would_be_built_is_left_to_the_search_unread() -> None:
    """The first pass builds nothing: ``lib`` 2.0 (a broken sdist) is never read by it; the
    search reads it once, and takes 1.0."""
    source = MemorySource({"lib": {"1.0": [], "2.0": []}},
                          errors={("lib", "2.0"): BuildError("Failed to build lib-2.0.tar.gz")})
    assert pins(source, "lib") == {"lib": "1.0"}
    assert [c for c in source.calls if c[0] == "metadata"] == [
        ("metadata", "lib", "2.0"), ("metadata", "lib", "1.0")]


def test_a_resolution_of_first_choices_does_not_load_the_solver() -> None:
    """nab-resolver's solver modules (a tenth of a warm ``pip compile``) stay unimported."""
    script = (
        "import sys\n"
        "from tests.resolver.memory import pins\n"
        "assert pins({'a': {'1.0': ['b'], '2.0': ['b']}, 'b': {'1.0': []}}, 'a') == "
        "{'a': '2.0', 'b': '1.0'}\n"
        "print(sorted(m for m in sys.modules if m.startswith(('nab_resolver.resolver', "
        "'pyffin.resolver.pubgrub', 'nab_resolver.partial_solution'))))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- the same answer as the search, on random universes ----------------------------------------

NAMES = ["a", "b", "c", "d", "e", "f"]
VERSIONS = ["1.0", "1.5", "2.0", "2.5", "3.0"]


def random_case(rnd: random.Random) -> tuple[Universe, list[str], dict[str, Any]]:
    def requirement(name: str) -> str:
        extra = "[x]" if rnd.random() < 0.15 else ""
        operator = rnd.choice(["", "", ">=", "<", "==", "!=", "<="])
        return f"{name}{extra}" if not operator else \
            f"{name}{extra}{operator}{rnd.choice(VERSIONS)}"

    universe: dict[str, dict[str, Release]] = {}
    for name in NAMES:
        versions = rnd.sample(VERSIONS, rnd.randint(1, len(VERSIONS)))
        universe[name] = {
            version: Release(
                [requirement(other) for other in rnd.sample(NAMES, rnd.randint(0, 3))
                 if other != name]
                + ([f"{rnd.choice(NAMES)}; extra == 'x'"] if rnd.random() < 0.5 else []),
                python=">=3.12" if rnd.random() < 0.05 else None,
                yanked=rnd.random() < 0.05,
                extras=["x"],
            )
            for version in versions
        }
    roots = [requirement(name) for name in rnd.sample(NAMES, rnd.randint(1, 3))]
    kwargs: dict[str, Any] = {}
    if rnd.random() < 0.2:
        kwargs["constraints"] = [requirement(rnd.choice(NAMES)).replace("[x]", "")]
    if rnd.random() < 0.2:
        name = rnd.choice(NAMES)
        kwargs["preferences"] = {name: rnd.choice(list(universe[name]))}
    if rnd.random() < 0.2:
        kwargs["options"] = ResolverOptions(resolution=rnd.choice(["lowest", "lowest-direct"]))
    return universe, roots, kwargs


def outcome(universe: Universe, roots: list[str], kwargs: dict[str, Any]) -> object:
    try:
        resolution: Resolution = solve(universe, *roots, **kwargs)
    except NoSolutionError as e:
        return ("no solution", str(e))
    return sorted((name, str(p.version), p.extras, p.dependents)
                  for name, p in resolution.packages.items())


@pytest.mark.parametrize("seed", range(400))
def test_the_answer_is_the_searchs(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    universe, roots, kwargs = random_case(random.Random(seed))
    found = outcome(universe, roots, kwargs)
    monkeypatch.setattr(first_choices, "solve", lambda provider, roots: None)
    assert found == outcome(universe, roots, kwargs), (universe, roots, kwargs)


def test_random_cases_take_both_ways() -> None:
    """The comparison above means something: many of its cases are answered without search,
    many with."""
    ways = [0, 0]
    for seed in range(400):
        universe, roots, kwargs = random_case(random.Random(seed))
        try:
            ways[searched(universe, *roots, **kwargs)] += 1
        except NoSolutionError:
            pass
    assert ways[0] > 40 and ways[1] > 40, ways
