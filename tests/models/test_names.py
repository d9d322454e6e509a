"""Project names: one PEP 503 normalizer for every comparison, one check for names that must be
project names (they end up in cache paths)."""

from __future__ import annotations

import pytest

from pyffin.models.names import checked_name, is_valid_name, normalize_name


@pytest.mark.parametrize("name", ["Foo.Bar", "foo_bar", "FOO--bar", "foo._-bar"])
def test_names_are_pep503_normalized(name: str) -> None:
    assert normalize_name(name) == "foo-bar"


@pytest.mark.parametrize("name,expected", [("Foo_Bar", "foo-bar"), ("a.b--c", "a-b-c"), ("x", "x"),
                                           ("Zope.Interface", "zope-interface")])
def test_a_checked_name_is_normalized(name: str, expected: str) -> None:
    assert checked_name(name) == expected
    assert is_valid_name(name)


@pytest.mark.parametrize("name", ["", "../etc", "a/b", "-a", "a b", "..", "a-", "é",
                                  # Not ASCII, though each matches an ASCII letter ignoring case.
                                  "\u017fix", "\u212aeras", "p\u0131p", "\u0130t"])
def test_invalid_names_cannot_become_paths(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(ValueError, match="not a valid project name"):
        checked_name(name)


def test_normalizing_does_not_check() -> None:
    # Extras and names read from metadata are compared, never used as paths: any text goes.
    assert normalize_name("Not A_Name") == "not a-name"


def test_a_trailing_newline_is_not_part_of_a_valid_name() -> None:
    # A regular expression's "$" also matches before a final newline: the check must not.
    assert not is_valid_name("foo\n")
    with pytest.raises(ValueError, match="not a valid project name"):
        checked_name("foo\n")
