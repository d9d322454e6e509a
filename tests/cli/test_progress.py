"""What a command shows while it works (uv's status line): on a terminal, what it is doing now,
cleared before anything else is written; nothing with -q, nor when stderr is not a terminal."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyffin.cli.console import Console
from pyffin.cli.progress import Progress
from tests.support.cli import child_env
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    # Its dependencies come from its backend, which takes its time (a cold compile that
    # builds): long enough for the status line to be drawn.
    index_server.add_sdist(SdistSpec("dynamic", "1.0", requires_dist=["lib"],
                                     dynamic=["Requires-Dist"], static_pyproject=False))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    return index_server


def compile_on(tmp_path: Path, index: IndexServer, *args: str, tty: bool) -> tuple[str, str]:
    """``pyffin pip compile`` with stderr on a pseudo-terminal (or a pipe): stdout, stderr."""
    import pty

    (tmp_path / "requirements.in").write_text("dynamic\n")
    argv = [sys.executable, "-m", "pyffin", "pip", "compile", str(tmp_path / "requirements.in"),
            "-i", index.index_url, "--no-config", "--cache-dir", str(tmp_path / "cache"), *args]
    env = child_env({"PYFFIN_TEST_BACKEND_SLEEP": "0.5", "COLUMNS": "200"})
    if not tty:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    return stdout, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_a_terminal_is_told_what_is_happening(tmp_path: Path, index: IndexServer) -> None:
    stdout, stderr = compile_on(tmp_path, index, tty=True)
    assert "Resolving dependencies..." in stderr
    assert "Building dynamic==1.0" in stderr
    # The line is cleared before the summary, which is written as usual.
    assert "\r\x1b[2KResolved 2 packages in " in stderr
    assert stdout.splitlines()[-4:] == ["dynamic==1.0", "    # via -r " +
                                        str(tmp_path / "requirements.in"), "lib==1.0",
                                        "    # via dynamic"]


@pytest.mark.parametrize("args", [[], ["--no-progress"]])
def test_nothing_is_shown_without_a_terminal_or_with_no_progress(
        tmp_path: Path, index: IndexServer, args: list[str]) -> None:
    _, stderr = compile_on(tmp_path, index, *args, tty=bool(args))
    assert re.fullmatch(r"Resolved 2 packages in \S+\n", stderr), stderr


def test_nothing_at_all_with_q(tmp_path: Path, index: IndexServer) -> None:
    assert compile_on(tmp_path, index, "-q", tty=True)[1] == ""


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_the_line_says_everything_under_way_and_clears_for_messages(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    terminal = Terminal()
    console = Console(stderr=terminal, color="never")
    progress = Progress(console)
    progress.on_resolve_progress(0)
    progress.on_resolve_progress(12)
    progress.on_build_start("lib==1.0")
    progress.on_build_start("other==2.0")
    progress.on_fetch_start("big.whl", 2048)
    progress.on_fetch_progress("big.whl", 1024)
    progress._draw()
    assert terminal.getvalue().endswith(
        " Resolving dependencies... (12 packages), Building lib==1.0 (+1 more), "
        "Downloading 0/1 files, 1.0KiB/2.0KiB")
    console.warn("careful")
    assert terminal.getvalue().endswith("\r\x1b[2Kwarning: careful\n")
    progress.on_resolve_done()
    progress.on_build_done("lib==1.0")
    progress.on_build_done("other==2.0")
    progress.on_fetch_done("big.whl")
    progress._draw()  # nothing under way: nothing drawn
    assert terminal.getvalue().endswith("warning: careful\n")
    progress.finish()
    assert console.status is None


def test_quiet_verbose_and_pipes_get_no_line() -> None:
    assert not Progress(Console(stderr=Terminal(), quiet=1)).live
    assert not Progress(Console(stderr=Terminal(), verbose=1)).live
    assert not Progress(Console(stderr=io.StringIO())).live
    assert Progress(Console(stderr=Terminal())).live


def test_a_long_line_is_cut_to_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    terminal = Terminal()
    progress = Progress(Console(stderr=terminal))
    progress.on_build_start("a-project-with-a-long-name==1.0")
    progress._draw()
    line = terminal.getvalue().split("\x1b[2K")[-1]
    assert len(line) < 30 and line.endswith("...")


def test_without_a_terminal_a_large_download_gets_uvs_two_lines() -> None:
    # As uv 0.13.9: the project, its size, then " Downloaded" once all of it arrived; nothing
    # for a small file, nor "Downloaded" for one that failed.
    stderr = io.StringIO()
    progress = Progress(Console(stderr=stderr, color="never"))
    files = [("numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl", 16 << 20, 16 << 20),
             ("Charset_Normalizer-3.4.0.tar.gz", 2 << 20, 2 << 20),
             ("small-1.0-py3-none-any.whl", 4096, 4096),
             ("pandas-3.1.1-cp311-cp311-manylinux_2_28_x86_64.whl", 12 << 20, 1 << 20)]
    for name, size, _ in files:
        progress.on_fetch_start(name, size)
    for name, _, received in files:
        progress.on_fetch_progress(name, received)
        progress.on_fetch_done(name)
    assert stderr.getvalue() == (
        "Downloading numpy (16.0MiB)\n"
        "Downloading charset-normalizer (2.0MiB)\n"
        "Downloading pandas (12.0MiB)\n"
        " Downloaded numpy\n"
        " Downloaded charset-normalizer\n")


@pytest.mark.parametrize("requirement", ["big-lib", "big-lib==1.0"])
def test_an_install_without_a_terminal_names_its_large_downloads_after_its_resolution(
        index_server: IndexServer, tmp_path: Path, requirement: str) -> None:
    # As uv 0.13.9: "Resolved", then the downloads, then "Prepared". An exact pin's wheel is
    # fetched while the resolution runs (see pyffin.api.operations.early_fetch): named after
    # it all the same.
    from tests.support.cli import pyffin

    index_server.add_wheel(WheelSpec("big-lib", "1.0",
                                     files={"big_lib/data.bin": os.urandom((1 << 20) + 4096)}))
    index_server.add_wheel(WheelSpec("small", "1.0"))
    env = tmp_path / "env"
    pyffin("venv", env, "--python", sys.executable, cache_dir=tmp_path / "cache")
    result = pyffin("pip", "install", requirement, "small", "--python", env / "bin" / "python",
                    "--index-url", index_server.index_url, cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result
    lines = [re.sub(r" in [0-9.]+m?s$", "", line) for line in result.stderr.splitlines()]
    assert lines[0].startswith("Using Python "), result
    assert lines[1:] == [
        "Resolved 2 packages",
        "Downloading big-lib (1.0MiB)",
        " Downloaded big-lib",
        "Prepared 2 packages",
        "Installed 2 packages",
        " + big-lib==1.0",
        " + small==1.0",
    ], result
