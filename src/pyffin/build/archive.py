"""Unpack source archives (``.tar.gz``, ``.tar.bz2``, ``.tar.xz``, ``.tar``, ``.zip``) safely.

Every entry is checked, and a hostile archive is refused whole rather than half unpacked: no
absolute names, no ``..`` component, no link whose target leaves the directory (resolved as the
kernel would, through the archive's other links), nothing but regular files, directories and
links. A zip's entries are all checked before anything is written. A compressed tar is read
once, from start to end (reading its list of entries first decompressed it twice: a 318 MB
sdist took 2.6 s to unpack instead of 1.75): its files and directories are written as they come,
its links only once every entry has passed the checks — no link exists while anything is
written, so nothing can be written through one —, and a refusal removes what was written,
leaving the directory as empty as it was given. The same pass reads a tar from a stream
(:func:`unpack_tar_stream`: a large sdist as it downloads, see
``pyffin.distribution.unpacking``). Tar archives are extracted with ``tarfile``'s
``data`` filter where the interpreter has it (3.12, and 3.10.12 / 3.11.4 backports) as a second
line of defence; without it, the checks here stand alone and permission bits are reduced the way
the filter would.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.build.errors import ArchiveError, UnsafeArchiveError
from pyffin.errors import NotSupportedError

if TYPE_CHECKING:
    import tarfile
    import zipfile
    from collections.abc import Callable, Iterator
    from contextlib import ExitStack
    from typing import BinaryIO

#: Filename endings of the supported archives, with the ``tarfile`` mode that reads each.
_TAR_MODES = {
    ".tar.gz": "r:gz", ".tgz": "r:gz",
    ".tar.bz2": "r:bz2", ".tbz": "r:bz2",
    ".tar.xz": "r:xz", ".txz": "r:xz",
    ".tar": "r:",
}


def is_archive(filename: str) -> bool:
    """Whether ``filename`` ends like a source archive this module can unpack."""
    lowered = filename.lower()
    return lowered.endswith(".zip") or lowered.endswith(tuple(_TAR_MODES))


def unpack_archive(archive: Path, dest: Path) -> None:
    """Unpack ``archive`` into the directory ``dest`` (created; it must not hold anything).

    Raises :class:`UnsafeArchiveError` naming the first hostile entry before writing anything,
    :class:`ArchiveError` for an unreadable archive, :class:`NotSupportedError` for an unknown
    format.
    """
    mode = _tar_mode(archive.name)
    if mode is None and not archive.name.lower().endswith(".zip"):
        raise NotSupportedError(
            f"unsupported source archive format: {archive.name} (expected .tar.gz, .tar.bz2, "
            ".tar.xz, .tar or .zip)"
        )
    if mode is None:
        _unpack_into(archive, dest, lambda: _unzip(archive, dest))
    else:
        _unpack_into(archive, dest, lambda: _untar(archive, archive, dest, mode,
                                                   archive.stat().st_size))


def unpack_tar_stream(stream: BinaryIO, archive: Path, dest: Path, *,
                      size: int | None = None) -> None:
    """Unpack the tar archive whose bytes ``stream`` gives, as they come (a download feeding
    it through a pipe), into the directory ``dest`` (created; it must not hold anything), with
    the same checks as :func:`unpack_archive`: ``archive`` is where the archive is being
    written, whose name says how it is compressed and which names it in errors; ``size``, when
    known, how large it is (see :data:`FAST_GZIP_FROM`). Raises :class:`NotSupportedError`
    for an archive that cannot be read as a stream (a zip: its directory is at its end)."""
    mode = stream_mode(archive.name)
    if mode is None:
        raise NotSupportedError(f"{archive.name} cannot be unpacked as it is downloaded")
    _unpack_into(archive, dest, lambda: _untar(stream, archive, dest, mode, size))


def unpack_standard_input() -> None:
    """What the child process of :mod:`pyffin.distribution.unpacking` runs: unpack the tar
    archive on standard input; its arguments (after ``-c`` and the directory it imports pyffin
    from) are the archive's path, the destination and the archive's size (0: unknown)."""
    import sys

    _, _, archive, dest, size = sys.argv
    with open(0, "rb", buffering=1 << 16, closefd=False) as stream:
        unpack_tar_stream(stream, Path(archive), Path(dest), size=int(size) or None)


def stream_mode(filename: str) -> str | None:
    """The ``tarfile`` mode that reads an archive called ``filename`` as a stream; ``None``
    when it is not a tar archive."""
    mode = _tar_mode(filename)
    return None if mode is None else mode.replace(":", "|")


def _tar_mode(filename: str) -> str | None:
    lowered = filename.lower()
    return next((m for suffix, m in _TAR_MODES.items() if lowered.endswith(suffix)), None)


def _unpack_into(archive: Path, dest: Path, unpack: Callable[[], None]) -> None:
    """``unpack()`` into ``dest``, made first and refused unless empty; an ``OSError`` is an
    :class:`ArchiveError` naming ``archive``."""
    try:
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise ArchiveError(f"cannot unpack {archive.name} into {dest}: it is not empty")
        unpack()
    except OSError as e:
        raise ArchiveError(f"cannot unpack {archive}: {e.strerror or e}") from e


def checked_name(archive: Path, name: str) -> str:
    """``name`` normalized, or :class:`UnsafeArchiveError` when it could leave the directory."""
    if "\0" in name:
        raise UnsafeArchiveError(f"{archive.name}: entry {name!r} has a NUL byte in its name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{archive.name}: entry {name!r} has an absolute path")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise UnsafeArchiveError(f"{archive.name}: entry {name!r} has a '..' component")
    return posixpath.normpath(name)


def _escapes(path: str) -> bool:
    """Whether the normalized relative ``path`` points outside its root."""
    return path == ".." or path.startswith("../") or posixpath.isabs(path)


def _check_link_target(archive: Path, entry: str, name: str, target: str) -> None:
    """Refuse a symbolic link at ``name`` whose ``target`` leaves the archive's directory
    on its own (see :func:`_check_links` for links followed through other links)."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    if posixpath.isabs(target) or _escapes(resolved):
        raise UnsafeArchiveError(
            f"{archive.name}: entry {entry!r} is a link to {target!r}, outside the archive"
        )


