"""Run the real ``pyffin`` command line from tests, in-process or as a child process."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def pyffin(*args: str | os.PathLike[str], cache_dir: Path | None = None) -> Result:
    """Run ``pyffin ARGS`` in this process (fast); ``cache_dir`` becomes ``--cache-dir``."""
    from pyffin.cli.main import main

    argv = [os.fspath(a) for a in args]
    if cache_dir is not None:
        argv += ["--cache-dir", os.fspath(cache_dir)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse: --help, --version, usage errors
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child ``pyffin``: this process's (which the autouse fixture in
    ``tests/conftest.py`` has isolated from the machine's configuration), without colour."""
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def spawn(args: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str] | None = None,
          **kwargs: object) -> subprocess.Popen[str]:
    """Start ``python -m pyffin ARGS`` as a child process with text pipes."""
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "pyffin", *[os.fspath(a) for a in args]],
        env=child_env(env),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def run(args: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str] | None = None,
        input: str | None = None, timeout: float = 120) -> Result:
    """Run ``python -m pyffin ARGS`` as a child process and wait for it."""
    proc = subprocess.run(
        [sys.executable, "-m", "pyffin", *[os.fspath(a) for a in args]],
        env=child_env(env), text=True, capture_output=True, input=input, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
