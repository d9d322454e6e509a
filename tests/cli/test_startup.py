"""Warm commands import only what they use (DESIGN §7). Not a timing test: it names the heavy
modules a warm compile or a no-op sync must not load, so a change that drags one back in fails
here instead of silently slowing every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import child_env, pyffin
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer

#: Heavy modules a warm command has no use for.
HEAVY = ("urllib3", "ssl", "truststore", "packaging.requirements", "packaging.markers",
         "packaging.metadata", "email.parser", "dataclasses", "inspect", "concurrent.futures",
         "logging", "subprocess", "zipfile", "tarfile", "pyffin.build", "pyffin.git",
         "pyffin.client.http", "pyffin.interpreter.tags", "shutil", "_hashlib", "isal",
         "zlib_ng",
         # The typed page decoder: for pages fetched, never for cached ones.
         "msgspec", "pyffin.client.typed_page",
         # The I/O pool's queue: a warm command has a pool it never uses.
         "queue",
         # Its enums: the handlers are set with the C module alone.
         "signal",
         # A command's module is imported with __import__.
         "importlib")

PROBE = """
import json, sys
from pyffin.cli.main import main
code = main(sys.argv[1:], code_bundle=True)  # as the command runs it
heavy = sorted(m for m in json.loads(sys.stdin.readline()) if m in sys.modules)
print(json.dumps([code, heavy]), file=sys.stderr)
"""


#: All that ``pyffin --version`` and the help of ``pyffin`` and its groups may import: the
#: command table, and the help written from it (``__future__`` is the annotations import).
CLI_TABLE = {"__future__", "pyffin", "pyffin._version", "pyffin.cli", "pyffin.cli.main",
             "pyffin.cli.registry", "pyffin.cli.help"}

#: ...and what a command's start adds: the code bundle its modules are imported through.
COMMAND_START = CLI_TABLE | {"pyffin.cli.code_bundle"}

TABLE_PROBE = """
import json, sys
before = set(sys.modules)
from pyffin.cli.main import main
code = main(sys.argv[1:], code_bundle=True)  # as the command runs it
print(json.dumps([code, sorted(set(sys.modules) - before)]), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["-h"], [], ["pip", "--help"],
                                  ["cache"]])
def test_version_and_help_import_only_the_command_table(args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", TABLE_PROBE, *args], capture_output=True,
                          text=True, env=child_env())
    code, imported = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == (0 if args and args[-1] in ("--version", "--help", "-h") else 2)
    assert set(imported) <= CLI_TABLE, sorted(set(imported) - CLI_TABLE)


#: ...and a no-op install or sync has no use for the resolver either.
NOOP_HEAVY = (*HEAVY, "pyffin.resolver", "nab_resolver", "pyffin.api.resolving", "_hashlib",
              "platformdirs")


def loaded(args: list[str | Path], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], input=json.dumps(heavy),
                          capture_output=True, text=True, env=child_env())
    code, heavy = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0, proc.stderr
    return list(heavy)


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=[
        "lib>=1", 'colorama; sys_platform == "win32"', 'extra-dep; extra == "x"'],
        requires_python=">=3.8"))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    return index_server


def test_a_warm_compile_imports_nothing_heavy(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "r.in").write_text("app\n")
    args: list[str | Path] = ["pip", "compile", tmp_path / "r.in", "-q", "--index-url",
                              index.index_url, "--cache-dir", tmp_path / "cache"]
    assert pyffin(*args).returncode == 0  # cold: fills the cache
    assert loaded(args, (*HEAVY, *NOT_THREADING)) == []


#: What a warm compile or install has no use for either: the lock file modules (it only checks
#: file names against PEP 751's) and the pyenv shim reader (its interpreter is a binary).
UNUSED = ("pyffin.models.pylock", "pyffin.requirements.pylock", "pyffin.api.locked",
          "pyffin.interpreter.pyenv")


