"""pyffin: a fast Python package resolver and installer.

The command line lives in :mod:`pyffin.cli`; its operations are also a Python API,
documented in ``docs/api.md``: :func:`compile`, :func:`install`, :func:`sync`,
:func:`uninstall`, :func:`download`, :func:`wheel`, :func:`create_venv` and :func:`inspect`
(from :mod:`pyffin.api.public`),
with their results, :class:`Session` and :class:`Event`. Importing :mod:`pyffin` stays cheap:
not even :mod:`typing` is imported; the API is imported on first use.
"""

from __future__ import annotations

from pyffin._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pyffin.api.download import DownloadResult
    from pyffin.api.install import InstallResult
    from pyffin.api.public import (
        Inspection,
        InstalledPackage,
        VenvResult,
        compile,
        create_venv,
        download,
        inspect,
        install,
        sync,
        uninstall,
        wheel,
    )
    from pyffin.api.resolving import CompileResult
    from pyffin.api.session import Session
    from pyffin.reporting import Event

__all__ = [
    "CompileResult",
    "DownloadResult",
    "Event",
    "Inspection",
    "InstallResult",
    "InstalledPackage",
    "Session",
    "VenvResult",
    "__version__",
    "compile",
    "create_venv",
    "download",
    "inspect",
    "install",
    "sync",
    "uninstall",
    "wheel",
]

#: Where each name of the API is defined (imported when first asked for).
_LAZY = {
    "compile": "pyffin.api.public",
    "install": "pyffin.api.public",
    "sync": "pyffin.api.public",
    "uninstall": "pyffin.api.public",
    "create_venv": "pyffin.api.public",
    "inspect": "pyffin.api.public",
    "download": "pyffin.api.public",
    "wheel": "pyffin.api.public",
    "DownloadResult": "pyffin.api.download",
    "Inspection": "pyffin.api.public",
    "InstalledPackage": "pyffin.api.public",
    "VenvResult": "pyffin.api.public",
    "CompileResult": "pyffin.api.resolving",
    "InstallResult": "pyffin.api.install",
    "Session": "pyffin.api.session",
    "Event": "pyffin.reporting",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyffin' has no attribute {name!r}")
    # As pyffin.resolver does: importing importlib costs a command more than this lookup.
    return getattr(__import__(module, fromlist=[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
