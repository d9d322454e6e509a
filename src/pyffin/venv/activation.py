"""The activation scripts of a virtual environment, one per shell, written by pyffin.

Each sets ``VIRTUAL_ENV`` and ``VIRTUAL_ENV_PROMPT``, puts the environment's ``bin`` first on
``PATH``, unsets ``PYTHONHOME``, prefixes the prompt with ``(<prompt>)`` (unless
``VIRTUAL_ENV_DISABLE_PROMPT`` is set) and defines ``deactivate``, which puts everything back.
Saved values use the ``_OLD_VIRTUAL_*`` names every venv tool uses, so activating one
environment while another is active first leaves the other cleanly, whoever wrote its scripts.

Templates hold ``__VIRTUAL_ENV__`` and ``__VIRTUAL_PROMPT__``, replaced by literals quoted for
the shell, ``__BIN_NAME__``, and ``__LOCATE__`` / ``__SITE_PACKAGES__`` where a script needs them.

In a *relocatable* environment (``pyffin venv --relocatable``, as uv's) ``__VIRTUAL_ENV__`` is
instead an expression that finds the environment from the script's own location, so the
environment can be moved or copied elsewhere. csh cannot know where a sourced script is: a
relocatable environment has no ``activate.csh`` (as with uv). bash, zsh and ksh find it
(``BASH_SOURCE``, ``%x``, ``.sh.file``); other POSIX shells cannot, and refuse.

nushell's script is an overlay (``overlay use bin/activate.nu``; ``deactivate`` hides it, which
puts back everything it changed); it leaves ``PYTHONHOME`` alone. xonsh's (``source
bin/activate.xsh``) sets no prompt: xonsh's own shows the environment. ``activate_this.py``
(``runpy.run_path("bin/activate_this.py")``) activates the environment inside an interpreter
that is not its own, and always finds it from its own location.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyffin.records import record

_PLACEHOLDER_RE = re.compile("__(VIRTUAL_ENV|VIRTUAL_PROMPT|BIN_NAME|LOCATE|SITE_PACKAGES)__")

BASH = r"""# Activate this virtual environment from bash or zsh: `source bin/activate`.
# It must be sourced, not run. `deactivate` puts back what it changed.

if [ "${BASH_SOURCE-}" = "$0" ]; then
    echo "This script must be sourced, not run: source $0" >&2
    exit 33
fi

deactivate () {
    if [ -n "${_OLD_VIRTUAL_PATH+set}" ]; then
        PATH="$_OLD_VIRTUAL_PATH"
        export PATH
        unset _OLD_VIRTUAL_PATH
    fi
    if [ -n "${_OLD_VIRTUAL_PYTHONHOME+set}" ]; then
        PYTHONHOME="$_OLD_VIRTUAL_PYTHONHOME"
        export PYTHONHOME
        unset _OLD_VIRTUAL_PYTHONHOME
    fi
    if [ -n "${_OLD_VIRTUAL_PS1+set}" ]; then
        PS1="$_OLD_VIRTUAL_PS1"
        unset _OLD_VIRTUAL_PS1
    fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    # Forget where commands were found while the environment was active.
    hash -r 2>/dev/null
    if [ "${1-}" != "nondestructive" ]; then
        unset -f deactivate
    fi
}

# Leave any active environment first.
deactivate nondestructive
__LOCATE__
VIRTUAL_ENV=__VIRTUAL_ENV__
export VIRTUAL_ENV

_OLD_VIRTUAL_PATH="${PATH-}"
PATH="$VIRTUAL_ENV/__BIN_NAME__${PATH:+:$PATH}"
export PATH

VIRTUAL_ENV_PROMPT=__VIRTUAL_PROMPT__
export VIRTUAL_ENV_PROMPT

if [ -n "${PYTHONHOME+set}" ]; then
    _OLD_VIRTUAL_PYTHONHOME="$PYTHONHOME"
    unset PYTHONHOME
fi

if [ -z "${VIRTUAL_ENV_DISABLE_PROMPT-}" ]; then
    _OLD_VIRTUAL_PS1="${PS1-}"
    PS1="($VIRTUAL_ENV_PROMPT) ${PS1-}"
fi

hash -r 2>/dev/null
"""

FISH = r"""# Activate this virtual environment from fish: `source bin/activate.fish`.
# `deactivate` puts back what it changed.

