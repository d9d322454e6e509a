"""Source trees: a project directory ready to build, from an sdist archive or a directory."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from pyffin.build.archive import is_archive, unpack_archive
from pyffin.build.errors import ArchiveError, InvalidSourceTree
from pyffin.records import record


@record
class SourceTree:
    """A directory holding a project (``pyproject.toml`` and/or ``setup.py``) to build.

    ``origin`` is what the user knows the source as (``foo-1.0.tar.gz``, a URL, a path); it
    names the source in messages and identifies it for build-cycle detection, so it must be
    stable across a process (a URL or filename, not a temporary path). ``is_sdist``: the tree
    was unpacked from a source distribution, so its ``PKG-INFO`` describes it.
    """

    root: Path
    origin: str
    is_sdist: bool = False


def prepare_source(source: Path, into: Path, *, subdirectory: str | None = None,
                   origin: str | None = None) -> SourceTree:
    """The source tree of ``source``, an sdist archive or a project directory.

    An archive is unpacked safely into ``into`` (which must not exist or be empty) and its
    single top-level directory is the project; a directory is used in place and ``into`` is left
    alone. ``subdirectory`` (a URL's ``#subdirectory=``) selects a project inside it.
    ``origin`` defaults to the archive's filename or the directory's path.
    """
    source = Path(os.path.abspath(source))
    if source.is_dir():
        return _project(source, origin or str(source), subdirectory, is_sdist=False)
    if is_archive(source.name):
        unpack_archive(source, into)
        return unpacked_source(source, into, subdirectory=subdirectory, origin=origin)
    if source.exists():
        raise InvalidSourceTree(
            f"{source} is neither a directory nor a source archive (.tar.gz, .zip...)"
        )
    raise InvalidSourceTree(f"the source {source} does not exist")


def unpacked_source(archive: Path, into: Path, *, subdirectory: str | None = None,
                    origin: str | None = None) -> SourceTree:
    """The source tree of the sdist ``archive`` once unpacked into ``into`` (as
    :func:`prepare_source` does, or as it downloads: see
    :mod:`pyffin.distribution.unpacking`)."""
    return _project(_single_top_level(archive, into), origin or archive.name, subdirectory,
                    is_sdist=True)


def _project(root: Path, origin: str, subdirectory: str | None, *,
             is_sdist: bool) -> SourceTree:
    if subdirectory:
        root = _subdirectory(root, subdirectory, origin)
    if not (root / "pyproject.toml").is_file() and not (root / "setup.py").is_file():
        raise InvalidSourceTree(
            f"{origin} is not a Python project: neither pyproject.toml nor setup.py found in "
            f"{root}"
        )
    return SourceTree(root=root, origin=origin, is_sdist=is_sdist)


def _single_top_level(archive: Path, into: Path) -> Path:
    entries = sorted(os.listdir(into))
    if len(entries) == 1 and (into / entries[0]).is_dir() and not (into / entries[0]).is_symlink():
        return into / entries[0]
    found = ", ".join(entries) if entries else "nothing"
    raise ArchiveError(
        f"{archive.name} is not a source distribution: it must hold a single top-level "
        f"directory, but holds {found}"
    )


def _subdirectory(root: Path, subdirectory: str, origin: str) -> Path:
    normalized = posixpath.normpath(subdirectory.replace("\\", "/"))
    if posixpath.isabs(normalized) or normalized == ".." or normalized.startswith("../"):
        raise InvalidSourceTree(
            f"invalid subdirectory {subdirectory!r} for {origin}: it must stay inside the source"
        )
    path = root / normalized
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
        raise InvalidSourceTree(
            f"invalid subdirectory {subdirectory!r} for {origin}: it links outside the source"
        )
    if not path.is_dir():
        raise InvalidSourceTree(f"the subdirectory {subdirectory!r} does not exist in {origin}")
    return path
