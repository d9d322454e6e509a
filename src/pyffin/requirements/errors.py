"""Errors of the requirement readers: each names the file and line and shows the offending text."""

from __future__ import annotations

from pyffin.errors import NotSupportedError, PyffinError
from pyffin.requirements.types import COMMAND_LINE, Location


class RequirementsError(PyffinError):
    """A requirements source is missing, unreadable or invalid."""


def _format(location: Location | None, message: str, text: str | None) -> str:
    if location is not None and location.path != COMMAND_LINE:
        message = f"{location}: {message}"
    return message if text is None else f"{message}\n    {text}"


def invalid(location: Location | None, message: str, text: str | None = None) -> RequirementsError:
    """``requirements.txt:3: <message>``, then the offending ``text`` on its own line."""
    return RequirementsError(_format(location, message, text))


def not_supported(location: Location | None, message: str) -> NotSupportedError:
    return NotSupportedError(_format(location, message, None))
