"""Configuration precedence: flags > PYFFIN_* > requirements files > pyffin.toml >
user config > PIP_* > pip.conf files; ``--no-config`` ignores every file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin import settings
from pyffin.settings import (
    ConfigError,
    IndexSettings,
    pip_config_files,
    resolve_index_settings,
)


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
    assert resolve() == IndexSettings(find_links=("./wheels",), no_index=True)


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
    ('index-urll = "x"\n', "unknown setting 'index-urll'"),
    ("index-url = 3\n", "invalid 'index-url'"),
    ('no-index = "yes"\n', "invalid 'no-index'"),
    ("index-url = \n", "cannot read the configuration file"),
])
def test_bad_pyffin_config_names_the_file(project: Path, text: str, message: str) -> None:
    (project / "pyffin.toml").write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        resolve()
    assert "pyffin.toml" in str(info.value)


def test_bad_pip_boolean_names_the_file(project: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write_pip_conf(tmp_path / "pip.conf", "[global]\nno-index = perhaps\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    with pytest.raises(ConfigError, match=r"invalid boolean 'perhaps' in no-index in .*pip.conf"):
        resolve()
