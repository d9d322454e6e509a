"""The solver against brute force on small random universes: it finds a solution exactly when one
exists, and every solution it returns satisfies every requirement."""

from __future__ import annotations

import functools
import itertools
import random

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pyffin.resolver.errors import NoSolutionError
from tests.resolver.memory import Release, Universe, pins

NAMES = ["a", "b", "c", "d"]
VERSIONS = ["1.0", "2.0", "3.0"]


def random_universe(rnd: random.Random) -> tuple[Universe, list[str]]:
    def requirement(name: str) -> str:
        operator = rnd.choice(["", ">=", "<", "==", "!="])
        return name if not operator else f"{name}{operator}{rnd.choice(VERSIONS)}"

    universe: dict[str, dict[str, Release]] = {}
    for name in NAMES:
        versions = rnd.sample(VERSIONS, rnd.randint(1, len(VERSIONS)))
        universe[name] = {
            version: Release(
                [requirement(other) for other in rnd.sample(NAMES, rnd.randint(0, 2))
                 if other != name],
                python=">=3.12" if rnd.random() < 0.1 else None,
                yanked=rnd.random() < 0.1,
            )
            for version in versions
        }
    roots = [requirement(name) for name in rnd.sample(NAMES, rnd.randint(1, 2))]
    return universe, roots


@functools.cache
def split(requirement: str) -> tuple[str, SpecifierSet]:
    return requirement[0], SpecifierSet(requirement[1:])


def brute_force(universe: Universe, roots: list[str]) -> bool:
    """Whether any choice of (absent or one version) per package satisfies everything."""
    pinned = {split(r)[0]: Version(r[3:]) for r in roots if r[1:3] == "=="}
    options = [[None, *universe[name]] for name in NAMES]
    for choice in itertools.product(*options):
        chosen = {name: Version(v) for name, v in zip(NAMES, choice, strict=True) if v}
        if is_solution(universe, roots, chosen, pinned):
            return True
    return False


def is_solution(universe: Universe, roots: list[str], chosen: dict[str, Version],
                pinned: dict[str, Version]) -> bool:
    def satisfied(requirement: str) -> bool:
        name, specifier = split(requirement)
        return name in chosen and specifier.contains(chosen[name])

    if not all(satisfied(root) for root in roots):
        return False
    for name, version in chosen.items():
        release = universe[name][str(version)]
        assert isinstance(release, Release)
        if release.yanked and pinned.get(name) != version:
            return False
        if release.python is not None:
            return False
        if not all(satisfied(dependency) for dependency in release.requires):
            return False
    return True


@pytest.mark.parametrize("seed", range(150))
def test_the_solver_agrees_with_brute_force(seed: int) -> None:
    universe, roots = random_universe(random.Random(seed))
    try:
        found = pins(universe, *roots)
    except NoSolutionError:
        assert not brute_force(universe, roots), (universe, roots)
        return
    chosen = {name: Version(version) for name, version in found.items()}
    pinned = {split(r)[0]: Version(r[3:]) for r in roots if r[1:3] == "=="}
    assert is_solution(universe, roots, chosen, pinned), (universe, roots, found)
