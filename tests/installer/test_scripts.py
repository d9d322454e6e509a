from __future__ import annotations

import pytest

from pyffin.errors import NotSupportedError
from pyffin.installer.errors import InstallError
from pyffin.installer.scripts import (
    EntryPointScript,
    is_reserved,
    launcher,
    parse_entry_points,
    rewrite_python_shebang,
    shebang,
)


def test_a_short_path_gets_a_plain_shebang() -> None:
    assert shebang("/env/bin/python") == b"#!/env/bin/python\n"


@pytest.mark.parametrize("python", ["/my env/bin/python", "/" + "x" * 130 + "/python"])
def test_long_or_spaced_paths_get_the_sh_trampoline(python: str) -> None:
    text = shebang(python)

    assert text == (b"#!/bin/sh\n'''exec' \"" + python.encode() + b'" "$0" "$@"\n' + b"' '''\n")
    compile(text, "launcher", "exec")  # to Python, the trampoline is a harmless string


def test_a_relative_interpreter_is_found_beside_the_script() -> None:
    """A relocatable environment's launchers, as uv writes them."""
    text = shebang("python")
    assert text.decode().splitlines() == [
        "#!/bin/sh",
        """'''exec' "$(dirname -- "$(realpath -- "$0")")"/'python' "$0" "$@\"""",
        "' '''",
    ]
    compile(text, "launcher", "exec")
    with pytest.raises(NotSupportedError, match="relocatable"):
        shebang("it's/python")


def test_paths_the_trampoline_cannot_quote_are_not_supported() -> None:
    with pytest.raises(NotSupportedError, match="not supported yet"):
        shebang('/my "env"/bin/python')


def test_entry_points_are_read_from_the_script_groups_only() -> None:
    text = (
        "[console_scripts]\n"
        "tool = pkg.cli:main\n"
        "# a comment\n"
        "other=pkg:Obj.method [extra1, extra2]\n"
        "\n"
        "[gui_scripts]\n"
        "gui = pkg.gui:run\n"
        "[pytest11]\n"
        "plugin = pkg.plugin\n"
    )

    assert parse_entry_points(text, source="entry_points.txt") == [
        EntryPointScript("tool", "pkg.cli", "main"),
        EntryPointScript("other", "pkg", "Obj.method"),
        EntryPointScript("gui", "pkg.gui", "run"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("../x = pkg:main", r"entry_points.txt, line 2: invalid script name '../x'"),
        ("a/b = pkg:main", "invalid script name 'a/b'"),
        ("x = pkg:main()", "must be 'module:function'"),
        ("x = pkg; import os:main", "must be 'module:function'"),
        ("x = pkg", "must be 'module:function'"),
        ("x", "invalid script name"),
    ],
)
def test_invalid_entry_points_are_refused(line: str, message: str) -> None:
    with pytest.raises(InstallError, match=message):
        parse_entry_points(f"[console_scripts]\n{line}\n", source="entry_points.txt")


def test_the_launcher_imports_and_calls_the_target() -> None:
    text = launcher(EntryPointScript("x", "pkg.cli", "Obj.run"), "/env/bin/python").decode()

    assert text.startswith("#!/env/bin/python\n")
    assert "from pkg.cli import Obj\n" in text
    assert "    sys.exit(Obj.run())\n" in text
    compile(text, "x", "exec")


def test_python_shebangs_are_rewritten_and_others_kept() -> None:
    assert rewrite_python_shebang(b"#!pythonw -u\r\nprint()\n", "/p") == b"#!/p\nprint()\n"
    assert rewrite_python_shebang(b"#!python", "/p") == b"#!/p\n"
    assert rewrite_python_shebang(b"#!/bin/sh\necho\n", "/p") is None


@pytest.mark.parametrize("name", [
    "python", "python3", "python3.12", "python3.13t", "pythonw", "python.exe", "pypy", "pypy3",
    "pypy3.10", "Python3", "activate", "activate.fish", "activate.csh", "activate.ps1",
    "Activate.ps1", "activate.bat", "activate.nu", "activate_this.py", "deactivate",
    "deactivate.bat",
])
def test_names_of_the_environments_own_scripts_are_reserved(name: str) -> None:
    assert is_reserved(name)


@pytest.mark.parametrize("name", [
    "pip", "python-app", "pythonista", "py", "ipython", "python3-config", "activator",
    "my-activate", "pytest",
])
def test_other_script_names_are_not_reserved(name: str) -> None:
    assert not is_reserved(name)


def test_pips_and_easy_installs_versioned_scripts_are_made_for_the_python_that_runs_them(
        ) -> None:
    # pip's universal wheel names the Python that built it (pip3.12): pip and uv make pip,
    # pipX and pipX.Y of the interpreter installing it, and drop the others.
    from pyffin.installer.scripts import EntryPointScript, for_python

    def entries(*names: str) -> list[EntryPointScript]:
        return [EntryPointScript(name, "m", "main") for name in names]

    made = for_python(entries("black", "pip", "pip3", "pip3.12", "pip3.9"), (3, 11, 2))
    assert [e.name for e in made] == ["black", "pip", "pip3", "pip3.11"]
    made = for_python(entries("easy_install", "easy_install-3.12", "pipx"), (3, 10))
    assert [e.name for e in made] == ["pipx", "easy_install", "easy_install-3.10"]
    assert for_python(entries("pip3", "pip3.12"), (3, 11)) == entries("pip3", "pip3.12")
    assert for_python(entries("tool"), (3, 11)) == entries("tool")
