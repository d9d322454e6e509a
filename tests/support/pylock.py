"""A ``pylock.toml`` validator written from PEP 751's rules, apart from pyffin's own reader, so
that a test of pyffin's output does not take pyffin's word for what is valid.

``problems(text)`` lists every rule the document breaks (empty: valid); ``check(text)`` asserts
there are none and returns the parsed document.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from pyffin.toml import TOMLDecodeError, loads

_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_TOP_KEYS = {"lock-version", "environments", "requires-python", "extras", "dependency-groups",
             "default-groups", "created-by", "packages", "tool"}
_PACKAGE_KEYS = {"name", "version", "marker", "requires-python", "dependencies", "vcs",
                 "directory", "archive", "index", "sdist", "wheels", "attestation-identities",
                 "tool"}
_FILE_KEYS = {"name", "upload-time", "url", "path", "size", "hashes"}


def check(text: str) -> dict[str, Any]:
    found = problems(text)
    assert not found, "\n".join(found)
    return loads(text)


def problems(text: str) -> list[str]:
    try:
        doc = loads(text)
    except TOMLDecodeError as e:
        return [f"not TOML: {e}"]
    out: list[str] = []
    out += [f"unknown key {k!r}" for k in doc.keys() - _TOP_KEYS]
    if doc.get("lock-version") != "1.0":
        out.append(f"lock-version must be '1.0', not {doc.get('lock-version')!r}")
    if not isinstance(doc.get("created-by"), str):
        out.append("created-by: required string")
    if "requires-python" in doc:
        _specifier(doc["requires-python"], "requires-python", out)
    for i, environment in enumerate(doc.get("environments", [])):
        _marker(environment, f"environments[{i}]", out)
    for key in ("extras", "dependency-groups", "default-groups"):
        values = doc.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            out.append(f"{key}: must be an array of strings")
    packages = doc.get("packages")
    if not isinstance(packages, list):
        return [*out, "packages: required array of tables"]
    seen: dict[str, list[str | None]] = {}
    for i, package in enumerate(packages):
        where = f"packages[{i}]"
        if not isinstance(package, dict):
            out.append(f"{where}: not a table")
            continue
        out += [f"{where}: unknown key {k!r}" for k in package.keys() - _PACKAGE_KEYS]
        name = package.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            out.append(f"{where}.name: required, a valid project name")
            continue
        if name != canonicalize_name(name):
            out.append(f"{where}.name: {name!r} is not normalized")
        version = package.get("version")
        if version is not None:
            try:
                Version(version)
            except (InvalidVersion, TypeError):
                out.append(f"{where}.version: invalid {version!r}")
        marker = package.get("marker")
        if marker is not None:
            _marker(marker, f"{where}.marker", out)
        if "requires-python" in package:
            _specifier(package["requires-python"], f"{where}.requires-python", out)
        # Unique names per marker: entries of one name need markers no environment satisfies
        # together, or an installer finds two to install there (PEP 751 makes that an error).
        markers = seen.setdefault(name, [])
        if any(_overlap(marker, other) for other in markers):
            out.append(f"{where}: a second {name} entry whose marker does not tell it apart")
        markers.append(marker)
        sources = [k for k in ("vcs", "directory", "archive") if k in package]
        if len(sources) > 1 or (sources and ("sdist" in package or "wheels" in package)):
            out.append(f"{where}: more than one kind of source ({sources})")
        if not sources and "sdist" not in package and "wheels" not in package:
            out.append(f"{where}: no source")
        if ("sdist" in package or "wheels" in package) and version is None:
            out.append(f"{where}: version is required with sdist or wheels")
        if "directory" in package and version is not None:
            out.append(f"{where}: a source tree's version must not be written")
        if "vcs" in package:
            vcs = package["vcs"]
            if not isinstance(vcs.get("type"), str) or not isinstance(vcs.get("commit-id"), str):
                out.append(f"{where}.vcs: type and commit-id are required")
            if "url" not in vcs and "path" not in vcs:
                out.append(f"{where}.vcs: url or path is required")
        if "directory" in package and not isinstance(package["directory"].get("path"), str):
            out.append(f"{where}.directory.path: required")
        if "archive" in package:
            _file(package["archive"], f"{where}.archive", out,
                  extra={"subdirectory"})
        if "sdist" in package:
            _file(package["sdist"], f"{where}.sdist", out)
        for j, wheel in enumerate(package.get("wheels", [])):
            _file(wheel, f"{where}.wheels[{j}]", out)
            filename = wheel.get("name") or str(wheel.get("url") or wheel.get("path") or "")
            try:
                parse_wheel_filename(filename.rpartition("/")[2])
            except InvalidWheelFilename:
                out.append(f"{where}.wheels[{j}]: {filename!r} is not a wheel filename")
        for j, dependency in enumerate(package.get("dependencies", [])):
            if not isinstance(dependency, dict):
                out.append(f"{where}.dependencies[{j}]: not a table")
    names = {p.get("name") for p in packages if isinstance(p, dict)}
    for i, package in enumerate(packages):
        for dependency in package.get("dependencies", []) if isinstance(package, dict) else ():
            if isinstance(dependency, dict) and dependency.get("name") not in names:
                out.append(f"packages[{i}].dependencies: {dependency} names no package")
    return out


def _file(table: Any, where: str, out: list[str], extra: set[str] = set()) -> None:  # noqa: B006
    if not isinstance(table, dict):
        out.append(f"{where}: not a table")
        return
    out += [f"{where}: unknown key {k!r}" for k in table.keys() - _FILE_KEYS - extra]
    if "url" not in table and "path" not in table:
        out.append(f"{where}: url or path is required")
    hashes = table.get("hashes")
    if not isinstance(hashes, dict) or not hashes or not all(
            isinstance(v, str) and re.fullmatch("[0-9a-f]+", v) for v in hashes.values()):
        out.append(f"{where}.hashes: required, at least one hex digest")
    if "upload-time" in table and not (
            isinstance(table["upload-time"], datetime.datetime)
            and table["upload-time"].tzinfo is not None):
        out.append(f"{where}.upload-time: must be an offset date-time")
    if "size" in table and (not isinstance(table["size"], int) or table["size"] < 0):
        out.append(f"{where}.size: must be a non-negative integer")


def _overlap(a: str | None, b: str | None) -> bool:
    """Whether some environment satisfies both markers (``None``: every environment)."""
    if a is None or b is None:
        return True
    from pyffin.models.markers import Marker as Algebra

    try:
        return not Algebra.parse(a).is_disjoint(Algebra.parse(b))
    except ValueError:
        return a == b  # an invalid marker is reported on its own


def _marker(text: Any, where: str, out: list[str]) -> None:
    try:
        Marker(text)
    except (InvalidMarker, TypeError):
        out.append(f"{where}: invalid marker {text!r}")


def _specifier(text: Any, where: str, out: list[str]) -> None:
    try:
        SpecifierSet(text)
    except (InvalidSpecifier, TypeError):
        out.append(f"{where}: invalid specifier {text!r}")
