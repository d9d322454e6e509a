from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyffin.cache import Cache
from pyffin.interpreter import query

#: The interpreter running the tests, with symlinks resolved (not a venv's own python).
BASE_PYTHON = Path(os.path.realpath(sys.executable))


def pyenv_python(version: str) -> Path | None:
    """The newest ``python<version>`` (``3.8``) pyenv installed on this machine, if any."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = root.glob(f"versions/{version}.*/bin/python{version}")
    return max(found, key=lambda p: [int(n) for n in p.parts[-3].split(".") if n.isdigit()],
               default=None)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


@pytest.fixture(scope="session")
def real_facts() -> dict[str, Any]:
    """What the probe reports for the interpreter running the tests (queried once, in a
    process of its own)."""
    return query.probe_process(Path(sys.executable))


class FakeProbe:
    """Stands in for :func:`pyffin.interpreter.query.run_probe`: answers with the running
    interpreter's facts, adjusted for the executable's location (a venv when a
    ``pyvenv.cfg`` is next to its ``bin``), the versions set in ``versions`` and the
    ``sys.executable`` set in ``reported`` (what a wrapper script runs)."""

    def __init__(self, facts: dict[str, Any]) -> None:
        self.facts = facts
        self.calls: list[Path] = []
        self.versions: dict[Path, tuple[int, int, int]] = {}
        self.reported: dict[Path, Path] = {}
        self.externally_managed: str | None = None
        self.externally_managed_marker: str | None = None

    def __call__(self, executable: Path) -> dict[str, Any]:
        self.calls.append(executable)
        facts = dict(self.facts, executable=str(self.reported.get(executable, executable)))
        root = executable.parent.parent
        if (root / "pyvenv.cfg").is_file():
            facts.update(prefix=str(root), is_venv=True, externally_managed=None)
        else:
            facts.update(prefix=str(root), base_prefix=str(root), is_venv=False,
                         externally_managed=self.externally_managed,
                         externally_managed_marker=self.externally_managed_marker)
        version = self.versions.get(executable)
        if version is not None:
            text = ".".join(map(str, version))
            markers = dict(facts["markers"], python_full_version=text,
                           python_version=f"{version[0]}.{version[1]}")
            facts.update(version=list(version), markers=markers)
        return facts


@pytest.fixture
def fake_probe(monkeypatch: pytest.MonkeyPatch, real_facts: dict[str, Any]) -> FakeProbe:
    probe = FakeProbe(real_facts)
    monkeypatch.setattr(query, "run_probe", probe)
    return probe


@pytest.fixture
def make_python() -> Callable[..., Path]:
    """``make_python(directory, name="python3")``: an executable link to the running
    interpreter."""

    def make(directory: Path, name: str = "python3") -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.symlink_to(BASE_PYTHON)
        return path

    return make


@pytest.fixture
def make_venv(make_python: Callable[..., Path]) -> Callable[[Path], Path]:
    """``make_venv(root)``: a minimal virtual environment of the running interpreter; returns
    its ``bin/python``."""

    def make(root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        (root / "pyvenv.cfg").write_text(f"home = {BASE_PYTHON.parent}\n")
        return make_python(root / "bin", "python")

    return make
