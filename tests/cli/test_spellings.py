"""The spellings people type: uv's and pip's names for pyffin's options, each used for real
against the local index (issue 16)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer
from tests.support.uv import UV, uv_env


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib"]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    return index_server


@pytest.fixture
def other_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """A second index, which has only lib 3.0."""
    with IndexServer(dist_dir=tmp_path_factory.mktemp("other-files")) as server:
        server.add_wheel(WheelSpec("lib", "3.0"))
        yield server


def compile_(tmp_path: Path, *args: str | Path) -> Result:
    (tmp_path / "req.in").write_text("app\n")
    return pyffin("pip", "compile", tmp_path / "req.in", "--no-header", "--no-annotate",
                  "--no-config", *args, cache_dir=tmp_path / "cache")


def pins(result: Result) -> list[str]:
    assert result.returncode == 0, result
    return [line for line in result.stdout.splitlines() if line and line[0] not in "#-"]


def install(venv: Path, index: IndexServer, *args: str | Path) -> Result:
    return pyffin("pip", "install", "--python", venv / "bin" / "python", "--index-url",
                  index.index_url, "--no-config", *args, cache_dir=venv.parent / "cache")


def installed(venv: Path) -> list[str]:
    result = pyffin("pip", "freeze", "--python", venv / "bin" / "python")
    assert result.returncode == 0, result
    return result.stdout.split()


# ------------------------------------------------------------------------------ uv's names
def test_constraints_and_overrides_are_uvs_names(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("lib<2\n")
    assert pins(compile_(tmp_path, "-i", index.index_url, "--constraints", tmp_path / "c.txt")
                ) == ["app==1.0", "lib==1.0"]
    (tmp_path / "o.txt").write_text("lib==1.0\n")
    assert pins(compile_(tmp_path, "-i", index.index_url, "--overrides", tmp_path / "o.txt")
                ) == ["app==1.0", "lib==1.0"]


def test_install_and_sync_take_constraints_and_requirements(index: IndexServer, venv: Path,
                                                            tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_text("app\n")
    (tmp_path / "c.txt").write_text("lib==1.0\n")
    result = install(venv, index, "--requirements", tmp_path / "req.txt",
                     "--constraints", tmp_path / "c.txt")
    assert result.returncode == 0, result
    assert installed(venv) == ["app==1.0", "lib==1.0"]
    (tmp_path / "pins.txt").write_text("lib==2.0\n")
    synced = pyffin("pip", "sync", tmp_path / "pins.txt", "--constraints", tmp_path / "c.txt",
                    "--python", venv / "bin" / "python", "--index-url", index.index_url,
                    "--no-config", cache_dir=tmp_path / "cache")
    assert synced.returncode == 1  # the constraint says 1.0: proof --constraints was read
    assert "lib" in synced.stderr


def test_uninstall_takes_requirements_and_yes(index: IndexServer, venv: Path,
                                              tmp_path: Path) -> None:
    assert install(venv, index, "app").returncode == 0
    (tmp_path / "gone.txt").write_text("app\n")
    result = pyffin("pip", "uninstall", "-y", "--requirements", tmp_path / "gone.txt",
                    "--python", venv / "bin" / "python")
    assert result.returncode == 0, result
    assert installed(venv) == ["lib==2.0"]
    assert pyffin("pip", "uninstall", "--yes", "lib", "--python",
                  venv / "bin" / "python").returncode == 0
    assert installed(venv) == []


def test_index_comes_before_the_default_index(index: IndexServer, other_index: IndexServer,
                                              tmp_path: Path) -> None:
    # first-index: the first index that has lib gives every version of it.
    assert pins(compile_(tmp_path, "--default-index", index.index_url,
                         "--index", other_index.index_url)) == ["app==1.0", "lib==3.0"]
    # uv's named form: the name is dropped, the URL used.
    assert pins(compile_(tmp_path, "--default-index", index.index_url,
                         "--index", f"other={other_index.index_url}")) == ["app==1.0", "lib==3.0"]
    # --index also comes before --extra-index-url, and earlier --index values first.
    assert pins(compile_(tmp_path, "--default-index", other_index.index_url,
                         "--index", index.index_url, "--extra-index-url",
                         other_index.index_url)) == ["app==1.0", "lib==2.0"]


def test_default_index_alone_is_the_index_url(index: IndexServer, tmp_path: Path) -> None:
    assert pins(compile_(tmp_path, "--default-index", index.index_url)) == [
        "app==1.0", "lib==2.0"]


def test_a_bad_index_name_is_a_usage_error(tmp_path: Path) -> None:
    result = compile_(tmp_path, "--index", "my index=http://127.0.0.1:9/simple")
    assert result.returncode == 2
    assert "invalid index name 'my index'" in result.stderr


@pytest.mark.parametrize("strategy, requirement, expected", [
    ("first-index", "app", ["app==1.0", "lib==2.0"]),
    ("unsafe-first-match", "app", ["app==1.0", "lib==2.0"]),  # the first index's versions
    ("unsafe-best-match", "app", ["app==1.0", "lib==3.0"]),
    ("unsafe-first-match", "app\nlib>2", ["app==1.0", "lib==3.0"]),  # then the next index's
])
def test_index_strategies_choose_as_uv(index: IndexServer, other_index: IndexServer,
                                       tmp_path: Path, strategy: str, requirement: str,
                                       expected: list[str]) -> None:
    # --extra-index-url comes first: `index` (lib 1.0, 2.0), then `other_index` (lib 3.0).
    args = ("-i", other_index.index_url, "--extra-index-url", index.index_url,
            "--index-strategy", strategy)
    (tmp_path / "req.in").write_text(requirement + "\n")
    result = pyffin("pip", "compile", tmp_path / "req.in", "--no-header", "--no-annotate",
                    "--no-config", *args, cache_dir=tmp_path / "cache")
    assert pins(result) == expected
    if UV is not None:
        uv = subprocess.run([str(UV), "pip", "compile", str(tmp_path / "req.in"), "--no-header",
                             "--no-annotate", *args, "--cache-dir", str(tmp_path / "uv-cache")],
                            capture_output=True, text=True, env=uv_env(), timeout=120)
        assert uv.returncode == 0, uv.stderr
        assert [line for line in uv.stdout.splitlines() if line] == expected


def test_first_index_does_not_look_past_the_first_index(index: IndexServer,
                                                        other_index: IndexServer,
                                                        tmp_path: Path) -> None:
    (tmp_path / "req.in").write_text("lib>2\n")
    result = pyffin("pip", "compile", tmp_path / "req.in", "--no-config", "-i",
                    other_index.index_url, "--extra-index-url", index.index_url,
                    cache_dir=tmp_path / "cache")
    assert result.returncode == 1 and "lib>2" in result.stderr


def test_config_settings_is_config_setting(tmp_path: Path) -> None:
    from pyffin.cli.main import command_parser

    for words in (("pip", "install"), ("pip", "compile"), ("pip", "sync")):
        _, parser, _ = command_parser(words)
        args = parser.parse_args(["--config-settings", "a=1", "-C", "b=2",
                                  "--config-setting", "c=3"])
        assert args.config_setting == ["a=1", "b=2", "c=3"]


def test_no_progress_hides_the_progress_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.cli.console import Console
    from pyffin.cli.main import _run, command_parser
    from pyffin.cli.progress import DownloadProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    seen: list[bool] = []
    command, parser, bound = command_parser(("cache", "dir"))

    def record(args: object, ctx: object) -> int:
        console = ctx.console  # type: ignore[attr-defined]
        seen.append(DownloadProgress(Console(stderr=Terminal(), quiet=0)).live)
        terminal = Console(stderr=Terminal())
        terminal.progress = console.progress
        seen.append(DownloadProgress(terminal).live)
        return 0

    monkeypatch.setattr(command, "run", record)
    assert _run(command, parser.parse_args(["--no-progress"]), bound) == 0
    monkeypatch.setenv("PYFFIN_NO_PROGRESS", "1")
    assert _run(command, parser.parse_args([]), bound) == 0
    monkeypatch.delenv("PYFFIN_NO_PROGRESS")
    assert _run(command, parser.parse_args([]), bound) == 0
    assert seen == [True, False, True, False, True, True]


def test_config_file_replaces_the_project_file(index: IndexServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyffin.toml").write_text('index-url = "http://127.0.0.1:9/nowhere"\n')
    (tmp_path / "ci.toml").write_text(f'[pip]\nindex-url = "{index.index_url}"\n'
                                      'constraint = ["c.txt"]\n')
    (tmp_path / "c.txt").write_text("lib<2\n")  # relative to the file's directory
    (project / "req.in").write_text("app\n")
    monkeypatch.chdir(project)
    args = ("pip", "compile", "req.in", "--no-header", "--no-annotate")
    result = pyffin(*args, "--config-file", tmp_path / "ci.toml", cache_dir=tmp_path / "c")
    assert pins(result) == ["app==1.0", "lib==1.0"]
    monkeypatch.setenv("PYFFIN_CONFIG_FILE", str(tmp_path / "ci.toml"))
    assert pins(pyffin(*args, cache_dir=tmp_path / "c")) == ["app==1.0", "lib==1.0"]


def test_a_config_file_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    missing = pyffin("cache", "dir", "--config-file", tmp_path / "missing.toml")
    assert missing.returncode == 2
    assert f"cannot read the configuration file {tmp_path / 'missing.toml'}" in missing.stderr
    (tmp_path / "bad.toml").write_text("index-url = \n")
    bad = pyffin("cache", "dir", "--config-file", tmp_path / "bad.toml")
    assert bad.returncode == 2
    assert f"the configuration file {tmp_path / 'bad.toml'} (--config-file) is not valid TOML" \
        in bad.stderr


# ----------------------------------------------------------------------------- pip's names
def test_no_cache_dir_and_n_use_a_temporary_cache(index: IndexServer, venv: Path,
                                                  tmp_path: Path) -> None:
    for flag in ("--no-cache-dir", "-n"):
        printed = pyffin("cache", "dir", flag, cache_dir=tmp_path / "kept").stdout.strip()
        assert printed != str(tmp_path / "kept")
    result = install(venv, index, "lib", "--no-cache-dir")
    assert result.returncode == 0, result
    assert not (venv.parent / "cache" / "archive-v0").exists()
    assert installed(venv) == ["lib==2.0"]


def test_force_reinstall_is_reinstall(index: IndexServer, venv: Path) -> None:
    assert install(venv, index, "lib==1.0").returncode == 0
    again = install(venv, index, "lib==1.0", "--force-reinstall")
    assert again.returncode == 0, again
    assert again.stderr.endswith(" ~ lib==1.0\n"), again


def test_trusted_host_is_allow_insecure_host(index: IndexServer, venv: Path) -> None:
    # pip's name for uv's option (see tests/cli/test_private_indexes.py for HTTPS).
    result = install(venv, index, "lib", "--trusted-host", "127.0.0.1", "-v")
    assert result.returncode == 0, result
    assert "Using allow-insecure-host 127.0.0.1 from --allow-insecure-host" in result.stderr
    assert installed(venv) == ["lib==2.0"]


def test_isolated_ignores_configuration_files(index: IndexServer, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyffin.toml").write_text('index-url = "http://127.0.0.1:9/nowhere"\n')
    (tmp_path / "req.in").write_text("app\n")
    monkeypatch.chdir(tmp_path)
    result = pyffin("pip", "compile", "req.in", "--no-header", "--no-annotate", "--isolated",
                    "--index-url", index.index_url, "-v", cache_dir=tmp_path / "c")
    assert pins(result) == ["app==1.0", "lib==2.0"]
    assert "nowhere" not in result.stderr


def test_disable_pip_version_check_is_accepted(index: IndexServer, venv: Path) -> None:
    result = install(venv, index, "lib", "--disable-pip-version-check")
    assert result.returncode == 0, result


def test_new_flags_stay_out_of_the_compile_header(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text("")
    (tmp_path / "req.in").write_text("app\n")
    result = pyffin("pip", "compile", tmp_path / "req.in", "-i", index.index_url, "--no-progress",
                    "--no-cache-dir", "--isolated", "--config-file", tmp_path / "cfg.toml",
                    "--disable-pip-version-check")
    assert result.returncode == 0, result
    header = [line for line in result.stdout.splitlines() if "pyffin pip compile" in line]
    assert header == [f"#    pyffin pip compile {tmp_path / 'req.in'}"]
