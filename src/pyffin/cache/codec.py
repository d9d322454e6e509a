"""The encoding of cache records: a versioned header, then ``marshal`` of plain data.

What can be stored is a :class:`Cacheable`: a type that turns itself into plain data
(``to_record``) and back (``from_record``) and names its schema and version.

Why ``marshal`` and not msgspec or JSON (measured on this project's machines, a parsed page of
3,150 files): decoding takes 4.4 ms with marshal, 3.7 ms with msgspec's typed msgpack decoder and
5.8 ms with ``json``, but importing msgspec costs ~14 ms per process (0.23, re-measured
2026-12-03; an earlier figure of 36-46 ms did not hold) and ``json`` ~1.5 ms, while ``marshal``
is built in. A warm command is dominated by start-up, so the import decides (a cold one decodes
fetched pages with msgspec past a budget: :mod:`pyffin.client.typed_page`). Typed
record classes convert to and from plain tuples themselves (``to_record``/``from_record``).

The header names the record's schema and its version, the marshal format version and a CRC-32
of the payload; any mismatch, truncation, garbage or flipped byte is a :class:`RecordError`,
which readers treat as a cache miss. (A flipped byte inside a string still unmarshals: without
the checksum it would surface much later as, say, an invalid wheel filename. CRC-32 costs about
0.25 ms per MB here, a tenth of decoding; a record of 256 KiB or more (a project page) is
checksummed by ISA-L (``isal``, a dependency where it has wheels) when installed: the same
CRC-32 in a tenth of the time or less (a cold resolution writes tens of MB of page records).
Its import costs ~0.9 ms, what ``binascii`` loses to it on ~3 MB: it is imported once a process
has checksummed that much of large records the slow way (or had it imported for something
else), not for the few large summaries a warm run reads.)
A record may carry a tail after its payload (:func:`dump_parts_with_tail`): bytes read a piece
at a time by a reader that needs few of them (a summary's rows of files); its header then also
gives the payload's length, and its checksum covers the payload alone, which says how to check
each piece.
Records are trusted exactly as much as the ``.pyc`` files Python itself loads with ``marshal``:
they live in the user's own cache directory.
"""

from __future__ import annotations

import marshal
import sys
from binascii import crc32
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from typing_extensions import Self

_MAGIC = b"PYFN"
#: Length of the checksum field: eight hex digits and the newline that ends the header.
_CRC_LENGTH = 9
#: A header is shorter than this (schema names are short).
_HEADER_MAX = 256


class Cacheable(Protocol):
    """A type whose values the cache can store: plain-data conversion plus a schema name and
    version (bump the version on any change of the shape)."""

    RECORD_SCHEMA: ClassVar[str]
    RECORD_VERSION: ClassVar[int]

    def to_record(self) -> Any: ...

    @classmethod
    def from_record(cls, data: Any) -> Self: ...


class RecordError(ValueError):
    """The bytes are not a record of the expected schema and version, or are damaged."""


class OtherVersionError(RecordError):
    """A sound header of the expected schema, from another version of its format (or of
    Python's marshal): written by another release of pyffin sharing the cache, not damaged."""


def _mismatch(header: bytes, schema: str, version: int) -> RecordError:
    """The error for a record whose header does not start as ``schema`` v``version``'s."""
    fields = header[:_HEADER_MAX].split(b" ", 4)
    if len(fields) == 5 and fields[0] == _MAGIC and fields[1] == schema.encode("ascii") \
            and fields[2].isdigit() and fields[3].isdigit():
        return OtherVersionError(
            f"a {schema} v{int(fields[2])} record (marshal {int(fields[3])}), not "
            f"v{version} (marshal {marshal.version})")
    return RecordError(f"not a {schema} v{version} record")


def dumps(schema: str, version: int, payload: Any) -> bytes:
    """Encode ``payload`` (tuples, lists, dicts, str, bytes, int, float, bool, None)."""
    return b"".join(dump_parts(schema, version, payload))


#: From this size on, a record's CRC-32 may be ISA-L's (see the module's docstring).
_FAST_CRC_BYTES = 1 << 18
#: Bytes of such records checksummed by ``binascii`` before ISA-L is imported for them.
_FAST_CRC_AFTER = 3 << 20
#: ISA-L's ``crc32`` once imported (``binascii``'s when it is not installed).
_FAST_CRC: list[Any] = []
#: Bytes of large records checksummed so far without it (threads may race: a rough count).
_slow_bytes = [0]


def _crc32(body: bytes | memoryview) -> int:
    size = len(body)
    if size < _FAST_CRC_BYTES:
        return crc32(body)
    if not _FAST_CRC:
        if ("isal.isal_zlib" not in sys.modules
                and _slow_bytes[0] + size <= _FAST_CRC_AFTER):
            _slow_bytes[0] += size
            return crc32(body)
        try:
            from isal.isal_zlib import crc32 as fast
        except ImportError:
            fast = crc32
        _FAST_CRC.append(fast)
    return _FAST_CRC[0](body)  # type: ignore[no-any-return]


