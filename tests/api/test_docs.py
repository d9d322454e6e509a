"""``docs/api.md`` is the Python API's contract: its examples run, the names it documents are
``pyffin.__all__`` (nothing private), and every function takes its options the same way —
keywords named after the flags of its command."""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
FUNCTIONS = ("compile", "install", "sync", "uninstall", "download", "wheel", "create_venv",
             "inspect")


def examples() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)


@pytest.fixture
def pypi_lookalike(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    """The packages the examples name, served as the default index."""
    index_server.add_wheel(WheelSpec("requests", "2.32.3", requires_dist=[
        "charset-normalizer<4,>=2", "idna<4,>=2.5", "urllib3<3,>=1.21.1",
        "certifi>=2017.4.17"]))
    for name, version in [("certifi", "2024.8.30"), ("charset-normalizer", "3.4.0"),
                          ("idna", "3.10"), ("urllib3", "2.2.3")]:
        index_server.add_wheel(WheelSpec(name, version))
    import pyffin.client.registry

    monkeypatch.setattr(pyffin.client.registry, "PYPI_SIMPLE", index_server.index_url)
    return index_server


def test_the_examples_run_in_order(pypi_lookalike: IndexServer, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    # "The first Python on PATH" for create_venv: this one.
    monkeypatch.setenv("PATH", f"{os.path.dirname(sys.executable)}{os.pathsep}"
                               f"{os.environ.get('PATH', '')}")
    blocks = examples()
    assert len(blocks) >= len(FUNCTIONS)
    namespace: dict[str, Any] = {"__name__": "docs_api"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{DOC.name} example {number}", "exec")
        exec(code, namespace)
    out = capsys.readouterr().out
    venv = tmp_path / ".venv"
    # What the comments beside the examples say they print.
    assert f"VenvResult({venv}, Python " in out
    assert f"InstallResult({venv}, installed=[certifi==2024.8.30, charset-normalizer==3.4.0, " \
           "idna==3.10, requests==2.32.3, urllib3==2.2.3], removed=[], audited=0, " \
           "resolved=5)" in out
    assert "('certifi', '2024.8.30')\n[]\n" in out
    assert "CompileResult(" in out and "\n2.32.3\n" in out
    assert "\nrequests==2.32.3 \\\n    --hash=sha256:" in out  # generate_hashes=True
    assert "[('certifi', '2024.8.30'), ('charset-normalizer', '3.4.0'), " in out
    assert ", 5 packages, 0 problems)" in out
    assert "('certifi', 'charset-normalizer', 'idna', 'urllib3')\n('requests',)\n" in out
    assert "[('requests', '2.32.3')]\n" in out
    assert "certifi-2024.8.30-py3-none-any.whl (saved), " in out
    assert len(list((tmp_path / "wheelhouse").iterdir())) == 5
    assert "Installed requests==2.32.3\n" in out
    assert "cannot install: " in out
    assert pyffin.inspect(python=str(venv / "bin" / "python")).freeze() == "idna==3.10\n"


# ---------------------------------------------------------------------------------- names
def documented_names() -> set[str]:
    text = DOC.read_text()
    headings = re.findall(r"^#+ .*$", text, flags=re.M)
    names = {name for heading in headings for name in re.findall(r"`pyffin\.(\w+)`", heading)}
    return names | set(re.findall(r"`pyffin\.(__version__)`", text))


def test_the_documented_names_are_the_api() -> None:
    assert documented_names() == set(pyffin.__all__)
    for name in pyffin.__all__:
        assert getattr(pyffin, name) is not None


def test_nothing_private_leaks() -> None:
    namespace: dict[str, Any] = {}
    exec("from pyffin import *", namespace)
    exported = {name for name in namespace if name != "__builtins__"}
    assert exported == set(pyffin.__all__)
    assert [name for name in exported if name.startswith("_")] == ["__version__"]
    for name in exported - {"__version__"}:
        value = getattr(pyffin, name)
        assert value.__module__.startswith("pyffin."), name
        assert not any(part.startswith("_") for part in value.__module__.split("."))
    with pytest.raises(AttributeError, match="no attribute '_LAZY_ANYTHING'"):
        pyffin._LAZY_ANYTHING  # noqa: B018


# ------------------------------------------------------------------------------- options
def functions() -> dict[str, Callable[..., Any]]:
    return {name: getattr(pyffin, name) for name in FUNCTIONS}


def test_every_option_is_keyword_only_after_the_commands_own_argument() -> None:
    for name, function in functions().items():
        parameters = list(inspect.signature(function).parameters.values())
        first, rest = parameters[0], parameters[1:]
        if name == "inspect":
            rest = parameters  # pip list takes nothing positionally
        else:
            assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in rest), name
        assert {"session", "on_event", "config", "cache_dir", "no_cache"} <= \
            {p.name for p in parameters}, name


def test_an_option_shared_by_functions_means_the_same_in_each() -> None:
    seen: dict[str, tuple[str, object, object]] = {}
    shared = {**functions(), "Session.from_flags": pyffin.Session.from_flags}
    for name, function in shared.items():
        for parameter in inspect.signature(function).parameters.values():
            shape = (parameter.default, parameter.annotation)
            if parameter.name in seen:
                assert seen[parameter.name][1:] == shape, (name, seen[parameter.name][0],
                                                           parameter.name)
            else:
                seen[parameter.name] = (name, *shape)
    assert seen["requirements"][2] == "Sequence[PathLike]"  # files, everywhere
    assert seen["packages"][2] == "Sequence[str]"  # requirement strings, everywhere


def command_flags(*commands: tuple[str, ...]) -> set[str]:
    """The ``dest`` of every option of these commands (global ones included)."""
    from pyffin.cli.parser import command_parser

    return {action.dest for words in commands for action in command_parser(words)[1]._actions}


def test_every_keyword_is_a_flag_of_the_command() -> None:
    commands = {
        "compile": [("pip", "compile")], "install": [("pip", "install")],
        "sync": [("pip", "sync")], "uninstall": [("pip", "uninstall")],
        "download": [("pip", "download")], "wheel": [("pip", "wheel")],
        "create_venv": [("venv",)],
        "inspect": [("pip", "freeze"), ("pip", "list"), ("pip", "show")],
    }
    # Not flags: what the call shares (session), hears (on_event) and reads (config is
    # --config-file and --no-config at once); the command's positional argument.
    beside = {"session", "on_event", "config"}
    # pip compile reads files only; the API also takes requirement strings, as install does.
    api_only = {("compile", "packages")}
    for name, function in functions().items():
        dests = command_flags(*commands[name])
        parameters = list(inspect.signature(function).parameters)
        if name != "inspect":
            parameters = parameters[1:]  # what the command takes without a flag
        for parameter in parameters:
            if parameter in beside or (name, parameter) in api_only:
                continue
            # A repeatable flag's keyword is its plural (constraints, indexes, paths).
            candidates = {parameter, parameter.removesuffix("s"),
                          parameter.removesuffix("es")}
            assert candidates & dests, f"{name}({parameter}=...) is no flag of the command"


def test_import_pyffin_stays_cheap() -> None:
    """The API is imported when first used: ``import pyffin`` loads two modules of pyffin and
    not even typing; a function loads its operations only once called."""
    import subprocess

    code = ("import sys, pyffin\n"
            "first = sorted(m for m in sys.modules if m.startswith('pyffin'))\n"
            "heavy = [m for m in ('typing', 'logging', 'pyffin.resolver') if m in sys.modules]\n"
            "pyffin.install, pyffin.Event\n"
            "print(first, heavy, 'pyffin.resolver' in sys.modules, 'logging' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out == "['pyffin', 'pyffin._version'] [] False False\n"


def test_the_signatures_shown_are_the_functions() -> None:
    """Each ``name(keyword=default, ...)`` line of the page names real keywords, with their
    real defaults, in their real kind (before or after ``*``)."""
    import ast

    text = DOC.read_text().replace("\n", " ")
    shown = re.findall(r"`(\w+(?:\.\w+)?)\(([^`]*?)\)(?: -> \w+)?`", text)
    checked = set()
    for name, params in shown:
        owner: Any = pyffin.Session if name.startswith("Session.") else pyffin
        function = getattr(owner, name.split(".")[-1], None)
        if function is None or not callable(function) or not params.strip():
            continue
        signature = inspect.signature(function).parameters
        keyword_only = False
        for item in (p.strip() for p in params.split(", ")):
            if item in ("...", ""):
                continue
            if item == "*":
                keyword_only = True
                continue
            key, _, default = item.partition("=")
            assert key in signature, f"{name}: no {key}"
            assert ast.literal_eval(default) == signature[key].default, f"{name}: {key}"
            assert (signature[key].kind is inspect.Parameter.KEYWORD_ONLY) == keyword_only, \
                f"{name}: {key}"
        checked.add(name)
    assert checked >= {*FUNCTIONS, "Session.from_flags"}
