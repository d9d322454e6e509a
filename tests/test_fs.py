"""``write_user_file``: a path the user names gets new content; what the path *is* (a link, a
device, a FIFO, a hard-linked file, its owner and mode) stays."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from pyffin.fs import WriteError, write_user_file


def _entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_new_file_is_created_with_its_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "out" / "requirements.txt"
    write_user_file(target, b"a==1\n")
    assert target.read_bytes() == b"a==1\n"
    assert _entries(target.parent) == ["requirements.txt"]


def test_a_regular_file_is_replaced_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "requirements.txt"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    inode = target.stat().st_ino
    write_user_file(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode  # replaced atomically, not rewritten
    assert _entries(tmp_path) == ["requirements.txt"]


def test_a_symlink_is_followed_and_its_target_replaced(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    real = tmp_path / "shared" / "requirements.txt"
    real.write_bytes(b"old\n")
    link = tmp_path / "requirements.txt"
    link.symlink_to(Path("shared") / "requirements.txt")
    write_user_file(link, b"new\n")
    assert link.is_symlink() and os.readlink(link) == os.path.join("shared", "requirements.txt")
    assert real.read_bytes() == b"new\n"
    assert _entries(tmp_path / "shared") == ["requirements.txt"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "requirements.txt"
    link.symlink_to(tmp_path / "real.txt")
    write_user_file(link, b"new\n")
    assert link.is_symlink() and (tmp_path / "real.txt").read_bytes() == b"new\n"


def test_a_symlink_loop_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(WriteError, match=r"cannot write .*a: "):
        write_user_file(tmp_path / "a", b"x")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_a_hard_linked_file_is_rewritten_in_place(tmp_path: Path) -> None:
    target = tmp_path / "requirements.txt"
    target.write_bytes(b"old content\n")
    os.link(target, tmp_path / "other-name.txt")
    write_user_file(target, b"new\n")
    assert (tmp_path / "other-name.txt").read_bytes() == b"new\n"
    assert target.stat().st_nlink == 2


def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_user_file(fifo, b"a==1\n")
    reader.join(timeout=10)
    assert received == [b"a==1\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _entries(tmp_path) == ["pipe"]


def test_a_character_device_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    # A private /dev/null twin (root only), so a regression cannot touch the real one.
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        with open(null, "wb") as f:
            f.write(b"probe")
    except OSError as e:  # not root, or a file system mounted nodev
        pytest.skip(f"cannot make a device node here: {e}")
    write_user_file(null, b"a==1\n")
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert _entries(tmp_path) == ["null"]


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match=f"cannot write {tmp_path}: it is a directory"):
        write_user_file(tmp_path, b"x")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "requirements.txt"
    target.write_bytes(b"old\n")

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(WriteError, match="No space left on device"):
        write_user_file(target, b"new\n")
    monkeypatch.undo()
    assert target.read_bytes() == b"old\n"
    assert _entries(tmp_path) == ["requirements.txt"]


# ------------------------------------------------------------------------------------ empty
def test_emptying_a_directory_removes_what_it_holds_and_never_follows_a_link_out(
        tmp_path: Path) -> None:
    from pyffin.fs import empty

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kept.txt").write_text("x")
    directory = tmp_path / "dir"
    (directory / "sub" / "locked").mkdir(parents=True)
    (directory / "sub" / "locked" / "f").write_text("x")
    (directory / "file").write_text("x")
    (directory / "link").symlink_to(outside)
    os.chmod(directory / "sub" / "locked", 0o555)  # read-only, as some archives leave it

    empty(directory)

    assert directory.is_dir() and list(directory.iterdir()) == []
    assert (outside / "kept.txt").read_text() == "x"
    empty(tmp_path / "missing")  # nothing there: nothing to do
