"""What an environment's ``pyvenv.cfg`` says, read without the rest of :mod:`pyffin.venv`
(an install asks on every run)."""

from __future__ import annotations

import os
from pathlib import Path

from pyffin.interpreter.query import read_pyvenv_cfg


def is_relocatable(prefix: str | os.PathLike[str]) -> bool:
    """Whether the virtual environment at ``prefix`` was made relocatable (``relocatable =
    true`` in its ``pyvenv.cfg``, written by ``pyffin venv --relocatable`` or uv's)."""
    values = read_pyvenv_cfg(Path(prefix, "pyvenv.cfg"))
    return values is not None and values.get("relocatable", "").lower() == "true"


def keeps_seed_packages(prefix: str | os.PathLike[str]) -> bool:
    """Whether a sync into the environment at ``prefix`` leaves its seed packages (pip and the
    like: :func:`pyffin.installer.plan.seed_packages`) alone when nothing asks for them, as uv
    does: always, but in an environment pyffin or uv made (a ``pyffin`` or ``uv`` key in its
    ``pyvenv.cfg``) without ``--seed`` (no ``seed = true``), where nobody put them on purpose.
    An environment made by ``python -m venv`` or virtualenv gets pip from its maker: a sync
    that removed it would leave the user without it."""
    values = read_pyvenv_cfg(Path(prefix, "pyvenv.cfg"))
    if values is None or ("pyffin" not in values and "uv" not in values):
        return True
    return values.get("seed", "").lower() == "true"