#: More links than this on one path is a loop (the kernel's own limit is 40).
_MAX_LINK_DEPTH = 40


class _LinkLoop(Exception):
    """Resolving a link followed more than :data:`_MAX_LINK_DEPTH` links."""


def _check_links(archive: Path, links: dict[str, str]) -> None:
    """Refuse a symbolic link that resolves outside the extraction root once the archive's
    other links are followed, as the kernel will follow them: ``b -> ..`` and ``c -> b/..``
    each stay inside when read alone, yet ``c`` is the root's parent. Every link (normalized
    name → target) is resolved component by component from the root, ``..`` applied after a
    link is followed, exactly like path resolution on disk. The same rule for tar and zip."""
    for name, target in links.items():
        start = [p for p in posixpath.dirname(name).split("/") if p]
        try:
            resolved = _resolve(start, target, links, 0)
        except _LinkLoop:
            raise UnsafeArchiveError(
                f"{archive.name}: entry {name!r} is a link to {target!r} in a loop of links"
            ) from None
        if resolved is None:
            raise UnsafeArchiveError(
                f"{archive.name}: entry {name!r} is a link to {target!r}, which resolves "
                "outside the archive through its other links"
            )


def _resolve(parts: list[str], target: str, links: dict[str, str], depth: int
             ) -> list[str] | None:
    """The components of ``target`` resolved from the directory ``parts`` (relative to the
    root), following ``links``; ``None`` when the path leaves the root."""
    if depth > _MAX_LINK_DEPTH:
        raise _LinkLoop  # where it leads cannot be told
    if posixpath.isabs(target):
        return None
    parts = list(parts)
    for component in target.split("/"):
        if component in ("", "."):
            continue
        if component == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(component)
        link = links.get("/".join(parts))
        if link is not None:
            resolved = _resolve(parts[:-1], link, links, depth + 1)
            if resolved is None:
                return None
            parts = resolved
    return parts


