"""``Cache``, shards and entries: where things go, how they are written and read back."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pyffin import log
from pyffin.cache import ARCHIVE_POINTER_SUFFIX, Cache, CacheBucket, write_atomic
from pyffin.cache import fs as cache_fs
from pyffin.cache.core import CACHE_DIR_ENV, is_archive_id
from pyffin.errors import CacheError


def test_init_creates_the_root_with_cachedir_tag_and_gitignore(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b"
    with Cache(root):
        assert (root / "CACHEDIR.TAG").read_bytes().startswith(
            b"Signature: 8a477f597d28d172789f06886806bc55")
        assert (root / ".gitignore").read_text() == "*\n"


def test_a_cache_dir_in_an_existing_directory_keeps_its_gitignore(tmp_path: Path) -> None:
    # --cache-dir naming a project by mistake must not make git ignore the whole project.
    (tmp_path / ".gitignore").write_text("build/\n")
    with Cache(tmp_path):
        assert (tmp_path / "CACHEDIR.TAG").is_file()
    assert (tmp_path / ".gitignore").read_text() == "build/\n"


def test_root_comes_from_flag_then_env_then_platform(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "env"))
    assert Cache.from_settings(tmp_path / "flag").root == tmp_path / "flag"
    assert Cache.from_settings().root == tmp_path / "env"
    monkeypatch.delenv(CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert Cache.from_settings().root == tmp_path / "xdg" / "pyffin"


def test_relative_cache_dir_is_made_absolute(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Cache.from_settings("rel").root == tmp_path / "rel"


def test_no_cache_root_is_removed_on_close() -> None:
    cache = Cache.from_settings(no_cache=True).init()
    cache.entry(CacheBucket.SIMPLE, "pypi", "x.bin").write(b"data")
    assert cache.root.is_dir()
    cache.close()
    assert not cache.root.exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_no_cache_root_is_removed_on_ctrl_c_and_sigterm(signum: int) -> None:
    code = (
        "import time\n"
        "from pyffin.cli.main import _stop_everything_on_signals\n"
        "from pyffin.cache import Cache\n"
        "_stop_everything_on_signals()\n"
        "c = Cache.from_settings(no_cache=True).init()\n"
        "print(c.root, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    root = Path(proc.stdout.readline().strip())
    assert root.is_dir()
    proc.send_signal(signum)
    proc.communicate(timeout=30)
    assert not root.exists()


def test_entry_paths_are_built_from_bucket_and_parts(cache: Cache) -> None:
    entry = cache.entry(CacheBucket.SIMPLE, "index", "abc", "flask.bin")
    assert entry.path == cache.root / "simple-v0" / "index" / "abc" / "flask.bin"
    shard = cache.shard(CacheBucket.SDISTS, "pypi", "flask")
    assert shard.entry("manifest").path == cache.root / "sdists-v0" / "pypi" / "flask" / "manifest"
    assert shard.shard("rev1").path == shard.path / "rev1"


@pytest.mark.parametrize("bad", ["..", ".", "", "a/b", "a\\b", "x\0y"])
def test_path_components_cannot_escape_the_bucket(cache: Cache, bad: str) -> None:
    with pytest.raises(CacheError, match="invalid cache path component"):
        cache.entry(CacheBucket.SIMPLE, bad, "x")
    with pytest.raises(CacheError):
        cache.shard(CacheBucket.SIMPLE, "pypi", bad)


def test_write_then_read(cache: Cache) -> None:
    entry = cache.entry(CacheBucket.SIMPLE, "pypi", "flask.bin")
    assert entry.read() is None
    entry.write(b"one")
    entry.write(b"two")
    assert entry.read() == b"two"
    assert os.listdir(entry.dir) == ["flask.bin"]  # no temporary file left behind


def test_a_record_written_in_parts_is_the_record_written_whole(cache: Cache) -> None:
    from pyffin.cache import codec

    payload = ("flask", {"3.1.0": ([("a" * 1000, None)], [])})
    header, body = codec.dump_parts("simple", 1, payload)
    entry = cache.entry(CacheBucket.SIMPLE, "pypi", "flask.rec")
    entry.write((header, body))
    assert entry.read() == codec.dumps("simple", 1, payload) == header + body
    assert cache.read_record(entry, lambda data: codec.loads(data, "simple", 1)) == payload
    assert os.listdir(entry.dir) == ["flask.rec"]


def test_stamps_tell_the_versions_of_an_entry_apart(cache: Cache) -> None:
    entry = cache.entry(CacheBucket.SIMPLE, "pypi", "flask.bin")
    assert entry.stamp() is None and entry.read_stamped() is None
    first = entry.write(b"same")
    assert entry.stamp() == first
    assert entry.read_stamped() == (b"same", first)
    second = entry.write(b"same")  # same bytes, new file: another version
    assert second != first
    assert entry.stamp() == second
    assert cache.read_stamped_record(entry, bytes.upper) == (b"SAME", second)


def test_failed_write_leaves_old_content_and_no_temp_file(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "record"
    write_atomic(target, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["record"]


def test_written_files_are_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "r", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o644


def _decode(data: bytes) -> str:
    if not data.startswith(b"v1:"):
        raise ValueError("bad magic")
    return data[3:].decode()


def test_missing_or_corrupt_records_are_misses_with_one_warning(
        cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    messages: list[tuple[int, str]] = []
    monkeypatch.setattr(log, "_warned", set())
    log.configure(lambda level, msg: messages.append((level, msg)), log.DEBUG)
    try:
        good = cache.entry(CacheBucket.SIMPLE, "pypi", "good.bin")
        good.write(b"v1:hello")
        assert cache.read_record(good, _decode) == "hello"
        missing = cache.entry(CacheBucket.SIMPLE, "pypi", "none.bin")
        assert cache.read_record(missing, _decode) is None
        assert messages == []

        for i, garbage in enumerate([b"", b"v0:old format", b"\xff\xfe\x00"]):
            bad = cache.entry(CacheBucket.SIMPLE, "pypi", f"bad{i}.bin")
            bad.write(garbage)
            assert cache.read_record(bad, _decode) is None
    finally:
        log.configure(None)
    warnings = [m for level, m in messages if level == log.WARNING]
    assert len(warnings) == 1 and "unreadable cache entry" in warnings[0]


def test_a_record_of_another_format_version_is_a_miss_without_a_warning(
        cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two releases of pyffin may share a cache (a project's and a user's, or before and
    after an upgrade): each one's records are the other's misses, not damage to warn of."""
    import marshal

    from pyffin.cache import codec

    messages: list[tuple[int, str]] = []
    monkeypatch.setattr(log, "_warned", set())
    log.configure(lambda level, msg: messages.append((level, msg)), log.DEBUG)
    try:
        older = cache.entry(CacheBucket.SIMPLE, "pypi", "older.rec")
        older.write(codec.dumps("simple", 1, ["foo"]))
        other_python = cache.entry(CacheBucket.SIMPLE, "pypi", "other-python.rec")
        other_python.write(codec.dumps("simple", 2, ["foo"]).replace(
            b" %d " % marshal.version, b" %d " % (marshal.version - 1), 1))
        headed = cache.entry(CacheBucket.SIMPLE, "pypi", "headed.rec")
        headed.write(b"".join(codec.dump_parts_with_tail("simple", 1, ["foo"], b"tail")))
        for entry in (older, other_python):
            assert entry.read_record(lambda data: codec.loads(data, "simple", 2)) is None
        assert headed.read_head_record(
            codec.head_length, lambda data: codec.loads_head(data, "simple", 2)) is None
        assert [level for level, _ in messages] == [log.DEBUG] * 3
        assert "a simple v1 record (marshal" in messages[0][1]
        # Another schema, or a damaged header, is still damage.
        damaged = cache.entry(CacheBucket.SIMPLE, "pypi", "damaged.rec")
        damaged.write(codec.dumps("wheel", 2, ["foo"]))
        assert damaged.read_record(lambda data: codec.loads(data, "simple", 2)) is None
        assert messages[-1][0] == log.WARNING and "unreadable cache entry" in messages[-1][1]
    finally:
        log.configure(None)


