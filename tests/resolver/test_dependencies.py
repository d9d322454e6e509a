"""Requires-Dist parsing (a fast path that must agree with ``packaging``) and markers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from pyffin.models.markers import Marker
from pyffin.resolver.dependencies import (
    DependencyError,
    MarkerEvaluator,
    from_requirement,
    parse_dependency,
)
from tests.resolver.memory import TARGET
from tests.support.calls import versions_made

REQUIREMENTS = [
    "idna",
    "Charset_Normalizer<4,>=2",
    "urllib3 (>=1.21.1,<3)",
    "PySocks!=1.5.7,>=1.5.6; extra == 'socks'",
    "requests[security, socks]>=2.0 ; python_version >= '3.8'",
    "foo[bar]==1.0.*",
    "zope.interface~=5.4",
    "typing-extensions>=4.0; python_version < \"3.11\" and platform_system == 'Linux'",
    "pkg ==1.0+local",
    "name[]",
]


@pytest.mark.parametrize("text", REQUIREMENTS)
def test_the_fast_parser_reads_what_packaging_reads(text: str) -> None:
    parsed = parse_dependency(text)
    expected = from_requirement(Requirement(text))
    assert parsed.name == expected.name
    assert parsed.extras == expected.extras
    assert parsed.versions == expected.versions
    assert (parsed.marker is None) == (expected.marker is None)


def test_names_and_extras_are_normalized() -> None:
    dependency = parse_dependency("Flask_SQLAlchemy[Async.IO]>=3")
    assert dependency.name == "flask-sqlalchemy"
    assert dependency.extras == ("async-io",)


def test_a_url_requirement_keeps_its_url() -> None:
    dependency = parse_dependency("foo @ https://example.com/foo-1.0.tar.gz")
    assert dependency.name == "foo"
    assert dependency.url == "https://example.com/foo-1.0.tar.gz"


@pytest.mark.parametrize("text", ["foo>=", "foo (>=1.0", "-foo", "foo>=1.0;", "foo===bar"])
def test_invalid_requirements_name_the_text(text: str) -> None:
    with pytest.raises(DependencyError, match="foo"):
        parse_dependency(text)


def test_markers_are_evaluated_against_the_target_with_the_extra() -> None:
    markers = MarkerEvaluator(TARGET)
    assert markers.evaluate("python_version >= '3.8'")
    assert not markers.evaluate("sys_platform == 'win32'")
    assert markers.evaluate("extra == 'socks'", "socks")
    assert not markers.evaluate("extra == 'socks'")
    assert markers.evaluate("extra == 'Socks_Proxy'", "socks-proxy")


def test_an_invalid_marker_is_an_error() -> None:
    with pytest.raises(DependencyError, match="invalid marker"):
        MarkerEvaluator(TARGET).evaluate("python_version >>> '3'")


@pytest.mark.parametrize("marker", ["extra == 'socks'", 'extra=="Socks"', " extra == 'SOCKS_' ",
                                    "extra == ''", "extra == 'socks' or extra == 'tls'",
                                    "extra == 'a' and python_version >= '3'"])
@pytest.mark.parametrize("extra", ["", "socks", "Socks", "tls", "a"])
def test_an_extras_marker_reads_as_the_parsed_marker_does(marker: str, extra: str) -> None:
    from pyffin.requirements.pep508 import Marker

    expected = Marker.parse(marker).evaluate(dict(TARGET, extra=extra))
    assert MarkerEvaluator(TARGET).evaluate(marker, extra) == expected


def test_an_extras_own_marker_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.requirements.pep508 import Marker

    parsed: list[str] = []
    original = Marker.parse.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Marker], text: str) -> Marker:
        parsed.append(text)
        return original(cls, text)  # type: ignore[no-any-return]

    monkeypatch.setattr(Marker, "parse", classmethod(counted))
    markers = MarkerEvaluator(TARGET)
    assert markers.evaluate("extra == 'socks'", "socks")
    assert not markers.evaluate('extra == "socks"', "tls")
    assert not markers.evaluate("extra == 'socks' and sys_platform == 'win32'", "socks")
    assert parsed == ["extra == 'socks' and sys_platform == 'win32'"]


CHECKED = [*REQUIREMENTS, "foo @ https://example.com/foo-1.0.tar.gz ; os_name == 'nt'",
           "elasticsearch-dsl (>=7.2.0<8.0.0)", "foo<=1.0.*", "foo==1.0a1.*", "foo>=",
           "foo (>=1.0", "-foo", "foo>=1.0;", "foo===bar", "foo~=1", "foo>=1.0+local"]


@pytest.mark.parametrize("text", CHECKED)
def test_checking_a_requirement_answers_as_parsing_it_would(text: str) -> None:
    from pyffin.resolver.dependencies import DependencyParser

    parser = DependencyParser()
    try:
        marker = DependencyParser().parse(text).marker
    except DependencyError as e:
        with pytest.raises(DependencyError) as checked:
            parser.check(text)
        assert str(checked.value) == str(e)
    else:
        assert parser.check(text) == marker
        assert parser.check(text) == marker  # and again, remembered


def test_checking_a_requirement_makes_no_version_set() -> None:
    # Most checked texts are never parsed (an extra nobody asked for): only their clauses'
    # validity is read.
    from pyffin.resolver.dependencies import DependencyParser

    parser = DependencyParser()
    assert parser.check("foo>=1.0,!=1.5,<2 ; extra == 'x'") == "extra == 'x'"
    assert parser.check("bar~=1.4.5") is None
    assert parser.ranges == {}
    assert parser.parse("bar~=1.4.5").versions == DependencyParser().parse("bar~=1.4.5").versions
    assert list(parser.ranges) == [("~=", "1.4.5")]


def test_a_checked_requirement_is_parsed_without_reading_its_versions_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.resolver import ranges
    from pyffin.resolver.dependencies import DependencyParser

    text = "foo>=1.0,!=1.5,<2 ; python_version < '4'"
    parser = DependencyParser()
    parser.check(text)
    read: list[tuple[str, str]] = []
    original = ranges.clause_version

    def counted(operator: str, version: str) -> object:
        read.append((operator, version))
        return original(operator, version)

    monkeypatch.setattr(ranges, "clause_version", counted)
    assert parser.parse(text) == DependencyParser().parse(text)
    assert read == [(">=", "1.0"), ("!=", "1.5"), ("<", "2")]  # the fresh parser's, alone


@pytest.mark.parametrize("text", CHECKED)
def test_a_checked_requirement_is_parsed_without_splitting_its_text_again(
        monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    from pyffin.models import requirement_text
    from pyffin.resolver.dependencies import DependencyParser

    split: list[str] = []
    original = requirement_text.split_unchecked

    def counted(requirement: str) -> object:
        split.append(requirement)
        return original(requirement)

    monkeypatch.setattr(requirement_text, "split_unchecked", counted)
    parser = DependencyParser()
    try:
        parser.check(text)
    except DependencyError:
        return  # nothing to parse
    split.clear()
    parsed = parser.parse(text)
    assert split == []
    assert parsed == DependencyParser().parse(text)


def test_a_resolution_from_metadata_records_splits_no_requirement_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from pyffin.models import requirement_text
    from pyffin.models.metadata import CoreMetadata
    from tests.resolver.memory import MemorySource, pins

    universe = {"a": {"1.0": ["b>=1,<3", "c; extra == 'x'", "d (>=2); python_version < '3'"]},
                "b": {"1.0": [], "2.0": ["c[y]~=1.0"]}, "c": {"1.0": []}}
    expected = pins(universe, "a")
    plain = MemorySource(universe)
    records = {(name, Version(version)): plain.metadata(NormalizedName(name), Version(version))
               .to_record() for name, versions in universe.items() for version in versions}

    class Recorded(MemorySource):
        """Metadata as a warm run reads it: from the cache records an earlier run wrote."""

        def metadata(self, name: NormalizedName, version: Version) -> CoreMetadata:
            return CoreMetadata.from_record(records[(name, version)])

    split: list[str] = []
    original = requirement_text.split_unchecked

    def counted(text: str) -> object:
        split.append(text)
        return original(text)

    source = Recorded(universe)
    monkeypatch.setattr(requirement_text, "split_unchecked", counted)
    assert pins(source, "a") == expected == {"a": "1.0", "b": "2.0", "c": "1.0"}
    assert split == []


def test_a_clause_version_is_parsed_once_whatever_its_operator(
        monkeypatch: pytest.MonkeyPatch) -> None:

    from pyffin.models import versions
    from pyffin.resolver.dependencies import DependencyParser

    monkeypatch.setattr(versions, "_parsed", {})
    made = versions_made(monkeypatch)
    parser = DependencyParser()
    for text in ("a>=1.0rc1", "b<1.0rc1", "c!=1.0rc1; extra == 'x'", "d>=1.0rc1,<2"):
        parser.check(text)
        parser.parse(text)
    assert made.count("1.0rc1") == 1


@pytest.mark.parametrize(("marker", "label"), [
    ('python_version < "3.10"', "python_full_version < '3.10'"),
    ("python_version<='3.9'", "python_full_version < '3.10'"),
    ("python_version > '3.9'", "python_full_version >= '3.10'"),
    ("python_version == '3.9'", "python_full_version == '3.9.*'"),
    ('extra == "x" and python_version < "3.10"', "python_full_version < '3.10'"),
    ('extra == "x"', None),
    ('extra == "x" or python_version < "3"', None),
    ('sys_platform != "win32" and sys_platform != "cygwin"',
     "sys_platform != 'cygwin' and sys_platform != 'win32'"),
    ('platform_system == "Linux" and platform_machine == "x86_64"',
     "platform_machine == 'x86_64' and sys_platform == 'linux'"),
])
def test_a_marker_proxy_is_named_by_its_marker_as_uv_writes_it(marker: str,
                                                               label: str | None) -> None:
    """What a requirement that holds under ``marker`` is a requirement of: uv's marker proxy
    ``name{label}`` (its ``extra`` comparisons gone), or the project itself (``None``)."""
    assert MarkerEvaluator(TARGET).label(marker) == label


def _published(*, extras: bool) -> list[tuple[str, str]]:
    """The Requires-Dist markers of the benchmark sets' packages and uv 0.13.9's text for
    each, with or without ``extra`` comparisons."""
    data = Path(__file__).parents[1] / "models" / "markers" / "data" / "real-requires-dist.tsv"
    rows = [line.split("\t") for line in data.read_text().splitlines()
            if line and not line.startswith("#")]
    return [(published, uv) for published, uv in rows if ("extra" in uv) is extras]


@pytest.mark.parametrize(("published", "uv"), _published(extras=False))
def test_a_published_marker_is_labelled_as_uv_wrote_it(published: str, uv: str) -> None:
    assert MarkerEvaluator(TARGET).label(published) == uv


def test_a_published_marker_and_uvs_text_of_it_name_one_proxy() -> None:
    evaluator = MarkerEvaluator(TARGET)
    for published, uv in _published(extras=True):
        assert evaluator.label(published) == evaluator.label(uv), published


def _simple_markers() -> list[str]:
    """One comparison, or two or three on one variable: the shapes labelled without the
    marker algebra, and some just outside them."""
    values = {"python_version": ["3.9", "3.10", "2.7", "3.0", "3"],
              "sys_platform": ["win32", "linux", "cygwin", "emscripten"],
              "os_name": ["nt", "posix"], "platform_machine": ["x86_64", "arm64"],
              "implementation_name": ["PyPy", "cpython"],
              "platform_python_implementation": ["CPython", "PyPy"],
              "platform_system": ["Windows", "Linux"]}
    markers = []
    for variable, known in values.items():
        for size in (1, 2, 3):
            for chosen in itertools.permutations(known, size):
                for operators in (["!="] * size, ["=="] + ["!="] * (size - 1), ["<="] * size,
                                  [">"] + [">="] * (size - 1)):
                    markers.append(" and ".join(
                        f"{variable} {operator} '{value}'"
                        for operator, value in zip(operators, chosen, strict=True)))
    return markers


def test_simple_markers_are_labelled_as_the_marker_algebra_writes_them() -> None:
    evaluator = MarkerEvaluator(TARGET)
    for marker in _simple_markers():
        canonical = Marker.parse(marker).without_extras()
        assert evaluator.label(marker) == (None if canonical.is_true() else str(canonical)), (
            marker)
