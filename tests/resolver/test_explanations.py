"""Unsatisfiable requirements are explained in full, uv-style sentences."""

from __future__ import annotations

from typing import Any

from nab_resolver.ranges import Range
from nab_resolver.root import ROOT
from nab_resolver.types import Incompatibility, IncompatibilityCause, Term
from packaging.version import Version

from pyffin.resolver.options import ResolverOptions
from pyffin.resolver.ranges import FULL, VersionSet
from pyffin.resolver.report import explain
from pyffin.resolver.source import Dropped
from tests.resolver.memory import TARGET, MemorySource, Release, failure, solve


def explanation(source: MemorySource, *requirements: str) -> str:
    from pyffin.resolver.errors import NoSolutionError

    try:
        solve(source, *requirements)
    except NoSolutionError as e:
        return str(e)
    raise AssertionError("expected no solution")


def test_a_simple_conflict() -> None:
    # Word for word uv 0.13.9's.
    universe = {"a": {"1.0": ["b>=2.0"]}, "b": {"1.0": [], "2.0": []}}
    assert failure(universe, "a==1.0", "b<2.0") == (
        "Because all versions of a depend on b>=2.0 and you require a==1.0, we can conclude that "
        "you require b>=2.0.\n"
        "And because you require b<2.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_two_pins_of_one_package() -> None:
    assert failure({"a": {"1.0": [], "2.0": []}}, "a==1.0", "a==2.0") == (
        "Because you require a==1.0 and a==2.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_a_transitive_conflict() -> None:
    # Word for word uv 0.13.9's: a project with one version reads as all its versions, a
    # requirement of it as that version; the fact about the package ruled out comes first.
    universe = {"a": {"1.0": ["b>=1.0"]}, "b": {"1.0": ["c>=2.0"]}, "c": {"1.0": [], "2.0": []}}
    assert failure(universe, "a", "c<2.0") == (
        "Because all versions of b depend on c>=2.0 and all versions of a depend on b==1.0, we "
        "can conclude that all versions of a depend on c>=2.0.\n"
        "And because you require a and c<2.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_no_version_in_the_required_range() -> None:
    assert failure({"a": {"1.0": [], "1.5": []}}, "a>=2.0") == (
        "Because only a<=1.5 is available and you require a>=2.0, we can conclude that your "
        "requirements are unsatisfiable.")
    assert failure({"a": {"1.0": [], "1.5": [], "3.0": []}}, "a>=2.0,<3") == (
        "Because only a<=1.5 | ==3.0 are available and you require a>=2.0,<3, we can conclude "
        "that your requirements are unsatisfiable.")


def test_a_package_no_index_has() -> None:
    assert failure({}, "c") == (
        "Because c was not found in the package registry and you require c, we can conclude that "
        "your requirements are unsatisfiable.\n\n"
        "hint: `c`: looked in the test index")


def test_a_transitive_package_no_index_has() -> None:
    # Word for word uv 0.13.9's.
    assert failure({"a": {"1.0": ["c>=1.0"]}}, "a") == (
        "Because c was not found in the package registry and all versions of a depend on c>=1.0, "
        "we can conclude that all versions of a cannot be used.\n"
        "And because you require a, we can conclude that your requirements are unsatisfiable."
        "\n\n"
        "hint: `c`: looked in the test index")


def test_requires_python_excluding_the_target() -> None:
    universe = {"foo": {"1.0": [], "2.0": Release(python=">=3.12")}}
    assert failure(universe, "foo==2.0") == (
        "Because the current Python version (3.11.7) does not satisfy Python>=3.12 and foo==2.0 "
        "depends on Python>=3.12, we can conclude that foo==2.0 cannot be used.\n"
        "And because you require foo==2.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_requires_python_excluding_a_requested_python_version() -> None:
    """``--python-version 3.11`` on another interpreter: uv names the requested Python
    (``>=3.11``) and hints at raising it (word for word uv 0.13.9's, on a local index)."""
    universe = {"a": {"1.0": ["n>=1"]},
                "n": {"1.0": Release(python=">=3.12"), "0.5": Release(metadata_python=">=3.12")}}
    markers = dict(TARGET, python_full_version="3.11.0")
    assert failure(universe, "a", markers=markers, requested_python=">=3.11") == (
        "Because the requested Python version (>=3.11) does not satisfy Python>=3.12 and "
        "n==1.0 depends on Python>=3.12, we can conclude that n==1.0 cannot be used.\n"
        "And because only n<=1.0 is available, we can conclude that n>=1.0 cannot be used.\n"
        "And because all versions of a depend on n>=1 and you require a, we can conclude that "
        "your requirements are unsatisfiable.\n\n"
        "hint: The `--python-version` value (>=3.11) includes Python versions that are not "
        "supported by your dependencies (e.g., n==1.0 only supports >=3.12). Consider using a "
        "higher `--python-version` value.")


def test_requires_python_found_only_in_the_metadata() -> None:
    universe = {"foo": {"1.0": Release(metadata_python=">= 3.13"),
                        "1.1": Release(metadata_python=">= 3.13")}}
    assert failure(universe, "foo") == (
        "Because the current Python version (3.11.7) does not satisfy Python>=3.13 and "
        "foo>=1.0,<=1.1 depends on Python>=3.13, we can conclude that foo>=1.0,<=1.1 cannot be "
        "used.\n"
        "And because only foo>=1.0,<=1.1 is available and you require foo, we can conclude that "
        "your requirements are unsatisfiable.")


def test_a_conflict_through_an_extra() -> None:
    universe = {"a": {"1.0": Release(["b>=2.0; extra == 'x'"], extras=["x"])},
                "b": {"1.0": [], "2.0": []}}
    # Word for word uv 0.13.9's.
    assert failure(universe, "a[x]", "b<2.0") == (
        "Because all versions of a[x] depend on b>=2.0 and you require a[x], we can conclude "
        "that you require b>=2.0.\n"
        "And because you require b<2.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_a_conflict_through_a_marker_says_the_requirement_as_written() -> None:
    """``b>=2.0`` under a marker is a requirement of uv's proxy ``b{marker}``, which stands
    where ``b`` does: uv names the proxy in the requirement and leaves out the step from it to
    ``b`` (word for word uv 0.13.9's, on a local index)."""
    universe = {"a": {"1.0": ["b>=2.0; python_version < '3.12'"]},
                "b": {"1.0": [], "2.0": []}}
    assert failure(universe, "a==1.0", "b<2.0") == (
        "Because all versions of a depend on b{python_full_version < '3.12'}>=2.0 and you "
        "require a==1.0, we can conclude that you require b>=2.0.\n"
        "And because you require b<2.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_an_extra_standing_where_its_package_does_is_no_step_of_its_own() -> None:
    # Word for word uv 0.13.9's, on a local index ("a[x]>=1.0 depends on a>=1.0" is not said).
    universe = {"a": {"0.5": Release(extras=["x"]), "1.0": Release(extras=["x"])}}
    assert failure(universe, "a[x]>=1.0", "a<1.0") == (
        "Because you require a[x]>=1.0 and a<1.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_a_constraint_against_a_requirement() -> None:
    universe = {"a": {"1.0": ["b>=2.0"]}, "b": {"1.0": [], "2.0": []}}
    # uv 0.13.9's steps (it calls the constraint "b<2.0" alone).
    assert failure(universe, "a", constraints=["b<2.0"]) == (
        "Because all versions of a depend on b>=2.0 and your constraints require b<2.0, we can "
        "conclude that all versions of a cannot be used.\n"
        "And because you require a, we can conclude that your requirements are unsatisfiable.")


def test_a_range_that_reaches_the_newest_version_has_no_upper_bound() -> None:
    # Word for word uv 0.13.9's (pubgrub's simplification over the versions that exist):
    # "a>=2.0", not "a>=2.0,<=2.2" with 2.2 the newest, nor its step "only a<=2.2 is available";
    # a newer pre-release, which the default policy may choose, is one of the versions too.
    universe: dict[str, dict[str, Any]] = {
        "a": {"1.0": ["b<2"], "2.0": ["b>=3"], "2.1": ["b>=3"], "2.2": ["b>=3"]},
        "b": {"1.0": [], "3.0": []}}
    expected = (
        "Because a>=2.0 depends on b>=3 and you require a>=2.0, we can conclude that you "
        "require b>=3.\n"
        "And because you require b<2, we can conclude that your requirements are unsatisfiable.")
    assert failure(universe, "a>=2.0", "b<2") == expected
    universe["a"]["2.3b1"] = ["b>=3"]
    universe["b"]["4.0"] = []
    assert failure(universe, "a>=2.0", "b<2") == expected


def test_a_dependency_shared_by_several_versions_is_said_of_the_one_required() -> None:
    # A resolution that read a>=1.0,<=1.2 (all depending on b>=2) says it of the version the
    # user requires, as uv 0.13.9 does (it reads that version alone): "a==1.1 depends on b>=2".
    from nab_resolver.ranges import POSITIVE_INFINITY

    one: VersionSet = Range.singleton(Version("1.0"))
    at_least_2: VersionSet = Range(((Version("2"), True, POSITIVE_INFINITY, False),))
    several: VersionSet = Range(((Version("1.0"), True, Version("1.2"), True),))
    dependency: Incompatibility[Any, Any] = Incompatibility(
        [Term("a", several), Term("b", at_least_2, positive=False)],
        IncompatibilityCause.DEPENDENCY)
    required_a: Incompatibility[Any, Any] = Incompatibility(
        [Term(ROOT, one), Term("a", Range.singleton(Version("1.1")), positive=False)],
        IncompatibilityCause.ROOT)
    required_b: Incompatibility[Any, Any] = Incompatibility(
        [Term(ROOT, one), Term("b", ~at_least_2, positive=False)], IncompatibilityCause.ROOT)
    needs_b: Incompatibility[Any, Any] = Incompatibility(
        [Term(ROOT, one), Term("b", at_least_2, positive=False)], IncompatibilityCause.DERIVED,
        dependency, required_a)
    final: Incompatibility[Any, Any] = Incompatibility(
        [Term(ROOT, one)], IncompatibilityCause.DERIVED, needs_b, required_b)
    explanation, _ = explain(final, _Facts())
    assert explanation == (
        "Because a==1.1 depends on b>=2 and you require a==1.1, we can conclude that you "
        "require b>=2.\n"
        "And because you require b<2, we can conclude that your requirements are unsatisfiable.")


def test_an_override_that_names_a_missing_version() -> None:
    universe = {"a": {"1.0": ["b>=2.0"]}, "b": {"2.0": []}}
    # Word for word uv 0.13.9's.
    assert failure(universe, "a", overrides=["b==1.0"]) == (
        "Because there is no version of b==1.0 and all versions of a depend on b==1.0, we can "
        "conclude that all versions of a cannot be used.\n"
        "And because you require a, we can conclude that your requirements are unsatisfiable.")


def test_only_a_prerelease_would_do_but_prereleases_are_disallowed() -> None:
    options = ResolverOptions(prerelease="disallow")
    assert failure({"a": {"1.0": [], "2.1b1": []}}, "a>=2.0", options=options) == (
        "Because only a==1.0 is available and you require a>=2.0, we can conclude that your "
        "requirements are unsatisfiable.\n\n"
        "hint: Pre-releases are available for `a` in the requested range (e.g., 2.1b1), but "
        "pre-releases weren't enabled (try: `--prerelease=allow`)")


def test_only_yanked_versions() -> None:
    universe = {"a": {"1.0": Release(yanked=True), "1.1": Release(yanked=True)}}
    assert failure(universe, "a") == (
        "Because a>=1.0,<=1.1 were yanked and only a>=1.0,<=1.1 is available, we can conclude "
        "that all versions of a cannot be used.\n"
        "And because you require a, we can conclude that your requirements are unsatisfiable.")
    assert failure({"a": {"0.9": [], "1.0": Release(yanked=True)}}, "a>=1.0") == (
        "Because a==1.0 was yanked and only a<=1.0 is available, we can conclude that a>=1.0 "
        "cannot be used.\n"
        "And because you require a>=1.0, we can conclude that your requirements are "
        "unsatisfiable.")


def test_a_chain_of_conclusions() -> None:
    # Word for word uv 0.13.9's: no bound where no version lies beyond it (``baz>=3.0.0``,
    # ``baz<2``), the only version of foo for foo>=1.0.0,<2.
    universe = {"foo": {"1.0.0": ["bar>=2.0.0,<3"]}, "bar": {"2.0.0": ["baz>=3.0.0,<4"]},
                "baz": {"1.0.0": [], "3.0.0": []}}
    assert failure(universe, "foo>=1.0.0,<2", "baz>=1.0.0,<2") == (
        "Because all versions of bar depend on baz>=3.0.0 and all versions of foo depend on "
        "bar==2.0.0, we can conclude that all versions of foo depend on baz>=3.0.0.\n"
        "And because you require foo==1.0.0 and baz<2, we can conclude that your requirements "
        "are unsatisfiable.")


def test_a_conclusion_reused_later_is_numbered() -> None:
    universe = {
        "foo": {"1.0.0": ["a>=1.0.0,<2", "b>=1.0.0,<2"], "1.1.0": ["x>=1.0.0,<2", "y>=1.0.0,<2"]},
        "a": {"1.0.0": ["b>=2.0.0,<3"]}, "b": {"1.0.0": [], "2.0.0": []},
        "x": {"1.0.0": ["y>=2.0.0,<3"]}, "y": {"1.0.0": [], "2.0.0": []},
    }
    assert failure(universe, "foo>=1.0.0,<2") == (
        "Because all versions of a depend on b>=2.0.0 and foo==1.0.0 depends on a==1.0.0, we can "
        "conclude that foo==1.0.0 depends on b>=2.0.0.\n"
        "And because foo==1.0.0 depends on b<2, we can conclude that foo==1.0.0 cannot be used. "
        "(1)\n"
        "\n"
        "Because all versions of x depend on y>=2.0.0 and foo==1.1.0 depends on x==1.0.0, we can "
        "conclude that foo==1.1.0 depends on y>=2.0.0.\n"
        "And because foo==1.1.0 depends on y<2, we can conclude that foo==1.1.0 cannot be used.\n"
        "And because we know from (1) that foo==1.0.0 cannot be used, we can conclude that all "
        "versions of foo cannot be used.\n"
        "And because you require foo, we can conclude that your requirements are "
        "unsatisfiable.")


def test_the_error_keeps_explanation_and_hints_apart() -> None:
    from pyffin.resolver.errors import NoSolutionError
    from tests.resolver.memory import pins

    try:
        pins({}, "c")
    except NoSolutionError as e:
        assert e.explanation.startswith("Because c was not found")
        assert e.hints == ("`c`: looked in the test index",)
    else:  # pragma: no cover
        raise AssertionError("expected NoSolutionError")


def test_a_project_without_any_usable_version() -> None:
    assert failure({"c": {}}, "c") == (
        "Because there are no versions of c and you require c, we can conclude that your "
        "requirements are unsatisfiable.")


class _Facts:
    python_target = "the current Python version (3.11.7)"
    requires_python = None
    requested_python = None

    def available(self, name: str) -> list[Version]:
        return [Version("1.0")]

    def hidden_prereleases(self, name: str, version_range: VersionSet) -> list[Version]:
        return []

    def narrow(self, name: str, versions: VersionSet) -> VersionSet:
        return versions

    def simplify(self, name: str, versions: VersionSet) -> VersionSet:
        return versions

    def unchecked_index(self, name: str) -> tuple[str, str] | None:
        return None


def test_an_explanation_thousands_of_steps_deep_is_written() -> None:
    # p0 -> p1 -> ... -> pN, and pN has no version: each step derives "p_i cannot be used".
    depth = 3000
    one: VersionSet = Range.singleton(Version("1.0"))
    derived: Incompatibility[Any, Any] = Incompatibility(
        [Term(f"p{depth}", FULL)], IncompatibilityCause.NO_VERSIONS)
    for i in reversed(range(depth)):
        dependency: Incompatibility[Any, Any] = Incompatibility(
            [Term(f"p{i}", one), Term(f"p{i + 1}", FULL, positive=False)],
            IncompatibilityCause.DEPENDENCY)
        derived = Incompatibility([Term(f"p{i}", one)], IncompatibilityCause.DERIVED,
                                  derived, dependency)
    root: Incompatibility[Any, Any] = Incompatibility(
        [Term(ROOT, one), Term("p0", FULL, positive=False)], IncompatibilityCause.ROOT)
    final: Incompatibility[Any, Any] = Incompatibility([Term(ROOT, one)],
                                                      IncompatibilityCause.DERIVED, derived, root)
    explanation, hints = explain(final, _Facts())
    lines = explanation.splitlines()
    assert len(lines) == depth // 2 + 1  # two dependencies per "And because" step
    assert lines[0] == ("Because there are no versions of p3000 and p2999==1.0 depends on p3000, "
                        "we can conclude that p2999==1.0 cannot be used.")
    assert lines[1] == ("And because p2998==1.0 depends on p2999 and p2997==1.0 depends on "
                        "p2998, we can conclude that p2997==1.0 cannot be used.")
    assert lines[-1] == ("And because p0==1.0 depends on p1 and you require p0, we can conclude "
                         "that your requirements are unsatisfiable.")
    assert hints == ()


def test_versions_whose_metadata_is_invalid_are_named_with_the_reason() -> None:
    assert failure({"a": {"1.0": ["b>="], "1.1": ["c>="]}}, "a") == (
        "Because a>=1.0,<=1.1 have invalid metadata and only a>=1.0,<=1.1 is available, we can "
        "conclude that all versions of a cannot be used.\n"
        "And because you require a, we can conclude that your requirements are unsatisfiable.\n\n"
        "hint: `a==1.0`: declares invalid requirement 'b>=': Expected semicolon (after name "
        "with no version specifier) or end ...\n\n"
        "hint: `a==1.1`: declares invalid requirement 'c>=': Expected semicolon (after name "
        "with no version specifier) or end ...")


def test_a_version_that_could_not_be_built_is_named_only_when_it_matters() -> None:
    from pyffin.build.errors import BuildError

    error = BuildError("Failed to build a-2.0.tar.gz: the build_wheel hook failed\n(output)")
    source = MemorySource({"a": {"1.0": [], "2.0": []}}, errors={("a", "2.0"): error})
    assert explanation(source, "a>=1.5") == (
        "Because a==2.0 could not be built and only a==1.0 | ==2.0 are available, we can "
        "conclude that a>=1.5 cannot be used.\n"
        "And because you require a>=1.5, we can conclude that your requirements are "
        "unsatisfiable.\n\n"
        "hint: `a==2.0`: Failed to build a-2.0.tar.gz: the build_wheel hook failed ...")


def test_a_build_that_failed_is_named_with_what_its_output_says_went_wrong() -> None:
    from pyffin.build.errors import BuildError

    error = BuildError(
        "Failed to build a-2.0.tar.gz: the get_requires_for_build_wheel hook failed\n"
        "  backend output:\n"
        "    Traceback (most recent call last):\n"
        '      File "<string>", line 18, in <module>\n'
        "    ModuleNotFoundError: No module named 'pkg_resources'")
    source = MemorySource({"a": {"2.0": []}}, errors={("a", "2.0"): error})
    assert explanation(source, "a").split("\n\n", 1)[1] == (
        "hint: `a==2.0`: Failed to build a-2.0.tar.gz: the get_requires_for_build_wheel hook "
        "failed: ModuleNotFoundError: No module named 'pkg_resources' (-v shows the "
        "build's output)\n\n"
        "hint: the build imports `pkg_resources`, which setuptools 82 and later no longer "
        "include: build it with an older setuptools, with a build constraint "
        "(`--build-constraints FILE`, the file holding `setuptools<82`)")


def test_a_version_without_a_wheel_for_the_target_says_which_tag_is_missing() -> None:
    dropped = {"tf": [Dropped(Version("2.15.0"), "abi-tag", ("cp39", "cp310", "cp311"), "cp312")]}
    source = MemorySource({"tf": {"2.14.0": []}}, no_files=dropped)
    assert explanation(source, "tf==2.15.0") == (
        "Because tf==2.15.0 has no wheels with a matching Python ABI tag (e.g., `cp312`) and you "
        "require tf==2.15.0, we can conclude that your requirements are unsatisfiable.\n\n"
        "hint: You require CPython 3.12 (`cp312`), but we only found wheels for `tf` (v2.15.0) "
        "with the following Python ABI tags: `cp39`, `cp310`, `cp311`")


def test_versions_without_files_for_the_target_merge_into_one_range() -> None:
    dropped = {"tf": [Dropped(Version(v), "platform-tag", ("win_amd64",), "manylinux_2_28_x86_64")
                      for v in ("2.14.0", "2.15.0")],
               "src": [Dropped(Version("1.0"), "no-build", expected="--only-binary :all:")]}
    source = MemorySource({"tf": {}, "src": {}}, no_files=dropped)
    # "has" for one range, as uv 0.13.9 ("pywin32<=302 has no wheels with a matching ...").
    assert explanation(source, "tf") == (
        "Because tf>=2.14.0,<=2.15.0 has no wheels with a matching platform tag (e.g., "
        "`manylinux_2_28_x86_64`) and only tf>=2.14.0,<=2.15.0 is available, we can conclude "
        "that all versions of tf cannot be used.\n"
        "And because you require tf, we can conclude that your requirements are "
        "unsatisfiable.\n\n"
        "hint: Wheels are available for `tf` (v2.15.0) on the following platform: `win_amd64`")
    assert explanation(source, "src") == (
        "Because src==1.0 has no usable wheels and only src==1.0 is available, we can conclude "
        "that all versions of src cannot be used.\n"
        "And because you require src, we can conclude that your requirements are "
        "unsatisfiable.\n\n"
        "hint: Wheels are required for `src` because building from source is disabled for all "
        "packages (i.e., with `--only-binary :all:`)")


def test_a_project_lacking_an_abi_and_a_platform_gets_both_hints() -> None:
    # As uv 0.13.9 for pywin32 on Linux and Python 3.11 (old versions: no cp311 wheel; new
    # ones: Windows wheels only): a hint for each reason, in the order the explanation meets
    # them, not the first alone.
    dropped = {"pw": [Dropped(Version("1.0"), "abi-tag", ("cp310",), "cp311"),
                      Dropped(Version("2.0"), "platform-tag", ("win_amd64",),
                              "manylinux_2_28_x86_64")]}
    hints = explanation(MemorySource({"pw": {}}, no_files=dropped), "pw").split("\n\nhint: ")[1:]
    assert hints == [
        "You require CPython 3.11 (`cp311`), but we only found wheels for `pw` (v1.0) with the "
        "following Python ABI tag: `cp310`",
        "Wheels are available for `pw` (v2.0) on the following platform: `win_amd64`"]


def test_consecutive_versions_read_as_one_range() -> None:
    # uv: "b>=0.1.50,<=0.1.113 depends on c>=2", not 64 versions joined by "|".
    universe: dict[str, Any] = {"b": {f"0.1.{i}": ["c>=2"] for i in range(50, 114)},
                                "c": {"1.0": [], "2.0": []}}
    universe["b"].update({"0.1.49": [], "0.1.114": ["c>=3"]})
    assert failure(universe, "b>=0.1.50", "c<2") == (
        "Because b>=0.1.50,<=0.1.113 depends on c>=2 and b==0.1.114 depends on c>=3, we can "
        "conclude that b>=0.1.50 depends on c>=2.\n"
        "And because you require b>=0.1.50 and c<2, we can conclude that your requirements are "
        "unsatisfiable.")
