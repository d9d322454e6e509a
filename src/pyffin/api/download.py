"""``pyffin.download`` and ``pyffin.wheel``: resolve requirements, then save the file of every
package into a directory instead of installing it (``pyffin pip download`` and ``pyffin pip
wheel``, which pip has and uv does not).

Both resolve with :func:`pyffin.api.operations.resolve` and save with
:func:`pyffin.api.operations.save_distributions`, so they choose, fetch and check files as an
install does, from the same cache. Like pip, they resolve for this interpreter unless told
otherwise with pip's targeting options (``platforms``, ``python_version``,
``implementation``, ``abis``: see :func:`pip_target`); as pip requires, targeting another
interpreter needs ``only_binary=[":all:"]`` or ``no_deps``, since an sdist's dependencies
could only be computed on this one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pyffin.api.operations import DEFAULT_RESOLVE, ResolveOptions, SavedFile
from pyffin.errors import UsageError
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.api.building import BuildOptions
    from pyffin.api.session import Session
    from pyffin.api.target import Target
    from pyffin.interpreter import Interpreter
    from pyffin.reporting import Reporter

__all__ = ["DownloadResult", "SavedFile", "check_dist_restriction", "download",
           "parse_pip_python_version", "pip_target", "wheel"]

#: pip's message when targeting options are used with sdists allowed, word for word.
DIST_RESTRICTION = ("When restricting platform and interpreter constraints using "
                    "--python-version, --platform, --abi, or --implementation, either "
                    "--no-deps must be set, or --only-binary=:all: must be set and "
                    "--no-binary must not be set (or must be set to :none:).")


@record(frozen=False, eq=False)
class DownloadResult:
    """What a download or wheel operation saved."""

    #: One per resolved package, by name.
    files: list[SavedFile]
    target: Target
    #: Seconds spent resolving, and saving (fetching, building, copying).
    timings: dict[str, float]

    def __repr__(self) -> str:
        from pyffin.api.resolving import listed

        saved = listed([f"{file.path.name} ({file.status})" for file in self.files
                        if file.path is not None])
        return f"DownloadResult({self.target.description}: {saved})"


def download(
    sources: Sequence[str | Path] = (),
    *,
    dest: str | Path = ".",
    requirements: Sequence[str] = (),
    constraints: Sequence[str | Path] = (),
    overrides: Sequence[str | Path] = (),
    session: Session | None = None,
    python: str | None = None,
    platforms: Sequence[str] = (),
    python_version: str | None = None,
    implementation: str | None = None,
    abis: Sequence[str] = (),
    no_deps: bool = False,
    resolve_options: ResolveOptions = DEFAULT_RESOLVE,
    require_hashes: bool = False,
    build: BuildOptions | None = None,
    reporter: Reporter | None = None,
    stdin: TextIO | None = None,
) -> DownloadResult:
    """Resolve ``sources`` (requirements files) and ``requirements`` (strings) and save the
    file each package was resolved to — wheel or sdist — into ``dest``. A local project
    directory is resolved (its dependencies are saved) but has no file to save."""
    return _run(False, sources, dest=dest, requirements=requirements, constraints=constraints,
                overrides=overrides, session=session, python=python, platforms=platforms,
                python_version=python_version, implementation=implementation, abis=abis,
                no_deps=no_deps, resolve_options=resolve_options,
                require_hashes=require_hashes, build=build, reporter=reporter, stdin=stdin)


def wheel(
    sources: Sequence[str | Path] = (),
    *,
    wheel_dir: str | Path = ".",
    requirements: Sequence[str] = (),
    constraints: Sequence[str | Path] = (),
    overrides: Sequence[str | Path] = (),
    session: Session | None = None,
    python: str | None = None,
    no_deps: bool = False,
    resolve_options: ResolveOptions = DEFAULT_RESOLVE,
    require_hashes: bool = False,
    build: BuildOptions | None = None,
    reporter: Reporter | None = None,
    stdin: TextIO | None = None,
) -> DownloadResult:
    """Resolve as :func:`download` does and save a wheel of every package into ``wheel_dir``:
    the one resolved to, or one built from its sdist or project (cached: a source already
    built with the same options is not built again)."""
    return _run(True, sources, dest=wheel_dir, requirements=requirements,
                constraints=constraints, overrides=overrides, session=session, python=python,
                no_deps=no_deps, resolve_options=resolve_options,
                require_hashes=require_hashes, build=build, reporter=reporter, stdin=stdin)


def _run(build_wheels: bool, sources: Sequence[str | Path], *, dest: str | Path,
         requirements: Sequence[str], constraints: Sequence[str | Path],
         overrides: Sequence[str | Path], session: Session | None, python: str | None,
         no_deps: bool, resolve_options: ResolveOptions, require_hashes: bool,
         build: BuildOptions | None, reporter: Reporter | None, stdin: TextIO | None,
         platforms: Sequence[str] = (), python_version: str | None = None,
         implementation: str | None = None, abis: Sequence[str] = ()) -> DownloadResult:
    from pyffin.api import operations
    from pyffin.api.building import LazySources
    from pyffin.api.session import Session
    from pyffin.interpreter import find_interpreter
    from pyffin.requirements import read_requirements

    started = time.perf_counter()
    check_dist_restriction(platforms=platforms, python_version=python_version,
                           implementation=implementation, abis=abis, no_deps=no_deps,
                           only_binary=resolve_options.only_binary,
                           no_binary=resolve_options.no_binary)
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise UsageError(f"{os.fspath(dest)} is not a directory: the files cannot be saved there")
    session = session or Session()
    if reporter is not None and session.reporter is None:
        session.reporter = reporter  # hears the resolution and builds too
    cutoffs = resolve_options.cutoffs()
    interpreter = find_interpreter(python, cache=session.cache)
    target = pip_target(interpreter, platforms=platforms, python_version=python_version,
                        implementation=implementation, abis=abis)
    lazy = LazySources(session, interpreter, build)
    spec = read_requirements(
        [str(s) for s in sources], requirements=requirements,
        constraints=[str(c) for c in constraints], overrides=[str(o) for o in overrides],
        stdin=stdin, build_project=lazy.project_metadata)
    if not spec.requirements:
        raise UsageError("no requirements given: pass package names or requirements files")
    if any(entry.editable for entry in spec.requirements):
        raise UsageError("editable requirements (-e) cannot be downloaded or built into wheel "
                         "files")
    hash_mode = operations.is_hash_mode(spec, require_hashes=require_hashes)
    session.configure(operations.spec_index_settings(spec))
    builds = lazy.get()
    resolved = operations.resolve(
        session, spec, markers=target.markers, tags=target.tags, sources=builds,
        options=resolve_options, cutoffs=cutoffs, no_deps=no_deps, hash_mode=hash_mode)
    timings = {"resolve": time.perf_counter() - started}
    started = time.perf_counter()
    files = operations.save_distributions(
        session, resolved.resolution, Path(dest), sources=builds, build_wheels=build_wheels,
        hashes=operations.required_hashes(spec) if hash_mode else None, reporter=reporter)
    timings["save"] = time.perf_counter() - started
    return DownloadResult(files, target, timings)


def check_dist_restriction(*, platforms: Sequence[str], python_version: str | None,
                           implementation: str | None, abis: Sequence[str], no_deps: bool,
                           only_binary: Iterable[str], no_binary: Iterable[str]) -> None:
    """pip's rule: targeting another interpreter (``--platform``, ``--python-version``,
    ``--implementation``, ``--abi``) needs ``--no-deps``, or ``--only-binary=:all:`` without
    ``--no-binary``: the dependencies of an sdist could only be computed here."""
    if not (platforms or python_version or implementation or abis):
        return
    binary_only = set(only_binary) == {":all:"} and not set(no_binary) - {":none:"}
    if not (binary_only or no_deps):
        raise UsageError(DIST_RESTRICTION)


def parse_pip_python_version(text: str) -> tuple[int, ...]:
    """pip's ``--python-version``: up to three dot-separated integers, or ``37`` for 3.7."""
    parts = text.split(".")
    if len(parts) > 3:
        raise UsageError(f"invalid --python-version value: {text!r}: at most three version "
                         "parts are allowed")
    if len(parts) == 1 and len(parts[0]) > 1:
        parts = [parts[0][0], parts[0][1:]]
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise UsageError(f"invalid --python-version value: {text!r}: each version part must "
                         "be an integer") from None


