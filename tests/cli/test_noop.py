"""A repeated no-op ``pip install`` / ``pip sync`` is answered from its record
(:mod:`pyffin.cli.noop`), and never once anything it depends on changed: packages installed,
removed or changed by pip behind pyffin's back, a ``.pth`` file, installed metadata, the
requirements, the configuration, the environment variables.

Records are only trusted for files that last changed a moment (``pyffin.stamps.SETTLED_NS``)
before the run that wrote them, so these tests wait that moment where a real user's next
command would come later anyway (:func:`settle`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyffin.cli import noop, replay
from pyffin.stamps import SETTLED_NS
from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec, build_wheel
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib>=1"]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    return index_server


@pytest.fixture
def replays(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """What each replay attempt answered: an exit status, or ``None`` (the command ran)."""
    answers: list[int | None] = []
    real = noop.replay

    def spy(*args: object, **kwargs: bool) -> int | None:
        answer = real(*args, **kwargs)  # type: ignore[arg-type]
        answers.append(answer)
        return answer

    monkeypatch.setattr(noop, "replay", spy)
    return answers


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("app==1.0\nlib==1.0\n")
    return path


def attempt(command: str, index: IndexServer, venv: Path, requirements: Path,
            *args: str | Path) -> Result:
    source: list[str | Path] = ["-r", requirements] if command == "install" else [requirements]
    return pyffin("pip", command, *source, "--python", venv / "bin" / "python",
                  "--index-url", index.index_url, "--cache-dir", venv.parent / "cache", *args)


def run(command: str, index: IndexServer, venv: Path, requirements: Path,
        *args: str | Path) -> Result:
    result = attempt(command, index, venv, requirements, *args)
    assert result.returncode == 0, result
    return result


def settle() -> None:
    """Let the environment's files age past the window in which a record is not trusted."""
    time.sleep(SETTLED_NS / 1e9 + 0.02)


def recorded(command: str, index: IndexServer, venv: Path, requirements: Path,
             replays: list[int | None], *args: str | Path) -> None:
    """Run ``command`` until its record is written, then once from the record."""
    run(command, index, venv, requirements, *args)
    settle()
    run(command, index, venv, requirements, *args)
    replays.clear()
    run(command, index, venv, requirements, *args)
    assert replays == [0]
    replays.clear()


def site_packages(venv: Path) -> Path:
    [path] = (venv / "lib").glob("python3.*/site-packages")
    return path


def pip(venv: Path, *args: str | Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", *args,
                    "--disable-pip-version-check", "-q"], check=True, capture_output=True)


@pytest.mark.parametrize("command", ["sync", "install"])
def test_a_repeated_noop_is_answered_from_its_record_as_the_command_answers_it(
        command: str, index: IndexServer, venv: Path, requirements: Path,
        replays: list[int | None]) -> None:
    run(command, index, venv, requirements)
    settle()
    full = run(command, index, venv, requirements)
    replayed = run(command, index, venv, requirements)
    assert replays == [None, None, 0]
    shown = [line.rpartition(" in ")[0] for line in replayed.stderr.splitlines()]
    assert shown == [line.rpartition(" in ")[0] for line in full.stderr.splitlines()]
    assert shown[-1] == "Checked 2 packages"
    quiet = run(command, index, venv, requirements, "-q")  # another command line: recorded anew
    assert (quiet.stderr, quiet.stdout, replays[-1]) == ("", "", None)


def test_a_record_is_not_written_while_the_environment_has_just_changed(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # "A moment" made an hour: each run sees the changes of the one before as just made,
    # however slowly a loaded machine runs them.
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 3600 * 10**9)
    run("sync", index, venv, requirements)
    run("sync", index, venv, requirements)  # site-packages changed a moment ago: not trusted
    run("sync", index, venv, requirements)
    assert replays == [None, None, None]
    assert not list((venv.parent / "cache" / replay.BUCKET).glob("noop/*.rec"))


def test_a_package_pip_installs_behind_pyffins_back_is_seen(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None],
        tmp_path: Path) -> None:
    recorded("sync", index, venv, requirements, replays)
    pip(venv, "install", "--no-index", "--no-deps",
        build_wheel(WheelSpec("other", "1.0"), tmp_path / "dists"))
    result = run("sync", index, venv, requirements)
    assert replays == [None]
    assert " - other==1.0" in result.stderr


