"""Reading a zip member through byte ranges, fetching only what is missing."""

from __future__ import annotations

import io
import random
import zipfile

from pyffin.client.http import Response
from pyffin.client.remote_zip import RangeFile, read_member


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
