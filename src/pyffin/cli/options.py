"""Option groups shared by several commands, and turning them into library objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from pyffin.api.building import BuildOptions
    from pyffin.api.session import Session
    from pyffin.cli.command import Context
    from pyffin.reporting import Reporter


def add_index_options(parser: argparse.ArgumentParser, *, torch: bool = False) -> None:
    """The index options; ``torch``: ``--torch-backend`` too (compile, install, sync)."""
    group = parser.add_argument_group("Index options")
    group.add_argument("-i", "--index-url", "--default-index", metavar="URL",
                       help="The package index (default: https://pypi.org/simple)")
    group.add_argument("--index", action="append", default=[], metavar="[NAME=]URL",
                       type=index_url,
                       help="An index searched before --extra-index-url and --index-url (uv's "
                            "spelling; the first given is searched first)")
    group.add_argument("--extra-index-url", action="append", metavar="URL",
                       help="Extra package indexes, searched before --index-url")
    group.add_argument("-f", "--find-links", action="append", metavar="PATH_OR_URL",
                       help="Directories or HTML pages of links to look for distributions in")
    group.add_argument("--no-index", action="store_true", default=None,
                       help="Ignore every index; use --find-links only")
    group.add_argument("--index-strategy",
                       choices=("first-index", "unsafe-first-match", "unsafe-best-match"),
                       help="first-index (default): use only the first index that has a "
                            "project; unsafe-first-match: every index, each index's versions "
                            "before the next one's; unsafe-best-match: every index, the best "
                            "version wherever it is")
    group.add_argument("--keyring-provider", choices=("disabled", "subprocess"),
                       help="subprocess: ask the `keyring` command for credentials the URL "
                            "and ~/.netrc do not give (default: disabled)")
    if torch:
        from pyffin.models.torch import MODES

        group.add_argument("--torch-backend", choices=MODES, metavar="BACKEND",
                           help="Take PyTorch's projects (torch, torchvision, triton...) from "
                                "PyTorch's index for BACKEND alone: cpu, cu128, rocm6.4, xpu... "
                                "(auto: the index for this machine's GPU, or cpu)")
    group = parser.add_argument_group("TLS options")
    group.add_argument("--cert", metavar="PATH",
                       help="Trust this CA bundle (file or directory) instead of the system's "
                            "trust store")
    group.add_argument("--allow-insecure-host", "--trusted-host", action="append", default=[],
                       metavar="HOST[:PORT]", type=insecure_host,
                       help="Do not verify the HTTPS certificates of this host (uv's name; "
                            "pip's --trusted-host). Plain HTTP is allowed to every host")
    group.add_argument("--native-tls", "--system-certs", action="store_true",
                       help="uv's: use the system's trust store, which pyffin always does "
                            "(unless --cert or SSL_CERT_FILE names a bundle)")


def add_no_network_options(parser: argparse.ArgumentParser, *, keyring: bool = False) -> None:
    """uv's network options, which every uv command takes, for a command that makes no
    request (freeze, show, check, uninstall): accepted, to no effect, so that a script passing
    them to every command carries over. Their values are still checked."""
    group = parser.add_argument_group("Network options (this command makes no request; "
                                      "accepted for uv's)")
    group.add_argument("--offline", action="store_true", help="Never use the network")
    negation(group, "--no-offline", dest="offline")
    group.add_argument("--cert", metavar="PATH", help="A CA bundle (no effect here)")
    group.add_argument("--allow-insecure-host", "--trusted-host", action="append", default=[],
                       metavar="HOST[:PORT]", type=insecure_host,
                       help="A host whose certificates are not verified (no effect here)")
    group.add_argument("--native-tls", "--system-certs", action="store_true",
                       help="Use the system's trust store (pyffin always does)")
    if keyring:
        group.add_argument("--keyring-provider", choices=("disabled", "subprocess"),
                           help="Where credentials come from (no effect here)")


def add_cache_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Cache options")
    group.add_argument("--offline", action="store_true",
                       help="Use only the cache; never the network")
    group.add_argument("--refresh", action="store_true",
                       help="Revalidate every cached entry with the server")
    group.add_argument("--refresh-package", action="append", default=[], metavar="NAME",
                       type=package_name, help="Revalidate the cached entries of this package")
    negation(group, "--no-offline", dest="offline")
    negation(group, "--no-refresh", dest="refresh")


# ------------------------------------------------------------------------------- negations
def negation(group: argparse._ArgumentGroup | argparse.ArgumentParser, *flags: str,
             dest: str) -> None:
    """uv's hidden opposite of an on/off option (``--no-strict`` for ``--strict``, ``--header``
    for ``--no-header``): it sets the option's ``dest`` to ``False``. The last of the two on
    the command line wins, and either wins over the option's variable and configuration."""
    import argparse

    action = group.add_argument(*flags, dest=dest, action="store_const", const=False,
                                default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    action.negation = True  # type: ignore[attr-defined]


def describe_negations(parser: argparse.ArgumentParser) -> None:
    """List the command's negations (hidden one by one, as uv hides them) in its help."""
    flags = ["/".join(action.option_strings) for action in parser._actions
             if getattr(action, "negation", False)]
    if flags:
        parser.add_argument_group(
            "Negations", "uv's opposites of the on/off options above: --no-X undoes --X, "
            "--X undoes --no-X. The last given wins, also over the option's PYFFIN_* variable "
            "and configuration: " + ", ".join(flags))


# ------------------------------------------------------------------ values of package options
def _type_error(message: str) -> Exception:
    """argparse's error for a bad value (argparse is imported only when a command line is
    parsed: see :mod:`pyffin.cli.parsed`)."""
    import argparse

    return argparse.ArgumentTypeError(message)


def package_name(value: str) -> str:
    """argparse ``type`` of an option naming one package."""
    names = _names(value, binary=False)
    if len(names) != 1:
        raise _type_error(f"{value!r} is not a package name (give the option "
                          "once for each package)")
    return names[0]


def package_names(value: str) -> list[str]:
    """argparse ``type`` of an option naming packages, comma-separated as pip writes them
    (``--no-emit-package six,idna``)."""
    return _names(value, binary=False)


def binary_names(value: str) -> list[str]:
    """argparse ``type`` of ``--only-binary``/``--no-binary``: names, ``:all:`` or ``:none:``,
    comma-separated."""
    return _names(value, binary=True)


def _names(value: str, *, binary: bool) -> list[str]:
    from pyffin.settings import parse_names

    try:
        names = parse_names(value, binary=binary)
    except ValueError as e:
        raise _type_error(str(e) if "," not in value else
                          f"invalid value {value!r}: {e}") from None
    if not names:
        raise _type_error("expected package names")
    return names


def insecure_host(value: str) -> str:
    """argparse ``type`` of ``--allow-insecure-host``: ``HOST``, ``HOST:PORT`` (or a URL)."""
    from pyffin.client.http import InsecureHost

    try:
        InsecureHost.parse(value)
    except ValueError as e:
        raise _type_error(str(e)) from None
    return value


def add_prerelease_package(group: argparse._ArgumentGroup) -> None:
    """uv's ``--prerelease-package NAME=MODE`` (compile, install)."""
    group.add_argument("--prerelease-package", action="append", default=[],
                       metavar="NAME=MODE", type=prerelease_package,
                       help="When to consider pre-releases of NAME (MODE as --prerelease "
                            "takes), whatever --prerelease says; repeatable")


def prerelease_package(value: str) -> tuple[str, str]:
    """argparse ``type`` of ``--prerelease-package``: ``PACKAGE=MODE``, as uv takes it."""
    from pyffin.resolver.options import prerelease_package as parse

    try:
        return parse(value)
    except ValueError as e:
        raise _type_error(str(e)) from None


def requirement_spec(value: str) -> str:
    """argparse ``type`` of ``-P/--upgrade-package``: a name, or a name with a version
    specifier (``'six<1.17'``, as uv and pip-tools take it)."""
    from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement

    try:
        requirement = parse_requirement(value)
    except InvalidRequirement as e:
        reason = str(e).splitlines()[0]  # the rest draws a caret under the text
        raise _type_error(f"{value!r} is not a package name or requirement: "
                          f"{reason}") from None
    if requirement.url:
        raise _type_error(f"{value!r}: a URL cannot be upgraded, only a "
                          "package name with an optional version specifier")
    return value


def index_url(value: str) -> str:
    """argparse ``type`` of uv's ``--index [NAME=]URL``: the URL (a name only matters to uv's
    ``[tool.uv.sources]``, which pyffin does not read)."""
    name, sep, url = value.partition("=")
    if sep and name and ":" not in name:
        import re

        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise _type_error(f"invalid index name {name!r} in {value!r} "
                              "(letters, digits, '-', '_' and '.' only)")
        value = url
    if not value:
        raise _type_error("expected an index URL or directory")
    return value


def session(args: argparse.Namespace, ctx: Context, *, reporter: Reporter | None = None
            ) -> Session:
    """A :class:`~pyffin.api.session.Session` from the index and cache options; ``reporter``
    hears its progress."""
    from pyffin.api.session import Session
    from pyffin.settings import IndexSettings

    check_offline_refresh(args)
    # uv's --index comes first, then --extra-index-url, then the default index.
    extra = [*args.index, *(args.extra_index_url or ())]
    flags = IndexSettings(
        index_url=args.index_url,
        extra_index_urls=tuple(extra) if extra else None,
        find_links=tuple(args.find_links) if args.find_links else None,
        no_index=args.no_index,
        index_strategy=args.index_strategy,
        cert=args.cert,
        allow_insecure_host=tuple(args.allow_insecure_host) or None,
        keyring_provider=args.keyring_provider,
        torch_backend=getattr(args, "torch_backend", None),
    )
    made = Session(ctx.cache(), index=flags, no_config=ctx.no_config, offline=args.offline,
                   refresh=args.refresh, refresh_packages=args.refresh_package,
                   configuration=ctx.configuration, reporter=reporter)
    from pyffin.cli import main

    made.page_workers_allowed = main.OWNS_PROCESS
    return made


def check_offline_refresh(args: argparse.Namespace) -> None:
    """Refuse ``--refresh`` (or ``--refresh-package``) in offline mode, as uv does: asking the
    server about what the cache holds is what offline mode forbids. ``--upgrade`` and
    ``--reinstall``, which imply a refresh, still work from the cache."""
    from pyffin.errors import UsageError

    if not getattr(args, "offline", False):
        return
    refresh = "--refresh" if getattr(args, "refresh", False) else \
        "--refresh-package" if getattr(args, "refresh_package", None) else None
    if refresh is None:
        return
    origin = getattr(args, "setting_origins", {}).get("offline")
    offline = "`--offline`" if origin is None else \
        f"`{origin}` (environment variable)" if origin.startswith("PYFFIN_") else \
        f"`offline` (configuration file {origin})"
    raise UsageError(f"the argument {offline} cannot be used with `{refresh}`")


def add_fork_strategy(group: argparse._ArgumentGroup | argparse.ArgumentParser) -> None:
    """uv's ``--fork-strategy`` (pip compile and pip install take it; only a universal
    resolution uses it)."""
    group.add_argument("--fork-strategy", choices=("fewest", "requires-python"),
                       help="With --universal, how versions are chosen across Python versions "
                            "and platforms: requires-python (the default) chooses the newest "
                            "version for each Python version, fewest as few versions of each "
                            "package as may be, older ones that serve more Pythons")


def add_python_options(group: argparse._ArgumentGroup) -> None:
    """uv's Python discovery options. pyffin looks at the interpreters of environments, PATH
    and pyenv only — uv's "system" ones — and never downloads one."""
    import argparse

    group.add_argument("--python-preference",
                       choices=("only-managed", "managed", "system", "only-system"),
                       help="uv's: which interpreters discovery prefers. pyffin has no managed "
                            "(uv-installed) Pythons of its own: only-system and system are what "
                            "it does, and managed falls back to the same as uv's does without "
                            "one; only-managed is an error")
    group.add_argument("--managed-python", dest="python_preference", action="store_const",
                       const="only-managed",
                       help="uv's --python-preference only-managed: an error (not supported)")
    group.add_argument("--no-managed-python", dest="python_preference", action="store_const",
                       const="only-system",
                       help="uv's --python-preference only-system: what pyffin does")
    group.add_argument("--no-python-downloads", action="store_true",
                       help="Never download a Python: pyffin never does (accepted for uv's)")
    # uv's hidden opposite: downloads allowed, which pyffin has none of to allow.
    group.add_argument("--allow-python-downloads", dest="no_python_downloads",
                       action="store_const", const=False, default=argparse.SUPPRESS,
                       help=argparse.SUPPRESS)


def check_python_preference(args: argparse.Namespace) -> None:
    """Refuse the preference pyffin cannot follow (``only-managed``), unless ``--python``
    names the interpreter by its path: uv then uses that interpreter, whatever the
    preference (``uv pip compile --managed-python --python /usr/bin/python3``)."""
    if getattr(args, "python_preference", None) != "only-managed":
        return
    from pyffin.errors import NotSupportedError, UsageError

    python = getattr(args, "python", None)
    if isinstance(python, str):
        from pyffin.interpreter.discovery import PythonRequest

        try:
            if PythonRequest.parse(python).path is not None:
                return
        except UsageError:  # (an empty request: discovery says so)
            return

    origin = getattr(args, "setting_origins", {}).get("python_preference")
    given = f" (from {origin})" if origin else ""
    raise NotSupportedError(
        f"only managed Pythons (--managed-python, --python-preference only-managed){given}: "
        "not supported, pyffin uses the interpreters of environments, PATH and pyenv, and "
        "never installs a managed Python",
        hint="leave the option out, or pass --python with the interpreter's path")


def add_sources_options(group: argparse._ArgumentGroup) -> None:
    """uv's ``--no-sources``: pyffin never reads ``[tool.uv.sources]``, so always does that."""
    group.add_argument("--no-sources", action="store_true",
                       help="Ignore [tool.uv.sources] of projects: pyffin never reads it, so "
                            "this is always so (accepted for uv's)")
    group.add_argument("--no-sources-package", action="append", default=[], metavar="NAME",
                       type=package_name,
                       help="Ignore [tool.uv.sources] for NAME: always so, as --no-sources")


#: uv's own option that uv's pip commands refuse (its projects' commands take it), in uv's
#: words.
_UPGRADE_GROUP = (("--upgrade-group",), "GROUP", True,
                  "`--upgrade-group` is not supported in `pyffin pip` commands")


#: Options of pip-tools, pip and virtualenv that uv takes for compatibility, by command:
#: ``(flags, metavar or None for a switch, whether it is an error, message)``, uv's words.
COMPAT: dict[tuple[str, ...], tuple[tuple[tuple[str, ...], str | None, bool, str], ...]] = {
    ("pip", "compile"): (
        _UPGRADE_GROUP,
        (("--allow-unsafe",), None, False, "pip-compile's `--allow-unsafe` has no effect "
         "(pyffin can safely pin `pip` and other packages)"),
        (("--no-allow-unsafe",), None, False, "pip-compile's `--no-allow-unsafe` has no "
         "effect (pyffin can safely pin `pip` and other packages)"),
        (("--reuse-hashes",), None, True, "pip-compile's `--reuse-hashes` is unsupported "
         "(pyffin doesn't reuse hashes)"),
        (("--no-reuse-hashes",), None, False, "pip-compile's `--no-reuse-hashes` has no "
         "effect (pyffin doesn't reuse hashes)"),
        (("--resolver",), "{backtracking,legacy}", False, ""),  # see check_compat
        (("--max-rounds",), "N", True, "pip-compile's `--max-rounds` is unsupported (pyffin "
         "always resolves until convergence)"),
        (("--client-cert",), "PATH", True, "pip-compile's `--client-cert` is unsupported "
         "(pyffin doesn't support dedicated client certificates)"),
        (("--emit-trusted-host",), None, True, "pip-compile's `--emit-trusted-host` is "
         "unsupported"),
        (("--no-emit-trusted-host",), None, False, "pip-compile's `--no-emit-trusted-host` "
         "has no effect (pyffin never emits trusted hosts)"),
        (("--config",), "FILE", True, "pip-compile's `--config` is unsupported (pyffin reads "
         "pyffin.toml: try `--config-file`)"),
        (("--emit-options",), None, True, "pip-compile's `--emit-options` is unsupported (try "
         "`--emit-build-options` instead)"),
        (("--no-emit-options",), None, False, "pip-compile's `--no-emit-options` has no "
         "effect (pyffin never emits options)"),
        (("--pip-args",), "ARGS", True, "pip-compile's `--pip-args` is unsupported (try "
         "passing arguments to pyffin directly)"),
    ),
    ("pip", "sync"): (
        (("-a", "--ask"), None, True, "pip-sync's `--ask` is unsupported (pyffin never asks "
         "for confirmation)"),
        (("--python-executable",), "PYTHON", True, "pip-sync's `--python-executable` is "
         "unsupported (to install into a separate Python environment, try `--python` "
         "instead)"),
        (("--user",), None, True, "pip-sync's `--user` is unsupported (use a virtual "
         "environment instead)"),
        (("--client-cert",), "PATH", True, "pip-sync's `--client-cert` is unsupported "
         "(pyffin doesn't support dedicated client certificates)"),
        (("--config",), "FILE", True, "pip-sync's `--config` is unsupported (pyffin reads "
         "pyffin.toml: try `--config-file`)"),
        (("--pip-args",), "ARGS", True, "pip-sync's `--pip-args` is unsupported (try passing "
         "arguments to pyffin directly)"),
    ),
    ("pip", "install"): (
        (("--user",), None, True, "pip's `--user` is unsupported (use a virtual environment "
         "instead)"),
        _UPGRADE_GROUP,
    ),
    ("venv",): tuple(
        ((f"--no-{name}",), None, False, f"virtualenv's `--no-{name}` has no effect (pyffin "
         f"omits {what} by default)")
        for name, what in (("seed", "seed packages"), ("pip", "`pip`"),
                           ("setuptools", "`setuptools`"), ("wheel", "`wheel`"))),
}


def add_compat_options(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
    """The hidden :data:`COMPAT` options of the command ``words``."""
    import argparse

    for flags, metavar, _error, _message in COMPAT[words]:
        if metavar is None:
            parser.add_argument(*flags, dest=_compat_dest(flags), action="store_true",
                                help=argparse.SUPPRESS)
        else:
            parser.add_argument(*flags, dest=_compat_dest(flags), metavar=metavar,
                                help=argparse.SUPPRESS,
                                choices=("backtracking", "legacy")
                                if flags == ("--resolver",) else None)


def check_compat(args: argparse.Namespace, words: tuple[str, ...]) -> None:
    """Warn about the :data:`COMPAT` options given that have no effect; refuse the others."""
    from pyffin import log
    from pyffin.errors import UsageError

    for flags, _metavar, error, message in COMPAT[words]:
        value = getattr(args, _compat_dest(flags))
        if not value:
            continue
        if flags == ("--resolver",):
            error = value == "legacy"
            message = (f"pip-compile's `--resolver={value}` "
                       f"{'is unsupported' if error else 'has no effect'} "
                       "(pyffin always backtracks)")
        if error:
            raise UsageError(message)
        log.warn(message)


def _compat_dest(flags: tuple[str, ...]) -> str:
    return "compat_" + flags[-1].lstrip("-").replace("-", "_")


def add_build_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Build options")
    group.add_argument("-C", "--config-setting", "--config-settings", action="append",
                       default=[],
                       metavar="KEY=VALUE",
                       help="Settings for the build backend (PEP 517 config_settings)")
    group.add_argument("--no-build-isolation", action="store_true",
                       help="Build in the target environment itself, with the build "
                            "requirements already installed there")
    negation(group, "--build-isolation", dest="no_build_isolation")
    group.add_argument("--config-settings-package", "--config-setting-package",
                       action="append", default=[], metavar="PACKAGE:KEY=VALUE",
                       help="Settings for the build backend of PACKAGE only (added to -C's)")
    group.add_argument("--no-build-isolation-package", action="extend", default=[],
                       metavar="NAME", type=package_names,
                       help="Build NAME in the target environment itself, as "
                            "--no-build-isolation does for every package")
    group.add_argument("-b", "--build-constraints", "--build-constraint", action="append",
                       default=[], metavar="FILE",
                       help="Constrain the build dependencies of source distributions with "
                            "the requirements in FILE; their --hash values are checked")
    group.add_argument("--require-build-hashes", action="store_true",
                       help="Require a --hash in the build constraints for every build "
                            "dependency")
    negation(group, "--no-require-build-hashes", dest="require_build_hashes")


def build_options(args: argparse.Namespace) -> BuildOptions | None:
    """``None`` for the defaults, so a command that builds nothing imports nothing for it."""
    if not (args.config_setting or args.no_build_isolation or args.config_settings_package
            or args.no_build_isolation_package or args.build_constraints
            or args.require_build_hashes):
        return None
    from pyffin.api.building import BuildOptions, parse_package_config_settings
    from pyffin.build import parse_config_settings
    from pyffin.models.names import checked_name

    if args.build_constraints:  # a missing or broken file is an error even if nothing builds
        from pyffin.requirements import read_requirements

        read_requirements(constraints=args.build_constraints)
    return BuildOptions(
        isolated=not args.no_build_isolation,
        config_settings=parse_config_settings(args.config_setting),
        no_isolation_packages=tuple(dict.fromkeys(
            checked_name(n) for n in args.no_build_isolation_package)),
        config_settings_packages=parse_package_config_settings(args.config_settings_package)
        or None,
        build_constraints=tuple(args.build_constraints),
        require_build_hashes=args.require_build_hashes)


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


def add_resolution_options(parser: argparse.ArgumentParser, *,
                           prerelease_package: bool = False) -> None:
    """The resolution options pip install, sync, download and wheel share;
    ``prerelease_package``: uv's ``--prerelease-package`` too (install's, not sync's)."""
    group = parser.add_argument_group("Resolution options")
    group.add_argument("--resolution", choices=("highest", "lowest", "lowest-direct"),
                       default="highest", help="Which versions to prefer (default: highest)")
    group.add_argument("--prerelease", choices=(
        "disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"),
        help="When to consider pre-releases (default: if-necessary-or-explicit)")
    if prerelease_package:
        add_prerelease_package(group)
    group.add_argument("--pre", action="store_true", help="Allow pre-releases")
    group.add_argument("--exclude-newer", metavar="DATE", help=EXCLUDE_NEWER_HELP)
    group.add_argument("--exclude-newer-package", action="append", default=[],
                       metavar="NAME=DATE", help=EXCLUDE_NEWER_PACKAGE_HELP)
    group.add_argument("--only-binary", action="extend", default=[], metavar="NAME",
                       type=binary_names,
                       help="Use only wheels for NAME (comma-separated; :all: for every "
                            "package)")
    group.add_argument("--no-binary", action="extend", default=[], metavar="NAME",
                       type=binary_names,
                       help="Use only source distributions for NAME (comma-separated; :all: "
                            "for every package)")
    group.add_argument("--no-build", action="store_true",
                       help="Never build source distributions")
    negation(group, "--build", dest="no_build")
