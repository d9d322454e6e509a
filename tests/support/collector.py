"""Watching the cyclic garbage collector from inside pyffin's work."""

from __future__ import annotations

import gc

import pytest


def collector_while_parsing_pages(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was enabled each time a project page was parsed from now on
    (``pyffin.client.simple.parse_page``, in whichever thread): a list that fills as pages
    are parsed."""
    import pyffin.client.simple as simple

    seen: list[bool] = []
    parse_page = simple.parse_page

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return parse_page(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(simple, "parse_page", watched)
    return seen
