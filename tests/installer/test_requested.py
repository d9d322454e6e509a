"""``pyffin.installer.requested``: which installed distributions an uninstall's requirements
name — by name, by the path or URL they were installed from, by a local project's static name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyffin.installer.errors import UninstallError
from pyffin.installer.installed import scan
from pyffin.installer.requested import requested
from pyffin.requirements import read_requirements
from tests.support.dists import write_develop_install


def dist_info(site: Path, name: str, version: str, direct_url: dict[str, object] | None = None
              ) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """site-packages with an editable (uv/pip), a setup.py develop install, a project installed
    from elsewhere than its directory, a git install and a plain one."""
    site = tmp_path / "site"
    editable = tmp_path / "editable"
    (editable / "sub").mkdir(parents=True)
    dist_info(site, "edit", "1.0", {"url": editable.as_uri(), "dir_info": {"editable": True}})
    dist_info(site, "inner", "1.0", {"url": editable.as_uri(), "subdirectory": "sub",
                                     "dir_info": {}})
    write_develop_install(site, tmp_path / "legacy", "leg-pkg", "1.0", src=True)
    (tmp_path / "moved").mkdir()
    (tmp_path / "moved" / "pyproject.toml").write_text("[project]\nname = 'Moved_Pkg'\n")
    dist_info(site, "moved_pkg", "2.0", {"url": "file:///elsewhere/moved_pkg-2.0.whl",
                                         "archive_info": {}})
    dist_info(site, "vcs", "1.0", {"url": "https://host/repo.git", "vcs_info": {
        "vcs": "git", "requested_revision": "v1", "commit_id": "abc123"}})
    dist_info(site, "six", "1.17.0")
    return site


def found(site: Path, tmp_path: Path, *requirements: str) -> list[str]:
    spec = read_requirements(requirements=requirements, working_dir=tmp_path, lookup_only=True)
    return sorted(dist.name for dist in requested(spec.requirements, scan([site])))


def test_a_path_names_what_was_installed_from_it(site: Path, tmp_path: Path) -> None:
    assert found(site, tmp_path, "./editable/", "six") == ["edit", "six"]
    assert found(site, tmp_path, "file:./editable#subdirectory=sub") == ["inner"]
    # An egg-link by the directory it points at (src) or by its project; named twice, once.
    assert found(site, tmp_path, "./legacy", "legacy/src", "leg-pkg") == ["leg-pkg"]
    assert found(site, tmp_path, "git+https://host/repo.git@v1") == ["vcs"]
    assert found(site, tmp_path, "git+https://host/repo.git") == ["vcs"]


def test_a_project_installed_from_elsewhere_is_found_by_its_static_name(
        site: Path, tmp_path: Path, messages: list[str]) -> None:
    assert found(site, tmp_path, "./moved") == ["moved_pkg"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "setup.cfg").write_text("[metadata]\nname = not-installed\n")
    assert found(site, tmp_path, "./other", "./gone", "https://host/x.tar.gz", "nope") == []
    assert messages == [f"Skipping `{(tmp_path / 'other').as_uri()}` as it is not installed",
                        f"Skipping `{(tmp_path / 'gone').as_uri()}` as it is not installed",
                        "Skipping `https://host/x.tar.gz` as it is not installed",
                        "Skipping nope as it is not installed"]  # as uv words them


def test_a_project_whose_name_needs_a_build_is_an_error(site: Path, tmp_path: Path) -> None:
    (tmp_path / "dynamic").mkdir()
    (tmp_path / "dynamic" / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (tmp_path / "r.txt").write_text("six\n-e ./dynamic\n")
    spec = read_requirements([tmp_path / "r.txt"], working_dir=tmp_path, lookup_only=True)
    with pytest.raises(UninstallError) as raised:
        requested(spec.requirements, scan([site]))
    assert str(raised.value) == (
        f"{tmp_path / 'r.txt'}:2: cannot tell which package ./dynamic is: nothing installed "
        f"came from {tmp_path / 'dynamic'}, and its name is in no pyproject.toml ([project] "
        "name) or setup.cfg ([metadata] name) there: only its build could tell; uninstall it "
        "by name")


def test_every_copy_of_a_package_installed_twice_is_named(site: Path, tmp_path: Path) -> None:
    # By name or by its project's path: both copies go, as uv removes them.
    dist_info(site, "Moved_Pkg", "3.0")
    copies = sorted(d.path.name for d in requested(read_requirements(
        requirements=["moved-pkg"], lookup_only=True).requirements, scan([site])))
    assert copies == ["Moved_Pkg-3.0.dist-info", "moved_pkg-2.0.dist-info"]
    by_path = sorted(d.path.name for d in requested(read_requirements(
        requirements=["./moved"], working_dir=tmp_path, lookup_only=True).requirements,
        scan([site])))
    assert by_path == copies
