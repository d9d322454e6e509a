"""What an environment has installed: ``.dist-info``, legacy ``.egg-info`` and ``.egg-link``.

:func:`scan` is the first step of every sync, including the no-op one, so it reads directory
names only (one ``scandir`` per site-packages directory): names and versions come from
``{name}-{version}.dist-info`` and ``{name}-{version}(-pyX.Y)?.egg-info``. Everything else —
metadata, RECORD, INSTALLER, ``direct_url.json`` — is read when asked for.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pyffin import log
from pyffin.installer.debris import is_debris
from pyffin.installer.errors import UninstallError
from pyffin.models.names import normalize_name
from pyffin.models.wheel import RecordEntry, parse_record, read_headers
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.models.metadata import CoreMetadata
    from pyffin.stamps import Stamp

Kind = Literal["dist-info", "egg-info", "egg-link"]

#: A version-looking start: what follows the name in an unescaped, ambiguous directory name.
_VERSION_START_RE = re.compile(r"v?\d")
#: The interpreter (and platform) suffix of an ``.egg-info`` name: ``-py3.11``.
_PY_SUFFIX_RE = re.compile(r"-py\d+(\.\d+)*(-[^-]+)*$")


@record
class InstalledDistribution:
    """One installed distribution. ``name`` and ``version`` are spelled as on disk (escaped or
    not); compare names with :attr:`normalized_name`."""

    name: str
    version: str
    #: The ``.dist-info``/``.egg-info`` directory (an ``.egg-info`` may be a file, written by
    #: distutils) or the ``.egg-link`` file.
    path: Path
    kind: Kind = "dist-info"

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    @property
    def label(self) -> str:
        """``name version`` for messages."""
        return f"{self.name} {self.version}"

    def metadata(self) -> CoreMetadata:
        """The core metadata (``METADATA`` / ``PKG-INFO``); :class:`MetadataError` if absent."""
        from pyffin.models.metadata import CoreMetadata, MetadataError

        path = self.metadata_path
        try:
            data = path.read_bytes()
        except OSError as e:
            raise MetadataError(f"cannot read the metadata of {self.label} ({path}): "
                                f"{e.strerror}") from e
        return CoreMetadata.parse(data, source=str(path))

    @property
    def metadata_path(self) -> Path:
        """The file :meth:`metadata` reads (``METADATA``, ``PKG-INFO``, an ``.egg-info``
        file)."""
        if self.kind == "dist-info":
            return self.path / "METADATA"
        if self.kind == "egg-info":
            return self.path / "PKG-INFO" if self.path.is_dir() else self.path
        egg_info = _linked_egg_info(self.path, self.name)
        return (egg_info or self.path) / "PKG-INFO"

    @property
    def requested(self) -> bool:
        """Whether the user asked for it (PEP 376 ``REQUESTED``); legacy installs: ``False``."""
        return self.kind == "dist-info" and (self.path / "REQUESTED").exists()

    @property
    def installer(self) -> str:
        """The first line of ``INSTALLER`` (``pip``, ``pyffin``, ...), ``""`` when unknown."""
        if self.kind != "dist-info":
            return ""
        try:
            text = (self.path / "INSTALLER").read_text("utf-8", "replace")
        except OSError:
            return ""
        return text.partition("\n")[0].strip()

    def direct_url(self) -> dict[str, Any] | None:
        """``direct_url.json`` (PEP 610): where a URL/path/VCS install came from, else ``None``.

        A malformed file is reported and treated as absent.
        """
        if self.kind != "dist-info":
            return None
        path = self.path / "direct_url.json"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        import json

        try:
            value = json.loads(data)
        except ValueError as e:
            log.warn(f"Ignoring the malformed {path}: {e}")
            return None
        if not isinstance(value, dict):
            log.warn(f"Ignoring the malformed {path}: not a JSON object")
            return None
        return value

    def record(self) -> list[RecordEntry] | None:
        """The files this distribution installed, relative to :attr:`path`'s parent (so
        scripts read ``../../../bin/x``); ``None`` when it has no file list.

        That is RECORD for a dist-info and ``installed-files.txt`` for an egg-info (whose
        paths, relative to the egg-info directory, are rewritten). An egg-link has none.
        """
        if self.kind == "dist-info":
            path = self.path / "RECORD"
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                return None
            return parse_record(data, source=str(path), error=UninstallError)
        if self.kind == "egg-link" or not self.path.is_dir():
            return None
        try:
            text = (self.path / "installed-files.txt").read_text("utf-8", "surrogateescape")
        except FileNotFoundError:
            return None
        base = self.path.name
        entries = []
        for line in text.splitlines():
            line = line.strip()
            if line:
                rel = line if posixpath.isabs(line) else posixpath.normpath(f"{base}/{line}")
                entries.append(RecordEntry(rel, None, None))
        return entries

    def egg_link_target(self) -> Path | None:
        """The directory an ``.egg-link`` points at (its first line, taken from the link's
        directory as pip does): the one holding the ``.egg-info`` and put on ``sys.path``.
        uv and pip report it as the editable project location."""
        lines = self._egg_link_lines()
        if not lines:
            return None
        return Path(os.path.abspath(os.path.join(self.path.parent, lines[0])))

    def egg_link_project(self) -> Path | None:
        """The project directory of an ``.egg-link`` install, the one to install it again
        from: setuptools writes the way back from the target to it on the second line
        (``../`` for a ``src`` layout, whose target is ``src``)."""
        target = self.egg_link_target()
        lines = self._egg_link_lines()
        if target is None or len(lines) < 2:
            return target
        project = Path(os.path.normpath(os.path.join(target, lines[1])))
        if any((project / name).is_file() for name in ("pyproject.toml", "setup.py")):
            return project
        return target

    def _egg_link_lines(self) -> list[str]:
        if self.kind != "egg-link":
            return []
        try:
            text = self.path.read_text("utf-8", "surrogateescape")
        except OSError:
            return []
        lines = [line.strip() for line in text.splitlines()]
        return lines if lines and lines[0] else []

    @property
    def location(self) -> Path:
        """The directory holding the metadata, which ``pip show`` reports: ``site-packages``;
        for an ``.egg-link``, the directory it points at (where the ``.egg-info`` is)."""
        if self.kind == "egg-link":
            target = self.egg_link_target()
            if target is not None:
                return target
        return self.path.parent


def scan(site_packages: Sequence[Path], *,
         debris: list[str] | None = None) -> list[InstalledDistribution]:
    """Every distribution installed in the ``site_packages`` directories (missing ones are
    skipped, a directory given twice is read once), sorted by normalized name then path.

    Reads no file except for the rare names that hold no version (an ``.egg-link``, an
    unversioned ``.egg-info``): those read their metadata's ``Version``. The paths of
    leftovers of interrupted installs (:mod:`pyffin.installer.debris`) seen on the way are
    added to ``debris`` when it is given.
    """
    found: list[InstalledDistribution] = []
    seen: set[str] = set()
    for directory in site_packages:
        key = os.path.normcase(os.path.abspath(directory))
        if key in seen:
            continue
        seen.add(key)
        try:
            it = os.scandir(directory)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with it:
            for entry in it:
                dist = _from_entry(entry)
                if dist is not None:
                    found.append(dist)
                elif debris is not None and is_debris(entry.name):
                    debris.append(entry.path)
    found.sort(key=lambda d: (d.normalized_name, str(d.path)))
    return found


def duplicated(dists: Iterable[InstalledDistribution]) -> set[str]:
    """The normalized names that more than one of ``dists`` has: an environment left so by
    another tool or a crash, where no copy can be trusted (their files overlap, and removing
    one removes what the other needs)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for dist in dists:
        name = dist.normalized_name
        if name in seen:
            twice.add(name)
        seen.add(name)
    return twice


