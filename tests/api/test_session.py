"""The session owns what an operation shares: the registry (its index settings fixed once), the
I/O pool, the memo of parsed requirements."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin.api.session import IndexConflictError, Session
from pyffin.cache import Cache
from pyffin.settings import IndexSettings


@pytest.fixture
def session(tmp_path: Path) -> Session:
    return Session(Cache(tmp_path / "cache"),
                   index=IndexSettings(index_url="https://flag.example/simple"), no_config=True)


def test_the_registry_is_configured_once_with_the_requirements_options(session: Session
                                                                       ) -> None:
    extra = IndexSettings(extra_index_urls=("https://files.example/simple",))
    registry = session.configure(extra)
    assert registry.locations.extra_index_urls == ("https://files.example/simple",)
    assert registry.locations.index_url == "https://flag.example/simple"
    assert session.configure(extra) is registry  # the same settings again: the same client
    assert session.registry is registry


def test_other_index_settings_later_are_an_error_naming_both(session: Session) -> None:
    session.configure(IndexSettings(extra_index_urls=("https://first.example/simple",)))
    with pytest.raises(IndexConflictError) as raised:
        session.configure(IndexSettings(extra_index_urls=("https://later.example/simple",)))
    message = str(raised.value)
    assert ("--extra-index-url https://later.example/simple (from the requirements files) "
            "differs from --extra-index-url https://first.example/simple (from the "
            "requirements files), already in use") in message
    assert "index-url" not in message.replace("extra-index-url", "")  # only what differs


def test_a_flag_wins_over_the_requirements_so_it_is_no_conflict(session: Session) -> None:
    registry = session.configure()
    # The flag gives the index URL: a requirements file's -i is below it, so nothing changes.
    assert session.configure(IndexSettings(index_url="https://file.example/simple")) is registry


def test_an_unconfigured_session_uses_no_requirements_options(session: Session) -> None:
    registry = session.registry
    assert registry.locations.extra_index_urls == ()
    with pytest.raises(IndexConflictError, match="--find-links /wheels"):
        session.configure(IndexSettings(find_links=("/wheels",)))


def test_the_registry_runs_its_work_in_the_sessions_pool(session: Session) -> None:
    assert session.registry.pool is session.pool
    assert session.registry.submit(lambda: 42).result() == 42


def test_the_pool_follows_the_concurrency_setting(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.settings import ConfigError

    monkeypatch.setenv("PYFFIN_CONCURRENT_DOWNLOADS", "0")
    with pytest.raises(ConfigError, match="PYFFIN_CONCURRENT_DOWNLOADS: must be at least 1"):
        Session(Cache(tmp_path / "cache"), no_config=True).pool  # noqa: B018


def test_parsed_requirements_are_kept_by_the_session_not_the_process(session: Session,
                                                                     tmp_path: Path) -> None:
    from pyffin.resolver.dependencies import parse_dependency

    assert session.parser is session.parser
    assert session.parser.parse("lib>=1") is session.parser.parse("lib>=1")
    other = Session(Cache(tmp_path / "other"), no_config=True)
    assert other.parser.parse("lib>=1") is not session.parser.parse("lib>=1")
    # Without a parser nothing is kept anywhere.
    assert parse_dependency("lib>=1") is not parse_dependency("lib>=1")


def test_a_session_reads_configuration_only_when_asked(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "https://pip-env.example/simple")
    (tmp_path / "pip.conf").write_text("[global]\nextra-index-url = https://conf.example/s\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "pip.conf"))
    (tmp_path / "pyffin.toml").write_text('find-links = ["https://toml.example/links"]\n')
    monkeypatch.chdir(tmp_path)

    def locations(**options: object) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        session = Session(Cache(tmp_path / "cache"), **options)  # type: ignore[arg-type]
        found = session.configure().locations
        return found.index_url, found.extra_index_urls, found.find_links

    assert locations() == ("https://pypi.org/simple", (), ())
    assert locations(config="auto") == ("https://pip-env.example/simple",
                                        ("https://conf.example/s",),
                                        ("https://toml.example/links",))
    (tmp_path / "ci.toml").write_text('index-url = "https://ci.example/simple"\n')
    assert locations(config=tmp_path / "ci.toml") == ("https://ci.example/simple", (), ())


def test_looking_again_makes_what_the_cache_holds_stale_from_then_on(session: Session) -> None:
    before = session.registry.cached.refresh.timestamp - 1  # validated before it
    session.look_again(packages=["lib"])
    refresh = session.registry.cached.refresh
    assert refresh.forces("lib", before) and not refresh.forces("util", before)
    assert not refresh.forces("lib", refresh.timestamp)  # what this command asked is kept
    session.look_again(everything=True)
    assert session.registry.cached.refresh.forces("util", before)
    assert session.refresh and session.refresh_packages == ("lib",)


def test_looking_again_at_nothing_changes_nothing(session: Session) -> None:
    refresh = session.registry.cached.refresh
    session.look_again()
    assert session.registry.cached.refresh is refresh and not session.refresh