def test_a_warm_compile_that_solves_again_imports_nothing_heavy(index: IndexServer,
                                                                 tmp_path: Path) -> None:
    import shutil

    (tmp_path / "r.in").write_text("app\n")
    args: list[str | Path] = ["pip", "compile", tmp_path / "r.in", "-q", "--index-url",
                              index.index_url, "--cache-dir", tmp_path / "cache",
                              "-o", tmp_path / "r.txt", "--python", sys.executable]
    assert pyffin(*args).returncode == 0  # cold: fills the cache
    # The resolution cache misses (as when a requirement is added): the solver runs again on
    # the cached pages and metadata.
    shutil.rmtree(tmp_path / "cache" / "resolutions-v1")
    assert loaded(args, (*HEAVY, *UNUSED, *NOT_SOLVING_SOURCES, *NOT_SHOWING,
                         *NOT_THREADING, *NOT_SEARCHING)) == []
    # The same command line again: its parse is read back (pyffin.cli.parsed), no argparse.
    shutil.rmtree(tmp_path / "cache" / "resolutions-v1")
    assert loaded(args, (*HEAVY, *UNUSED, *NOT_SOLVING_SOURCES, *NOT_SHOWING,
                         *NOT_PARSING, *NOT_THREADING)) == []
    assert "app==1.0" in (tmp_path / "r.txt").read_text()


def test_a_warm_compile_that_solves_again_with_a_built_source_distribution_starts_no_thread(
        index: IndexServer, tmp_path: Path) -> None:
    """Its metadata, built before, is read from the source distributions' cache: no build,
    no thread machinery."""
    import shutil

    index.add_sdist(SdistSpec("from-source", "1.0"))
    (tmp_path / "r.in").write_text("app\nfrom-source\n")
    args: list[str | Path] = ["pip", "compile", tmp_path / "r.in", "-q", "--index-url",
                              index.index_url, "--cache-dir", tmp_path / "cache",
                              "--python", sys.executable]
    assert pyffin(*args).returncode == 0  # cold: builds its metadata
    shutil.rmtree(tmp_path / "cache" / "resolutions-v1")
    assert loaded(args, (*NOT_THREADING, "pyffin.build", "subprocess")) == []


#: Compiles every pattern ``re`` compiles (the compiler module: ``re._compiler`` since 3.11),
#: then runs pyffin; prints the patterns compiled (their ``repr``).
PATTERNS_PROBE = """
import json, re, sys
compiler = getattr(re, "_compiler", None) or __import__("sre_compile")
compiled = []
original = compiler.compile
def compile(pattern, flags=0):
    compiled.append(repr(pattern))
    return original(pattern, flags)
compiler.compile = compile
from pyffin.cli.main import main
code = main(sys.argv[1:], code_bundle=True)  # as the command runs it
print(json.dumps([code, compiled]), file=sys.stderr)
"""


#: Counts the calls of compile() on source that is not a module's file (typing compiles a
#: forward reference given as text so), then runs pyffin; prints them.
SOURCE_PROBE = """
import builtins, json, sys
compiled = []
original = builtins.compile
def compile(source, filename, *args, **kwargs):
    if not str(filename).endswith(".py"):  # a module's own source: its bytecode was not kept
        compiled.append([repr(source)[:60], str(filename)])
    return original(source, filename, *args, **kwargs)
builtins.compile = compile
from pyffin.cli.main import main
code = main(sys.argv[1:], code_bundle=True)  # as the command runs it
print(json.dumps([code, compiled]), file=sys.stderr)
"""


@pytest.mark.parametrize("requirement", ["app", "app>=1.0"])
def test_a_warm_compile_compiles_no_source(index: IndexServer, tmp_path: Path,
                                           requirement: str) -> None:
    import shutil

    # A version clause is checked as the file is read: packaging.version must still come
    # through pyffin.models.versions, which imports it without compiling its annotations.
    (tmp_path / "r.in").write_text(f"{requirement}\n")
    # --no-config: no pyproject.toml of the working directory read (tomllib would compile
    # its own NamedTuple's annotations).
    args = ["pip", "compile", str(tmp_path / "r.in"), "-q", "--index-url", index.index_url,
            "--cache-dir", str(tmp_path / "cache"), "--no-config"]
    assert pyffin(*args).returncode == 0  # cold: fills the cache
    shutil.rmtree(tmp_path / "cache" / "resolutions-v1")  # the solver runs again
    proc = subprocess.run([sys.executable, "-c", SOURCE_PROBE, *args], capture_output=True,
                          text=True, env=child_env())
    code, compiled = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0
    # The process's first compile() sets up the compiler: ~9M instructions, 4% of a small
    # set's warm compile (packaging.version's annotations, a generic given a name as text).
    assert compiled == []


