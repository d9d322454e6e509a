"""A repeated ``pip compile`` is answered from its record (:mod:`pyffin.cli.recompile`) before
argparse, as the command answers it — and never once anything its answer depends on changed:
the requirements (nested ones too), the configuration, a cache entry, a page's freshness, the
output file's content, the environment variables, the working directory, the command line.

Local files are trusted as soon as they are written here (``SETTLED_NS`` is 0; the waiting is
:mod:`pyffin.stamps`' own, tested there and by the no-op replay's tests), so each edit below
changes the file's size: two writes within one tick of the file system's clock would
otherwise look the same.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pyffin.cli import main as cli_main
from pyffin.cli import recompile
from pyffin.cli import replay as records
from pyffin.stamps import SETTLED_NS
from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 0)


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib>=1"]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    return index_server


class Runs:
    """What each compile did: answered from its record (``0``) or run (``None``), and how
    many times the argument parser was built (only a command that runs builds it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.replays: list[int | None] = []
        self.parsers = 0
        real_replay, real_parser = recompile.replay, cli_main.command_parser

        def replay(*args: Any) -> int | None:
            answer = real_replay(*args)
            self.replays.append(answer)
            return answer

        def parser(*args: Any) -> Any:
            self.parsers += 1
            return real_parser(*args)

        monkeypatch.setattr(recompile, "replay", replay)
        monkeypatch.setattr(cli_main, "command_parser", parser)

    def clear(self) -> None:
        self.replays.clear()
        self.parsers = 0


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(monkeypatch)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.in"
    path.write_text("app\n")
    return path


def attempt(tmp_path: Path, index: IndexServer, source: Path, *args: str | Path) -> Result:
    return pyffin("pip", "compile", source, "-o", tmp_path / "out.txt", *common(tmp_path, index),
                  *args)


def common(tmp_path: Path, index: IndexServer) -> list[str | Path]:
    """The arguments of every compile here (a ``--python`` path: one found on ``PATH`` is
    never recorded)."""
    return ["--index-url", index.index_url, "--cache-dir", tmp_path / "cache", "--python",
            sys.executable]


def run(tmp_path: Path, index: IndexServer, source: Path, *args: str | Path) -> Result:
    result = attempt(tmp_path, index, source, *args)
    assert result.returncode == 0, result
    return result


def run_anew(tmp_path: Path, index: IndexServer, source: Path, *args: str | Path) -> Result:
    """:func:`run` without the output file, whose pins the command would keep."""
    (tmp_path / "out.txt").unlink(missing_ok=True)
    return run(tmp_path, index, source, *args)


def recorded(tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
             *args: str | Path) -> Result:
    """Run the compile until it is answered from its record; that answer."""
    run(tmp_path, index, source, *args)
    runs.clear()
    index.reset_counts()
    result = run(tmp_path, index, source, *args)
    assert runs.replays == [0] and runs.parsers == 0 and index.count() == 0
    runs.clear()
    return result


def out(tmp_path: Path) -> str:
    return (tmp_path / "out.txt").read_text()


def without_elapsed(text: str) -> str:
    return "\n".join(line.rpartition(" in ")[0] if line.startswith("Resolved ") else line
                     for line in text.splitlines())


def record_files(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "cache" / records.BUCKET / "compile").glob("*.rec"))


@pytest.mark.parametrize("args", [(), ("-q",), ("--no-header", "--no-annotate")])
def test_a_repeated_compile_is_answered_from_its_record_as_the_command_answers_it(
        args: tuple[str, ...], tmp_path: Path, index: IndexServer, source: Path,
        runs: Runs) -> None:
    first = run(tmp_path, index, source, *args)  # solves, keeps the resolution: recorded
    written = (tmp_path / "out.txt").read_bytes()
    index.reset_counts()
    replayed = run(tmp_path, index, source, *args)
    assert runs.replays == [None, 0]
    assert runs.parsers == 1  # the first run's: the replay parses no arguments
    assert index.count() == 0
    assert (tmp_path / "out.txt").read_bytes() == written
    assert replayed.stdout == first.stdout
    assert without_elapsed(replayed.stderr) == without_elapsed(first.stderr)
    if "-q" not in args:
        assert "app==1.0" in replayed.stdout
        assert replayed.stderr.startswith("Resolved 2 packages in ")
    else:
        assert (replayed.stdout, replayed.stderr) == ("", "")


def test_the_replay_writes_a_removed_output_file_again(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs) -> None:
    """The benchmark's case: the output file removed before each run."""
    run(tmp_path, index, source)
    written = out(tmp_path)
    for _ in range(2):
        (tmp_path / "out.txt").unlink()
        run(tmp_path, index, source)
        assert out(tmp_path) == written
    assert runs.replays == [None, 0, 0]


