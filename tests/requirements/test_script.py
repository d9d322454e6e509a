"""Inline script metadata (PEP 723): the block the PEP's reference regex finds, the errors for
what it would silently skip, and scripts as requirement sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin.requirements import RequirementsError, read_requirements
from pyffin.requirements.script import read_script_metadata

from .conftest import Write

SCRIPT = """\
#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "requests<3",
#   "rich",
# ]
# ///

import requests
"""


def test_the_pep_example() -> None:
    metadata = read_script_metadata("s.py", SCRIPT)
    assert metadata is not None
    assert metadata.dependencies == ("requests<3", "rich")
    assert metadata.requires_python == ">=3.11"
    assert metadata.line == 2


def test_a_tool_table_pyffin_does_not_read_is_said(warnings: list[str]) -> None:
    # uv applies its [tool.uv] settings (constraints, overrides, index): pyffin says it does not.
    metadata = read_script_metadata("s.py", SCRIPT.replace(
        "# ///\n\n", "# [tool.uv]\n# override-dependencies = ['idna<3']\n# ///\n\n", 1))
    assert metadata is not None and metadata.dependencies == ("requests<3", "rich")
    assert warnings == ["s.py:2: the script's [tool.uv] table is not read (not supported yet): "
                        "its settings do not apply"]


def test_no_block() -> None:
    assert read_script_metadata("s.py", "import os\n# a comment\n") is None
    # Blocks of other types are not script metadata.
    assert read_script_metadata("s.py", "# /// pyproject\n# x = 1\n# ///\n") is None


def test_the_last_closing_line_of_the_comment_run_ends_the_block() -> None:
    text = ('# /// script\n# dependencies = ["a"]\n# [tool.x]\n# text = """\n# ///\n# """\n'
            "# ///\n\nprint()\n# ///\n")
    metadata = read_script_metadata("s.py", text)
    assert metadata is not None and metadata.dependencies == ("a",)


def test_windows_line_endings() -> None:
    metadata = read_script_metadata("s.py", SCRIPT.replace("\n", "\r\n"))
    assert metadata is not None and metadata.dependencies == ("requests<3", "rich")


def test_a_closing_line_without_trailing_newline() -> None:
    metadata = read_script_metadata("s.py", '# /// script\n# dependencies = ["a"]\n# ///')
    assert metadata is not None and metadata.dependencies == ("a",)


@pytest.mark.parametrize(("text", "message"), [
    ('import os\n# /// script\n# dependencies = ["a"]\nprint()\n# ///\n',
     "s.py:2: unclosed '# /// script' block: no '# ///' line closes it"),
    ('# /// script\n# dependencies = ["a"]\n', "s.py:1: unclosed '# /// script' block"),
    ('# /// script\n# dependencies = ["a"]\n# /// end\n',
     "s.py:1: unclosed '# /// script' block: its closing line has text after '# ///'"),
    ('# /// script\n# dependencies = ["a"]\n# ///\nx = 1\n# /// script\n# b = 1\n# ///\n',
     "s.py:5: a second '# /// script' block \\(the first starts at line 1\\)"),
    ('x = 1\n# /// script\n# requires-python = ">=3.8"\n# dependencies = ["a",\n# ///\n',
     "s.py:5: invalid TOML in the '# /// script' block: .*at the end of the block"),
    ('# /// script\n# dependencies = ["a"]\n# requires-python = 3\n# ///\n',
     "s.py:1: 'requires-python' of the '# /// script' block must be a string"),
    ('# /// script\n# dependencies = ["a"]\n# version = = 3\n# ///\n',
     "s.py:3: invalid TOML in the '# /// script' block: .*\\(column 13\\)"),
    ('# /// script\n# dependencies = "a"\n# ///\n',
     "'dependencies' of the '# /// script' block must be a list of strings"),
    ('# /// script\n# requires-python = "3.8+"\n# ///\n', "invalid requires-python '3.8\\+'"),
])
def test_malformed_blocks_name_the_line(text: str, message: str) -> None:
    with pytest.raises(RequirementsError, match=message):
        read_script_metadata("s.py", text)


# --------------------------------------------------------------------- scripts as sources
def test_a_py_file_is_read_as_a_script(write: Write, project: Path) -> None:
    write("tool.py", SCRIPT)
    spec = read_requirements(["tool.py"])
    assert [str(e.requirement) for e in spec.requirements] == ["requests<3", "rich"]
    assert [e.origin for e in spec.requirements] == ["tool.py", "tool.py"]
    assert spec.requires_python == (("tool.py", ">=3.11"),)
    assert spec.sources == ("tool.py",)


def test_a_file_without_extension_is_a_script_only_if_it_has_a_block(write: Write) -> None:
    write("tool", SCRIPT)
    assert len(read_requirements(["tool"]).requirements) == 2
    write("requirements", "flask\n# /// not a script block\n")
    assert [str(e.requirement) for e in read_requirements(["requirements"]).requirements] == [
        "flask"]


def test_a_script_without_a_block_is_an_error(write: Write) -> None:
    write("tool.py", "import os\n")
    with pytest.raises(RequirementsError, match=r"tool\.py does not contain inline script "
                                                r"metadata"):
        read_requirements(["tool.py"])


def test_relative_paths_start_at_the_script_directory(write: Write, project: Path) -> None:
    write("bin/tool.py", '# /// script\n# dependencies = ["lib @ ./lib"]\n# ///\n')
    write("bin/lib/setup.py", "")
    entry = read_requirements(["bin/tool.py"]).requirements[0]
    assert entry.url == (project / "bin" / "lib").as_uri()


def test_a_script_dependency_must_name_a_project(write: Write) -> None:
    write("tool.py", '# /// script\n# dependencies = ["./lib"]\n# ///\n')
    write("lib/setup.py", "")
    with pytest.raises(RequirementsError, match=r"tool\.py:1: a script's dependency must name "
                                                r"a project"):
        read_requirements(["tool.py"])


def test_a_script_is_not_a_constraints_file(write: Write) -> None:
    write("tool.py", SCRIPT)
    with pytest.raises(RequirementsError, match="cannot be used as constraints"):
        read_requirements([], requirements=["rich"], constraints=["tool.py"])
