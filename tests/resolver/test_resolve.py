"""What ``resolve`` picks: candidate order, pre-releases, yanks, Requires-Python, extras, markers,
cycles, preferences, constraints, overrides, the dependency graph, and what it asks the source."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from pyffin.build.errors import BuildError, InvalidSourceTree
from pyffin.client.errors import ConnectError, OfflineError
from pyffin.errors import NotSupportedError, PyffinError
from pyffin.models.metadata import MetadataError
from pyffin.resolver.errors import NoSolutionError
from pyffin.resolver.options import ResolverOptions
from pyffin.resolver.output import format_requirements
from tests.resolver.memory import EXTRA_LEFT_BEHIND, TARGET, MemorySource, Release, pins, solve

FLASK = {
    "flask": {"3.0.0": ["werkzeug>=3.0", "jinja2>=3.1", "click>=8.1", "blinker>=1.6"],
              "3.1.0": ["werkzeug>=3.1", "jinja2>=3.1.2", "click>=8.1.3", "blinker>=1.9",
                        "importlib-metadata>=3.6; python_version < '3.10'",
                        "asgiref>=3.2; extra == 'async'"]},
    "werkzeug": {"3.0.6": ["markupsafe>=2.1.1"], "3.1.3": ["markupsafe>=2.1.1"]},
    "jinja2": {"3.1.4": ["markupsafe>=2.0"], "3.1.5": ["markupsafe>=2.0"]},
    "markupsafe": {"2.1.5": [], "3.0.2": []},
    "click": {"8.1.7": [], "8.1.8": []},
    "blinker": {"1.8.2": [], "1.9.0": []},
    "importlib-metadata": {"8.5.0": []},
    "asgiref": {"3.8.1": []},
}


def lowest(**kwargs: object) -> ResolverOptions:
    return ResolverOptions(resolution="lowest", **kwargs)  # type: ignore[arg-type]


def test_the_newest_compatible_versions_are_pinned() -> None:
    assert pins(FLASK, "flask") == {
        "blinker": "1.9.0", "click": "8.1.8", "flask": "3.1.0", "jinja2": "3.1.5",
        "markupsafe": "3.0.2", "werkzeug": "3.1.3"}


def test_no_requirements_resolve_to_nothing() -> None:
    assert pins(FLASK) == {}


def test_markers_are_evaluated_for_the_target() -> None:
    old = dict(TARGET, python_version="3.9", python_full_version="3.9.18")
    assert "importlib-metadata" in pins(FLASK, "flask", markers=old)
    assert "importlib-metadata" not in pins(FLASK, "flask")
    assert pins(FLASK, "click; sys_platform == 'win32'") == {}


def test_an_extra_adds_its_requirements_and_is_recorded_but_not_pinned_apart() -> None:
    resolution = solve(FLASK, "flask[async]")
    assert resolution["asgiref"].version == Version("3.8.1")
    assert resolution["flask"].extras == ("async",)
    assert resolution["asgiref"].dependents == ("flask",)
    assert "flask[async]" not in resolution


def test_lowest_picks_the_oldest_versions() -> None:
    assert pins(FLASK, "flask", options=lowest()) == {
        "blinker": "1.8.2", "click": "8.1.7", "flask": "3.0.0", "jinja2": "3.1.4",
        "markupsafe": "2.1.5", "werkzeug": "3.0.6"}


def test_lowest_direct_picks_the_oldest_direct_and_newest_transitive_versions() -> None:
    options = ResolverOptions(resolution="lowest-direct")
    assert pins(FLASK, "flask", "click", options=options) == {
        "blinker": "1.9.0", "click": "8.1.7", "flask": "3.0.0", "jinja2": "3.1.5",
        "markupsafe": "3.0.2", "werkzeug": "3.1.3"}


PRE = {"a": {"1.0": [], "2.0b1": [], "2.0b2": []}, "b": {"0.9b1": [], "1.0": []},
       "c": {"1.0a1": []}, "d": {"1.0": ["a>=1.5"]}}


@pytest.mark.parametrize("mode, requirement, expected", [
    ("if-necessary-or-explicit", "a", "1.0"),
    ("if-necessary-or-explicit", "a>=2.0b1", "2.0b2"),  # a direct specifier names a pre-release
    ("if-necessary-or-explicit", "a>=1.5", "2.0b2"),  # only pre-releases satisfy it
    ("if-necessary-or-explicit", "c", "1.0a1"),  # only pre-releases exist
    ("if-necessary", "a>=1.5", "2.0b2"),
    ("allow", "a", "2.0b2"),
    ("explicit", "a>=2.0b1", "2.0b2"),
    # uv 0.13: naming a pre-release admits pre-releases, but a final release that satisfies
    # the requirement is still preferred.
    ("if-necessary-or-explicit", "a>=0.9b1", "1.0"),
    ("explicit", "a>=0.9b1", "1.0"),
    ("allow", "a>=0.9b1", "2.0b2"),
])
def test_prerelease_modes_choose_like_uv(mode: str, requirement: str, expected: str) -> None:
    name = requirement[0]
    options = ResolverOptions(prerelease=mode)  # type: ignore[arg-type]
    assert pins(PRE, requirement, options=options)[name] == expected


def test_a_package_s_own_prerelease_mode_wins_over_the_global_one() -> None:
    # uv's --prerelease-package NAME=MODE (the last one for a name wins).
    own = ResolverOptions(prerelease_packages=(("a", "allow"),))
    assert pins(PRE, "a", "b", options=own) == {"a": "2.0b2", "b": "1.0"}
    others = ResolverOptions(prerelease="allow", prerelease_packages=(
        ("a", "allow"), ("a", "disallow")))
    assert pins(PRE, "a", "b>=0.9b1", options=others) == {"a": "1.0", "b": "1.0"}
    assert pins(PRE, "a", "c", options=others) == {"a": "1.0", "c": "1.0a1"}
    explicit = ResolverOptions(prerelease_packages=(("a", "explicit"),))
    with pytest.raises(PyffinError, match="unsatisfiable"):
        pins(PRE, "d", options=explicit)  # d's a>=1.5 names no pre-release


def test_if_necessary_prefers_a_final_release_when_one_satisfies() -> None:
    assert pins(PRE, "b", options=ResolverOptions(prerelease="if-necessary"))["b"] == "1.0"


def test_a_transitive_prerelease_is_used_when_nothing_else_satisfies() -> None:
    assert pins(PRE, "d")["a"] == "2.0b2"


@pytest.mark.parametrize("mode", ["disallow", "explicit"])
def test_disallowed_prereleases_are_never_chosen(mode: str) -> None:
    options = ResolverOptions(prerelease=mode)  # type: ignore[arg-type]
    assert pins(PRE, "a", options=options)["a"] == "1.0"
    with pytest.raises(PyffinError, match="unsatisfiable"):
        pins(PRE, "c", options=options)


#: With ``--index-strategy unsafe-first-match``: lib 1.0 and 2.0b1 on the first index, 3.0 and
#: 0.5 on the second; "old" offers only a release that needs Python 4 first.
FIRST_MATCH = {
    "lib": {"1.0": [], "2.0b1": [], "3.0": Release(index=1), "0.5": Release(index=1)},
    "old": {"2.0": Release(python=">=4"), "1.0": Release(index=1)},
}


@pytest.mark.parametrize("requirement, options, expected", [
    ("lib", ResolverOptions(), "1.0"),  # the first index's newest, not the highest overall
    ("lib<1", ResolverOptions(), "0.5"),  # nothing on the first index: the second's
    ("lib>1", ResolverOptions(), "2.0b1"),  # uv: each index's pre-releases before the next's
    ("lib>1", ResolverOptions(prerelease="disallow"), "3.0"),
    ("lib", ResolverOptions(resolution="lowest"), "1.0"),
    ("old", ResolverOptions(), "1.0"),  # the first index's only version does not fit
])
def test_unsafe_first_match_tries_each_index_in_turn(requirement: str,
                                                    options: ResolverOptions,
                                                    expected: str) -> None:
    name = requirement[:3]
    assert pins(FIRST_MATCH, requirement, options=options)[name] == expected


YANKED = {"a": {"1.0": [], "1.1": Release(yanked=True)}}


def test_the_source_hears_when_the_resolution_is_over() -> None:
    done = ("resolution_done", "", None)
    solved = MemorySource({"a": {"1.0": []}})
    solve(solved, "a")
    assert solved.calls[-1] == done and solved.calls.count(done) == 1
    failed = MemorySource({"a": {"1.0": []}})
    with pytest.raises(NoSolutionError):
        solve(failed, "a>=5")
    assert failed.calls[-1] == done and failed.calls.count(done) == 1


def test_yanked_versions_are_skipped() -> None:
    assert pins(YANKED, "a") == {"a": "1.0"}


def test_a_yanked_version_pinned_exactly_is_used() -> None:
    assert pins(YANKED, "a==1.1") == {"a": "1.1"}
    assert pins(YANKED, "a===1.1") == {"a": "1.1"}
    assert pins(YANKED, "a", constraints=["a==1.1"]) == {"a": "1.1"}


def test_only_the_lower_bound_of_requires_python_counts_as_in_uv() -> None:
    # The target is 3.11.7: an upper bound (a guess about future Pythons) is ignored.
    universe = {"a": {"1.0": [], "2.0": Release(python=">=3.8,<3.11"),
                      "3.0": Release(python=">=3.12,<4")}}
    assert pins(universe, "a") == {"a": "2.0"}
    assert pins({"a": {"1.0": [], "2.0": Release(python="==3.10.*")}}, "a") == {"a": "2.0"}
    assert pins({"a": {"1.0": [], "2.0": Release(metadata_python="<3.11")}}, "a") == {"a": "2.0"}
    assert pins({"a": {"1.0": [], "2.0": Release(python=">3.11.7")}}, "a") == {"a": "1.0"}


def test_requires_python_compares_the_targets_release_only() -> None:
    candidate = dict(TARGET, python_full_version="3.13.0rc1", python_version="3.13")
    universe = {"a": {"1.0": [], "2.0": Release(python=">=3.13")}}
    assert pins(universe, "a", markers=candidate) == {"a": "2.0"}


def test_versions_whose_requires_python_excludes_the_target_are_skipped() -> None:
    universe = {"a": {"1.0": [], "2.0": Release(python=">=3.12"),
                      "1.5": Release(metadata_python=">=3.12")}}
    assert pins(universe, "a") == {"a": "1.0"}
    newer = dict(TARGET, python_full_version="3.12.1", python_version="3.12")
    assert pins(universe, "a", markers=newer) == {"a": "2.0"}


def test_an_index_requires_python_spares_fetching_the_metadata() -> None:
    source = MemorySource({"a": {"1.0": [], "2.0": Release(python=">=3.12")}})
    pins(source, "a")
    assert ("metadata", "a", "2.0") not in source.calls


def test_nothing_the_index_rules_out_is_prefetched() -> None:
    # Neither the likely-next-version guess nor a batch asks for a version the index page
    # already excludes (Requires-Python, yanked).
    universe = {"a": {"1.0": [], "2.0": Release(python=">=3.12"), "3.0": Release(yanked=True)},
                "b": {f"1.{i}": [f"c=={i}"] for i in range(30)},
                "c": {**{str(i): Release(python=">=3.12") for i in range(0, 30, 2)},
                      **{str(i): [] for i in range(1, 30, 2)}}}
    source = MemorySource(universe)
    assert pins(source, "a", "b", "c<3") == {"a": "1.0", "b": "1.1", "c": "1"}
    asked = {(kind, name, version) for kind, name, version in source.calls
             if kind in ("prefetch", "metadata")}
    assert not {("prefetch", "a", "2.0"), ("prefetch", "a", "3.0")} & asked
    assert not {call for call in asked if call[1] == "c" and int(call[2] or 0) % 2 == 0}


def test_the_one_version_a_direct_requirement_leaves_is_prefetched_as_certain() -> None:
    # Every solution has it (``a==1.0``): its metadata may be fetched however it must be (its
    # sdist built in the pool). Not a version the solver might pass over: one of a range
    # that holds more (``b>=1``, ``d==1.0`` with ``1.0+local``), nor one only a dependency or
    # a constraint names.
    universe = {"a": {"1.0": ["c"], "2.0": []}, "b": {"1.0": [], "1.5": []},
                "c": {"1.0": [], "2.0": []}, "d": {"1.0": [], "1.0+local": []},
                "e": {"1.0": [], "2.0": []}}
    source = MemorySource(universe)
    assert pins(source, "a==1.0", "b>=1", "d==1.0", "e", constraints=["c==1.0"]) == {
        "a": "1.0", "b": "1.5", "c": "1.0", "d": "1.0+local", "e": "2.0"}
    assert source.certain == [("a", "1.0")]
    assert source.required["a"] is not None and source.required["c"] is None


def test_dependency_cycles_resolve() -> None:
    universe = {"a": {"1.0": ["b"]}, "b": {"1.0": ["a"]}}
    resolution = solve(universe, "a")
    assert resolution.pins() == {"a": Version("1.0"), "b": Version("1.0")}
    assert resolution["a"].dependents == ("b",)
    assert resolution["b"].dependents == ("a",)


def test_a_package_may_depend_on_itself_and_on_its_own_extras() -> None:
    universe = {"foo": {"1.0": Release(["foo", "foo[a]; extra == 'all'", "bar; extra == 'a'"],
                                       extras=["a", "all"])},
                "bar": {"1.0": []}}
    assert pins(universe, "foo") == {"foo": "1.0"}
    resolution = solve(universe, "foo[all]")
    assert resolution.pins() == {"bar": Version("1.0"), "foo": Version("1.0")}
    assert resolution["foo"].extras == ("a", "all")


def test_a_requirement_on_an_extra_and_on_the_package_agree_on_one_version() -> None:
    universe = {"a": {"1.0": Release(["c; extra == 'x'"], extras=["x"]),
                      "2.0": Release(["c; extra == 'x'"], extras=["x"])},
                "b": {"1.0": ["a[x]"]}, "c": {"1.0": []}}
    assert pins(universe, "a<2", "b") == {"a": "1.0", "b": "1.0", "c": "1.0"}


def test_an_extra_is_not_walked_down_versions_its_base_package_cannot_take() -> None:
    """``k[redis]`` at any version ``v`` depends on ``k==v``: once ``k`` is decided and the
    extra's range excludes that version, no version of the extra can do without undoing the
    decision of ``k``, so the solver backtracks at once instead of reading the metadata of
    (building, for sdists) every older version of ``k`` (apache-airflow[celery]: kombu)."""
    k = {f"1.{i}": Release(["redis-py; extra == 'redis'"], extras=["redis"]) for i in range(30)}
    k["2.0"] = Release(["p>=2; extra == 'redis'"], extras=["redis"])
    source = MemorySource({"c": {"1.0": ["k>=1", "k[redis]"]}, "k": k,
                           "p": {"1.0": [], "2.0": []}, "redis-py": {"1.0": []}})
    assert pins(source, "c", "p<2") == {"c": "1.0", "k": "1.29", "p": "1.0", "redis-py": "1.0"}
    read = [version for kind, name, version in source.calls if kind == "metadata" and name == "k"]
    assert sorted(read) == ["1.29", "2.0"]


@pytest.mark.parametrize("mode", ["lowest", "lowest-direct"])
def test_an_extra_is_not_walked_through_versions_below_its_base_packages_range(
        mode: str) -> None:
    """``requests>=2.20`` (which needs ``urllib3>=1.21.1,<1.25``) and ``urllib3[socks]``
    resolved lowest: the extra's versions below the range ``urllib3`` is held to cannot do
    (``u[socks]==v`` depends on ``u==v``), so they are ruled out at once, never read (the
    oldest are sdists that no longer build: three such failures stopped the resolution), and
    the extra takes the lowest version that can: uv's ``urllib3==1.21.1``."""
    u = {v: Release(["pysocks; extra == 'socks'"], extras=["socks"])
         for v in ("0.3", "1.0", "1.0.1", "1.0.2", "1.21.1", "1.24.3", "2.0")}
    broken = {("u", v): BuildError(f"Failed to build u-{v}.tar.gz")
              for v in ("0.3", "1.0", "1.0.1", "1.0.2")}
    source = MemorySource({"requests": {"2.19": ["u<1.24"], "2.20": ["u>=1.21.1,<1.25"]},
                           "u": u, "pysocks": {"1.7.1": []}}, errors=broken)
    assert pins(source, "requests>=2.20", "u[socks]",
                options=ResolverOptions(resolution=mode)) == {  # type: ignore[arg-type]
        "requests": "2.20", "u": "1.21.1", "pysocks": "1.7.1"}
    read = {version for kind, name, version in source.calls if kind == "metadata"
            and name == "u"}
    assert read == {"1.21.1"}