#: pip's implementation abbreviations, as ``sys.implementation.name``.
_IMPLEMENTATIONS = {"cp": "cpython", "pp": "pypy", "ip": "ironpython", "jy": "jython",
                    "gp": "graalpy"}


def pip_target(interpreter: Interpreter, *, platforms: Sequence[str] = (),
               python_version: str | None = None, implementation: str | None = None,
               abis: Sequence[str] = ()) -> Target:
    """The target pip's options describe: ``interpreter`` itself, or its platforms, Python
    version, implementation (``cp``, ``pp``, ``py`` for implementation-agnostic wheels) and
    ABIs replaced by those given, with the wheel tags pip computes for them (pip's
    ``get_supported``: ``manylinux2014`` also takes ``manylinux2010`` and ``manylinux1``
    wheels, ``macosx_X_Y_arch`` older macOS versions). Markers follow the Python version, as
    ``--python-version`` does for ``compile``; the platform's stay this machine's (pip
    evaluates them here too)."""
    from pyffin.api.target import Target, make_target

    if not (platforms or python_version or implementation or abis):
        return make_target(interpreter)
    from packaging import tags as ptags

    version = (parse_pip_python_version(python_version) if python_version
               else interpreter.version[:2])
    own_short = next((k for k, v in _IMPLEMENTATIONS.items()
                      if v == interpreter.implementation_name), interpreter.implementation_name)
    impl = implementation or own_short
    nodot = "".join(map(str, version[:2]))
    platform_tags = _expand_platforms(platforms) if platforms else _platforms(interpreter.tags)
    abi_list: list[str]
    if abis:
        abi_list = list(abis)
    elif impl == own_short and version[:2] == interpreter.version[:2]:
        abi_list = _abis(interpreter.tags, f"{impl}{nodot}")
    elif impl == "cp" and len(version) > 1:
        from pyffin.interpreter.tags import cpython_abis

        abi_list = cpython_abis(version)
    else:
        abi_list = []
    if impl == "cp":
        combined = list(ptags.cpython_tags(version, abi_list, platform_tags))
    else:
        combined = list(ptags.generic_tags(f"{impl}{nodot}", abi_list, platform_tags))
    combined.extend(ptags.compatible_tags(version, f"{impl}{nodot}", platform_tags))
    tags = tuple(dict.fromkeys(str(tag) for tag in combined))
    if python_version:
        shown = ".".join(map(str, version if len(version) > 1 else (version[0], 0)))
        markers = make_target(interpreter, python_version=shown).markers
    else:
        markers = dict(interpreter.markers)
    described = [f"Python {'.'.join(map(str, version))}"]
    if implementation:
        described.append(f"implementation {implementation}")
    if platforms:
        described.append(f"on {', '.join(platforms)}")
    return Target(markers, tags, " ".join(described))


