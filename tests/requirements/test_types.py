"""The records: locations, names and pip's binary format control."""

from __future__ import annotations

import pytest

from pyffin.requirements import (
    Location,
    RequirementEntry,
    RequirementsSpec,
    normalize_name,
    parse_requirement,
)


def test_location_prints_as_file_colon_line() -> None:
    assert str(Location("requirements.txt", 3)) == "requirements.txt:3"
    assert str(Location("pyproject.toml")) == "pyproject.toml"


@pytest.mark.parametrize("name", ["Foo.Bar", "foo_bar", "FOO--bar", "foo._-bar"])
def test_names_are_pep503_normalized(name: str) -> None:
    assert normalize_name(name) == "foo-bar"


def test_editables_selects_the_editable_requirements() -> None:
    flask = parse_requirement("flask")
    editable = RequirementEntry(None, "file:///src/pkg", editable=True)
    spec = RequirementsSpec(requirements=(flask, editable))
    assert spec.editables == (editable,)
    assert RequirementsSpec(requirements=(flask,)).editables == ()


def test_unnamed_entry_cannot_be_named_without_a_url() -> None:
    with pytest.raises(ValueError, match="only a requirement with a URL"):
        RequirementEntry(None).with_name("flask")


@pytest.mark.parametrize(
    ("no_binary", "only_binary", "wheel", "sdist"),
    [((), (), True, True),
     ((":all:",), (), False, True),
     ((), (":all:",), True, False),
     (("foo",), (), False, True),
     ((), ("foo",), True, False),
     ((":all:",), ("foo",), True, False),   # a name beats :all:
     (("foo",), (":all:",), False, True),
     (("bar",), (), True, True)],
)
def test_format_control(no_binary: tuple[str, ...], only_binary: tuple[str, ...], wheel: bool,
                        sdist: bool) -> None:
    spec = RequirementsSpec(no_binary=frozenset(no_binary), only_binary=frozenset(only_binary))
    assert (spec.allows_wheel("Foo"), spec.allows_sdist("Foo")) == (wheel, sdist)
