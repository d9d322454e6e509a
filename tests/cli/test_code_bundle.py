"""The code bundle (pyffin.cli.code_bundle): imports answered from one file give the modules a
normal import gives, and never a module a normal import would not find."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pyffin.cli import code_bundle

# A process that imports ``demo`` (a package), ``demo.sub`` and ``solo`` (a module) with the
# bundle anchored at ``demo/__init__.py``, prints what it got, then saves the bundle.
DRIVER = """
import json, sys
sys.path[1:1] = [{early!r}, {lib!r}]
from pyffin.cli import code_bundle
code_bundle.activate({anchor!r})
import demo.sub, solo
try:
    import here
except ImportError:
    here = None
names = ("demo", "demo.sub", "solo")
print(json.dumps({{
    "loaders": [type(sys.modules[n].__loader__).__name__ for n in names],
    "values": [demo.VALUE, demo.sub.VALUE, solo.VALUE],
    "files": [sys.modules[n].__file__ for n in names],
    "cached": [sys.modules[n].__cached__ for n in names],
    "path": demo.__path__,
    "origins": [sys.modules[n].__spec__.origin for n in names],
    "here": here and [here.__file__, type(here.__loader__).__name__],
}}))
code_bundle.save()
"""


class Tree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lib = root / "lib"
        self.early = root / "early"
        self.bin = root / "bin"
        for directory in (self.lib / "demo", self.early, self.bin):
            directory.mkdir(parents=True)
        self.write("lib/demo/__init__.py", "VALUE = 'demo'\n")
        self.write("lib/demo/sub.py", "VALUE = 'sub'\n")
        self.write("lib/solo.py", "VALUE = 'solo'\n")
        self.anchor = self.lib / "demo" / "__init__.py"
        self.driver = self.bin / "driver.py"
        self.driver.write_text(DRIVER.format(early=str(self.early), lib=str(self.lib),
                                             anchor=str(self.anchor)))

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        path.write_text(text)
        if existed:  # a later time than the bundle recorded, whatever the clock's grain
            later = path.stat().st_mtime + 10
            os.utime(path, (later, later))

    def copy_driver(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        driver = directory / "driver.py"
        driver.write_text(self.driver.read_text())
        return driver

    def run(self, *flags: str, env: dict[str, str] | None = None,
            driver: Path | None = None) -> dict[str, list[str]]:
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        environ.update(env or {})
        done = subprocess.run([sys.executable, *flags, str(driver or self.driver)], env=environ,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        result: dict[str, list[str]] = json.loads(done.stdout)
        return result

    def bundles(self) -> list[Path]:
        return sorted((self.lib / "demo" / "__pycache__").glob("__init__.*.bundle-*.pyc"))


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path)


NORMAL = ["SourceFileLoader"] * 3
BUNDLED = ["BundledLoader"] * 3


def test_a_second_run_imports_from_the_bundle_the_same_modules(tree: Tree) -> None:
    first = tree.run()
    assert first["loaders"] == NORMAL
    assert len(tree.bundles()) == 1
    written = tree.bundles()[0].stat().st_mtime_ns

    second = tree.run()

    assert second["loaders"] == BUNDLED
    for field in ("values", "files", "cached", "path", "origins"):
        assert second[field] == first[field], field
    assert tree.bundles()[0].stat().st_mtime_ns == written  # nothing lacking: not rewritten


# What an import sets on a module and its package, and how it fails: the bundle's own steps
# (code_bundle._load_bundled, one thread) against the import system's (a thread alive).
IMPORT_DRIVER = """
import json, sys, threading
sys.path[1:1] = [{lib!r}]
from pyffin.cli import code_bundle
code_bundle.activate({anchor!r})
usual = []
original = code_bundle._find_and_load
if original is not None:
    code_bundle._find_and_load = lambda name, i: usual.append(name) or original(name, i)
stop = threading.Event()
if {threaded!r}:
    threading.Thread(target=stop.wait, daemon=True).start()
failures = []
for attempt in range(2):
    try:
        import demo.broken
    except ZeroDivisionError as e:
        failures.append([type(e).__name__, "demo.broken" in sys.modules])
import demo.sub, demo.a
stop.set()
def facts(name):
    module = sys.modules[name]
    spec = module.__spec__
    return [module.__name__, module.__package__, type(module.__loader__).__name__,
            module.__loader__ is spec.loader, spec.name, spec.parent, spec.origin,
            spec.cached, spec.has_location, getattr(spec, "_initializing", False),
            getattr(module, "__path__", None), module.__file__, module.__cached__]
