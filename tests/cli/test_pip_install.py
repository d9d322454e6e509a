"""``pyffin pip install|sync|uninstall|freeze|list|show|check`` end to end: real virtual
environments filled from the local index, then imported, run and inspected."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec, write_source_tree
from tests.support.index import IndexServer

APP = WheelSpec(
    "app", "1.0", requires_dist=["lib>=1"],
    files={"app/__init__.py": "import lib\ndef main():\n    print('app', lib.VALUE)\n"},
    entry_points={"console_scripts": {"app": "app:main"}, "gui_scripts": {"app-gui": "app:main"}},
)
LIB = WheelSpec(
    "lib", "1.0",
    files={"lib/__init__.py": "VALUE = 1\n"},
    data={"scripts": {"lib-tool": "#!python\nimport lib\nprint('tool', lib.VALUE)\n"},
          "data": {"share/lib/lib.conf": "conf\n"},
          "headers": {"lib.h": "/* header */\n"}},
)


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(APP)
    index_server.add_wheel(LIB)
    index_server.add_wheel(WheelSpec("lib", "2.0", files={"lib/__init__.py": "VALUE = 2\n"}))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    return index_server


def run(command: str, index: IndexServer, venv: Path, *args: str | Path,
        cache: Path | None = None) -> Result:
    cache = cache or venv.parent / "cache"
    return pyffin("pip", command, *args, "--python", venv / "bin" / "python",
                  "--index-url", index.index_url, "--cache-dir", cache)


def inspect(command: str, venv: Path, *args: str) -> Result:
    return pyffin("pip", command, *args, "--python", venv / "bin" / "python")


def site_packages(venv: Path) -> Path:
    [path] = (venv / "lib").glob("python3.*/site-packages")
    return path


def tree(venv: Path) -> set[str]:
    return {str(p.relative_to(venv)) for p in venv.rglob("*")}


def summary(result: Result) -> str:
    """stderr after the first line, which names the environment."""
    first, _, rest = result.stderr.partition("\n")
    assert first.startswith("Using Python "), result
    return rest


def python(venv: Path, code: str) -> str:
    return subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_install_links_packages_scripts_and_data(index: IndexServer, venv: Path) -> None:
    result = run("install", index, venv, "app")
    assert result.returncode == 0, result
    assert "Resolved 2 packages in " in result.stderr
    assert "Prepared 2 packages in " in result.stderr
    assert "Installed 2 packages in " in result.stderr
    assert result.stderr.endswith(" + app==1.0\n + lib==2.0\n")
    assert subprocess.run([venv / "bin" / "app"], capture_output=True, text=True,
                          check=True).stdout == "app 2\n"
    assert (venv / "bin" / "app-gui").is_file()
    dist_info = site_packages(venv) / "app-1.0.dist-info"
    assert (dist_info / "INSTALLER").read_text() == "pyffin\n"
    assert (dist_info / "REQUESTED").exists()
    assert not (site_packages(venv) / "lib-2.0.dist-info" / "REQUESTED").exists()


def test_data_directories_of_a_wheel(index: IndexServer, venv: Path) -> None:
    assert run("install", index, venv, "lib==1.0").returncode == 0
    tool = venv / "bin" / "lib-tool"
    assert tool.read_text().startswith(f"#!{venv / 'bin' / 'python'}")
    assert subprocess.run([tool], capture_output=True, text=True, check=True).stdout == "tool 1\n"
    assert (venv / "share" / "lib" / "lib.conf").read_text() == "conf\n"
    assert list((venv / "include" / "site").glob("python3.*/lib/lib.h"))


def test_the_real_pip_of_the_environment_lists_and_checks_what_pyffin_installed(
        index: IndexServer, venv: Path) -> None:
    from tests.support.wheels import bundled_pip

    index.add_file(bundled_pip())
    assert run("install", index, venv, "app", "pip").returncode == 0
    pip = [venv / "bin" / "python", "-m", "pip"]
    listed = subprocess.run([*pip, "list", "--format", "json"], capture_output=True, text=True,
                            check=True).stdout
    assert {"name": "app", "version": "1.0"} in json.loads(listed)
    subprocess.run([*pip, "check"], capture_output=True, text=True, check=True)
    files = subprocess.run([*pip, "show", "-f", "lib"], capture_output=True, text=True,
                           check=True).stdout
    assert "lib/__init__.py" in files
    # Its scripts are this Python's, whichever built the wheel (pip3.11 in ensurepip's).
    major, minor = sys.version_info[:2]
    assert {p.name for p in (venv / "bin").glob("pip*")} == {
        "pip", f"pip{major}", f"pip{major}.{minor}"}


def test_a_satisfied_install_needs_no_network_and_no_resolution(index: IndexServer,
                                                                 venv: Path) -> None:
    run("install", index, venv, "app")
    index.reset_counts()
    result = run("install", index, venv, "app", "lib>=2")
    assert result.returncode == 0, result
    assert summary(result).startswith("Checked 2 packages in ")
    assert index.count() == 0


def test_a_satisfied_install_counts_the_requirements_it_checked_as_uv_does(
        index: IndexServer, venv: Path) -> None:
    # uv 0.13.9: "Checked 1 package" for `install app`, whatever app needs ("Audited" with
    # the whole closure's count before uv 0.10.10).
    run("install", index, venv, "app")
    again = run("install", index, venv, "app")
    assert again.returncode == 0, again
    assert re.fullmatch(r"Checked 1 package in [0-9.]+m?s\n", summary(again)), again
    dry = run("install", index, venv, "app", "--dry-run")
    assert re.fullmatch(r"Checked 1 package in [0-9.]+m?s\nWould make no changes\n",
                        summary(dry)), dry


def test_excluded_projects_are_neither_installed_nor_checked(index: IndexServer, venv: Path,
                                                             tmp_path: Path) -> None:
    # uv 0.13.9's --excludes: app's lib is left out of the resolution, of what is installed and
    # of what a satisfied install checks ("Checked 2 packages" for `app lib`, lib excluded).
    (tmp_path / "x.txt").write_text("lib>=99\n")  # (only the name counts)
    result = run("install", index, venv, "app", "--excludes", tmp_path / "x.txt")
    assert result.returncode == 0, result
    assert re.findall(r"^ \+ (.*)$", summary(result), re.M) == ["app==1.0"]
    assert not list(site_packages(venv).glob("lib*"))
    index.reset_counts()
    again = run("install", index, venv, "app", "lib", "--exclude", tmp_path / "x.txt")
    assert re.fullmatch(r"Checked 2 packages in [0-9.]+m?s\n", summary(again)), again
    assert index.count() == 0
    without = run("install", index, venv, "app")
    assert re.findall(r"^ \+ (.*)$", summary(without), re.M) == ["lib==2.0"], without


def test_a_package_s_own_prerelease_mode(index: IndexServer, venv: Path) -> None:
    index.add_wheel(WheelSpec("lib", "3.0b1"))
    result = run("install", index, venv, "app", "--prerelease-package", "lib=allow")
    assert re.findall(r"^ \+ (.*)$", summary(result), re.M) == ["app==1.0", "lib==3.0b1"]


def test_a_resolution_that_changes_nothing_says_what_it_checked_with_the_time_it_took(
        index: IndexServer, venv: Path) -> None:
    # uv 0.13.9: the resolution's packages, in the time the plan took (not the resolution's
    # again), a dry run's too.
    run("install", index, venv, "app")
    for extra in ((), ("--dry-run",)):
        result = run("install", index, venv, "app", "--upgrade", *extra)
        assert result.returncode == 0, result
        lines = summary(result).splitlines()
        assert re.fullmatch(r"Resolved 2 packages in [0-9.]+m?s", lines[0]), result
        assert re.fullmatch(r"Checked 2 packages in [0-9.]+m?s", lines[1]), result
        assert lines[2:] == (["Would make no changes"] if extra else []), result


def test_a_wheel_unzipped_in_the_cache_is_never_downloaded_again(index: IndexServer,
                                                                 tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    for name in ("one", "two"):
        env = tmp_path / name
        pyffin("venv", env, "--python", sys.executable, "--cache-dir", cache)
        assert run("install", index, env, "app", cache=cache).returncode == 0
    downloads = [r.path for r in index.request_log if r.path.endswith(".whl")]
    assert sorted(downloads) == ["/files/app-1.0-py3-none-any.whl",
                                 "/files/lib-2.0-py3-none-any.whl"]


def test_sync_installs_exactly_the_listed_packages(index: IndexServer, venv: Path,
                                                   tmp_path: Path) -> None:
    run("install", index, venv, "app", "other")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\nother==1.0\n")
    result = run("sync", index, venv, requirements)
    assert result.returncode == 0, result
    assert result.stderr.endswith(" - app==1.0\n - lib==2.0\n + lib==1.0\n")
    assert python(venv, "import lib; print(lib.VALUE)") == "1\n"
    index.reset_counts()
    again = run("sync", index, venv, requirements)
    assert summary(again).startswith("Checked 2 packages in ")
    assert index.count() == 0


def test_sync_does_not_add_dependencies(index: IndexServer, venv: Path, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("app\n")
    assert run("sync", index, venv, requirements).returncode == 0
    assert inspect("freeze", venv).stdout == "app==1.0\n"
    check = inspect("check", venv)
    assert check.returncode == 1
    assert check.stdout == "" and check.stderr.endswith(  # all on stderr, as uv writes it
        "Found 1 incompatibility\n"
        "The package `app` requires `lib>=1`, but it's not installed\n"), check


def test_check_reports_a_broken_distribution_and_checks_the_others(
        index: IndexServer, venv: Path) -> None:
    assert run("install", index, venv, "app", "--no-deps").returncode == 0
    broken = site_packages(venv) / "nometa-2.0.dist-info"
    broken.mkdir()
    (broken / "RECORD").write_text("")
    check = inspect("check", venv)
    assert check.returncode == 1
    assert check.stdout == "" and check.stderr.endswith(
        "Found 2 incompatibilities\n"
        "The package `app` requires `lib>=1`, but it's not installed\n"
        "The package `nometa` is broken or incomplete (unable to read `METADATA`). Consider "
        f"recreating the virtualenv, or removing the package directory at: {broken}.\n"), check


@pytest.fixture
def twice(index: IndexServer, venv: Path, tmp_path: Path) -> Path:
    """``venv`` with lib 1.0 installed and, as another tool's crash leaves it, the
    ``.dist-info`` of lib 2.0 beside it (whose RECORD lists lib/__init__.py too); returns its
    site-packages."""
    assert run("install", index, venv, "lib==1.0").returncode == 0
    other = tmp_path / "other"
    assert run("install", index, venv, "lib==2.0", "--target", other).returncode == 0
    site = site_packages(venv)
    shutil.copytree(other / "lib-2.0.dist-info", site / "lib-2.0.dist-info")
    return site


def dist_infos(site: Path) -> list[str]:
    return sorted(p.name for p in site.glob("lib-*.dist-info"))


@pytest.mark.parametrize("command", ["sync", "install"])
def test_a_package_installed_twice_is_removed_entirely_and_installed_again(
        command: str, index: IndexServer, venv: Path, twice: Path, tmp_path: Path) -> None:
    # Removing lib 1.0 alone would delete lib/__init__.py, which lib 2.0 needs (as uv).
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==2.0\n")
    args = ("-r", requirements) if command == "install" else (requirements,)
    result = run(command, index, venv, *args)
    assert result.returncode == 0, result
    assert "Uninstalled 2 packages in " in result.stderr
    assert result.stderr.endswith(" - lib==1.0\n ~ lib==2.0\n"), result
    assert dist_infos(twice) == ["lib-2.0.dist-info"]
    assert python(venv, "import lib; print(lib.VALUE)") == "2\n"
    again = run(command, index, venv, *args)
    assert summary(again).startswith("Checked 1 package in "), again


def test_uninstall_removes_every_copy_of_a_package_installed_twice(twice: Path,
                                                                  venv: Path) -> None:
    result = inspect("uninstall", venv, "lib")
    assert result.returncode == 0, result
    assert result.stderr.endswith(" - lib==1.0\n - lib==2.0\n")  # as uv
    assert dist_infos(twice) == [] and not (twice / "lib").exists()


def test_check_reports_a_package_installed_twice_as_uv_does(twice: Path, venv: Path) -> None:
    check = inspect("check", venv)
    assert check.returncode == 1
    assert check.stdout == "" and check.stderr.endswith(
        "Found 1 incompatibility\n"
        "The package `lib` has multiple installed distributions: \n"
        f"  - {twice / 'lib-1.0.dist-info'}\n"
        f"  - {twice / 'lib-2.0.dist-info'}\n"), check


def test_sync_keeps_the_seed_packages_of_an_environment_it_did_not_make_bare(
        index: IndexServer, venv: Path, tmp_path: Path) -> None:
    # As uv: pip (and before 3.12 setuptools and wheel) stay unless something pins them, except
    # in an environment pyffin or uv made without --seed, where nobody put them on purpose.
    for name in ("pip", "setuptools", "wheel"):
        index.add_wheel(WheelSpec(name, "1.0"))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("other==1.0\n")
    stdlib_venv = tmp_path / "stdlib-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", stdlib_venv], check=True)
    seeded = tmp_path / "seeded"
    made = pyffin("venv", seeded, "--seed", "--python", sys.executable, "--index-url",
                  index.index_url, "--cache-dir", tmp_path / "cache")
    assert made.returncode == 0, made
    assert "seed = true" in (seeded / "pyvenv.cfg").read_text()
    seeds = {"pip==1.0", "setuptools==1.0"} | (
        {"wheel==1.0"} if sys.version_info < (3, 12) else set())
    for env in (stdlib_venv, venv):
        assert run("install", index, env, "pip==1.0", "setuptools==1.0",
                   "wheel==1.0", "lib").returncode == 0
    # (--seed installs pip alone from Python 3.12 on, as uv does.)
    seeded_kept = seeds if sys.version_info < (3, 12) else {"pip==1.0"}
    for env, kept in ((stdlib_venv, seeds), (seeded, seeded_kept), (venv, set())):
        result = run("sync", index, env, requirements)
        assert result.returncode == 0, result
        assert set(inspect("freeze", env).stdout.split()) == {"other==1.0", *kept}, env
    # Preserved seeds do not stop a synced environment from being a no-op, without network.
    index.reset_counts()
    again = run("sync", index, stdlib_venv, requirements)
    assert summary(again).startswith("Checked 1 package in "), again
    assert index.count() == 0
    # What the requirements pin is synced like anything else.
    pinned = tmp_path / "pinned.txt"
    pinned.write_text("other==1.0\npip==1.0\n")
    assert run("sync", index, venv, pinned).returncode == 0
    assert set(inspect("freeze", venv).stdout.split()) == {"other==1.0", "pip==1.0"}


def test_installing_a_yanked_version_is_warned_about_after_the_changes(
        index: IndexServer, venv: Path, tmp_path: Path) -> None:
    index.add_wheel(WheelSpec("other", "0.9"), yanked="do not use")
    for sign in ("+", "~"):  # the second run resolves again: warned again
        result = run("install", index, venv, "other==0.9", "--reinstall")
        assert result.returncode == 0, result
        assert result.stderr.endswith(
            f' {sign} other==0.9\nwarning: `other==0.9` is yanked (reason: "do not use")\n'), \
            result
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("other==1.0\n")
    assert "is yanked" not in run("sync", index, venv, requirements).stderr


def test_a_distribution_that_cannot_be_removed_stops_the_command_before_any_change(
        index: IndexServer, venv: Path) -> None:
    # A distutils install records no file list: it cannot be uninstalled. An install that
    # replaces it, or an uninstall that names it, changes nothing at all (uv's behaviour):
    # not lib removed first, and the rest never done.
    assert run("install", index, venv, "lib==1.0").returncode == 0
    (site_packages(venv) / "other-0.5-py3.11.egg-info").write_text(
        "Metadata-Version: 1.1\nName: other\nVersion: 0.5\n")
    before = tree(venv)
    installing = run("install", index, venv, "lib==2.0", "other==1.0")
    assert installing.returncode == 2
    assert "cannot uninstall other 0.5" in installing.stderr, installing
    assert tree(venv) == before
    removing = pyffin("pip", "uninstall", "lib", "other", "--python", venv / "bin" / "python")
    assert removing.returncode == 2 and "cannot uninstall other 0.5" in removing.stderr
    assert tree(venv) == before
    assert python(venv, "import lib; print(lib.VALUE)") == "1\n"


def test_uninstall_leaves_the_tree_as_it_was(index: IndexServer, venv: Path) -> None:
    before = tree(venv)
    compiled = run("install", index, venv, "app", "--compile-bytecode")
    assert compiled.returncode == 0
    assert list(site_packages(venv).glob("app/__pycache__/*.pyc"))
    # As uv says it: the files compiled, after the installs.
    assert re.search(r"\nInstalled 2 packages in [^\n]+\nBytecode compiled 2 files in ",
                     compiled.stderr), compiled
    result = inspect("uninstall", venv, "app", "lib")
    assert result.returncode == 0, result
    assert result.stderr.endswith(" - app==1.0\n - lib==2.0\n")
    assert tree(venv) == before | {".lock"}  # the environment's lock, as uv's


def test_uninstall_skips_what_is_not_installed(venv: Path) -> None:
    result = inspect("uninstall", venv, "nothere")
    assert result.returncode == 0
    assert summary(result) == ("warning: Skipping nothere as it is not installed\n"
                               "warning: No packages to uninstall\n")  # as uv says it


def test_uninstall_dry_run_says_what_uv_says(index: IndexServer, venv: Path) -> None:
    assert run("install", index, venv, "lib==1.0").returncode == 0
    result = inspect("uninstall", venv, "--dry-run", "nothere", "lib", "./gone")
    assert summary(result) == "Would uninstall 1 package\n - lib==1.0\n"  # no Skipping
    nothing = inspect("uninstall", venv, "--dry-run", "nothere")
    assert (nothing.returncode, summary(nothing)) == (0, "Would make no changes\n")


def test_uninstall_of_paths_and_requirements_files_of_them(
        index: IndexServer, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As uv 0.13.9: a path names what was installed from it (editable or not), also in a
    requirements file's usual ``-e ./proj`` line; a path that is gone is skipped."""
    monkeypatch.chdir(tmp_path)
    write_source_tree(SdistSpec("my-proj", "0.1"), tmp_path / "proj")
    assert run("install", index, venv, "-e", "./proj", "lib==1.0", "other").returncode == 0
    removed = inspect("uninstall", venv, "./proj/", "other")
    assert removed.returncode == 0, removed
    assert summary(removed).endswith(
        f" - my-proj==0.1 (from {(tmp_path / 'proj').as_uri()})\n - other==1.0\n")
    assert run("install", index, venv, "./proj", "other").returncode == 0
    (tmp_path / "r.txt").write_text("-e ./proj\nlib\n./nothere\n"
                                    "other @ https://host/not-a-wheel-name.whl\n")
    removed = inspect("uninstall", venv, "-r", "r.txt")
    assert removed.returncode == 0, removed
    assert summary(removed).startswith(
        f"warning: Skipping `{(tmp_path / 'nothere').as_uri()}` as it is not installed\n"
        "Uninstalled 3 packages in ")
    assert inspect("freeze", venv).stdout == ""


