"""The documented Python API (``docs/api.md``): :func:`compile`, :func:`install`,
:func:`sync`, :func:`uninstall`, :func:`create_venv` and :func:`inspect`, re-exported as
``pyffin.compile`` and so on.

One style for every function: the argument a command takes on its command line (files for
``compile`` and ``sync``, package names for ``install`` and ``uninstall``, the path for
``create_venv``) may come first; everything else is keyword-only and named after its flag
(``--only-binary`` is ``only_binary=``; a repeatable flag takes a sequence and is named in the
plural where the flag is not: ``--constraint`` is ``constraints=``). Requirement *files* are
always ``requirements=``, requirement *strings* always ``packages=``.

Each function makes its :class:`~pyffin.api.session.Session` from the index and cache options
(or takes one, ``session=``), which reads no configuration unless ``config="auto"``; delivers
its progress and messages to ``on_event`` (default: :func:`pyffin.reporting.log_event`, the
:mod:`logging` module); and raises only :class:`~pyffin.errors.PyffinError`. The work is done
by the operations the command line runs (:mod:`pyffin.api.resolving`,
:mod:`pyffin.api.install`, :mod:`pyffin.venv`, :mod:`pyffin.api.inspect`): this module turns
keywords into their options.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from pyffin.errors import (
    InconsistentEnvironmentError,
    InternalError,
    OSFailure,
    PyffinError,
    UsageError,
)
from pyffin.models.torch import MODES as TORCH_MODES
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.api.building import BuildOptions
    from pyffin.api.download import DownloadResult
    from pyffin.api.inspect import Problem
    from pyffin.api.install import ChangeOptions, InstallResult
    from pyffin.api.operations import ResolveOptions
    from pyffin.api.resolving import CompileResult, OutputFormat
    from pyffin.api.session import Session
    from pyffin.installer.link import LinkMode
    from pyffin.reporting import Callback
    from pyffin.resolver.options import ForkStrategy, PrereleaseMode, ResolutionMode
    from pyffin.settings import Configuration

__all__ = ["Inspection", "InstalledPackage", "VenvResult", "compile", "create_venv", "download",
           "inspect", "install", "sync", "uninstall", "wheel"]

PathLike = str | os.PathLike[str]
ConfigSettings = Mapping[str, str | Sequence[str]]

_CHOICES = {
    "resolution": ("highest", "lowest", "lowest-direct"),
    "prerelease": ("disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"),
    "link_mode": ("hardlink", "copy", "clone", "symlink"),
    "index_strategy": ("first-index", "unsafe-first-match", "unsafe-best-match"),
    "keyring_provider": ("disabled", "subprocess"),
    "annotation_style": ("split", "line"),
    "fork_strategy": ("fewest", "requires-python"),
    "torch_backend": TORCH_MODES,
}


#: Keywords that make the session: given with ``session=``, they are an error.
_SESSION_KEYWORDS = frozenset({
    "config", "index_url", "indexes", "extra_index_urls", "find_links", "no_index",
    "index_strategy", "keyring_provider", "cert", "allow_insecure_hosts", "cache_dir",
    "no_cache", "offline", "refresh", "refresh_packages", "torch_backend"})
P = ParamSpec("P")
R = TypeVar("R")


def _configurable(function: Callable[P, R]) -> Callable[P, R]:
    """With ``config`` (or a session that reads configuration), each keyword the caller did
    not give takes the configuration's value when it has one, as a flag left out does on the
    command line (index settings are merged by the session itself)."""
    import functools

    from pyffin.settings import BY_KEY

    keys = {}
    code = function.__code__  # its parameters' names (inspect.signature costs an import)
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    for name in names:
        key = _setting_key(name, BY_KEY)
        if key is not None and not BY_KEY[key].index:
            keys[name] = key

    @functools.wraps(function)
    def configured(*args: P.args, **kwargs: P.kwargs) -> R:
        session = kwargs.get("session")
        given = {*names[:len(args)], *kwargs}
        try:
            configuration = _configuration(session, kwargs.get("config"))  # type: ignore[arg-type]
            if configuration is not None:
                for name, key in keys.items():
                    if name in given or (session is not None and name in _SESSION_KEYWORDS):
                        continue
                    found = configuration.get(key)
                    if found is not None:
                        kwargs[name] = found.value
        except OSError as e:
            raise _os_failure(e) from e
        return function(*args, **kwargs)

    return configured


def _setting_key(name: str, settings: Mapping[str, object]) -> str | None:
    """The setting of the keyword ``name``: its flag's, singular for a plural keyword."""
    for candidate in (name, name.removesuffix("s")):
        key = candidate.replace("_", "-")
        if key in settings:
            return key
    return None


def _configuration(session: Session | None, config: PathLike | None) -> Configuration | None:
    """The configuration a call reads besides its keywords: ``None`` for none."""
    if session is not None:
        if session.configuration is None and session.config is None:
            return None
        if session.configuration is None:
            session.configuration = session.read_configuration()
        return session.configuration
    if config is None:
        return None
    from pyffin.api.session import read_configuration

    return read_configuration(config)


