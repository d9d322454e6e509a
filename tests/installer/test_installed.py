from __future__ import annotations

from pathlib import Path

import pytest

from pyffin.installer.installed import InstalledDistribution, owners, scan
from pyffin.models.metadata import MetadataError
from pyffin.models.wheel import RecordEntry
from tests.installer.conftest import Install
from tests.installer.envs import Env
from tests.support.dists import WheelSpec, write_develop_install


def names(dists: list[InstalledDistribution]) -> list[tuple[str, str, str]]:
    return [(d.name, d.version, d.kind) for d in dists]


def test_scan_reads_names_and_versions_from_directory_names_alone(tmp_path: Path) -> None:
    # Empty directories: nothing to read, so the scan cannot have read anything.
    for name in ["foo_bar-1.0.dist-info", "Django-4.2rc1.dist-info", "zope.interface-6.0.dist-info",
                 "legacy-name-2.0.dist-info", "old_pkg-0.9-py3.11.egg-info",
                 "plat_pkg-1.2-py3.11-linux-x86_64.egg-info"]:
        (tmp_path / name).mkdir()
    # Things that are not distributions.
    for name in ["foo_bar", ".foo-1.0.dist-info.tmp-123", "__pycache__"]:
        (tmp_path / name).mkdir()
    (tmp_path / "six.py").write_text("")
    (tmp_path / "distutils-precedence.pth").write_text("")

    found = scan([tmp_path])

    assert names(found) == [
        ("Django", "4.2rc1", "dist-info"),
        ("foo_bar", "1.0", "dist-info"),
        ("legacy-name", "2.0", "dist-info"),
        ("old_pkg", "0.9", "egg-info"),
        ("plat_pkg", "1.2", "egg-info"),
        ("zope.interface", "6.0", "dist-info"),
    ]
    assert [d.normalized_name for d in found][:3] == ["django", "foo-bar", "legacy-name"]
    assert found[1].path == tmp_path / "foo_bar-1.0.dist-info"


def test_scan_reads_the_version_when_the_name_has_none(tmp_path: Path) -> None:
    (tmp_path / "unversioned.egg-info").mkdir()
    (tmp_path / "unversioned.egg-info" / "PKG-INFO").write_text("Name: unversioned\nVersion: 3\n")
    (tmp_path / "distutils_pkg-1.0-py3.11.egg-info").write_text("Name: distutils-pkg\n")

    assert names(scan([tmp_path])) == [("distutils_pkg", "1.0", "egg-info"),
                                       ("unversioned", "3", "egg-info")]


def test_scan_reports_a_directory_it_cannot_name(tmp_path: Path, messages: list[str]) -> None:
    (tmp_path / "broken.dist-info").mkdir()

    assert scan([tmp_path]) == []
    assert messages == [f"Ignoring {tmp_path / 'broken.dist-info'}: its name has no version "
                        "and it has no readable metadata"]


def test_scan_finds_develop_egg_links(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "My_Proj.egg-info").mkdir(parents=True)
    (project / "My_Proj.egg-info" / "PKG-INFO").write_text("Name: my-proj\nVersion: 0.3\n")
    site = tmp_path / "site"
    site.mkdir()
    (site / "my-proj.egg-link").write_text(f"{project}\n.\n")

    (dist,) = scan([site])

    assert names([dist]) == [("my-proj", "0.3", "egg-link")]
    assert dist.egg_link_target() == project
    assert dist.metadata().version == "0.3"
    assert dist.record() is None


