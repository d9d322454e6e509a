"""``pyffin pip tree``, and the options ``pip list`` and ``pip freeze`` share with it
(``--outdated``, ``--exclude``, ``--strict``), print what uv prints for the same environment.

Each expected text below is what uv 0.13.9 prints; when uv is available (see
``tests/support/uv.py``) it is run on the same environment and index too, and must agree.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer
from tests.support.uv import UV, uv_env

INSTALLED = [
    WheelSpec("app", "1.0", extras=["x"], requires_dist=[
        "web>=1.0", "lib>=0.5,<3", "util", 'winonly; sys_platform == "win32"',
        'extra-dep; extra == "x"']),
    WheelSpec("web", "1.2", requires_dist=["lib>=1", "util>=0.1", "lib!=1.5"]),
    WheelSpec("lib", "2.0", requires_dist=["util==1.*"]),
    WheelSpec("util", "1.0"),
    WheelSpec("tool", "0.3", requires_dist=["lib>5"]),  # not met: no edge, a --strict warning
    WheelSpec("solo", "1.0.0rc1"),
]
NEWER = [
    WheelSpec("lib", "2.5"),
    WheelSpec("util", "1.1"),
    WheelSpec("web", "2.0rc1"),  # a pre-release: not "latest"
    WheelSpec("solo", "1.0.0", requires_python=">=3.99"),  # not for this Python
    WheelSpec("app", "9.0", tags=["cp27-cp27m-win32"]),  # not for this platform
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with IndexServer(dist_dir=tmp_path_factory.mktemp("tree-index")) as server:
        for spec in INSTALLED + NEWER:
            server.add_wheel(spec)
        server.add_sdist(SdistSpec("tool", "0.4"))
        yield server


@pytest.fixture(scope="module")
def env(served: IndexServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree-env")
    venv = root / "env"
    assert pyffin("venv", venv, "--python", sys.executable,
                  cache_dir=root / "cache").returncode == 0
    result = pyffin("pip", "install", *(f"{s.name}=={s.version}" for s in INSTALLED), "--no-deps",
                    "--python", venv / "bin" / "python", "--index-url", served.index_url,
                    "--no-config", cache_dir=root / "cache")
    assert result.returncode == 0, result
    return venv


def tree(env: Path, served: IndexServer, *args: str) -> Result:
    result = pyffin("pip", "tree", *args, "--python", env / "bin" / "python", "--index-url",
                    served.index_url, "--no-config", cache_dir=env.parent / "cache")
    assert result.returncode == 0, result
    return result


def same_as_uv(env: Path, served: IndexServer, *args: str, expected: str,
               command: str = "tree") -> None:
    """``pyffin pip COMMAND ARGS`` prints ``expected``, and so does uv (when it is here)."""
    if command == "tree":
        assert tree(env, served, *args).stdout == expected
    else:
        result = inspect(env, served, command, *args)
        assert result.returncode == 0, result
        assert result.stdout == expected
    if UV is None:
        return
    index = ("--index-url", served.index_url) if command != "freeze" else ()
    uv = subprocess.run(
        [str(UV), "pip", command, *args, "--python", str(env / "bin" / "python"), *index,
         "--cache-dir", str(env.parent / "uv-cache")],
        capture_output=True, text=True, env=uv_env(), timeout=120)
    assert uv.returncode == 0, uv.stderr
    assert uv.stdout == expected


def inspect(env: Path, served: IndexServer, command: str, *args: str) -> Result:
    index = ("--index-url", served.index_url) if command != "freeze" else ()
    return pyffin("pip", command, *args, "--python", env / "bin" / "python", *index,
                  "--no-config", cache_dir=env.parent / "cache")


TREE = """\
app v1.0
├── lib v2.0
│   └── util v1.0
├── util v1.0
└── web v1.2
    ├── lib v2.0 (*)
    └── util v1.0
solo v1.0.0rc1
tool v0.3
(*) Package tree already displayed
"""


def test_tree(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, expected=TREE)


def test_depth(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--depth", "1", expected=(
        "app v1.0\n├── lib v2.0\n├── util v1.0\n└── web v1.2\nsolo v1.0.0rc1\ntool v0.3\n"))
    same_as_uv(env, served, "-d", "0", expected="app v1.0\nsolo v1.0.0rc1\ntool v0.3\n")


def test_a_depth_out_of_range_is_a_usage_error(env: Path, served: IndexServer) -> None:
    result = pyffin("pip", "tree", "--depth", "256", "--python", env / "bin" / "python")
    assert result.returncode == 2
    assert "invalid depth '256'" in result.stderr


def test_prune(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--prune", "lib", expected=(
        "app v1.0\n├── util v1.0\n└── web v1.2\n    └── util v1.0\nsolo v1.0.0rc1\n"
        "tool v0.3\n"))


def test_package(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--package", "web", expected=(
        "web v1.2\n├── lib v2.0\n│   └── util v1.0\n└── util v1.0\n"))


def test_no_dedupe(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--no-dedupe", expected="""\
app v1.0
├── lib v2.0
│   └── util v1.0
├── util v1.0
└── web v1.2
    ├── lib v2.0
    │   └── util v1.0
    └── util v1.0
