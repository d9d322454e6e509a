from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from pyffin.installer.errors import DamagedArchiveError, InstallError
from pyffin.installer.link import ReplacedFiles, install_wheel, prepare_wheel, warn_replaced
from pyffin.interpreter.scheme import Scheme
from pyffin.models.wheel import hash_file
from tests.installer.conftest import Install
from tests.installer.envs import Env, make_env, unzipped
from tests.support.dists import WheelSpec

APP = WheelSpec(
    "App_Tool",
    "1.0",
    files={
        "app_tool/__init__.py": (
            "import sys\n"
            "def main():\n"
            "    print('main', sys.argv[0].rsplit('/', 1)[-1], sys.argv[1:])\n"
            "    return 3\n"
            "class Cli:\n"
            "    @staticmethod\n"
            "    def run():\n"
            "        print('gui')\n"
        ),
        "app_tool/sub/data.txt": "payload",
    },
    entry_points={"console_scripts": {"app-cli": "app_tool:main"},
                  "gui_scripts": {"app-gui": "app_tool:Cli.run [extra]"}},
    data={
        "scripts": {"raw-tool": "#!python\nimport sys\nprint(sys.executable)\n",
                    "shell-tool": "#!/bin/sh\necho shell\n"},
        "data": {"share/app_tool/notes.txt": "notes"},
        "headers": {"app.h": "int app;\n"},
    },
)


def record_of(dist_info: Path) -> dict[str, tuple[str, str]]:
    rows = (line.rsplit(",", 2) for line in (dist_info / "RECORD").read_text().splitlines())
    return {path: (digest, size) for path, digest, size in rows}


def test_installs_an_importable_package(env: Env, install: Install) -> None:
    install(APP)

    out = env.run(env.python, "-c", "import app_tool, sys; print(app_tool.__file__)").stdout

    assert out.strip() == str(env.site_packages / "app_tool" / "__init__.py")


def test_entry_points_become_scripts_for_the_target_interpreter(env: Env,
                                                                install: Install) -> None:
    install(APP)
    cli = env.scheme.scripts / "app-cli"

    result = env.run(str(cli), "a", "b", check=False)

    assert cli.read_bytes().startswith(f"#!{env.python}\n".encode())
    assert os.stat(cli).st_mode & stat.S_IXUSR
    assert (result.returncode, result.stdout) == (3, "main app-cli ['a', 'b']\n")
    assert env.run(str(env.scheme.scripts / "app-gui")).stdout == "gui\n"


def test_python_shebangs_of_data_scripts_are_rewritten(env: Env, install: Install) -> None:
    install(APP)
    raw = env.scheme.scripts / "raw-tool"

    assert raw.read_bytes() == f"#!{env.python}\nimport sys\nprint(sys.executable)\n".encode()
    assert env.run(str(raw)).stdout.strip() == env.python
    # Other scripts are kept as they are, and made executable.
    assert env.run(str(env.scheme.scripts / "shell-tool")).stdout == "shell\n"


def test_data_and_headers_go_to_their_scheme_directories(env: Env, install: Install) -> None:
    install(APP)

    assert (env.root / "share/app_tool/notes.txt").read_text() == "notes"
    assert (env.scheme.headers / "App_Tool" / "app.h").read_text() == "int app;\n"


def files_of(env: Env) -> set[str]:
    return {os.path.join(r, n) for r, _, names in os.walk(env.root) for n in names}


def test_record_lists_every_installed_file_with_hash_and_size(env: Env,
                                                              install: Install) -> None:
    before = files_of(env)

    dist = install(APP)

    record = record_of(dist.path)
    site = env.site_packages
    assert record.pop("app_tool-1.0.dist-info/RECORD") == ("", "")
    for path, (digest, size) in record.items():
        assert hash_file(os.path.normpath(site / path)) == (digest, int(size)), path
    assert {"../../../bin/app-cli", "../../../bin/raw-tool", "../../../share/app_tool/notes.txt",
            f"../../../include/site/{env.scheme.headers.name}/App_Tool/app.h",
            "app_tool/sub/data.txt", "app_tool-1.0.dist-info/INSTALLER"} <= set(record)
    listed = {os.path.normpath(site / p) for p in record} | {str(dist.path / "RECORD")}
    assert listed == files_of(env) - before


