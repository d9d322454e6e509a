"""The one TOML reader: a table, or an error of the caller's kind naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin import toml
from pyffin.errors import PyffinError


class Bad(PyffinError):
    pass


def test_a_file_is_read_into_its_table(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[project]\nname = "a"\n')
    assert toml.read(tmp_path / "a.toml", Bad) == {"project": {"name": "a"}}
    assert toml.loads('x = 1') == {"x": 1}


def test_a_missing_file_is_left_to_the_caller(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        toml.read(tmp_path / "missing.toml", Bad)


@pytest.mark.parametrize(("content", "problem"), [
    (b"x = \n", "invalid TOML"),
    (b'x = "\xff"\n', "invalid TOML"),
])
def test_an_invalid_file_is_the_callers_error_naming_it(tmp_path: Path, content: bytes,
                                                        problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(Bad, match=f"^{path}: {problem}"):
        toml.read(path, Bad)


def test_an_unreadable_path_is_the_callers_error(tmp_path: Path) -> None:
    with pytest.raises(Bad, match=f"cannot read {tmp_path}"):
        toml.read(tmp_path, Bad)


def test_a_decode_error_is_one_type_on_every_python() -> None:
    with pytest.raises(toml.TOMLDecodeError):
        toml.loads("x = ")
