"""Ctrl-C (and SIGTERM): stop the work of every thread and every child process at once.

Only the main thread receives a signal's ``KeyboardInterrupt``. The rest learns of it here:
:func:`interrupt` (called by the command line's signal handler) sets a flag that downloads
check between chunks and that :func:`sleep` ends on, and kills the process group of every
child started through :func:`run` (build backends and whatever they started, git), so nothing
is left running. Work stopped this way raises :class:`Interrupted`, a ``KeyboardInterrupt``:
no ``except Exception`` takes it for a failure of what was being done, and a future never
keeps it as an outcome (see :meth:`pyffin.futures.Future.run`).

Directories and files being made in the cache are registered with :func:`temporary` while
they are: :func:`clean_up` removes those their owner had no time to remove before the
process ends.

A process that goes on (tests, the Python API, a command that failed and stopped its work)
calls :func:`reset`. Work handed to another thread before that (see :func:`handing_over`)
stays stopped: a download still waiting for its server when the command ended must not wake
after the reset, find its directory removed, and start over for nobody.
"""

from __future__ import annotations

import os
from _thread import TIMEOUT_MAX, allocate_lock
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable
    from contextvars import Context, ContextVar
    from pathlib import Path

# _thread's locks, not threading's Event: a command that starts no thread has no use for
# threading (~4M instructions to import).
#: Whether the command was interrupted.
_interrupted = [False]
#: Held while not interrupted: :func:`sleep` waits on it.
_awake = allocate_lock()
_awake.acquire()
_lock = allocate_lock()
_children: set[subprocess.Popen[Any]] = set()
_temporary: dict[str, int] = {}
#: How many times an interruption was forgotten (:func:`reset`).
_resets = [0]
#: The count of resets when the work running in this context was handed to another thread;
#: ``None`` in a context whose work was not (the main thread's). Made with the first work
#: handed over, so that a command that starts no thread never imports contextvars.
_handed_at: ContextVar[int | None] | None = None
#: ``contextvars.copy_context``, imported with the first work handed over.
_copy_context: list[Callable[[], Context]] = []


class Interrupted(KeyboardInterrupt):
    """Work stopped because the command was interrupted (Ctrl-C, SIGTERM)."""


def interrupted() -> bool:
    """Whether the work running here is to stop: the command was interrupted, or this is
    work handed to a thread before an interruption that was since forgotten."""
    return _interrupted[0] or (_resets[0] != 0 and _stale())


def _stale() -> bool:
    handed_at = _handed_at.get() if _handed_at is not None else None
    return handed_at is not None and handed_at != _resets[0]


def check() -> None:
    """Raise :class:`Interrupted` if the work running here is to stop (:func:`interrupted`)."""
    if _interrupted[0] or (_resets[0] != 0 and _stale()):
        raise Interrupted()


def handing_over() -> Callable[..., Any]:
    """``run`` of a copy of this thread's :mod:`contextvars` context, for work handed to
    another thread now: an interruption stops it even once :func:`reset` lets the process go
    on. Work handed over by such work belongs to the same command and keeps its mark."""
    global _handed_at
    if _handed_at is None:
        import contextvars

        with _lock:
            if _handed_at is None:  # (copy_context first: _handed_at set says both are)
                _copy_context.append(contextvars.copy_context)
                _handed_at = contextvars.ContextVar("pyffin_interrupt_handed_at", default=None)
    context = _copy_context[0]()
    if context.get(_handed_at) is None:
        context.run(_handed_at.set, _resets[0])
    return context.run


def sleep(seconds: float) -> None:
    """``time.sleep``, cut short (with :class:`Interrupted`) by an interruption."""
    # Free only once interrupted (or for a moment while reset() takes it back): pass it on to
    # the next sleeper, or else keep it, as it is kept while not interrupted.
    check()
    if (_awake.acquire(timeout=min(max(seconds, 0), TIMEOUT_MAX))
            and _interrupted[0]):
        try:
            _awake.release()
        except RuntimeError:  # released for it already (interrupt() again)
            pass
    if _interrupted[0]:
        raise Interrupted()


def interrupt() -> None:
    """Stop everything: set the flag and kill every child process group."""
    _interrupted[0] = True
    try:  # wakes every sleeper
        _awake.release()
    except RuntimeError:  # interrupted already
        pass
    with _lock:
        children = list(_children)
    for child in children:
        _kill(child)


def reset() -> None:
    """Forget an interruption (for a process that goes on: tests, library users); what was
    handed to other threads before stays stopped (see :func:`handing_over`)."""
    if _interrupted[0]:
        _resets[0] += 1
    _interrupted[0] = False
    _awake.acquire(blocking=False)


def run(argv: Sequence[str], *, input: Any = None, own_group: bool = True, **kwargs: Any
        ) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run(argv, **kwargs)`` (output captured as the arguments say), killed on an
    interruption, in any thread: then :class:`Interrupted` is raised, whatever the child's
    exit status. With ``own_group`` the child runs in a session of its own, killed as a whole
    (with what it started); without, it keeps the terminal (ssh may ask for a passphrase)."""
    import subprocess

    check()
    with subprocess.Popen(argv, start_new_session=own_group, **kwargs) as child:
        with _lock:
            _children.add(child)
        try:
            if _interrupted[0]:  # interrupted while it started: it was not in the set
                _kill(child)
            stdout, stderr = child.communicate(input)
        except BaseException:
            _kill(child)
            raise
        finally:
            with _lock:
                _children.discard(child)
    check()
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def adopt(child: subprocess.Popen[Any]) -> None:
    """Kill ``child`` (a long-lived helper process) on an interruption, as :func:`run`'s."""
    with _lock:
        _children.add(child)
    if _interrupted[0]:
        _kill(child)


def disown(child: subprocess.Popen[Any]) -> None:
    """Forget a child given to :func:`adopt` (it was waited for)."""
    with _lock:
        _children.discard(child)


def _kill(child: subprocess.Popen[Any]) -> None:
    import signal

    killpg = getattr(os, "killpg", None)  # not on Windows: the child alone
    try:
        if killpg is not None and os.getpgid(child.pid) == child.pid:  # leads its own group
            killpg(child.pid, signal.SIGKILL)
            return
    except OSError:  # gone already
        pass
    try:
        child.kill()
    except OSError:
        pass


@contextmanager
def temporary(path: Path) -> Iterator[None]:
    """Register ``path`` (a directory or file being made) for :func:`clean_up` meanwhile."""
    key = os.fspath(path)
    with _lock:
        _temporary[key] = _temporary.get(key, 0) + 1
    try:
        yield
    finally:
        with _lock:
            count = _temporary.pop(key, 1) - 1
            if count:
                _temporary[key] = count


def clean_up() -> None:
    """Remove what is still registered with :func:`temporary` (after an interruption, once
    the threads had their chance to do it)."""
    import shutil

    with _lock:
        paths = list(_temporary)
        _temporary.clear()
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass
