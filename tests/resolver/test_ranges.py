"""PEP 440 specifiers as the solver's version sets, and how explanations show them."""

from __future__ import annotations

import pytest
from packaging.specifiers import Specifier
from packaging.version import Version

from pyffin.resolver.ranges import (
    FULL,
    RangeMemo,
    SpecifierError,
    format_range,
    mentions_prerelease,
    singleton_version,
    specifier_range,
    specifiers_range,
)

RELEASES = ["0.9", "1", "1.0", "1.0.0", "1.0.1", "1.1", "1.4", "1.4.5", "1.4.6", "1.5", "2",
            "2.0.0.1", "3", "1!0.5"]
SUFFIXES = ["", "a1", "b2", "rc1", ".dev0", ".dev3", ".post1", ".post1.dev2", "a1.dev1", "+local",
            ".post1+l", "a1+x"]
VERSIONS = sorted({Version(release + suffix) for release in RELEASES for suffix in SUFFIXES})
SPECIFIERS = [
    f"{operator}{version}"
    for operator in ("==", "!=", "<=", ">=", "<", ">", "~=")
    for version in ("1.0", "1.4.5", "1.0a1", "1.0.post1", "1.0.dev3", "2", "1.0+local", "1.4.*",
                    "1.*", "1!0.5")
]


def _valid(text: str) -> Specifier | None:
    try:
        return Specifier(text)
    except ValueError:
        return None


@pytest.mark.parametrize("text", [s for s in SPECIFIERS if _valid(s)])
def test_a_specifier_admits_the_versions_packaging_admits(text: str) -> None:
    specifier = Specifier(text)
    versions = specifier_range(specifier.operator, specifier.version)
    for version in VERSIONS:
        expected = specifier.contains(version, prereleases=True)
        if text == ">1.0a1" and version == Version("1a1.post1"):
            # PEP 440 (and uv): only post-releases of a *final* V are excluded by ``>V``;
            # packaging also drops post-releases of the pre-release itself.
            expected = True
        assert (version in versions) == expected, (text, version)


def test_greater_than_a_final_release_skips_its_post_and_local_releases() -> None:
    versions = specifier_range(">", "1.0")
    assert Version("1.0.post1") not in versions
    assert Version("1.0+local") not in versions
    assert Version("1.0.0.post2+x") not in versions
    assert Version("1.0.1.dev0") in versions


def test_equal_admits_local_versions_but_not_post_releases() -> None:
    versions = specifier_range("==", "1.0")
    assert Version("1.0+cpu") in versions
    assert Version("1.0.post1") not in versions
    assert singleton_version(versions) == Version("1.0")


def test_less_than_a_final_release_excludes_its_prereleases() -> None:
    versions = specifier_range("<", "2.0")
    assert Version("2.0rc1") not in versions
    assert Version("2.0.dev0") not in versions
    assert Version("1.9.9") in versions


@pytest.mark.parametrize("operator, version", [
    ("~=", "1"), ("<=", "1.0.*"), (">=", "1.0+local"), ("==", "1.0a1.*"), ("===", "foo"),
    ("=>", "1.0"), (">=", "not-a-version"),
])
def test_invalid_specifiers_are_refused(operator: str, version: str) -> None:
    with pytest.raises(SpecifierError):
        specifier_range(operator, version)


def test_clauses_intersect_and_no_clause_admits_everything() -> None:
    assert specifiers_range([]) == FULL
    versions = specifiers_range([(">=", "1.0"), ("<", "2.0"), ("!=", "1.5")])
    offered = ["0.9", "1.0", "1.4", "1.5", "1.5+cpu", "1.5.1", "2.0rc1", "2.0"]
    assert [v for v in offered if Version(v) in versions] == ["1.0", "1.4", "1.5.1"]


@pytest.mark.parametrize("clauses, shown", [
    ([], ""),
    ([("==", "1.0")], "==1.0"),
    ([("===", "1.0")], "==1.0"),
    ([(">=", "1.0")], ">=1.0"),
    ([(">=", "1.0"), ("<", "2.0")], ">=1.0,<2.0"),
    ([(">", "1.0"), ("<=", "2.0")], ">1.0,<=2.0"),
    ([(">", "1.0a1")], ">1.0a1"),
    ([(">", "1.0.post1")], ">1.0.post1"),
    ([("!=", "1.5")], "!=1.5"),
    ([(">=", "1.0"), ("!=", "1.5"), ("<", "2.0")], ">=1.0,!=1.5,<2.0"),
    ([("~=", "1.4.5")], ">=1.4.5,<1.5"),
    ([("==", "1.4.*")], "==1.4.*"),
    ([("<", "1.0a1")], "<1.0a1"),
])
def test_ranges_display_as_specifiers(clauses: list[tuple[str, str]], shown: str) -> None:
    assert format_range(specifiers_range(clauses)) == shown


