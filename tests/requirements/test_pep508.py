"""The fast PEP 508 path agrees with ``packaging`` — requirements and markers alike."""

from __future__ import annotations

import os

import pytest
from packaging.markers import Marker as PackagingMarker
from packaging.markers import UndefinedComparison, default_environment
from packaging.requirements import InvalidRequirement as PackagingInvalid
from packaging.requirements import Requirement as PackagingRequirement

from pyffin.requirements.pep508 import (
    InvalidMarker,
    InvalidRequirement,
    Marker,
    parse_requirement,
    repairs,
)
from tests.support.calls import versions_made

REQUIREMENTS = [
    "flask", "Flask_SQLAlchemy>=2.5", "requests[socks, security]>=2.25,<3",
    "numpy (>=1.21, <2)", "pkg==1.0.*", "pkg!=1.5", "pkg~=1.4.2", "pkg===weird-version",
    "pkg>1.0a1", "pkg<=2.0.post1", "pkg==1.0+local", "uvicorn[standard]",
    'colorama; sys_platform == "win32"', "tomli>=1.1.0; python_version < '3.11'",
    'pytest[testing]>=7 ; extra == "test" and python_version >= "3.8"',
    "name @ https://example.com/name-1.0.tar.gz", 'name[x] @ file:///tmp/x ; os_name == "nt"',
    "a.b-c_d>=1",
    # invalid ones: both must refuse them
    "flask>=>2", "pkg==", "pkg>=1,", "pkg >=1 <2", "[extra]", "pkg[", "pkg~=1",
    "pkg>=1.0+local", "pkg; python_version <", "pkg; bogus_variable == '1'", "pkg>=1.0.*",
    "pkg ==1.0 ;", "-pkg",
]


@pytest.mark.parametrize("text", REQUIREMENTS)
def test_requirements_parse_like_packaging(text: str) -> None:
    try:
        expected = PackagingRequirement(text)
    except PackagingInvalid:
        with pytest.raises(InvalidRequirement):
            parse_requirement(text)
        return
    ours = parse_requirement(text)
    assert ours.name == expected.name
    assert ours.extras == frozenset(expected.extras)
    assert sorted((s.operator, s.version) for s in ours.specifier) == sorted(
        (s.operator, s.version) for s in expected.specifier)
    assert ours.url == expected.url
    assert (ours.marker is None) == (expected.marker is None)
    assert str(PackagingRequirement(str(ours))) == str(expected)


def test_common_shapes_take_the_fast_path() -> None:
    for text in ("flask", "requests[socks]>=2,<3", 'colorama; sys_platform == "win32"',
                 'a; extra == "x" and (python_version < "3.8" or os_name == "nt")'):
        requirement = parse_requirement(text)
        assert requirement.marker is None or requirement.marker.tree is not None, text


MARKERS = [
    'python_version < "3.8"', "python_version >= '3.8' and python_version < '3.12'",
    'sys_platform == "win32"', 'platform_system != "Windows"', 'implementation_name == "cpython"',
    'platform_python_implementation == "PyPy"', 'extra == "socks"', "extra == 'Test_Extra'",
    'os_name == "nt" or sys_platform == "cygwin"', 'python_full_version >= "3.9.2"',
    '"3.8" in python_version', 'platform_machine in "x86_64 aarch64"',
    'platform_machine not in "arm64 aarch64"', 'python_version ~= "3.8"',
    'python_version == "3.*"', 'python_version > "3.9"', 'python_full_version < "3.11.0a1"',
    'implementation_version >= "3.11"', 'platform_release >= "5"',
    '(python_version < "3.10") and (extra == "tests")', "'linux' in sys_platform",
    'sys_platform == "linux" and platform_machine == "x86_64"', 'python_version === "3.11"',
    'python_version != "3.11.*"', 'python_full_version == "3.11.7"', 'os.name == "posix"',
    'python_version <= "3.11"', '"3.9" < python_version', 'python_version > "3.11.0"',
    'python_version == "3.11" and (sys_platform == "darwin" or sys_platform == "linux")',
    'platform_version >= "1"', 'extra == "a" or extra == "b"',
    'python_full_version < "3.11.0"', 'python_full_version < "3.13"',
    'python_full_version > "3.8.18"', 'python_full_version <= "3.13.0"',
    'python_full_version ~= "3.11.0"', 'python_full_version == "3.13"',
    'python_full_version > "3.13.0.post1"', 'platform_python_implementation == "CPython"',
    'implementation_name < "pypy"', 'python_version >= " v3.9"', 'python_version >= "V3.12"',
]

