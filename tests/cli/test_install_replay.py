"""The same ``pip install`` / ``pip sync`` into a new environment is done again from its record
(:mod:`pyffin.cli.install_replay`): the same packages, files and output as the command's own
install; and never once anything it depends on changed — the requirements, the environment
(not fresh, another interpreter), the cached wheels, the kept resolution's freshness.

Records are only trusted for files that last changed a moment before the run that wrote them
(``pyffin.stamps.SETTLED_NS``): the requirements file is written that moment before.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pyffin.cli import install_replay, noop, replay
from pyffin.interpreter import accelerator
from pyffin.models.torch import Accelerator
from pyffin.stamps import SETTLED_NS
from tests.support.cli import Result, pyffin
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib>=1"],
                                     entry_points={"console_scripts": {"app": "app:main"}}))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    return index_server


@pytest.fixture
def replays(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """What each attempt to do the install again from its record answered: an exit status, or
    ``None`` (the command ran as usual)."""
    answers: list[int | None] = []
    real = install_replay.replay

    def spy(*args: object) -> int | None:
        answer = real(*args)  # type: ignore[arg-type]
        answers.append(answer)
        return answer

    monkeypatch.setattr(install_replay, "replay", spy)
    return answers


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("app==1.0\n")
    settle()
    return path


def settle() -> None:
    time.sleep(SETTLED_NS / 1e9 + 0.02)


def fresh_venv(tmp_path: Path) -> Path:
    """A new, empty virtual environment, always at the same place."""
    env = tmp_path / "env"
    shutil.rmtree(env, ignore_errors=True)
    result = pyffin("venv", env, "--python", sys.executable, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    return env


def install(index: IndexServer, tmp_path: Path, requirements: Path, *args: str | Path,
            command: str = "install") -> Result:
    source: list[str | Path] = ["-r", requirements] if command == "install" else [requirements]
    result = pyffin("pip", command, *source, "--python", tmp_path / "env" / "bin" / "python",
                    "--index-url", index.index_url, "--cache-dir", tmp_path / "cache", *args)
    assert result.returncode == 0, result
    return result


def site_packages(venv: Path) -> Path:
    [path] = (venv / "lib").glob("python3.*/site-packages")
    return path


def contents(venv: Path) -> dict[str, bytes]:
    """Every file the installs put in the environment (RECORD, scripts and all), by path."""
    found = {}
    for directory in (site_packages(venv), venv / "bin"):
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[str(path.relative_to(venv))] = path.read_bytes()
    return found


def recorded(index: IndexServer, tmp_path: Path, requirements: Path,
             replays: list[int | None], *args: str | Path, command: str = "install"
             ) -> Result:
    """Install into a fresh environment until the record is kept (the first run fills the
    cache, the second installs a kept resolution); the result of that second run."""
    fresh_venv(tmp_path)
    install(index, tmp_path, requirements, *args, command=command)
    fresh_venv(tmp_path)
    result = install(index, tmp_path, requirements, *args, command=command)
    replays.clear()
    return result


def records_kept(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "cache" / replay.BUCKET).glob("install/*.rec"))


def test_a_replay_does_not_say_it_downloaded_what_the_run_it_repeats_downloaded(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    # The lines about a run's own work are not repeated: its replay downloads nothing.
    index.add_wheel(WheelSpec("big", "1.0", files={"big/data.bin": os.urandom((1 << 20) + 9)}))
    requirements.write_text("app==1.0\nbig==1.0\n")
    settle()
    fresh_venv(tmp_path)
    first = install(index, tmp_path, requirements)
    assert "Downloading big (1.0MiB)" in first.stderr.splitlines(), first
    fresh_venv(tmp_path)
    again = install(index, tmp_path, requirements)
    assert replays[-1] == 0
    assert "ownload" not in again.stderr and " + big==1.0" in again.stderr, again


@pytest.mark.parametrize("command", ["install", "sync"])
def test_a_repeated_install_into_a_fresh_environment_is_done_from_its_record(
        command: str, index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    if command == "sync":
        requirements.write_text("app==1.0\nlib==2.0\n")
        settle()
    full = recorded(index, tmp_path, requirements, replays, command=command)
    installed = contents(tmp_path / "env")
    fresh_venv(tmp_path)
    again = install(index, tmp_path, requirements, command=command)
    assert replays == [0]
    assert contents(tmp_path / "env") == installed
    assert os.access(tmp_path / "env" / "bin" / "app", os.X_OK)
    shown = [line.rpartition(" in ")[0] or line for line in again.stderr.splitlines()]
    assert shown == [line.rpartition(" in ")[0] or line for line in full.stderr.splitlines()]
    assert " + app==1.0" in again.stderr


def test_quiet_is_quiet(index: IndexServer, tmp_path: Path, requirements: Path,
                        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays, "-q")
    fresh_venv(tmp_path)
    result = install(index, tmp_path, requirements, "-q")
    assert (replays, result.stderr, result.stdout) == ([0], "", "")


def test_an_environment_that_is_not_fresh_is_installed_into_as_usual(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    fresh_venv(tmp_path)
    install(index, tmp_path, requirements, "lib==2.0", command="install")  # another command
    replays.clear()
    result = install(index, tmp_path, requirements)
    assert replays == [None]
    assert (site_packages(tmp_path / "env") / "lib-2.0.dist-info").is_dir()
    assert "Installed" not in result.stderr


def test_a_file_in_the_fresh_environment_is_reason_to_install_as_usual(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    fresh_venv(tmp_path)
    (site_packages(tmp_path / "env") / "extra.pth").write_text("/somewhere\n")
    install(index, tmp_path, requirements)
    assert replays == [None]


@pytest.mark.parametrize("held", ["env/.lock", "cache/.lock"])
def test_a_lock_held_by_another_process_makes_the_replay_step_aside(
        held: str, index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    """The environment's lock (another pyffin or uv changing it) or the cache's (a ``cache
    clean``): the replay neither waits nor links, the usual install (which waits) takes over."""
    import fcntl

    recorded(index, tmp_path, requirements, replays)
    env = fresh_venv(tmp_path)
    argv = ["pip", "install", "-r", str(requirements), "--python", str(env / "bin" / "python"),
            "--index-url", index.index_url, "--cache-dir", str(tmp_path / "cache")]
    fd = os.open(tmp_path / held, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a separate open file: conflicts in this process too
        assert install_replay.replay(("pip", "install"), argv, time.time_ns()) is None
    finally:
        os.close(fd)
    assert not list(site_packages(env).glob("app*"))
    install(index, tmp_path, requirements)  # the lock released: the record still holds
    assert replays == [None, 0]


def test_edited_requirements_are_resolved_again(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    requirements.write_text("app==1.0\nlib==1.0\n")
    fresh_venv(tmp_path)
    result = install(index, tmp_path, requirements)
    assert replays == [None]
    assert " + lib==1.0" in result.stderr


def test_another_interpreter_behind_the_same_path_is_looked_at_again(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    env = fresh_venv(tmp_path)
    config = env / "pyvenv.cfg"
    config.write_text(config.read_text() + "include-system-site-packages = true\n")
    install(index, tmp_path, requirements)
    assert replays == [None]


def test_a_kept_resolution_past_its_freshness_is_not_used(
        index: IndexServer, tmp_path: Path, requirements: Path, replays: list[int | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorded(index, tmp_path, requirements, replays)
    later = time.time() + 10 * 365 * 86400
    fresh_venv(tmp_path)
    monkeypatch.setattr(time, "time", lambda: later)
    assert install_replay._dependencies_hold(_record(tmp_path)[2]) is False
    install(index, tmp_path, requirements)
    assert replays == [None]


def test_a_changed_kept_resolution_is_not_used(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    [(resolution, _, _), *_] = _record(tmp_path)[2]
    os.utime(resolution, ns=(0, 0))
    fresh_venv(tmp_path)
    install(index, tmp_path, requirements)
    assert replays == [None]


def test_a_damaged_cached_wheel_is_unzipped_again_by_the_usual_install(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    archive = next(a for name, _, a, _ in _record(tmp_path)[9] if name == "lib")
    [module] = Path(archive).glob("lib/__init__.py")
    module.unlink()
    fresh_venv(tmp_path)
    install(index, tmp_path, requirements)
    assert replays == [None]
    assert (site_packages(tmp_path / "env") / "lib" / "__init__.py").is_file()


def test_a_removed_cache_is_reason_to_install_as_usual(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    [kept] = records_kept(tmp_path)
    data = kept.read_bytes()
    shutil.rmtree(tmp_path / "cache")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(data)  # only the record is left
    fresh_venv(tmp_path)
    result = install(index, tmp_path, requirements)
    assert replays == [None]
    assert " + app==1.0" in result.stderr


@pytest.mark.parametrize("option", ["--reinstall", "-v", "--compile-bytecode", "--dry-run"])
def test_out_of_the_ordinary_installs_are_not_recorded(
        option: str, index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays, option)
    assert not records_kept(tmp_path)


def test_a_noop_record_of_the_same_command_does_not_stand_in_the_way(
        index: IndexServer, tmp_path: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(index, tmp_path, requirements, replays)
    settle()
    install(index, tmp_path, requirements)  # a no-op: recorded as one
    assert list((tmp_path / "cache" / replay.BUCKET).glob("noop/*.rec"))
    assert noop.replay is not None
    fresh_venv(tmp_path)
    install(index, tmp_path, requirements)
    assert replays[-1] == 0


def _record(tmp_path: Path) -> tuple[Any, ...]:
    import marshal

    [kept] = records_kept(tmp_path)
    data = kept.read_bytes()
    record = marshal.loads(data[data.index(b"\n") + 1:])
    assert isinstance(record, tuple)
    return record


def test_a_package_built_from_its_sdist_is_installed_again_from_the_built_wheel(
        index_server: IndexServer, tmp_path: Path, replays: list[int | None]) -> None:
    index_server.add_sdist(SdistSpec("built", "1.0"))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("built==1.0\n")
    settle()
    recorded(index_server, tmp_path, requirements, replays)
    installed = contents(tmp_path / "env")
    fresh_venv(tmp_path)
    install(index_server, tmp_path, requirements)
    assert replays == [0]
    assert contents(tmp_path / "env") == installed
    assert (site_packages(tmp_path / "env") / "built-1.0.dist-info").is_dir()


def test_a_failure_while_linking_hands_over_to_the_usual_install_which_finishes_it(
        index: IndexServer, tmp_path: Path, requirements: Path, replays: list[int | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.installer.link import PreparedWheel

    recorded(index, tmp_path, requirements, replays)
    installed = contents(tmp_path / "env")
    real = PreparedWheel.link
    calls: list[str] = []

    def failing(self: PreparedWheel, **kwargs: object) -> str:
        calls.append(self.label)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PreparedWheel, "link", failing)
    fresh_venv(tmp_path)
    result = install(index, tmp_path, requirements)
    assert replays == [None]
    assert len(calls) > 2  # the usual install linked again
    assert contents(tmp_path / "env") == installed
    assert "Installed 1 package" in result.stderr  # the one the replay did not


def test_an_interrupted_replay_says_so(
        index: IndexServer, tmp_path: Path, requirements: Path, replays: list[int | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.installer.link import PreparedWheel

    recorded(index, tmp_path, requirements, replays)

    def interrupted(self: PreparedWheel, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(PreparedWheel, "link", interrupted)
    fresh_venv(tmp_path)
    result = pyffin("pip", "install", "-r", requirements, "--python",
                    tmp_path / "env" / "bin" / "python", "--index-url", index.index_url,
                    "--cache-dir", tmp_path / "cache")
    assert (result.returncode, replays) == (130, [130])
    assert "interrupted" in result.stderr


def test_the_replay_links_on_as_many_threads_as_the_usual_install() -> None:
    from pyffin.api import operations

    assert install_replay._INSTALL_THREADS == operations.INSTALL_THREADS


def test_a_light_batch_is_linked_here_and_a_heavy_one_shared_out_evenly() -> None:
    assert install_replay._shares([700]) is None
    assert install_replay._shares([300, 400]) is None  # below _FORK_WEIGHT: not worth a fork
    weights = [9000, 4000, 3000, 2500, 1500, 800, 200]
    shares = install_replay._shares(weights)
    assert shares is not None
    mine, theirs = shares
    assert sorted(mine + theirs) == list(range(len(weights)))
    assert mine == sorted(mine) and theirs == sorted(theirs)  # each links in package order
    loads = sorted(sum(weights[i] for i in share) for share in shares)
    assert loads[1] - loads[0] <= 200


def test_a_heavy_batch_is_linked_in_a_second_process_with_the_same_files(
        index_server: IndexServer, tmp_path: Path) -> None:
    from tests.support.cli import run

    # Two wheels heavy enough (many directories) for two processes.
    for name in ("deep_a", "deep_b"):
        files = {f"{name}/d{i}/m{j}.py": f"x = {i}\n" for i in range(130) for j in range(2)}
        index_server.add_wheel(WheelSpec(name, "1.0", files=files))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("deep-a==1.0\ndeep-b==1.0\n")
    # Every os.fork of the pyffin processes, told to a file (by an audit hook).
    hooks, forks = tmp_path / "hooks", tmp_path / "forks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os, sys\n"
        "def hook(event, args):\n"
        "    if event == 'os.fork':\n"
        f"        with open({str(forks)!r}, 'a') as f: f.write('fork\\n')\n"
        "sys.addaudithook(hook)\n")
    env = {"PYTHONPATH": os.pathsep.join([str(hooks), *sys.path])}
    settle()

    def install_fresh() -> tuple[Result, dict[str, bytes]]:
        fresh_venv(tmp_path)
        result = run(["pip", "install", "-r", requirements, "--python",
                      tmp_path / "env" / "bin" / "python", "--index-url", index_server.index_url,
                      "--cache-dir", tmp_path / "cache", "-q"], env=env)
        assert result.returncode == 0, result
        return result, contents(tmp_path / "env")

    install_fresh()  # fills the cache
    _, usual = install_fresh()  # installs the kept resolution, and records
    assert records_kept(tmp_path)
    forks.unlink(missing_ok=True)
    _, replayed = install_fresh()
    assert replayed == usual
    # The replay forked once, for the second process (the usual install forks none).
    expected = "fork\n" if sys.platform == "linux" else None
    assert (forks.read_text() if forks.exists() else None) == expected


def test_without_a_second_process_the_wheels_are_linked_on_threads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.installer.link import prepare_wheel
    from tests.installer.envs import make_env, unzipped

    env = make_env(tmp_path / "env")
    wheels = [(prepare_wheel(unzipped(WheelSpec(name, "1.0"), tmp_path / name), env.scheme,
                             python=env.python), False) for name in ("one", "two")]

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert install_replay._link_in_two_processes(wheels, [0], [1]) == []
    assert (env.site_packages / "one-1.0.dist-info").is_dir()
    assert (env.site_packages / "two-1.0.dist-info").is_dir()


def test_an_install_the_machine_s_gpu_decides_is_not_replayed(
        index: IndexServer, tmp_path: Path, requirements: Path, replays: list[int | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``--torch-backend auto``: the same command line, files and variables, another GPU,
    another answer; no file stands for the GPU, so no record is kept."""
    index.add_wheel(WheelSpec("torch", "2.1.0+cpu"))
    index.add_wheel(WheelSpec("torch", "2.2.0+rocm7.2"))
    index.mount("/whl/cpu", "torch-2.1.0+cpu-py3-none-any.whl")
    index.mount("/whl/rocm7.2", "torch-2.2.0+rocm7.2-py3-none-any.whl")
    monkeypatch.setenv("PYFFIN_TORCH_INDEX_URL", f"{index.url}/whl")
    found: list[Accelerator | None] = [None]
    monkeypatch.setattr(accelerator, "detect", lambda *args, **kwargs: found[0])
    requirements.write_text("torch\n")
    settle()
    first = recorded(index, tmp_path, requirements, replays, "--torch-backend", "auto")
    assert " + torch==2.1.0+cpu" in first.stderr
    assert records_kept(tmp_path) == []
    found[0] = Accelerator("amd", "gfx1151")  # ROCm 7.2's builds alone, then the CPU's
    fresh_venv(tmp_path)
    again = install(index, tmp_path, requirements, "--torch-backend", "auto")
    assert replays == [None]
    assert " + torch==2.2.0+rocm7.2" in again.stderr
