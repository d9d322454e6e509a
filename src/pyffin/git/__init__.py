"""Git sources for ``git+`` requirements, through the ``git`` command line (DESIGN §2, §4).

- :mod:`pyffin.git.source` — :class:`GitSource`: revisions resolved to commits in a bare
  database per repository, checkouts per commit, under a per-repository lock;
- :mod:`pyffin.git.command` — how git is run (environment, scrubbed errors).

The URLs themselves (:func:`~pyffin.models.git_url.parse_git_url`,
:class:`~pyffin.models.git_url.GitUrl`) are shared vocabulary: :mod:`pyffin.models.git_url`.
"""

from pyffin.git.errors import GitError
from pyffin.git.source import GitSource, is_commit_hash

__all__ = ["GitError", "GitSource", "is_commit_hash"]