function deactivate -d "Leave the virtual environment"
    if set -q _OLD_VIRTUAL_PATH
        set -gx PATH $_OLD_VIRTUAL_PATH
        set -e _OLD_VIRTUAL_PATH
    end
    if set -q _OLD_VIRTUAL_PYTHONHOME
        set -gx PYTHONHOME $_OLD_VIRTUAL_PYTHONHOME
        set -e _OLD_VIRTUAL_PYTHONHOME
    end
    if set -q _OLD_FISH_PROMPT_OVERRIDE
        set -e _OLD_FISH_PROMPT_OVERRIDE
        functions -e fish_prompt
        if functions -q _old_fish_prompt
            functions -c _old_fish_prompt fish_prompt
            functions -e _old_fish_prompt
        end
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    if test "$argv[1]" != nondestructive
        functions -e deactivate
    end
end

# Leave any active environment first.
deactivate nondestructive

set -gx VIRTUAL_ENV __VIRTUAL_ENV__
set -g _OLD_VIRTUAL_PATH $PATH
set -gx PATH "$VIRTUAL_ENV/__BIN_NAME__" $PATH
set -gx VIRTUAL_ENV_PROMPT __VIRTUAL_PROMPT__

if set -q PYTHONHOME
    set -g _OLD_VIRTUAL_PYTHONHOME $PYTHONHOME
    set -e PYTHONHOME
end

if test -z "$VIRTUAL_ENV_DISABLE_PROMPT"
    if functions -q fish_prompt
        functions -c fish_prompt _old_fish_prompt
    end
    function fish_prompt
        set -l last_status $status
        printf '(%s) ' $VIRTUAL_ENV_PROMPT
        if functions -q _old_fish_prompt
            # Let the original prompt see the status of the last command.
            echo "exit $last_status" | source
            _old_fish_prompt
        end
    end
    set -g _OLD_FISH_PROMPT_OVERRIDE "$VIRTUAL_ENV"
end
"""

CSH = r"""# Activate this virtual environment from csh or tcsh: `source bin/activate.csh`.
# `deactivate` puts back what it changed.

alias deactivate 'test $?_OLD_VIRTUAL_PATH != 0 && setenv PATH "$_OLD_VIRTUAL_PATH:q" && unset _OLD_VIRTUAL_PATH; test $?_OLD_VIRTUAL_PYTHONHOME != 0 && setenv PYTHONHOME "$_OLD_VIRTUAL_PYTHONHOME:q" && unset _OLD_VIRTUAL_PYTHONHOME; test $?_OLD_VIRTUAL_PROMPT != 0 && set prompt="$_OLD_VIRTUAL_PROMPT:q" && unset _OLD_VIRTUAL_PROMPT; unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; rehash; test "\!:*" != "nondestructive" && unalias deactivate'

# Leave any active environment first.
deactivate nondestructive

setenv VIRTUAL_ENV __VIRTUAL_ENV__
set _OLD_VIRTUAL_PATH="$PATH:q"
setenv PATH "$VIRTUAL_ENV:q/__BIN_NAME__:$PATH:q"
setenv VIRTUAL_ENV_PROMPT __VIRTUAL_PROMPT__

if ( $?PYTHONHOME ) then
    set _OLD_VIRTUAL_PYTHONHOME="$PYTHONHOME:q"
    unsetenv PYTHONHOME
endif

if ( ! $?VIRTUAL_ENV_DISABLE_PROMPT ) then
    if ( $?prompt ) then
        set _OLD_VIRTUAL_PROMPT="$prompt:q"
        set prompt="($VIRTUAL_ENV_PROMPT:q) $prompt:q"
    endif
endif

rehash
"""  # noqa: E501 - a csh alias is one line

POWERSHELL = r"""# Activate this virtual environment from PowerShell: `. bin/activate.ps1`.
# `deactivate` puts back what it changed.

function global:deactivate([switch] $NonDestructive) {
    if (Test-Path variable:global:_OLD_VIRTUAL_PATH) {
        $env:PATH = $global:_OLD_VIRTUAL_PATH
        Remove-Variable -Name _OLD_VIRTUAL_PATH -Scope global
    }
    if (Test-Path variable:global:_OLD_VIRTUAL_PYTHONHOME) {
        $env:PYTHONHOME = $global:_OLD_VIRTUAL_PYTHONHOME
        Remove-Variable -Name _OLD_VIRTUAL_PYTHONHOME -Scope global
    }
    if (Test-Path function:global:_old_virtual_prompt) {
        $function:global:prompt = $function:global:_old_virtual_prompt
        Remove-Item function:global:_old_virtual_prompt
    }
    if (Test-Path env:VIRTUAL_ENV) { Remove-Item env:VIRTUAL_ENV }
    if (Test-Path env:VIRTUAL_ENV_PROMPT) { Remove-Item env:VIRTUAL_ENV_PROMPT }
    if (-not $NonDestructive) { Remove-Item function:global:deactivate }
}

