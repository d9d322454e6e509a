"""Machine-readable accounts of an install: pip's installation report (``--report FILE``,
https://pip.pypa.io/en/stable/reference/installation-report/) and uv's ``--output-format json``
summary of changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyffin.installer.plan import Wanted
    from pyffin.models.metadata import CoreMetadata

#: The fields of pip's JSON form of core metadata (PEP 566), in pip's order, and whether each
#: may appear more than once (then its value is a list).
METADATA_FIELDS: tuple[tuple[str, bool], ...] = (
    ("Metadata-Version", False), ("Name", False), ("Version", False), ("Dynamic", True),
    ("Platform", True), ("Supported-Platform", True), ("Summary", False),
    ("Description", False), ("Description-Content-Type", False), ("Keywords", False),
    ("Home-page", False), ("Download-URL", False), ("Author", False), ("Author-email", False),
    ("Maintainer", False), ("Maintainer-email", False), ("License", False),
    ("License-Expression", False), ("License-File", True), ("Classifier", True),
    ("Requires-Dist", True), ("Requires-Python", False), ("Requires-External", True),
    ("Project-URL", True), ("Provides-Extra", True), ("Provides-Dist", True),
    ("Obsoletes-Dist", True),
)

#: The keys of pip's ``environment`` object: the PEP 508 marker environment.
MARKER_KEYS = ("implementation_name", "implementation_version", "os_name", "platform_machine",
               "platform_release", "platform_system", "platform_version",
               "python_full_version", "platform_python_implementation", "python_version",
               "sys_platform")


def metadata_json(data: bytes) -> dict[str, Any]:
    """A ``METADATA`` file in the JSON form pip's report uses: keys lowercase with ``_`` for
    ``-``, repeatable fields as lists, ``keywords`` split (on commas when it has any, else on
    whitespace), and the message body as ``description``."""
    from email.parser import BytesParser
    from email.policy import compat32

    message = BytesParser(policy=compat32).parsebytes(data)
    result: dict[str, Any] = {}
    for field, multiple in METADATA_FIELDS:
        if field not in message:
            continue
        key = field.lower().replace("-", "_")
        if multiple:
            result[key] = [_header(value) for value in message.get_all(field) or ()]
            continue
        value = _header(message[field])
        if key == "keywords":
            result[key] = ([part.strip() for part in value.split(",")] if "," in value
                           else value.split())
        else:
            result[key] = value
    body = message.get_payload()
    if isinstance(body, str) and body:
        result["description"] = body
    return result


def _header(value: Any) -> str:
    from email.header import Header, decode_header, make_header

    if isinstance(value, Header):
        return str(make_header(decode_header(str(value))))
    return str(value)


def core_metadata_json(metadata: CoreMetadata) -> dict[str, Any]:
    """The fields pyffin keeps of a distribution's metadata (a dry run reads no more), in the
    same JSON form."""
    result: dict[str, Any] = {"metadata_version": metadata.metadata_version,
                              "name": metadata.name, "version": metadata.version}
    if metadata.dynamic:
        result["dynamic"] = list(metadata.dynamic)
    if metadata.requires_dist:
        result["requires_dist"] = list(metadata.requires_dist)
    if metadata.requires_python is not None:
        result["requires_python"] = metadata.requires_python
    if metadata.provides_extra:
        result["provides_extra"] = list(metadata.provides_extra)
    return result


def download_info(wanted: Wanted) -> dict[str, Any]:
    """Where a distribution comes from, as a PEP 610 ``direct_url.json`` object."""
    if wanted.direct_url is not None:
        return dict(wanted.direct_url)
    source = wanted.source
    file = getattr(source, "file", None)
    if file is None:
        return {}
    hashes = dict(file.hashes)
    info: dict[str, Any] = {}
    if hashes:
        algorithm = "sha256" if "sha256" in hashes else sorted(hashes)[0]
        info["hash"] = f"{algorithm}={hashes[algorithm]}"
        info["hashes"] = hashes
    return {"url": file.url, "archive_info": info}


def installation_report(planned: Sequence[Wanted], *, markers: Mapping[str, str],
                        metadata: Callable[[Wanted], dict[str, Any]],
                        requested_extras: Mapping[str, Sequence[str]],
                        version: str) -> dict[str, Any]:
    """pip's installation report (version 1) of the distributions ``planned`` (installed, or
    to be with a dry run); ``metadata`` gives each one's metadata in JSON form, ``version`` is
    written as ``pip_version``."""
    install = []
    for wanted in sorted(planned, key=lambda w: w.name):
        file = getattr(wanted.source, "file", None)
        item: dict[str, Any] = {
            "metadata": metadata(wanted),
            "is_direct": wanted.direct_url is not None,
            "is_yanked": file is not None and file.yanked is not None,
            "download_info": download_info(wanted),
            "requested": wanted.requested,
        }
        extras = requested_extras.get(wanted.name)
        if wanted.requested and extras:
            item["requested_extras"] = sorted(extras)
        install.append(item)
    return {"version": "1", "pip_version": version, "install": install,
            "environment": {key: markers[key] for key in MARKER_KEYS if key in markers}}


def changes_json(installed: Iterable[tuple[str, str]], removed: Iterable[tuple[str, str]], *,
                 dry_run: bool) -> dict[str, Any]:
    """uv's ``--output-format json`` summary: every change sorted by name, a removal before
    the install that replaces it."""
    changes = sorted([(name, 0, version) for name, version in removed]
                     + [(name, 1, version) for name, version in installed])
    return {
        "schema": {"version": "preview"},
        "changes": [{"name": name, "version": version,
                     "action": "installed" if added else "uninstalled"}
                    for name, added, version in changes],
        "dry_run": dry_run,
    }
