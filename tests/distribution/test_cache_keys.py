"""A local project's cache keys: what its stamp (and so a rebuild) depends on, as uv's
``tool.uv.cache-keys``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pyffin import log
from pyffin.distribution.cache_keys import DEFAULT_KEYS, cache_key_stamp, project_cache_keys


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    captured: list[str] = []
    monkeypatch.setattr(log, "_warned", set())
    monkeypatch.setattr(log, "_sink", lambda level, message: captured.append(message))
    monkeypatch.setattr(log, "_level", log.WARNING)
    return captured


def project(root: Path, tool: str = "") -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n' + tool)
    return root


def touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def test_the_defaults_are_the_build_files_and_src(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert project_cache_keys(root) == DEFAULT_KEYS
    before = cache_key_stamp(root)
    touch(root / "pkg" / "__init__.py")
    assert cache_key_stamp(root) == before
    (root / "setup.cfg").write_text("")
    assert cache_key_stamp(root) != before
    before = cache_key_stamp(root)
    (root / "src").mkdir()
    assert cache_key_stamp(root) != before


@pytest.mark.parametrize("key", ['"pkg/*.py"', '{ file = "**/*.py" }'])
def test_globs_cover_each_file_they_match(tmp_path: Path, key: str) -> None:
    root = project(tmp_path, f"[tool.pyffin]\ncache-keys = [{key}]\n")
    before = cache_key_stamp(root)
    touch(root / "pkg" / "__init__.py")
    changed = cache_key_stamp(root)
    assert changed != before
    (root / "pkg" / "new.py").write_text("")
    assert cache_key_stamp(root) != changed
    # The keys replace the defaults.
    touch(root / "pyproject.toml")
    (root / "pkg" / "new.py").unlink()
    assert cache_key_stamp(root) == changed


def test_pyffin_keys_win_over_uv_keys(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.uv]\ncache-keys = ["a"]\n[tool.pyffin]\ncache-keys = ["b"]\n')
    assert project_cache_keys(root) == ("b",)
    (root / "pyproject.toml").write_text('[tool.uv]\ncache-keys = [{ file = "a" }]\n')
    assert project_cache_keys(root) == ({"file": "a"},)


def test_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, '[tool.pyffin]\ncache-keys = [{ env = "PYFFIN_TEST_FLAG" }]\n')
    monkeypatch.delenv("PYFFIN_TEST_FLAG", raising=False)
    unset = cache_key_stamp(root)
    monkeypatch.setenv("PYFFIN_TEST_FLAG", "")
    empty = cache_key_stamp(root)
    monkeypatch.setenv("PYFFIN_TEST_FLAG", "1")
    assert len({tuple(unset), tuple(empty), tuple(cache_key_stamp(root))}) == 3


def test_git_commit_and_tags(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.pyffin]\n"
                             "cache-keys = [{ git = { commit = true, tags = true } }]\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    not_a_repository = cache_key_stamp(root)
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    first = cache_key_stamp(root)
    assert first != not_a_repository
    git("tag", "v1")
    tagged = cache_key_stamp(root)
    assert tagged != first
    git("commit", "-q", "--allow-empty", "-m", "two")
    assert cache_key_stamp(root) not in (first, tagged)


def test_a_malformed_key_is_skipped_with_a_warning(tmp_path: Path,
                                                   warnings: list[str]) -> None:
    root = project(tmp_path, '[tool.pyffin]\ncache-keys = [{ folder = "src" }, "setup.py"]\n')
    assert cache_key_stamp(root) == ["setup.py:-"]
    assert warnings == [f"Ignoring the cache key {{'folder': 'src'}} of {root}: expected a path, "
                        "or a table with one of file, dir, env or git"]
