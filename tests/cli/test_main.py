"""The command line's global behaviour: help, version, exit codes, errors, colour."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyffin import __version__
from pyffin.cli import registry
from pyffin.cli.command import Command, Context
from pyffin.cli.console import Console, format_bytes, use_color
from pyffin.errors import PyffinError, UsageError
from tests.support.cli import pyffin, run


def test_version() -> None:
    result = pyffin("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"pyffin {__version__}"


def test_help_lists_commands_without_importing_them() -> None:
    result = run(["--help"])
    assert result.returncode == 0
    assert "cache" in result.stdout and "--cache-dir" in result.stdout


def test_no_command_shows_help_and_is_a_usage_error() -> None:
    result = pyffin()
    assert result.returncode == 2
    assert "Commands:" in result.stderr


def test_group_without_subcommand_lists_its_commands() -> None:
    result = pyffin("cache")
    assert result.returncode == 2
    for name in ("dir", "clean", "prune", "size"):
        assert name in result.stderr


@pytest.mark.parametrize("argv", [["frobnicate"], ["cache", "frobnicate"],
                                  ["cache", "dir", "--bogus"],
                                  ["--color", "sometimes", "cache", "dir"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    result = pyffin(*argv)
    assert result.returncode == 2
    assert "error" in result.stderr


def test_global_options_go_before_or_after_the_command(tmp_path: Path) -> None:
    before = pyffin("--cache-dir", tmp_path / "c", "-q", "cache", "dir")
    after = pyffin("cache", "dir", "-q", "--cache-dir", tmp_path / "c")
    assert before.stdout == after.stdout == f"{tmp_path / 'c'}\n"


def test_the_command_modules_are_imported_lazily() -> None:
    code = ("import sys; from pyffin.cli.main import main; main(['cache', 'dir']); "
            "print(sorted(m for m in sys.modules if m.startswith('pyffin.cli.commands.')))")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['pyffin.cli.commands.cache']"


def _failing(error: BaseException) -> Command:
    def run(args: object, ctx: Context) -> int:
        raise error

    return Command(lambda parser: None, run, "test command")  # type: ignore[arg-type]


@pytest.fixture
def fake_command(monkeypatch: pytest.MonkeyPatch) -> list[Command]:
    """Register ``pyffin test-fail`` running the command in the returned one-element list."""
    holder: list[Command] = []
    import sys
    import types

    module = types.ModuleType("pyffin_test_commands")
    monkeypatch.setitem(sys.modules, "pyffin_test_commands", module)
    monkeypatch.setitem(registry.COMMANDS, ("test-fail",),
                        registry.CommandSpec("pyffin_test_commands:COMMAND", "fails"))

    class Proxy:
        def __getattr__(self, name: str) -> object:
            return holder[0]

    module.__getattr__ = Proxy().__getattr__  # type: ignore[method-assign]
    return holder


def test_errors_print_one_line_and_exit_2_as_uvs_do(fake_command: list[Command]) -> None:
    try:
        try:
            raise OSError("connection refused")
        except OSError as e:
            raise PyffinError("failed to fetch flask", hint="check the index URL") from e
    except PyffinError as error:
        fake_command.append(_failing(error))
    result = pyffin("test-fail")
    assert result.returncode == 2
    assert result.stderr == "error: failed to fetch flask\nhint: check the index URL\n"
    assert "Traceback" not in result.stderr

    verbose = pyffin("test-fail", "-v")
    assert "\n  cause: connection refused\n" in verbose.stderr  # uv 0.13.9's word


def test_verbose_errors_leave_out_causes_that_say_the_message_again(
        fake_command: list[Command]) -> None:
    """A resolution's error is re-raised with its hint: its text, the message then the hint,
    was printed twice under -v."""
    first = PyffinError("flask was not found", hint="check the index")
    first.__cause__ = LookupError("no versions of flask")  # raise ... from
    again = PyffinError("flask was not found", hint="check the index")
    again.__cause__ = first
    fake_command.append(_failing(again))
    verbose = pyffin("test-fail", "-v")
    assert verbose.stderr.count("flask was not found") == 1
    assert "  cause: no versions of flask" in verbose.stderr


def test_verbose_errors_end_the_chain_where_raise_from_none_does(
        fake_command: list[Command]) -> None:
    """pip compile re-raises a resolution's error reworded, ``from None``: the original, which
    says the same, is not a cause."""
    reworded = PyffinError("No solution found: flask was not found")
    # What ``raise ... from None`` in an ``except`` block leaves.
    reworded.__context__ = LookupError("flask was not found (the resolver's words)")
    reworded.__suppress_context__ = True
    fake_command.append(_failing(reworded))
    verbose = pyffin("test-fail", "-v")
    assert "cause:" not in verbose.stderr


def test_usage_errors_raised_by_commands_exit_2(fake_command: list[Command]) -> None:
    fake_command.append(_failing(UsageError("bad flag value")))
    result = pyffin("test-fail")
    assert (result.returncode, result.stderr) == (2, "error: bad flag value\n")


def test_bugs_are_one_line_without_v_and_a_traceback_with_it(fake_command: list[Command]) -> None:
    fake_command.append(_failing(KeyError("oops")))
    result = pyffin("test-fail")
    assert result.returncode == 2
    [line, hint] = result.stderr.splitlines()
    # What, and where (the innermost frame), so that a report without -v still says something.
    assert re.fullmatch(r"error: pyffin crashed: KeyError: 'oops' \(at .*test_main\.py:\d+, "
                        r"in run\)", line), line
    assert hint == "hint: this is a bug; run again with -v for the traceback and report it"
    verbose = pyffin("test-fail", "-v")
    assert verbose.returncode == 2 and "Traceback (most recent call last)" in verbose.stderr


def test_an_exception_without_a_message_still_says_what_it_is(
        fake_command: list[Command]) -> None:
    fake_command.append(_failing(AssertionError()))
    result = pyffin("test-fail")
    assert result.returncode == 2
    assert result.stderr.startswith("error: pyffin crashed: AssertionError (at ")


def test_an_unexpected_os_error_is_a_clear_error(fake_command: list[Command]) -> None:
    fake_command.append(_failing(PermissionError(13, "Permission denied", "/some/file")))
    result = pyffin("test-fail")
    assert (result.returncode, result.stderr) == (
        2, "error: Permission denied: /some/file\nhint: run again with -v for the traceback\n")


def test_color_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color("auto", Tty())
    assert not use_color("auto", io.StringIO())
    assert use_color("always", io.StringIO())
    assert not use_color("never", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Tty())
    err = Tty()
    Console(color="always", stderr=err).error("boom")
    assert "\x1b[" in err.getvalue()


def test_quiet_hides_notes_and_qq_hides_warnings() -> None:
    import io

    for quiet, expected in [(0, "note\nwarning: warn\n"), (1, "warning: warn\n"), (2, "")]:
        err = io.StringIO()
        console = Console(quiet=quiet, color="never", stderr=err)
        console.note("note")
        console.warn("warn")
        assert err.getvalue() == expected


@pytest.mark.parametrize("n,text", [(0, "0B"), (1023, "1023B"), (1024, "1.0KiB"),
                                    (1536 * 1024, "1.5MiB"), (5 * 1024**3, "5.0GiB")])
def test_format_bytes(n: int, text: str) -> None:
    assert format_bytes(n) == text


@pytest.mark.parametrize("argv,error,hint", [
    (["pip", "list", "--exclud-editable"], "unexpected option '--exclud-editable'",
     "did you mean '--exclude-editable'? (see 'pyffin pip list --help')"),
    # No prefix abbreviations: --edit is not taken for --editable.
    (["pip", "list", "--edit"], "unexpected option '--edit'",
     "did you mean '--editable'? (see 'pyffin pip list --help')"),
    (["cache", "dir", "--bogus=1"], "unexpected option '--bogus'",
     "see 'pyffin cache dir --help'"),
    (["pip", "freeze", "six"], "unexpected argument 'six'", "see 'pyffin pip freeze --help'"),
    (["pip", "list", "--format", "jsn"],
     "argument --format: invalid choice: 'jsn' (choose from 'columns', 'freeze', 'json')",
     "see 'pyffin pip list --help'"),
    (["cache", "dir", "--colour", "never"], "unexpected option '--colour'",
     "did you mean '--color'? (see 'pyffin cache dir --help')"),
    (["--colour", "never", "cache", "dir"], "unexpected option '--colour'",
     "did you mean '--color'? (see 'pyffin --help')"),
    (["pip", "frobnicate"],
     "unrecognized command 'frobnicate' (expected one of: check, compile, download, freeze, "
     "install, list, show, sync, tree, uninstall, wheel)", "see 'pyffin pip --help'"),
])
def test_a_usage_error_is_one_line_and_a_hint(argv: list[str], error: str, hint: str) -> None:
    result = pyffin(*argv)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {error}\nhint: {hint}\n"


def test_qq_is_silent_even_about_errors_which_the_exit_status_says(
        fake_command: list[Command]) -> None:
    # As uv 0.13.9: -q still shows an error, -qq shows nothing.
    fake_command.append(_failing(PyffinError("failed to fetch flask", hint="check the index")))
    assert pyffin("test-fail", "-q").stderr == (
        "error: failed to fetch flask\nhint: check the index\n")
    assert (pyffin("test-fail", "-qq").returncode, pyffin("test-fail", "-qq").stderr) == (2, "")


def test_short_flags_still_combine_without_abbreviations(tmp_path: Path) -> None:
    result = pyffin("cache", "dir", "-qq", "--cache-dir", tmp_path)
    assert (result.returncode, result.stdout) == (0, f"{tmp_path}\n")


def test_a_compile_whose_reader_goes_away_exits_0(tmp_path: Path) -> None:
    """``pyffin pip compile r.in | head -1``: the reader has what it wanted, as with uv."""
    import os
    import subprocess
    import sys

    from tests.support.cli import child_env
    from tests.support.dists import WheelSpec, build_wheel

    build_wheel(WheelSpec("six", "1.0"), tmp_path / "wheels")
    (tmp_path / "r.in").write_text("six\n")
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pyffin", "pip", "compile", tmp_path / "r.in", "--no-index",
             "-f", tmp_path / "wheels", "--cache-dir", tmp_path / "cache", "-q"],
            stdout=write, stderr=subprocess.PIPE, env=child_env(), timeout=60)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (0, b"")


@pytest.mark.parametrize("width", [40, 60, 78, 118, 198])
@pytest.mark.parametrize("group", [None, "pip", "cache"])
def test_the_help_written_without_argparse_is_argparses(
        group: str | None, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.cli import help
    from pyffin.cli.parser import top_parser

    monkeypatch.setattr(registry, "_help_width", width)
    if group is None:
        parser = top_parser("pyffin", registry.top_level(),
                            f"pyffin {__version__}: a fast Python package resolver and "
                            "installer.")
    else:
        parser = top_parser(f"pyffin {group}", {
            name: spec.summary for name, spec in registry.subcommands(group).items()},
            registry.GROUPS[group])
    assert help.render(group) == parser.format_help()


def test_help_that_needs_argparses_wrapping_is_left_to_argparse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.cli import help

    monkeypatch.setattr(registry, "GLOBAL_OPTIONS", (
        registry.GlobalOption(("--x",), "store_true", "a well-known hyphen-separated word"),))
    assert help.render(None) is None
    monkeypatch.setattr(registry, "GLOBAL_OPTIONS", (
        registry.GlobalOption(("--x",), "store_true", "x" * 100),))
    assert help.render(None) is None


def test_group_help_asked_for_goes_to_stdout() -> None:
    result = pyffin("pip", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: pyffin pip [OPTIONS] <COMMAND>")
    assert "  sync " in result.stdout and result.stderr == ""


#: A child that ends through ``exit_now``, with an object whose finalizer would print at
#: teardown and an exit handler that prints.
EXIT_PROBE = """
import atexit, sys
from pyffin.cli.main import exit_now

