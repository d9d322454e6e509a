"""The result of a resolution: pinned packages and who required them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyffin.records import record

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from pyffin.models.dist import Distribution
    from pyffin.models.versions import Version


@record
class ResolvedPackage:
    """One pinned package and its place in the dependency graph."""

    #: Normalized (PEP 503), as uv prints it.
    name: str
    version: Version
    #: Extras of it that the resolution uses (normalized, sorted).
    extras: tuple[str, ...] = ()
    #: The packages that depend on it (normalized, sorted).
    dependents: tuple[str, ...] = ()
    #: Where the user asked for it: ``-r requirements.in``, ``-c constraints.txt``, ...
    origins: tuple[str, ...] = ()
    #: The direct reference it comes from (``name @ url``), ``None`` from an index.
    url: str | None = None
    #: Where it is needed, as written after ``;`` (universal resolutions); ``None``: everywhere.
    marker: str | None = None
    #: What was chosen to install it: the file (with its hashes) and where it is listed, or
    #: the direct source (for git, with the commit it resolved to). Kept small — no index
    #: page — so a resolution pickles cheaply. ``None`` when the source did not say (a
    #: universal resolution, a test's in-memory source).
    dist: Distribution | None = None
    #: Where a universal resolution's file is listed (see
    #: :attr:`~pyffin.resolver.universal.UniversalPin.index`); else read from :attr:`dist`.
    index: str | None = None


def yanked_warning(name: str, version: Version, reason: str) -> str:
    """The warning for a yanked version the resolution chose, as uv words it; ``reason`` is
    the index's (PEP 592), empty when it gave none."""
    return f"`{name}=={version}` is yanked" + (f' (reason: "{reason}")' if reason else "")


@record
class Resolution:
    """Every package of a solution, by normalized name, sorted."""

    packages: Mapping[str, ResolvedPackage]

    def __iter__(self) -> Iterator[ResolvedPackage]:
        return iter(self.packages.values())

    def __len__(self) -> int:
        return len(self.packages)

    def __contains__(self, name: object) -> bool:
        return name in self.packages

    def __getitem__(self, name: str) -> ResolvedPackage:
        return self.packages[name]

    def pins(self) -> dict[str, Version]:
        """``{name: version}`` of every package."""
        return {name: package.version for name, package in self.packages.items()}

    def yanked(self) -> list[str]:
        """A warning for each package whose chosen file is yanked (PEP 592: an installer
        should warn, with the reason when there is one), in uv's words; a version is chosen
        yanked only when a requirement pins it exactly."""
        warnings = []
        for package in self:
            file = package.dist.file if package.dist is not None else None
            if file is not None and file.yanked is not None:
                warnings.append(yanked_warning(package.name, package.version, file.yanked))
        return warnings
