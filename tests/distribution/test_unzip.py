from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pyffin.distribution import unzip
from pyffin.distribution.unzip import unzip_wheel
from pyffin.models.wheel import InvalidWheelError, UnzipError
from tests.support.dists import WheelSpec, build_wheel, record_hash, wheel_metadata

SPEC = WheelSpec(
    "Foo_Bar",
    "1.0",
    files={"foo_bar/__init__.py": "X = 1\n", "foo_bar/sub/mod.py": "Y = 2\n"},
    data={"scripts": {"tool": "#!python\nprint('hi')\n"}, "data": {"share/x.txt": "x"}},
)
FILENAME = "foo_bar-1.0-py3-none-any.whl"


def files_below(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def unzip_fails(wheel: Path, tmp_path: Path) -> str:
    """Unzip ``wheel`` expecting an error; check nothing landed outside ``dest``; return the
    message."""
    dest = tmp_path / "dest"
    dest.mkdir()
    before = files_below(tmp_path)
    with pytest.raises(InvalidWheelError) as info:
        unzip_wheel(wheel, dest)
    created = {p for p in files_below(tmp_path) - before if not p.startswith("dest")}
    assert created == set()
    assert not (tmp_path.parent / "evil.py").exists()
    assert wheel.name in str(info.value)
    return str(info.value)


def rewrite_zip(wheel: Path, *, drop: str = "", add: tuple[str, bytes, int] | None = None) -> None:
    """Rewrite ``wheel`` without the member ``drop`` and/or with an extra member
    ``(name, data, unix mode)`` (duplicates allowed)."""
    with zipfile.ZipFile(wheel) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist() if info.filename != drop]
    with zipfile.ZipFile(wheel, "w") as zf:
        for info, data in members:
            zf.writestr(info, data)
        if add is not None:
            name, data, mode = add
            extra = zipfile.ZipInfo(name)
            extra.create_system = 3
            extra.external_attr = mode << 16
            zf.writestr(extra, data)


# ------------------------------------------------------------------------------ valid wheels


