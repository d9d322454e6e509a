"""``pyffin pip install`` and ``pyffin pip sync``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from pyffin.cli.command import Command, Context
from pyffin.cli.options import (
    add_build_options,
    add_cache_options,
    add_compat_options,
    add_fork_strategy,
    add_group_options,
    add_index_options,
    add_python_options,
    add_resolution_options,
    add_sources_options,
    build_options,
    check_compat,
    check_python_preference,
    describe_negations,
    negation,
    package_name,
    requirement_spec,
    session,
)

if TYPE_CHECKING:
    from pyffin.api.install import ChangeOptions, InstallResult, ResolveOptions
    from pyffin.installer.plan import Wanted


def _environment_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Environment options")
    group.add_argument("-p", "--python", metavar="PYTHON",
                       help="The environment's interpreter (path, 3.12, python3.12); default: "
                            "the active or nearest virtual environment")
    group.add_argument("--system", action="store_true",
                       help="Install into the system interpreter (no virtual environment)")
    negation(group, "--no-system", dest="system")
    group.add_argument("--break-system-packages", action="store_true",
                       help="Allow installing into an EXTERNALLY-MANAGED interpreter (PEP 668)")
    group.add_argument("--no-break-system-packages", dest="break_system_packages",
                       action="store_const", const=False, default=argparse.SUPPRESS,
                       help="Refuse an EXTERNALLY-MANAGED interpreter (the default: undoes "
                            "--break-system-packages)")
    add_directory_options(group, "Install packages into DIR itself (PYTHONPATH=DIR imports "
                                 "them; scripts in DIR/bin), not into an environment",
                          "Install packages into DIR as into a virtual environment there "
                          "(DIR/lib/pythonX.Y/site-packages, DIR/bin)")
    group.add_argument("--python-version", metavar="VERSION",
                       help="Install for this Python version (3.12 or 3.12.1): wheels are "
                            "chosen by its tags")
    group.add_argument("--python-platform", metavar="PLATFORM",
                       help="Install for another platform (x86_64-manylinux_2_28, "
                            "aarch64-apple-darwin, windows, linux, macos): wheels are chosen by "
                            "its tags; a source distribution must build a wheel that fits it")
    add_python_options(group)


def add_directory_options(group: argparse._ArgumentGroup, target: str, prefix: str) -> None:
    """``-t/--target DIR`` and ``--prefix DIR`` (one or the other)."""
    exclusive = group.add_mutually_exclusive_group()
    exclusive.add_argument("-t", "--target", metavar="DIR", help=target)
    exclusive.add_argument("--prefix", metavar="DIR", help=prefix)


def _change_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Installer options")
    group.add_argument("--reinstall", "--force-reinstall", action="store_true",
                       help="Reinstall every package, even those already installed (implies "
                            "--refresh, as uv)")
    negation(group, "--no-reinstall", dest="reinstall")
    group.add_argument("--reinstall-package", action="append", default=[], metavar="NAME",
                       type=package_name, help="Reinstall NAME even if it is already installed "
                                               "(implies --refresh-package NAME)")
    group.add_argument("--link-mode", choices=("hardlink", "copy", "clone", "symlink"),
                       default="hardlink",
                       help="How files get from the cache into the environment "
                            "(default: hardlink; falls back to copy across file systems)")
    group.add_argument("--compile-bytecode", "--compile", action="store_true",
                       help="Compile .py files to bytecode after installing")
    negation(group, "--no-compile-bytecode", "--no-compile", dest="compile_bytecode")
    group.add_argument("--dry-run", action="store_true",
                       help="Show what would change, change nothing")
    group.add_argument("--check", action="store_true",
                       help="Like --dry-run, and exit with status 1 when the environment "
                            "does not already match (for CI)")
    group.add_argument("--strict", action="store_true",
                       help="After installing, check the whole environment as pip check does "
                            "and exit with status 1 if a package's dependencies are missing "
                            "or incompatible")
    negation(group, "--no-strict", dest="strict")
    group.add_argument("--report", metavar="FILE",
                       help="Write pip's JSON installation report of what was (or, with "
                            "--dry-run, would be) installed to FILE (- for stdout)")
    add_output_format(group)
    group.add_argument("--require-hashes", action="store_true",
                       help="Require a matching --hash for every package (pip's hash-checking "
                            "mode; on by itself when a requirement has --hash)")
    negation(group, "--no-require-hashes", dest="require_hashes")
    group.add_argument("--no-verify-hashes", action="store_true",
                       help="Ignore the --hash values of requirements: they no longer imply "
                            "hash-checking mode, which only --require-hashes (here or in a "
                            "requirements file) then enters (uv's)")
    negation(group, "--verify-hashes", dest="no_verify_hashes")


def _configure_install(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="*", metavar="PACKAGE",
                        help="Packages to install (PEP 508 requirements)")
    parser.add_argument("-r", "--requirement", "--requirements", action="append", default=[],
                        metavar="FILE",
                        help="Install the requirements in FILE: a requirements file, a "
                             "project's pyproject.toml, setup.py or setup.cfg, a PEP 723 "
                             "script, a pylock.toml, or - for standard input")
    parser.add_argument("-e", "--editable", action="append", default=[], metavar="PATH",
                        help="Install a local project in editable mode")
    parser.add_argument("--no-editable", action="store_true",
                        help="Install the editable requirements (-e, in files too) as the "
                             "projects' wheels instead, as uv's --no-editable")
    parser.add_argument("--no-editable-package", action="append", default=[], metavar="NAME",
                        type=package_name,
                        help="Install the editable requirement on NAME as the project's wheel "
                             "instead (repeatable)")
    parser.add_argument("-c", "--constraint", "--constraints", action="append", default=[],
                        metavar="FILE",
                        help="Constrain versions with the requirements in FILE")
    parser.add_argument("--override", "--overrides", action="append", default=[],
                        metavar="FILE",
                        help="Override dependency versions with the requirements in FILE")
    parser.add_argument("--excludes", "--exclude", action="append", default=[],
                        metavar="FILE", dest="exclude",
                        help="Leave the projects FILE names out of the resolution: none of "
                             "them is installed for these requirements")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME",
                        help="Include this optional dependency group of a pyproject.toml")
    parser.add_argument("--all-extras", action="store_true",
                        help="Include every optional dependency group")
    negation(parser, "--no-all-extras", dest="all_extras")
    parser.add_argument("-U", "--upgrade", action="store_true",
                        help="Upgrade packages to the newest allowed versions (implies "
                             "--refresh, as uv)")
    negation(parser, "--no-upgrade", dest="upgrade")
    parser.add_argument("-P", "--upgrade-package", action="append", default=[], metavar="NAME",
                        type=requirement_spec,
                        help="Upgrade NAME, keep the rest as installed; a version specifier "
                             "bounds the upgrade ('six<1.17'); implies --refresh-package NAME")
    parser.add_argument("--no-deps", action="store_true",
                        help="Install the given packages without their dependencies")
    negation(parser, "--deps", dest="no_deps")
    parser.add_argument("--exact", action="store_true",
                        help="Also remove the packages the requirements do not need, as a sync "
                             "does (uv's --exact)")
    negation(parser, "--inexact", "--no-exact", dest="exact")
    add_group_options(parser)
    _environment_options(parser)
    _change_options(parser)
    add_resolution_options(parser, prerelease_package=True)
    add_fork_strategy(parser)  # (uv's pip install takes it; nothing here resolves universally)
    add_build_options(parser)
    add_sources_options(parser.add_argument_group("Sources options"))
    add_index_options(parser, torch=True)
    add_cache_options(parser)
    add_compat_options(parser, ("pip", "install"))
    describe_negations(parser)


def _configure_sync(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src_file", nargs="*", metavar="SRC_FILE",
                        help="requirements.txt files, PEP 723 scripts (*.py), a pylock.toml, "
                             "or - for standard input")
    parser.add_argument("-c", "--constraint", "--constraints", action="append", default=[],
                        metavar="FILE",
                        help="Constrain versions with the requirements in FILE")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME",
                        help="Include this extra of a pyproject.toml or pylock.toml")
    parser.add_argument("--all-extras", action="store_true",
                        help="Include every extra")
    negation(parser, "--no-all-extras", dest="all_extras")
    add_group_options(parser)
    parser.add_argument("--allow-empty-requirements", action="store_true",
                        help="Allow requirements files without any requirement: the environment "
                             "is emptied")
    parser.add_argument("--no-allow-empty-requirements", dest="allow_empty_requirements",
                        action="store_const", const=False, default=argparse.SUPPRESS,
                        help="Leave the environment as it is when there are no requirements (the "
                             "default: undoes --allow-empty-requirements)")
    _environment_options(parser)
    _change_options(parser)
    add_resolution_options(parser)
    add_build_options(parser)
    add_sources_options(parser.add_argument_group("Sources options"))
    add_index_options(parser, torch=True)
    add_cache_options(parser)
    add_compat_options(parser, ("pip", "sync"))
    describe_negations(parser)


def _options(args: argparse.Namespace) -> tuple[ResolveOptions, ChangeOptions]:
    from pyffin.api.install import ChangeOptions, ResolveOptions
    from pyffin.errors import UsageError

    check_python_preference(args)
    if args.pre and args.prerelease not in (None, "allow") \
            and "prerelease" not in args.setting_origins:
        raise UsageError("--pre conflicts with --prerelease " + args.prerelease)
    return (
        ResolveOptions(resolution=args.resolution,
                       prerelease="allow" if args.pre else args.prerelease,
                       prerelease_packages=tuple(getattr(args, "prerelease_package", ())),
                       exclude_newer=args.exclude_newer,
                       exclude_newer_packages=tuple(args.exclude_newer_package),
                       only_binary=tuple(args.only_binary),
                       no_binary=tuple(args.no_binary), no_build=args.no_build),
        ChangeOptions(reinstall=args.reinstall,
                      reinstall_packages=tuple(args.reinstall_package),
                      link_mode=args.link_mode, compile_bytecode=args.compile_bytecode,
                      dry_run=args.dry_run or args.check,
                      require_hashes=args.require_hashes,
                      verify_hashes=not args.no_verify_hashes),
    )


def _run_install(args: argparse.Namespace, ctx: Context) -> int:
    import pyffin.api.install as api
    from pyffin.cli.progress import DownloadProgress

    check_compat(args, ("pip", "install"))
    _check_report_target(args)
    resolve_options, change = _options(args)
    progress = DownloadProgress(ctx.console)
    transcript = ctx.console.transcript = []
    try:
        result = api.install(
            args.requirement, requirements=args.packages, editables=args.editable,
            constraints=args.constraint, overrides=args.override, excludes=args.exclude,
            extras=args.extra,
            all_extras=args.all_extras, groups=args.group, only_groups=args.only_group,
            all_groups=args.all_groups, no_groups=args.no_group, session=session(args, ctx),
            python=args.python,
            system=args.system, break_system_packages=args.break_system_packages,
            upgrade=args.upgrade, upgrade_packages=args.upgrade_package, no_deps=args.no_deps,
            resolve_options=resolve_options, change=change, build=build_options(args),
            reporter=progress, stdin=sys.stdin, exact=args.exact, no_editable=args.no_editable,
            no_editable_packages=args.no_editable_package,
            **_directory_args(args))
    finally:
        progress.finish()
    return _conclude(("pip", "install"), args, ctx, result, transcript,
                     resolved_said=progress.resolved_said)


def _run_sync(args: argparse.Namespace, ctx: Context) -> int:
    import pyffin.api.install as api
    from pyffin.cli.progress import DownloadProgress

    check_compat(args, ("pip", "sync"))
    if not args.src_file and not (args.group or args.only_group or args.all_groups):
        from pyffin.errors import UsageError

        raise UsageError("no requirements given: pass requirements files "
                         "(pyffin pip sync requirements.txt)")
    _check_report_target(args)
    resolve_options, change = _options(args)
    progress = DownloadProgress(ctx.console)
    transcript = ctx.console.transcript = []
    try:
        result = api.sync(
            args.src_file, constraints=args.constraint, extras=args.extra,
            all_extras=args.all_extras, groups=args.group,
            only_groups=args.only_group, all_groups=args.all_groups, no_groups=args.no_group,
            session=session(args, ctx),
            python=args.python, system=args.system,
            break_system_packages=args.break_system_packages, resolve_options=resolve_options,
            change=change, build=build_options(args), reporter=progress, stdin=sys.stdin,
            allow_empty=args.allow_empty_requirements, **_directory_args(args))
    except api.EmptyRequirementsError:
        # As uv: nothing to do is not a failure, and emptying the environment needs asking.
        ctx.console.note("No requirements found (hint: use `--allow-empty-requirements` to "
                         "clear the environment)")
        return 0
    finally:
        progress.finish()
    return _conclude(("pip", "sync"), args, ctx, result, transcript,
                     resolved_said=progress.resolved_said)


def _conclude(words: tuple[str, ...], args: argparse.Namespace, ctx: Context,
              result: InstallResult, transcript: list[str], *, resolved_said: bool = False
              ) -> int:
    """Report, finish, and remember a no-op so that the same command next time is answered
    at once (:mod:`pyffin.cli.noop`), or an install into a fresh environment so that the same
    command into the next one is done at once (:mod:`pyffin.cli.install_replay`).
    ``resolved_said``: the resolution's line was written as it ended."""
    shown = list(transcript)  # the messages before the summary
    ctx.console.transcript = None
    report(ctx, result, resolved_said=resolved_said)
    code = finish(args, ctx, result)
    if code == 0 and not result.installed and not result.removed:
        from pyffin.cli import noop

        noop.remember(words, args, ctx, result, shown, warned=ctx.console.warnings > 0)
    elif code == 0 and result.fresh is not None:
        from pyffin.cli import install_replay

        install_replay.remember(words, args, ctx, result, shown,
                                warned=ctx.console.warnings > 0)
    return code


