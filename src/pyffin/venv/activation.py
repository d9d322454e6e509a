"""The activation scripts of a virtual environment, one per shell, written by pyffin.

Each sets ``VIRTUAL_ENV`` and ``VIRTUAL_ENV_PROMPT``, puts the environment's ``bin`` first on
``PATH``, unsets ``PYTHONHOME``, prefixes the prompt with ``(<prompt>)`` (unless
``VIRTUAL_ENV_DISABLE_PROMPT`` is set) and defines ``deactivate``, which puts everything back.
Saved values use the ``_OLD_VIRTUAL_*`` names every venv tool uses, so activating one
environment while another is active first leaves the other cleanly, whoever wrote its scripts.

Templates hold ``__VIRTUAL_ENV__`` and ``__VIRTUAL_PROMPT__``, replaced by literals quoted for
the shell, and ``__BIN_NAME__``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PLACEHOLDER_RE = re.compile("__(VIRTUAL_ENV|VIRTUAL_PROMPT|BIN_NAME)__")

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


def _quote_posix(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _quote_fish(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quote_csh(text: str) -> str:
    # csh expands history (!) even inside single quotes.
    return "'" + text.replace("'", "'\\''").replace("!", "\\!") + "'"


def _quote_powershell(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: Script file name -> (template, how that shell quotes a literal).
SCRIPTS: dict[str, tuple[str, Callable[[str], str]]] = {
    "activate": (BASH, _quote_posix),
    "activate.fish": (FISH, _quote_fish),
    "activate.csh": (CSH, _quote_csh),
    "activate.ps1": (POWERSHELL, _quote_powershell),
}


def render(template: str, quote: Callable[[str], str], *, venv: str, prompt: str,
           bin_name: str) -> str:
    """A script for the environment at ``venv`` with ``prompt`` (both quoted for the shell)."""
    values = {"VIRTUAL_ENV": quote(venv), "VIRTUAL_PROMPT": quote(prompt), "BIN_NAME": bin_name}
    # One pass, so a placeholder-like text inside a path or prompt stays as it is.
    return _PLACEHOLDER_RE.sub(lambda match: values[match[1]], template)
