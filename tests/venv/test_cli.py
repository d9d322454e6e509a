from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pyffin.interpreter import Interpreter
from tests.support.cli import pyffin
from tests.support.index import IndexServer


@pytest.fixture(autouse=True)
def _shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHELL", "/bin/bash")


def test_creates_an_environment_and_says_how_to_activate_it(
    tmp_path: Path, cache_dir: Path, interpreter: Interpreter
) -> None:
    target = tmp_path / "env"
    result = pyffin("venv", target, "--python", sys.executable, cache_dir=cache_dir)
    assert result.returncode == 0, result
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Using CPython {interpreter.version_str} interpreter at: {interpreter.sys_executable}",
        f"Creating virtual environment at: {target}",
        f"Activate with: source {target}/bin/activate",
    ]
    assert (target / "pyvenv.cfg").is_file()


def test_the_default_path_is_dot_venv_and_prompt_dot_is_the_directory_name(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "my project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("SHELL", "/usr/bin/fish")
    result = pyffin("venv", "-p", sys.executable, "--prompt", ".", cache_dir=cache_dir)
    assert result.returncode == 0, result
    assert result.stderr.splitlines()[1:] == [
        "Creating virtual environment at: .venv",
        "Activate with: source .venv/bin/activate.fish",
    ]
    assert "prompt = my project\n" in (project / ".venv" / "pyvenv.cfg").read_text()


def test_paths_that_need_quoting_are_quoted(tmp_path: Path, cache_dir: Path) -> None:
    target = tmp_path / "it's here"
    result = pyffin("venv", target, "-p", sys.executable, cache_dir=cache_dir)
    assert result.returncode == 0, result
    assert result.stderr.splitlines()[-1] == (
        "Activate with: source '" + str(target).replace("'", "'\"'\"'") + "/bin/activate'")


def test_system_site_packages_flag(tmp_path: Path, cache_dir: Path) -> None:
    result = pyffin("venv", tmp_path / "env", "-p", sys.executable, "--system-site-packages",
                    cache_dir=cache_dir)
    assert result.returncode == 0, result
    assert "include-system-site-packages = true\n" in (
        tmp_path / "env" / "pyvenv.cfg").read_text()


@pytest.mark.parametrize("flags", [[], ["--clear"], ["--allow-existing"]])
def test_a_directory_that_is_not_an_environment_is_refused(
        tmp_path: Path, cache_dir: Path, flags: list[str]) -> None:
    target = tmp_path / "src"
    target.mkdir()
    (target / "main.py").write_text("")
    result = pyffin("venv", target, "-p", sys.executable, *flags, cache_dir=cache_dir)
    assert result.returncode == 2
    action = "clear" if flags == ["--clear"] else "write into"
    assert result.stderr.splitlines()[-2:] == [
        f"error: The directory {target} exists and is not a virtual environment: pyffin does "
        f"not {action} it",
        "hint: --clear and --allow-existing apply only to a virtual environment (a directory "
        "with pyvenv.cfg); choose another path, or empty it first, or pass --clear --force to "
        "remove it anyway"]
    assert sorted(p.name for p in target.iterdir()) == ["main.py"]
    # Only both together, as uv's: the user asks, in so many words, to remove it.
    forced = pyffin("venv", target, "-p", sys.executable, "--force", cache_dir=cache_dir)
    assert forced.returncode == 2 and (target / "main.py").exists()
    forced = pyffin("venv", target, "-p", sys.executable, "--clear", "--force",
                    cache_dir=cache_dir)
    assert forced.returncode == 0, forced
    assert not (target / "main.py").exists() and (target / "pyvenv.cfg").is_file()


def test_an_existing_environment_needs_clear_or_allow_existing(
        tmp_path: Path, cache_dir: Path) -> None:
    target = tmp_path / "env"
    assert pyffin("venv", target, "-p", sys.executable, cache_dir=cache_dir).returncode == 0
    (target / "kept").write_text("")
    result = pyffin("venv", target, "-p", sys.executable, cache_dir=cache_dir)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-2:] == [
        f"error: A virtual environment already exists at {target}",
        "hint: pass --clear to replace it, or --allow-existing to update it in place "
        "(installed packages stay)"]
    assert (target / "kept").exists()
    both = pyffin("venv", target, "-p", sys.executable, "--clear", "--allow-existing",
                  cache_dir=cache_dir)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    updated = pyffin("venv", target, "-p", sys.executable, "--allow-existing",
                     cache_dir=cache_dir)
    assert updated.returncode == 0, updated
    assert (target / "kept").exists()
    cleared = pyffin("venv", target, "-p", sys.executable, "--clear", cache_dir=cache_dir)
    assert cleared.returncode == 0, cleared
    assert not (target / "kept").exists() and (target / "pyvenv.cfg").is_file()