def dump_parts(schema: str, version: int, payload: Any) -> tuple[bytes, bytes]:
    """:func:`dumps` as its header and its body, which a writer writes one after the other:
    a large record (a project page's is megabytes) is not copied to join them."""
    body = marshal.dumps(payload)
    header = b"%s %s %d %d %08x\n" % (_MAGIC, schema.encode("ascii"), version, marshal.version,
                                      _crc32(body))
    return header, body


def dump_parts_with_tail(schema: str, version: int, payload: Any, tail: bytes
                         ) -> tuple[bytes, bytes, bytes]:
    """:func:`dump_parts` of a record whose payload is followed by ``tail``: bytes its reader
    reads a piece at a time, when it needs one (see :func:`loads_head`). The header's checksum
    covers the payload alone, and gives its length; how to check the pieces of the tail is the
    payload's to say (a summary keeps a CRC-32 of each)."""
    body = marshal.dumps(payload)
    header = b"%s %s %d %d %08x %d\n" % (_MAGIC, schema.encode("ascii"), version,
                                         marshal.version, _crc32(body), len(body))
    return header, body, tail


def head_length(first: bytes) -> int | None:
    """How many bytes, from the start, hold the header and payload of a record with a tail,
    given its first bytes (its whole header at least); ``None`` when they are not such a
    record's."""
    header, newline, _ = first[:_HEADER_MAX].partition(b"\n")
    fields = header.split(b" ")
    if not newline or len(fields) != 6 or not fields[5].isdigit():
        return None
    return len(header) + 1 + int(fields[5])


def loads_head(data: bytes, schema: str, version: int) -> tuple[object, int]:
    """Decode the payload of a record written by :func:`dump_parts_with_tail` from its first
    bytes (:func:`head_length` of them at least): the payload, and where its tail starts."""
    expected = b"%s %s %d %d " % (_MAGIC, schema.encode("ascii"), version, marshal.version)
    header, newline, _ = data[:_HEADER_MAX].partition(b"\n")
    if not header.startswith(expected):
        raise _mismatch(header, schema, version)
    field, _, length = header[len(expected):].partition(b" ")
    try:
        if not newline or len(field) != _CRC_LENGTH - 1 or not length.isdigit():
            raise ValueError(header)
        checksum = int(field, 16)
    except ValueError:
        raise RecordError(f"corrupt {schema} record: no checksum or length") from None
    header_end = len(header) + 1
    end = header_end + int(length)
    if end > len(data):
        raise RecordError(f"corrupt {schema} record: truncated")
    body = memoryview(data)[header_end:end]
    if _crc32(body) != checksum:
        raise RecordError(f"corrupt {schema} record: its checksum does not match")
    try:
        return marshal.loads(body), end
    except (EOFError, ValueError, TypeError) as e:
        raise RecordError(f"corrupt {schema} record: {e}") from None


def loads(data: bytes, schema: str, version: int) -> object:
    """Decode a record written by :func:`dumps` with the same ``schema`` and ``version``."""
    expected = b"%s %s %d %d " % (_MAGIC, schema.encode("ascii"), version, marshal.version)
    if not data.startswith(expected):
        raise _mismatch(data[:_HEADER_MAX].partition(b"\n")[0], schema, version)
    start = len(expected) + _CRC_LENGTH
    body = memoryview(data)[start:]
    try:
        checksum = int(data[len(expected):start - 1], 16)
    except ValueError:
        raise RecordError(f"corrupt {schema} record: no checksum") from None
    if data[start - 1:start] != b"\n" or _crc32(body) != checksum:
        raise RecordError(f"corrupt {schema} record: its checksum does not match")
    try:
        return marshal.loads(body)
    except (EOFError, ValueError, TypeError) as e:
        raise RecordError(f"corrupt {schema} record: {e}") from None


def check(data: bytes) -> str | None:
    """What is wrong with a record of any schema (``pyffin cache verify``): ``None`` when its
    header is well formed, its checksum matches and its payload unmarshals."""
    header, newline, _ = data[:_HEADER_MAX].partition(b"\n")
    fields = header.split(b" ")
    if not newline or len(fields) not in (5, 6) or fields[0] != _MAGIC:
        return "not a pyffin record"
    schema = fields[1].decode("ascii", "replace")
    try:
        version = int(fields[2])
    except ValueError:
        return "not a pyffin record"
    if fields[3] != b"%d" % marshal.version:
        return f"written by a Python whose marshal format is {fields[3].decode('ascii', 'replace')}"
    try:
        if len(fields) == 6:  # a tail's pieces are checked by the reader of each
            loads_head(data, schema, version)
        else:
            loads(data, schema, version)
    except RecordError as e:
        return str(e)
    return None
