from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffin.installer.bytecode import compile_bytecode
from pyffin.installer.errors import UninstallError
from pyffin.installer.installed import InstalledDistribution, scan
from pyffin.installer.uninstall import uninstall
from tests.installer.conftest import Install
from tests.installer.envs import Env
from tests.support.dists import WheelSpec

FULL = WheelSpec(
    "Full",
    "1.0",
    files={"full/__init__.py": "", "full/deep/er/mod.py": "X = 1\n", "full_single.py": ""},
    entry_points={"console_scripts": {"full": "full:main"}, "gui_scripts": {"full-gui": "full:g"}},
    data={"scripts": {"full-raw": "#!python\n"}, "data": {"share/full/doc.txt": "doc"},
          "headers": {"full.h": ""}},
)


def only(env: Env, name: str) -> InstalledDistribution:
    (dist,) = [d for d in scan([env.site_packages]) if d.normalized_name == name]
    return dist


def test_uninstall_restores_the_environment_exactly(env: Env, install: Install) -> None:
    before = env.tree()
    install(FULL, requested=True, direct_url={"url": "file:///x", "dir_info": {}})
    compile_bytecode([env.site_packages], env.python)
    assert (env.site_packages / "full/deep/er/__pycache__").is_dir()

    result = uninstall(only(env, "full"), env.scheme)

    assert env.tree() == before
    assert str(env.scheme.scripts / "full") in result.removed_files
    assert str(env.site_packages / "full") in result.removed_dirs


def test_the_result_names_the_metadata_files_where_they_were(env: Env, install: Install
                                                              ) -> None:
    install(FULL)
    info = only(env, "full").path
    result = uninstall(only(env, "full"), env.scheme)
    assert str(info / "RECORD") in result.removed_files and str(info) in result.removed_dirs
    assert not [name for name in os.listdir(env.site_packages) if "pyffin" in name]


class Killed(BaseException):
    """An uninstall stopped dead, as by SIGKILL: nothing of it runs after."""


