"""Find the interpreter a command works with.

Order, for ``find_interpreter(request)``:

1. a request that is a path (``/usr/bin/python3``, ``.venv``, ``venv/bin/python``): that
   executable, or the python of that environment directory, and nothing else;
2. unless ``system``: the active virtual environment (``VIRTUAL_ENV``), the active conda
   environment (``CONDA_PREFIX``), a ``.venv`` in the current directory or its nearest parent
   that has one;
3. ``PATH``, directory by directory: ``python3`` then ``python`` (for a version request
   ``python3.12``, ``python3``, ``python``; for PyPy ``pypy3.10``, ``pypy3``, ``pypy``), skipping
   virtual environments when ``system``.

A request that names a version or an implementation (``3.12``, ``3.12.1``, ``python3.12``,
``cpython3.12``, ``cp312``, ``pypy3``, ``pypy@3.10``) takes the first interpreter of 2.-3. that
matches; any other word is a path when it exists, else an executable name looked up on
``PATH``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.errors import UsageError
from pyffin.interpreter.errors import InterpreterError, InterpreterNotFound
from pyffin.interpreter.model import Interpreter
from pyffin.interpreter.query import interpreter_at
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.cache import Cache

_WINDOWS = sys.platform == "win32"
_BIN = "Scripts" if _WINDOWS else "bin"
_EXE = ".exe" if _WINDOWS else ""
#: A version request (``3.12``, ``cp312``, ``pypy3.10``); compiled on first use (``re``'s
#: cache), as most commands name a path or nothing.
_VERSION_REQUEST = (r"(?:(?P<impl>python|cpython|cp|pypy|pp)[@-]?)?"
                    r"(?P<version>\d+(?:\.\d+){0,2})?")
_IMPLEMENTATIONS = {"python": None, "cpython": "cpython", "cp": "cpython", "pypy": "pypy",
                    "pp": "pypy"}


@record
class PythonRequest:
    """What ``--python`` asked for: a path, an executable name, or an implementation and/or
    version prefix (all ``None``/empty: any interpreter)."""

    path: Path | None = None
    name: str | None = None
    implementation: str | None = None
    version: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> PythonRequest:
        """Parse a ``--python`` value; raises :class:`~pyffin.errors.UsageError` if empty."""
        text = text.strip()
        if not text:
            raise UsageError("empty --python request: expected a version such as 3.12, "
                             "an executable name or a path")
        if os.sep in text or (os.altsep and os.altsep in text) or text.startswith((".", "~")):
            return cls(path=Path(os.path.abspath(os.path.expanduser(text))))
        match = re.fullmatch(_VERSION_REQUEST, text, re.IGNORECASE)
        if match and (match["impl"] or match["version"]):
            implementation = _IMPLEMENTATIONS[(match["impl"] or "python").lower()]
            digits = match["version"] or ""
            if digits and "." not in digits and len(digits) > 1:  # cp312, 312
                version: tuple[int, ...] = (int(digits[0]), int(digits[1:]))
            else:
                version = tuple(int(part) for part in digits.split(".")) if digits else ()
            return cls(implementation=implementation, version=version)
        if os.path.exists(text):  # a bare name of something in the current directory
            return cls(path=Path(os.path.abspath(text)))
        return cls(name=text)

    def matches(self, interpreter: Interpreter) -> bool:
        if self.implementation and interpreter.implementation_name != self.implementation:
            return False
        return interpreter.version[:len(self.version)] == self.version

    def executable_names(self) -> list[str]:
        """Names to look for in each ``PATH`` directory, most specific first."""
        if self.name is not None:
            return [self.name]
        stem = "pypy" if self.implementation == "pypy" else "python"
        names = []
        if len(self.version) >= 2:
            names.append(f"{stem}{self.version[0]}.{self.version[1]}")
        names += [f"{stem}3" if not self.version else f"{stem}{self.version[0]}", stem]
        return [name + _EXE for name in names]

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self.name is not None:
            return self.name
        name = {"cpython": "CPython", "pypy": "PyPy"}.get(self.implementation or "", "Python")
        return f"{name} {'.'.join(map(str, self.version))}".rstrip()


def find_interpreter(request: str | None = None, *, system: bool = False,
                     cache: Cache | None) -> Interpreter:
    """The interpreter ``request`` (a ``--python`` value) asks for, or the default one.

    ``system`` skips virtual environments. Raises :class:`InterpreterNotFound` with the places
    searched, :class:`InterpreterError` when an explicitly named interpreter cannot be used.
    """
    parsed = PythonRequest.parse(request) if request is not None else PythonRequest()
    if parsed.path is not None:
        return interpreter_at(_executable_at(parsed.path), cache=cache)
    return _search(parsed, system=system, cache=cache)


def start_find_interpreter(request: str | None = None, *, cache: Cache | None,
                           system: bool = False) -> Callable[[], Interpreter]:
    """:func:`find_interpreter`, started now in a thread of its own when its answer is likely
    to need a query (a subprocess of tens of milliseconds): when there is no cache, or the
    cache has never kept an interpreter's facts (a cold cache). The command then goes on with
    what it does meanwhile (reading requirements, asking for their pages) while the
    interpreter runs the probe. Else, the lookup is done when the returned function is
    called: from the cache, it costs less than a thread. The function returns the
    interpreter, or raises what :func:`find_interpreter` raised."""
    def find() -> Interpreter:
        return find_interpreter(request, system=system, cache=cache)

    if _facts_kept(cache):
        return find
    from pyffin.futures import in_thread

    return in_thread(find, "pyffin-interpreter").result


def start_find_environment(python: str | None = None, *, system: bool = False,
                           break_system_packages: bool = False, cache: Cache | None,
                           ) -> Callable[[Callable[[Interpreter], None] | None], Interpreter]:
    """:func:`find_environment`, started now in a thread of its own when its answer is likely
    to need a query, as :func:`start_find_interpreter` does (an install into a new
    environment, on a cold cache: the probe's tens of milliseconds overlap reading the
    requirements and asking for their pages instead of coming after them). The returned
    function takes ``announce`` and returns the environment, or raises what
    :func:`find_environment` raised; the announcement is made by its caller, when it asks,
    so it comes where it would have without the thread (after what the command printed
    meanwhile, before the error of an externally managed environment)."""
    def find(announce: Callable[[Interpreter], None] | None) -> Interpreter:
        return find_environment(python, system=system,
                                break_system_packages=break_system_packages, cache=cache,
                                announce=announce)

    if _facts_kept(cache):
        return find
    from pyffin.futures import in_thread

    announced: list[Interpreter] = []
    future = in_thread(lambda: find(announced.append), "pyffin-interpreter")

    def finish(announce: Callable[[Interpreter], None] | None) -> Interpreter:
        try:
            return future.result()
        finally:
            if announce is not None and announced:
                announce(announced.pop())

    return finish


def _facts_kept(cache: Cache | None) -> bool:
    """Whether ``cache`` has ever kept an interpreter's facts: a lookup there likely needs no
    probe, and costs less than a thread."""
    from pyffin.cache import CacheBucket

    return cache is not None and os.path.isdir(cache.bucket(CacheBucket.INTERPRETER))


def find_environment(python: str | None = None, *, system: bool = False,
                     break_system_packages: bool = False, cache: Cache | None,
                     announce: Callable[[Interpreter], None] | None = None) -> Interpreter:
    """The environment an install command changes, as uv chooses it.

    Without ``system``, only a virtual (or the active conda) environment: the active or nearby
    one, or — for a version or name request (``3.12``, ``python3.12``) — the first virtual
    environment among the discovered interpreters that matches. A ``python`` that is a path
    names its interpreter explicitly and is used as given, virtual or not (as uv does).
    ``system`` skips virtual environments and finds a system interpreter. An interpreter whose
    stdlib carries a PEP 668 ``EXTERNALLY-MANAGED`` marker also needs
    ``break_system_packages``. ``announce`` is called with the interpreter found, before that
    last check (so the user sees which one was refused).
    """
    request = PythonRequest.parse(python) if python is not None else None
    if request is not None and (system or request.path is not None):
        interpreter = find_interpreter(python, system=system, cache=cache)
    elif request is not None:
        try:
            interpreter = _search(request, system=False, cache=cache, virtual_only=True)
        except InterpreterNotFound:
            raise InterpreterNotFound(
                f"No virtual environment found for {request}; run `pyffin venv` to create an "
                "environment, or pass --system to install into a non-virtual environment"
            ) from None
    elif system:
        interpreter = find_interpreter(None, system=True, cache=cache)
    else:
        try:
            interpreter = _search(PythonRequest(), system=False, cache=cache,
                                  environments_only=True)
        except InterpreterNotFound:
            message = "No virtual environment found; run `pyffin venv` to create one"
            try:
                fallback = find_interpreter(None, system=True, cache=cache)
            except InterpreterError:
                raise InterpreterNotFound(message) from None
            raise InterpreterError(
                f"{message}, or pass --system to install into {fallback.sys_executable}"
            ) from None
    if announce is not None:
        announce(interpreter)
    if interpreter.externally_managed and not break_system_packages:
        message = "\n".join(f"  {line}" if line else ""
                            for line in interpreter.externally_managed.splitlines())
        raise InterpreterError(
            f"The interpreter at {interpreter.prefix} is externally managed, and indicates the "
            f"following:\n\n{message}\n\nConsider creating a virtual environment with "
            "`pyffin venv`.",
            hint="pass --break-system-packages to install into it anyway",
        )
    return interpreter



def announce_environment(env: Interpreter, cache_root: Path) -> None:
    """Say which environment a command reads or changes, as uv does (``Using Python 3.12.1
    environment at: venv``): not for ``./.venv`` (the default) or an environment inside the
    cache at ``cache_root`` (a build's)."""
    root = Path(os.path.abspath(env.prefix))
    try:
        cwd: Path | None = Path(os.getcwd())
    except OSError:  # the working directory was removed
        cwd = None
    if (cwd is not None and root == cwd / ".venv") or root.is_relative_to(cache_root):
        return
    log.info(f"Using Python {env.version_str} environment at: {shown_path(root)}")


def shown_path(path: str | Path) -> str:
    """``path`` as uv shows one: from the working directory when it is inside it, else
    absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        cwd = Path(os.getcwd())
    except OSError:  # the working directory was removed
        return str(absolute)
    return str(absolute.relative_to(cwd)) if absolute.is_relative_to(cwd) else str(absolute)

# ------------------------------------------------------------------------------- searching
def _search(request: PythonRequest, *, system: bool, cache: Cache | None,
            environments_only: bool = False, virtual_only: bool = False) -> Interpreter:
    """The first interpreter of the discovery order that satisfies ``request``;
    ``virtual_only``: the first virtual environment (or the active conda environment)."""
    skipped: list[str] = []
    seen: set[Path] = set()
    sources = _environments() if not system else iter(())
    if not environments_only:
        sources = _chain(sources, _on_path(request.executable_names()))
    for source, executable in sources:
        if executable in seen:
            continue
        seen.add(executable)
        if system and _in_venv(executable):
            continue
        conda = source == "CONDA_PREFIX"
        if virtual_only and not conda and not _in_venv(executable):
            continue
        try:
            interpreter = interpreter_at(executable, cache=cache)
        except InterpreterError as e:
            log.debug(f"Skipping {executable} ({source}): {e}")
            skipped.append(str(e))
            continue
        if (system and interpreter.is_venv) or (virtual_only and not conda
                                                 and not interpreter.is_venv):
            continue
        if not request.matches(interpreter):
            skipped.append(f"{executable}: {interpreter.implementation_display} "
                           f"{interpreter.version_str}")
            continue
        return interpreter
    raise InterpreterNotFound(_not_found_message(request, system, environments_only, skipped))


def _chain(*iterators: Iterator[tuple[str, Path]]) -> Iterator[tuple[str, Path]]:
    for iterator in iterators:
        yield from iterator


def _environments() -> Iterator[tuple[str, Path]]:
    """The pythons of the active virtual environment, conda environment and nearest
    ``.venv``, in that order."""
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = os.environ.get(variable)
        if not value:
            continue
        executable = _environment_python(Path(value))
        if executable is None:
            log.warn_once(f"Ignoring {variable}={value}: no Python executable in it")
            continue
        yield f"{variable}", executable
    try:
        cwd = Path.cwd()
    except OSError:
        return
    for directory in (cwd, *cwd.parents):
        venv = directory / ".venv"
        if (venv / "pyvenv.cfg").is_file():
            executable = _environment_python(venv)
            if executable is not None:
                yield f"{venv}", executable
            return


def _on_path(names: list[str]) -> Iterator[tuple[str, Path]]:
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory:
            continue
        for name in names:
            candidate = Path(os.path.abspath(os.path.join(directory, name)))
            if _is_executable(candidate):
                yield "PATH", candidate


def _environment_python(root: Path) -> Path | None:
    for name in ("python", "python3"):
        candidate = root / _BIN / (name + _EXE)
        if _is_executable(candidate):
            return Path(os.path.abspath(candidate))
    return None


def _executable_at(path: Path) -> Path:
    """The executable a path request names: the file itself or an environment's python."""
    if path.is_dir():
        executable = _environment_python(path)
        if executable is None:
            raise InterpreterNotFound(f"No interpreter found in {path}: it is a directory "
                                      f"without {_BIN}/python{_EXE}")
        return executable
    if not path.exists():
        raise InterpreterNotFound(f"No interpreter found at {path}: no such file or directory")
    return path


def _in_venv(executable: Path) -> bool:
    """Whether an executable lives in a virtual environment (without querying it)."""
    return (executable.parent.parent / "pyvenv.cfg").is_file() or (
        executable.parent / "pyvenv.cfg").is_file()


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _not_found_message(request: PythonRequest, system: bool, environments_only: bool,
                       skipped: list[str]) -> str:
    what = "virtual environment" if environments_only else (
        "Python interpreter" if request == PythonRequest() else f"interpreter for {request}")
    places = []
    if not system:
        places.append("VIRTUAL_ENV, CONDA_PREFIX, .venv in the current directory and its "
                      "parents")
    if not environments_only:
        places.append(f"{', '.join(request.executable_names())} on PATH")
    message = f"No {what} found (searched {'; '.join(places)})"
    if skipped:
        message += "; skipped:\n" + "\n".join(f"  {line}" for line in skipped)
    return message


# ----------------------------------------------------------------------- build interpreters
def find_build_interpreter(version: tuple[int, ...], *, cache: Cache | None
                           ) -> Interpreter | None:
    """An interpreter of Python ``version`` (``(3, 12)`` or ``(3, 12, 1)``) to build sources
    with for a target of that version, or ``None`` when this machine has none.

    The discovery order for that version (exactly, then without its patch number, as uv), then
    the versions pyenv installed, even those it does not select here: with pyenv's global
    version 3.11, ``python3.12`` on ``PATH`` is a shim that runs nothing, but
    ``$PYENV_ROOT/versions/3.12.1/bin/python3.12`` is there (uv would download a Python
    instead; pyffin never does).
    """
    requests = [PythonRequest(version=version)]
    if len(version) > 2:
        requests.append(PythonRequest(version=version[:2]))
    for request in requests:
        try:
            return _search(request, system=False, cache=cache)
        except InterpreterError as e:  # InterpreterNotFound included
            log.debug(f"No {request} found by discovery: {str(e).splitlines()[0]}")
    for request in requests:
        for executable in _pyenv_installed(request.version):
            try:
                interpreter = interpreter_at(executable, cache=cache)
            except InterpreterError as e:
                log.debug(f"Skipping {executable}: {e}")
                continue
            if request.matches(interpreter):
                return interpreter
    return None


def _pyenv_installed(version: tuple[int, ...]) -> Iterator[Path]:
    """``python<major>.<minor>`` of the newest installed pyenv version that matches
    ``version``, in each pyenv root in view (``PYENV_ROOT``, those of the shims on ``PATH``)."""
    from pyffin.interpreter import pyenv

    roots: list[Path] = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(Path(os.environ["PYENV_ROOT"]))
    for _source, executable in _on_path(["python3" + _EXE]):
        if pyenv.is_shim(executable):
            roots.append(pyenv.pyenv_root(executable))
    program = f"python{version[0]}.{version[1]}{_EXE}"
    for root in dict.fromkeys(roots):
        directory = pyenv.version_dir(root, ".".join(map(str, version)))
        if directory is not None and _is_executable(directory / _BIN / program):
            yield directory / _BIN / program
