"""Git sources for ``git+`` requirements, through the ``git`` command line (DESIGN §2, §4).

- :mod:`pyffin.git.url` — :func:`parse_git_url` and :class:`GitUrl` (revision, subdirectory,
  cache key, redacted display);
- :mod:`pyffin.git.source` — :class:`GitSource`: revisions resolved to commits in a bare
  database per repository, checkouts per commit, under a per-repository lock;
- :mod:`pyffin.git.command` — how git is run (environment, scrubbed errors).
"""

from pyffin.git.errors import GitError, GitUrlError
from pyffin.git.source import GitSource, is_commit_hash
from pyffin.git.url import GitUrl, parse_git_url

__all__ = ["GitError", "GitSource", "GitUrl", "GitUrlError", "is_commit_hash", "parse_git_url"]
