"""``pyffin pip download`` and ``pyffin pip wheel`` end to end against the local index: what
they save, what they print, how they reuse the cache and what is already in the directory,
hash checking, and pip's targeting options and rules."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec, write_source_tree
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib>=1", "src"]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_sdist(SdistSpec("src", "1.0"))
    return index_server


@pytest.fixture
def backend_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "backend.log"
    monkeypatch.setenv("PYFFIN_TEST_BACKEND_LOG", str(log))
    return log


def builds(log: Path, name: str | None = None) -> int:
    if not log.exists():
        return 0
    events = [json.loads(line) for line in log.read_text().splitlines()]
    return sum(1 for e in events if e["hook"] == "build_wheel"
               and (name is None or e["name"] == name))


def pip(command: str, tmp_path: Path, index: IndexServer | None, *args: str | Path) -> Result:
    extra: list[str | Path] = ["--index-url", index.index_url] if index else ["--no-index"]
    return pyffin("pip", command, *args, *extra, "--cache-dir", tmp_path / "cache")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def served(index: IndexServer, filename: str) -> bytes:
    [path] = [p for p in index._build_dir().rglob(filename)]
    return path.read_bytes()


def files(index: IndexServer) -> int:
    """Requests for distribution files (not pages or metadata)."""
    return sum(1 for r in index.request_log
               if r.path.startswith("/files/") and not r.path.endswith(".metadata"))


# ------------------------------------------------------------------------------- download
def test_download_saves_each_resolved_file_as_the_index_serves_it(
        index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = pip("download", tmp_path, index, "app", "-d", "out")
    assert result.returncode == 0, result
    names = ["app-1.0-py3-none-any.whl", "lib-1.0-py3-none-any.whl", "src-1.0.tar.gz"]
    assert sorted(os.listdir(tmp_path / "out")) == names
    for name in names:
        assert (tmp_path / "out" / name).read_bytes() == served(index, name)
    assert result.stderr.splitlines()[-4:] == [
        "Saved ./out/app-1.0-py3-none-any.whl", "Saved ./out/lib-1.0-py3-none-any.whl",
        "Saved ./out/src-1.0.tar.gz", "Successfully downloaded app lib src"]


def test_download_takes_what_the_cache_has_instead_of_downloading_it_again(
        index: IndexServer, tmp_path: Path) -> None:
    assert pip("download", tmp_path, index, "app", "-d", tmp_path / "one").returncode == 0
    assert files(index) == 3
    index.reset_counts()
    result = pip("download", tmp_path, index, "app", "--dest", tmp_path / "two")
    assert result.returncode == 0, result
    assert files(index) == 0
    assert sorted(os.listdir(tmp_path / "two")) == sorted(os.listdir(tmp_path / "one"))


def test_offline_download_from_the_cache(index: IndexServer, tmp_path: Path) -> None:
    assert pip("download", tmp_path, index, "app", "-d", tmp_path / "one").returncode == 0
    index.reset_counts()
    result = pip("download", tmp_path, index, "app", "-d", tmp_path / "two", "--offline")
    assert result.returncode == 0, result
    assert index.count() == 0
    assert sorted(os.listdir(tmp_path / "two")) == sorted(os.listdir(tmp_path / "one"))


def test_a_damaged_copy_in_the_cache_is_downloaded_again(
        index: IndexServer, tmp_path: Path) -> None:
    """A damaged copy in the cache is a miss: downloaded again, never saved damaged."""
    assert pip("download", tmp_path, index, "lib", "-d", tmp_path / "one").returncode == 0
    [cached] = (tmp_path / "cache").glob("wheels-v1/index/*/lib-1.0-py3-none-any.whl")
    cached.write_bytes(b"damaged")
    index.reset_counts()
    result = pip("download", tmp_path, index, "lib", "-d", tmp_path / "two")
    assert result.returncode == 0, result
    assert "is damaged" in result.stderr
    assert files(index) == 1
    assert (tmp_path / "two" / "lib-1.0-py3-none-any.whl").read_bytes() == \
        served(index, "lib-1.0-py3-none-any.whl")


def test_a_file_already_in_the_directory_is_kept_when_it_is_the_same(
        index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    wheel = out / "lib-1.0-py3-none-any.whl"
    wheel.write_bytes(served(index, wheel.name))
    before = wheel.stat()
    result = pip("download", tmp_path, index, "lib", "-d", "out")  # shown absolute, as pip
    assert result.returncode == 0, result
    assert f"File was already downloaded {wheel}" in result.stderr
    assert "Saved" not in result.stderr
    assert files(index) == 0  # its hash is the index's: nothing to fetch
    assert wheel.stat().st_ino == before.st_ino and wheel.stat().st_mtime_ns == before.st_mtime_ns


def test_a_different_file_of_the_same_name_is_replaced_with_a_warning(
        index: IndexServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "lib-1.0-py3-none-any.whl").write_bytes(b"something else")
    result = pip("download", tmp_path, index, "lib", "-d", out)
    assert result.returncode == 0, result
    assert "warning: Replacing " in result.stderr
    assert "lib-1.0-py3-none-any.whl: the file there is not lib 1.0's" in result.stderr
    assert (out / "lib-1.0-py3-none-any.whl").read_bytes() == \
        served(index, "lib-1.0-py3-none-any.whl")
    assert os.listdir(out) == ["lib-1.0-py3-none-any.whl"]  # no temporary file left


def test_a_directory_in_the_way_is_an_error(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "out" / "lib-1.0-py3-none-any.whl").mkdir(parents=True)
    result = pip("download", tmp_path, index, "lib", "-d", tmp_path / "out")
    assert result.returncode == 2
    assert "is a directory" in result.stderr


def test_a_file_as_the_directory_is_a_usage_error(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("mine")
    for command, option in (("download", "-d"), ("wheel", "-w")):
        result = pip(command, tmp_path, index, "lib", option, tmp_path / "out")
        assert result.returncode == 2
        assert "out is not a directory: the files cannot be saved there" in result.stderr
    assert (tmp_path / "out").read_text() == "mine"


def test_no_deps_and_requirement_and_constraint_files(index: IndexServer, tmp_path: Path) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    (tmp_path / "r.txt").write_text("app\n")
    (tmp_path / "c.txt").write_text("lib<2\n")
    result = pip("download", tmp_path, index, "-r", tmp_path / "r.txt", "-c",
                 tmp_path / "c.txt", "-d", tmp_path / "out")
    assert result.returncode == 0, result
    assert "lib-1.0-py3-none-any.whl" in os.listdir(tmp_path / "out")
    result = pip("download", tmp_path, index, "app", "--no-deps", "-d", tmp_path / "nodeps")
    assert result.returncode == 0, result
    assert os.listdir(tmp_path / "nodeps") == ["app-1.0-py3-none-any.whl"]
    assert result.stderr.endswith("Successfully downloaded app\n")


def test_only_binary_and_no_binary_choose_the_file(index: IndexServer, tmp_path: Path) -> None:
    index.add_sdist(SdistSpec("lib", "1.0"))
    result = pip("download", tmp_path, index, "lib", "--no-binary", "lib", "-d", tmp_path / "a")
    assert result.returncode == 0, result
    assert os.listdir(tmp_path / "a") == ["lib-1.0.tar.gz"]
    result = pip("download", tmp_path, index, "src", "--only-binary", ":all:", "-d",
                 tmp_path / "b")
    assert result.returncode == 1
    assert not (tmp_path / "b").exists() or os.listdir(tmp_path / "b") == []


def test_a_local_project_directory_has_no_file_but_its_dependencies_do(
        index: IndexServer, tmp_path: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", requires_dist=["lib"]),
                                tmp_path / "local")
    result = pip("download", tmp_path, index, str(project), "-d", tmp_path / "out")
    assert result.returncode == 0, result
    assert os.listdir(tmp_path / "out") == ["lib-1.0-py3-none-any.whl"]
    assert result.stderr.endswith("Successfully downloaded lib local\n")


def test_local_archives_are_copied(index: IndexServer, tmp_path: Path, make_sdist: Any) -> None:
    archive = make_sdist("here", "2.0")
    result = pip("download", tmp_path, index, str(archive), "-d", tmp_path / "out")
    assert result.returncode == 0, result
    assert (tmp_path / "out" / archive.name).read_bytes() == archive.read_bytes()


def test_editables_cannot_be_downloaded(index: IndexServer, tmp_path: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0"), tmp_path / "local")
    (tmp_path / "r.txt").write_text(f"-e {project}\n")
    result = pip("download", tmp_path, index, "-r", tmp_path / "r.txt", "-d", tmp_path / "out")
    assert result.returncode == 2
    assert "editable requirements (-e) cannot be downloaded" in result.stderr


# ------------------------------------------------------------------------------- hashes
def test_required_hashes_are_checked_before_a_file_is_saved(
        index: IndexServer, tmp_path: Path) -> None:
    good = hashlib.sha256(served(index, "lib-1.0-py3-none-any.whl")).hexdigest()
    (tmp_path / "ok.txt").write_text(f"lib==1.0 --hash=sha256:{good}\n")
    result = pip("download", tmp_path, index, "-r", tmp_path / "ok.txt", "-d", tmp_path / "ok")
    assert result.returncode == 0, result
    (tmp_path / "bad.txt").write_text(f"lib==1.0 --hash=sha256:{'0' * 64}\n")
    result = pip("download", tmp_path, index, "-r", tmp_path / "bad.txt", "-d", tmp_path / "bad")
    assert result.returncode == 1
    assert "hash mismatch for lib-1.0-py3-none-any.whl" in result.stderr
    assert not list((tmp_path / "bad").iterdir())


def test_require_hashes_needs_every_package_pinned_with_hashes(
        index: IndexServer, tmp_path: Path) -> None:
    result = pip("download", tmp_path, index, "lib==1.0", "--require-hashes", "-d",
                 tmp_path / "out")
    assert result.returncode == 2
    assert "has no --hash" in result.stderr


def test_an_index_hash_mismatch_saves_nothing(index: IndexServer, tmp_path: Path) -> None:
    index.set_hashes("lib-1.0-py3-none-any.whl", {"sha256": "0" * 64})
    result = pip("download", tmp_path, index, "lib", "-d", tmp_path / "out")
    assert result.returncode == 1
    assert "hash mismatch" in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


# ------------------------------------------------------------------------------ targeting
PIP_RULE = ("When restricting platform and interpreter constraints using --python-version, "
            "--platform, --abi, or --implementation, either --no-deps must be set, or "
            "--only-binary=:all: must be set and --no-binary must not be set (or must be set "
            "to :none:).")


@pytest.mark.parametrize("option", [["--platform", "win_amd64"], ["--python-version", "3.9"],
                                    ["--implementation", "pp"], ["--abi", "cp39"]])
def test_targeting_needs_only_binary_or_no_deps_as_pip_says(
        index: IndexServer, tmp_path: Path, option: list[str]) -> None:
    result = pip("download", tmp_path, index, "lib", *option, "-d", tmp_path / "out")
    assert result.returncode == 2
    assert PIP_RULE in result.stderr
    assert not (tmp_path / "out").exists()
    result = pip("download", tmp_path, index, "lib", *option, "--only-binary=:all:",
                 "--no-binary", "lib", "-d", tmp_path / "out")
    assert result.returncode == 2 and PIP_RULE in result.stderr
    for allowed in (["--no-deps"], ["--only-binary=:all:"],
                    ["--only-binary=:all:", "--no-binary=:none:"]):
        result = pip("download", tmp_path, index, "lib", *option, *allowed, "-d",
                     tmp_path / "out")
        assert result.returncode == 0, (allowed, result)


def platform_wheels(index: IndexServer) -> None:
    for tags in (["cp39-cp39-win_amd64"], ["cp312-cp312-win_amd64"],
                 ["cp39-cp39-manylinux1_x86_64"], ["cp312-abi3-macosx_10_9_x86_64"],
                 ["pp39-pypy39_pp73-win_amd64"]):
        index.add_wheel(WheelSpec("native", "1.0", tags=tags))


@pytest.mark.parametrize(("options", "expected"), [
    (["--platform", "win_amd64", "--python-version", "3.9"], "native-1.0-cp39-cp39-win_amd64.whl"),
    (["--platform", "win_amd64", "--python-version", "312"],
     "native-1.0-cp312-cp312-win_amd64.whl"),
    # manylinux2014 takes manylinux1 wheels too, as pip's expansion says.
    (["--platform", "manylinux2014_x86_64", "--python-version", "3.9"],
     "native-1.0-cp39-cp39-manylinux1_x86_64.whl"),
    # an older macOS version's wheel, and abi3 on a newer Python.
    (["--platform", "macosx_11_0_x86_64", "--python-version", "3.13"],
     "native-1.0-cp312-abi3-macosx_10_9_x86_64.whl"),
    (["--platform", "win_amd64", "--python-version", "3.9", "--implementation", "pp", "--abi",
      "pypy39_pp73"], "native-1.0-pp39-pypy39_pp73-win_amd64.whl"),
])
def test_platform_python_version_implementation_and_abi_choose_the_wheel(
        index: IndexServer, tmp_path: Path, options: list[str], expected: str) -> None:
    platform_wheels(index)
    result = pip("download", tmp_path, index, "native", *options, "--only-binary=:all:", "-d",
                 tmp_path / "out")
    assert result.returncode == 0, result
    assert os.listdir(tmp_path / "out") == [expected]


def test_no_wheel_for_the_target_is_a_resolution_failure(index: IndexServer,
                                                          tmp_path: Path) -> None:
    platform_wheels(index)
    result = pip("download", tmp_path, index, "native", "--platform", "linux_armv7l",
                 "--only-binary=:all:", "-d", tmp_path / "out")
    assert result.returncode == 1
    assert not (tmp_path / "out").exists()


def test_bad_python_version_is_a_usage_error(index: IndexServer, tmp_path: Path) -> None:
    result = pip("download", tmp_path, index, "lib", "--python-version", "3.x", "--no-deps")
    assert result.returncode == 2
    assert "invalid --python-version value: '3.x': each version part must be an integer" \
        in result.stderr


# ----------------------------------------------------------------------------------- wheel
def test_wheel_copies_wheels_and_builds_sdists_once(
        index: IndexServer, tmp_path: Path, backend_log: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = pip("wheel", tmp_path, index, "app", "-w", "w")
    assert result.returncode == 0, result
    out = tmp_path / "w"
    assert sorted(os.listdir(out)) == ["app-1.0-py3-none-any.whl", "lib-1.0-py3-none-any.whl",
                                       "src-1.0-py3-none-any.whl"]
    assert (out / "app-1.0-py3-none-any.whl").read_bytes() == \
        served(index, "app-1.0-py3-none-any.whl")
    with zipfile.ZipFile(out / "src-1.0-py3-none-any.whl") as z:
        assert "src/__init__.py" in z.namelist()
    built = out / "src-1.0-py3-none-any.whl"
    assert (f"Created wheel for src: filename=src-1.0-py3-none-any.whl "
            f"size={built.stat().st_size} sha256={sha256(built)}") in result.stderr
    assert "Saved ./w/src-1.0-py3-none-any.whl" in result.stderr
    assert result.stderr.endswith("Successfully built src\n")
    assert builds(backend_log, "src") == 1
    index.reset_counts()
    again = pip("wheel", tmp_path, index, "app", "-w", tmp_path / "again")
    assert again.returncode == 0, again
    assert builds(backend_log, "src") == 1 and files(index) == 0
    assert sorted(os.listdir(tmp_path / "again")) == sorted(os.listdir(out))


def test_wheel_of_a_local_project(tmp_path: Path, backend_log: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0"), tmp_path / "local")
    result = pip("wheel", tmp_path, None, str(project), "--wheel-dir", tmp_path / "w")
    assert result.returncode == 0, result
    assert os.listdir(tmp_path / "w") == ["local-1.0-py3-none-any.whl"]
    again = pip("wheel", tmp_path, None, str(project), "--wheel-dir", tmp_path / "w")
    assert f"File was already downloaded {tmp_path / 'w' / 'local-1.0-py3-none-any.whl'}" \
        in again.stderr
    assert builds(backend_log, "local") == 1


def test_wheel_passes_config_settings_to_the_backend(tmp_path: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0"), tmp_path / "local")
    result = pip("wheel", tmp_path, None, str(project), "-w", tmp_path / "w", "-C", "mode=fast")
    assert result.returncode == 0, result
    with zipfile.ZipFile(tmp_path / "w" / "local-1.0-py3-none-any.whl") as z:
        record = json.loads(z.read("local-1.0.dist-info/pyffin_test_backend.json"))
    assert record["config_settings"] == {"mode": "fast"}


def test_wheel_checks_the_hash_of_the_sdist_it_builds(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text(f"src==1.0 --hash=sha256:{'0' * 64}\n")
    result = pip("wheel", tmp_path, index, "-r", tmp_path / "r.txt", "-w", tmp_path / "w")
    assert result.returncode == 1
    assert "hash mismatch for src-1.0.tar.gz" in result.stderr
    good = hashlib.sha256(served(index, "src-1.0.tar.gz")).hexdigest()
    (tmp_path / "r.txt").write_text(f"src==1.0 --hash=sha256:{good}\n")
    result = pip("wheel", tmp_path, index, "-r", tmp_path / "r.txt", "-w", tmp_path / "w")
    assert result.returncode == 0, result
    assert os.listdir(tmp_path / "w") == ["src-1.0-py3-none-any.whl"]


def test_no_requirements_is_a_usage_error(tmp_path: Path) -> None:
    for command in ("download", "wheel"):
        result = pip(command, tmp_path, None)
        assert result.returncode == 2
        assert "no requirements given" in result.stderr


def test_direct_urls_of_wheels_and_sdists(index: IndexServer, tmp_path: Path) -> None:
    wheel = index.file_url("lib-1.0-py3-none-any.whl")
    sdist = index.file_url("src-1.0.tar.gz")
    result = pip("download", tmp_path, index, f"lib @ {wheel}", f"src @ {sdist}", "-d",
                 tmp_path / "out")
    assert result.returncode == 0, result
    for name in ("lib-1.0-py3-none-any.whl", "src-1.0.tar.gz"):
        assert (tmp_path / "out" / name).read_bytes() == served(index, name)


def test_a_missing_build_constraints_file_is_an_error_before_anything_is_done(
        index: IndexServer, tmp_path: Path) -> None:
    result = pip("download", tmp_path, index, "lib", "-b", tmp_path / "missing.txt", "-d",
                 tmp_path / "out")
    assert result.returncode != 0
    assert "missing.txt" in result.stderr
    assert not (tmp_path / "out").exists()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
                          ).stdout.strip()


def test_a_git_source_is_saved_as_a_zip_as_pip_does_and_built_by_wheel(
        tmp_path: Path, backend_log: Path) -> None:
    repo = tmp_path / "repo"
    write_source_tree(SdistSpec("gitpkg", "1.0", files={"gitpkg/__init__.py": "V = 1\n"}),
                      repo / "sub")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    url = f"gitpkg @ git+{repo.as_uri()}@main#subdirectory=sub"
    result = pip("download", tmp_path, None, url, "-d", tmp_path / "out")
    assert result.returncode == 0, result
    archive = tmp_path / "out" / "gitpkg-1.0.zip"
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert z.read("gitpkg/gitpkg/__init__.py") == b"V = 1\n"
    assert "gitpkg/pyproject.toml" in names and "gitpkg/gitpkg/" in names
    assert not any("/.git" in n for n in names)
    # Made again from the same commit, it is the same file.
    again = pip("download", tmp_path, None, url, "-d", tmp_path / "out")
    assert f"File was already downloaded {archive}" in again.stderr
    result = pip("wheel", tmp_path, None, url, "-w", tmp_path / "w")
    assert result.returncode == 0, result
    assert os.listdir(tmp_path / "w") == ["gitpkg-1.0-py3-none-any.whl"]
