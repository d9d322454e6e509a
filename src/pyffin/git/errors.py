"""Errors of git sources; every message names the (redacted) repository or URL at fault."""

from __future__ import annotations

from pyffin.errors import PyffinError


class GitError(PyffinError):
    """git is missing, a repository cannot be fetched, or a revision or subdirectory is not in
    it."""
