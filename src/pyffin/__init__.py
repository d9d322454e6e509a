"""pyffin: a fast Python package resolver and installer.

The command line lives in :mod:`pyffin.cli`; the operations are also a Python API
(:mod:`pyffin.api`, re-exported here: ``pyffin.compile(...)``). Importing :mod:`pyffin` stays
cheap: not even :mod:`typing` is imported; the API is imported on first use.
"""

from __future__ import annotations

from pyffin._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pyffin.api import CompileResult, Session, compile

__all__ = ["CompileResult", "Session", "__version__", "compile"]


def __getattr__(name: str) -> object:
    if name in ("compile", "Session", "CompileResult"):
        import pyffin.api

        return getattr(pyffin.api, name)
    raise AttributeError(f"module 'pyffin' has no attribute {name!r}")
