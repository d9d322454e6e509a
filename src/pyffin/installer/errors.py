"""Errors of installing, uninstalling and compiling."""

from __future__ import annotations

from pyffin.errors import PyffinError


class InstallError(PyffinError):
    """A distribution could not be installed; the message names it and the file at fault."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


class DamagedArchiveError(InstallError):
    """The unzipped wheel in the cache lacks a file its RECORD lists (deleted since it was
    unzipped): found before anything is linked, so the caller can unzip it again."""


class UninstallError(PyffinError):
    """A distribution could not be (safely) uninstalled; the message names it and says why."""


class BytecodeError(PyffinError):
    """Compiling bytecode failed for a reason other than an error in the compiled code."""
