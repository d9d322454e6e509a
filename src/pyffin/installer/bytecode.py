"""Compile installed ``.py`` files to bytecode with the target interpreter (opt-in, DESIGN §7).

The ``.pyc`` format belongs to the interpreter that will load it, so the target compiles: the
files are split across N worker processes (N = CPU count), each a small stdlib script that
reads its share of paths from stdin. Errors in the compiled code are ignored, as pip and
``compileall`` do (the module fails when imported, not when installed); a worker that crashes
is an error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.installer.errors import BytecodeError

if TYPE_CHECKING:
    import subprocess

# Runs in the target interpreter (Python 3.7+ syntax). Paths arrive NUL-separated on stdin;
# the number of files compiled is printed last. A file whose ``.pyc`` is current (the header
# the interpreter checks: its magic, timestamp mode, the source's mtime and size) is left as
# it is, as ``compileall`` leaves it: the files of packages installed before are not
# compiled again on every install.
_WORKER = r"""
import importlib.util, os, py_compile, sys, warnings
warnings.filterwarnings("ignore")
mode = py_compile.PycInvalidationMode.TIMESTAMP
magic = importlib.util.MAGIC_NUMBER + b"\0\0\0\0"
count = 0
for raw in sys.stdin.buffer.read().split(b"\0"):
    if not raw:
        continue
    path = os.fsdecode(raw)
    try:
        st = os.stat(path)
        with open(importlib.util.cache_from_source(path), "rb") as pyc:
            head = pyc.read(16)
        if head == magic + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + (
                st.st_size & 0xFFFFFFFF).to_bytes(4, "little"):
            continue
    except (OSError, ValueError):
        pass
    try:
        py_compile.compile(path, doraise=True, invalidation_mode=mode)
    except (py_compile.PyCompileError, SyntaxError, UnicodeError, ValueError, OSError):
        continue
    count += 1
sys.stdout.write("%d\n" % count)
"""


def python_files(targets: Sequence[Path]) -> list[str]:
    """The ``.py`` files among ``targets`` (files, or directories walked; ``__pycache__``
    skipped), as strings."""
    files: list[str] = []
    for target in targets:
        path = os.fspath(target)
        if not os.path.isdir(path):
            if path.endswith(".py"):
                files.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            files.extend(os.path.join(root, n) for n in names if n.endswith(".py"))
    return files


def compile_bytecode(targets: Sequence[Path], python: str, *, workers: int | None = None) -> int:
    """Compile the ``.py`` files among ``targets`` (files or directories, e.g. site-packages)
    with the interpreter ``python``; return how many compiled.

    Raises :class:`BytecodeError` when the interpreter cannot run or a worker dies.
    """
    files = python_files(targets)
    if not files:
        return 0
    import subprocess

    count = max(1, min(workers or os.cpu_count() or 1, len(files)))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(count):
            try:
                # One pipe for both streams: reading it to the end cannot deadlock.
                proc = subprocess.Popen([python, "-I", "-c", _WORKER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            except OSError as e:
                raise BytecodeError(f"cannot run {python} to compile bytecode: "
                                    f"{e.strerror}") from e
            procs.append(proc)
            assert proc.stdin is not None
            try:
                proc.stdin.write(b"\0".join(os.fsencode(f) for f in files[i::count]))
                proc.stdin.close()
            except BrokenPipeError:  # the worker died at start-up: its status says why, below
                try:
                    proc.stdin.close()  # closes the pipe, even if flushing fails again
                except BrokenPipeError:
                    pass
        return sum(_result(proc, python) for proc in procs)
    finally:  # after an error, stop the other workers
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _result(proc: subprocess.Popen[bytes], python: str) -> int:
    """Wait for a worker; the number of files it compiled (its last line of output)."""
    assert proc.stdout is not None
    lines = proc.stdout.read().decode("utf-8", "replace").strip().splitlines()
    if proc.wait() != 0 or not lines or not lines[-1].isdigit():
        raise BytecodeError(f"compiling bytecode with {python} failed (exit status "
                            f"{proc.returncode}): {lines[-1] if lines else 'no output'}")
    return int(lines[-1])