def test_an_egg_link_is_located_at_the_directory_it_points_at(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    write_develop_install(site, tmp_path / "flat", "flat-pkg", "1.0")
    write_develop_install(site, tmp_path / "layout", "src-pkg", "2.0", src=True)
    (site / "rel-pkg.egg-link").write_text("../flat\n.")  # relative: from the link's directory

    flat, rel, src = scan([site])

    # Where the .egg-info is: what pip show calls Location and uv and pip the editable
    # project location; the project to install again is the one setup.py is in.
    assert (flat.location, flat.egg_link_target(), flat.egg_link_project()) == (
        tmp_path / "flat", tmp_path / "flat", tmp_path / "flat")
    assert (src.location, src.egg_link_target(), src.egg_link_project()) == (
        tmp_path / "layout" / "src", tmp_path / "layout" / "src", tmp_path / "layout")
    assert rel.egg_link_target() == tmp_path / "flat"
    wheel = tmp_path / "site" / "six-1.0.dist-info"
    assert InstalledDistribution("six", "1.0", wheel).location == site


def test_scan_skips_missing_and_repeated_directories(tmp_path: Path) -> None:
    (tmp_path / "a-1.0.dist-info").mkdir()

    found = scan([tmp_path / "missing", tmp_path, tmp_path / "." ])

    assert names(found) == [("a", "1.0", "dist-info")]


def test_accessors_read_the_installed_files(env: Env, install: Install) -> None:
    install(WheelSpec("pkg", "2.0", requires_dist=["dep>=1"]), requested=True,
            direct_url={"url": "https://example.com/pkg.whl", "archive_info": {}})

    (dist,) = scan([env.site_packages])

    assert dist.metadata().requires_dist == ("dep>=1",)
    assert dist.requested and dist.installer == "pyffin"
    assert dist.direct_url() == {"url": "https://example.com/pkg.whl", "archive_info": {}}
    record = dist.record()
    assert record is not None
    assert RecordEntry("pkg-2.0.dist-info/RECORD", None, None) in record
    assert {e.path for e in record} >= {"pkg/__init__.py", "pkg-2.0.dist-info/METADATA"}


def test_a_malformed_direct_url_is_reported_and_ignored(tmp_path: Path,
                                                       messages: list[str]) -> None:
    info = tmp_path / "a-1.0.dist-info"
    info.mkdir()
    (info / "direct_url.json").write_text("{not json")

    assert InstalledDistribution("a", "1.0", info).direct_url() is None
    assert messages and "Ignoring the malformed" in messages[0]


def test_missing_metadata_is_a_metadata_error(tmp_path: Path) -> None:
    info = tmp_path / "a-1.0.dist-info"
    info.mkdir()

    with pytest.raises(MetadataError, match=r"cannot read the metadata of a 1\.0"):
        InstalledDistribution("a", "1.0", info).metadata()


def test_egg_info_file_lists_are_relative_to_site_packages(tmp_path: Path) -> None:
    info = tmp_path / "old-1.0-py3.11.egg-info"
    info.mkdir()
    (info / "installed-files.txt").write_text("../old/__init__.py\nPKG-INFO\n../../../../bin/old\n")

    record = InstalledDistribution("old", "1.0", info, "egg-info").record()

    assert record is not None
    assert [e.path for e in record] == ["old/__init__.py", "old-1.0-py3.11.egg-info/PKG-INFO",
                                        "../../../bin/old"]


def test_owners_names_the_distribution_recording_a_path(env: Env, install: Install) -> None:
    install(WheelSpec("one", "1.0"))
    install(WheelSpec("two", "1.0"))
    path = str(env.site_packages / "two" / "__init__.py")

    assert owners([path, "/elsewhere"], [env.site_packages]) == {path: "two 1.0"}
    assert owners([path], [env.site_packages], exclude="two-1.0.dist-info") == {}


# ------------------------------------------------------------------------ the kept state
def _install(site: Path, name: str, version: str, *requires: str) -> Path:
    dist_info = site / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             *(f"Requires-Dist: {r}" for r in requires)]
    (dist_info / "METADATA").write_text("\n".join(lines) + "\n")
    return dist_info


