"""The cache's file primitives: what a record write and read cost in system calls, and that a
temporary name another process holds is never written over."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from pyffin.cache import fs


def test_records_written_draw_no_random_bytes_each(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A cold resolve writes hundreds of records: a getrandom call for each temporary name is
    # a system call that hands the interpreter lock to another thread.
    drawn: list[int] = []
    real = os.urandom
    monkeypatch.setattr(os, "urandom", lambda n: drawn.append(n) or real(n))
    for i in range(20):
        fs.write_atomic(tmp_path / "d" / f"r{i}.rec", b"x")
    assert drawn == []
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(
        f"r{i}.rec" for i in range(20))


def test_a_record_in_parts_is_written_in_one_call(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for name in ("write", "writev"):
        if hasattr(os, name):
            real = getattr(os, name)
            monkeypatch.setattr(os, name, lambda *a, _n=name, _r=real: calls.append(_n) or _r(*a))
    target = tmp_path / "r.rec"
    stamp = fs.write_atomic(target, (b"head", b"", b"body" * 10_000))
    assert len(calls) == 1
    assert target.read_bytes() == b"head" + b"body" * 10_000
    assert fs.read_stamped(target) == (target.read_bytes(), stamp)


def test_a_short_write_is_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.writev

    def short(fd: int, parts: list[bytes]) -> int:  # a signal, a full disk's first bytes
        return real(fd, [parts[0][:3]])

    monkeypatch.setattr(os, "writev", short)
    fs.write_atomic(tmp_path / "r.rec", (b"abcdef", b"ghi"))
    assert (tmp_path / "r.rec").read_bytes() == b"abcdefghi"


def test_a_temporary_name_held_by_another_process_is_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Names are a per-process prefix and a counter: should another process draw the same
    # prefix, its temporary file is not written over (O_EXCL) and the write goes on.
    monkeypatch.setattr(fs, "_prefix", ["0badcafe"])
    monkeypatch.setattr(fs, "_counter", itertools.count(7))
    theirs = tmp_path / ".r.rec.tmp-0badcafe00000007"
    theirs.write_bytes(b"theirs")
    fs.write_atomic(tmp_path / "r.rec", b"ours")
    assert theirs.read_bytes() == b"theirs"
    assert (tmp_path / "r.rec").read_bytes() == b"ours"
    assert fs.is_temp_name(theirs.name)


def test_reading_what_is_not_a_record(tmp_path: Path) -> None:
    assert fs.read_stamped(tmp_path / "missing") is None
    assert fs.read_if_exists(tmp_path / "missing" / "below") is None
    (tmp_path / "empty").write_bytes(b"")
    assert fs.read_if_exists(tmp_path / "empty") == b""
    with pytest.raises(IsADirectoryError):
        fs.read_stamped(tmp_path)
