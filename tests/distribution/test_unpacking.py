"""A large sdist is unpacked by a child process from the bytes its download writes; whatever
goes wrong there, the caller is told so and finds the directory empty (it then unpacks the
downloaded file as it always did)."""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

import pytest

from pyffin.build import unpack_archive
from pyffin.distribution.unpacking import StreamingUnpack
from tests.support.dists import SdistSpec, build_sdist


def _listing(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _fed(unpack: StreamingUnpack, data: bytes, piece: int = 4099) -> None:
    for start in range(0, len(data), piece):
        unpack.write(data[start:start + piece])


@pytest.fixture
def sdist(tmp_path: Path) -> Path:
    files = {f"bar/m{i}.py": f"x = {i}\n" * 500 for i in range(30)}
    return build_sdist(SdistSpec("bar", "1.0", files=files), tmp_path / "dists")


def test_the_archive_fed_in_pieces_unpacks_as_its_file_does(tmp_path: Path,
                                                           sdist: Path) -> None:
    unpack_archive(sdist, tmp_path / "from-file")
    unpack = StreamingUnpack(sdist, tmp_path / "src", size=sdist.stat().st_size)

    unpack.restart()
    _fed(unpack, sdist.read_bytes())

    assert unpack.finish()
    assert _listing(tmp_path / "src") == _listing(tmp_path / "from-file")


def test_a_download_that_starts_over_unpacks_from_its_first_byte_again(tmp_path: Path,
                                                                        sdist: Path) -> None:
    data = sdist.read_bytes()
    unpack_archive(sdist, tmp_path / "from-file")
    unpack = StreamingUnpack(sdist, tmp_path / "src")

    unpack.restart()
    _fed(unpack, data[: len(data) * 2 // 3])  # the connection broke here
    unpack.restart()
    _fed(unpack, data)

    assert unpack.finish()
    assert _listing(tmp_path / "src") == _listing(tmp_path / "from-file")


def test_an_archive_the_child_refuses_is_reported_and_leaves_nothing(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name in ("evil-1.0/setup.py", "evil-1.0/../../escaped.txt"):
            info = tarfile.TarInfo(name)
            info.size = 200_000
            tf.addfile(info, io.BytesIO(b"x" * 200_000))
        for i in range(50):  # more than the pipe holds, after the refusal
            info = tarfile.TarInfo(f"evil-1.0/more{i}")
            info.size = 100_000
            tf.addfile(info, io.BytesIO(bytes(range(256)) * 390 + b"0" * 160))
    dest = tmp_path / "work" / "src"
    unpack = StreamingUnpack(tmp_path / "evil-1.0.tar.gz", dest)

    unpack.restart()
    _fed(unpack, buffer.getvalue())  # the child stopped reading: no error here

    assert not unpack.finish()
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "escaped.txt").exists()


def test_without_a_child_process_nothing_is_unpacked(tmp_path: Path, sdist: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    unpack = StreamingUnpack(sdist, tmp_path / "src")

    unpack.restart()
    _fed(unpack, sdist.read_bytes())

    assert not unpack.finish()
    assert not (tmp_path / "src").exists() or list((tmp_path / "src").iterdir()) == []


def test_an_unpacking_never_started_has_unpacked_nothing(tmp_path: Path, sdist: Path) -> None:
    assert not StreamingUnpack(sdist, tmp_path / "src").finish()