def _directory_args(args: argparse.Namespace) -> dict[str, Any]:
    from pyffin.errors import UsageError

    if args.target is not None and args.prefix is not None:  # one from configuration
        raise UsageError("--target and --prefix cannot be used together")
    return {"target": args.target, "prefix": args.prefix, "python_version": args.python_version,
            "python_platform": args.python_platform}


def add_output_format(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--output-format", choices=("text", "json"), default="text",
                       help="json: also print the changes as JSON on stdout, as uv does "
                            "(default: text)")


def finish(args: argparse.Namespace, ctx: Context, result: InstallResult) -> int:
    """What follows the summary: uv's JSON on stdout, pip's report, the ``--strict`` check;
    the exit status (1: ``--check`` found changes to make, or ``--strict`` problems)."""
    if args.output_format == "json":
        import json

        from pyffin.installer.report import changes_json

        ctx.console.out(json.dumps(changes_json(result.installed, result.removed,
                                                dry_run=result.dry_run), indent=2))
    if getattr(args, "report", None):
        _write_report(args.report, ctx, result)
    if getattr(args, "check", False):
        return 1 if result.installed or result.removed else 0
    if getattr(args, "strict", False) and not result.dry_run:
        from pyffin.api.inspect import check

        _, problems = check(result.environment)
        if problems:
            for problem in problems:
                ctx.console.warn(str(problem))
            count = len(problems)
            ctx.console.error(f"the environment is inconsistent (--strict): {count} "
                              f"problem{'s' if count != 1 else ''}",
                              hint="pyffin pip check lists them again")
            return 1
    return 0


