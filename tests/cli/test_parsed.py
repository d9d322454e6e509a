"""A ``pip compile`` command line parsed before is read back from its record
(:mod:`pyffin.cli.parsed`) exactly as argparse parses it, and never once the parser's code
changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffin.cli import parsed
from pyffin.cli.parser import command_parser

WORDS = ("pip", "compile")


def parse(argv: list[str]) -> tuple[object, dict[str, object], dict[str, object]]:
    command, parser, bound = command_parser(WORDS)
    return command, vars(parser.parse_args(argv)), dict(bound)


@pytest.fixture
def argv(tmp_path: Path) -> list[str]:
    return ["r.in", "-o", "r.txt", "--index-url", "http://example.invalid/simple/",
            "--extra-index-url", "http://example.invalid/b/", "--only-binary", "a,b", "-q",
            "--no-config", "--python", "3.12", "--cache-dir", str(tmp_path / "cache")]


def test_a_remembered_parse_reads_back_as_argparse_parses_it(argv: list[str]) -> None:
    assert parsed.load(WORDS, argv) is None
    command, values, bound = parse(argv)
    _, parser, fresh_bound = command_parser(WORDS)
    parsed.remember(WORDS, argv, parser.parse_args(argv), fresh_bound)

    found = parsed.load(WORDS, argv)
    assert found is not None
    loaded_command, args, loaded_bound = found
    assert loaded_command is command
    assert list(vars(args).items()) == list(values.items())  # the same values, in order
    assert "only_binary" in args and args.only_binary == ["a", "b"]
    assert loaded_bound == bound


def test_another_command_line_or_environment_is_parsed_again(
        argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, parser, bound = command_parser(WORDS)
    parsed.remember(WORDS, argv, parser.parse_args(argv), bound)
    assert parsed.load(WORDS, [*argv, "--pre"]) is None
    monkeypatch.setenv("PYFFIN_TEST_VARIABLE", "1")
    assert parsed.load(WORDS, argv) is None


def test_a_changed_module_of_the_parser_makes_it_parse_again(
        argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A stand-in module: the record stamps every pyffin module loaded when it is written.
    source = tmp_path / "stand_in.py"
    source.write_text("x = 1\n")
    monkeypatch.setitem(__import__("sys").modules, "pyffin._stand_in",
                        type(os)("pyffin._stand_in"))
    __import__("sys").modules["pyffin._stand_in"].__file__ = str(source)
    _, parser, bound = command_parser(WORDS)
    parsed.remember(WORDS, argv, parser.parse_args(argv), bound)
    assert parsed.load(WORDS, argv) is not None
    source.write_text("x = 22\n")
    assert parsed.load(WORDS, argv) is None


def test_values_that_are_not_plain_data_and_no_cache_are_not_kept(
        argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, parser, bound = command_parser(WORDS)
    args = parser.parse_args(argv)
    args.output_file = Path("r.txt")  # as a type= function could give
    parsed.remember(WORDS, argv, args, bound)
    assert parsed.load(WORDS, argv) is None
    no_cache = [*argv, "--no-cache"]
    parsed.remember(WORDS, no_cache, parser.parse_args(no_cache), bound)
    assert parsed.load(WORDS, no_cache) is None
