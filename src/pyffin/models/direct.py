"""Where a direct requirement's distribution comes from: a URL, a git repository or a local
path — and the PEP 610 ``direct_url.json`` that records it in the environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from pyffin.errors import UsageError
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.models.git_url import GitUrl

Kind = Literal["wheel-url", "sdist-url", "git", "path"]


@record
class DirectSource:
    """One direct reference, parsed.

    ``url`` is the reference as given (credentials included: it is what is fetched); ``path``
    is set for local files and directories; ``git`` for repositories; ``subdirectory`` from the
    ``#subdirectory=`` fragment; ``hashes`` from ``#sha256=``-style fragments.
    """

    kind: Kind
    url: str
    path: str | None = None
    git: GitUrl | None = None
    subdirectory: str | None = None
    hashes: tuple[tuple[str, str], ...] = ()
    editable: bool = False

    @property
    def filename(self) -> str:
        """The last path component (for wheels: the wheel filename; for URLs: anything, such
        as ``master.zip``)."""
        if self.path is not None:
            return os.path.basename(self.path.rstrip("/"))
        return unquote(urlsplit(self.url).path.rstrip("/").rpartition("/")[2])

    @property
    def is_wheel(self) -> bool:
        return self.kind == "wheel-url" or (self.kind == "path" and self.filename.endswith(".whl"))

    @property
    def is_directory(self) -> bool:
        return self.kind == "path" and self.path is not None and os.path.isdir(self.path)

    def direct_url(self, *, commit: str | None = None, sha256: str | None = None
                   ) -> dict[str, Any]:
        """The PEP 610 record of an install from this source (no credentials)."""
        from pyffin.models.urls import strip_credentials

        record: dict[str, Any]
        if self.git is not None:
            record = {"url": strip_credentials(self.git.repository),
                      "vcs_info": {"vcs": "git", "commit_id": commit or ""}}
            if self.git.rev:
                record["vcs_info"]["requested_revision"] = self.git.rev
        elif self.path is not None:
            from pathlib import Path

            record = {"url": Path(self.path).absolute().as_uri()}
            if self.is_directory:
                record["dir_info"] = {"editable": True} if self.editable else {}
            else:
                record["archive_info"] = {"hash": f"sha256={sha256}"} if sha256 else {}
        else:
            base = strip_credentials(self.url.partition("#")[0])
            record = {"url": base,
                      "archive_info": {"hash": f"sha256={sha256}"} if sha256 else {}}
        if self.subdirectory:
            record["subdirectory"] = self.subdirectory
        return record


def parse_direct(url: str, *, editable: bool = False) -> DirectSource:
    """Classify the direct reference ``url`` (``file://`` for local paths, as the requirements
    reader writes them)."""
    from pyffin.models.files import STRENGTH

    if url.startswith("git+"):
        from pyffin.models.git_url import parse_git_url

        git = parse_git_url(url)
        return DirectSource("git", url, git=git, subdirectory=git.subdirectory, editable=editable)
    if url.startswith(("hg+", "svn+", "bzr+")):
        from pyffin.errors import NotSupportedError

        raise NotSupportedError(f"only git is supported for version control URLs: {url}")
    base, _, fragment = url.partition("#")
    subdirectory = None
    hashes: list[tuple[str, str]] = []
    for part in filter(None, fragment.split("&")):
        key, _, value = part.partition("=")
        if key == "subdirectory":
            subdirectory = value
        elif key in STRENGTH:
            hashes.append((key, value.lower()))
        elif key != "egg":
            raise UsageError(f"unknown fragment {key!r} in {url}")
    if base.startswith("file:"):
        path = unquote(urlsplit(base).path)
        source = DirectSource("path", url, path=path, subdirectory=subdirectory,
                              hashes=tuple(hashes), editable=editable)
        if editable and not source.is_directory:
            raise UsageError(f"an editable requirement must be a local directory: {path}")
        return source
    if editable:
        raise UsageError(f"an editable requirement must be a local directory, not {url}")
    kind: Kind = "wheel-url" if urlsplit(base).path.endswith(".whl") else "sdist-url"
    return DirectSource(kind, url, subdirectory=subdirectory, hashes=tuple(hashes))
