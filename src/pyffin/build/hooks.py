"""Calling a backend's PEP 517 / 660 hooks through ``pyproject_hooks``, one process per hook.

The hook process's output (stdout and stderr, interleaved) and the warnings the backend raised
are captured: they are shown with ``-v`` and, when a hook fails, in the error, with the hook,
the command and what the source was needed by; never otherwise, as uv.

At most ``PYFFIN_CONCURRENT_BUILDS`` hook processes (default: the CPU count) run at once in a
process; a slot is held only while a hook runs, never while build requirements are installed,
so a build that builds its requirements cannot starve itself of slots.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyffin import log
from pyffin.build.env import BuildEnvironment
from pyffin.build.errors import BuildBackendError, BuildError
from pyffin.build.source import SourceTree
from pyffin.build.system import BuildSystem
from pyffin.errors import UsageError

#: Environment variable bounding the number of builds (hook processes) running at once.
CONCURRENT_BUILDS_ENV = "PYFFIN_CONCURRENT_BUILDS"
#: Lines of backend output kept in an error message (the full text is in ``BuildError.output``
#: and shown with ``-v``).
OUTPUT_LINES = 50

ConfigSettings = Mapping[str, str | list[str]]

_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def concurrent_builds() -> int:
    """The configured bound on concurrent builds: ``PYFFIN_CONCURRENT_BUILDS`` or CPU count."""
    value = os.environ.get(CONCURRENT_BUILDS_ENV, "").strip()
    if not value:
        return os.cpu_count() or 1
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise UsageError(f"invalid {CONCURRENT_BUILDS_ENV}={value!r}: expected a positive integer")
    return limit


def _build_slots() -> tuple[int, threading.BoundedSemaphore]:
    limit = concurrent_builds()
    with _slots_lock:
        slots = _slots.get(limit)
        if slots is None:
            slots = _slots[limit] = threading.BoundedSemaphore(limit)
    return limit, slots


class _HookProcessFailed(Exception):
    def __init__(self, returncode: int) -> None:
        super().__init__(returncode)
        self.returncode = returncode


class _Runner:
    """A ``pyproject_hooks`` subprocess runner that captures the hook's output."""

    def __init__(self, environ: Mapping[str, str], what: str) -> None:
        self._environ = environ
        self._what = what
        self.command: Sequence[str] = ()
        self.output = ""

    def __call__(self, cmd: Sequence[str], cwd: str | None = None,
                 extra_environ: Mapping[str, str] | None = None) -> None:
        import subprocess

        from pyffin.interrupt import run

        environ = {**self._environ, **(extra_environ or {})}
        self.command, self.output = cmd, ""
        limit, slots = _build_slots()
        if not slots.acquire(blocking=False):
            log.debug(f"Waiting for a free build slot ({CONCURRENT_BUILDS_ENV}={limit}) to build "
                      f"{self._what}")
            slots.acquire()
        try:
            # In a process group of its own, killed as a whole on Ctrl-C (see pyffin.interrupt).
            result = run(cmd, cwd=cwd, env=environ, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        finally:
            slots.release()
        self.output = result.stdout.decode("utf-8", errors="replace")
        if result.returncode != 0:
            raise _HookProcessFailed(result.returncode)
        self.output += _take_warnings(cmd)


def _take_warnings(cmd: Sequence[str]) -> str:
    """The backend's warnings, taken out of the hook's answer as text for its output.

    ``pyproject_hooks`` records the warnings a hook raises and warns them again in the frontend
    (``BuildBackendWarning``): dozens of lines of setuptools deprecations on pyffin's stderr,
    even with ``-q``. Like the rest of the backend's output, they belong with ``-v`` or a
    failure. Its command is ``[python, script, hook, control_dir]``; the answer is
    ``control_dir/output.json``."""
    import json

    answer = Path(cmd[-1], "output.json")
    try:
        data = json.loads(answer.read_bytes())
    except (OSError, ValueError):
        return ""
    warnings = data.pop("warnings", None) if isinstance(data, dict) else None
    if not warnings:
        return ""
    answer.write_text(json.dumps(data))
    lines = [f"{w.get('filename')}:{w.get('lineno')}: warning: {w.get('message')}\n"
             for w in warnings if isinstance(w, dict)]
    return "".join(lines)


class HookCaller:
    """The hooks of one source tree's backend, run in one build environment."""

    def __init__(self, tree: SourceTree, system: BuildSystem, environment: BuildEnvironment, *,
                 config_settings: ConfigSettings | None = None,
                 needed_by: str | None = None) -> None:
        from pyproject_hooks import BuildBackendHookCaller

        self.tree = tree
        self.system = system
        self.config_settings = dict(config_settings) if config_settings else None
        self.needed_by = needed_by
        self._runner = _Runner(environment.hook_environ(), tree.origin)
        self._caller = BuildBackendHookCaller(
            str(tree.root), system.backend, backend_path=list(system.backend_path) or None,
            runner=self._runner, python_executable=str(environment.python),
        )

    def get_requires(self, kind: str) -> list[str]:
        """``get_requires_for_build_{kind}`` (``wheel`` or ``editable``); ``[]`` if missing."""
        hook = f"get_requires_for_build_{kind}"
        requires = self._call(hook, getattr(self._caller, hook), self.config_settings)
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            raise self._bad_answer(hook, "a list of requirement strings", requires)
        return requires

    def prepare_metadata(self, kind: str, metadata_dir: Path) -> Path | None:
        """``prepare_metadata_for_build_{kind}``: the ``.dist-info`` directory it wrote into
        ``metadata_dir``, or ``None`` when the backend does not have the hook."""
        from pyproject_hooks import HookMissing

        hook = f"prepare_metadata_for_build_{kind}"
        try:
            name = self._call(hook, getattr(self._caller, hook), str(metadata_dir),
                              self.config_settings, _allow_fallback=False)
        except HookMissing:
            return None
        return self._returned_path(hook, metadata_dir, name, ".dist-info")

    def build(self, kind: str, wheel_dir: Path, metadata_dir: Path | None = None) -> Path:
        """``build_{kind}`` into ``wheel_dir``: the path of the wheel."""
        from pyproject_hooks import HookMissing

        hook = f"build_{kind}"
        try:
            name = self._call(hook, getattr(self._caller, hook), str(wheel_dir),
                              self.config_settings,
                              str(metadata_dir) if metadata_dir is not None else None)
        except HookMissing as e:
            what = "editable installs (PEP 660)" if kind == "editable" else "building wheels"
            raise BuildBackendError(
                f"cannot build {self._subject()}: the build backend {self.system.backend} has "
                f"no {e.hook_name} hook, so it does not support {what}",
                output=self._runner.output,
            ) from None
        return self._returned_path(hook, wheel_dir, name, ".whl")

    # ------------------------------------------------------------------------------ internals
    def _call(self, hook: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        from pyproject_hooks import BackendUnavailable

        log.debug(f"Calling {self.system.backend}.{hook}() for {self.tree.origin}")
        try:
            result = method(*args, **kwargs)
        except _HookProcessFailed as e:
            raise self._failed(hook, f"failed (exit status {e.returncode})") from None
        except OSError as e:  # the interpreter is gone, or the hook wrote no answer
            raise self._failed(hook, f"did not complete: {e.strerror or e}") from e
        except BackendUnavailable as e:
            reason = e.traceback.strip().splitlines()[-1] if e.traceback.strip() else str(e)
            raise BuildBackendError(
                f"cannot build {self._subject()}: the build backend {self.system.backend} is "
                f"not available in the build environment ({reason})",
                output=self._runner.output,
                hint="is it in [build-system] requires?" if self.system.requires else
                "[build-system] requires is empty: add the backend's distribution to it",
            ) from None
        if log.enabled(log.DEBUG) and self._runner.output.strip():
            log.debug(f"Output of {hook} for {self.tree.origin}:\n{_indent(self._runner.output)}")
        return result

    def _subject(self) -> str:
        needed = f" (needed by {self.needed_by})" if self.needed_by else ""
        return f"{self.tree.origin}{needed}"

    def _failed(self, hook: str, what: str) -> BuildError:
        output = self._runner.output
        lines = output.rstrip().splitlines()
        shown = lines[-OUTPUT_LINES:]
        cut = f" (last {len(shown)} of {len(lines)} lines)" if len(shown) < len(lines) else ""
        message = [
            f"Failed to build {self._subject()}: the {hook} hook of the build backend "
            f"{self.system.backend} {what}",
            f"  command: {' '.join(self._runner.command)}",
            f"  directory: {self.tree.root}",
            f"  backend output{cut}:" if lines else "  backend output: (none)",
        ]
        if shown:
            message.append(_indent("\n".join(shown), "    "))
        from pyffin.build.diagnosis import suggestion

        return BuildError("\n".join(message), output=output, hint=suggestion(output))

    def _bad_answer(self, hook: str, expected: str, value: object) -> BuildError:
        return self._failed(hook, f"returned {value!r}, expected {expected}")

    def _returned_path(self, hook: str, directory: Path, name: object, suffix: str) -> Path:
        # The backend names its output by a bare name inside the directory we gave it.
        if (not isinstance(name, str) or not name.endswith(suffix) or "/" in name
                or "\\" in name or name in (".", "..") or not (directory / name).exists()):
            raise self._bad_answer(hook, f"the name of a {suffix} it wrote in {directory}", name)
        return directory / name


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.rstrip().splitlines())
