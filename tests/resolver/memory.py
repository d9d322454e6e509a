"""An in-memory package index for resolver tests, written as a tiny DSL.

``{"a": {"1.0": ["b>=2"], "2.0": []}}`` offers ``a`` 1.0 (requiring ``b>=2``) and 2.0 (no
requirements). A version can also be a :class:`Release` for Requires-Python, yanks and extras.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from packaging.utils import NormalizedName
from packaging.version import Version

from pyffin.build.errors import BuildError
from pyffin.models.metadata import CoreMetadata
from pyffin.requirements.pep508 import parse_requirement
from pyffin.resolver.dependencies import DirectRequirement
from pyffin.resolver.errors import NoSolutionError, PackageNotFoundError
from pyffin.resolver.options import ResolverOptions
from pyffin.resolver.ranges import VersionSet
from pyffin.resolver.resolution import Resolution
from pyffin.resolver.solver import resolve
from pyffin.resolver.source import Candidate, Dropped, Likely, PackageSource

#: CPython 3.11.7 on x86_64 Linux.
TARGET = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "6.1.0",
    "platform_system": "Linux",
    "platform_version": "#1 SMP",
    "python_full_version": "3.11.7",
    "python_version": "3.11",
    "sys_platform": "linux",
}


@dataclass(frozen=True)
class Release:
    """One version's index entry and metadata."""

    requires: Sequence[str] = ()
    #: Requires-Python as the index page shows it.
    python: str | None = None
    #: Requires-Python only in the metadata (the index page does not show it).
    metadata_python: str | None = None
    yanked: bool = False
    extras: Sequence[str] = ()
    #: Name and version the metadata claims, when they should disagree with the index.
    metadata_name: str | None = None
    metadata_version: str | None = None
    #: The rank of the index offering it (``--index-strategy unsafe-first-match``).
    index: int = 0


#: name -> version -> requirements (``Sequence[str]``) or :class:`Release`.
Universe: TypeAlias = Mapping[str, Any]


@dataclass
class MemorySource(PackageSource):
    """Serves a :data:`Universe`; records what the solver asked, in order."""

    universe: Universe
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: Names whose data is "still in flight" (``is_ready`` answers False for them).
    slow: set[str] = field(default_factory=set)
    #: ``metadata(name, version)`` raises this instead of answering.
    errors: dict[tuple[str, str], Exception] = field(default_factory=dict)
    #: Direct references: URL -> the version of the universe it stands for.
    urls: dict[str, str] = field(default_factory=dict)
    #: Versions the index lists without a file for the target (not candidates).
    no_files: dict[str, list[Dropped]] = field(default_factory=dict)
    #: The version each prefetch of candidates guessed the solver would choose first (see
    #: :meth:`PackageSource.prefetch_candidates`); ``None``: no guess.
    guesses: dict[str, str | None] = field(default_factory=dict)
    #: What each prefetch of candidates said every solution has of the name (``None``: not
    #: said), and the versions prefetched as ``certain`` (see :meth:`PackageSource.prefetch`).
    required: dict[str, VersionSet | None] = field(default_factory=dict)
    certain: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._releases = {
            name: {Version(text): release if isinstance(release, Release) else Release(release)
                   for text, release in versions.items()}
            for name, versions in self.universe.items()
        }
        self._candidates = {
            name: [Candidate(version, release.yanked, release.python, release.index)
                   for version, release in releases.items()]
            for name, releases in self._releases.items()
        }

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        self.calls.append(("candidates", name, None))
        if name not in self._releases:
            raise PackageNotFoundError(name, "looked in the test index")
        return self._candidates[name]

    def metadata(self, name: NormalizedName, version: Version) -> CoreMetadata:
        self.calls.append(("metadata", name, str(version)))
        error = self.errors.get((name, str(version)))
        if error is not None:
            raise error
        release = self._releases[name][version]
        return CoreMetadata(
            name=release.metadata_name or name,
            version=release.metadata_version or str(version),
            requires_dist=tuple(release.requires),
            requires_python=release.python or release.metadata_python,
            provides_extra=tuple(release.extras),
        )

    def prefetch_candidates(self, name: NormalizedName, likely: Likely | None = None,
                            required: VersionSet | None = None) -> None:
        self.calls.append(("prefetch_candidates", name, None))
        self.required[name] = required
        found = None
        if likely is not None:
            found = next((str(c.version) for c in sorted(
                self._candidates.get(name, ()), key=lambda c: c.version, reverse=True)
                if likely(c.version, c.yanked, c.requires_python)), None)
        self.guesses[name] = found

    def prefetch(self, name: NormalizedName, version: Version, *,
                 certain: bool = False) -> None:
        self.calls.append(("prefetch", name, str(version)))
        if certain:
            self.certain.append((name, str(version)))

    def is_ready(self, name: NormalizedName, version: Version | None) -> bool:
        return name not in self.slow

    def builds(self, name: NormalizedName, version: Version) -> bool:
        # A version whose metadata fails to build stands for an sdist (nothing else builds).
        return isinstance(self.errors.get((name, str(version))), BuildError)

    def dropped(self, name: NormalizedName) -> Sequence[Dropped]:
        self.calls.append(("dropped", name, None))
        return self.no_files.get(name, [])

    def resolution_done(self) -> None:
        self.calls.append(("resolution_done", "", None))

    def pin_url(self, name: NormalizedName, url: str) -> None:
        self.calls.append(("pin_url", name, url))
        version = Version(self.urls[url])
        self._candidates[name] = [c for c in self._candidates[name] if c.version == version]