# Leave any active environment first.
deactivate -NonDestructive

$env:VIRTUAL_ENV = __VIRTUAL_ENV__
$env:VIRTUAL_ENV_PROMPT = __VIRTUAL_PROMPT__
$global:_OLD_VIRTUAL_PATH = $env:PATH
$env:PATH = (Join-Path $env:VIRTUAL_ENV '__BIN_NAME__') + [System.IO.Path]::PathSeparator +
    $env:PATH

if (Test-Path env:PYTHONHOME) {
    $global:_OLD_VIRTUAL_PYTHONHOME = $env:PYTHONHOME
    Remove-Item env:PYTHONHOME
}

if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {
    $function:global:_old_virtual_prompt = $function:prompt
    function global:prompt {
        Write-Host -NoNewline "($env:VIRTUAL_ENV_PROMPT) "
        _old_virtual_prompt
    }
}
"""


NUSHELL = r"""# Activate this virtual environment from nushell: `overlay use bin/activate.nu`.
# `deactivate` (that is, `overlay hide activate`) puts back what it changed.

export-env {
    const virtual_env = __VIRTUAL_ENV__
    let prompt = __VIRTUAL_PROMPT__
    let path_name = if ('Path' in $env) { 'Path' } else { 'PATH' }
    let bin = ($virtual_env | path join __BIN_NAME__)
    load-env {
        $path_name: ($env | get $path_name | prepend $bin)
        VIRTUAL_ENV: $virtual_env
        VIRTUAL_ENV_PROMPT: $prompt
    }
    if ($env.VIRTUAL_ENV_DISABLE_PROMPT? | is-empty) {
        let prefix = (['(' $prompt ') '] | str join)
        let previous = ($env.PROMPT_COMMAND? | default '')
        $env.PROMPT_COMMAND = if (($previous | describe) == 'closure') {
            {|| $prefix + (do $previous) }
        } else {
            {|| $prefix + $previous }
        }
    }
}

export alias deactivate = overlay hide activate
"""

XONSH = r"""# Activate this virtual environment from xonsh: `source bin/activate.xsh`.
# `deactivate` puts back what it changed.


def _pyffin_activate(virtual_env, prompt, bin_name):
    import os

    env = __xonsh__.env
    if "deactivate" in aliases:  # leave any active environment first
        aliases["deactivate"](["nondestructive"])
    saved = {"PATH": list(env["PATH"]) if "PATH" in env else [],
             "PYTHONHOME": env["PYTHONHOME"] if "PYTHONHOME" in env else None}

    def deactivate(args=None, stdin=None):
        for name, value in saved.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        env.pop("VIRTUAL_ENV", None)
        env.pop("VIRTUAL_ENV_PROMPT", None)
        if not args or "nondestructive" not in args:
            aliases.pop("deactivate", None)

    env["VIRTUAL_ENV"] = virtual_env
    env["VIRTUAL_ENV_PROMPT"] = prompt
    env["PATH"] = [os.path.join(virtual_env, bin_name), *saved["PATH"]]
    env.pop("PYTHONHOME", None)
    aliases["deactivate"] = deactivate


_pyffin_activate(__VIRTUAL_ENV__, __VIRTUAL_PROMPT__, __BIN_NAME__)
del _pyffin_activate
"""

ACTIVATE_THIS = r'''"""Activate this virtual environment inside an interpreter that is not its own:

    import runpy
    runpy.run_path("/path/to/env/__BIN_NAME__/activate_this.py")