print(json.dumps({{
    "facts": [facts(n) for n in ("demo", "demo.sub", "demo.a", "demo.b")],
    "attributes": [demo.sub is sys.modules["demo.sub"], demo.a.b is sys.modules["demo.b"],
                   demo.b.a is demo.a, demo.a.VALUE, demo.b.SEEN],
    "failures": failures,
    "usual": sorted(set(usual) & {{"demo", "demo.sub", "demo.a", "demo.b", "demo.broken"}}),
    "order": [n for n in sys.modules if n.startswith("demo") and n != "demo.broken"],
}}))
code_bundle.save()
"""


@pytest.mark.parametrize("threaded", [False, True], ids=["one-thread", "threads"])
def test_bundled_imports_set_up_modules_as_the_import_system_does(
        tree: Tree, threaded: bool) -> None:
    # demo.a and demo.b import each other (b sees a initializing); demo.broken fails twice.
    tree.write("lib/demo/a.py", "from demo import b\nVALUE = 'a'\n")
    tree.write("lib/demo/b.py", "import sys\nfrom demo import a\n"
                                "SEEN = hasattr(a, 'VALUE')\n")
    marker = tree.root / "break"  # demo.broken fails once bundled
    tree.write("lib/demo/broken.py",
               f"import os\nVALUE = 1 / (not os.path.exists({str(marker)!r}))\n")
    driver = tree.bin / "imports.py"
    driver.write_text(IMPORT_DRIVER.format(lib=str(tree.lib), anchor=str(tree.anchor),
                                           threaded=threaded))
    first = tree.run(driver=driver)
    marker.touch()
    second = tree.run(driver=driver)

    assert first["facts"][0][2] == "SourceFileLoader"
    assert [f[2] for f in second["facts"]] == ["BundledLoader"] * 4
    assert [f[:2] + f[3:] for f in second["facts"]] == [f[:2] + f[3:] for f in first["facts"]]
    assert second["attributes"] == first["attributes"] == [True, True, True, "a", False]
    # A module that fails is not left half made, and fails again the next time.
    assert first["failures"] == []
    assert second["failures"] == [["ZeroDivisionError", False]] * 2
    assert second["order"] == first["order"]
    # Another thread alive: every module goes the import system's way.
    assert second["usual"] == (
        ["demo", "demo.a", "demo.b", "demo.broken", "demo.sub"] if threaded else [])


def test_a_changed_source_is_imported_as_usual_then_bundled_again(tree: Tree) -> None:
    tree.run()
    tree.write("lib/solo.py", "VALUE = 'edited'\n")

    changed = tree.run()
    again = tree.run()

    assert changed["values"][2] == again["values"][2] == "edited"
    assert changed["loaders"] == ["BundledLoader", "BundledLoader", "SourceFileLoader"]
    assert again["loaders"] == BUNDLED


WRITERS = """\
import importlib, os, sys, time
sys.path[1:1] = [{early!r}, {lib!r}]
from pyffin.cli import code_bundle
code_bundle.activate({anchor!r})
for name in sys.argv[2:]:
    importlib.import_module(name)
while sys.argv[1] != "-" and not os.path.exists(sys.argv[1]):  # until told to save
    time.sleep(0.01)