def test_an_entry_reads_its_own_record(cache: Cache) -> None:
    entry = cache.entry(CacheBucket.SIMPLE, "pypi", "good.bin")
    assert entry.read_record(_decode) is None
    stamp = entry.write(b"v1:hello")
    assert entry.read_record(_decode) == "hello"
    assert entry.read_stamped_record(_decode) == ("hello", stamp)


def test_persist_moves_a_directory_into_archives_behind_a_pointer(cache: Cache) -> None:
    pointer = cache.entry(CacheBucket.WHEELS, "pypi", "demo", "demo-1.0-py3-none-any.archive")
    with cache.temp_dir() as tmp:
        (tmp / "demo").mkdir()
        (tmp / "demo" / "__init__.py").write_text("x = 1\n")
        archive = cache.persist(tmp, pointer)
    assert archive.parent == cache.bucket(CacheBucket.ARCHIVE)
    assert (archive / "demo" / "__init__.py").read_text() == "x = 1\n"
    assert cache.archive(pointer) == archive
    assert list((cache.root / ".tmp").iterdir()) == []


def test_replacing_an_archive_keeps_the_old_one_for_running_installs(cache: Cache) -> None:
    pointer = cache.entry(CacheBucket.WHEELS, "pypi", "demo", "demo.archive")
    archives = []
    for content in ("1", "2"):
        with cache.temp_dir() as tmp:
            (tmp / "f").write_text(content)
            archives.append(cache.persist(tmp, pointer))
    assert cache.archive(pointer) == archives[1]
    assert archives[0].is_dir() and archives[0] != archives[1]


