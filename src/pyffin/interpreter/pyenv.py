"""See through pyenv shims without running them.

A shim (``$PYENV_ROOT/shims/python3``) is a bash script that starts pyenv, which picks a Python
version and runs that version's executable: several bash processes and tens of milliseconds per
call, and its modification time says nothing about which interpreter it runs. pyffin makes the
same choice pyenv makes, reading the same files:

1. the versions: ``PYENV_VERSION`` (``:``-separated), else the first ``.python-version`` file in
   ``PYENV_DIR`` or the current directory or one of their parents, else ``$PYENV_ROOT/version``;
   each line's first word is a version, ``system`` or none means the system's Python;
2. a version names a directory of ``$PYENV_ROOT/versions`` exactly, without a ``python-``
   prefix, or as a prefix of installed versions (``3.12`` is the newest installed ``3.12.x``
   release);
3. the first selected version that has the shim's program in its ``bin`` wins, then the
   system's (``PATH`` without the shims directory).

pyenv plug-in hooks are not run; the ones pyenv ships only act when no version has the program.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_ROOT_RE = re.compile(rb'^export PYENV_ROOT="([^"\n]+)"', re.MULTILINE)
_SHIM_EXEC_RE = re.compile(rb'/libexec/pyenv" exec ')
_PRERELEASE_RE = re.compile(r"(-dev|-src|-latest|(a|b|rc)\d+)$")
_FREE_THREADED_RE = re.compile(r"\dt$")
_NUMBER_RE = re.compile(r"\d+")
SYSTEM = "system"


def pyenv_root(shim: Path) -> Path:
    """The pyenv root a shim belongs to: named in the shim, else ``PYENV_ROOT``, else the
    shim directory's parent."""
    try:
        with open(shim, "rb") as f:
            match = _ROOT_RE.search(f.read(2048))
    except OSError:
        match = None
    if match:
        return Path(os.fsdecode(match.group(1)))
    env = os.environ.get("PYENV_ROOT")
    return Path(env) if env else shim.parent.parent


def selected_versions(root: Path) -> list[str]:
    """The versions pyenv selects here, in order; ``["system"]`` when none is set."""
    names = os.environ.get("PYENV_VERSION")
    if names is None or names == "":
        version_file = _version_file(root)
        names = _read_version_file(version_file, root) if version_file else ""
    versions = [name for name in names.split(":") if name]
    return versions or [SYSTEM]


def describe_selection(shim: Path) -> str:
    """The selected versions and where the selection came from, for error messages."""
    root = pyenv_root(shim)
    versions = ", ".join(selected_versions(root))
    if os.environ.get("PYENV_VERSION"):
        return f"{versions}, set by PYENV_VERSION"
    version_file = _version_file(root)
    return f"{versions}, set by {version_file}" if version_file else versions


def resolve_shim(shim: Path) -> Path | None:
    """The executable the shim would run here, or ``None`` when pyenv would find none."""
    root = pyenv_root(shim)
    program = shim.name
    for version in [*selected_versions(root), SYSTEM]:
        if version == SYSTEM:
            candidate = _system_executable(program, {shim.parent, root / "shims"})
        else:
            directory = version_dir(root, version)
            candidate = directory / "bin" / program if directory is not None else None
        if candidate is not None and _is_executable(candidate):
            return candidate
    return None


def version_dir(root: Path, version: str) -> Path | None:
    """The installed directory a version name selects, as pyenv resolves names."""
    versions = root / "versions"
    names = [version]
    if version.startswith("python-"):
        names.append(version.removeprefix("python-"))
    for name in names:
        if _safe(versions, name) and (versions / name).is_dir():
            return versions / name
    for name in names:
        latest = _latest(versions, name)
        if latest is not None:
            return versions / latest
    return None


def _latest(versions: Path, prefix: str) -> str | None:
    """The newest installed final release whose name starts with ``prefix.`` or ``prefix-``
    (``3.13t`` selects free-threaded builds, which are skipped otherwise)."""
    free_threaded = bool(_FREE_THREADED_RE.search(prefix))
    stem = prefix[:-1] if free_threaded else prefix
    try:
        entries = list(os.scandir(versions))
    except OSError:
        return None
    candidates = []
    for entry in entries:
        name = entry.name
        if entry.is_symlink() or not name.startswith(stem) or len(name) <= len(stem):
            continue  # symlinks there are pyenv-virtualenv environments, not releases
        if name[len(stem)] not in ".-" or _PRERELEASE_RE.search(name):
            continue
        if free_threaded != bool(_FREE_THREADED_RE.search(name)):
            continue
        candidates.append(name)
    if not candidates:
        return None
    return max(candidates, key=lambda name: [int(n) for n in _NUMBER_RE.findall(name)])


def _version_file(root: Path) -> Path | None:
    starts = []
    pyenv_dir = os.environ.get("PYENV_DIR")
    if pyenv_dir:
        starts.append(Path(pyenv_dir))
    try:
        cwd = Path.cwd()
    except OSError:  # the current directory was removed
        cwd = None
    if cwd is not None and cwd not in starts:
        starts.append(cwd)
    for start in starts:
        for directory in (start, *start.parents):
            candidate = directory / ".python-version"
            if candidate.is_file():
                return candidate
    global_file = root / "version"
    return global_file if global_file.is_file() else None


def _read_version_file(path: Path, root: Path) -> str:
    """The versions a version file names, ``:``-joined: the first word of each line, without
    comments, empty lines and names that would leave ``versions/``."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(65536)
    except OSError:
        return ""
    versions = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if _safe(root / "versions", words[0]):
            versions.append(words[0])
    return ":".join(versions)


def _safe(versions: Path, name: str) -> bool:
    if name != ".." and "/" not in name:
        return True
    real_versions = os.path.realpath(versions)
    return os.path.realpath(versions / name).startswith(real_versions + os.sep)


def _system_executable(program: str, skip: set[Path]) -> Path | None:
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or Path(directory) in skip:
            continue
        candidate = Path(directory) / program
        # Another pyenv's shims are not the system (and could lead back here).
        if _is_executable(candidate) and not is_shim(candidate):
            return candidate
    return None


def is_shim(path: Path) -> bool:
    """Whether ``path`` is a pyenv shim."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    return is_shim_header(head)


def is_shim_header(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a pyenv shim: a script ending in
    ``exec ".../libexec/pyenv" exec "$program" "$@"``."""
    return head.startswith(b"#!") and _SHIM_EXEC_RE.search(head) is not None


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
