"""``pyffin.compile``: the Python API behind ``pyffin pip compile``."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

import pyffin.api
from pyffin.cache import Cache
from pyffin.errors import UsageError
from pyffin.resolver import NoSolutionError
from pyffin.settings import IndexSettings
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def session(tmp_path: Path, index_server: IndexServer) -> pyffin.api.Session:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib<2"]))
    index_server.add_wheel(WheelSpec("lib", "1.5"))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    return pyffin.api.Session(Cache(tmp_path / "cache"),
                              index=IndexSettings(index_url=index_server.index_url),
                              no_config=True)


def test_compile_returns_a_typed_resolution(session: pyffin.api.Session) -> None:
    result = pyffin.api.compile(requirements=["app"], session=session)
    assert result.resolution.pins() == {"app": Version("1.0"), "lib": Version("1.5")}
    assert result.resolution["lib"].dependents == ("app",)
    assert "lib==1.5\n    # via app\n" in result.to_requirements_txt()
    assert result.target.markers["python_version"]


def test_compile_raises_typed_errors(session: pyffin.api.Session) -> None:
    with pytest.raises(NoSolutionError, match="unsatisfiable"):
        pyffin.api.compile(requirements=["app", "lib>=2"], session=session)
    with pytest.raises(UsageError, match="no requirements given"):
        pyffin.api.compile(session=session)


def test_the_api_is_reexported_lazily() -> None:
    import subprocess
    import sys

    code = ("import sys, pyffin.api; assert 'pyffin.resolver' not in sys.modules; "
            "pyffin.api.compile; assert 'pyffin.api.resolving' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pyffin_compile_is_the_documented_function_over_the_operation() -> None:
    import pyffin as top
    import pyffin.api.public

    assert top.compile is pyffin.api.public.compile
    assert pyffin.api.compile is pyffin.api.resolving.compile  # what the command line runs


def test_compile_takes_groups_scripts_and_no_deps(session: pyffin.api.Session, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[dependency-groups]\ndev = ["app"]\n')
    assert pyffin.api.compile(groups=["dev"], session=session).resolution.pins() == {
        "app": Version("1.0"), "lib": Version("1.5")}
    assert pyffin.api.compile(groups=["dev"], no_deps=True,
                              session=session).resolution.pins() == {"app": Version("1.0")}
    (tmp_path / "tool.py").write_text('# /// script\n# dependencies = ["lib"]\n# ///\n')
    assert pyffin.api.compile(["tool.py"], session=session).resolution.pins() == {
        "lib": Version("2.0")}


def test_a_session_keeps_the_indexes_it_was_configured_with(session: pyffin.api.Session,
                                                            tmp_path: Path) -> None:
    from pyffin.api.session import IndexConflictError

    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / f"{name}.in").write_text(f"--find-links {tmp_path / name}\napp\n")
    first = pyffin.api.compile([tmp_path / "one.in"], session=session)
    assert first.resolution["app"].version == Version("1.0")
    # Another requirements file's indexes cannot be used by this session's registry: said,
    # not silently ignored.
    with pytest.raises(IndexConflictError, match=f"--find-links {tmp_path / 'two'} .* differs "
                                                 f"from --find-links {tmp_path / 'one'}"):
        pyffin.api.compile([tmp_path / "two.in"], session=session)
    again = pyffin.api.compile([tmp_path / "one.in"], session=session)
    assert again.resolution["app"].version == Version("1.0")


def fresh_session(tmp_path: Path, server: IndexServer) -> pyffin.api.Session:
    return pyffin.api.Session(Cache(tmp_path / "cache"),
                              index=IndexSettings(index_url=server.index_url), no_config=True)


def test_malformed_published_requirements_and_legacy_sdist_names_resolve_as_with_uv(
        tmp_path: Path, index_server: IndexServer) -> None:
    # uv 0.13.9 on this index: django-es==7.2.2, elasticsearch-dsl==7.4.0, pybbox==0.0.5a0.
    index_server.add_wheel(WheelSpec("django-es", "7.2.2", requires_dist=[
        "elasticsearch-dsl (>=7.2.0<8.0.0)", "pybbox>=0.0.5a0"]))
    index_server.add_wheel(WheelSpec("django-es", "7.2.1"))
    index_server.add_wheel(WheelSpec("elasticsearch-dsl", "7.4.0"))
    index_server.add_wheel(WheelSpec("elasticsearch-dsl", "8.0.0"))
    index_server.add_sdist(SdistSpec("pybbox", "0.0.5a0", format="zip",
                                     filename="pybbox-0.0.5-alpha.zip"))
    result = pyffin.api.compile(requirements=["django-es"],
                                session=fresh_session(tmp_path, index_server))
    assert {k: str(v) for k, v in result.resolution.pins().items()} == {
        "django-es": "7.2.2", "elasticsearch-dsl": "7.4.0", "pybbox": "0.0.5a0"}


def test_a_version_without_a_wheel_for_the_target_is_explained_as_uv_does(
        tmp_path: Path, index_server: IndexServer) -> None:
    for version in ("2.14.0", "2.15.0"):
        index_server.add_wheel(WheelSpec("tf", version, tags=[
            "cp39-cp39-manylinux_2_17_x86_64", "cp310-cp310-manylinux_2_17_x86_64",
            "cp311-cp311-manylinux_2_17_x86_64"]))
    with pytest.raises(NoSolutionError) as raised:
        pyffin.api.compile(requirements=["tf==2.15.0"], python_version="3.12",
                           python_platform="x86_64-manylinux_2_28",
                           session=fresh_session(tmp_path, index_server))
    # Word for word uv 0.13.9's on the same index.
    assert str(raised.value) == (
        "Because tf==2.15.0 has no wheels with a matching Python ABI tag (e.g., `cp312`) and you "
        "require tf==2.15.0, we can conclude that your requirements are unsatisfiable.\n\n"
        "hint: You require CPython 3.12 (`cp312`), but we only found wheels for `tf` (v2.15.0) "
        "with the following Python ABI tags: `cp39`, `cp310`, `cp311`")


def test_compile_makes_a_lock_and_sync_installs_it(session: pyffin.api.Session,
                                                   tmp_path: Path) -> None:
    from pyffin.toml import loads

    plain = pyffin.api.compile(requirements=["app"], session=session)
    with pytest.raises(UsageError, match="this result has no lock"):
        plain.to_pylock_toml()
    with pytest.raises(UsageError, match="invalid output format 'json'"):
        pyffin.api.compile(requirements=["app"], session=session,
                           output_format="json")  # type: ignore[arg-type]
    result = pyffin.api.compile(requirements=["app"], session=session,
                                output_format="pylock.toml")
    assert result.lock is not None
    assert [(p.name, p.version) for p in result.lock.packages] == [("app", "1.0"),
                                                                  ("lib", "1.5")]
    text = result.to_pylock_toml(no_emit_packages=["app"])
    assert [p["name"] for p in loads(text)["packages"]] == ["lib"]
    lock = tmp_path / "pylock.toml"
    lock.write_text(result.to_pylock_toml())
    import sys

    from tests.support.cli import pyffin as cli

    venv = tmp_path / "venv"
    assert cli("venv", venv, "--python", sys.executable, cache_dir=tmp_path / "cache"
               ).returncode == 0
    from pyffin.api.install import sync

    installed = sync([lock], python=str(venv / "bin" / "python"), session=session)
    assert installed.installed == [("app", "1.0"), ("lib", "1.5")]


def test_the_collector_rests_from_the_first_page_to_the_solution(
        session: pyffin.api.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages fetched early (before the solver starts, while the target is looked at) are
    parsed with the collector at rest, as everything the solver makes: it would only walk
    them over and over. It collects again once the compile is over."""
    import gc

    from tests.support.collector import collector_while_parsing_pages

    seen = collector_while_parsing_pages(monkeypatch)
    assert gc.isenabled()
    result = pyffin.api.compile(requirements=["app"], session=session)
    assert result.resolution.pins() == {"app": Version("1.0"), "lib": Version("1.5")}
    assert seen and not any(seen)
    assert gc.isenabled()
    with pytest.raises(NoSolutionError):
        pyffin.api.compile(requirements=["app", "lib>=2"], session=session)
    assert gc.isenabled()