@pytest.mark.parametrize(("name", "expected"), [
    ("0123456789abcdef0123", True), ("f" * 64, True), ("0123456789abcdef012", False),
    ("f" * 65, False), ("0123456789ABCDEF0123", False), ("0123456789abcdef012g", False),
    ("0123456789abcdef0123\n", False), ("", False), ("../" + "a" * 20, False)])
def test_an_archive_id_is_20_to_64_lowercase_hex_digits(name: str, expected: bool) -> None:
    assert is_archive_id(name) is expected


def test_pointer_to_a_missing_or_garbled_archive_is_a_miss(cache: Cache) -> None:
    pointer = cache.entry(CacheBucket.WHEELS, "pypi", "demo", "demo.archive")
    assert cache.archive(pointer) is None
    pointer.write(b"0" * 20)
    assert cache.archive(pointer) is None
    pointer.write(b"../../etc")
    assert cache.archive(pointer) is None


@pytest.mark.parametrize("damage", ["deleted", "truncated", "grown", "directory removed"])
def test_an_archive_that_lost_or_changed_the_size_of_a_file_is_a_miss(
        cache: Cache, damage: str) -> None:
    pointer = cache.entry(CacheBucket.WHEELS, "pypi", "demo", "demo-1.0-py3-none-any.archive")
    with cache.temp_dir() as tmp:
        (tmp / "demo").mkdir()
        (tmp / "demo" / "__init__.py").write_text("x = 1\n")
        (tmp / "demo" / "data.txt").write_text("data\n")
        archive = cache.persist(tmp, pointer)
    target = archive / "demo" / "data.txt"
    if damage == "deleted":
        target.unlink()
    elif damage == "truncated":
        target.write_bytes(b"da")
    elif damage == "grown":
        with open(target, "ab") as f:
            f.write(b"more")
    else:
        import shutil

        shutil.rmtree(archive / "demo")
    messages: list[str] = []
    log.configure(lambda level, message: messages.append(message), log.WARNING)
    try:
        assert cache.archive(pointer) is None
    finally:
        log.configure(None)
    problem = {"deleted": r"demo/data\.txt is missing",
               "truncated": r"demo/data\.txt has 2 bytes instead of 5",
               "grown": r"demo/data\.txt has 9 bytes instead of 5",
               "directory removed": r"demo/\S+ is missing"}[damage]
    [message] = messages
    assert re.fullmatch(rf"The unzipped wheel demo-1\.0-py3-none-any in the cache is damaged "
                        rf"\({problem}\); unzipping it again", message)


