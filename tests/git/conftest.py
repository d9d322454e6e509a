from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyffin.cache import Cache
from pyffin.git import GitSource
from tests.git.repos import Repo, git_environment

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in git_environment().items():
        monkeypatch.setenv(name, value)


@dataclass
class Origin:
    """The remote repository of a test project.

    ``main``: ``v1`` (tagged ``v1.0``, annotated, and ``light``), then ``v2`` (adds the submodule
    ``vendor`` → ``../library``, that is :attr:`library`); ``feature``: ``v2`` then ``v3``.
    """

    repo: Repo
    library: Repo
    v1: str
    v2: str
    v3: str

    @property
    def url(self) -> str:
        return self.repo.url


def make_origin(base: Path) -> Origin:
    library = Repo.create(base / "library")
    library.commit({"lib.txt": "library 1\n"}, "library")
    repo = Repo.create(base / "project")
    v1 = repo.commit({
        "pyproject.toml": "[project]\nname = 'demo'\nversion = '1'\n",
        "demo/__init__.py": "VERSION = 1\n",
        "sub/pyproject.toml": "[project]\nname = 'sub'\nversion = '1'\n",
    }, "v1")
    repo.git("tag", "--annotate", "v1.0", "--message", "release 1.0")
    repo.git("tag", "light")
    # relative to the project's remote URL: found only if the checkout knows that URL
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "--quiet",
             "../library", "vendor")
    v2 = repo.commit({"demo/__init__.py": "VERSION = 2\n"}, "v2")
    repo.git("checkout", "--quiet", "-b", "feature")
    v3 = repo.commit({"feature.txt": "feature\n"}, "v3")
    repo.git("checkout", "--quiet", "main")
    return Origin(repo, library, v1, v2, v3)


@pytest.fixture(scope="session")
def _origin_template(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    return make_origin(tmp_path_factory.mktemp("origin"))


@pytest.fixture
def origin(_origin_template: Origin, tmp_path: Path) -> Origin:
    """A fresh copy of the test project's remote and its submodule's."""
    template = _origin_template
    base = tmp_path / "remote"
    shutil.copytree(template.repo.path.parent, base, symlinks=True)
    repo = Repo(base / template.repo.path.name, list(template.repo.commits))
    library = Repo(base / template.library.path.name, list(template.library.commits))
    return Origin(repo, library, template.v1, template.v2, template.v3)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


@pytest.fixture
def source(cache: Cache) -> GitSource:
    return GitSource(cache)


def start_worker(*args: str | os.PathLike[str]) -> subprocess.Popen[str]:
    """Start ``python -m tests.git.workers ARGS`` from the repository root."""
    pythonpath = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "tests.git.workers", *(os.fspath(arg) for arg in args)],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=pythonpath), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
