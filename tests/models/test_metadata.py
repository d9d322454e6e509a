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


SPLIT_TEXTS = ("idna", "urllib3 (>=1.21.1,<3)", "PySocks!=1.5.7,>=1.5.6; extra == 'socks'",
               "foo @ https://example.com/foo-1.0.tar.gz")


def test_a_record_keeps_the_parts_of_each_requirement() -> None:
    from pyffin.models.metadata import RequiresDist
    from pyffin.models.requirement_text import split_unchecked

    text = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n" + "".join(
        f"Requires-Dist: {requirement}\n" for requirement in SPLIT_TEXTS)
    parsed = CoreMetadata.parse(text, source="demo")
    back = CoreMetadata.from_record(parsed.to_record())
    assert back == parsed and back.requires_dist == SPLIT_TEXTS
    assert type(parsed.requires_dist) is tuple  # an installed METADATA's: no parts
    assert isinstance(back.requires_dist, RequiresDist)
    expected = []
    for requirement in SPLIT_TEXTS:
        parts = split_unchecked(requirement)
        expected.append(None if parts is None
                        else (parts[0], parts[1], tuple(parts[2]), parts[3]))
    assert back.requires_dist.parts == tuple(expected)
    assert expected[-1] is None  # a direct reference is not of the common shape


def test_a_record_without_parts_reads_as_before() -> None:
    made = CoreMetadata("demo", "1.0", requires_dist=SPLIT_TEXTS)
    back = CoreMetadata.from_record(made.to_record()[:7])  # a version 1 record's fields
    assert back == made and type(back.requires_dist) is tuple
    with pytest.raises(ValueError):
        CoreMetadata.from_record((*made.to_record(), None))


def test_requirements_with_their_parts_pickle_with_them() -> None:
    import pickle

    made = CoreMetadata.from_record(CoreMetadata("demo", "1.0", SPLIT_TEXTS).to_record())
    back = pickle.loads(pickle.dumps(made))
    assert back == made
    assert back.requires_dist.parts == made.requires_dist.parts  # type: ignore[attr-defined]
