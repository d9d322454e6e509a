"""Read a wheel's ``METADATA`` from a remote zip with HTTP range requests.

The first request asks for the last 64 KiB, which usually holds the central directory and, since
``.dist-info`` files come last in a wheel, the ``METADATA`` member too: one request instead of a
download. A server that ignores ``Range`` answers 200 with the whole file, which is then used (and
kept) as a full download.

The central directory is read here, not by :mod:`zipfile`: a wheel of a thousand files made
``zipfile`` build a thousand ``ZipInfo`` objects, a few small reads each, to find one member
(numpy 2.4.6's wheel, 1,166 files: 9.5-10 ms of CPU, against 1.5-1.9 ms for this walk, which
decodes only the names that end like a ``METADATA``). What is missing is fetched in at most two
more requests — the start of the central directory, then the member — and anything this
reader does not handle (ZIP64, data before the archive, encryption, a compression method other
than deflate) goes through :mod:`zipfile` as before.
"""

from __future__ import annotations

import io
import struct
from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from pyffin.client.http import Response

if TYPE_CHECKING:
    import zipfile

#: Bytes asked for in the first request, and the least fetched on a later miss.
TAIL = 64 * 1024
MIN_FETCH = 16 * 1024

#: What a member's name ends with for :func:`read_member` to hand it to its finder.
METADATA_SUFFIX = ".dist-info/METADATA"

Fetch = Callable[[int, int], bytes]

