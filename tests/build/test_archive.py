"""Source archives are unpacked safely and resolve to one project directory."""

from __future__ import annotations

import io
import os
import random
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import Any, Literal

import pytest

from pyffin.build import (
    ArchiveError,
    InvalidSourceTree,
    UnsafeArchiveError,
    prepare_source,
    unpack_archive,
)
from pyffin.build import archive as archive_module
from pyffin.errors import NotSupportedError
from tests.support.dists import SdistSpec, build_sdist, write_source_tree

# ------------------------------------------------------------------------------ good archives


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_an_sdist_unpacks_to_its_single_top_level_directory(
        tmp_path: Path, fmt: Literal["tar.gz", "zip"]) -> None:
    sdist = build_sdist(SdistSpec("foo", "1.0", format=fmt), tmp_path / "dists")

    tree = prepare_source(sdist, tmp_path / "src")

    assert tree.root == tmp_path / "src" / "foo-1.0"
    assert (tree.root / "pyproject.toml").is_file()
    assert tree.origin == f"foo-1.0.{fmt}"
    assert tree.is_sdist


@pytest.mark.parametrize(("suffix", "mode"), [(".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")])
def test_bzip2_and_xz_tarballs_unpack(tmp_path: Path, suffix: str, mode: str) -> None:
    archive = tmp_path / f"foo-1.0{suffix}"
    _tar(archive, [_file("foo-1.0/setup.py", b"")], mode=mode)

    tree = prepare_source(archive, tmp_path / "src")

    assert (tree.root / "setup.py").is_file()


def test_a_directory_is_used_in_place(tmp_path: Path) -> None:
    project = write_source_tree(SdistSpec("foo", "1.0"), tmp_path / "project")

    tree = prepare_source(project, tmp_path / "unused")

    assert tree.root == project
    assert tree.origin == str(project)
    assert not tree.is_sdist  # its PKG-INFO, if any, is not trusted
    assert not (tmp_path / "unused").exists()


def test_subdirectory_selects_a_project_inside_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "master.zip"
    _zip(archive, {"repo-main/README": b"", "repo-main/libs/foo/setup.py": b""})

    tree = prepare_source(archive, tmp_path / "src", subdirectory="libs/foo",
                          origin="https://example.com/master.zip")

    assert tree.root == tmp_path / "src" / "repo-main" / "libs" / "foo"
    assert tree.origin == "https://example.com/master.zip"


@pytest.mark.parametrize("subdirectory", ["../outside", "/etc", "missing"])
def test_subdirectory_must_exist_inside_the_source(tmp_path: Path, subdirectory: str) -> None:
    (tmp_path / "outside").mkdir()
    project = write_source_tree(SdistSpec("foo", "1.0"), tmp_path / "project")

    with pytest.raises(InvalidSourceTree, match="subdirectory"):
        prepare_source(project, tmp_path / "unused", subdirectory=subdirectory)


def test_a_directory_without_project_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    with pytest.raises(InvalidSourceTree, match=r"neither pyproject\.toml nor setup\.py"):
        prepare_source(tmp_path / "empty", tmp_path / "src")


def test_an_archive_needs_a_single_top_level_directory(tmp_path: Path) -> None:
    archive = tmp_path / "flat-1.0.tar.gz"
    _tar(archive, [_file("setup.py", b""), _file("flat/__init__.py", b"")])

    with pytest.raises(ArchiveError, match=r"single top-level directory.*flat, setup\.py"):
        prepare_source(archive, tmp_path / "src")


def test_a_corrupt_archive_is_an_error_naming_it(tmp_path: Path) -> None:
    archive = tmp_path / "foo-1.0.tar.gz"
    archive.write_bytes(b"\x1f\x8b not really gzip")

    with pytest.raises(ArchiveError, match=r"foo-1\.0\.tar\.gz"):
        prepare_source(archive, tmp_path / "src")


