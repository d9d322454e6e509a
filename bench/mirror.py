"""A local mirror of the benchmark sets, downloaded from PyPI once into ``bench/.data/mirror``.

Layout: ``pages/<project>.json`` (PyPI's PEP 691 page as fetched), ``files/`` (distributions),
``metadata/<file>.metadata`` (PEP 658 core metadata), ``mirror.json`` (build requirements of the
sdist set and files fetched on demand). For each pinned ``name==version`` the mirror holds the
files of that version that fit the benchmark interpreter; each project page lists every file of
every version up to the highest pinned one (so page sizes and parse costs are realistic and tools
pick the pinned version as the highest allowed), but only those files are served. Listed wheels
advertise core metadata; whatever a resolver asks for beyond the pins (an older version's
``.metadata`` while backtracking) is fetched by :meth:`Mirror.fetch_misses` after a check run.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from bench import BenchError
from bench.sets import Pin

PYPI_SIMPLE = "https://pypi.org/simple/"
_JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"
_USER_AGENT = "pyffin-bench (mirror of pinned benchmark sets)"
_WORKERS = 8
#: Build requirements assumed for an sdist without ``[build-system]`` (what pip/uv fall back to,
#: plus ``wheel`` that older front ends add).
_DEFAULT_BUILD_REQUIRES = ("setuptools>=40.8.0", "wheel")

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ListedFile:
    """One file of a PyPI project page."""

    filename: str
    version: Version
    url: str
    sha256: str
    size: int
    requires_python: str | None
    yanked: bool | str
    upload_time: str | None
    tags: frozenset[Tag] = field(default_factory=frozenset)  # wheels only

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True, slots=True)
class IndexPlan:
    """What one index serves: project -> pinned versions; which projects offer sdists only."""

    name: str
    pins: dict[str, frozenset[str]]
    sdist_only: frozenset[str] = frozenset()
    #: A universal resolution's index: a pinned version that has neither a wheel for this
    #: interpreter nor an sdist (``pywin32``) is served by one of its wheels.
    any_platform: bool = False

    def with_pins(self, pins: Iterable[Pin]) -> IndexPlan:
        merged = {name: set(versions) for name, versions in self.pins.items()}
        for pin in pins:
            merged.setdefault(pin.name, set()).add(pin.version)
        return IndexPlan(self.name, {n: frozenset(v) for n, v in merged.items()},
                         self.sdist_only, self.any_platform)


@dataclass(frozen=True, slots=True)
class Listing:
    """One project page of one index: the files it lists and the ones it serves."""

    project: str
    files: tuple[ListedFile, ...]
    served: frozenset[str]


def parse_page(doc: Mapping[str, Any]) -> list[ListedFile]:
    """The wheels and sdists of a PEP 691 page whose filenames carry a valid version."""
    files = []
    for entry in doc["files"]:
        filename = entry["filename"]
        tags: frozenset[Tag] = frozenset()
        try:
            if filename.endswith(".whl"):
                _, version, _, wheel_tags = parse_wheel_filename(filename)
                tags = frozenset(wheel_tags)
            else:
                _, version = parse_sdist_filename(filename)
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue  # eggs, installers, legacy versions: no tool considers them
        files.append(
            ListedFile(
                filename=filename,
                version=version,
                url=entry["url"],
                sha256=entry["hashes"]["sha256"],
                size=int(entry.get("size") or 0),
                requires_python=entry.get("requires-python") or None,
                yanked=entry.get("yanked", False),
                upload_time=entry.get("upload-time"),
                tags=tags,
            )
        )
    return files


def plan_listing(
    project: str,
    files: Sequence[ListedFile],
    versions: Iterable[str],
    supported: frozenset[Tag],
    *,
    sdist_only: bool,
    log: Log,
    any_platform: bool = False,
) -> tuple[list[ListedFile], list[ListedFile]]:
    """(files to list, files to serve) for a project pinned at ``versions``."""
    pinned = sorted({Version(v) for v in versions})
    listed = [f for f in files if f.version <= pinned[-1] and not (sdist_only and f.is_wheel)]
    served: list[ListedFile] = []
    for version in pinned:
        of_version = [f for f in listed if f.version == version]
        sdists = sorted((f for f in of_version if not f.is_wheel), key=_sdist_preference)
        wheels = [f for f in of_version if f.is_wheel and f.tags & supported]
        if sdist_only:
            chosen = sdists[:1]
        elif wheels:
            chosen = wheels
        elif any_platform and any(f.is_wheel for f in of_version):
            # Another platform's wheel: its metadata serves the version (see MirrorServer).
            chosen = [f for f in of_version if f.is_wheel][:1]
        else:
            chosen = sdists[:1]
            if chosen:
                log(f"{project}=={version} has no wheel for this interpreter; mirroring its sdist")
        if not chosen:
            kind = "sdist" if sdist_only else "wheel or sdist"
            raise BenchError(f"{project}=={version}: PyPI has no {kind} usable here")
        served += chosen
    return listed, served


def _sdist_preference(f: ListedFile) -> int:
    return 0 if f.filename.endswith(".tar.gz") else 1


class Mirror:
    def __init__(self, root: Path, log: Log) -> None:
        self.root = root
        self.files_dir = root / "files"
        self.metadata_dir = root / "metadata"
        self.pages_dir = root / "pages"
        self._state_path = root / "mirror.json"
        self._log = log
        self._pages: dict[str, list[ListedFile]] = {}

    # --- state -------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self._state_path.read_text(encoding="utf-8"))
            return state
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise BenchError(f"{self._state_path}: corrupt ({exc}); delete it to rebuild") from None

    def _save_state(self, state: Mapping[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self._state_path)

    # --- pages and files ---------------------------------------------------------------------

    def file_path(self, filename: str) -> Path:
        return self.files_dir / filename

    def metadata_path(self, filename: str) -> Path:
        return self.metadata_dir / f"{filename}.metadata"

    def page(self, project: str) -> list[ListedFile]:
        """The project's files on PyPI (fetched once, then read from ``pages/``)."""
        if project not in self._pages:
            path = self.pages_dir / f"{project}.json"
            if not path.exists():
                body = _get(f"{PYPI_SIMPLE}{project}/", accept=_JSON_ACCEPT)
                _write(path, body)
            try:
                self._pages[project] = parse_page(json.loads(path.read_bytes()))
            except (ValueError, KeyError, TypeError) as exc:
                raise BenchError(f"{path}: not a PEP 691 page ({exc!r}); delete it") from None
        return self._pages[project]

    def prepare(self, plan: IndexPlan, supported: frozenset[Tag]) -> dict[str, Listing]:
        """Download what ``plan`` needs (nothing when already there); the pages to serve."""
        missing = [p for p in plan.pins if not (self.pages_dir / f"{p}.json").exists()]
        if missing:
            self._log(f"mirror: fetching {len(missing)} project pages from PyPI")
        with ThreadPoolExecutor(_WORKERS) as pool:
            list(pool.map(self.page, plan.pins))
        extra = set(self._state().get("on_demand", {}).get(plan.name, ()))
        listings: dict[str, Listing] = {}
        downloads: list[ListedFile] = []
        for project, versions in sorted(plan.pins.items()):
            listed, served = plan_listing(
                project,
                self.page(project),
                versions,
                supported,
                sdist_only=project in plan.sdist_only,
                log=self._log,
                any_platform=plan.any_platform,
            )
            names = {f.filename for f in served} | {f.filename for f in listed} & extra
            listings[project] = Listing(project, tuple(listed), frozenset(names))
            downloads += [f for f in listed if f.filename in names]
        todo = [f for f in downloads if not self._complete(f)]
        if todo:
            total = sum(f.size for f in todo) / 1e6
            self._log(f"mirror: downloading {len(todo)} files ({total:.0f} MB) from PyPI")
            with ThreadPoolExecutor(_WORKERS) as pool:
                list(pool.map(self._download, todo))
        return listings

    def _complete(self, f: ListedFile) -> bool:
        if not self.file_path(f.filename).exists():
            return False
        return not f.is_wheel or self.metadata_path(f.filename).exists()

    def _download(self, f: ListedFile) -> None:
        path = self.file_path(f.filename)
        if not path.exists():
            _download(f.url, path, f.sha256)
        if f.is_wheel and not self.metadata_path(f.filename).exists():
            self._store_metadata(f, wheel=path)

    def _store_metadata(self, f: ListedFile, wheel: Path | None) -> None:
        """PyPI's ``.metadata`` for a wheel; the wheel's own METADATA when PyPI has none."""
        try:
            data = _get(f.url + ".metadata")
        except _NotFound:
            if wheel is None:
                wheel = self.file_path(f.filename)
                _download(f.url, wheel, f.sha256)
            data = wheel_metadata(wheel)
        _write(self.metadata_path(f.filename), data)

    def fetch_misses(
        self, plan: IndexPlan, listings: Mapping[str, Listing], misses: Iterable[str]
    ) -> tuple[int, list[str]]:
        """Fetch what a tool asked the index for and did not get.

        Returns (how many were fetched, the misses that cannot be fixed, e.g. an unknown
        project). A fetched distribution is recorded so later runs of ``plan`` serve it.
        """
        by_name = {f.filename: f for listing in listings.values() for f in listing.files}
        state = self._state()
        on_demand: list[str] = state.setdefault("on_demand", {}).setdefault(plan.name, [])
        fetched, unfixable = 0, []
        for miss in dict.fromkeys(misses):
            name = miss.removeprefix("/files/")
            if name.endswith(".metadata") and name[: -len(".metadata")] in by_name:
                listed = by_name[name[: -len(".metadata")]]
                if not self.metadata_path(listed.filename).exists():
                    self._store_metadata(listed, wheel=None)
                    fetched += 1
            elif name in by_name:
                if name not in on_demand:
                    on_demand.append(name)
                    fetched += 1
                self._download(by_name[name])
            else:
                unfixable.append(miss)
        self._save_state(state)
        return fetched, unfixable

    # --- the sdist set's build requirements -----------------------------------------------

    def build_pins(
        self, sdists: Iterable[str], resolve: Callable[[list[str]], list[Pin]]
    ) -> list[Pin]:
        """Pins of the build requirements of ``sdists`` (filenames in the mirror), each sdist's
        requirements resolved on its own by ``resolve`` (against PyPI) and remembered."""
        state = self._state()
        known: dict[str, list[str]] = state.setdefault("build_pins", {})
        pins: list[Pin] = []
        for filename in sorted(sdists):
            if filename not in known:
                requires = build_requires(self.file_path(filename))
                self._log(f"mirror: resolving the build requirements of {filename}: {requires}")
                known[filename] = [str(p) for p in resolve(requires)]
                self._save_state(state)
            for line in known[filename]:
                name, _, version = line.partition("==")
                pins.append(Pin(name, version))
        return pins

    def latest_upload(self, pins: Iterable[Pin]) -> str | None:
        """The newest upload time of the pinned versions' files (RFC 3339), from the pages."""
        times = [f.upload_time for pin in pins for f in self.page(pin.name)
                 if str(f.version) == pin.version and f.upload_time]
        return max(times, default=None)

    def size(self) -> int:
        """Bytes on disk under the mirror root."""
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


