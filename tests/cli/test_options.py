"""Options naming packages take what uv, pip and pip-tools take — comma-separated lists for
``--only-binary``, ``--no-binary`` and ``--no-emit-package``, a version bound with ``-P`` — and
a bad value is a one-line usage error naming the option and the value."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    for version in ("1.15", "1.16", "1.17"):
        index_server.add_wheel(WheelSpec("six", version))
    index_server.add_wheel(WheelSpec("idna", "2.0"))
    index_server.add_sdist(SdistSpec("idna", "3.0"))  # no wheel: --only-binary rules it out
    return index_server


def compile_(tmp_path: Path, index: IndexServer, *args: str | Path) -> Result:
    source = tmp_path / "requirements.in"
    source.write_text("six\nidna\n")
    return pyffin("pip", "compile", source, "--index-url", index.index_url, "--cache-dir",
                  tmp_path / "cache", "--no-header", "--no-annotate", *args)


def test_only_binary_takes_a_comma_separated_list(tmp_path: Path, index: IndexServer) -> None:
    result = compile_(tmp_path, index, "--only-binary", "six,idna")
    assert result.returncode == 0, result
    assert result.stdout == "idna==2.0\nsix==1.17\n"
    listed = compile_(tmp_path, index, "--only-binary", "six", "--only-binary=idna")
    assert listed.stdout == result.stdout


def test_no_emit_package_takes_a_comma_separated_list(tmp_path: Path,
                                                      index: IndexServer) -> None:
    result = compile_(tmp_path, index, "--only-binary", ":all:", "--no-emit-package", "six,idna")
    assert result.returncode == 0, result
    assert "six==" not in result.stdout and "idna==" not in result.stdout


def test_upgrade_package_with_a_bound_upgrades_within_it(tmp_path: Path,
                                                         index: IndexServer) -> None:
    """uv and pip-tools read ``-P 'six<1.17'`` as: forget the pin of six, and constrain the
    upgrade to six<1.17."""
    out = tmp_path / "requirements.txt"
    out.write_text("idna==2.0\nsix==1.15\n")
    assert compile_(tmp_path, index, "-o", out).stdout == "idna==2.0\nsix==1.15\n"
    bounded = compile_(tmp_path, index, "-o", out, "-P", "six<1.17")
    assert bounded.returncode == 0, bounded
    assert bounded.stdout == "idna==2.0\nsix==1.16\n"
    assert compile_(tmp_path, index, "-o", out, "-P", "six").stdout == "idna==2.0\nsix==1.17\n"
    too_tight = compile_(tmp_path, index, "-o", out, "-P", "six>2")
    assert too_tight.returncode == 1 and "six>2" in too_tight.stderr


def test_an_upgrade_bound_is_not_named_where_a_package_comes_from(tmp_path: Path,
                                                                  index: IndexServer) -> None:
    # As uv: ``# via`` names the input files and dependents, never ``--upgrade-package``.
    out = tmp_path / "requirements.txt"
    out.write_text("idna==2.0\nsix==1.15\n")
    source = tmp_path / "requirements.in"
    source.write_text("six\nidna\n")
    result = pyffin("pip", "compile", source, "--index-url", index.index_url, "--cache-dir",
                    tmp_path / "cache", "--no-header", "-o", out, "-P", "six<1.17")
    assert result.returncode == 0, result
    assert result.stdout == (f"idna==2.0\n    # via -r {source}\n"
                             f"six==1.16\n    # via -r {source}\n")


def test_install_upgrade_package_with_a_bound(tmp_path: Path, index: IndexServer) -> None:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable).returncode == 0

    def install(*args: str) -> Result:
        return pyffin("pip", "install", *args, "--python", env / "bin" / "python",
                      "--index-url", index.index_url, "--cache-dir", tmp_path / "cache")

    assert install("six==1.15").returncode == 0
    upgraded = install("six", "-P", "six<1.17")
    assert upgraded.returncode == 0, upgraded
    assert " + six==1.16\n" in upgraded.stderr
    # A package reinstalled is resolved anew (as uv): the newest, not the installed one.
    reinstalled = install("six", "--reinstall-package", "six", "--refresh-package", "six")
    assert reinstalled.returncode == 0, reinstalled
    assert reinstalled.stderr.endswith(" - six==1.16\n + six==1.17\n"), reinstalled


@pytest.mark.parametrize("args,message", [
    (["pip", "install", "six", "--reinstall-package", "six<1"],
     "argument --reinstall-package: 'six<1' is not a valid package name"),
    (["pip", "install", "six", "--refresh-package", "six,idna"],
     "argument --refresh-package: 'six,idna' is not a package name (give the option once for "
     "each package)"),
    (["pip", "install", "six", "--only-binary", "six,idna<2"],
     "argument --only-binary: invalid value 'six,idna<2': 'idna<2' is not a valid package name "
     "(or :all:, :none:)"),
    (["pip", "sync", "r.txt", "--no-binary", "../x"],
     "argument --no-binary: '../x' is not a valid package name (or :all:, :none:)"),
    (["pip", "compile", "r.in", "--no-emit-package", ":all:"],
     "argument --no-emit-package/--unsafe-package: ':all:' is not a valid package name"),
    (["pip", "compile", "r.in", "-P", "six @ https://example.org/six.whl"],
     "argument -P/--upgrade-package: 'six @ https://example.org/six.whl': a URL cannot be "
     "upgraded, only a package name with an optional version specifier"),
    (["pip", "install", "six", "-P", "six<<1"],
     "argument -P/--upgrade-package: 'six<<1' is not a package name or requirement"),
])
def test_a_bad_package_option_is_a_one_line_usage_error(args: list[str], message: str) -> None:
    result = pyffin(*args)
    assert result.returncode == 2
    error, hint = result.stderr.splitlines()
    assert error.startswith(f"error: {message}")
    assert hint == f"hint: see 'pyffin pip {args[1]} --help'"