solo v1.0.0rc1
tool v0.3
""")


def test_invert(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--invert", expected="""\
solo v1.0.0rc1
tool v0.3
util v1.0
├── app v1.0
├── lib v2.0
│   ├── app v1.0
│   └── web v1.2
│       └── app v1.0
└── web v1.2 (*)
(*) Package tree already displayed
""")
    same_as_uv(env, served, "--reverse", "--package", "lib", expected=(
        "lib v2.0\n├── app v1.0\n└── web v1.2\n    └── app v1.0\n"))


def test_show_version_specifiers(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--show-version-specifiers", expected="""\
app v1.0
├── lib v2.0 [required: >=0.5, <3]
│   └── util v1.0 [required: ==1.*]
├── util v1.0 [required: *]
└── web v1.2 [required: >=1.0]
    ├── lib v2.0 [required: >=1, !=1.5] (*)
    └── util v1.0 [required: >=0.1]
solo v1.0.0rc1
tool v0.3
(*) Package tree already displayed
""")
    same_as_uv(env, served, "--show-version-specifiers", "--invert", "--package", "util",
               expected="""\
util v1.0
├── app v1.0 [requires: util *]
├── lib v2.0 [requires: util ==1.*]
│   ├── app v1.0 [requires: lib >=0.5, <3]
│   └── web v1.2 [requires: lib >=1, !=1.5]
│       └── app v1.0 [requires: web >=1.0]
└── web v1.2 [requires: util >=0.1] (*)
(*) Package tree already displayed
""")


def test_outdated(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--outdated", expected="""\
app v1.0
├── lib v2.0 (latest: v2.5)
│   └── util v1.0 (latest: v1.1)
├── util v1.0
└── web v1.2
    ├── lib v2.0 (*)
    └── util v1.0
solo v1.0.0rc1
tool v0.3 (latest: v0.4)
(*) Package tree already displayed
""")
    same_as_uv(env, served, "--outdated", "--show-version-specifiers", "--no-dedupe",
               "--package", "web", expected="""\
web v1.2
├── lib v2.0 [required: >=1, !=1.5] (latest: v2.5)
│   └── util v1.0 [required: ==1.*] (latest: v1.1)
└── util v1.0 [required: >=0.1] (latest: v1.1)
""")


def test_outdated_with_pre_releases_and_a_cutoff(env: Path, served: IndexServer) -> None:
    assert "web v1.2 (latest: v2.0rc1)" in tree(env, served, "--outdated", "--pre").stdout
    old = tree(env, served, "--outdated", "--exclude-newer", "2000-01-01").stdout
    assert "latest" not in old


def test_strict_warns_about_what_pip_check_reports(env: Path, served: IndexServer) -> None:
    result = tree(env, served, "--strict")
    assert result.stdout == TREE
    assert "warning: The package `tool` requires `lib>5`, but `2.0` is installed\n" \
        in result.stderr


def test_a_cycle(tmp_path: Path, index_server: IndexServer) -> None:
    """A cycle nothing leads into gets one root. Which of its members follows uv's hash-map
    order, which pyffin does not reproduce (it takes the first by name): uv may start from
    either, everything else is the same."""
    index_server.add_wheel(WheelSpec("cyc-a", "1.0", requires_dist=["cyc-b"]))
    index_server.add_wheel(WheelSpec("cyc-b", "1.0", requires_dist=["cyc-a"]))
    venv = tmp_path / "env"
    assert pyffin("venv", venv, "--python", sys.executable,
                  cache_dir=tmp_path / "cache").returncode == 0
    assert pyffin("pip", "install", "cyc-a", "--python", venv / "bin" / "python",
                  "--index-url", index_server.index_url, "--no-config",
                  cache_dir=tmp_path / "cache").returncode == 0

    def either(first: str, second: str, note: str) -> set[str]:
        return {f"{a} v1.0\n└── {b} v1.0\n    └── {a} v1.0 (*)\n{note}\n"
                for a, b in ((first, second), (second, first))}

    for args, note in (((), "(*) Package tree already displayed"),
                       (("--no-dedupe",), "(*) Package tree is a cycle and cannot be shown"),
                       (("--invert",), "(*) Package tree already displayed")):
        assert tree(venv, index_server, *args).stdout == (
            f"cyc-a v1.0\n└── cyc-b v1.0\n    └── cyc-a v1.0 (*)\n{note}\n")
        if UV is not None:
            uv = subprocess.run(
                [str(UV), "pip", "tree", *args, "--python", str(venv / "bin" / "python"),
                 "--cache-dir", str(tmp_path / "uv-cache")],
                capture_output=True, text=True, env=uv_env(), timeout=120)
            assert uv.stdout in either("cyc-a", "cyc-b", note)


# ----------------------------------------------------------------------------- pip list
def test_list_outdated(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--outdated", command="list", expected="""\
Package Version Latest Type
------- ------- ------ -----
lib     2.0     2.5    wheel
tool    0.3     0.4    sdist
util    1.0     1.1    wheel
""")
    same_as_uv(env, served, "--outdated", "--format", "json", command="list", expected=(
        '[{"name":"lib","version":"2.0","latest_version":"2.5","latest_filetype":"wheel"},'
        '{"name":"tool","version":"0.3","latest_version":"0.4","latest_filetype":"sdist"},'
        '{"name":"util","version":"1.0","latest_version":"1.1","latest_filetype":"wheel"}]\n'))
    same_as_uv(env, served, "--outdated", "--exclude", "lib", "--exclude-newer", "2100-01-01",
               command="list", expected="""\