@pytest.mark.parametrize("version", ["current", "3.11", "3.12"])
def test_seed_installs_pip_and_before_3_12_setuptools_and_wheel_with_pyffin(
        tmp_path: Path, cache_dir: Path, index_server: IndexServer, version: str) -> None:
    # As uv 0.13.9: pip, setuptools and wheel for 3.11; pip alone for 3.12 and later.
    import subprocess

    from tests.interpreter.conftest import pyenv_python
    from tests.support.dists import WheelSpec
    from tests.support.wheels import bundled_wheels

    python = sys.executable if version == "current" else pyenv_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    for wheel in bundled_wheels():  # the pip and setuptools wheels ensurepip carries
        index_server.add_file(wheel)
    index_server.add_wheel(WheelSpec("wheel", "0.45.0"))
    env = tmp_path / "env"
    result = pyffin("venv", env, "--seed", "--python", python, "--index-url",
                    index_server.index_url, cache_dir=cache_dir)
    assert result.returncode == 0, result
    listed = subprocess.run([env / "bin" / "python", "-m", "pip", "list", "--format", "freeze"],
                            capture_output=True, text=True, check=True).stdout
    names = {line.split("==")[0] for line in listed.split()}
    major_minor = subprocess.run([env / "bin" / "python", "-c",
                                  "import sys; print(sys.version_info[:2] < (3, 12))"],
                                 capture_output=True, text=True, check=True).stdout
    old = major_minor.strip() == "True"
    assert names == ({"pip", "setuptools", "wheel"} if old else {"pip"}), listed
    assert (" + wheel==0.45.0" in result.stderr) == old
    # uv's lines: what was installed, not the install's own summary.
    lines = result.stderr.splitlines()
    assert lines[1] == f"Creating virtual environment with seed packages at: {env}", result
    assert all(line.startswith(" + ") for line in lines[2:-1]), result
    assert lines[-1].startswith("Activate with: "), result


def test_an_unknown_interpreter_is_an_error(tmp_path: Path, cache_dir: Path) -> None:
    result = pyffin("venv", tmp_path / "env", "-p", tmp_path / "nope" / "python",
                    cache_dir=cache_dir)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: No interpreter found at {tmp_path / 'nope' / 'python'}: no such file or "
        "directory\n")


def test_venv_is_listed_in_the_help() -> None:
    result = pyffin("--help")
    assert "venv" in result.stdout + result.stderr
    assert "Create a virtual environment" in result.stdout + result.stderr


def test_relocatable_environments_run_their_scripts_once_moved(
        tmp_path: Path, cache_dir: Path, index_server: IndexServer) -> None:
    import shutil
    import subprocess

    from tests.support.dists import WheelSpec

    index_server.add_wheel(WheelSpec(
        "tool", "1.0",
        files={"tool/__init__.py": "import sys\ndef main():\n    print(sys.prefix)\n"},
        entry_points={"console_scripts": {"tool": "tool:main"}},
        data={"scripts": {"raw-tool": "#!python\nimport sys\nprint(sys.prefix)\n"}}))
    env = tmp_path / "env"
    result = pyffin("venv", env, "--relocatable", "--python", sys.executable,
                    cache_dir=cache_dir)
    assert result.returncode == 0, result
    installed = pyffin("pip", "install", "tool", "--python", env / "bin" / "python",
                       "--index-url", index_server.index_url, cache_dir=cache_dir)
    assert installed.returncode == 0, installed
    moved = Path(shutil.move(env, tmp_path / "moved here"))
    for script in ("tool", "raw-tool"):
        run = subprocess.run([moved / "bin" / script], capture_output=True, text=True,
                             timeout=60)
        assert run.stdout == f"{moved}\n", run.stderr
