"""``Session``: what one operation shares — the cache, the index settings, the registry client,
the network switches — created once and passed down."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.client.registry import RegistryClient
    from pyffin.reporting import Reporter
    from pyffin.settings import Configuration, IndexSettings


class Session:
    """Shared resources of an operation.

    ``index`` holds the index settings given explicitly (flags); the environment, configuration
    files, pip's configuration and the requirements files' own options are merged in by
    :meth:`registry` (from ``configuration``, else a fresh read of them). ``refresh`` is
    ``True`` for ``--refresh``; ``refresh_packages`` names packages for ``--refresh-package``.
    ``reporter`` hears how resolutions and builds progress.
    """

    def __init__(
        self,
        cache: Cache | None = None,
        *,
        index: IndexSettings | None = None,
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
        self.no_config = no_config
        self.offline = offline
        self.refresh = refresh
        self.refresh_packages = tuple(refresh_packages)
        self.cwd = cwd
        #: The configuration levels below the flags (read once, shared with the CLI's).
        self.configuration = configuration
        #: Where resolutions and builds report their progress (see :mod:`pyffin.reporting`).
        self.reporter = reporter
        self._registry: RegistryClient | None = None
        self.index_settings: IndexSettings | None = None

    def registry(self, requirements: IndexSettings | None = None) -> RegistryClient:
        """The registry client (created on first call, with the requirements files' index
        options merged at their level of precedence)."""
        if self._registry is None:
            from pyffin.client.cached import Refresh
            from pyffin.client.registry import connect
            from pyffin.settings import Configuration

            if self.configuration is None:
                self.configuration = Configuration(no_config=self.no_config, cwd=self.cwd)
            self.index_settings = self.configuration.index_settings(self.index, requirements)
            _report_origins(self.configuration)
            refresh = Refresh(all=self.refresh, packages=self.refresh_packages) if (
                self.refresh or self.refresh_packages) else None
            self._registry = connect(self.cache, self.index_settings, offline=self.offline,
                                     refresh=refresh)
        return self._registry


def _report_origins(configuration: Configuration) -> None:
    """At ``-v``: where each index setting came from (a flag, a variable, a file)."""
    from pyffin import log

    if not log.enabled(log.DEBUG):
        return
    from pyffin.models.urls import redact

    for key, found in configuration.index_origins.items():
        values = found.value if isinstance(found.value, tuple) else (found.value,)
        shown = " ".join(redact(v) if isinstance(v, str) else str(v) for v in values)
        log.debug(f"Using {key} {shown} from {found.origin}")
