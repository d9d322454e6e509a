from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pyffin.interpreter import Interpreter
from pyffin.venv import create

#: A directory name that needs quoting in every shell.
AWKWARD = "my env's $HOME!"


def _shell(*argv: str, env: dict[str, str]) -> list[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"/usr/bin{os.pathsep}/bin", "HOME": str(tmp_path),
            "PYTHONHOME": "/some/where", "TERM": "dumb"}


def _require(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed")
    return path


@pytest.fixture
def venv(tmp_path: Path, interpreter: Interpreter) -> Path:
    return create(tmp_path / AWKWARD, interpreter, prompt="demo")


POSIX_SCRIPT = """
set -u
PS1='$ '
source "$1/bin/activate"
echo "$VIRTUAL_ENV"
echo "$PATH"
echo "$PS1"
echo "${PYTHONHOME-unset}"
command -v python
deactivate
echo "$PATH"
echo "$PS1"
echo "${PYTHONHOME-unset} ${VIRTUAL_ENV-unset} ${VIRTUAL_ENV_PROMPT-unset}"
command -v deactivate || echo "no deactivate"
"""


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_bash_and_zsh(venv: Path, tmp_path: Path, shell: str) -> None:
    env = _env(tmp_path)
    lines = _shell(_require(shell), "-c", POSIX_SCRIPT, "activate-test", str(venv), env=env)
    assert lines == [
        str(venv),
        f"{venv}/bin:{env['PATH']}",
        "(demo) $ ",
        "unset",
        f"{venv}/bin/python",
        env["PATH"],
        "$ ",
        "/some/where unset unset",
        "no deactivate",
    ]


def test_activating_another_environment_leaves_the_first(venv: Path, tmp_path: Path,
                                                         interpreter: Interpreter) -> None:
    other = create(tmp_path / "other", interpreter)
    env = _env(tmp_path)
    lines = _shell(_require("bash"), "-c",
                   'source "$1/bin/activate"; source "$2/bin/activate"; echo "$PATH"; '
                   'echo "$PS1"; deactivate; echo "$PATH"',
                   "activate-test", str(venv), str(other), env=env)
    assert lines == [f"{other}/bin:{env['PATH']}", "(other) ", env["PATH"]]


def test_the_script_refuses_to_run_instead_of_being_sourced(venv: Path, tmp_path: Path) -> None:
    proc = subprocess.run([_require("bash"), str(venv / "bin" / "activate")],
                          capture_output=True, text=True, env=_env(tmp_path))
    assert proc.returncode == 33
    assert "must be sourced" in proc.stderr


def test_fish(venv: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    script = (
        'source "$argv[1]/bin/activate.fish"; echo $VIRTUAL_ENV; echo $PATH[1]; '
        'echo $VIRTUAL_ENV_PROMPT; set -q PYTHONHOME; and echo home; or echo no home; '
        'command -s python; deactivate; echo (string join : $PATH); echo $PYTHONHOME; '
        'set -q VIRTUAL_ENV; and echo active; or echo inactive; '
        'functions -q deactivate; and echo deactivate; or echo no deactivate'
    )
    lines = _shell(_require("fish"), "--no-config", "-c", script, str(venv), env=env)
    assert lines == [str(venv), f"{venv}/bin", "demo", "no home", f"{venv}/bin/python",
                     env["PATH"], "/some/where", "inactive", "no deactivate"]


def test_csh(venv: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    # csh expands aliases line by line, so the steps go in a script, one per line.
    script = tmp_path / "test.csh"
    quoted = "'" + f"{venv}/bin/activate.csh".replace("'", "'\\''").replace("!", "\\!") + "'"
    script.write_text(
        f"source {quoted}\n"
        "printenv VIRTUAL_ENV\nprintenv PATH\nprintenv VIRTUAL_ENV_PROMPT\n"
        "printenv PYTHONHOME || echo no home\nwhich python\n"
        "deactivate\n"
        "printenv PATH\nprintenv PYTHONHOME\nprintenv VIRTUAL_ENV || echo inactive\n"
    )
    lines = _shell(_require("tcsh" if shutil.which("tcsh") else "csh"), "-f", str(script),
                   env=env)
    assert lines == [str(venv), f"{venv}/bin:{env['PATH']}", "demo", "no home",
                     f"{venv}/bin/python", env["PATH"], "/some/where", "inactive"]


def test_powershell(venv: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    script = (
        f". '{venv}/bin/activate.ps1'; $env:VIRTUAL_ENV; $env:PATH; "
        "if ($env:PYTHONHOME) { 'home' } else { 'no home' }; deactivate; $env:PATH; "
        "$env:PYTHONHOME; if ($env:VIRTUAL_ENV) { 'active' } else { 'inactive' }"
    )
    lines = _shell(_require("pwsh"), "-NoProfile", "-NonInteractive", "-Command", script,
                   env=env)
    assert lines == [str(venv), f"{venv}/bin:{env['PATH']}", "no home", env["PATH"],
                     "/some/where", "inactive"]