def _from_entry(entry: os.DirEntry[str]) -> InstalledDistribution | None:
    name = entry.name
    if name.startswith("."):
        return None
    if name.endswith(".dist-info"):
        if not entry.is_dir():
            return None
        return _named(Path(entry.path), name[: -len(".dist-info")], "dist-info", "METADATA")
    if name.endswith(".egg-info"):
        # setuptools writes {name}-{version}-py{X.Y}.egg-info ("-" escaped in name and version)
        stem = _PY_SUFFIX_RE.sub("", name[: -len(".egg-info")])
        metadata = "PKG-INFO" if entry.is_dir() else ""
        return _named(Path(entry.path), stem, "egg-info", metadata)
    if name.endswith(".egg-link"):
        path = Path(entry.path)
        dist_name = name[: -len(".egg-link")]
        target = _linked_egg_info(path, dist_name)
        version = _version_from(target / "PKG-INFO") if target is not None else None
        # A broken link (no readable PKG-INFO) still lists, so a sync can remove it.
        return InstalledDistribution(dist_name, version or "0", path, "egg-link")
    return None


def _named(path: Path, stem: str, kind: Kind, metadata: str) -> InstalledDistribution | None:
    """Split ``{name}-{version}``; unescaped names may hold ``-`` too, so the version starts
    at the first ``-`` followed by a digit. No version at all: ask the metadata file."""
    name, sep, version = stem.partition("-")
    if sep and _VERSION_START_RE.match(version):
        return InstalledDistribution(name, version, path, kind)
    i = stem.find("-")
    while i != -1:
        if _VERSION_START_RE.match(stem, i + 1):
            return InstalledDistribution(stem[:i], stem[i + 1:], path, kind)
        i = stem.find("-", i + 1)
    version_read = _version_from(path / metadata if metadata else path)
    if version_read is None:
        log.warn_once(f"Ignoring {path}: its name has no version and it has no readable "
                      "metadata")
        return None
    return InstalledDistribution(stem, version_read, path, kind)


