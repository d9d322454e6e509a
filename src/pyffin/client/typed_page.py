"""PEP 691 project pages decoded by msgspec straight into what a page keeps of each file.

``json.loads`` makes a dictionary per file (77k on a large resolution) that is thrown away
once its values are picked out; msgspec's typed decoder builds only the values, in C, and
skips what pyffin does not read (the page's ``versions`` list, unknown keys) without making
objects. Imported only where a fetched page is decoded (a cold or stale project), never on a
warm path: its import costs more than a warm command's whole page work.

Anything the types do not describe (a value of another type, an entry not a table, JSON
``json`` reads but msgspec does not) is not decoded here: the caller goes the ``json`` way,
which reads every page it read before with the same tolerance and the same errors.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import msgspec
from msgspec.structs import astuple


class _Entry(msgspec.Struct, gc=False):
    """What every file entry has: the keys :func:`pyffin.models.files.listed_file` keeps, in
    its order, each with the value ``dict.get`` gives when it is missing; the metadata key,
    kept last, is the subclasses' (a subclass's fields come after its base's)."""

    filename: str
    url: str
    hashes: dict[str, str] | None = None
    requires_python: str | None = msgspec.field(default=None, name="requires-python")
    yanked: bool | str | None = None
    upload_time: str | None = msgspec.field(default=None, name="upload-time")
    size: int | None = None


class _File(_Entry, gc=False):
    """A file entry of a page that names ``core-metadata``; missing, it is
    :data:`msgspec.UNSET` (``dist-info-metadata`` would count: see :class:`_OlderFile`)."""

    core_metadata: bool | dict[str, str] | msgspec.UnsetType | None = msgspec.field(
        default=msgspec.UNSET, name="core-metadata")


class _OlderFile(_Entry, gc=False):
    """A file entry of a page without ``core-metadata`` (PEP 714's name): its metadata is
    ``dist-info-metadata``, ``False`` when missing too."""

    dist_info_metadata: bool | dict[str, str] | None = msgspec.field(
        default=False, name="dist-info-metadata")


class _Meta(msgspec.Struct, gc=False, frozen=True):
    api_version: str = msgspec.field(default="1.0", name="api-version")


class _Page(msgspec.Struct, gc=False):
    files: list[_File]
    meta: _Meta = _Meta()


class _OlderPage(msgspec.Struct, gc=False):
    files: list[_OlderFile]
    meta: _Meta = _Meta()


_DECODER = msgspec.json.Decoder(_Page)
_OLDER_DECODER = msgspec.json.Decoder(_OlderPage)
_metadata = itemgetter(7)


def decode(content: bytes) -> tuple[str, list[tuple[Any, ...]]] | None:
    """A page's API version and its files as :func:`~pyffin.models.files.listed_file` keeps
    them (the same tuples, made in C); ``None``: not a page these types describe, or one
    whose files give ``core-metadata`` for some and not others."""
    newer = b'"core-metadata"' in content
    try:
        page = (_DECODER if newer else _OLDER_DECODER).decode(content)
    except msgspec.DecodeError:  # ValidationError too
        return None
    listed = list(map(astuple, page.files))
    if newer and msgspec.UNSET in map(_metadata, listed):
        return None
    return page.meta.api_version, listed
