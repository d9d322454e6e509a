"""The operations of the command line, usable without it.

The documented, stable surface is :mod:`pyffin`'s (``pyffin.compile``, ``pyffin.install``...,
defined in :mod:`pyffin.api.public`, described in ``docs/api.md``), which takes every option
as a keyword named after its flag and reads no configuration unless asked. The modules here
are what it and the command line run: :func:`compile` here is
:func:`pyffin.api.resolving.compile`, which takes a :class:`Session` and option objects.

Functions are imported on first use, so ``import pyffin`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyffin.api.resolving import CompileResult, compile
    from pyffin.api.session import Session
    from pyffin.api.target import Target

__all__ = ["CompileResult", "Session", "Target", "compile"]

_LAZY = {
    "compile": "pyffin.api.resolving",
    "CompileResult": "pyffin.api.resolving",
    "Session": "pyffin.api.session",
    "Target": "pyffin.api.target",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyffin.api' has no attribute {name!r}")
    # As pyffin.resolver does: importing importlib costs a command more than this lookup.
    return getattr(__import__(module, fromlist=[name]), name)
