"""Read one member of a remote zip (a wheel's ``METADATA``) with HTTP range requests.

The first request asks for the last 64 KiB, which usually holds the central directory and, since
``.dist-info`` files come last in a wheel, the ``METADATA`` member too: one request instead of a
download. A server that ignores ``Range`` answers 200 with the whole file, which is then used (and
kept) as a full download.
"""

from __future__ import annotations

import io
from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from pyffin.client.http import Response

if TYPE_CHECKING:
    import zipfile

#: Bytes asked for in the first request, and the least fetched on a later miss.
TAIL = 64 * 1024
MIN_FETCH = 16 * 1024

Fetch = Callable[[int, int], bytes]


class RangeFile(io.RawIOBase):
    """A read-only, seekable view of a remote file that fetches missing byte ranges on demand."""

    def __init__(self, size: int, fetch: Fetch, initial: tuple[int, bytes]) -> None:
        super().__init__()
        self._size = size
        self._fetch = fetch
        self._pos = 0
        self._starts: list[int] = [initial[0]]
        self._chunks: list[bytes] = [initial[1]]
        #: Range requests made after the first one.
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        data = self._slice(self._pos, self._pos + n)
        buffer[:n] = data
        self._pos += n
        return n

    def _slice(self, start: int, end: int) -> bytes:
        i = bisect_right(self._starts, start) - 1
        if i >= 0:
            chunk_start, chunk = self._starts[i], self._chunks[i]
            if start >= chunk_start and end <= chunk_start + len(chunk):
                return chunk[start - chunk_start:end - chunk_start]
        fetch_end = min(self._size, max(end, start + MIN_FETCH))
        data = self._fetch(start, fetch_end)
        self.requests += 1
        j = bisect_right(self._starts, start)
        self._starts.insert(j, start)
        self._chunks.insert(j, data)
        return data[:end - start]


def content_range_total(headers: Mapping[str, str]) -> int | None:
    """The total size from ``Content-Range: bytes a-b/total``."""
    value = headers.get("content-range", "")
    _, _, total = value.rpartition("/")
    return int(total) if total.isdigit() else None


def read_member(first: Response, fetch: Fetch, member: Callable[[list[str]], str | None],
                limit: int) -> tuple[str, bytes] | None:
    """Read the member chosen by ``member`` (given all names) from the zip behind ``first``, the
    answer to a suffix range request; it may not decompress to more than ``limit`` bytes.
    ``None`` if ``first`` is not a usable 206."""
    import zipfile

    total = content_range_total(first.headers)
    if first.status != 206 or total is None:
        return None
    start = total - len(first.content)
    with zipfile.ZipFile(RangeFile(total, fetch, (start, first.content))) as zf:
        name = member(zf.namelist())
        if name is None:
            return None
        return name, read_bounded(zf, name, limit, first.url)


def read_bounded(zf: zipfile.ZipFile, name: str, limit: int, source: str) -> bytes:
    """The member ``name``, refused when its declared size passes ``limit`` (``zipfile`` reads
    no more than the declared size, so a zip bomb cannot fill memory)."""
    size = zf.getinfo(name).file_size
    if size > limit:
        from pyffin.models.metadata import MetadataError

        raise MetadataError(f"{name} in {source} would decompress to {size} bytes, more than "
                            f"the {limit} allowed (PYFFIN_MAX_PAGE_BYTES)")
    return zf.read(name)
