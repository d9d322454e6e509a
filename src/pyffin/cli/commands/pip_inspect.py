"""``pyffin pip freeze|list|show|check``: read an environment."""

from __future__ import annotations

import argparse

from pyffin.cli.command import Command, Context


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
    from pyffin.api.inspect import installed

    rows = []
    for dist in installed(_env(args, ctx)):
        direct = dist.direct_url() or {}
        editable = bool(direct.get("dir_info", {}).get("editable"))
        if (args.editable and not editable) or (args.exclude_editable and editable):
            continue
        location = None
        if editable and isinstance(direct.get("url"), str):
            from urllib.parse import unquote, urlsplit

            location = unquote(urlsplit(direct["url"]).path)
        rows.append((dist.name, dist.version, location))
    out = ctx.console.out
    if args.format == "json":
        import json

        out(json.dumps([{"name": n, "version": v, **({"editable_project_location": loc}
                                                       if loc else {})} for n, v, loc in rows]))
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
    parser.add_argument("packages", nargs="+", metavar="PACKAGE", help="Packages to show")
    parser.add_argument("-f", "--files", action="store_true",
                        help="List the files of each package")
    _environment(parser)


def _run_show(args: argparse.Namespace, ctx: Context) -> int:
    from pyffin.api.inspect import installed, required_by
    from pyffin.cache.keys import normalize_name
    from pyffin.resolver.dependencies import DependencyError, parse_dependency

    env = _env(args, ctx)
    by_name = {d.normalized_name: d for d in installed(env)}
    out = ctx.console.out
    missing = []
    first = True
    for name in args.packages:
        dist = by_name.get(normalize_name(name))
        if dist is None:
            missing.append(name)
            continue
        if not first:
            out("---")
        first = False
        metadata = dist.metadata()
        requires = []
        for text in metadata.requires_dist:
            try:
                dependency = parse_dependency(text)
            except DependencyError:
                continue
            if dependency.marker is None or "extra" not in dependency.marker:
                requires.append(dependency.name)
        out(f"Name: {metadata.name}")
        out(f"Version: {metadata.version}")
        out(f"Location: {dist.path.parent}")
        out(f"Requires: {', '.join(sorted(set(requires)))}")
        out(f"Required-by: {', '.join(required_by(env, dist.normalized_name))}")
        if args.files:
            out("Files:")
            for entry in dist.record() or ():
                out(f"  {entry.path}")
    for name in missing:
        ctx.console.warn(f"Package(s) not found: {name}")
    return 1 if missing and first else 0


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
