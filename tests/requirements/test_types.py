"""The records: locations and requirement entries."""

from __future__ import annotations

import pytest

from pyffin.requirements import Location, RequirementEntry, RequirementsSpec, parse_requirement


def test_location_prints_as_file_colon_line() -> None:
    assert str(Location("requirements.txt", 3)) == "requirements.txt:3"
    assert str(Location("pyproject.toml")) == "pyproject.toml"


def test_editables_selects_the_editable_requirements() -> None:
    flask = parse_requirement("flask")
    editable = RequirementEntry(None, "file:///src/pkg", editable=True)
    spec = RequirementsSpec(requirements=(flask, editable))
    assert spec.editables == (editable,)
    assert RequirementsSpec(requirements=(flask,)).editables == ()


def test_unnamed_entry_cannot_be_named_without_a_url() -> None:
    with pytest.raises(ValueError, match="only a requirement with a URL"):
        RequirementEntry(None).with_name("flask")
