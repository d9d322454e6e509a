"""Option groups shared by several commands, and turning them into library objects."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyffin.api.building import BuildOptions
    from pyffin.api.session import Session
    from pyffin.cli.command import Context


def add_index_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Index options")
    group.add_argument("-i", "--index-url", metavar="URL",
                       help="The package index (default: https://pypi.org/simple) "
                            "[env: PYFFIN_INDEX_URL]")
    group.add_argument("--extra-index-url", action="append", metavar="URL",
                       help="Extra package indexes, searched before --index-url "
                            "[env: PYFFIN_EXTRA_INDEX_URL]")
    group.add_argument("-f", "--find-links", action="append", metavar="PATH_OR_URL",
                       help="Directories or HTML pages of links to look for distributions in "
                            "[env: PYFFIN_FIND_LINKS]")
    group.add_argument("--no-index", action="store_true", default=None,
                       help="Ignore every index; use --find-links only [env: PYFFIN_NO_INDEX]")
    group.add_argument("--index-strategy", choices=("first-index", "unsafe-best-match"),
                       help="first-index (default): use only the first index that has a "
                            "project; unsafe-best-match: consider every index")


def add_cache_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Cache options")
    group.add_argument("--offline", action="store_true",
                       default=_env_flag("PYFFIN_OFFLINE"),
                       help="Use only the cache; never the network [env: PYFFIN_OFFLINE]")
    group.add_argument("--refresh", action="store_true",
                       help="Revalidate every cached entry with the server")
    group.add_argument("--refresh-package", action="append", default=[], metavar="NAME",
                       help="Revalidate the cached entries of this package")


def _env_flag(name: str) -> bool:
    import os

    return os.environ.get(name, "").lower() in ("1", "true", "yes", "on")


def session(args: argparse.Namespace, ctx: Context) -> Session:
    """A :class:`~pyffin.api.session.Session` from the index and cache options."""
    from pyffin.api.session import Session
    from pyffin.settings import IndexSettings

    flags = IndexSettings(
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url) if args.extra_index_url else None,
        find_links=tuple(args.find_links) if args.find_links else None,
        no_index=args.no_index,
        index_strategy=args.index_strategy,
    )
    return Session(ctx.cache(), index=flags, no_config=ctx.no_config, offline=args.offline,
                   refresh=args.refresh, refresh_packages=args.refresh_package)


def add_build_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Build options")
    group.add_argument("-C", "--config-setting", action="append", default=[],
                       metavar="KEY=VALUE",
                       help="Settings for the build backend (PEP 517 config_settings)")
    group.add_argument("--no-build-isolation", action="store_true",
                       help="Build in the target environment itself, with the build "
                            "requirements already installed there")


def build_options(args: argparse.Namespace) -> BuildOptions | None:
    """``None`` for the defaults, so a command that builds nothing imports nothing for it."""
    if not args.config_setting and not args.no_build_isolation:
        return None
    from pyffin.api.building import BuildOptions
    from pyffin.build import parse_config_settings

    return BuildOptions(isolated=not args.no_build_isolation,
                        config_settings=parse_config_settings(args.config_setting))


def add_group_options(parser: argparse.ArgumentParser) -> None:
    """PEP 735 dependency groups (pip 25.1's ``--group`` and uv's companions)."""
    group = parser.add_argument_group("Dependency group options")
    group.add_argument("--group", action="append", default=[], metavar="[PATH:]NAME",
                       help="Include a dependency group of ./pyproject.toml (or of the one "
                            "pyproject.toml given as a source), or of PATH:NAME")
    group.add_argument("--only-group", action="append", default=[], metavar="[PATH:]NAME",
                       help="Include a dependency group, leaving out the project's own "
                            "dependencies")
    group.add_argument("--all-groups", action="store_true",
                       help="Include every dependency group")
    group.add_argument("--no-group", action="append", default=[], metavar="NAME",
                       help="Leave out this dependency group (wins over --group and "
                            "--all-groups)")


#: Help of ``--exclude-newer`` and ``--exclude-newer-package``.
EXCLUDE_NEWER_HELP = ("Ignore files uploaded after DATE: a date (2024-03-01, that day "
                      "included), an RFC 3339 timestamp, a duration before now (7 days, "
                      "1 week, P7D) or false")
EXCLUDE_NEWER_PACKAGE_HELP = ("Ignore files of NAME uploaded after DATE (any --exclude-newer "
                              "value); wins over --exclude-newer for NAME")
