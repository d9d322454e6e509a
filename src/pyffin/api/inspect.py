"""``pyffin.freeze``, ``list_packages``, ``show``, ``check``: read an environment, change
nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.api.session import Session
    from pyffin.installer.installed import InstalledDistribution
    from pyffin.interpreter import Interpreter


def environment(session: Session | None = None, *, python: str | None = None,
                system: bool = False) -> Interpreter:
    """The environment read-only commands look at: like ``find_environment``, but a system
    interpreter needs no ``--system`` when no virtual environment is found."""
    from pyffin.api.session import Session
    from pyffin.interpreter import InterpreterError, find_environment, find_interpreter

    session = session or Session()
    if python is not None or system:
        return find_interpreter(python, system=system, cache=session.cache)
    try:
        return find_environment(None, cache=session.cache, break_system_packages=True)
    except InterpreterError:  # no virtual environment: read the system interpreter's
        return find_interpreter(None, system=True, cache=session.cache)


def installed(env: Interpreter) -> list[InstalledDistribution]:
    """Installed distributions, sorted by normalized name."""
    from pyffin.installer.installed import scan

    return sorted(scan([Path(p) for p in env.site_packages]), key=lambda d: d.normalized_name)


def freeze_line(dist: InstalledDistribution) -> str:
    """``name==version``, ``name @ url`` for a URL install, ``-e path`` for an editable."""
    direct = dist.direct_url()
    if direct is not None and isinstance(direct.get("url"), str):
        if direct.get("dir_info", {}).get("editable"):
            from urllib.parse import unquote, urlsplit

            url = direct["url"]
            return f"-e {unquote(urlsplit(url).path) if url.startswith('file:') else url}"
        return f"{dist.name} @ {direct['url']}"
    return f"{dist.name}=={dist.version}"


@record
class Problem:
    """A dependency of an installed distribution that the environment does not satisfy."""

    package: str
    requirement: str
    #: The installed version of the dependency, ``None`` when it is missing.
    installed: str | None

    def __str__(self) -> str:
        if self.installed is None:
            return f"The package `{self.package}` requires `{self.requirement}`, but it's not " \
                   "installed"
        return f"The package `{self.package}` requires `{self.requirement}`, but " \
               f"`{self.installed}` is installed"


def check(env: Interpreter) -> tuple[int, list[Problem]]:
    """Check every installed distribution's dependencies; return how many were checked and
    the problems found."""
    from packaging.version import InvalidVersion, Version

    from pyffin.resolver.dependencies import DependencyError, MarkerEvaluator, parse_dependency

    dists = installed(env)
    by_name = {d.normalized_name: d for d in dists}
    markers = MarkerEvaluator(env.markers)
    problems: list[Problem] = []
    for dist in dists:
        for text in dist.metadata().requires_dist:
            try:
                dependency = parse_dependency(text)
                if dependency.marker is not None and not markers.evaluate(dependency.marker):
                    continue
            except DependencyError:
                continue
            target = by_name.get(dependency.name)
            if target is None:
                problems.append(Problem(dist.normalized_name, text, None))
                continue
            try:
                ok = Version(target.version) in dependency.versions
            except InvalidVersion:
                ok = False
            if not ok:
                problems.append(Problem(dist.normalized_name, text, target.version))
    return len(dists), problems


def required_by(env: Interpreter, name: str) -> list[str]:
    """The installed distributions that depend on ``name`` (normalized)."""
    from pyffin.resolver.dependencies import DependencyError, parse_dependency

    result = []
    for dist in installed(env):
        for text in dist.metadata().requires_dist:
            try:
                if parse_dependency(text).name == name:
                    result.append(dist.normalized_name)
                    break
            except DependencyError:
                continue
    return result
