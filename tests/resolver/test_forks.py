"""Universal resolution: forks where one resolution cannot serve every environment, merged into
one file as ``uv pip compile --universal`` writes it (the expected files are uv 0.13.9's output
for the same universes: ``tests/resolver/universal_scenarios.py``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pyffin.models.markers import Marker
from pyffin.resolver.dependencies import Dependency, DependencyParser
from pyffin.resolver.forks import Fork, resolve_universal
from tests.resolver import universal_scenarios
from tests.resolver.memory import EXTRA_LEFT_BEHIND, MemorySource, Release, direct
from tests.support.cli import pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer


def compile_scenario(name: str, index: IndexServer, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch, *extra: str, served: bool = False) -> str:
    spec = universal_scenarios.load(name)
    if not served:
        universal_scenarios.serve(index, spec)
    options = universal_scenarios.write_inputs(tmp_path, spec)
    monkeypatch.chdir(tmp_path)
    environments = [a for marker in spec.get("environments", ())
                    for a in ("--environment", marker)]
    result = pyffin("pip", "compile", "--universal", "--no-header", "--index-url",
                    index.index_url, *spec.get("args", []), *environments, *options, *extra,
                    "requirements.in", cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("name", universal_scenarios.scenarios())
def test_output_is_uvs(name: str, index_server: IndexServer, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert compile_scenario(name, index_server, tmp_path, monkeypatch) == (
        universal_scenarios.expected(name))


def test_each_version_of_a_package_needed_under_different_pythons_gets_its_own_pin(
        index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = compile_scenario("python-forks", index_server, tmp_path, monkeypatch,
                            "--no-annotate")
    assert text == (
        "numpy-like==2.0.2 ; python_full_version < '3.10'\n"
        "numpy-like==2.2.6 ; python_full_version == '3.10.*'\n"
        "numpy-like==2.3.1 ; python_full_version == '3.11.*'\n"
        "numpy-like==2.5.0 ; python_full_version >= '3.12'\n")


def test_the_lowest_python_is_the_python_versions_or_the_interpreters(
        index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    spec = universal_scenarios.load("python-forks")
    universal_scenarios.serve(index_server, spec)
    universal_scenarios.write_inputs(tmp_path, spec)
    monkeypatch.chdir(tmp_path)
    result = pyffin("pip", "compile", "--universal", "--no-header", "--no-annotate",
                    "--index-url", index_server.index_url, "--python", sys.executable,
                    "requirements.in", cache_dir=tmp_path / "cache")
    lines = result.stdout.splitlines()
    # This interpreter's major.minor and later: no pin for older Pythons.
    assert lines[0].startswith("numpy-like==") and result.returncode == 0
    if sys.version_info >= (3, 12):
        assert lines == ["numpy-like==2.5.0"]
    else:
        assert len(lines) > 1 and lines[-1] == "numpy-like==2.5.0 ; python_full_version >= '3.12'"


# --- usage ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "message"), [
    ("--universal", "the argument '--universal' cannot be used with "
                    "'--python-platform <PYTHON_PLATFORM>'"),
    ("--python-platform", "the argument '--python-platform <PYTHON_PLATFORM>' cannot be used "
                          "with '--universal'"),
])
def test_python_platform_is_a_usage_error_with_universal(first: str, message: str,
                                                         tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("a\n")
    options = ["--universal", "--python-platform", "linux"]
    if first == "--python-platform":
        options = ["--python-platform", "linux", "--universal"]
    result = pyffin("pip", "compile", *options, source)
    assert result.returncode == 2
    assert f"error: {message}" in result.stderr


@pytest.mark.parametrize(("options", "message"), [
    (["--universal", "--strip-markers"],
     "the argument '--universal' cannot be used with '--strip-markers'"),
    (["--strip-markers", "--universal"],
     "the argument '--strip-markers' cannot be used with '--universal'"),
    (["--no-strip-markers", "--strip-markers", "--universal"],
     "the argument '--strip-markers' cannot be used with '--universal'"),
])
def test_strip_markers_is_a_usage_error_with_universal(options: list[str], message: str,
                                                       tmp_path: Path) -> None:
    """As uv's: a universal resolution writes each pin's marker (it implies
    ``--no-strip-markers``)."""
    source = tmp_path / "requirements.in"
    source.write_text("a\n")
    result = pyffin("pip", "compile", *options, source)
    assert result.returncode == 2
    assert f"error: {message}" in result.stderr


def test_strip_markers_given_up_again_is_no_error_with_universal(
        index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("a", "1.0"))
    source = tmp_path / "requirements.in"
    source.write_text("a ; python_version >= '3.10'\n")
    result = pyffin("pip", "compile", "--strip-markers", "--no-strip-markers", "--universal",
                    "--no-header", "--no-annotate", "--python-version", "3.9",
                    "--index-url", index_server.index_url, source, cache_dir=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a==1.0 ; python_full_version >= '3.10'\n"


def test_an_unknown_fork_strategy_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("a\n")
    result = pyffin("pip", "compile", "--universal", "--fork-strategy", "most", source)
    assert result.returncode == 2
    assert "--fork-strategy" in result.stderr and "'most'" in result.stderr


def test_overlapping_environments_are_a_usage_error(index_server: IndexServer,
                                                    tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("a", "1.0"))
    source = tmp_path / "requirements.in"
    source.write_text("a\n")
    result = pyffin("pip", "compile", "--universal", "--index-url", index_server.index_url,
                    "--environment", "sys_platform == 'linux'",
                    "--environment", "python_version >= '3.10'", source)
    assert result.returncode == 2
    assert ("Supported environments must be disjoint, but the following markers overlap: "
            "`sys_platform == 'linux'` and `python_version >= '3.10'`") in result.stderr


def test_an_invalid_environment_is_named(tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("a\n")
    result = pyffin("pip", "compile", "--universal", "--environment", "sys_platform = 'x'",
                    source)
    assert result.returncode == 2
    assert "invalid --environment \"sys_platform = 'x'\"" in result.stderr


def test_environment_needs_universal(tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("a\n")
    result = pyffin("pip", "compile", "--environment", "sys_platform == 'linux'", source)
    assert result.returncode == 2
    assert "--environment needs --universal" in result.stderr


# --- failures -------------------------------------------------------------------------------

def test_a_conflict_names_the_fork_it_happens_in(index_server: IndexServer,
                                                 tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0", requires_dist=[
        "baz<2; sys_platform == 'win32'", "baz>=2; sys_platform != 'win32'"]))
    index_server.add_wheel(WheelSpec("bar", "1.0", requires_dist=["baz>=2"]))
    for version in ("1.0", "2.0"):
        index_server.add_wheel(WheelSpec("baz", version))
    source = tmp_path / "requirements.in"
    source.write_text("foo\nbar; sys_platform == 'win32'\n")
    result = pyffin("pip", "compile", "--universal", "--python-version", "3.9",
                    "--index-url", index_server.index_url, source, cache_dir=tmp_path / "c")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: No solution found when resolving dependencies for split "
        "(markers: sys_platform == 'win32')\n  cause: ")
    assert "all versions of foo depend on baz<2" in result.stderr  # (its only version, as uv)
    assert result.stderr.endswith(  # this machine is not Windows
        "\n\nhint: The resolution failed for an environment that is not the current one, "
        "consider limiting the environments with `--environment`.\n")


def test_a_python_that_no_release_supports_is_named_as_uv_names_it(
        index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    index_server.add_wheel(WheelSpec("foo", "2.0", requires_python=">=3.12"),
                           requires_python=">=3.12")
    source = tmp_path / "requirements.in"
    source.write_text("foo==2.0\n")
    result = pyffin("pip", "compile", "--universal", "--python-version", "3.9",
                    "--index-url", index_server.index_url, source, cache_dir=tmp_path / "c")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: No solution found when resolving dependencies for split (markers: "
        "python_full_version >= '3.9' and python_full_version < '3.12')\n"
        "  cause: Because the requested Python version (>=3.9) does not satisfy Python>=3.12 "
        "and foo==2.0 depends on Python>=3.12, we can conclude that foo==2.0 cannot be "
        "used.\n")
    assert result.stderr.endswith(
        "\n\nhint: The `requires-python` value (>=3.9) includes Python versions that are not "
        "supported by your dependencies (e.g., foo==2.0 only supports >=3.12). Consider using "
        "a more restrictive `requires-python` value (like >=3.12).\n")


# --- forks ----------------------------------------------------------------------------------

def test_a_fork_narrows_its_pythons_to_its_markers() -> None:
    root = Fork(Marker.TRUE, ((3, 9), True, None, False))
    fork = root.narrowed(Marker.parse("python_version < '3.11' and sys_platform == 'linux'"))
    assert fork.python == ((3, 9), True, (3, 11), False)
    assert fork.describe() == (
        "split (markers: python_full_version < '3.11' and sys_platform == 'linux')")
    assert root.narrowed(Marker.parse("sys_platform == 'win32'")).python == root.python
    assert root.describe() is None


def test_a_required_environment_that_would_split_a_fork_is_not_supported_yet(
        index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("fast", "1.0", tags=["cp39-cp39-macosx_11_0_arm64"]))
    index_server.add_wheel(WheelSpec("fast", "2.0", tags=["cp39-cp39-manylinux_2_17_x86_64"]))
    source = tmp_path / "requirements.in"
    source.write_text("fast\n")
    result = pyffin("pip", "compile", "--universal", "--python-version", "3.9",
                    "--index-url", index_server.index_url, "--required-environment",
                    "sys_platform == 'darwin' and platform_machine == 'arm64'", source,
                    cache_dir=tmp_path / "c")
    assert result.returncode == 2
    assert "fast==2.0 has no wheel for `platform_machine == 'arm64' and sys_platform == " \
           "'darwin'`" in result.stderr
    assert "not supported yet" in result.stderr


@pytest.mark.parametrize(("filename", "marker"), [
    ("x-1.0-py3-none-any.whl", "python_full_version >= '3' and python_full_version < '4'"),
    ("x-1.0-cp310-cp310-win_amd64.whl",
     "python_full_version == '3.10.*' and platform_machine == 'AMD64' and "
     "platform_python_implementation == 'CPython' and sys_platform == 'win32'"),
    ("x-1.0-cp39-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
     "python_full_version >= '3.9' and platform_machine == 'aarch64' and "
     "platform_python_implementation == 'CPython' and sys_platform == 'linux'"),
    ("x-1.0-py2.py3-none-macosx_10_9_universal2.whl",
     "python_full_version >= '2' and python_full_version < '4' and ((platform_machine == "
     "'arm64' and sys_platform == 'darwin') or (platform_machine == 'x86_64' and sys_platform "
     "== 'darwin'))"),
])
def test_a_wheels_tags_say_where_it_installs(filename: str, marker: str) -> None:
    from pyffin.resolver.forks import implied_marker

    assert str(implied_marker([filename])) == marker


def test_the_pins_of_the_output_file_are_kept_where_their_marker_holds(
        index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # uv 0.13.9 keeps both pins (1.26.4 although 2.0.2 would be chosen afresh below 3.10).
    previous = ("numpy-like==1.26.4 ; python_full_version < '3.10'\n"
                "numpy-like==2.2.6 ; python_full_version >= '3.10'\n")
    (tmp_path / "out.txt").write_text(previous)
    text = compile_scenario("python-forks", index_server, tmp_path, monkeypatch,
                            "--no-annotate", "-o", "out.txt")
    assert text == previous
    upgraded = compile_scenario("python-forks", index_server, tmp_path, monkeypatch,
                                "--no-annotate", "-o", "out.txt", "-P", "numpy-like",
                                served=True)
    assert upgraded == universal_scenarios.expected("python-forks").replace(
        "    # via -r requirements.in\n", "")


class CountingParser(DependencyParser):
    """Counts how often each ``Requires-Dist`` text is asked for (checked or parsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: Counter[str] = Counter()

    def parse(self, text: str) -> Dependency:
        self.asked[text] += 1
        return super().parse(text)

    def check(self, text: str) -> str | None:
        self.asked[text] += 1
        return super().check(text)


@pytest.mark.parametrize("platforms", [2, 4])
def test_forks_share_the_reading_of_a_version_whose_requirements_hold_alike(
        platforms: int) -> None:
    # a splits the resolution by platform; c's requirement holds alike in every fork, so its
    # metadata is checked once and its requirements are read once, however many forks.
    names = ["win32", "darwin", "emscripten", "cygwin"][:platforms - 1]
    requires = [f"x=={i + 1} ; sys_platform == '{name}'" for i, name in enumerate(names)]
    rest = " and ".join(f"sys_platform != '{name}'" for name in names)
    requires.append(f"x=={platforms} ; {rest}")
    universe = {"a": {"1.0": requires}, "c": {"1.0": ["d>=1"]}, "d": {"1.0": []},
                "x": {str(i + 1): [] for i in range(platforms)}}
    parser = CountingParser()
    resolution = resolve_universal(direct("a", "c"), MemorySource(universe), ">=3.9",
                                   parser=parser)
    assert len(resolution.forks) == platforms
    assert {pin.name for pin in resolution.pins} == {"a", "c", "d", "x"}
    # The same three asks (its metadata checked, then its marker and its requirement read)
    # however many forks there are.
    assert parser.asked["d>=1"] == 3


def test_excluded_projects_are_left_out_of_every_fork() -> None:
    # b would split the resolution by platform, and d is b's alone: with b excluded there is
    # one fork, without b, d or the platform's versions of x.
    universe = {"a": {"1.0": ["b ; sys_platform == 'win32'", "b<2 ; sys_platform != 'win32'",
                              "c"]},
                "b": {"1.0": ["d", "x==1"], "2.0": ["x==2"]}, "c": {"1.0": []},
                "d": {"1.0": []}, "x": {"1": [], "2": []}}
    resolution = resolve_universal(direct("a", "b>=1"), MemorySource(universe), ">=3.9",
                                   excludes=["b"])
    assert resolution.forks == ()  # no split
    assert sorted((pin.name, str(pin.version)) for pin in resolution.pins) == [
        ("a", "1.0"), ("c", "1.0")]


def test_a_package_s_own_requirements_split_before_its_extra_s() -> None:
    """uv decides ``lib`` before ``lib[fast]`` (a requirement with an extra is a proxy that
    depends on the package, then on its extra): where both split the resolution, the
    package's own requirements split it first, as uv 0.13.9's log shows for this universe
    (``Solving split (markers: python_full_version >= '3.12')``, then ``>= '3.13'``)."""
    from pyffin import log

    universe = {
        "lib": {"1.0": Release(["a<2 ; python_version < '3.12'",
                                "a>=2 ; python_version >= '3.12'",
                                "b<2 ; python_version < '3.13' and extra == 'fast'",
                                "b>=2 ; python_version >= '3.13' and extra == 'fast'"],
                               extras=["fast"])},
        "a": {"1.0": [], "2.0": []}, "b": {"1.0": [], "2.0": []}}
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        resolution = resolve_universal(direct("lib[fast]"), MemorySource(universe), ">=3.9")
    assert [message for message in heard if message.startswith("Forking")] == [
        "Forking the resolution into python_full_version < '3.12', "
        "python_full_version >= '3.12'",
        "Forking split (markers: python_full_version >= '3.12') into "
        "python_full_version == '3.12.*', python_full_version >= '3.13'"]
    assert len(resolution.forks) == 3


def test_a_missing_extra_is_warned_about_only_for_the_version_pinned(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a resolution for one environment (see test_resolve): lib 2.0, tried and left
    behind, is not named."""
    from pyffin import log

    monkeypatch.setattr(log, "_warned", set())
    universe = EXTRA_LEFT_BEHIND
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.WARNING):
        resolution = resolve_universal(direct("lib[fast]", "f"), MemorySource(universe),
                                       ">=3.9")
        assert {(pin.name, str(pin.version)) for pin in resolution.pins} == {
            ("c", "1.0"), ("e", "1.0"), ("f", "1.0"), ("lib", "1.0")}
        assert heard == []
        resolve_universal(direct("lib[fast]>1"), MemorySource(universe), ">=3.9")
    assert heard == ["lib==2.0 does not provide the extra 'fast'"]
