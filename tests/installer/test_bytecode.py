from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from pyffin.installer.bytecode import compile_bytecode
from pyffin.installer.errors import BytecodeError
from pyffin.installer.link import install_wheel
from tests.installer.envs import make_env, unzipped
from tests.support.dists import WheelSpec

OTHER_PYTHONS = [p for p in (Path("/root/.pyenv/versions/3.8.18/bin/python3.8"),
                             Path("/root/.pyenv/versions/3.12.1/bin/python3.12")) if p.exists()]


def write_modules(root: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        path = root / f"pkg{i % 3}" / f"mod{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE = {i}\n")
        paths.append(path)
    return paths


def pyc_of(source: Path, tag: str) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"


@pytest.mark.skipif(not OTHER_PYTHONS, reason="no other CPython under /root/.pyenv")
def test_compiles_with_the_target_interpreter(tmp_path: Path) -> None:
    target = make_env(tmp_path / "env", str(OTHER_PYTHONS[0]))
    install_wheel(unzipped(WheelSpec("pkg", "1.0", files={"pkg/__init__.py": "X = 1\n"}),
                           tmp_path / "a"), target.scheme, python=target.python)
    probe = "import importlib.util, sys; print(sys.implementation.cache_tag);" \
            "print(importlib.util.MAGIC_NUMBER.hex())"
    tag, magic = subprocess.run([target.python, "-c", probe], capture_output=True, text=True,
                                check=True).stdout.split()

    assert compile_bytecode([target.site_packages], target.python) == 1

    pyc = pyc_of(target.site_packages / "pkg/__init__.py", tag)
    assert tag != sys.implementation.cache_tag
    assert pyc.read_bytes()[:4].hex() == magic


def test_a_current_pyc_is_left_as_it_is_and_a_stale_one_compiled_again(
        tmp_path: Path) -> None:
    # As compileall (and uv, which counts only what it compiled): an install does not compile
    # again the files of every package installed before.
    import os

    sources = write_modules(tmp_path / "site", 3)
    assert compile_bytecode([tmp_path / "site"], sys.executable) == 3
    before = {s: pyc_of(s, sys.implementation.cache_tag).stat().st_mtime_ns for s in sources}
    assert compile_bytecode([tmp_path / "site"], sys.executable) == 0
    assert {s: pyc_of(s, sys.implementation.cache_tag).stat().st_mtime_ns
            for s in sources} == before
    changed = sources[0]
    changed.write_text("X = 'changed'\n")
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 2 * 10**9))
    assert compile_bytecode([tmp_path / "site"], sys.executable) == 1


def test_compiles_every_file_across_workers(tmp_path: Path) -> None:
    sources = write_modules(tmp_path / "site", 10)

    assert compile_bytecode([tmp_path / "site"], sys.executable, workers=3) == 10

    magic = importlib.util.MAGIC_NUMBER
    for source in sources:
        assert pyc_of(source, sys.implementation.cache_tag).read_bytes()[:4] == magic


def test_errors_in_compiled_code_are_skipped(tmp_path: Path) -> None:
    good, bad = write_modules(tmp_path, 2)
    bad.write_text("def broken(:\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"X = '\xe9'\n")  # not UTF-8 and no coding declaration

    assert compile_bytecode([good, bad, latin], sys.executable) == 1

    assert pyc_of(good, sys.implementation.cache_tag).exists()
    assert not pyc_of(bad, sys.implementation.cache_tag).exists()


def test_nothing_to_compile_starts_nothing(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("")

    assert compile_bytecode([tmp_path, tmp_path / "data.txt"], "/does/not/exist") == 0


def test_an_interpreter_that_cannot_run_is_an_error(tmp_path: Path) -> None:
    write_modules(tmp_path, 1)

    with pytest.raises(BytecodeError, match="cannot run /does/not/exist to compile"):
        compile_bytecode([tmp_path], "/does/not/exist")


def test_a_crashed_worker_is_an_error(tmp_path: Path) -> None:
    write_modules(tmp_path / "site", 4)
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\ncat >/dev/null\necho 'Segmentation fault' >&2\nexit 139\n")
    fake.chmod(0o755)

    with pytest.raises(BytecodeError, match=r"exit status 139\): Segmentation fault"):
        compile_bytecode([tmp_path / "site"], str(fake), workers=2)
