"""A source whose build requirements need that same source built is a cycle, not a hang."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pyffin.build import (
    BuildCycleError,
    BuildEnvironment,
    SourceBuilder,
    SourceTree,
    build_stack,
    check_cycle,
    prepare_source,
)
from pyffin.cache import Cache
from tests.build.support import RecordingContext, leftover_environments
from tests.support.dists import SdistSpec, build_sdist


def _trees(tmp_path: Path, build_requires: dict[str, list[str]]) -> dict[str, SourceTree]:
    return {
        name: prepare_source(build_sdist(SdistSpec(name, "1.0", build_requires=requires),
                                         tmp_path / "dists"), tmp_path / "src" / name)
        for name, requires in build_requires.items()
    }


def _builds_requirements_from_source(context: RecordingContext, builder: SourceBuilder,
                                     trees: dict[str, SourceTree], tmp_path: Path) -> None:
    """Make ``context`` build every requirement that names one of ``trees``, as pyffin's
    context does for a build requirement without a wheel."""
    def install(requirements: Sequence[str], environment: BuildEnvironment) -> None:
        for requirement in requirements:
            builder.build_wheel(trees[requirement], tmp_path / "wheels")

    context.on_install = install


def test_a_two_step_cycle_names_the_chain(tmp_path: Path, builder: SourceBuilder,
                                          context: RecordingContext, cache: Cache) -> None:
    trees = _trees(tmp_path, {"a": ["b"], "b": ["a"]})
    _builds_requirements_from_source(context, builder, trees, tmp_path)

    with pytest.raises(BuildCycleError) as caught:
        builder.build_wheel(trees["a"], tmp_path / "wheels")

    assert str(caught.value) == ("build dependency cycle: a-1.0.tar.gz needs b-1.0.tar.gz to "
                                 "build, which needs a-1.0.tar.gz to build")
    assert caught.value.hint is not None
    assert leftover_environments(cache) == []


def test_the_chain_starts_where_the_cycle_does(tmp_path: Path, builder: SourceBuilder,
                                               context: RecordingContext) -> None:
    trees = _trees(tmp_path, {"a": ["b"], "b": ["c"], "c": ["b"]})
    _builds_requirements_from_source(context, builder, trees, tmp_path)

    with pytest.raises(BuildCycleError, match=r"cycle: b-1\.0\.tar\.gz needs c-1\.0\.tar\.gz "
                                              r"to build, which needs b-1\.0\.tar\.gz to build$"):
        builder.build_wheel(trees["a"], tmp_path / "wheels")


def test_a_source_needing_itself(tmp_path: Path, builder: SourceBuilder,
                                 context: RecordingContext) -> None:
    trees = _trees(tmp_path, {"a": ["a"]})
    _builds_requirements_from_source(context, builder, trees, tmp_path)

    with pytest.raises(BuildCycleError, match=r"a-1\.0\.tar\.gz needs a-1\.0\.tar\.gz to build$"):
        builder.build_metadata(trees["a"], tmp_path / "metadata")


def test_a_cycle_through_a_thread_pool_that_copies_the_context(
        tmp_path: Path, builder: SourceBuilder, context: RecordingContext) -> None:
    trees = _trees(tmp_path, {"a": ["b"], "b": ["a"]})
    with ThreadPoolExecutor(max_workers=4) as pool:
        def install(requirements: Sequence[str], environment: BuildEnvironment) -> None:
            for requirement in requirements:
                run_here = contextvars.copy_context().run
                pool.submit(run_here, builder.build_wheel, trees[requirement],
                            tmp_path / "wheels").result()

        context.on_install = install

        with pytest.raises(BuildCycleError, match=r"a-1\.0\.tar\.gz needs b-1\.0\.tar\.gz"):
            builder.build_wheel(trees["a"], tmp_path / "wheels")


def test_the_stack_is_visible_to_the_context(tmp_path: Path, builder: SourceBuilder,
                                             context: RecordingContext) -> None:
    # A caller about to wait on another thread's build of a source checks it first.
    trees = _trees(tmp_path, {"a": ["x"]})
    seen: list[tuple[str, ...]] = []

    def install(requirements: Sequence[str], environment: BuildEnvironment) -> None:
        seen.append(build_stack())
        check_cycle("other-2.0.tar.gz")
        with pytest.raises(BuildCycleError):
            check_cycle("a-1.0.tar.gz")

    context.on_install = install

    builder.build_wheel(trees["a"], tmp_path / "wheels")

    assert seen == [("a-1.0.tar.gz",)]
    assert build_stack() == ()


def test_concurrent_builds_of_one_source_are_not_a_cycle(tmp_path: Path,
                                                         builder: SourceBuilder,
                                                         context: RecordingContext) -> None:
    trees = _trees(tmp_path, {"a": ["x"]})
    both_installing = threading.Barrier(2, timeout=30)

    def install(requirements: Sequence[str], environment: BuildEnvironment) -> None:
        both_installing.wait()  # each build is installing its requirements when the other is

    context.on_install = install

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(builder.build_wheel, trees["a"], tmp_path / f"wheels{i}")
                   for i in range(2)]
        wheels = [future.result() for future in futures]

    assert [wheel.name for wheel in wheels] == ["a-1.0-py3-none-any.whl"] * 2
