"""Configuration precedence: flags > PYFFIN_* > requirements files (index settings) >
pyffin.toml > user config > PIP_* > pip.conf files; ``--no-config`` ignores every file; a file
read only for settings never stops a command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyffin import log, settings
from pyffin.settings import (
    SETTINGS,
    ConfigError,
    Configuration,
    IndexSettings,
    pip_config_files,
    resolve_index_settings,
)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """pyffin's warnings, with the once-per-process memory reset for the test."""
    captured: list[str] = []
    monkeypatch.setattr(log, "_warned", set())
    monkeypatch.setattr(log, "_sink", lambda level, message: captured.append(message))
    monkeypatch.setattr(log, "_level", log.WARNING)
    return captured


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    monkeypatch.chdir(root / "sub")
    monkeypatch.setattr(settings, "GLOBAL_PIP_CONF", tmp_path / "etc" / "pip.conf")
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc" / "xdg"))
    return root


def write_pip_conf(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def resolve(**kwargs: object) -> IndexSettings:
    flags = kwargs.pop("flags", IndexSettings())
    assert isinstance(flags, IndexSettings)
    return resolve_index_settings(flags, cwd=Path.cwd(), **kwargs)  # type: ignore[arg-type]


def test_nothing_configured(project: Path) -> None:
    assert resolve() == IndexSettings()


def test_site_wide_pip_config_is_read(project: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIP_CONFIG_FILE")
    write_pip_conf(tmp_path / "etc" / "xdg" / "pip" / "pip.conf",
                   "[global]\nfind-links = /xdg\nindex-url = https://xdg/simple\n")
    write_pip_conf(tmp_path / "etc" / "pip.conf", "[global]\nindex-url = https://etc/simple\n")
    assert resolve() == IndexSettings(index_url="https://etc/simple", find_links=("/xdg",))


def test_pip_config_file_global_and_install_sections(project: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write_pip_conf(tmp_path / "pip.conf", "[global]\nindex-url = https://a/simple\n"
                          "extra-index-url = https://b/simple\n  https://c/simple\n"
                          "find-links = /wheels\ncert = /ca.pem\n"
                          "[install]\nindex-url = https://install/simple\nno-index = yes\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert resolve() == IndexSettings(
        index_url="https://install/simple",
        extra_index_urls=("https://b/simple", "https://c/simple"),
        find_links=("/wheels",), no_index=True, cert="/ca.pem")


def test_pip_user_config_and_env_file(project: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIP_CONFIG_FILE")
    user = write_pip_conf(tmp_path / "xdg" / "pip" / "pip.conf",
                          "[global]\nindex-url = https://user/simple\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert user in pip_config_files(__import__("os").environ)
    assert resolve().index_url == "https://user/simple"
    env_file = write_pip_conf(tmp_path / "env.conf", "[global]\nindex-url = https://env/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    assert resolve().index_url == "https://env/simple"
    assert user not in pip_config_files(__import__("os").environ)  # pip skips the user file


def test_pip_config_file_devnull_reads_nothing(project: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    assert pip_config_files(os.environ) == []


def test_pip_environment_variables_win_over_pip_files(project: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write_pip_conf(tmp_path / "pip.conf", "[global]\nindex-url = https://file/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_INDEX_URL", "https://env/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://x/simple https://y/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("PIP_NO_INDEX", "0")
    assert resolve() == IndexSettings(index_url="https://env/simple",
                                      extra_index_urls=("https://x/simple", "https://y/simple"),
                                      find_links=("/opt/wheels",), no_index=False)


def test_pips_names_for_private_index_settings(project: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write_pip_conf(tmp_path / "pip.conf", "[global]\ntrusted-host = a.example\n"
                          "  b.example:8443\nkeyring-provider = import\ncert = /etc/ca.pem\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    # pip's "import" and "auto" ask the keyring too: its command line, for pyffin.
    assert resolve() == IndexSettings(allow_insecure_host=("a.example", "b.example:8443"),
                                      keyring_provider="subprocess", cert="/etc/ca.pem")
    monkeypatch.setenv("PIP_TRUSTED_HOST", "c.example")
    monkeypatch.setenv("PIP_KEYRING_PROVIDER", "disabled")
    assert resolve() == IndexSettings(allow_insecure_host=("c.example",),
                                      keyring_provider="disabled", cert="/etc/ca.pem")
    monkeypatch.setenv("PIP_KEYRING_PROVIDER", "always")
    with pytest.raises(ConfigError, match="invalid value for PIP_KEYRING_PROVIDER: invalid "
                                          "value 'always'"):
        resolve()


def test_pyffin_toml_wins_over_pip(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "https://pip/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "/pip-wheels")
    (project / "pyffin.toml").write_text(
        'index-url = "https://top/simple"\n[pip]\nindex-url = "https://pip-table/simple"\n'
        'extra-index-url = ["https://e/simple"]\n')
    assert resolve() == IndexSettings(index_url="https://pip-table/simple",
                                      extra_index_urls=("https://e/simple",),
                                      find_links=("/pip-wheels",))


def test_tool_pyffin_in_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.pyffin]\nno-index = true\nfind-links = "./wheels"\n')
    # Relative paths are the configuration file's, wherever the command runs.
    assert resolve() == IndexSettings(find_links=(str(project / "wheels"),), no_index=True)


def test_user_pyffin_config_is_below_the_project(project: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "xdg" / "pyffin" / "pyffin.toml"
    user.parent.mkdir(parents=True)
    user.write_text('index-url = "https://user/simple"\nindex-strategy = "unsafe-best-match"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (project / "pyffin.toml").write_text('index-url = "https://project/simple"\n')
    assert resolve() == IndexSettings(index_url="https://project/simple",
                                      index_strategy="unsafe-best-match")


def test_flags_env_and_requirements_files_in_order(project: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyffin.toml").write_text('index-url = "https://toml/simple"\n')
    from_requirements = IndexSettings(index_url="https://reqs/simple", find_links=("/r",))
    assert resolve(requirements=from_requirements).index_url == "https://reqs/simple"
    monkeypatch.setenv("PYFFIN_INDEX_URL", "https://pyffin-env/simple")
    assert resolve(requirements=from_requirements).index_url == "https://pyffin-env/simple"
    settings = resolve(flags=IndexSettings(index_url="https://flag/simple"),
                       requirements=from_requirements)
    assert (settings.index_url, settings.find_links) == ("https://flag/simple", ("/r",))


def test_no_config_ignores_files_but_not_environment(project: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write_pip_conf(tmp_path / "pip.conf", "[global]\nfind-links = /file\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    (project / "pyffin.toml").write_text('index-url = "https://toml/simple"\n')
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://env/simple")
    assert resolve(no_config=True) == IndexSettings(extra_index_urls=("https://env/simple",))
    monkeypatch.setenv("PYFFIN_NO_CONFIG", "1")
    assert resolve().index_url is None


@pytest.mark.parametrize("text,message", [
    ('index-urll = "x"\n', "Ignoring the unknown setting 'index-urll' in {path} (did you mean "
                            "'index-url'?)"),
    ("index-url = 3\n", "Ignoring 'index-url' in {path}: expected a string"),
    ('no-index = "yes"\n', "Ignoring 'no-index' in {path}: expected true or false"),
    ('link-mode = "hard"\n', "Ignoring 'link-mode' in {path}: invalid value 'hard' (expected "
                             "one of: hardlink, copy, clone, symlink)"),
    ('[pip]\nonly-binary = "six<1"\n', "Ignoring 'only-binary' in {path}: 'six<1' is not a "
                                       "valid package name (or :all:, :none:)"),
])
def test_a_bad_setting_is_skipped_with_a_warning_naming_the_file(
        project: Path, warnings: list[str], text: str, message: str) -> None:
    path = project / "pyffin.toml"
    path.write_text('find-links = "/wheels"\n' + text)
    assert resolve() == IndexSettings(find_links=("/wheels",))  # the rest still applies
    assert warnings == [message.format(path=path)]


@pytest.mark.parametrize("name", ["pyffin.toml", "pyproject.toml"])
def test_a_broken_file_is_skipped_with_one_warning(project: Path, warnings: list[str],
                                                  name: str) -> None:
    (project / "pyffin.toml").write_text('index-url = "https://parent/simple"\n')
    broken = project / "sub" / name
    broken.write_text("[tool.pyffin]\nindex-url = \n")
    assert resolve().index_url == "https://parent/simple"
    assert resolve().index_url == "https://parent/simple"
    [warning] = warnings
    assert warning.startswith(f"Ignoring the configuration file {broken}: Invalid value")


def test_a_pyproject_that_does_not_mention_pyffin_is_not_parsed(
        project: Path, warnings: list[str]) -> None:
    (project / "pyproject.toml").write_text("[project\nname = ")
    assert resolve() == IndexSettings()
    assert warnings == []


def test_bad_pip_config_is_skipped_with_a_warning(project: Path, tmp_path: Path,
                                                  warnings: list[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write_pip_conf(tmp_path / "pip.conf",
                          "[global]\nno-index = perhaps\nindex-url = https://i/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert resolve() == IndexSettings(index_url="https://i/simple")
    assert warnings == [f"Ignoring no-index in {conf} [global]: invalid boolean 'perhaps' "
                        "(expected true or false)"]
    conf.write_text("no section\n")
    assert resolve() == IndexSettings()
    assert warnings[-1].startswith(f"Ignoring pip's configuration file {conf}: ")


@pytest.mark.parametrize("name,value,message", [
    ("PYFFIN_NO_INDEX", "perhaps", "invalid boolean 'perhaps'"),
    ("PIP_NO_INDEX", "perhaps", "invalid boolean 'perhaps'"),
    ("PYFFIN_INDEX_STRATEGY", "best", "invalid value 'best' (expected one of: first-index, "
                                      "unsafe-first-match, unsafe-best-match)"),
])
def test_a_bad_environment_variable_is_a_usage_error(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=rf"^invalid value for {name}: {re.escape(message)}"):
        resolve()


# --------------------------------------------------------------------- settings other than index
def test_every_level_of_a_setting_in_order(project: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def constraint() -> tuple[object, str] | None:
        found = Configuration(cwd=Path.cwd()).get("constraint")
        return None if found is None else (found.value, found.origin)

    assert constraint() is None
    conf = write_pip_conf(tmp_path / "pip.conf", "[global]\nconstraint = a.txt\n  b.txt\n"
                                                 "[install]\nconstraint = c.txt d.txt\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert constraint() == (["c.txt", "d.txt"], f"{conf} [install]")
    monkeypatch.setenv("PIP_CONSTRAINT", "/e.txt /f.txt")
    assert constraint() == (["/e.txt", "/f.txt"], "PIP_CONSTRAINT")
    user = tmp_path / "xdg" / "pyffin" / "pyffin.toml"
    user.parent.mkdir(parents=True)
    user.write_text('constraint = "user.txt"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert constraint() == ([str(user.parent / "user.txt")], str(user))
    (project / "pyproject.toml").write_text('[tool.pyffin.pip]\nconstraint = ["c/p.txt"]\n')
    assert constraint() == ([str(project / "c" / "p.txt")], str(project / "pyproject.toml"))
    monkeypatch.setenv("PYFFIN_CONSTRAINT", "x.txt y.txt")
    assert constraint() == (["x.txt", "y.txt"], "PYFFIN_CONSTRAINT")


def test_pip_configuration_gives_only_what_pip_has(project: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write_pip_conf(tmp_path / "pip.conf", "[global]\nlink-mode = copy\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_OFFLINE", "1")
    configuration = Configuration(cwd=Path.cwd())
    assert configuration.get("link-mode") is None
    assert configuration.get("offline") is None


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_every_setting_has_a_mechanical_environment_twin(setting: settings.Setting) -> None:
    assert setting.env == "PYFFIN_" + setting.key.upper().replace("-", "_")
    assert setting.option == "--" + setting.key
    assert (setting.kind == "choice") == bool(setting.choices)


def test_a_projects_cache_keys_are_not_a_setting(project: Path, warnings: list[str]) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.pyffin]\nindex-url = "https://p/simple"\ncache-keys = ["setup.py"]\n')
    assert resolve().index_url == "https://p/simple"
    assert warnings == []