@pytest.mark.parametrize("after", [0, 1, 3])
def test_an_uninstall_killed_midway_leaves_no_distribution_that_misses_files(
        env: Env, install: Install, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    # Killed after removing some of its files, an uninstall leaves no dist-info behind (the
    # next sync would count the distribution as installed, a console script missing; or,
    # its RECORD gone first, could not remove it), only debris that the next install sweeps.
    import pyffin.installer.uninstall as uninstalling
    from pyffin.installer import debris

    install(FULL)
    removed: list[str] = []
    real = uninstalling._Remover.remove_file

    def dies(self: uninstalling._Remover, path: str) -> None:
        if len(removed) == after:
            raise Killed
        removed.append(path)
        real(self, path)

    monkeypatch.setattr(uninstalling._Remover, "remove_file", dies)
    with pytest.raises(Killed):
        uninstall(only(env, "full"), env.scheme)
    assert [d.name for d in scan([env.site_packages])] == []
    left = debris.sweep(env.scheme)
    assert [os.path.basename(p).partition(".pyffin-old-")[0] for p in left] == [
        "full-1.0.dist-info"]


def test_files_and_directories_of_others_are_kept(env: Env, install: Install) -> None:
    install(WheelSpec("a", "1.0", files={"ns/a/__init__.py": "", "shared_dir/a.txt": "a"}))
    install(WheelSpec("b", "1.0", files={"ns/b/__init__.py": ""}))
    (env.site_packages / "shared_dir" / "user-notes.txt").write_text("mine")

    uninstall(only(env, "a"), env.scheme)

    assert not (env.site_packages / "ns/a").exists()
    assert (env.site_packages / "ns/b/__init__.py").exists()
    assert (env.site_packages / "shared_dir/user-notes.txt").exists()
    assert not (env.site_packages / "shared_dir/a.txt").exists()
    assert [d.name for d in scan([env.site_packages])] == ["b"]


def test_bytecode_of_other_modules_stays(env: Env, install: Install) -> None:
    install(WheelSpec("a", "1.0", files={"a/__init__.py": "", "a/mod.py": ""}))
    cache = env.site_packages / "a" / "__pycache__"
    cache.mkdir()
    (cache / "mod.cpython-311.pyc").write_bytes(b"")
    (cache / "mod.cpython-311.opt-1.pyc").write_bytes(b"")
    (cache / "generated.cpython-311.pyc").write_bytes(b"")

    result = uninstall(only(env, "a"), env.scheme)

    assert os.listdir(cache) == ["generated.cpython-311.pyc"]
    assert str(cache / "mod.cpython-311.opt-1.pyc") in result.removed_files


def test_a_packages_code_bundle_goes_with_it(env: Env, install: Install) -> None:
    """pyffin's own code bundle (pyffin.cli.code_bundle) sits beside its ``__init__``'s
    bytecode: uninstalling pyffin leaves no ``__pycache__`` behind."""
    install(WheelSpec("a", "1.0", files={"a/__init__.py": ""}))
    cache = env.site_packages / "a" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.bundle-0123456789abcdef.pyc").write_bytes(b"")

    uninstall(only(env, "a"), env.scheme)

    assert not (env.site_packages / "a").exists()


def write_dist_info(site: Path, name: str, record: str) -> InstalledDistribution:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Name: {name}\nVersion: 1.0\n")
    (info / "RECORD").write_text(record)
    return InstalledDistribution(name, "1.0", info)


@pytest.mark.parametrize("listed", ["../../../../outside/secret", "{outside}/secret",
                                    "link/secret"])
def test_refuses_to_delete_outside_the_environment(env: Env, tmp_path: Path, listed: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("keep me")
    (env.site_packages / "link").symlink_to(outside)
    (env.site_packages / "evil.py").write_text("")
    dist = write_dist_info(env.site_packages, "evil",
                           f"evil.py,,\n{listed.format(outside=outside)},,\n")

    through_link = r"a symbolic link leads outside the" if listed.startswith("link") \
        else r"is outside the"
    with pytest.raises(UninstallError, match=r"cannot uninstall evil 1.0 .*: it lists "
                                             rf".*secret'?, which {through_link} environment"):
        uninstall(dist, env.scheme)

    assert (outside / "secret").read_text() == "keep me"
    assert (env.site_packages / "evil.py").exists() and dist.path.exists()


def test_a_dist_info_without_record_is_refused(env: Env) -> None:
    dist = write_dist_info(env.site_packages, "norecord", "")
    (dist.path / "RECORD").unlink()

    with pytest.raises(UninstallError, match=r"cannot uninstall norecord 1\.0"):
        uninstall(dist, env.scheme)

    assert dist.path.exists()


# ------------------------------------------------------------------------------------ legacy


def egg_info(site: Path, name: str, *, installed_files: str | None = None,
             top_level: str | None = None) -> InstalledDistribution:
    """A legacy ``setup.py install`` egg-info directory with the given file lists."""
    info = site / f"{name}-1.0-py3.11.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text(f"Name: {name}\nVersion: 1.0\n")
    if installed_files is not None:
        (info / "installed-files.txt").write_text(installed_files)
    if top_level is not None:
        (info / "top_level.txt").write_text(top_level)
    (dist,) = [d for d in scan([site]) if d.path == info]
    return dist


def test_egg_info_with_installed_files_is_removed_by_that_list(env: Env) -> None:
    site = env.site_packages
    (site / "old").mkdir()
    (site / "old/__init__.py").write_text("")
    (env.scheme.scripts / "old-tool").write_text("")
    before = env.tree()
    dist = egg_info(site, "old",
                    installed_files="../old/__init__.py\nPKG-INFO\n./\n../../../../bin/old-tool\n")

    uninstall(dist, env.scheme)

    assert before - env.tree() == {os.path.relpath(p, env.root) for p in [
        site / "old", site / "old/__init__.py", env.scheme.scripts / "old-tool"]}
    assert not dist.path.exists()


def test_egg_info_without_file_list_is_removed_by_top_level_when_unambiguous(env: Env) -> None:
    site = env.site_packages
    (site / "legacy").mkdir()
    (site / "legacy/__init__.py").write_text("")
    (site / "legacy_mod.py").write_text("")
    (site / "legacy_ext.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    dist = egg_info(site, "legacy", top_level="legacy\nlegacy_mod\nlegacy_ext\n")

    uninstall(dist, env.scheme)

    assert os.listdir(site) == []


@pytest.mark.parametrize(
    ("top_level", "why"),
    [
        ("", "has neither installed-files.txt nor top_level.txt"),
        ("ghost", "top_level.txt names 'ghost', which is not installed"),
        ("nspkg", "top_level.txt names 'nspkg', which is not installed as a regular package"),
        ("shared", "top_level.txt names 'shared', which other 1.0 also installs"),
        ("../etc", "top_level.txt names '../etc', which is not a module name"),
    ],
)
def test_egg_info_without_file_list_is_refused_when_unsure(env: Env, install: Install,
                                                           top_level: str, why: str) -> None:
    site = env.site_packages
    install(WheelSpec("other", "1.0", files={"shared/__init__.py": ""}))
    (site / "nspkg").mkdir()  # a namespace package: no __init__.py
    (site / "nspkg/mod.py").write_text("")
    dist = egg_info(site, "legacy", top_level=top_level)
    before = env.tree()

    with pytest.raises(UninstallError, match=rf"cannot uninstall legacy 1.0 \(.*\): .*{why}"):
        uninstall(dist, env.scheme)

    assert env.tree() == before


def test_a_distutils_egg_info_file_is_refused(env: Env) -> None:
    path = env.site_packages / "dist_pkg-1.0-py3.11.egg-info"
    path.write_text("Name: dist-pkg\nVersion: 1.0\n")
    (dist,) = scan([env.site_packages])

    with pytest.raises(UninstallError, match="installed by distutils"):
        uninstall(dist, env.scheme)


def test_egg_link_is_removed_with_its_easy_install_line(env: Env, tmp_path: Path) -> None:
    site = env.site_packages
    project = tmp_path / "proj"
    (project / "proj.egg-info").mkdir(parents=True)
    (project / "proj.egg-info/PKG-INFO").write_text("Name: proj\nVersion: 0.1\n")
    (site / "proj.egg-link").write_text(f"{project}\n.")
    (site / "easy-install.pth").write_text(f"/other/project\n{project}\n")

    result = uninstall(only(env, "proj"), env.scheme)

    assert result.removed_files == (str(site / "proj.egg-link"),)
    assert (site / "easy-install.pth").read_text() == "/other/project\n"
    assert (project / "proj.egg-info/PKG-INFO").exists()