def test_complements_and_empty_sets_display_readably() -> None:
    both = specifiers_range([(">=", "1.0"), ("<=", "2.0")])
    assert format_range(~both) == "<1.0 | >2.0"
    assert format_range(~specifier_range("==", "1.5")) == "!=1.5"
    assert format_range(both & ~both) == " ∅"


@pytest.mark.parametrize("clauses, explicit", [
    ([(">=", "2.0b1")], True),
    ([("==", "1.0.dev3")], True),
    ([(">=", "2.0")], False),
    ([("!=", "2.0b1")], False),
])
def test_a_specifier_naming_a_prerelease_opts_in(clauses: list[tuple[str, str]],
                                                  explicit: bool) -> None:
    assert mentions_prerelease(clauses) is explicit


def test_clauses_are_memoized_only_in_the_callers_memo() -> None:
    memo: RangeMemo = {}
    assert specifier_range(">=", "1.0", memo) is specifier_range(">=", "1.0", memo)
    assert list(memo) == [(">=", "1.0")]
    assert specifiers_range([("<", "2"), (">=", "1.0")], memo) == \
        specifiers_range([("<", "2"), (">=", "1.0")])
    assert ("<", "2") in memo
    # Without one, nothing is kept from call to call (no process-wide state).
    assert specifier_range(">=", "3.0") is not specifier_range(">=", "3.0")


#: Clause versions of every shape, valid or not, plain releases above all (the ones
#: :func:`check_clause` judges without packaging).
CLAUSE_TEXTS = ["1", "1.0", "1.0.0", "01.002", "2026.7.22", "1.0.0.0.0.0.0.0.0.1", "1.*", "1.4.*",
                "1.0.*.*", "1.0a1", "1.0a1.*", "1.0.post1", "1.0.dev0", "1.0+local", "1.0+local.*",
                "1!1.0", "1!1.*", "v1.0", " 1.0", "1.0 ", "", ".", "1.", ".1", "1..0", "1.*.0",
                "*", ".*", "1.0.*a", "\u0661.\u0660", "1.\u00b2", "1_0", "-1", "1." + "0" * 300,
                "1" * 5000, "a", "1.0-", "1.0.0-1", "0"]


@pytest.mark.parametrize("operator", ["===", "~=", "==", "!=", "<=", ">=", "<", ">", "=", "=>"])
def test_checking_a_clause_judges_it_as_reading_its_version_does(operator: str) -> None:
    from pyffin.resolver.ranges import check_clause, clause_version

    for text in CLAUSE_TEXTS:
        try:
            expected: Version | BaseException = clause_version(operator, text)
        except (SpecifierError, ValueError) as e:  # ValueError: packaging's limit on digits
            expected = e
        try:
            found: Version | BaseException | None = check_clause(operator, text)
        except (SpecifierError, ValueError) as e:
            found = e
        if isinstance(expected, BaseException):
            assert type(found) is type(expected), (operator, text)
            assert str(found) == str(expected)
        else:
            assert found is None or found == expected, (operator, text)


def test_a_plain_release_clause_is_checked_without_reading_its_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.resolver import ranges
    from pyffin.resolver.dependencies import DependencyParser

    read: list[tuple[str, str]] = []
    original = ranges.clause_version

    def counted(operator: str, text: str) -> Version:
        read.append((operator, text))
        return original(operator, text)

    monkeypatch.setattr(ranges, "clause_version", counted)
    monkeypatch.setattr("pyffin.resolver.dependencies.clause_version", counted)
    parser = DependencyParser()
    parser.check("foo>=1.26.4,!=1.27.*,<2 ; extra == 'x'")
    parser.check("bar~=1.4,>=1.4.2rc1")
    assert read == [(">=", "1.4.2rc1")]
    assert parser.parse("bar~=1.4,>=1.4.2rc1").versions == specifiers_range(
        [("~=", "1.4"), (">=", "1.4.2rc1")])
