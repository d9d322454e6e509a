from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyffin import log
from pyffin.requirements import RequirementsSpec, parse_requirements_file

Write = Callable[[str, str], Path]
Parse = Callable[[str], RequirementsSpec]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory that is also the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write(project: Path) -> Write:
    """``write(relative_path, text)``: a file under ``project`` (text dedented)."""

    def write(name: str, text: str) -> Path:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def parse(write: Write) -> Parse:
    """``parse(text)``: ``text`` written to ``requirements.txt`` and read back."""

    def parse(text: str) -> RequirementsSpec:
        write("requirements.txt", text)
        return parse_requirements_file("requirements.txt")

    return parse


@pytest.fixture
def make_project(project: Path) -> Callable[[str, str], Path]:
    """``make_project(directory, name)``: a minimal Python project (a pyproject.toml)."""

    def make(directory: str, name: str = "pkg") -> Path:
        path = project / directory
        path.mkdir(parents=True, exist_ok=True)
        (path / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1.0"\n')
        return path

    return make


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    """The messages :func:`pyffin.log.warn` emits during the test."""
    messages: list[str] = []
    log.configure(lambda level, message: messages.append(message), log.WARNING)
    try:
        yield messages
    finally:
        log.configure(None)