def test_a_pinned_git_reference_keeps_the_credentials_as_written() -> None:
    from pyffin.api.resolving import written_requirement
    from pyffin.requirements.types import RequirementEntry

    entry = RequirementEntry(None, "git+https://tok@host/repo@main", given=(
        "git+https://${GIT_TOKEN}@host/repo@main"))
    pinned = "git+https://tok@host/repo@" + "c" * 40
    assert written_requirement("repo", entry, pinned) == (
        "repo @ git+https://${GIT_TOKEN}@host/repo@" + "c" * 40)
    # Variables elsewhere than the credentials: the pinned URL, as without them.
    elsewhere = RequirementEntry(None, "git+https://host/repo@v1", given=(
        "git+https://host/repo@${REV}"))
    assert written_requirement("repo", elsewhere, "git+https://host/repo@" + "c" * 40) is None


def test_a_version_a_page_spells_two_ways_is_one_with_every_file(
        tmp_path: Path, index_server: IndexServer) -> None:
    # foo-1.0.tar.gz listed before foo-1.0.0-py3-none-any.whl: one version, the wheel its
    # best file (the sdist, whose metadata needs a project nowhere, is neither read nor
    # built), both hashed; as uv, cold and warm.
    index_server.add_sdist(SdistSpec("foo", "1.0", requires_dist=["missing-project"]))
    index_server.add_wheel(WheelSpec("foo", "1.0.0"))
    for _ in range(2):
        session = pyffin.api.Session(Cache(tmp_path / "cache"),
                                     index=IndexSettings(index_url=index_server.index_url),
                                     no_config=True)
        result = pyffin.api.compile(requirements=["foo"], session=session, generate_hashes=True)
        text = result.to_requirements_txt()
        assert "foo==1.0.0 \\\n" in text
        assert text.count("--hash=sha256:") == 2


def test_a_universal_compile_takes_the_fork_strategy(tmp_path: Path,
                                                     index_server: IndexServer) -> None:
    """``fork_strategy`` is uv's ``--fork-strategy``: ``fewest`` keeps the one release every
    Python of the range can use, where ``requires-python`` pins the newest for the Pythons
    that have it."""
    index_server.add_wheel(WheelSpec("lib", "1.0", requires_python=">=3.9"),
                           requires_python=">=3.9")
    index_server.add_wheel(WheelSpec("lib", "2.0", requires_python=">=3.11"),
                           requires_python=">=3.11")
    session = pyffin.api.Session(Cache(tmp_path / "cache"),
                                 index=IndexSettings(index_url=index_server.index_url),
                                 no_config=True)

    def pinned(strategy: str) -> str:
        result = pyffin.api.compile(requirements=["lib"], session=session, universal=True,
                                    python_version="3.9", fork_strategy=strategy)
        return result.to_requirements_txt(annotate=False)

    assert pinned("requires-python") == ("lib==1.0 ; python_full_version < '3.11'\n"
                                         "lib==2.0 ; python_full_version >= '3.11'\n")
    assert pinned("fewest") == "lib==1.0\n"
    with pytest.raises(UsageError, match="invalid fork strategy 'most'"):
        pinned("most")
