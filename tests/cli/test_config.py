"""Every flag of :data:`pyffin.settings.SETTINGS` has an environment twin and a configuration
key that reach the command, in the documented order (flag > ``PYFFIN_*`` > pyffin.toml /
``[tool.pyffin]`` > user file > pip's configuration), and the README lists exactly that table."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from pyffin.cli import registry
from pyffin.cli.config import apply
from pyffin.cli.main import command_parser
from pyffin.settings import SETTINGS, Configuration, IndexSettings, Setting, markdown_table
from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

README = Path(__file__).parents[2] / "README.md"


def _parsers() -> dict[tuple[str, ...], tuple[argparse.ArgumentParser, Any]]:
    parsers = {}
    for words in registry.COMMANDS:
        _command, parser, bound = command_parser(words)
        parsers[words] = (parser, bound)
    return parsers


PARSERS = _parsers()


def commands_with(setting: Setting) -> list[tuple[str, ...]]:
    return [words for words, (_parser, bound) in PARSERS.items()
            if any(s is setting for s, _default in bound.values())]


def sample(setting: Setting) -> tuple[str, object, object]:
    """A value of ``setting``: as a variable, as TOML, and as the command receives it."""
    if setting.kind == "bool":
        return "true", True, True
    if setting.kind == "choice":
        return setting.choices[-1], setting.choices[-1], setting.choices[-1]
    if setting.kind == "list":
        return "/a /b", ["/a", "/b"], ["/a", "/b"]
    if setting.kind == "names":
        return "six,idna", ["six", "idna"], ["six", "idna"]
    if setting.kind == "binary":
        return ":all:", ":all:", [":all:"]
    if setting.kind == "markers":
        markers = ["sys_platform == 'linux'", "python_version >= '3.12'"]
        return "; ".join(markers), markers, markers
    return "/some/value", "/some/value", "/some/value"


def received(words: tuple[str, ...], setting: Setting, configuration: Configuration) -> object:
    """What the command ``words`` gets for ``setting`` when no flag gives it."""
    if setting.index:
        found = getattr(configuration.index_settings(IndexSettings()),
                        "extra_index_urls" if setting.key == "extra-index-url"
                        else setting.key.replace("-", "_"))
        return list(found) if isinstance(found, tuple) else found
    parser, bound = PARSERS[words]
    required = [a for a in parser._actions if not a.option_strings and a.nargs in (None, "+")]
    args = parser.parse_args(["x"] * len(required))  # sync's SRC_FILE
    apply(args, bound, configuration)
    return getattr(args, setting.key.replace("-", "_"))


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.flag], ids=lambda s: s.key)
def test_every_flag_of_the_table_exists_with_the_same_choices(setting: Setting) -> None:
    commands = commands_with(setting)
    assert commands, f"no command has {setting.option}"
    for words in commands:
        parser, _bound = PARSERS[words]
        [action] = [a for a in parser._actions if setting.option in a.option_strings]
        assert tuple(action.choices or ()) == setting.choices
        assert action.help is not None and f"[env: {setting.env}]" in action.help


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_every_environment_twin_and_config_key_reaches_the_commands(
        setting: Setting, tmp_path: Path) -> None:
    text, toml, expected = sample(setting)
    words_list = commands_with(setting) or [("pip", "install")]
    for words in words_list:
        from_env = Configuration(cwd=tmp_path, environ={setting.env: text})
        assert received(words, setting, from_env) == expected, words
        (tmp_path / "pyffin.toml").write_text(f"{setting.key} = {_toml(toml)}\n")
        from_file = Configuration(cwd=tmp_path, environ={})
        assert received(words, setting, from_file) == expected, words
        assert received(words, setting, Configuration(cwd=tmp_path, environ={},
                                                      no_config=True)) != expected


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f'"{value}"'


def test_the_readme_lists_the_table() -> None:
    text = README.read_text()
    start = text.index("<!-- settings table: generated from pyffin.settings.SETTINGS -->\n")
    end = text.index("<!-- end of settings table -->")
    listed = text[start:end].split("\n", 1)[1]
    assert listed == markdown_table(), (
        "README.md's settings table is out of date; replace it with the output of "
        "python -c 'from pyffin.settings import markdown_table; print(markdown_table())'")


# ----------------------------------------------------------------------------- end to end
@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    index_server.add_wheel(WheelSpec("lib", "3.0rc1"))
    return index_server


def compile_(tmp_path: Path, index: IndexServer, *args: str | Path) -> Result:
    source = tmp_path / "requirements.in"
    source.write_text("lib\n")
    return pyffin("pip", "compile", source, "--index-url", index.index_url, "--cache-dir",
                  tmp_path / "cache", "--no-header", "--no-annotate", *args)


def test_flag_over_environment_over_project_file(tmp_path: Path, index: IndexServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.pyffin]\nprerelease = "allow"\n')
    assert compile_(tmp_path, index).stdout == "lib==3.0rc1\n"
    monkeypatch.setenv("PYFFIN_RESOLUTION", "lowest")
    monkeypatch.setenv("PYFFIN_PRERELEASE", "disallow")
    assert compile_(tmp_path, index).stdout == "lib==1.0\n"
    assert compile_(tmp_path, index, "--resolution", "highest").stdout == "lib==2.0\n"
    # --pre is a flag: it wins over PYFFIN_PRERELEASE instead of conflicting with it.
    assert compile_(tmp_path, index, "--pre", "--resolution", "highest").stdout == \
        "lib==3.0rc1\n"
    assert compile_(tmp_path, index, "--no-config").stdout == "lib==1.0\n"  # env still applies


def test_project_names_where_configuration_files_are_looked_for(
        tmp_path: Path, index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """uv's ``--project DIR`` (global): pyffin.toml and [tool.pyffin] are looked for from DIR
    up; relative paths on the command line stay the working directory's."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (project / "pyffin.toml").write_text('prerelease = "allow"\n')
    monkeypatch.chdir(elsewhere)
    assert compile_(tmp_path, index).stdout == "lib==2.0\n"
    assert compile_(tmp_path, index, "--project", "../project/sub").stdout == "lib==3.0rc1\n"
    assert pyffin("--project", project, "pip", "compile", tmp_path / "requirements.in",
                  "--index-url", index.index_url, "--cache-dir", tmp_path / "cache",
                  "--no-header", "--no-annotate").stdout == "lib==3.0rc1\n"
    # A change there is read: what it said before is not answered again.
    (project / "pyffin.toml").write_text('resolution = "lowest"\n')
    assert compile_(tmp_path, index, "--project", project).stdout == "lib==1.0\n"
    for bad, message in ((tmp_path / "nowhere", "does not exist"),
                         (project / "pyffin.toml", "is not a directory")):
        result = compile_(tmp_path, index, "--project", bad)
        assert (result.returncode, result.stdout) == (2, ""), result
        assert message in result.stderr, result


