"""One requirement in any of the single-line forms pip accepts, from a file or the command line.

* PEP 508: ``flask[async]>=2 ; python_version >= "3.9"``, ``name @ https://host/name-1.0.tar.gz``;
* a URL: ``https://host/name-1.0-py3-none-any.whl``, ``git+https://host/repo@v1#egg=name``,
  ``file:///abs/pkg``; its marker must be set off by whitespace (``url ; marker``), as a ``;``
  may belong to the URL;
* a local path: ``./pkg``, ``../dist/name-1.0.tar.gz``, ``/abs/pkg[extra]``, ``pkg/`` -- text
  that starts with ``.``, contains a path separator (before any ``@``), or names an archive.

A wheel's name comes from its file name and ``#egg=name`` names any other URL; otherwise the
requirement is *unnamed* until it is built. Local paths become absolute ``file://`` URLs and must
exist (a directory must hold ``pyproject.toml`` or ``setup.py``); other URLs are kept as written.

Relative paths are resolved against the working directory, also inside requirements files: that is
what pip and ``uv pip`` do (pip issue #8765 and uv issue #13239 discuss changing it), and a drop-in
must read a file the same way. Nested ``-r``/``-c`` files are the exception: they are relative to
the including file, as in pip.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from pyffin.models.names import is_valid_name, normalize_name
from pyffin.requirements.errors import RequirementsError, invalid, not_supported
from pyffin.requirements.types import Location, RequirementEntry

if TYPE_CHECKING:
    from pyffin.requirements.pep508 import Marker, Requirement

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_CLAUSE = r"(?:===|~=|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+"  # (no lone =, ! or ~)
# ``name`` or ``name<op>version,...`` without extras, URL or marker: most lines of a locked
# file. Built without packaging's full grammar, which costs ~40 us a line. Compiled on first
# use: a bare name (most lines of a ``.in`` file) is told without it.
_SIMPLE = rf"({_NAME})\s*({_CLAUSE}(?:\s*,\s*{_CLAUSE})*)?"
_simple_re: re.Pattern[str] | None = None
# Patterns off that path stay strings: ``re`` compiles (and caches) them on first use, so that
# importing this module does not pay for them.
_SCHEME = r"([A-Za-z][A-Za-z0-9+.-]*):"
_EXTRAS = r"(.+)\[([^\]]*)\]"
_URL_MARKER = r"\s;|;\s"
_EGG = r"(?:^|&)egg=([^&]*)"
_WINDOWS_DRIVE = r"/[A-Za-z]:"

_REMOTE_SCHEMES = frozenset({"http", "https", "ftp"})
_VCS = {"git": "git", "hg": "Mercurial", "svn": "Subversion", "bzr": "Bazaar"}
ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz",
                    ".txz", ".tlz", ".tar.lz", ".tar.lzma")
_PATH_SEPARATORS = tuple({"/", os.sep, os.altsep or "/"})


def parse_requirement(
    text: str,
    location: Location | None = None,
    *,
    editable: bool = False,
    hashes: tuple[str, ...] = (),
    origin: str | None = None,
    working_dir: str | None = None,
    lookup_only: bool = False,
) -> RequirementEntry:
    """Parse one requirement (a requirements-file line without its options, or an argument).

    ``working_dir`` (default: the current directory) anchors relative paths. Raises
    :class:`~pyffin.requirements.errors.RequirementsError` naming ``location`` for bad input.
    ``lookup_only``: the requirement is only looked for among installed distributions (an
    uninstall), so a local path need not exist nor be a project, and a wheel file name that
    does not parse names nothing (``name @ URL`` keeps its name), as with uv.
    """
    text = text.strip()
    if not text:
        raise invalid(location, "empty requirement")
    if not editable:
        parts = _simple_parts(text)
        if parts is not None and not text.lower().endswith(ARCHIVE_SUFFIXES):
            requirement = _simple_requirement(*parts)
            if requirement is not None:
                return RequirementEntry(requirement, None, False, hashes, location, origin)
    parser = _Parser(text, location, editable, working_dir, lookup_only)
    return parser.parse(hashes, origin)


def url_scheme(text: str) -> str | None:
    """The lowercase scheme if ``text`` starts with a URL pip would fetch, else ``None``."""
    match = re.match(_SCHEME, text)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme in _REMOTE_SCHEMES or scheme == "file" or scheme.partition("+")[0] in _VCS:
        return scheme
    return None


def path_to_url(path: str) -> str:
    """The ``file://`` URL of absolute ``path``."""
    if os.name == "nt":
        from pathlib import Path

        return Path(path).as_uri()
    from urllib.parse import quote

    return "file://" + quote(path)


