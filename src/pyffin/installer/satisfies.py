"""Whether an environment already satisfies requirements, judged without the network and
without resolving (uv: ``uv-installer/src/satisfies.rs``): the fast paths that make a no-op
``sync`` or ``install`` nearly free.

Each check answers only when the answer is certain; anything unclear (a direct reference, an
egg-link, a marker or version that does not parse) is ``None``, and the operation resolves.
They stay light: no resolver, no index, no ``packaging`` beyond what a marker or version needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pyffin.errors import PyffinError

if TYPE_CHECKING:
    from pyffin.installer.installed import InstalledDistribution
    from pyffin.requirements import RequirementEntry, RequirementsSpec
    from pyffin.resolver.dependencies import DependencyParser


def already_synced(spec: RequirementsSpec, installed: Sequence[InstalledDistribution],
                   markers: Mapping[str, str]) -> int | None:
    """For ``sync``: the number of packages when the environment (whose marker environment is
    ``markers``) is exactly the pinned requirements, else ``None``."""
    wanted: dict[str, str] = {}
    evaluator = None
    for entry in spec.requirements:
        pin = exact_pin(entry)
        if pin is None or entry.hashes:
            return None
        if entry.marker is not None:
            if evaluator is None:
                from pyffin.resolver.dependencies import MarkerEvaluator

                evaluator = MarkerEvaluator(markers)
            if not evaluator.evaluate(str(entry.marker)):
                continue
        assert entry.name is not None
        wanted[entry.name] = pin
    if len(installed) != len(wanted) or not pins_meet_constraints(wanted, spec, markers):
        return None
    from pyffin.models.wheel import versions_equal

    for dist in installed:
        pin = wanted.get(dist.normalized_name)
        if pin is None or dist.kind == "egg-link" or not versions_equal(dist.version, pin) \
                or dist.direct_url() is not None:
            return None
    return len(installed)


def pins_meet_constraints(wanted: Mapping[str, str], spec: RequirementsSpec,
                          markers: Mapping[str, str]) -> bool:
    """Whether every pin satisfies the constraints (a ``pip.conf`` may give some to every
    command), judged without resolving; anything unclear is ``False``."""
    environment = None
    for entry in spec.constraints:
        requirement = entry.requirement
        if requirement is None or requirement.url is not None:
            return False
        pin = wanted.get(entry.name or "")
        if pin is None:
            continue  # a constraint on another package adds nothing
        if requirement.marker is not None:
            environment = environment or {**markers, "extra": ""}
            try:
                if not requirement.marker.evaluate(environment):
                    continue
            except ValueError:
                return False
        if not requirement.specifier.admits(pin):
            return False
    return True


def exact_pin(entry: RequirementEntry) -> str | None:
    """The version a requirement pins with ``==`` (no wildcard, no URL), else ``None``."""
    requirement = entry.requirement
    if requirement is None or entry.url is not None or entry.editable:
        return None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
        return None
    return specifiers[0].version


def already_installed(spec: RequirementsSpec, installed: Sequence[InstalledDistribution],
                      markers: Mapping[str, str], parser: DependencyParser) -> int | None:
    """For ``install``: the number of packages checked when the installed distributions
    satisfy every requirement and, by their own metadata, every dependency; else ``None``.
    ``parser`` (the session's) keeps what it parsed for the resolution that may follow."""
    from packaging.version import InvalidVersion, Version

    from pyffin.resolver.dependencies import DependencyError, MarkerEvaluator

    parse = parser.parse
    by_name = {d.normalized_name: d for d in installed}
    evaluator = MarkerEvaluator(markers)
    constraints: dict[str, list[str]] = {}
    for entry in spec.constraints:
        if entry.requirement is not None and entry.name is not None:
            constraints.setdefault(entry.name, []).append(str(entry.requirement))
    todo: list[tuple[str, str]] = [(str(e.requirement), "") for e in spec.requirements]
    seen: set[tuple[str, str]] = set()
    checked: set[str] = set()
    try:
        while todo:
            text, extra = todo.pop()
            if (text, extra) in seen:
                continue
            seen.add((text, extra))
            dependency = parse(text)
            if dependency.marker is not None and not evaluator.evaluate(dependency.marker,
                                                                         extra):
                continue
            if dependency.url is not None:
                return None
            dist = by_name.get(dependency.name)
            if dist is None or dist.kind == "egg-link" or dist.direct_url() is not None:
                return None
            version = Version(dist.version)
            if version not in dependency.versions:
                return None
            for constraint in constraints.get(dependency.name, ()):
                if version not in parse(constraint).versions:
                    return None
            if dependency.name not in checked or dependency.extras:
                checked.add(dependency.name)
                requires = dist.metadata().requires_dist
                for extra_name in ("", *dependency.extras):
                    todo.extend((r, extra_name) for r in requires)
    except (DependencyError, InvalidVersion, PyffinError):
        return None  # anything unclear: let the resolver decide
    return len(checked)
