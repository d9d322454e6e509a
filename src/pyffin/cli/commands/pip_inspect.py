"""``pyffin pip freeze|list|show|check``: read an environment."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pyffin.cli.command import Command, Context

if TYPE_CHECKING:
    from pyffin.installer.installed import InstalledDistribution
    from pyffin.installer.outdated import Latest
    from pyffin.interpreter import Interpreter


def _environment(parser: argparse.ArgumentParser, *, requests: bool = False) -> None:
    """The environment to read; ``requests``: the command may make requests (``--outdated``),
    else uv's network options are accepted to no effect."""
    from pyffin.cli.options import add_no_network_options, add_python_options

    group = parser.add_argument_group("Python options")
    group.add_argument("-p", "--python", metavar="PYTHON",
                       help="The environment's interpreter (default: the active or nearest "
                            "virtual environment, else the system interpreter)")
    group.add_argument("--system", action="store_true", help="Read the system interpreter")
    add_python_options(group)
    if not requests:
        add_no_network_options(parser)


def _directory(parser: argparse.ArgumentParser, what: str) -> None:
    from pyffin.cli.commands.pip_install import add_directory_options

    add_directory_options(parser.add_argument_group("Target options"),
                          f"{what} the --target directory DIR",
                          f"{what} the --prefix directory DIR")


def _env(args: argparse.Namespace, ctx: Context):  # type: ignore[no-untyped-def]
    from pyffin.api.inspect import environment
    from pyffin.api.session import Session
    from pyffin.cli.options import check_python_preference

    check_python_preference(args)

    return environment(Session(ctx.cache()), python=args.python, system=args.system,
                       target=getattr(args, "target", None), prefix=getattr(args, "prefix", None))


# ------------------------------------------------------------------------------- freeze
def _configure_freeze(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exclude-editable", action="store_true",
                        help="Leave out editable installs")
    _exclude(parser)
    _strict(parser)
    parser.add_argument("--path", action="append", default=[], metavar="DIR",
                        help="List only the packages installed in DIR (a site-packages or "
                             "--target directory; repeatable; a missing one lists nothing)")
    # pip's: pip leaves out pip (and setuptools, wheel, distribute before Python 3.12) unless
    # given --all; pyffin lists everything, as uv does.
    parser.add_argument("--all", action="store_true",
                        help="Accepted for pip: nothing is ever left out")
    _environment(parser)
    _directory(parser, "List packages in")


