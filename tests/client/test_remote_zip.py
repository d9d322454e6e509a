"""Reading a zip member through byte ranges, fetching only what is missing."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from pyffin.client.http import Response
from pyffin.client.remote_zip import RangeFile, read_member
from pyffin.models.metadata import MetadataError


def make_zip() -> bytes:
    buffer = io.BytesIO()
    rng = random.Random(1)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("foo-1.0.dist-info/METADATA", "Name: foo\nVersion: 1.0\n")
        for i in range(5):
            zf.writestr(f"foo/blob{i}", rng.randbytes(50_000))
    return buffer.getvalue()


def test_a_member_far_from_the_tail_is_fetched_by_range() -> None:
    data = make_zip()
    fetched: list[tuple[int, int]] = []

    def fetch(start: int, end: int) -> bytes:
        fetched.append((start, end))
        return data[start:end]

    tail = data[-1000:]
    first = Response("u", 206, {"content-range": f"bytes {len(data) - 1000}-{len(data) - 1}/"
                                                  f"{len(data)}"}, tail, 0, 0)
    found = read_member(first, fetch, lambda names: "foo-1.0.dist-info/METADATA", 1 << 20)
    assert found == ("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n")
    assert fetched and all(end - start < len(data) // 4 for start, end in fetched)


def test_not_a_partial_response() -> None:
    first = Response("u", 200, {}, make_zip(), 0, 0)
    assert read_member(first, lambda a, b: b"", lambda names: names[0], 1 << 20) is None


def test_range_file_reads_across_chunks() -> None:
    data = bytes(range(256)) * 100
    f = RangeFile(len(data), lambda a, b: data[a:b], (len(data) - 10, data[-10:]))
    f.seek(100)
    assert f.read(50) == data[100:150]
    f.seek(-5, io.SEEK_END)
    assert f.read() == data[-5:]
    assert f.requests == 1


# --- the central directory read without zipfile ---------------------------------------------


def read_via_ranges(data: bytes, tail: int = 65536, finder=None):  # type: ignore[no-untyped-def]
    """read_member over ``data`` served by range: (its answer, the ranges fetched after the
    first)."""
    fetched: list[tuple[int, int]] = []

    def fetch(start: int, end: int) -> bytes:
        assert 0 <= start < end <= len(data)
        fetched.append((start, end))
        return data[start:end]

    tail = min(tail, len(data))
    first = Response("https://example.invalid/foo-1.0-py3-none-any.whl", 206,
                     {"content-range": f"bytes {len(data) - tail}-{len(data) - 1}/{len(data)}"},
                     data[-tail:], 0, 0)
    found = read_member(first, fetch, finder or (lambda names: names[-1] if names else None),
                        1 << 24)
    return found, fetched


def zip_of(members: list[tuple[str, bytes, int]], *, comment: bytes = b"",
           prefix: bytes = b"") -> bytes:
    """A zip of ``members``; ``prefix``: bytes before it (as ``cat stub archive.zip`` makes:
    its offsets do not count them)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content, method in members:
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content,
                        compress_type=method)
        zf.comment = comment
    return prefix + buffer.getvalue()