def _version_from(metadata: Path) -> str | None:
    try:
        data = metadata.read_bytes()
    except OSError:
        return None
    return read_headers(data, ["version"]).get("version") or None


def _linked_egg_info(egg_link: Path, name: str) -> Path | None:
    """The ``.egg-info`` directory of the project an ``.egg-link`` points at."""
    try:
        first = egg_link.read_text("utf-8", "surrogateescape").partition("\n")[0].strip()
    except OSError:
        return None
    if not first:
        return None
    project = egg_link.parent / first
    wanted = normalize_name(name)
    try:
        with os.scandir(project) as it:
            for entry in it:
                stem, dot, ext = entry.name.rpartition(".")
                if (dot and ext == "egg-info" and entry.is_dir()
                        and normalize_name(stem.split("-")[0]) == wanted):
                    return Path(entry.path)
    except OSError:
        return None
    return None


def owners(paths: Sequence[str], site_packages: Sequence[Path], *,
           exclude: str = "") -> dict[str, str]:
    """Which installed distribution (``name version``) records each of ``paths`` (absolute).

    Reads every RECORD: only for messages about conflicts, never on a normal install.
    ``exclude`` is a distribution directory name to skip (the one being installed).
    """
    wanted = {os.path.normpath(p) for p in paths}
    result: dict[str, str] = {}
    for dist in scan(site_packages):
        if dist.path.name == exclude:
            continue
        try:
            entries = dist.record()
        except UninstallError:
            continue
        base = dist.path.parent
        for entry in entries or ():
            full = os.path.normpath(os.path.join(base, entry.path))
            if full in wanted:
                result.setdefault(full, dist.label)
    return {p: result[os.path.normpath(p)] for p in paths if os.path.normpath(p) in result}


