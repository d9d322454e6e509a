"""``Distribution``: the one file (or source) pyffin uses for a pinned version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.models.direct import DirectSource
    from pyffin.models.files import IndexFile, ProjectPage


@record
class Distribution:
    """A wheel or sdist listed on an index page (``page`` and ``file``), or a direct reference
    (``direct``: a URL, git repository or local path; ``file`` set for wheels)."""

    page: ProjectPage | None
    file: IndexFile | None
    is_wheel: bool
    direct: DirectSource | None = None

    @property
    def label(self) -> str:
        if self.direct is not None:
            return self.direct.filename or self.direct.url
        assert self.file is not None
        return self.file.filename

    @property
    def size(self) -> int:
        return (self.file.size or 0) if self.file is not None else 0
