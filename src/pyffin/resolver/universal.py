"""The result of a universal resolution: pins that hold for every environment, each with the
marker where it is needed.

A package may be pinned at several versions (one per group of forks, with disjoint markers).
:class:`UniversalResolution` is what :func:`~pyffin.resolver.output.format_requirements` writes
for ``--universal``: iterating it yields :class:`~pyffin.resolver.resolution.ResolvedPackage`
entries sorted by name then version, with the marker text uv writes (simplified for
requires-python; ``None`` where the pin is always needed), and leaves out pins requires-python
rules out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyffin.records import record
from pyffin.resolver.resolution import ResolvedPackage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyffin.models.markers import Marker
    from pyffin.models.versions import Version


@record
class UniversalPin:
    """One pinned version and where it is needed."""

    #: Normalized (PEP 503).
    name: str
    version: Version
    #: The environments that need it (the fork markers and requirement markers along its
    #: paths from the root), not simplified for requires-python.
    marker: Marker
    #: Extras of it that the resolution uses (normalized, sorted).
    extras: tuple[str, ...] = ()
    #: The packages that depend on this version (normalized, sorted).
    dependents: tuple[str, ...] = ()
    #: Where the user asked for it: ``-r requirements.in``, ...
    origins: tuple[str, ...] = ()
    #: The direct reference it comes from (``name @ url``), ``None`` from an index.
    url: str | None = None
    #: Why the index yanked this version (PEP 592; empty: no reason given), ``None`` when it
    #: is not yanked.
    yanked: str | None = None
    #: The index (or find-links location) its file is listed on, credentials left out, for
    #: ``--emit-index-annotation``; ``None`` for a direct reference.
    index: str | None = None


@record
class UniversalResolution:
    """Every pin of a universal resolution, for ``requires_python`` (``">=3.9"``)."""

    requires_python: str
    pins: tuple[UniversalPin, ...]
    #: The markers of the forks the resolution was split into (empty: none).
    forks: tuple[Marker, ...] = ()

    def __iter__(self) -> Iterator[ResolvedPackage]:
        for pin in sorted(self.pins, key=lambda pin: (pin.name, pin.version)):
            marker = pin.marker.simplify_python(self.requires_python)
            if marker.is_false():
                continue
            yield ResolvedPackage(pin.name, pin.version, pin.extras, pin.dependents,
                                  pin.origins, pin.url,
                                  None if marker.is_true() else str(marker), index=pin.index)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def yanked(self) -> list[str]:
        """A warning for each yanked version pinned (see :meth:`Resolution.yanked`), once per
        version."""
        from pyffin.resolver.resolution import yanked_warning

        return [yanked_warning(pin.name, pin.version, pin.yanked)
                for pin in sorted(self.pins, key=lambda pin: (pin.name, pin.version))
                if pin.yanked is not None]

    def __contains__(self, name: object) -> bool:
        return any(package.name == name for package in self)