code_bundle.save()
"""


def test_a_write_keeps_what_another_process_wrote_since_it_read(tree: Tree) -> None:
    """Two processes of one command (a cold compile and its first page worker) each write
    the bundle with what they imported: the later write keeps what the earlier one wrote
    since it read the file, instead of dropping it."""
    writers = tree.bin / "writers.py"
    writers.write_text(WRITERS.format(early=str(tree.early), lib=str(tree.lib),
                                      anchor=str(tree.anchor)))
    go = tree.root / "go"
    environ = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    first = subprocess.Popen([sys.executable, str(writers), str(go), "demo"], env=environ)
    subprocess.run([sys.executable, str(writers), "-", "solo", "demo.sub"], env=environ,
                   check=True)
    go.touch()
    assert first.wait(timeout=60) == 0
    [bundle] = tree.bundles()
    from pyffin.cli import code_bundle

    data = bundle.read_bytes()
    start = len(code_bundle.FORMAT) + 4
    size = int.from_bytes(data[len(code_bundle.FORMAT):start], "little")
    kept = marshal.loads(data[start:start + size])[3]
    assert {"demo", "demo.sub", "solo"} <= set(kept)
    assert tree.run()["loaders"] == BUNDLED


def test_a_module_put_earlier_on_the_path_shadows_the_bundled_one(tree: Tree) -> None:
    tree.run()
    tree.write("early/solo.py", "VALUE = 'early'\n")

    shadowed = tree.run()

    assert shadowed["values"][2] == "early"
    assert shadowed["files"][2] == str(tree.early / "solo.py")
    assert tree.run()["values"][2] == "early"


def test_a_package_beside_a_bundled_module_takes_its_place(tree: Tree) -> None:
    tree.run()
    tree.write("lib/demo/sub/__init__.py", "VALUE = 'package'\n")

    assert tree.run()["values"][1] == "package"


def test_a_module_beside_the_script_is_never_served_to_another_script(tree: Tree) -> None:
    """The first ``sys.path`` entry is the script's directory (or, for ``-m``, the working
    directory): what was found there holds for no other."""
    tree.write("bin/here.py", "VALUE = 'here'\n")
    other = tree.copy_driver(tree.root / "elsewhere")

    tree.run()
    beside = tree.run()
    away = tree.run(driver=other)

    assert away["here"] is None
    assert away["loaders"] == BUNDLED
    assert beside["here"] == [str(tree.bin / "here.py"), "SourceFileLoader"]


def test_a_changing_first_entry_neither_loses_nor_rewrites_the_bundle(tree: Tree) -> None:
    tree.run()
    written = tree.bundles()[0].stat().st_mtime_ns
    for n in range(3):
        tree.write(f"bin/output-{n}.txt", "what a command wrote in its working directory\n")
        assert tree.run()["loaders"] == BUNDLED
    assert tree.bundles()[0].stat().st_mtime_ns == written


def test_an_unrelated_new_file_keeps_the_bundle(tree: Tree) -> None:
    tree.run()
    tree.write("early/notes.txt", "not a module\n")
    tree.write("lib/other.py", "VALUE = 'other'\n")

    assert tree.run()["loaders"] == BUNDLED


@pytest.mark.parametrize("damage", [b"", b"garbage", b"pyffin code bundle 1\n\xff\xff"])
def test_a_damaged_bundle_is_no_bundle_and_is_written_again(tree: Tree, damage: bytes) -> None:
    tree.run()
    bundle = tree.bundles()[0]
    bundle.write_bytes(damage if damage else bundle.read_bytes()[:100])

    damaged = tree.run()

    assert damaged["values"] == ["demo", "sub", "solo"]
    assert damaged["loaders"] == NORMAL
    assert tree.run()["loaders"] == BUNDLED


def test_no_bundle_is_written_when_python_writes_no_bytecode(tree: Tree) -> None:
    tree.run("-B")
    assert tree.bundles() == []

    tree.run()
    assert tree.run("-B")["loaders"] == BUNDLED  # but one is read


def test_an_unwritable_place_is_no_bundle_and_no_error(tree: Tree) -> None:
    blocked = tree.root / "blocked"
    blocked.write_text("a file where the bytecode directories would go\n")

    result = tree.run(env={"PYTHONPYCACHEPREFIX": str(blocked)})

    assert result["values"] == ["demo", "sub", "solo"]
    assert tree.run(env={"PYTHONPYCACHEPREFIX": str(blocked)})["loaders"] == NORMAL


def test_the_bundle_follows_the_bytecode_prefix(tree: Tree) -> None:
    prefix = tree.root / "prefix"

    tree.run(env={"PYTHONPYCACHEPREFIX": str(prefix)})

    assert tree.bundles() == []
    assert len(list(prefix.rglob("__init__.*.bundle-*.pyc"))) == 1
    assert tree.run(env={"PYTHONPYCACHEPREFIX": str(prefix)})["loaders"] == BUNDLED


def test_the_bundle_is_named_for_uninstallers_to_remove_it() -> None:
    """pyffin removes the ``<module>.<tag>[.opt-N].pyc`` of each module it removes, and uv
    the ``__pycache__`` of a package it removes: the bundle is such a file of ``__init__``
    (pip removes what RECORD lists: see below)."""
    path = code_bundle.bundle_path(os.path.join("x", "pkg", "__init__.py"), "0123abcd")

    assert path is not None
    directory, name = os.path.split(path)
    assert os.path.basename(directory) == "__pycache__"
    module, _, rest = name.partition(".")
    assert module == "__init__" and name.endswith(".pyc") and rest.count(".") == 2


def test_the_pyffin_command_imports_its_modules_from_the_bundle(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pyc")
    command = [sys.executable, "-v", "-m", "pyffin", "cache", "dir", "--cache-dir",
               str(tmp_path / "cache")]

    def loaded_normally() -> list[str]:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        assert done.stdout.strip() == str(tmp_path / "cache")
        return [line for line in done.stderr.splitlines()
                if line.startswith("# code object from") and "pyffin" in line]

    first = loaded_normally()
    second = loaded_normally()

    assert any("cli/commands" in line for line in first)
    assert not any("cli/commands" in line for line in second)
    assert len(list((tmp_path / "pyc").rglob("__init__.*.bundle-*.pyc"))) == 1


def test_making_another_environment_leaves_the_bundle_as_it_is(tmp_path: Path) -> None:
    """Every build makes an environment of its own: a pattern compiled from each one's name
    would be kept as a new one, and the bundle written again (megabytes) build after build."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pyc")

    def venv(name: str) -> os.stat_result:
        subprocess.run([sys.executable, "-m", "pyffin", "venv", str(tmp_path / name),
                        "--python", sys.executable, "--cache-dir", str(tmp_path / "cache"),
                        "-q"], env=env, capture_output=True, text=True, check=True)
        [bundle] = (tmp_path / "pyc").rglob("__init__.*.bundle-*.pyc")
        return bundle.stat()

    venv("first")
    before = venv("second")
    after = venv("third")

    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_bundled_code_runs_like_the_source(tree: Tree) -> None:
    tree.write("lib/demo/sub.py", textwrap.dedent("""\
        import dataclasses
        @dataclasses.dataclass
        class Point:
            x: int
        VALUE = repr(Point(3)) + __name__
    """))
    first = tree.run()
    second = tree.run()

    assert second["loaders"] == BUNDLED
    assert second["values"][1] == first["values"][1] == "Point(x=3)demo.sub"