@pytest.mark.parametrize("mode", ["lowest", "lowest-direct", "highest"])
def test_a_direct_requirement_without_a_lower_bound_is_warned_about_when_resolving_lowest(
        monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """As uv: ``--resolution lowest`` picks the oldest release of ``a`` (rarely what is
    meant); a requirement with a lower bound (``>=``, ``==``, ``~=``, ``>``) is not named."""
    from pyffin import log

    monkeypatch.setattr(log, "_warned", set())
    universe = {name: {"1.0": [], "2.0": []} for name in "abcde"}
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.WARNING):
        pins(universe, "a", "b>=2", "c!=1.5,<3", "d~=2.0", "e==1.*",
             options=ResolverOptions(resolution=mode))  # type: ignore[arg-type]
    assert heard == ([] if mode == "highest" else [
        f"The direct dependency `{name}` is unpinned. Consider setting a lower bound when "
        "using `--resolution lowest` or `--resolution lowest-direct` to avoid using outdated "
        "versions." for name in "ac"])


def _trace(heard: list[str]) -> list[str]:
    """The lines of a ``-v`` trace that uv's show too: choices and the conflicts recorded."""
    return [message for message in heard if message.startswith(("Selecting", "Recording"))]


def test_the_debug_log_traces_each_decision_as_uv_does() -> None:
    """``-v`` shows each version chosen ("Selecting: a==1.0", uv's words) and each conflict
    recorded, line for line as uv 0.13.9 on this universe (served as find-links): until
    something went wrong, a version is decided without holding its requirements against the
    partial solution, so ``c`` 3.0 is a conflict found by unit propagation; from then on each
    version a requirement already rules out is refused before it is decided (``c`` 2.0)."""
    from pyffin import log

    universe = {"a": {"1.0": ["b<2"]}, "b": {"1.0": [], "2.0": []},
                "c": {"1.0": ["b>=2"], "2.0": ["b>=3"], "3.0": ["b>=3"]}}
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        assert pins(universe, "b", "c") == {"b": "2.0", "c": "1.0"}
    assert _trace(heard) == [
        "Selecting: b==2.0",
        "Selecting: c==3.0",
        "Recording unit propagation conflict of c from incompatibility of (c, b)",
        "Selecting: c==2.0",
        "Recording dependency conflict of c==2.0 from incompatibility of (c, b)",
        "Selecting: c==1.0",
    ]
    quiet: list[str] = []
    with log.routed(lambda level, message: quiet.append(message), log.INFO):
        pins(universe, "b", "c")
    assert not any(message.startswith("Selecting") for message in quiet)


