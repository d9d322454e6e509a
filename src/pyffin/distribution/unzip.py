"""Unzip a wheel into a directory, validating it on the way (DESIGN §5).

The directory becomes an immutable archive in the cache (``archive-v0/<id>``) that installs
link from, so every check happens here, once: member names that could escape the directory,
symbolic links, the ``.dist-info`` directory, ``WHEEL``, ``METADATA`` against the filename, and
every file against its ``RECORD`` line (hashed while extracting). Installs trust an archive.

The wheel format itself (RECORD lines, headers, filenames) is :mod:`pyffin.models.wheel`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.models.names import is_valid_name, normalize_name
from pyffin.models.wheel import (
    DATA_KEYS,
    InvalidWheelError,
    RecordEntry,
    UnzipError,
    dist_stem_matches,
    encode_digest,
    parse_filename,
    parse_record,
    read_headers,
    versions_equal,
)
from pyffin.records import record

if TYPE_CHECKING:
    import zipfile

__all__ = ["UnzippedWheel", "check_unzipped", "unzip_wheel"]


@record
class UnzippedWheel:
    """A wheel unzipped and validated by :func:`unzip_wheel`."""

    #: The directory the wheel was unzipped into.
    path: Path
    #: The wheel's filename (``foo-1.0-py3-none-any.whl``).
    filename: str
    #: Name and version as ``METADATA`` gives them (they match the filename).
    name: str
    version: str
    #: The ``{name}-{version}.dist-info`` directory name, relative to :attr:`path`.
    dist_info: str
    #: The bytes of its ``METADATA`` (read anyway to check the name and version).
    metadata: bytes = b""
    #: Every file written: its ``/``-separated path and size (what the archive must hold).
    files: tuple[tuple[str, int], ...] = ()


#: RECORD hash algorithms accepted: the spec requires sha256 or stronger.
_HASHES = frozenset({"sha256", "sha384", "sha512"})
#: Files of the dist-info directory that RECORD cannot hash (itself and its signatures).
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")
#: Members up to this size are read in one call; bigger ones are streamed in chunks this big.
_CHUNK = 1 << 20


# --------------------------------------------------------------------------------- unzipping


def _member_problem(name: str, mode: int) -> str | None:
    """Why the zip member ``name`` must not be extracted, or ``None`` if it is fine."""
    if name.startswith("/"):
        return "is an absolute path"
    if "\\" in name:
        return "contains a backslash"
    if name[1:2] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    parts = name.split("/")
    if name.endswith("/"):
        parts.pop()
    for part in parts:
        if part == "..":
            return "has a '..' component"
        if part in ("", "."):
            return "has an empty or '.' component"
    kind = mode & 0o170000
    if kind == 0o120000:
        return "is a symbolic link"
    if kind not in (0, 0o100000, 0o040000):
        return "is not a regular file"
    return None


class _Unzipper:
    """One unzip: the wheel's name for messages, the destination and the directories made."""

    def __init__(self, zf: zipfile.ZipFile, dest: Path, filename: str) -> None:
        from pyffin.settings import max_page_bytes

        self.zf = zf
        self.dest = os.fspath(dest)
        self.filename = filename
        self.created: set[str] = {""}
        #: The most a member read into memory (METADATA, WHEEL, RECORD) may decompress to.
        self.limit = max_page_bytes()

    def error(self, message: str) -> InvalidWheelError:
        return InvalidWheelError(f"invalid wheel {self.filename}: {message}")

    def read(self, info: zipfile.ZipInfo, *, bounded: bool = True) -> bytes:
        """A member read into memory (``zipfile`` reads no more than its declared size)."""
        if bounded and info.file_size > self.limit:
            raise self.error(f"{info.filename!r} would decompress to {info.file_size} bytes, "
                             f"more than the {self.limit} allowed (PYFFIN_MAX_PAGE_BYTES)")
        try:
            return self.zf.read(info)
        except _zip_errors() as e:
            raise self.error(f"cannot read {info.filename!r}: {e}") from e

    def makedirs(self, parent: str) -> None:
        """Create ``parent`` (relative, ``/``-separated) and its missing ancestors, each once."""
        missing = []
        while parent not in self.created:
            missing.append(parent)
            parent = parent.rpartition("/")[0]
        for rel in reversed(missing):
            try:
                os.mkdir(os.path.join(self.dest, rel))
            except FileExistsError:
                pass  # a file of that name is caught when a member is written below it
            self.created.add(rel)

    def extract(self, info: zipfile.ZipInfo, algo: str) -> tuple[bytes, int]:
        """Write ``info`` below the destination; return its digest and size."""
        name = info.filename
        parent = name.rpartition("/")[0]
        if parent not in self.created:
            self.makedirs(parent)
        mode = 0o755 if (info.external_attr >> 16) & 0o111 else 0o644
        # Imported here, not at the top: scanning an environment needs these helpers but no
        # hashing, and hashlib (OpenSSL) costs milliseconds to import.
        import hashlib

        hasher = hashlib.sha256() if algo == "sha256" else hashlib.new(algo)
        try:
            fd = os.open(os.path.join(self.dest, name),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            raise self.error(f"{name!r} conflicts with another entry of the archive") from None
        size = 0
        try:
            if info.file_size <= _CHUNK:
                data = self.read(info, bounded=False)
                hasher.update(data)
                size = len(data)
                _write_all(fd, data)
            else:
                try:
                    with self.zf.open(info) as src:
                        while chunk := src.read(_CHUNK):
                            hasher.update(chunk)
                            size += len(chunk)
                            _write_all(fd, chunk)
                except _zip_errors() as e:
                    raise self.error(f"cannot read {name!r}: {e}") from e
        finally:
            os.close(fd)
        return hasher.digest(), size


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _zip_errors() -> tuple[type[BaseException], ...]:
    """What reading a corrupt or unsupported member raises (zipfile, zlib, bz2, lzma)."""
    import zipfile
    import zlib

    return (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def unzip_wheel(wheel: Path, dest: Path, *, filename: str | None = None) -> UnzippedWheel:
    """Extract the wheel at ``wheel`` into the empty directory ``dest``, validating it.

    ``filename`` is the wheel's real filename when ``wheel`` is a temporary download. Raises
    :class:`InvalidWheelError` naming the wheel and the entry at fault; after an error ``dest``
    holds partial content that the caller discards (it is never persisted).
    """
    import zipfile

    filename = filename or wheel.name
    fname_name, fname_version = parse_filename(filename)
    try:
        zf = zipfile.ZipFile(wheel)
    except zipfile.BadZipFile as e:
        raise InvalidWheelError(f"invalid wheel {filename}: not a zip archive ({e})") from e
    except OSError as e:
        raise UnzipError(f"cannot read the wheel {filename}: {e}") from e
    written_files: list[tuple[str, int]] = []
    with zf:
        unzipper = _Unzipper(zf, dest, filename)
        files, dist_info, record, metadata = _validate(unzipper, fname_name, fname_version)
        for info, (algo, expected, size) in files:
            try:
                digest, written = unzipper.extract(info, algo)
            except OSError as e:
                raise UnzipError(f"cannot unzip {filename} into {dest}: {e}") from e
            # Some wheels in the wild write hex digests: the same hash, so accepted.
            if expected is not None and expected not in (encode_digest(digest), digest.hex()):
                raise unzipper.error(
                    f"the {algo} hash of {info.filename!r} does not match RECORD")
            if size is not None and written != size:
                raise unzipper.error(
                    f"{info.filename!r} has {written} bytes but RECORD says {size}")
            written_files.append((info.filename, written))
    return UnzippedWheel(dest, filename, record[0], record[1], dist_info, metadata,
                         tuple(written_files))


_Expected = tuple[str, str | None, int | None]  # algorithm, digest, size from RECORD


def _validate(
    unzipper: _Unzipper, fname_name: str, fname_version: str
) -> tuple[list[tuple[zipfile.ZipInfo, _Expected]], str, tuple[str, str], bytes]:
    """Check everything the central directory and the dist-info files tell before extracting:
    return the members to extract with what RECORD expects of each, the dist-info directory
    name, METADATA's name and version, and METADATA itself."""
    error = unzipper.error
    members: dict[str, zipfile.ZipInfo] = {}
    dist_infos: set[str] = set()
    for info in unzipper.zf.infolist():
        name = info.filename
        problem = _member_problem(name, info.external_attr >> 16)
        if problem:
            raise error(f"entry {name!r} {problem}")
        if name.endswith("/"):
            continue  # directories are created as their files need them
        if name in members:
            raise error(f"entry {name!r} appears twice in the archive")
        members[name] = info
        top, sep, _rest = name.partition("/")
        if sep and top.endswith(".dist-info"):
            dist_infos.add(top)

    if len(dist_infos) != 1:
        found = ", ".join(sorted(dist_infos)) or "none"
        raise error(f"expected exactly one .dist-info directory, found {found}")
    dist_info = dist_infos.pop()
    if not dist_stem_matches(dist_info[: -len(".dist-info")], fname_name, fname_version):
        raise error(f"entry {dist_info!r} does not match the filename's "
                    f"name and version ({fname_name} {fname_version})")

    def member(basename: str) -> zipfile.ZipInfo:
        info = members.get(f"{dist_info}/{basename}")
        if info is None:
            raise error(f"entry {dist_info}/{basename} is missing")
        return info

    wheel_info = read_headers(unzipper.read(member("WHEEL")), ["wheel-version"])
    _check_wheel_version(unzipper, wheel_info.get("wheel-version"), f"{dist_info}/WHEEL")
    metadata_bytes = unzipper.read(member("METADATA"))
    metadata = read_headers(metadata_bytes, ["name", "version"])
    name, version = metadata.get("name", ""), metadata.get("version", "")
    where = f"entry {dist_info}/METADATA"
    if not is_valid_name(name) or normalize_name(name) != normalize_name(fname_name):
        raise error(f"{where} names the project {name!r}, but the filename names {fname_name!r}")
    if not versions_equal(version, fname_version):
        raise error(f"{where} has version {version!r}, but the filename has {fname_version!r}")

    record_name = f"{dist_info}/RECORD"
    expected: dict[str, _Expected] = {}
    for entry in parse_record(unzipper.read(member("RECORD")),
                              source=f"{unzipper.filename}: {record_name}"):
        expected[entry.path] = _expected_of(unzipper, entry)

    _check_data_dir(unzipper, members, f"{dist_info[: -len('.dist-info')]}.data/")
    unhashed = {f"{dist_info}/{name}" for name in _UNHASHED}
    files: list[tuple[zipfile.ZipInfo, _Expected]] = []
    for path, info in members.items():
        want = expected.pop(path, None)
        if path in unhashed:
            continue
        if want is None:
            raise error(f"entry {path!r} is not listed in RECORD")
        if want[1] is None:
            raise error(f"entry {path!r} has no hash in RECORD")
        files.append((info, want))
    for path in expected:
        if path not in unhashed and not path.endswith("/"):  # some tools list directories
            raise error(f"RECORD lists {path!r}, which is not in the archive")
    for path in unhashed:
        if path in members:
            files.append((members[path], ("sha256", None, None)))
    return files, dist_info, (name, version), metadata_bytes


def _expected_of(unzipper: _Unzipper, entry: RecordEntry) -> _Expected:
    if entry.hash is None:
        return ("sha256", None, entry.size)
    algo, sep, digest = entry.hash.partition("=")
    if not sep or algo not in _HASHES:
        raise unzipper.error(f"RECORD entry for {entry.path!r} has an unsupported hash "
                             f"{entry.hash!r} (expected sha256, sha384 or sha512)")
    return (algo, digest.rstrip("="), entry.size)


def _check_wheel_version(unzipper: _Unzipper, value: str | None, where: str) -> None:
    major, _, minor = (value or "").partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise unzipper.error(f"entry {where} has no valid Wheel-Version (got {value!r})")
    if int(major) != 1:
        raise unzipper.error(f"entry {where} has Wheel-Version {value}; only 1.x is supported")
    if int(minor) > 0:
        log.warn_once(f"Installing {unzipper.filename} of a newer Wheel-Version ({value})",
                      key=f"wheel-version-{value}")


def _check_data_dir(unzipper: _Unzipper, members: dict[str, zipfile.ZipInfo], prefix: str) -> None:
    """Every file of the ``.data`` directory must be below one of :data:`DATA_KEYS`."""
    for path in members:
        if path.startswith(prefix):
            key, sep, _rest = path[len(prefix):].partition("/")
            if not sep or key not in DATA_KEYS:
                raise unzipper.error(
                    f"entry {path!r} is not in one of the .data directories "
                    f"({', '.join(sorted(DATA_KEYS))})")


def check_unzipped(root: Path) -> list[str]:
    """What is wrong with an unzipped wheel (an archive of the cache), checked against its own
    RECORD: missing files, files whose hash or size differs, files RECORD does not list.
    Every file is read and hashed: this is ``pyffin cache verify``, not the install path."""
    import hashlib

    try:
        with os.scandir(root) as it:
            dist_infos = sorted(e.name for e in it
                                if e.name.endswith(".dist-info") and e.is_dir())
    except OSError as e:
        return [f"cannot read it: {e.strerror or e}"]
    if len(dist_infos) != 1:
        return [f"expected one .dist-info directory, found {', '.join(dist_infos) or 'none'}"]
    dist_info = dist_infos[0]
    try:
        with open(root / dist_info / "RECORD", "rb") as f:
            entries = parse_record(f.read(), source=f"{dist_info}/RECORD")
    except FileNotFoundError:
        return [f"{dist_info}/RECORD is missing"]
    except (OSError, InvalidWheelError) as e:
        return [f"cannot read {dist_info}/RECORD: {e}"]
    problems: list[str] = []
    listed = {f"{dist_info}/{name}" for name in _UNHASHED}
    for entry in entries:
        path = entry.path
        listed.add(path)
        if path in (f"{dist_info}/{name}" for name in _UNHASHED) or path.endswith("/"):
            continue
        if _member_problem(path, 0) is not None:
            problems.append(f"RECORD lists {path!r}, which is not a path inside the archive")
            continue
        algo, _, expected = (entry.hash or "").partition("=")
        if algo not in _HASHES:
            problems.append(f"RECORD gives {path} no usable hash")
            continue
        hasher = hashlib.new(algo)
        size = 0
        try:
            with open(root / path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    hasher.update(chunk)
                    size += len(chunk)
        except FileNotFoundError:
            problems.append(f"{path} is missing")
            continue
        except OSError as e:
            problems.append(f"cannot read {path}: {e.strerror or e}")
            continue
        digest = hasher.digest()
        if expected.rstrip("=") not in (encode_digest(digest), digest.hex()):
            problems.append(f"{path} does not match its {algo} hash in RECORD")
        elif entry.size is not None and entry.size != size:
            problems.append(f"{path} has {size} bytes but RECORD says {entry.size}")
    base = os.fspath(root)
    for dirpath, _dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        for name in sorted(filenames):
            if prefix + name not in listed:
                problems.append(f"{prefix + name} is not listed in RECORD")
    return problems