def _run_freeze(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.api.inspect import freeze_line, installed

    env = _env(args, ctx)
    if args.path:
        from pathlib import Path

        from pyffin.installer.installed import scan

        dists = sorted(scan([Path(p) for p in args.path if Path(p).is_dir()]),
                       key=lambda d: d.normalized_name)
    else:
        dists = installed(env)
    excluded = _excluded(args)
    shown: list[str] = []
    for dist in dists:
        if dist.normalized_name in excluded:
            continue
        line = freeze_line(dist)
        if args.exclude_editable and line.startswith("-e "):
            continue
        if not shown or shown[-1] != line:
            shown.append(line)
            ctx.console.out(line)
    _warn_if_inconsistent(args, ctx, env)
    return 0


def _exclude(parser: argparse.ArgumentParser) -> None:
    from pyffin.cli.options import package_names

    parser.add_argument("--exclude", action="extend", default=[], metavar="NAME",
                        type=package_names,
                        help="Leave NAME out of the output (comma-separated; repeatable)")


def _excluded(args: argparse.Namespace) -> set[str]:
    from pyffin.models.names import checked_name

    return {checked_name(name) for name in args.exclude}


def _strict(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true",
                        help="Also warn about installed packages whose dependencies are "
                             "missing or incompatible (as pip check)")


def _warn_if_inconsistent(args: argparse.Namespace, ctx: Context, env: Interpreter) -> None:
    """``--strict``: a warning per problem ``pip check`` would report (uv's ``--strict``:
    warnings, the exit status stays 0)."""
    if not args.strict:
        return
    from pyffin.api.inspect import check

    for problem in check(env)[1]:
        ctx.console.warn(str(problem))


def _outdated_options(parser: argparse.ArgumentParser, what: str) -> None:
    from pyffin.cli.options import (
        EXCLUDE_NEWER_HELP,
        EXCLUDE_NEWER_PACKAGE_HELP,
        add_cache_options,
        add_index_options,
    )

    parser.add_argument("--outdated", action="store_true", help=what)
    parser.add_argument("--pre", action="store_true",
                        help="With --outdated: pre-releases count as newer versions")
    resolution = parser.add_argument_group("Resolution options (for --outdated)")
    resolution.add_argument("--exclude-newer", metavar="DATE", help=EXCLUDE_NEWER_HELP)
    resolution.add_argument("--exclude-newer-package", action="append", default=[],
                            metavar="NAME=DATE", help=EXCLUDE_NEWER_PACKAGE_HELP)
    add_index_options(parser)
    add_cache_options(parser)


def _latest(args: argparse.Namespace, ctx: Context, env: Interpreter,
            names: list[str]) -> dict[str, Latest]:
    """The newest version the indexes offer for each of ``names`` (``--outdated``); pages
    are revalidated, as uv does."""
    if not names:
        return {}
    from pyffin.api.exclude_newer import parse_exclude_newer
    from pyffin.cli.options import session
    from pyffin.installer.outdated import latest_versions

    cutoffs = parse_exclude_newer(args.exclude_newer, args.exclude_newer_package)
    packages = cutoffs.packages or {}

    def cutoff(name: str) -> float | None:
        return packages.get(name, cutoffs.default)

    current = session(args, ctx)
    current.refresh = True
    return latest_versions(current.registry, names, tags=env.tags,
                           python_version=env.version_str, prereleases=args.pre,
                           cutoff=cutoff)


# --------------------------------------------------------------------------------- list
def _configure_list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("columns", "freeze", "json"), default="columns",
                        help="Output format (default: columns)")
    parser.add_argument("-e", "--editable", action="store_true",
                        help="List only editable installs")
    parser.add_argument("--exclude-editable", action="store_true",
                        help="Leave out editable installs")
    _exclude(parser)
    _strict(parser)
    _outdated_options(parser, "List only the packages an index has a newer version of, with "
                              "that version and the kind of its file")
    _environment(parser, requests=True)
    _directory(parser, "List packages in")


