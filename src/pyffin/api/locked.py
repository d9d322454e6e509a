"""Installing from a ``pylock.toml`` (PEP 751): the lock's packages for one environment, as a
:class:`~pyffin.resolver.Resolution` that the install operations take as any other — no
resolution, and no index page read: each package's file is the one the lock lists.

Following the PEP's installation steps: the lock's ``requires-python`` and ``environments``
must admit the environment, the extras and dependency groups asked for must be ones the lock
records (without ``--group``, its ``default-groups``); a package is installed when its
``marker`` holds — with the PEP 751 ``extras`` and ``dependency_groups`` sets — and two such
entries of one name are an error; of its ``wheels`` the best for the environment's tags is
taken, else its ``sdist`` (built), else its ``archive``, ``vcs`` or ``directory`` source.
Every file is checked against the lock's hashes (hash-checking mode); a file the cache
unzipped earlier is trusted only when those hashes key it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.models.pylock import PylockError
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.models.dist import Distribution
    from pyffin.models.format_control import BinaryPolicy
    from pyffin.models.pylock import LockedFile, LockedPackage, PylockFile
    from pyffin.models.versions import Version
    from pyffin.resolver import Resolution


@record
class LockedInstall:
    """What a lock gives one environment: the packages with their files, and the hashes each
    file must have (``name -> ("sha256:…", …)``)."""

    resolution: Resolution
    hashes: Mapping[str, tuple[str, ...]]
    #: The revision each git source was asked for (a branch or tag; the lock pins its
    #: commit), for the PEP 610 record, by name.
    requested_revisions: Mapping[str, str]


def select(lock: PylockFile, path: str | os.PathLike[str], *, markers: Mapping[str, str],
           tags: Sequence[str], extras: Collection[str] = (),
           groups: Collection[str] | None = None,
           version_of: Callable[[str, Distribution], Version] | None = None,
           binary: BinaryPolicy | None = None) -> LockedInstall:
    """The packages of ``lock`` (read from ``path``) for the environment whose marker values
    are ``markers`` and whose wheel tags (best first) are ``tags``, with ``extras`` and
    dependency ``groups`` (normalized; ``None``: the lock's default ones). ``version_of``
    gives the version of a source tree the lock names no version for (by building its
    metadata). ``binary`` (``--no-binary``, ``--only-binary``, ``--no-build``) rules out
    wheels or sources of some packages, as for a resolution. Raises
    :class:`~pyffin.models.pylock.PylockError` naming the file."""
    from packaging.specifiers import SpecifierSet

    from pyffin.models.markers import Marker
    from pyffin.models.versions import Version
    from pyffin.resolver import Resolution, ResolvedPackage

    shown = os.fspath(path)
    python = markers.get("python_full_version") or markers["python_version"]
    if lock.requires_python and not SpecifierSet(lock.requires_python).contains(
            python, prereleases=True):
        raise PylockError(f"{shown} requires Python {lock.requires_python} (requires-python), "
                          f"but the environment's is {python}")
    if lock.environments is not None and not any(
            Marker.parse(e).evaluate(markers) for e in lock.environments):
        raise PylockError(f"{shown} is not for this environment: none of its `environments` "
                          "holds (" + "; ".join(lock.environments) + ")")
    for kind, asked, known in (("extra", extras, lock.extras),
                               ("dependency group", groups or (), lock.dependency_groups)):
        unknown = sorted(set(asked) - set(known))
        if unknown:
            raise PylockError(f"{shown} records no {kind} {', '.join(unknown)} (it has: "
                              f"{', '.join(known) or 'none'})")
    sets = {"extras": frozenset(extras),
            "dependency_groups": frozenset(lock.default_groups if groups is None else groups)}
    packages: dict[str, ResolvedPackage] = {}
    hashes: dict[str, tuple[str, ...]] = {}
    revisions: dict[str, str] = {}
    base = Path(shown).absolute().parent
    for package in lock.packages:
        if package.marker is not None and not Marker.parse(package.marker).evaluate(
                markers, lock=sets):
            continue
        if package.name in packages:
            raise PylockError(f"{shown}: `{package.key}`: a second entry for {package.name} "
                              "applies to this environment (one per name may)")
        if package.requires_python and not SpecifierSet(package.requires_python).contains(
                python, prereleases=True):
            raise PylockError(f"{shown}: `{package.key}`: {package.name} requires Python "
                              f"{package.requires_python}, but the environment's is {python}")
        dist, digests = _distribution(package, base, tags, shown, binary)
        named = None if package.version is not None else _filename_version(dist)
        if package.version is not None:
            version = Version(package.version)
        elif named is not None:
            version = named  # PEP 751: SHOULD be given; uv reads the file's too
        elif version_of is not None:
            version = version_of(package.name, dist)
        else:
            raise PylockError(f"{shown}: `{package.key}`: {package.name} has no version")
        packages[package.name] = ResolvedPackage(package.name, version, dist=dist)
        if digests:
            hashes[package.name] = digests
        if package.vcs is not None and package.vcs.requested_revision:
            revisions[package.name] = package.vcs.requested_revision
    return LockedInstall(Resolution(dict(sorted(packages.items()))), hashes, revisions)


def _distribution(package: LockedPackage, base: Path, tags: Sequence[str], shown: str,
                  binary: BinaryPolicy | None) -> tuple[Distribution, tuple[str, ...]]:
    """The distribution of ``package`` to install here, and the hashes it must have."""
    from pyffin.models.direct import parse_direct
    from pyffin.models.dist import Distribution
    from pyffin.resolver.file_selection import direct_distribution

    wheels_ok = binary is None or binary.wheels_allowed(package.name)
    sources_ok = binary is None or binary.sdists_allowed(package.name)
    wheel = _best_wheel(package.wheels, tags) if wheels_ok else None
    chosen = wheel if wheel is not None else package.sdist if sources_ok else None
    if chosen is not None:
        from pyffin.models.files import IndexFile, ProjectPage, SimplePage

        url = _url(chosen, base)
        file = IndexFile(chosen.filename, url, chosen.hashes, package.requires_python, None,
                         chosen.upload_time, chosen.size, None)
        index = package.index
        page = ProjectPage(index if index else url.rpartition("/")[0],
                           SimplePage(package.name, {}), flat=not index)
        return Distribution(page, file, chosen is wheel), _required(chosen)
    is_wheel = package.archive is not None and package.archive.filename.endswith(".whl")
    if package.archive is not None and (wheels_ok if is_wheel else sources_ok):
        archive = package.archive
        url = _url(archive, base)
        if archive.subdirectory:
            url += f"#subdirectory={archive.subdirectory}"
        direct = parse_direct(url)
        from pyffin.records import replace

        direct = replace(direct, hashes=archive.hashes)
        return direct_distribution(package.name, direct), _required(archive)
    if package.vcs is not None and sources_ok:
        vcs = package.vcs
        if vcs.type != "git":
            from pyffin.errors import NotSupportedError

            raise NotSupportedError(f"{shown}: `{package.key}.vcs`: only git sources are "
                                    f"supported, not {vcs.type}")
        location = vcs.url if vcs.url is not None else (base / (vcs.path or "")).as_uri()
        url = f"git+{location}@{vcs.commit_id}"
        if vcs.subdirectory:
            url += f"#subdirectory={vcs.subdirectory}"
        return Distribution(None, None, False, parse_direct(url), vcs.commit_id), ()
    if package.directory is not None and sources_ok:
        directory = package.directory
        where = (base / directory.path).resolve()
        if directory.subdirectory:
            where = where / directory.subdirectory
        if not where.is_dir():
            raise PylockError(f"{shown}: `{package.key}.directory`: {where} is not a directory")
        direct = parse_direct(where.as_uri(), editable=directory.editable)
        return Distribution(None, None, False, direct), ()
    if not (wheels_ok and sources_ok):
        refused = "wheels (--no-binary)" if not wheels_ok else "sources (--no-build / " \
                                                                  "--only-binary)"
        raise PylockError(f"{shown}: `{package.key}`: {package.name} cannot be installed: "
                          f"its {refused} are ruled out and the lock lists nothing else")
    listed = ", ".join(w.filename for w in package.wheels)
    raise PylockError(f"{shown}: `{package.key}`: {package.name} has no wheel for this "
                      f"environment ({listed or 'none listed'}) and no source distribution")


def _best_wheel(wheels: Sequence[LockedFile], tags: Sequence[str]) -> LockedFile | None:
    """The wheel whose best tag comes first in ``tags``; a higher build tag breaks a tie."""
    from pyffin.models.pylock import wheel_tags

    rank = {tag: i for i, tag in enumerate(tags)}
    best: tuple[int, tuple[int, str] | tuple[()]] | None = None
    chosen = None
    for wheel in wheels:
        parsed = wheel_tags(wheel.filename)
        assert parsed is not None  # checked when the lock was read
        build, expanded = parsed
        ranks = [rank[t] for t in expanded if t in rank]
        if not ranks:
            continue
        key = (-min(ranks), build)
        if best is None or key > best:
            best, chosen = key, wheel
    return chosen


def _url(file: LockedFile, base: Path) -> str:
    """Where ``file`` is: its URL, or its path (relative to the lock file's directory)."""
    if file.url is not None:
        return file.url
    assert file.path is not None
    return (base / file.path).resolve().as_uri()


def _required(file: LockedFile) -> tuple[str, ...]:
    return tuple(f"{algorithm}:{digest}" for algorithm, digest in file.hashes)


def _filename_version(dist: Distribution) -> Version | None:
    """The version an index file's name gives (a wheel's, an sdist's), ``None`` for a direct
    source or a name that gives none."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    from pyffin.models.versions import InvalidVersion, Version

    file = dist.file
    if file is None or dist.direct is not None:
        return None
    try:
        parsed = (parse_wheel_filename(file.filename)[1] if dist.is_wheel
                  else parse_sdist_filename(file.filename)[1])
        return Version(str(parsed))
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