def _platforms(tags: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        platform = tag.rsplit("-", 1)[1]
        if platform != "any" and platform not in seen:
            seen.append(platform)
    return seen


def _abis(tags: Sequence[str], interpreter: str) -> list[str]:
    """The ABI tags an interpreter's own tags pair with its ``interpreter`` tag (``abi3`` and
    ``none`` are added back by packaging)."""
    seen: list[str] = []
    for tag in tags:
        python, abi, _ = tag.split("-")
        if python == interpreter and abi not in ("abi3", "none") and abi not in seen:
            seen.append(abi)
    return seen


def _expand_platforms(platforms: Sequence[str]) -> list[str]:
    """pip's expansion of ``--platform`` values (``_expand_allowed_platforms``)."""
    from packaging import tags as ptags

    result: list[str] = []
    for platform in platforms:
        prefix, sep, suffix = platform.partition("_")
        if platform.startswith("macosx"):
            parts = platform.split("_", 3)
            try:
                major, minor, arch = int(parts[1]), int(parts[2]), parts[3]
            except (IndexError, ValueError):
                added = [platform]
            else:
                added = list(ptags.mac_platforms((major, minor), arch))
        elif prefix == "manylinux2014" and suffix in ("i686", "x86_64"):
            added = [platform, f"manylinux2010{sep}{suffix}", f"manylinux1{sep}{suffix}"]
        elif prefix == "manylinux2014":
            added = [platform]
        elif prefix == "manylinux2010":
            added = [platform, f"manylinux1{sep}{suffix}"]
        else:
            added = [platform]
        result.extend(p for p in added if p not in result)
    return result