def test_a_version_is_refused_when_what_was_derived_against_a_requirement_rules_it_out(
        ) -> None:
    """As pubgrub-rs and uv: before a version is decided, each of its requirements is held
    against everything the partial solution knows of that package — a derived exclusion too,
    not only a range required of it. After ``a`` 3.0 fails (``x[e]>=2`` against ``x<2``), ``x[e]``
    is known to be below 2, so ``a`` 2.0 (``x[e]>=2`` again) is refused at once instead of
    being decided and undone (``sqlalchemy<1.4 apache-airflow`` then picks uv's flask 1.1.2,
    click 8.5.1 and jinja2 3.0.3)."""
    from pyffin import log

    universe = {
        "x": {"1.0": Release(["c; extra == 'e'"], extras=["e"]),
              "2.0": Release(["c; extra == 'e'"], extras=["e"])},
        "a": {"1.0": ["x[e]>=1"], "2.0": ["x[e]>=2", "d==2"], "3.0": ["x[e]>=2", "d==1"]},
        "c": {"1.0": []}, "d": {"1.0": [], "2.0": []},
    }
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        assert pins(universe, "x<2", "a") == {"x": "1.0", "a": "1.0", "c": "1.0"}
    trace = _trace(heard)
    chosen = trace.index("Selecting: a==2.0")
    assert trace[chosen + 1:chosen + 3] == [
        "Recording dependency conflict of a==2.0 from incompatibility of (a, x[e])",
        "Selecting: a==1.0"]


def test_what_the_base_package_requires_comes_before_what_an_extra_adds() -> None:
    """As uv, which reaches ``a[x]`` through a proxy package: ``a`` itself is decided at that
    version first, so its own requirements are met (and ordered) before the extra's. Here
    either order solves, but gives other pins: ``b`` first takes 2.0, then ``c`` must stay
    below 2."""
    universe = {
        "a": {"1.0": Release(["b", "c; extra == 'x'"], extras=["x"])},
        "b": {"1.0": [], "2.0": ["c<2"]},
        "c": {"1.0": [], "2.0": ["b<2"]},
    }
    assert pins(universe, "a[x]") == {"a": "1.0", "b": "2.0", "c": "1.0"}