def _run_list(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.api.inspect import editable_location, installed

    if args.outdated and args.format == "freeze":
        from pyffin.errors import UsageError

        raise UsageError("`--outdated` cannot be used with `--format freeze`")
    env = _env(args, ctx)
    excluded = _excluded(args)
    rows = []
    for dist in installed(env):
        location = editable_location(dist)
        editable = location is not None
        if (args.editable and not editable) or (args.exclude_editable and editable) \
                or dist.normalized_name in excluded:
            continue
        rows.append((dist.normalized_name, _shown_version(dist.version), location))
    latest: dict[str, Latest] = {}
    if args.outdated:
        latest = _latest(args, ctx, env, [name for name, _, _ in rows])
        rows = [row for row in rows if row[0] in latest and _older(row[1], latest[row[0]])]
    out = ctx.console.out
    if args.format == "json":
        import json

        entries = []
        for name, version, location in rows:
            entry: dict[str, str] = {"name": name, "version": version}
            if name in latest:
                entry["latest_version"] = str(latest[name].version)
                entry["latest_filetype"] = latest[name].filetype
            if location:
                entry["editable_project_location"] = location
            entries.append(entry)
        out(json.dumps(entries, separators=(",", ":")))  # compact, as uv writes it
    elif args.format == "freeze":
        for name, version, _ in rows:
            out(f"{name}=={version}")
    elif rows:
        columns = [("Package", [name for name, _, _ in rows]),
                   ("Version", [version for _, version, _ in rows])]
        if args.outdated:
            columns.append(("Latest", [str(latest[name].version) for name, _, _ in rows]))
            columns.append(("Type", [latest[name].filetype for name, _, _ in rows]))
        if any(loc for _, _, loc in rows):
            columns.append(("Editable project location", [loc or "" for _, _, loc in rows]))
        widths = [max(len(header), *(len(cell) for cell in cells)) for header, cells in columns]
        out(" ".join(header.ljust(w) for (header, _), w in zip(columns, widths,
                                                               strict=True)).rstrip())
        out(" ".join("-" * w for w in widths))
        for i in range(len(rows)):
            out(" ".join(cells[i].ljust(w) for (_, cells), w in zip(columns, widths,
                                                                    strict=True)).rstrip())
    _warn_if_inconsistent(args, ctx, env)
    return 0


def _shown_version(text: str) -> str:
    """A version as uv shows it: normalized when it parses (``1.0-1`` is ``1.0.post1``)."""
    from pyffin.models.versions import InvalidVersion, Version

    try:
        return str(Version(text))
    except InvalidVersion:
        return text


def _older(installed: str, latest: Latest) -> bool:
    from pyffin.models.versions import InvalidVersion, Version

    try:
        return latest.version > Version(installed)
    except InvalidVersion:
        return False


# --------------------------------------------------------------------------------- tree
def _configure_tree(parser: argparse.ArgumentParser) -> None:
    from pyffin.cli.options import package_name

    parser.add_argument("--show-version-specifiers", action="store_true",
                        help="Show the version constraints imposed on each package")
    parser.add_argument("-d", "--depth", type=_depth, default=255, metavar="DEPTH",
                        help="How deep to draw the tree (default: 255)")
    parser.add_argument("--prune", action="append", default=[], metavar="NAME",
                        type=package_name,
                        help="Leave NAME out of the tree (what it needs is still shown)")
    parser.add_argument("--package", action="append", default=[], metavar="NAME",
                        type=package_name,
                        help="Draw only NAME's tree (repeatable)")
    parser.add_argument("--no-dedupe", action="store_true",
                        help="Repeat the dependencies of a package each time it appears, not "
                             "only the first (cycles excepted)")
    parser.add_argument("--invert", "--reverse", action="store_true",
                        help="Show what depends on each package instead")
    # uv's: shows lock file sizes in `uv tree`, nothing in `uv pip tree`.
    parser.add_argument("--show-sizes", action="store_true", help=argparse.SUPPRESS)
    _strict(parser)
    _outdated_options(parser, "Show the newest version an index has of each package older "
                              "than that")
    _environment(parser, requests=True)


def _depth(value: str) -> int:
    try:
        depth = int(value)
    except ValueError:
        depth = -1
    if not 0 <= depth <= 255:
        raise argparse.ArgumentTypeError(f"invalid depth {value!r}: expected a whole number "
                                         "from 0 to 255")
    return depth


def _run_tree(args: argparse.Namespace, ctx: Context) -> int:
    """``uv pip tree``'s output, byte for byte."""
    from pyffin.api.inspect import installed
    from pyffin.installer.tree import TreeOptions, footer, render_tree

    env = _env(args, ctx)
    dists = installed(env)
    latest = {}
    if args.outdated:
        latest = {name: found.version for name, found in _latest(
            args, ctx, env, [d.normalized_name for d in dists]).items()}
    options = TreeOptions(depth=args.depth, prune=tuple(args.prune),
                          packages=tuple(args.package), no_dedupe=args.no_dedupe,
                          invert=args.invert,
                          show_version_specifiers=args.show_version_specifiers)
    console = ctx.console
    lines = render_tree(dists, env.markers, options, latest,
                        highlight=lambda text: console.style(text, "hint",
                                                             stream=console.stdout))
    for line in lines:
        console.out(line)
    note = footer(lines, options)
    if note is not None:
        console.out(console.style(note, "italic", stream=console.stdout))
    _warn_if_inconsistent(args, ctx, env)
    return 0


# --------------------------------------------------------------------------------- show
def _configure_show(parser: argparse.ArgumentParser) -> None:
    from pyffin.cli.options import package_name

    parser.add_argument("packages", nargs="*", metavar="PACKAGE", type=package_name,
                        help="Packages to show")
    parser.add_argument("-f", "--files", action="store_true",
                        help="List the files of each package")
    _strict(parser)
    _environment(parser)
    _directory(parser, "Show a package in")


def _run_show(args: argparse.Namespace, ctx: Context) -> int:
    """uv's ``pip show``: the packages sorted by name, what each requires in this environment
    and what requires it (requirements only under an extra do not count, as with uv)."""
    if not args.packages:
        ctx.console.warn("Please provide a package name or names.")
        return 1
    from pyffin.api.inspect import dependencies, editable_location, installed
    from pyffin.models.names import normalize_name
    from pyffin.resolver.dependencies import DependencyParser, MarkerEvaluator

    env = _env(args, ctx)
    dists = installed(env)
    by_name: dict[str, list[InstalledDistribution]] = {}
    for dist in dists:
        by_name.setdefault(dist.normalized_name, []).append(dist)
    wanted = sorted({normalize_name(name) for name in args.packages})
    missing = [name for name in wanted if name not in by_name]
    if missing:
        ctx.console.warn(f"Package(s) not found for: {', '.join(missing)}")
    shown = [dist for name in wanted for dist in by_name.get(name, ())]
    if not shown:
        return 1
    markers = MarkerEvaluator(env.markers)
    parser = DependencyParser()
    requires: dict[str, list[str]] = {}
    for dist in shown:
        names = dependencies(dist, markers, parser)
        if names is not None:
            requires[dist.normalized_name] = names
    if requires:  # Required-by needs every other distribution's requirements
        for dist in dists:
            if dist.normalized_name not in requires:
                names = dependencies(dist, markers, parser)
                if names:
                    requires[dist.normalized_name] = names
    out = ctx.console.out
    for i, dist in enumerate(shown):
        if i:
            out("---")
        name = dist.normalized_name
        out(f"Name: {name}")
        out(f"Version: {dist.version}")
        out(f"Location: {dist.location}")
        location = editable_location(dist)
        if location is not None and "://" not in location:
            out(f"Editable project location: {location}")
        names = requires.get(name)
        if names is not None:
            out(_field("Requires", names))
            out(_field("Required-by", sorted(other for other, needs in requires.items()
                                             if other != name and name in needs)))
        if args.files:
            out("Files:")
            for entry in dist.record() or ():
                out(f"  {entry.path}")
    _warn_if_inconsistent(args, ctx, env)  # after what is shown, as uv's
    return 0


def _field(label: str, names: list[str]) -> str:
    return f"{label}: {', '.join(names)}" if names else f"{label}:"


# -------------------------------------------------------------------------------- check
def _configure_check(parser: argparse.ArgumentParser) -> None:
    _environment(parser)
    target = parser.add_argument_group("Target options")
    target.add_argument("--python-version", metavar="VERSION",
                        help="Check the packages against this Python version (3.12 or 3.12.1) "
                             "instead of the environment's")
    target.add_argument("--python-platform", metavar="PLATFORM",
                        help="Check the packages against this platform (x86_64-manylinux_2_28, "
                             "aarch64-apple-darwin, windows, linux, macos...) instead of the "
                             "environment's")


def _run_check(args: argparse.Namespace, ctx: Context) -> int:
    import time

    from pyffin.api.inspect import check
    from pyffin.cli.console import format_duration

    started = time.perf_counter()
    env = _env(args, ctx)
    markers = tags = None
    if args.python_version is not None or args.python_platform is not None:
        from pyffin.api.target import make_target

        target = make_target(env, python_version=args.python_version,
                             python_platform=args.python_platform)
        markers, tags = target.markers, target.tags
    checked, problems = check(env, markers, tags)
    ctx.console.note(f"Checked {checked} package{'s' if checked != 1 else ''} in "
                     f"{format_duration(time.perf_counter() - started)}")
    # All on standard error, as uv writes it (and silent with -q): the exit status is the
    # answer.
    if not problems:
        ctx.console.note("All installed packages are compatible")
        return 0
    ctx.console.note(f"Found {len(problems)} incompatibilit{'ies' if len(problems) != 1 else 'y'}")
    for problem in problems:
        ctx.console.note(str(problem))
    return 1


FREEZE = Command(_configure_freeze, _run_freeze,
                 "List installed packages in requirements format.")
LIST = Command(_configure_list, _run_list, "List installed packages.")
TREE = Command(_configure_tree, _run_tree,
               "Show the installed packages as a dependency tree, as uv pip tree does.")
SHOW = Command(_configure_show, _run_show, "Show information about installed packages.")
CHECK = Command(_configure_check, _run_check,
                "Check that installed packages have compatible dependencies.")