def test_a_warm_compile_reads_names_and_comments_without_compiling_their_patterns(
        index: IndexServer, tmp_path: Path) -> None:
    import shutil

    from pyffin.models import files
    from pyffin.requirements import requirement, txt

    (tmp_path / "base.in").write_text("# -*- the base set -*-\napp\n")
    (tmp_path / "r.in").write_text("-r base.in\n  # one more\nlib\n")
    args = ["pip", "compile", str(tmp_path / "r.in"), "-q", "--index-url", index.index_url,
            "--cache-dir", str(tmp_path / "cache"), "-o", str(tmp_path / "r.txt")]
    assert pyffin(*args).returncode == 0  # cold: fills the cache
    shutil.rmtree(tmp_path / "cache" / "resolutions-v1")  # the solver runs again
    (tmp_path / "r.txt").unlink()  # (an output file there would be read for its pins)
    proc = subprocess.run([sys.executable, "-c", PATTERNS_PROBE, *args], capture_output=True,
                          text=True, env=child_env())
    code, compiled = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0
    # Names, whole-line comments and a relative include are read with string methods: each
    # of these patterns costs more to compile than reading the file.
    unused = {repr(pattern) for pattern in (txt._COMMENT, txt._CODING, txt._REMOTE_FILE,
                                            requirement._SIMPLE)}
    # ...and what only a page parsed from the index needs.
    unused |= {repr(files._PLAIN_TAIL), repr(files._HASH_NAME)}
    assert not unused & set(compiled), sorted(unused & set(compiled))
    assert "lib==1.0" in (tmp_path / "r.txt").read_text()


#: What a quiet (``-q``) command has no use for: the status line and the events it is drawn
#: from (uv's progress bars); and what reads URLs apart (pathlib imports it for ``as_uri``
#: alone, and it imports ipaddress), for an index URL is read without it.
NOT_SHOWING = ("pyffin.cli.progress", "pyffin.reporting", "urllib.parse", "ipaddress")


#: What a command line parsed before has no use for: argparse and what it imports.
NOT_PARSING = ("argparse", "gettext", "locale", "pyffin.cli.parser")


#: What a resolution from wheels alone has no use for: the source-distribution machinery (set
#: up when an sdist is met), the universal resolver, and :mod:`pickle` itself (the resolution
#: is kept with the C pickler alone).
NOT_SOLVING_SOURCES = ("pyffin.distribution.sdist", "pyffin.resolver.universal", "pickle")


#: What a command that starts no thread (nothing to fetch) has no use for: its futures and
#: locks are :mod:`_thread`'s.
NOT_THREADING = ("threading",)


#: What a resolution made of first choices has no use for: the solver's search
#: (:mod:`pyffin.resolver.first_choices`).
NOT_SEARCHING = ("pyffin.resolver.pubgrub", "nab_resolver.resolver",
                 "nab_resolver.partial_solution", "nab_resolver.conflict")


def test_a_noop_sync_imports_nothing_heavy(index: IndexServer, tmp_path: Path) -> None:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    (tmp_path / "r.txt").write_text("app==1.0\nlib==1.0\n")
    args: list[str | Path] = ["pip", "sync", tmp_path / "r.txt", "-q", "--python",
                              env / "bin" / "python", "--index-url", index.index_url,
                              "--cache-dir", tmp_path / "cache"]
    assert pyffin(*args).returncode == 0
    assert loaded(args, NOOP_HEAVY) == []
    assert loaded(["pip", "install", "app", *args[3:]], NOOP_HEAVY) == []


def test_a_repeated_noop_imports_only_the_command_table_and_its_record_reader(
        index: IndexServer, tmp_path: Path) -> None:
    import time

    from pyffin.stamps import SETTLED_NS

    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    (tmp_path / "r.txt").write_text("app==1.0\nlib==1.0\n")
    args = ["pip", "sync", str(tmp_path / "r.txt"), "-q", "--python", str(env / "bin" / "python"),
            "--index-url", index.index_url, "--cache-dir", str(tmp_path / "cache")]
    assert pyffin(*args).returncode == 0
    time.sleep(SETTLED_NS / 1e9 + 0.02)  # the environment settles: the next run records
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", TABLE_PROBE, *args], capture_output=True,
                              text=True, env=child_env())
    code, imported = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0
    pyffin_modules = {m for m in imported if m.startswith("pyffin")}
    assert pyffin_modules <= COMMAND_START | {"pyffin.cli.noop", "pyffin.cli.replay",
                                              "pyffin.stamps"}, \
        sorted(pyffin_modules)
    assert "argparse" not in imported and "typing" not in imported


