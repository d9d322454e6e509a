"""Counting the calls a test cares about (a page parsed, a resolution made)."""

from __future__ import annotations

from typing import Any

import pytest


class Calls:
    """Counts the calls of ``owner.name``, which is replaced for the test by a wrapper that
    counts and calls the original."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.count = 0
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


def versions_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of the ``packaging`` ``Version`` objects made from now on in the test."""
    from packaging.version import Version

    made: list[str] = []
    original = Version.__init__

    def counted(self: Version, version: str) -> None:
        made.append(version)
        original(self, version)

    monkeypatch.setattr(Version, "__init__", counted)
    return made


def files_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The filenames of the page files whose tuple is made from their listed values
    (:func:`pyffin.models.files.listed_row`) from now on in the test."""
    from pyffin.models import files as files_module

    made: list[str] = []
    original = files_module.listed_row

    def counted(listed: tuple[Any, ...], *args: Any) -> tuple[Any, ...]:
        made.append(listed[0])
        return original(listed, *args)

    monkeypatch.setattr(files_module, "listed_row", counted)
    return made
