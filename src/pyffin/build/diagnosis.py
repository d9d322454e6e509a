"""What a failed build's output says went wrong, in one line, and what a user can do about it.

A build backend's output runs to pages, and the line that matters is seldom the last: a
compiler's ``fatal error`` comes before the traceback of the ``setup.py`` that ran it, a
missing module is the last line of a traceback that a backend's own complaint may follow.
:func:`cause` finds that line (a resolution that skips versions whose build failed names it
in its hints, where the whole output would not fit); :func:`suggestion` recognizes the
failures that are fixed outside the project — a C header, a compiler or Rust missing from the
system, a module the build imports without declaring it — and says how.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["cause", "suggestion"]

#: A C compiler's "header not found": gcc's, then clang's.
_HEADER = re.compile(r"fatal error: (?:([^\s:'\"]+): No such file or directory|'([^']+)' file "
                     r"not found)")
#: A module the build's Python could not import.
_NO_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '([^']+)'")
#: A program distutils/setuptools ran that is not there (``error: command 'gcc' failed: No
#: such file or directory``).
_NO_PROGRAM = re.compile(r"error: command '([^']+)' failed: No such file or directory")
#: setuptools-rust's, when it finds no ``cargo``/``rustc``.
_NO_RUST = re.compile(r"can't find Rust compiler|Rust not found|cargo: not found|"
                      r"could not find `cargo`", re.IGNORECASE)
#: A library ``pkg-config`` does not know, or ``pkg-config`` itself missing.
_PKG_CONFIG = re.compile(r"pkg-config.*(?:not found|cannot find|can not find|no package)|"
                         r"(?:not found|cannot find|can not find|no package).*pkg-config",
                         re.IGNORECASE)
#: The last line of a Python traceback: ``SomeError: what`` (or a bare ``SomeError``).
_EXCEPTION = re.compile(r"(?:[A-Za-z_][\w.]*)?(?:Error|Exception)(?::\s.+)?")
#: How long a cause may be in a hint.
_LONGEST = 240

#: Programs that are C (or C++) compilers when a build runs them.
_COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "clang++")


def cause(output: str) -> str | None:
    """The line of a failed build's ``output`` that says what went wrong, or ``None``: a
    missing C header or module first, then the last exception a traceback ended with, then
    the last ``error:`` line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    found = _last(lines, lambda line: _HEADER.search(line) or _NO_MODULE.search(line)
                  or _NO_PROGRAM.search(line) or _NO_RUST.search(line))
    if found is None:
        found = _last(lines, _EXCEPTION.fullmatch)
    if found is None:
        found = _last(lines, lambda line: line.lower().startswith("error:"))
    if found is None:
        return None
    return found if len(found) <= _LONGEST else found[:_LONGEST - 3] + "..."


def suggestion(output: str) -> str | None:
    """What to do about a failed build whose ``output`` shows a cause fixed outside the
    project (see the module), or ``None``."""
    header = _last_match(_HEADER, output)
    if header is not None:
        name = header.group(1) or header.group(2)
        return (f"the build needs the C header `{name}`, which this system lacks: install "
                "the development files of the library that provides it (on Debian and "
                "Ubuntu, a package named like `lib...-dev`), or use a version with a wheel "
                "for this platform")
    program = _last_match(_NO_PROGRAM, output)
    if program is not None and program.group(1).rsplit("/", 1)[-1].rsplit("-", 1)[-1] in (
            _COMPILERS):
        return (f"the build runs the C compiler `{program.group(1)}`, which is not installed: "
                "install one (on Debian and Ubuntu, the package `build-essential`), or use a "
                "version with a wheel for this platform")
    if _PKG_CONFIG.search(output):
        return ("the build looks for a system library with `pkg-config`, which did not find "
                "it: install the library's development files (and `pkg-config`), or use a "
                "version with a wheel for this platform")
    if _NO_RUST.search(output):
        return ("the build needs a Rust compiler, which is not installed (https://rustup.rs): "
                "install one, or use a version with a wheel for this platform")
    module = _last_match(_NO_MODULE, output)
    if module is not None:
        top = module.group(1).split(".", 1)[0]
        if top == "pkg_resources":
            return ("the build imports `pkg_resources`, which setuptools 82 and later no "
                    "longer include: build it with an older setuptools, with a build "
                    "constraint (`--build-constraints FILE`, the file holding `setuptools<82`)")
        if top == "distutils":
            return ("the build imports `distutils`, which Python 3.12 and later no longer "
                    "include (setuptools provides it): use an older Python, or a version "
                    "whose build requires setuptools")
        return (f"the build imports `{top}`, which its build requirements do not provide: "
                f"install `{top}` into the target environment and build without isolation "
                "(`--no-build-isolation-package NAME`), or use a version with a wheel for "
                "this platform")
    return None


def _last(lines: list[str], test: Callable[[str], object]) -> str | None:
    for line in reversed(lines):
        if test(line):
            return line
    return None


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):  # noqa: B007 (the last one is wanted)
        pass
    return found
