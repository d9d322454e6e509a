"""pyffin's shared, crash-safe cache (DESIGN §2).

- :class:`Cache` owns the root, the cache-wide lock, temporary directories and archives;
- :class:`CacheBucket` names every top-level directory and documents its layout;
- :class:`CacheShard` / :class:`CacheEntry` are directories and files inside a bucket;
- :mod:`pyffin.cache.fs` has the atomic-write primitives, :mod:`pyffin.cache.lock` the locks,
  :mod:`pyffin.cache.keys` the stable hashes used in paths, :mod:`pyffin.cache.codec` the
  encoding of cache records (:class:`~pyffin.cache.codec.Cacheable`).

This package sits low in pyffin (``docs/architecture.md``): it imports only the shared
vocabulary (:mod:`pyffin.models`) and the foundation modules below it.
"""

from pyffin.cache import codec
from pyffin.cache.buckets import CacheBucket
from pyffin.cache.core import ARCHIVE_POINTER_SUFFIX, Cache, CacheEntry, CacheShard
from pyffin.cache.fs import write_atomic
from pyffin.cache.keys import digest, index_parts, path_key, tags_digest, url_key
from pyffin.cache.lock import FileLock

__all__ = [
    "ARCHIVE_POINTER_SUFFIX",
    "Cache",
    "CacheBucket",
    "CacheEntry",
    "CacheShard",
    "FileLock",
    "codec",
    "digest",
    "index_parts",
    "path_key",
    "tags_digest",
    "url_key",
    "write_atomic",
]
