"""``Session``: what one operation shares — the cache, the index settings and the registry
client made from them, the I/O thread pool, the memo of parsed requirements, the network
switches — created once and passed down.

The session owns what is shared: nothing below it reaches for a process-wide pool or cache.
Its index settings are fixed once (:meth:`Session.configure`): an operation that resolves
twice (a build's requirements while the user's are resolved) uses one registry, and a later
request for other settings is an error rather than silently ignored.
"""

from __future__ import annotations

import os
from _thread import allocate_lock
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyffin.errors import PyffinError

if TYPE_CHECKING:
    from pyffin.api.public import PathLike
    from pyffin.cache import Cache
    from pyffin.client.registry import RegistryClient
    from pyffin.futures import ThreadPool
    from pyffin.reporting import Reporter
    from pyffin.resolver.dependencies import DependencyParser
    from pyffin.resolver.page_worker import PageWorkers
    from pyffin.settings import Configuration, Found, IndexSettings


class IndexConflictError(PyffinError):
    """Index settings asked for after the session's registry was configured with others."""


class Session:
    """Shared resources of an operation.

    ``index`` holds the index settings given explicitly (flags); the requirements files' own
    options are merged in by :meth:`configure`, and so are the configuration levels of
    ``configuration`` (the command line's). Without one, ``config`` says what is read: by
    default nothing at all — no ``pip.conf``, ``PIP_*`` or ``PYFFIN_*`` variable, no
    ``pyffin.toml`` — so that a program embedding pyffin is not changed by its user's
    configuration; ``"auto"`` reads everything the command line reads (``no_config`` then
    drops the files, as ``--no-config``); a path reads that pyffin configuration file alone
    (as ``--config-file``, without the variables). ``refresh`` is
    ``True`` for ``--refresh``; ``refresh_packages`` names packages for ``--refresh-package``.
    ``reporter`` hears how resolutions and builds progress.
    """

    def __init__(
        self,
        cache: Cache | None = None,
        *,
        index: IndexSettings | None = None,
        config: str | os.PathLike[str] | None = None,
        no_config: bool = False,
        offline: bool = False,
        refresh: bool = False,
        refresh_packages: Iterable[str] = (),
        cwd: Path | None = None,
        configuration: Configuration | None = None,
        reporter: Reporter | None = None,
    ) -> None:
        from pyffin.cache import Cache
        from pyffin.settings import IndexSettings

        self.cache = (cache or Cache.from_settings()).init()
        self.index = index or IndexSettings()
        self.config = config
        self.no_config = no_config
        self.offline = offline
        self.refresh = refresh
        self.refresh_packages = tuple(refresh_packages)
        self.cwd = cwd
        #: The configuration levels below the flags (read once, shared with the CLI's).
        self.configuration = configuration
        #: Where resolutions and builds report their progress (see :mod:`pyffin.reporting`).
        self.reporter = reporter
        #: The merged index settings the registry uses (``None``: not configured yet).
        self.index_settings: IndexSettings | None = None
        self._origins: dict[str, Found] = {}
        self._registry: RegistryClient | None = None
        self._pool: ThreadPool | None = None
        self._parser: DependencyParser | None = None
        self._lock = allocate_lock()
        self._pool_lock = allocate_lock()
        #: Held by a call of the Python API (``pyffin.install(session=...)``) while it runs:
        #: one at a time, since it hands the session its own reporter.
        self.call_lock = allocate_lock()
        #: Whether a cold resolution may fork page workers
        #: (:mod:`pyffin.resolver.page_worker`): the command line's sessions alone (a fork of
        #: a program that embeds pyffin would copy what is not pyffin's).
        self.page_workers_allowed = False
        #: The page workers of the resolution under way, for its package source to take.
        self.page_workers: PageWorkers | None = None
        #: ``--python-platform`` of the operation, when given: the target operating system
        #: ``--torch-backend auto`` picks PyTorch's indexes for (``None``: this machine's).
        self.python_platform: str | None = None

    @classmethod
    def from_flags(
        cls,
        *,
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
        torch_backend: str | None = None,
    ) -> Session:
        """A session made from the index and cache keywords of the Python API's functions
        (``docs/api.md``), as each call makes its own: to share one between calls."""
        from pyffin.api.public import make_session

        return make_session(
            index_url=index_url, indexes=indexes, extra_index_urls=extra_index_urls,
            find_links=find_links, no_index=no_index, index_strategy=index_strategy,
            keyring_provider=keyring_provider, cert=cert,
            allow_insecure_hosts=allow_insecure_hosts, cache_dir=cache_dir, no_cache=no_cache,
            offline=offline, refresh=refresh, refresh_packages=refresh_packages, config=config,
            torch_backend=torch_backend)

    # ------------------------------------------------------------------------ indexes
    def configure(self, requirements: IndexSettings | None = None) -> RegistryClient:
        """Fix the session's index settings — the flags, ``PYFFIN_*`` variables and
        configuration files merged with ``requirements`` (the requirements files' own index
        options, at their level of precedence) — and return the registry client made from
        them.

        Asking again for what merges to the same settings returns the same client; asking for
        others raises :class:`IndexConflictError` naming both (the first ones are in use)."""
        with self._lock:
            if self.configuration is None:
                self.configuration = self.read_configuration()
            merged = self.configuration.index_settings(self.index, requirements)
            origins = dict(self.configuration.index_origins)
            if self._registry is not None:
                assert self.index_settings is not None
                if merged != self.index_settings:
                    raise _conflict(self.index_settings, self._origins, merged, origins)
                return self._registry
            self.index_settings, self._origins = merged, origins
            _report_origins(origins)
            from pyffin.client.cached import Refresh
            from pyffin.client.registry import connect

            refresh = Refresh(all=self.refresh, packages=self.refresh_packages) if (
                self.refresh or self.refresh_packages) else None
            self._registry = connect(self.cache, merged, offline=self.offline, refresh=refresh,
                                     pool=self.pool, python_platform=self.python_platform)
            return self._registry

    def look_again(self, *, everything: bool = False, packages: Iterable[str] = ()) -> None:
        """Count what the cache holds as stale for the rest of the session — everything, or
        what it holds of ``packages`` — as ``--refresh`` and ``--refresh-package`` do: an
        upgrade is a look for the newest, and a reinstall for a fresh copy, whatever the age
        of the kept pages (uv's ``--upgrade`` and ``--reinstall`` imply ``--refresh``, their
        ``-P``/``--reinstall-package`` ``--refresh-package``)."""
        packages = tuple(name for name in packages if name not in self.refresh_packages)
        if not packages and (self.refresh or not everything):
            return
        self.refresh = self.refresh or everything
        self.refresh_packages += packages
        registry = self._registry
        if registry is not None:  # made already: from now on, it looks again too
            from pyffin.client.cached import Refresh

            registry.cached.refresh = Refresh(all=self.refresh, packages=self.refresh_packages)

    def read_configuration(self) -> Configuration:
        """The configuration ``config`` says to read (see the class)."""
        return read_configuration(self.config, no_config=self.no_config, cwd=self.cwd)

    @property
    def registry(self) -> RegistryClient:
        """The registry client; configured without requirements-level index options when
        :meth:`configure` was not called first."""
        registry = self._registry
        return registry if registry is not None else self.configure()

    # ----------------------------------------------------------------- shared resources
    @property
    def pool(self) -> ThreadPool:
        """The I/O thread pool every download, metadata fetch and build of the operation
        runs in (up to ``PYFFIN_CONCURRENT_DOWNLOADS`` threads, started as work arrives —
        beyond the first few, only while the CPU is idle, see :class:`ThreadPool`; daemons, so
        that an interrupted command does not wait for them)."""
        if self._pool is None:
            from pyffin.futures import ThreadPool
            from pyffin.settings import concurrent_downloads

            with self._pool_lock:
                if self._pool is None:
                    self._pool = ThreadPool(concurrent_downloads(), "pyffin-io")
        return self._pool

    @property
    def parser(self) -> DependencyParser:
        """Requirement strings and specifiers parsed so far, kept for the session's
        resolutions and checks: the same ``Requires-Dist`` texts recur across them."""
        if self._parser is None:
            from pyffin.resolver.dependencies import DependencyParser

            self._parser = DependencyParser()
        return self._parser


