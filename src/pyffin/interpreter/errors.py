"""Errors of interpreter discovery and querying."""

from __future__ import annotations

from pyffin.errors import PyffinError


class InterpreterError(PyffinError):
    """An interpreter could not be queried, or cannot be used for what was asked."""


class InterpreterNotFound(InterpreterError):
    """No interpreter matches the request; the message says where pyffin looked."""
