"""``GitSource``: git repositories fetched into the cache and checked out per commit.

Layout (:attr:`CacheBucket.GIT`): ``git-v0/db/<key>/`` is a bare repository per repository key
(:func:`~pyffin.cache.keys.repository_key`), ``git-v0/checkouts/<key>/<commit>/`` a checkout
of one commit, ``git-v0/locks/<key>.lock`` the lock held while either is written. Both
directories are built in a temporary directory and renamed into place, so a killed run leaves
nothing half-made at their final paths; a checkout is never changed once in place.

When a fetch happens:

- a full commit hash already in the database needs no network, ever (commits are immutable);
- a full commit hash not in it is fetched by hash, then, if the server refuses that, with all
  branches and tags;
- a branch, a tag, an abbreviated hash or the default branch (no revision) fetch all branches
  and tags, because a branch moves — once per :class:`GitSource`, which lives for one command;
  a ref outside branches and tags (``refs/pull/1/head``) is fetched by name as well. The first
  answer is kept, so one command sees one commit per revision (``--refresh`` changes nothing:
  names are fetched anyway, commits never need to be);
- ``offline=True`` never fetches: a revision the database cannot answer is an error.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pyffin import log
from pyffin.cache import Cache, CacheBucket, FileLock
from pyffin.cache.keys import repository_key
from pyffin.git.command import GitCommand, GitCommandError, find_git
from pyffin.git.errors import GitError
from pyffin.models.git_url import GitUrl

#: Every branch, every tag and the remote's default branch.
_ALL_REFSPECS = (
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
    "+HEAD:refs/remotes/origin/HEAD",
)
_FULL_HASH_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
#: An abbreviated commit hash, as short as git allows.
_SHORT_HASH_RE = re.compile(r"^[0-9a-fA-F]{4,63}$")
_OFFLINE_HINT = "drop --offline to allow network access"

# One lock per repository, process-wide on purpose: two sessions of one process must exclude
# each other too (the file lock does so between processes).
_thread_locks: dict[Path, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def is_commit_hash(rev: str) -> bool:
    """Whether ``rev`` is a full (SHA-1 or SHA-256) commit hash."""
    return bool(_FULL_HASH_RE.match(rev.lower()))


class GitSource:
    """Resolves git revisions to commits and checks commits out, in the cache.

    Safe to use from several threads and, through the per-repository file lock, from several
    processes. Make one per command: it remembers what it fetched and resolved.
    """

    def __init__(self, cache: Cache, *, offline: bool = False) -> None:
        self.cache = cache
        self.offline = offline
        self._git: GitCommand | None = None
        #: Keys of the repositories whose branches and tags this instance fetched.
        self._fetched: set[str] = set()
        self._resolved: dict[tuple[str, str | None], str] = {}

    # ------------------------------------------------------------------------------- public
    def resolve(self, url: GitUrl) -> str:
        """The full commit hash ``url.rev`` names (the default branch's head without a rev)."""
        key = repository_key(url)
        found = self._resolved.get((key, url.rev))
        if found is not None:
            return found
        if url.rev is not None and is_commit_hash(url.rev):
            commit = url.rev.lower()
            db = self._db_path(key)
            # Reading needs no lock: git readers are safe beside a concurrent fetch, and the
            # database appears at its path complete, in one rename.
            if not (db.is_dir() and self._has_commit(url, db, commit)):
                with self._locked(url):
                    self._ensure_commit(url, commit)
        else:
            with self._locked(url):
                commit = self._resolve_name(url)
        self._resolved[(key, url.rev)] = commit
        return commit

    def checkout(self, url: GitUrl, commit: str) -> Path:
        """The directory holding a checkout of ``commit`` (a full hash) of ``url``'s repository,
        submodules included; it must not be modified."""
        if not is_commit_hash(commit):
            raise GitError(f"not a full commit hash: {commit!r} (for {url})")
        commit = commit.lower()
        target = self.cache.shard(CacheBucket.GIT, "checkouts", repository_key(url), commit).path
        if target.is_dir():
            return target
        with self._locked(url):
            if target.is_dir():  # another process made it while we waited
                return target
            db = self._ensure_commit(url, commit)
            log.debug(f"Checking out {url.shown_repository} at {commit}")
            with self.cache.temp_dir() as tmp:
                self._populate(url, db, commit, tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(tmp, target)
        return target

    def source_dir(self, url: GitUrl, commit: str) -> Path:
        """The project directory of ``url`` at ``commit``: the checkout, or its subdirectory."""
        root = self.checkout(url, commit)
        if url.subdirectory is None:
            return root
        path = root / url.subdirectory
        # A symbolic link in the repository must not lead the build out of the checkout.
        if not path.is_dir() or not path.resolve().is_relative_to(root.resolve()):
            raise GitError(f"the subdirectory {url.subdirectory!r} does not exist in "
                           f"{url.shown_repository} at commit {commit}")
        return path

    # ------------------------------------------------------------------------------ resolve
    def _resolve_name(self, url: GitUrl) -> str:
        """Fetch if needed and look up a revision that is not a full hash (under the lock)."""
        key = repository_key(url)
        rev = url.rev
        db = self._open_db(url)
        if not self.offline:
            if key not in self._fetched:
                self._fetch(url, db, _ALL_REFSPECS)
                self._fetched.add(key)
            if rev is not None and _is_other_ref(rev):
                self._fetch_ref(url, db, rev)
        commit = self._lookup(url, db, rev)
        if commit is not None:
            return commit
        what = "the default branch" if rev is None else f"revision {rev!r}"
        if self.offline:
            raise GitError(f"{what} of {url.shown_repository} is not in the cache and pyffin is "
                           "offline", hint=_OFFLINE_HINT)
        hint = None
        if rev is not None and _SHORT_HASH_RE.match(rev):
            hint = ("an abbreviated commit hash is found only on a branch or tag; "
                    "give the full hash")
        raise GitError(f"unknown {what} in {url.shown_repository}: no branch, tag or commit "
                       "of that name", hint=hint)

    def _fetch_ref(self, url: GitUrl, db: Path, ref: str) -> None:
        """Fetch a ref outside branches and tags (``refs/pull/1/head``); a ref the remote does
        not have is left missing, for the caller to report as an unknown revision."""
        try:
            self._fetch(url, db, (f"+{ref}:{ref}",))
        except GitCommandError as e:
            if "couldn't find remote ref" not in e.detail:
                raise
            git = self._command(url)
            try:  # a ref that is gone from the remote must not resolve to its old commit
                git.run("update-ref", "-d", ref, git_dir=db)
            except GitCommandError as e:
                raise GitError(f"cannot update the cached git repository {db} of "
                               f"{url.shown_repository}: {e.detail}") from e

    def _lookup(self, url: GitUrl, db: Path, rev: str | None) -> str | None:
        """The commit ``rev`` names in ``db``: a branch, then a tag, then a hash."""
        if rev is None:
            return self._commits(url, db, ["refs/remotes/origin/HEAD"])[0]
        if rev.startswith("refs/heads/"):
            return self._commits(url, db, [f"refs/remotes/origin/{rev[len('refs/heads/'):]}"])[0]
        if rev.startswith("refs/"):
            return self._commits(url, db, [rev])[0]
        candidates = [f"refs/remotes/origin/{rev}", f"refs/tags/{rev}"]
        short_hash = _SHORT_HASH_RE.match(rev) is not None
        if short_hash:
            candidates.append(rev)
        found = self._commits(url, db, candidates)
        for commit in found[:2]:
            if commit is not None:
                return commit
        # git also expands a bare name to a ref; only a commit that starts with it will do.
        commit = found[-1] if short_hash else None
        return commit if commit is not None and commit.startswith(rev.lower()) else None

    def _ensure_commit(self, url: GitUrl, commit: str) -> Path:
        """Make sure ``commit`` is in the database, fetching it if needed (under the lock)."""
        db = self._open_db(url)
        if self._has_commit(url, db, commit):
            return db
        if self.offline:
            raise GitError(f"commit {commit} of {url.shown_repository} is not in the cache and "
                           "pyffin is offline", hint=_OFFLINE_HINT)
        try:
            self._fetch(url, db, (f"+{commit}:refs/commit/{commit}",))
        except GitCommandError as e:
            # Some servers refuse to send a commit by hash; its branches and tags bring it.
            log.debug(f"Fetching {commit} by hash failed ({e.detail}); fetching all refs")
            if repository_key(url) not in self._fetched:
                self._fetch(url, db, _ALL_REFSPECS)
                self._fetched.add(repository_key(url))
        if not self._has_commit(url, db, commit):
            raise GitError(f"unknown revision {commit!r} in {url.shown_repository}: no such "
                           "commit")
        return db

    def _has_commit(self, url: GitUrl, db: Path, commit: str) -> bool:
        return self._commits(url, db, [commit])[0] is not None

    def _commits(self, url: GitUrl, db: Path, names: Sequence[str]) -> list[str | None]:
        """The commit each of ``names`` peels to in ``db`` (``None``: no such commit), in one
        git call."""
        try:
            out = self._command(url).run(
                "cat-file", "--batch-check", git_dir=db,
                input="".join(f"{name}^{{commit}}\n" for name in names),
            )
        except GitCommandError as e:
            raise GitError(f"cannot read the cached git repository {db} of "
                           f"{url.shown_repository}: {e.detail}",
                           hint=f"remove {db} to fetch it again") from e
        commits: list[str | None] = []
        for name, line in zip(names, out.splitlines(), strict=True):
            fields = line.split()
            if fields[-1] == "ambiguous":
                raise GitError(f"the abbreviated commit hash {name!r} is ambiguous in "
                               f"{url.shown_repository}", hint="give the full hash")
            commits.append(fields[0] if fields[-1] != "missing" else None)
        return commits

    # ------------------------------------------------------------------------------ storage
    def _db_path(self, key: str) -> Path:
        return self.cache.shard(CacheBucket.GIT, "db", key).path

    def _open_db(self, url: GitUrl) -> Path:
        """The bare database of ``url``'s repository, created if needed (under the lock)."""
        db = self._db_path(repository_key(url))
        if db.is_dir():
            _remove_stale_git_locks(db)
            return db
        with self.cache.temp_dir() as tmp:
            try:
                self._command(url).run("init", "--bare", "--quiet", "--template=", tmp)
            except GitCommandError as e:
                raise GitError(f"cannot create a git repository in {tmp}: {e.detail}") from e
            db.parent.mkdir(parents=True, exist_ok=True)
            os.rename(tmp, db)
        return db

    def _fetch(self, url: GitUrl, db: Path, refspecs: Sequence[str]) -> None:
        log.info(f"Fetching {url.shown_repository}")
        try:
            # An automatic gc runs in the foreground, while we hold the lock, never detached
            # into the background where the next process would meet it.
            self._command(url).run("fetch", "--force", "--prune", "--quiet", "--",
                                   url.repository, *refspecs, git_dir=db,
                                   config=("gc.autoDetach=false",
                                           "maintenance.autoDetach=false"))
        except GitCommandError as e:
            raise GitCommandError(f"cannot fetch the git repository {url.shown_repository}: "
                                  f"{e.detail}", e.detail) from e

    def _populate(self, url: GitUrl, db: Path, commit: str, work: Path) -> None:
        """Check ``commit`` out into the empty directory ``work``, with its submodules."""
        git = self._command(url)
        try:
            # Cloning a local path hard-links the database's objects (copies them across file
            # systems), and leaves a .git for tools such as setuptools-scm that read versions
            # from tags. No template: the user's hooks have no business here.
            git.run("clone", "--no-checkout", "--quiet", "--template=",
                    "--config", "core.autocrlf=false", "--", db, work)
            git.run("checkout", "--quiet", "--detach", commit, "--", cwd=work,
                    config=("advice.detachedHead=false",))
        except GitCommandError as e:
            raise GitError(f"cannot check out {url.shown_repository} at {commit}: "
                           f"{e.detail}") from e
        if not (work / ".gitmodules").is_file():
            return
        # Relative submodule URLs are relative to the real repository, not to the database.
        config = [f"remote.origin.url={url.repository}"]
        if url.is_local:
            # git refuses file:// submodules by default (CVE-2022-39253); a repository that is
            # already on this machine gains nothing from the refusal.
            config.append("protocol.file.allow=always")
        try:
            git.run("submodule", "update", "--init", "--recursive", "--quiet", cwd=work,
                    config=config)
        except GitCommandError as e:
            raise GitError(f"cannot check out the submodules of {url.shown_repository} at "
                           f"{commit}: {e.detail}") from e

    # ------------------------------------------------------------------------------ helpers
    def _command(self, url: GitUrl) -> GitCommand:
        if self._git is None:
            executable = find_git()
            if executable is None:
                raise GitError(f"git is not installed (or not on PATH); it is needed for the "
                               f"git requirement {url}")
            self._git = GitCommand(executable)
        return self._git

    @contextmanager
    def _locked(self, url: GitUrl) -> Iterator[None]:
        """Hold the repository's lock: a thread lock first, so that threads of this process
        queue quietly instead of each waiting on the file lock with a message."""
        path = self.cache.entry(CacheBucket.GIT, "locks", f"{repository_key(url)}.lock").path
        with _thread_lock(path), FileLock(path, f"the git repository {url.shown_repository}"):
            yield


def _is_other_ref(rev: str) -> bool:
    """Whether ``rev`` is a full ref that fetching branches and tags does not bring."""
    return rev.startswith("refs/") and not rev.startswith(("refs/heads/", "refs/tags/"))


def _thread_lock(path: Path) -> threading.Lock:
    with _thread_locks_guard:
        lock = _thread_locks.get(path)
        if lock is None:
            lock = _thread_locks[path] = threading.Lock()
        return lock


def _remove_stale_git_locks(db: Path) -> None:
    """Remove git's own ``*.lock`` files from ``db``: we hold the repository's lock, so no git
    is running in it and any such file was left by a killed run — git would refuse to fetch."""
    stale = [db / name for name in ("config.lock", "HEAD.lock", "packed-refs.lock",
                                    "shallow.lock", "FETCH_HEAD.lock")]
    for dirpath, _dirnames, filenames in os.walk(db / "refs"):
        stale.extend(Path(dirpath, name) for name in filenames if name.endswith(".lock"))
    for path in stale:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
