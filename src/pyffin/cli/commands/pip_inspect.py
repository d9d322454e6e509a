"""``pyffin pip freeze|list|show|check``: read an environment."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pyffin.cli.command import Command, Context

if TYPE_CHECKING:
    from pyffin.installer.installed import InstalledDistribution


def _environment(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--python", metavar="PYTHON",
                        help="The environment's interpreter (default: the active or nearest "
                             "virtual environment, else the system interpreter)")
    parser.add_argument("--system", action="store_true", help="Read the system interpreter")


def _env(args: argparse.Namespace, ctx: Context):  # type: ignore[no-untyped-def]
    from pyffin.api.inspect import environment
    from pyffin.api.session import Session

    return environment(Session(ctx.cache()), python=args.python, system=args.system)


# ------------------------------------------------------------------------------- freeze
def _configure_freeze(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exclude-editable", action="store_true",
                        help="Leave out editable installs")
    _environment(parser)


def _run_freeze(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.api.inspect import freeze_line, installed

    for dist in installed(_env(args, ctx)):
        line = freeze_line(dist)
        if args.exclude_editable and line.startswith("-e "):
            continue
        ctx.console.out(line)
    return 0


# --------------------------------------------------------------------------------- list
def _configure_list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("columns", "freeze", "json"), default="columns",
                        help="Output format (default: columns)")
    parser.add_argument("-e", "--editable", action="store_true",
                        help="List only editable installs")
    parser.add_argument("--exclude-editable", action="store_true",
                        help="Leave out editable installs")
    _environment(parser)


def _run_list(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.api.inspect import editable_location, installed

    rows = []
    for dist in installed(_env(args, ctx)):
        location = editable_location(dist)
        editable = location is not None
        if (args.editable and not editable) or (args.exclude_editable and editable):
            continue
        rows.append((dist.normalized_name, dist.version, location))
    out = ctx.console.out
    if args.format == "json":
        import json

        out(json.dumps([{"name": n, "version": v, **({"editable_project_location": loc}
                                                       if loc else {})} for n, v, loc in rows],
                       separators=(",", ":")))  # compact, as uv writes it
    elif args.format == "freeze":
        for name, version, _ in rows:
            out(f"{name}=={version}")
    elif rows:
        headers = ("Package", "Version", "Editable project location")
        with_location = any(loc for _, _, loc in rows)
        table = [(n, v, loc or "") for n, v, loc in rows]
        columns = 3 if with_location else 2
        widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
        widths = widths[:columns]
        out(" ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip())
        out(" ".join("-" * w for w in widths))
        for row in table:
            out(" ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    return 0


# --------------------------------------------------------------------------------- show
def _configure_show(parser: argparse.ArgumentParser) -> None:
    from pyffin.cli.options import package_name

    parser.add_argument("packages", nargs="*", metavar="PACKAGE", type=package_name,
                        help="Packages to show")
    parser.add_argument("-f", "--files", action="store_true",
                        help="List the files of each package")
    _environment(parser)


def _run_show(args: argparse.Namespace, ctx: Context) -> int:
    """uv's ``pip show``: the packages sorted by name, what each requires in this environment
    and what requires it (requirements only under an extra do not count, as with uv)."""
    if not args.packages:
        ctx.console.warn("Please provide a package name or names.")
        return 1
    from pyffin.api.inspect import dependencies, editable_location, installed
    from pyffin.models.names import normalize_name
    from pyffin.resolver.dependencies import MarkerEvaluator

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
    requires: dict[str, list[str]] = {}
    for dist in shown:
        names = dependencies(dist, markers)
        if names is not None:
            requires[dist.normalized_name] = names
    if requires:  # Required-by needs every other distribution's requirements
        for dist in dists:
            if dist.normalized_name not in requires:
                names = dependencies(dist, markers)
                if names:
                    requires[dist.normalized_name] = names
    out = ctx.console.out
    for i, dist in enumerate(shown):
        if i:
            out("---")
        name = dist.normalized_name
        out(f"Name: {name}")
        out(f"Version: {dist.version}")
        out(f"Location: {dist.path.parent}")
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
    return 0


def _field(label: str, names: list[str]) -> str:
    return f"{label}: {', '.join(names)}" if names else f"{label}:"


# -------------------------------------------------------------------------------- check
def _configure_check(parser: argparse.ArgumentParser) -> None:
    _environment(parser)


def _run_check(args: argparse.Namespace, ctx: Context) -> int:
    import time

    from pyffin.api.inspect import check
    from pyffin.cli.console import format_duration

    started = time.perf_counter()
    checked, problems = check(_env(args, ctx))
    ctx.console.note(f"Checked {checked} package{'s' if checked != 1 else ''} in "
                     f"{format_duration(time.perf_counter() - started)}")
    if not problems:
        ctx.console.out("All installed packages are compatible")
        return 0
    ctx.console.out(f"Found {len(problems)} incompatibilit{'ies' if len(problems) != 1 else 'y'}")
    for problem in problems:
        ctx.console.out(str(problem))
    return 1


FREEZE = Command(_configure_freeze, _run_freeze,
                 "List installed packages in requirements format.")
LIST = Command(_configure_list, _run_list, "List installed packages.")
SHOW = Command(_configure_show, _run_show, "Show information about installed packages.")
CHECK = Command(_configure_check, _run_check,
                "Check that installed packages have compatible dependencies.")
