"""Build environments: an isolated virtual environment per build, or the target interpreter.

An isolated environment is a fresh venv in ``builds-v0/<random>/`` (no system site-packages, so
no user site either) holding only the build requirements the :class:`BuildContext` installs;
it is removed when the build ends. Without isolation (``--no-build-isolation``) the backend runs
in the target interpreter as it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin import fs, log
from pyffin.cache import CacheBucket
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.interpreter.model import Interpreter
    from pyffin.interpreter.scheme import Scheme


@record
class BuildEnvironment:
    """Where a backend runs, and where its build requirements are installed.

    ``interpreter`` describes this environment itself: for an isolated one, the venv (its
    ``executable``, ``prefix``, ``scheme`` and ``site_packages`` point into it), derived from
    the target interpreter without querying the venv; markers and tags are the target's.
    """

    interpreter: Interpreter
    isolated: bool

    @property
    def root(self) -> Path:
        """The environment's prefix (the venv's directory when isolated)."""
        return self.interpreter.prefix

    @property
    def python(self) -> Path:
        """The executable that runs the backend's hooks."""
        return self.interpreter.executable

    @property
    def scheme(self) -> Scheme:
        """Where an installation into this environment puts each kind of file."""
        return self.interpreter.scheme

    def hook_environ(self) -> dict[str, str]:
        """The environment variables of a backend's hook process.

        The environment's scripts come first on ``PATH`` (backends run tools like ``cython``
        or ``cmake`` installed as build requirements). An isolated build does not inherit
        ``PYTHONPATH``, which would put the caller's packages back in view. ``PIP_*`` variables
        pass through: a legacy ``setup_requires`` makes setuptools run pip, which should see
        the user's index settings.
        """
        environ = dict(os.environ)
        # Unbuffered, so the captured stdout and stderr interleave as they were written.
        environ["PYTHONUNBUFFERED"] = "1"
        if self.isolated:
            environ.pop("PYTHONPATH", None)
        if self.interpreter.is_venv:
            scripts = str(self.scheme.scripts)
            path = environ.get("PATH")
            environ["PATH"] = f"{scripts}{os.pathsep}{path}" if path else scripts
            environ["VIRTUAL_ENV"] = str(self.root)
        return environ


@contextmanager
def isolated_environment(cache: Cache, interpreter: Interpreter) -> Iterator[BuildEnvironment]:
    """A fresh virtual environment for ``interpreter`` under ``builds-v0/``, removed on exit.

    Raises :class:`~pyffin.errors.NotSupportedError` on Windows (venv creation is POSIX-only).
    """
    from pyffin.interrupt import temporary
    from pyffin.venv import create

    path = cache.shard(CacheBucket.BUILDS, fs.token()).path
    with temporary(path):  # removed even if its thread is still busy at Ctrl-C
        root = create(path, interpreter, prompt="pyffin-build")
    try:
        with temporary(root):
            yield BuildEnvironment(_venv_interpreter(interpreter, root), isolated=True)
    finally:
        try:
            fs.remove(root)
        except OSError as e:
            log.warn(f"cannot remove the build environment {root}: {e.strerror or e}")


def shared_environment(interpreter: Interpreter) -> BuildEnvironment:
    """The target interpreter itself, for builds without isolation."""
    return BuildEnvironment(interpreter, isolated=False)


def _venv_interpreter(base: Interpreter, root: Path) -> Interpreter:
    return base.in_venv(root)
