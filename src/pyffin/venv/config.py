"""What an environment's ``pyvenv.cfg`` says, read without the rest of :mod:`pyffin.venv`
(an install asks on every run)."""

from __future__ import annotations

import os


def is_relocatable(prefix: str | os.PathLike[str]) -> bool:
    """Whether the virtual environment at ``prefix`` was made relocatable (``relocatable =
    true`` in its ``pyvenv.cfg``, written by ``pyffin venv --relocatable`` or uv's)."""
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "relocatable":
            return value.strip().lower() == "true"
    return False