def test_a_pointer_of_the_old_format_is_a_miss(cache: Cache) -> None:
    pointer = cache.entry(CacheBucket.WHEELS, "pypi", "demo", "demo.archive")
    with cache.temp_dir() as tmp:
        (tmp / "f").write_text("x")
        archive = cache.persist(tmp, pointer)
    pointer.write(archive.name.encode())  # only the id: nothing to check the archive against
    assert cache.archive(pointer) is None


def test_pointers_must_be_recognizable(cache: Cache) -> None:
    with cache.temp_dir() as tmp, pytest.raises(CacheError, match=ARCHIVE_POINTER_SUFFIX):
        cache.persist(tmp, cache.entry(CacheBucket.WHEELS, "pypi", "demo", "demo.bin"))


def test_unpersisted_temp_dirs_are_removed(cache: Cache) -> None:
    with pytest.raises(RuntimeError), cache.temp_dir() as tmp:
        (tmp / "partial").write_text("x")
        raise RuntimeError("unzip failed")
    assert not tmp.exists()


def test_records_round_trip_and_reject_other_schemas_versions_and_garbage() -> None:
    from pyffin.cache import codec

    payload = ("flask", [("3.1.0", {"py3": None})], 1, b"\x00")
    data = codec.dumps("simple", 1, payload)
    assert codec.loads(data, "simple", 1) == payload
    for bad_schema, bad_version, blob in [
        ("wheel", 1, data),
        ("simple", 2, data),
        ("simple", 1, data[: len(data) - 3]),
        ("simple", 1, b""),
        ("simple", 1, b"garbage"),
    ]:
        with pytest.raises(codec.RecordError):
            codec.loads(blob, bad_schema, bad_version)


def test_a_record_with_any_one_byte_changed_is_refused() -> None:
    from pyffin.cache import codec

    data = codec.dumps("simple", 1, ("foo", ["foo-1.0-py3-none-any.whl", 1.5, None]))
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x04
        with pytest.raises(codec.RecordError):
            codec.loads(bytes(damaged), "simple", 1)


@pytest.mark.parametrize("pread", [True, False], ids=["pread", "seek and read"])
def test_a_piece_is_read_only_from_the_file_it_was_asked_of(
        cache: Cache, monkeypatch: pytest.MonkeyPatch, pread: bool) -> None:
    if not pread:  # as on Windows, which has no os.pread
        monkeypatch.setattr(cache_fs, "_pread", None)
    entry = cache.entry(CacheBucket.SIMPLE, "pypi", "foo.rec")
    stamp = entry.write(b"0123456789")
    assert entry.read_piece(2, 3, stamp) == b"234"
    assert entry.read_piece(8, 3, stamp) is None  # past the end
    assert entry.read_piece(0, 1, (0, 0, 0)) is None  # another file
    entry.remove()
    assert entry.read_piece(2, 3, stamp) is None