def test_uninstall_of_a_project_it_cannot_name_changes_nothing(
        index: IndexServer, venv: Path, tmp_path: Path) -> None:
    assert run("install", index, venv, "lib==1.0").returncode == 0
    (tmp_path / "dynamic").mkdir()
    (tmp_path / "dynamic" / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    removing = inspect("uninstall", venv, "lib", str(tmp_path / "dynamic"))
    assert removing.returncode == 2
    assert summary(removing).startswith(
        f"error: cannot tell which package {tmp_path / 'dynamic'} is: nothing installed came "
        f"from {tmp_path / 'dynamic'}, and its name is in no pyproject.toml"), removing
    assert inspect("freeze", venv).stdout == "lib==1.0\n"


def test_dry_run_changes_nothing(index: IndexServer, venv: Path) -> None:
    before = tree(venv)
    result = run("install", index, venv, "app", "--dry-run")
    assert result.returncode == 0
    # As uv says it: what the cache lacks, then what would change.
    assert summary(result).splitlines()[1:3] == ["Would download 2 packages",
                                                 "Would install 2 packages"], result
    assert tree(venv) - {".lock"} == before
    # Once in the cache, nothing is to download.
    assert run("install", index, venv, "lib").returncode == 0
    assert inspect("uninstall", venv, "lib").returncode == 0
    again = run("install", index, venv, "app", "--dry-run")
    assert summary(again).splitlines()[1:3] == ["Would download 1 package",
                                                "Would install 2 packages"], again


def test_reinstall_upgrade_and_no_deps(index: IndexServer, venv: Path) -> None:
    run("install", index, venv, "lib==1.0")
    kept = run("install", index, venv, "lib")
    assert summary(kept).startswith("Checked 1 package")
    upgraded = run("install", index, venv, "lib", "--upgrade")
    assert upgraded.stderr.endswith(" - lib==1.0\n + lib==2.0\n")
    again = run("install", index, venv, "lib", "--reinstall-package", "lib")
    assert again.stderr.endswith(" ~ lib==2.0\n"), again  # the same version again: one line
    no_deps = run("install", index, venv, "app", "--no-deps", "--reinstall")
    assert no_deps.stderr.endswith(" + app==1.0\n")
    # What is reinstalled is resolved anew, not kept at the installed version (as uv, and
    # pip's --force-reinstall): lib 1.0 reinstalled becomes the newest, 2.0.
    assert run("install", index, venv, "lib==1.0").returncode == 0
    for flags in (("--reinstall",), ("--reinstall-package", "lib")):
        moved = run("install", index, venv, "lib", *flags)
        assert moved.stderr.endswith(" - lib==1.0\n + lib==2.0\n"), moved
        assert run("install", index, venv, "lib==1.0").returncode == 0
    other = run("install", index, venv, "lib", "--reinstall-package", "app")
    assert "Checked 1 package" in summary(other), other
    assert "lib==1.0" in inspect("freeze", venv).stdout.split()  # the others are kept


def test_an_upgrade_or_a_reinstall_asks_about_the_kept_pages_again(
        index: IndexServer, venv: Path) -> None:
    # As uv: --upgrade and --reinstall imply --refresh (their per-package forms
    # --refresh-package): a release made since the page was kept (within its max-age) is
    # what an upgrade installs.
    assert run("install", index, venv, "lib==1.0", "other").returncode == 0
    index.add_wheel(WheelSpec("lib", "3.0", files={"lib/__init__.py": "VALUE = 3\n"}))
    index.reset_counts()
    upgraded = run("install", index, venv, "lib", "other", "--upgrade-package", "lib")
    assert upgraded.stderr.endswith(" - lib==1.0\n + lib==3.0\n"), upgraded
    assert index.count("/simple/lib/") == 1 and index.count("/simple/other/") == 0
    index.reset_counts()
    again = run("install", index, venv, "lib", "other", "--reinstall")
    assert again.returncode == 0, again
    assert index.count("/simple/lib/") == 1 and index.count("/simple/other/") == 1


@pytest.mark.parametrize("mode", ["copy", "symlink", "hardlink"])
def test_link_modes(index: IndexServer, venv: Path, mode: str) -> None:
    assert run("install", index, venv, "lib", "--link-mode", mode).returncode == 0
    module = site_packages(venv) / "lib" / "__init__.py"
    assert module.is_symlink() == (mode == "symlink")
    assert (module.lstat().st_nlink > 1) == (mode == "hardlink")
    assert python(venv, "import lib; print(lib.VALUE)") == "2\n"


def test_wheels_installed_side_by_side_share_a_namespace(index_server: IndexServer,
                                                        venv: Path) -> None:
    names = [f"part{i}" for i in range(8)]
    for name in names:
        index_server.add_wheel(WheelSpec(name, "1.0", files={f"ns/{name}/__init__.py":
                                                            f"NAME = {name!r}\n"}))
    result = run("install", index_server, venv, *names)
    assert result.returncode == 0, result
    assert "replaced" not in result.stderr
    modules = ", ".join(f"ns.{n}" for n in names)
    assert python(venv, f"import {modules}; print(*(m.NAME for m in [{modules}]))"
                  ) == " ".join(names) + "\n"
    assert inspect("check", venv).returncode == 0
    for name in names:
        record = (site_packages(venv) / f"{name}-1.0.dist-info" / "RECORD").read_text()
        assert f"ns/{name}/__init__.py," in record


def test_a_file_shipped_by_two_wheels_is_reported_once(index_server: IndexServer,
                                                       venv: Path) -> None:
    for name in ("first", "second"):
        index_server.add_wheel(WheelSpec(name, "1.0", files={"ns/shared.txt": f"{name}\n",
                                                             f"{name}.py": ""}))
    result = run("install", index_server, venv, "first", "second")
    assert result.returncode == 0, result
    [warning] = [line for line in result.stderr.splitlines() if "replaced" in line]
    shared = site_packages(venv) / "ns" / "shared.txt"
    # Which copy stays is not defined; the warning names the other distribution.
    winner = shared.read_text().strip()
    loser = {"first", "second"} - {winner}
    assert warning == (f"warning: Installing {winner} 1.0 replaced 1 file(s) installed by "
                       f"{loser.pop()} 1.0: {shared}")


def sha256_of(index: IndexServer, filename: str) -> str:
    from urllib.request import urlopen

    with urlopen(index.file_url(filename)) as response:
        return hashlib.sha256(response.read()).hexdigest()


def test_hash_checking_mode(index: IndexServer, venv: Path, tmp_path: Path) -> None:
    digest = sha256_of(index, "lib-1.0-py3-none-any.whl")
    good = tmp_path / "good.txt"
    good.write_text(f"lib==1.0 --hash=sha256:{digest}\n")
    assert run("install", index, venv, "-r", good).returncode == 0
    bad = tmp_path / "bad.txt"
    bad.write_text(f"other==1.0 --hash=sha256:{'0' * 64}\n")
    result = run("install", index, venv, "-r", bad)
    assert result.returncode == 1
    assert "hash mismatch for other-1.0-py3-none-any.whl" in result.stderr
    assert "sha256:" + "0" * 64 in result.stderr
    unpinned = tmp_path / "unpinned.txt"
    unpinned.write_text("lib\n")
    result = run("install", index, venv, "-r", unpinned, "--require-hashes", "--reinstall")
    assert result.returncode == 2 and "is not pinned with ==" in result.stderr
    deps = tmp_path / "deps.txt"
    app_digest = sha256_of(index, "app-1.0-py3-none-any.whl")
    deps.write_text(f"app==1.0 --hash=sha256:{app_digest}\n")
    result = run("install", index, venv, "-r", deps)
    assert result.returncode == 2
    assert "these dependencies are not: lib" in result.stderr


def test_a_distribution_the_index_cannot_send_fails_the_install(index: IndexServer,
                                                                venv: Path) -> None:
    """Exit status 1, as uv's for a distribution that failed (2 is for errors)."""
    index.fail("/files/lib-2.0-py3-none-any.whl", 404)
    result = run("install", index, venv, "lib")
    assert result.returncode == 1, result
    assert result.stderr.endswith(
        f"error: failed to download {index.file_url('lib-2.0-py3-none-any.whl')}: HTTP 404\n")
    assert not list(site_packages(venv).glob("lib*"))


def test_hash_checking_mode_takes_a_wheel_the_cache_holds_under_its_hash(
        index: IndexServer, tmp_path: Path) -> None:
    # The cache keeps an unzipped wheel under the index's sha256 of its file: a required hash
    # that is that one needs no new download (uv prints no "Prepared" line either).
    hashed = tmp_path / "hashed.txt"
    hashed.write_text(f"lib==1.0 --hash=sha256:{sha256_of(index, 'lib-1.0-py3-none-any.whl')}\n")
    cache = tmp_path / "cache"
    for name in ("one", "two"):
        env = tmp_path / name
        pyffin("venv", env, "--python", sys.executable, "--cache-dir", cache)
        index.reset_counts()
        result = run("install", index, env, "-r", hashed, cache=cache)
        assert result.returncode == 0, result
        downloads = index.count("/files/lib-1.0-py3-none-any.whl")
        prepared = "Prepared 1 package in " in result.stderr
        assert (downloads, prepared) == ((1, True) if name == "one" else (0, False)), result
        assert result.stderr.endswith(" + lib==1.0\n"), result


def test_hash_checking_mode_installs_the_file_the_hashes_allow(
        index_server: IndexServer, venv: Path, tmp_path: Path) -> None:
    """As pip and uv: a line may allow some of a release's files (the sdist alone, the pure
    wheel alone); the install takes one of those, not the best file by tags."""
    from packaging.tags import sys_tags

    native = str(next(iter(sys_tags())))
    index_server.add_wheel(WheelSpec("lib", "1.0", tags=[native]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_sdist(SdistSpec("lib", "1.0"))
    for allowed in ("lib-1.0-py3-none-any.whl", "lib-1.0.tar.gz"):
        listed = tmp_path / "hashed.txt"
        listed.write_text(f"lib==1.0 --hash=sha256:{sha256_of(index_server, allowed)}\n")
        index_server.reset_counts()
        result = run("install", index_server, venv, "-r", listed, "--reinstall")
        assert result.returncode == 0, result
        assert index_server.count(f"/files/{allowed}") == 1
        assert index_server.count(f"/files/lib-1.0-{native}.whl") == 0


@pytest.mark.parametrize("editable", [True, False], ids=["editable", "regular"])
def test_hash_checking_mode_takes_a_local_project_without_hashes(
        index: IndexServer, venv: Path, tmp_path: Path, editable: bool) -> None:
    """A source tree is no one file to hash: a hashed compile of a project lists it so
    (``-e ./proj``), and the install takes it, as uv's; anything else still needs hashes."""
    project = write_source_tree(SdistSpec("demo", "0.1.0", requires_dist=["lib==1.0"]),
                                tmp_path / "demo")
    digest = sha256_of(index, "lib-1.0-py3-none-any.whl")
    locked = tmp_path / "locked.txt"
    tree = f"-e {project}" if editable else str(project)
    locked.write_text(f"{tree}\nlib==1.0 --hash=sha256:{digest}\n")
    result = run("install", index, venv, "-r", locked)
    assert result.returncode == 0, result
    assert " + demo==0.1.0" in result.stderr and " + lib==1.0" in result.stderr
    locked.write_text(f"{tree}\nlib==1.0\n")
    refused = run("install", index, venv, "-r", locked, "--reinstall", "--require-hashes")
    assert refused.returncode == 2, refused
    assert "lib==1.0 (" in refused.stderr and "has no --hash" in refused.stderr


def test_a_corrupt_download_is_refused_and_nothing_changes(index: IndexServer,
                                                           venv: Path) -> None:
    before = tree(venv)
    index.corrupt("/files/lib-2.0-py3-none-any.whl")
    result = run("install", index, venv, "lib")
    assert result.returncode == 1
    assert "hash mismatch for lib-2.0-py3-none-any.whl" in result.stderr
    assert tree(venv) - {".lock"} == before


@pytest.mark.parametrize("algorithm", ["sha512", "sha384"])
def test_a_wheel_listed_only_with_a_wrong_sha512_or_sha384_is_refused(
        index: IndexServer, venv: Path, algorithm: str) -> None:
    size = len(hashlib.new(algorithm).hexdigest())
    index.set_hashes("other-1.0-py3-none-any.whl", {algorithm: "0" * size})
    before = tree(venv)
    result = run("install", index, venv, "other")
    assert result.returncode == 1, result
    assert "hash mismatch for other-1.0-py3-none-any.whl" in result.stderr
    assert f"the index says {algorithm}:" in result.stderr
    assert tree(venv) - {".lock"} == before


def test_a_wheel_whose_metadata_file_lies_about_its_dependencies_is_refused(
        index_server: IndexServer, venv: Path, dist_dir: Path) -> None:
    from tests.support.dists import build_wheel

    index_server.add_file(build_wheel(WheelSpec("app", "1.0", requires_dist=["lib"]), dist_dir),
                          metadata="Metadata-Version: 2.1\nName: app\nVersion: 1.0\n")
    index_server.add_wheel(LIB)
    before = tree(venv)
    result = run("install", index_server, venv, "app")
    assert result.returncode == 1, result
    assert "the METADATA of app-1.0-py3-none-any.whl" in result.stderr
    assert "Requires-Dist: the wheel has ['lib']" in result.stderr
    assert tree(venv) - {".lock"} == before


@pytest.mark.parametrize("damage", ["deleted", "directory removed", "dist-info removed"])
def test_a_damaged_archive_in_the_cache_is_unzipped_again_before_linking(
        index: IndexServer, venv: Path, tmp_path: Path, damage: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    assert run("install", index, venv, "lib==1.0").returncode == 0
    [module] = (venv.parent / "cache" / "archive-v0").glob("*/lib/__init__.py")
    if damage == "deleted":
        module.unlink()
    elif damage == "directory removed":
        shutil.rmtree(module.parent)
    else:  # what a `cache clean --force` racing an install can leave
        [dist_info] = module.parent.parent.glob("*.dist-info")
        shutil.rmtree(dist_info)
    other = tmp_path / "other"
    assert pyffin("venv", other, "--python", sys.executable).returncode == 0
    from pyffin.installer import link

    linked: list[str] = []
    monkeypatch.setattr(link._Install, "link_payload",
                        lambda self, dirs, files: linked.append(self.archive))
    result = run("install", index, other, "lib==1.0", cache=venv.parent / "cache")
    monkeypatch.undo()
    assert result.returncode == 0, result
    if damage == "dist-info removed":  # found by the install's own look, not a stat
        assert "is not an unzipped wheel" not in result.stderr
    else:
        assert "The unzipped wheel lib-1.0-py3-none-any" in result.stderr
        assert "is damaged (lib/__init__.py" in result.stderr
    # Only the archive unzipped again was linked from: nothing of the damaged one.
    [archive] = linked
    assert Path(archive, "lib", "__init__.py").is_file()
    assert run("install", index, other, "lib==1.0", "--reinstall",
               cache=venv.parent / "cache").returncode == 0
    assert python(other, "import lib; print(lib.VALUE)") == "1\n"


def test_a_warm_install_checks_archives_by_listing_them_not_by_a_stat_per_file(
        index: IndexServer, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    assert run("install", index, venv, "app").returncode == 0
    from pyffin.cache import core

    checked: list[object] = []
    original = core.check_files
    monkeypatch.setattr(core, "check_files", lambda *a: checked.append(a) or original(*a))
    other = tmp_path / "other"
    assert pyffin("venv", other, "--python", sys.executable).returncode == 0
    result = run("install", index, other, "app", cache=venv.parent / "cache")
    assert result.returncode == 0, result
    assert checked == []
    assert python(other, "import app; app.main()") == "app 2\n"


def test_a_hostile_wheel_is_refused_and_nothing_changes(index_server: IndexServer, venv: Path,
                                                        dist_dir: Path) -> None:
    from tests.support.dists import build_wheel

    index_server.add_file(build_wheel(WheelSpec("evil", "1.0"), dist_dir,
                                      raw_entries={"../../../escape.py": b"boom"}))
    before = tree(venv)
    result = run("install", index_server, venv, "evil")
    assert result.returncode == 1
    assert "evil-1.0-py3-none-any.whl" in result.stderr and "../../../escape.py" in result.stderr
    assert tree(venv) - {".lock"} == before
    assert not (venv.parent / "escape.py").exists()


def test_without_a_virtual_environment_system_is_needed(index: IndexServer, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = pyffin("pip", "install", "lib", "--index-url", index.index_url)
    assert result.returncode == 2
    assert "No virtual environment found; run `pyffin venv` to create one, or pass --system" \
        in result.stderr


def test_unknown_package(index: IndexServer, venv: Path) -> None:
    result = run("install", index, venv, "nothere")
    assert result.returncode == 1
    assert "nothere was not found in the package registry" in result.stderr


def test_freeze_list_and_show(index: IndexServer, venv: Path) -> None:
    run("install", index, venv, "app")
    assert inspect("freeze", venv).stdout == "app==1.0\nlib==2.0\n"
    assert inspect("list", venv).stdout == (
        "Package Version\n"
        "------- -------\n"
        "app     1.0\n"
        "lib     2.0\n")
    assert json.loads(inspect("list", venv, "--format", "json").stdout) == [
        {"name": "app", "version": "1.0"}, {"name": "lib", "version": "2.0"}]
    assert inspect("list", venv, "--format", "freeze").stdout == "app==1.0\nlib==2.0\n"
    shown = inspect("show", venv, "lib", "-f").stdout
    assert "Name: lib\nVersion: 2.0\n" in shown
    assert f"Location: {site_packages(venv)}\n" in shown
    assert "Required-by: app\n" in shown and "  lib/__init__.py\n" in shown
    missing = inspect("show", venv, "nothere")
    assert missing.returncode == 1 and "not found for: nothere" in missing.stderr
    check = inspect("check", venv)
    assert check.returncode == 0 and check.stdout == ""
    assert check.stderr.endswith("All installed packages are compatible\n"), check
    assert inspect("check", venv, "-q").stderr == ""


WORKER = """
import sys
from pyffin.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_four_processes_install_into_four_venvs_from_one_cold_cache(index: IndexServer,
                                                                    tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    envs = [tmp_path / f"env{i}" for i in range(4)]
    for env in envs:
        assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                      tmp_path / "venv-cache").returncode == 0
    procs = [subprocess.Popen(
        [sys.executable, "-m", "pyffin", "pip", "install", "app", "other", "--python",
         env / "bin" / "python", "--index-url", index.index_url, "--cache-dir", cache],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_child_env())
        for env in envs]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    for env in envs:
        assert inspect("freeze", env).stdout == "app==1.0\nlib==2.0\nother==1.0\n"
        assert python(env, "import app, lib; print(lib.VALUE)") == "2\n"


def _child_env() -> dict[str, str]:
    from tests.support.cli import child_env

    return child_env()


KILLED_INSTALL = """
import os, signal, sys
import pyffin.installer.link as link
real = link.PreparedWheel.install
count = [0]
def install(*args, **kwargs):
    count[0] += 1
    if count[0] == 2:  # the first package is in, the second half-way: die like kill -9
        import pyffin.api.install  # noqa
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
link.PreparedWheel.install = install
from pyffin.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_install_is_repaired_by_the_next_sync(index: IndexServer, venv: Path,
                                                       tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("app==1.0\nlib==2.0\nother==1.0\n")
    args = ["pip", "sync", str(requirements), "--python", str(venv / "bin" / "python"),
            "--index-url", index.index_url, "--cache-dir", str(tmp_path / "cache")]
    killed = subprocess.run([sys.executable, "-c", KILLED_INSTALL, *args], capture_output=True,
                            text=True, env=_child_env())
    assert killed.returncode == -9
    result = pyffin(*args)
    assert result.returncode == 0, result
    assert inspect("freeze", venv).stdout == "app==1.0\nlib==2.0\nother==1.0\n"
    assert inspect("check", venv).returncode == 0
    assert subprocess.run([venv / "bin" / "app"], capture_output=True, text=True,
                          check=True).stdout == "app 2\n"
    assert os.path.exists(venv / "bin" / "app")


def test_two_processes_installing_into_one_environment_take_turns(index: IndexServer,
                                                                  venv: Path) -> None:
    procs = [subprocess.Popen(
        [sys.executable, "-m", "pyffin", "pip", "install", *packages, "--python",
         venv / "bin" / "python", "--index-url", index.index_url, "--cache-dir",
         venv.parent / "cache"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_child_env())
        for packages in (["app"], ["other", "lib==2.0"])]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert inspect("freeze", venv).stdout == "app==1.0\nlib==2.0\nother==1.0\n"
    assert inspect("check", venv).returncode == 0


def test_sync_of_no_requirements_changes_nothing_unless_allowed(index: IndexServer, venv: Path,
                                                                tmp_path: Path) -> None:
    """As uv: a warning, exit 0, the environment untouched; ``--allow-empty-requirements``
    empties it."""
    run("install", index, venv, "app")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    result = run("sync", index, venv, empty)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == (
        f"warning: Requirements file `{empty}` does not contain any dependencies\n"
        "No requirements found (hint: use `--allow-empty-requirements` to clear the "
        "environment)\n")
    assert inspect("freeze", venv).stdout == "app==1.0\nlib==2.0\n"
    emptied = run("sync", index, venv, empty, "--allow-empty-requirements")
    assert emptied.returncode == 0, emptied
    assert emptied.stderr.endswith(" - app==1.0\n - lib==2.0\n")
    assert inspect("freeze", venv).stdout == ""
    again = run("sync", index, venv, empty, "--allow-empty-requirements")
    assert again.returncode == 0 and "Checked 0 packages" in again.stderr


def test_install_from_an_empty_requirements_file_warns_and_succeeds(index: IndexServer,
                                                                     venv: Path,
                                                                     tmp_path: Path) -> None:
    """As uv: an empty ``-r`` file is a warning, not an error; the environment is untouched."""
    run("install", index, venv, "app")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    result = run("install", index, venv, "-r", empty)
    assert result.returncode == 0, result
    assert result.stderr.startswith(
        f"warning: Requirements file `{empty}` does not contain any dependencies\n")
    assert inspect("freeze", venv).stdout == "app==1.0\nlib==2.0\n"


def test_installs_go_on_after_a_local_project_changes_version(index: IndexServer, venv: Path,
                                                              tmp_path: Path) -> None:
    """The installed version (0.1.0) is a preference the source no longer offers once the
    project says 0.2.0: it is not used, and nothing crashes."""
    project = tmp_path / "demo"
    write_source_tree(SdistSpec("demo", "0.1.0", requires_dist=["lib"]), project)
    assert run("install", index, venv, project).returncode == 0
    write_source_tree(SdistSpec("demo", "0.2.0", requires_dist=["lib"]), project)
    stat = (project / "pyproject.toml").stat()
    os.utime(project / "pyproject.toml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    result = run("install", index, venv, project, "other")
    assert result.returncode == 0, result
    origin = f" (from {project.as_uri()})"  # a direct installation's, as uv says it
    assert f" - demo==0.1.0{origin}\n + demo==0.2.0{origin}\n" in result.stderr
    assert run("install", index, venv, project, "app").returncode == 0


def test_a_built_wheel_and_a_direct_installation_are_said_as_uv_says_them(
        index: IndexServer, venv: Path, tmp_path: Path) -> None:
    project = tmp_path / "demo"
    write_source_tree(SdistSpec("demo", "0.1.0"), project)
    result = run("install", index, venv, project)
    assert result.returncode == 0, result
    lines = summary(result).splitlines()
    # Each wheel built to install is a line when it starts and one when it is built, after
    # the resolution's line (uv 0.13.9 builds it as it prepares what it resolved).
    built = f"demo @ {project.as_uri()}"
    assert lines[0].startswith("Resolved 1 package in "), result
    assert lines[1:3] == [f"   Building {built}", f"      Built {built}"], result
    assert lines[-1] == f" + demo==0.1.0 (from {project.as_uri()})"
    quiet = run("install", index, venv, project, "--reinstall", "-q")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet
    removed = pyffin("pip", "uninstall", "demo", "--python", venv / "bin" / "python")
    assert removed.stderr.splitlines()[-1] == f" - demo==0.1.0 (from {project.as_uri()})"
    # From an index: no origin, nothing built.
    result = run("install", index, venv, "lib")
    assert "Built" not in result.stderr and result.stderr.endswith(" + lib==2.0\n"), result


def test_a_synced_environment_meeting_its_constraints_needs_no_network(
        index: IndexServer, venv: Path, tmp_path: Path) -> None:
    """A pip.conf may give constraints to every command: a no-op sync stays a no-op."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==2.0\nother==1.0\n")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib>=2\nunrelated<1\nother<1; sys_platform == 'win32'\n")
    assert run("sync", index, venv, requirements).returncode == 0
    index.reset_counts()
    result = run("sync", index, venv, requirements, "-c", constraints)
    assert summary(result).startswith("Checked 2 packages in ")
    assert index.count() == 0
    constraints.write_text("lib<2\n")
    result = run("sync", index, venv, requirements, "-c", constraints)
    assert result.returncode == 1 and "lib<2" in result.stderr


def test_a_remote_index_cannot_make_pyffin_install_a_local_file(
        index_server: IndexServer, venv: Path, dist_dir: Path) -> None:
    from tests.support.dists import build_wheel

    local = build_wheel(WheelSpec("evil", "1.0"), dist_dir)
    index_server.respond("/simple/evil/", f'<a href="{local.as_uri()}">{local.name}</a>'.encode(),
                         {"Content-Type": "text/html"})
    before = tree(venv)
    result = run("install", index_server, venv, "evil")
    assert result.returncode == 1, result
    assert f"Ignoring the link to {local.as_uri()} on {index_server.index_url}evil/" \
        in result.stderr
    assert tree(venv) - {".lock"} == before


# ------------------------------------------------ the cache cleaned while an install runs
def _clean_once(monkeypatch: pytest.MonkeyPatch, cache: Path, target: object, name: str,
                *, after: bool = False) -> None:
    """Make ``target.name`` run ``pyffin cache clean --force`` (in effect) the first time it
    is called: before the call, or right after it returns."""
    from pyffin.cache import Cache, maintenance

    original = getattr(target, name)
    done: list[bool] = []

    def clean() -> None:
        if not done:
            done.append(True)
            maintenance.clean_all(Cache(cache))

    def wrapper(*args: object, **kwargs: object) -> object:
        if not after:
            clean()
        value = original(*args, **kwargs)
        if after:
            clean()
        return value

    monkeypatch.setattr(target, name, wrapper)


@pytest.mark.parametrize("point", ["download", "unzip", "persist", "found in the cache"])
def test_an_install_whose_cache_entries_vanish_fetches_them_again(
        index: IndexServer, venv: Path, monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    from pyffin.cache import core
    from pyffin.distribution import database, unzip

    cache = venv.parent / "cache"
    if point == "found in the cache":  # between finding the archive and linking it
        other = venv.parent / "other"
        assert pyffin("venv", other, "--python", sys.executable).returncode == 0
        assert run("install", index, other, "lib==1.0").returncode == 0
        _clean_once(monkeypatch, cache, database.WheelDatabase, "cached", after=True)
    else:
        target, name = {
            "download": (database.WheelDatabase, "_download"),
            "unzip": (unzip, "unzip_wheel"),
            "persist": (core.Cache, "persist"),
        }[point]
        _clean_once(monkeypatch, cache, target, name)
    result = run("install", index, venv, "lib==1.0")
    assert result.returncode == 0, result
    assert python(venv, "import lib; print(lib.VALUE)") == "1\n"


def test_an_archive_that_vanishes_while_it_is_linked_is_a_clear_error(
        index: IndexServer, venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.installer import link

    _clean_once(monkeypatch, venv.parent / "cache", link.PreparedWheel, "install")
    result = run("install", index, venv, "lib==1.0")
    assert result.returncode == 2, result
    assert "the unzipped wheel of lib 1.0 vanished from the cache while it was being " \
           "installed" in result.stderr
    assert "crashed" not in result.stderr
    monkeypatch.undo()
    assert run("install", index, venv, "lib==1.0").returncode == 0
    assert python(venv, "import lib; print(lib.VALUE)") == "1\n"


def test_installs_racing_cache_clean_force_never_crash(index_server: IndexServer,
                                                       tmp_path: Path) -> None:
    """Real processes: whatever instant the cache vanishes at, an install finishes or fails
    with a clear error, and the next one, left alone, succeeds."""
    import time

    from pyffin.cache import Cache, maintenance
    from tests.support.cli import spawn

    for n in range(6):
        index_server.add_wheel(WheelSpec(
            f"p{n}", "1.0", requires_dist=[f"p{n + 1}"] if n < 5 else [],
            files={f"p{n}/m{i}.py": "x = 1\n" for i in range(20)}))
    cache = tmp_path / "cache"
    for round_ in range(4):
        env = tmp_path / f"env{round_}"
        assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                      cache).returncode == 0
        args = ["pip", "install", "p0", "--python", env / "bin" / "python", "--index-url",
                index_server.index_url, "--cache-dir", cache]
        proc = spawn(args)
        while proc.poll() is None:
            maintenance.clean_all(Cache(cache))
            time.sleep(0.003 * round_)
        _out, err = proc.communicate()
        assert "crashed" not in err and "Traceback" not in err, err
        assert proc.returncode == 0 or "error: " in err, err
        again = pyffin(*args)
        assert again.returncode == 0, again


# ------------------------------------------------------------ what is installed, kept
def test_an_installed_sdist_build_is_kept_under_only_binary(index_server: IndexServer,
                                                            venv: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    # The index has no wheel of dep: --only-binary rules its files out, but the installed
    # build of it is used as it is (its own metadata, nothing fetched or built), as uv and pip
    # do: the newest tool, which needs dep, is chosen, not the old one that does not.
    index_server.add_sdist(SdistSpec("dep", "1.0"))
    index_server.add_wheel(WheelSpec("tool", "1.0"))
    index_server.add_wheel(WheelSpec("tool", "2.0", requires_dist=["dep>=1"]))
    assert run("install", index_server, venv, "dep").returncode == 0
    log = venv.parent / "backend.log"
    monkeypatch.setenv("PYFFIN_TEST_BACKEND_LOG", str(log))
    index_server.reset_counts()
    result = run("install", index_server, venv, "tool", "--only-binary", ":all:")
    assert result.returncode == 0, result
    assert summary(result).startswith("Resolved 2 packages"), result
    assert summary(result).endswith("\n + tool==2.0\n"), result  # dep is left as it is
    assert not log.exists()  # nothing built, no metadata hook run
    assert index_server.count("/files/dep-1.0.tar.gz") == 0
    # To reinstall it, its files would have to do: only the tool that needs none fits.
    again = run("install", index_server, venv, "tool", "--only-binary", ":all:",
                "--reinstall-package", "dep", "--dry-run")
    assert again.returncode == 0, again
    assert "tool==1.0" in again.stderr, again
    # The same when dep is installed twice (another tool's crash): both copies go, so neither
    # is kept (as uv).
    stale = site_packages(venv) / "dep-0.9.dist-info"
    stale.mkdir()
    (stale / "METADATA").write_text("Metadata-Version: 2.1\nName: dep\nVersion: 0.9\n")
    (stale / "RECORD").write_text("")
    twice = run("install", index_server, venv, "tool", "--only-binary", ":all:", "--dry-run")
    assert twice.returncode == 0, twice
    assert "tool==1.0" in twice.stderr, twice


def test_an_unsatisfiable_install_says_so_as_uv_does(index: IndexServer, venv: Path) -> None:
    result = run("install", index, venv, "lib==9.0")
    assert result.returncode == 1
    assert summary(result) == (
        "error: No solution found when resolving dependencies\n"
        "  cause: Because there is no version of lib==9.0 and you require lib==9.0, we can "
        "conclude that your requirements are unsatisfiable.\n")


def test_an_exact_install_removes_what_the_requirements_do_not_need(
        index: IndexServer, venv: Path) -> None:
    # uv's --exact: resolved as an install (dependencies added), then what is left over
    # removed, as a sync does (checked with uv 0.13.9).
    assert run("install", index, venv, "lib==1.0", "other").returncode == 0
    result = run("install", index, venv, "app", "--exact")
    assert result.returncode == 0, result
    assert set(inspect("freeze", venv).stdout.split()) == {"app==1.0", "lib==1.0"}
    assert summary(result).endswith(" + app==1.0\n - other==1.0\n"), result
    again = run("install", index, venv, "app", "--exact")
    assert again.returncode == 0 and " - " not in again.stderr and " + " not in again.stderr


def test_a_command_that_fails_leaves_no_temporary_directory_behind(
        index: IndexServer, venv: Path) -> None:
    # app's wheel is fetched early (it is pinned) and still arriving when the resolution
    # fails: that fetch is stopped, as Ctrl-C stops it, and its directory removed.
    # The process goes on (this test's): once the answer comes, that fetch finds its directory
    # removed and must not start over in a new one.
    index.delay("/files/app-1.0-py3-none-any.whl", 2.0)
    result = run("install", index, venv, "app==1.0", "lib>5")
    assert result.returncode == 1, result
    temporary = venv.parent / "cache" / ".tmp"
    assert not temporary.exists() or list(temporary.iterdir()) == []
    time.sleep(2.5)  # the delayed answer has come
    assert index.count("/files/app-1.0-py3-none-any.whl") <= 1  # (0: not started in time)
    assert not temporary.exists() or list(temporary.iterdir()) == []


def test_no_editable_installs_the_editable_requirements_as_wheels(
        index: IndexServer, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uv's ``--no-editable``: ``-e`` on the command line and in files installs the project's
    wheel (an editable install of it is replaced, as uv replaces it)."""
    monkeypatch.chdir(tmp_path)
    write_source_tree(SdistSpec("my-proj", "0.1", requires_dist=["lib==1.0"]), tmp_path / "proj")
    site = site_packages(venv)

    def direct_url() -> object:
        [info] = site.glob("my_proj-0.1.dist-info")
        return json.loads((info / "direct_url.json").read_text())["dir_info"]

    assert run("install", index, venv, "-e", "./proj").returncode == 0
    assert direct_url() == {"editable": True}
    result = run("install", index, venv, "-e", "./proj", "--no-editable")
    assert result.returncode == 0, result
    assert summary(result).endswith(f" ~ my-proj==0.1 (from {(tmp_path / 'proj').as_uri()})\n")
    assert direct_url() == {}
    assert not list(site.glob("*.pth")) and (site / "my_proj").is_dir()
    (tmp_path / "r.txt").write_text("-e ./proj\n")
    again = run("install", index, venv, "-r", "r.txt", "--no-editable")
    assert (again.returncode, direct_url()) == (0, {}), again


def test_no_editable_package_installs_the_wheel_of_that_project_alone(
        index: IndexServer, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uv's ``--no-editable-package NAME``: the editable requirement on that project (named
    by its metadata, here) installs its wheel; the other editables stay editable."""
    monkeypatch.chdir(tmp_path)
    write_source_tree(SdistSpec("my-proj", "0.1"), tmp_path / "proj")
    write_source_tree(SdistSpec("other-proj", "0.2"), tmp_path / "other")
    site = site_packages(venv)

    def editable(name: str) -> object:
        [info] = site.glob(f"{name}-*.dist-info")
        return json.loads((info / "direct_url.json").read_text())["dir_info"].get("editable")

    result = run("install", index, venv, "-e", "./proj", "-e", "./other",
                 "--no-editable-package", "My_Proj")
    assert result.returncode == 0, result
    assert (editable("my_proj"), editable("other_proj")) == (None, True)
    assert (site / "my_proj").is_dir()


def test_check_reports_a_package_for_another_platform_as_uv(index_server: IndexServer,
                                                             venv: Path) -> None:
    """A wheel installed for another platform (``--python-platform windows``) is one
    problem for the environment, none for that platform (``check --python-platform``)."""
    index_server.add_wheel(WheelSpec("native", "1.0", tags=["cp311-cp311-win_amd64",
                                                            "cp312-cp312-win_amd64"]))
    installed = run("install", index_server, venv, "native", "--python-platform", "windows",
                    "--python-version", "3.11")
    assert installed.returncode == 0, installed
    check = inspect("check", venv)
    assert check.returncode == 1, check
    assert check.stderr.endswith("Found 1 incompatibility\n"
                                 "The package `native` was built for a different platform\n")
    for flags in (["--python-platform", "windows", "--python-version", "3.11"],
                  ["--python-platform", "x86_64-pc-windows-msvc", "--python-version", "3.12"]):
        elsewhere = inspect("check", venv, *flags)
        assert elsewhere.returncode == 0, (flags, elsewhere)
        assert elsewhere.stderr.endswith("All installed packages are compatible\n")
