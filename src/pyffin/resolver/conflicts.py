"""How conflicts reorder the packages a resolution decides, as uv's do.

uv keeps, per package, how often a conflict affected it and how often it caused one
(``ResolverState::record_conflict``), and moves a project to be decided earlier or later once a
count reaches its threshold; a project some requirement named at one version is "singleton".
:class:`ConflictTracker` keeps the same counts: the solver (:mod:`pyffin.resolver.pubgrub`)
records into it, the provider's priorities read it. It is its own module so that the provider
does not import the solver: a resolution that needs no search (:mod:`pyffin.resolver.first_choices`)
never loads the PubGrub core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nab_resolver.root import ROOT

from pyffin import log

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


#: uv's ``CONFLICT_THRESHOLD``.
CONFLICT_THRESHOLD = 5


def project_of(package: str) -> str:
    """``flask[async]`` -> ``flask``; a marker proxy ``numpy{...}`` -> ``numpy``."""
    return package.partition("[")[0].partition("{")[0]


class ConflictTracker:
    """uv's conflict tracking (``ResolverState::record_conflict``): how often each package was
    affected by a conflict and how often it caused one, and the projects to decide earlier or
    later because of it (by project, sticky, as uv's ``PubGrubPriorities``)."""

    def __init__(self) -> None:
        self.affected: dict[str, int] = {}
        self.culprit: dict[str, int] = {}
        #: Projects decided earlier (affected often) and later (culprits often).
        self.early: set[str] = set()
        self.late: set[str] = set()
        #: Projects some requirement named at one version (uv's "singleton" priority).
        self.singletons: set[str] = set()
        self._prioritize: list[str] = []
        self._deprioritize: list[str] = []
        #: A package whose chosen version the target Python refused, to backjump for.
        self._refused: str | None = None

    def record(self, affected: str, packages: Sequence[str]) -> None:
        """A conflict met while propagating ``affected``, in a clause on ``packages``."""
        real = False
        for package in packages:
            if package == affected or project_of(package) == project_of(affected):
                continue  # an extra copying its base package's obligations
            real = True
            self._count_culprit(package)
        if real:
            self._count_affected(affected)

    def record_cause(self, decided: Any, affected: Any, packages: Sequence[str]) -> bool:
        """uv's record of one step of a conflict's resolution (its ``satisfier_causes``): in
        the clause learned there, every package but ``affected`` (the step's satisfier, which
        may be the root) and its project's other packages is a culprit; ``decided``, the
        package the solver chose last, is affected. Whether there was a culprit."""
        project = project_of(affected) if isinstance(affected, str) else None
        real = False
        for package in packages:
            if package == affected or project_of(package) == project:
                continue
            real = True
            self._count_culprit(package)
        if real and decided is not ROOT:
            self._count_affected(decided)
        return real

    def _count_culprit(self, package: str) -> None:
        count = self.culprit[package] = self.culprit.get(package, 0) + 1
        if count == CONFLICT_THRESHOLD:
            log.debug(f"Package {package} has too many conflicts (culprit), deprioritizing")
            self._deprioritize.append(package)

    def _count_affected(self, package: str) -> None:
        count = self.affected[package] = self.affected.get(package, 0) + 1
        if count == CONFLICT_THRESHOLD:
            log.debug(f"Package {package} has too many conflicts (affected), prioritizing")
            self._prioritize.append(package)

    def refuse_for_python(self, package: str, *, python_decided: bool) -> None:
        """The version chosen for ``package`` requires another Python (its index page says
        so). uv decides such a version and lets it conflict with the Python it depends on:
        ``package`` is a culprit, and, unless that range of Pythons was new (uv then decides
        Python first, which is affected instead), affected too. The solver then backjumps
        (:meth:`take_refused`)."""
        if log.enabled(log.DEBUG):
            log.debug(f"Recording unit propagation conflict of Python from incompatibility "
                      f"of ({package})")
        self._refused = package
        self._count_culprit(package)
        if not python_decided:
            self._count_affected(package)

    def take_refused(self) -> str | None:
        """The package :meth:`refuse_for_python` was told of since last asked, if any."""
        refused, self._refused = self._refused, None
        return refused

    def reprioritize(self) -> tuple[bool, list[str]]:
        """Apply what the recorded conflicts ask: whether a priority moved, and the packages
        newly decided later, whose decisions are to be undone."""
        moved = bool(self._prioritize or self._deprioritize)
        for package in self._prioritize:
            self.early.add(project_of(package))
            self.late.discard(project_of(package))
        undo = []
        for package in self._deprioritize:
            name = project_of(package)
            if name not in self.early and name not in self.late:
                self.late.add(name)
                undo.append(package)
        self._prioritize.clear()
        self._deprioritize.clear()
        return moved, undo

    def category(self, package: str) -> int | None:
        """``0`` for a project decided earlier, ``1`` later, ``None`` for neither."""
        name = project_of(package)
        return 0 if name in self.early else 1 if name in self.late else None

    def pinned(self, packages: Iterable[str]) -> bool:
        """A requirement (of the root, or of a version chosen) names each of ``packages`` at
        one version: as in uv, its project's priority is "singleton" from then on, for the
        rest of the resolution (uv keeps the highest priority a project's requirements ever
        gave it), and it leaves the earlier and later sets. Whether a priority moved."""
        moved = False
        for package in packages:
            name = project_of(package)
            if name not in self.singletons:
                self.singletons.add(name)
                moved = True
            if name in self.early or name in self.late:
                self.early.discard(name)
                self.late.discard(name)
                moved = True
        return moved