@pytest.mark.parametrize("requirement", ["a[y,x]", "p"])
def test_extras_are_met_in_the_order_written(requirement: str) -> None:
    """As uv: ``a[y,x]`` meets ``a[y]`` first (not the extras' sorted order), here whether
    the requirement is a direct one or ``p``'s. Its ``c`` is then decided before the ``b`` of
    ``a[x]``, and takes 2.0."""
    universe = {
        "a": {"1.0": Release(["b; extra == 'x'", "c; extra == 'y'"], extras=["x", "y"])},
        "b": {"1.0": [], "2.0": ["c<2"]},
        "c": {"1.0": [], "2.0": ["b<2"]},
        "p": {"1.0": ["a[y,x]"]},
    }
    found = pins(universe, requirement)
    assert (found["b"], found["c"]) == ("1.0", "2.0")


def _chosen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The packages the solver goes on to decide, in its order (uv's trace says "Chose package
    for decision"), each time, whatever becomes of the choice."""
    from pyffin.resolver.pubgrub import Solver

    chosen: list[str] = []
    decide_next = Solver._decide_next

    def noted(solver: Solver, package: Any) -> Any:
        chosen.append(package)
        return decide_next(solver, package)

    monkeypatch.setattr(Solver, "_decide_next", noted)
    return chosen


def test_a_culprit_undone_is_decided_after_the_package_it_kept_refusing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As uv: deprioritizing a package ("too many conflicts (culprit)") replaces its
    priority even while a requirement pins it to one version, so once its decision is
    undone the package whose versions it refused goes first; it comes next, before the
    packages never in a conflict (uv 0.13.9 on this universe served as find-links, its
    trace's "Chose package for decision": root p x y x y y y y y y y x z)."""
    from pyffin import log

    universe = {
        "p": {"1.0": ["x==1.0"]},
        "x": {"1.0": [], "2.0": []},
        "y": {f"{n}.0": (["x>=2"] if n > 1 else []) for n in range(1, 8)},
        "z": {"1.0": []},
    }
    chosen = _chosen(monkeypatch)
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        assert pins(universe, "p", "y", "z") == {"p": "1.0", "x": "1.0", "y": "1.0",
                                                 "z": "1.0"}
    assert "Package x has too many conflicts (culprit), deprioritizing" in heard
    assert chosen[:8] == ["p", "x", "y", "x", "y", "y", "y", "y"]  # y 7.0 to 3.0
    assert chosen[-3:] == ["y", "x", "z"]


def test_a_project_a_requirement_pinned_keeps_its_priority_after_a_backjump(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As uv, whose priorities only ever rise: ``conn[fl]`` 2.0 requires ``conn==2.0``, which
    makes ``conn`` a "singleton" project for the rest of the resolution. ``conn`` 2.0 fails
    (werk>=3 where fab holds werk<3) and the backjump undoes alembic too: ``conn[fl]`` and
    ``conn`` are decided again before alembic, though alembic was named first (uv 0.13.9 on
    this universe as find-links, "Chose package for decision": root app fab alembic conn[fl]
    conn conn[fl] conn conn[fl] alembic werk extra1; its second ``conn[fl]`` is a proxy of its
    own)."""
    universe = {
        "app": {"1.0": ["fab", "alembic", "conn[fl]"]}, "fab": {"1.0": ["werk<3"]},
        "alembic": {"1.0": []}, "extra1": {"1.0": []}, "werk": {"2.0": [], "3.0": []},
        "conn": {"1.0": Release(["werk", "extra1; extra == 'fl'"], extras=["fl"]),
                 "2.0": Release(["werk>=3", "extra1; extra == 'fl'"], extras=["fl"])},
    }
    chosen = _chosen(monkeypatch)
    assert pins(universe, "app")["conn"] == "1.0"
    assert chosen == ["app", "fab", "alembic", "conn[fl]", "conn",
                      "conn[fl]", "conn", "alembic", "werk", "extra1"]


def _python_refusals(where: str) -> dict[str, dict[str, Any]]:
    """``p``'s 1.1 to 1.5 require a Python newer than the target (so does ``a`` 2.0), stated
    on the index page or only in their metadata; ``q`` 2.0 and ``p`` 2.0 exclude each other."""
    newer = {where: ">=3.99"}
    return {
        "a": {"1.0": [], "2.0": Release(**newer)},
        "q": {"1.0": [], "2.0": ["p<2"]},
        "p": {"1.0": [], **{f"1.{i}": Release(**newer) for i in range(1, 6)},
              "2.0": ["q<2"]},
    }


def test_versions_refused_for_their_requires_python_are_conflicts_as_in_uv() -> None:
    """uv 0.13.9 decides the newest version in range even when the Requires-Python of the
    index page excludes the target, and the conflict with the Python it depends on counts:
    ``p`` (narrowed to <2 by ``q`` 2.0, decided first) refuses 1.5 to 1.1, each a conflict
    and a backjump to where ``p`` was first required. Python's range was new only at ``a``
    2.0, so after five ``p`` is decided early, at 2.0, and ``q`` takes 1.0 (checked with
    uv 0.13.9 on a local index: a 1.0, p 2.0, q 1.0)."""
    from pyffin import log

    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        assert pins(_python_refusals("python"), "a", "q", "p") == {
            "a": "1.0", "p": "2.0", "q": "1.0"}
    assert heard.count("Recording unit propagation conflict of Python from incompatibility "
                       "of (p)") == 5
    assert "Package p has too many conflicts (affected), prioritizing" in heard


#: ``a`` needs ``n`` only under a marker (true on the target); ``s`` 2.0 keeps ``n`` below 2;
#: ``n`` 3.x need a newer Python (their index page says so).
MARKED: dict[str, Any] = {
    "a": {"1.0": ["n>=1.0; python_version < '3.12'"]},
    "s": {"1.0": ["n>=1.0"], "2.0": ["n>=1.0,<2"]},
    "n": {"1.0": [], "1.5": [], "2.0": [],
          **{f"3.{i}": Release(python=">=3.12") for i in range(6)}},
}


@pytest.mark.parametrize("requirements", [
    ("a", "s"),
    ("s", "n>=1.0; python_version < '3.12'"),
    ("a[x]", "s"),
])
def test_a_requirement_under_a_marker_is_decided_through_uvs_marker_proxy(
        requirements: tuple[str, ...]) -> None:
    """uv resolves ``n>=1.0; python_version < '3.12'`` as a requirement of a proxy package
    ``n{python_full_version < '3.12'}``, whose every version depends on that of ``n``: its
    versions are chosen in its own range (``>=1.0``) rather than in ``n``'s (``<2``, once
    ``s`` 2.0 is decided), so ``n`` 3.5 to 3.0 are refused for their Python, five conflicts
    that decide ``n`` early, at 2.0, and ``s`` at 1.0 -- where deciding ``n`` itself finds 1.5
    at once. Checked with uv 0.13.9 on a local index, as a dependency, a direct requirement
    and an extra's dependency: n 2.0, s 1.0 (``pandas<2 scipy<1.10 scikit-learn<1.2`` for
    Python 3.9 on pypi.org: numpy 2.0.2, scipy 1.6.1)."""
    from pyffin import log

    universe = dict(MARKED)
    if "a[x]" in requirements:
        universe["a"] = {"1.0": Release(["n>=1.0; python_version < '3.12' and extra == 'x'"],
                                        extras=["x"])}
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        found = pins(universe, *requirements)
    assert {name: found[name] for name in ("n", "s")} == {"n": "2.0", "s": "1.0"}
    assert "n{python_full_version < '3.12'}" not in found
    assert ("Package n{python_full_version < '3.12'} has too many conflicts (affected), "
            "prioritizing") in heard


def test_an_extra_refuses_versions_for_python_before_its_package_narrows_it() -> None:
    """``n[x]`` is chosen in its own range (``>=1.0``) as in uv: ``n`` 3.5 to 3.0 are refused
    for their Python before ``n``'s range (``<2``, once ``s`` 2.0 is decided) rules out what
    lies outside it, and the five conflicts decide ``n`` early (checked with uv 0.13.9 on a
    local index: n 2.0, s 1.0; pyffin gave n 1.5, s 2.0)."""
    extra = Release(extras=["x"])
    universe = {"a": {"1.0": ["n[x]>=1.0"]},
                "s": {"1.0": ["n>=1.0"], "2.0": ["n>=1.0,<2"]},
                "n": {"1.0": extra, "1.5": extra, "2.0": extra,
                      **{f"3.{i}": Release(python=">=3.12", extras=["x"]) for i in range(6)}}}
    assert pins(universe, "a", "s") == {"a": "1.0", "n": "2.0", "s": "1.0"}


def test_a_marker_proxy_reads_no_metadata_of_versions_its_project_cannot_take() -> None:
    """The proxy walks down from ``n`` 3.0 (its own range is every version) while ``s`` keeps
    ``n`` below 2: each version it tries clashes with ``n``'s range as it is decided, before
    anything is fetched for it (its versions depend only on the project's)."""
    universe = {"a": {"1.0": ["n; python_version < '3.12'"]},
                "s": {"1.0": ["n<2"]},
                "n": {"1.0": [], "2.0": [], "3.0": []}}
    source = MemorySource(universe)
    assert pins(source, "a", "s") == {"a": "1.0", "n": "1.0", "s": "1.0"}
    assert [call for call in source.calls if call[:2] == ("metadata", "n")] == [
        ("metadata", "n", "1.0")]


def test_a_marker_proxy_is_one_package_for_markers_that_say_the_same() -> None:
    """``python_version <= '3.11'`` and ``python_version < '3.12'`` are one marker, as uv
    writes it: both requirements are on one proxy, decided once."""
    universe = {"a": {"1.0": ["n>=1.0; python_version <= '3.11'"]},
                "b": {"1.0": ["n<3; python_version < '3.12'"]},
                "n": {"1.0": [], "2.0": [], "3.0": []}}
    from pyffin import log

    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        assert pins(universe, "a", "b") == {"a": "1.0", "b": "1.0", "n": "2.0"}
    chosen = [line for line in heard if line.startswith("Selecting: n")]
    assert chosen == ["Selecting: n{python_full_version < '3.12'}==2.0", "Selecting: n==2.0"]


def test_a_package_deprioritized_goes_before_those_never_in_a_conflict() -> None:
    """Without ``a``, Python's range is new at ``p``'s first refusal: ``p`` counts as a
    culprit five times but as affected only four, so it is deprioritized ("conflict late"),
    its decision undone, and -- as in uv, where such a package still goes before those never
    in a conflict -- decided before ``q``, at 2.0 (checked with uv 0.13.9 on a local index:
    p 2.0, q 1.0; the other order ends on p 1.0, q 2.0)."""
    universe = _python_refusals("python")
    del universe["a"]
    assert pins(universe, "q", "p") == {"p": "2.0", "q": "1.0"}


def test_a_requires_python_only_the_metadata_states_is_no_conflict() -> None:
    """What only the metadata says rules the version out before it is decided, in uv as
    here: no conflict, and ``q``, decided first, keeps 2.0."""
    assert pins(_python_refusals("metadata_python"), "a", "q", "p") == {
        "a": "1.0", "p": "1.0", "q": "2.0"}


def test_a_missing_extra_is_warned_about_only_for_the_version_pinned(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As uv: a version tried and left behind (connexion 2.15, lacking the ``flask`` extra, on
    the way to 2.14.2 for apache-airflow[google]) is not named in a warning."""
    from pyffin import log

    monkeypatch.setattr(log, "_warned", set())
    universe = EXTRA_LEFT_BEHIND
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.WARNING):
        source = MemorySource(universe)
        assert pins(source, "lib[fast]", "f") == {"c": "1.0", "e": "1.0", "f": "1.0",
                                                   "lib": "1.0"}
        assert ("metadata", "lib", "2.0") in source.calls  # tried, then left behind
        assert heard == []
        assert pins(universe, "lib[fast]>1") == {"b": "2.0", "e": "2.0", "lib": "2.0"}
    assert heard == ["lib==2.0 does not provide the extra 'fast'"]


def test_preferences_are_kept_when_allowed() -> None:
    preferences = {"click": "8.1.7", "markupsafe": "2.1.5", "blinker": "1.0"}
    resolved = pins(FLASK, "flask", preferences=preferences)
    assert (resolved["click"], resolved["markupsafe"]) == ("8.1.7", "2.1.5")
    assert resolved["blinker"] == "1.9.0"  # 1.0 is not offered


def test_a_preference_the_source_does_not_offer_is_never_asked_for() -> None:
    """An installed version of a local project whose version has since changed (0.1.0
    installed, the source now builds 0.2.0): the pin is simply not used."""
    source = MemorySource({"demo": {"0.2.0": ["six"]}, "six": {"1.0": []}})
    assert pins(source, "demo", preferences={"demo": "0.1.0", "six": "1.0"}) == {
        "demo": "0.2.0", "six": "1.0"}
    assert not [call for call in source.calls if call[1:] == ("demo", "0.1.0")]


def test_a_preference_outside_the_requirement_is_ignored() -> None:
    assert pins(FLASK, "click>8.1.7", preferences={"click": "8.1.7"}) == {"click": "8.1.8"}


def test_upgrade_ignores_preferences() -> None:
    preferences = {"click": "8.1.7", "markupsafe": "2.1.5"}
    resolved = pins(FLASK, "flask", preferences=preferences,
                    options=ResolverOptions(upgrade=True))
    assert (resolved["click"], resolved["markupsafe"]) == ("8.1.8", "3.0.2")
    resolved = pins(FLASK, "flask", preferences=preferences,
                    options=ResolverOptions(upgrade_packages=frozenset({"click"})))
    assert (resolved["click"], resolved["markupsafe"]) == ("8.1.8", "2.1.5")


def test_constraints_restrict_versions_but_add_no_package() -> None:
    assert pins(FLASK, "flask", constraints=["click<8.1.8", "asgiref==3.8.1"])["click"] == "8.1.7"
    assert "asgiref" not in pins(FLASK, "flask", constraints=["asgiref==3.8.1"])
    assert pins(FLASK, "click", constraints=["click<9; sys_platform == 'win32'"]) == {
        "click": "8.1.8"}


def test_overrides_replace_every_requirement_on_a_package() -> None:
    universe = {"a": {"1.0": ["b<1.0"]}, "b": {"0.5": [], "2.0": []}}
    assert pins(universe, "a", "b>=1", overrides=["b==2.0"]) == {"a": "1.0", "b": "2.0"}
    assert pins(universe, "a", overrides=["b; sys_platform == 'win32'"]) == {"a": "1.0"}
    resolution = solve(universe, "a", overrides=["b==2.0"])
    assert resolution["b"].origins == ("--override overrides.txt",)
    assert resolution["b"].dependents == ("a",)


def test_excluded_projects_are_left_out_with_their_own_dependencies() -> None:
    # uv's --excludes: every requirement on an excluded name is dropped, direct or not,
    # whatever its specifier or marker, and even when an override names it; what only it
    # required goes with it, and requirements on it no longer conflict.
    universe = {"a": {"1.0": ["b<1", "c"]}, "b": {"0.5": ["d"], "2.0": []}, "c": {"1.0": []},
                "d": {"1.0": []}, "e": {"1.0": ["b>1"]}}
    assert pins(universe, "a", excludes=["b"]) == {"a": "1.0", "c": "1.0"}
    assert pins(universe, "a", "b>=2", "e", excludes=["b"]) == {
        "a": "1.0", "c": "1.0", "e": "1.0"}
    assert pins(universe, "a", "e", overrides=["b==2.0"], excludes=["b", "c"]) == {
        "a": "1.0", "e": "1.0"}
    assert pins(universe, "b", excludes=["b"]) == {}
    resolution = solve(universe, "a", "d", excludes=["b"])
    assert resolution["d"].dependents == ()  # b, which needs it too, is not there
    assert resolution["d"].origins == ("-r requirements.in",)


def test_the_graph_records_dependents_and_origins() -> None:
    resolution = solve(FLASK, "flask", "markupsafe", constraints=["click<9"])
    assert resolution["flask"].origins == ("-r requirements.in",)
    assert resolution["flask"].dependents == ()
    assert resolution["markupsafe"].origins == ("-r requirements.in",)
    assert resolution["markupsafe"].dependents == ("jinja2", "werkzeug")
    assert resolution["click"].origins == ("-c constraints.txt",)
    assert resolution["click"].dependents == ("flask",)
    assert list(resolution.packages) == sorted(resolution.packages)


URL = "https://example.com/b-1.0.tar.gz"


def test_a_direct_url_requirement_is_the_only_candidate_of_its_package() -> None:
    source = MemorySource({"a": {"1.0": ["b>=1"]}, "b": {"1.0": [], "2.0": []}},
                          urls={URL: "1.0"})
    resolution = solve(source, "a", f"b @ {URL}")
    assert ("pin_url", "b", URL) in source.calls
    assert resolution.pins() == {"a": Version("1.0"), "b": Version("1.0")}
    assert resolution["b"].url == URL and resolution["a"].url is None


def test_a_url_dependency_needs_the_same_url_as_a_direct_requirement() -> None:
    universe = {"a": {"1.0": [f"b @ {URL}"]}, "b": {"1.0": []}}
    with pytest.raises(NotSupportedError, match=r"a==1\.0 depends on b @ https://example.com/"
                                                r"b-1\.0\.tar\.gz, a direct URL"):
        pins(universe, "a")
    source = MemorySource(universe, urls={URL: "1.0"})
    assert solve(source, "a", f"b @ {URL}")["b"].url == URL


def test_two_urls_for_one_package_are_an_error() -> None:
    other = "https://example.com/b-2.0.tar.gz"
    source = MemorySource({"b": {"1.0": [], "2.0": []}}, urls={URL: "1.0", other: "2.0"})
    with pytest.raises(PyffinError, match="b is required from two different places"):
        solve(source, f"b @ {URL}", f"b @ {other}")


def test_git_urls_compare_without_their_revision() -> None:
    from pyffin.resolver.dependencies import same_url

    assert same_url("git+https://h/r.git@main#egg=b", "git+https://h/r.git@0123abc")
    assert not same_url("git+https://h/r.git@main#subdirectory=x", "git+https://h/r.git@main")
    assert not same_url("https://h/b-1.0.tar.gz", "https://h/b-2.0.tar.gz")


def test_url_pins_are_written_as_direct_references() -> None:
    source = MemorySource({"b": {"1.0": []}}, urls={URL: "1.0"})
    text = format_requirements(solve(source, f"b @ {URL}"), annotate=False)
    assert text == f"b @ {URL}\n"


def test_a_version_whose_metadata_names_another_project_or_version_is_skipped() -> None:
    assert pins({"a": {"1.0": [], "2.0": Release(metadata_name="b")}}, "a") == {"a": "1.0"}
    assert pins({"a": {"1.0": [], "2.0": Release(metadata_version="2.1")}}, "a") == {"a": "1.0"}


def test_a_version_declaring_an_invalid_requirement_is_skipped() -> None:
    assert pins({"a": {"1.0": ["b"], "2.0": ["b>="]}, "b": {"1.0": []}}, "a") == {
        "a": "1.0", "b": "1.0"}


def test_a_version_whose_marker_cannot_be_evaluated_is_skipped() -> None:
    universe = {"a": {"1.0": [], "2.0": ["b; python_version ~= '3'"]}, "b": {"1.0": []}}
    assert pins(universe, "a") == {"a": "1.0"}


@pytest.mark.parametrize("error", [
    MetadataError("no METADATA in a-2.0-py3-none-any.whl"),
    BuildError("Failed to build a-2.0.tar.gz: the backend's build_wheel hook failed"),
    InvalidSourceTree("a-2.0.tar.gz has no pyproject.toml or setup.py"),
])
def test_a_version_whose_metadata_cannot_be_had_is_skipped(error: PyffinError) -> None:
    source = MemorySource({"a": {"1.0": [], "2.0": []}}, errors={("a", "2.0"): error})
    assert pins(source, "a") == {"a": "1.0"}


def test_a_failure_of_an_unneeded_version_is_never_seen() -> None:
    error = BuildError("Failed to build b-1.0.tar.gz")
    source = MemorySource({"a": {"1.0": ["b"], "2.0": ["b>=2"]}, "b": {"1.0": [], "2.0": []}},
                          errors={("b", "1.0"): error})
    assert pins(source, "a") == {"a": "2.0", "b": "2.0"}
    assert ("metadata", "b", "1.0") not in source.calls


@pytest.mark.parametrize("error", [
    ConnectError("cannot connect", url="https://files.example.com/a-2.0.whl.metadata"),
    OfflineError("not in the cache (--offline)", url="https://x.example/a-2.0.whl.metadata"),
])
def test_network_errors_of_a_needed_version_stay_fatal(error: PyffinError) -> None:
    source = MemorySource({"a": {"1.0": [], "2.0": []}}, errors={("a", "2.0"): error})
    with pytest.raises(type(error)) as raised:
        pins(source, "a")
    assert raised.value is error


def test_errors_of_the_source_propagate_unchanged() -> None:
    error = NotSupportedError("building source distributions is not supported yet: a-1.0.tar.gz")
    source = MemorySource({"a": {"1.0": []}}, errors={("a", "1.0"): error})
    with pytest.raises(NotSupportedError) as raised:
        pins(source, "a")
    assert raised.value is error


def test_dependencies_are_announced_before_they_are_needed() -> None:
    source = MemorySource(FLASK)
    pins(source, "flask")
    calls = source.calls
    for name in ("werkzeug", "jinja2", "click", "blinker", "markupsafe"):
        announced = calls.index(("prefetch_candidates", name, None))
        assert announced < calls.index(("candidates", name, None))
    assert calls.index(("prefetch", "click", "8.1.8")) < calls.index(("metadata", "click", "8.1.8"))


def test_the_version_guessed_before_the_versions_are_known_is_the_one_chosen() -> None:
    # The newest final, not yanked release whose Requires-Python fits, that the requirements
    # allow: what the solver then chooses, so its metadata is worth fetching right away.
    universe = {"root": {"1.0": ["a", "b<2"]},
                "a": {"3.0": Release(python=">=3.99"), "2.1b1": [], "2.0": Release(yanked=True),
                      "1.5": [], "1.0": []},
                "b": {"2.0": [], "1.9": [], "1.0": []}}
    source = MemorySource(universe)
    assert pins(source, "root", "b<1.9") == {"a": "1.5", "b": "1.0", "root": "1.0"}
    assert source.guesses == {"root": "1.0", "a": "1.5", "b": "1.0"}


def test_what_arrived_first_never_changes_the_order_of_decisions_nor_the_answer() -> None:
    """The same input gives the same pins whatever data the network brought first (uv's
    answers never depend on timing; a lock checked in CI must not flip between runs)."""
    universe = {"root": {"1.0": ["slow", "fast"]}, "slow": {"1.0": []}, "fast": {"1.0": []}}
    for slow in (set(), {"slow"}, {"fast"}):
        source = MemorySource(universe, slow=slow)
        pins(source, "root")
        assert [name for kind, name, _ in source.calls if kind == "metadata"] == [
            "root", "slow", "fast"]
    # Either order of deciding a and b gives a valid answer: only one may ever be chosen.
    crossed = {"a": {"1.0": [], "2.0": ["b<2"]}, "b": {"1.0": [], "2.0": ["a<2"]}}
    answers = {tuple(sorted(pins(MemorySource(crossed, slow=slow), "a", "b").items()))
               for slow in (set(), {"a"}, {"b"}, {"a", "b"})}
    assert answers == {(("a", "2.0"), ("b", "1.0"))}


class _Arriving(MemorySource):
    """``slow``'s data arrives after its readiness was asked ``after`` times."""

    after = 5

    def is_ready(self, name: NormalizedName, version: Version | None) -> bool:
        if name == "slow" and self.after > 0:
            self.after -= 1
            return False
        return True


def test_the_likely_version_of_a_package_whose_page_came_late_is_fetched_before_its_turn(
        ) -> None:
    """A package whose page is still in flight is looked at again at each decision: once the
    page is in, its likely version's metadata is fetched while other packages are decided,
    not when its own turn comes."""
    fast = [f"fast{i}" for i in range(20)]
    universe = {"root": {"1.0": [*fast, "slow"]}, "slow": {"1.0": []},
                **{name: {"1.0": []} for name in fast}}
    source = _Arriving(universe)
    assert pins(source, "root")["slow"] == "1.0"
    calls = [(kind, name) for kind, name, _ in source.calls if kind in ("prefetch", "metadata")]
    decided = [name for kind, name in calls if kind == "metadata"]
    assert decided == ["root", *fast, "slow"]  # its turn: discovered last
    prefetched = calls.index(("prefetch", "slow"))
    assert prefetched < calls.index(("metadata", "fast5"))


def test_common_mistakes_in_published_requirements_are_repaired_as_uv_does() -> None:
    universe = {"django-es": {"7.2.2": ["elasticsearch-dsl (>=7.2.0<8.0.0)", "foo!=3.0*"],
                              "7.2.1": []},
                "elasticsearch-dsl": {"7.4.0": [], "8.0.0": []}, "foo": {"3.0.1": [], "3.1": []}}
    assert pins(universe, "django-es") == {"django-es": "7.2.2", "elasticsearch-dsl": "7.4.0",
                                           "foo": "3.1"}


def test_a_requires_python_with_a_common_mistake_is_repaired() -> None:
    universe = {"a": {"1.0": [], "2.0": Release(python=">=3.12.*")}}
    assert pins(universe, "a") == {"a": "1.0"}  # >=3.12, not "invalid, so anything goes"


def test_a_package_that_keeps_causing_conflicts_is_decided_later_as_in_uv() -> None:
    # ``redis`` (required first) is decided at 8.1.0; every stable kombu[redis] wants <6.5.
    # After 5 conflicts redis is deprioritized and its decision undone, but a deprioritized
    # package still goes before the others: redis is decided at 8.1.0 again, and kombu walks
    # down to the pre-release that admits redis 8 -- what uv 0.13.9 answers for this very
    # universe served as an index (celery 5.6.3, kombu 5.7.0a1, redis 8.1.0).
    kombu = {f"5.{minor}.{patch}": Release(["vine", "redis>=4.5,<6.5; extra == 'redis'"],
                                           extras=["redis"])
             for minor in range(7) for patch in range(3)}
    kombu["5.7.0a1"] = Release(["vine", "redis>=4.5,<9; extra == 'redis'"], extras=["redis"])
    source = MemorySource({"redis": {"6.4.0": [], "8.1.0": []},
                           "celery": {"5.6.3": ["kombu[redis]>=5.0"]},
                           "kombu": kombu, "vine": {"5.1.0": []}})
    assert pins(source, "redis", "celery") == {
        "celery": "5.6.3", "kombu": "5.7.0a1", "redis": "8.1.0", "vine": "5.1.0"}


def test_a_version_whose_requirement_is_already_ruled_out_is_refused_once_one_was_undone(
        ) -> None:
    """As uv (astral's pubgrub): while nothing has gone wrong, a version is decided without
    holding its requirements against the partial solution, so alembic 1.5 (sqlalchemy>=2,
    where fab holds sqlalchemy<2) is decided, and undone by the conflict unit propagation
    finds; from then on each version whose requirement is already ruled out is refused where
    it stands (uv's "dependency conflict"): 1.4 to 1.1 cost no backjump. Decided instead,
    each would make a conflict whose backjump undoes every decision since app's (real
    apache-airflow==2.7.*: 139 backjumps and 2,696 decisions, for uv's 304 selections). The
    trace is uv 0.13.9's on this universe, line for line."""
    from pyffin import log
    from pyffin.resolver.solver import resolve
    from tests.resolver.memory import TARGET, direct

    leaves = {f"x{i}": {"1.0": []} for i in range(10)}
    universe = {"app": {"2.7.0": ["fab==4.0", "alembic>=1.0", *leaves],
                        "2.7.1": ["fab==4.0", "alembic>=1.0", *leaves]},
                "fab": {"4.0": ["sqlalchemy<2", "wtforms"]}, "wtforms": {"3.0": []},
                "alembic": {"1.0": ["sqlalchemy"],
                            **{f"1.{i}": ["sqlalchemy>=2"] for i in range(1, 6)}},
                "sqlalchemy": {f"{major}.{minor}": [] for major in (1, 2) for minor in range(5)},
                **leaves}
    stats: dict[str, int] = {}
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.DEBUG):
        resolution = resolve(direct("app==2.7.*"), MemorySource(universe), TARGET,
                             ResolverOptions(), stats=stats)
    assert {name: str(version) for name, version in resolution.pins().items()} == {
        "alembic": "1.0", "app": "2.7.1", "fab": "4.0", "sqlalchemy": "1.4", "wtforms": "3.0",
        **{name: "1.0" for name in leaves}}
    assert stats["conflicts"] == 1 and stats["backjumps"] == 1
    conflict = "from incompatibility of (alembic, sqlalchemy)"
    assert _trace(heard) == [
        "Selecting: app==2.7.1", "Selecting: fab==4.0", "Selecting: alembic==1.5",
        f"Recording unit propagation conflict of alembic {conflict}",
        *[line for minor in (4, 3, 2, 1) for line in (
            f"Selecting: alembic==1.{minor}",
            f"Recording dependency conflict of alembic==1.{minor} {conflict}")],
        "Selecting: alembic==1.0",
        # alembic was affected 5 times and sqlalchemy a culprit 5 times; sqlalchemy keeps the
        # place its range gave it until that range moves again, after the leaves, as in uv.
        *[f"Selecting: x{i}==1.0" for i in range(10)],
        "Selecting: sqlalchemy==1.4", "Selecting: wtforms==3.0"]


@pytest.mark.parametrize("requirements", [("a",), ("a", "b>=2")])
def test_the_cyclic_collector_rests_while_the_solver_runs(
        requirements: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    seen: list[bool] = []
    source = MemorySource({"a": {"1.0": ["b<2"]}, "b": {"1.0": [], "2.0": []}})
    original = MemorySource.metadata

    def watched(self: MemorySource, name: NormalizedName, version: Version) -> Any:
        seen.append(gc.isenabled())
        return original(self, name, version)

    monkeypatch.setattr(MemorySource, "metadata", watched)
    assert gc.isenabled()
    try:
        solve(source, *requirements)
    except NoSolutionError:
        assert len(requirements) == 2
    assert seen and not any(seen)
    # ... and collects again once it is over, solved or not.
    assert gc.isenabled()


class _Tracked:
    """An object the cyclic collector tracks (an instance with a ``__dict__``)."""


def test_what_the_solver_allocated_is_not_walked_by_the_next_young_collection(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The objects made while the collector rested (a cold resolution's pages and metadata,
    nearly all alive) go to the oldest generation at once: the next young collection would
    otherwise walk every one of them, on the resolution's critical path."""
    import gc

    made: list[_Tracked] = []
    source = MemorySource({"a": {"1.0": []}})
    original = MemorySource.metadata

    def allocating(self: MemorySource, name: NormalizedName, version: Version) -> Any:
        made.append(_Tracked())
        return original(self, name, version)

    monkeypatch.setattr(MemorySource, "metadata", allocating)
    thresholds = gc.get_threshold()
    gc.set_threshold(1 << 30)  # no collection of its own moves it meanwhile
    try:
        assert pins(source, "a") == {"a": "1.0"}
        assert made
        assert any(o is made[0] for o in gc.get_objects(generation=2))
    finally:
        gc.set_threshold(*thresholds)


def test_objects_the_process_froze_stay_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that froze its objects (``gc.freeze`` before forking workers) finds them
    frozen after a resolution: handing the solver's objects on is not done then."""
    import gc

    # Counted by the calls, not by the frozen count: a frozen object that dies meanwhile (the
    # test run's own, on any thread) lowers the count without anything being unfrozen.
    freeze, unfreeze = gc.freeze, gc.unfreeze
    freeze()
    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    try:
        assert pins(FLASK, "flask")
        assert calls == []
        assert gc.get_freeze_count() > 0
    finally:
        monkeypatch.undo()
        unfreeze()


def test_a_version_left_out_because_it_did_not_build_is_named_in_a_warning(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """uv stops at a build that fails; pyffin tries another version, and says which it left
    out, so that a changed answer does not go unnoticed (django-celery stepping back because
    anyjson 0.3.3 no longer builds)."""
    from pyffin import log

    monkeypatch.setattr(log, "_warned", set())
    universe = {"app": {"1.0": [], "2.0": ["old"]}, "old": {"0.3": []},
                "a": {"1.8": [], "1.9": []}}
    errors = {("old", "0.3"): BuildError("Failed to build old-0.3.tar.gz: use_2to3 is invalid"),
              ("a", "1.9"): BuildError("Failed to build a-1.9.tar.gz\nmore")}
    heard: list[str] = []
    with log.routed(lambda level, message: heard.append(message), log.WARNING):
        assert pins(MemorySource(universe, errors=errors), "app", "a") == {
            "a": "1.8", "app": "1.0"}
    assert sorted(heard) == [
        "a==1.9 was left out: its source distribution failed to build (Failed to build "
        "a-1.9.tar.gz); a==1.8 was chosen instead",
        "old==0.3 was left out: its source distribution failed to build (Failed to build "
        "old-0.3.tar.gz: use_2to3 is invalid); the resolution does without it"]
    heard.clear()
    with log.routed(lambda level, message: heard.append(message), log.WARNING):
        assert pins(MemorySource({"a": {"1.8": [], "1.9": [], "2.0": []}}, errors={
            ("a", "1.9"): BuildError("no")}), "a", preferences={"a": "1.9"})["a"] == "2.0"
    assert heard == []
    # Resolving lowest, the versions passed over are the older ones (greenlet 0.1 and 0.2
    # under sqlalchemy 1.4.0: 0.3 pinned, which uv never reaches).
    with log.routed(lambda level, message: heard.append(message), log.WARNING):
        assert pins(MemorySource({"a": {"0.1": [], "0.2": [], "0.3": []}}, errors={
            ("a", "0.1"): BuildError("no"), ("a", "0.2"): BuildError("no")}), "a",
            options=lowest())["a"] == "0.3"
    assert [m for m in heard if "left out" in m] == [
        f"a==0.{i} was left out: its source distribution failed to build (no); "
        "a==0.3 was chosen instead" for i in (1, 2)]


def test_a_run_of_versions_that_do_not_build_ends_the_resolution_at_the_third() -> None:
    """Every old release of ``a`` fails to build: after two skipped, the third failure is
    fatal (uv and pip stop at the first), naming the first failure and every version that
    failed, instead of building its way down hundreds of old sdists."""
    from pyffin.resolver.errors import TooManyBuildFailuresError

    versions = {f"1.{i}": [] for i in range(10)}
    errors = {("a", f"1.{i}"): BuildError(f"Failed to build a-1.{i}.tar.gz: use_2to3 is invalid")
              for i in range(10)}
    source = MemorySource({"a": versions}, errors=errors)
    with pytest.raises(TooManyBuildFailuresError) as raised:
        pins(source, "a")
    assert str(raised.value) == "Failed to build a-1.9.tar.gz: use_2to3 is invalid"
    assert raised.value.hint == (
        "the source distributions of `a==1.9`, `a==1.8` and `a==1.7` failed to build; pyffin "
        "tries another version when one does not build, and stops after 3 failed builds")
    assert raised.value.__cause__ is errors[("a", "1.7")]
    read = [version for kind, name, version in source.calls if kind == "metadata"]
    assert read == ["1.9", "1.8", "1.7"]
