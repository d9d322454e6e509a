"""What every command gets: the :class:`Command` shape and the per-invocation
:class:`Context` (console, cache settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyffin.cli.console import Console

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from pyffin.cache import Cache
    from pyffin.errors import CacheError
    from pyffin.settings import Configuration


class Context:
    """Settings shared by every command and the resources it opened (closed by ``main``)."""

    def __init__(self, console: Console, *, cache_dir: str | None, no_cache: bool,
                 no_config: bool = False, configuration: Configuration | None = None) -> None:
        self.console = console
        self.cache_dir = cache_dir
        self.no_cache = no_cache
        #: ``--no-config``: ignore pyffin's and pip's configuration files.
        self.no_config = no_config
        #: The levels below the flags: environment, configuration files, pip's configuration.
        self.configuration = configuration
        self._cache: Cache | None = None

    def cache_location(self) -> Cache:
        """The configured cache, not yet opened (no directory created, no lock taken)."""
        if self._cache is None:
            from pyffin.cache import Cache

            self._cache = Cache.from_settings(self.cache_dir, no_cache=self.no_cache)
        return self._cache

    def cache(self) -> Cache:
        """The configured cache, created if needed, with the shared cache lock held."""
        return self.cache_location().init()

    def cache_changed(self, error: FileNotFoundError) -> CacheError | None:
        """A clear error for ``error`` when what vanished was in the cache this command uses
        (another process cleaned it); ``None`` when it was anything else."""
        if self._cache is None:
            return None
        from pyffin.cache.core import changed_error

        return changed_error(self._cache.root, error)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


if TYPE_CHECKING:  # argparse is not imported for a command line parsed before (cli.parsed)
    Configure = Callable[[argparse.ArgumentParser], None]
    Run = Callable[[argparse.Namespace, Context], int]


class Command:
    """A command's argument definitions, its body and its long description."""

    __slots__ = ("configure", "description", "run")

    def __init__(self, configure: Configure, run: Run, description: str) -> None:
        self.configure = configure
        self.run = run
        self.description = description
