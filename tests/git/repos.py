"""Git repositories made in a test with the git command line, and the environment that keeps the
machine's git configuration out of them (also out of the git that pyffin runs)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

#: Environment for git in tests: no user or system configuration, fixed identity and dates.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` (in the test's environment) and return its stripped output."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **git_environment()})
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


@dataclass
class Repo:
    """A non-bare repository with a ``main`` branch."""

    path: Path
    commits: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, path: Path) -> Repo:
        """A new, empty repository at ``path``."""
        path.mkdir(parents=True)
        git(path, "init", "--quiet", "--initial-branch=main")
        return cls(path)

    @property
    def url(self) -> str:
        """The ``git+file://`` URL of this repository."""
        return f"git+{self.path.as_uri()}"

    def git(self, *args: str) -> str:
        return git(self.path, *args)

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        """Write ``files`` (relative path → text), commit them all, return the commit hash."""
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        sha = self.git("rev-parse", "HEAD")
        self.commits.append(sha)
        return sha


def git_environment() -> dict[str, str]:
    """:data:`GIT_ENV` plus an empty global configuration file."""
    return {**GIT_ENV, "GIT_CONFIG_GLOBAL": os.devnull}
