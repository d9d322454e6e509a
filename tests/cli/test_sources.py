"""Source distributions, direct URLs, git and local paths end to end (issue 6): they resolve,
build once, install, and rebuild exactly when their source changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.interpreter.conftest import pyenv_python
from tests.support.cli import Result, child_env, pyffin, run
from tests.support.dists import SdistSpec, WheelSpec, build_sdist, write_source_tree
from tests.support.index import IndexServer


@pytest.fixture
def backend_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "backend.log"
    monkeypatch.setenv("PYFFIN_TEST_BACKEND_LOG", str(log))
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    """The backend hook calls so far, as the test backend logs them."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def hooks(log: Path, name: str | None = None) -> list[str]:
    """The backend hooks called so far (for ``name``)."""
    return [c["hook"] for c in calls(log) if name is None or c["name"] == name]


def builds(log: Path, name: str | None = None) -> int:
    return sum(1 for h in hooks(log, name) if h in ("build_wheel", "build_editable"))


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    return env


def install(venv: Path, *args: str | Path, index: IndexServer | None = None) -> Result:
    extra: list[str | Path] = ["--index-url", index.index_url] if index else ["--no-index"]
    return pyffin("pip", "install", *args, "--python", venv / "bin" / "python", *extra,
                  "--cache-dir", venv.parent / "cache")


def compile_(tmp_path: Path, text: str, *args: str | Path,
             index: IndexServer | None = None) -> Result:
    source = tmp_path / "requirements.in"
    source.write_text(text)
    extra: list[str | Path] = ["--index-url", index.index_url] if index else ["--no-index"]
    return pyffin("pip", "compile", source, *extra, "--cache-dir", tmp_path / "cache",
                  "--no-header", "--no-annotate", *args)


def python(venv: Path, code: str) -> str:
    return subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True,
                          check=True).stdout


def freeze(venv: Path) -> str:
    return pyffin("pip", "freeze", "--python", venv / "bin" / "python").stdout


# ---------------------------------------------------------------------------- registry sdists
@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_registry_sdists_resolve_install_and_build_once(
        index_server: IndexServer, venv: Path, backend_log: Path, fmt: str) -> None:
    index_server.add_sdist(SdistSpec("lib", "1.0", format=fmt,  # type: ignore[arg-type]
                                     files={"lib/__init__.py": "VALUE = 'built'\n"}))
    index_server.add_sdist(SdistSpec("app", "1.0", requires_dist=["lib"], dynamic=["Requires-Dist"],
                                     static_pyproject=False, format=fmt))  # type: ignore[arg-type]
    result = install(venv, "app", index=index_server)
    assert result.returncode == 0, result
    assert result.stderr.endswith(" + app==1.0\n + lib==1.0\n")
    assert python(venv, "import lib; print(lib.VALUE)") == "built\n"
    # lib's PKG-INFO (Metadata 2.2, nothing dynamic) is enough; app's dynamic dependencies need
    # its backend's prepare_metadata hook.
    assert "prepare_metadata_for_build_wheel" not in hooks(backend_log, "lib")
    assert "prepare_metadata_for_build_wheel" in hooks(backend_log, "app")
    assert builds(backend_log) == 2

    other = venv.parent / "other"
    pyffin("venv", other, "--python", sys.executable, "--cache-dir", venv.parent / "cache")
    again = install(other, "app", index=index_server)
    assert again.returncode == 0, again
    assert builds(backend_log) == 2  # built wheels are reused from the cache
    assert index_server.count(f"/files/lib-1.0.{fmt}") == 1


def leftovers(cache: Path) -> list[str]:
    """What a command left in the cache's temporary directory and build environments."""
    return sorted(os.path.relpath(p, cache) for bucket in (".tmp", "builds-v0")
                  if (cache / bucket).is_dir() for p in (cache / bucket).iterdir())


def test_an_unpinned_sdist_is_built_where_its_metadata_was_prepared(
        index_server: IndexServer, venv: Path, backend_log: Path) -> None:
    # As pip does: one tree, one build environment (its requirements asked for once).
    index_server.add_sdist(SdistSpec("app", "1.0", dynamic=["Requires-Dist"],
                                     static_pyproject=False))
    result = install(venv, "app", index=index_server)
    assert result.returncode == 0, result
    assert hooks(backend_log, "app") == ["get_requires_for_build_wheel",
                                         "prepare_metadata_for_build_wheel", "build_wheel"]
    assert len({call["cwd"] for call in calls(backend_log)}) == 1
    assert leftovers(venv.parent / "cache") == []


