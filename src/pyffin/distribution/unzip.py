"""Unzip a wheel into a directory, validating it on the way (DESIGN §5).

The directory becomes an immutable archive in the cache (``archive-v0/<id>``) that installs
link from, so every check happens here, once: member names that could escape the directory,
symbolic links, the ``.dist-info`` directory, ``WHEEL``, ``METADATA`` against the filename,
RECORD against the members (each file listed, with its size), and — unless the caller has
verified the wheel's own hash against a trusted one (:mod:`pyffin.distribution.database`) —
every file against its RECORD hash (hashed while extracting). Installs trust an archive.

Members are read straight from the archive's bytes (in memory, or an open file) rather than
through :class:`zipfile.ZipExtFile`: each local header is checked against the central
directory, member data may not overlap, and a member is inflated in a few large calls into at
most its declared size, with its CRC-32 checked. Inflating uses ISA-L (``isal``) when it is
installed, else zlib-ng, else the standard library (:data:`INFLATE_MODULES`).

The wheel format itself (RECORD lines, headers, filenames) is :mod:`pyffin.models.wheel`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, cast

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

__all__ = ["UnzippedWheel", "check_unzipped", "inflate_module", "unzip_mapped", "unzip_wheel"]


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
#: Files are hashed in chunks this big by ``cache verify``.
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


class _Codec(Protocol):
    """What unzipping needs of a zlib-compatible module (:mod:`zlib`, ``isal.isal_zlib``,
    ``zlib_ng.zlib_ng``)."""

    error: type[Exception]

    def decompressobj(self, wbits: int) -> _Inflater: ...

    def crc32(self, data: bytes | memoryview, value: int = 0, /) -> int: ...


class _Inflater(Protocol):
    eof: bool
    unconsumed_tail: bytes

    def decompress(self, data: bytes | memoryview, max_length: int = 0, /) -> bytes: ...


#: Where a zlib-compatible module is looked for, fastest first (measured on the wheels of the
#: benchmark's sets: ISA-L inflates in half the time of the standard library, zlib-ng in 60 %).
INFLATE_MODULES = ("isal.isal_zlib", "zlib_ng.zlib_ng", "zlib")
_codec: _Codec | None = None


def inflate_module() -> str:
    """The name of the module that inflates wheels: the first of :data:`INFLATE_MODULES`
    that imports. Imported on the first unzip, not before (it costs about a millisecond)."""
    return getattr(_inflate_codec(), "__name__", "zlib")


def _inflate_codec() -> _Codec:
    global _codec
    if _codec is None:
        import importlib

        for name in INFLATE_MODULES:
            try:
                _codec = cast("_Codec", importlib.import_module(name))
            except ImportError:
                continue
            break
    assert _codec is not None  # zlib is always there
    return _codec


#: Compressed bytes handed to the inflater at once, and the most one call may produce.
_IN_CHUNK = 1 << 18
_OUT_CHUNK = 1 << 21
_STORED, _DEFLATED = 0, 8
#: Bits of a member's flags: encrypted; the name is UTF-8.
_ENCRYPTED, _UTF8 = 0x1, 0x800


class _Unzipper:
    """One unzip: the archive (in memory or an open file), the destination, the wheel's name
    for messages, and the directories made."""

    def __init__(self, zf: zipfile.ZipFile, body: memoryview | None, fp: BinaryIO | None,
                 dest: Path, filename: str) -> None:
        from pyffin.settings import max_page_bytes

        self.zf = zf
        self.body = body
        self.fp = fp
        self.dest = os.fspath(dest)
        self.filename = filename
        self.created: set[str] = {""}
        self.codec = _inflate_codec()
        #: The most a member read into memory (METADATA, WHEEL, RECORD) may decompress to.
        self.limit = max_page_bytes()
        self._ends: dict[int, int] | None = None

    def error(self, message: str) -> InvalidWheelError:
        return InvalidWheelError(f"invalid wheel {self.filename}: {message}")

    # ------------------------------------------------------------------------- raw bytes
    def raw(self, offset: int, size: int) -> bytes | memoryview:
        """``size`` bytes of the archive at ``offset`` (fewer at its end)."""
        if self.body is not None:
            return self.body[offset:offset + size]
        assert self.fp is not None
        self.fp.seek(offset)
        return self.fp.read(size)

    def ends(self) -> dict[int, int]:
        """Where the data of the member whose local header is at each offset must end: at
        the next member's header, or at the central directory. Members whose data overlap
        (one way to make a small archive unpack to a huge one) are refused."""
        if self._ends is None:
            offsets = sorted({info.header_offset for info in self.zf.infolist()})
            limits = [*offsets[1:], self.zf.start_dir]
            self._ends = dict(zip(offsets, limits, strict=True))
        return self._ends

    def data_range(self, info: zipfile.ZipInfo) -> tuple[int, int]:
        """Where the compressed bytes of ``info`` start and end, after checking its local
        header agrees with the central directory (the entry a zip reader would find)."""
        name = info.filename
        offset = info.header_offset
        header = bytes(self.raw(offset, 30))
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise self.error(f"cannot read {name!r}: bad local file header")
        flags = int.from_bytes(header[6:8], "little")
        name_length = int.from_bytes(header[26:28], "little")
        extra_length = int.from_bytes(header[28:30], "little")
        raw_name = bytes(self.raw(offset + 30, name_length))
        try:
            local_name = raw_name.decode("utf-8" if flags & _UTF8 else "cp437")
        except UnicodeDecodeError:
            local_name = None
        if local_name != info.orig_filename:
            raise self.error(f"entry {name!r} is named {raw_name!r} in its local header")
        if info.flag_bits & _ENCRYPTED:
            raise self.error(f"entry {name!r} is encrypted")
        start = offset + 30 + name_length + extra_length
        end = start + info.compress_size
        if end > self.ends()[offset]:
            raise self.error(f"the data of entry {name!r} overlaps the next entry or runs "
                             "past the archive")
        return start, end

    # ----------------------------------------------------------------------- decompressed
    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes | memoryview]:
        """The decompressed content of ``info``, in chunks: never more than its declared size
        (the central directory's), which it must have exactly, with its CRC-32."""
        method = info.compress_type
        if method not in (_STORED, _DEFLATED):
            yield from self._other_method(info)
            return
        name = info.filename
        start, end = self.data_range(info)
        size = info.file_size
        if method == _STORED and end - start != size:
            raise self.error(f"cannot read {name!r}: stored with {end - start} bytes, "
                             f"declared {size}")
        codec = self.codec
        crc = 0
        produced = 0
        inflater = codec.decompressobj(-15) if method == _DEFLATED else None
        position = start
        try:
            while position < end or (inflater is not None and not inflater.eof):
                if inflater is None:
                    out: bytes | memoryview = self.raw(position, min(_OUT_CHUNK, end - position))
                    position += len(out)
                else:
                    if inflater.unconsumed_tail:
                        data: bytes | memoryview = inflater.unconsumed_tail
                    elif position < end:
                        data = self.raw(position, min(_IN_CHUNK, end - position))
                        position += len(data)
                    else:
                        data = b""  # what the inflater still holds
                    # One byte more than the declared size is enough to tell it lied.
                    out = inflater.decompress(data, min(_OUT_CHUNK, size - produced + 1))
                    if not out and not data:
                        raise self.error(f"cannot read {name!r}: its data is truncated")
                if not out:
                    continue
                produced += len(out)
                if produced > size:
                    raise self.error(f"cannot read {name!r}: it decompresses to more than "
                                     f"the {size} bytes declared")
                crc = codec.crc32(out, crc)
                yield out
        except codec.error as e:
            raise self.error(f"cannot read {name!r}: {e}") from e
        if produced != size:
            raise self.error(f"cannot read {name!r}: it decompresses to {produced} bytes, "
                             f"not the {size} declared")
        if crc != info.CRC:
            raise self.error(f"cannot read {name!r}: bad CRC-32")

    def _other_method(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """A member compressed otherwise (bzip2, lzma: allowed in wheels, never seen): read
        through :mod:`zipfile`, which checks its CRC-32."""
        self.data_range(info)
        try:
            with self.zf.open(info) as src:
                while chunk := src.read(_OUT_CHUNK):
                    yield chunk
        except _zip_errors() as e:
            raise self.error(f"cannot read {info.filename!r}: {e}") from e

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A member read into memory, refused unread if it would decompress to more than the
        limit."""
        if info.file_size > self.limit:
            raise self.error(f"{info.filename!r} would decompress to {info.file_size} bytes, "
                             f"more than the {self.limit} allowed (PYFFIN_MAX_PAGE_BYTES)")
        return b"".join(self.chunks(info))

    # ------------------------------------------------------------------------- extracting
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

    def extract(self, info: zipfile.ZipInfo, hasher: _Hasher | None) -> int:
        """Write ``info`` below the destination, fed to ``hasher`` too; return its size."""
        name = info.filename
        parent = name.rpartition("/")[0]
        if parent not in self.created:
            self.makedirs(parent)
        mode = 0o755 if (info.external_attr >> 16) & 0o111 else 0o644
        try:
            fd = os.open(os.path.join(self.dest, name),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC | _O_BINARY, mode)
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            raise self.error(f"{name!r} conflicts with another entry of the archive") from None
        size = 0
        try:
            for chunk in self.chunks(info):
                if hasher is not None:
                    hasher.update(chunk)
                size += len(chunk)
                _write_all(fd, chunk)
        finally:
            os.close(fd)
        return size


class _Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...


_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _zip_errors() -> tuple[type[BaseException], ...]:
    """What reading a corrupt or unsupported member through :mod:`zipfile` raises (zipfile,
    zlib, bz2, lzma)."""
    import zipfile
    import zlib

    return (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def unzip_wheel(wheel: Path | bytes, dest: Path, *, filename: str | None = None,
                verify_record: bool = True) -> UnzippedWheel:
    """Extract the wheel ``wheel`` (a file, or its bytes) into the empty directory ``dest``,
    validating it.

    ``filename`` is the wheel's real filename (required for bytes, and when ``wheel`` is a
    temporary download). ``verify_record`` hashes every member against its RECORD line: the
    caller turns it off only for a wheel whose own hash it has verified against one it trusts
    (see :mod:`pyffin.distribution.database`). Raises :class:`InvalidWheelError` naming the
    wheel and the entry at fault; after an error ``dest`` holds partial content that the
    caller discards (it is never persisted).
    """
    import io

    if isinstance(wheel, bytes):
        if filename is None:
            raise TypeError("unzip_wheel needs the filename of a wheel given as bytes")
        body: memoryview | None = memoryview(wheel)
        source: BinaryIO = io.BytesIO(wheel)  # shares the bytes: no copy
    else:
        filename = filename or wheel.name
        body = None
        try:
            source = open(wheel, "rb")  # noqa: SIM115 - closed below
        except OSError as e:
            raise UnzipError(f"cannot read the wheel {filename}: {e}") from e
    try:
        return _unzip(source, body, dest, filename, verify_record)
    except OSError as e:
        raise UnzipError(f"cannot unzip {filename} into {dest}: {e}") from e
    finally:
        source.close()


def unzip_mapped(fd: int, dest: Path, *, filename: str, verify_record: bool = True
                 ) -> UnzippedWheel:
    """:func:`unzip_wheel` of the wheel in the open file ``fd`` (a memory file a helper
    process was given: see :mod:`pyffin.distribution.unzip_worker`), mapped rather than
    read: its bytes are not copied."""
    import mmap

    try:
        if os.fstat(fd).st_size == 0:  # cannot be mapped: refused as in memory
            return unzip_wheel(b"", dest, filename=filename, verify_record=verify_record)
        mapped = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
    except OSError as e:
        raise UnzipError(f"cannot read the wheel {filename}: {e}") from e
    try:
        # zipfile reads the directory through a file (an mmap's seek errors are not a
        # file's); the members' bytes are read from the mapping.
        with open(os.dup(fd), "rb") as source:
            return _unzip(source, memoryview(mapped), dest, filename, verify_record)
    except OSError as e:
        raise UnzipError(f"cannot unzip {filename} into {dest}: {e}") from e
    finally:
        try:
            mapped.close()
        except BufferError:  # a view of it is still held (by a traceback): left to the GC
            pass


def _unzip(source: BinaryIO, body: memoryview | None, dest: Path, filename: str,
           verify_record: bool) -> UnzippedWheel:
    import zipfile

    from pyffin.interrupt import check

    fname_name, fname_version = parse_filename(filename)
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile as e:
        raise InvalidWheelError(f"invalid wheel {filename}: not a zip archive ({e})") from e
    written_files: list[tuple[str, int]] = []
    with zf:
        unzipper = _Unzipper(zf, body, None if body is not None else source, dest, filename)
        files, dist_info, record, metadata = _validate(unzipper, fname_name, fname_version)
        # Hashing is imported here, not at the top: scanning an environment needs these
        # helpers but no hashing, and hashlib (OpenSSL) costs milliseconds to import.
        new_hasher = _hashers() if verify_record else None
        for info, (algo, expected, size) in sorted(files, key=lambda f: f[0].header_offset):
            check()  # Ctrl-C: stop between members
            hasher = None if new_hasher is None or expected is None else new_hasher(algo)
            written = unzipper.extract(info, hasher)
            if hasher is not None:
                digest = hasher.digest()
                # Some wheels in the wild write hex digests: the same hash, so accepted.
                if expected not in (encode_digest(digest), digest.hex()):
                    raise unzipper.error(
                        f"the {algo} hash of {info.filename!r} does not match RECORD")
            if size is not None and written != size:
                raise unzipper.error(
                    f"{info.filename!r} has {written} bytes but RECORD says {size}")
            written_files.append((info.filename, written))
    return UnzippedWheel(dest, filename, record[0], record[1], dist_info, metadata,
                         tuple(written_files))


def _hashers() -> Callable[[str], _Hasher]:
    import hashlib

    def new(algo: str) -> _Hasher:
        return hashlib.sha256() if algo == "sha256" else hashlib.new(algo)

    return new


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
