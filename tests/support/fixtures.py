"""Pytest fixtures for the shared test infrastructure (load with
``pytest_plugins = ["tests.support.fixtures"]`` in the root conftest).

* ``index_server``: a started :class:`~tests.support.index.IndexServer`, stopped afterwards.
* ``dist_dir``: an empty per-test directory for built distributions.
* ``make_wheel(name, version="1.0", **WheelSpec fields) -> Path`` and
  ``make_sdist(name, version="1.0", **SdistSpec fields) -> Path`` build into ``dist_dir``.
* ``tls_certificate``: a self-signed certificate for ``127.0.0.1``/``localhost`` and its key
  (made once per test process), for ``IndexServer(tls=...)``.

::

    def test_installs_dependency(index_server, make_wheel):
        index_server.add_wheel(WheelSpec("a", "1.0", requires_dist=["b"]))
        index_server.add_file(make_wheel("b", "2.0"))
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.support.dists import SdistSpec, WheelSpec, build_sdist, build_wheel
from tests.support.index import IndexServer, self_signed_certificate


class MakeDist(Protocol):
    def __call__(self, name: str, version: str = "1.0", **fields: Any) -> Path: ...


@pytest.fixture
def index_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(dist_dir=tmp_path_factory.mktemp("index-files")) as server:
        yield server


# tmp_path_factory rather than tmp_path: a test's own tmp_path stays empty.
@pytest.fixture
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dists")


@pytest.fixture
def make_wheel(dist_dir: Path) -> MakeDist:
    def make(name: str, version: str = "1.0", **fields: Any) -> Path:
        return build_wheel(WheelSpec(name, version, **fields), dist_dir)

    return make


@pytest.fixture
def make_sdist(dist_dir: Path) -> MakeDist:
    def make(name: str, version: str = "1.0", **fields: Any) -> Path:
        return build_sdist(SdistSpec(name, version, **fields), dist_dir)

    return make


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))