def test_the_anchor_packages_functions_are_kept_without_their_docstrings(tree: Tree) -> None:
    tree.write("lib/demo/sub.py", textwrap.dedent('''\
        """Module text."""
        def documented():
            """Function text."""
            return 1
        def loads_its_docstring():
            """same"""
            return "same"
        class Kept:
            """Class text."""
            def method(self):
                """Method text."""
        VALUE = repr([__doc__, documented.__doc__, documented(), loads_its_docstring.__doc__,
                      loads_its_docstring(), Kept.__doc__, Kept.method.__doc__])
    '''))
    tree.write("lib/solo.py", textwrap.dedent('''\
        def documented():
            """Outside the package."""
        VALUE = repr(documented.__doc__)
    '''))
    first = tree.run()
    second = tree.run()

    assert second["loaders"] == BUNDLED
    assert first["values"][1:] == [
        repr(["Module text.", "Function text.", 1, "same", "same", "Class text.", "Method text."]),
        repr("Outside the package."),
    ]
    assert second["values"][1:] == [
        repr(["Module text.", None, 1, "same", "same", "Class text.", None]),
        repr("Outside the package."),
    ]


PATTERN_DRIVER = """
import sys
{re_first}
from pyffin.cli import code_bundle
code_bundle.activate({anchor!r})
import re
parser = getattr(re, "_parser", None) or __import__("sre_parse")
parsed = []
original = parser.parse
def parse(p, *args, **kwargs):
    parsed.append(p)
    return original(p, *args, **kwargs)
parser.parse = parse
pattern = re.compile(r"(?P<word>[a-z]+)-(\\d+)", re.IGNORECASE)
found = pattern.match("Abc-12")
import json  # (it imports re)
print(json.dumps({{
    "parsed": [p for p in parsed if isinstance(p, str) and "word" in p],
    "groups": [found.group("word"), found.group(2)],
    "groupindex": dict(pattern.groupindex),
    "flags": pattern.flags,
}}))
code_bundle.save()
"""


@pytest.mark.parametrize("re_first", [True, False], ids=["re-imported-before", "re-imported-after"])
def test_a_compiled_pattern_is_kept_and_gives_the_same_matches(tree: Tree, re_first: bool) -> None:
    driver = tree.bin / "patterns.py"
    driver.write_text(PATTERN_DRIVER.format(anchor=str(tree.anchor),
                                            re_first="import re" if re_first else ""))
    if not re_first:
        # re's compiler module is hooked as it is imported from the bundle: a run to keep it
        tree.run(driver=driver)

    first = tree.run(driver=driver)
    second = tree.run(driver=driver)

    assert first["parsed"]  # compiled by re's parser...
    assert second["parsed"] == []  # ...then kept
    for field in ("groups", "groupindex", "flags"):
        assert second[field] == first[field], field
    assert second["groups"] == ["Abc", "12"] and second["groupindex"] == {"word": 1}