def test_a_record_with_a_tail_is_decoded_from_its_head_alone(cache: Cache) -> None:
    from pyffin.cache import codec

    payload = ("foo", [1, 2, 3])
    parts = codec.dump_parts_with_tail("usable-versions", 3, payload, b"rows of the tail")
    data = b"".join(parts)
    head = codec.head_length(data)
    assert head == len(parts[0]) + len(parts[1])
    assert codec.loads_head(data[:head], "usable-versions", 3) == (payload, head)
    assert codec.check(data) is None
    # A reader reads the head alone (the whole file when its first read ends before the
    # header does), then pieces of the tail.
    entry = cache.entry(CacheBucket.SIMPLE, "pypi", "foo.rec")
    entry.write(parts)
    for first, read in [(len(parts[0]), data[:head]), (8, data)]:
        stored = cache_fs.read_head_stamped(entry.path_str, codec.head_length, first=first)
        assert stored is not None and stored[0] == read
    (decoded, start), stamp = entry.read_head_record(
        codec.head_length, lambda d: codec.loads_head(d, "usable-versions", 3))
    assert decoded == payload and stamp == entry.stamp()
    assert entry.read_piece(start + 8, 4, stamp) == b"the "
    assert entry.read_piece(start + 8, 100, stamp) is None  # past its end
    entry.write(parts)  # the same bytes again: another file
    assert entry.read_piece(start + 8, 4, stamp) is None
    # A truncated head, a changed byte of the head or other schemas and versions are refused.
    for bad_schema, bad_version, blob in [
        ("usable-versions", 3, data[:head - 1]),
        ("usable-versions", 4, data),
        ("simple", 3, data),
    ]:
        with pytest.raises(codec.RecordError):
            codec.loads_head(blob, bad_schema, bad_version)
    for position in range(head):
        damaged = bytearray(data)
        damaged[position] ^= 0x04
        with pytest.raises(codec.RecordError):
            codec.loads_head(bytes(damaged), "usable-versions", 3)
        if position >= len(parts[0]):  # in the header, it may name another valid record
            assert codec.check(bytes(damaged)) is not None
    # The tail is the reader's to check (a summary keeps a CRC-32 of each of its rows).
    assert codec.check(data[:-1] + b"!") is None
    assert codec.head_length(codec.dumps("usable-versions", 3, payload)) is None


