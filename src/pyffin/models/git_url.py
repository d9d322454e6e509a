"""``git+`` requirement URLs, as pip and PEP 440 direct references write them, and the identity
of the repository they name (which keys its cache entries).

Accepted forms (``[...]`` is optional):

- ``git+https://[user[:password]@]host/org/repo.git[@rev][#egg=name&subdirectory=sub]``, and the
  same with ``git+http://``, ``git+ssh://`` and ``git+git://`` (``git://`` alone too, as pip);
- ``git+file:///abs/path/repo[@rev]``: no host, an absolute path;
- scp-like, as pip accepts it: ``git+[user@]host:org/repo.git[@rev]``.

The revision follows the last ``@`` of the URL's *path*, so an ``@`` in the userinfo is never taken
for one. It is a branch, a tag, a full or abbreviated commit hash, or a full ref
(``refs/pull/1/head``), percent-decoded. The fragment may name ``egg`` and ``subdirectory``; any
other key is refused rather than ignored, so a typo cannot silently change what is built.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pyffin.errors import PyffinError
from pyffin.models.urls import normalize_url, redact
from pyffin.records import record, replace


class GitUrlError(PyffinError):
    """A ``git+`` requirement URL cannot be parsed."""


_SCHEMES = frozenset({"https", "http", "ssh", "git", "file"})
_HASH_KEYS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})
#: ``[user@]host:path``; a host never holds ``/``, ``:`` or ``@``.
_SCP_RE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^@/:\[\]]+):(?P<path>.+)$")
_SCP_PASSWORD_RE = re.compile(r"^([^@/:]*):[^@/]*@")
#: What git accepts in a ref name (git-check-ref-format) or a hash, minus a leading ``-`` that
#: would make the revision an option of the git command it is passed to.
_REV_RE = re.compile(r"^(?!-)(?!.*\.\.)(?!.*@\{)[^\x00-\x20\x7f~^:?*\[\\]+$")


@record
class GitUrl:
    """A parsed ``git+`` URL. ``str()`` shows it with its password redacted."""

    #: What git fetches, credentials included: ``https://user:pw@host/org/repo.git``,
    #: ``file:///abs/repo``, or scp-like ``git@host:org/repo.git``.
    repository: str
    #: The requested branch, tag, commit or ref; ``None`` for the remote's default branch.
    rev: str | None = None
    #: The project's directory inside the repository (relative, normalized), if not the root.
    subdirectory: str | None = None
    egg: str | None = None

    @property
    def url(self) -> str:
        """The full ``git+`` URL, credentials included (for git, never for display)."""
        return self._format(self.repository)

    @property
    def shown_repository(self) -> str:
        """The repository fit to show in a message: its password replaced by ``****``."""
        return redact(self.repository)

    @property
    def is_local(self) -> bool:
        """Whether the repository is a ``file://`` URL."""
        return self.repository.startswith("file:")

    @property
    def canonical_repository(self) -> str:
        """The repository's identity (not the revision or subdirectory), which keys its cache
        entries (:func:`pyffin.cache.keys.repository_key`).

        URLs share it when they differ only in credentials, letter case of scheme or host, a
        default port, a trailing ``/`` or (for remote repositories) a ``.git`` suffix, which
        forges ignore. A local repository keeps its ``.git``: ``/r`` and ``/r.git`` are two
        directories. An scp-like ``host:path`` never shares it with ``ssh://host/path``: its
        path is relative to the login directory.
        """
        scp = _SCP_RE.match(self.repository) if "://" not in self.repository else None
        if scp is not None:
            return f"scp://{scp['host'].lower()}/{_without_git_suffix(scp['path'])}"
        if self.is_local:
            return normalize_url(self.repository)
        parts = urlsplit(self.repository)
        return normalize_url(urlunsplit(parts._replace(path=_without_git_suffix(parts.path))))

    def with_rev(self, rev: str | None) -> GitUrl:
        """This URL pinned to ``rev`` (e.g. the resolved commit)."""
        return replace(self, rev=rev)

    def _format(self, repository: str) -> str:
        text = f"git+{repository}"
        if self.rev is not None:
            text += "@" + quote(self.rev, safe="/+")
        fragment = [f"{key}={quote(value, safe='/')}" for key, value in
                    (("egg", self.egg), ("subdirectory", self.subdirectory)) if value is not None]
        return f"{text}#{'&'.join(fragment)}" if fragment else text

    def __str__(self) -> str:
        return self._format(self.shown_repository)


