"""What a pyffin install killed mid-way leaves in an environment, and its removal.

Every temporary name the installer makes in an environment is one of these, always at the top
of a scheme directory (site-packages, the scripts directory, the prefix), never deeper:

- ``.<name>.dist-info.tmp-<hex>``: a dist-info being assembled;
- ``<name>.dist-info.pyffin-old-<hex>``: a stale dist-info being replaced, or one being
  uninstalled (retired before its files go, see :mod:`pyffin.installer.uninstall`);
- ``.pyffin-tmp-<hex>`` (older versions: ``<file>.pyffin-tmp-<hex>``): a file about to be
  renamed over the one it replaces (also ``easy-install.pth.pyffin-tmp-<hex>``).

They exist only while a process holds the environment's lock, so whoever holds the lock and
sees one knows its maker is dead: :func:`sweep` removes them, one ``scandir`` per directory.
Names are matched exactly (twelve hex digits); nothing else is ever removed.
"""

from __future__ import annotations

import os
import re

from pyffin import log

TYPE_CHECKING = False  # not typing: see pyffin.records

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pyffin.interpreter.scheme import Scheme

_DEBRIS_PATTERN = r"^\..+\.dist-info\.tmp-[0-9a-f]{12}$|\.pyffin-(?:tmp|old)-[0-9a-f]{12}$"
#: Compiled on first use: every sync scans site-packages, and almost none finds a candidate.
_debris_re: re.Pattern[str] | None = None


def token() -> str:
    """The random part of a temporary name: twelve hex digits."""
    return os.urandom(6).hex()


def temp_file(directory: str) -> str:
    """A fresh name for a file that will be renamed over another, in ``directory`` (the top
    of a scheme directory on the same file system)."""
    return os.path.join(directory, f".pyffin-tmp-{token()}")


def is_debris(name: str) -> bool:
    """Whether ``name`` is one of the installer's temporary names."""
    global _debris_re
    if "pyffin-" not in name and not name.startswith("."):
        return False
    if _debris_re is None:
        _debris_re = re.compile(_DEBRIS_PATTERN)
    return _debris_re.search(name) is not None


def directories(scheme: Scheme) -> list[str]:
    """The directories where debris can be: the tops of the scheme's directories, the longest
    (most specific) first."""
    found = {os.path.abspath(p) for p in (scheme.purelib, scheme.platlib, scheme.scripts,
                                          scheme.data)}
    return sorted(found, key=lambda p: (-len(p), p))


def sweep(scheme: Scheme) -> list[str]:
    """Remove the debris of dead installs from the environment of ``scheme``; the caller holds
    the environment's lock. Returns the paths removed."""
    return remove(_found(directories(scheme)))


def beside(scheme: Scheme, scanned: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The debris in the scheme's directories but the ``scanned`` ones (site-packages, which
    listing what is installed looks through anyway): the scripts directory and the prefix,
    where a killed install's temporary files for scripts and data are. A command that changes
    nothing sweeps them too (one listing of each)."""
    seen = {os.path.abspath(p) for p in scanned}
    return _found(d for d in directories(scheme) if d not in seen)


def remove(paths: Iterable[str]) -> list[str]:
    """Remove ``paths`` (debris found earlier; the caller holds the environment's lock)."""
    from pathlib import Path

    from pyffin.fs import remove as remove_tree

    removed: list[str] = []
    for path in paths:
        if not is_debris(os.path.basename(path)):
            continue
        try:
            remove_tree(Path(path))
        except OSError as e:
            log.warn(f"cannot remove {path}, left by an interrupted install: {e.strerror or e}")
            continue
        removed.append(path)
    if removed:
        log.debug(f"Removed {len(removed)} leftover(s) of interrupted installs: "
                  f"{', '.join(removed)}")
    return removed


def _found(dirs: Iterable[str]) -> list[str]:
    found: list[str] = []
    for directory in dirs:
        try:
            with os.scandir(directory) as it:
                found.extend(entry.path for entry in it if is_debris(entry.name))
        except (FileNotFoundError, NotADirectoryError):
            continue
    return found