def test_extracts_every_member_and_reports_the_metadata(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    dest = tmp_path / "dest"
    dest.mkdir()

    unzipped = unzip_wheel(wheel, dest)

    assert (unzipped.name, unzipped.version) == ("Foo_Bar", "1.0")
    assert unzipped.dist_info == "foo_bar-1.0.dist-info"
    assert unzipped.filename == FILENAME and unzipped.path == dest
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            assert (dest / info.filename).read_bytes() == zf.read(info)
    assert files_below(dest) >= {"foo_bar/sub/mod.py", "foo_bar-1.0.data/scripts/tool"}


def test_keeps_the_executable_bit(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    unzip_wheel(build_wheel(SPEC, tmp_path / "wheels"), dest)

    assert os.stat(dest / "foo_bar-1.0.data/scripts/tool").st_mode & stat.S_IXUSR
    assert not os.stat(dest / "foo_bar/__init__.py").st_mode & stat.S_IXUSR


def test_the_filename_argument_names_a_temporary_download(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", filename="download.tmp")
    dest = tmp_path / "dest"
    dest.mkdir()

    assert unzip_wheel(wheel, dest, filename=FILENAME).filename == FILENAME
    with pytest.raises(InvalidWheelError, match=r"invalid wheel filename 'download\.tmp'"):
        unzip_wheel(wheel, tmp_path, filename=None)


def test_names_and_versions_compare_normalized(tmp_path: Path) -> None:
    spec = WheelSpec("foo.bar", "1.0", files={"foo/__init__.py": ""})
    # METADATA spells the name differently and the version with a trailing zero.
    wheel = build_wheel(spec, tmp_path / "wheels",
                        metadata_override=wheel_metadata(WheelSpec("Foo-Bar", "1.0.0")))
    dest = tmp_path / "dest"
    dest.mkdir()

    unzipped = unzip_wheel(wheel, dest)

    assert (unzipped.name, unzipped.version) == ("Foo-Bar", "1.0.0")


def test_signature_files_need_no_hash(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        raw_entries={"foo_bar-1.0.dist-info/RECORD.jws": b"{}"},
                        record_overrides={"foo_bar-1.0.dist-info/RECORD.jws": ","})
    dest = tmp_path / "dest"
    dest.mkdir()

    unzip_wheel(wheel, dest)

    assert (dest / "foo_bar-1.0.dist-info/RECORD.jws").read_bytes() == b"{}"


def test_hex_digests_in_record_are_accepted(tmp_path: Path) -> None:
    # Seen in the wild (gmsh): the right hash, in the wrong encoding.
    content = b"X = 1\n"
    hexdigest = hashlib.sha256(content).hexdigest()
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        record_overrides={"foo_bar/__init__.py": f"sha256={hexdigest}"})
    dest = tmp_path / "dest"
    dest.mkdir()

    unzip_wheel(wheel, dest)

    assert (dest / "foo_bar/__init__.py").read_bytes() == content


def test_streams_members_larger_than_one_chunk(tmp_path: Path) -> None:
    big = os.urandom(3 * (1 << 20) + 5)
    wheel = build_wheel(WheelSpec("big", "1.0", files={"big/blob.bin": big}), tmp_path / "w")
    dest = tmp_path / "dest"
    dest.mkdir()

    unzip_wheel(wheel, dest)

    assert (dest / "big/blob.bin").read_bytes() == big


# ---------------------------------------------------------------------------- hostile wheels


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("/abs.py", "is an absolute path"),
        ("../evil.py", "has a '..' component"),
        ("foo_bar/../../evil.py", "has a '..' component"),
        ("foo_bar-1.0.data/../../evil.py", "has a '..' component"),
        ("..\\evil.py", "contains a backslash"),
        ("C:/evil.py", "starts with a drive letter"),
        ("foo_bar//x.py", "has an empty or '.' component"),
    ],
)
def test_refuses_paths_that_escape(tmp_path: Path, entry: str, reason: str) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", raw_entries={entry: b"boom"})

    message = unzip_fails(wheel, tmp_path)

    assert f"entry {entry!r} {reason}" in message


