"""Scripts an install writes: entry-point launchers and the shebang of the target interpreter."""

from __future__ import annotations

import os
import re
import sys

from pyffin.errors import NotSupportedError
from pyffin.installer.errors import InstallError
from pyffin.records import record

#: Longest ``#!`` line the kernel honours (distlib's limits: Linux truncates at 127 bytes).
_MAX_SHEBANG = 512 if sys.platform == "darwin" else 127
#: Characters that would need escaping inside the ``/bin/sh`` trampoline's double quotes.
_UNQUOTABLE = ('"', "$", "`", "\\", "\n", "\r", "'''")
#: The entry point groups that become scripts.
SCRIPT_GROUPS = ("console_scripts", "gui_scripts")
#: Names in an environment's scripts directory that belong to the environment itself: its
#: interpreters and activation scripts (any case: some file systems ignore it).
_RESERVED_RE = re.compile(
    r"(?:python|pypy|graalpy)w?(?:\d+(?:\.\d+)*t?)?(?:\.exe)?"
    r"|activate(?:\..*)?|activate_this\.py|deactivate(?:\..*)?",
    re.IGNORECASE,
)


def is_reserved(name: str) -> bool:
    """Whether a script called ``name`` would replace one of the environment's interpreters
    (``python``, ``python3.12``, ``pythonw``, ``pypy3``...) or activation scripts
    (``activate``, ``activate.fish``, ``Activate.ps1``, ``activate_this.py``,
    ``deactivate``...)."""
    return _RESERVED_RE.fullmatch(name) is not None


@record
class EntryPointScript:
    """A ``console_scripts``/``gui_scripts`` entry: ``name = module:attr.path``."""

    name: str
    module: str
    attr: str


def shebang(python: str) -> bytes:
    """The first line(s) of a script run by ``python``.

    A path that is too long for the kernel or holds whitespace gets the ``/bin/sh`` trampoline
    that pip and distlib use: the same lines are a shell ``exec`` of the interpreter and, to
    Python, a string literal it ignores.

    A relative ``python`` is taken from the script's own directory (a relocatable environment,
    as uv writes it): the trampoline finds the script's real location and runs the interpreter
    beside it, so the environment can be moved.
    """
    if not os.path.isabs(python):
        if any(c in python for c in ("'", "\n", "\r")):
            raise NotSupportedError(f"cannot write a relocatable script launcher for the "
                                    f"interpreter {python!r} (not supported yet)")
        here = b'"$(dirname -- "$(realpath -- "$0")")"'
        return (b"#!/bin/sh\n'''exec' " + here + b"/'" + os.fsencode(python)
                + b"' \"$0\" \"$@\"\n' '''\n")
    exe = os.fsencode(python)
    if len(exe) + 3 <= _MAX_SHEBANG and not any(c in exe for c in b" \t"):
        return b"#!" + exe + b"\n"
    if any(c in python for c in _UNQUOTABLE):
        raise NotSupportedError(
            f"cannot write a script launcher for the interpreter {python!r}: its path is too "
            "long for '#!' or has spaces, and has characters the /bin/sh launcher cannot quote "
            "(not supported yet)")
    return b"#!/bin/sh\n'''exec' \"" + exe + b'" "$0" "$@"\n' + b"' '''\n"


def _is_dotted_identifier(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def parse_entry_points(text: str, *, source: str) -> list[EntryPointScript]:
    """The scripts of ``entry_points.txt`` (an INI file; only the script groups are read).

    Names and targets are checked because they become a file name and Python source: a name is
    one path component and a target is ``module:attr`` made of identifiers.
    """
    scripts: list[EntryPointScript] = []
    group: str | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line[0] == "[" and line[-1] == "]":
            group = line[1:-1].strip()
            continue
        if group not in SCRIPT_GROUPS:
            continue
        name, sep, value = (part.strip() for part in line.partition("="))
        target = value.partition("[")[0].strip()  # "mod:func [extra]": extras do not matter here
        module, colon, attr = (part.strip() for part in target.partition(":"))
        where = f"{source}, line {lineno}"
        if (not sep or not name or name in (".", "..") or name.startswith("-")
                or any(c in name for c in "/\\\0")):
            raise InstallError(f"{where}: invalid script name {name!r}")
        if not (colon and _is_dotted_identifier(module) and _is_dotted_identifier(attr)):
            raise InstallError(f"{where}: the entry point {name!r} must be 'module:function', "
                               f"got {value!r}")
        scripts.append(EntryPointScript(name, module, attr))
    return scripts


#: pip's scripts and easy_install's, versioned or not, as their wheels name them.
_PIP_SCRIPT_RE = re.compile(r"pip(?:[0-9]+(?:\.[0-9]+)?)?")
_EASY_INSTALL_SCRIPT_RE = re.compile(r"easy_install(?:-[0-9]+\.[0-9]+)?")


def for_python(entries: list[EntryPointScript], version: tuple[int, ...],
               ) -> list[EntryPointScript]:
    """``entries`` with the versioned scripts of pip and easy_install made for the Python
    ``version`` that runs them, as pip and uv install them: a universal wheel of pip names the
    version of the Python that built it (``pip3.12``), which is wrong on any other, so with a
    ``pip`` entry point the scripts are ``pip``, ``pipX`` and ``pipX.Y`` of the target; with
    an ``easy_install`` one, ``easy_install`` and ``easy_install-X.Y``."""
    by_name = {entry.name: entry for entry in entries}
    pip, easy_install = by_name.get("pip"), by_name.get("easy_install")
    if pip is None and easy_install is None:
        return entries
    major, minor = version[0], version[1]
    kept = [entry for entry in entries
            if not (pip is not None and _PIP_SCRIPT_RE.fullmatch(entry.name))
            and not (easy_install is not None
                     and _EASY_INSTALL_SCRIPT_RE.fullmatch(entry.name))]
    if pip is not None:
        kept += [EntryPointScript(name, pip.module, pip.attr)
                 for name in ("pip", f"pip{major}", f"pip{major}.{minor}")]
    if easy_install is not None:
        kept += [EntryPointScript(name, easy_install.module, easy_install.attr)
                 for name in ("easy_install", f"easy_install-{major}.{minor}")]
    return kept


def launcher(entry: EntryPointScript, python: str) -> bytes:
    """The launcher script for ``entry``: import the module, call the function, exit with its
    result. ``sys.argv[0]`` loses the ``-script.pyw``/``.exe`` suffixes of Windows launchers, as
    pip's does."""
    top = entry.attr.partition(".")[0]
    body = (
        "# -*- coding: utf-8 -*-\n"
        "import sys\n"
        f"from {entry.module} import {top}\n"
        'if __name__ == "__main__":\n'
        '    if sys.argv[0].endswith("-script.pyw"):\n'
        "        sys.argv[0] = sys.argv[0][:-11]\n"
        '    elif sys.argv[0].endswith(".exe"):\n'
        "        sys.argv[0] = sys.argv[0][:-4]\n"
        f"    sys.exit({entry.attr}())\n"
    )
    return shebang(python) + body.encode("utf-8")


def rewrite_python_shebang(data: bytes, python: str) -> bytes | None:
    """``data`` with a ``#!python``/``#!pythonw`` first line replaced by the target
    interpreter's shebang; ``None`` when the script does not start with one."""
    if not data.startswith(b"#!python"):
        return None
    end = data.find(b"\n")
    return shebang(python) + (b"" if end == -1 else data[end + 1:])
