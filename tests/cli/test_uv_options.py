"""Options of ``uv pip install/sync/compile`` and ``uv venv`` that CI scripts moving from uv
pass: each is accepted and does what it does in uv, or what pyffin's equivalent is."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.interpreter.conftest import pyenv_python
from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("lib", "1.0", files={"lib/__init__.py": "VALUE = 1\n"}))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    return index_server


def install(command: str, index: IndexServer, venv: Path, *args: str | Path) -> Result:
    return pyffin("pip", command, *args, "--python", venv / "bin" / "python",
                  "--index-url", index.index_url, "--cache-dir", venv.parent / "cache")


# ------------------------------------------------------------------------- --verify-hashes
@pytest.mark.parametrize("command", ["install", "sync"])
def test_no_verify_hashes_ignores_the_hash_values(index: IndexServer, venv: Path,
                                                  tmp_path: Path, command: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"lib==1.0 --hash=sha256:{'0' * 64}\nother\n")
    # A --hash implies hash-checking mode: every requirement needs one, and they must match.
    args = ["-r", requirements] if command == "install" else [requirements]
    refused = install(command, index, venv, *args)
    assert refused.returncode == 2 and "other (" in refused.stderr, refused
    assert "other (" in refused.stderr and "is not pinned with ==" in refused.stderr
    ignored = install(command, index, venv, *args, "--no-verify-hashes")
    assert ignored.returncode == 0, ignored
    assert ignored.stderr.endswith(" + lib==1.0\n + other==1.0\n"), ignored
    # --verify-hashes undoes it (the last wins), --require-hashes wins over it.
    for flags in (["--no-verify-hashes", "--verify-hashes"],
                  ["--no-verify-hashes", "--require-hashes"]):
        again = install(command, index, venv, *args, *flags, "--reinstall")
        assert again.returncode == 2 and "is not pinned with ==" in again.stderr, (flags, again)
    monkeypatch.setenv("PYFFIN_NO_VERIFY_HASHES", "1")
    assert install(command, index, venv, *args, "--reinstall").returncode == 0


def test_no_verify_hashes_keeps_a_requirements_files_require_hashes(
        index: IndexServer, venv: Path, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--require-hashes\nlib==1.0 --hash=sha256:{'0' * 64}\n")
    result = install("install", index, venv, "-r", requirements, "--no-verify-hashes")
    assert result.returncode == 1 and "hash mismatch for lib-1.0" in result.stderr, result


# ------------------------------------------------------------------------ Python discovery
@pytest.mark.parametrize("words", [("pip", "install"), ("pip", "sync"), ("pip", "compile"),
                                   ("venv",)])
def test_python_discovery_options_are_accepted(words: tuple[str, ...], tmp_path: Path,
                                               index: IndexServer) -> None:
    """pyffin's discovery is uv's with system Pythons only, and it never downloads one."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable).returncode == 0
    source = ["-r", requirements] if words[-1] == "install" else [requirements]
    for flags in (["--python-preference", "only-system", "--no-python-downloads"],
                  ["--python-preference", "system", "--allow-python-downloads"],
                  ["--python-preference", "managed"],
                  ["--managed-python", "--no-managed-python"]):
        if words == ("venv",):
            result = pyffin("venv", env, "--clear", "--python", sys.executable, *flags,
                            cache_dir=tmp_path / "cache")
        else:
            result = pyffin(*words, *source, "--python", env / "bin" / "python",
                            "--index-url", index.index_url, *flags,
                            cache_dir=tmp_path / "cache")
        assert result.returncode == 0, (flags, result)


@pytest.mark.parametrize("words", [("pip", "install"), ("pip", "sync"), ("pip", "compile"),
                                   ("venv",)])