def test_the_member_comes_from_the_central_directory_without_zipfile(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A wheel of a thousand files: zipfile would make a ZipInfo of each.
    members = [(f"foo/m{i}.py", b"x = %d\n" % i, zipfile.ZIP_DEFLATED) for i in range(1000)]
    members.append(("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n",
                    zipfile.ZIP_DEFLATED))
    data = zip_of(members)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # any use of it fails
    found, fetched = read_via_ranges(data, tail=len(data))
    assert found == ("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n")
    assert fetched == []


def test_a_central_directory_longer_than_the_tail_costs_one_request_for_its_start() -> None:
    rng = random.Random(2)
    members = [("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n",
                zipfile.ZIP_STORED)]
    members += [(f"foo/{'d' * 60}/m{i}.bin", rng.randbytes(100), zipfile.ZIP_STORED)
                for i in range(2000)]
    data = zip_of(members)
    found, fetched = read_via_ranges(data, tail=20_000)
    assert found == ("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n")
    directory_start = data.index(b"PK\x01\x02")
    # The directory's start up to the tail, then the member at the archive's start.
    assert fetched == [(directory_start, len(data) - 20_000), (0, 16_384)]


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_every_kind_of_member_reads_as_zipfile_reads_it(method: int) -> None:
    rng = random.Random(method)
    for _ in range(30):
        members = [(f"pkg/{rng.randrange(10**6)}.py", rng.randbytes(rng.randrange(3000)), method)
                   for _ in range(rng.randrange(1, 40))]
        metadata = rng.randbytes(rng.randrange(1, 5000))
        name = rng.choice(["foo-1.0.dist-info/METADATA", "föö-1.0.dist-info/METADATA"])
        members.insert(rng.randrange(len(members) + 1), (name, metadata, method))
        data = zip_of(members, comment=rng.randbytes(rng.randrange(0, 300)))
        found, _ = read_via_ranges(data, tail=rng.choice([2000, 30_000, len(data)]))
        assert found == (name, zipfile.ZipFile(io.BytesIO(data)).read(name))


def test_the_finder_is_given_the_metadata_members_and_the_last_of_a_name_is_read() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = zip_of([("bar-2.0.dist-info/METADATA", b"Name: bar\n", zipfile.ZIP_STORED),
                       ("foo/x.py", b"", zipfile.ZIP_STORED),
                       ("foo-1.0.dist-info/METADATA", b"first", zipfile.ZIP_STORED),
                       ("foo-1.0.dist-info/METADATA", b"second", zipfile.ZIP_DEFLATED)])
    given: list[list[str]] = []

    def finder(names: list[str]) -> str:
        given.append(names)
        return "foo-1.0.dist-info/METADATA"

    expected = zipfile.ZipFile(io.BytesIO(data)).read("foo-1.0.dist-info/METADATA")
    found, _ = read_via_ranges(data, finder=finder)
    assert given == [["bar-2.0.dist-info/METADATA", "foo-1.0.dist-info/METADATA"]]
    assert found == ("foo-1.0.dist-info/METADATA", b"second") and expected == b"second"


@pytest.mark.parametrize("kind", ["data before the archive", "bzip2"])
def test_what_the_reader_does_not_handle_goes_through_zipfile(
        kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    metadata = ("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n",
                zipfile.ZIP_BZIP2 if kind == "bzip2" else zipfile.ZIP_DEFLATED)
    data = zip_of([metadata, ("foo/x.py", b"x" * 100, zipfile.ZIP_STORED)],
                  prefix=b"#!/bin/sh\n" * 10 if kind == "data before the archive" else b"")
    opened: list[object] = []
    real = zipfile.ZipFile

    def counting(*args: object, **kwargs: object) -> zipfile.ZipFile:
        opened.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile, "ZipFile", counting)
    found, _ = read_via_ranges(data)
    assert found == ("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n")
    assert len(opened) == 1


def test_a_comment_holding_the_end_record_signature_is_skipped() -> None:
    comment = b"xxPK\x05\x06" + b"\1" * 30  # would say a comment of 257 bytes follows
    data = zip_of([("foo-1.0.dist-info/METADATA", b"Name: foo\n", zipfile.ZIP_STORED)],
                  comment=comment)
    found, _ = read_via_ranges(data)
    assert found == ("foo-1.0.dist-info/METADATA", b"Name: foo\n")


def test_a_damaged_member_is_an_error_naming_the_wheel() -> None:
    data = bytearray(zip_of([("foo-1.0.dist-info/METADATA", b"Name: foo\nVersion: 1.0\n",
                              zipfile.ZIP_STORED)]))
    at = data.index(b"Name: foo")
    data[at] = ord("n")  # the CRC-32 no longer matches
    with pytest.raises(MetadataError, match=r"foo-1\.0-py3-none-any\.whl is not a valid zip: "
                                            r".*CRC-32"):
        read_via_ranges(bytes(data))


def test_a_damaged_central_directory_is_an_error_naming_the_wheel() -> None:
    data = bytearray(zip_of([("foo/x.py", b"x", zipfile.ZIP_STORED),
                             ("foo-1.0.dist-info/METADATA", b"Name: foo\n", zipfile.ZIP_STORED)]))
    data[data.index(b"PK\x01\x02") + 1] = ord("X")
    with pytest.raises(MetadataError, match="is not a valid zip: no central directory entry"):
        read_via_ranges(bytes(data))


def test_a_member_larger_than_the_limit_is_refused_before_it_is_read() -> None:
    data = zip_of([("foo-1.0.dist-info/METADATA", b"x" * 5000, zipfile.ZIP_DEFLATED)])
    first = Response("u", 206, {"content-range": f"bytes 0-{len(data) - 1}/{len(data)}"}, data,
                     0, 0)
    with pytest.raises(MetadataError, match="would decompress to 5000 bytes, more than the 100"):
        read_member(first, lambda a, b: b"", lambda names: names[0], 100)


def test_a_central_directory_with_more_than_its_entries_is_left_to_zipfile() -> None:
    import struct

    data = zip_of([("foo-1.0.dist-info/METADATA", b"Name: foo\n", zipfile.ZIP_STORED)])
    end = data.rindex(b"PK\x05\x06")
    extra = b"PK\x05\x05" + b"\0" * 12  # (a digital signature block, which zipfile refuses)
    size, offset = struct.unpack_from("<2L", data, end + 12)
    patched = (data[:end] + extra + data[end:end + 12] + struct.pack("<2L", size + len(extra),
                                                                     offset) + data[end + 20:])
    with pytest.raises(MetadataError, match="is not a valid zip: Truncated central directory"):
        read_via_ranges(patched)