def test_a_compile_to_stdout_is_replayed_too(tmp_path: Path, index: IndexServer,
                                             source: Path, runs: Runs) -> None:
    args = ["pip", "compile", source, *common(tmp_path, index)]
    first, second = pyffin(*args), pyffin(*args)
    assert runs.replays == [None, 0]
    assert second.stdout == first.stdout and "lib==1.0" in second.stdout
    assert without_elapsed(second.stderr) == without_elapsed(first.stderr)


def test_a_hit_of_the_resolution_cache_is_recorded_too(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs) -> None:
    run(tmp_path, index, source)
    for path in record_files(tmp_path):
        path.unlink()
    run(tmp_path, index, source)  # the resolution cache answers: recorded again
    run(tmp_path, index, source)
    assert runs.replays == [None, None, 0]


def test_an_edited_requirements_file_is_seen(tmp_path: Path, index: IndexServer,
                                             source: Path, runs: Runs) -> None:
    recorded(tmp_path, index, source, runs)
    source.write_text("app\nother\n")
    run(tmp_path, index, source)
    assert runs.replays == [None]
    assert "other==1.0" in out(tmp_path)


def test_an_edited_nested_requirements_file_is_seen(tmp_path: Path, index: IndexServer,
                                                    runs: Runs) -> None:
    nested = tmp_path / "base.in"
    nested.write_text("lib\n")
    top = tmp_path / "top.in"
    top.write_text("-r base.in\napp\n")
    recorded(tmp_path, index, top, runs)
    nested.write_text("lib\nother\n")
    run(tmp_path, index, top)
    assert runs.replays == [None]
    assert "other==1.0" in out(tmp_path)


def test_an_edited_constraints_file_is_seen(tmp_path: Path, index: IndexServer,
                                            source: Path, runs: Runs) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib<3\n")
    recorded(tmp_path, index, source, runs, "-c", constraints)
    assert "lib==2.0" in out(tmp_path)
    constraints.write_text("lib<2.0\n")
    run_anew(tmp_path, index, source, "-c", constraints)
    assert runs.replays == [None]
    assert "lib==1.0" in out(tmp_path)