def test_an_archive_cut_short_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    # Its first files are written before the end is found missing.
    archive = _tar(tmp_path / "foo-1.0.tar.gz",
                   [_file(f"foo-1.0/data{i}.bin", os.urandom(50_000)) for i in range(20)])
    archive.write_bytes(archive.read_bytes()[:600_000])
    dest = tmp_path / "src"

    with pytest.raises(ArchiveError, match=r"foo-1\.0\.tar\.gz"):
        prepare_source(archive, dest)

    assert not any(dest.iterdir())


def _damaged_halfway(path: Path, mode: str) -> Path:
    """A tar archive compressed with ``mode`` whose stream is damaged past its first files:
    for gzip, a deflate block of a reserved type (``zlib.error``); for bzip2 and xz, bytes
    flipped in the middle (the same bytes every run: seeded)."""
    rng = random.Random(7)
    members = [_file(f"foo-1.0/data{i}.bin", rng.randbytes(2_000) * 25) for i in range(20)]
    if mode != "w:gz":
        _tar(path, members, mode)
        data = bytearray(path.read_bytes())
        for i in range(len(data) // 2, len(data) // 2 + 2_000):
            data[i] ^= 0x55
        path.write_bytes(bytes(data))
        return path
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = deflate.compress(tar[:len(tar) // 2]) + deflate.flush(zlib.Z_FULL_FLUSH)
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + body + b"\xff" * 16)
    return path


@pytest.mark.parametrize(("suffix", "mode"),
                         [(".tar.gz", "w:gz"), (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")])
def test_an_archive_damaged_halfway_is_an_error_naming_it(tmp_path: Path, suffix: str,
                                                          mode: str) -> None:
    archive = _damaged_halfway(tmp_path / f"foo-1.0{suffix}", mode)
    dest = tmp_path / "src"

    with pytest.raises(ArchiveError, match=rf"foo-1\.0\{suffix}"):
        prepare_source(archive, dest)

    assert not any(dest.iterdir())


def test_a_zip_damaged_halfway_is_an_error_naming_it(tmp_path: Path) -> None:
    archive = tmp_path / "foo-1.0.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("foo-1.0/setup.py", b"")
        zf.writestr("foo-1.0/data.bin", random.Random(7).randbytes(2_000) * 100)
    data = bytearray(archive.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 500):
        data[i] ^= 0x55
    archive.write_bytes(bytes(data))

    with pytest.raises(ArchiveError, match=r"foo-1\.0\.zip"):
        prepare_source(archive, tmp_path / "src")


@pytest.mark.parametrize(("suffix", "mode"), [(".tar.gz", "w:gz"), (".tar.bz2", "w:bz2")])
def test_a_compressed_tar_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       suffix: str, mode: str) -> None:
    # Decompressing is most of the time unpacking takes (a 318 MB sdist: 1.1 s a pass); the
    # list of entries, read first, took a pass of its own.
    archive = _tar(tmp_path / f"foo-1.0{suffix}",
                   [_file("foo-1.0/setup.py", b""),
                    *(_file(f"foo-1.0/data{i}.bin", os.urandom(20_000)) for i in range(50)),
                    _symlink("foo-1.0/link", "setup.py")], mode)
    read = _count_reads(monkeypatch, archive)

    tree = prepare_source(archive, tmp_path / "src")

    assert (tree.root / "data49.bin").stat().st_size == 20_000
    assert (tree.root / "link").resolve() == tree.root / "setup.py"
    assert 0 < read[0] <= archive.stat().st_size


@pytest.fixture
def isal_gzip(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every gzip'd tar inflated by ISA-L, whatever its size (installed with pyffin where it
    has wheels: x86_64, arm64); the names of the archives it opened."""
    igzip = pytest.importorskip("isal.igzip")
    monkeypatch.setattr(archive_module, "FAST_GZIP_FROM", 0)
    opened: list[str] = []
    real_open = igzip.open

    def counted_open(filename: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(filename).name)
        return real_open(filename, *args, **kwargs)

    monkeypatch.setattr(igzip, "open", counted_open)
    return opened


def test_a_large_gzipd_tar_unpacks_through_isa_l_the_same(tmp_path: Path,
                                                          isal_gzip: list[str]) -> None:
    archive = _tar(tmp_path / "foo-1.0.tar.gz",
                   [_file("foo-1.0/setup.py", b""), _file("foo-1.0/data.bin", b"x" * 300_000),
                    _symlink("foo-1.0/link", "setup.py"),
                    _hardlink("foo-1.0/same", "foo-1.0/data.bin")])

    tree = prepare_source(archive, tmp_path / "src")

    assert isal_gzip == ["foo-1.0.tar.gz"]
    assert (tree.root / "data.bin").read_bytes() == b"x" * 300_000
    assert (tree.root / "link").is_symlink()
    assert (tree.root / "same").stat().st_ino == (tree.root / "data.bin").stat().st_ino


def test_a_large_gzipd_tar_damaged_halfway_is_an_error_through_isa_l_too(
        tmp_path: Path, isal_gzip: list[str]) -> None:
    archive = _damaged_halfway(tmp_path / "foo-1.0.tar.gz", "w:gz")
    dest = tmp_path / "src"

    with pytest.raises(ArchiveError, match=r"foo-1\.0\.tar\.gz"):
        prepare_source(archive, dest)

    assert isal_gzip == ["foo-1.0.tar.gz"]
    assert not any(dest.iterdir())


def _count_reads(monkeypatch: pytest.MonkeyPatch, archive: Path) -> list[int]:
    """Count the bytes read from ``archive`` through the files the decompressors open (gzip
    and lzma with ``open``, bz2 with its own reference to it)."""
    import builtins
    import bz2

    read = [0]
    real_open = builtins.open

    class Counted(io.BufferedReader):
        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            read[0] += len(data)
            return data

        def read1(self, size: int = -1) -> bytes:
            data = super().read1(size)
            read[0] += len(data)
            return data

        def readinto(self, buffer: Any) -> int:
            count = super().readinto(buffer)
            read[0] += count
            return count

    def counted_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, Path)) and Path(file) == archive and mode in ("rb", "r"):
            return Counted(io.FileIO(file, "r"))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counted_open)
    monkeypatch.setattr(bz2, "_builtin_open", counted_open)
    return read


def test_an_unknown_archive_format_is_not_supported(tmp_path: Path) -> None:
    archive = tmp_path / "foo-1.0.rar"
    archive.write_bytes(b"Rar!")

    with pytest.raises(NotSupportedError, match=r"foo-1\.0\.rar"):
        unpack_archive(archive, tmp_path / "src")
    with pytest.raises(InvalidSourceTree, match="neither a directory nor a source archive"):
        prepare_source(archive, tmp_path / "src")


def test_unpacking_needs_an_empty_directory(tmp_path: Path) -> None:
    sdist = build_sdist(SdistSpec("foo", "1.0"), tmp_path / "dists")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "leftover").write_text("")

    with pytest.raises(ArchiveError, match="not empty"):
        prepare_source(sdist, tmp_path / "src")


def test_zip_executable_bits_survive(tmp_path: Path) -> None:
    archive = tmp_path / "foo-1.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("foo-1.0/configure")
        info.external_attr = (stat.S_IFREG | 0o755) << 16
        zf.writestr(info, b"#!/bin/sh\n")
        zf.writestr("foo-1.0/setup.py", b"")

    tree = prepare_source(archive, tmp_path / "src")

    assert (tree.root / "configure").stat().st_mode & 0o111


def test_links_inside_the_archive_are_kept(tmp_path: Path) -> None:
    archive = tmp_path / "foo-1.0.tar.gz"
    _tar(archive, [_file("foo-1.0/setup.py", b""), _file("foo-1.0/docs/README", b"hi"),
                   _symlink("foo-1.0/README", "docs/README")])

    tree = prepare_source(archive, tmp_path / "src")

    assert (tree.root / "README").is_symlink()
    assert (tree.root / "README").read_bytes() == b"hi"


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_links_through_links_that_stay_inside_are_kept(tmp_path: Path, fmt: str) -> None:
    files = {"foo-1.0/setup.py": b"", "foo-1.0/docs/README": b"hi"}
    links = {"foo-1.0/manual": "docs", "foo-1.0/README": "manual/../manual/README",
             "foo-1.0/docs/self": "../docs"}
    archive = tmp_path / f"foo-1.0.{fmt}"
    if fmt == "zip":
        _zip(archive, files, links)
    else:
        _tar(archive, [*(_file(n, d) for n, d in files.items()),
                       *(_symlink(n, t) for n, t in links.items())])

    tree = prepare_source(archive, tmp_path / "src")

    assert (tree.root / "README").read_bytes() == b"hi"


@pytest.mark.parametrize(("order", "kind"), [("link, then file", "file"),
                                             ("file, then link", "link")])
def test_of_two_tar_entries_of_one_name_the_later_one_stays(tmp_path: Path, order: str,
                                                              kind: str) -> None:
    # (Written through the link, before, the file landed in the link's target.)
    link, file = _symlink("foo-1.0/a", "target"), _file("foo-1.0/a", b"file")
    archive = _tar(tmp_path / "foo-1.0.tar.gz",
                   [_file("foo-1.0/setup.py", b""), _file("foo-1.0/target", b"target"),
                    *([link, file] if order == "link, then file" else [file, link])])

    tree = prepare_source(archive, tmp_path / "src")

    assert (tree.root / "a").is_symlink() == (kind == "link")
    assert (tree.root / "a").read_bytes() == (b"file" if kind == "file" else b"target")
    assert (tree.root / "target").read_bytes() == b"target"


def test_a_hard_link_to_a_later_entry_is_made(tmp_path: Path) -> None:
    # (It raised a KeyError from tarfile, before.)
    archive = _tar(tmp_path / "foo-1.0.tar.gz",
                   [_file("foo-1.0/setup.py", b""), _hardlink("foo-1.0/b", "foo-1.0/a"),
                    _file("foo-1.0/a", b"A")])

    tree = prepare_source(archive, tmp_path / "src")

    assert (tree.root / "b").read_bytes() == b"A"
    assert (tree.root / "b").stat().st_ino == (tree.root / "a").stat().st_ino


# --------------------------------------------------------------------------- hostile archives

def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _symlink(name: str, target: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None


def _hardlink(name: str, target: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return info, None


def _special(name: str, kind: bytes) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.devmajor, info.devminor = 1, 3
    return info, None


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]],
         mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:  # type: ignore[call-overload]
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


GOOD = [_file("evil-1.0/setup.py", b"")]

HOSTILE_TARS = {
    "parent traversal": ([*GOOD, _file("evil-1.0/../../evil.txt", b"x")],
                         "'..' component"),
    "absolute path": ([*GOOD, _file("/tmp/pyffin-evil.txt", b"x")], "absolute path"),
    "symlink to /etc/passwd": ([*GOOD, _symlink("evil-1.0/passwd", "/etc/passwd")],
                               "link to '/etc/passwd'"),
    "relative symlink out": ([*GOOD, _symlink("evil-1.0/up", "../../..")], "outside"),
    "hard link to /etc/passwd": ([*GOOD, _hardlink("evil-1.0/passwd", "/etc/passwd")],
                                 "hard link"),
    "character device": ([*GOOD, _special("evil-1.0/null", tarfile.CHRTYPE)],
                         "character device"),
    "block device": ([*GOOD, _special("evil-1.0/sda", tarfile.BLKTYPE)], "block device"),
    "fifo": ([*GOOD, _special("evil-1.0/pipe", tarfile.FIFOTYPE)], "FIFO"),
    # Each link stays inside on its own; together 'evil-1.0/here/up' points one level above.
    "link through a link": ([*GOOD, _symlink("evil-1.0/here", "."),
                             _symlink("evil-1.0/here/up", ".."),
                             _file("evil-1.0/here/up/escaped.txt", b"x")],
                            "through the link"),
    # Each link stays inside when read alone; 'c' resolves through 'b' to the root's parent.
    "chain of links": ([*GOOD, _symlink("evil-1.0/b", ".."), _symlink("evil-1.0/c", "b/..")],
                       "resolves outside the archive"),
    "chain of links, listed in reverse": ([*GOOD, _symlink("evil-1.0/c", "d/x/../.."),
                                           _symlink("evil-1.0/d", "e"),
                                           _symlink("evil-1.0/e", "..")],
                                          "resolves outside the archive"),
    "loop of links": ([*GOOD, _symlink("evil-1.0/p", "q"), _symlink("evil-1.0/q", "p/x")],
                      "loop of links"),
}


@pytest.mark.parametrize("read", ["from its file", "as a stream"])
@pytest.mark.parametrize("case", list(HOSTILE_TARS))
def test_hostile_tar_entries_are_refused_and_leave_nothing(tmp_path: Path, case: str,
                                                           read: str) -> None:
    members, reason = HOSTILE_TARS[case]
    archive = _tar(tmp_path / "evil-1.0.tar.gz", members)
    outside = tmp_path / "work"
    dest = outside / "src"

    with pytest.raises(UnsafeArchiveError, match=reason) as caught:
        if read == "as a stream":
            _stream_into(archive, dest)
        else:
            prepare_source(archive, dest)

    assert "evil-1.0.tar.gz" in str(caught.value)
    assert not any(dest.iterdir())
    assert sorted(p.name for p in outside.iterdir()) == ["src"]
    assert not Path("/tmp/pyffin-evil.txt").exists()


HOSTILE_ZIPS = {
    "parent traversal": ({"evil-1.0/setup.py": b"", "evil-1.0/../../evil.txt": b"x"}, {},
                         "'..' component"),
    "absolute path": ({"evil-1.0/setup.py": b"", "/tmp/pyffin-evil.txt": b"x"}, {},
                      "absolute path"),
    "symlink out": ({"evil-1.0/setup.py": b""}, {"evil-1.0/passwd": "/etc/passwd"},
                    "link to '/etc/passwd'"),
    "chain of links": ({"evil-1.0/setup.py": b""}, {"evil-1.0/b": "..", "evil-1.0/c": "b/.."},
                       "resolves outside the archive"),
    "longer chain of links": ({"evil-1.0/setup.py": b""},
                              {"evil-1.0/c": "d/x/../..", "evil-1.0/d": "e", "evil-1.0/e": ".."},
                              "resolves outside the archive"),
}


@pytest.mark.parametrize("case", list(HOSTILE_ZIPS))
def test_hostile_zip_entries_are_refused_before_anything_is_written(tmp_path: Path,
                                                                    case: str) -> None:
    members, links, reason = HOSTILE_ZIPS[case]
    archive = _zip(tmp_path / "evil-1.0.zip", members, links)
    outside = tmp_path / "work"
    dest = outside / "src"

    with pytest.raises(UnsafeArchiveError, match=reason) as caught:
        prepare_source(archive, dest)

    assert "evil-1.0.zip" in str(caught.value)
    assert not any(dest.iterdir())
    assert sorted(p.name for p in outside.iterdir()) == ["src"]
    assert not Path("/tmp/pyffin-evil.txt").exists()


# ------------------------------------------------------------------ unpacked as it downloads

def _stream_into(archive: Path, dest: Path, *, size: int | None = None) -> None:
    """Unpack ``archive`` the way a download feeds it: from a pipe, never seeking."""
    import threading

    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with open(write_fd, "wb") as pipe, open(archive, "rb") as f:
            try:
                while chunk := f.read(7_919):  # pieces of no particular size
                    pipe.write(chunk)
            except BrokenPipeError:  # the reader stopped (a refused entry)
                pass

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        with open(read_fd, "rb") as stream:
            archive_module.unpack_tar_stream(stream, archive, dest, size=size)
    finally:
        feeder.join()


def _tree_of(root: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[key] = ("link", os.readlink(path))
        elif path.is_file():
            found[key] = ("file", path.read_bytes(), path.stat().st_mode & 0o777)
        else:
            found[key] = ("dir",)
    return found


STREAM_MEMBERS = [_file("foo-1.0/setup.py", b"print()"),
                  _hardlink("foo-1.0/early", "foo-1.0/data.bin"),
                  _file("foo-1.0/data.bin", bytes(random.Random(1).randbytes(200_000))),
                  _symlink("foo-1.0/link", "data.bin"),
                  _file("foo-1.0/pkg/mod.py", b"x = 1")]


@pytest.mark.parametrize(("suffix", "mode"), [(".tar.gz", "w:gz"), (".tar.bz2", "w:bz2"),
                                              (".tar.xz", "w:xz"), (".tar", "w:")])
def test_a_tar_read_as_a_stream_unpacks_as_its_file_does(tmp_path: Path, suffix: str,
                                                         mode: str) -> None:
    archive = _tar(tmp_path / f"foo-1.0{suffix}", STREAM_MEMBERS, mode)
    unpack_archive(archive, tmp_path / "from-file")

    _stream_into(archive, tmp_path / "from-stream")

    assert _tree_of(tmp_path / "from-stream") == _tree_of(tmp_path / "from-file")
    early = tmp_path / "from-stream" / "foo-1.0" / "early"
    assert early.stat().st_ino == (early.parent / "data.bin").stat().st_ino


def test_a_large_gzipd_tar_read_as_a_stream_goes_through_isa_l(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    igzip = pytest.importorskip("isal.igzip")
    monkeypatch.setattr(archive_module, "FAST_GZIP_FROM", 1000)
    opened: list[Any] = []
    real = igzip.IGzipFile

    def counted(*args: Any, **kwargs: Any) -> Any:
        opened.append(kwargs.get("fileobj"))
        return real(*args, **kwargs)

    monkeypatch.setattr(igzip, "IGzipFile", counted)
    archive = _tar(tmp_path / "foo-1.0.tar.gz", STREAM_MEMBERS)
    unpack_archive(archive, tmp_path / "from-file")
    opened.clear()

    _stream_into(archive, tmp_path / "small", size=999)
    assert opened == []  # below the size: the standard library's zlib
    _stream_into(archive, tmp_path / "from-stream", size=archive.stat().st_size)

    assert len(opened) == 1
    assert _tree_of(tmp_path / "from-stream") == _tree_of(tmp_path / "from-file")


def test_a_tar_stream_cut_short_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    whole = _tar(tmp_path / "whole.tar.gz", STREAM_MEMBERS)
    archive = tmp_path / "foo-1.0.tar.gz"
    archive.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    dest = tmp_path / "src"

    with pytest.raises(ArchiveError, match=r"foo-1\.0\.tar\.gz"):
        _stream_into(archive, dest)

    assert not any(dest.iterdir())


def test_a_zip_cannot_be_read_as_a_stream(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "foo-1.0.zip", {"foo-1.0/setup.py": b""})

    with pytest.raises(NotSupportedError, match=r"foo-1\.0\.zip"):
        archive_module.unpack_tar_stream(io.BytesIO(archive.read_bytes()), archive,
                                         tmp_path / "src")