def _simple_parts(text: str) -> tuple[str, str | None] | None:
    """The name and the clauses (``None``: none) of a requirement in the simple shape, else
    ``None``."""
    if is_valid_name(text):  # a name alone: the pattern would match it all as the name
        return text, None
    global _simple_re
    if _simple_re is None:
        _simple_re = re.compile(_SIMPLE)
    simple = _simple_re.fullmatch(text)
    return None if simple is None else (simple.group(1), simple.group(2))


def _simple_requirement(name: str, specifier: str | None) -> Requirement | None:
    """A :class:`Requirement` equal to ``Requirement(name + specifier)``, or ``None`` if
    ``specifier`` is invalid (the full parser then reports it)."""
    from pyffin.requirements import pep508

    clauses = tuple(pep508.Specifier(op, version)
                    for op, version in pep508.CLAUSE_RE.findall(specifier or ""))
    if not pep508.valid_clauses(clauses):
        return None
    return pep508.Requirement(name, specifier=pep508.SpecifierSet(clauses))


class _Parser:
    """The slow path of :func:`parse_requirement`: URLs, paths and full PEP 508."""

    def __init__(self, text: str, location: Location | None, editable: bool,
                 working_dir: str | None, lookup_only: bool = False) -> None:
        self.text = text
        self.location = location
        self.editable = editable
        self.working_dir = working_dir
        self.lookup_only = lookup_only

    def parse(self, hashes: tuple[str, ...], origin: str | None) -> RequirementEntry:
        text = self.text
        scheme = url_scheme(text)
        if scheme is not None:
            separator = re.search(_URL_MARKER, text)
            body, marker = self._split_marker(separator and separator.span())
            url = self._resolve_url(body, scheme)
            given = body
            extras: tuple[str, ...] = ()
        elif self._looks_like_path(text):
            semicolon = text.find(";")
            body, marker = self._split_marker(None if semicolon < 0 else (semicolon, semicolon + 1))
            path, extras = self._split_extras(body)
            url = self._resolve_path(path)
            given = path
        else:
            return self._parse_pep508(hashes, origin)
        requirement = None
        name = self._name_from_url(url)
        if name is not None:
            requirement = self._requirement(f"{name}{_format_extras(extras)} @ {url}", marker)
        return RequirementEntry(requirement, url, self.editable, hashes, self.location, origin,
                                extras, marker, given)

    def _parse_pep508(self, hashes: tuple[str, ...], origin: str | None) -> RequirementEntry:
        from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement

        try:
            requirement = parse_requirement(self.text)
        except InvalidRequirement as e:
            raise self._error(f"invalid requirement {self.text!r}: {e}", show=False) from e
        url = given = requirement.url
        if url is not None:
            scheme = url_scheme(url)
            url = self._resolve_path(url) if scheme is None else self._resolve_url(url, scheme)
            wheel = self._name_from_url(url, egg=False)
            if wheel is not None and normalize_name(requirement.name) != normalize_name(wheel):
                raise self._error(f"the requirement is named {requirement.name!r} but its URL "
                                  f"is a distribution of {wheel!r}")
            requirement.url = url
        elif self.editable:
            raise self._error("an editable requirement must be a local directory "
                              "(-e ./path or -e name @ file:///path)")
        return RequirementEntry(requirement, url, self.editable, hashes, self.location, origin,
                                tuple(sorted(requirement.extras)), requirement.marker, given)

    def _looks_like_path(self, text: str) -> bool:
        # In ``name @ url`` the separators belong to the URL, and a marker may quote anything.
        head = text.partition(";")[0].partition("@")[0].strip()
        if head.startswith(".") or any(sep in head for sep in _PATH_SEPARATORS):
            return True
        if "@" in text:
            return False
        path = head.partition("[")[0].rstrip()
        if path.lower().endswith(ARCHIVE_SUFFIXES):
            return True
        # pip takes ``-e project-dir`` as a path too: nothing else may follow -e.
        return self.editable and os.path.isdir(self._absolute(path))

    def _split_marker(self, separator: tuple[int, int] | None) -> tuple[str, Marker | None]:
        """The text before ``separator`` (a span), and the marker after it."""
        if separator is None:
            return self.text, None
        marker_text = self.text[separator[1]:].strip()
        body = self.text[:separator[0]].strip()
        if not marker_text:
            return body, None
        from pyffin.requirements.pep508 import InvalidMarker, Marker

        try:
            return body, Marker.parse(marker_text)
        except InvalidMarker as e:
            raise self._error(f"invalid marker {marker_text!r}: {e}", show=False) from e

    def _split_extras(self, text: str) -> tuple[str, tuple[str, ...]]:
        match = re.fullmatch(_EXTRAS, text)
        if match is None:
            return text, ()
        extras = tuple(sorted(filter(None, (extra.strip() for extra in match.group(2).split(",")))))
        for extra in extras:
            if not re.fullmatch(_NAME, extra):
                raise self._error(f"invalid extra name {extra!r}")
        return match.group(1).strip(), extras

    def _resolve_url(self, url: str, scheme: str) -> str:
        if scheme == "file":
            path, fragment = self._file_url_path(url)
            return self._resolve_path(path) + fragment
        vcs = scheme.partition("+")[0]
        if vcs in _VCS:
            if vcs != "git":
                raise not_supported(self.location, f"{_VCS[vcs]} requirements are not supported "
                                    f"yet (only git): {url}")
            if self.editable:
                raise not_supported(self.location, f"editable git requirements are not "
                                    f"supported yet: {url}")
        elif self.editable:
            raise self._error("an editable requirement must be a local directory, not a "
                              "remote archive")
        return url

    def _file_url_path(self, url: str) -> tuple[str, str]:
        """The local path of a ``file:`` URL, and its ``#fragment`` (with the ``#``)."""
        from urllib.parse import unquote

        rest, hash_sign, fragment = url[len("file:"):].partition("#")
        path = rest.partition("?")[0]
        if path.startswith("//"):
            host, _, path = path[2:].partition("/")
            if host not in ("", "localhost"):
                raise not_supported(self.location, f"file URLs naming a host are not "
                                    f"supported yet: {url}")
            path = "/" + path
        path = unquote(path)
        if os.name == "nt" and re.match(_WINDOWS_DRIVE, path):
            path = path[1:]
        return path, hash_sign + fragment

    def _absolute(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.working_dir or os.getcwd(), path))

    def _resolve_path(self, path: str) -> str:
        """The ``file://`` URL of local ``path``, which must be a project or an archive (unless
        it is only looked up)."""
        absolute = self._absolute(path)
        if not self.lookup_only:
            self._check_local(absolute, path if path == absolute else
                              f"{path} (resolved to {absolute})")
        return path_to_url(absolute)

    def _check_local(self, absolute: str, shown: str) -> None:
        if os.path.isdir(absolute):
            if not any(os.path.isfile(os.path.join(absolute, marker))
                       for marker in ("pyproject.toml", "setup.py")):
                raise self._error(f"directory {shown} is not a Python project: it has neither "
                                  "pyproject.toml nor setup.py")
        elif os.path.isfile(absolute):
            if self.editable:
                raise self._error(f"an editable requirement must be a directory, not a file: "
                                  f"{shown}")
            if not absolute.lower().endswith(ARCHIVE_SUFFIXES):
                hint = ("; to read it as a requirements file, use -r"
                        if absolute.endswith((".txt", ".in")) else "")
                raise self._error(f"{shown} is not a wheel or source archive{hint}")
        else:
            raise self._error(f"no such file or directory: {shown}")

    def _name_from_url(self, url: str, *, egg: bool = True) -> str | None:
        """The project named by a wheel file name or (if ``egg``) an ``#egg=`` fragment."""
        base, _, fragment = url.partition("#")
        filename = base.partition("?")[0].rstrip("/").rpartition("/")[2]
        if filename.lower().endswith(".whl"):
            from urllib.parse import unquote

            from packaging.utils import InvalidWheelFilename, parse_wheel_filename

            try:
                return parse_wheel_filename(unquote(filename))[0]
            except InvalidWheelFilename as e:
                if self.lookup_only:
                    return None
                raise self._error(str(e)) from e
        fragment_match = re.search(_EGG, fragment) if egg else None
        if fragment_match is None:
            return None
        name = fragment_match.group(1)
        if not re.fullmatch(_NAME, name):
            raise self._error(f"invalid #egg= fragment {name!r}: not a project name")
        return name

    def _requirement(self, text: str, marker: Marker | None) -> Requirement:
        from pyffin.requirements.pep508 import InvalidRequirement, parse_requirement

        try:
            requirement = parse_requirement(text)
        except InvalidRequirement as e:  # e.g. a space in the URL
            raise self._error(f"invalid requirement {self.text!r}: {e}", show=False) from e
        requirement.marker = marker
        return requirement

    def _error(self, message: str, *, show: bool = True) -> RequirementsError:
        return invalid(self.location, message, self.text if show else None)


def _format_extras(extras: tuple[str, ...]) -> str:
    return f"[{','.join(extras)}]" if extras else ""
