"""PEP 503 (HTML) and PEP 691 (JSON) project pages, parsed into a
:class:`~pyffin.models.files.SimplePage`.

The page types themselves (:class:`~pyffin.models.files.IndexFile`, ``SimplePage``) are shared
vocabulary and live in :mod:`pyffin.models.files`; this module makes them from what an index
serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin

from pyffin import log
from pyffin.errors import PyffinError
from pyffin.models.files import Hashes, IndexFile, SimplePage
from pyffin.models.names import normalize_name
from pyffin.models.urls import redact, strip_credentials

if TYPE_CHECKING:
    from packaging.version import Version

#: The ``Accept`` header of simple-API requests: JSON preferred, HTML as a fallback.
ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
          "text/html;q=0.01")
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_HASH_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
_HEX_RE = re.compile(r"^[0-9a-f]{8,}$")
#: URL fragment keys that are not hashes.
_NOT_HASHES = frozenset({"egg", "subdirectory"})


class IndexPageError(PyffinError):
    """An index page could not be parsed."""


class PageBuilder:
    """Collects files of one project, parsing and grouping their filenames."""

    def __init__(self, name: str, source: str) -> None:
        self.name = normalize_name(name)
        self.source = source
        self.versions: dict[str, tuple[list[Any], list[Any]]] = {}

    def add(self, file: IndexFile) -> None:
        from packaging.utils import (
            InvalidSdistFilename,
            InvalidWheelFilename,
            parse_sdist_filename,
            parse_wheel_filename,
        )

        filename = file.filename
        try:
            if filename.endswith(".whl"):
                name, version, build, tags = parse_wheel_filename(filename)
                key = str(version)
                row = (*file.to_tuple(), tuple(sorted(str(t) for t in tags)),
                       "".join(map(str, build)) if build else "")
                bucket = 0
            elif filename.endswith((".tar.gz", ".zip")):
                try:
                    name, version = parse_sdist_filename(filename)
                except InvalidSdistFilename:
                    legacy = self._legacy_sdist(filename)
                    if legacy is None:
                        raise
                    name, version = self.name, legacy
                key = str(version)
                row = file.to_tuple()
                bucket = 1
            else:
                log.debug(f"Skipping {filename} on {self.source}: not a wheel or an sdist")
                return
        except (InvalidWheelFilename, InvalidSdistFilename) as e:
            log.debug(f"Skipping {filename} on {self.source}: {e}")
            return
        if name != self.name:
            log.debug(f"Skipping {filename} on {self.source}: not a file of {self.name}")
            return
        self.versions.setdefault(key, ([], []))[bucket].append(row)

    def _legacy_sdist(self, filename: str) -> Version | None:
        """The version of a legacy sdist name, read as uv reads it: the project's name, a
        dash, then a version that normalizes (``pybbox-0.0.5-alpha.zip`` is 0.0.5a0); ``None``
        when that does not hold."""
        from packaging.version import InvalidVersion, Version

        stem = filename[:-len(".tar.gz")] if filename.endswith(".tar.gz") else filename[:-4]
        size = len(self.name)
        if len(stem) <= size + 1 or stem[size] != "-":
            return None
        if normalize_name(stem[:size]) != self.name:
            return None
        try:
            version = Version(stem[size + 1:])
        except InvalidVersion:
            return None
        log.debug(f"Reading the legacy sdist name {filename} as version {version}")
        return version

    def page(self) -> SimplePage:
        return SimplePage(self.name, self.versions)


def parse_page(name: str, url: str, content: bytes, content_type: str | None) -> SimplePage:
    """Parse a project page fetched from ``url`` (the final URL, after redirects)."""
    builder = PageBuilder(name, redact(url))
    media = (content_type or "").split(";")[0].strip().lower()
    if media == _JSON_TYPE or (not media and content.lstrip()[:1] == b"{"):
        for file in parse_json(url, content):
            builder.add(file)
    else:
        for file in parse_html(url, _decode(url, content, content_type)):
            builder.add(file)
    return builder.page()


def _decode(url: str, content: bytes, content_type: str | None) -> str:
    charset = "utf-8"
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        return content.decode(charset)
    except (UnicodeDecodeError, LookupError) as e:
        raise IndexPageError(f"the index page {redact(url)} is not valid {charset}: {e}") from e


def _parse_hashes(value: str | None, *, fragment: bool = False) -> Hashes:
    """``sha256=abc`` (a PEP 658 attribute, or a URL fragment such as ``sha512=…&egg=x``) →
    ``(("sha256", "abc"),)``.

    Algorithms pyffin cannot compute are kept: a file listed only with those must not pass for
    a file listed without hashes (see :mod:`pyffin.client.hashes`). In a fragment, a key is a
    hash when its value is hexadecimal (``egg=`` and ``subdirectory=`` are not).
    """
    if not value:
        return ()
    if value.startswith("sha256=") and "&" not in value and _HEX_RE.match(value[7:]):
        return (("sha256", value[7:]),)  # nearly every link on real indexes
    found: list[tuple[str, str]] = []
    for part in value.split("&") if fragment else (value,):
        algorithm, sep, digest = part.partition("=")
        algorithm, digest = algorithm.strip().lower(), digest.strip().lower()
        if not sep or not digest or not _HASH_NAME_RE.match(algorithm):
            continue
        if fragment and (algorithm in _NOT_HASHES or not _HEX_RE.match(digest)):
            continue
        found.append((algorithm, digest))
    return tuple(sorted(found))


def _upload_time(value: object) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    from datetime import datetime

    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _file_url(base: str, href: str) -> tuple[str, Hashes]:
    """The absolute URL (without credentials and fragment) of a link, and the hash in its
    fragment. Most links on real indexes are absolute without userinfo: keep that path cheap,
    it runs once per file of every page fetched."""
    without_fragment, _, fragment = href.partition("#")
    if not without_fragment.startswith(("https://", "http://")):
        without_fragment = urljoin(base, without_fragment)
    if "@" in without_fragment.partition("//")[2].partition("/")[0]:
        without_fragment = strip_credentials(without_fragment)
    return without_fragment, _parse_hashes(fragment, fragment=True)


_WEB = ("https://", "http://")


class _LinkPolicy:
    """Which links a page may make: a page fetched over HTTP(S) only links to HTTP(S) URLs
    (else a remote index could make pyffin read, and install, any file of this machine); a
    local page (``file://``, a find-links directory's index) may also link to local files.
    Refused links are skipped, and said once per page."""

    __slots__ = ("refused", "remote", "url")

    def __init__(self, url: str) -> None:
        self.url = url
        self.remote = url.startswith(_WEB)
        self.refused = 0

    def allows(self, link: str) -> bool:
        if link.startswith(_WEB) or (not self.remote and link.startswith("file:")):
            return True
        self.refused += 1
        if self.refused == 1:
            log.warn(f"Ignoring the link to {redact(link)} on {redact(self.url)}: "
                     + ("a remote page may only link to http(s) URLs" if self.remote
                        else "only http(s) and file URLs can be fetched"))
        return False


def _filename(url: str) -> str:
    name = url.partition("?")[0].rpartition("/")[2]
    return unquote(name) if "%" in name else name


_TAG_RE = re.compile(r"<(a|base)\s([^>]*)>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)


def _attributes(text: str) -> dict[str, str | None]:
    attrs: dict[str, str | None] = {}
    for match in _ATTR_RE.finditer(text):
        name = match.group(1).lower()
        if name in attrs:
            continue
        value = match.group(2)
        if value is None:
            value = match.group(3)
        if value is None:
            value = match.group(4)
        if value is not None and "&" in value:
            import html

            value = html.unescape(value)
        attrs[name] = value
    return attrs


def parse_html(url: str, text: str) -> Iterator[IndexFile]:
    """The files linked from a PEP 503 page (also a ``--find-links`` page).

    Tags are found with regular expressions rather than :mod:`html.parser`: index pages are
    machine-written lists of anchors, and this is several times faster on pages of thousands of
    files. Comments are removed first; attribute values are HTML-unescaped.
    """
    if "<!--" in text:
        text = _COMMENT_RE.sub("", text)
    page_base = url
    anchors: list[dict[str, str | None]] = []
    for match in _TAG_RE.finditer(text):
        attrs = _attributes(match.group(2))
        if match.group(1).lower() == "a":
            anchors.append(attrs)
        elif attrs.get("href") and page_base is url:
            page_base = urljoin(url, attrs["href"] or "")
    policy = _LinkPolicy(url)
    for attrs in anchors:
        href = attrs.get("href")
        if not href:
            continue
        file_url, hashes = _file_url(page_base, href)
        if not policy.allows(file_url):
            continue
        metadata_attr = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        advertised = "data-core-metadata" in attrs or "data-dist-info-metadata" in attrs
        core_metadata: Hashes | None = None
        if advertised and (metadata_attr or "").lower() != "false":
            core_metadata = _parse_hashes(metadata_attr)
        yanked = (attrs["data-yanked"] or "") if "data-yanked" in attrs else None
        yield IndexFile(
            filename=_filename(file_url),
            url=file_url,
            hashes=hashes,
            requires_python=attrs.get("data-requires-python") or None,
            yanked=yanked,
            upload_time=None,
            size=None,
            core_metadata=core_metadata,
        )


def parse_json(url: str, content: bytes) -> Iterator[IndexFile]:
    """The files of a PEP 691 JSON page."""
    import json

    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as e:
        raise IndexPageError(f"the index page {redact(url)} is not valid JSON: {e}") from e
    except RecursionError:  # nesting deeper than any page needs: hostile or broken
        raise IndexPageError(f"the index page {redact(url)} is not a PEP 691 project page "
                             "(its JSON is nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise IndexPageError(f"the index page {redact(url)} is not a PEP 691 project page "
                             "(no 'files' list)")
    api_version = str(data.get("meta", {}).get("api-version", "1.0"))
    if not api_version.startswith("1."):
        raise IndexPageError(f"the index page {redact(url)} uses simple API version "
                             f"{api_version}; pyffin supports 1.x")
    policy = _LinkPolicy(url)
    for entry in data["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise IndexPageError(f"the index page {redact(url)} has a file without a URL")
        file_url, fragment_hashes = _file_url(url, entry["url"])
        if not policy.allows(file_url):
            continue
        raw_hashes = entry.get("hashes") or {}
        hashes = (tuple(sorted((str(k).lower(), str(v).lower()) for k, v in raw_hashes.items()
                               if _HASH_NAME_RE.match(str(k).lower())))
                  if isinstance(raw_hashes, dict) else ()) or fragment_hashes
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata", False))
        core_metadata: Hashes | None
        if metadata is False or metadata is None:
            core_metadata = None
        elif isinstance(metadata, dict):
            core_metadata = tuple(sorted((str(k).lower(), str(v).lower())
                                         for k, v in metadata.items()))
        else:
            core_metadata = ()
        yanked = entry.get("yanked", False)
        size = entry.get("size")
        yield IndexFile(
            filename=str(entry.get("filename") or _filename(file_url)),
            url=file_url,
            hashes=hashes,
            requires_python=entry.get("requires-python") or None,
            yanked=None if yanked is False or yanked is None else
            (yanked if isinstance(yanked, str) else ""),
            upload_time=_upload_time(entry.get("upload-time")),
            size=size if isinstance(size, int) else None,
            core_metadata=core_metadata,
        )
