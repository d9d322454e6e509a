"""Markers form a canonical boolean algebra with uv's meaning of each comparison."""

from __future__ import annotations

import pickle

import pytest

from pyffin.models.markers import Marker, MarkerError

LINUX_311 = {"implementation_name": "cpython", "implementation_version": "3.11.4",
             "os_name": "posix", "platform_machine": "x86_64",
             "platform_python_implementation": "CPython", "platform_release": "6.5.0",
             "platform_system": "Linux", "platform_version": "#1 SMP",
             "python_full_version": "3.11.4", "python_version": "3.11", "sys_platform": "linux"}
MAC = {**LINUX_311, "sys_platform": "darwin", "platform_system": "Darwin",
       "platform_release": "9.0.0", "platform_machine": "arm64"}


def m(text: str) -> Marker:
    return Marker.parse(text)


@pytest.mark.parametrize(("left", "right"), [
    ("python_version >= '3.9' and python_version < '3.11'", "python_version in '3.9 3.10'"),
    ("python_version > '3.8'", "python_full_version >= '3.9'"),
    ("python_version <= '3.10'", "python_full_version < '3.11'"),
    ("python_version == '3.10'", "python_full_version == '3.10.*'"),
    ("'3.9' <= python_version", "python_version >= '3.9'"),
    ("platform_system == 'Windows'", "sys_platform == 'win32'"),
    ("os.name == 'nt'", "os_name == 'nt'"),
    ("sys_platform == 'linux' or sys_platform == 'darwin'",
     "sys_platform == 'darwin' or sys_platform == 'linux'"),
    ("(a_marker_left_out) or sys_platform == 'linux'".replace("(a_marker_left_out)",
                                                             "os_name ~= 'x'"),
     "sys_platform == 'linux'"),
    ("extra == 'Foo_Bar'", "extra == 'foo-bar'"),
])
def test_equivalent_markers_are_equal(left: str, right: str) -> None:
    assert m(left) == m(right)
    assert hash(m(left)) == hash(m(right))
    assert str(m(left)) == str(m(right))


def test_and_or_not() -> None:
    linux, old = m("sys_platform == 'linux'"), m("python_version < '3.10'")
    assert linux & old == m("sys_platform == 'linux' and python_version < '3.10'")
    assert linux | old == m("python_version < '3.10' or sys_platform == 'linux'")
    assert ~linux == m("sys_platform != 'linux'")
    assert ~(linux & old) == ~linux | ~old
    assert ~~old == old


def test_tautologies_and_contradictions_are_decided() -> None:
    assert (m("sys_platform == 'linux'") | m("sys_platform != 'linux'")).is_true()
    assert m("python_version >= '3.9' or python_version < '3.9'").is_true()
    assert m("python_version < '3.8' and python_version >= '3.9'").is_false()
    assert m("sys_platform == 'linux' and sys_platform == 'win32'").is_false()
    assert not m("sys_platform == 'linux'").is_true()
    assert Marker.TRUE.is_true() and Marker.FALSE.is_false()


def test_impossible_platform_combinations_are_false() -> None:
    # As uv: Windows is never posix, FreeBSD is never Linux...
    assert m("os_name == 'nt' and sys_platform == 'linux'").is_false()
    assert m("os_name == 'posix' and platform_system == 'Windows'").is_false()
    assert m("platform_system == 'FreeBSD' and sys_platform == 'darwin'").is_false()
    assert not m("os_name == 'nt' and sys_platform == 'cygwin'").is_false()


def test_the_impossible_combinations_are_each_pair_uv_excludes() -> None:
    """Built by group, the exclusions are the same diagram as the disjunction of uv's pairs."""
    from pyffin.models.markers import _algebra as a

    def string(key: int, value: str) -> int:
        return a.create((a.STRING, key), a.edges_for([a.singleton(value)]))

    pairs = [(string(a.OS_NAME, "nt"), string(a.SYS_PLATFORM, platform))
             for platform in ("linux", "darwin", "ios")]
    pairs.append((string(a.OS_NAME, "posix"), string(a.SYS_PLATFORM, "win32")))
    for system in ("FreeBSD", "NetBSD", "OpenBSD", "SunOS", "iOS", "iPadOS"):
        for platform in ("aix", "android", "emscripten", "ios", "linux", "darwin", "win32",
                         "cygwin", "wasi"):
            if not (platform == "ios" and system in ("iOS", "iPadOS")):
                pairs.append((string(a.PLATFORM_SYSTEM, system),
                              string(a.SYS_PLATFORM, platform)))
    tree = a.FALSE
    for first, second in pairs:
        tree = a._conjoin(tree ^ 1, a._conjoin(first, second, False) ^ 1, False) ^ 1
    assert a.exclusions() == tree


def test_a_marker_on_no_platform_variable_is_written_without_the_exclusions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.models.markers import _algebra, _display

    monkeypatch.setattr(_algebra, "_exclusions", [])
    _display.to_string.cache_clear()
    assert str(m("python_version < '3.10' and platform_machine == 'x86_64'")) == (
        "python_full_version < '3.10' and platform_machine == 'x86_64'")
    assert _algebra._exclusions == []
    str(m("os_name == 'nt' and sys_platform != 'linux'"))
    assert _algebra._exclusions != []


def test_disjoint_and_implied() -> None:
    windows, not_linux = m("sys_platform == 'win32'"), m("sys_platform != 'linux'")
    assert windows.implies(not_linux)
    assert not not_linux.implies(windows)
    assert windows.is_disjoint(m("sys_platform == 'linux'"))
    assert not windows.is_disjoint(m("python_version < '3.10'"))
    assert m("python_version < '3.10'").is_disjoint(m("python_version >= '3.10'"))


