"""When a local project is built again: its *cache keys*, as uv's ``tool.uv.cache-keys``.

What is built from a local directory is cached under a stamp of what its cache keys name; a
change to any of them makes a new revision, built afresh. By default the keys are
``pyproject.toml``, ``setup.py``, ``setup.cfg`` (their modification times) and the ``src``
directory (its inode: a ``src`` made anew counts, not edits inside it), as uv's. A project
names its own in ``[tool.pyffin]`` (else uv's ``[tool.uv]``) of its ``pyproject.toml``,
which replace the defaults::

    [tool.pyffin]
    cache-keys = [
        "pyproject.toml",                    # a file, relative to the project
        { file = "src/**/*.py" },            # a glob: every file it matches
        { dir = "src" },                     # a directory made anew
        { env = "MY_BUILD_FLAG" },           # an environment variable's value
        { git = { commit = true, tags = true } },  # the checked-out commit, the tags
    ]

``{ git = true }`` is ``{ git = { commit = true } }``. Globs follow :meth:`pathlib.Path.glob`
(``**`` for any directories; no ``{a,b}``). A malformed entry is warned about and skipped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pyffin import log

#: uv's defaults.
DEFAULT_KEYS: tuple[Any, ...] = ("pyproject.toml", "setup.py", "setup.cfg", {"dir": "src"})
_GLOB_CHARS = frozenset("*?[")


def project_cache_keys(root: Path) -> tuple[Any, ...]:
    """The cache keys ``root``'s ``pyproject.toml`` declares, else :data:`DEFAULT_KEYS`."""
    try:
        data = (root / "pyproject.toml").read_bytes()
    except OSError:
        return DEFAULT_KEYS
    if b"cache-keys" not in data:  # the usual case: no TOML to parse
        return DEFAULT_KEYS
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the declared dependency on Python < 3.11
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return DEFAULT_KEYS  # the build reports a broken pyproject.toml
    tool = document.get("tool")
    if not isinstance(tool, dict):
        return DEFAULT_KEYS
    for table in ("pyffin", "uv"):
        section = tool.get(table)
        if isinstance(section, dict) and "cache-keys" in section:
            keys = section["cache-keys"]
            if isinstance(keys, list):
                return tuple(keys)
            log.warn_once(f"Ignoring tool.{table}.cache-keys in {root / 'pyproject.toml'}: "
                          "expected a list")
    return DEFAULT_KEYS


def cache_key_stamp(root: Path) -> list[str]:
    """What the project at ``root``'s cache keys say now, as text to hash into its stamp."""
    parts: list[str] = []
    for key in project_cache_keys(root):
        if isinstance(key, str):
            parts += _files(root, key)
        elif isinstance(key, dict) and len(key) == 1:
            [(kind, value)] = key.items()
            if kind == "file" and isinstance(value, str):
                parts += _files(root, value)
            elif kind == "dir" and isinstance(value, str):
                parts.append(_directory(root, value))
            elif kind == "env" and isinstance(value, str):
                parts.append(f"env:{value}={os.environ.get(value)!r}")
            elif kind == "git" and isinstance(value, (bool, dict)):
                parts += _git(root, value)
            else:
                _malformed(root, key)
        else:
            _malformed(root, key)
    return parts


def _malformed(root: Path, key: Any) -> None:
    log.warn_once(f"Ignoring the cache key {key!r} of {root}: expected a path, or a table with "
                  "one of file, dir, env or git")


def _files(root: Path, pattern: str) -> list[str]:
    if _GLOB_CHARS.isdisjoint(pattern):
        try:
            st = os.stat(root / pattern)
        except OSError:
            return [f"{pattern}:-"]
        return [f"{pattern}:{st.st_mtime_ns}:{st.st_size}"]
    found = []
    try:
        matches = sorted(root.glob(pattern))
    except (OSError, ValueError) as e:
        log.warn_once(f"Ignoring the cache key {pattern!r} of {root}: {e}")
        return []
    for path in matches:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not os.path.isdir(path):
            found.append(f"{path.relative_to(root).as_posix()}:{st.st_mtime_ns}:{st.st_size}")
    return [f"glob:{pattern}", *found]


def _directory(root: Path, name: str) -> str:
    try:
        st = os.stat(root / name)
    except OSError:
        return f"dir:{name}:-"
    birth = getattr(st, "st_birthtime_ns", None) or getattr(st, "st_birthtime", None)
    return f"dir:{name}:{birth if birth is not None else st.st_ino}"


def _git(root: Path, value: bool | dict[str, Any]) -> list[str]:
    if isinstance(value, bool):
        commit, tags = value, False
    else:
        commit, tags = bool(value.get("commit")), bool(value.get("tags"))
    if not (commit or tags):
        return []
    from pyffin.git.command import GitCommand, find_git
    from pyffin.git.errors import GitError

    executable = find_git()
    if executable is None:
        log.warn_once(f"The cache keys of {root} name git, which is not installed")
        return ["git:-"]
    git = GitCommand(executable)
    parts = []
    for wanted, name, args in ((commit, "commit", ("rev-parse", "HEAD")),
                               (tags, "tags", ("show-ref", "--tags"))):
        if not wanted:
            continue
        try:
            parts.append(f"git-{name}:" + git.run(*args, cwd=root).strip())
        except GitError as e:  # not a repository, no commit yet, no tags (show-ref exits 1)
            log.debug(f"Cache key git {name} of {root}: {e}")
            parts.append(f"git-{name}:-")
    return parts
