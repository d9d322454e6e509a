"""Whether an environment already satisfies requirements, judged without resolving: certain
answers only, ``None`` for anything unclear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyffin.installer.installed import InstalledDistribution
from pyffin.installer.satisfies import (
    already_installed,
    already_synced,
    exact_pin,
    pins_meet_constraints,
)
from pyffin.requirements import RequirementsSpec, read_requirements
from pyffin.resolver.dependencies import DependencyParser
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
    env = [installed(tmp_path, "six", "1.16.0"), installed(tmp_path, "idna", "3.7")]
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
    env = [installed(tmp_path, "six", "1.16.0"), installed(tmp_path, "idna", "3.7")]
    assert already_synced(spec(tmp_path, *requirements), env, TARGET) is None


def test_a_pin_whose_marker_excludes_the_target_is_not_wanted(tmp_path: Path) -> None:
    env = [installed(tmp_path, "six", "1.16.0")]
    requirements = spec(tmp_path, "six==1.16", "colorama==0.4; sys_platform == 'win32'")
    assert already_synced(requirements, env, TARGET) == 1


def test_a_url_install_never_satisfies_an_index_pin(tmp_path: Path) -> None:
    env = [installed(tmp_path, "six", "1.16.0", direct_url={"url": "file:///six",
                                                            "dir_info": {}})]
    assert already_synced(spec(tmp_path, "six==1.16.0"), env, TARGET) is None


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
    env = [installed(tmp_path, "app", "1.0", "lib>=1", "extra-dep; extra == 'x'"),
           installed(tmp_path, "lib", "1.5")]
    assert already_installed(spec(tmp_path, "app"), env, TARGET, DependencyParser()) == 2
    # An extra asked for brings its own dependencies in: not installed, so no answer.
    assert already_installed(spec(tmp_path, "app[x]"), env, TARGET, DependencyParser()) is None


@pytest.mark.parametrize("requirement,constraints", [
    ("app>=2", ()),  # the installed version does not fit
    ("app", ("lib<1.5",)),  # a constraint rules out what is installed
    ("app @ https://example.com/app-1.0-py3-none-any.whl", ()),  # a direct reference: resolve
])
def test_what_is_installed_but_not_enough_is_no_answer(tmp_path: Path, requirement: str,
                                                       constraints: tuple[str, ...]) -> None:
    env = [installed(tmp_path, "app", "1.0", "lib>=1"), installed(tmp_path, "lib", "1.5")]
    assert already_installed(spec(tmp_path, requirement, constraints=constraints), env, TARGET,
                             DependencyParser()) is None


def test_a_dependency_that_does_not_parse_is_left_to_the_resolver(tmp_path: Path) -> None:
    env = [installed(tmp_path, "app", "1.0", "lib >= !!")]
    assert already_installed(spec(tmp_path, "app"), env, TARGET, DependencyParser()) is None


def test_what_the_check_parsed_is_kept_for_the_resolution_that_follows(tmp_path: Path) -> None:
    env = [installed(tmp_path, "app", "1.0", "lib>=1"), installed(tmp_path, "lib", "1.5")]
    parser = DependencyParser()
    already_installed(spec(tmp_path, "app"), env, TARGET, parser)
    assert parser.parse("lib>=1") is parser.parse("lib>=1")
    assert (">=", "1") in parser.ranges
