"""Which installed distributions an uninstall's requirements name.

A named requirement is its name, whatever its version or URL (as uv and pip). A path or URL
(``./proj``, ``-e .`` in a requirements file, ``https://host/x.tar.gz``) is what was installed
from it: a ``direct_url.json`` (PEP 610) with that URL, or an ``.egg-link`` pointing at that
directory, as uv looks it up. A local project installed some other way is found by the name
its files give without a build (:func:`pyffin.build.static.static_name`): no build backend
runs to uninstall.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.installer.errors import UninstallError

if TYPE_CHECKING:
    from pyffin.installer.installed import InstalledDistribution
    from pyffin.requirements import RequirementEntry


def requested(entries: Sequence[RequirementEntry], dists: Sequence[InstalledDistribution], *,
              warn: bool = True) -> list[InstalledDistribution]:
    """The distributions of ``dists`` that ``entries`` name, each once, in the order asked.

    What is not installed is skipped, with uv's warning if ``warn`` (uv's dry run has none).
    A local project that nothing installed came from and whose name cannot be told without a
    build raises :class:`UninstallError` naming it (before the caller removes anything).
    """
    by_name: dict[str, list[InstalledDistribution]] = {}
    for each in dists:  # every copy of a package installed twice goes, as uv removes them
        by_name.setdefault(each.normalized_name, []).append(each)
    origins: dict[str, list[InstalledDistribution]] | None = None
    found: dict[str, InstalledDistribution] = {}
    for entry in entries:
        name = entry.name
        if name is None:
            assert entry.url is not None  # an unnamed requirement is a path or a URL
            if origins is None:
                origins = _by_origin(dists)
            matched = origins.get(_key(entry.url), [])
            if not matched:
                name = _static_name(entry)
                matched = [] if name is None else by_name.get(name, [])
                if not matched:
                    if warn:
                        log.warn(f"Skipping `{entry.url.partition('#')[0]}` as it is not "
                                 "installed")
                    continue
            for dist in matched:
                found.setdefault(str(dist.path), dist)
        elif name in by_name:
            for dist in by_name[name]:
                found.setdefault(str(dist.path), dist)
        elif warn:
            log.warn(f"Skipping {name} as it is not installed")
    return list(found.values())


def _by_origin(dists: Sequence[InstalledDistribution]) -> dict[str, list[InstalledDistribution]]:
    """The installed distributions by the keys (:func:`_key`) of what they came from."""
    index: dict[str, list[InstalledDistribution]] = {}
    for dist in dists:
        keys: set[str] = set()
        if dist.kind == "egg-link":
            # Either directory names the project: the one linked, or the one setup.py is in.
            for directory in (dist.egg_link_target(), dist.egg_link_project()):
                if directory is not None:
                    keys.add(_path_key(str(directory)))
        else:
            direct = dist.direct_url()
            url = direct.get("url") if direct is not None else None
            if direct is not None and isinstance(url, str):
                keys.update(_installed_keys(url, direct))
        for key in keys:
            index.setdefault(key, []).append(dist)
    return index


def _installed_keys(url: str, direct: dict[str, object]) -> set[str]:
    subdirectory = direct.get("subdirectory")
    if url.startswith("file:"):
        path = _file_path(url)
        if isinstance(subdirectory, str):
            path = os.path.join(path, subdirectory)
        return {_path_key(path)}
    # A VCS install matches its URL alone and with the revision asked for or installed.
    keys = {url}
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
        base = f"{vcs['vcs']}+{url}"
        keys.add(base)
        for revision in (vcs.get("requested_revision"), vcs.get("commit_id")):
            if isinstance(revision, str):
                keys.add(f"{base}@{revision}")
    return keys


def _key(url: str) -> str:
    """What a requirement's URL is matched by: a local path (and ``#subdirectory=``) by its
    real path, any other URL as written, without its fragment."""
    base, _, fragment = url.partition("#")
    if not base.startswith("file:"):
        return base
    from urllib.parse import parse_qs

    path = _file_path(base)
    subdirectory = parse_qs(fragment).get("subdirectory")
    if subdirectory:
        path = os.path.join(path, subdirectory[0])
    return _path_key(path)


def _file_path(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).path)


def _path_key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def _static_name(entry: RequirementEntry) -> str | None:
    """The normalized name of the local project or archive ``entry`` points at, when it can be
    told without a build; ``None`` for a path that does not exist or a remote URL (nothing
    installed can then be told to be it). Raises :class:`UninstallError` for a project whose
    name only its build backend knows."""
    assert entry.url is not None
    base, _, fragment = entry.url.partition("#")
    if not base.startswith("file:"):
        return None
    path = _file_path(base)
    from pyffin.models.names import is_valid_name, normalize_name

    if os.path.isfile(path):
        name = _archive_name(os.path.basename(path))
        unknown = "its file name names no project"
    elif os.path.isdir(path):
        from pathlib import Path
        from urllib.parse import parse_qs

        from pyffin.build.static import static_name

        subdirectory = parse_qs(fragment).get("subdirectory")
        project = Path(path, subdirectory[0]) if subdirectory else Path(path)
        name = static_name(project)
        unknown = ("its name is in no pyproject.toml ([project] name) or setup.cfg ([metadata] "
                   "name) there: only its build could tell")
    else:
        return None
    if name is None or not is_valid_name(name):
        where = f"{entry.location}: " if entry.location is not None and entry.location.line \
            else ""
        raise UninstallError(
            f"{where}cannot tell which package {entry.given or path} is: nothing installed "
            f"came from {path}, and {unknown}; uninstall it by name")
    return normalize_name(name)


def _archive_name(filename: str) -> str | None:
    """The name in a source archive's file name (``my_proj-0.1.tar.gz``); a wheel's is read
    when its requirement is parsed."""
    from pyffin.requirements.requirement import ARCHIVE_SUFFIXES

    lowered = filename.lower()
    suffix = next((s for s in ARCHIVE_SUFFIXES if lowered.endswith(s)), None)
    if suffix is None:
        return None
    name, sep, version = filename[:-len(suffix)].rpartition("-")
    return name if sep and version[:1].isdigit() else None
