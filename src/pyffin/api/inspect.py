"""``pyffin.freeze``, ``list_packages``, ``show``, ``check``: read an environment, change
nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyffin.records import record

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pyffin.api.session import Session
    from pyffin.installer.installed import InstalledDistribution
    from pyffin.interpreter import Interpreter
    from pyffin.resolver.dependencies import DependencyParser, MarkerEvaluator


def environment(session: Session | None = None, *, python: str | None = None,
                system: bool = False, target: str | Path | None = None,
                prefix: str | Path | None = None) -> Interpreter:
    """The environment read-only commands look at: like ``find_environment``, but a system
    interpreter needs no ``--system`` when no virtual environment is found. A ``target`` or
    ``prefix`` directory is read instead, with any interpreter (a missing one holds
    nothing)."""
    from pyffin.api.session import Session
    from pyffin.interpreter import (
        InterpreterError,
        announce_environment,
        find_environment,
        find_interpreter,
    )

    session = session or Session()
    if target is not None or prefix is not None:
        from pyffin.api.install import check_install_directory, directory_option

        directory = directory_option(target, prefix)
        assert directory is not None
        check_install_directory(directory)
        interpreter = find_interpreter(python, system=system, cache=session.cache)
        if directory.kind == "target":
            return interpreter.with_target(directory.root)
        return interpreter.with_prefix(directory.root)
    if python is not None or system:
        env = find_interpreter(python, system=system, cache=session.cache)
    else:
        try:
            env = find_environment(None, cache=session.cache, break_system_packages=True)
        except InterpreterError:  # no virtual environment: read the system interpreter's
            env = find_interpreter(None, system=True, cache=session.cache)
    announce_environment(env, session.cache.root)
    return env


def installed(env: Interpreter) -> list[InstalledDistribution]:
    """Installed distributions, sorted by normalized name."""
    from pyffin.installer.installed import scan

    return sorted(scan([Path(p) for p in env.site_packages]), key=lambda d: d.normalized_name)


def freeze_line(dist: InstalledDistribution) -> str:
    """``name==version``, ``name @ url`` for a URL install, ``-e url`` for an editable (its
    ``file://`` URL, as uv prints it). The name is the normalized project name
    (``charset-normalizer``), as uv prints it, never the escaped spelling of the
    ``.dist-info`` directory (``charset_normalizer``). A ``setup.py develop`` install
    (``.egg-link``) is ``-e /path/to/project``: it has no URL, and uv prints its path."""
    if dist.kind == "egg-link":
        project = dist.egg_link_project()
        if project is not None:
            return f"-e {project}"
    direct = dist.direct_url()
    if direct is not None and isinstance(direct.get("url"), str):
        if direct.get("dir_info", {}).get("editable"):
            return f"-e {direct['url']}"
        return f"{dist.normalized_name} @ {_direct_reference(direct)}"
    return f"{dist.normalized_name}=={dist.version}"


def _direct_reference(direct: dict[str, Any]) -> str:
    """The URL ``direct_url.json`` records, as a requirement names it: a VCS checkout as
    ``git+URL@COMMIT`` (the commit installed, not the revision asked for), an archive's hash
    and the ``subdirectory`` as the fragment, as uv writes them."""
    url = str(direct["url"])
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
        url = f"{vcs['vcs']}+{url}"
        if isinstance(vcs.get("commit_id"), str):
            url += f"@{vcs['commit_id']}"
    fragment = []
    archive = direct.get("archive_info")
    if isinstance(archive, dict):  # its hash, the integrity pin of the line (as uv and pip)
        hashes = archive.get("hashes")
        if isinstance(hashes, dict) and hashes:
            algorithm = "sha256" if "sha256" in hashes else sorted(hashes)[0]
            fragment.append(f"{algorithm}={hashes[algorithm]}")
        elif isinstance(archive.get("hash"), str) and "=" in archive["hash"]:
            fragment.append(archive["hash"])
    if isinstance(direct.get("subdirectory"), str):
        fragment.append(f"subdirectory={direct['subdirectory']}")
    return f"{url}#{'&'.join(fragment)}" if fragment else url


def editable_location(dist: InstalledDistribution,
                      direct: dict[str, Any] | None = None) -> str | None:
    """The project directory of an editable install (its ``direct_url.json`` URL for one that is
    not a local path; for an ``.egg-link``, the directory it points at, as uv and pip say), else
    ``None``."""
    if dist.kind == "egg-link":
        target = dist.egg_link_target()
        return None if target is None else str(target)
    if direct is None:
        direct = dist.direct_url()
    if direct is None or not direct.get("dir_info", {}).get("editable"):
        return None
    url = direct.get("url")
    if not isinstance(url, str):
        return None
    if url.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(url).path)
    return url


@record
class Problem:
    """A dependency of an installed distribution that the environment does not satisfy,
    (``broken``) an installed distribution whose metadata or ``WHEEL`` file cannot be read,
    (``paths``) a package installed more than once, (``python``) one whose Requires-Python
    the environment's Python does not satisfy, or (``platform``) one built for another
    platform."""

    package: str
    requirement: str
    #: The installed version of the dependency, ``None`` when it is missing.
    installed: str | None
    #: Why the package's metadata cannot be read (then ``requirement`` is empty and
    #: ``installed`` its directory).
    broken: str | None = None
    #: The directories of each copy of a package installed more than once, sorted (then
    #: ``requirement`` is empty and ``installed`` ``None``).
    paths: tuple[str, ...] = ()
    #: The Python checked, when the package's Requires-Python (``requirement``) leaves it out.
    python: str | None = None
    #: Whether none of the package's wheel tags fits the environment.
    platform: bool = False

    def __str__(self) -> str:
        if self.paths:  # uv's words, the space before the first line break included
            return f"The package `{self.package}` has multiple installed distributions: " \
                   + "".join(f"\n  - {path}" for path in self.paths)
        if self.broken is not None:
            return f"The package `{self.package}` is broken or incomplete ({self.broken}). " \
                   "Consider recreating the virtualenv, or removing the package directory " \
                   f"at: {self.installed}."
        if self.python is not None:
            return f"The package `{self.package}` requires Python {self.requirement}, but " \
                   f"`{self.python}` is installed"
        if self.platform:
            return f"The package `{self.package}` was built for a different platform"
        if self.installed is None:
            return f"The package `{self.package}` requires `{self.requirement}`, but it's not " \
                   "installed"
        return f"The package `{self.package}` requires `{self.requirement}`, but " \
               f"`{self.installed}` is installed"


def shown_requirement(text: str) -> str:
    """A ``Requires-Dist`` as uv writes it in its messages: the name and extras normalized,
    the version clauses in the order of their versions, the marker in uv's form after
    `` ; `` (``six>=1.17.0,<2 ; python_full_version >= '3.1'``); as written when it does not
    parse."""
    from pyffin.models.markers import Marker, MarkerError
    from pyffin.models.names import normalize_name
    from pyffin.models.versions import InvalidVersion, Version
    from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement

    try:
        requirement = parse_requirement(text)
        marker = None if requirement.marker is None else Marker.parse(str(requirement.marker))
    except (InvalidRequirement, MarkerError):
        return text

    def order(clause: Any) -> tuple[int, Any]:
        try:
            return 0, Version(clause.version.removesuffix(".*"))
        except InvalidVersion:
            return 1, clause.version

    extras = getattr(requirement.extras, "written", sorted(requirement.extras))
    shown: str = normalize_name(requirement.name)
    if extras:
        shown += f"[{','.join(normalize_name(extra) for extra in extras)}]"
    if requirement.url is not None:
        shown += f" @ {requirement.url}"
    else:
        shown += ",".join(str(clause) for clause in sorted(requirement.specifier, key=order))
    if marker is not None:
        shown += f" ; {marker}"
    return shown


def check(env: Interpreter, markers: Mapping[str, str] | None = None,
          tags: Iterable[str] | None = None) -> tuple[int, list[Problem]]:
    """Check every installed distribution, as uv's ``pip check`` does: its Requires-Python,
    its wheel tags (its ``WHEEL`` file's) and its dependencies, for the environment's
    ``markers`` and ``tags`` (by default its interpreter's); return how many were checked and
    the problems found (a distribution whose metadata cannot be read is one, and the others
    are still checked). A package installed more than once is one problem, as uv says it:
    neither its dependencies nor the requirements on it are checked (which copy counts is
    unknown)."""
    from pyffin.installer.installed import duplicated
    from pyffin.models.metadata import MetadataError
    from pyffin.models.versions import InvalidVersion, Version
    from pyffin.resolver.dependencies import (
        DependencyError,
        DependencyParser,
        MarkerEvaluator,
        python_range,
    )

    dists = installed(env)
    by_name = {d.normalized_name: d for d in dists}
    twice = duplicated(dists)
    environment = env.markers if markers is None else markers
    evaluator = MarkerEvaluator(environment)
    parser = DependencyParser()
    parse_dependency = parser.parse
    python = environment.get("python_full_version") or environment["python_version"]
    python_version = Version(python)
    supported = frozenset(env.tags if tags is None else tags)
    problems: list[Problem] = []
    for dist in dists:
        if dist.normalized_name in twice:
            paths = tuple(sorted(str(d.path) for d in dists
                                 if d.normalized_name == dist.normalized_name))
            if str(dist.path) == paths[0]:  # said once, with every copy
                problems.append(Problem(dist.normalized_name, "", None, paths=paths))
            continue
        try:
            metadata = dist.metadata()
        except MetadataError as e:
            path = dist.metadata_path
            reason = f"unable to read `{path.name}`" if not path.is_file() else str(e)
            problems.append(Problem(dist.normalized_name, "", str(dist.path), broken=reason))
            continue
        requires_python = metadata.requires_python
        if requires_python:
            admitted = python_range(requires_python, parser)  # (one that does not parse: none)
            if admitted is not None and python_version not in admitted:
                problems.append(Problem(dist.normalized_name, requires_python, None,
                                        python=python))
        if dist.kind == "dist-info":
            found = _wheel_tags(dist.path)
            if found is None:
                problems.append(Problem(dist.normalized_name, "", str(dist.path),
                                        broken="unable to read `WHEEL` file"))
            elif found and found.isdisjoint(supported):
                problems.append(Problem(dist.normalized_name, "", None, platform=True))
        for text in metadata.requires_dist:
            try:
                dependency = parse_dependency(text)
                if dependency.marker is not None and not evaluator.evaluate(dependency.marker):
                    continue
            except DependencyError:
                continue
            if dependency.name in twice:
                continue
            target = by_name.get(dependency.name)
            if target is None:
                problems.append(Problem(dist.normalized_name, shown_requirement(text), None))
                continue
            try:
                ok = Version(target.version) in dependency.versions
            except InvalidVersion:
                ok = False
            if not ok:
                problems.append(Problem(dist.normalized_name, shown_requirement(text),
                                        target.version))
    return len(dists), problems


def _wheel_tags(dist_info: Path) -> frozenset[str] | None:
    """The tags a ``.dist-info``'s ``WHEEL`` file gives, compressed tag sets expanded
    (``py2.py3-none-any``); empty when it gives none, ``None`` when it cannot be read."""
    try:
        text = (dist_info / "WHEEL").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found: set[str] = set()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "tag":
            parts = value.strip().split("-")
            if len(parts) == 3:
                found.update(f"{python}-{abi}-{platform}" for python in parts[0].split(".")
                             for abi in parts[1].split(".") for platform in parts[2].split("."))
    return frozenset(found)


def dependencies(dist: InstalledDistribution, markers: MarkerEvaluator,
                 parser: DependencyParser | None = None) -> list[str] | None:
    """The normalized names ``dist`` requires in this environment, sorted: its ``Requires-Dist``
    whose markers hold with no extra (what uv's ``pip show`` lists). ``None`` when its metadata
    cannot be read; requirements that do not parse are left out. A ``parser`` kept across
    calls parses the clauses they share once."""
    from pyffin.models.metadata import MetadataError
    from pyffin.resolver.dependencies import DependencyError, DependencyParser

    parse_dependency = (parser or DependencyParser()).parse

    try:
        requires_dist = dist.metadata().requires_dist
    except MetadataError:
        return None
    names = set()
    for text in requires_dist:
        try:
            dependency = parse_dependency(text)
            if dependency.marker is None or markers.evaluate(dependency.marker):
                names.add(dependency.name)
        except DependencyError:
            continue
    return sorted(names)


def required_by(env: Interpreter, name: str) -> list[str]:
    """The installed distributions that need ``name`` (normalized) in this environment: their
    requirement on it has no marker, or one that holds here without any extra. A requirement
    only under an extra does not count: which extras were asked for is not recorded."""
    from pyffin.resolver.dependencies import DependencyParser, MarkerEvaluator

    markers = MarkerEvaluator(env.markers)
    parser = DependencyParser()
    result = []
    for dist in installed(env):
        if dist.normalized_name == name:
            continue
        if name in (dependencies(dist, markers, parser) or ()):
            result.append(dist.normalized_name)
    return sorted(set(result))