def test_a_file_the_archives_record_does_not_list_is_hashed_into_the_new_record(
        env: Env, tmp_path: Path) -> None:
    archive = unzipped(APP, tmp_path / "a")
    (archive / "app_tool" / "extra.txt").write_text("added")

    dist = install_wheel(archive, env.scheme, python=env.python)

    record = record_of(dist.path)
    digest, size = hash_file(str(archive / "app_tool" / "extra.txt"))
    assert record["app_tool/extra.txt"] == (digest, str(size))
    assert record["app_tool/sub/data.txt"][1] == str(len("payload"))


def test_writes_installer_requested_and_direct_url(install: Install) -> None:
    url = {"url": "file:///src/app", "dir_info": {"editable": False}}

    dist = install(APP, requested=True, direct_url=url, installer="pyffin-test")

    assert (dist.path / "INSTALLER").read_text() == "pyffin-test\n"
    assert (dist.path / "REQUESTED").exists()
    assert json.loads((dist.path / "direct_url.json").read_text()) == url
    assert dist.requested and dist.installer == "pyffin-test" and dist.direct_url() == url


def test_not_requested_and_no_direct_url_by_default(install: Install) -> None:
    dist = install(APP)

    assert not (dist.path / "REQUESTED").exists()
    assert not (dist.path / "direct_url.json").exists()
    assert (dist.name, dist.version, dist.kind) == ("App_Tool", "1.0", "dist-info")


def test_root_is_purelib_decides_the_directory(tmp_path: Path) -> None:
    scheme = Scheme(tmp_path / "pure", tmp_path / "plat", tmp_path / "bin", tmp_path,
                    tmp_path / "include")
    spec = WheelSpec("native", "1.0", root_is_purelib=False, tags=["cp311-cp311-linux_x86_64"],
                     files={"native/__init__.py": ""}, data={"purelib": {"helper.py": ""}})

    dist = install_wheel(unzipped(spec, tmp_path / "a"), scheme, python="/usr/bin/python3")

    assert dist.path == tmp_path / "plat" / "native-1.0.dist-info"
    assert (tmp_path / "plat/native/__init__.py").exists()
    assert (tmp_path / "pure/helper.py").exists()
    assert "../pure/helper.py" in record_of(dist.path)


def test_hardlinks_share_the_archive_files(env: Env, tmp_path: Path) -> None:
    archive = unzipped(APP, tmp_path / "a")

    install_wheel(archive, env.scheme, python=env.python)

    source = os.stat(archive / "app_tool/__init__.py")
    target = os.stat(env.site_packages / "app_tool/__init__.py")
    assert (source.st_ino, source.st_dev) == (target.st_ino, target.st_dev)
    # Generated files are written, never linked (the archive must not change through them).
    assert os.stat(env.site_packages / "app_tool-1.0.dist-info/RECORD").st_nlink == 1
    assert os.stat(env.scheme.scripts / "raw-tool").st_nlink == 1


@pytest.mark.parametrize("mode", ["copy", "clone"])
def test_copy_and_clone_make_independent_files(env: Env, tmp_path: Path, mode: str,
                                               messages: list[str]) -> None:
    archive = unzipped(APP, tmp_path / "a")

    install_wheel(archive, env.scheme, python=env.python, link_mode=mode)  # type: ignore[arg-type]

    source = archive / "app_tool/__init__.py"
    target = env.site_packages / "app_tool/__init__.py"
    assert target.read_bytes() == source.read_bytes()
    assert os.stat(target).st_ino != os.stat(source).st_ino
    assert os.stat(env.scheme.scripts / "shell-tool").st_mode & stat.S_IXUSR


def test_symlinks_point_into_the_archive(env: Env, tmp_path: Path) -> None:
    archive = unzipped(APP, tmp_path / "a")

    install_wheel(archive, env.scheme, python=env.python, link_mode="symlink")

    target = env.site_packages / "app_tool/__init__.py"
    assert os.readlink(target) == str(archive / "app_tool/__init__.py")
    assert not (env.site_packages / "app_tool").is_symlink()


