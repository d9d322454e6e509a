"""Generated universes that make a resolver walk back through hundreds of versions.

Modelled on ``boto3`` / ``botocore`` / ``urllib3``, whose real index makes ``urllib3<1.25.4`` +
``boto3`` walk back through 1,400 versions of each:

* ``net`` (``urllib3``): ``1.20`` … ``1.29`` and ``2.0`` … ``2.4``;
* ``core`` (``botocore``): ``2 * sdks`` versions, ``1.0.0`` upwards; the newest 80 % require
  ``net>=1.25.4,<1.27``, the next 10 % ``net>=1.20,<1.26``, the oldest 10 % nothing (it vendored
  ``net``). Some of the newest declare their requirement with a common mistake uv repairs
  (``net (>=1.25.4<1.27)``), some an invalid one (such a version is unusable);
* ``sdk`` (``boto3``): ``sdks`` versions, each pinned to a window of two ``core`` versions and
  requiring ``jmes``.

:data:`SCENARIOS` are the requirement sets with the pins they must resolve to (uv 0.13.9 agrees
on each, served by the local index). A universe maps names to versions to requirements, the
memory DSL of ``tests/resolver/memory.py``; :func:`serve` puts one on an index server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.dists import WheelSpec

if TYPE_CHECKING:
    from tests.support.index import IndexServer

Universe = dict[str, dict[str, list[str]]]


def version(index: int) -> str:
    """The ``index``-th version of ``core`` or ``sdk``: ``1.0.0``, ``1.0.1`` … ``1.0.9``,
    ``1.1.0`` …"""
    return f"1.{index // 10}.{index % 10}"


def walkback(sdks: int = 200) -> Universe:
    """The universe (see the module docstring) with ``sdks`` versions of ``sdk``."""
    cores = 2 * sdks
    modern, vendored = cores * 2 // 10, cores // 10  # first index of each era (from the top)
    universe: Universe = {
        "net": {**{f"1.{minor}": [] for minor in range(20, 30)},
                **{f"2.{minor}": [] for minor in range(5)}},
        "jmes": {"0.9.0": [], "0.10.0": [], "1.0.0": []},
        "core": {},
        "sdk": {},
    }
    for i in range(cores):
        if i < vendored:
            requires = ["jmes<1"]
        elif i < modern:
            requires = ["net>=1.20,<1.26", "jmes<1"]
        elif i % 17 == 0:
            requires = ["net (>=1.25.4<1.27)", "jmes<1"]  # repaired: a missing comma
        elif i % 23 == 0:
            requires = ["net>=", "jmes<1"]  # invalid: this version is unusable
        else:
            requires = ["net>=1.25.4,<1.27", "jmes<1"]
        universe["core"][version(i)] = requires
    for j in range(sdks):
        universe["sdk"][version(j)] = [f"core>={version(2 * j)},<{version(2 * j + 2)}",
                                       "jmes>=0.9,<1"]
    return universe


def expected_sdk_walkback(sdks: int = 200) -> dict[str, str]:
    """The pins of ``net<1.25`` + ``sdk``: the newest ``sdk`` whose window holds a ``core`` of
    the middle era, that ``core``, and the newest ``net`` below 1.25."""
    cores = 2 * sdks
    modern = cores * 2 // 10
    core = modern - 1
    return {"core": version(core), "jmes": "0.10.0", "net": "1.24", "sdk": version(core // 2)}


def expected_core_walkback(sdks: int = 200) -> dict[str, str]:
    """The pins of ``core<{newest}`` + ``net>=2``: the newest ``core`` that vendored ``net``."""
    vendored = 2 * sdks // 10
    return {"core": version(vendored - 1), "jmes": "0.10.0", "net": "2.4"}


def serve(universe: Universe, server: IndexServer) -> None:
    """Serve every version as a ``py3-none-any`` wheel (with PEP 658 metadata)."""
    for name, versions in universe.items():
        for text, requires in versions.items():
            server.add_wheel(WheelSpec(name, text, requires_dist=list(requires)))
