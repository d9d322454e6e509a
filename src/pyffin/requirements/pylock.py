"""Read a ``pylock.toml`` (PEP 751): the file's table checked by
:func:`pyffin.models.pylock.from_table`, every error naming the file and the key."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyffin.models.pylock import PylockFile


def read_pylock(path: str | os.PathLike[str]) -> PylockFile:
    """The lock file at ``path``; raises :class:`~pyffin.models.pylock.PylockError` when it
    cannot be read or breaks PEP 751."""
    from pyffin import toml
    from pyffin.models.pylock import PylockError, from_table

    shown = os.fspath(path)
    try:
        data = toml.read(path, PylockError)
    except FileNotFoundError:
        raise PylockError(f"{shown}: no such file") from None
    lock = from_table(data, shown)
    if lock.lock_version.strip() not in ("1", "1.0"):
        from pyffin import log

        # PEP 751: a newer minor version is read, with a warning.
        log.warn(f"{shown} is lock version {lock.lock_version}; pyffin reads version 1.0 and "
                 "may miss what is newer")
    return lock
