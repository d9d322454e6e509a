"""PEP 751 lock files (``pylock.toml``): the records, checked as the specification says
(:func:`from_table`), and written the way ``uv pip compile --format pylock.toml`` writes them
(:func:`dumps`)::

    lock-version = "1.0"
    created-by = "pyffin"
    requires-python = ">=3.12"

    [[packages]]
    name = "anyio"
    version = "4.9.0"
    index = "https://pypi.org/simple"
    dependencies = [{ name = "idna" }]
    sdist = { url = "https://…/anyio-4.9.0.tar.gz", upload-time = 2025-03-17T00:02:54Z, …
    wheels = [{ url = "https://…/anyio-4.9.0-py3-none-any.whl", upload-time = …, size = …

The TOML is written by hand, not with ``tomli-w``: uv's layout (inline tables, one wheel per
line) keeps a package to a few lines, where ``tomli-w`` would give each wheel a table of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pyffin.errors import UsageError
from pyffin.models.files import is_pylock_filename as is_pylock_filename
from pyffin.models.wheel import wheel_tags as wheel_tags
from pyffin.records import record

Hashes = tuple[tuple[str, str], ...]


class PylockError(UsageError):
    """A lock file breaks the rules of PEP 751, or cannot serve the environment; the message
    names the file and the key. Bad input, as uv says it: exit status 2."""


@record
class LockedFile:
    """A wheel, sdist or archive of a package: where it is (``url`` or ``path``) and what it
    must hash to."""

    url: str | None
    path: str | None
    hashes: Hashes
    #: The file's name when the URL or path does not end with it.
    name: str | None = None
    size: int | None = None
    #: POSIX timestamp.
    upload_time: float | None = None
    #: For an archive of a source tree: where the project is inside it.
    subdirectory: str | None = None

    @property
    def filename(self) -> str:
        if self.name:
            return self.name
        location = (self.url or self.path or "").partition("#")[0].partition("?")[0]
        from urllib.parse import unquote

        return unquote(location.rstrip("/").rpartition("/")[2])


@record
class LockedVcs:
    type: str
    url: str | None
    path: str | None
    commit_id: str
    requested_revision: str | None = None
    subdirectory: str | None = None


@record
class LockedDirectory:
    path: str
    editable: bool = False
    subdirectory: str | None = None


@record
class LockedPackage:
    """One ``[[packages]]`` entry."""

    name: str
    version: str | None = None
    marker: str | None = None
    requires_python: str | None = None
    #: Other entries this one depends on: each a table naming one (``{name = "idna"}``).
    dependencies: tuple[Mapping[str, Any], ...] = ()
    index: str | None = None
    vcs: LockedVcs | None = None
    directory: LockedDirectory | None = None
    archive: LockedFile | None = None
    sdist: LockedFile | None = None
    wheels: tuple[LockedFile, ...] = ()
    #: Where it is in the file, for messages: ``packages[3]``.
    key: str = ""


@record
class PylockFile:
    lock_version: str
    created_by: str
    packages: tuple[LockedPackage, ...]
    requires_python: str | None = None
    environments: tuple[str, ...] | None = None
    extras: tuple[str, ...] = ()
    dependency_groups: tuple[str, ...] = ()
    default_groups: tuple[str, ...] = ()


# --------------------------------------------------------------------------------- reading
class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> PylockError:
        return PylockError(f"{self.source}: `{key}`: {message}")

    def get(self, table: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...],
            *, required: bool = False) -> Any:
        path = f"{where}.{key}" if where else key
        if key not in table:
            if required:
                raise self.fail(path, "missing (the key is required)")
            return None
        value = table[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(
                k.__name__ for k in kind)
            raise self.fail(path, f"expected {_toml_type(names)}, found "
                                  f"{_toml_type(type(value).__name__)}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
        values = self.get(table, key, where, list)
        if values is None:
            return None
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{key}[{i}]", "expected a string")
        return tuple(values)

    def marker(self, text: str | None, path: str) -> str | None:
        if text is None:
            return None
        from pyffin.models.markers import Marker, MarkerError

        try:
            Marker.parse(text)
        except MarkerError as e:
            raise self.fail(path, f"invalid marker {text!r}: {e}") from None
        return text

    def specifier(self, text: str | None, path: str) -> str | None:
        if text is None:
            return None
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            raise self.fail(path, f"invalid version specifier {text!r}") from None
        return text

    def file(self, table: Any, path: str, *, wheel: bool = False) -> LockedFile:
        if not isinstance(table, dict):
            raise self.fail(path, "expected a table")
        url = self.get(table, "url", path, str)
        local = self.get(table, "path", path, str)
        if url is None and local is None:
            raise self.fail(path, "needs a `url` or a `path`")
        hashes = self.get(table, "hashes", path, dict, required=True)
        if not hashes:
            raise self.fail(f"{path}.hashes", "needs at least one hash")
        for algorithm, digest in hashes.items():
            if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-fA-F]+", digest):
                raise self.fail(f"{path}.hashes.{algorithm}", "expected a hex digest")
        size = self.get(table, "size", path, int)
        upload_time = self.get(table, "upload-time", path, object)
        if upload_time is not None:
            import datetime

            if not isinstance(upload_time, datetime.datetime) or upload_time.tzinfo is None:
                raise self.fail(f"{path}.upload-time", "expected an offset date-time "
                                                       "(2025-01-02T03:04:05Z)")
        locked = LockedFile(
            url, local, tuple(sorted((str(a).lower(), str(d).lower())
                                     for a, d in hashes.items())),
            name=self.get(table, "name", path, str), size=size,
            upload_time=upload_time.timestamp() if upload_time is not None else None,
            subdirectory=self.get(table, "subdirectory", path, str))
        if wheel and wheel_tags(locked.filename) is None:
            raise self.fail(path, f"{locked.filename!r} is not a wheel's filename "
                                  "(give it as `name`)")
        return locked

    def package(self, table: Any, path: str) -> LockedPackage:
        if not isinstance(table, dict):
            raise self.fail(path, "expected a table")
        from pyffin.models.names import is_valid_name, normalize_name

        name = self.get(table, "name", path, str, required=True)
        if not is_valid_name(name):
            raise self.fail(f"{path}.name", f"invalid project name {name!r}")
        version = self.get(table, "version", path, str)
        if version is not None:
            from pyffin.models.versions import InvalidVersion, Version

            try:
                Version(version)
            except InvalidVersion:
                raise self.fail(f"{path}.version", f"invalid version {version!r}") from None
        dependencies = self.get(table, "dependencies", path, list) or []
        for i, dependency in enumerate(dependencies):
            if not isinstance(dependency, dict):
                raise self.fail(f"{path}.dependencies[{i}]", "expected a table")
        vcs = directory = None
        if "vcs" in table:
            where = f"{path}.vcs"
            data = self.get(table, "vcs", path, dict)
            vcs = LockedVcs(self.get(data, "type", where, str, required=True),
                            self.get(data, "url", where, str), self.get(data, "path", where, str),
                            self.get(data, "commit-id", where, str, required=True),
                            self.get(data, "requested-revision", where, str),
                            self.get(data, "subdirectory", where, str))
            if vcs.url is None and vcs.path is None:
                raise self.fail(where, "needs a `url` or a `path`")
        if "directory" in table:
            where = f"{path}.directory"
            data = self.get(table, "directory", path, dict)
            directory = LockedDirectory(self.get(data, "path", where, str, required=True),
                                        bool(self.get(data, "editable", where, bool)),
                                        self.get(data, "subdirectory", where, str))
        archive = self.file(table["archive"], f"{path}.archive") if "archive" in table else None
        sdist = self.file(table["sdist"], f"{path}.sdist") if "sdist" in table else None
        wheels = tuple(self.file(wheel, f"{path}.wheels[{i}]", wheel=True)
                       for i, wheel in enumerate(self.get(table, "wheels", path, list) or ()))
        for i, wheel in enumerate(wheels):
            # A wheel of another project or release would install what the entry does not say.
            wheel_name, _, rest = wheel.filename.partition("-")
            wheel_version = rest.partition("-")[0]
            if normalize_name(wheel_name) != normalize_name(name) or (
                    version is not None and not _same_version(wheel_version, version)):
                raise self.fail(f"{path}.wheels[{i}]", f"{wheel.filename} is not a wheel of "
                                                       f"{name} {version}")
        kinds = [k for k, v in (("vcs", vcs), ("directory", directory), ("archive", archive))
                 if v is not None]
        if len(kinds) > 1 or (kinds and (sdist is not None or wheels)):
            both = [*kinds, *(["sdist"] if sdist else []), *(["wheels"] if wheels else [])]
            raise self.fail(path, f"has both `{both[0]}` and `{both[1]}`: a package comes from "
                                  "one of `vcs`, `directory`, `archive`, or `sdist` and "
                                  "`wheels`")
        if not kinds and sdist is None and not wheels:
            raise self.fail(path, "needs one of `wheels`, `sdist`, `archive`, `vcs` or "
                                  "`directory`")
        # (No `version` with `sdist` or `wheels`: PEP 751 says SHOULD; the installer reads it
        # from the file's name.)
        return LockedPackage(
            normalize_name(name), version,
            self.marker(self.get(table, "marker", path, str), f"{path}.marker"),
            self.specifier(self.get(table, "requires-python", path, str),
                           f"{path}.requires-python"),
            tuple(dependencies), self.get(table, "index", path, str), vcs, directory, archive,
            sdist, wheels, path)


def _same_version(a: str, b: str) -> bool:
    from pyffin.models.versions import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def _toml_type(name: str) -> str:
    return {"str": "a string", "int": "an integer", "list": "an array", "dict": "a table",
            "bool": "a boolean", "float": "a float"}.get(name, name)


def from_table(data: Mapping[str, Any], source: str) -> PylockFile:
    """The lock file whose parsed TOML is ``data``; raises :class:`PylockError` naming
    ``source`` and the key for anything PEP 751 does not allow."""
    read = _Reader(source)
    lock_version = read.get(data, "lock-version", "", str, required=True)
    major, _, _ = lock_version.partition(".")
    if major != "1":
        raise read.fail("lock-version", f"unsupported lock version {lock_version!r} (only "
                                        "version 1 is supported)")
    created_by = read.get(data, "created-by", "", str, required=True)
    packages = read.get(data, "packages", "", list, required=True)
    environments = read.strings(data, "environments", "")
    for i, environment in enumerate(environments or ()):
        read.marker(environment, f"environments[{i}]")
    from pyffin.models.names import normalize_name

    def names(key: str) -> tuple[str, ...]:
        return tuple(normalize_name(n) for n in read.strings(data, key, "") or ())

    return PylockFile(
        lock_version, created_by,
        tuple(read.package(package, f"packages[{i}]") for i, package in enumerate(packages)),
        read.specifier(read.get(data, "requires-python", "", str), "requires-python"),
        environments, names("extras"), names("dependency-groups"), names("default-groups"))


# --------------------------------------------------------------------------------- writing
def dumps(lock: PylockFile, *, header: Sequence[str] = ()) -> str:
    """The TOML text of ``lock``, after ``header`` comment lines (``# …``)."""
    lines = [*header, f"lock-version = {_string(lock.lock_version)}",
             f"created-by = {_string(lock.created_by)}"]
    if lock.requires_python is not None:
        lines.append(f"requires-python = {_string(lock.requires_python)}")
    if lock.environments is not None:
        lines.append(f"environments = {_array([_string(e) for e in lock.environments])}")
    for key, values in (("extras", lock.extras), ("dependency-groups", lock.dependency_groups),
                        ("default-groups", lock.default_groups)):
        if values:
            lines.append(f"{key} = {_array([_string(v) for v in values])}")
    if not lock.packages:
        lines.append("packages = []")  # required, even when empty
    for package in lock.packages:
        lines += ["", "[[packages]]", *_package(package)]
    return "".join(f"{line}\n" for line in lines)


def _package(package: LockedPackage) -> list[str]:
    lines = [f"name = {_string(package.name)}"]
    if package.version is not None:
        lines.append(f"version = {_string(package.version)}")
    if package.marker is not None:
        lines.append(f"marker = {_string(package.marker)}")
    if package.requires_python is not None:
        lines.append(f"requires-python = {_string(package.requires_python)}")
    if package.dependencies:
        lines.append(f"dependencies = {_array([_inline(d) for d in package.dependencies])}")
    if package.index is not None:
        lines.append(f"index = {_string(package.index)}")
    if package.vcs is not None:
        vcs = package.vcs
        lines.append("vcs = " + _inline({
            "type": vcs.type, "url": vcs.url, "path": vcs.path,
            "requested-revision": vcs.requested_revision, "commit-id": vcs.commit_id,
            "subdirectory": vcs.subdirectory}))
    if package.directory is not None:
        directory = package.directory
        lines.append("directory = " + _inline({
            "path": directory.path, "editable": directory.editable or None,
            "subdirectory": directory.subdirectory}))
    if package.archive is not None:
        lines.append(f"archive = {_file(package.archive)}")
    if package.sdist is not None:
        lines.append(f"sdist = {_file(package.sdist)}")
    if package.wheels:
        lines.append(f"wheels = {_array([_file(w) for w in package.wheels])}")
    return lines


def _file(file: LockedFile) -> str:
    return _inline({"name": file.name, "url": file.url, "path": file.path,
                    "upload-time": _Raw(_datetime(file.upload_time))
                    if file.upload_time is not None else None,
                    "size": file.size, "subdirectory": file.subdirectory,
                    "hashes": dict(file.hashes)})


class _Raw(str):
    """A value written as it is (a TOML date-time)."""


def _value(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return _inline(value)
    raise TypeError(f"cannot write {value!r} in a lock file")


def _inline(table: Mapping[str, Any]) -> str:
    items = [f"{_key(k)} = {_value(v)}" for k, v in table.items() if v is not None]
    return "{ " + ", ".join(items) + " }" if items else "{}"


def _array(items: Sequence[str]) -> str:
    """One item inline; several on lines of their own, as uv writes them."""
    if len(items) <= 1:
        return f"[{''.join(items)}]"
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but TOML also refuses a raw DEL."""
    import json

    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _datetime(timestamp: float) -> str:
    """An offset date-time in UTC, with milliseconds only when there are any (as uv)."""
    import datetime

    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