def _check_report_target(args: argparse.Namespace) -> None:
    """Refuse a ``--report`` path that cannot be written before anything is installed."""
    import os

    if args.report and args.report != "-" and os.path.isdir(args.report):
        from pyffin.errors import UsageError

        raise UsageError(f"--report {args.report}: it is a directory, not a file")


def _write_report(target: str, ctx: Context, result: InstallResult) -> None:
    """pip's installation report of ``result`` to ``target`` (``-``: stdout)."""
    import json
    from pathlib import Path

    from pyffin._version import __version__
    from pyffin.installer.report import core_metadata_json, installation_report, metadata_json

    installed = {}
    if not result.dry_run and result.planned:
        from pyffin.installer.installed import scan

        installed = {d.normalized_name: d for d in scan(
            [Path(p) for p in result.environment.site_packages])}

    def metadata(wanted: Wanted) -> dict[str, Any]:
        dist = installed.get(wanted.name)
        if dist is not None:
            path = dist.path / "METADATA"
            try:
                return metadata_json(path.read_bytes())
            except OSError:
                pass
        if result.metadata is None:
            return {"name": wanted.name, "version": wanted.version}
        return core_metadata_json(result.metadata(wanted))

    document = installation_report(result.planned, markers=result.environment.markers,
                                   metadata=metadata, requested_extras=result.requested_extras,
                                   version=__version__)
    text = json.dumps(document, indent=2) + "\n"
    if target == "-":
        ctx.console.stdout.write(text)
        return
    from pyffin.fs import write_user_file

    write_user_file(target, text.encode("utf-8"))


