"""Errors of the build frontend; each names the source, file or archive entry at fault."""

from __future__ import annotations

from pyffin.errors import PyffinError


class InvalidSourceTree(PyffinError):
    """A source tree cannot be built as it is: no project files, a missing subdirectory."""


class InvalidBuildSystem(InvalidSourceTree):
    """``pyproject.toml`` is unreadable or its ``[build-system]`` / ``[project]`` is invalid."""


class ArchiveError(PyffinError):
    """A source archive cannot be read or does not have the layout of an sdist."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


class UnsafeArchiveError(ArchiveError):
    """A source archive has an entry that would land outside the directory it is unpacked in
    (absolute path, ``..``, a link pointing outside) or is not a regular file, directory or
    link (a device, a FIFO)."""


class BuildError(PyffinError):
    """A build backend hook failed; the message carries the hook, the command and its output."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1

    def __init__(self, message: str, *, output: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        #: Everything the backend printed (stdout and stderr, interleaved).
        self.output = output


class BuildBackendError(BuildError):
    """The build backend cannot be imported, or lacks a mandatory hook."""


class BuildCycleError(BuildError):
    """Building a source needs, through its build requirements, that same source built."""
