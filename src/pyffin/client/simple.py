"""PEP 503 (HTML) and PEP 691 (JSON) project pages, parsed into a
:class:`~pyffin.models.files.SimplePage`.

The page types themselves (:class:`~pyffin.models.files.IndexFile`, ``SimplePage``) are shared
vocabulary and live in :mod:`pyffin.models.files`; this module makes them from what an index
serves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin

from pyffin import log
from pyffin.errors import PyffinError
from pyffin.models.files import (
    Hashes,
    IndexFile,
    SimplePage,
    entry_row,
    hash_name_pattern,
    join_url,
    listed_file,
    listed_files,
    listed_row,
)
from pyffin.models.files import upload_time as _upload_time  # noqa: F401 (tests use it)
from pyffin.models.names import normalize_name
from pyffin.models.urls import redact, strip_credentials

if TYPE_CHECKING:
    from pyffin.models.versions import Version

#: The ``Accept`` header of simple-API requests: JSON preferred, HTML as a fallback.
ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
          "text/html;q=0.01")
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_HEX_RE = re.compile(r"^[0-9a-f]{8,}$")
_WEB = ("https://", "http://")
#: URL fragment keys that are not hashes.
_NOT_HASHES = frozenset({"egg", "subdirectory"})


class IndexPageError(PyffinError):
    """An index page could not be parsed."""


_UNSEEN: Any = object()
#: A version written as ``str(Version(...))`` writes it (PEP 440's normalized form; no local
#: part): ``1.0``, ``2!1.0rc1.post2.dev3``, but not ``1.01``, ``0!1.0``, ``1.0-1``, ``1.0A1``.
#: A wheel's tags (``cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64``) in lower case,
#: each part of a compressed set not empty, each interpreter an identifier.
_PLAIN_TAGS_RE = re.compile(
    r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*-[a-z0-9_]+(?:\.[a-z0-9_]+)*-[a-z0-9_]+(?:\.[a-z0-9_]+)*")
_NUMBER = "(?:0|[1-9][0-9]*)"
_NORMALIZED_RE = re.compile(
    rf"(?:[1-9][0-9]*!)?{_NUMBER}(?:\.{_NUMBER})*(?:(?:a|b|rc){_NUMBER})?(?:\.post{_NUMBER})?"
    rf"(?:\.dev{_NUMBER})?")


#: What ``packaging.utils.parse_wheel_filename`` accepts as a wheel filename's name part
#: (PEP 427's escaped name: word characters, dots and underscores; never two underscores in
#: a row, which it checks apart) and its build tag (digits first, ASCII ones).
_WHEEL_NAME_RE = re.compile(r"[\w._]+")
_BUILD_TAG_RE = re.compile(r"([0-9]+)(.*)", re.ASCII)


class FilenameParts:
    """Parsed parts of distribution filenames (project names, versions, build tags, tag
    sets), each distinct string parsed once for as long as this lives: the registry keeps one
    for its session, so ``py3-none-any`` or a common version string is parsed once, not on
    every page and file. Parsing follows packaging's rules: its :class:`Version`, its tag
    parser for tags that are not plain, and ``parse_wheel_filename``'s checks of a name and a
    build tag, written out here (:func:`_wheel_name`, :func:`_build_tag`: importing
    ``packaging.utils`` imports ``packaging.tags``, with :mod:`platform`, :mod:`subprocess`
    and :mod:`sysconfig`, ~10 ms before a page worker's first request;
    ``tests/client/test_simple.py`` holds them to packaging's answers)."""

    __slots__ = ("builds", "names", "parsed", "sdist_names", "tags", "versions")

    def __init__(self) -> None:
        #: Part -> its value as a page row keeps it; ``None``: not valid.
        self.names: dict[str, str | None] = {}
        self.versions: dict[str, str | None] = {}
        self.builds: dict[str, str | None] = {}
        self.tags: dict[str, tuple[str, ...] | None] = {}
        self.sdist_names: dict[str, str] = {}
        #: A version's normalized string -> its ``Version`` (see :attr:`SimplePage.parsed`).
        self.parsed: dict[str, Version] = {}

    def name(self, part: str) -> str | None:
        found = self.names.get(part, _UNSEEN)
        if found is _UNSEEN:
            found = self.names[part] = _wheel_name(part)
        return found  # type: ignore[no-any-return]

    def version(self, part: str) -> str | None:
        """The normalized version string (a page's key) of ``part``."""
        found = self.versions.get(part, _UNSEEN)
        if found is _UNSEEN:
            # Imported by its full name: on Python 3.11, ``from <module> import ...`` in a
            # function costs an AttributeError (the module has no ``__path__``) every call.
            import pyffin.models.versions as versions_module

            try:
                version = versions_module.Version(part)
            except versions_module.InvalidVersion:
                found = None
            else:
                # Most versions are written normalized already: str() of a Version costs
                # more than parsing it.
                found = part if _NORMALIZED_RE.fullmatch(part) else str(version)
                self.parsed.setdefault(found, version)
            self.versions[part] = found
        return found  # type: ignore[no-any-return]

    def build(self, part: str) -> str | None:
        found = self.builds.get(part, _UNSEEN)
        if found is _UNSEEN:
            found = self.builds[part] = _build_tag(part)
        return found  # type: ignore[no-any-return]

    def tag_set(self, part: str) -> tuple[str, ...] | None:
        found = self.tags.get(part, _UNSEEN)
        if found is _UNSEEN:
            if _PLAIN_TAGS_RE.fullmatch(part):
                # Lower case, nothing empty, interpreters that are identifiers: what every
                # packaging makes of them, without making a Tag of each.
                pythons, abis, platforms = part.split("-")
                found = tuple(sorted({f"{python}-{abi}-{platform}"
                                      for python in pythons.split(".")
                                      for abi in abis.split(".")
                                      for platform in platforms.split(".")}))
            elif part.count("-") == 2:
                # What parse_wheel_filename does with the tags of a filename whose other
                # parts are valid, without parsing a name and version first.
                from packaging.tags import InvalidTag, parse_tag

                try:
                    found = tuple(sorted(str(t) for t in parse_tag(part)))
                except InvalidTag:
                    found = None
            else:
                found = _wheel_tags(part)
            self.tags[part] = found
        return found  # type: ignore[no-any-return]

    def sdist_name(self, part: str) -> str:
        found = self.sdist_names.get(part)
        if found is None:
            # (packaging's canonicalize_name, without a check: the same PEP 503 rule)
            found = self.sdist_names[part] = normalize_name(part)
        return found


def _wheel_name(part: str) -> str | None:
    """The normalized project name of a wheel filename's name part, as
    ``parse_wheel_filename`` gives it; ``None`` when it refuses it."""
    if "__" in part or _WHEEL_NAME_RE.fullmatch(part) is None:
        return None
    return normalize_name(part)


def _build_tag(part: str) -> str | None:
    """A wheel filename's build tag as a page row keeps it (``parse_wheel_filename``'s
    ``(number, rest)`` written out: ``01a`` is ``1a``); ``None`` when it refuses it."""
    match = _BUILD_TAG_RE.fullmatch(part)
    if match is None:
        return None
    try:
        return f"{int(match.group(1))}{match.group(2)}"
    except ValueError:  # more digits than Python makes an int of: no real build tag
        return None


def _wheel_tags(part: str) -> tuple[str, ...] | None:
    """A wheel filename's tag part that is not three dash-separated pieces, as
    ``parse_wheel_filename`` reads it (sorted tag texts); ``None`` when it refuses it."""
    import packaging.utils as packaging_utils  # (see FilenameParts.version)

    try:
        tags = packaging_utils.parse_wheel_filename(f"a-0-{part}.whl")[3]
    except packaging_utils.InvalidWheelFilename:
        return None
    return tuple(sorted(str(t) for t in tags))


class PageBuilder:
    """Collects files of one project, parsing and grouping their filenames.

    A page lists thousands of wheels but few distinct project names, versions, build tags and
    tag sets: each distinct part is parsed once (see :class:`FilenameParts`), not once per
    file."""

    def __init__(self, name: str, source: str, parts: FilenameParts | None = None) -> None:
        self.name = normalize_name(name)
        self.source = source
        self.versions: dict[str, tuple[list[Any], list[Any]]] = {}
        self.parts = parts or FilenameParts()
        #: A wheel filename's part before its tags -> ``(name, version key, build)``;
        #: ``None``: not valid.
        self._heads: dict[str, tuple[str, str, str] | None] = {}

    def add(self, file: IndexFile) -> None:
        self.add_row(file.filename, file.to_tuple())

    def add_row(self, filename: str, row: Any, listed: bool = False,
                base: str | None = None) -> None:
        """Add a file given as its :meth:`IndexFile.to_tuple` row, or with ``listed`` as its
        PEP 691 entry, kept as is until looked at, with the URL its relative URL is joined to
        (see :class:`SimplePage`)."""
        if filename.endswith(".whl"):
            self._add_wheel(filename, row, listed, base)
            return
        if filename.endswith(".tar.gz"):
            stem = filename[:-7]
        elif filename.endswith(".zip"):
            stem = filename[:-4]
        else:
            log.debug(f"Skipping {filename} on {self.source}: not a wheel or an sdist")
            return
        # parse_sdist_filename's split; what it refuses goes the long way, for its reason.
        name_part, dash, version_part = stem.rpartition("-")
        key = self.parts.version(version_part) if dash and name_part else None
        if key is not None:
            name = self.parts.sdist_name(name_part)
        else:
            from packaging.utils import InvalidSdistFilename, parse_sdist_filename

            try:
                try:
                    name, version = parse_sdist_filename(filename)
                except InvalidSdistFilename:
                    legacy = self._legacy_sdist(filename)
                    if legacy is None:
                        raise
                    name, version = self.name, legacy
            except InvalidSdistFilename as e:
                log.debug(f"Skipping {filename} on {self.source}: {e}")
                return
            key = str(version)
        if name != self.name:
            log.debug(f"Skipping {filename} on {self.source}: not a file of {self.name}")
            return
        rows = self.versions.get(key)
        if rows is None:
            rows = self.versions[key] = ([], [])
        rows[1].append((row, base) if listed else row)

    def _add_wheel(self, filename: str, row: Any, listed: bool, base: str | None) -> None:
        # parse_wheel_filename's split: name-version[-build]-python-abi-platform.whl; the
        # part before the tags is looked up whole (one per version, nearly always).
        stem = filename[:-4]
        dashes = stem.count("-")
        if dashes not in (4, 5):
            log.debug(f"Skipping {filename} on {self.source}: not a valid wheel filename "
                      "(wrong number of parts)")
            return
        cut = stem.rfind("-", 0, stem.rfind("-", 0, stem.rfind("-")))
        head = self._heads.get(stem[:cut], _UNSEEN)
        if head is _UNSEEN:
            head = self._heads[stem[:cut]] = self._head(stem[:cut].split("-"))
        tags = self.parts.tag_set(stem[cut + 1:])
        if head is None or tags is None:
            log.debug(f"Skipping {filename} on {self.source}: not a valid wheel filename")
            return
        name, key, build = head
        if name != self.name:
            log.debug(f"Skipping {filename} on {self.source}: not a file of {self.name}")
            return
        rows = self.versions.get(key)
        if rows is None:
            rows = self.versions[key] = ([], [])
        rows[0].append((row, tags, build, base) if listed else (*row, tags, build))

    def _head(self, parts: list[str]) -> tuple[str, str, str] | None:
        """``(name, version key, build)`` of a wheel filename's parts before its tags."""
        name = self.parts.name(parts[0])
        version = self.parts.version(parts[1])
        build = self.parts.build(parts[2]) if len(parts) == 3 else ""
        if name is None or version is None or build is None:
            return None
        return name, version, build

    def _legacy_sdist(self, filename: str) -> Version | None:
        """The version of a legacy sdist name, read as uv reads it: the project's name, a
        dash, then a version that normalizes (``pybbox-0.0.5-alpha.zip`` is 0.0.5a0); ``None``
        when that does not hold."""
        from pyffin.models.versions import InvalidVersion, Version

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
        return SimplePage(self.name, self.versions, self.parts.parsed)


def parse_page(name: str, url: str, content: bytes, content_type: str | None,
               parts: FilenameParts | None = None) -> SimplePage:
    """Parse a project page fetched from ``url`` (the final URL, after redirects); ``parts``
    parses filenames (a new one by default)."""
    builder = PageBuilder(name, redact(url), parts)
    media = (content_type or "").split(";")[0].strip().lower()
    add = builder.add_row
    if media == _JSON_TYPE or (not media and content.lstrip()[:1] == b"{"):
        for filename, row, base in _json_files(url, content, builder):
            if isinstance(base, bool):
                add(filename, row)
            else:
                add(filename, row, True, base)
    else:
        text = _decode(url, content, content_type)
        if not _add_html_page(url, text, builder):
            for row in _html_rows(url, text):
                add(row[0], row)
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
        if not sep or not digest or not hash_name_pattern().match(algorithm):
            continue
        if fragment and (algorithm in _NOT_HASHES or not _HEX_RE.match(digest)):
            continue
        found.append((algorithm, digest))
    return tuple(sorted(found))


class _Links:
    """The absolute URLs (without credentials and fragment) of a page's links, with the hash
    in their fragment (relative ones joined by :func:`join_url`)."""

    __slots__ = ("base",)

    def __init__(self, base: str) -> None:
        self.base = base

    def url(self, href: str) -> tuple[str, Hashes]:
        without_fragment, _, fragment = href.partition("#")
        if not without_fragment.startswith(_WEB):
            without_fragment = self.join(without_fragment)
        if "@" in without_fragment.partition("//")[2].partition("/")[0]:
            without_fragment = strip_credentials(without_fragment)
        return without_fragment, _parse_hashes(fragment, fragment=True)

    def join(self, href: str) -> str:
        """``urljoin(base, href)`` for a relative ``href`` without a fragment."""
        return join_url(self.base, href)


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


#: The attributes of nearly every anchor of real indexes: lower-case names, each with a
#: double-quoted value (``href="..." data-requires-python="&gt;=3.9"``), read in two C calls.
_USUAL_ATTRS_RE = re.compile(r'\s*(?:[a-z][-a-z0-9_.:]*="[^"]*"\s*)*/?\s*')
_USUAL_ATTR_RE = re.compile(r'([a-z][-a-z0-9_.:]*)="([^"]*)"')


def _attributes(text: str) -> dict[str, str | None]:
    """An anchor's attributes by lower-case name (the first of a name counts), values
    HTML-unescaped, ``None`` for one without a value."""
    if _USUAL_ATTRS_RE.fullmatch(text):
        pairs = _USUAL_ATTR_RE.findall(text)
        usual: dict[str, str | None] = dict(pairs)
        if len(usual) == len(pairs):  # (else a name given twice: the first counts, below)
            if "&" in text:
                import html

                for name, value in pairs:
                    if "&" in value:
                        usual[name] = html.unescape(value)
            return usual
    return _any_attributes(text)


def _any_attributes(text: str) -> dict[str, str | None]:
    """:func:`_attributes` of any shape HTML allows (single quotes, no quotes, no value,
    upper case, a name twice, spaces around ``=``)."""
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
    return map(IndexFile.from_tuple, _html_rows(url, text))


def parse_json(url: str, content: bytes) -> Iterator[IndexFile]:
    """The files of a PEP 691 JSON page."""
    return map(IndexFile.from_tuple, _json_rows(url, content))


def _html_rows(url: str, text: str) -> Iterator[tuple[Any, ...]]:
    """:func:`parse_html`'s files as :meth:`IndexFile.to_tuple` rows."""
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
    links = _Links(page_base)
    for attrs in anchors:
        row = _html_row(attrs, links, policy)
        if row is not None:
            yield row


def _html_row(attrs: dict[str, str | None], links: _Links, policy: _LinkPolicy,
              ) -> tuple[Any, ...] | None:
    """The :meth:`IndexFile.to_tuple` row of an anchor with attributes ``attrs``; ``None``:
    no link, or one the page may not make."""
    href = attrs.get("href")
    if not href:
        return None
    file_url, hashes = links.url(href)
    if not policy.allows(file_url):
        return None
    requires_python, yanked, core_metadata = _anchor_values(attrs)
    return (_filename(file_url), file_url, hashes, requires_python, yanked, None, None,
            core_metadata)


def _anchor_values(attrs: dict[str, str | None],
                   ) -> tuple[str | None, str | None, Hashes | None]:
    """An anchor's Requires-Python, yanked reason and metadata hashes, as its file has them."""
    metadata_attr = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
    advertised = "data-core-metadata" in attrs or "data-dist-info-metadata" in attrs
    core_metadata: Hashes | None = None
    if advertised and (metadata_attr or "").lower() != "false":
        core_metadata = _parse_hashes(metadata_attr)
    yanked = (attrs["data-yanked"] or "") if "data-yanked" in attrs else None
    return attrs.get("data-requires-python") or None, yanked, core_metadata


#: A tag :data:`_TAG_RE` finds, in one of two forms. An anchor whose first attribute is a
#: double-quoted ``href``, as indexes write them: 1 its link without fragment, 2 the digest
#: of a ``#sha256=`` fragment or 3 any other fragment, 4 its other attributes. Or any other
#: tag: 5 its name (``a`` or ``base``, in any case), 6 its attributes. The first form
#: starts as :data:`_TAG_RE`'s does, and ends at its first ``>`` unless its link has one:
#: then (see :func:`_add_html_page`) the page is read by :func:`_html_rows`.
_ANCHOR_RE = re.compile(
    r'<(?:a href="([^"#]*)(?:#sha256=([^"]*)|(#[^"]*))?"([^>]*)|((?i:a|base))\s([^>]*))>')
#: What stands for a value an anchor's file cannot be kept as listed with: the general way
#: reads it.
_GENERAL: Any = object()


def _hex_digits(text: str) -> bool:
    """Whether ``text`` is hexadecimal digits (of either case) only, an even number of them,
    as ``bytes.fromhex`` reads them in C (it would skip spaces: the length says)."""
    try:
        return len(bytes.fromhex(text)) * 2 == len(text)
    except ValueError:
        return False


def _plain_names(names: str) -> bool:
    """Whether every last segment of links in ``names`` (joined by ``/``) is a filename
    :func:`join_url` appends to a directory as it is, and :func:`_filename` reads as it is
    (unquoted): not empty, not starting with a dot (not ``.`` or ``..``), in ASCII, without
    spaces, control characters, ``?``, ``;``, ``:`` or ``#``. Checked on a page's filenames
    at once, in C."""
    # (isascii first: a 2-byte character and a removed one would make the lengths equal.)
    return (names.isascii() and len(names.encode().translate(None, _NOT_PLAIN)) == len(names)
            and "//" not in names and "/." not in names
            and names[:1] not in ("", "/", ".") and names[-1:] != "/")


#: What :func:`_plain_names` finds in no filename.
_NOT_PLAIN = bytes(range(0x21)) + b"?;:#\x7f"


class _HtmlAnchors:
    """What a PEP 503 page's anchors of the usual shape (see :data:`_ANCHOR_RE`) are kept as,
    as :func:`_json_files` keeps a PEP 691 page's files: a :func:`listed_file` tuple of their
    values (filename, link without fragment, a table of their sha256, Requires-Python,
    yanked reason, metadata), made when :func:`listed_row` gives the file tuple
    :func:`_html_row` gives now. Whatever it could not give the same (another hash, a query,
    credentials, an HTML entity in a link, a scheme other than HTTP(S), a local page) is
    :data:`_GENERAL`: :func:`_html_row` reads it."""

    __slots__ = ("bases", "relative_base", "values")

    def __init__(self, url: str) -> None:
        #: Links relative to the page are joined to its URL when it is a web URL without
        #: credentials (the join then stays on the page's scheme and host, see
        #: :meth:`base`); on any other page they go the general way.
        self.relative_base = url if url.startswith(_WEB) and "@" not in url else None
        #: A link's directory (with its slash) -> its files' base (see :meth:`base`).
        self.bases: dict[str, Any] = {}
        #: An anchor's attributes after ``href`` -> their listed values (see :meth:`value`).
        self.values: dict[str, Any] = {}

    def base(self, directory: str) -> Any:
        """The ``base`` (see :class:`SimplePage`) of links in ``directory`` (their part up to
        their last slash, with it; none of them with ``?``, ``@``, ``#`` or ``&``): ``None``
        for an HTTP(S) URL; the page's URL when joined to it they give one (the directory
        joined here, once: :func:`join_url` keeps it); else :data:`_GENERAL`."""
        found = self.bases.get(directory, _UNSEEN)
        if found is _UNSEEN:
            found = self.bases[directory] = self._base(directory)
        return found

    def _base(self, directory: str) -> Any:
        if directory.startswith(_WEB):
            return None
        base = self.relative_base
        if base is None or ":" in directory.partition("/")[0]:
            return _GENERAL  # a local page, or a scheme (maybe in another case)
        # join_url of a plain filename in this directory is this prefix and the filename.
        prefix = join_url(base, directory + "x")[:-1]
        if (prefix.startswith(_WEB) and prefix[-1:] == "/" and "?" not in prefix
                and "@" not in prefix):
            return base
        return _GENERAL

    def value(self, rest: str) -> Any:
        """``(requires-python, yanked, metadata)`` of a file kept as listed for an anchor
        whose attributes after ``href`` are ``rest``, read by :func:`_attributes` as the
        whole anchor's are (the ``href`` before them does not change how they are read):
        :func:`listed_row` gives what :func:`_anchor_values` gives; :data:`_GENERAL` when a
        metadata hash would not be given back the same."""
        found = self.values.get(rest, _UNSEEN)
        if found is _UNSEEN:
            requires_python, yanked, core_metadata = _anchor_values(
                _attributes('href="x"' + rest))
            metadata: Any
            if core_metadata is None:
                metadata = False
            elif not core_metadata:
                metadata = True
            else:
                [(algorithm, digest)] = core_metadata  # (an attribute gives one)
                metadata = ({algorithm: digest} if algorithm.lower() == algorithm
                            and digest.lower() == digest else _GENERAL)
            found = self.values[rest] = (
                _GENERAL if metadata is _GENERAL else (requires_python, yanked, metadata))
        return found

    def page(self, paths: list[str], digests: list[str | None], rests: list[str],
             ) -> tuple[list[tuple[Any, ...]], str | None] | None:
        """Every anchor of a page (its link, ``#sha256=`` digest or ``None`` and other
        attributes; none with another fragment) kept as listed, with their one base;
        ``None`` when one of them cannot be, or they have different bases. Checked and made
        a column at a time, in C (without a container per anchor but the file's own: the
        collector's passes, which containers made and kept start, would cost more than the
        rest)."""
        joined = "\n".join(paths)
        if "&" in joined or "@" in joined or "?" in joined:
            return None
        if any(digests):
            digits = "".join(filter(None, digests))
            if not _hex_digits(digits) or min(map(len, filter(None, digests))) < 8:
                return None
        tails = list(map(_third, map(str.rpartition, paths, repeat("/"))))
        names = "/".join(tails)
        if not _plain_names(names):
            return None
        if (joined.count("\n") == len(paths) - 1 and joined.startswith(_WEB)
                and joined.count("\nhttps://") + joined.count("\nhttp://") == len(paths) - 1):
            bases: set[Any] = {None}  # every link an HTTP(S) URL (PyPI's: a directory each)
        else:
            bases = set(map(self.base, set(map(str.removesuffix, paths, tails))))
        if len(bases) != 1 or _GENERAL in bases:
            return None
        distinct = set(rests)
        shapes, metadata_digests = (_metadata_shapes(rests) if len(distinct) > 32
                                    else (rests, None))
        values: dict[str, Any] = {}
        #: How many NULs the shapes with some have (see _metadata_shapes).
        counts: set[int] = set()
        for shape in distinct if metadata_digests is None else set(shapes):
            found = values[shape] = self.value(shape)
            if found is _GENERAL:
                return None
            if "\x00" in shape:
                if (found[2] != {"sha256": "\x00"}
                        or "\x00" in f"{found[0] or ''}{found[1] or ''}"):
                    return None
                counts.add(shape.count("\x00"))
                values[shape] = (found[0], found[1], _MARKER)
        requires_python, yanked, metadata = zip(*map(values.__getitem__, shapes), strict=True)
        if metadata_digests:
            # Each anchor's NULs stand for one digest (its dist-info's and core metadata's):
            # as many for every anchor with some, and the same digests.
            if len(counts) != 1:
                return None
            [count] = counts
            own = metadata_digests[::count]
            if any(metadata_digests[i::count] != own for i in range(1, count)):
                return None
            digest_of = iter(own).__next__
            metadata = tuple([{"sha256": digest_of()} if value is _MARKER else value
                              for value in metadata])
        filenames = ([unquote(tail) if "%" in tail else tail for tail in tails] if "%" in names
                     else tails)
        hashes = [{"sha256": digest} if digest else None for digest in digests]
        return (list(zip(filenames, paths, hashes, requires_python, yanked, repeat(None),
                         repeat(None), metadata)),
                bases.pop())

    def file(self, path: str, digest: str, rest: str) -> tuple[tuple[Any, ...], Any] | None:
        """:meth:`page` for one anchor: its file kept as listed and its base, or ``None``."""
        if "&" in path or "@" in path or "?" in path:
            return None
        if digest and (len(digest) < 8 or not _hex_digits(digest)):
            return None
        directory, slash, tail = path.rpartition("/")
        if not _plain_names(tail):
            return None
        base = self.base(directory + slash)
        value = self.value(rest)
        if base is _GENERAL or value is _GENERAL:
            return None
        filename = unquote(tail) if "%" in tail else tail
        return ((filename, path, {"sha256": digest} if digest else None, value[0], value[1],
                 None, None, value[2]),
                base)


#: A PEP 658 metadata file's sha256 in an anchor's ``data-core-metadata`` or
#: ``data-dist-info-metadata``, as PyPI writes them.
_METADATA_DIGEST_RE = re.compile(r'(data-(?:dist-info|core)-metadata="sha256=)([^"]*)(?=")')
#: Stands for the metadata hash an anchor's own digest gives (see :func:`_metadata_shapes`).
_MARKER: Any = object()


def _metadata_shapes(rests: list[str]) -> tuple[list[str], list[str] | None]:
    """The attributes after ``href`` of a page's anchors, with the digest of each
    ``data-core-metadata="sha256=..."`` and ``data-dist-info-metadata="sha256=..."`` made a
    NUL, and those digests, in page order: on PyPI every file has its own, and each anchor's
    attributes would be read, one by one; each distinct shape is read once instead (see
    :meth:`_HtmlAnchors.page`). ``None``: no such digest, or a NUL in the attributes, or a
    digest empty or not hexadecimal: ``rests`` as they are.

    A shape is read as its anchors' attributes are, with a NUL in a value where they have
    their digest (when an anchor's NULs all stand for one digest): a hex digit, as a NUL,
    is none of the characters that delimit names and values, and the patterns of
    :func:`_attributes` take a NUL wherever they take a hex digit (in a quoted or unquoted
    value, in a name where ``[^\\s"'=<>/]`` takes any character), but in a name of the
    usual shape, and a NUL follows ``="sha256=``, not such a name; ``html.unescape``
    replaces none in either (an entity's name does not hold ``=``). A shape whose metadata
    hash is its NUL then gives each anchor's own digest there; any other shape with a NUL
    (in another value read) is read the general way (:meth:`_HtmlAnchors.page` gives
    ``None``)."""
    joined = ">".join(rests)  # (no attributes have a ">")
    if '-metadata="sha256=' not in joined or "\x00" in joined:
        return rests, None
    pieces = _METADATA_DIGEST_RE.split(joined)  # text, 'data-...sha256=', digest, text...
    digests = pieces[2::3]
    if not digests or "" in digests or not _hex_digits("".join(digests)):
        return rests, None
    pieces[2::3] = ["\x00"] * len(digests)
    return "".join(pieces).split(">"), digests


def _add_html_page(url: str, text: str, builder: PageBuilder) -> bool:
    """Add the files of a PEP 503 page to ``builder``, those of anchors of the usual shape
    kept as listed (see :class:`_HtmlAnchors`): the whole page grouped by
    :func:`_add_listed_page`, as a PEP 691 page, when every anchor is; else anchor by
    anchor, in page order, each kept as listed or read by :func:`_html_row` as
    :func:`_html_rows` reads it. ``False``: nothing was added, :func:`_html_rows` reads the
    page (no anchor, a ``<base>``, a ``>`` in a link)."""
    if "<!--" in text:
        text = _COMMENT_RE.sub("", text)
    # The text between tags, then each tag's groups (None: not in the tag), one after the
    # other: a column is a slice (findall would make a tuple per tag).
    found = _ANCHOR_RE.split(text)
    if len(found) == 1:
        return False
    paths, digests, fragments, rests, names = (found[1::7], found[2::7], found[3::7],
                                               found[4::7], found[5::7])
    if any(">" in "".join(filter(None, column)) for column in (paths, digests, fragments)):
        return False  # the tag ends there: not where the first form ends
    others = any(names)
    if others and any(name and name.lower() != "a" for name in names):
        return False  # a <base>: links are joined to its URL
    anchors = _HtmlAnchors(url)
    if not others and not any(fragments):
        kept = anchors.page(paths, digests, rests)
        if kept is not None and _add_listed_page(kept[0], builder, kept[1]):
            return True
    policy = _LinkPolicy(url)
    links = _Links(url)
    add = builder.add_row
    for match in _ANCHOR_RE.finditer(text):
        path, digest, fragment, rest, name, attributes = match.groups("")
        if name:
            row = _html_row(_attributes(attributes), links, policy)
        else:
            file = None if fragment else anchors.file(path, digest, rest)
            if file is not None:
                add(file[0][0], file[0], True, file[1])
                continue
            row = _html_row(_attributes(match.group(0)[3:-1]), links, policy)
        if row is not None:
            add(row[0], row)
    return True


def _json_rows(url: str, content: bytes) -> Iterator[tuple[Any, ...]]:
    """:func:`parse_json`'s files as :meth:`IndexFile.to_tuple` rows."""
    for _, row, base in _json_files(url, content):
        yield row if isinstance(base, bool) else listed_row(row, join_url(base, row[1]) if base
                                                   else row[1])


def _json_files(url: str, content: bytes, builder: PageBuilder | None = None,
                ) -> Iterator[tuple[str, Any, str | bool | None]]:
    """The files of a PEP 691 page as ``(filename, row, base)``: ``base`` ``False``: ``row``
    is the file's :meth:`IndexFile.to_tuple` row; else it is the entry as the page lists it
    (a filename, and an HTTP(S) URL without fragment or credentials, relative to ``base`` or
    absolute (``None``): nearly every file on real indexes), kept as :func:`listed_file`
    keeps it, for :func:`listed_row` once the file is looked at. With ``builder``, such
    wheels (most of a page) are added to it here, not given: this loop sees every file, and a
    call per file costs more than the rest."""
    # Relative URLs of a web page without credentials are joined when a file is looked at:
    # they stay on the page's scheme, which the link policy allows.
    relative_base = url if url.startswith(_WEB) and "@" not in url else None
    if builder is not None:
        typed = _typed_files(content)
        if typed is not None:
            _check_api_version(url, typed[0])
            if _add_listed_page(typed[1], builder, relative_base):
                return
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
    _check_api_version(url, str(data.get("meta", {}).get("api-version", "1.0")))
    policy = _LinkPolicy(url)
    links = _Links(url)
    fragment_hashes: Hashes = ()
    files = data["files"]
    if builder is not None:
        if _add_listed_page(listed_files(files), builder, relative_base):
            return
        files = _listed_wheels(files, builder, relative_base)
    for entry in files:
        href = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(href, str):
            raise IndexPageError(f"the index page {redact(url)} has a file without a URL")
        if "#" in href or "@" in href:  # a fragment or credentials: the general way
            file_url, fragment_hashes = links.url(href)
        elif href.startswith(_WEB):  # nearly every file on real indexes
            filename = entry.get("filename")
            if type(filename) is str and filename:
                yield filename, listed_file(entry), None
                continue
            file_url, fragment_hashes = href, ()
        else:
            if relative_base is not None and ":" not in href.partition("/")[0]:
                filename = entry.get("filename")
                if type(filename) is str and filename:
                    yield filename, listed_file(entry), relative_base
                    continue
            file_url, fragment_hashes = links.join(href), ()
            if "@" in file_url:  # the page's URL has credentials
                file_url, fragment_hashes = links.url(href)
        if not file_url.startswith(_WEB) and not policy.allows(file_url):
            continue
        row = entry_row(entry, file_url, fragment_hashes)
        yield row[0], row, False


def _check_api_version(url: str, api_version: str) -> None:
    if not api_version.startswith("1."):
        raise IndexPageError(f"the index page {redact(url)} uses simple API version "
                             f"{api_version}; pyffin supports 1.x")


class _TypedDecoding:
    """Whether PEP 691 pages are decoded by msgspec (see :mod:`pyffin.client.typed_page`):
    about 2.4 ms less per MB of page than ``json`` and :func:`listed_files`, but importing it
    costs about 14 ms. So the first :attr:`budget` bytes a process decodes go the ``json``
    way, and msgspec is imported for the rest only past them: a command that fetches a few
    small pages (a small cold set, an incremental compile) does not pay for the import; a
    large cold resolution (tens of MB) gains tens of ms. A page that would take the ``json``
    way past its budget is msgspec's already: ``json`` never decodes more than the budget (a
    page of megabytes would cost it more than the import)."""

    __slots__ = ("budget", "decode")

    def __init__(self) -> None:
        #: Bytes ``json`` still decodes before msgspec is imported.
        self.budget = 3_000_000
        #: The typed decoder once imported; ``None``: not yet, ``False``: not installed.
        self.decode: Any = None


_TYPED = _TypedDecoding()


def use_typed_decoding(decode: Callable[[bytes], tuple[str, list[tuple[Any, ...]]] | None],
                       ) -> None:
    """Decode every PEP 691 page of this process with ``decode`` (msgspec's, see
    :mod:`pyffin.client.typed_page`), from the first: for a process that imported it anyway
    (a page worker), whatever its pages' size."""
    _TYPED.budget = 0
    _TYPED.decode = decode


def _typed_files(content: bytes) -> tuple[str, list[tuple[Any, ...]]] | None:
    """A PEP 691 page's API version and its files as :func:`listed_file` keeps them, decoded
    by msgspec (see :class:`_TypedDecoding`); ``None``: go the ``json`` way (within its
    budget, msgspec not installed, or not a page its types describe: the ``json`` way then
    reads it, and says what is wrong)."""
    typed = _TYPED
    decode = typed.decode
    if decode is None:
        if len(content) <= typed.budget:  # threads may race here: the budget is a rough one
            typed.budget -= len(content)
            return None
        typed.budget = 0
        try:
            from pyffin.client.typed_page import decode
        except ImportError:
            decode = False
        typed.decode = decode
    return decode(content) if decode else None


def _listed_wheels(files: list[Any], builder: PageBuilder, relative_base: str | None,
                   ) -> list[Any]:
    """Add the wheels of a PEP 691 ``files`` list that are kept as listed (see
    :func:`_json_files`) to ``builder``, in one loop with :meth:`PageBuilder._add_wheel`'s
    steps inline; the entries left (sdists, other URLs, anything odd) are returned, in
    order, for the general way."""
    rest: list[Any] = []
    keep = rest.append
    name = builder.name
    versions = builder.versions
    parts = builder.parts
    tag_sets = parts.tags
    #: A wheel filename's part before its tags -> ``(version key, build)`` when it names a
    #: version of this project (else ``None``: the general way says why it is skipped).
    heads: dict[str, tuple[str, str] | None] = {}
    for entry in files:
        if type(entry) is not dict:
            keep(entry)
            continue
        filename = entry.get("filename")
        href = entry.get("url")
        if (type(filename) is not str or type(href) is not str
                or not filename.endswith(".whl") or "#" in href or "@" in href):
            keep(entry)
            continue
        if href.startswith(_WEB):
            base = None
        elif relative_base is not None and ":" not in href.partition("/")[0]:
            base = relative_base
        else:
            keep(entry)
            continue
        stem = filename[:-4]
        dashes = stem.count("-")
        if dashes != 4 and dashes != 5:
            keep(entry)
            continue
        cut = stem.rfind("-", 0, stem.rfind("-", 0, stem.rfind("-")))
        head_part = stem[:cut]
        head = heads.get(head_part, _UNSEEN)
        if head is _UNSEEN:
            found = builder._heads.get(head_part, _UNSEEN)
            if found is _UNSEEN:
                found = builder._heads[head_part] = builder._head(head_part.split("-"))
            head = heads[head_part] = (
                None if found is None or found[0] != name else (found[1], found[2]))
        tag_part = stem[cut + 1:]
        tags = tag_sets.get(tag_part, _UNSEEN)
        if tags is _UNSEEN:
            tags = parts.tag_set(tag_part)
        if head is None or tags is None:
            keep(entry)
            continue
        key, build = head
        rows = versions.get(key)
        if rows is None:
            rows = versions[key] = ([], [])
        rows[0].append((listed_file(entry), tags, build, base))
    return rest


_filenames = itemgetter(0)
_hrefs = itemgetter(1)
_third = itemgetter(2)


def _add_listed_page(listed: list[tuple[Any, ...]] | None, builder: PageBuilder,
                     relative_base: str | None) -> bool:
    """Add every file of a PEP 691 ``files`` list, as :func:`listed_files` keeps them
    (``None``: not every entry has the keys it asks for), to ``builder`` kept as listed, when the
    whole page allows it (nearly every page of real indexes): every entry a table with the
    keys :func:`listed_files` asks for, a filename, and an HTTP(S) URL without fragment or
    credentials, all absolute or all relative to the page's web URL. Those checks are made
    once on the page's columns, in C; the loop per file is only
    :meth:`PageBuilder._add_wheel`'s split of the filename, each distinct part parsed once,
    and anything odd goes to :meth:`PageBuilder.add_row` in its turn (page order is kept).
    ``False``: nothing was added, :func:`_listed_wheels` goes file by file."""
    if listed is None:
        return False
    try:
        filenames = list(map(_filenames, listed))
        if not all(filenames):
            return False
        "".join(filenames)  # a TypeError if one is not a string
        hrefs = list(map(_hrefs, listed))
        joined = "\n".join(hrefs)
    except TypeError:
        return False
    if "#" in joined or "@" in joined or joined.count("\n") != len(hrefs) - 1:
        return False  # a fragment, credentials, or a newline (which the counts below miss)
    # Without a colon every URL is relative (a mirror's pages): the counts below, of strings
    # longer than a character, cost more than the rest of these checks.
    web = (0 if ":" not in joined else
           joined.startswith(_WEB) + joined.count("\nhttps://") + joined.count("\nhttp://"))
    if web == len(hrefs):
        base = None
    elif web or relative_base is None or (
            ":" in joined and any(":" in href.partition("/")[0] for href in hrefs)):
        return False  # mixed, or relative to a page that is not a web page, or scheme-like
    else:
        base = relative_base
    name = builder.name
    versions = builder.versions
    parts = builder.parts
    tag_sets = parts.tags
    part_versions = parts.versions
    sdist_names = parts.sdist_names
    add_row = builder.add_row
    #: A wheel filename's part before its tags -> ``(its version's wheels, build)`` when it
    #: names a version of this project (else ``None``: :meth:`PageBuilder.add_row` says why
    #: it is skipped).
    heads: dict[str, tuple[list[Any], str] | None] = {}
    #: The last wheel's part before its tags with the dash after it, and its head: the
    #: wheels of a version come one after another, nearly always.
    prefix = "\n"
    last: Any = None
    for row, filename in zip(listed, filenames, strict=True):
        if filename[-4:] == ".whl":
            if filename.startswith(prefix):
                # The part before the tags is the last wheel's if the rest has 2 dashes.
                tag_part = filename[len(prefix):-4]
                if tag_part.count("-") == 2:
                    tags = tag_sets.get(tag_part, _UNSEEN)
                    if tags is _UNSEEN:
                        tags = parts.tag_set(tag_part)
                    if tags is not None:
                        last[0].append((row, tags, last[1], base))
                        continue
            # One rsplit, not a count and three rfinds: str methods with start and end
            # arguments parse them the slow way.
            head_part = filename.rsplit("-", 3)[0]
            head = heads.get(head_part, _UNSEEN)
            if head is _UNSEEN:
                # Its name has 4 or 5 dashes before ".whl" when this part has 1 or 2.
                head = heads[head_part] = (_listed_head(head_part, builder)
                                           if 0 < head_part.count("-") < 3 else None)
            if head is not None:
                prefix, last = head_part + "-", head
                tag_part = filename[len(prefix):-4]
                tags = tag_sets.get(tag_part, _UNSEEN)
                if tags is _UNSEEN:
                    tags = parts.tag_set(tag_part)
                if tags is not None:
                    head[0].append((row, tags, head[1], base))
                    continue
        elif filename.endswith((".tar.gz", ".zip")):
            name_part, dash, version_part = filename[
                :-7 if filename[-1] == "z" else -4].rpartition("-")
            key = part_versions.get(version_part) if dash and name_part else None
            if key is not None and sdist_names.get(name_part) == name:
                rows = versions.get(key)
                if rows is None:
                    rows = versions[key] = ([], [])
                rows[1].append((row, base))
                continue
        add_row(filename, row, True, base)
    return True


def _listed_head(head_part: str, builder: PageBuilder) -> tuple[list[Any], str] | None:
    """For :func:`_add_listed_page`: the wheels of the version a wheel filename's part
    before its tags names, and its build tag; ``None`` when it is not valid or not of this
    project (:meth:`PageBuilder.add_row` then says why the file is skipped)."""
    parts = builder.parts
    pieces = head_part.split("-")
    name = parts.names.get(pieces[0], _UNSEEN)
    if name is _UNSEEN:
        name = parts.name(pieces[0])
    if name != builder.name:
        return None
    key = parts.versions.get(pieces[1], _UNSEEN)
    if key is _UNSEEN:
        key = parts.version(pieces[1])
    build = parts.build(pieces[2]) if len(pieces) == 3 else ""
    if key is None or build is None:
        return None
    rows = builder.versions.get(key)
    if rows is None:
        rows = builder.versions[key] = ([], [])
    return rows[0], build