def _check_not_under_links(archive: Path, names: list[str], links: set[str]) -> None:
    """Refuse entries placed through another entry that is a link.

    The link checks are lexical: ``a -> .`` followed by ``a/l -> ..`` passes them, yet ``a/l``
    really points one level up. No sdist needs to write through its own links, so this is
    refused outright instead of resolving links while unpacking.
    """
    if not links:
        return
    for name in names:
        parent = posixpath.dirname(name)
        while parent:
            if parent in links:
                raise UnsafeArchiveError(
                    f"{archive.name}: entry {name!r} is placed through the link {parent!r}"
                )
            parent = posixpath.dirname(parent)


# --------------------------------------------------------------------------------------- tar

#: From this size on a gzip'd tar is inflated by ISA-L (``isal``, a dependency where it has
#: wheels) when it is installed: unpacking pyspark's sdists took 1.94-2.03 s instead of
#: 2.40-3.03 (434 MB), but importing ``isal.igzip`` costs 11-15 ms, more than it saves on an
#: archive of less than ~16 MB.
FAST_GZIP_FROM = 32 << 20


def _untar(source: Path | BinaryIO, archive: Path, dest: Path, mode: str,
           size: int | None) -> None:
    """Extract the tar ``source`` (the file ``archive``, or a stream of it: ``mode`` is then
    ``r|...``) into ``dest``."""
    import tarfile
    from contextlib import ExitStack

    filtered = hasattr(tarfile, "data_filter")
    try:
        with ExitStack() as stack:
            tf = stack.enter_context(_open_tar(source, mode, size, stack))
            try:
                if filtered:
                    try:
                        tf.extractall(dest, members=_checked_members(archive, tf),
                                      filter="data")
                    except tarfile.FilterError as e:
                        raise UnsafeArchiveError(f"{archive.name}: {e}") from e
                else:  # pragma: no cover - only interpreters without the backported filter
                    tf.extractall(dest, members=_checked_members(archive, tf, sanitize=True))
            except BaseException:  # what a refused or unreadable archive left halfway
                from pyffin.fs import empty

                empty(dest)
                raise
    except Exception as e:  # ValueError: bad gzip/xz data; and see _decompression_errors
        if not isinstance(e, (tarfile.TarError, EOFError, ValueError, *_decompression_errors())):
            raise
        raise ArchiveError(f"cannot read the source archive {archive}: {e}") from e


def _open_tar(source: Path | BinaryIO, mode: str, size: int | None,
              stack: ExitStack) -> tarfile.TarFile:
    """The tar ``source`` (a file, or a stream) open for reading with ``mode``, a large gzip'd
    one (``size`` bytes) through ISA-L's reader when it is installed (see
    :data:`FAST_GZIP_FROM`); what it opens is closed with ``stack``."""
    import tarfile

    if mode[2:] == "gz" and size is not None and size >= FAST_GZIP_FROM:
        try:
            from isal import igzip
        except ImportError:
            pass
        else:
            raw = stack.enter_context(igzip.open(source, "rb"))  # type: ignore[no-untyped-call]
            return tarfile.open(fileobj=raw, mode=mode[:2])  # type: ignore[call-overload, no-any-return]
    if isinstance(source, Path):
        return tarfile.open(source, mode)  # type: ignore[call-overload, no-any-return]
    return tarfile.open(fileobj=source, mode=mode)  # type: ignore[call-overload, no-any-return]


def _decompression_errors() -> tuple[type[Exception], ...]:
    """What the decompressors raise for damaged data that is neither an ``OSError`` nor a
    ``ValueError``: ``zlib.error`` (a gzip stream damaged past its header, a zip's deflated
    member), ``LZMAError`` (when :mod:`lzma` was imported: an xz stream), ISA-L's error (when
    it was imported: see :data:`FAST_GZIP_FROM`)."""
    import sys
    import zlib

    errors: tuple[type[Exception], ...] = (zlib.error,)
    for module, name in (("lzma", "LZMAError"), ("isal.isal_zlib", "error")):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors += (getattr(loaded, name),)
    return errors