def test_a_bad_environment_variable_is_a_one_line_usage_error(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              ) -> None:
    monkeypatch.setenv("PYFFIN_LINK_MODE", "hard")
    result = pyffin("pip", "freeze")
    assert (result.returncode, result.stderr) == (
        2, "error: invalid value for PYFFIN_LINK_MODE: invalid value 'hard' (expected one of: "
           "hardlink, copy, clone, symlink)\n")


def test_a_broken_configuration_file_is_a_warning_unless_it_is_the_input(
        tmp_path: Path, index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    broken = project / "pyproject.toml"
    broken.write_text('[project]\nname = "x"\n[tool.pyffin]\nprerelease = \n')
    (project / "sub" / "pyffin.toml").write_text('resolution = "lowest"\nbogus = 1\n')
    monkeypatch.chdir(project / "sub")
    result = compile_(tmp_path, index)
    assert (result.returncode, result.stdout) == (0, "lib==1.0\n")
    assert result.stderr.startswith(
        f"warning: Ignoring the unknown setting 'bogus' in {project / 'sub' / 'pyffin.toml'}\n")
    monkeypatch.chdir(project)
    result = compile_(tmp_path, index)
    assert (result.returncode, result.stdout) == (0, "lib==2.0\n")
    assert result.stderr.startswith(f"warning: Ignoring the configuration file {broken}: ")
    assert pyffin("cache", "dir").returncode == 0
    as_input = pyffin("pip", "compile", broken, "--index-url", index.index_url)
    assert as_input.returncode != 0 and str(broken) in as_input.stderr


def test_pip_conf_constraints_apply_and_v_says_where_settings_came_from(
        tmp_path: Path, index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "c1.txt").write_text("lib<3\n")
    (tmp_path / "c2.txt").write_text("lib<2\n")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {index.index_url}\n"
                    f"[install]\nconstraint =\n    {tmp_path / 'c1.txt'}\n"
                    f"    {tmp_path / 'c2.txt'}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    source = tmp_path / "requirements.in"
    source.write_text("lib\n")
    result = pyffin("pip", "compile", source, "-v", "--no-header", "--cache-dir",
                    tmp_path / "cache")
    assert result.returncode == 0, result
    assert "lib==1.0\n" in result.stdout
    assert (f"Using constraint {tmp_path / 'c1.txt'} {tmp_path / 'c2.txt'} from {conf} "
            "[install]") in result.stderr
    assert f"Using index-url {index.index_url} from {conf} [global]" in result.stderr
    monkeypatch.setenv("PIP_CONSTRAINT", str(tmp_path / "c1.txt"))
    result = pyffin("pip", "compile", source, "-v", "--index-url", index.index_url,
                    "--cache-dir", tmp_path / "cache")
    assert "lib==2.0\n" in result.stdout
    assert f"Using constraint {tmp_path / 'c1.txt'} from PIP_CONSTRAINT" in result.stderr
    assert f"Using index-url {index.index_url} from --index-url" in result.stderr
    flag = pyffin("pip", "compile", source, "-c", tmp_path / "c2.txt", "--index-url",
                  index.index_url, "--cache-dir", tmp_path / "cache")
    assert "lib==1.0\n" in flag.stdout  # the flag replaces the configured constraints


def test_environment_twins_end_to_end(tmp_path: Path, index: IndexServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable).returncode == 0
    monkeypatch.setenv("PYFFIN_PYTHON", str(env / "bin" / "python"))
    monkeypatch.setenv("PYFFIN_INDEX_URL", index.index_url)
    monkeypatch.setenv("PYFFIN_LINK_MODE", "copy")
    monkeypatch.setenv("PYFFIN_CACHE_DIR", str(tmp_path / "cache"))
    assert pyffin("pip", "install", "lib").returncode == 0
    assert pyffin("pip", "freeze").stdout == "lib==2.0\n"
    [init] = (env / "lib").glob("python3.*/site-packages/lib/__init__.py")
    assert os.stat(init).st_nlink == 1  # copied, not hard-linked from the cache
    monkeypatch.setenv("PYFFIN_OFFLINE", "1")
    index_requests = index.count()
    assert pyffin("pip", "install", "lib==1.0").returncode == 1  # not in the cache
    assert index.count() == index_requests
