"""The no-op check of ``install``: is the environment already what the requirements ask for,
dependencies (by each installed package's own metadata), extras, markers and constraints
included? Anything unclear is "no", and the resolver decides."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pyffin.api.install import _already_installed
from pyffin.installer.installed import InstalledState
from pyffin.requirements import read_requirements

MARKERS = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux",
           "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
           "platform_machine": "x86_64", "platform_python_implementation": "CPython",
           "implementation_version": "3.11.7", "platform_release": "", "platform_version": ""}


def install(site: Path, name: str, version: str, *requires: str, direct: bool = False) -> None:
    dist_info = site / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             *(f"Requires-Dist: {r}" for r in requires)]
    (dist_info / "METADATA").write_text("\n".join(lines) + "\n")
    if direct:
        (dist_info / "direct_url.json").write_text('{"url": "file:///src", "dir_info": {}}')


def check(site: Path, *requirements: str, constraints: tuple[str, ...] = ()) -> int | None:
    spec = read_requirements([], requirements=list(requirements))
    if constraints:
        path = site.parent / "constraints.txt"
        path.write_text("\n".join(constraints) + "\n")
        spec = read_requirements([], requirements=list(requirements), constraints=[str(path)])
    env = SimpleNamespace(markers=MARKERS)
    return _already_installed(spec, InstalledState([site]), env)  # type: ignore[arg-type]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    install(site, "app", "1.0", "lib>=1", 'win-only; sys_platform == "win32"',
            'extra-dep>=2; extra == "fancy"')
    install(site, "lib", "1.5")
    return site


def test_dependencies_by_the_installed_metadata_are_checked_too(site: Path) -> None:
    assert check(site, "app") == 2
    assert check(site, "app>=2") is None
    (site / "lib-1.5.dist-info" / "METADATA").unlink()  # unreadable metadata: unclear
    assert check(site, "app") is None


def test_a_missing_dependency_is_not_satisfied(site: Path) -> None:
    install(site, "other", "1.0", "absent")
    assert check(site, "app", "other") is None


def test_an_extra_brings_its_dependencies(site: Path) -> None:
    assert check(site, "app[fancy]") is None
    install(site, "extra-dep", "2.1")
    assert check(site, "app[Fancy]") == 3


def test_a_dependency_whose_marker_does_not_hold_is_not_needed(site: Path) -> None:
    assert check(site, "app", 'win-only; sys_platform == "win32"') == 2


def test_a_constraint_the_installed_version_breaks_is_not_satisfied(site: Path) -> None:
    assert check(site, "app", constraints=("lib<1.5",)) is None
    assert check(site, "app", constraints=("lib<2",)) == 2


def test_an_install_from_a_url_or_path_is_left_to_the_resolver(site: Path) -> None:
    install(site, "local", "1.0", direct=True)
    assert check(site, "local") is None


def test_an_invalid_requirement_in_metadata_is_left_to_the_resolver(site: Path) -> None:
    install(site, "broken", "1.0", "lib (>=1<2)")
    assert check(site, "broken") is None