def test_a_module_known_under_another_name_is_kept_under_its_own_only(tree: Tree) -> None:
    tree.write("lib/solo.py",
               "import sys\nVALUE = 'solo'\nsys.modules['alias'] = sys.modules[__name__]\n")
    driver = tree.bin / "aliasing.py"
    driver.write_text(DRIVER.format(early=str(tree.early), lib=str(tree.lib),
                                    anchor=str(tree.anchor)).replace(
        "import demo.sub, solo", "import demo.sub, solo\ndel sys.modules['alias']\n"
        "try:\n    import alias\nexcept ImportError:\n    pass\n"
        "else:\n    raise SystemExit('alias found')"))

    tree.run()  # solo, and its alias, in sys.modules when the bundle is written
    result = tree.run(driver=driver)

    assert result["loaders"] == BUNDLED


def test_pyffin_no_code_bundle_turns_it_off(tree: Tree) -> None:
    tree.run()

    off = tree.run(env={"PYFFIN_NO_CODE_BUNDLE": "1"})

    assert off["loaders"] == NORMAL


def test_the_bundle_is_listed_in_the_packages_record(tree: Tree) -> None:
    """So that pip, which removes what RECORD lists, removes it with the package."""
    ours = tree.lib / "demo-1.0.dist-info" / "RECORD"
    other = tree.lib / "other-1.0.dist-info" / "RECORD"
    for record, listed in ((ours, "demo/__init__.py"), (other, "other/__init__.py")):
        record.parent.mkdir()
        record.write_text(f"{listed},sha256=AAAA,14\n{record.parent.name}/RECORD,,")
    before = other.read_bytes()

    tree.run()
    tree.write("lib/solo.py", "VALUE = 'edited'\n")
    tree.run()  # written again: listed once

    bundle = tree.bundles()[0].relative_to(tree.lib).as_posix()
    assert ours.read_text().splitlines() == [
        "demo/__init__.py,sha256=AAAA,14", "demo-1.0.dist-info/RECORD,,", f"{bundle},,"]
    assert other.read_bytes() == before


def test_a_program_that_changes_sys_path_keeps_the_bundle_it_started_with(tree: Tree) -> None:
    driver = tree.bin / "moving.py"
    driver.write_text(DRIVER.format(early=str(tree.early), lib=str(tree.lib),
                                    anchor=str(tree.anchor)).replace(
        "code_bundle.save()", f"sys.path.insert(1, {str(tree.root / 'later')!r})\n"
                              "code_bundle.save()"))

    driver_run = tree.run(driver=driver)
    again = tree.run(driver=driver)

    assert driver_run["loaders"] == NORMAL
    assert again["loaders"] == BUNDLED


@pytest.mark.parametrize("shape", ["entry", "blob", "header"])
def test_a_bundle_of_another_shape_is_no_bundle(tree: Tree, shape: str) -> None:
    """A file that reads but does not hold what this code writes (another version's, or
    damaged in a way marshal still reads) imports as usual, and is written again."""
    import marshal

    tree.run()
    bundle = tree.bundles()[0]
    data = bundle.read_bytes()
    start = len(code_bundle.FORMAT) + 4
    size = int.from_bytes(data[len(code_bundle.FORMAT):start], "little")
    path, dirs, path_count, entries, patterns = marshal.loads(data[start:start + size])
    blobs = b""
    if shape == "entry":
        entries = {name: ("only",) for name in entries}
    elif shape == "blob":
        blobs = marshal.dumps(42)
        entries = {name: (*entry[:4], 0, len(blobs)) for name, entry in entries.items()}
    else:
        dirs = 7
    header = marshal.dumps((path, dirs, path_count, entries, patterns))
    bundle.write_bytes(code_bundle.FORMAT + len(header).to_bytes(4, "little") + header + blobs)

    damaged = tree.run()

    assert damaged["values"] == ["demo", "sub", "solo"]
    assert damaged["loaders"] == (BUNDLED if shape == "blob" else NORMAL)
    assert tree.run()["loaders"] == BUNDLED


def test_a_bundle_that_cannot_be_written_costs_no_work(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only installation would otherwise read and marshal every module, run after
    run, for a write that fails."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the bytecode directory would go\n")
    finder = code_bundle._Finder(str(blocked / "__pycache__" / "__init__.x.bundle-0.pyc"),
                                 str(tmp_path / "pkg" / "__init__.py"))
    assert finder.dirty

    def no_work(*args: object) -> None:
        raise AssertionError("compiled a module for a bundle that cannot be written")

    monkeypatch.setattr(code_bundle._Finder, "_blob", no_work)
    finder.save()

    assert not blocked.is_dir()