ENVIRONMENTS = [
    {"python_version": "3.8", "python_full_version": "3.8.18", "sys_platform": "linux"},
    {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "win32",
     "os_name": "nt", "platform_system": "Windows", "platform_machine": "AMD64"},
    {"python_version": "3.13", "python_full_version": "3.13.0rc1", "sys_platform": "darwin",
     "platform_machine": "arm64", "implementation_name": "pypy",
     "platform_python_implementation": "PyPy", "implementation_version": "7.3.17"},
    {"python_version": "3.11", "python_full_version": "3.11.0a1",
     "platform_release": "5.15.0-76-generic"},
    {"python_version": "3.8", "python_full_version": "3.8.18.post1"},
    {"python_version": "3.13", "python_full_version": "3.13.0+local"},
    {"python_version": "3.13", "python_full_version": "3.13.0.post2+local"},
]


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("overrides", ENVIRONMENTS)
@pytest.mark.parametrize("extra", ["", "socks", "test-extra", "tests", "b"])
def test_markers_evaluate_like_packaging(marker: str, overrides: dict[str, str],
                                         extra: str) -> None:
    environment = dict(default_environment(), **overrides, extra=extra)
    try:
        expected: bool | type[Exception] = PackagingMarker(marker).evaluate(environment)
    except UndefinedComparison:
        expected = UndefinedComparison
    ours = Marker.parse(marker)
    if expected is UndefinedComparison:
        with pytest.raises(UndefinedComparison):
            ours.evaluate(environment)
    else:
        assert ours.evaluate(environment) is expected


def test_simple_markers_are_parsed_here() -> None:
    for marker in MARKERS[:12]:
        assert Marker.parse(marker).tree is not None, marker


def test_invalid_markers() -> None:
    for text in ('python_version <', 'bogus == "1"', 'python_version == "3.8" and', "(extra"):
        with pytest.raises(InvalidMarker):
            Marker.parse(text)


@pytest.mark.parametrize("marker", [
    *MARKERS, '(python_version >= "3.10") and (os_name == "posix")',
    '(a_b == "1" or os_name == "nt") and sys_platform == "linux"'.replace("a_b", "os_name"),
    "python_version>='3.8'", 'os_name == "nt" and (python_version < "3.8" or extra == "x")',
])
def test_markers_print_like_packaging(marker: str) -> None:
    assert str(Marker.parse(marker)) == str(PackagingMarker(marker))


@pytest.mark.parametrize(("marker", "extra", "expected"), [
    ('extra == "fast"', "", False),
    ('extra == "fast"', "Fast", True),
    ('python_version < "3.9" and extra == "fast"', "fast", 'python_version < "3.9"'),
    ('python_version < "3.9" and extra == "fast"', "", False),
    ('(extra == "a" or extra == "b") and os_name == "nt"', "b", 'os_name == "nt"'),
    ('extra == "a" or os_name == "nt"', "", 'os_name == "nt"'),
    ('extra == "a" or os_name == "nt"', "a", True),
    ('python_version > "3"', "x", 'python_version > "3"'),
])
def test_a_marker_with_its_extra_known(marker: str, extra: str, expected: bool | str) -> None:
    reduced = Marker.parse(marker).with_extra(extra)
    assert (reduced if isinstance(reduced, bool) else str(reduced)) == expected