def test_what_a_resolution_prepared_and_left_is_removed_after_the_install(
        index_server: IndexServer, venv: Path, backend_log: Path) -> None:
    # app 2.0 needs lib, whose metadata (from its backend) needs what no index has: the
    # resolution settles on app 1.0, and lib's tree and environment are not kept past it.
    index_server.add_sdist(SdistSpec("app", "2.0", requires_dist=["lib"]))
    index_server.add_sdist(SdistSpec("app", "1.0"))
    index_server.add_sdist(SdistSpec("lib", "1.0", requires_dist=["missing"],
                                     dynamic=["Requires-Dist"], static_pyproject=False))
    result = install(venv, "app", index=index_server)
    assert result.returncode == 0, result
    assert freeze(venv) == "app==1.0\n"
    assert hooks(backend_log, "lib") == ["get_requires_for_build_wheel",
                                         "prepare_metadata_for_build_wheel"]
    assert leftovers(venv.parent / "cache") == []


def test_a_failed_build_of_a_prepared_sdist_leaves_nothing_behind(
        index_server: IndexServer, venv: Path) -> None:
    index_server.add_sdist(SdistSpec("broken", "1.0", fail_build="the compiler exploded",
                                     dynamic=["Requires-Dist"], static_pyproject=False))
    result = install(venv, "broken", index=index_server)
    assert result.returncode == 1 and "the compiler exploded" in result.stderr
    assert leftovers(venv.parent / "cache") == []


def test_a_failing_build_shows_the_backend_output(index_server: IndexServer, venv: Path) -> None:
    index_server.add_sdist(SdistSpec("broken", "1.0", fail_build="the compiler exploded"))
    result = install(venv, "broken", index=index_server)
    assert result.returncode == 1
    assert "broken-1.0.tar.gz" in result.stderr
    assert "the compiler exploded" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr.split("the compiler")[0]


@pytest.mark.parametrize("verbosity", [[], ["-q"], ["-qq"]])
def test_backend_output_and_warnings_are_not_shown_when_a_build_succeeds(
        index_server: IndexServer, venv: Path, verbosity: list[str]) -> None:
    """Backends talk a lot (setuptools warns of its deprecations dozens of times): as uv,
    only a failure or -v shows it."""
    index_server.add_sdist(SdistSpec("lib", "1.0"))
    # A child process: in this one, pytest would catch what the warnings module prints.
    result = run(["pip", "install", "lib", "--python", venv / "bin" / "python", "--index-url",
                  index_server.index_url, "--cache-dir", venv.parent / "cache", *verbosity],
                 env={"PYFFIN_TEST_BACKEND_NOISE": "3"})
    assert result.returncode == 0, result
    assert "noise" not in result.stderr and "warning" not in result.stderr.lower(), result
    assert "noise" not in result.stdout


