"""``pyffin pip compile``: requirements in, pinned ``requirements.txt`` out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from pyffin.cli.command import Command, Context
from pyffin.cli.options import (
    EXCLUDE_NEWER_HELP,
    EXCLUDE_NEWER_PACKAGE_HELP,
    add_build_options,
    add_cache_options,
    add_compat_options,
    add_fork_strategy,
    add_group_options,
    add_index_options,
    add_prerelease_package,
    add_python_options,
    add_sources_options,
    binary_names,
    build_options,
    check_compat,
    check_python_preference,
    describe_negations,
    negation,
    package_names,
    requirement_spec,
    session,
)

if TYPE_CHECKING:
    import argparse
    from typing import NoReturn


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src_file", nargs="*", metavar="SRC_FILE",
                        help="requirements.in / requirements.txt files, pyproject.toml, "
                             "setup.py or setup.cfg of a project, PEP 723 scripts (*.py), or - "
                             "for standard input")
    parser.add_argument("-o", "--output-file", metavar="FILE",
                        help="Write the result to FILE as well as to stdout (- for stdout "
                             "only); its pins are kept as preferences. A regular file is "
                             "replaced atomically, a link's target is written, a device or "
                             "FIFO is written in place")
    parser.add_argument("-c", "--constraint", "--constraints", action="append", default=[],
                        metavar="FILE",
                        help="Constrain versions with the requirements in FILE")
    parser.add_argument("--override", "--overrides", action="append", default=[],
                        metavar="FILE",
                        help="Override the versions of dependencies with the requirements in "
                             "FILE")
    parser.add_argument("--excludes", "--exclude", action="append", default=[],
                        metavar="FILE", dest="exclude",
                        help="Leave the projects FILE names out of the resolution: every "
                             "requirement on them is dropped, direct or not, whatever its "
                             "version or marker")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME",
                        help="Include this optional dependency group of a pyproject.toml")
    parser.add_argument("--all-extras", action="store_true",
                        help="Include every optional dependency group")
    negation(parser, "--no-all-extras", dest="all_extras")
    parser.add_argument("--no-deps", action="store_true",
                        help="Pin only the listed requirements, not their dependencies")
    negation(parser, "--deps", dest="no_deps")
    add_group_options(parser)

    resolution = parser.add_argument_group("Resolution options")
    resolution.add_argument("--resolution", choices=("highest", "lowest", "lowest-direct"),
                            default="highest", help="Which versions to prefer (default: highest)")
    resolution.add_argument("--prerelease", choices=(
        "disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"),
        help="When to consider pre-releases (default: if-necessary-or-explicit)")
    add_prerelease_package(resolution)
    resolution.add_argument("--pre", action="store_true",
                            help="Allow pre-releases (pip's spelling of --prerelease allow)")
    resolution.add_argument("--exclude-newer", metavar="DATE", help=EXCLUDE_NEWER_HELP)
    resolution.add_argument("--exclude-newer-package", action="append", default=[],
                            metavar="NAME=DATE", help=EXCLUDE_NEWER_PACKAGE_HELP)
    resolution.add_argument("-U", "--upgrade", action="store_true",
                            help="Ignore the pins of the existing output file, and ask about "
                                 "every kept page again (implies --refresh, as uv)")
    negation(resolution, "--no-upgrade", dest="upgrade")
    resolution.add_argument("-P", "--upgrade-package", action="append", default=[],
                            metavar="NAME", type=requirement_spec,
                            help="Ignore the existing pin of NAME; a version specifier bounds "
                                 "the upgrade ('six<1.17'); implies --refresh-package NAME")
    resolution.add_argument("--only-binary", action="extend", default=[], metavar="NAME",
                            type=binary_names,
                            help="Use only wheels for NAME (comma-separated; :all: for every "
                                 "package)")
    resolution.add_argument("--no-binary", action="extend", default=[], metavar="NAME",
                            type=binary_names,
                            help="Use only source distributions for NAME (comma-separated; "
                                 ":all: for every package)")
    resolution.add_argument("--no-build", action="store_true",
                            help="Never build source distributions")
    negation(resolution, "--build", dest="no_build")
    add_sources_options(resolution)

    target = parser.add_argument_group("Target options")
    target.add_argument("-p", "--python", metavar="PYTHON",
                        help="The interpreter to resolve for (path, python3.12, pypy3); a "
                             "version (3.12, 3.12.1) means --python-version, as in uv")
    target.add_argument("--system", action="store_true",
                        help="Use an interpreter found outside virtual environments (on PATH), "
                             "not the active or nearest one")
    negation(target, "--no-system", dest="system")
    target.add_argument("--python-version", metavar="VERSION",
                        help="Resolve for this Python version (3.12 or 3.12.1)")
    target.add_argument("--python-platform", metavar="PLATFORM",
                        help="Resolve for another platform (x86_64-manylinux_2_28, "
                             "aarch64-apple-darwin, windows, linux, macos, "
                             "aarch64-linux-android, arm64-apple-ios, wasm32-pyodide2025)")
    target.add_argument("--universal", action="store_true",
                        help="Resolve for every platform and every Python from "
                             "--python-version (else this interpreter's) on: one file with "
                             "an environment marker on each pin")
    negation(target, "--no-universal", dest="universal")
    target.add_argument("--environment", "--environments", dest="environments",
                        action="append", default=[], metavar="MARKER",
                        help="With --universal, resolve only for the environments MARKER "
                             "describes (repeatable; the markers must not overlap)")
    target.add_argument("--required-environment", "--required-environments",
                        dest="required_environments", action="append", default=[],
                        metavar="MARKER",
                        help="With --universal, require a wheel for the environments MARKER "
                             "describes of every version without a source distribution "
                             "(repeatable)")
    add_fork_strategy(target)
    add_python_options(target)

    output = parser.add_argument_group("Output options")
    output.add_argument("--format", choices=("requirements.txt", "pylock.toml"),
                        dest="output_format",
                        help="The output's format (default: pylock.toml for an output file "
                             "named *.toml, else requirements.txt)")
    output.add_argument("--generate-hashes", action="store_true",
                        help="Add --hash lines for every file of each pinned release")
    negation(output, "--no-generate-hashes", dest="generate_hashes")
    output.add_argument("--annotation-style", choices=("split", "line"), default="split",
                        help="How to write '# via' annotations (default: split)")
    output.add_argument("--no-annotate", action="store_true",
                        help="Leave out '# via' annotations")
    negation(output, "--annotate", dest="no_annotate")
    output.add_argument("--no-header", action="store_true", help="Leave out the header")
    negation(output, "--header", dest="no_header")
    output.add_argument("--emit-index-url", action="store_true",
                        help="Write --index-url and --extra-index-url lines")
    negation(output, "--no-emit-index-url", dest="emit_index_url")
    output.add_argument("--emit-build-options", action="store_true",
                        help="Write the --no-binary and --only-binary options in the output")
    negation(output, "--no-emit-build-options", dest="emit_build_options")
    output.add_argument("--emit-marker-expression", action="store_true",
                        help="Write the environment markers the resolution depends on, as "
                             "this target has them: where the output is known to hold")
    negation(output, "--no-emit-marker-expression", dest="emit_marker_expression")
    output.add_argument("--emit-index-annotation", action="store_true",
                        help="Annotate each package with the index it came from "
                             "(# from https://pypi.org/simple)")
    negation(output, "--no-emit-index-annotation", dest="emit_index_annotation")
    output.add_argument("--no-strip-extras", dest="strip_extras", action="store_false",
                        default=True,
                        help="Write the extras each package is used with (requests[socks])")
    output.add_argument("--strip-extras", dest="strip_extras", action="store_true",
                        help="Leave the extras out of the pins (the default; the last of the "
                             "two given wins)")
    output.add_argument("--no-strip-markers", dest="strip_markers", action="store_false",
                        default=True,
                        help="Write with each pin the markers under which the requirements "
                             "need it (always so with --universal)")
    output.add_argument("--strip-markers", dest="strip_markers", action="store_true",
                        help="Leave the markers out of the pins (the default; the last of the "
                             "two given wins)")
    output.add_argument("--emit-find-links", action="store_true",
                        help="Write --find-links lines")
    negation(output, "--no-emit-find-links", dest="emit_find_links")
    output.add_argument("--no-emit-package", "--unsafe-package", action="extend", default=[],
                        metavar="NAME", type=package_names,
                        help="Leave NAME out of the output (comma-separated)")
    output.add_argument("--custom-compile-command", metavar="COMMAND",
                        help="The command to show in the header")
    add_build_options(parser)
    parser.add_argument_group("Installer options").add_argument(
        "--link-mode", choices=("hardlink", "copy", "clone", "symlink"), default="hardlink",
        help="Accepted for uv's, which installs build dependencies with it: compile installs "
             "nothing else, and pyffin's build environments always hard-link (copy across "
             "file systems); the output is the same")
    add_index_options(parser, torch=True)
    add_cache_options(parser)
    add_compat_options(parser, ("pip", "compile"))
    describe_negations(parser)


def _run(args: argparse.Namespace, ctx: Context) -> int:
    import pyffin.api as api
    from pyffin.cli.console import format_duration
    from pyffin.errors import UsageError

    check_python_preference(args)
    check_compat(args, ("pip", "compile"))
    if not args.src_file and not (args.group or args.only_group or args.all_groups):
        raise UsageError("no requirements given: pass requirements files "
                         "(pyffin pip compile requirements.in)")
    if args.universal and args.python_platform is not None:
        _refuse_together(args, ("--universal", "--universal"),
                         ("--python-platform", "--python-platform <PYTHON_PLATFORM>"))
    if args.universal and _last_given(args, "--strip-markers", "--no-strip-markers"):
        # (A universal resolution's own settings imply --no-strip-markers.)
        _refuse_together(args, ("--universal", "--universal"),
                         ("--strip-markers", "--strip-markers"))
    if args.environments and not args.universal:
        raise UsageError("--environment needs --universal")
    if args.required_environments and not args.universal:
        raise UsageError("--required-environment needs --universal")
    if args.pre and args.prerelease not in (None, "allow") \
            and "prerelease" not in args.setting_origins:
        raise UsageError("--pre conflicts with --prerelease " + args.prerelease)
    from pyffin.api.resolving import choose_output_format
    from pyffin.cli import recompile

    output_format = choose_output_format(args.output_format, args.output_file)
    python, python_version = args.python, args.python_version
    if python is not None and python_version is None and _is_python_version(python):
        # As uv (whose -p was once --python-version): `-p 3.12` resolves for Python 3.12,
        # built with an interpreter of that version when there is one, else with a warning.
        python, python_version = None, python
    before = recompile.Before(args.output_file, getattr(args, "started_ns", None))
    progress = None
    if not ctx.console.quiet:  # -q shows no status line and no download notes
        from pyffin.cli.progress import Progress

        progress = Progress(ctx.console)
    notes = ctx.console.transcript = []
    try:
        result = api.compile(
            args.src_file,
            constraints=args.constraint,
            overrides=args.override,
            excludes=args.exclude,
            extras=args.extra,
            all_extras=args.all_extras,
            groups=args.group,
            only_groups=args.only_group,
            all_groups=args.all_groups,
            no_groups=args.no_group,
            session=session(args, ctx, reporter=progress),
            python=python,
            system=args.system,
            python_version=python_version,
            python_platform=args.python_platform,
            resolution=args.resolution,
            prerelease="allow" if args.pre else args.prerelease,
            prerelease_packages=args.prerelease_package,
            exclude_newer=args.exclude_newer,
            exclude_newer_packages=args.exclude_newer_package,
            only_binary=args.only_binary,
            no_binary=args.no_binary,
            no_build=args.no_build,
            no_deps=args.no_deps,
            upgrade=args.upgrade,
            upgrade_packages=args.upgrade_package,
            preferences_from=args.output_file,
            generate_hashes=args.generate_hashes,
            output_format=output_format,
            build=build_options(args),
            stdin=sys.stdin,
            universal=args.universal,
            fork_strategy=args.fork_strategy or "requires-python",
            strip_markers=args.strip_markers,
            environments=args.environments,
            required_environments=args.required_environments,
            marker_expression=args.emit_marker_expression and output_format != "pylock.toml",
        )
    finally:
        if progress is not None:
            progress.finish()
        ctx.console.transcript = None
    to_stdout = args.output_file in (None, "-")
    if output_format == "pylock.toml":
        from pathlib import Path

        from pyffin import log

        for flag, given in (("--emit-marker-expression", args.emit_marker_expression),
                            ("--emit-index-url", args.emit_index_url),
                            ("--emit-find-links", args.emit_find_links)):
            if given:
                log.warn(f"The `{flag}` option is not supported for `pylock.toml` output")
        text = result.to_pylock_toml(
            header_command=None if args.no_header else header_command(args),
            no_emit_packages=args.no_emit_package,
            directory=None if to_stdout else Path(args.output_file).absolute().parent)
    else:
        from pyffin.api.resolving import build_option_lines

        text = result.to_requirements_txt(
            header_command=None if args.no_header else header_command(args),
            annotate=not args.no_annotate,
            annotation_style=args.annotation_style,
            emit_index_url=args.emit_index_url,
            emit_find_links=args.emit_find_links,
            no_emit_packages=args.no_emit_package,
            strip_extras=args.strip_extras,
            emit_index_annotation=args.emit_index_annotation,
            build_options=build_option_lines(
                result.spec, no_binary=args.no_binary, only_binary=args.only_binary,
                no_build=args.no_build) if args.emit_build_options else (),
        )
    written = None
    if not to_stdout:
        from pyffin.fs import write_user_file

        # A link is followed, a device or FIFO written in place: never replaced by a file.
        written = text.encode("utf-8")
        write_user_file(args.output_file, written)
    count = len(result.resolution)
    packages = f"{count} package{'s' if count != 1 else ''} " if count else ""  # (as uv)
    ctx.console.note(f"Resolved {packages}in {format_duration(result.elapsed)}")
    for warning in result.resolution.yanked():
        ctx.console.warn(warning)
    shown = text if to_stdout or not ctx.console.quiet else ""
    ctx.console.stdout.write(shown)
    # The same command next time is answered at once, while nothing it read changed.
    recompile.remember(args, ctx, result, before=before, written=written, stdout=shown,
                       notes=notes, warned=ctx.console.warnings > 0)
    return 0


def _given(args: argparse.Namespace, flags: tuple[str, ...]) -> list[str]:
    """Which of ``flags`` the command line gives, in its order."""
    return [a for a in (a.split("=", 1)[0] for a in getattr(args, "argv", ())) if a in flags]


def _refuse_together(args: argparse.Namespace, one: tuple[str, str],
                     other: tuple[str, str]) -> NoReturn:
    """uv's (clap's) usage error for two options that conflict, each ``(flag, as clap shows
    it)``: the one the command line gives first is named first (``one`` when neither is)."""
    from pyffin.errors import UsageError

    given = _given(args, (one[0], other[0]))
    first, second = (other, one) if given and given[0] == other[0] else (one, other)
    raise UsageError(f"the argument '{first[1]}' cannot be used with '{second[1]}'")


def _last_given(args: argparse.Namespace, flag: str, negation: str) -> bool:
    """Whether the command line gives ``flag`` after any ``negation`` of it (the last wins)."""
    given = _given(args, (flag, negation))
    return bool(given) and given[-1] == flag


def header_command(args: argparse.Namespace) -> str:
    """The command shown in the output's header: ``--custom-compile-command``, else this
    command with the arguments that shape the output. Left out as uv leaves them out: the
    indexes (unless ``--emit-index-url``) and find-links (unless ``--emit-find-links``), which
    are where this machine reads from and may hold credentials, ``--upgrade`` and
    ``--upgrade-package``, which a later run is not meant to repeat; and this machine's own
    settings (cache, configuration, verbosity, colour flags). A URL left shows no
    credentials."""
    custom = args.custom_compile_command
    if custom:
        return str(custom)
    from pyffin.models.urls import redact

    skip_with_value = {"--cache-dir", "--color", "--refresh-package", "--config-file",
                       "--upgrade-package", "-P"}
    skip = {"-q", "--quiet", "-v", "--verbose", "--no-cache", "-n", "--no-cache-dir",
            "--refresh", "--offline", "--no-config", "--isolated", "--no-progress",
            "--disable-pip-version-check", "-qq", "-vv", "--upgrade", "-U", "--native-tls"}
    joined = ["-P"]  # short options written with their value (-Pflask)
    if not args.emit_index_url:
        skip_with_value |= {"--index-url", "-i", "--extra-index-url", "--index",
                            "--default-index"}
        joined.append("-i")
    if not args.emit_find_links:
        skip_with_value |= {"--find-links", "-f"}
        joined.append("-f")
    shown: list[str] = []
    argv = list(getattr(args, "argv", []))
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0]
        if name in skip:
            i += 1
            continue
        if name in skip_with_value:
            i += 1 if "=" in arg else 2
            continue
        if arg[:2] in joined and not arg.startswith("--"):
            i += 1
            continue
        shown.append(redact(arg) if "://" in arg else arg)
        i += 1
    return "pyffin pip compile " + " ".join(_quote(a) for a in shown) if shown else \
        "pyffin pip compile"


#: What :func:`shlex.quote` leaves as it is (``\\w`` in ASCII and ``@%+=:,./-``).
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def _quote(arg: str) -> str:
    if arg and all(c in _SAFE for c in arg):
        return arg  # as shlex.quote would: not worth importing it for every compile
    import shlex

    return shlex.quote(arg)


COMPILE = Command(_configure, _run,
                  "Compile requirements (requirements.in, pyproject.toml) into a pinned "
                  "requirements.txt.")


def _is_python_version(text: str) -> bool:
    """``3.12`` or ``3.12.1``: a version, not an interpreter (``3``, ``python3.12``, a path)."""
    parts = text.split(".")
    return 2 <= len(parts) <= 3 and all(part.isdigit() for part in parts)
