"""Format control: which packages may use wheels and which may be built from source
(``--only-binary``, ``--no-binary``, ``--no-build``) — the one answer every layer asks.
"""

from __future__ import annotations

from pyffin.records import record

#: ``:all:`` in ``--no-binary`` / ``--only-binary`` means every package (pip's spelling).
ALL = ":all:"


@record
class BinaryPolicy:
    """``--no-binary``, ``--only-binary`` and ``--no-build`` (pip's semantics: a package named
    in both, or ``:all:`` in one and the name in the other, follows the named one)."""

    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    no_build: bool = False

    def wheels_allowed(self, name: str) -> bool:
        if name in self.only_binary:
            return True
        return not (name in self.no_binary or ALL in self.no_binary)

    def sdists_allowed(self, name: str) -> bool:
        if self.no_build:
            return False
        if name in self.no_binary:
            return True
        return not (name in self.only_binary or ALL in self.only_binary)