def test_backend_output_and_warnings_are_shown_with_v_and_on_failure(
        index_server: IndexServer, venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_TEST_BACKEND_NOISE", "2")
    index_server.add_sdist(SdistSpec("lib", "1.0"))
    index_server.add_sdist(SdistSpec("broken", "1.0", fail_build="the compiler exploded"))
    verbose = install(venv, "lib", "-v", index=index_server)
    assert verbose.returncode == 0, verbose
    for text in ("noise 1 on stdout", "noise 1 on stderr", "warning: pyffin_test_backend: "
                 "warning 1"):
        assert text in verbose.stderr
    assert "BuildBackendWarning" not in verbose.stderr
    # A hook that fails writes no answer, so its warnings are lost (pyproject_hooks records
    # them in the hook's process); what it printed is shown.
    failed = install(venv, "broken", index=index_server)
    assert failed.returncode == 1
    assert "noise 1 on stderr" in failed.stderr.split("backend output")[1]


def test_no_build_refuses_sdists(index_server: IndexServer, venv: Path) -> None:
    index_server.add_sdist(SdistSpec("lib", "1.0"))
    result = install(venv, "lib", "--no-build", index=index_server)
    assert result.returncode == 1


def test_a_hostile_sdist_is_refused_and_nothing_is_written_outside(
        index_server: IndexServer, venv: Path, tmp_path: Path) -> None:
    import io
    import tarfile

    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as tar:
        for name, data in [("evil-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: evil\n"
                                                  b"Version: 1.0\n"),
                           ("evil-1.0/../../escaped.txt", b"boom")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = tmp_path / "evil-1.0.tar.gz"
    archive.write_bytes(payload.getvalue())
    index_server.add_file(archive)
    result = install(venv, "evil", index=index_server)
    assert result.returncode == 1
    assert "evil-1.0.tar.gz" in result.stderr and "escaped.txt" in result.stderr
    assert not list(tmp_path.rglob("escaped.txt"))


def test_two_processes_resolving_one_sdist_build_it_once(index_server: IndexServer,
                                                        tmp_path: Path, backend_log: Path) -> None:
    index_server.add_sdist(SdistSpec("lib", "1.0", dynamic=["Requires-Dist"],
                                     static_pyproject=False))
    (tmp_path / "r.in").write_text("lib\n")
    args = [sys.executable, "-m", "pyffin", "pip", "compile", str(tmp_path / "r.in"),
            "--index-url", index_server.index_url, "--cache-dir", str(tmp_path / "cache")]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=child_env()) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "lib==1.0" in out
    assert hooks(backend_log, "lib").count("prepare_metadata_for_build_wheel") == 1


def test_build_requirements_are_installed_by_pyffin(index_server: IndexServer, venv: Path,
                                                    backend_log: Path) -> None:
    # A build requirement that is itself only an sdist goes through the same machinery.
    index_server.add_sdist(SdistSpec("helper", "1.0"))
    index_server.add_sdist(SdistSpec("app", "1.0", build_requires=["helper"]))
    result = install(venv, "app", index=index_server)
    assert result.returncode == 0, result
    assert freeze(venv) == "app==1.0\n"  # helper went into the build environment only
    assert builds(backend_log, "helper") == 1


def test_a_build_dependency_cycle_is_reported(index_server: IndexServer, venv: Path) -> None:
    index_server.add_sdist(SdistSpec("a", "1.0", build_requires=["b"]))
    index_server.add_sdist(SdistSpec("b", "1.0", build_requires=["a"]))
    result = install(venv, "a", index=index_server)
    assert result.returncode == 1
    assert "build dependency cycle" in result.stderr


# ------------------------------------------------------------ metadata without building (issue 18)
def unbuildable(name: str, version: str, requires_dist: list[str]) -> SdistSpec:
    """An sdist whose metadata only its backend knows and whose backend cannot even be set
    up here (like an old scipy needing Fortran, or gssapi needing krb5-config)."""
    return SdistSpec(name, version, requires_dist=requires_dist, dynamic=["Requires-Dist"],
                     static_pyproject=False, build_requires=["missing-build-tool"],
                     fail_build="needs a Fortran compiler")


def sdist_requests(index: IndexServer) -> list[str]:
    return [r.path for r in index.request_log if r.path.endswith((".tar.gz", ".zip"))]


def test_a_version_left_out_because_its_sdist_did_not_build_is_named_in_a_warning(
        index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uv stops at such a build; pyffin resolves without that version, and says so."""
    from pyffin import log

    monkeypatch.setattr(log, "_warned", set())  # warned once per process: this one's
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_sdist(unbuildable("lib", "2.0", []))
    result = compile_(tmp_path, "lib\n", index=index_server)
    assert result.returncode == 0, result
    assert result.stdout.splitlines() == ["lib==1.0"]
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warning.startswith(
        "warning: lib==2.0 was left out: its source distribution failed to build (")
    assert warning.endswith("); lib==1.0 was chosen instead")


def test_a_version_installed_from_its_sdist_resolves_from_another_wheel_without_building(
        index_server: IndexServer, tmp_path: Path, venv: Path, backend_log: Path) -> None:
    # native 1.0 offers this machine only its sdist, but wheels for other Pythons and
    # platforms: uv reads one of those wheels' metadata, and so does pyffin.
    index_server.add_wheel(WheelSpec("native", "1.0", tags=["cp310-cp310-macosx_11_0_arm64"],
                                     requires_dist=["helper"]))
    index_server.add_wheel(WheelSpec("native", "1.0", tags=["cp310-cp310-win_amd64"],
                                     requires_dist=["helper"]))
    index_server.add_sdist(unbuildable("native", "1.0", ["helper"]))
    index_server.add_wheel(WheelSpec("helper", "1.0"))
    result = compile_(tmp_path, "native\n", index=index_server)
    assert result.returncode == 0, result
    assert result.stdout.splitlines() == ["helper==1.0", "native==1.0"]
    assert hooks(backend_log) == []
    assert sdist_requests(index_server) == []
    # Installing it is another matter: that builds the sdist (which fails here), and only then.
    installed = install(venv, "native", index=index_server)
    assert installed.returncode == 1
    assert "cannot resolve the build requirements of native-1.0.tar.gz" in installed.stderr
    assert sdist_requests(index_server) == ["/files/native-1.0.tar.gz"]


def test_an_older_candidate_without_a_usable_wheel_is_judged_by_another_wheel(
        index_server: IndexServer, tmp_path: Path, backend_log: Path) -> None:
    # dep is decided first (2.0); lib 2.0 wants dep<2, so lib 1.0 is tried: its sdist cannot be
    # built, but its macOS wheel tells that it wants dep<1, so the solver goes back to dep 1.0.
    # uv 0.13.9 against this index: dep==1.0, lib==2.0.
    index_server.add_wheel(WheelSpec("dep", "1.0"))
    index_server.add_wheel(WheelSpec("dep", "2.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0", requires_dist=["dep<2"]))
    index_server.add_wheel(WheelSpec("lib", "1.0", tags=["cp310-cp310-macosx_11_0_arm64"],
                                     requires_dist=["dep<1"]))
    index_server.add_sdist(unbuildable("lib", "1.0", ["dep<1"]))
    result = compile_(tmp_path, "dep\nlib\n", index=index_server)
    assert result.returncode == 0, result
    assert result.stdout.splitlines() == ["dep==1.0", "lib==2.0"]
    assert hooks(backend_log) == []
    assert sdist_requests(index_server) == []


def test_an_older_candidate_whose_sdist_cannot_be_built_is_set_aside(
        index_server: IndexServer, tmp_path: Path) -> None:
    # As above, but lib 1.0 has no wheel at all: its metadata cannot be had, so it cannot be
    # chosen, and the solver goes on (uv 0.13.9 stops with "Failed to build lib==1.0").
    index_server.add_wheel(WheelSpec("dep", "1.0"))
    index_server.add_wheel(WheelSpec("dep", "2.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0", requires_dist=["dep<2"]))
    index_server.add_sdist(unbuildable("lib", "1.0", ["dep<1"]))
    result = compile_(tmp_path, "dep\nlib\n", index=index_server)
    assert result.returncode == 0, result
    assert result.stdout.splitlines() == ["dep==1.0", "lib==2.0"]


@pytest.fixture
def docs_site(index_server: IndexServer) -> IndexServer:
    """A documentation tool whose plugins are pure-Python sdist-only releases (like
    mkdocs-exclude 1.0.2 or werkzeug 3.0.1 for some targets), and a native dependency whose
    newest release has wheels for Linux only."""
    s = index_server
    s.add_wheel(WheelSpec("site-tool", "1.0", requires_dist=[
        "exclude-plugin", "werk>=2", "native", 'colorama; sys_platform == "win32"']))
    # Metadata 2.1 and dynamic dependencies: only the backend's metadata hook can tell.
    s.add_sdist(SdistSpec("exclude-plugin", "1.0", requires_dist=["docs-core>=1"],
                          metadata_version="2.1", static_pyproject=False))
    s.add_wheel(WheelSpec("docs-core", "1.0"))
    s.add_wheel(WheelSpec("docs-core", "1.1"))
    s.add_wheel(WheelSpec("werk", "3.0.0", requires_dist=["markup>=2"]))
    s.add_sdist(SdistSpec("werk", "3.0.1", requires_dist=["markup>=2.1"]))  # static PKG-INFO
    s.add_wheel(WheelSpec("markup", "2.0"))
    s.add_wheel(WheelSpec("markup", "2.1"))
    for tags in (["cp312-cp312-manylinux_2_17_x86_64"], ["cp312-cp312-macosx_11_0_arm64"],
                 ["cp312-cp312-win_amd64"]):
        s.add_wheel(WheelSpec("native", "1.0", tags=tags))
    s.add_wheel(WheelSpec("native", "2.0", tags=["cp312-cp312-manylinux_2_17_x86_64"],
                          requires_dist=["helper"]))
    s.add_sdist(unbuildable("native", "2.0", ["helper"]))
    s.add_wheel(WheelSpec("helper", "1.0"))
    s.add_wheel(WheelSpec("colorama", "0.4"))
    return s


# What uv 0.13.9 answers against the docs_site index (`uv pip compile --python-version 3.12
# --python-platform <platform>`).
UV_DOCS_SITE = {
    "macos": ["docs-core==1.1", "exclude-plugin==1.0", "helper==1.0", "markup==2.1",
              "native==2.0", "site-tool==1.0", "werk==3.0.1"],
    "windows": ["colorama==0.4", "docs-core==1.1", "exclude-plugin==1.0", "helper==1.0",
                "markup==2.1", "native==2.0", "site-tool==1.0", "werk==3.0.1"],
}


@pytest.mark.parametrize("platform", sorted(UV_DOCS_SITE))
def test_other_platforms_read_sdist_metadata_as_uv_does(
        docs_site: IndexServer, tmp_path: Path, backend_log: Path, platform: str) -> None:
    result = compile_(tmp_path, "site-tool\n", "--python-version", "3.12",
                      "--python-platform", platform, index=docs_site)
    assert result.returncode == 0, result
    assert result.stdout.splitlines() == UV_DOCS_SITE[platform]
    # Static metadata where there is some, the metadata hook (run here) where there is not,
    # another wheel's metadata for native 2.0; nothing built.
    assert hooks(backend_log) == ["get_requires_for_build_wheel",
                                  "prepare_metadata_for_build_wheel"]
    assert hooks(backend_log, "exclude-plugin") == hooks(backend_log)
    assert builds(backend_log) == 0


@pytest.mark.skipif(pyenv_python("3.12") is None, reason="needs a pyenv Python 3.12")
def test_sources_are_built_by_an_interpreter_of_the_target_python_version(
        docs_site: IndexServer, tmp_path: Path, backend_log: Path) -> None:
    result = compile_(tmp_path, "exclude-plugin\n", "--python-version", "3.12",
                      index=docs_site)
    assert result.returncode == 0, result
    assert "not available" not in result.stderr
    assert {call["python"] for call in calls(backend_log)} == {"3.12"}


def test_without_an_interpreter_of_the_target_version_the_host_builds_with_a_warning(
        docs_site: IndexServer, tmp_path: Path, backend_log: Path) -> None:
    result = compile_(tmp_path, "exclude-plugin\n", "--python-version", "3.99",
                      index=docs_site)
    assert result.returncode == 0, result
    host = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert "warning: The requested Python version 3.99 is not available; CPython " \
           f"{host}" in result.stderr
    assert "will be used to build dependencies instead" in result.stderr
    assert {call["python"] for call in calls(backend_log)} == {host}
    # Nothing to build, nothing to say.
    quiet = compile_(tmp_path, "werk\n", "--python-version", "3.99", index=docs_site)
    assert quiet.returncode == 0 and "not available" not in quiet.stderr


# ------------------------------------------------------------------------------- direct URLs
def test_url_sdists_with_any_filename(index_server: IndexServer, venv: Path,
                                      backend_log: Path) -> None:
    archive = build_sdist(SdistSpec("lib", "1.0", filename="master.zip", format="zip",
                                    files={"lib/__init__.py": "VALUE = 'url'\n"}),
                          venv.parent / "archives")
    index_server.add_file(archive, project="lib")
    url = index_server.file_url("master.zip")
    result = install(venv, f"lib @ {url}")
    assert result.returncode == 0, result
    assert python(venv, "import lib; print(lib.VALUE)") == "url\n"
    [dist_info] = (venv / "lib").glob("python3.*/site-packages/lib-1.0.dist-info")
    direct_url = json.loads((dist_info / "direct_url.json").read_text())
    assert direct_url["url"] == url and "archive_info" in direct_url
    assert freeze(venv) == f"lib @ {url}\n"


def test_a_url_sdist_is_rebuilt_when_it_changes_upstream(index_server: IndexServer,
                                                         tmp_path: Path,
                                                         backend_log: Path) -> None:
    index_server.set_max_age(0)  # every use revalidates with the server
    spec = SdistSpec("lib", "1.0", dynamic=["Requires-Dist"], static_pyproject=False)
    index_server.add_sdist(spec)
    url = index_server.file_url("lib-1.0.tar.gz")
    assert compile_(tmp_path, f"lib @ {url}\n").returncode == 0
    assert compile_(tmp_path, f"lib @ {url}\n").returncode == 0  # 304: same revision
    assert hooks(backend_log, "lib").count("prepare_metadata_for_build_wheel") == 1
    index_server.replace_file(build_sdist(SdistSpec("lib", "1.0", requires_dist=["extra"],
                                                    dynamic=["Requires-Dist"],
                                                    static_pyproject=False),
                                          tmp_path / "new"))
    index_server.add_wheel(WheelSpec("extra", "1.0"))
    changed = compile_(tmp_path, f"lib @ {url}\n", index=index_server)
    assert changed.returncode == 0, changed
    assert "extra==1.0" in changed.stdout
    assert hooks(backend_log, "lib").count("prepare_metadata_for_build_wheel") == 2


def test_a_url_with_a_wrong_hash_is_refused_before_unpacking(index_server: IndexServer,
                                                             tmp_path: Path) -> None:
    index_server.add_sdist(SdistSpec("lib", "1.0"))
    url = index_server.file_url("lib-1.0.tar.gz") + "#sha256=" + "0" * 64
    result = compile_(tmp_path, f"lib @ {url}\n")
    assert result.returncode == 1 and "hash mismatch" in result.stderr
    assert not list((tmp_path / "cache").rglob("PKG-INFO"))


def test_wheels_by_url_and_path(index_server: IndexServer, venv: Path, tmp_path: Path,
                                dist_dir: Path) -> None:
    wheel = index_server.add_wheel(WheelSpec("lib", "1.0"))
    local = index_server.add_wheel(WheelSpec("other", "2.0"))
    compiled = compile_(tmp_path, f"lib @ {index_server.file_url(wheel.name)}\n{local}\n")
    assert compiled.returncode == 0, compiled
    assert compiled.stdout == (f"lib @ {index_server.file_url(wheel.name)}\n"
                               f"{local}\n")  # as given, as uv writes it
    assert install(venv, f"lib @ {index_server.file_url(wheel.name)}", str(local)
                   ).returncode == 0
    assert python(venv, "import lib, other; print('ok')") == "ok\n"


# ----------------------------------------------------------------------------------------- git
def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
                          ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_source_tree(SdistSpec("gitpkg", "1.0", files={"gitpkg/__init__.py": "V = 1\n"}),
                      root / "sub")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    git(root, "tag", "v1")
    (root / "sub" / "gitpkg" / "__init__.py").write_text("V = 2\n")
    git(root, "commit", "-q", "-am", "two")
    return root


def test_git_requirements_resolve_to_a_pinned_commit_and_install(repo: Path, tmp_path: Path,
                                                                 venv: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    first = git(repo, "rev-parse", "v1")
    url = f"git+{repo.as_uri()}@main#subdirectory=sub"
    compiled = compile_(tmp_path, f"gitpkg @ {url}\n")
    assert compiled.returncode == 0, compiled
    assert compiled.stdout == f"gitpkg @ git+{repo.as_uri()}@{head}#subdirectory=sub\n"
    assert install(venv, f"gitpkg @ git+{repo.as_uri()}@v1#subdirectory=sub").returncode == 0
    assert python(venv, "import gitpkg; print(gitpkg.V)") == "1\n"
    [dist_info] = (venv / "lib").glob("python3.*/site-packages/gitpkg-1.0.dist-info")
    record = json.loads((dist_info / "direct_url.json").read_text())
    assert record["vcs_info"] == {"vcs": "git", "commit_id": first, "requested_revision": "v1"}
    assert record["subdirectory"] == "sub"
    assert freeze(venv) == f"gitpkg @ git+{repo.as_uri()}@{first}#subdirectory=sub\n"
    assert install(venv, f"gitpkg @ git+{repo.as_uri()}@{head}#subdirectory=sub"
                   ).returncode == 0
    assert python(venv, "import gitpkg; print(gitpkg.V)") == "2\n"


# ------------------------------------------------------------------------ local paths, editables
def test_local_directories_and_editables(tmp_path: Path, venv: Path, backend_log: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0",
                                          files={"local/__init__.py": "V = 1\n"}),
                                tmp_path / "local")
    result = install(venv, str(project))
    assert result.returncode == 0, result
    assert python(venv, "import local; print(local.V)") == "1\n"
    editable = install(venv, "-e", str(project))
    assert editable.returncode == 0, editable
    (project / "local" / "__init__.py").write_text("V = 2\n")
    assert python(venv, "import local; print(local.V)") == "2\n"  # the source, not a copy
    [dist_info] = (venv / "lib").glob("python3.*/site-packages/local-1.0.dist-info")
    record = json.loads((dist_info / "direct_url.json").read_text())
    assert record == {"url": project.as_uri(), "dir_info": {"editable": True}}
    assert freeze(venv) == f"-e {project.as_uri()}\n"
    assert json.loads(pyffin("pip", "list", "--format", "json", "--python",
                             venv / "bin" / "python").stdout) == [
        {"name": "local", "version": "1.0", "editable_project_location": str(project)}]


def test_an_editable_project_with_a_static_project_table_is_resolved_without_a_hook(
        tmp_path: Path, venv: Path, backend_log: Path) -> None:
    # As uv: what [project] states is what the backend must report (PEP 621, PEP 660), so the
    # resolution reads it; the one hook is the editable build (~0.5 s less for hatchling).
    project = write_source_tree(SdistSpec("local", "1.0", requires_dist=["dep"],
                                          files={"local/__init__.py": "V = 1\n"}),
                                tmp_path / "local")
    write_source_tree(SdistSpec("dep", "1.0"), tmp_path / "dep")
    result = install(venv, "-e", str(project), "-e", str(tmp_path / "dep"))
    assert result.returncode == 0, result
    assert hooks(backend_log, "local") == ["get_requires_for_build_editable", "build_editable"]
    assert python(venv, "import local, dep; print(local.V)") == "1\n"


def test_touching_pyproject_rebuilds_a_local_project(tmp_path: Path, backend_log: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", dynamic=["Requires-Dist"],
                                          static_pyproject=False), tmp_path / "local")
    for _ in range(2):
        assert compile_(tmp_path, f"{project}\n").returncode == 0
    assert hooks(backend_log, "local").count("prepare_metadata_for_build_wheel") == 1
    stat = (project / "pyproject.toml").stat()
    os.utime(project / "pyproject.toml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert compile_(tmp_path, f"{project}\n").returncode == 0
    assert hooks(backend_log, "local").count("prepare_metadata_for_build_wheel") == 2


def requirements_file(tmp_path: Path, *lines: str | Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


@pytest.mark.parametrize("option", [["--reinstall"], ["--reinstall-package", "local"],
                                    ["--refresh"], ["--refresh-package", "local"]])
def test_reinstall_or_refresh_rebuilds_an_edited_local_project(
        tmp_path: Path, venv: Path, backend_log: Path, option: list[str]) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", files={"local/__init__.py": "V = 1\n"}),
                                tmp_path / "local")
    # From a requirements file: a source tree named on the command line is always built again.
    listed = requirements_file(tmp_path, project)
    assert install(venv, "-r", listed).returncode == 0
    (project / "local" / "__init__.py").write_text("V = 2\n")
    # Not one of its cache keys (pyproject.toml, setup.py, setup.cfg): the wheel built before
    # is still the project's, as uv has it.
    assert install(venv, "-r", listed).returncode == 0
    assert python(venv, "import local; print(local.V)") == "1\n"
    assert builds(backend_log, "local") == 1
    again = install(venv, "-r", listed, *option)
    assert again.returncode == 0, again
    assert python(venv, "import local; print(local.V)") == "2\n"
    assert builds(backend_log, "local") == 2
    assert "Replacing the existing built wheel" not in again.stderr


def test_reinstall_rebuilds_an_editable_project(tmp_path: Path, venv: Path,
                                                backend_log: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0"), tmp_path / "local")
    assert install(venv, "-e", str(project)).returncode == 0
    assert install(venv, "-e", str(project), "--reinstall").returncode == 0
    assert hooks(backend_log, "local").count("build_editable") == 2
    assert len(list((tmp_path / "cache").glob("sdists-v0/path/*/*/editable/*.whl"))) == 1


def edit_version(project: Path, version: str) -> None:
    """Change the version the backend reports, in none of the project's cache keys (as a
    version read from ``__init__.py`` by the backend)."""
    spec_file = project / "_backend" / "spec.json"
    spec = json.loads(spec_file.read_text())
    spec["version"] = version
    spec_file.write_text(json.dumps(spec))


@pytest.mark.parametrize("editable", [False, True], ids=["regular", "editable"])
def test_a_source_tree_named_on_the_command_line_is_built_and_installed_again(
        tmp_path: Path, venv: Path, backend_log: Path, editable: bool) -> None:
    """As uv: ``install .`` after an edit installs the edit, whatever the cache keys say."""
    project = write_source_tree(SdistSpec("local", "1.0", static_pyproject=False,
                                          files={"local/__init__.py": "V = 1\n"}),
                                tmp_path / "local")
    given = ["-e", str(project)] if editable else [str(project)]
    assert install(venv, *given).returncode == 0
    unchanged = install(venv, *given)
    assert unchanged.returncode == 0, unchanged
    assert " ~ local==1.0 (from " in unchanged.stderr
    assert builds(backend_log, "local") == 2
    edit_version(project, "1.1")
    (project / "local" / "__init__.py").write_text("V = 2\n")
    edited = install(venv, *given)
    assert edited.returncode == 0, edited
    assert " - local==1.0 (from " in edited.stderr and " + local==1.1 (from " in edited.stderr
    assert python(venv, "import local; print(local.V)") == "2\n"
    assert builds(backend_log, "local") == 3
    [dist_info] = (venv / "lib").glob("python3.*/site-packages/local-*.dist-info")
    assert dist_info.name == "local-1.1.dist-info"


@pytest.mark.parametrize("editable", [False, True], ids=["regular", "editable"])
def test_a_source_tree_in_a_requirements_file_is_not_built_again(
        tmp_path: Path, venv: Path, backend_log: Path, editable: bool) -> None:
    """Only the command line's trees are: a requirements file's keeps what its cache keys
    keep, as uv does."""
    project = write_source_tree(SdistSpec("local", "1.0", static_pyproject=False),
                                tmp_path / "local")
    listed = requirements_file(tmp_path, f"-e {project}" if editable else project)
    assert install(venv, "-r", listed).returncode == 0
    edit_version(project, "1.1")
    again = install(venv, "-r", listed)
    assert again.returncode == 0, again
    assert "local==1.1" not in again.stderr
    assert builds(backend_log, "local") == 1
    [dist_info] = (venv / "lib").glob("python3.*/site-packages/local-*.dist-info")
    assert dist_info.name == "local-1.0.dist-info"


@pytest.mark.parametrize("table", ["pyffin", "uv"])
@pytest.mark.parametrize("key", ['"local/*.py"', '{ file = "local/**/*.py" }'])
def test_cache_keys_name_what_rebuilds_a_local_project(
        tmp_path: Path, venv: Path, backend_log: Path, table: str, key: str) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", files={"local/__init__.py": "V = 1\n"}),
                                tmp_path / "local")
    with open(project / "pyproject.toml", "a") as f:
        f.write(f"\n[tool.{table}]\ncache-keys = [{key}]\n")
    listed = requirements_file(tmp_path, project)
    assert install(venv, "-r", listed).returncode == 0
    assert install(venv, "-r", listed).returncode == 0
    assert builds(backend_log, "local") == 1
    (project / "local" / "__init__.py").write_text("V = 2\n")
    result = install(venv, "-r", listed)
    assert result.returncode == 0 and result.stderr.count("warning") == 0, result
    assert python(venv, "import local; print(local.V)") == "2\n"
    assert builds(backend_log, "local") == 2


def test_config_settings_reach_the_backend(tmp_path: Path, venv: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0"), tmp_path / "local")
    result = install(venv, str(project), "-C", "mode=fast", "-C", "flag=1")
    assert result.returncode == 0, result
    [record] = (venv / "lib").glob("python3.*/site-packages/local-1.0.dist-info/"
                                   "pyffin_test_backend.json")
    assert json.loads(record.read_text())["config_settings"] == {"mode": "fast", "flag": "1"}


def installed_settings(venv: Path, name: str) -> Any:
    [record] = (venv / "lib").glob(f"python3.*/site-packages/{name}-1.0.dist-info/"
                                   "pyffin_test_backend.json")
    return json.loads(record.read_text())["config_settings"]


def test_built_wheels_are_kept_per_config_settings_and_isolation(
        index_server: IndexServer, tmp_path: Path, backend_log: Path) -> None:
    """A wheel built with other -C settings, or without isolation, is another wheel; the
    same options find the one built before."""
    index_server.add_sdist(SdistSpec("lib", "1.0"))
    project = write_source_tree(SdistSpec("local", "1.0"), tmp_path / "local")
    listed = requirements_file(tmp_path, project)  # (on the command line: always built)
    runs: list[tuple[list[str], Any]] = [
        (["-C", "mode=fast"], {"mode": "fast"}),
        (["-C", "mode=slow"], {"mode": "slow"}),
        ([], {}),
        (["--no-build-isolation"], {}),
        (["-C", "mode=fast"], {"mode": "fast"}),  # built before: reused
    ]
    for i, (options, expected) in enumerate(runs):
        env = tmp_path / f"env{i}"
        assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                      tmp_path / "cache").returncode == 0
        result = install(env, "lib", "-r", listed, *options, index=index_server)
        assert result.returncode == 0, result
        assert installed_settings(env, "lib") == expected
        assert installed_settings(env, "local") == expected
    assert builds(backend_log, "lib") == builds(backend_log, "local") == 4


def test_metadata_from_the_backend_is_kept_per_config_settings(tmp_path: Path,
                                                               backend_log: Path) -> None:
    project = write_source_tree(SdistSpec("local", "1.0", dynamic=["Requires-Dist"],
                                          static_pyproject=False), tmp_path / "local")
    for options in (["-C", "a=1"], ["-C", "a=2"], ["-C", "a=1"], []):
        assert compile_(tmp_path, f"{project}\n", *options).returncode == 0
    prepared = [c["config_settings"] for c in calls(backend_log)
                if c["hook"] == "prepare_metadata_for_build_wheel"]
    assert prepared == [{"a": "1"}, {"a": "2"}, {}]


@pytest.mark.network
@pytest.mark.parametrize("backend", ["setuptools", "hatchling"])
def test_real_backends_from_the_public_index(tmp_path: Path, venv: Path, backend: str) -> None:
    project = tmp_path / f"real-{backend}"
    (project / "realpkg").mkdir(parents=True)
    (project / "realpkg" / "__init__.py").write_text("V = 'real'\n")
    build_backend = {"setuptools": "setuptools.build_meta", "hatchling": "hatchling.build"}
    (project / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["{backend}"]\nbuild-backend = "{build_backend[backend]}"\n'
        '[project]\nname = "realpkg"\nversion = "0.1"\ndependencies = []\n')
    result = pyffin("pip", "install", project, "--python", venv / "bin" / "python",
                    "--index-url", "https://pypi.org/simple", "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    assert python(venv, "import realpkg; print(realpkg.V)") == "real\n"