Package Version Latest Type
------- ------- ------ -----
tool    0.3     0.4    sdist
util    1.0     1.1    wheel
""")
    same_as_uv(env, served, "--outdated", "--exclude-newer", "2000-01-01", command="list",
               expected="")


def test_list_outdated_with_pre_releases(env: Path, served: IndexServer) -> None:
    result = inspect(env, served, "list", "--outdated", "--pre", "--format", "freeze")
    assert result.returncode == 2
    assert result.stderr == "error: `--outdated` cannot be used with `--format freeze`\n"
    rows = inspect(env, served, "list", "--outdated", "--pre").stdout.splitlines()
    assert "web     1.2     2.0rc1 wheel" in rows


def test_list_outdated_offline_from_an_empty_cache_lists_nothing(
        env: Path, served: IndexServer, tmp_path: Path) -> None:
    result = pyffin("pip", "list", "--outdated", "--offline", "--python", env / "bin" / "python",
                    "--index-url", served.index_url, "--no-config", cache_dir=tmp_path / "c")
    assert result.returncode == 0, result
    assert result.stdout == ""


def test_list_exclude_and_strict(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--exclude", "lib", "--exclude", "UTIL", "--format", "freeze",
               command="list", expected="app==1.0\nsolo==1.0.0rc1\ntool==0.3\nweb==1.2\n")
    result = inspect(env, served, "list", "--strict", "--exclude", "lib,util")
    assert result.stdout.splitlines()[2:] == ["app     1.0", "solo    1.0.0rc1", "tool    0.3",
                                              "web     1.2"]
    assert result.stderr.splitlines()[1:] == [  # (after the environment's name)
        "warning: The package `tool` requires `lib>5`, but `2.0` is installed"]


# --------------------------------------------------------------------------- pip freeze
FROZEN = ["app==1.0", "lib==2.0", "solo==1.0.0rc1", "tool==0.3", "util==1.0", "web==1.2"]


def test_freeze_exclude_path_and_all(env: Path, served: IndexServer) -> None:
    same_as_uv(env, served, "--exclude", "lib", command="freeze",
               expected="".join(f"{line}\n" for line in FROZEN if not line.startswith("lib")))
    [site_packages] = (env / "lib").glob("python3.*/site-packages")
    same_as_uv(env, served, "--path", str(site_packages), command="freeze",
               expected="".join(f"{line}\n" for line in FROZEN))
    same_as_uv(env, served, "--path", str(env / "nowhere"), command="freeze", expected="")
    # pip's --all: pyffin, as uv, never leaves pip or setuptools out.
    assert inspect(env, served, "freeze", "--all").stdout.split() == FROZEN


def test_freeze_path_reads_a_target_directory(tmp_path: Path, env: Path,
                                              served: IndexServer) -> None:
    [site_packages] = (env / "lib").glob("python3.*/site-packages")
    other = tmp_path / "target"
    other.mkdir()
    for info in site_packages.glob("lib-*.dist-info"):
        (other / info.name).mkdir()
        (other / info.name / "METADATA").write_bytes((info / "METADATA").read_bytes())
    result = inspect(env, served, "freeze", "--path", str(other), "--path", str(tmp_path / "x"))
    assert result.stdout == "lib==2.0\n"


def test_freeze_strict(env: Path, served: IndexServer) -> None:
    result = inspect(env, served, "freeze", "--strict")
    assert result.stdout.split() == FROZEN
    assert "warning: The package `tool` requires `lib>5`, but `2.0` is installed" in result.stderr


def test_show_strict_warns_after_what_it_shows(env: Path, served: IndexServer) -> None:
    """uv's ``pip show --strict``: the environment is checked, whichever packages are shown."""
    python = ("--python", str(env / "bin" / "python"))
    result = pyffin("pip", "show", "lib", "--strict", *python)
    assert result.returncode == 0, result
    assert result.stdout.startswith("Name: lib\nVersion: 2.0\n")
    assert "warning: The package `tool` requires `lib>5`, but `2.0` is installed" in result.stderr
    assert "requires" not in pyffin("pip", "show", "lib", *python).stderr