@pytest.mark.parametrize("fast", [True, False], ids=["isal", "without isal"])
def test_a_large_record_has_the_same_checksum_however_it_is_computed(
        monkeypatch: pytest.MonkeyPatch, fast: bool) -> None:
    """A record of 256 KiB or more (a project page) is checksummed by ISA-L when installed:
    the same CRC-32, so a record written either way is read either way, and damage is still
    refused."""
    import binascii
    import sys

    from pyffin.cache import codec

    monkeypatch.setattr(codec, "_FAST_CRC", [])
    monkeypatch.setattr(codec, "_FAST_CRC_AFTER", 0)  # past what binascii does first
    if not fast:
        monkeypatch.setitem(sys.modules, "isal.isal_zlib", None)  # an ImportError
    payload = ("foo", [f"foo-{i}.0-py3-none-any.whl" for i in range(100_000)])
    header, body = codec.dump_parts("simple", 1, payload)
    assert len(body) >= codec._FAST_CRC_BYTES
    assert header.endswith(b" %08x\n" % binascii.crc32(body))
    assert codec.loads(header + body, "simple", 1) == payload
    damaged = bytearray(body)
    damaged[len(body) // 2] ^= 0x04
    with pytest.raises(codec.RecordError):
        codec.loads(header + bytes(damaged), "simple", 1)
    assert len(codec._FAST_CRC) == 1  # looked for once


def test_isal_is_imported_for_checksums_only_once_it_pays() -> None:
    """Importing ISA-L costs what binascii loses to it on a few MB: a process that checksums a
    few large records (a warm run's summaries) does without it; one that goes on (a cold
    resolution's pages) takes it once past that many bytes."""
    import subprocess
    import sys

    code = """if True:
        import binascii, sys
        from pyffin.cache import codec
        body = bytes(range(256)) * (codec._FAST_CRC_BYTES // 256)
        checked = 0
        while checked + len(body) <= codec._FAST_CRC_AFTER:
            assert codec._crc32(body) == binascii.crc32(body)
            checked += len(body)
        assert checked and "isal.isal_zlib" not in sys.modules
        assert codec._crc32(body) == binascii.crc32(body)
        assert "isal.isal_zlib" in sys.modules
    """
    pytest.importorskip("isal.isal_zlib")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_atomic_write_whose_directory_is_removed_meanwhile_makes_it_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from pyffin.cache import fs

    target = tmp_path / "bucket" / "shard" / "entry.rec"
    real_replace = os.replace
    removed: list[bool] = []

    def replace(src: str, dst: str) -> None:
        if not removed:  # `pyffin cache clean --force` strikes between write and rename
            removed.append(True)
            shutil.rmtree(tmp_path / "bucket")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    fs.write_atomic(target, b"data")
    assert target.read_bytes() == b"data" and removed
    assert [p.name for p in target.parent.iterdir()] == ["entry.rec"]


def test_a_vanished_cache_file_is_told_apart_from_other_missing_files(tmp_path: Path) -> None:
    from pyffin.cache.core import CacheChangedError, changed_error

    root = tmp_path / "cache"
    inside = FileNotFoundError(2, "No such file or directory", str(root / "simple-v0" / "x"))
    found = changed_error(root, inside)
    assert isinstance(found, CacheChangedError)
    assert found.hint and "cache clean --force" in found.hint
    assert changed_error(root, FileNotFoundError(2, "gone", str(tmp_path / "other"))) is None


def test_a_directory_removed_between_mkdir_and_its_check_is_made_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Path.mkdir(exist_ok=True) raises FileExistsError when the directory exists at mkdir
    # (another process made it) and is gone when it checks (`cache clean --force` removed it).
    from pyffin.cache import fs

    target = tmp_path / ".tmp" / "work"
    real_mkdir = os.mkdir
    raced: list[str] = []

    def mkdir(path: str | os.PathLike[str], mode: int = 0o777) -> None:
        if os.fspath(path) == str(tmp_path / ".tmp") and not raced:
            raced.append(os.fspath(path))
            raise FileExistsError(17, "File exists", os.fspath(path))
        real_mkdir(path, mode)

    monkeypatch.setattr(os, "mkdir", mkdir)
    fs.ensure_dir(target)
    assert target.is_dir() and raced


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the rule written out is Linux's")
@pytest.mark.parametrize("xdg", [None, "/abs/xdg-cache"])
def test_the_default_cache_is_platformdirs_without_importing_it(
        xdg: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    from pyffin.cache.core import default_cache_dir

    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("pyffin", appauthor=False))


def test_stopped_work_does_not_start_over_in_a_new_temp_dir(cache: Cache) -> None:
    """A download stopped by a failed command (its directory removed by the clean-up) wakes
    after the process went on: it raises Interrupted, not CacheChangedError (which callers
    answer by starting over in a new directory), and leaves nothing."""
    import threading

    from pyffin import interrupt

    entered, go_on = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def download() -> None:
        try:
            with cache.temp_dir() as tmp:
                entered.set()
                go_on.wait(10)
                (tmp / "wheel").write_bytes(b"x")
        except BaseException as e:
            outcome.append(e)
        try:
            with cache.temp_dir():
                outcome.append(RuntimeError("a new temporary directory was made"))
        except BaseException as e:
            outcome.append(e)

    thread = threading.Thread(target=interrupt.handing_over(), args=(download,))
    thread.start()
    assert entered.wait(10)
    try:
        interrupt.interrupt()
        interrupt.clean_up()
    finally:
        interrupt.reset()
    go_on.set()
    thread.join(10)
    assert [type(e) for e in outcome] == [interrupt.Interrupted, interrupt.Interrupted]
    assert list((cache.root / ".tmp").iterdir()) == []
