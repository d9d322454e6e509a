"""The metadata pack: the wheel metadata the latest resolutions used, in one record.

A resolution that misses the resolution cache needs the metadata of every version it decides
(and of the versions it guesses it will): read from the cache, that is one record per wheel
(``wheels-v1/<index>/<stem>-<hash>.rec``), a file to find, open and decode each — a
tenth of a warm solve of a large set. The pack keeps those of the wheels whose hash the page
lists (their metadata, keyed by that hash, is the metadata of those bytes whatever the age of
the response, see :meth:`~pyffin.client.cached.CachedClient.immutable`) in one record
(``wheels-v1/metadata-pack.rec``), read once by the next resolution.

It holds the entries the process that wrote it used, then those of the pack it read, up to
:data:`MAX_ENTRIES`: the projects a user works on in turn share it. Each entry is kept
marshalled, and decoded when asked for. An entry stands for the wheel's own record, with its
response time: ``--refresh`` passes it over as it would the record. A pack that cannot be read
is no pack; two processes writing it at once leave the last one's.
"""

from __future__ import annotations

import marshal
from _thread import allocate_lock
from typing import TYPE_CHECKING, Any

from pyffin.cache import codec
from pyffin.models.metadata import CoreMetadata

if TYPE_CHECKING:
    from pyffin.cache import CacheEntry

PACK_SCHEMA = "metadata-pack"
#: ``(CoreMetadata's record version, [(url, digest, response time, marshalled record)])``.
PACK_VERSION = 1
#: At most this many entries are kept (a large set needs ~150; each is ~1 KB).
MAX_ENTRIES = 512

Key = tuple[str, str]


class MetadataPack:
    """The pack at one cache entry, read when first asked, written by :meth:`save` when this
    process used metadata it did not hold."""

    def __init__(self, entry: CacheEntry) -> None:
        self.entry = entry
        self._lock = allocate_lock()
        self._read: dict[Key, tuple[float, bytes]] | None = None
        #: What this process used, in the order it did.
        self._used: dict[Key, tuple[float, bytes]] = {}
        self._new = False

    def get(self, url: str, digest: str) -> tuple[float, CoreMetadata] | None:
        """The metadata of the wheel at ``url`` whose hash is ``digest``, with the response
        time of the record it was kept from; ``None`` when the pack lacks it."""
        read = self._read if self._read is not None else self._load()
        key = (url, digest)
        found = read.get(key)
        if found is None:
            return None
        response_time, data = found
        try:
            metadata = CoreMetadata.from_record(marshal.loads(data))
        except (EOFError, ValueError, TypeError):
            return None
        with self._lock:
            self._used.setdefault(key, found)
        return response_time, metadata

    def add(self, url: str, digest: str, response_time: float, metadata: CoreMetadata) -> None:
        """This process used the metadata of the wheel at ``url`` whose hash is ``digest``
        (read from its own record, or fetched)."""
        key = (url, digest)
        with self._lock:
            if key not in self._used:
                record: Any = metadata.to_record()
                self._used[key] = (response_time, marshal.dumps(record))
                self._new = True

    def save(self) -> None:
        """Write the pack when this process used metadata it did not hold: what it used
        first, then what the pack held."""
        with self._lock:
            if not self._new:
                return
            self._new = False
            entries = dict(self._used)
        read = self._read if self._read is not None else self._load()
        for key, value in read.items():
            if len(entries) >= MAX_ENTRIES:
                break
            entries.setdefault(key, value)
        rows = [(url, digest, response_time, data)
                for (url, digest), (response_time, data) in list(entries.items())[:MAX_ENTRIES]]
        self.entry.write(codec.dumps(PACK_SCHEMA, PACK_VERSION,
                                     (CoreMetadata.RECORD_VERSION, rows)))

    def _load(self) -> dict[Key, tuple[float, bytes]]:
        read: dict[Key, tuple[float, bytes]] = {}
        stored: Any = self.entry.read_record(
            lambda data: codec.loads(data, PACK_SCHEMA, PACK_VERSION))
        try:
            version, rows = stored
            if version == CoreMetadata.RECORD_VERSION:
                for url, digest, response_time, data in rows:
                    if isinstance(data, bytes):
                        read[(url, digest)] = (response_time, data)
        except (TypeError, ValueError):  # none, or of another shape: no pack
            read = {}
        self._read = read
        return read
