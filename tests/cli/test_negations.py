"""uv's opposites of the on/off options (``--no-compile-bytecode`` for ``--compile-bytecode``,
``--header`` for ``--no-header``...): accepted by pip install, sync, compile and venv; the last
one given wins, and either wins over the option's ``PYFFIN_*`` variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyffin.cli.config import apply
from pyffin.cli.main import command_parser
from pyffin.settings import Configuration
from tests.support.cli import pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

#: ``(command, option, its opposite, dest)``, every pair uv 0.13.9 accepts that pyffin has.
PAIRS = [
    *[(words, option, opposite, dest) for words in (("pip", "install"), ("pip", "sync"))
      for option, opposite, dest in [
          ("--all-extras", "--no-all-extras", "all_extras"),
          ("--system", "--no-system", "system"),
          ("--break-system-packages", "--no-break-system-packages", "break_system_packages"),
          ("--reinstall", "--no-reinstall", "reinstall"),
          ("--force-reinstall", "--no-reinstall", "reinstall"),
          ("--compile-bytecode", "--no-compile-bytecode", "compile_bytecode"),
          ("--compile", "--no-compile", "compile_bytecode"),
          ("--strict", "--no-strict", "strict"),
          ("--require-hashes", "--no-require-hashes", "require_hashes"),
          ("--no-build", "--build", "no_build"),
          ("--no-build-isolation", "--build-isolation", "no_build_isolation"),
          ("--require-build-hashes", "--no-require-build-hashes", "require_build_hashes"),
          ("--offline", "--no-offline", "offline"),
          ("--refresh", "--no-refresh", "refresh"),
      ]],
    (("pip", "install"), "--upgrade", "--no-upgrade", "upgrade"),
    (("pip", "install"), "--no-deps", "--deps", "no_deps"),
    (("pip", "install"), "--exact", "--inexact", "exact"),
    (("pip", "install"), "--exact", "--no-exact", "exact"),
    (("pip", "sync"), "--allow-empty-requirements", "--no-allow-empty-requirements",
     "allow_empty_requirements"),
    *[(("pip", "compile"), option, opposite, dest) for option, opposite, dest in [
        ("--all-extras", "--no-all-extras", "all_extras"),
        ("--no-deps", "--deps", "no_deps"),
        ("--upgrade", "--no-upgrade", "upgrade"),
        ("--no-build", "--build", "no_build"),
        ("--universal", "--no-universal", "universal"),
        ("--generate-hashes", "--no-generate-hashes", "generate_hashes"),
        ("--no-annotate", "--annotate", "no_annotate"),
        ("--no-header", "--header", "no_header"),
        ("--emit-index-url", "--no-emit-index-url", "emit_index_url"),
        ("--emit-find-links", "--no-emit-find-links", "emit_find_links"),
        ("--emit-build-options", "--no-emit-build-options", "emit_build_options"),
        ("--emit-index-annotation", "--no-emit-index-annotation", "emit_index_annotation"),
        ("--no-build-isolation", "--build-isolation", "no_build_isolation"),
        ("--require-build-hashes", "--no-require-build-hashes", "require_build_hashes"),
        ("--offline", "--no-offline", "offline"),
        ("--refresh", "--no-refresh", "refresh"),
    ]],
    (("venv",), "--clear", "--no-clear", "clear"),
    (("venv",), "--relocatable", "--no-relocatable", "relocatable"),
    (("venv",), "--offline", "--no-offline", "offline"),
    (("venv",), "--refresh", "--no-refresh", "refresh"),
]


def parsed(words: tuple[str, ...], argv: list[str], environ: dict[str, str] | None = None
           ) -> object:
    _command, parser, bound = command_parser(words)
    positional = [] if words == ("venv",) else ["r.txt"]
    args = parser.parse_args([*positional, *argv])
    apply(args, bound, Configuration(environ=environ or {}, no_config=True))
    return args


@pytest.mark.parametrize(("words", "option", "opposite", "dest"), PAIRS,
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else v)
def test_the_last_of_an_option_and_its_opposite_wins(words: tuple[str, ...], option: str,
                                                     opposite: str, dest: str) -> None:
    assert getattr(parsed(words, [option]), dest) is True
    assert getattr(parsed(words, [opposite]), dest) is False
    assert getattr(parsed(words, [option, opposite]), dest) is False
    assert getattr(parsed(words, [opposite, option]), dest) is True


@pytest.mark.parametrize(("words", "opposite", "variable", "dest"), [
    (("pip", "install"), "--no-compile-bytecode", "PYFFIN_COMPILE_BYTECODE", "compile_bytecode"),
    (("pip", "sync"), "--no-break-system-packages", "PYFFIN_BREAK_SYSTEM_PACKAGES",
     "break_system_packages"),
    (("pip", "sync"), "--no-allow-empty-requirements", "PYFFIN_ALLOW_EMPTY_REQUIREMENTS",
     "allow_empty_requirements"),
    (("pip", "compile"), "--header", "PYFFIN_NO_HEADER", "no_header"),
    (("pip", "compile"), "--no-universal", "PYFFIN_UNIVERSAL", "universal"),
    (("pip", "install"), "--build", "PYFFIN_NO_BUILD", "no_build"),
])
def test_the_opposite_wins_over_the_variable(words: tuple[str, ...], opposite: str,
                                             variable: str, dest: str) -> None:
    assert getattr(parsed(words, [], {variable: "1"}), dest) is True
    args = parsed(words, [opposite], {variable: "1"})
    assert getattr(args, dest) is False
    assert dest not in args.setting_origins  # type: ignore[attr-defined]


def test_the_help_names_the_opposites() -> None:
    result = pyffin("pip", "install", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "Negations: uv's opposites of the on/off options above" in text
    assert "--no-compile-bytecode/--no-compile, --no-strict, --no-require-hashes" in text
    # The two uv shows in its own help are shown with theirs.
    assert "--no-break-system-packages Refuse an EXTERNALLY-MANAGED interpreter" in text


# ----------------------------------------------------------------------------- end to end
@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("lib", "1.0", files={"lib/__init__.py": "VALUE = 1\n"}))
    return index_server


def test_no_compile_bytecode_after_compile_bytecode_compiles_nothing(
        index: IndexServer, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_COMPILE_BYTECODE", "1")  # the flag wins over it too
    result = pyffin("pip", "install", "lib", "--python", venv / "bin" / "python",
                    "--index-url", index.index_url, "--cache-dir", tmp_path / "cache",
                    "--compile-bytecode", "--no-compile-bytecode")
    assert result.returncode == 0, result
    assert "Bytecode compiled" not in result.stderr
    assert not list(venv.glob("lib/python3.*/site-packages/lib/__pycache__"))


def test_no_allow_empty_requirements_leaves_the_environment(index: IndexServer, venv: Path,
                                                           tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    common = ("--python", python, "--index-url", index.index_url, "--cache-dir",
              tmp_path / "cache")
    assert pyffin("pip", "install", "lib", *common).returncode == 0
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = pyffin("pip", "sync", empty, *common, "--allow-empty-requirements",
                    "--no-allow-empty-requirements")
    assert result.returncode == 0, result
    assert "No requirements found" in result.stderr
    assert "lib==1.0" in pyffin("pip", "freeze", "--python", python).stdout


def test_compile_header_and_annotate_undo_their_no_forms(index: IndexServer,
                                                         tmp_path: Path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("lib\n")
    common = (source, "--index-url", index.index_url, "--cache-dir", tmp_path / "cache")
    bare = pyffin("pip", "compile", *common, "--no-header", "--no-annotate")
    assert bare.stdout == "lib==1.0\n", bare
    full = pyffin("pip", "compile", *common, "--no-header", "--no-annotate", "--header",
                  "--annotate")
    assert full.returncode == 0, full
    assert full.stdout.startswith("# This file was autogenerated by pyffin")
    assert re.search(r"^lib==1\.0\n    # via -r ", full.stdout, flags=re.M), full.stdout