class Torn:
    def __del__(self):
        print("torn down", flush=True)

kept = Torn()
atexit.register(lambda: print("exit handler ran"))
sys.stdout.write("unflushed output")
exit_now(int(sys.argv[1]))
"""


def test_the_process_ends_after_its_output_and_exit_handlers_without_teardown() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", EXIT_PROBE, "3"], capture_output=True,
                          text=True)
    assert proc.returncode == 3
    assert proc.stdout == "unflushed outputexit handler ran\n"  # no "torn down"


def test_the_process_waits_for_a_non_daemon_thread_before_it_ends(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = tmp_path / "done"
    probe = EXIT_PROBE.replace("exit_now(", (
        "import threading, time\n"
        f"threading.Thread(target=lambda: (time.sleep(0.2), open({str(done)!r}, 'w'))).start()\n"
        "exit_now("))
    proc = subprocess.run([sys.executable, "-c", probe, "0"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert done.exists()


def test_the_command_line_collects_cycles_less_often() -> None:
    # A cold compile keeps millions of objects alive: the default thresholds walk them often.
    import subprocess
    import sys

    probe = ("import atexit, gc, sys; sys.argv = ['pyffin', '--version'];"
             "atexit.register(lambda: print(gc.get_threshold()[0], file=sys.stderr));"
             "from pyffin.cli.main import run; run()")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (0, f"pyffin {__version__}\n")
    assert int(proc.stderr.strip()) >= 10_000