class InstalledState:
    """An environment's installed distributions, and what a no-op check reads of each, kept
    in the cache between runs so that a repeated check reads one record instead of the
    environment.

    ``environments-v0/<hash(site-packages)>.rec`` (:attr:`CacheBucket.ENVIRONMENTS`) holds the
    listing of the ``site-packages`` directories, used while each directory's stamp holds (a
    package installed, removed or upgraded by anyone adds or removes an entry there), and per
    distribution its ``Requires-Dist`` with the stamp of its metadata file, and whether it has
    a ``direct_url.json`` with the stamp of that file; each fact is used only while its file's
    stamp holds, and kept only once settled (:func:`pyffin.stamps.settled`). A listing with a
    distribution whose version is not in its name (read from a file elsewhere: an
    ``.egg-link``, an unversioned ``.egg-info``) is not kept.
    """

    RECORD_SCHEMA = "installed-state"
    RECORD_VERSION = 1

    def __init__(self, site_packages: Sequence[Path], cache: Cache | None = None, *,
                 debris: list[str] | None = None) -> None:
        import time

        from pyffin.stamps import settled, stamp

        self._since = time.time_ns()
        directories = list(dict.fromkeys(os.path.abspath(p) for p in site_packages))
        self._entry = None
        record: Any = None
        if cache is not None and not cache.temporary:
            from pyffin.cache import CacheBucket, digest

            key = digest("\0".join(os.path.realpath(d) for d in directories))
            self._entry = cache.entry(CacheBucket.ENVIRONMENTS, f"{key}.rec")
            record = cache.read_record(self._entry, self._decode)
        self._stamps = tuple(stamp(d) for d in directories)
        listing: Any = ()
        #: metadata file -> (its stamp, ``Requires-Dist``)
        self._requires: dict[str, tuple[Stamp, tuple[str, ...]]] = {}
        #: ``direct_url.json`` -> (its stamp, whether it is readable)
        self._direct: dict[str, tuple[Stamp, bool]] = {}
        if record is not None:
            listing, self._requires, self._direct = record
        self._changed = False
        if record is not None and listing[0] == self._stamps:
            self._listing = listing
            #: Everything installed, as :func:`scan` lists it.
            self.distributions = [InstalledDistribution(name, version, Path(path), kind)
                                  for name, version, path, kind in listing[1]]
            return
        found: list[str] = []
        self.distributions = scan([Path(d) for d in directories], debris=found)
        if debris is not None:
            debris += found
        keep = not found and all(settled(s, self._since) for s in self._stamps) and all(
            d.kind == "dist-info" for d in self.distributions)
        self._listing = (self._stamps, tuple((d.name, d.version, str(d.path), d.kind)
                                             for d in self.distributions)) if keep else ((), ())
        self._changed = keep or bool(listing)

    def requires_dist(self, dist: InstalledDistribution) -> tuple[str, ...]:
        """``dist``'s ``Requires-Dist``, as :meth:`InstalledDistribution.metadata` says."""
        from pyffin.stamps import settled, stamp

        path = str(dist.metadata_path)
        current = stamp(path)
        known = self._requires.get(path)
        if known is not None and known[0] == current:
            return known[1]
        requires = dist.metadata().requires_dist
        if current is not None and settled(current, self._since):
            self._requires[path] = (current, requires)
            self._changed = True
        return requires

    def has_direct_url(self, dist: InstalledDistribution) -> bool:
        """Whether ``dist`` came from a URL or a path (a readable PEP 610
        ``direct_url.json``)."""
        if dist.kind != "dist-info":
            return False
        from pyffin.stamps import settled, stamp

        path = os.path.join(dist.path, "direct_url.json")
        current = stamp(path)
        if current is None:
            return False
        known = self._direct.get(path)
        if known is not None and known[0] == current:
            return bool(known[1])
        value = dist.direct_url() is not None
        if settled(current, self._since):
            self._direct[path] = (current, value)
            self._changed = True
        return value

    def save(self) -> None:
        """Keep what was learned for the next run (a cache that cannot be written is only a
        missed chance)."""
        if self._entry is None or not self._changed:
            return
        from pyffin.cache import codec

        data = codec.dumps(self.RECORD_SCHEMA, self.RECORD_VERSION,
                           (self._listing, self._requires, self._direct))
        try:
            self._entry.write(data)
        except OSError as e:
            log.debug(f"Cannot keep the environment's state in {self._entry}: {e}")
        self._changed = False

    @classmethod
    def _decode(cls, data: bytes) -> Any:
        from pyffin.cache import codec

        loaded: Any = codec.loads(data, cls.RECORD_SCHEMA, cls.RECORD_VERSION)
        listing, requires, direct = loaded
        if not (isinstance(listing, tuple) and isinstance(requires, dict)
                and isinstance(direct, dict)):
            raise codec.RecordError("not an installed-state record")
        return listing, requires, direct