It puts the environment's scripts first on PATH, sets VIRTUAL_ENV and VIRTUAL_ENV_PROMPT, makes
the environment's site-packages importable ahead of everything else, and sets sys.prefix to
the environment (the interpreter's own stays in sys.real_prefix).
"""

import os
import site
import sys

try:
    _bin = os.path.dirname(os.path.abspath(__file__))
except NameError:
    raise AssertionError("run this file with runpy.run_path(path), or exec() it with "
                         "__file__ set to its path") from None

_env = os.path.dirname(_bin)
os.environ["PATH"] = os.pathsep.join(
    [_bin, *[p for p in os.environ.get("PATH", "").split(os.pathsep) if p]])
os.environ["VIRTUAL_ENV"] = _env
os.environ["VIRTUAL_ENV_PROMPT"] = __VIRTUAL_PROMPT__ or os.path.basename(_env)

_before = list(sys.path)
for _relative in __SITE_PACKAGES__:
    site.addsitedir(os.path.realpath(os.path.join(_bin, _relative)))
sys.path[:] = [p for p in sys.path if p not in _before] + _before
sys.real_prefix = sys.prefix
sys.prefix = _env
'''

#: bash, zsh and ksh: where the sourced script is, for a relocatable environment.
_LOCATE_POSIX = r"""
if [ -n "${BASH_VERSION-}" ]; then
    _PYFFIN_ACTIVATE="${BASH_SOURCE[0]}"
elif [ -n "${ZSH_VERSION-}" ]; then
    _PYFFIN_ACTIVATE="${(%):-%x}"
elif [ -n "${KSH_VERSION-}" ]; then
    _PYFFIN_ACTIVATE="${.sh.file}"
else
    echo "This shell cannot tell where activate is: set VIRTUAL_ENV to the environment" >&2
    return 1
fi
"""


def _quote_posix(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _quote_fish(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quote_csh(text: str) -> str:
    # csh expands history (!) even inside single quotes.
    return "'" + text.replace("'", "'\\''").replace("!", "\\!") + "'"


def _quote_powershell(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_nu(text: str) -> str:
    """A nushell literal: single quotes take no escapes, so a text with one becomes a raw
    string (``r#'...'#``) with more ``#`` than any run that follows a quote in it."""
    if "'" not in text:
        return f"'{text}'"
    hashes = "#" * (max((len(m) for m in re.findall(r"'(#*)", text)), default=0) + 1)
    return f"r{hashes}'{text}'{hashes}"


def _quote_python(text: str) -> str:
    return repr(text)


@record
class Script:
    """One activation script: its template, how its language quotes a literal, and the
    expression that finds the environment from the script's location in a relocatable
    environment (``None``: the script is not written there)."""

    template: str
    quote: Callable[[str], str]
    relocatable: str | None
    #: What ``__LOCATE__`` becomes in a relocatable environment.
    locate: str = ""
    #: ``__BIN_NAME__`` is a quoted literal (else it is written as is).
    quote_bin: bool = False


#: Script file name -> how it is written.
SCRIPTS: dict[str, Script] = {
    "activate": Script(
        BASH, _quote_posix,
        '"$(dirname -- "$(dirname -- "$(realpath -- "$_PYFFIN_ACTIVATE")")")"\n'
        "unset _PYFFIN_ACTIVATE",
        locate=_LOCATE_POSIX),
    "activate.fish": Script(FISH, _quote_fish,
                            "(dirname -- (dirname -- (realpath -- (status filename))))"),
    "activate.csh": Script(CSH, _quote_csh, None),
    "activate.ps1": Script(POWERSHELL, _quote_powershell, "(Split-Path -Parent $PSScriptRoot)"),
    "activate.nu": Script(NUSHELL, _quote_nu, "(path self | path dirname | path dirname)",
                          quote_bin=True),
    "activate.xsh": Script(
        XONSH, _quote_python,
        "__import__('os').path.dirname(__import__('os').path.dirname("
        "__import__('os').path.realpath(__file__)))", quote_bin=True),
    "activate_this.py": Script(ACTIVATE_THIS, _quote_python, ""),
}


def render(script: Script, *, venv: str, prompt: str, bin_name: str,
           relocatable: bool = False, site_packages: tuple[str, ...] = ()) -> str:
    """``script`` for the environment at ``venv`` with ``prompt``; ``site_packages`` are the
    environment's site-packages directories relative to its scripts directory. Raises
    ``ValueError`` for a script that cannot be relocatable."""
    location = script.quote(venv)
    if relocatable:
        if script.relocatable is None:
            raise ValueError("this activation script cannot find its environment by itself")
        location = script.relocatable
    values = {
        "VIRTUAL_ENV": location,
        "VIRTUAL_PROMPT": script.quote(prompt),
        "BIN_NAME": script.quote(bin_name) if script.quote_bin else bin_name,
        "LOCATE": script.locate if relocatable else "",
        "SITE_PACKAGES": repr(list(site_packages)),
    }
    # One pass, so a placeholder-like text inside a path or prompt stays as it is.
    return _PLACEHOLDER_RE.sub(lambda match: values[match[1]], script.template)
