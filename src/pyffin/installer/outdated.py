"""The newest version the indexes offer for installed packages (``pip list --outdated``,
``pip tree --outdated``), chosen as uv chooses it.

A file counts when it was uploaded before the package's ``--exclude-newer`` cutoff, is not
yanked, is a final release (unless pre-releases are asked for), its ``Requires-Python`` has no
lower bound above the environment's Python (an upper bound does not count: uv's reading), and,
for a wheel, one of its tags fits the environment. The newest such version wins; at the same
version a wheel is preferred to an sdist. Every index the strategy allows and every find-links
location is looked at; a package no index knows has no newest version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pyffin.models.files import file_requires_python, file_upload_time, file_yanked, wheel_tags
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.client.registry import RegistryClient
    from pyffin.models.files import ProjectPage
    from pyffin.models.versions import Version


@record
class Latest:
    """The newest usable version of a project and the kind of its best file."""

    version: Version
    #: ``"wheel"`` or ``"sdist"``, as uv's ``latest_filetype``.
    filetype: str


def latest_versions(registry: RegistryClient, names: Iterable[str], *,
                    tags: Sequence[str], python_version: str, prereleases: bool = False,
                    cutoff: Callable[[str], float | None] | None = None) -> dict[str, Latest]:
    """``name -> Latest`` for each of ``names`` (normalized) that an index or find-links
    location offers a usable file of. Pages are fetched side by side."""
    from pyffin.client.errors import OfflineError
    from pyffin.client.registry import PackageNotFoundError
    from pyffin.models.versions import InvalidVersion, Version

    try:
        python = Version(python_version)
    except InvalidVersion:
        python = Version("0")
    futures = {name: registry.prefetch_project(name) for name in dict.fromkeys(names)}
    rank = {tag: i for i, tag in enumerate(tags)}
    found: dict[str, Latest] = {}
    for name, future in futures.items():
        try:
            pages = future.result()
        except (PackageNotFoundError, OfflineError):
            continue
        latest = _newest(pages, rank, python, prereleases,
                         cutoff(name) if cutoff is not None else None)
        if latest is not None:
            found[name] = latest
    return found


def _newest(pages: Sequence[ProjectPage], tags: dict[str, int], python: Version,
            prereleases: bool, cutoff: float | None) -> Latest | None:
    """The newest usable version of ``pages``, their files read as the pages keep them (a
    JSON page's as listed: making each file's tuple cost more than the rest of this)."""
    from pyffin.models.versions import InvalidVersion, Version

    best: Latest | None = None
    for page in pages:
        for version_text, (wheel_rows, sdist_rows) in page.page.items():
            try:
                version = Version(version_text)
            except InvalidVersion:
                continue
            if version.is_prerelease and not prereleases:
                continue
            if best is not None and (version < best.version or (
                    version == best.version and best.filetype == "wheel")):
                continue
            if any(any(t in tags for t in wheel_tags(row)) and _usable(row, python, cutoff)
                   for row in wheel_rows):
                best = Latest(version, "wheel")
            elif (best is None or version > best.version) and any(
                    _usable(row, python, cutoff) for row in sdist_rows):
                best = Latest(version, "sdist")
    return best


def _usable(row: Any, python: Version, cutoff: float | None) -> bool:
    """Whether a file (a page's row, in either form) may be the newest: uploaded before the
    cutoff (a file without an upload time counts), not yanked, and fit for the Python by its
    ``Requires-Python`` lower bound."""
    if cutoff is not None:
        uploaded = file_upload_time(row)
        if uploaded is not None and uploaded >= cutoff:
            return False
    if file_yanked(row):
        return False
    requires_python = file_requires_python(row)
    return requires_python is None or admits_from_below(requires_python, python)


def admits_from_below(requires_python: str, python: Version) -> bool:
    """Whether the lower bound of ``requires_python`` is at or below ``python`` (uv's
    ``RequiresPython::is_contained_by``: upper bounds and exclusions are not looked at, so
    ``<3.12`` admits 3.13). A specifier that does not parse admits nothing."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from pyffin.models.versions import InvalidVersion, Version

    try:
        specifiers = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return False
    release = Version(".".join(str(part) for part in python.release))
    for specifier in specifiers:
        operator, text = specifier.operator, specifier.version
        if operator not in (">=", ">", "==", "~=", "==="):
            continue
        try:
            bound = Version(text[:-2] if text.endswith(".*") else text)
        except InvalidVersion:
            return False
        if release < bound or (operator == ">" and release == bound):
            return False
    return True
