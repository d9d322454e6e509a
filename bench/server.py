"""Serve the mirror with the test suite's index server, plus listed-but-absent files.

:class:`MirrorServer` extends :class:`tests.support.index.IndexServer`: served files go through
its public ``add_file`` (ETag, Last-Modified, Range, HEAD, 304 and Cache-Control all come from
it), while project pages are rendered once from the mirror's listings, which also name files
the mirror does not hold (PyPI's full history up to the pinned version). Requests that end in a
404 are recorded in :attr:`MirrorServer.misses` so the harness can fetch them or report them.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bench.mirror import ListedFile, Listing, Mirror

# _Resource is the server's internal page record; overriding its page hooks needs it.
from tests.support.index import SIMPLE_JSON, IndexServer, _Resource

_TEXT_HTML = "text/html"
#: PyPI serves files as immutable; project pages for 10 minutes.
_FILES_CACHE_CONTROL = "max-age=365000000, immutable"


class MirrorServer(IndexServer):
    """``siblings``: answer for the metadata of a listed wheel the mirror lacks with that of
    another wheel of the same version (a universal resolution reads one wheel's metadata per
    version, of any platform; it assumes, as uv and pyffin do, that they are all the same)."""

    def __init__(self, mirror: Mirror, listings: Mapping[str, Listing], *,
                 siblings: bool = False) -> None:
        super().__init__()
        self.set_cache_control(_FILES_CACHE_CONTROL, "/files/")
        self.misses: list[str] = []
        self._misses_lock = threading.Lock()
        self._modified = time.time() - 86_400
        self._listed_metadata: dict[str, bytes] = {}
        self._pages: dict[tuple[str, str], _Resource] = {}
        served = [
            (listing, f)
            for listing in listings.values()
            for f in listing.files
            if f.filename in listing.served
        ]
        metadata: dict[str, bytes] = {}
        for listing in listings.values():
            for f in listing.files:
                path = mirror.metadata_path(f.filename)
                if f.is_wheel and path.exists():
                    metadata[f.filename] = path.read_bytes()
                    if f.filename not in listing.served:
                        self._listed_metadata[f.filename] = metadata[f.filename]
            if siblings:
                by_version: dict[str, bytes] = {}
                for f in listing.files:
                    if f.filename in metadata:
                        by_version.setdefault(str(f.version), metadata[f.filename])
                for f in listing.files:
                    if f.is_wheel and f.filename not in metadata and str(f.version) in by_version:
                        self._listed_metadata[f.filename] = by_version[str(f.version)]

        def add(item: tuple[Listing, ListedFile]) -> None:
            listing, f = item
            self.add_file(
                mirror.file_path(f.filename),
                project=listing.project,
                requires_python=f.requires_python or "",
                yanked=f.yanked,
                upload_time=_parse_time(f.upload_time),
                metadata=metadata.get(f.filename),
            )

        # Reading and hashing a few hundred MB: threads overlap the I/O and hashlib's C code.
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(add, served))
        for listing in listings.values():
            self._render(listing, metadata)

    def take_misses(self) -> list[str]:
        """The 404'd paths since the last call."""
        with self._misses_lock:
            misses, self.misses = self.misses, []
        return misses

    def _miss(self, path: str) -> None:
        with self._misses_lock:
            self.misses.append(path)

    def _render(self, listing: Listing, metadata: Mapping[str, bytes]) -> None:
        entries = [_entry(f, metadata.get(f.filename)) for f in listing.files]
        versions = list(dict.fromkeys(str(f.version) for f in listing.files))
        doc = {
            "meta": {"api-version": "1.1"},
            "name": listing.project,
            "versions": versions,
            "files": entries,
        }
        json_body = json.dumps(doc).encode()
        anchors = "".join(_anchor(entry) for entry in entries)
        title = html.escape(f"Links for {listing.project}")
        html_body = (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            '    <meta name="pypi:repository-version" content="1.1">\n'
            f"    <title>{title}</title>\n  </head>\n  <body>\n    <h1>{title}</h1>\n"
            f"{anchors}  </body>\n</html>\n"
        ).encode()
        for fmt, body, content_type in (
            (SIMPLE_JSON, json_body, SIMPLE_JSON),
            (_TEXT_HTML, html_body, "text/html; charset=utf-8"),
            (
                "application/vnd.pypi.simple.v1+html",
                html_body,
                "application/vnd.pypi.simple.v1+html",
            ),
        ):
            self._pages[(listing.project, fmt)] = _Resource(
                body, content_type, self._modified, vary_accept=True
            )

    # --- IndexServer hooks -------------------------------------------------------------------

    def _project_page(self, project: str, fmt: str) -> _Resource | None:
        page = self._pages.get((project, fmt))
        if page is None:
            self._miss(f"/simple/{project}/")
        return page

    def _file(self, name: str) -> _Resource | None:
        data = self._listed_metadata.get(name.removesuffix(".metadata"))
        if name.endswith(".metadata") and data is not None:
            return _Resource(data, "application/octet-stream", self._modified)
        resource = super()._file(name)
        if resource is None:
            self._miss(f"/files/{name}")
        return resource


def _entry(f: ListedFile, metadata: bytes | None) -> dict[str, Any]:
    """A PEP 691 file entry; every wheel advertises core metadata, as PyPI does."""
    core: dict[str, str] | bool = False
    if metadata is not None:
        core = {"sha256": hashlib.sha256(metadata).hexdigest()}
    elif f.is_wheel:
        core = True
    return {
        "filename": f.filename,
        "url": f"../../files/{quote(f.filename)}",
        "hashes": {"sha256": f.sha256},
        "requires-python": f.requires_python,
        "yanked": f.yanked,
        "core-metadata": core,
        "dist-info-metadata": core,
        "size": f.size,
        "upload-time": f.upload_time,
    }


def _anchor(entry: Mapping[str, Any]) -> str:
    attrs = [f'href="{entry["url"]}#sha256={entry["hashes"]["sha256"]}"']
    if entry["requires-python"]:
        attrs.append(f'data-requires-python="{html.escape(entry["requires-python"])}"')
    if entry["yanked"] is not False:
        reason = entry["yanked"] if isinstance(entry["yanked"], str) else ""
        attrs.append(f'data-yanked="{html.escape(reason)}"')
    core = entry["core-metadata"]
    if core is not False:
        value = "true" if core is True else f"sha256={core['sha256']}"
        attrs.append(f'data-dist-info-metadata="{value}" data-core-metadata="{value}"')
    return f"    <a {' '.join(attrs)}>{html.escape(entry['filename'])}</a><br/>\n"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