def test_only_managed_pythons_are_not_supported(words: tuple[str, ...], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = [*words, *([] if words == ("venv",) else ["r.txt"])]
    for flags in (["--managed-python"], ["--python-preference", "only-managed"],
                  ["--no-managed-python", "--managed-python"]):
        result = pyffin(*args, *flags, cache_dir=tmp_path / "cache")
        assert result.returncode == 2, result
        assert result.stderr.startswith("error: only managed Pythons (--managed-python, "
                                        "--python-preference only-managed): not supported")
    monkeypatch.setenv("PYFFIN_PYTHON_PREFERENCE", "only-managed")
    result = pyffin(*args, cache_dir=tmp_path / "cache")
    assert "only-managed) (from PYFFIN_PYTHON_PREFERENCE): not supported" in result.stderr
    assert not (tmp_path / ".venv").exists()
    # A version or a name still asks for a managed one.
    result = pyffin(*args, "--python", "3.11", cache_dir=tmp_path / "cache")
    assert "only-managed) (from PYFFIN_PYTHON_PREFERENCE): not supported" in result.stderr


@pytest.mark.parametrize("words", [("pip", "install"), ("pip", "sync"), ("pip", "compile"),
                                   ("pip", "freeze"), ("venv",)])
def test_an_interpreter_named_by_its_path_is_used_whatever_the_preference(
        words: tuple[str, ...], tmp_path: Path, index: IndexServer) -> None:
    # uv 0.13.9: `--managed-python --python /path/to/python` uses that interpreter.
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    env = tmp_path / "env"
    assert pyffin("venv", env, "--python", sys.executable).returncode == 0
    if words == ("venv",):
        args: list[str | Path] = [tmp_path / "other", "--python", sys.executable]
    else:
        source = [] if words[-1] == "freeze" else [
            "-r" if words[-1] == "install" else "", requirements, "--index-url",
            index.index_url]
        args = [*(a for a in source if a), "--python", env / "bin" / "python"]
    result = pyffin(*words, *args, "--managed-python", cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result


# --------------------------------------------------------------------------------- compile
def compile_(tmp_path: Path, index: IndexServer, *args: str | Path) -> Result:
    source = tmp_path / "requirements.in"
    if not source.exists():
        source.write_text("lib\n")
    return pyffin("pip", "compile", source, "--index-url", index.index_url, "--cache-dir",
                  tmp_path / "cache", "--no-header", "--no-annotate", *args)


def test_compile_accepts_no_sources_and_link_mode(index: IndexServer, tmp_path: Path) -> None:
    # pyffin never reads [tool.uv.sources], and compile installs nothing.
    result = compile_(tmp_path, index, "--no-sources", "--no-sources-package", "lib",
                      "--link-mode", "copy")
    assert result.returncode == 0, result
    assert result.stdout == "lib==1.0\n"
    assert result.stderr.count("warning") == 0


# ------------------------------------------------------------------- --offline, --refresh
@pytest.mark.parametrize("command", ["compile", "install", "sync"])
def test_offline_mode_refuses_a_refresh(index: IndexServer, venv: Path, tmp_path: Path,
                                        command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """As uv: asking the index about the cache is what offline mode forbids, so --refresh and
    --refresh-package are usage errors with it, wherever offline mode was asked for; nothing
    is written. --upgrade and --reinstall, which imply a refresh, work from the cache."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    output = tmp_path / "out.txt"

    def run(*args: str | Path) -> Result:
        if command == "compile":
            return compile_(tmp_path, index, "-o", output, *args)
        source = ["-r", requirements] if command == "install" else [requirements]
        return install(command, index, venv, *source, *args)

    assert run().returncode == 0  # a warm cache
    output.unlink(missing_ok=True)
    refused = run("--offline", "--refresh")
    assert (refused.returncode, refused.stdout) == (2, ""), refused
    assert refused.stderr == "error: the argument `--offline` cannot be used with `--refresh`\n"
    assert not output.exists()
    refused = run("--refresh-package", "lib", "--offline")
    assert refused.returncode == 2, refused
    assert refused.stderr == ("error: the argument `--offline` cannot be used with "
                              "`--refresh-package`\n")
    monkeypatch.setenv("PYFFIN_OFFLINE", "1")
    refused = run("--refresh")
    assert refused.stderr == ("error: the argument `PYFFIN_OFFLINE` (environment variable) "
                              "cannot be used with `--refresh`\n"), refused
    assert run("--no-offline", "--refresh").returncode == 0  # the flag wins over the variable
    monkeypatch.delenv("PYFFIN_OFFLINE")
    config = Path("pyffin.toml")
    config.write_text("offline = true\n")
    refused = run("--refresh")
    assert refused.returncode == 2, refused
    assert refused.stderr == ("error: the argument `offline` (configuration file "
                              f"{config.resolve()}) cannot be used with `--refresh`\n"), refused
    config.unlink()
    upgraded = run("--offline", "--reinstall" if command == "sync" else "--upgrade")
    assert upgraded.returncode == 0, upgraded
    assert command != "compile" or output.read_text().endswith("lib==1.0\n")


@pytest.mark.parametrize("command", ["install", "sync"])
def test_install_and_sync_accept_no_sources(index: IndexServer, venv: Path, tmp_path: Path,
                                            command: str) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    source = ["-r", requirements] if command == "install" else [requirements]
    result = install(command, index, venv, *source, "--no-sources")
    assert result.returncode == 0 and result.stderr.endswith(" + lib==1.0\n"), result


def test_compile_system_skips_virtual_environments(index: IndexServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """As uv's: the interpreter resolved for is found on PATH, not in the nearest .venv."""
    mine = pyenv_python(f"{sys.version_info[0]}.{sys.version_info[1]}")
    other = next((p for v in ("3.12", "3.10", "3.13", "3.9") if v != f"{sys.version_info[0]}."
                  f"{sys.version_info[1]}" and (p := pyenv_python(v)) is not None), None)
    if mine is None or other is None:
        pytest.skip("needs pyenv's Pythons")
    monkeypatch.chdir(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python3", "python"):
        (bin_dir / name).symlink_to(mine)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert pyffin("venv", ".venv", "--python", other).returncode == 0
    version = other.name.removeprefix("python")
    (tmp_path / "requirements.in").write_text(f"lib ; python_version == '{version}'\n")
    assert compile_(tmp_path, index).stdout == "lib==1.0\n"  # for the .venv's Python
    system = compile_(tmp_path, index, "--system")
    assert system.returncode == 0 and system.stdout == "", system  # for PATH's
    assert compile_(tmp_path, index, "--system", "--no-system").stdout == "lib==1.0\n"


@pytest.mark.parametrize(("flags", "warning"), [
    (["--allow-unsafe"], "pip-compile's `--allow-unsafe` has no effect (pyffin can safely pin "
                         "`pip` and other packages)"),
    (["--no-allow-unsafe"], "pip-compile's `--no-allow-unsafe` has no effect"),
    (["--no-reuse-hashes"], "pip-compile's `--no-reuse-hashes` has no effect (pyffin doesn't "
                            "reuse hashes)"),
    (["--resolver", "backtracking"], "pip-compile's `--resolver=backtracking` has no effect "
                                     "(pyffin always backtracks)"),
    (["--no-emit-trusted-host"], "pip-compile's `--no-emit-trusted-host` has no effect"),
    (["--no-emit-options"], "pip-compile's `--no-emit-options` has no effect"),
])
def test_pip_tools_options_without_effect_are_warned_about(
        index: IndexServer, tmp_path: Path, flags: list[str], warning: str) -> None:
    index.add_wheel(WheelSpec("pip", "24.0"))
    (tmp_path / "requirements.in").write_text("lib\npip\n")
    result = compile_(tmp_path, index, *flags)
    assert result.returncode == 0, result
    assert result.stdout == "lib==1.0\npip==24.0\n"  # pinned, as uv pins it
    assert f"warning: {warning}" in result.stderr


@pytest.mark.parametrize(("words", "flags", "error"), [
    (("pip", "compile"), ["--reuse-hashes"], "pip-compile's `--reuse-hashes` is unsupported"),
    (("pip", "compile"), ["--resolver=legacy"],
     "pip-compile's `--resolver=legacy` is unsupported (pyffin always backtracks)"),
    (("pip", "compile"), ["--max-rounds", "10"], "pip-compile's `--max-rounds` is unsupported"),
    (("pip", "compile"), ["--client-cert", "c.pem"],
     "pip-compile's `--client-cert` is unsupported"),
    (("pip", "compile"), ["--emit-trusted-host"],
     "pip-compile's `--emit-trusted-host` is unsupported"),
    (("pip", "compile"), ["--config", "x.toml"], "pip-compile's `--config` is unsupported"),
    (("pip", "compile"), ["--emit-options"], "pip-compile's `--emit-options` is unsupported "
                                             "(try `--emit-build-options` instead)"),
    (("pip", "compile"), ["--pip-args", "x"], "pip-compile's `--pip-args` is unsupported"),
    (("pip", "sync"), ["-a"], "pip-sync's `--ask` is unsupported"),
    (("pip", "sync"), ["--python-executable", "python3"],
     "pip-sync's `--python-executable` is unsupported"),
    (("pip", "sync"), ["--user"], "pip-sync's `--user` is unsupported"),
    (("pip", "install"), ["--user"], "pip's `--user` is unsupported (use a virtual "
                                     "environment instead)"),
    # As uv 0.13.9 refuses it in its pip commands.
    (("pip", "compile"), ["--upgrade-group", "dev"],
     "`--upgrade-group` is not supported in `pyffin pip` commands"),
    (("pip", "install"), ["--upgrade-group", "dev"],
     "`--upgrade-group` is not supported in `pyffin pip` commands"),
])
def test_unsupported_carry_overs_are_usage_errors(words: tuple[str, ...], flags: list[str],
                                                  error: str, tmp_path: Path) -> None:
    result = pyffin(*words, "r.txt", *flags, cache_dir=tmp_path / "cache")
    assert result.returncode == 2, result
    assert result.stderr.startswith(f"error: {error}"), result


# ------------------------------------------------------------------------------------ venv
def test_venv_seed_options(index_server: IndexServer, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """--link-mode and --exclude-newer apply to the seed packages; --no-project is what
    pyffin venv always does."""
    def day(year: int, month: int) -> datetime:
        return datetime(year, month, 1, tzinfo=timezone.utc)

    index_server.add_wheel(WheelSpec("pip", "23.0", files={"pip/__init__.py": ""}),
                           upload_time=day(2023, 1))
    index_server.add_wheel(WheelSpec("pip", "24.0", files={"pip/__init__.py": ""}),
                           upload_time=day(2024, 6))
    if sys.version_info < (3, 12):
        for name in ("setuptools", "wheel"):
            index_server.add_wheel(WheelSpec(name, "1.0"), upload_time=day(2020, 1))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nrequires-python = ">=9"\n')
    env = tmp_path / "env"
    result = pyffin("venv", env, "--python", sys.executable, "--seed", "--no-project",
                    "--index-url", index_server.index_url, "--link-mode", "symlink",
                    "--exclude-newer", "2024-01-01", cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result
    assert " + pip==23.0\n" in result.stderr, result
    [site] = env.glob("lib/python3.*/site-packages")
    assert next((site / "pip").iterdir()).is_symlink()
    bad = pyffin("venv", tmp_path / "other", "--exclude-newer", "someday")
    assert bad.returncode == 2 and "invalid --exclude-newer 'someday'" in bad.stderr
    assert not (tmp_path / "other").exists()


def test_venv_virtualenv_carry_overs_are_warned_about(tmp_path: Path) -> None:
    result = pyffin("venv", tmp_path / "env", "--python", sys.executable, "--no-seed",
                    "--no-pip", "--no-setuptools", "--no-wheel", cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result
    assert "warning: virtualenv's `--no-seed` has no effect (pyffin omits seed packages by " \
           "default)\n" in result.stderr
    assert "warning: virtualenv's `--no-wheel` has no effect (pyffin omits `wheel` by " \
           "default)\n" in result.stderr


# ------------------------------------------------------------------------------ --directory
@pytest.mark.parametrize("before", [False, True], ids=["after the command", "before it"])
def test_directory_runs_the_command_there(index: IndexServer, tmp_path: Path, before: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """uv's global ``--directory``: relative paths (the requirements, the output file, the
    cache) are taken from it; the caller's working directory is its own again after."""
    project = tmp_path / "services" / "api"
    project.mkdir(parents=True)
    (project / "requirements.in").write_text("lib\n")
    monkeypatch.chdir(tmp_path)
    directory = ["--directory", "services/api"]
    args = ["requirements.in", "-o", "requirements.txt", "--index-url", index.index_url,
            "--cache-dir", "cache", "--no-header"]
    result = (pyffin(*directory, "pip", "compile", *args) if before
              else pyffin("pip", "compile", *args, *directory))
    assert result.returncode == 0, result.stderr
    assert (project / "requirements.txt").read_text() == "lib==1.0\n    # via -r requirements.in\n"
    assert (project / "cache").is_dir()
    assert not (tmp_path / "requirements.txt").exists()
    assert Path.cwd() == tmp_path


def test_a_directory_that_is_not_there_is_a_usage_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = pyffin("pip", "freeze", "--directory", "missing")
    assert result.returncode == 2
    assert "error: cannot change to the directory missing: No such file or directory" in (
        result.stderr)
    assert Path.cwd() == tmp_path


# ------------------------------------------------------- commands that read an environment
READERS = [("pip", "freeze"), ("pip", "list"), ("pip", "show", "lib"), ("pip", "check"),
           ("pip", "tree"), ("pip", "uninstall", "--dry-run", "lib")]


@pytest.fixture
def with_lib(index: IndexServer, venv: Path) -> Path:
    assert install("install", index, venv, "lib").returncode == 0
    return venv


@pytest.mark.parametrize("words", READERS, ids=lambda words: words[1])
def test_commands_that_read_an_environment_take_uvs_global_options(
        words: tuple[str, ...], with_lib: Path) -> None:
    """uv takes its Python discovery and network options on every command: a script that
    passes them everywhere carries over. Here they make no difference."""
    python = ["--python", str(with_lib / "bin" / "python")]
    plain = pyffin(*words, *python)
    assert plain.returncode == 0, plain
    for flags in (["--python-preference", "only-system", "--no-python-downloads"],
                  ["--no-managed-python"], ["--system-certs"], ["--native-tls"],
                  *([] if words[1] in ("list", "tree") else [
                      ["--offline"], ["--cert", "ca.pem"],
                      ["--allow-insecure-host", "pypi.example.org:8443"]])):
        result = pyffin(*words, *python, *flags)
        assert (result.returncode, result.stdout) == (0, plain.stdout), (flags, result)
    # uv 0.13.9 uses an interpreter named by its path whatever the preference.
    managed = pyffin(*words, *python, "--managed-python")
    assert (managed.returncode, managed.stdout) == (0, plain.stdout), managed
    if words[1] not in ("list", "tree"):
        refused = pyffin(*words, *python, "--allow-insecure-host", "host:port")
        assert refused.returncode == 2 and "invalid port" in refused.stderr, refused


def test_uninstall_takes_no_break_system_packages_and_a_keyring_provider(
        with_lib: Path) -> None:
    result = pyffin("pip", "uninstall", "lib", "--python", with_lib / "bin" / "python",
                    "--break-system-packages", "--no-break-system-packages",
                    "--keyring-provider", "subprocess")
    assert result.returncode == 0, result
    assert " - lib==1.0" in result.stderr