def report(ctx: Context, result: InstallResult, *, resolved_said: bool = False) -> None:
    """uv's summary: what was resolved, prepared, removed, installed, and the changes
    (``resolved_said``: but the resolution's line, written as it ended, before the
    downloads)."""
    from pyffin.cli.console import format_duration

    note = ctx.console.note
    t = result.timings

    def count(n: int) -> str:
        return f"{n} package{'s' if n != 1 else ''}"

    # "Checked", as uv since 0.10.10 ("Audited" before).
    checked = f"Checked {count(result.audited)} in {format_duration(t.get('audit', 0))}"
    if result.resolved is None and not result.installed and not result.removed:
        note(checked)
        if result.dry_run:
            note("Would make no changes")
        return
    if result.resolved is not None and not resolved_said:
        from pyffin.cli.progress import resolved_line

        note(resolved_line(result.resolved, t.get("resolve", 0)))
    if result.dry_run:
        if not result.installed and not result.removed:
            note(checked)
            note("Would make no changes")
        if result.uncached:
            note(f"Would download {count(result.uncached)}")
        if result.removed:
            note(f"Would uninstall {count(len(result.removed))}")
        if result.installed:
            note(f"Would install {count(len(result.installed))}")
    else:
        if result.prepared:
            note(f"Prepared {count(result.prepared)} in "
                 f"{format_duration(t.get('prepare', 0))}")
        if result.removed:
            note(f"Uninstalled {count(len(result.removed))} in "
                 f"{format_duration(t.get('uninstall', 0))}")
        if result.installed:
            note(f"Installed {count(len(result.installed))} in "
                 f"{format_duration(t.get('install', 0))}")
        if result.compiled is not None:  # as uv: every file of the environment
            note(f"Bytecode compiled {result.compiled} file{'s' if result.compiled != 1 else ''}"
                 f" in {format_duration(t.get('bytecode', 0))}")
        if not result.installed and not result.removed:
            note(checked)
    report_changes(ctx, result)


