"""Running the ``git`` command line: a predictable environment, no prompts, scrubbed errors.

The user's git configuration is kept on purpose: credential helpers, ``url.<base>.insteadOf``
and ssh settings are how private repositories are reached. What is taken away is what would make
git act on another repository (``GIT_DIR`` and friends, set when pyffin runs inside a git hook),
wait for a password on the terminal, or print localized messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from pyffin import log
from pyffin.git.errors import GitError

#: Variables that point git at a repository, an index or an object store
#: (``git rev-parse --local-env-vars`` minus the ``-c`` configuration ones, which the user set).
_REPOSITORY_ENV = frozenset({
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_OBJECT_DIRECTORY", "GIT_DIR",
    "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
})
#: The userinfo of any URL in git's output.
_USERINFO_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/\s@]+)@")
#: How many trailing lines of git's error output a message shows.
_ERROR_LINES = 5


class GitCommandError(GitError):
    """A git command exited with an error; :attr:`detail` holds the end of its error output,
    credentials scrubbed."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class GitCommand:
    """The ``git`` executable and the environment it runs in."""

    __slots__ = ("env", "executable")

    def __init__(self, executable: str) -> None:
        self.executable = executable
        env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_ENV}
        # No prompt for a password on the terminal: a missing credential is an error, not a
        # hang. ssh still asks on the terminal for a key's passphrase, as it does for git.
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["LC_ALL"] = "C"
        self.env = env

    def run(self, command: str, *args: str | Path, git_dir: Path | None = None,
            cwd: Path | None = None, config: Sequence[str] = (), input: str | None = None) -> str:
        """Run ``git [-c CONFIG]... [--git-dir GIT_DIR] COMMAND ARGS`` in ``cwd`` and return its
        standard output; raise :class:`GitCommandError` when it fails."""
        import subprocess

        argv = [self.executable]
        for item in config:
            argv += ["-c", item]
        if git_dir is not None:
            argv += ["--git-dir", os.fspath(git_dir)]
        argv += [command, *(os.fspath(arg) for arg in args)]
        if log.enabled(log.DEBUG):
            log.debug("Running " + scrub(" ".join(argv)))
        from pyffin.interrupt import run

        try:
            done = run(  # killed with its children on Ctrl-C (see pyffin.interrupt)
                argv, cwd=cwd, env=self.env, input=input, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                stdin=subprocess.DEVNULL if input is None else subprocess.PIPE, own_group=False,
            )
        except OSError as e:
            raise GitError(f"cannot run {self.executable}: {e.strerror or e}") from e
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            detail = scrub("\n".join(lines[-_ERROR_LINES:])) or f"exit status {done.returncode}"
            raise GitCommandError(f"git {command} failed: {detail}", detail)
        return str(done.stdout)


def scrub(text: str) -> str:
    """``text`` with the password (or lone token) of every URL in it replaced by ``****``."""
    return _USERINFO_RE.sub(_redacted_userinfo, text)


def _redacted_userinfo(match: re.Match[str]) -> str:
    user, sep, _ = match[2].partition(":")
    return f"{match[1]}{user}:****@" if sep else f"{match[1]}****@"


def find_git() -> str | None:
    """The path of the ``git`` executable on ``PATH``, if any."""
    import shutil

    return shutil.which("git")
