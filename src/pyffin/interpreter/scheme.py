"""Where an installation puts each kind of file (the ``sysconfig`` install scheme)."""

from __future__ import annotations

from pathlib import Path

from pyffin.records import record


@record
class Scheme:
    """The directories of one environment that a wheel's files are installed into.

    ``purelib``/``platlib`` hold packages (the same directory in a venv), ``scripts`` the entry
    point scripts and ``.data/scripts``, ``data`` the ``.data/data`` tree (the environment's
    prefix), ``headers`` the ``.data/headers`` files (``include/site/pythonX.Y/<name>`` in a venv;
    the project name is appended by the installer).
    """

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers: Path