class _Reads:
    """Counts what an :class:`InstalledState` reads from the environment."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import os

        self.listings = 0
        self.metadata = 0
        self.direct_urls = 0
        real_scandir, real_metadata = os.scandir, InstalledDistribution.metadata
        real_direct = InstalledDistribution.direct_url

        def scandir(path: object) -> object:
            self.listings += 1
            return real_scandir(path)  # type: ignore[call-overload]

        def metadata(dist: InstalledDistribution) -> object:
            self.metadata += 1
            return real_metadata(dist)

        def direct_url(dist: InstalledDistribution) -> object:
            self.direct_urls += 1
            return real_direct(dist)

        monkeypatch.setattr(os, "scandir", scandir)
        monkeypatch.setattr(InstalledDistribution, "metadata", metadata)
        monkeypatch.setattr(InstalledDistribution, "direct_url", direct_url)


def _settle() -> None:
    import time

    from pyffin.stamps import SETTLED_NS

    time.sleep(SETTLED_NS / 1e9 + 0.02)


def _check(site: Path, cache: object) -> tuple[list[tuple[str, ...]], bool]:
    """What a no-op check asks of the state: each package's dependencies, direct URLs."""
    from pyffin.installer.installed import InstalledState

    state = InstalledState([site], cache)  # type: ignore[arg-type]
    requires = [state.requires_dist(d) for d in state.distributions]
    direct = any(state.has_direct_url(d) for d in state.distributions)
    state.save()
    return requires, direct


@pytest.fixture
def cache(tmp_path: Path) -> object:
    from pyffin.cache import Cache

    return Cache(tmp_path / "cache").init()


def test_a_settled_environment_is_read_from_one_record(tmp_path: Path, cache: object,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site-packages"
    _install(site, "app", "1.0", "lib>=1")
    _install(site, "lib", "1.0")
    _settle()
    first = _check(site, cache)
    reads = _Reads(monkeypatch)
    assert _check(site, cache) == first == ([("lib>=1",), ()], False)
    assert (reads.listings, reads.metadata, reads.direct_urls) == (0, 0, 0)


def test_what_just_changed_is_not_kept(tmp_path: Path, cache: object,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site-packages"
    _install(site, "app", "1.0", "lib>=1")
    _check(site, cache)
    reads = _Reads(monkeypatch)
    _check(site, cache)
    assert (reads.listings, reads.metadata) == (1, 1)


def test_every_change_behind_its_back_is_seen(tmp_path: Path, cache: object) -> None:
    site = tmp_path / "site-packages"
    app = _install(site, "app", "1.0", "lib>=1")
    lib = _install(site, "lib", "1.0")
    _settle()
    _check(site, cache)
    # A package installed (as pip would: a new dist-info directory).
    _install(site, "other", "2.0")
    assert _check(site, cache) == ([("lib>=1",), (), ()], False)
    # Its metadata edited in place.
    _settle()
    _check(site, cache)
    with open(app / "METADATA", "a") as file:
        file.write("Requires-Dist: other\n")
    assert _check(site, cache)[0][0] == ("lib>=1", "other")
    # A direct_url.json written into an existing dist-info.
    (lib / "direct_url.json").write_text('{"url": "file:///src/lib", "dir_info": {}}')
    assert _check(site, cache)[1] is True
    # A package removed.
    for child in (site / "other-2.0.dist-info").iterdir():
        child.unlink()
    (site / "other-2.0.dist-info").rmdir()
    from pyffin.installer.installed import InstalledState

    state = InstalledState([site], cache)  # type: ignore[arg-type]
    assert [d.name for d in state.distributions] == ["app", "lib"]


def test_a_damaged_record_is_read_again_from_the_environment(tmp_path: Path, cache: object,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    site = tmp_path / "site-packages"
    _install(site, "app", "1.0", "lib>=1")
    _settle()
    _check(site, cache)
    [record] = (tmp_path / "cache" / "environments-v0").glob("*.rec")
    record.write_bytes(record.read_bytes()[:-5])
    reads = _Reads(monkeypatch)
    assert _check(site, cache) == ([("lib>=1",)], False)
    assert (reads.listings, reads.metadata) == (1, 1)
