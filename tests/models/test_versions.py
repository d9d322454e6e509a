"""Version texts parsed once per process (:mod:`pyffin.models.versions`)."""

from __future__ import annotations

import pytest
from packaging.version import InvalidVersion, Version

from pyffin.models import versions
from pyffin.models.versions import parse_version
from tests.support.calls import versions_made

#: Plain releases and every odd shape PEP 440 (and packaging's normalization) allows.
TEXTS = ["0", "1", "1.0", "1.0.0", "01.002", "1.26.4", "2026.7.22", "1!2.0", "0!1.0",
         "1.0a1", "1.0-alpha.1", "1.0b2", "1.0rc3", "1.0c3", "1.0pre1", "1.0.post1", "1.0-1",
         "1.0.dev0", "1.0.dev", "1.0a1.post2.dev3", "1.0+local.7", "1.0+ubuntu-1",
         "v1.0", "V1.0", " 1.0 ", "1.0.0.0.0.0.0.0.0.1", "1.0.POST1", "1!1.0rc1.post2.dev3+l.4"]


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versions, "_parsed", {})


@pytest.mark.parametrize("text", TEXTS)
def test_a_parsed_text_is_the_version_packaging_makes(text: str) -> None:
    made, expected = parse_version(text), Version(text)
    assert type(made) is Version
    assert made == expected and hash(made) == hash(expected)
    assert str(made) == str(expected) and repr(made) == repr(expected)
    assert (made.epoch, made.release, made.pre, made.post, made.dev, made.local) == (
        expected.epoch, expected.release, expected.pre, expected.post, expected.dev,
        expected.local)


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_is_parsed_once(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    first = parse_version(text)
    made = versions_made(monkeypatch)
    assert parse_version(text) is first
    assert made == []


@pytest.mark.parametrize("text", ["", "1..0", "1.0-", "CPython", "1.0.*", "=1.0", "1.0 1"])
def test_an_invalid_text_raises_as_packaging_does_and_is_not_kept(text: str) -> None:
    with pytest.raises(InvalidVersion):
        parse_version(text)
    assert versions.kept() == 0


def test_the_memo_starts_afresh_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versions, "LIMIT", 3)
    first = parse_version("1")
    for text in ("2", "3"):
        parse_version(text)
    assert versions.kept() == 3
    parse_version("4")
    assert versions.kept() == 1
    again = parse_version("1")
    assert again == first and again is not first


#: Imports packaging.version through pyffin.models.versions in a fresh interpreter, counting
#: compile() calls and patterns compiled, then uses it; prints what it saw.
FRESH_IMPORT = """
import builtins, json, re, sys
compiled, patterns = [], []
real_compile = builtins.compile
def counting_compile(*args, **kwargs):
    if isinstance(args[0], str):  # not a module's source (bytes) compiled for want of a .pyc
        compiled.append(repr(args[0])[:60])
    return real_compile(*args, **kwargs)
builtins.compile = counting_compile
compiler = re._compiler
real_pattern = compiler.compile
def counting_pattern(pattern, flags=0):
    patterns.append(repr(pattern)[:40])
    return real_pattern(pattern, flags)
compiler.compile = counting_pattern
import pyffin.models.versions as versions
from packaging import version
at_import = (list(compiled), len(patterns))
plain = version.Version("1.26.4")
after_plain = len(patterns)
odd = version.Version("1!2.0rc1.post2.dev3")
after_odd = len(patterns)
odd = version.Version("1!2.0rc1.post2.dev3+Local-7")
print(json.dumps({
    "at_import": at_import, "after_plain": after_plain, "after_odd": after_odd,
    "after_local": len(patterns),
    "lazy": type(version.Version._regex).__name__,
    "odd": [str(odd), odd.epoch, list(odd.release), list(odd.pre), odd.post, odd.dev, odd.local],
    "replaced": str(plain.__replace__(local="ab.1")),
    "annotations": sorted(version._Version.__annotations__),
    "re_compile_is_real": re.compile.__module__ == "re",
    "invalid": [t for t in ("1.0-", "x", "1..2") if not _raises(version.Version, t)],
}))
"""


def _fresh(script: str) -> dict[str, object]:
    import json
    import subprocess
    import sys

    helper = "def _raises(f, t):\n    try:\n        f(t)\n    except Exception:\n" \
             "        return True\n    return False\n"
    proc = subprocess.run([sys.executable, "-c", helper + script], capture_output=True,
                          text=True, check=True)
    found: dict[str, object] = json.loads(proc.stdout)
    return found


def test_packaging_version_imported_here_compiles_no_annotation_nor_pattern_until_used() -> None:
    seen = _fresh(FRESH_IMPORT)
    # Neither its NamedTuple's annotations (typing would compile each text) nor its patterns.
    assert seen["at_import"] == [[], 0]
    assert seen["after_plain"] == 0  # a plain release is split without the pattern
    assert seen["after_odd"] == 1  # any other shape compiles it once, when first met
    assert seen["after_local"] == 2  # and a local version the separators' pattern
    assert seen["lazy"] == "LazyPattern"
    # ...and it reads versions as packaging does, its other patterns too when asked.
    assert seen["odd"] == ["1!2.0rc1.post2.dev3+local.7", 1, [2, 0], ["rc", 1], 2, 3, "local.7"]
    assert seen["replaced"] == "1.26.4+ab.1"
    assert seen["annotations"] == ["dev", "epoch", "local", "post", "pre", "release"]
    assert seen["re_compile_is_real"] is True
    assert seen["invalid"] == []


def test_a_lazy_pattern_compiles_once_and_keeps_what_was_asked_for() -> None:
    import re

    made: list[str] = []

    def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
        made.append(pattern)
        return re.compile(pattern, flags)

    lazy = versions.LazyPattern(compile, r"[a-z]+", re.IGNORECASE)
    assert made == []
    assert lazy.fullmatch("AbC") is not None and lazy.fullmatch("a1") is None
    assert lazy.split("1a2", maxsplit=1) == ["1", "2"]
    assert lazy.pattern == "[a-z]+" and lazy.flags & re.IGNORECASE
    assert made == ["[a-z]+"]
    assert "fullmatch" in vars(lazy)  # later look-ups are plain attribute reads
    with pytest.raises(AttributeError):
        lazy.no_such_attribute  # noqa: B018


@pytest.mark.parametrize(("text", "parts"), [
    ("2.0.dev0", (0, (2, 0), None, None, 0)), ("1!1.4rc2.post3.dev0", (1, (1, 4), ("rc", 2), 3, 0)),
    ("1.0.post0.dev0", (0, (1, 0), None, 0, 0)), ("3.1a1", (0, (3, 1), ("a", 1), None, None))])
def test_a_version_made_of_its_parts_is_the_one_its_text_parses_to(
        monkeypatch: pytest.MonkeyPatch, text: str,
        parts: tuple[int, tuple[int, ...], tuple[str, int] | None, int | None, int | None],
        ) -> None:
    made = versions_made(monkeypatch)
    version = versions.version_of(text, *parts)
    assert made == []  # not read from its text
    assert version == Version(text) and str(version) == str(Version(text))
    assert versions.version_of(text, *parts) is version is parse_version(text)
