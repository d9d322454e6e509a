"""What an environment's ``pyvenv.cfg`` says, read without the rest of :mod:`pyffin.venv`
(an install asks on every run)."""

from __future__ import annotations

import os


def _values(prefix: str | os.PathLike[str]) -> dict[str, str] | None:
    """The ``key = value`` lines of the ``pyvenv.cfg`` at ``prefix`` (keys in lower case), or
    ``None`` when there is none (or it cannot be read)."""
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    values: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            values.setdefault(key.strip().lower(), value.strip())
    return values


def is_relocatable(prefix: str | os.PathLike[str]) -> bool:
    """Whether the virtual environment at ``prefix`` was made relocatable (``relocatable =
    true`` in its ``pyvenv.cfg``, written by ``pyffin venv --relocatable`` or uv's)."""
    values = _values(prefix)
    return values is not None and values.get("relocatable", "").lower() == "true"


def keeps_seed_packages(prefix: str | os.PathLike[str]) -> bool:
    """Whether a sync into the environment at ``prefix`` leaves its seed packages (pip and the
    like: :func:`pyffin.installer.plan.seed_packages`) alone when nothing asks for them, as uv
    does: always, but in an environment pyffin or uv made (a ``pyffin`` or ``uv`` key in its
    ``pyvenv.cfg``) without ``--seed`` (no ``seed = true``), where nobody put them on purpose.
    An environment made by ``python -m venv`` or virtualenv gets pip from its maker: a sync
    that removed it would leave the user without it."""
    values = _values(prefix)
    if values is None or ("pyffin" not in values and "uv" not in values):
        return True
    return values.get("seed", "").lower() == "true"
