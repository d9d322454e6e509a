"""Format control: which packages may use wheels and which may be built from source
(``--only-binary``, ``--no-binary``, ``--no-build``) — the one answer every layer asks.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyffin.models.names import checked_name
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

    @classmethod
    def of(cls, no_binary: Iterable[str] = (), only_binary: Iterable[str] = (), *,
           no_build: bool = False) -> BinaryPolicy:
        """The policy of names as given (any spelling; ``:all:`` and ``:none:`` kept);
        ``ValueError`` for a string that is not a project name."""
        return cls(_names(no_binary), _names(only_binary), no_build)

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


def _names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name if name in (ALL, ":none:") else checked_name(name) for name in names)
