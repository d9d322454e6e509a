"""The build context: build requirements installed by pyffin into a build environment."""

from __future__ import annotations

import sys
from pathlib import Path

from pyffin.api.building import InstallingBuildContext
from pyffin.api.session import Session
from pyffin.build.env import isolated_environment
from pyffin.cache import Cache
from pyffin.installer.installed import scan
from pyffin.interpreter import find_interpreter
from pyffin.settings import IndexSettings
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer


def test_later_requirements_join_what_is_installed(index_server: IndexServer,
                                                   tmp_path: Path) -> None:
    for version in ("1.0", "2.0"):
        index_server.add_wheel(WheelSpec("helper", version))
    session = Session(Cache(tmp_path / "cache"),
                      index=IndexSettings(index_url=index_server.index_url), no_config=True)
    context = InstallingBuildContext(session)
    interpreter = find_interpreter(sys.executable, cache=session.cache)
    with isolated_environment(session.cache, interpreter) as environment:
        def installed() -> list[tuple[str, str]]:
            return sorted((d.normalized_name, d.version) for d in scan(
                [Path(p) for p in environment.interpreter.site_packages]))

        context.install_requirements(["helper<2"], environment, purpose="build requirements")
        assert installed() == [("helper", "1.0")]
        # What get_requires_for_build_wheel adds is resolved with what is there: kept.
        context.install_requirements(["helper"], environment, purpose="backend requirements")
        assert installed() == [("helper", "1.0")]
        # A version that must change replaces the installed one, never sits beside it.
        context.install_requirements(["helper>=2"], environment, purpose="backend requirements")
        assert installed() == [("helper", "2.0")]


def test_deferred_sources_are_set_up_at_first_use_once_and_shared_with_get(
        tmp_path: Path) -> None:
    from pyffin.api.building import LazySources

    session = Session(Cache(tmp_path / "cache"), no_config=True)
    asked: list[str] = []

    def interpreter() -> object:
        asked.append("interpreter")
        raise AssertionError("not needed to set up the sources")

    lazy = LazySources(session, interpreter, None)  # type: ignore[arg-type]
    deferred = lazy.deferred()
    assert deferred is not None
    assert lazy._sources is None  # nothing made yet
    assert deferred.cache is session.cache  # the first use makes them
    made = lazy.get()
    assert made is not None and lazy._sources is made
    assert deferred.registry is made.registry
    assert lazy.deferred() is made  # once made, handed out as they are
    assert asked == []
    # Without an interpreter to build with there is nothing to defer.
    assert LazySources(session, None, None).deferred() is None