def test_a_version_pip_changes_is_seen(index: IndexServer, venv: Path, requirements: Path,
                                       replays: list[int | None], tmp_path: Path) -> None:
    recorded("install", index, venv, requirements, replays)
    pip(venv, "install", "--no-index", "--no-deps",
        build_wheel(WheelSpec("lib", "2.0"), tmp_path / "dists"))
    result = run("install", index, venv, requirements)
    assert replays == [None]
    assert " + lib==1.0" in result.stderr and " - lib==2.0" in result.stderr


def test_a_package_pip_removes_is_seen(index: IndexServer, venv: Path, requirements: Path,
                                       replays: list[int | None]) -> None:
    recorded("install", index, venv, requirements, replays)
    pip(venv, "uninstall", "-y", "lib")
    result = run("install", index, venv, requirements)
    assert replays == [None]
    assert " + lib==1.0" in result.stderr


def test_a_removed_dist_info_is_seen(index: IndexServer, venv: Path, requirements: Path,
                                     replays: list[int | None]) -> None:
    recorded("sync", index, venv, requirements, replays)
    [dist_info] = site_packages(venv).glob("lib-1.0.dist-info")
    for child in dist_info.iterdir():
        child.unlink()
    dist_info.rmdir()
    result = run("sync", index, venv, requirements)
    assert replays == [None]
    assert " + lib==1.0" in result.stderr


def test_an_added_pth_file_is_seen(index: IndexServer, venv: Path, requirements: Path,
                                   replays: list[int | None]) -> None:
    recorded("sync", index, venv, requirements, replays)
    (site_packages(venv) / "extra.pth").write_text("/somewhere\n")
    result = run("sync", index, venv, requirements)
    assert replays == [None]
    assert "Checked 2 packages" in result.stderr


def test_installed_metadata_edited_in_place_is_seen_by_install(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None]) -> None:
    recorded("install", index, venv, requirements, replays)
    metadata = site_packages(venv) / "app-1.0.dist-info" / "METADATA"
    with open(metadata, "a") as file:  # in place: the directory does not change
        file.write("Requires-Dist: other\n")
    result = run("install", index, venv, requirements)
    assert replays == [None]
    # Checked again: app's installed metadata now wants other, which is missing.
    assert "Resolved 2 packages" in result.stderr


def test_a_file_touched_inside_a_dist_info_keeps_the_record(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None]) -> None:
    """RECORD, INSTALLER and the package's own files do not bear on the answer: touching one
    (or linking it elsewhere) is no reason to run again."""
    recorded("install", index, venv, requirements, replays)
    record = site_packages(venv) / "lib-1.0.dist-info" / "RECORD"
    os.utime(record)
    os.link(record, venv.parent / "a-hard-link")
    run("install", index, venv, requirements)
    assert replays == [0]


def test_an_edited_requirements_file_is_seen(index: IndexServer, venv: Path,
                                             requirements: Path,
                                             replays: list[int | None]) -> None:
    recorded("install", index, venv, requirements, replays)
    requirements.write_text("app==1.0\nlib==1.0\nother==1.0\n")
    result = run("install", index, venv, requirements)
    assert replays == [None]
    assert " + other==1.0" in result.stderr


def test_a_nested_requirements_file_is_stamped_too(index: IndexServer, venv: Path,
                                                   tmp_path: Path,
                                                   replays: list[int | None]) -> None:
    nested = tmp_path / "base.txt"
    nested.write_text("lib==1.0\n")
    requirements = tmp_path / "top.txt"
    requirements.write_text("-r base.txt\napp==1.0\n")
    recorded("sync", index, venv, requirements, replays)
    nested.write_text("lib==1.0\nother==1.0\n")
    result = run("sync", index, venv, requirements)
    assert replays == [None]
    assert " + other==1.0" in result.stderr


