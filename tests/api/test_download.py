"""pip's targeting options as :func:`pyffin.api.download.pip_target` reads them, pip's rule
about them, and per-package build options (:meth:`pyffin.api.building.BuildOptions.
for_package`)."""

from __future__ import annotations

import sys

import pytest

from pyffin.api.building import BuildOptions, parse_package_config_settings
from pyffin.api.download import (
    DIST_RESTRICTION,
    check_dist_restriction,
    parse_pip_python_version,
    pip_target,
)
from pyffin.cache import Cache
from pyffin.errors import UsageError
from pyffin.interpreter import Interpreter, find_interpreter


@pytest.fixture(scope="module")
def interpreter(tmp_path_factory: pytest.TempPathFactory) -> Interpreter:
    return find_interpreter(sys.executable, cache=Cache(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize(("text", "expected"), [
    ("3", (3,)), ("37", (3, 7)), ("312", (3, 12)), ("3.12", (3, 12)), ("3.12.1", (3, 12, 1))])
def test_python_versions_as_pip_reads_them(text: str, expected: tuple[int, ...]) -> None:
    assert parse_pip_python_version(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("3.1.2.3", "at most three version parts are allowed"),
    ("3.x", "each version part must be an integer")])
def test_bad_python_versions(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=f"invalid --python-version value: '{text}': {reason}"):
        parse_pip_python_version(text)


def test_no_option_is_the_interpreter_itself(interpreter: Interpreter) -> None:
    target = pip_target(interpreter)
    assert target.tags == interpreter.tags and target.markers == interpreter.markers


def test_tags_of_a_platform_version_and_implementation(interpreter: Interpreter) -> None:
    target = pip_target(interpreter, platforms=["manylinux2014_x86_64"], python_version="3.9")
    assert target.tags[0] == "cp39-cp39-manylinux2014_x86_64"
    assert "cp39-cp39-manylinux1_x86_64" in target.tags
    assert "cp39-abi3-manylinux2010_x86_64" in target.tags
    assert "py3-none-any" in target.tags
    assert not any(t.rsplit("-", 1)[1] == "linux_x86_64" for t in target.tags)
    assert target.markers["python_version"] == "3.9"
    assert target.markers["python_full_version"] == "3.9.0"
    pypy = pip_target(interpreter, platforms=["win_amd64"], python_version="3.10",
                      implementation="pp", abis=["pypy310_pp73"])
    assert pypy.tags[0] == "pp310-pypy310_pp73-win_amd64"
    assert not any(t.startswith("cp") for t in pypy.tags)
    anything = pip_target(interpreter, platforms=["any"], implementation="py",
                          python_version="3.11")
    assert "py311-none-any" in anything.tags and "py3-none-any" in anything.tags


def test_macos_platforms_take_older_versions(interpreter: Interpreter) -> None:
    target = pip_target(interpreter, platforms=["macosx_11_0_arm64"], python_version="3.12")
    platforms = {t.rsplit("-", 1)[1] for t in target.tags}
    assert {"macosx_11_0_arm64", "macosx_11_0_universal2"} <= platforms
    assert "macosx_10_9_x86_64" not in platforms


@pytest.mark.parametrize(("options", "allowed"), [
    ({}, True),
    ({"platforms": ["win_amd64"]}, False),
    ({"platforms": ["win_amd64"], "no_deps": True}, True),
    ({"abis": ["abi3"], "only_binary": [":all:"]}, True),
    ({"implementation": "pp", "only_binary": [":all:"], "no_binary": ["six"]}, False),
    ({"python_version": "3.9", "only_binary": [":all:"], "no_binary": [":none:"]}, True),
    ({"python_version": "3.9", "only_binary": ["six"]}, False),
])
def test_pips_rule(options: dict[str, object], allowed: bool) -> None:
    arguments: dict[str, object] = {"platforms": [], "python_version": None,
                                    "implementation": None, "abis": [], "no_deps": False,
                                    "only_binary": [], "no_binary": [], **options}
    if allowed:
        check_dist_restriction(**arguments)  # type: ignore[arg-type]
    else:
        with pytest.raises(UsageError, match=r"^When restricting"):
            check_dist_restriction(**arguments)  # type: ignore[arg-type]
        assert DIST_RESTRICTION.endswith("(or must be set to :none:).")


def test_package_options_merge_as_uv_merges_them() -> None:
    options = BuildOptions(config_settings={"a": "g", "b": ["g1", "g2"]},
                           config_settings_packages=parse_package_config_settings(
                               ["one:a=p", "one:c=p", "One:c=q"]),
                           no_isolation_packages=("two",))
    own = options.for_package("one")
    assert own is not None and own.isolated
    assert own.config_settings == {"a": ["p", "g"], "c": ["p", "q"], "b": ["g1", "g2"]}
    two = options.for_package("two")
    assert two is not None and not two.isolated
    assert two.config_settings == {"a": "g", "b": ["g1", "g2"]}
    assert options.for_package("three") is None
    # A package's own settings equal to global ones make the same build: the same cache key.
    own_x = BuildOptions(config_settings_packages={"x": {"a": "1"}}).for_package("x")
    assert own_x is not None and own_x.key == BuildOptions(config_settings={"a": "1"}).key