_END = struct.Struct("<4s4H2LH")  # end of central directory record
_ENTRY = struct.Struct("<4s6H3L5H2L")  # central directory file header
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ENTRY_SIGNATURE = b"PK\x01\x02"
_LOCAL_SIGNATURE = b"PK\x03\x04"
#: Room asked for beyond a member's local header as the central directory describes it: its
#: extra field may be longer there (a few bytes, usually none).
_LOCAL_EXTRA_ROOM = 1024


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
        data = self.slice(self._pos, self._pos + n)
        buffer[:n] = data
        self._pos += n
        return n

    def slice(self, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (within the file), fetched if no chunk holds them all; a
        range whose end a later chunk holds is fetched up to that chunk only."""
        if end <= start:
            return b""
        i = bisect_right(self._starts, start) - 1
        if i >= 0:
            chunk_start, chunk = self._starts[i], self._chunks[i]
            if start >= chunk_start and end <= chunk_start + len(chunk):
                return chunk[start - chunk_start:end - chunk_start]
        j = bisect_right(self._starts, start)
        held_start = self._starts[j] if j < len(self._starts) else self._size
        held = self._chunks[j] if j < len(self._chunks) else b""
        if held_start < end <= held_start + len(held):
            # The end is held (the central directory's last part, in the tail): fetch the rest.
            data = self._fetch(start, held_start)
            self.requests += 1
            if len(data) != held_start - start:
                raise _Short()
            self._starts.insert(j, start)
            self._chunks.insert(j, data)
            return data + held[:end - held_start]
        fetch_end = min(self._size, max(end, start + MIN_FETCH))
        data = self._fetch(start, fetch_end)
        self.requests += 1
        self._starts.insert(j, start)
        self._chunks.insert(j, data)
        return data[:end - start]


class _Short(Exception):
    """A fetch gave fewer bytes than asked for."""


class _NotHandled(Exception):
    """A zip this module's reader leaves to :mod:`zipfile`."""


def content_range_total(headers: Mapping[str, str]) -> int | None:
    """The total size from ``Content-Range: bytes a-b/total``."""
    value = headers.get("content-range", "")
    _, _, total = value.rpartition("/")
    return int(total) if total.isdigit() else None


def read_member(first: Response, fetch: Fetch, member: Callable[[list[str]], str | None],
                limit: int) -> tuple[str, bytes] | None:
    """Read the member chosen by ``member`` — given the names that end with
    :data:`METADATA_SUFFIX`, in the archive's order — from the zip behind ``first``, the
    answer to a suffix range request; it may not decompress to more than ``limit`` bytes.
    ``None`` if ``first`` is not a usable 206, or ``member`` chooses none.

    A damaged archive is a :class:`~pyffin.models.metadata.MetadataError` naming its URL."""
    total = content_range_total(first.headers)
    if first.status != 206 or total is None:
        return None
    view = RangeFile(total, fetch, (total - len(first.content), first.content))
    try:
        return _read_directly(view, total - len(first.content), first.content, member, limit,
                              first.url)
    except _NotHandled:
        pass
    except (_Short, struct.error, ValueError) as e:
        raise _damaged(first.url, str(e) or "a range request returned too few bytes") from None
    import zipfile

    try:
        with zipfile.ZipFile(view) as zf:
            name = member([n for n in zf.namelist() if n.endswith(METADATA_SUFFIX)])
            if name is None:
                return None
            return name, read_bounded(zf, name, limit, first.url)
    except zipfile.BadZipFile as e:
        raise _damaged(first.url, str(e)) from None


def _read_directly(view: RangeFile, tail_start: int, tail: bytes,
                   member: Callable[[list[str]], str | None], limit: int, url: str,
                   ) -> tuple[str, bytes] | None:
    """:func:`read_member` by walking the central directory, given the file's last bytes
    (``tail``, from ``tail_start``); :class:`_NotHandled` for an archive of a kind it leaves to
    :mod:`zipfile`, or whose end record is not in ``tail``."""
    at = tail.rfind(_END_SIGNATURE)
    while at >= 0 and (at + _END.size > len(tail)
                       or at + _END.size + _END.unpack_from(tail, at)[7] != len(tail)):
        at = tail.rfind(_END_SIGNATURE, 0, at)  # those bytes were part of a comment
    if at < 0:
        raise _NotHandled()
    _, disk, cd_disk, _, entries, cd_size, cd_offset, _ = _END.unpack_from(tail, at)
    end_offset = tail_start + at
    if (disk or cd_disk or entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset)
            or cd_offset + cd_size != end_offset
            or (at >= 20 and tail[at - 20:at - 16] == _ZIP64_LOCATOR)):
        raise _NotHandled()  # ZIP64, several disks, or data before the archive
    directory = view.slice(cd_offset, end_offset)
    found: dict[str, tuple[int, ...]] = {}
    pos = 0
    suffix = METADATA_SUFFIX.encode()
    for _ in range(entries):
        fields = _ENTRY.unpack_from(directory, pos)
        if fields[0] != _ENTRY_SIGNATURE:
            raise ValueError(f"no central directory entry at {cd_offset + pos}")
        name_length, extra_length, comment_length = fields[10:13]
        name_start = pos + _ENTRY.size
        name_end = name_start + name_length
        if directory.endswith(suffix, name_start, name_end):
            raw = directory[name_start:name_end]
            name = raw.decode("utf-8" if fields[3] & 0x800 else "cp437")
            found[name] = fields  # the last of a name, as zipfile's getinfo() gives it
        pos = name_end + extra_length + comment_length
    if pos != len(directory):  # a signature block after the entries, say: zipfile decides
        raise _NotHandled()
    chosen = member(list(found))
    if chosen is None:
        return None
    name, fields = chosen, found[chosen]
    flags, method, _, _, crc, compressed, size = fields[3:10]
    local_offset = fields[16]
    if flags & 0x1 or method not in (0, 8) or 0xFFFFFFFF in (compressed, size, local_offset):
        raise _NotHandled()  # encrypted, another compression, or ZIP64 sizes
    if size > limit:
        _too_large(name, url, size, limit)
    # The local header's name is as long as the directory's; its extra field usually too.
    wanted_end = min(cd_offset, local_offset + _LOCAL.size + fields[10] + fields[11]
                     + _LOCAL_EXTRA_ROOM + compressed)
    if local_offset + _LOCAL.size > cd_offset:
        raise ValueError(f"{name}'s local header offset {local_offset} is past the data")
    local = view.slice(local_offset, wanted_end)
    header = _LOCAL.unpack_from(local)
    if header[0] != _LOCAL_SIGNATURE:
        raise ValueError(f"no local header for {name} at {local_offset}")
    data_start = _LOCAL.size + header[9] + header[10]
    data = local[data_start:data_start + compressed]
    if len(data) < compressed:
        data = view.slice(local_offset + data_start, local_offset + data_start + compressed)
    import zlib

    if method == 8:
        data = zlib.decompressobj(-15).decompress(data, size + 1)
    if len(data) != size or zlib.crc32(data) != crc:
        raise ValueError(f"{name} does not match its size and CRC-32 in the central directory")
    return name, data


def read_bounded(zf: zipfile.ZipFile, name: str, limit: int, source: str) -> bytes:
    """The member ``name``, refused when its declared size passes ``limit`` (``zipfile`` reads
    no more than the declared size, so a zip bomb cannot fill memory)."""
    size = zf.getinfo(name).file_size
    if size > limit:
        _too_large(name, source, size, limit)
    return zf.read(name)


def _too_large(name: str, source: str, size: int, limit: int) -> None:
    from pyffin.models.metadata import MetadataError

    raise MetadataError(f"{name} in {source} would decompress to {size} bytes, more than "
                        f"the {limit} allowed (PYFFIN_MAX_PAGE_BYTES)")


def _damaged(url: str, why: str) -> Exception:
    from pyffin.models.metadata import MetadataError
    from pyffin.models.urls import redact

    return MetadataError(f"the wheel at {redact(url)} is not a valid zip: {why}")
