"""Core metadata: the fast header reader agrees with ``packaging.metadata``."""

from __future__ import annotations

import pytest
from packaging.metadata import parse_email

from pyffin.models.metadata import CoreMetadata, MetadataError, _read_simple
from tests.support.dists import WheelSpec, wheel_metadata

SAMPLES = [
    wheel_metadata(WheelSpec("Foo_Bar", "1.0.post1", requires_dist=[
        "requests[socks]>=2", 'colorama; sys_platform == "win32"', 'pytest; extra == "test"'],
        requires_python=">=3.8", extras=["test"])),
    "Metadata-Version: 2.2\nName: x\nVersion: 1\nDynamic: Requires-Dist\nDynamic: version\n\n"
    "Long description: with: colons\nRequires-Dist: not-a-header\n",
    "Metadata-Version: 2.1\r\nName: crlf\r\nVersion: 2.0\r\nRequires-Dist: a\r\n\r\nbody",
    "Metadata-Version: 1.2\nName: folded\nVersion: 1\nSummary: a summary that\n  continues\n"
    "Requires-Dist: b\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_fast_reader_agrees_with_packaging(text: str) -> None:
    ours = CoreMetadata.parse(text.encode(), source="test")
    raw, _ = parse_email(text.encode())
    assert ours.name == raw["name"] and ours.version == raw["version"]
    assert ours.requires_dist == tuple(raw.get("requires_dist", ()))
    assert ours.requires_python == raw.get("requires_python")
    assert ours.provides_extra == tuple(raw.get("provides_extra", ()))
    assert ours.dynamic == tuple(d.lower() for d in raw.get("dynamic", ()))


def test_unusual_input_goes_to_packaging() -> None:
    assert _read_simple("Name: x\nRequires-Dist: a\n  folded\n") is None
    assert _read_simple(b"Name: \xff\n") is None
    assert CoreMetadata.parse(b"Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: a,\n"
                              b"  b\n", source="t").requires_dist


def test_missing_fields_name_the_source() -> None:
    with pytest.raises(MetadataError, match=r"the core metadata of x\.whl has no Version"):
        CoreMetadata.parse(b"Metadata-Version: 2.1\nName: x\n", source="x.whl")
