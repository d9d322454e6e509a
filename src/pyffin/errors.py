"""The one exception hierarchy of pyffin.

Every error meant for a user derives from :class:`PyffinError`. The CLI prints its message as one
line (and the chain of causes with ``-v``) and exits with :attr:`PyffinError.exit_code`; anything
else that escapes is a bug and is reported as such.
"""

from __future__ import annotations


class PyffinError(Exception):
    """Base class of every error pyffin reports to a user."""

    #: Process exit status when this error ends a command: 2, as uv's for an error; 1 for a
    #: resolution or a distribution that failed (no solution, a build, a hash), as uv's.
    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: An optional suggestion printed after the message ("hint: ...").
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(PyffinError):
    """The command line or a configuration value is invalid."""

    exit_code = 2


class NotSupportedError(PyffinError):
    """The request is valid but pyffin does not support it (yet)."""


class CacheError(PyffinError):
    """The cache could not be read, written or locked."""


class LockError(CacheError):
    """An inter-process lock could not be taken."""


class OSFailure(PyffinError):
    """The operating system refused something pyffin did not expect to fail (a file that
    could not be read or written, a permission). The :class:`OSError` is its ``__cause__``.

    The command line reports such errors itself; the Python API raises this instead, so that
    a caller catches :class:`PyffinError` alone."""

    exit_code = 2


class InternalError(PyffinError):
    """A bug in pyffin: an unexpected exception, its ``__cause__``, escaped an operation of
    the Python API (which raises only :class:`PyffinError`)."""

    exit_code = 2


class InconsistentEnvironmentError(PyffinError):
    """After a change asked to be strict, installed packages' dependencies are missing or of
    the wrong version: :attr:`problems` lists them (``pip check``'s), :attr:`result` says what
    the change did (it was made)."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1

    def __init__(self, message: str, *, problems: tuple[object, ...], result: object,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems
        self.result = result
