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
