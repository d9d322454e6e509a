"""Which environment ``pyffin pip install|sync|uninstall`` changes, and how: a system
interpreter only when asked (``--system``, PEP 668's ``--break-system-packages``), said on
stderr as uv says it, under the environment's own lock, sweeping what killed installs left.

A "system interpreter" here is a throwaway: a venv of this machine's Python in the test's
directory whose probe is made to report it as a base interpreter, so no test can ever write
into a real interpreter, even on code that wrongly accepts it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyffin.interpreter import Interpreter, discovery
from pyffin.records import replace
from tests.support.cli import Result, child_env, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

VERSION = "{}.{}".format(*sys.version_info[:2])
FULL_VERSION = "{}.{}.{}".format(*sys.version_info[:3])


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("lib", "1.0", files={"lib/__init__.py": "VALUE = 1\n"}))
    index_server.add_wheel(WheelSpec("lib", "2.0", files={"lib/__init__.py": "VALUE = 2\n"}))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    index_server.add_wheel(WheelSpec(
        "evil", "1.0", files={"evil/__init__.py": "def main(): pass\n"},
        entry_points={"console_scripts": {f"python{VERSION}": "evil:main"}}))
    return index_server


def make_venv(path: Path, cache: Path) -> Path:
    result = pyffin("venv", path, "--python", sys.executable, "--cache-dir", cache)
    assert result.returncode == 0, result
    return path


class FakeSystem:
    """A throwaway "system" interpreter: the venv at ``root``, which discovery is told is a
    base interpreter. Everything else stays true (its prefix and install scheme are the
    venv's), so whatever code wrongly installs into it writes below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.externally_managed: str | None = None

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python3"

    def patch(self, real: Callable[..., Interpreter]) -> Callable[..., Interpreter]:
        def interpreter_at(executable: str | os.PathLike[str], **kwargs: Any) -> Interpreter:
            interpreter = real(executable, **kwargs)
            if Path(executable).parent.parent != self.root:
                return interpreter
            scheme = interpreter.scheme
            # Never let a test near a real interpreter's files.
            assert all(Path(p).is_relative_to(self.root) for p in (
                scheme.purelib, scheme.platlib, scheme.scripts, scheme.data)), scheme
            return replace(interpreter, is_venv=False, base_prefix=self.root,
                           base_exec_prefix=self.root,
                           externally_managed=self.externally_managed)
        return interpreter_at


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSystem:
    fake = FakeSystem(make_venv(tmp_path / "usr", tmp_path / "venv-cache"))
    monkeypatch.setattr(discovery, "interpreter_at", fake.patch(discovery.interpreter_at))
    monkeypatch.setenv("PATH", str(fake.root / "bin"))
    return fake


def pip(command: str, index: IndexServer, cache: Path, *args: str | Path) -> Result:
    where = ["--index-url", index.index_url] if command != "uninstall" else []
    return pyffin("pip", command, *args, *where, "--cache-dir", cache)


def freeze(root: Path) -> str:
    return pyffin("pip", "freeze", "--python", root / "bin" / "python3").stdout


def site_packages(root: Path) -> Path:
    [path] = (root / "lib").glob("python3.*/site-packages")
    return path


# ----------------------------------------------------------------------- system interpreters
def test_a_version_request_does_not_install_into_a_system_interpreter(
        system: FakeSystem, index: IndexServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for command, args in (("install", ["lib"]), ("uninstall", ["lib"])):
        result = pip(command, index, cache, *args, "--python", VERSION)
        assert result.returncode == 2, result
        assert result.stderr == (
            f"error: No virtual environment found for Python {VERSION}; run `pyffin venv` to "
            "create an environment, or pass --system to install into a non-virtual "
            "environment\n")
    assert freeze(system.root) == ""

    result = pip("install", index, cache, "lib", "--python", system.python, "--system")
    assert result.returncode == 0, result
    assert result.stderr.startswith(
        f"Using Python {FULL_VERSION} environment at: {system.root}\n")
    assert freeze(system.root) == "lib==2.0\n"
    # An explicit path names the interpreter: used as given, as uv does.
    assert pip("uninstall", index, cache, "lib", "--python", system.python).returncode == 0
    assert freeze(system.root) == ""


def test_an_externally_managed_interpreter_also_needs_break_system_packages(
        system: FakeSystem, index: IndexServer, tmp_path: Path) -> None:
    system.externally_managed = "Use your distribution's packages."
    cache = tmp_path / "cache"
    for command in ("install", "uninstall"):
        refused = pip(command, index, cache, "lib", "--system", "--python", system.python)
        assert refused.returncode == 2
        assert refused.stderr.splitlines()[:3] == [
            f"Using Python {FULL_VERSION} environment at: {system.root}",
            f"error: The interpreter at {system.root} is externally managed, and indicates "
            "the following:", ""]
        assert "hint: pass --break-system-packages to install into it anyway" in refused.stderr
    assert freeze(system.root) == ""
    result = pip("install", index, cache, "lib", "--system", "--python", system.python,
                 "--break-system-packages")
    assert result.returncode == 0, result
    assert freeze(system.root) == "lib==2.0\n"


def test_a_target_directory_needs_no_virtual_environment_and_leaves_the_system_alone(
        system: FakeSystem, index: IndexServer, tmp_path: Path) -> None:
    # As uv: any interpreter does for --target / --prefix, and its PEP 668 marker does not
    # matter, since nothing of its own environment changes.
    system.externally_managed = "Use your distribution's packages."
    cache = tmp_path / "cache"
    for option in ("--target", "--prefix"):
        directory = tmp_path / option.strip("-")
        result = pip("install", index, cache, "lib", option, directory)
        assert result.returncode == 0, result
        assert result.stderr.startswith(
            f"Using CPython {FULL_VERSION} interpreter at: {system.python}\n")
        removed = pip("uninstall", index, cache, "lib", option, directory)
        assert removed.returncode == 0, removed
    assert freeze(system.root) == ""
    assert not (system.root / ".lock").exists()


# --------------------------------------------------------------------------- the message
def test_every_mutating_command_names_its_environment_unless_quiet(
        index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "work" / "env", cache)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    monkeypatch.chdir(tmp_path / "work")
    line = f"Using Python {FULL_VERSION} environment at: env"
    for command, args in (("install", ["lib==1.0"]), ("sync", [requirements]),
                          ("uninstall", ["lib"])):
        quiet = pip(command, index, cache, *args, "--python", "env", "-q")
        assert quiet.returncode == 0 and quiet.stderr == "", quiet
        result = pip(command, index, cache, *args, "--python", "env")
        assert result.returncode == 0, result
        assert result.stderr.splitlines()[0] == line, command
    # Outside the working directory the path is absolute.
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = pip("install", index, cache, "lib", "--python", env)
    assert result.stderr.splitlines()[0] == (
        f"Using Python {FULL_VERSION} environment at: {env}")


def test_every_reading_command_names_its_environment_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As uv 0.13.9 does for freeze, list, show, check and tree: on stderr, unless quiet or
    # the environment is ./.venv.
    cache = tmp_path / "cache"
    make_venv(tmp_path / "work" / "env", cache)
    make_venv(tmp_path / "work" / ".venv", cache)
    monkeypatch.chdir(tmp_path / "work")
    for command in (["freeze"], ["list"], ["show", "nothere"], ["check"], ["tree"]):
        status = 1 if command[0] == "show" else 0  # (nothing found to show)
        result = pyffin("pip", *command, "--python", "env", "--cache-dir", cache)
        assert result.returncode == status, result
        assert result.stderr.splitlines()[0] == (
            f"Using Python {FULL_VERSION} environment at: env"), command
        quiet = pyffin("pip", *command, "--python", "env", "-q", "--cache-dir", cache)
        assert quiet.returncode == status and "Using Python" not in quiet.stderr, quiet
        default = pyffin("pip", *command, "--cache-dir", cache)
        assert default.returncode == status and "Using Python" not in default.stderr, default


def test_a_removed_working_directory_shows_the_absolute_path(
        index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_venv(tmp_path / "env", tmp_path / "cache")
    (tmp_path / "gone").mkdir()
    monkeypatch.chdir(tmp_path / "gone")
    (tmp_path / "gone").rmdir()
    result = pip("uninstall", index, tmp_path / "cache", "lib", "--python", env / "bin" / "python")
    assert result.returncode == 0, result
    assert result.stderr.splitlines()[0] == f"Using Python {FULL_VERSION} environment at: {env}"


def test_the_default_dot_venv_is_not_announced(index: IndexServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_venv(tmp_path / ".venv", tmp_path / "cache")
    monkeypatch.chdir(tmp_path)
    result = pip("install", index, tmp_path / "cache", "lib")
    assert result.returncode == 0, result
    assert "Using Python" not in result.stderr


# ------------------------------------------------------------------------------ the lock
def test_the_environment_lock_is_dot_lock_in_the_venv_and_never_follows_a_link(
        index: IndexServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "env", cache)
    assert pip("install", index, cache, "lib", "--python", env).returncode == 0
    assert (env / ".lock").is_file()
    assert not [p for p in Path(os.environ["TMPDIR"]).iterdir() if "pyffin-env" in p.name]

    # A link planted where the lock goes (a shared environment, a hostile co-user): an error,
    # and the file it points to is neither created nor touched.
    (env / ".lock").unlink()
    victim = tmp_path / "victim"
    (env / ".lock").symlink_to(victim)
    result = pip("install", index, cache, "other", "--python", env)
    assert result.returncode == 2
    assert f"error: the lock file {env / '.lock'} is a symbolic link" in result.stderr
    assert not victim.exists()
    assert freeze(env) == "lib==2.0\n"


def test_a_system_interpreters_lock_is_in_the_cache(system: FakeSystem, index: IndexServer,
                                                    tmp_path: Path) -> None:
    from pyffin.cache import digest

    cache = tmp_path / "cache"
    assert pip("install", index, cache, "lib", "--system", "--python",
               system.python).returncode == 0
    key = digest(os.path.realpath(system.root))
    assert (cache / "interpreter-v0" / f"{key}.lock").is_file()
    assert not (system.root / ".lock").exists()  # a system prefix gets no new file


# --------------------------------------------------------------------------------- debris
def _plant_debris(env: Path) -> tuple[list[Path], list[Path]]:
    """Leftovers of killed installs (pyffin's names) and look-alikes that are not (kept)."""
    site = site_packages(env)
    ours = [
        site / ".lib-1.0.dist-info.tmp-0123456789ab",
        site / "lib-1.0.dist-info.pyffin-old-0123456789ab",
        site / ".pyffin-tmp-0123456789ab",
        site / "x.py.pyffin-tmp-0123456789ab",
        site / "easy-install.pth.pyffin-tmp-abcdef012345",
        env / "bin" / ".pyffin-tmp-0123456789ab",
        env / ".pyffin-tmp-0123456789ab",
    ]
    theirs = [
        site / ".lib-1.0.dist-info.tmp-mine",
        site / "notes.tmp-0123456789ab",
        site / "x.pyffin-tmp-0123",
        env / "bin" / "tool.tmp-0123456789ab",
    ]
    for path in ours[:2]:
        path.mkdir()
        (path / "METADATA").write_text("Name: lib\n")
    for path in ours[2:] + theirs:
        path.write_text("")
    return ours, theirs


@pytest.mark.parametrize("change", [True, False])
def test_the_next_command_removes_what_killed_installs_left(
        index: IndexServer, tmp_path: Path, change: bool) -> None:
    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "env", cache)
    assert pip("install", index, cache, "lib==1.0", "--python", env).returncode == 0
    ours, theirs = _plant_debris(env)
    # Every command that takes the environment's lock sweeps every scheme directory, a no-op
    # install too (site-packages as it lists what is installed, then the scripts directory
    # and the prefix).
    args = ["other"] if change else ["lib==1.0"]
    result = pip("install", index, cache, *args, "--python", env)
    assert result.returncode == 0, result
    assert not [p for p in ours if os.path.lexists(p)]
    assert all(p.exists() for p in theirs)
    assert freeze(env) == ("lib==1.0\nother==1.0\n" if change else "lib==1.0\n")


def test_a_no_op_sweeps_what_a_killed_install_left_beside_site_packages(
        index: IndexServer, tmp_path: Path) -> None:
    # A killed install's temporary file for a script or a data file is at the top of its
    # scheme directory (the scripts directory, the prefix): the next sync, which changes
    # nothing, removes it (the soak found one left after every later command was a no-op).
    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "env", cache)
    (tmp_path / "r.txt").write_text("lib==1.0\n")
    assert pip("sync", index, cache, tmp_path / "r.txt", "--python", env).returncode == 0
    left = [env / ".pyffin-tmp-0123456789ab", env / "bin" / ".pyffin-tmp-abcdef012345"]
    for path in left:
        path.write_text("")
    result = pip("sync", index, cache, tmp_path / "r.txt", "--python", env)
    assert result.returncode == 0 and "Checked 1 package" in result.stderr, result
    assert not [p for p in left if os.path.lexists(p)]


def test_a_dry_run_leaves_debris_alone(index: IndexServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "env", cache)
    ours, _ = _plant_debris(env)
    assert pip("install", index, cache, "lib", "--python", env, "--dry-run").returncode == 0
    assert all(os.path.lexists(p) for p in ours)


KILL_WHILE_REPLACING = """
import os, signal, sys
import pyffin.installer.link as link
real = link._replace_with
def replace_with(dst, create, tmp):
    create(tmp)
    os.kill(os.getpid(), signal.SIGKILL)
link._replace_with = replace_with
from pyffin.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_real_kill_while_replacing_a_file_leaves_debris_the_next_sync_removes(
        index: IndexServer, tmp_path: Path, make_wheel: Callable[..., Path]) -> None:
    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "env", cache)
    # `other` 2.0 ships a file `lib` 1.0 already installed: installing it replaces that file.
    index.add_wheel(WheelSpec("other", "2.0", files={"lib/__init__.py": "VALUE = 'other'\n"}))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    assert pip("sync", index, cache, requirements, "--python", env).returncode == 0
    requirements.write_text("lib==1.0\nother==2.0\n")
    args = ["pip", "sync", str(requirements), "--python", str(env), "--index-url",
            index.index_url, "--cache-dir", str(cache)]
    killed = subprocess.run([sys.executable, "-c", KILL_WHILE_REPLACING, *args],
                            capture_output=True, text=True, env=child_env())
    assert killed.returncode == -9, killed.stderr
    site = site_packages(env)
    leftovers = [p.name for p in site.iterdir() if "pyffin" in p.name or ".tmp-" in p.name]
    assert leftovers and all(p.startswith(".") for p in leftovers)
    assert not [p for p in (site / "lib").iterdir() if "pyffin" in p.name]  # at the top only

    result = pyffin(*args)
    assert result.returncode == 0, result
    assert not [p.name for p in site.iterdir() if "pyffin" in p.name or ".tmp-" in p.name]
    assert freeze(env) == "lib==1.0\nother==2.0\n"


# ------------------------------------------------------------------------ refused wheels
def test_a_wheel_with_a_script_named_like_the_interpreter_changes_nothing(
        index: IndexServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "env", cache)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    assert pip("sync", index, cache, requirements, "--python", env).returncode == 0
    python = os.readlink(env / "bin" / "python")
    # The sync would remove lib 1.0 for 2.0 and add evil: evil is refused before anything is
    # removed or linked.
    requirements.write_text("lib==2.0\nevil==1.0\n")
    result = pip("sync", index, cache, requirements, "--python", env)
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"error: cannot install evil 1.0: the entry point 'python{VERSION}' would replace the "
        "environment's own interpreter, activation script or configuration; refusing to "
        "install it\n")
    assert freeze(env) == "lib==1.0\n"
    assert os.readlink(env / "bin" / "python") == python
    assert (env / "bin" / f"python{VERSION}").is_symlink()


def test_syncs_that_waited_for_the_lock_plan_from_what_is_installed_then(
        index: IndexServer, tmp_path: Path) -> None:
    from pyffin.cache import FileLock
    from tests.support.cli import spawn

    cache = tmp_path / "cache"
    env = make_venv(tmp_path / "env", cache)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\nother==1.0\n")
    assert pip("sync", index, cache, requirements, "--python", env).returncode == 0
    requirements.write_text("lib==1.0\n")
    # Two syncs that both remove `other` queue behind a lock held here. Each must decide what
    # to remove once it holds the lock: the second then finds `other` gone already.
    lock = FileLock(env / ".lock", "the environment").acquire()
    try:
        procs = [spawn(["pip", "sync", requirements, "--python", env, "--index-url",
                        index.index_url, "--cache-dir", cache]) for _ in range(2)]
        for proc in procs:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            while line and "Waiting for another pyffin process" not in line:
                line = proc.stderr.readline()
            assert line, "the sync did not wait for the lock"
    finally:
        lock.release()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert freeze(env) == "lib==1.0\n"


# ------------------------------------------------------------------------ older Pythons
def test_an_environment_of_python_3_7_is_made_and_installed_into(
        index: IndexServer, tmp_path: Path) -> None:
    # The oldest Python supported (as uv): its venv, an install, its bytecode, an uninstall.
    from tests.interpreter.conftest import pyenv_python

    python37 = pyenv_python("3.7")
    if python37 is None:
        pytest.skip("no Python 3.7 installed by pyenv here")
    cache = tmp_path / "cache"
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", python37, "--cache-dir", cache).returncode == 0
    result = pip("install", index, cache, "lib", "--python", env, "--compile-bytecode")
    assert result.returncode == 0, result
    assert result.stderr.startswith("Using Python 3.7."), result
    site = env / "lib" / "python3.7" / "site-packages"
    assert (site / "lib" / "__pycache__" / "__init__.cpython-37.pyc").is_file()
    value = subprocess.run([env / "bin" / "python", "-c", "import lib; print(lib.VALUE)"],
                           capture_output=True, text=True, check=True).stdout
    assert value == "2\n"
    assert freeze(env) == "lib==2.0\n"
    assert pip("uninstall", index, cache, "lib", "--python", env).returncode == 0
    assert freeze(env) == ""
