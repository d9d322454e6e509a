"""Whether an environment already satisfies requirements, judged without the network and
without resolving (uv: ``uv-installer/src/satisfies.rs``): the fast paths that make a no-op
``sync`` or ``install`` nearly free.

Each check answers only when the answer is certain; anything unclear (a direct reference, an
egg-link, a marker or version that does not parse) is ``None``, and the operation resolves.
They stay light: read with :mod:`pyffin.requirements.pep508` alone, no resolver, no index, no
``packaging`` (importing the resolver would cost a no-op more than the check itself), and
each installed distribution's facts come from an :class:`InstalledState`, which remembers them
between runs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from pyffin.errors import PyffinError

if TYPE_CHECKING:
    from pyffin.installer.installed import InstalledDistribution, InstalledState
    from pyffin.requirements import RequirementEntry, RequirementsSpec


def already_synced(spec: RequirementsSpec, state: InstalledState,
                   markers: Mapping[str, str], preserved: Collection[str] = ()) -> int | None:
    """For ``sync``: the number of packages when the environment (whose marker environment is
    ``markers``) is exactly the pinned requirements (and, unless pinned, any of the
    ``preserved`` seed packages: see :func:`pyffin.installer.plan.make_plan`), else
    ``None``."""
    installed = state.distributions
    wanted: dict[str, str] = {}
    environment = {**markers, "extra": ""}
    for entry in spec.requirements:
        pin = exact_pin(entry)
        if pin is None or entry.hashes:
            return None
        if entry.marker is not None:
            try:
                if not entry.marker.evaluate(environment):
                    continue
            except ValueError:
                return None  # a comparison PEP 508 leaves undefined: let the resolver say
        assert entry.name is not None
        wanted[entry.name] = pin
    if preserved:
        installed = [d for d in installed
                     if d.normalized_name in wanted or d.normalized_name not in preserved]
    if len(installed) != len(wanted) or not pins_meet_constraints(wanted, spec, markers):
        return None
    from pyffin.models.wheel import versions_equal

    seen: set[str] = set()
    for dist in installed:
        name = dist.normalized_name
        if name in seen:
            return None  # two copies of one package: make_plan reinstalls it
        seen.add(name)
        pin = wanted.get(name)
        if pin is None or dist.kind == "egg-link" or not versions_equal(dist.version, pin) \
                or state.has_direct_url(dist):
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


def already_installed(spec: RequirementsSpec, state: InstalledState,
                      markers: Mapping[str, str]) -> int | None:
    """For ``install``: the number of packages checked when the installed distributions
    satisfy every requirement and, by their own metadata, every dependency; else ``None``.
    Each requirement text is parsed, and each marker evaluated, once."""
    from pyffin.models.names import normalize_name
    from pyffin.requirements.pep508 import InvalidMarker, InvalidRequirement, Requirement
    from pyffin.requirements.pep508 import parse_requirement as parse

    by_name: dict[str, InstalledDistribution] = {}
    duplicated: set[str] = set()  # several copies: never satisfying (uv reinstalls them)
    for each in state.distributions:
        if by_name.setdefault(each.normalized_name, each) is not each:
            duplicated.add(each.normalized_name)
    excluded = spec.excluded  # (never needed: left out of the resolution)
    for entry in spec.requirements:
        if entry.marker is None and entry.name is not None and entry.name not in by_name \
                and entry.name not in excluded:
            return None  # not installed at all (a fresh environment): nothing to parse
    environment = dict(markers)
    constraints: dict[str, list[Requirement]] = {}
    for entry in spec.constraints:
        if entry.requirement is not None and entry.name is not None:
            constraints.setdefault(entry.name, []).append(entry.requirement)
    todo: list[tuple[str, str]] = [(str(e.requirement), "") for e in spec.requirements]
    seen: set[tuple[str, str]] = set()
    parsed: dict[str, Requirement] = {}
    holding: dict[tuple[str, str], bool] = {}
    checked: dict[str, str] = {}  # name -> installed version, once it passed every check
    try:
        while todo:
            item = todo.pop()
            if item in seen:
                continue
            seen.add(item)
            text, extra = item
            requirement = parsed.get(text)
            if requirement is None:
                requirement = parsed[text] = parse(text)
            if requirement.marker is not None:
                key = (requirement.marker.text, extra)
                holds = holding.get(key)
                if holds is None:
                    environment["extra"] = extra
                    holds = holding[key] = requirement.marker.evaluate(environment)
                if not holds:
                    continue
            if requirement.url is not None:
                return None
            name = normalize_name(requirement.name)
            if name in excluded:
                continue
            version = checked.get(name)
            new = version is None
            if new:
                dist = by_name.get(name)
                if dist is None or name in duplicated or dist.kind == "egg-link" \
                        or state.has_direct_url(dist):
                    return None
                version = dist.version
                for constraint in constraints.get(name, ()):
                    if constraint.url is not None or \
                            constraint.specifier.admits(version) is not True:
                        return None
            assert version is not None
            if requirement.specifier.admits(version) is not True:
                return None
            extras = sorted({normalize_name(e) for e in requirement.extras})
            if new or extras:
                checked[name] = version
                requires = state.requires_dist(by_name[name])
                for extra_name in ("", *extras) if new else extras:
                    todo.extend((r, extra_name) for r in requires)
    except (InvalidRequirement, InvalidMarker, PyffinError, ValueError):
        return None  # anything unclear: let the resolver decide
    return len(checked)