def test_a_warm_install_into_a_new_environment_imports_nothing_heavy(
        index: IndexServer, tmp_path: Path) -> None:
    def install(env: Path) -> list[str | Path]:
        assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                      tmp_path / "cache").returncode == 0
        return ["pip", "install", "app", "-q", "--python", env / "bin" / "python",
                "--index-url", index.index_url, "--cache-dir", tmp_path / "cache"]

    assert pyffin(*install(tmp_path / "first")).returncode == 0  # cold: fills the cache
    # The kept resolution is installed: no solver, and the wheels are linked from the cache;
    # nothing is built, removed or created, and the new environment is plainly unsatisfied.
    assert loaded(install(tmp_path / "second"), (*HEAVY, *SOLVER, *UNUSED, *NOT_BUILDING)) == []


#: What an install of index wheels (no source distribution, nothing to remove, no venv to
#: create) has no use for.
NOT_BUILDING = ("pyffin.distribution.sdist", "pyffin.api.building", "pyffin.venv.creation",
                "pyffin.installer.uninstall", "packaging.tags", "shlex")


def test_a_warm_install_of_a_built_source_distribution_imports_no_tag_machinery(
        index: IndexServer, tmp_path: Path) -> None:
    index.add_sdist(SdistSpec("from-source", "1.0"))

    def install(env: Path) -> list[str | Path]:
        assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                      tmp_path / "cache").returncode == 0
        return ["pip", "install", "from-source", "-q", "--python", env / "bin" / "python",
                "--index-url", index.index_url, "--cache-dir", tmp_path / "cache"]

    assert pyffin(*install(tmp_path / "first")).returncode == 0  # cold: builds the wheel
    # The wheel built before is found by its filename's tags, read without packaging.tags
    # (and sysconfig and platform with it), and in this thread: no I/O pool is started.
    assert loaded(install(tmp_path / "second"),
                  ("packaging.tags", "packaging.utils", "sysconfig", "queue", *SOLVER)) == []


#: The resolver's modules that a kept resolution has no use for.
SOLVER = ("nab_resolver", "pyffin.resolver.solver", "pyffin.resolver.provider",
          "pyffin.resolver.index_source", "pyffin.resolver.summaries",
          "pyffin.resolver.dependencies", "pyffin.client.simple", "pyffin.api.resolving")


def test_an_install_replayed_into_a_fresh_environment_imports_only_the_linker(
        index: IndexServer, tmp_path: Path) -> None:
    import shutil
    import time

    from pyffin.stamps import SETTLED_NS

    env = tmp_path / "env"
    (tmp_path / "r.txt").write_text("app==1.0\nlib==1.0\n")
    time.sleep(SETTLED_NS / 1e9 + 0.02)  # the requirements settle: a run may record
    args = ["pip", "install", "-r", str(tmp_path / "r.txt"), "-q", "--python",
            str(env / "bin" / "python"), "--index-url", index.index_url, "--cache-dir",
            str(tmp_path / "cache")]
    for _ in range(3):  # fills the cache, installs the kept resolution (recorded), replays
        shutil.rmtree(env, ignore_errors=True)
        assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                      tmp_path / "cache").returncode == 0
        proc = subprocess.run([sys.executable, "-c", TABLE_PROBE, *args], capture_output=True,
                              text=True, env=child_env())
    code, imported = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0
    assert list(env.glob("lib/python3.*/site-packages/lib-1.0.dist-info"))
    pyffin_modules = {m for m in imported if m.startswith("pyffin")}
    assert pyffin_modules <= COMMAND_START | {
        "pyffin.cli.noop", "pyffin.cli.replay", "pyffin.stamps", "pyffin.cli.install_replay",
        "pyffin.errors", "pyffin.log", "pyffin.records", "pyffin._record_inits", "pyffin.models",
        "pyffin.models.names", "pyffin.models.wheel", "pyffin.installer",
        "pyffin.installer.debris", "pyffin.installer.errors", "pyffin.installer.scripts",
        "pyffin.installer.link"}, sorted(pyffin_modules)
    # typing (with contextlib) is for type checkers only on this path: ~2 ms at run time.
    assert not {"argparse", "pathlib", "typing", *HEAVY} & set(imported)


def test_pathlib_imported_without_urllib_parse_still_makes_file_urls() -> None:
    probe = """
import sys
from pyffin.cli.main import _import_pathlib
_import_pathlib()
assert "urllib.parse" not in sys.modules and "ipaddress" not in sys.modules
import pathlib
assert pathlib.Path("/a b/%").as_uri() == "file:///a%20b/%25"
import urllib.parse
assert urllib.parse.urlsplit("https://h/x").netloc == "h" and "ipaddress" in sys.modules
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=child_env())
    assert proc.stdout.strip() == "ok", proc.stderr
