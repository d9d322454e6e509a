"""Which of the hashes an index, a URL fragment or a ``--hash`` gives is checked, and how.

An index may list several hashes of one file, in any algorithm. pyffin verifies the strongest
one it can compute (and the user's ``--hash`` values, one of which must match), computed while
the bytes stream in: one pass, no re-read. A file whose every listed hash is in an algorithm
this interpreter cannot compute is an error in hash-checking mode and a warning otherwise:
installing it unverified must never be silent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from pyffin import log
from pyffin.client.errors import HashMismatchError
from pyffin.models.files import STRENGTH

_RANK = {name: rank for rank, name in enumerate(STRENGTH)}

Hashes = Iterable[tuple[str, str]]


class UnverifiableHashError(HashMismatchError):
    """Hash-checking mode, and the only hashes given are in algorithms pyffin cannot compute."""


def strongest(hashes: Hashes) -> tuple[str, str] | None:
    """The strongest ``(algorithm, hex digest)`` of ``hashes`` that pyffin can compute."""
    best: tuple[int, str, str] | None = None
    for algorithm, digest in hashes:
        rank = _RANK.get(algorithm)
        if rank is not None and (best is None or rank < best[0]) and _computable(algorithm):
            best = (rank, algorithm, digest)
    return None if best is None else (best[1], best[2])


_unavailable: set[str] | None = None


def _computable(algorithm: str) -> bool:
    """Whether this interpreter's ``hashlib`` offers ``algorithm`` (an OpenSSL in FIPS mode
    may lack md5 or sha1); found out once per process, the first time a hash other than
    sha256 is considered."""
    global _unavailable
    if algorithm == "sha256":
        return True
    if _unavailable is None:
        import hashlib

        _unavailable = set()
        for name in STRENGTH:
            try:
                hashlib.new(name)
            except ValueError:
                _unavailable.add(name)
    return algorithm not in _unavailable


def key(hashes: Hashes) -> tuple[str, str] | None:
    """The hash that names a file in the cache: its sha256 when given (the usual case, and
    what older caches used), else the strongest one pyffin can compute."""
    given = list(hashes)
    for algorithm, digest in given:
        if algorithm == "sha256":
            return algorithm, digest
    return strongest(given)


def to_verify(hashes: Hashes, *, what: str, url: str, strict: bool) -> list[tuple[str, str]]:
    """The hashes to check ``what`` against: the strongest one pyffin can compute, and the
    sha256 when given (it keys the file in the cache: see :func:`key`). Empty when none is
    given.

    When hashes are given but none can be computed: :class:`UnverifiableHashError` if
    ``strict`` (hash-checking mode), else a warning and nothing to check.
    """
    given = list(hashes)
    chosen = strongest(given)
    if chosen is None:
        if given:
            names = ", ".join(sorted({a for a, _ in given}))
            message = (f"cannot verify {what} from {url}: it is listed only with hashes "
                       f"pyffin cannot compute ({names})")
            if strict:
                raise UnverifiableHashError(message, url=url,
                                            hint=f"pyffin computes {', '.join(STRENGTH)}")
            log.warn(f"C{message[1:]}; using it unverified")
        return []
    return _chosen(given, chosen)


def _chosen(given: list[tuple[str, str]], chosen: tuple[str, str]) -> list[tuple[str, str]]:
    named = key(given)
    return [chosen] if named is None or named == chosen else [chosen, named]


def verifiable(hashes: Hashes) -> list[tuple[str, str]]:
    """What :func:`to_verify` would check, without a word about what cannot be (for bytes
    that may turn out not to need checking)."""
    given = list(hashes)
    chosen = strongest(given)
    return [] if chosen is None else _chosen(given, chosen)


def algorithms(expected: Iterable[tuple[str, str]], required: Sequence[str] = ()) -> set[str]:
    """What to compute while reading a file: the algorithms of ``expected`` and of the
    ``algorithm:digest`` values in ``required``."""
    wanted = {value.partition(":")[0] for value in required}
    wanted.update(algorithm for algorithm, _ in expected)
    return wanted


class Digests:
    """Hashes of bytes fed in chunks, several algorithms at once (``hashlib`` is imported only
    when something is hashed: it costs milliseconds)."""

    def __init__(self, names: Iterable[str]) -> None:
        import hashlib

        self._names = tuple(names)
        self._hashers = [hashlib.new(name) for name in self._names]

    def update(self, chunk: bytes) -> None:
        for hasher in self._hashers:
            hasher.update(chunk)

    def hexdigests(self) -> dict[str, str]:
        return {name: h.hexdigest() for name, h in zip(self._names, self._hashers, strict=True)}


def check(actual: dict[str, str], expected: Iterable[tuple[str, str]],
          required: Sequence[str], *, what: str, url: str) -> None:
    """Raise :class:`HashMismatchError` when ``actual`` (algorithm → hex digest of the bytes
    read) disagrees with ``expected`` (from the index or the URL) or matches none of
    ``required`` (the user's ``--hash`` values)."""
    for algorithm, digest in expected:
        if actual.get(algorithm) != digest:
            raise HashMismatchError(
                f"hash mismatch for {what} from {url}: the index says {algorithm}:{digest}, "
                f"the file has {algorithm}:{actual.get(algorithm)}", url=url)
    if required and not any(f"{a}:{d}" in required for a, d in actual.items()):
        wanted = "\n".join(f"    {h}" for h in sorted(required))
        found = ", ".join(f"{a}:{d}" for a, d in sorted(actual.items())
                          if any(h.startswith(f"{a}:") for h in required))
        raise HashMismatchError(
            f"hash mismatch for {what} from {url}: expected one of\n{wanted}\n"
            f"  but the file has {found}", url=url)


def read_file(path: str | os.PathLike[str], names: Iterable[str]) -> dict[str, str]:
    """The hex digests of the file at ``path``."""
    digests = Digests(names)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digests.update(chunk)
    return digests.hexdigests()