def _checked_members(archive: Path, tf: tarfile.TarFile, *, sanitize: bool = False,
                     ) -> Iterator[tarfile.TarInfo]:
    """The members of ``tf`` to extract, in one pass over the archive: each is checked as its
    header is read, its files and directories given to be written at once; the links are held
    back until the end, when the checks that need every entry (links through links, entries
    placed through a link) have passed. ``sanitize``: with the permission bits the ``data``
    filter would leave (for an interpreter without it)."""
    names: list[str] = []
    # A hard link's target must not be reached through a link either.
    targets: list[str] = []
    links: dict[str, str] = {}
    # By name: a later entry of the same name takes its place, as in the archive's order.
    held: dict[str, tarfile.TarInfo] = {}
    for member in tf:
        name = _check_tar_member(archive, member)
        names.append(name)
        if sanitize:
            member.mode = _sanitized_mode(member)
        if member.issym():
            links[name] = member.linkname
            held[name] = member
        elif member.islnk():
            targets.append(posixpath.normpath(member.linkname))
            held[name] = member
        else:
            held.pop(name, None)
            yield member
    _check_not_under_links(archive, names + targets, set(links))
    _check_links(archive, links)
    yield from held.values()


def _check_tar_member(archive: Path, member: tarfile.TarInfo) -> str:
    """The member's normalized name, or :class:`UnsafeArchiveError`."""
    name = checked_name(archive, member.name)
    if member.isdir() or member.isreg():
        return name
    if member.issym():
        _check_link_target(archive, member.name, name, member.linkname)
        return name
    if member.islnk():
        # A hard link names another member, relative to the archive's root.
        target = member.linkname
        if target.startswith(("/", "\\")) or ".." in target.replace("\\", "/").split("/"):
            raise UnsafeArchiveError(
                f"{archive.name}: entry {member.name!r} is a hard link to {target!r}, outside "
                "the archive"
            )
        return name
    kind = ("a character device" if member.ischr() else "a block device" if member.isblk()
            else "a FIFO" if member.isfifo() else "not a regular file")
    raise UnsafeArchiveError(f"{archive.name}: entry {member.name!r} is {kind}")


def _sanitized_mode(member: tarfile.TarInfo) -> int:
    # What the data filter keeps: no set-id bits, no group/other write, owner can read/write.
    if member.isdir():
        return 0o755
    return (member.mode & 0o755) | 0o600


# --------------------------------------------------------------------------------------- zip

def _unzip(archive: Path, dest: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            links = {info.filename: _link_target(archive, zf, info) for info in infos
                     if stat.S_ISLNK(info.external_attr >> 16)}
            names = [_check_zip_member(archive, info, links) for info in infos]
            normalized = {name: links[info.filename]
                          for name, info in zip(names, infos, strict=True)
                          if info.filename in links}
            _check_not_under_links(archive, names, set(normalized))
            _check_links(archive, normalized)
            for name, info in zip(names, infos, strict=True):
                target = dest / name
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                if info.filename in links:
                    os.symlink(links[info.filename], target)
                    continue
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                if (info.external_attr >> 16) & 0o111:  # keep scripts (configure...) runnable
                    os.chmod(target, 0o755)
    except Exception as e:
        if not isinstance(e, (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
                              *_decompression_errors())):
            raise
        raise ArchiveError(f"cannot read the source archive {archive}: {e}") from e


def _link_target(archive: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    # A zip stores a symbolic link (Unix mode S_IFLNK) as a member holding the target's name.
    try:
        return zf.read(info).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ArchiveError(f"{archive.name}: link {info.filename!r} has an undecodable target") \
            from e


def _check_zip_member(archive: Path, info: zipfile.ZipInfo, links: dict[str, str]) -> str:
    """The member's normalized name, or :class:`UnsafeArchiveError`."""
    name = checked_name(archive, info.filename)
    if name == ".":
        raise UnsafeArchiveError(f"{archive.name}: entry {info.filename!r} has no name")
    if info.filename in links:
        _check_link_target(archive, info.filename, name, links[info.filename])
        return name
    # 0: made on a system that records no Unix mode (e.g. Windows).
    if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UnsafeArchiveError(
            f"{archive.name}: entry {info.filename!r} is not a regular file, directory or link"
        )
    return name
