"""What is installed for a pinned version: the :class:`Distribution` a resolution chose (an
index's file, or a direct source), and the :class:`BuiltWheel` a source distribution became."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyffin.records import record

if TYPE_CHECKING:
    from pathlib import Path

    from pyffin.models.direct import DirectSource
    from pyffin.models.files import Hashes, IndexFile, ProjectPage


@record
class Distribution:
    """A wheel or sdist listed on an index page (``page`` and ``file``), or a direct reference
    (``direct``: a URL, git repository or local path; ``file`` set for wheels).

    ``commit`` is the commit a git source resolved to, once known. The ``page`` of a
    distribution a resolution carries is :meth:`~pyffin.models.files.ProjectPage.without_files`:
    it says where the file is listed (the index or find-links location, the project), not
    what else is there.
    """

    page: ProjectPage | None
    file: IndexFile | None
    is_wheel: bool
    direct: DirectSource | None = None
    commit: str | None = None

    @property
    def label(self) -> str:
        if self.direct is not None:
            return self.direct.filename or self.direct.url
        assert self.file is not None
        return self.file.filename

    @property
    def size(self) -> int:
        return (self.file.size or 0) if self.file is not None else 0

    @property
    def hashes(self) -> Hashes:
        """The hashes the index (or the direct reference's URL fragment) gives."""
        if self.file is not None and self.file.hashes:
            return self.file.hashes
        return self.direct.hashes if self.direct is not None else ()

    def direct_url(self) -> dict[str, Any] | None:
        """The PEP 610 ``direct_url.json`` of an install of this distribution; ``None`` for an
        index's file."""
        if self.direct is None:
            return None
        return self.direct.direct_url(commit=self.commit,
                                      sha256=dict(self.direct.hashes).get("sha256"))

    @property
    def listed_on(self) -> str | None:
        """The index (or find-links location, as a ``file://`` URL, as uv says it) the file is
        listed on, credentials left out; ``None`` for a direct reference."""
        if self.page is None or self.direct is not None:
            return None
        source = self.page.source
        if "://" not in source:  # a find-links directory
            from pathlib import Path

            return Path(source).absolute().as_uri()
        from pyffin.models.urls import strip_credentials

        return strip_credentials(source)

    def without_files(self) -> Distribution:
        """This distribution with its page reduced to where the file is listed (see the class):
        cheap to keep and to pickle."""
        page = self.page
        if page is None or not page.page:
            return self
        from pyffin.records import replace

        return replace(self, page=page.without_files())


@record
class BuiltWheel:
    """A wheel pyffin built from a source distribution (in the cache's ``sdists-v0``), ready
    to be unzipped and installed like any wheel — it is not listed on any index."""

    #: The project, normalized.
    name: str
    path: Path

    @property
    def filename(self) -> str:
        return self.path.name
