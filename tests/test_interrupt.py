"""``pyffin.interrupt``: what a Ctrl-C in the main thread does to the other threads' work."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyffin import interrupt


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    interrupt.reset()
    yield
    interrupt.reset()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").exists() or \
        Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_child_and_what_it_started_are_killed(tmp_path: Path) -> None:
    """A build backend's hook process and its own children (a compiler) all stop."""
    pidfile = tmp_path / "grandchild"
    script = ("import subprocess, sys, time\n"
              "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
              f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
              "time.sleep(60)\n")
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            interrupt.run([sys.executable, "-c", script], stdout=subprocess.PIPE)
        except BaseException as e:
            outcome.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 20
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    grandchild = int(pidfile.read_text())
    interrupt.interrupt()
    thread.join(10)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], interrupt.Interrupted)
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(grandchild)


def test_without_process_groups_the_child_itself_is_killed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As on Windows, which has no ``os.killpg``."""
    monkeypatch.delattr(os, "killpg")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             start_new_session=True)
    try:
        interrupt.adopt(child)
        interrupt.interrupt()
        assert child.wait(10) != 0
    finally:
        interrupt.disown(child)
        child.kill()
        child.wait()


def test_nothing_starts_once_interrupted() -> None:
    interrupt.interrupt()
    with pytest.raises(interrupt.Interrupted):
        interrupt.run([sys.executable, "-c", "pass"])
    with pytest.raises(interrupt.Interrupted):
        interrupt.sleep(30)
    with pytest.raises(interrupt.Interrupted):
        interrupt.check()


def test_a_sleep_in_another_thread_is_cut_short_and_a_reset_lets_it_sleep_again() -> None:
    outcomes: list[str] = []

    def sleeper() -> None:
        try:
            interrupt.sleep(60)
            outcomes.append("slept")
        except interrupt.Interrupted:
            outcomes.append("interrupted")

    threads = [threading.Thread(target=sleeper) for _ in range(3)]
    for thread in threads:
        thread.start()
    interrupt.interrupt()
    interrupt.interrupt()  # twice: as a second Ctrl-C
    for thread in threads:
        thread.join(timeout=10)
    assert outcomes == ["interrupted"] * 3
    interrupt.reset()
    interrupt.sleep(0.01)  # sleeps, not interrupted
    interrupt.sleep(-1)  # nothing to wait for


def test_a_child_runs_normally(tmp_path: Path) -> None:
    done = interrupt.run([sys.executable, "-c", "print('hi')"], stdout=subprocess.PIPE,
                         text=True)
    assert (done.returncode, done.stdout) == (0, "hi\n")


def test_what_is_being_made_is_removed_if_its_owner_could_not(tmp_path: Path) -> None:
    directory, file, finished = tmp_path / "dir", tmp_path / "file", tmp_path / "finished"
    with interrupt.temporary(finished):
        finished.mkdir()
    with interrupt.temporary(directory), interrupt.temporary(file):
        directory.mkdir()
        (directory / "x").write_text("x")
        file.write_text("y")
        interrupt.clean_up()
        assert not directory.exists() and not file.exists()
    assert finished.exists()  # its owner was done with it


def test_work_handed_to_a_thread_before_a_reset_stays_stopped() -> None:
    """A command that failed stops its work and lets the process go on (tests, the Python
    API): a download still waiting for its server then must not wake and carry on."""
    go_on = threading.Event()
    outcomes: list[str] = []

    def work() -> None:
        go_on.wait(10)
        outcomes.append("stopped" if interrupt.interrupted() else "went on")
        try:
            interrupt.check()
        except interrupt.Interrupted:
            outcomes.append("check raised")
        try:
            interrupt.sleep(0)
        except interrupt.Interrupted:
            outcomes.append("sleep raised")

    before = threading.Thread(target=interrupt.handing_over(), args=(work,))
    before.start()
    interrupt.interrupt()
    interrupt.reset()
    after = threading.Thread(target=interrupt.handing_over(), args=(work,))
    after.start()
    go_on.set()
    before.join(10)
    after.join(10)
    assert sorted(outcomes) == sorted(["stopped", "check raised", "sleep raised", "went on"])
    # The thread that reset goes on, and a reset without an interruption stops nothing.
    interrupt.check()
    interrupt.reset()
    assert not interrupt.interrupted()


def test_work_handed_over_by_stopped_work_is_stopped_too() -> None:
    handed: list[Callable[..., object]] = []
    outcome: list[bool] = []
    first = threading.Thread(target=interrupt.handing_over(),
                             args=(lambda: handed.append(interrupt.handing_over()),))
    first.start()
    first.join(10)
    interrupt.interrupt()
    interrupt.reset()
    second = threading.Thread(target=handed[0], args=(lambda: outcome.append(
        interrupt.interrupted()),))
    second.start()
    second.join(10)
    assert outcome == [True]