# ---------------------------------------------------------------------------- functions
@_configurable
def compile(  # the public name mirrors `pyffin pip compile`
    requirements: Sequence[PathLike] = (),
    *,
    packages: Sequence[str] = (),
    constraints: Sequence[PathLike] = (),
    overrides: Sequence[PathLike] = (),
    excludes: Sequence[PathLike] = (),
    extras: Sequence[str] = (),
    all_extras: bool = False,
    groups: Sequence[str] = (),
    only_groups: Sequence[str] = (),
    all_groups: bool = False,
    no_groups: Sequence[str] = (),
    no_deps: bool = False,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    output_file: PathLike | None = None,
    output_format: OutputFormat | None = None,
    python: PathLike | None = None,
    python_version: str | None = None,
    python_platform: str | None = None,
    universal: bool = False,
    environments: Sequence[str] = (),
    required_environments: Sequence[str] = (),
    fork_strategy: ForkStrategy = "requires-python",
    resolution: ResolutionMode = "highest",
    prerelease: PrereleaseMode | None = None,
    prerelease_packages: Sequence[str] = (),
    pre: bool = False,
    exclude_newer: str | None = None,
    exclude_newer_packages: Sequence[str] = (),
    only_binary: Sequence[str] = (),
    no_binary: Sequence[str] = (),
    no_build: bool = False,
    generate_hashes: bool = False,
    annotation_style: str = "split",
    no_annotate: bool = False,
    custom_compile_command: str | None = None,
    emit_index_url: bool = False,
    emit_find_links: bool = False,
    no_emit_packages: Sequence[str] = (),
    config_settings: ConfigSettings | None = None,
    config_settings_packages: Mapping[str, ConfigSettings] | None = None,
    no_build_isolation: bool = False,
    no_build_isolation_packages: Sequence[str] = (),
    build_constraints: Sequence[PathLike] = (),
    require_build_hashes: bool = False,
    index_url: str | None = None,
    indexes: Sequence[str] = (),
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    index_strategy: str | None = None,
    keyring_provider: str | None = None,
    torch_backend: str | None = None,
    cert: PathLike | None = None,
    allow_insecure_hosts: Sequence[str] = (),
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    offline: bool = False,
    refresh: bool = False,
    refresh_packages: Sequence[str] = (),
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> CompileResult:
    """``pyffin pip compile``: resolve requirement files (``requirements.in``,
    ``pyproject.toml``, ``setup.py``/``setup.cfg``, PEP 723 scripts) and ``packages`` into
    pinned versions for the target (``python``, ``python_version``, ``python_platform``),
    or — ``universal`` — for every platform and Python from ``python_version`` on (or the
    ``environments`` markers), each pin with the marker where it is needed (``fork_strategy``:
    uv's ``--fork-strategy``, ``"requires-python"`` or ``"fewest"``). ``excludes`` are
    files naming projects the resolution leaves out (uv's ``--excludes``);
    ``prerelease_packages`` (``"NAME=MODE"``, uv's ``--prerelease-package``) set the
    ``prerelease`` mode of one package each.

    With ``output_file``, its pins are kept (unless ``upgrade``/``upgrade_packages``, which
    also make the pages the cache keeps stale, as ``refresh``/``refresh_packages``) and the
    result is written there; without a ``custom_compile_command`` it has no header.
    ``output_format`` (default: ``pylock.toml`` for an ``output_file`` named ``*.toml``,
    else ``requirements.txt``) ``"pylock.toml"`` makes a PEP 751 lock (the result's
    :meth:`~pyffin.api.resolving.CompileResult.to_pylock_toml`).
    Raises :class:`~pyffin.resolver.NoSolutionError` when the requirements cannot all hold.
    """
    from pyffin.api import resolving

    _check_choices(resolution=resolution, prerelease=prerelease,
                   annotation_style=annotation_style, fork_strategy=fork_strategy)
    session = _session(
        session, config=config, index_url=index_url, indexes=indexes,
        extra_index_urls=extra_index_urls, find_links=find_links, no_index=no_index,
        index_strategy=index_strategy, keyring_provider=keyring_provider, cert=cert,
        allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
        offline=offline, refresh=refresh, refresh_packages=refresh_packages,
        torch_backend=torch_backend)
    with _operation(session, on_event):
        chosen = resolving.choose_output_format(output_format, output_file)
        result = resolving.compile(
            _paths(requirements, "requirements"), requirements=_strings(packages, "packages"),
            constraints=_paths(constraints, "constraints"),
            overrides=_paths(overrides, "overrides"), excludes=_paths(excludes, "excludes"),
            extras=_strings(extras, "extras"),
            all_extras=all_extras, groups=_strings(groups, "groups"),
            only_groups=_strings(only_groups, "only_groups"), all_groups=all_groups,
            no_groups=_strings(no_groups, "no_groups"), session=session, python=_python(python),
            python_version=python_version, python_platform=python_platform,
            resolution=resolution,
            prerelease=_prerelease(prerelease, pre),
            prerelease_packages=_prerelease_packages(prerelease_packages),
            exclude_newer=exclude_newer,
            exclude_newer_packages=_strings(exclude_newer_packages, "exclude_newer_packages"),
            only_binary=_strings(only_binary, "only_binary"),
            no_binary=_strings(no_binary, "no_binary"), no_build=no_build, no_deps=no_deps,
            upgrade=upgrade, upgrade_packages=_strings(upgrade_packages, "upgrade_packages"),
            preferences_from=os.fspath(output_file) if output_file is not None else None,
            generate_hashes=generate_hashes, output_format=chosen,
            build=_build(
                config_settings, config_settings_packages, no_build_isolation,
                no_build_isolation_packages, build_constraints, require_build_hashes),
            universal=universal, fork_strategy=fork_strategy,
            environments=_strings(environments, "environments"),
            required_environments=_strings(required_environments, "required_environments"))
        if output_file is not None:
            from pyffin.fs import write_user_file

            if chosen == "pylock.toml":
                text = result.to_pylock_toml(
                    header_command=custom_compile_command,
                    no_emit_packages=_strings(no_emit_packages, "no_emit_packages"),
                    directory=Path(output_file).absolute().parent)
            else:
                text = result.to_requirements_txt(
                    header_command=custom_compile_command, annotate=not no_annotate,
                    annotation_style=annotation_style, emit_index_url=emit_index_url,
                    emit_find_links=emit_find_links,
                    no_emit_packages=_strings(no_emit_packages, "no_emit_packages"))
            write_user_file(output_file, text.encode("utf-8"))
        return result


@_configurable
def install(
    packages: Sequence[str] = (),
    *,
    requirements: Sequence[PathLike] = (),
    editables: Sequence[str] = (),
    no_editable: bool = False,
    no_editable_packages: Sequence[str] = (),
    constraints: Sequence[PathLike] = (),
    overrides: Sequence[PathLike] = (),
    excludes: Sequence[PathLike] = (),
    extras: Sequence[str] = (),
    all_extras: bool = False,
    groups: Sequence[str] = (),
    only_groups: Sequence[str] = (),
    all_groups: bool = False,
    no_groups: Sequence[str] = (),
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    no_deps: bool = False,
    python: PathLike | None = None,
    system: bool = False,
    break_system_packages: bool = False,
    target: PathLike | None = None,
    prefix: PathLike | None = None,
    python_version: str | None = None,
    python_platform: str | None = None,
    reinstall: bool = False,
    reinstall_packages: Sequence[str] = (),
    link_mode: LinkMode = "hardlink",
    compile_bytecode: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    require_hashes: bool = False,
    resolution: ResolutionMode = "highest",
    prerelease: PrereleaseMode | None = None,
    prerelease_packages: Sequence[str] = (),
    pre: bool = False,
    exclude_newer: str | None = None,
    exclude_newer_packages: Sequence[str] = (),
    only_binary: Sequence[str] = (),
    no_binary: Sequence[str] = (),
    no_build: bool = False,
    config_settings: ConfigSettings | None = None,
    config_settings_packages: Mapping[str, ConfigSettings] | None = None,
    no_build_isolation: bool = False,
    no_build_isolation_packages: Sequence[str] = (),
    build_constraints: Sequence[PathLike] = (),
    require_build_hashes: bool = False,
    index_url: str | None = None,
    indexes: Sequence[str] = (),
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    index_strategy: str | None = None,
    keyring_provider: str | None = None,
    torch_backend: str | None = None,
    cert: PathLike | None = None,
    allow_insecure_hosts: Sequence[str] = (),
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    offline: bool = False,
    refresh: bool = False,
    refresh_packages: Sequence[str] = (),
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> InstallResult:
    """``pyffin pip install``: install ``packages`` (PEP 508 requirements, paths, URLs),
    the contents of ``requirements`` files and ``editables``, with their dependencies, into
    the environment of ``python`` (default: the active or nearest virtual environment);
    ``no_editable`` installs the editable ones as the projects' wheels (uv's
    ``--no-editable``), ``no_editable_packages`` those of these projects (uv's
    ``--no-editable-package``). ``excludes`` and ``prerelease_packages`` are :func:`compile`'s.
    What is installed already and satisfies them is kept (``upgrade`` and ``reinstall`` say
    otherwise, and make what the cache keeps stale, as ``refresh``; their ``_packages`` forms
    as ``refresh_packages``); ``target`` / ``prefix`` install into that directory instead
    (``pip install --target``), ``python_version`` / ``python_platform`` for another Python
    or platform's wheels. With ``dry_run`` nothing changes and the result says what would.
    ``strict`` checks the whole environment afterwards, as ``pip check``: problems raise
    :class:`~pyffin.errors.InconsistentEnvironmentError` (once the change is made)."""
    from pyffin.api import install as operation

    _check_choices(resolution=resolution, prerelease=prerelease, link_mode=link_mode)
    session = _session(
        session, config=config, index_url=index_url, indexes=indexes,
        extra_index_urls=extra_index_urls, find_links=find_links, no_index=no_index,
        index_strategy=index_strategy, keyring_provider=keyring_provider, cert=cert,
        allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
        offline=offline, refresh=refresh, refresh_packages=refresh_packages,
        torch_backend=torch_backend)
    with _operation(session, on_event):
        return _strict(strict, operation.install(
            _paths(requirements, "requirements"), requirements=_strings(packages, "packages"),
            editables=_strings(editables, "editables"), no_editable=no_editable,
            no_editable_packages=_names(no_editable_packages, "no_editable_packages"),
            constraints=_paths(constraints, "constraints"),
            overrides=_paths(overrides, "overrides"), excludes=_paths(excludes, "excludes"),
            extras=_strings(extras, "extras"),
            all_extras=all_extras, groups=_strings(groups, "groups"),
            only_groups=_strings(only_groups, "only_groups"), all_groups=all_groups,
            no_groups=_strings(no_groups, "no_groups"), session=session, python=_python(python),
            system=system, break_system_packages=break_system_packages, target=_path(target),
            prefix=_path(prefix), python_version=python_version,
            python_platform=python_platform, upgrade=upgrade,
            upgrade_packages=_strings(upgrade_packages, "upgrade_packages"), no_deps=no_deps,
            resolve_options=_resolve_options(
                resolution, prerelease, pre, exclude_newer, exclude_newer_packages,
                only_binary, no_binary, no_build, prerelease_packages),
            change=_change_options(reinstall, reinstall_packages, link_mode, compile_bytecode,
                                   dry_run, require_hashes),
            build=_build(
                config_settings, config_settings_packages, no_build_isolation,
                no_build_isolation_packages, build_constraints, require_build_hashes),
            reporter=session.reporter))


@_configurable
def sync(
    requirements: Sequence[PathLike] = (),
    *,
    constraints: Sequence[PathLike] = (),
    extras: Sequence[str] = (),
    all_extras: bool = False,
    groups: Sequence[str] = (),
    only_groups: Sequence[str] = (),
    all_groups: bool = False,
    no_groups: Sequence[str] = (),
    allow_empty_requirements: bool = False,
    python: PathLike | None = None,
    system: bool = False,
    break_system_packages: bool = False,
    target: PathLike | None = None,
    prefix: PathLike | None = None,
    python_version: str | None = None,
    python_platform: str | None = None,
    reinstall: bool = False,
    reinstall_packages: Sequence[str] = (),
    link_mode: LinkMode = "hardlink",
    compile_bytecode: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    require_hashes: bool = False,
    resolution: ResolutionMode = "highest",
    prerelease: PrereleaseMode | None = None,
    pre: bool = False,
    exclude_newer: str | None = None,
    exclude_newer_packages: Sequence[str] = (),
    only_binary: Sequence[str] = (),
    no_binary: Sequence[str] = (),
    no_build: bool = False,
    config_settings: ConfigSettings | None = None,
    config_settings_packages: Mapping[str, ConfigSettings] | None = None,
    no_build_isolation: bool = False,
    no_build_isolation_packages: Sequence[str] = (),
    build_constraints: Sequence[PathLike] = (),
    require_build_hashes: bool = False,
    index_url: str | None = None,
    indexes: Sequence[str] = (),
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    index_strategy: str | None = None,
    keyring_provider: str | None = None,
    torch_backend: str | None = None,
    cert: PathLike | None = None,
    allow_insecure_hosts: Sequence[str] = (),
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    offline: bool = False,
    refresh: bool = False,
    refresh_packages: Sequence[str] = (),
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> InstallResult:
    """``pyffin pip sync``: make the environment contain exactly the requirements of the
    ``requirements`` files (pinned, usually by :func:`compile`), or of one ``pylock.toml``
    (its ``extras`` and ``groups`` as asked): what is missing is installed, everything else
    removed (but the seed packages pip, setuptools and wheel, unless pyffin or uv made the
    environment without them, as uv does); dependencies are not added. Files without any
    requirement raise :class:`~pyffin.api.install.EmptyRequirementsError` unless
    ``allow_empty_requirements`` (then the environment is emptied). ``strict`` as for
    :func:`install`."""
    from pyffin.api import install as operation

    _check_choices(resolution=resolution, prerelease=prerelease, link_mode=link_mode)
    session = _session(
        session, config=config, index_url=index_url, indexes=indexes,
        extra_index_urls=extra_index_urls, find_links=find_links, no_index=no_index,
        index_strategy=index_strategy, keyring_provider=keyring_provider, cert=cert,
        allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
        offline=offline, refresh=refresh, refresh_packages=refresh_packages,
        torch_backend=torch_backend)
    with _operation(session, on_event):
        return _strict(strict, operation.sync(
            _paths(requirements, "requirements"),
            constraints=_paths(constraints, "constraints"), extras=_strings(extras, "extras"),
            all_extras=all_extras, groups=_strings(groups, "groups"),
            only_groups=_strings(only_groups, "only_groups"), all_groups=all_groups,
            no_groups=_strings(no_groups, "no_groups"), session=session, python=_python(python),
            system=system, break_system_packages=break_system_packages, target=_path(target),
            prefix=_path(prefix), python_version=python_version,
            python_platform=python_platform, resolve_options=_resolve_options(
                resolution, prerelease, pre, exclude_newer, exclude_newer_packages,
                only_binary, no_binary, no_build),
            change=_change_options(reinstall, reinstall_packages, link_mode, compile_bytecode,
                                   dry_run, require_hashes),
            build=_build(
                config_settings, config_settings_packages, no_build_isolation,
                no_build_isolation_packages, build_constraints, require_build_hashes),
            reporter=session.reporter,
            allow_empty=allow_empty_requirements))


@_configurable
def uninstall(
    packages: Sequence[str] = (),
    *,
    requirements: Sequence[PathLike] = (),
    python: PathLike | None = None,
    system: bool = False,
    break_system_packages: bool = False,
    target: PathLike | None = None,
    prefix: PathLike | None = None,
    dry_run: bool = False,
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> InstallResult:
    """``pyffin pip uninstall``: remove ``packages`` (names) and those the ``requirements``
    files name from the environment; a name that is not installed is skipped with a
    warning (a ``message`` event)."""
    from pyffin.api import install as operation

    session = _session(session, config=config, cache_dir=cache_dir, no_cache=no_cache)
    with _operation(session, on_event):
        if not packages and not requirements:
            raise UsageError("nothing to uninstall: pass package names or requirements files")
        return operation.uninstall(
            _strings(packages, "packages"), sources=_paths(requirements, "requirements"),
            session=session, python=_python(python), system=system,
            break_system_packages=break_system_packages, dry_run=dry_run, target=_path(target),
            prefix=_path(prefix))


@_configurable
def download(
    packages: Sequence[str] = (),
    *,
    requirements: Sequence[PathLike] = (),
    dest: PathLike = ".",
    constraints: Sequence[PathLike] = (),
    overrides: Sequence[PathLike] = (),
    no_deps: bool = False,
    python: PathLike | None = None,
    platforms: Sequence[str] = (),
    python_version: str | None = None,
    implementation: str | None = None,
    abis: Sequence[str] = (),
    require_hashes: bool = False,
    resolution: ResolutionMode = "highest",
    prerelease: PrereleaseMode | None = None,
    pre: bool = False,
    exclude_newer: str | None = None,
    exclude_newer_packages: Sequence[str] = (),
    only_binary: Sequence[str] = (),
    no_binary: Sequence[str] = (),
    no_build: bool = False,
    config_settings: ConfigSettings | None = None,
    config_settings_packages: Mapping[str, ConfigSettings] | None = None,
    no_build_isolation: bool = False,
    no_build_isolation_packages: Sequence[str] = (),
    build_constraints: Sequence[PathLike] = (),
    require_build_hashes: bool = False,
    index_url: str | None = None,
    indexes: Sequence[str] = (),
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    index_strategy: str | None = None,
    keyring_provider: str | None = None,
    cert: PathLike | None = None,
    allow_insecure_hosts: Sequence[str] = (),
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    offline: bool = False,
    refresh: bool = False,
    refresh_packages: Sequence[str] = (),
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> DownloadResult:
    """``pyffin pip download``: resolve ``packages`` and the ``requirements`` files and save
    the file each package was resolved to (wheel or sdist) into ``dest``, from the cache
    when it has it. ``platforms``, ``python_version``, ``implementation`` and ``abis`` target
    another interpreter as pip's flags do (with ``only_binary=[":all:"]`` or ``no_deps``)."""
    from pyffin.api import download as operation

    _check_choices(resolution=resolution, prerelease=prerelease)
    session = _session(
        session, config=config, index_url=index_url, indexes=indexes,
        extra_index_urls=extra_index_urls, find_links=find_links, no_index=no_index,
        index_strategy=index_strategy, keyring_provider=keyring_provider, cert=cert,
        allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
        offline=offline, refresh=refresh, refresh_packages=refresh_packages)
    with _operation(session, on_event):
        return operation.download(
            _paths(requirements, "requirements"), dest=os.fspath(dest),
            requirements=_strings(packages, "packages"),
            constraints=_paths(constraints, "constraints"),
            overrides=_paths(overrides, "overrides"), session=session, python=_python(python),
            platforms=_strings(platforms, "platforms"), python_version=python_version,
            implementation=implementation, abis=_strings(abis, "abis"), no_deps=no_deps,
            resolve_options=_resolve_options(
                resolution, prerelease, pre, exclude_newer, exclude_newer_packages,
                only_binary, no_binary, no_build),
            require_hashes=require_hashes,
            build=_build(
                config_settings, config_settings_packages, no_build_isolation,
                no_build_isolation_packages, build_constraints, require_build_hashes),
            reporter=session.reporter)


@_configurable
def wheel(
    packages: Sequence[str] = (),
    *,
    requirements: Sequence[PathLike] = (),
    wheel_dir: PathLike = ".",
    constraints: Sequence[PathLike] = (),
    overrides: Sequence[PathLike] = (),
    no_deps: bool = False,
    python: PathLike | None = None,
    require_hashes: bool = False,
    resolution: ResolutionMode = "highest",
    prerelease: PrereleaseMode | None = None,
    pre: bool = False,
    exclude_newer: str | None = None,
    exclude_newer_packages: Sequence[str] = (),
    only_binary: Sequence[str] = (),
    no_binary: Sequence[str] = (),
    no_build: bool = False,
    config_settings: ConfigSettings | None = None,
    config_settings_packages: Mapping[str, ConfigSettings] | None = None,
    no_build_isolation: bool = False,
    no_build_isolation_packages: Sequence[str] = (),
    build_constraints: Sequence[PathLike] = (),
    require_build_hashes: bool = False,
    index_url: str | None = None,
    indexes: Sequence[str] = (),
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    index_strategy: str | None = None,
    keyring_provider: str | None = None,
    cert: PathLike | None = None,
    allow_insecure_hosts: Sequence[str] = (),
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    offline: bool = False,
    refresh: bool = False,
    refresh_packages: Sequence[str] = (),
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> DownloadResult:
    """``pyffin pip wheel``: resolve as :func:`download` does and save a wheel of every
    package into ``wheel_dir``: the one resolved to, or one built from its sdist or project
    (a source already built with the same options is not built again)."""
    from pyffin.api import download as operation

    _check_choices(resolution=resolution, prerelease=prerelease)
    session = _session(
        session, config=config, index_url=index_url, indexes=indexes,
        extra_index_urls=extra_index_urls, find_links=find_links, no_index=no_index,
        index_strategy=index_strategy, keyring_provider=keyring_provider, cert=cert,
        allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
        offline=offline, refresh=refresh, refresh_packages=refresh_packages)
    with _operation(session, on_event):
        return operation.wheel(
            _paths(requirements, "requirements"), wheel_dir=os.fspath(wheel_dir),
            requirements=_strings(packages, "packages"),
            constraints=_paths(constraints, "constraints"),
            overrides=_paths(overrides, "overrides"), session=session, python=_python(python),
            no_deps=no_deps,
            resolve_options=_resolve_options(
                resolution, prerelease, pre, exclude_newer, exclude_newer_packages,
                only_binary, no_binary, no_build),
            require_hashes=require_hashes,
            build=_build(
                config_settings, config_settings_packages, no_build_isolation,
                no_build_isolation_packages, build_constraints, require_build_hashes),
            reporter=session.reporter)


@record
class VenvResult:
    """A virtual environment :func:`create_venv` made."""

    #: Its root directory (absolute).
    path: Path
    #: Its interpreter: pass it as ``python=`` to :func:`install` and the others.
    python: Path
    #: The Python version (``3.12.1``).
    python_version: str
    #: What ``seed`` installed (``None``: nothing was asked).
    seeded: InstallResult | None = None

    def __repr__(self) -> str:
        return f"VenvResult({self.path}, Python {self.python_version})"


@_configurable
def create_venv(
    path: PathLike = ".venv",
    *,
    python: PathLike | None = None,
    prompt: str | None = None,
    system_site_packages: bool = False,
    clear: bool = False,
    allow_existing: bool = False,
    seed: bool = False,
    relocatable: bool = False,
    force: bool = False,
    index_url: str | None = None,
    indexes: Sequence[str] = (),
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    index_strategy: str | None = None,
    keyring_provider: str | None = None,
    cert: PathLike | None = None,
    allow_insecure_hosts: Sequence[str] = (),
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    offline: bool = False,
    refresh: bool = False,
    refresh_packages: Sequence[str] = (),
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> VenvResult:
    """``pyffin venv``: create a virtual environment at ``path`` for the interpreter
    ``python`` asks for (a version such as ``"3.12"``, an executable name or a path; default:
    the first Python on ``PATH``). An existing virtual environment there is replaced with
    ``clear``, updated in place with ``allow_existing``, refused otherwise; a directory that
    is not one is never touched, unless ``clear`` and ``force`` both say to replace it (never
    the file system's root or the user's home). ``seed`` installs pip (and before Python 3.12
    setuptools and wheel) from the indexes."""
    from pyffin import log

    session = _session(
        session, config=config, index_url=index_url, indexes=indexes,
        extra_index_urls=extra_index_urls, find_links=find_links, no_index=no_index,
        index_strategy=index_strategy, keyring_provider=keyring_provider, cert=cert,
        allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
        offline=offline, refresh=refresh, refresh_packages=refresh_packages)
    with _operation(session, on_event):
        from pyffin.interpreter import find_interpreter
        from pyffin.venv import create

        # As the command: based on a system interpreter (an active venv's base, if given).
        interpreter = find_interpreter(_python(python), system=True, cache=session.cache)
        log.info(f"Creating virtual environment at: {path} ({interpreter.implementation_display}"
                 f" {interpreter.version_str})")
        root = create(path, interpreter, prompt=prompt,
                      system_site_packages=system_site_packages, clear=clear,
                      allow_existing=allow_existing, relocatable=relocatable, seed=seed,
                      force=force)
        executable = root / "bin" / "python"
        seeded = None
        if seed:
            from pyffin.api import install as operation
            from pyffin.venv.creation import seed_packages

            seeded = operation.install(requirements=list(seed_packages(interpreter.version)),
                                       session=session, python=str(executable),
                                       reporter=session.reporter)
        return VenvResult(root, executable, interpreter.version_str, seeded)


@record
class InstalledPackage:
    """A distribution installed in an environment."""

    #: The normalized project name (``charset-normalizer``).
    name: str
    version: str
    #: The directory its metadata is in (a ``site-packages``; for a ``setup.py develop``
    #: install, the project directory its ``.egg-link`` points at), as ``pip show`` says.
    location: str
    #: The line ``pip freeze`` writes for it: ``name==version``, ``name @ url``, ``-e path``.
    requirement: str
    #: The project directory (or URL) of an editable install, else ``None``.
    editable_location: str | None = None
    #: What it requires in this environment (normalized names, sorted), as ``pip show``
    #: lists it; ``None`` when its metadata cannot be read.
    requires: tuple[str, ...] | None = ()

    def __repr__(self) -> str:
        return f"InstalledPackage({self.requirement})"


@record
class Inspection:
    """What :func:`inspect` found in an environment: ``pip list``, ``freeze``, ``show`` and
    ``check`` in one reading."""

    #: The environment's root (``sys.prefix``).
    prefix: str
    #: Its interpreter (``sys.executable``).
    python: str
    python_version: str
    #: Sorted by name.
    packages: tuple[InstalledPackage, ...]
    #: What ``pip check`` reports: dependencies missing or of the wrong version (none when
    #: only ``paths`` were read).
    problems: tuple[Problem, ...]

    def __repr__(self) -> str:
        count = len(self.packages)
        problems = len(self.problems)
        return (f"Inspection({self.prefix}, Python {self.python_version}, {count} "
                f"package{'s' if count != 1 else ''}, {problems} "
                f"problem{'s' if problems != 1 else ''})")

    def __getitem__(self, name: str) -> InstalledPackage:
        """The package ``name`` (any spelling); :class:`KeyError` when it is not installed."""
        from pyffin.models.names import normalize_name

        wanted = normalize_name(name)
        for package in self.packages:
            if package.name == wanted:
                return package
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self[name]
        except KeyError:
            return False
        return True

    def freeze(self) -> str:
        """``pip freeze``'s output: one requirement line per package."""
        lines = list(dict.fromkeys(package.requirement for package in self.packages))
        return "".join(f"{line}\n" for line in lines)

    def required_by(self, name: str) -> tuple[str, ...]:
        """The installed packages that require ``name`` here (``pip show``'s
        ``Required-by``)."""
        wanted = self[name].name
        return tuple(sorted(package.name for package in self.packages
                            if package.name != wanted and wanted in (package.requires or ())))


@_configurable
def inspect(
    *,
    python: PathLike | None = None,
    system: bool = False,
    target: PathLike | None = None,
    prefix: PathLike | None = None,
    paths: Sequence[PathLike] = (),
    exclude: Sequence[str] = (),
    editable: bool = False,
    exclude_editable: bool = False,
    cache_dir: PathLike | None = None,
    no_cache: bool = False,
    config: PathLike | None = None,
    session: Session | None = None,
    on_event: Callback | None = None,
) -> Inspection:
    """``pyffin pip list/freeze/show/check``: read the environment of ``python`` (default:
    the active or nearest virtual environment, else the system interpreter), or only the
    directories ``paths`` (``freeze --path``); ``exclude`` leaves packages out, ``editable``
    keeps only editable installs, ``exclude_editable`` leaves them out. Changes nothing."""
    session = _session(session, config=config, cache_dir=cache_dir, no_cache=no_cache)
    with _operation(session, on_event):
        from pyffin.api import inspect as reading
        from pyffin.installer.installed import scan
        from pyffin.models.names import checked_name
        from pyffin.resolver.dependencies import DependencyParser, MarkerEvaluator

        env = reading.environment(session, python=_python(python), system=system,
                                  target=_path(target), prefix=_path(prefix))
        if paths:
            dists = sorted(scan([Path(p) for p in paths if Path(p).is_dir()]),
                           key=lambda d: d.normalized_name)
        else:
            dists = reading.installed(env)
        excluded = {checked_name(name) for name in _strings(exclude, "exclude")}
        markers = MarkerEvaluator(env.markers)
        parser = DependencyParser()
        packages = []
        for dist in dists:
            location = reading.editable_location(dist)
            if dist.normalized_name in excluded or (exclude_editable and location is not None) \
                    or (editable and location is None):
                continue
            requires = reading.dependencies(dist, markers, parser)
            packages.append(InstalledPackage(
                dist.normalized_name, dist.version, str(dist.location),
                reading.freeze_line(dist), location,
                tuple(requires) if requires is not None else None))
        problems = () if paths else tuple(reading.check(env)[1])
        return Inspection(str(env.prefix), str(env.sys_executable), env.version_str,
                          tuple(packages), problems)


# ------------------------------------------------------------------------------ internals
def _strict(strict: bool, result: InstallResult) -> InstallResult:
    if strict and not result.dry_run:
        from pyffin.api.inspect import check

        problems = check(result.environment)[1]
        if problems:
            count = len(problems)
            raise InconsistentEnvironmentError(
                f"the environment is inconsistent (strict): {count} "
                f"problem{'s' if count != 1 else ''}:\n"
                + "\n".join(f"  {problem}" for problem in problems),
                problems=tuple(problems), result=result,
                hint="pyffin.inspect(...).problems lists them again")
    return result


def _session(session: Session | None, *, config: PathLike | None,
             index_url: str | None = None, indexes: Sequence[str] = (),
             extra_index_urls: Sequence[str] = (), find_links: Sequence[str] = (),
             no_index: bool = False, index_strategy: str | None = None,
             keyring_provider: str | None = None, cert: PathLike | None = None,
             allow_insecure_hosts: Sequence[str] = (), cache_dir: PathLike | None = None,
             no_cache: bool = False, offline: bool = False, refresh: bool = False,
             refresh_packages: Sequence[str] = (), torch_backend: str | None = None
             ) -> Session:
    """The session of a call: ``session`` as given (then no session option may be), else
    one made from the options."""
    given = {"config": config is not None, "index_url": index_url is not None,
             "indexes": bool(indexes), "extra_index_urls": bool(extra_index_urls),
             "find_links": bool(find_links), "no_index": no_index,
             "index_strategy": index_strategy is not None,
             "keyring_provider": keyring_provider is not None, "cert": cert is not None,
             "allow_insecure_hosts": bool(allow_insecure_hosts),
             "cache_dir": cache_dir is not None, "no_cache": no_cache, "offline": offline,
             "refresh": refresh, "refresh_packages": bool(refresh_packages),
             "torch_backend": torch_backend is not None}
    if session is not None:
        clashing = [name for name, value in given.items() if value]
        if clashing:
            raise UsageError(f"{', '.join(clashing)}: give these options to the Session, or "
                             "no session")
        return session
    return make_session(
        config=config, index_url=index_url, indexes=indexes,
        extra_index_urls=extra_index_urls, find_links=find_links, no_index=no_index,
        index_strategy=index_strategy, keyring_provider=keyring_provider, cert=cert,
        allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
        offline=offline, refresh=refresh, refresh_packages=refresh_packages,
        torch_backend=torch_backend)


def make_session(*, index_url: str | None = None, indexes: Sequence[str] = (),
                 extra_index_urls: Sequence[str] = (), find_links: Sequence[str] = (),
                 no_index: bool = False, index_strategy: str | None = None,
                 keyring_provider: str | None = None, cert: PathLike | None = None,
                 allow_insecure_hosts: Sequence[str] = (), cache_dir: PathLike | None = None,
                 no_cache: bool = False, offline: bool = False, refresh: bool = False,
                 refresh_packages: Sequence[str] = (), config: PathLike | None = None,
                 torch_backend: str | None = None) -> Session:
    """A session from the index and cache keywords of the API's functions
    (:meth:`Session.from_flags <pyffin.api.session.Session.from_flags>`)."""
    _check_choices(index_strategy=index_strategy, keyring_provider=keyring_provider,
                   torch_backend=torch_backend)
    from pyffin.api.session import Session
    from pyffin.cache import Cache
    from pyffin.settings import IndexSettings

    # uv's order: --index first, then --extra-index-url, then the default index.
    extra = (*_strings(indexes, "indexes"), *_strings(extra_index_urls, "extra_index_urls"))
    index = IndexSettings(
        index_url=index_url, extra_index_urls=extra or None,
        find_links=tuple(_strings(find_links, "find_links")) or None,
        no_index=True if no_index else None, index_strategy=index_strategy,
        cert=os.fspath(cert) if cert is not None else None,
        allow_insecure_host=tuple(_strings(allow_insecure_hosts, "allow_insecure_hosts"))
        or None,
        keyring_provider=keyring_provider, torch_backend=torch_backend)
    try:
        cache = Cache.from_settings(cache_dir, no_cache=no_cache)
    except OSError as e:
        raise _os_failure(e) from e
    return Session(cache, index=index, config=config, offline=offline, refresh=refresh,
                   refresh_packages=_strings(refresh_packages, "refresh_packages"))


@contextmanager
def _operation(session: Session, on_event: Callback | None) -> Iterator[None]:
    """Run one call: its progress and messages to ``on_event`` (or, without one, to
    :mod:`logging`; progress to the session's own reporter if it has one), whatever the
    process's command line configured; any error as a :class:`~pyffin.errors.PyffinError`."""
    from pyffin import log
    from pyffin.reporting import CallbackReporter, Event, log_event

    if not session.call_lock.acquire(blocking=False):
        raise UsageError("this Session is running another call: give each thread its own")
    previous = session.reporter
    if on_event is not None or previous is None:
        session.reporter = CallbackReporter(on_event or log_event)
    callback = on_event or log_event
    if on_event is not None:
        threshold = log.INFO
    else:  # what the logger would show: the debug lines too, once asked for
        import logging

        threshold = max(logging.getLogger("pyffin").getEffectiveLevel(), log.DEBUG)

    def deliver(level: int, message: str) -> None:
        callback(Event("message", level=level, message=message))

    try:
        with log.routed(deliver, threshold):
            yield
    except PyffinError:
        raise
    except OSError as e:
        from pyffin.cache.core import changed_error

        changed = changed_error(session.cache.root, e) \
            if isinstance(e, FileNotFoundError) else None
        raise (changed or _os_failure(e)) from e
    except Exception as e:
        raise InternalError(f"pyffin crashed: {type(e).__name__}: {e}",
                            hint="this is a bug; please report it with the traceback of "
                                 "this error's __cause__") from e
    finally:
        session.reporter = previous
        session.call_lock.release()


def _os_failure(error: OSError) -> OSFailure:
    """``Permission denied: /path`` rather than ``[Errno 13] Permission denied: '/path'``."""
    message = error.strerror or str(error) or type(error).__name__
    paths = [p for p in (error.filename, error.filename2) if p is not None]
    if paths:
        message += ": " + " -> ".join(os.fsdecode(p) for p in paths)
    return OSFailure(message)


def _check_choices(**values: str | None) -> None:
    for name, value in values.items():
        choices = _CHOICES[name]
        if value is not None and value not in choices:
            raise UsageError(f"invalid {name}={value!r} (expected one of "
                             f"{', '.join(choices)})")


def _strings(values: Sequence[str], name: str) -> list[str]:
    """A sequence of strings as given; a single string (``packages="requests"``) is refused,
    not read as its characters."""
    if isinstance(values, (str, bytes)):
        raise UsageError(f"{name} takes a list of strings, not the string {values!r}")
    return [str(value) for value in values]


def _names(values: Sequence[str], name: str) -> list[str]:
    """Project names (:func:`_strings`), each a valid one, normalized."""
    from pyffin.models.names import checked_name

    try:
        return [checked_name(value) for value in _strings(values, name)]
    except ValueError as e:
        raise UsageError(f"{name}: {e}") from None


def _paths(values: Sequence[PathLike], name: str) -> list[str]:
    if isinstance(values, (str, bytes, os.PathLike)):
        raise UsageError(f"{name} takes a list of paths, not the single path {values!r}")
    return [os.fspath(value) for value in values]


def _python(python: PathLike | None) -> str | None:
    return os.fspath(python) if python is not None else None


def _path(path: PathLike | None) -> str | None:
    return os.fspath(path) if path is not None else None


def _prerelease_packages(values: Sequence[str]) -> tuple[tuple[str, PrereleaseMode], ...]:
    """``"NAME=MODE"`` values read (see :func:`pyffin.resolver.options.prerelease_package`)."""
    from pyffin.resolver.options import prerelease_package

    try:
        return tuple(map(prerelease_package, _strings(values, "prerelease_packages")))
    except ValueError as e:
        raise UsageError(str(e)) from None


def _prerelease(prerelease: PrereleaseMode | None, pre: bool) -> PrereleaseMode | None:
    if pre and prerelease not in (None, "allow"):
        raise UsageError(f"pre=True conflicts with prerelease={prerelease!r}")
    return "allow" if pre else prerelease


def _build(config_settings: ConfigSettings | None,
           config_settings_packages: Mapping[str, ConfigSettings] | None,
           no_build_isolation: bool, no_build_isolation_packages: Sequence[str],
           build_constraints: Sequence[PathLike], require_build_hashes: bool
           ) -> BuildOptions | None:
    """The build keywords as the operations take them (``None``: the defaults)."""
    if not (config_settings or config_settings_packages or no_build_isolation
            or no_build_isolation_packages or build_constraints or require_build_hashes):
        return None
    from pyffin.api.building import BuildOptions
    from pyffin.models.names import checked_name

    def settings(values: ConfigSettings | None) -> dict[str, str | list[str]]:
        return {str(key): value if isinstance(value, str) else [str(v) for v in value]
                for key, value in (values or {}).items()}

    constraints = _paths(build_constraints, "build_constraints")
    if constraints:  # a missing or broken file is an error even if nothing builds
        from pyffin.requirements import read_requirements

        read_requirements(constraints=constraints)
    try:
        per_package: dict[str, Mapping[str, str | list[str]]] = {
            checked_name(name): settings(values)
            for name, values in (config_settings_packages or {}).items()}
        unisolated = tuple(dict.fromkeys(checked_name(name) for name in _strings(
            no_build_isolation_packages, "no_build_isolation_packages")))
    except ValueError as e:
        raise UsageError(f"invalid package name in the build keywords: {e}") from None
    return BuildOptions(isolated=not no_build_isolation,
                        config_settings=settings(config_settings) or None,
                        no_isolation_packages=unisolated,
                        config_settings_packages=per_package or None,
                        build_constraints=tuple(constraints),
                        require_build_hashes=require_build_hashes)


def _resolve_options(resolution: ResolutionMode, prerelease: PrereleaseMode | None,
                     pre: bool, exclude_newer: str | None, exclude_newer_packages: Sequence[str],
                     only_binary: Sequence[str], no_binary: Sequence[str], no_build: bool,
                     prerelease_packages: Sequence[str] = ()) -> ResolveOptions:
    from pyffin.api.operations import ResolveOptions

    return ResolveOptions(
        resolution=resolution, prerelease=_prerelease(prerelease, pre),
        prerelease_packages=_prerelease_packages(prerelease_packages),
        exclude_newer=exclude_newer,
        exclude_newer_packages=tuple(_strings(exclude_newer_packages,
                                              "exclude_newer_packages")),
        only_binary=tuple(_strings(only_binary, "only_binary")),
        no_binary=tuple(_strings(no_binary, "no_binary")), no_build=no_build)


def _change_options(reinstall: bool, reinstall_packages: Sequence[str], link_mode: LinkMode,
                    compile_bytecode: bool, dry_run: bool, require_hashes: bool
                    ) -> ChangeOptions:
    from pyffin.api.install import ChangeOptions

    return ChangeOptions(
        reinstall=reinstall,
        reinstall_packages=tuple(_strings(reinstall_packages, "reinstall_packages")),
        link_mode=link_mode,
        compile_bytecode=compile_bytecode, dry_run=dry_run, require_hashes=require_hashes)