def test_a_configuration_file_that_appears_is_seen(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    monkeypatch.chdir(tmp_path)
    recorded(tmp_path, index, source, runs)
    assert "lib==2.0" in out(tmp_path)
    (tmp_path / "pyffin.toml").write_text('resolution = "lowest"\n')
    run_anew(tmp_path, index, source)
    assert runs.replays == [None]
    assert "lib==1.0" in out(tmp_path)


def test_an_edited_pip_configuration_file_is_seen(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    configuration = tmp_path / "pip.conf"
    configuration.write_text("[global]\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(configuration))
    recorded(tmp_path, index, source, runs)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib<2\n")
    configuration.write_text(f"[global]\nconstraint = {constraints}\n")
    run_anew(tmp_path, index, source)
    assert runs.replays == [None]
    assert "lib==1.0" in out(tmp_path)


def test_a_page_rewritten_by_a_refresh_is_seen(tmp_path: Path, index: IndexServer,
                                               source: Path, runs: Runs) -> None:
    recorded(tmp_path, index, source, runs)
    index.add_wheel(WheelSpec("lib", "2.0"))
    # Another command line (not replayed) refreshes the pages in the shared cache.
    refreshed = pyffin("pip", "compile", source, *common(tmp_path, index), "--refresh")
    assert "lib==2.0" in refreshed.stdout
    run_anew(tmp_path, index, source)
    assert runs.replays == [None, None]
    assert "lib==2.0" in out(tmp_path)


def test_a_page_past_its_max_age_is_a_miss(tmp_path: Path, index: IndexServer, source: Path,
                                           runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    index.set_max_age(60)
    recorded(tmp_path, index, source, runs)
    index.add_wheel(WheelSpec("lib", "2.0"))
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    index.reset_counts()
    run_anew(tmp_path, index, source)
    assert runs.replays == [None]
    assert index.count("/simple/lib/") == 1  # asked again: the new release is seen
    assert "lib==2.0" in out(tmp_path)


def test_a_page_revalidated_after_its_max_age_is_replayed_again(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server says it has not changed: fresh again, per the policy stored beside it."""
    index.set_max_age(60)
    recorded(tmp_path, index, source, runs)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    index.reset_counts()
    run_anew(tmp_path, index, source)  # asks the server, which answers "not modified"
    assert index.count() > 0
    index.reset_counts()
    run_anew(tmp_path, index, source)
    assert runs.replays == [None, 0] and index.count() == 0


def test_pages_not_modified_after_their_max_age_are_replayed_again_without_solving(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The command asks about the pages only (the files are immutable, as on PyPI), uses its
    kept resolution, and records the replay with the pages' new freshness."""
    from pyffin.api import operations

    index.set_cache_control("max-age=365000000, immutable", "/files/")
    index.set_max_age(60, "/simple/")
    recorded(tmp_path, index, source, runs)
    written = out(tmp_path)
    solves = []
    original = operations.resolve
    monkeypatch.setattr(operations, "resolve",
                        lambda *a, **k: solves.append(1) or original(*a, **k))
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    index.reset_counts()
    run(tmp_path, index, source)
    assert sorted(r.path for r in index.request_log) == ["/simple/app/", "/simple/lib/"]
    assert all("if-none-match" in r.headers for r in index.request_log)
    assert solves == [] and out(tmp_path) == written
    index.reset_counts()
    run(tmp_path, index, source)
    assert runs.replays == [None, 0] and index.count() == 0


def test_a_page_another_command_revalidated_is_fresh_again_for_the_replay(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept resolution holds by the newer policy stored beside its pages; so does the
    replay recorded from it."""
    index.set_max_age(60)
    recorded(tmp_path, index, source, runs)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    other = tmp_path / "other.in"
    other.write_text("app\nother\n")
    # Another resolution asks the server about app's and lib's pages: not modified.
    assert pyffin("pip", "compile", other, *common(tmp_path, index)).returncode == 0
    index.reset_counts()
    run_anew(tmp_path, index, source)  # the kept resolution answers: recorded again
    run_anew(tmp_path, index, source)
    assert runs.replays == [None, None, 0] and index.count() == 0


def test_an_output_file_the_user_edited_is_a_miss(tmp_path: Path, index: IndexServer,
                                                  source: Path, runs: Runs) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    recorded(tmp_path, index, source, runs)
    assert "lib==2.0" in out(tmp_path)
    # The user pins lib back: a preference the command keeps.
    (tmp_path / "out.txt").write_text("app==1.0\nlib==1.0\n")
    run(tmp_path, index, source)
    assert runs.replays == [None]
    assert "lib==1.0" in out(tmp_path)


def test_the_output_file_as_it_was_before_the_recorded_run_is_replayed(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs) -> None:
    """Its pins were the recorded run's preferences: the same inputs, the same answer."""
    index.add_wheel(WheelSpec("lib", "2.0"))
    before = "app==1.0\nlib==1.0\n"
    (tmp_path / "out.txt").write_text(before)
    run(tmp_path, index, source)
    answer = out(tmp_path)
    assert "lib==1.0" in answer
    (tmp_path / "out.txt").write_text(before)
    run(tmp_path, index, source)
    assert out(tmp_path) == answer
    (tmp_path / "out.txt").unlink()  # no preferences: not the recorded run's inputs
    run(tmp_path, index, source)
    assert runs.replays == [None, 0, None]
    assert "lib==2.0" in out(tmp_path)


def test_the_output_is_written_through_a_link(tmp_path: Path, index: IndexServer,
                                              source: Path, runs: Runs) -> None:
    target = tmp_path / "real.txt"
    (tmp_path / "out.txt").symlink_to(target)
    run(tmp_path, index, source)
    target.unlink()
    run(tmp_path, index, source)
    assert runs.replays == [None, 0]
    assert (tmp_path / "out.txt").is_symlink() and "lib==1.0" in target.read_text()


@pytest.mark.parametrize("variable", ["SOME_SETTING", "PYFFIN_RESOLUTION"])
def test_another_environment_variable_is_another_command(
        variable: str, tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    recorded(tmp_path, index, source, runs)
    monkeypatch.setenv(variable, "lowest")
    run_anew(tmp_path, index, source)
    assert runs.replays == [None]
    assert ("lib==1.0" if variable == "PYFFIN_RESOLUTION" else "lib==2.0") in out(tmp_path)


def test_another_working_directory_is_another_command(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorded(tmp_path, index, source, runs)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    run(tmp_path, index, source)
    assert runs.replays == [None]


def test_another_command_line_is_another_command(tmp_path: Path, index: IndexServer,
                                                 source: Path, runs: Runs) -> None:
    recorded(tmp_path, index, source, runs)
    result = run(tmp_path, index, source, "--no-annotate")
    assert runs.replays == [None]
    assert "# via" not in result.stdout


@pytest.mark.parametrize("args", [("--upgrade",), ("-P", "lib"), ("--refresh",), ("-v",),
                                  ("--format", "pylock.toml", "-o", "pylock.toml")])
def test_what_the_command_must_work_out_again_is_never_recorded(
        args: tuple[str, ...], tmp_path: Path, index: IndexServer, source: Path,
        runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(3):
        run(tmp_path, index, source, *args)
    assert runs.replays == [None, None, None]
    assert record_files(tmp_path) == []


def test_a_universal_compile_is_replayed_but_not_from_its_own_output(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs) -> None:
    run_anew(tmp_path, index, source, "--universal")
    runs.clear()
    first = run_anew(tmp_path, index, source, "--universal")
    assert runs.replays == [0] and runs.parsers == 0
    written = out(tmp_path)
    # Its own output as preferences (pins with markers) is another resolution cache key: the
    # command runs, once; then the output file as it was before is the same input again.
    runs.clear()
    again = run(tmp_path, index, source, "--universal")
    assert runs.replays == [None] and again.stdout == first.stdout
    runs.clear()
    run(tmp_path, index, source, "--universal")
    assert runs.replays == [0] and out(tmp_path) == written


def test_a_run_that_warned_is_not_recorded(tmp_path: Path, index: IndexServer, source: Path,
                                           runs: Runs) -> None:
    run(tmp_path, index, source)
    assert record_files(tmp_path) != []
    for path in record_files(tmp_path):
        path.unlink()
    (tmp_path / "pyffin.toml").write_text("bogus = 1\n")  # an unknown setting: a warning
    result = run(tmp_path, index, source, "--config-file", tmp_path / "pyffin.toml")
    assert "warning:" in result.stderr
    assert record_files(tmp_path) == []


def test_a_replay_imports_neither_argparse_nor_the_resolver(
        tmp_path: Path, index: IndexServer, source: Path) -> None:
    import json
    import subprocess

    from tests.support.cli import child_env

    probe = ("import json, sys\nbefore = set(sys.modules)\n"
             "from pyffin.cli.main import main\ncode = main(sys.argv[1:])\n"
             "print(json.dumps([code, sorted(set(sys.modules) - before)]), file=sys.stderr)\n")
    argv = ["pip", "compile", str(source), "-o", str(tmp_path / "out.txt"),
            *map(str, common(tmp_path, index))]
    time.sleep(SETTLED_NS / 1e9 + 0.02)  # the child trusts the requirements file only then
    for _ in range(2):  # recorded by the first, replayed by the second
        proc = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                              text=True, env=child_env())
    code, imported = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0 and "Resolved 2 packages in " in proc.stderr
    pyffin_modules = {m for m in imported if m.startswith("pyffin")}
    assert pyffin_modules == {"pyffin", "pyffin._version", "pyffin.cli", "pyffin.cli.main",
                              "pyffin.cli.registry", "pyffin.cli.recompile",
                              "pyffin.cli.replay", "pyffin.stamps", "pyffin.fs",
                              "pyffin.errors"}
    assert not {"argparse", "pathlib", "typing", "pickle", "re"} & set(imported), imported
    assert os.path.exists(tmp_path / "out.txt")


def test_the_interpreter_of_the_active_environment_is_stamped(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    args = ["pip", "compile", source, "--index-url", index.index_url, "--cache-dir",
            tmp_path / "cache"]
    assert pyffin(*args).returncode == pyffin(*args).returncode == 0
    assert runs.replays == [None, 0]
    # A nearer environment would not be chosen over the active one, but is stamped anyway.
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /nowhere\n")
    assert pyffin(*args).returncode == 0
    assert runs.replays[-1] is None


def test_an_interpreter_found_on_path_is_never_recorded(
        tmp_path: Path, index: IndexServer, source: Path, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    args = ["pip", "compile", source, "--index-url", index.index_url, "--cache-dir",
            tmp_path / "cache"]
    for _ in range(2):
        assert pyffin(*args).returncode == 0
    assert runs.replays == [None, None] and record_files(tmp_path) == []


@pytest.mark.parametrize("kind", ["pyproject.toml", "script.py", "-"])
def test_a_project_a_script_or_standard_input_is_never_recorded(
        kind: str, tmp_path: Path, index: IndexServer, runs: Runs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A project's dependencies may need a build (and read more than the file); standard
    input has no stamp."""
    import io

    if kind == "pyproject.toml":
        (tmp_path / kind).write_text('[project]\nname = "p"\nversion = "1"\n'
                                     'dependencies = ["app"]\n')
    elif kind == "script.py":
        (tmp_path / kind).write_text('# /// script\n# dependencies = ["app"]\n# ///\n')
    for _ in range(2):
        monkeypatch.setattr("sys.stdin", io.StringIO("app\n"))
        run(tmp_path, index, tmp_path / kind if kind != "-" else Path("-"))
    assert runs.replays == [None, None] and record_files(tmp_path) == []
    assert "lib==1.0" in out(tmp_path)