@pytest.mark.parametrize("text, repaired, fixed", [
    ("elasticsearch-dsl (>=7.2.0<8.0.0)", "elasticsearch-dsl (>=7.2.0,<8.0.0)",
     "inserting missing comma"),
    ("foo !=~5.0,>=4.12", "foo !=5.0.*,>=4.12", "replacing invalid tilde with wildcard"),
    ("foo>=1.9.*", "foo>=1.9",
     "removing star after comparison operator other than equal and not equal"),
    ("foo!=3.0*", "foo!=3.0.*", "inserting missing dot"),
    ("foo>=3.6,", "foo>=3.6", "removing trailing comma"),
    ("foo>dev", "foo>0.0.0dev", "assuming 0.0.0dev"),
    ("foo>=9.0.0a1.0", "foo>=9.0.0a1", "removing trailing zero"),
    ("foo>= 2.7'; python_version >= '3'", "foo>= 2.7; python_version >= '3'",
     "removing stray quotes"),
])
def test_uvs_repairs_of_common_mistakes(text: str, repaired: str, fixed: str) -> None:
    *_, last = repairs(text)
    assert last == (repaired, fixed)
    PackagingRequirement(repaired)  # the repair parses


def test_repairs_accumulate_in_uvs_order() -> None:
    assert list(repairs("foo>=1.9.*,<2,")) == [
        ("foo>=1.9,<2,", "removing star after comparison operator other than equal and not "
                         "equal"),
        ("foo>=1.9,<2", "removing star after comparison operator other than equal and not "
                        "equal, removing trailing comma"),
    ]


def test_markers_parse_each_version_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The target's versions (``3.11``, ``3.11.7``) are compared in most markers of a
    # resolution: each text is parsed once per process.

    from pyffin.models import versions

    monkeypatch.setattr(versions, "_parsed", {})
    made = versions_made(monkeypatch)
    environment = dict(default_environment(), python_version="3.11",
                       python_full_version="3.11.7", extra="")
    for text in ('python_version < "3.12"', 'python_version >= "3.8"',
                 'python_version < "3.12" and python_full_version != "3.11.7"'):
        Marker.parse(text).evaluate(environment)
    assert sorted(made) == ["3.11", "3.11.7", "3.12", "3.8"]


def test_markers_comparing_names_parse_no_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # A name (``CPython``, ``linux``) cannot be a PEP 440 version, which begins with a digit:
    # packaging's pattern is not run on it (nor compiled, when nothing else needs it).
    from pyffin.models import versions

    monkeypatch.setattr(versions, "_parsed", {})
    made = versions_made(monkeypatch)
    environment = dict(default_environment(), platform_python_implementation="CPython",
                       sys_platform="linux", extra="")
    for text, expected in (('platform_python_implementation == "CPython"', True),
                           ('sys_platform != "linux"', False)):
        assert Marker.parse(text).evaluate(environment) is expected
    assert made == []


def test_extras_are_a_set_that_keeps_the_order_written() -> None:
    """The resolver meets extras in the order written (as uv); as a set they compare as
    before, and their repr — part of the resolution cache's key — is the same in every
    process, whatever the string hashes (a set's repr is not)."""
    import subprocess
    import sys

    requirement = parse_requirement("a[Z,y,x,y]>=1")
    assert requirement.extras.written == ("Z", "y", "x")  # type: ignore[attr-defined]
    assert requirement.extras == frozenset({"x", "y", "Z"})
    assert parse_requirement("a[y,x] @ https://example.com/a-1.0.tar.gz").extras.written == (
        "y", "x")  # type: ignore[attr-defined]
    script = ("from pyffin.requirements.pep508 import parse_requirement as p; "
              "print(repr(p('a[one,two,three,four]')))")
    reprs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": str(seed)}, check=True).stdout
             for seed in range(1, 5)}
    assert len(reprs) == 1