def test_hardlink_failure_falls_back_to_copy_and_warns_once(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, messages: list[str]) -> None:
    tried: list[str] = []

    def cross_device(src: str, dst: str) -> None:
        tried.append(src)
        raise OSError(errno.EXDEV, "Invalid cross-device link", src)

    monkeypatch.setattr(os, "link", cross_device)

    install_wheel(unzipped(APP, tmp_path / "a"), env.scheme, python=env.python)
    install_wheel(unzipped(WheelSpec("other", "1.0"), tmp_path / "b"), env.scheme,
                  python=env.python)

    assert len(tried) == 2  # once per wheel: the rest is copied without trying again

    assert [m for m in messages if "hardlink" in m] == [
        "Failed to hardlink files; falling back to full copy. This may lead to degraded "
        "performance. If the cache and the target environment are on different file systems, "
        "use --link-mode=copy to suppress this warning."]
    assert (env.site_packages / "app_tool/sub/data.txt").read_text() == "payload"
    assert (env.site_packages / "other/__init__.py").exists()


def test_an_unrelated_link_error_is_an_install_error(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", dst)

    monkeypatch.setattr(os, "link", no_space)

    with pytest.raises(InstallError, match=r"cannot install App_Tool 1\.0: .*No space left"):
        install_wheel(unzipped(APP, tmp_path / "a"), env.scheme, python=env.python)


def tree_of(env: Env) -> set[str]:
    """Every file and directory under the environment."""
    return {os.path.join(r, n) for r, dirs, names in os.walk(env.root) for n in (*dirs, *names)}


def disk_full(monkeypatch: pytest.MonkeyPatch, *, links: Callable[[str, str], bool],
              renames: Callable[[str], bool]) -> None:
    """``os.link`` and ``os.rename`` fail as on a full disk when ``links(src, dst)`` or
    ``renames(dst)`` says so."""
    link, rename = os.link, os.rename

    def full_link(src: str, dst: str) -> None:
        if links(src, dst):
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        link(src, dst)

    def full_rename(src: str, dst: str) -> None:
        if renames(dst):
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        rename(src, dst)

    monkeypatch.setattr(os, "link", full_link)
    monkeypatch.setattr(os, "rename", full_rename)


@pytest.mark.parametrize("failing", ["app_tool/sub/data.txt", "notes.txt", "app.h",
                                     "dist-info"])
def test_an_install_that_fails_midway_removes_what_it_made(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    """A full disk (or a file it may not write) part way: the error names the distribution,
    and the environment is left as it was, without a half-installed package that imports."""
    install_wheel(unzipped(WheelSpec("other", "1.0", files={"app_tool_helpers.py": ""}),
                           tmp_path / "o"), env.scheme, python=env.python)
    before = tree_of(env)
    disk_full(monkeypatch, links=lambda src, dst: dst.endswith(failing),
              renames=lambda dst: failing == "dist-info" and dst.endswith(".dist-info"))
    with pytest.raises(InstallError, match=r"cannot install App_Tool 1\.0: .*No space left"):
        install_wheel(unzipped(APP, tmp_path / "a"), env.scheme, python=env.python)

    assert tree_of(env) == before
    monkeypatch.undo()
    install_wheel(unzipped(APP, tmp_path / "a"), env.scheme, python=env.python)  # room again
    assert (env.site_packages / "app_tool/sub/data.txt").read_text() == "payload"


@pytest.mark.parametrize("failing", ["payload", "dist-info"])
def test_a_reinstall_that_fails_midway_keeps_the_installed_distributions_files(
        env: Env, tmp_path: Path, install: Install, monkeypatch: pytest.MonkeyPatch,
        failing: str) -> None:
    """What it had not replaced yet, and the installed dist-info, are the old install's: they
    are not removed with what the failed install made."""
    dist = install(APP)
    listed = [os.path.normpath(dist.path.parent / p) for p in record_of(dist.path)]
    # The payload: after __init__.py (replaced), before the scripts. The dist-info: everything
    # is in place but the new dist-info.
    disk_full(monkeypatch,
              links=lambda src, dst: failing == "payload" and src.endswith("sub/data.txt"),
              renames=lambda dst: failing == "dist-info" and dst.endswith(".dist-info"))
    with pytest.raises(InstallError, match="No space left"):
        install_wheel(unzipped(APP, tmp_path / "again"), env.scheme, python=env.python)

    assert [p for p in listed if not os.path.exists(p)] == []
    assert (dist.path / "INSTALLER").read_text() == "pyffin\n"


def test_a_copy_that_fails_part_way_names_the_file_and_leaves_none(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyffin.installer.link as link

    def no_room(fd_in: int, fd_out: int, size: int) -> None:
        os.write(fd_out, b"half")
        raise OSError(errno.ENOSPC, "No space left on device")  # as write() says it: no name

    monkeypatch.setattr(link, "_copy_data", no_room)
    with pytest.raises(InstallError, match=r"No space left on device: '.*/app_tool/"):
        install_wheel(unzipped(APP, tmp_path / "a"), env.scheme, python=env.python,
                      link_mode="copy")
    assert not (env.site_packages / "app_tool").exists()


def test_replacing_another_distributions_file_warns_naming_both(
        env: Env, install: Install, messages: list[str]) -> None:
    install(WheelSpec("first", "1.0", files={"shared/x.py": "A = 1\n"}))

    install(WheelSpec("second", "2.0", files={"shared/x.py": "A = 2\n"}))

    assert (env.site_packages / "shared/x.py").read_text() == "A = 2\n"
    assert messages == [f"Installing second 2.0 replaced 1 file(s) installed by first 1.0: "
                        f"{env.site_packages / 'shared/x.py'}"]


def test_a_batch_collects_replaced_files_and_warns_when_asked(
        env: Env, install: Install, messages: list[str]) -> None:
    replaced: list[ReplacedFiles] = []
    install(WheelSpec("second", "2.0", files={"shared/x.py": "A = 2\n"}), replaced=replaced)
    install(WheelSpec("first", "1.0", files={"shared/x.py": "A = 1\n"}), replaced=replaced)

    path = str(env.site_packages / "shared/x.py")
    assert replaced == [ReplacedFiles("first 1.0", "first-1.0.dist-info", (path,))]
    assert messages == []
    warn_replaced(env.scheme, replaced)
    assert messages == [f"Installing first 1.0 replaced 1 file(s) installed by second 2.0: {path}"]


def test_reinstalling_replaces_the_dist_info(env: Env, install: Install,
                                             messages: list[str]) -> None:
    install(APP, requested=True)

    dist = install(APP)

    assert not (dist.path / "REQUESTED").exists()
    assert not [p for p in os.listdir(env.site_packages) if p.startswith(".") or "pyffin" in p]
    assert any("Replacing the existing app_tool-1.0.dist-info" in m for m in messages)


def test_long_or_spaced_interpreter_paths_use_a_shell_trampoline(tmp_path: Path) -> None:
    env = make_env(tmp_path / ("a directory with spaces " + "x" * 100) / "env")
    install_wheel(unzipped(APP, tmp_path / "a"), env.scheme, python=env.python)
    cli = env.scheme.scripts / "app-cli"

    result = env.run(str(cli), "z", check=False)

    assert cli.read_bytes().startswith(b"#!/bin/sh\n'''exec' \"" + env.python.encode())
    assert (result.returncode, result.stdout) == (3, "main app-cli ['z']\n")
    assert env.run(str(env.scheme.scripts / "raw-tool")).stdout.strip() == env.python


@pytest.mark.parametrize(
    ("entry_points", "message"),
    [
        ({"console_scripts": {"../evil": "app:main"}}, "invalid script name '../evil'"),
        ({"console_scripts": {"ok": "os:system('rm -rf /')"}}, "must be 'module:function'"),
        ({"gui_scripts": {"ok": "nomodule"}}, "must be 'module:function'"),
    ],
)
def test_refuses_hostile_entry_points(env: Env, tmp_path: Path, entry_points: dict[str, dict[
        str, str]], message: str) -> None:
    spec = WheelSpec("bad", "1.0", entry_points=entry_points)
    before = env.tree()

    with pytest.raises(InstallError, match=message):
        install_wheel(unzipped(spec, tmp_path / "a"), env.scheme, python=env.python)

    assert env.tree() == before  # refused before anything was written
    assert not (tmp_path / "env" / "evil").exists()


@pytest.mark.parametrize(
    ("fields", "entry"),
    [
        ({"entry_points": {"console_scripts": {"python": "bad:main"}}}, "the entry point 'python'"),
        ({"entry_points": {"console_scripts": {"python3": "bad:main"}}},
         "the entry point 'python3'"),
        ({"entry_points": {"gui_scripts": {"pythonw": "bad:main"}}}, "the entry point 'pythonw'"),
        ({"entry_points": {"console_scripts": {"activate": "bad:main"}}},
         "the entry point 'activate'"),
        ({"data": {"scripts": {"python3.11": "#!/bin/sh\n"}}}, "bad-1.0.data/scripts/python3.11"),
        ({"data": {"scripts": {"Activate.ps1": "x\n"}}}, "bad-1.0.data/scripts/Activate.ps1"),
        ({"data": {"scripts": {"activate_this.py": "x\n"}}},
         "bad-1.0.data/scripts/activate_this.py"),
        ({"data": {"data": {"bin/python": "#!/bin/sh\n"}}}, "bad-1.0.data/data/bin/python"),
        ({"data": {"data": {"bin/deactivate": "x\n"}}}, "bad-1.0.data/data/bin/deactivate"),
        ({"data": {"data": {"Scripts/python.exe": "x"}}}, "bad-1.0.data/data/Scripts/python.exe"),
        ({"data": {"data": {"pyvenv.cfg": "home = /evil\n"}}}, "bad-1.0.data/data/pyvenv.cfg"),
    ],
)
def test_refuses_scripts_that_would_replace_the_environments_own(
        env: Env, tmp_path: Path, fields: dict[str, object], entry: str) -> None:
    spec = WheelSpec("bad", "1.0", files={"bad/__init__.py": "def main(): pass\n"},
                     **fields)  # type: ignore[arg-type]
    before = env.tree()
    python_before = os.readlink(env.scheme.scripts / "python")

    with pytest.raises(InstallError) as info:
        install_wheel(unzipped(spec, tmp_path / "a"), env.scheme, python=env.python)

    assert str(info.value) == (
        f"cannot install bad 1.0: {entry} would replace the environment's own interpreter, "
        "activation script or configuration; refusing to install it")
    assert env.tree() == before  # refused before anything was written
    assert os.readlink(env.scheme.scripts / "python") == python_before


def test_scripts_with_names_like_python_but_not_one_install(env: Env, install: Install) -> None:
    install(WheelSpec("ok", "1.0", entry_points={"console_scripts": {"python-ok": "ok:x",
                                                                     "ipython": "ok:y"}}))
    assert (env.scheme.scripts / "python-ok").is_file()
    assert (env.scheme.scripts / "ipython").is_file()


def test_refuses_an_archive_with_an_unknown_data_directory(env: Env, tmp_path: Path) -> None:
    archive = unzipped(WheelSpec("bad", "1.0"), tmp_path / "a")
    (archive / "bad-1.0.data" / "etc").mkdir(parents=True)
    (archive / "bad-1.0.data" / "etc" / "passwd").write_text("x")

    before = env.tree()

    with pytest.raises(InstallError, match=r"bad-1.0.data/etc is not one of the .data"):
        install_wheel(archive, env.scheme, python=env.python)

    assert env.tree() == before


def test_refuses_a_symlink_inside_the_archive(env: Env, tmp_path: Path) -> None:
    archive = unzipped(WheelSpec("bad", "1.0"), tmp_path / "a")
    (archive / "bad" / "link").symlink_to("/etc/passwd")

    with pytest.raises(InstallError, match="bad/link in the unzipped wheel is not a regular"):
        install_wheel(archive, env.scheme, python=env.python)


@pytest.mark.parametrize("removed", ["app_tool/sub/data.txt", "app_tool/sub"])
def test_an_archive_that_lost_a_file_its_record_lists_is_refused_before_anything_is_linked(
        env: Env, tmp_path: Path, removed: str) -> None:
    import shutil

    archive = unzipped(APP, tmp_path / "a")
    gone = archive / removed
    shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
    before = env.tree()

    with pytest.raises(DamagedArchiveError, match=r"App_Tool 1\.0 in the cache is damaged: "
                       r"app_tool/sub/data\.txt listed in its RECORD is missing"):
        prepare_wheel(archive, env.scheme, python=env.python)

    assert env.tree() == before


def test_refuses_a_directory_that_is_not_an_unzipped_wheel(env: Env, tmp_path: Path) -> None:
    with pytest.raises(InstallError, match=r"is not an unzipped wheel: expected one \.dist-info"):
        install_wheel(tmp_path, env.scheme, python=env.python)


def test_a_record_path_that_needs_quotes_is_written_as_csv_writes_it(
        env: Env, install: Install) -> None:
    import csv

    spec = WheelSpec("odd", "1.0", files={"odd/__init__.py": "", 'odd/a,b "c".txt': "x",
                                          "odd/z.txt": "z"})

    dist = install(spec)

    text = (dist.path / "RECORD").read_text()
    rows = {row[0]: row[1:] for row in csv.reader(text.splitlines())}
    for path in ("odd/__init__.py", 'odd/a,b "c".txt', "odd/z.txt"):
        digest, size = rows[path]
        assert hash_file(str(env.site_packages / path)) == (digest, int(size)), path
    assert '"odd/a,b ""c"".txt",' in text
    assert "odd-1.0.dist-info/RECORD,,\n" in text
    assert [row[0] for row in csv.reader(text.splitlines())][-3:] == [
        "odd/__init__.py", 'odd/a,b "c".txt', "odd/z.txt"]  # sorted by the path unquoted


def test_record_is_sorted_by_path_as_pip_and_uv_write_it(env: Env, install: Install) -> None:
    dist = install(APP)

    paths = [line.rsplit(",", 2)[0] for line in (dist.path / "RECORD").read_text().splitlines()]
    assert paths == sorted(paths)
    assert "app_tool-1.0.dist-info/RECORD" in paths and "../../../bin/app-cli" in paths


def test_a_wheel_just_unzipped_is_linked_from_the_unzips_listing_without_listing_its_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from pyffin.distribution.unzip import unzip_wheel
    from tests.support.dists import build_wheel

    wheel = build_wheel(APP, Path(tempfile.mkdtemp(dir=tmp_path)))
    archive = tmp_path / "archive"
    archive.mkdir()
    listing = unzip_wheel(wheel, archive).files
    listed = make_env(tmp_path / "listed")
    scanned = make_env(tmp_path / "scanned")
    prepare_wheel(archive, scanned.scheme, python=scanned.python).install()
    seen: list[str] = []
    real_scandir = os.scandir

    def scandir(path: str) -> os._ScandirIterator[str]:
        seen.append(os.path.relpath(path, archive))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    dist = prepare_wheel(archive, listed.scheme, python=listed.python,
                         listing=listing).install()

    # The root (for the dist-info), the dist-info (its files are linked) and the .data's
    # keys are still listed; no directory of the payload is.
    assert "app_tool" not in seen and "app_tool/sub" not in seen
    assert listed.tree() == scanned.tree()
    assert (listed.site_packages / "app_tool" / "sub" / "data.txt").read_text() == "payload"
    made, before = record_of(dist.path), record_of(scanned.site_packages / dist.path.name)
    assert made.keys() == before.keys()
    # The same lines, but for the scripts, which name each environment's interpreter.
    assert {p: made[p] for p in made if not p.startswith("../")} == {
        p: before[p] for p in before if not p.startswith("../")}
