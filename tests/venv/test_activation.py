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


# ----------------------------------------------------------------- nushell, xonsh, Python
NU_SCRIPT = """\
$env.PROMPT_COMMAND = {|| 'old> '}
$env.PYTHONHOME = '/some/where'
overlay use __ACTIVATE__
print $env.VIRTUAL_ENV
print ($env.PATH | first)
print $env.VIRTUAL_ENV_PROMPT
print (do $env.PROMPT_COMMAND)
print (which python | get path | first)
deactivate
print (do $env.PROMPT_COMMAND)
print ($env.PATH | first)
print ($env.VIRTUAL_ENV? | default unset)
"""


def _nu(venv: Path, tmp_path: Path) -> list[str]:
    from pyffin.venv.activation import _quote_nu

    script = tmp_path / "test.nu"
    # `overlay use` needs its path when the script is parsed: a literal.
    script.write_text(NU_SCRIPT.replace("__ACTIVATE__",
                                        _quote_nu(str(venv / "bin" / "activate.nu"))))
    return _shell(_require("nu"), "--no-config-file", str(script), env=_env(tmp_path))


def test_nushell(venv: Path, tmp_path: Path) -> None:
    assert _nu(venv, tmp_path) == [str(venv), f"{venv}/bin", "demo", "(demo) old> ",
                                   f"{venv}/bin/python", "old> ", "/usr/bin", "unset"]


def test_the_nushell_script_names_the_environment(venv: Path) -> None:
    text = (venv / "bin" / "activate.nu").read_text()
    # nushell's single quotes take no escapes: a path with one is a raw string.
    assert f"const virtual_env = r#'{venv}'#\n" in text
    assert "let prompt = 'demo'\n" in text
    assert "path join 'bin'" in text


XONSH_SCRIPT = """\
import sys
$PYTHONHOME = '/some/where'
source @(sys.argv[1] + "/bin/activate.xsh")
print($VIRTUAL_ENV)
print($PATH[0])
print($VIRTUAL_ENV_PROMPT)
print(${...}.get("PYTHONHOME", "no home"))
print($(which python).strip())
deactivate
print($PATH[0])
print(${...}.get("VIRTUAL_ENV", "unset"))
print(${...}.get("PYTHONHOME", "no home"))
print("deactivate" in aliases)
"""


def test_xonsh(tmp_path: Path, interpreter: Interpreter) -> None:
    # Not AWKWARD: xonsh expands $VARS inside the entries of $PATH, whoever put them there.
    venv = create(tmp_path / "my env's dir!", interpreter, prompt="demo")
    script = tmp_path / "test.xsh"
    script.write_text(XONSH_SCRIPT)
    lines = _shell(_require("xonsh"), "--no-rc", str(script), str(venv), env=_xonsh_env(tmp_path))
    assert lines == [str(venv), f"{venv}/bin", "demo", "no home", f"{venv}/bin/python",
                     "/usr/bin", "unset", "/some/where", "False"]


def _xonsh_env(tmp_path: Path) -> dict[str, str]:
    """xonsh is Python: a PYTHONHOME would break it before it starts (the script sets one)."""
    env = _env(tmp_path)
    del env["PYTHONHOME"]
    return env


class _XonshEnv(dict):  # type: ignore[type-arg]
    """Enough of xonsh's ``__xonsh__.env`` to run the script as plain Python."""


def test_the_xonsh_script_is_python_that_activates_and_deactivates(venv: Path) -> None:
    """Without xonsh: the script is plain Python (xonsh runs it as such), run here with
    stand-ins for xonsh's environment and aliases."""
    import types

    text = (venv / "bin" / "activate.xsh").read_text()
    env = _XonshEnv(PATH=["/usr/bin"], PYTHONHOME="/some/where")
    aliases: dict[str, object] = {}
    namespace = {"__xonsh__": types.SimpleNamespace(env=env), "aliases": aliases,
                 "__file__": str(venv / "bin" / "activate.xsh")}
    exec(compile(text, "activate.xsh", "exec"), namespace)
    assert env == {"PATH": [f"{venv}/bin", "/usr/bin"], "VIRTUAL_ENV": str(venv),
                   "VIRTUAL_ENV_PROMPT": "demo"}
    aliases["deactivate"]([])  # type: ignore[operator]
    assert env == {"PATH": ["/usr/bin"], "PYTHONHOME": "/some/where"}
    assert "deactivate" not in aliases


