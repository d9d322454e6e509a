"""``--target DIR`` and ``--prefix DIR``: a directory stands for the environment (install, sync,
uninstall, freeze, list, show), as uv's; ``--python-version`` / ``--python-platform`` install for
another interpreter or platform."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer

APP = WheelSpec(
    "app", "1.0", requires_dist=["lib>=1"],
    files={"app/__init__.py": "import lib\ndef main():\n    print('app', lib.VALUE)\n"},
    entry_points={"console_scripts": {"app": "app:main"}},
)
LIB = WheelSpec(
    "lib", "1.0",
    files={"lib/__init__.py": "VALUE = 1\n"},
    data={"scripts": {"lib-tool": "#!python\nimport lib\nprint('tool', lib.VALUE)\n"},
          "data": {"share/lib/lib.conf": "conf\n"},
          "headers": {"lib.h": "/* header */\n"}},
)
#: The site-packages of a ``--prefix`` for the interpreter running the tests.
PREFIX_SITE = Path("lib") / f"python{sys.version_info[0]}.{sys.version_info[1]}" / \
    "site-packages"


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(APP)
    index_server.add_wheel(LIB)
    index_server.add_wheel(WheelSpec("other", "1.0"))
    return index_server


def run(command: str, index: IndexServer, tmp_path: Path, *args: str | Path) -> Result:
    return pyffin("pip", command, *args, "--python", sys.executable, "--index-url",
                  index.index_url, "--cache-dir", tmp_path / "cache")


def inspect(command: str, *args: str | Path) -> Result:
    return pyffin("pip", command, *args, "--python", sys.executable)


def execute(program: Path | str, *args: str, pythonpath: Path) -> str:
    environ = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([program, *args], capture_output=True, text=True, check=True,
                          env=environ).stdout


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


# ------------------------------------------------------------------------------- --target
def test_an_interpreter_under_the_working_directory_is_shown_from_it(
        index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As uv shows paths: from the working directory when inside it."""
    assert pyffin("venv", tmp_path / "env", "--python", sys.executable).returncode == 0
    monkeypatch.chdir(tmp_path)
    result = pyffin("pip", "install", "--target", "layer", "--python", "env/bin/python", "lib",
                    "--index-url", index.index_url, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    first = result.stderr.splitlines()[0]
    assert first.startswith("Using CPython ") and first.endswith(
        " interpreter at: env/bin/python"), first


def test_a_target_install_runs_with_pythonpath_set_to_the_directory(index: IndexServer,
                                                                    tmp_path: Path) -> None:
    target = tmp_path / "lambda" / "layer"  # made, parents too
    result = run("install", index, tmp_path, "--target", target, "app")
    assert result.returncode == 0, result
    assert result.stderr.startswith("Using CPython ")
    assert f" interpreter at: {sys.executable}\n" in result.stderr.splitlines(True)[0]
    assert result.stderr.endswith(" + app==1.0\n + lib==1.0\n")
    assert execute(target / "bin" / "app", pythonpath=target) == "app 1\n"
    assert execute(target / "bin" / "lib-tool", pythonpath=target) == "tool 1\n"
    assert execute(sys.executable, "-c", "import app, lib; print(lib.VALUE)",
                   pythonpath=target) == "1\n"
    # Scripts run the interpreter that was found, as uv's.
    assert (target / "bin" / "app").read_text().startswith(f"#!{sys.executable}\n")
    assert files(target) >= {
        "app/__init__.py", "lib/__init__.py", "app-1.0.dist-info/RECORD", "bin/app",
        "bin/lib-tool", "share/lib/lib.conf", "include/lib/lib.h", ".lock"}
    record = (target / "app-1.0.dist-info" / "RECORD").read_text()
    assert "bin/app" in [line.rsplit(",", 2)[0] for line in record.splitlines()]


def test_freeze_list_show_uninstall_and_sync_on_a_target(index: IndexServer,
                                                         tmp_path: Path) -> None:
    target = tmp_path / "target"
    assert run("install", index, tmp_path, "-t", target, "app", "other").returncode == 0
    assert inspect("freeze", "--target", target).stdout == "app==1.0\nlib==1.0\nother==1.0\n"
    listed = inspect("list", "--target", target)
    assert listed.stdout.splitlines()[2:] == ["app     1.0", "lib     1.0", "other   1.0"]
    shown = inspect("show", "--target", target, "app")
    assert f"Location: {target}\n" in shown.stdout
    # The interpreter's own environment is not what is read.
    assert "app==" not in inspect("freeze").stdout

    removed = inspect("uninstall", "--target", target, "other")
    assert removed.returncode == 0, removed
    assert removed.stderr.endswith(" - other==1.0\n")
    assert not (target / "other").exists()

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    synced = run("sync", index, tmp_path, "--target", target, requirements)
    assert synced.returncode == 0, synced
    assert synced.stderr.endswith(" - app==1.0\n")
    assert not (target / "bin" / "app").exists()
    assert inspect("freeze", "--target", target).stdout == "lib==1.0\n"
    again = run("install", index, tmp_path, "--target", target, "lib")
    assert "Checked 1 package in " in again.stderr


def test_a_sync_of_a_target_keeps_its_seed_packages_whatever_made_the_interpreter(
        index: IndexServer, tmp_path: Path) -> None:
    # The directory is judged by itself (it has no pyvenv.cfg: seeds kept, as uv), not by
    # the environment of the interpreter (here one pyffin made without --seed).
    index.add_wheel(WheelSpec("pip", "1.0"))
    bare = tmp_path / "bare"
    assert pyffin("venv", bare, "--python", sys.executable).returncode == 0
    target = tmp_path / "target"

    def with_bare(command: str, *args: str | Path) -> Result:
        return pyffin("pip", command, *args, "--python", bare / "bin" / "python",
                      "--index-url", index.index_url, "--cache-dir", tmp_path / "cache")

    assert with_bare("install", "-t", target, "pip", "other").returncode == 0
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    assert with_bare("sync", "--target", target, requirements).returncode == 0
    assert inspect("freeze", "--target", target).stdout == "lib==1.0\npip==1.0\n"


def test_reading_a_missing_target_lists_nothing_and_makes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = inspect("freeze", "--target", missing)
    assert (result.returncode, result.stdout) == (0, "")
    uninstalled = inspect("uninstall", "--target", missing, "app")
    assert uninstalled.returncode == 0
    assert "Skipping app as it is not installed" in uninstalled.stderr
    assert not missing.exists()


def test_a_target_reached_through_a_link_to_a_directory_is_followed(index: IndexServer,
                                                                    tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert run("install", index, tmp_path, "--target", tmp_path / "link", "lib").returncode == 0
    assert (real / "lib" / "__init__.py").is_file()


# ------------------------------------------------------------------------------- --prefix
def test_a_prefix_install_is_laid_out_as_a_virtual_environment(index: IndexServer,
                                                               tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    result = run("install", index, tmp_path, "--prefix", prefix, "app")
    assert result.returncode == 0, result
    site = prefix / PREFIX_SITE
    assert (site / "app" / "__init__.py").is_file()
    assert execute(prefix / "bin" / "app", pythonpath=site) == "app 1\n"
    assert execute(sys.executable, "-c", "import app", pythonpath=site) == ""
    assert (prefix / "share" / "lib" / "lib.conf").is_file()
    assert list((prefix / "include" / "site").glob("python3.*/lib/lib.h"))
    assert "../../../bin/app" in [line.rsplit(",", 2)[0] for line in
                                  (site / "app-1.0.dist-info" / "RECORD").read_text().splitlines()]
    assert (prefix / ".lock").exists()

    assert inspect("freeze", "--prefix", prefix).stdout == "app==1.0\nlib==1.0\n"
    assert "app     1.0" in inspect("list", "--prefix", prefix).stdout
    removed = inspect("uninstall", "--prefix", prefix, "app", "lib")
    assert removed.returncode == 0, removed
    assert not (prefix / "bin" / "app").exists()
    assert not (site / "app").exists()
    assert inspect("freeze", "--prefix", prefix).stdout == ""


# -------------------------------------------------------------------- another target machine
@pytest.fixture
def native(index_server: IndexServer) -> IndexServer:
    """``native`` 1.0 with a wheel for each of three platforms, saying which it is."""
    for tag, platform in (("cp312-cp312-manylinux_2_17_x86_64", "linux"),
                          ("cp312-cp312-macosx_11_0_arm64", "mac"),
                          ("cp312-cp312-win_amd64", "windows")):
        index_server.add_wheel(WheelSpec(
            "native", "1.0", tags=[tag], root_is_purelib=False,
            files={"native/__init__.py": f"PLATFORM = {platform!r}\n"}))
    return index_server


@pytest.mark.parametrize(("platform", "expected"), [
    ("windows", "windows"), ("aarch64-apple-darwin", "mac"), ("x86_64-manylinux_2_28", "linux")])
def test_python_platform_chooses_that_platforms_wheels(native: IndexServer, tmp_path: Path,
                                                       platform: str, expected: str) -> None:
    target = tmp_path / "target"
    result = run("install", native, tmp_path, "--target", target, "native",
                 "--python-version", "3.12", "--python-platform", platform)
    assert result.returncode == 0, result
    assert (target / "native" / "__init__.py").read_text() == f"PLATFORM = {expected!r}\n"


def test_python_version_alone_keeps_this_platform(native: IndexServer, tmp_path: Path) -> None:
    target = tmp_path / "target"
    if sysconfig.get_platform() != "linux-x86_64":
        pytest.skip("the fixture's wheels are for x86_64 Linux, macOS arm64 and Windows")
    result = run("install", native, tmp_path, "--target", target, "--python-version", "3.12",
                 "native")
    assert result.returncode == 0, result
    assert (target / "native" / "__init__.py").read_text() == "PLATFORM = 'linux'\n"


def test_without_a_target_version_another_pythons_wheels_are_refused(native: IndexServer,
                                                                    tmp_path: Path) -> None:
    if sys.version_info[:2] == (3, 12):
        pytest.skip("the fixture's wheels are for this Python")
    target = tmp_path / "target"
    result = run("install", native, tmp_path, "--target", target, "native")
    assert result.returncode == 1
    assert "cp312" in result.stderr
    assert not target.exists()  # made for the install, removed when it failed


#: An in-tree PEP 517 backend that builds a wheel tagged for the interpreter running it, as one
#: compiling an extension would.
NATIVE_BACKEND = """\
import base64, hashlib, os, sys, sysconfig, zipfile

NAME, VERSION = "compiled", "1.0"
METADATA = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"


def _tag():
    python = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    return f"{python}-{python}-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")


def prepare_metadata_for_build_wheel(directory, config_settings=None):
    info = os.path.join(directory, f"{NAME}-{VERSION}.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write(METADATA)
    return os.path.basename(info)


def build_wheel(directory, config_settings=None, metadata_directory=None):
    info = f"{NAME}-{VERSION}.dist-info"
    files = {f"{NAME}/__init__.py": "NATIVE = True\\n", f"{info}/METADATA": METADATA,
             f"{info}/WHEEL": f"Wheel-Version: 1.0\\nRoot-Is-Purelib: false\\nTag: {_tag()}\\n"}
    record = []
    filename = f"{NAME}-{VERSION}-{_tag()}.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as wheel:
        for name, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
            wheel.writestr(name, data)
        wheel.writestr(f"{info}/RECORD", "\\n".join([*record, f"{info}/RECORD,,"]) + "\\n")
    return filename
"""


def native_sdist(directory: Path) -> Path:
    """``compiled-1.0.tar.gz``, whose wheel is tagged for the interpreter that builds it."""
    import io
    import tarfile

    members = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "native_backend"\n'
                          'backend-path = ["."]\n',
        "native_backend.py": NATIVE_BACKEND,
        "PKG-INFO": "Metadata-Version: 2.1\nName: compiled\nVersion: 1.0\n",
    }
    path = directory / "compiled-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"compiled-1.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_source_distribution_builds_for_another_platform_only_if_its_wheel_fits(
        index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_sdist(SdistSpec("pure", "1.0"))
    index_server.add_file(native_sdist(tmp_path))
    target = tmp_path / "target"
    pure = run("install", index_server, tmp_path, "--target", target, "pure",
               "--python-platform", "windows")
    assert pure.returncode == 0, pure
    assert (target / "pure" / "__init__.py").is_file()

    compiled = run("install", index_server, tmp_path, "--target", target, "compiled",
                   "--python-platform", "windows")
    assert compiled.returncode == 2, compiled
    assert "error: the wheel built from compiled 1.0 (tags: cp3" in compiled.stderr
    assert "does not fit the target, Python 3." in compiled.stderr
    assert " on windows" in compiled.stderr
    assert "--only-binary" in compiled.stderr
    assert not (target / "compiled").exists()
    assert inspect("freeze", "--target", target).stdout == "pure==1.0\n"

    here = run("install", index_server, tmp_path, "--target", target, "compiled")
    assert here.returncode == 0, here  # for this interpreter it fits


# --------------------------------------------------------------------------------- errors
def test_a_target_that_is_not_a_directory_is_refused(index: IndexServer, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "to-file").symlink_to(afile)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib\n")
    cases = {
        afile: "it is a file, not a directory",
        Path("/dev/null"): "it is a device, not a directory",
        tmp_path / "dangling": f"it is a symbolic link to {tmp_path / 'nowhere'}, which does "
                               "not exist",
        tmp_path / "to-file": f"it is a symbolic link to {afile}, which is a file, not a "
                              "directory",
        afile / "below": f"cannot be made, {afile} is not a directory",
    }
    for path, message in cases.items():
        for command in ("install", "sync"):
            option = "--target" if command == "install" else "--prefix"
            result = run(command, index, tmp_path, option, path,
                         "lib" if command == "install" else requirements)
            assert result.returncode == 2, result
            assert f"error: {option} {path}: {message}" in result.stderr
    freeze = inspect("freeze", "--target", afile)
    assert freeze.returncode == 2
    assert "it is a file, not a directory" in freeze.stderr
    assert afile.read_text() == "mine\n"
    assert not (tmp_path / "nowhere").exists()


def test_target_and_prefix_together_are_a_usage_error(index: IndexServer,
                                                      tmp_path: Path) -> None:
    result = run("install", index, tmp_path, "--target", tmp_path / "t", "--prefix",
                 tmp_path / "p", "lib")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr
    assert not (tmp_path / "t").exists()


def test_a_failed_install_leaves_an_existing_target_as_it_was(index: IndexServer,
                                                              tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    result = run("install", index, tmp_path, "--target", target, "nothere")
    assert result.returncode == 1
    assert target.is_dir()
    fresh = tmp_path / "fresh"
    assert run("install", index, tmp_path, "--target", fresh, "nothere").returncode == 1
    assert not fresh.exists()


def test_the_target_comes_from_the_environment_too(index: IndexServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "target"
    monkeypatch.setenv("PYFFIN_TARGET", str(target))
    assert run("install", index, tmp_path, "lib").returncode == 0
    assert (target / "lib" / "__init__.py").is_file()
    assert inspect("freeze").stdout == "lib==1.0\n"


def test_an_install_waits_for_the_lock_of_its_target_directory(index: IndexServer,
                                                               tmp_path: Path) -> None:
    from pyffin.cache import FileLock
    from tests.support.cli import spawn

    target = tmp_path / "target"
    target.mkdir()
    lock = FileLock(target / ".lock", "the test").acquire()
    try:
        proc = spawn(["pip", "install", "lib", "--target", target, "--python", sys.executable,
                      "--index-url", index.index_url, "--cache-dir", tmp_path / "cache"])
        assert proc.stderr is not None
        seen = ""
        while "Waiting for another pyffin process" not in seen:
            line = proc.stderr.readline()
            assert line, seen
            seen += line
        assert f"release the --target directory {target} " in seen
        assert not (target / "lib").exists()
    finally:
        lock.release()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert (target / "lib" / "__init__.py").is_file()


def test_a_dry_run_makes_no_target_directory(index: IndexServer, tmp_path: Path) -> None:
    target = tmp_path / "target"
    result = run("install", index, tmp_path, "--target", target, "app", "--dry-run")
    assert result.returncode == 0, result
    assert "Would install 2 packages" in result.stderr
    assert not target.exists()


def test_sync_for_another_platform(native: IndexServer, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("native==1.0\n")
    prefix = tmp_path / "prefix"
    result = run("sync", native, tmp_path, "--prefix", prefix, requirements,
                 "--python-version", "3.12", "--python-platform", "aarch64-apple-darwin")
    assert result.returncode == 0, result
    # Laid out for the interpreter found, as uv does (its venv layout).
    module = prefix / PREFIX_SITE / "native" / "__init__.py"
    assert module.read_text() == "PLATFORM = 'mac'\n"


def test_python_version_without_python_uses_an_interpreter_of_that_version(
        index: IndexServer, tmp_path: Path) -> None:
    from tests.interpreter.conftest import pyenv_python

    other = "3.12" if sys.version_info[:2] != (3, 12) else "3.11"
    if pyenv_python(other) is None:
        pytest.skip(f"no Python {other} installed by pyenv here")
    target = tmp_path / "target"
    result = pyffin("pip", "install", "app", "--target", target, "--python-version", other,
                    "--index-url", index.index_url, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    assert result.stderr.startswith(f"Using CPython {other}.")
    shebang = (target / "bin" / "app").read_text().splitlines()[0]
    version = subprocess.run([shebang[2:], "-c", "import sys; print(sys.version[:4])"],
                             capture_output=True, text=True, check=True).stdout
    assert version == f"{other}\n"
    assert execute(target / "bin" / "app", pythonpath=target) == "app 1\n"