def read_configuration(config: str | os.PathLike[str] | None, *, no_config: bool = False,
                       cwd: Path | None = None) -> Configuration:
    """The configuration levels ``config`` selects: none (``None``), all of them, as the
    command line reads them (``"auto"``; ``no_config`` drops the files), or one pyffin
    configuration file (a path)."""
    from pyffin.settings import Configuration

    if config is None:
        return Configuration(no_config=True, environ={})
    if os.fspath(config) == "auto":
        return Configuration(no_config=no_config, cwd=cwd)
    return Configuration(no_config=True, environ={}, config_file=config)


def _conflict(used: IndexSettings, used_origins: dict[str, Found], asked: IndexSettings,
              asked_origins: dict[str, Found]) -> IndexConflictError:
    from pyffin.settings import INDEX_FIELDS

    differences = []
    for key, field in INDEX_FIELDS.items():
        mine, theirs = getattr(used, field), getattr(asked, field)
        if mine != theirs:
            differences.append(f"{_setting(key, theirs, asked_origins)} differs from "
                               f"{_setting(key, mine, used_origins)}, already in use")
    return IndexConflictError(
        "the index settings changed after the indexes were first used: "
        + "; ".join(differences),
        hint="give index options on the command line, or in the first requirements file read")


def _setting(key: str, value: Any, origins: dict[str, Found]) -> str:
    """``--key value (from origin)``, or ``no --key``."""
    if value is None or value is False or value == ():
        return f"no --{key}"
    from pyffin.models.urls import redact

    values = value if isinstance(value, tuple) else (value,)
    shown = "" if value is True else " " + " ".join(
        redact(v) if isinstance(v, str) else str(v) for v in values)
    found = origins.get(key)
    return f"--{key}{shown}" + (f" (from {found.origin})" if found is not None else "")


def _report_origins(origins: dict[str, Found]) -> None:
    """At ``-v``: where each index setting came from (a flag, a variable, a file)."""
    from pyffin import log

    if not log.enabled(log.DEBUG):
        return
    from pyffin.models.urls import redact

    for key, found in origins.items():
        values = found.value if isinstance(found.value, tuple) else (found.value,)
        shown = " ".join(redact(v) if isinstance(v, str) else str(v) for v in values)
        log.debug(f"Using {key} {shown} from {found.origin}")
