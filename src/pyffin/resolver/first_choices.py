"""Resolve without search when every package's first choice fits: the answer PubGrub would give.

PubGrub decides one package at a time, choosing in the range the partial solution allows it;
it searches (backtracks) only when a choice turns out to clash with a requirement met later.
When no choice ever clashes, its answer is made of each package's *first choice*: what the
provider chooses for it in the range of the direct requirements alone. This module tries that
answer first, in one pass: it decides each package it meets (breadth-first from the direct
requirements) at its first choice and holds every requirement against the versions decided. If
all of them hold, the answer is PubGrub's (the argument below), found without its bookkeeping
and without loading its core (the solver's modules are a tenth of a warm ``pip compile``). If
one does not, or a first choice cannot be told for sure, it gives up and the solver searches
from the start (:func:`pyffin.resolver.solver.resolve`), on a fresh provider.

It answers the common cases: a requirements file of pins (``pip install -r requirements.txt``,
``pip sync``: each range holds one version), and a set whose newest versions fit together.

Why the answer is PubGrub's. :meth:`~pyffin.resolver.provider.Provider.sure_choice` gives a
package's version only when :meth:`~pyffin.resolver.provider.Provider.choose_version` chooses
it in every range within the direct requirements' range that holds it, whatever was decided
before: the first candidate of that range in the provider's order that the index page does not
rule out, usable, with nothing but yanked versions before it. Say every requirement
holds against the versions decided here, ``S``. Follow the solver: every range it asks a
package's version in lies between the direct requirements' range (root facts, known from the
start) and the range made of the requirements of the versions of ``S`` decided before (unit
propagation derives nothing else while every decision is in ``S``: no requirement of a version
of ``S`` excludes another version of ``S``), and so holds the version of ``S``; the provider
chooses that one. By induction every decision is the version of ``S``, nothing ever clashes,
and the solver ends on ``S``, over the same packages (those the decided versions require).
Extras agree: ``foo[x]`` is decided at its own first choice here, and its requirement of
``foo`` at that version holds only if both are the same; the solver, which tries first the
version another key of ``foo`` was decided at, gets the same. Constraints narrow both ranges
alike. The order of the decisions never mattered, and does not here.

What it never does that the search would not: build an sdist (a version whose metadata only a
download and build of its sdist would tell is left to the search), or read the metadata of more
than one version of a package.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.errors import PyffinError
from pyffin.records import record
from pyffin.resolver.conflicts import project_of
from pyffin.resolver.ranges import FULL

if TYPE_CHECKING:
    from collections.abc import Sequence

    from nab_resolver.types import RootRequirement

    from pyffin.models.versions import Version
    from pyffin.resolver.provider import Provider
    from pyffin.resolver.ranges import VersionSet


@record
class FirstChoices:
    """A resolution made of first choices: the version of every package it reached, and which
    package required which (parent, child), as the solver's solution says them."""

    pins: dict[str, Version]
    edges: tuple[tuple[str, str], ...]


def solve(provider: Provider, roots: Sequence[RootRequirement[str, Version]]
          ) -> FirstChoices | None:
    """PubGrub's answer for ``roots`` when it is made of first choices (see the module), or
    ``None``: the solver must search (``provider`` is spent then: its state is this pass's)."""
    if provider.requires_python is not None:
        return None  # a universal resolution's forks search
    base: dict[str, VersionSet] = {}
    for root in roots:
        base[root.package] = base.get(root.package, FULL) & root.constraint
    known = dict(base)
    pins: dict[str, Version] = {}
    edges: list[tuple[str, str]] = []
    queue = deque(base)
    for package in queue:
        provider.expect(package, known[package])
    try:
        while queue:
            package = queue.popleft()
            provider.begin_decision_scan()
            version = provider.sure_choice(package, known[package], _base(base, package))
            if version is None:
                return _searching(f"{package} has no sure first choice")
            pins[package] = version
            for dependency, versions in provider.get_dependencies(package, version).items():
                edges.append((package, dependency))
                pinned = pins.get(dependency)
                if pinned is not None:
                    if pinned not in versions:
                        return _searching(f"{package}=={version} requires {dependency} "
                                          f"{versions}, decided at {pinned}")
                    continue
                if dependency in known:
                    known[dependency] &= versions
                else:
                    known[dependency] = versions
                    queue.append(dependency)
                    provider.expect(dependency, versions)
    except PyffinError as e:  # the search meets it too if it must
        return _searching(str(e))
    if log.enabled(log.DEBUG):  # the choices, in uv's words, once they are sure
        for package, version in pins.items():
            log.debug(f"Selecting: {package}=={version}")
    return FirstChoices(pins, tuple(dict.fromkeys(edges)))


def _base(base: dict[str, VersionSet], package: str) -> VersionSet:
    """The direct requirements' range of ``package``; for ``foo[x]``, within ``foo``'s too: the
    provider chooses ``foo[x]`` only where ``foo`` may stand."""
    own = base.get(package, FULL)
    name = project_of(package)
    return own if name == package or name not in base else own & base[name]


def _searching(reason: str) -> FirstChoices | None:
    log.debug(f"Searching: {reason}")
    return None