def test_activate_this_from_another_interpreter(venv: Path, interpreter: Interpreter) -> None:
    [site_packages] = (venv / "lib").glob("python3.*/site-packages")
    (site_packages / "only_in_the_env.py").write_text("HERE = True\n")
    code = (
        "import os, runpy, sys\n"
        f"runpy.run_path({str(venv / 'bin' / 'activate_this.py')!r})\n"
        "import only_in_the_env\n"
        "print(sys.prefix)\n"
        "print(os.environ['VIRTUAL_ENV'])\n"
        "print(os.environ['VIRTUAL_ENV_PROMPT'])\n"
        "print(os.environ['PATH'].split(os.pathsep)[0])\n"
        "print(os.path.realpath(sys.path[0]) == os.path.realpath(only_in_the_env.__file__)"
        "[:-len('/only_in_the_env.py')])\n"
    )
    lines = _shell(str(interpreter.base_executable), "-c", code,
                   env={"PATH": "/usr/bin", "HOME": "/nonexistent"})
    assert lines == [str(venv), str(venv), "demo", f"{venv}/bin", "True"]


def test_activate_this_needs_its_own_path(venv: Path) -> None:
    with pytest.raises(AssertionError, match="runpy.run_path"):
        exec((venv / "bin" / "activate_this.py").read_text(), {})


# ---------------------------------------------------------------------------- relocatable
@pytest.fixture
def moved(tmp_path: Path, interpreter: Interpreter) -> Path:
    """A relocatable environment, moved after it was made."""
    made = create(tmp_path / "made", interpreter, prompt="demo", relocatable=True)
    for script in (made / "bin").glob("activate*"):
        assert str(made) not in script.read_text(), script
    return Path(shutil.move(made, tmp_path / AWKWARD))


def test_relocatable_bash(moved: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    lines = _shell(_require("bash"), "-c", POSIX_SCRIPT, "activate-test", str(moved), env=env)
    assert lines == [str(moved), f"{moved}/bin:{env['PATH']}", "(demo) $ ", "unset",
                     f"{moved}/bin/python", env["PATH"], "$ ", "/some/where unset unset",
                     "no deactivate"]


def test_relocatable_sh_without_a_way_to_find_the_script_refuses(moved: Path,
                                                                  tmp_path: Path) -> None:
    proc = subprocess.run([_require("dash"), "-c", '. "$1/bin/activate"; echo "status $?"',
                           "test", str(moved)], capture_output=True, text=True,
                          env=_env(tmp_path))
    assert proc.stdout == "status 1\n"
    assert "set VIRTUAL_ENV" in proc.stderr


def test_relocatable_nushell(moved: Path, tmp_path: Path) -> None:
    assert _nu(moved, tmp_path) == [str(moved), f"{moved}/bin", "demo", "(demo) old> ",
                                    f"{moved}/bin/python", "old> ", "/usr/bin", "unset"]


def test_relocatable_xonsh_and_activate_this(tmp_path: Path, interpreter: Interpreter) -> None:
    made = create(tmp_path / "made", interpreter, prompt="demo", relocatable=True)
    moved = Path(shutil.move(made, tmp_path / "moved"))
    code = ("import os, runpy, sys\n"
            f"runpy.run_path({str(moved / 'bin' / 'activate_this.py')!r})\n"
            "print(sys.prefix)\n")
    assert _shell(str(interpreter.base_executable), "-c", code,
                  env={"PATH": "/usr/bin"}) == [str(moved)]
    import types

    env = _XonshEnv(PATH=["/usr/bin"])
    namespace = {"__xonsh__": types.SimpleNamespace(env=env), "aliases": {},
                 "__file__": str(moved / "bin" / "activate.xsh")}
    exec((moved / "bin" / "activate.xsh").read_text(), namespace)
    assert env["VIRTUAL_ENV"] == str(moved)
    xonsh = shutil.which("xonsh")
    if xonsh is not None:
        script = tmp_path / "test.xsh"
        script.write_text(XONSH_SCRIPT)
        lines = _shell(xonsh, "--no-rc", str(script), str(moved), env=_xonsh_env(tmp_path))
        assert lines[:2] == [str(moved), f"{moved}/bin"]