def test_a_configuration_file_that_appears_is_seen(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    recorded("sync", index, venv, requirements, replays)
    (tmp_path / "pyffin.toml").write_text("link-mode = 'copy'\n")
    run("sync", index, venv, requirements)
    assert replays == [None]


def test_an_edited_pip_configuration_file_is_seen(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configuration = tmp_path / "pip.conf"
    configuration.write_text("[global]\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(configuration))
    recorded("sync", index, venv, requirements, replays)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib>=2\n")
    configuration.write_text(f"[global]\nconstraint = {constraints}\n")
    result = attempt("sync", index, venv, requirements)
    assert replays == [None]
    assert result.returncode != 0 and "lib" in result.stderr  # the pin breaks the constraint


@pytest.mark.parametrize("command", ["sync", "install"])
def test_an_edited_constraints_file_is_seen(command: str, index: IndexServer, venv: Path,
                                            requirements: Path, replays: list[int | None],
                                            tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib<2\n")
    recorded(command, index, venv, requirements, replays, "-c", constraints)
    constraints.write_text("lib>=2\n")
    result = attempt(command, index, venv, requirements, "-c", constraints)
    assert replays == [None]
    assert result.returncode != 0 and "lib" in result.stderr


@pytest.mark.parametrize("variable", ["PIP_CONSTRAINT", "PYFFIN_CONSTRAINT"])
def test_a_constraints_file_named_by_a_variable_is_stamped_too(
        variable: str, index: IndexServer, venv: Path, requirements: Path,
        replays: list[int | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib<2\n")
    monkeypatch.setenv(variable, str(constraints))
    recorded("sync", index, venv, requirements, replays)
    constraints.write_text("lib>=2\n")
    result = attempt("sync", index, venv, requirements)
    assert replays == [None]
    assert result.returncode != 0 and "lib" in result.stderr


@pytest.mark.parametrize("variable", ["SOME_SETTING", "PIP_CONSTRAINT", "PYFFIN_CONSTRAINT"])
def test_another_environment_variable_is_another_command(
        variable: str, index: IndexServer, venv: Path, requirements: Path,
        replays: list[int | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded("sync", index, venv, requirements, replays)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("lib>=2\n")
    monkeypatch.setenv(variable, str(constraints))
    result = attempt("sync", index, venv, requirements)
    assert replays == [None]
    assert result.returncode == (0 if variable == "SOME_SETTING" else 1), result


def test_an_interpreter_replaced_in_the_environment_is_seen(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None],
        tmp_path: Path) -> None:
    recorded("sync", index, venv, requirements, replays)
    # Another interpreter at the same place: here the same one, reached by another link.
    elsewhere = tmp_path / "another-python"
    elsewhere.symlink_to(os.path.realpath(venv / "bin" / "python"))
    (venv / "bin" / "python").unlink()
    (venv / "bin" / "python").symlink_to(elsewhere)
    run("sync", index, venv, requirements)
    assert replays == [None]


def test_an_edited_pyvenv_cfg_is_seen(index: IndexServer, venv: Path, requirements: Path,
                                      replays: list[int | None]) -> None:
    """``pyvenv.cfg`` says which interpreter the environment is of, and whether the system's
    packages are in it."""
    recorded("install", index, venv, requirements, replays)
    with open(venv / "pyvenv.cfg", "a") as file:
        file.write("# edited\n")
    run("install", index, venv, requirements)
    assert replays == [None]


def test_an_environment_locked_by_another_process_is_left_to_the_command(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None]) -> None:
    from pyffin.cache import FileLock

    recorded("sync", index, venv, requirements, replays)
    lock = FileLock(venv / ".lock", "the environment").acquire()
    try:
        # The command itself would wait for the lock: the replay must not answer meanwhile.
        argv = ["pip", "sync", str(requirements), "--python", str(venv / "bin" / "python"),
                "--index-url", index.index_url, "--cache-dir", str(venv.parent / "cache")]
        assert noop.replay(("pip", "sync"), argv, time.time_ns()) is None
    finally:
        lock.release()
    assert noop.replay(("pip", "sync"), argv, time.time_ns()) == 0


def test_a_damaged_record_is_a_miss(index: IndexServer, venv: Path, requirements: Path,
                                    replays: list[int | None]) -> None:
    recorded("sync", index, venv, requirements, replays)
    [path] = (venv.parent / "cache" / replay.BUCKET).glob("noop/*.rec")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    run("sync", index, venv, requirements)
    path.write_bytes(b"")
    run("sync", index, venv, requirements)
    assert replays == [None, None]


def test_what_is_stamped_is_counted_not_scanned(index: IndexServer, venv: Path,
                                                requirements: Path, replays: list[int | None],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay reads one file and stats a bounded list: the site-packages directory, and for
    each of the two packages its directory and (install) its metadata; no directory is
    listed."""
    recorded("install", index, venv, requirements, replays)
    packages = str(site_packages(venv))
    stats: list[str] = []
    listed: list[str] = []
    real_stat, real_lstat = os.stat, os.lstat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: stats.append(str(p)) or real_stat(p))
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: stats.append(str(p)) or real_lstat(p))
    monkeypatch.setattr(os, "scandir", lambda *a: listed.append(str(a)))
    monkeypatch.setattr(os, "listdir", lambda *a: listed.append(str(a)))
    run("install", index, venv, requirements)
    assert replays == [0] and listed == []
    assert len([s for s in stats if packages in s]) == 1 + 2 * 2


def test_a_file_added_to_a_dist_info_is_seen(index: IndexServer, venv: Path,
                                             requirements: Path,
                                             replays: list[int | None]) -> None:
    recorded("sync", index, venv, requirements, replays)
    dist_info = site_packages(venv) / "lib-1.0.dist-info"
    (dist_info / "direct_url.json").write_text('{"url": "file:///elsewhere/lib", "dir_info": {}}')
    run("sync", index, venv, requirements)
    assert replays == [None]


def test_an_environment_made_anew_at_the_same_place_is_seen(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None]) -> None:
    recorded("sync", index, venv, requirements, replays)
    result = pyffin("venv", venv, "--clear", "--python", sys.executable, "--cache-dir",
                    venv.parent / "cache")
    assert result.returncode == 0, result
    result = run("sync", index, venv, requirements)
    assert replays == [None]
    assert " + app==1.0" in result.stderr


@pytest.mark.parametrize("option", ["--target", "--prefix"])
def test_an_install_into_a_target_directory_is_never_recorded(
        option: str, index: IndexServer, venv: Path, requirements: Path,
        replays: list[int | None]) -> None:
    # The interpreter found for a directory may come from PATH, and the directory has its own
    # lock: nothing a record could stamp and take.
    run("install", index, venv, requirements)  # the venv's own lock exists
    directory = venv.parent / "directory"
    for _ in range(2):
        run("install", index, venv, requirements, option, directory)
        settle()
    run("install", index, venv, requirements, option, directory)
    assert replays == [None] * 4
    assert not list((venv.parent / "cache" / replay.BUCKET).glob("noop/*.rec"))


def _copy_in(index: IndexServer, venv: Path, spec: WheelSpec) -> None:
    """``spec``'s ``.dist-info`` beside the one installed, as another tool's crash leaves it."""
    import shutil

    index.add_wheel(spec)
    other = venv.parent / "other"
    # Its own cache: the test's one keeps the index page that lacks the new version.
    result = pyffin("pip", "install", f"{spec.name}=={spec.version}", "--target", other,
                    "--no-deps", "--python", venv / "bin" / "python", "--index-url",
                    index.index_url, "--cache-dir", venv.parent / "other-cache")
    assert result.returncode == 0, result
    [info] = other.glob("*.dist-info")
    shutil.copytree(info, site_packages(venv) / info.name)


@pytest.mark.parametrize("command", ["sync", "install"])
def test_a_package_installed_twice_behind_pyffins_back_is_repaired(
        command: str, index: IndexServer, venv: Path, requirements: Path,
        replays: list[int | None]) -> None:
    recorded(command, index, venv, requirements, replays)
    _copy_in(index, venv, WheelSpec("lib", "2.0"))
    replays.clear()
    result = run(command, index, venv, requirements)
    assert replays == [None]
    assert result.stderr.endswith(" - lib==2.0\n ~ lib==1.0\n"), result
    assert sorted(p.name for p in site_packages(venv).glob("lib-*")) == ["lib-1.0.dist-info"]


def test_a_noop_beside_a_package_installed_twice_is_not_recorded(
        index: IndexServer, venv: Path, requirements: Path, replays: list[int | None]) -> None:
    # `other` needs no change (uv's answer too), but a record would vouch for an environment
    # `pip check` refuses: the command runs each time.
    run("install", index, venv, requirements, "other==1.0")
    _copy_in(index, venv, WheelSpec("other", "2.0"))
    settle()
    replays.clear()
    for _ in range(3):
        assert summary_of(run("install", index, venv, requirements)) == "Checked 2 packages"
    assert replays == [None] * 3
    assert not list((venv.parent / "cache" / replay.BUCKET).glob("noop/*.rec"))


def summary_of(result: Result) -> str:
    return result.stderr.splitlines()[-1].rpartition(" in ")[0]
