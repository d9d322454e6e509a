"""Standard inputs end to end (issue 15): dependency groups (PEP 735), inline script metadata
(PEP 723), ``compile --no-deps``, ``--exclude-newer`` durations and per-package cutoffs, and
``setup.py`` / ``setup.cfg`` sources.

Where uv is the reference, the same command runs through uv 0.13 against the same local index
and both must pin the same versions. uv is looked for on PATH and in the benchmark tools
(``bench/.data/tools/bin/uv``, here or in the lead's tree); without it those comparisons are
skipped and pyffin's pins are still checked against the expected ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec, write_source_tree
from tests.support.index import IndexServer
from tests.support.uv import UV

PYPROJECT = """\
    [project]
    name = "proj"
    version = "0.1"
    dependencies = ["app"]

    [project.optional-dependencies]
    old = ["lib==1.0"]

    [dependency-groups]
    Test = ["pytest", {include-group = "LINT"}]
    lint = ["ruff"]
    docs = ["sphinx"]
    """

SCRIPT = """\
    #!/usr/bin/env python3
    # /// script
    # requires-python = ">=3.8"
    # dependencies = [
    #   "app<2",
    #   "ruff",
    # ]
    # ///
    import app
    """


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    s = index_server
    s.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib>=1", "util"]))
    s.add_wheel(WheelSpec("app", "2.0", requires_dist=["lib>=2", "util"]))
    s.add_wheel(WheelSpec("lib", "1.0"))
    s.add_wheel(WheelSpec("lib", "2.0"))
    s.add_wheel(WheelSpec("util", "1.0"))
    s.add_wheel(WheelSpec("pytest", "8.0", requires_dist=["util"]))
    s.add_wheel(WheelSpec("ruff", "0.5"))
    s.add_wheel(WheelSpec("sphinx", "7.0"))
    return s


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a pyproject.toml that has dependency groups."""
    directory = tmp_path / "proj"
    directory.mkdir()
    (directory / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    monkeypatch.chdir(directory)
    return directory




def compile_(index: IndexServer, *args: str | Path, cache: Path) -> Result:
    return pyffin("pip", "compile", *args, "--index-url", index.index_url, "--no-config",
                  "--no-header", "--no-annotate", "--cache-dir", cache)


def pins(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and line[0] not in "# -"]


def uv_pins(index: IndexServer, *args: str | Path, cache: Path) -> list[str] | None:
    """The pins of ``uv pip compile ARGS`` (``None`` without uv)."""
    if UV is None:
        return None
    result = subprocess.run(
        [UV, "pip", "compile", *map(str, args), "--index-url", index.index_url, "--no-config",
         "--no-header", "--no-annotate", "--python", sys.executable, "--cache-dir", cache],
        capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    assert result.returncode == 0, result.stderr
    return pins(result.stdout)


def same_pins(index: IndexServer, tmp_path: Path, *args: str | Path,
              expected: list[str]) -> None:
    """pyffin pins ``expected`` for ``compile ARGS``, and so does uv."""
    result = compile_(index, *args, cache=tmp_path / "cache")
    assert result.returncode == 0, result
    assert pins(result.stdout) == expected
    reference = uv_pins(index, *args, cache=tmp_path / "uv-cache")
    assert reference in (None, expected)


def changes(stderr: str) -> list[str]:
    """The `` + name==version`` / `` - name==version`` lines of an install summary."""
    return sorted(line.strip() for line in stderr.splitlines()
                  if re.match(r"\s[+-] \S+==", line))


def same_changes(index: IndexServer, venv: Path, command: str, *args: str | Path,
                 expected: list[str]) -> None:
    """``pip COMMAND ARGS --dry-run`` would make the changes ``expected`` (uv's too)."""
    result = pyffin("pip", command, *args, "--dry-run", "--python", venv / "bin" / "python",
                    "--index-url", index.index_url, "--no-config", "--cache-dir",
                    venv.parent / "cache")
    assert result.returncode == 0, result
    assert changes(result.stderr) == expected
    if UV is not None:
        reference = subprocess.run(
            [UV, "pip", command, *map(str, args), "--dry-run", "--python",
             venv / "bin" / "python", "--index-url", index.index_url, "--no-config",
             "--cache-dir", venv.parent / "uv-cache"],
            capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
        assert reference.returncode == 0, reference.stderr
        assert changes(reference.stderr) == expected


# -------------------------------------------------------------------- dependency groups
def test_compile_a_project_with_a_group(index: IndexServer, project: Path,
                                        tmp_path: Path) -> None:
    same_pins(index, tmp_path, "pyproject.toml", "--group", "test",
              expected=["app==2.0", "lib==2.0", "pytest==8.0", "ruff==0.5", "util==1.0"])


def test_compile_a_group_alone_reads_the_current_directory(index: IndexServer, project: Path,
                                                           tmp_path: Path) -> None:
    same_pins(index, tmp_path, "--group", "Test", "--group", "docs",
              expected=["pytest==8.0", "ruff==0.5", "sphinx==7.0", "util==1.0"])


def test_compile_a_group_named_with_its_file(index: IndexServer, project: Path,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    same_pins(index, tmp_path, "--group", "../proj/pyproject.toml:lint",
              expected=["ruff==0.5"])


def test_compile_a_group_with_extras(index: IndexServer, project: Path, tmp_path: Path
                                     ) -> None:
    same_pins(index, tmp_path, "pyproject.toml", "--group", "docs", "--extra", "old",
              expected=["app==1.0", "lib==1.0", "sphinx==7.0", "util==1.0"])


def test_group_annotations_name_the_file_and_group(index: IndexServer, project: Path,
                                                   tmp_path: Path) -> None:
    result = pyffin("pip", "compile", "pyproject.toml", "--group", "lint", "--index-url",
                    index.index_url, "--no-header", "--cache-dir", tmp_path / "cache")
    assert "ruff==0.5\n    # via proj (pyproject.toml:lint)\n" in result.stdout  # as uv


def test_only_all_and_no_group(index: IndexServer, project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert pins(compile_(index, "pyproject.toml", "--only-group", "docs", cache=cache)
                .stdout) == ["sphinx==7.0"]
    assert pins(compile_(index, "--all-groups", "--no-group", "test", cache=cache).stdout) == [
        "ruff==0.5", "sphinx==7.0"]
    conflict = compile_(index, "--only-group", "docs", "--group", "lint", cache=cache)
    assert conflict.returncode == 2
    assert "--only-group cannot be combined with --group" in conflict.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--group", "nope"), "error: dependency group 'nope' is not defined in pyproject.toml "
                          "(defined: Test, lint, docs)"),
    (("--group", "bad_"), "error: invalid --group 'bad_': 'bad_' is not a valid group name"),
    (("--group", "setup.cfg:dev"), "the path before ':' must name a pyproject.toml"),
])
def test_bad_groups(index: IndexServer, project: Path, tmp_path: Path, args: tuple[str, ...],
                    message: str) -> None:
    result = compile_(index, *args, cache=tmp_path / "cache")
    assert result.returncode != 0
    assert message in result.stderr


def test_a_cycle_of_groups_is_an_error(index: IndexServer, project: Path, tmp_path: Path
                                       ) -> None:
    (project / "pyproject.toml").write_text(
        '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n')
    result = compile_(index, "--group", "a", cache=tmp_path / "cache")
    assert result.returncode == 2
    assert ("error: pyproject.toml: [dependency-groups] include a cycle: a -> b -> a"
            in result.stderr)


def test_install_and_sync_a_group(index: IndexServer, project: Path, venv: Path) -> None:
    same_changes(index, venv, "install", "--group", "test",
                 expected=["+ pytest==8.0", "+ ruff==0.5", "+ util==1.0"])
    same_changes(index, venv, "install", "-r", "pyproject.toml", "--group", "lint",
                 expected=["+ app==2.0", "+ lib==2.0", "+ ruff==0.5", "+ util==1.0"])
    # sync adds no dependencies: pytest's util is not installed.
    (project / "requirements.txt").write_text("lib==1.0\n")
    same_changes(index, venv, "sync", "requirements.txt", "--group", "test",
                 expected=["+ lib==1.0", "+ pytest==8.0", "+ ruff==0.5"])


def test_install_only_group_changes_the_environment(index: IndexServer, project: Path,
                                                    venv: Path) -> None:
    result = pyffin("pip", "install", "--only-group", "docs", "--python",
                    venv / "bin" / "python", "--index-url", index.index_url,
                    "--cache-dir", venv.parent / "cache")
    assert result.returncode == 0, result
    freeze = pyffin("pip", "freeze", "--python", venv / "bin" / "python")
    assert freeze.stdout == "sphinx==7.0\n"


# ------------------------------------------------------------------- inline script metadata
@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "tool.py"
    path.write_text(textwrap.dedent(SCRIPT))
    return path


def test_compile_a_script(index: IndexServer, script: Path, tmp_path: Path) -> None:
    same_pins(index, tmp_path, script,
              expected=["app==1.0", "lib==2.0", "ruff==0.5", "util==1.0"])


def test_a_script_is_not_read_as_a_requirements_file(index: IndexServer, script: Path,
                                                     tmp_path: Path) -> None:
    result = pyffin("pip", "compile", script, "--index-url", index.index_url, "--no-header",
                    "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    assert f"app==1.0\n    # via {script}\n" in result.stdout


def test_install_and_sync_a_script(index: IndexServer, script: Path, venv: Path) -> None:
    same_changes(index, venv, "install", "-r", script,
                 expected=["+ app==1.0", "+ lib==2.0", "+ ruff==0.5", "+ util==1.0"])
    same_changes(index, venv, "sync", script, expected=["+ app==1.0", "+ ruff==0.5"])


def test_a_script_must_admit_the_target_python(index: IndexServer, script: Path,
                                               tmp_path: Path, venv: Path) -> None:
    # uv pip ignores a script's requires-python; pyffin refuses, as `uv run` does.
    script.write_text(textwrap.dedent(SCRIPT).replace(">=3.8", ">=3.99"))
    result = compile_(index, script, cache=tmp_path / "cache")
    assert result.returncode == 2
    assert f"error: {script} requires Python >=3.99 (requires-python), but the target is " \
        in result.stderr
    assert pins(compile_(index, script, "--python-version", "3.99",
                         cache=tmp_path / "cache").stdout) == [
        "app==1.0", "lib==2.0", "ruff==0.5", "util==1.0"]
    installed = pyffin("pip", "install", "-r", script, "--python", venv / "bin" / "python",
                       "--index-url", index.index_url, "--cache-dir", tmp_path / "cache")
    assert installed.returncode == 2 and "requires Python >=3.99" in installed.stderr


@pytest.mark.parametrize(("text", "message"), [
    ('# /// script\n# dependencies = ["app"]\nimport app\n# ///\n',
     "tool.py:1: unclosed '# /// script' block"),
    ('# /// script\n# dependencies = ["app"]\n# ///\n# /// script\n# dependencies = []\n# ///\n',
     "tool.py:4: a second '# /// script' block"),
    ('import os\n\n# /// script\n# dependencies = ["app"\n# ///\n',
     "tool.py:5: invalid TOML in the '# /// script' block"),
    ("import os\n", "tool.py does not contain inline script metadata"),
])
def test_a_malformed_script_names_the_file_and_line(index: IndexServer, tmp_path: Path,
                                                    text: str, message: str) -> None:
    (tmp_path / "tool.py").write_text(text)
    result = compile_(index, tmp_path / "tool.py", cache=tmp_path / "cache")
    assert result.returncode == 2
    assert message in result.stderr


# ------------------------------------------------------------------------------- --no-deps
def test_compile_no_deps_pins_only_the_listed_requirements(index: IndexServer,
                                                           tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("app<2\npytest\n")
    same_pins(index, tmp_path, source, "--no-deps", expected=["app==1.0", "pytest==8.0"])


# ----------------------------------------------------------------------------- cutoffs
@pytest.fixture
def dated(index_server: IndexServer) -> IndexServer:
    now = datetime.now(timezone.utc)
    for name, version, uploaded in [
            ("dated", "0.9", datetime(2024, 2, 28, 10, tzinfo=timezone.utc)),
            ("dated", "1.0", datetime(2024, 3, 1, 10, tzinfo=timezone.utc)),
            ("recent", "1.0", now - timedelta(days=10)),
            ("recent", "2.0", now - timedelta(days=5)),
            ("recent", "3.0", now - timedelta(hours=1)),
            ("other", "1.0", now - timedelta(days=10)),
            ("other", "2.0", now - timedelta(hours=1))]:
        index_server.add_wheel(WheelSpec(name, version), upload_time=uploaded)
    return index_server


@pytest.mark.parametrize(("args", "expected"), [
    (("--exclude-newer", "7 days"), ["dated==1.0", "other==1.0", "recent==1.0"]),
    (("--exclude-newer", "2 days"), ["dated==1.0", "other==1.0", "recent==2.0"]),
    (("--exclude-newer", "P1W"), ["dated==1.0", "other==1.0", "recent==1.0"]),
    (("--exclude-newer", "false"), ["dated==1.0", "other==2.0", "recent==3.0"]),
    (("--exclude-newer", "7 days", "--exclude-newer-package", "other=false"),
     ["dated==1.0", "other==2.0", "recent==1.0"]),
    (("--exclude-newer-package", "Other=1 day"), ["dated==1.0", "other==1.0", "recent==3.0"]),
    (("--exclude-newer-package", "dated=2024-02-29T23:00:00Z"),
     ["dated==0.9", "other==2.0", "recent==3.0"]),
])
def test_exclude_newer_durations_and_packages(dated: IndexServer, tmp_path: Path,
                                              args: tuple[str, ...], expected: list[str]
                                              ) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("dated\nrecent\nother\n")
    same_pins(dated, tmp_path, source, *args, expected=expected)


def test_a_date_includes_files_uploaded_that_day(dated: IndexServer, tmp_path: Path) -> None:
    # A date means the end of that day in local time: the uploads at 10:00 UTC fall on the
    # same side of it in every time zone from UTC-14 to UTC+13.
    source = tmp_path / "requirements.in"
    source.write_text("dated\n")
    same_pins(dated, tmp_path, source, "--exclude-newer", "2024-03-01", expected=["dated==1.0"])
    same_pins(dated, tmp_path, source, "--exclude-newer", "2024-02-29", expected=["dated==0.9"])


def test_a_relative_cutoff_writes_no_summaries(dated: IndexServer, tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("recent\n")
    cache = tmp_path / "cache"
    assert pins(compile_(dated, source, "--exclude-newer", "2 days", cache=cache).stdout) == [
        "recent==2.0"]
    assert not list(cache.rglob("recent.*.rec"))
    assert pins(compile_(dated, source, "--exclude-newer", "2020-01-01T00:00:00Z",
                         "--exclude-newer-package", "recent=false", cache=cache).stdout) == [
        "recent==3.0"]
    assert len(list(cache.rglob("recent.*.rec"))) == 1


def test_bad_cutoffs_are_usage_errors(dated: IndexServer, tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("dated\n")
    result = compile_(dated, source, "--exclude-newer", "1 year", cache=tmp_path / "cache")
    assert result.returncode == 2
    assert "years are not allowed" in result.stderr
    result = compile_(dated, source, "--exclude-newer-package", "dated",
                      cache=tmp_path / "cache")
    assert result.returncode == 2
    assert "expected NAME=DATE" in result.stderr


# ------------------------------------------------------------- setup.py / setup.cfg sources
@pytest.fixture
def legacy_project(tmp_path: Path) -> Path:
    """A project whose dependencies only its build backend reports (the in-tree test backend,
    reached through its pyproject.toml, as setuptools would be)."""
    directory = write_source_tree(SdistSpec(
        "legacy", "1.0", requires_dist=["app<2", 'lib==1.0; extra == "pinned"'],
        extras=["pinned"], static_pyproject=False, include_pkg_info=False),
        tmp_path / "legacy")
    (directory / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (directory / "setup.cfg").write_text("[metadata]\nname = legacy\n")
    return directory


@pytest.mark.parametrize("filename", ["setup.py", "setup.cfg", "pyproject.toml"])
def test_compile_a_project_through_its_metadata_hook(index: IndexServer, tmp_path: Path,
                                                     legacy_project: Path, filename: str
                                                     ) -> None:
    same_pins(index, tmp_path, legacy_project / filename,
              expected=["app==1.0", "lib==2.0", "util==1.0"])
    same_pins(index, tmp_path, legacy_project / filename, "--extra", "pinned",
              expected=["app==1.0", "lib==1.0", "util==1.0"])


def test_a_project_that_cannot_report_its_metadata(index: IndexServer, tmp_path: Path) -> None:
    # No pyproject.toml: the default backend is setuptools, which the index does not have.
    directory = tmp_path / "old"
    directory.mkdir()
    (directory / "setup.py").write_text("from setuptools import setup\nsetup(name='old')\n")
    result = compile_(index, directory / "setup.py", cache=tmp_path / "cache")
    assert result.returncode == 1
    assert (f"error: {directory / 'setup.py'}: the project cannot report its metadata"
            in result.stderr)
    assert "setuptools" in result.stderr


def test_a_missing_setup_py(index: IndexServer, tmp_path: Path) -> None:
    result = compile_(index, tmp_path / "nowhere" / "setup.py", cache=tmp_path / "cache")
    assert result.returncode == 2
    assert "setup.py not found" in result.stderr