def test_refuses_symbolic_links(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    rewrite_zip(wheel, add=("foo_bar/link", b"/etc/passwd", 0o120777))

    assert "entry 'foo_bar/link' is a symbolic link" in unzip_fails(wheel, tmp_path)


def test_refuses_a_member_that_appears_twice(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    with pytest.warns(UserWarning, match="Duplicate name"):
        rewrite_zip(wheel, add=("foo_bar/__init__.py", b"X = 2\n", 0o100644))

    assert "'foo_bar/__init__.py' appears twice" in unzip_fails(wheel, tmp_path)


def test_refuses_a_hash_mismatch(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        record_overrides={"foo_bar/__init__.py": record_hash(b"other")})

    message = unzip_fails(wheel, tmp_path)

    assert "the sha256 hash of 'foo_bar/__init__.py' does not match RECORD" in message


def test_refuses_content_swapped_after_recording(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        raw_entries={"foo_bar/sub/mod.py": b"import os; os.system('boom')\n"})

    assert "hash of 'foo_bar/sub/mod.py' does not match" in unzip_fails(wheel, tmp_path)


def test_refuses_a_size_mismatch(tmp_path: Path) -> None:
    content = b"X = 1\n"
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        record_overrides={"foo_bar/__init__.py": f"{record_hash(content)},99"})

    message = unzip_fails(wheel, tmp_path)

    assert "'foo_bar/__init__.py' has 6 bytes but RECORD says 99" in message


def test_refuses_a_file_missing_from_record(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", record_overrides={"foo_bar/sub/mod.py": None})

    assert "entry 'foo_bar/sub/mod.py' is not listed in RECORD" in unzip_fails(wheel, tmp_path)


def test_refuses_an_extra_unrecorded_file(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", raw_entries={"foo_bar/extra.py": b""})

    assert "entry 'foo_bar/extra.py' is not listed in RECORD" in unzip_fails(wheel, tmp_path)


def test_refuses_a_record_entry_missing_from_the_archive(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        record_overrides={"foo_bar/ghost.py": "sha256=abc,3"})

    message = unzip_fails(wheel, tmp_path)

    assert "RECORD lists 'foo_bar/ghost.py', which is not in the archive" in message


def test_refuses_a_file_without_hash(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", record_overrides={"foo_bar/__init__.py": ","})

    assert "'foo_bar/__init__.py' has no hash in RECORD" in unzip_fails(wheel, tmp_path)


def test_refuses_a_weak_hash(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        record_overrides={"foo_bar/__init__.py": "md5=abc"})

    assert "unsupported hash 'md5=abc'" in unzip_fails(wheel, tmp_path)


def test_refuses_metadata_naming_another_project(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        metadata_override=wheel_metadata(WheelSpec("other", "1.0")))

    message = unzip_fails(wheel, tmp_path)

    assert "entry foo_bar-1.0.dist-info/METADATA names the project 'other'" in message


def test_refuses_metadata_with_another_version(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        metadata_override=wheel_metadata(WheelSpec("Foo_Bar", "2.0")))

    assert "METADATA has version '2.0'" in unzip_fails(wheel, tmp_path)


def test_refuses_two_dist_info_directories(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        raw_entries={"other-1.0.dist-info/METADATA": b"Name: other\n"})

    message = unzip_fails(wheel, tmp_path)

    assert "expected exactly one .dist-info directory, found foo_bar-1.0.dist-info, " \
           "other-1.0.dist-info" in message


def test_refuses_a_dist_info_not_matching_the_filename(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", filename="bar-1.0-py3-none-any.whl")

    assert "entry 'foo_bar-1.0.dist-info' does not match" in unzip_fails(wheel, tmp_path)


def test_refuses_a_missing_wheel_file(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    rewrite_zip(wheel, drop="foo_bar-1.0.dist-info/WHEEL")

    assert "entry foo_bar-1.0.dist-info/WHEEL is missing" in unzip_fails(wheel, tmp_path)


def test_refuses_an_unsupported_wheel_version(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        raw_entries={"foo_bar-1.0.dist-info/WHEEL": b"Wheel-Version: 2.0\n"})

    assert "Wheel-Version 2.0; only 1.x is supported" in unzip_fails(wheel, tmp_path)


def test_refuses_an_unknown_data_directory(tmp_path: Path) -> None:
    spec = WheelSpec("foo_bar", "1.0", data={"etc": {"passwd": "x"}})

    message = unzip_fails(build_wheel(spec, tmp_path / "wheels"), tmp_path)

    assert "entry 'foo_bar-1.0.data/etc/passwd' is not in one of the .data directories" in message


def test_refuses_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    wheel = tmp_path / FILENAME
    wheel.write_bytes(b"<html>not found</html>")

    assert "not a zip archive" in unzip_fails(wheel, tmp_path)


def test_a_missing_wheel_file_is_an_unzip_error(tmp_path: Path) -> None:
    with pytest.raises(UnzipError, match=f"cannot read the wheel {FILENAME}: .*No such file"):
        unzip_wheel(tmp_path / FILENAME, tmp_path)


def test_refuses_corrupt_member_data(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo("foo_bar/sub/mod.py")
    data = bytearray(wheel.read_bytes())
    start = info.header_offset + 30 + len(info.filename)  # no extra field in these zips
    data[start:start + info.compress_size] = bytes(info.compress_size)
    wheel.write_bytes(bytes(data))

    assert "cannot read 'foo_bar/sub/mod.py'" in unzip_fails(wheel, tmp_path)


def test_refuses_a_member_in_the_way_of_a_directory(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", raw_entries={"foo_bar/sub": b""},
                        record_overrides={"foo_bar/sub": record_hash(b"")})

    assert "conflicts with another entry" in unzip_fails(wheel, tmp_path)


def test_a_dist_info_file_larger_than_the_limit_is_refused_unread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_MAX_PAGE_BYTES", "100000")
    huge = wheel_metadata(SPEC) + "\n" + "x" * 200_000
    wheel = build_wheel(SPEC, tmp_path / "dists", metadata_override=huge)
    message = unzip_fails(wheel, tmp_path)
    assert "'foo_bar-1.0.dist-info/METADATA' would decompress to" in message
    assert "PYFFIN_MAX_PAGE_BYTES" in message


def test_the_files_written_are_listed_with_their_sizes(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "dists")
    dest = tmp_path / "dest"
    dest.mkdir()
    unzipped = unzip_wheel(wheel, dest)
    assert {path: (dest / path).stat().st_size for path, _ in unzipped.files} == dict(
        unzipped.files)
    assert {path for path, _ in unzipped.files} == {
        str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}


# ------------------------------------------------------------ wheels whose hash was verified


def test_a_verified_wheel_is_not_hashed_again_against_record(tmp_path: Path) -> None:
    # The caller checked the wheel's own hash against the index's: RECORD adds nothing.
    wheel = build_wheel(SPEC, tmp_path / "wheels",
                        record_overrides={"foo_bar/__init__.py": record_hash(b"other")})
    dest = tmp_path / "dest"
    dest.mkdir()

    unzip_wheel(wheel, dest, verify_record=False)

    assert (dest / "foo_bar/__init__.py").read_bytes() == b"X = 1\n"


@pytest.mark.parametrize(("overrides", "raw", "problem"), [
    ({"foo_bar/sub/mod.py": None}, {}, "entry 'foo_bar/sub/mod.py' is not listed in RECORD"),
    ({}, {"foo_bar/extra.py": b""}, "entry 'foo_bar/extra.py' is not listed in RECORD"),
    ({"foo_bar/ghost.py": "sha256=abc,3"}, {},
     "RECORD lists 'foo_bar/ghost.py', which is not in the archive"),
    ({"foo_bar/__init__.py": f"{record_hash(b'X = 1')},99"}, {},
     "'foo_bar/__init__.py' has 6 bytes but RECORD says 99"),
], ids=["unlisted", "extra", "ghost", "size"])
def test_a_verified_wheel_still_needs_a_record_that_lists_its_files(
        tmp_path: Path, overrides: dict[str, str | None], raw: dict[str, bytes],
        problem: str) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels", record_overrides=overrides,
                        raw_entries=raw)
    dest = tmp_path / "dest"
    dest.mkdir()

    with pytest.raises(InvalidWheelError, match=re.escape(problem)):
        unzip_wheel(wheel, dest, verify_record=False)


# ------------------------------------------------------------------- reading the archive


def test_a_wheel_in_memory_unzips_as_the_same_wheel_on_disk(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    on_disk, in_memory = tmp_path / "disk", tmp_path / "memory"
    on_disk.mkdir()
    in_memory.mkdir()

    a = unzip_wheel(wheel, on_disk)
    b = unzip_wheel(wheel.read_bytes(), in_memory, filename=wheel.name)

    assert (a.name, a.version, a.dist_info, a.metadata, a.files) == \
        (b.name, b.version, b.dist_info, b.metadata, b.files)
    assert {p: (on_disk / p).read_bytes() for p, _ in a.files} == \
        {p: (in_memory / p).read_bytes() for p, _ in b.files}


def test_a_wheel_given_as_bytes_needs_its_filename(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="filename"):
        unzip_wheel(build_wheel(SPEC, tmp_path / "w").read_bytes(), tmp_path)


@pytest.fixture(params=unzip.INFLATE_MODULES)
def inflate_module(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each module that can inflate, in turn (those not installed are skipped)."""
    name: str = request.param
    module = pytest.importorskip(name)
    monkeypatch.setattr(unzip, "_codec", module)
    assert unzip.inflate_module() == name
    return name


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED,
                                         zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_every_inflate_module_and_compression_gives_the_same_files(
        tmp_path: Path, inflate_module: str, compression: int) -> None:
    big = os.urandom(3 * (1 << 20) + 5) + b"\0" * (5 << 20)  # several calls of each kind
    spec = WheelSpec("big", "1.0", files={"big/blob.bin": big, "big/empty.txt": "",
                                          "big/text.py": "x = 1\n" * 1000})
    wheel = build_wheel(spec, tmp_path / "wheels")
    recompress(wheel, compression)
    dest = tmp_path / "dest"
    dest.mkdir()

    unzip_wheel(wheel.read_bytes(), dest, filename=wheel.name)

    assert (dest / "big/blob.bin").read_bytes() == big
    assert (dest / "big/empty.txt").read_bytes() == b""
    assert (dest / "big/text.py").read_bytes() == b"x = 1\n" * 1000


def recompress(wheel: Path, compression: int) -> None:
    with zipfile.ZipFile(wheel) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(wheel, "w", compression) as zf:
        for info, data in members:
            info.compress_type = compression
            zf.writestr(info, data)


def central_entry(data: bytes | bytearray, name: str) -> int:
    """The offset of ``name``'s header in the central directory."""
    offset = data.index(b"PK\x01\x02")
    while True:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46:offset + 46 + name_length] == name.encode():
            return offset
        offset += 46 + name_length + extra_length + comment_length


def patch_central(wheel: Path, name: str, field: str, change: Callable[[int], int]) -> None:
    """Change one field of ``name``'s central directory entry."""
    where, fmt = {"flags": (8, "<H"), "crc": (16, "<I"), "compressed": (20, "<I"),
                  "size": (24, "<I")}[field]
    data = bytearray(wheel.read_bytes())
    offset = central_entry(data, name) + where
    (value,) = struct.unpack_from(fmt, data, offset)
    struct.pack_into(fmt, data, offset, change(value))
    wheel.write_bytes(bytes(data))


MOD = "foo_bar/sub/mod.py"


@pytest.mark.parametrize(("field", "change", "problem"), [
    ("crc", lambda v: v ^ 1, f"cannot read '{MOD}': bad CRC-32"),
    ("size", lambda v: v - 1, f"cannot read '{MOD}': it decompresses to more than the 5 bytes"),
    ("size", lambda v: v + 1, f"cannot read '{MOD}': it decompresses to 6 bytes, not the 7"),
    ("compressed", lambda v: v - 3, f"cannot read '{MOD}': its data is truncated"),
    ("compressed", lambda v: v + 100, f"the data of entry '{MOD}' overlaps the next entry"),
    ("flags", lambda v: v | 1, f"entry '{MOD}' is encrypted"),
], ids=["crc", "smaller", "larger", "truncated", "overlap", "encrypted"])
def test_refuses_a_member_that_is_not_what_the_central_directory_says(
        tmp_path: Path, inflate_module: str, field: str, change: Callable[[int], int],
        problem: str) -> None:
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    patch_central(wheel, MOD, field, change)

    assert problem in unzip_fails(wheel, tmp_path)


def test_refuses_a_member_whose_local_header_names_another_file(tmp_path: Path) -> None:
    # A reader that trusts the local headers would extract another file than one that trusts
    # the central directory.
    wheel = build_wheel(SPEC, tmp_path / "wheels")
    data = wheel.read_bytes()
    local = data.index(b"PK\x03\x04")
    while data[local + 30:local + 30 + len(MOD)] != MOD.encode():
        local = data.index(b"PK\x03\x04", local + 1)
    wheel.write_bytes(data[:local + 30] + b"foo_bar/sub/evi.py" + data[local + 30 + len(MOD):])

    assert f"entry '{MOD}' is named b'foo_bar/sub/evi.py' in its local header" in \
        unzip_fails(wheel, tmp_path)


def test_stops_between_members_when_interrupted(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin import interrupt

    wheel = build_wheel(SPEC, tmp_path / "wheels")
    dest = tmp_path / "dest"
    dest.mkdir()
    interrupt.interrupt()
    try:
        with pytest.raises(interrupt.Interrupted):
            unzip_wheel(wheel, dest)
    finally:
        interrupt.reset()
    assert not list(dest.rglob("*.py"))
