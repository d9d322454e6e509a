"""Whether an environment already satisfies requirements, judged without resolving: certain
answers only, ``None`` for anything unclear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyffin.installer.installed import InstalledDistribution, InstalledState
from pyffin.installer.satisfies import (
    already_installed,
    already_synced,
    exact_pin,
    pins_meet_constraints,
)
from pyffin.requirements import RequirementsSpec, read_requirements
from tests.resolver.memory import TARGET


def installed(tmp_path: Path, name: str, version: str, *requires: str,
              direct_url: Any = None) -> InstalledDistribution:
    info = tmp_path / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("".join([
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        *(f"Requires-Dist: {r}\n" for r in requires)]))
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return InstalledDistribution(name, version, info)


def environment(*installed: InstalledDistribution) -> InstalledState:
    """The state of the environment ``installed`` are in (one site-packages directory)."""
    state = InstalledState([installed[0].path.parent])
    assert {d.name for d in state.distributions} == {d.name for d in installed}
    return state


def spec(tmp_path: Path, *requirements: str, constraints: tuple[str, ...] = ()
         ) -> RequirementsSpec:
    paths = []
    if constraints:
        path = tmp_path / "constraints.txt"
        path.write_text("\n".join(constraints) + "\n")
        paths.append(path)
    return read_requirements(requirements=requirements, constraints=paths)


# ------------------------------------------------------------------------------------ sync
def test_a_sync_is_done_when_the_environment_is_exactly_the_pins(tmp_path: Path) -> None:
    env = environment(installed(tmp_path, "six", "1.16.0"), installed(tmp_path, "idna", "3.7"))
    assert already_synced(spec(tmp_path, "six==1.16", "idna==3.7"), env, TARGET) == 2


@pytest.mark.parametrize("requirements", [
    ("six==1.16",),  # idna is extraneous
    ("six==1.16", "idna==3.6"),  # another version
    ("six==1.16", "idna>=3"),  # not a pin
    ("six==1.16", "idna==3.*"),  # a wildcard is no pin
    ("six==1.16", "idna==3.7", "extra==1.0"),  # missing
])
def test_anything_but_the_exact_pins_is_no_answer(tmp_path: Path,
                                                  requirements: tuple[str, ...]) -> None:
    env = environment(installed(tmp_path, "six", "1.16.0"), installed(tmp_path, "idna", "3.7"))
    assert already_synced(spec(tmp_path, *requirements), env, TARGET) is None


def test_a_pin_whose_marker_excludes_the_target_is_not_wanted(tmp_path: Path) -> None:
    env = environment(installed(tmp_path, "six", "1.16.0"))
    requirements = spec(tmp_path, "six==1.16", "colorama==0.4; sys_platform == 'win32'")
    assert already_synced(requirements, env, TARGET) == 1


def test_a_url_install_never_satisfies_an_index_pin(tmp_path: Path) -> None:
    env = environment(installed(tmp_path, "six", "1.16.0",
                                direct_url={"url": "file:///six", "dir_info": {}}))
    assert already_synced(spec(tmp_path, "six==1.16.0"), env, TARGET) is None


def test_a_package_installed_twice_is_never_in_sync(tmp_path: Path) -> None:
    # As many distributions as pins, but six twice (a wheel over a legacy install) and idna
    # missing; and with six alone asked for, the copies must go before it comes again.
    installed(tmp_path, "six", "1.16.0")
    legacy = tmp_path / "six-1.16.0-py3.11.egg-info"
    legacy.mkdir()
    (legacy / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: six\nVersion: 1.16.0\n")
    state = InstalledState([tmp_path])
    assert already_synced(spec(tmp_path, "six==1.16.0", "idna==3.7"), state, TARGET) is None
    assert already_synced(spec(tmp_path, "six==1.16.0"), state, TARGET) is None


def test_pins_are_judged_against_the_constraints(tmp_path: Path) -> None:
    requirements = spec(tmp_path, "six==1.16", constraints=(
        "six<2", "six>5; python_version < '3'", "other<1"))
    assert pins_meet_constraints({"six": "1.16"}, requirements, TARGET)
    assert not pins_meet_constraints({"six": "2.0"}, requirements, TARGET)
    with_url = spec(tmp_path, "six==1.16", constraints=("six @ https://example.com/six-1.16.tar.gz",))
    assert not pins_meet_constraints({"six": "1.16"}, with_url, TARGET)  # unclear: no answer


def test_exact_pins() -> None:
    [pinned, ranged, wildcard] = read_requirements(
        requirements=["a==1.0", "b>=1", "c==1.*"]).requirements
    assert exact_pin(pinned) == "1.0"
    assert exact_pin(ranged) is None and exact_pin(wildcard) is None


# --------------------------------------------------------------------------------- install
def test_an_install_is_done_when_every_dependency_is_met(tmp_path: Path) -> None:
    env = environment(installed(tmp_path, "app", "1.0", "lib>=1", "extra-dep; extra == 'x'"),
                      installed(tmp_path, "lib", "1.5"))
    assert already_installed(spec(tmp_path, "app"), env, TARGET) == 2
    # An extra asked for brings its own dependencies in: not installed, so no answer.
    assert already_installed(spec(tmp_path, "app[x]"), env, TARGET) is None


@pytest.mark.parametrize("requirement,constraints", [
    ("app>=2", ()),  # the installed version does not fit
    ("app", ("lib<1.5",)),  # a constraint rules out what is installed
    ("app @ https://example.com/app-1.0-py3-none-any.whl", ()),  # a direct reference: resolve
])
def test_what_is_installed_but_not_enough_is_no_answer(tmp_path: Path, requirement: str,
                                                       constraints: tuple[str, ...]) -> None:
    env = environment(installed(tmp_path, "app", "1.0", "lib>=1"),
                      installed(tmp_path, "lib", "1.5"))
    requirements = spec(tmp_path, requirement, constraints=constraints)
    assert already_installed(requirements, env, TARGET) is None


def test_a_dependency_that_does_not_parse_is_left_to_the_resolver(tmp_path: Path) -> None:
    env = environment(installed(tmp_path, "app", "1.0", "lib >= !!"))
    assert already_installed(spec(tmp_path, "app"), env, TARGET) is None


# An application with a dependency, a Windows-only one and an extra's, beside its dependency.
def check(site: Path, *requirements: str, constraints: tuple[str, ...] = ()) -> int | None:
    return already_installed(spec(site.parent, *requirements, constraints=constraints),
                             InstalledState([site]), TARGET)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    site.mkdir()
    installed(site, "app", "1.0", "lib>=1", 'win-only; sys_platform == "win32"',
              'extra-dep>=2; extra == "fancy"')
    installed(site, "lib", "1.5")
    return site


def test_dependencies_by_the_installed_metadata_are_checked_too(site: Path) -> None:
    assert check(site, "app") == 2
    assert check(site, "app>=2") is None
    (site / "lib-1.5.dist-info" / "METADATA").unlink()  # unreadable metadata: unclear
    assert check(site, "app") is None


def test_a_missing_dependency_is_not_satisfied(site: Path) -> None:
    installed(site, "other", "1.0", "absent")
    assert check(site, "app", "other") is None


def test_an_extra_brings_its_dependencies(site: Path) -> None:
    assert check(site, "app[fancy]") is None
    installed(site, "extra-dep", "2.1")
    assert check(site, "app[Fancy]") == 3


def test_a_dependency_whose_marker_does_not_hold_is_not_needed(site: Path) -> None:
    assert check(site, "app", 'win-only; sys_platform == "win32"') == 2


def test_a_constraint_the_installed_version_breaks_is_not_satisfied(site: Path) -> None:
    assert check(site, "app", constraints=("lib<1.5",)) is None
    assert check(site, "app", constraints=("lib<2",)) == 2


def test_an_install_from_a_url_or_path_is_left_to_the_resolver(site: Path) -> None:
    installed(site, "local", "1.0", direct_url={"url": "file:///src", "dir_info": {}})
    assert check(site, "local") is None


def test_an_invalid_requirement_in_metadata_is_left_to_the_resolver(site: Path) -> None:
    installed(site, "broken", "1.0", "lib (>=1<2)")
    assert check(site, "broken") is None


def test_a_requirement_not_installed_at_all_is_no_answer_without_parsing(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh environment: the answer is plain from the names, nothing is parsed (the first
    # parse compiles the full requirement pattern, a cost of every warm install).
    def parse(text: str) -> None:
        raise AssertionError(f"parsed {text!r}")

    monkeypatch.setattr("pyffin.requirements.pep508.parse_requirement", parse)
    assert check(site, "absent==1.0") is None
    assert check(site.parent / "empty", "app", "lib") is None


@pytest.mark.parametrize("cached", [False, True], ids=["scanned", "cached"])
def test_a_package_installed_twice_satisfies_no_requirement(site: Path, tmp_path: Path,
                                                             cached: bool) -> None:
    # lib 1.5 and lib 2.0 side by side (another tool's crash): uv reinstalls it, so no
    # answer, also from the listing the cache keeps between runs.
    installed(site, "lib", "2.0")
    installed(site, "other", "1.0")
    state = InstalledState([site])
    if cached:
        import time

        from pyffin.cache import Cache
        from pyffin.stamps import SETTLED_NS

        cache = Cache(tmp_path / "cache").init()
        time.sleep(SETTLED_NS / 1e9 + 0.02)
        InstalledState([site], cache).save()
        state = InstalledState([site], cache)
        assert list((tmp_path / "cache").glob("environments-v0/*.rec"))
    assert len(state.distributions) == 4

    def answer(*requirements: str) -> int | None:
        return already_installed(spec(tmp_path, *requirements), state, TARGET)

    assert answer("lib") is None
    assert answer("app") is None  # needed as a dependency: the same
    assert answer("other") == 1  # a copy nothing asked for counts for nothing (as uv)