def report_changes(ctx: Context, result: InstallResult) -> None:
    """uv's lines for what was removed and installed (`` + name==version``), then the
    warnings about yanked versions."""
    note = ctx.console.note
    # The same version removed and installed again (--reinstall) is one line, as uv says it.
    reinstalled = set(result.removed) & set(result.installed)
    changes = [(name, 0, version) for name, version in result.removed
               if (name, version) not in reinstalled]
    changes += [(name, 1, version) for name, version in result.installed
                if (name, version) not in reinstalled]
    changes += [(name, 2, version) for name, version in reinstalled]
    signs = (("-", "red"), ("+", "green"), ("~", "yellow"))
    for name, kind, version in sorted(changes):
        origin = result.origins.get((name, version))
        shown = "" if origin is None else f" (from {origin})"  # a direct installation's, as uv
        note(f" {ctx.console.style(*signs[kind])} {name}=={version}{shown}")
    for warning in result.yanked:  # after the changes, as uv says them
        ctx.console.warn(warning)


INSTALL = Command(_configure_install, _run_install,
                  "Install packages, requirements files or pyproject.toml dependencies into an "
                  "environment, with their dependencies.")
SYNC = Command(_configure_sync, _run_sync,
               "Make an environment contain exactly the packages of requirements files: "
               "install what is missing, remove everything else (but, as uv, the seed packages "
               "pip, setuptools and wheel of an environment pyffin or uv did not make without "
               "them). Dependencies are not added.")
