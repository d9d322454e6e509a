"""Errors of resolution: an unknown project, and requirements that cannot all hold."""

from __future__ import annotations

from pyffin.errors import PyffinError


class PackageNotFoundError(PyffinError):
    """No index knows the project; raised by a :class:`~pyffin.resolver.source.PackageSource`.

    The solver turns it into a fact of the derivation ("c was not found in the package
    registry"), since the project may only be wanted by a branch it later abandons.
    """

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name} was not found in the package registry ({detail})")
        self.name = name
        #: Which indexes were asked, for the user.
        self.detail = detail


class NoSolutionError(PyffinError):
    """The requirements are unsatisfiable; the message explains why, uv-style."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1

    def __init__(self, explanation: str, hints: tuple[str, ...] = (), *,
                 split: str | None = None) -> None:
        message = explanation + "".join(f"\n\nhint: {hint}" for hint in hints)
        super().__init__(message)
        #: The derivation in plain sentences, one conclusion per line.
        self.explanation = explanation
        #: Suggestions after the explanation (pre-releases available, where a project was sought).
        self.hints = hints
        #: The fork of a universal resolution that has no solution, as uv names it
        #: (``split (markers: sys_platform == 'win32')``); ``None``: every environment.
        self.split = split


class ResolutionLimitError(PyffinError):
    """The solver gave up before proving or disproving the requirements satisfiable."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


class TooManyBuildFailuresError(PyffinError):
    """The source distributions of several versions failed to build: the first failure is the
    message, the hint names every version that failed (the solver skips a version that does
    not build, but not without end; see :data:`pyffin.resolver.provider.BUILD_FAILURES_SKIPPED`).
    """

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1

    def __init__(self, failures: list[tuple[str, PyffinError]]) -> None:
        versions = [f"`{version}`" for version, _ in failures]
        listed = ", ".join(versions[:-1]) + f" and {versions[-1]}"
        super().__init__(
            str(failures[0][1]),
            hint=f"the source distributions of {listed} failed to build; pyffin tries another "
                 f"version when one does not build, and stops after {len(failures)} failed "
                 "builds")
        #: ``name==version`` and error of each failed build, in the order they failed.
        self.failures = failures