def build_requires(sdist: Path) -> list[str]:
    """``[build-system] requires`` of an sdist's pyproject.toml (the default when absent)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == "pyproject.toml" and member.isfile():
                extracted = archive.extractfile(member)
                if extracted is None:
                    break
                doc = tomllib.loads(extracted.read().decode("utf-8"))
                requires = doc.get("build-system", {}).get("requires")
                if requires is not None:
                    return [str(r) for r in requires]
    return list(_DEFAULT_BUILD_REQUIRES)


def wheel_metadata(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                return archive.read(name)
    raise BenchError(f"{wheel}: no .dist-info/METADATA")


class _NotFound(Exception):
    pass


def _get(url: str, accept: str | None = None) -> bytes:
    headers = {"User-Agent": _USER_AGENT}
    if accept:
        headers["Accept"] = accept
    for attempt in range(4):
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=60
            ) as r:
                body: bytes = r.read()
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise _NotFound(url) from None
            error: Exception = exc
        except (OSError, urllib.error.URLError) as exc:
            error = exc
        time.sleep(0.5 * 2**attempt)
    raise BenchError(f"{url}: download failed: {error}")


def _download(url: str, path: Path, sha256: str) -> None:
    """Download to ``path`` (atomically), checking the registry's sha256."""
    try:
        data = _get(url)
    except _NotFound:
        raise BenchError(f"{url}: not found on the registry") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise BenchError(f"{url}: sha256 {digest} does not match the registry's {sha256}")
    _write(path, data)


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a reader never sees a partial file, even after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