def direct(*texts: str, origin: str = "-r requirements.in") -> list[DirectRequirement]:
    # Parsed as requirements files are (pyffin's parser keeps the extras' order).
    return [DirectRequirement(parse_requirement(text), origin) for text in texts]


def solve(
    universe: Universe | MemorySource,
    *requirements: str,
    options: ResolverOptions | None = None,
    constraints: Sequence[str] = (),
    overrides: Sequence[str] = (),
    excludes: Sequence[str] = (),
    preferences: Mapping[str, str] | None = None,
    markers: Mapping[str, str] = TARGET,
    stats: dict[str, int] | None = None,
    requested_python: str | None = None,
) -> Resolution:
    """Resolve ``requirements`` (from ``-r requirements.in``) against a test universe;
    ``stats`` receives the solver's counts."""
    source = universe if isinstance(universe, MemorySource) else MemorySource(universe)
    return resolve(
        direct(*requirements),
        source,
        markers,
        options or ResolverOptions(),
        constraints=direct(*constraints, origin="-c constraints.txt"),
        overrides=direct(*overrides, origin="--override overrides.txt"),
        excludes=excludes,
        preferences={k: Version(v) for k, v in (preferences or {}).items()},
        stats=stats,
        requested_python=requested_python,
    )


def pins(universe: Universe | MemorySource, *requirements: str,
         **kwargs: Any) -> dict[str, str]:
    """Resolve and return ``{name: version}`` as strings."""
    resolution = solve(universe, *requirements, **kwargs)
    return {name: str(version) for name, version in resolution.pins().items()}


def failure(universe: Universe, *requirements: str, **kwargs: Any) -> str:
    """Resolve expecting failure; return the explanation (with hints)."""
    try:
        found = pins(universe, *requirements, **kwargs)
    except NoSolutionError as e:
        return str(e)
    raise AssertionError(f"expected no solution, got {found}")


#: ``lib[fast]`` with ``f``: lib 2.0 (without the extra ``fast``) is tried and left behind
#: for 1.0; ``lib[fast]>1`` pins it.
EXTRA_LEFT_BEHIND: Universe = {
    "lib": {"1.0": Release(["c; extra == 'fast'"], extras=["fast"]), "2.0": Release(["b>=2"])},
    "b": {"1.0": Release(["e<2"]), "2.0": Release(["e>=2"])}, "c": {"1.0": []},
    "e": {"1.0": [], "2.0": []}, "f": {"1.0": ["e<2"]}}
