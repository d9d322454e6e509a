"""Errors of resolution: an unknown project, and requirements that cannot all hold."""

from __future__ import annotations

from pyffin.errors import PyffinError


class PackageNotFoundError(PyffinError):
    """No index knows the project; raised by a :class:`~pyffin.resolver.source.PackageSource`.

    The solver turns it into a fact of the derivation ("c was not found in the package
    registry"), since the project may only be wanted by a branch it later abandons.
    """

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name} was not found in the package registry ({detail})")
        self.name = name
        #: Which indexes were asked, for the user.
        self.detail = detail


class NoSolutionError(PyffinError):
    """The requirements are unsatisfiable; the message explains why, uv-style."""

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