def test_requires_python_simplifies_what_it_already_says() -> None:
    assert m("python_version >= '3.8'").simplify_python(">=3.9").is_true()
    assert m("python_version < '3.8'").simplify_python(">=3.9").is_false()
    assert str(m("python_version >= '3.8' and sys_platform == 'win32'")
               .simplify_python(">=3.9")) == "sys_platform == 'win32'"
    assert str(m("python_version >= '3.9' and python_version < '3.12'")
               .simplify_python(">=3.9")) == "python_full_version < '3.12'"
    assert str(m("python_version < '3.12'").simplify_python(">=3.9,<3.11")) == ""
    with pytest.raises(MarkerError, match="requires-python"):
        m("python_version < '3.12'").simplify_python(">=banana")


def test_requires_python_as_a_marker() -> None:
    allowed = Marker.requires_python(">=3.9,<3.13")
    assert str(allowed) == "python_full_version >= '3.9' and python_full_version < '3.13'"
    assert allowed.is_disjoint(m("python_version < '3.9'"))


def test_restrict_drops_what_the_assumption_says() -> None:
    marker = m("sys_platform == 'linux' and python_version < '3.11'")
    assert marker.restrict(m("sys_platform == 'linux'")) == m("python_version < '3.11'")


def test_extras() -> None:
    marker = m("extra == 'speed' and platform_python_implementation == 'CPython' or "
               "extra == 'docs'")
    assert marker.extras() == {"speed", "docs"}
    assert marker.with_extras(["speed"]) == m("platform_python_implementation == 'CPython'")
    assert marker.with_extras(["docs"]).is_true()
    assert marker.with_extras([]).is_false()
    assert marker.without_extras().is_true()
    assert m("extra == 'x' and sys_platform == 'win32'").without_extras() == m(
        "sys_platform == 'win32'")
    assert m("extra == 'x' and sys_platform == 'win32'").only_extras() == m("extra == 'x'")
    assert str(m("python_version < '3.10' and extra == 'Docs'")) == (
        "python_full_version < '3.10' and extra == 'docs'")


def test_evaluate() -> None:
    assert m("sys_platform == 'linux' and python_version >= '3.11'").evaluate(LINUX_311)
    assert not m("python_version >= '3.12'").evaluate(LINUX_311)
    assert m("extra == 'docs'").evaluate(LINUX_311, extras=["Docs"])
    assert not m("extra == 'docs'").evaluate(LINUX_311)
    assert m("'linux' in sys_platform").evaluate(LINUX_311)
    assert m("platform_machine in 'x86_64 aarch64'").evaluate(LINUX_311)
    # Release-only: 3.13.0rc1 is a 3.13.
    rc = {**LINUX_311, "python_full_version": "3.13.0rc1", "python_version": "3.13"}
    assert m("python_full_version >= '3.13'").evaluate(rc)


def test_platform_release_compares_as_a_version_on_darwin() -> None:
    # 9.0.0 < 20.0 as a version (Darwin kernel releases), "9.0.0" > "20.0" as a string.
    assert not m("platform_release >= '20.0'").evaluate(MAC)
    assert m("platform_release >= '20.0'").evaluate(LINUX_311 | {"platform_release": "9.0"})
    assert str(m("platform_release >= '20.0'")) == (
        "(platform_release >= '20.0' and sys_platform != 'darwin') or "
        "(platform_release >= '20' and sys_platform == 'darwin')")


@pytest.mark.parametrize(("text", "meaning"), [
    ("os_name < 'nt'", "<false>"),  # strings are not ordered: < and > never hold
    ("os_name >= 'nt'", "os_name == 'nt'"),  # ... and <=, >= are ==
    ("os_name ~= 'nt'", "<true>"),  # left out, with its and/or
    ("python_version >= 'banana'", "<true>"),
    ("os_name == sys_platform", "<true>"),
    ("'a' == 'b'", "<true>"),
    ("extra == '!invalid'", "<false>"),  # never matches
    ("python_version == '3.9.1'", "<false>"),  # python_version has two parts
    ("python_version != '3.9.1'", "<true>"),
    ("platform_version >= '10'", "platform_version >= '10'"),  # lexicographic
])
def test_uv_meaning_of_undefined_comparisons(text: str, meaning: str) -> None:
    marker = m(text)
    assert ("<true>" if marker.is_true() else "<false>" if marker.is_false()
            else str(marker)) == meaning


@pytest.mark.parametrize("text", [
    "python_version === '3.9'", "os_name = 'nt'", "nonsense == 'x'", "os_name == 'nt", "",
    "(os_name == 'nt'", "os_name == 'nt' and", "os_name not 'nt'", "extras == 'x'",
])
def test_invalid_markers_are_errors_naming_the_text(text: str) -> None:
    with pytest.raises(MarkerError) as error:
        m(text)
    assert repr(text) in str(error.value)


def test_text_of_true_and_false() -> None:
    assert str(Marker.TRUE) == ""
    assert str(Marker.FALSE) == "python_version < '0'"
    # As in uv, the text of FALSE is a marker that never holds (not FALSE itself: no version
    # is below 0, but the diagram does not know that).
    assert not m(str(Marker.FALSE)).evaluate(LINUX_311)
    assert repr(m("os_name == 'nt'")) == "Marker(\"os_name == 'nt'\")"


def test_markers_pickle_by_structure() -> None:
    marker = m("python_version < '3.10' and (sys_platform == 'win32' or extra == 'x')")
    assert pickle.loads(pickle.dumps(marker)) == marker
    assert pickle.loads(pickle.dumps(Marker.TRUE)) == Marker.TRUE