def parse_git_url(url: str) -> GitUrl:
    """Parse a ``git+`` URL; raise :class:`GitUrlError` naming the (redacted) URL if it is bad."""
    text = url.strip()
    if text[:4].lower() == "git+":
        body = text[4:]
    elif text[:6].lower() == "git://":
        body = text
    else:
        raise GitUrlError(f"not a git URL: {_shown(text)} (expected git+https://, git+ssh://, "
                          "git+file:// or git+user@host:path)")
    base, _, fragment = body.partition("#")
    egg, subdirectory = _parse_fragment(fragment, text)
    repository, rev = _split_url(base, text) if "://" in base else _split_scp(base, text)
    if rev is not None:
        rev = unquote(rev)
        if not _REV_RE.match(rev):
            raise GitUrlError(f"invalid git revision {rev!r} in {_shown(text)}")
    return GitUrl(repository, rev, subdirectory, egg)


def _split_url(base: str, text: str) -> tuple[str, str | None]:
    """``(repository, rev)`` of a URL with a scheme."""
    parts = urlsplit(base)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise GitUrlError(f"unsupported scheme {parts.scheme!r} in the git URL {_shown(text)} "
                          f"(expected one of {', '.join(sorted(_SCHEMES))})")
    path, rev = _split_rev(parts.path, text)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise GitUrlError(f"a git+file URL cannot name a host: {_shown(text)} "
                              "(expected git+file:///absolute/path)")
        if not path.startswith("/"):
            raise GitUrlError(f"a git+file URL needs an absolute path: {_shown(text)}")
        return urlunsplit(("file", "", path, parts.query, "")), rev
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise GitUrlError(f"invalid port in the git URL {_shown(text)}") from None
    host = parts.hostname or ""
    if not host or host.startswith("-"):
        raise GitUrlError(f"missing or invalid host in the git URL {_shown(text)}")
    if path.strip("/") == "":
        raise GitUrlError(f"the git URL {_shown(text)} names no repository")
    return urlunsplit((scheme, parts.netloc, path, parts.query, "")), rev


def _split_scp(base: str, text: str) -> tuple[str, str | None]:
    """``(repository, rev)`` of an scp-like ``[user@]host:path[@rev]``."""
    match = _SCP_RE.match(base)
    if match is None or match["host"].startswith("-"):
        raise GitUrlError(f"invalid git URL {_shown(text)} (expected git+https://, git+ssh://, "
                          "git+file:// or git+user@host:path)")
    if match["host"].lower() == "file":
        raise GitUrlError(f"a git+file URL needs an absolute path: {_shown(text)} "
                          "(expected git+file:///absolute/path)")
    path, rev = _split_rev(match["path"], text)
    return base[:match.start("path")] + path, rev


def _split_rev(path: str, text: str) -> tuple[str, str | None]:
    if "@" not in path:
        return path, None
    path, rev = path.rsplit("@", 1)
    if not rev:
        raise GitUrlError(f"empty revision after '@' in {_shown(text)}: name a branch, tag or "
                          "commit, or drop the '@'")
    return path, rev


def _parse_fragment(fragment: str, text: str) -> tuple[str | None, str | None]:
    """``(egg, subdirectory)`` from ``egg=name&subdirectory=sub``."""
    egg = subdirectory = None
    for item in filter(None, fragment.split("&")):
        key, sep, value = item.partition("=")
        value = unquote(value)
        if not sep or not value:
            raise GitUrlError(f"invalid fragment {item!r} in {_shown(text)} (expected key=value)")
        if key == "egg":
            egg = value
        elif key == "subdirectory":
            subdirectory = _subdirectory(value, text)
        elif key in _HASH_KEYS:
            raise GitUrlError(f"a git URL cannot be checked against a hash ({key}=) in "
                              f"{_shown(text)}", hint="pin a full commit hash with @<commit>")
        else:
            raise GitUrlError(f"unknown fragment {key!r} in {_shown(text)} "
                              "(expected egg= or subdirectory=)")
    return egg, subdirectory


def _subdirectory(value: str, text: str) -> str | None:
    normalized = posixpath.normpath(value)
    if normalized.startswith("/") or "\\" in value or normalized.split("/")[0] == "..":
        raise GitUrlError(f"the subdirectory {value!r} in {_shown(text)} must be a relative path "
                          "inside the repository")
    return None if normalized == "." else normalized


def _without_git_suffix(path: str) -> str:
    path = path.rstrip("/")
    return path[:-4] if path.endswith(".git") else path


def _shown(text: str) -> str:
    """``text`` with the password of its repository redacted (``git+`` prefix kept), also when
    it is too malformed to parse (``git+user:pw@host:path``)."""
    prefix = "git+" if text[:4].lower() == "git+" else ""
    body = text[len(prefix):]
    if "://" in body:
        return prefix + redact(body)
    return prefix + _SCP_PASSWORD_RE.sub(r"\1:****@", body)
