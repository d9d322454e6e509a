"""The tools under comparison: their venv, a neutral environment, and the exact commands.

This module uses the standard library only: it runs before the harness re-executes itself in
the tools venv (where ``packaging`` and ``matplotlib`` are).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from bench import BenchError

#: The peers installed (latest) into the tools venv, plus what the harness itself needs.
PEERS: tuple[str, ...] = ("pip", "uv", "pip-tools", "matplotlib", "hatchling", "packaging")
#: Environment variables removed for every command the harness runs.
DROPPED_PREFIXES: tuple[str, ...] = ("PIP_", "UV_", "PYFFIN_", "PYTHON")
DROPPED_NAMES: frozenset[str] = frozenset({"VIRTUAL_ENV", "CONDA_PREFIX", "XDG_CACHE_HOME"})
#: How the environment is neutralized, for the report.
ENVIRONMENT_NOTE = (
    "every command runs with PIP_*, UV_*, PYFFIN_*, PYTHON* (e.g. PYTHONDONTWRITEBYTECODE), "
    "VIRTUAL_ENV and CONDA_PREFIX removed from the environment, `PIP_CONFIG_FILE=/dev/null` "
    "(pip and pip-tools read no config file), `UV_NO_CONFIG=1`, `--no-config` for uv, "
    "pip-tools and pyffin (for pyffin where its subcommand has the option), XDG_CACHE_HOME "
    "pointed into the tool's own cache directory, and no pyproject.toml or pip.conf in the "
    "working directory"
)

OPERATIONS: tuple[str, ...] = ("compile", "install", "sync", "venv", "version")
#: pyffin's subcommand for each operation (its support is detected with ``--help``).
PYFFIN_SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "compile": ("pip", "compile"),
    "install": ("pip", "install"),
    "sync": ("pip", "sync"),
    "venv": ("venv",),
}


def clean_env(cache_home: Path | None = None) -> dict[str, str]:
    """The process environment without any variable that configures a tool or Python."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(DROPPED_PREFIXES) and key not in DROPPED_NAMES
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    if cache_home is not None:
        env["XDG_CACHE_HOME"] = str(cache_home)
    return env


# --- the tools venv ----------------------------------------------------------------------------


def base_python() -> Path:
    """The interpreter behind the running one (the venv's base when running in a venv)."""
    return Path(getattr(sys, "_base_executable", sys.executable) or sys.executable)


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def in_venv(venv: Path) -> bool:
    return Path(sys.prefix).resolve() == venv.resolve()


def ensure_tools(root: Path, repo: Path, *, update: bool, log: Callable[[str], None]) -> Path:
    """Create/refresh the tools venv: the latest peers once, pyffin whenever its source changed.

    Returns the venv's python. Installs run without PYTHONDONTWRITEBYTECODE, so every tool's
    own modules are byte-compiled as a user would have them.
    """
    python = venv_python(root)
    stamp_path = root / "bench-stamp.json"
    stamp: dict[str, str] = {}
    if python.exists() and stamp_path.exists():
        try:
            stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        except ValueError:
            stamp = {}
    if not python.exists():
        log(f"creating the tools venv {root}")
        _setup_run([str(base_python()), "-m", "venv", str(root)])
    if update or stamp.get("peers") != " ".join(PEERS):
        log(f"installing the latest {', '.join(PEERS)} into the tools venv")
        _setup_run([str(python), "-m", "pip", "install", "-q", "-U", *PEERS])
        stamp = {"peers": " ".join(PEERS)}
        _write_stamp(stamp_path, stamp)
    wheels = root / "pip-wheel"
    if not any(wheels.glob("pip-*.whl")):
        # Downloaded once: the pip that pip-sync's target venvs get (see Toolbox.venv).
        version = subprocess.run([str(python), "-c", "import pip; print(pip.__version__)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        _setup_run([str(python), "-m", "pip", "download", "-q", "--no-deps", "--only-binary",
                    ":all:", "-d", str(wheels), f"pip=={version}"])  # fmt: skip
    digest = source_digest(repo)
    if stamp.get("pyffin") != digest:
        log(f"installing pyffin from {repo} (non-editable, byte-compiled)")
        with tempfile.TemporaryDirectory(prefix="bench-wheel-") as tmp:
            _setup_run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "wheel",
                    "-q",
                    "--no-deps",
                    "--no-build-isolation",
                    "-w",
                    tmp,
                    str(repo),
                ]
            )
            wheels = sorted(Path(tmp).glob("pyffin-*.whl"))
            if not wheels:
                raise BenchError(f"building {repo} produced no pyffin wheel")
            pip = [str(python), "-m", "pip", "install", "-q"]
            _setup_run([*pip, "--force-reinstall", "--no-deps", str(wheels[0])])
            _setup_run([*pip, str(wheels[0])])  # its dependencies, if new ones appeared
        stamp["pyffin"] = digest
        _write_stamp(stamp_path, stamp)
    return python


def source_digest(repo: Path) -> str:
    """Changes whenever a file that goes into pyffin's wheel changes."""
    digest = hashlib.sha256()
    paths = [repo / "pyproject.toml", repo / "README.md", *sorted((repo / "src").rglob("*"))]
    for path in paths:
        if path.is_file() and "__pycache__" not in path.parts:
            st = path.stat()
            digest.update(f"{path.relative_to(repo)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _write_stamp(path: Path, stamp: Mapping[str, str]) -> None:
    path.write_text(json.dumps(dict(stamp), indent=1), encoding="utf-8")


def _setup_run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BenchError(f"setup command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")


# --- the commands under test -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Toolbox:
    """Where the tools are; builds each tool's command for an operation."""

    tools_venv: Path
    #: The benchmark interpreter: every venv is made from it and every resolve targets it.
    python: Path
    #: ``pyffin <subcommand> --help`` output of each operation pyffin implements.
    pyffin_help: Mapping[str, str] = field(default_factory=dict)

    def bin(self, name: str) -> Path:
        return self.tools_venv / "bin" / name

    @property
    def pip_wheels(self) -> Path:
        """Where ensure_tools keeps a wheel of the tools venv's pip."""
        return self.tools_venv / "pip-wheel"

    def supports(self, tool: str, operation: str) -> bool:
        return tool != "pyffin" or operation == "version" or operation in self.pyffin_help

    def version(self, tool: str) -> list[str]:
        """The start-up command: ``TOOL --version``, or for the baseline ``python -I -c pass``
        of the benchmark interpreter."""
        if tool == "python":
            return [str(self.python), "-I", "-c", "pass"]
        return [str(self.bin(tool)), "--version"]

    def compile(
        self,
        tool: str,
        requirements: Path,
        output: Path,
        index_url: str,
        cache: Path,
        *,
        offline: bool = False,
        universal: tuple[str, ...] = (),
    ) -> list[str]:
        """The compile command; ``universal``: the options of a universal resolution
        (``--universal --python-version 3.9 ...``; uv and pyffin only)."""
        if tool == "pip":
            # pip-compile hands --cache-dir on to pip (HTTP cache) and keeps its own there too.
            cmd = [str(self.bin("pip-compile")), str(requirements), "-o", str(output)]
            cmd += ["--index-url", index_url, *_trusted_host(index_url), "--no-config"]
            return [*cmd, "--cache-dir", str(cache), "--strip-extras", "-q"]
        cmd = [str(self.bin(tool)), "pip", "compile", str(requirements), "-o", str(output)]
        cmd += ["--index-url", index_url, *self._no_config(tool, "compile")]
        cmd += ["--offline"] if offline else []
        cmd += universal
        return [*cmd, "--cache-dir", str(cache), "--python", str(self.python), "-q"]

    def supports_scenario(self, tool: str, scenario: str) -> str | None:
        """Why ``tool`` cannot run ``scenario`` whatever pyffin implements, or ``None``."""
        if scenario == "resolve-offline" and tool == "pip":
            return "pip-compile has no offline mode"
        if scenario.startswith("universal-"):
            if tool == "pip":
                return "pip-compile has no universal mode"
            help_text = self.pyffin_help.get("compile")
            if tool == "pyffin" and help_text is not None and "--universal" not in help_text:
                return "pyffin pip compile has no --universal yet"
        return None

    def install(
        self, tool: str, requirements: Path, venv: Path, index_url: str, cache: Path
    ) -> list[str]:
        target = str(venv_python(venv))
        if tool == "pip":
            cmd = [str(self.bin("pip")), "--python", target, "install", "-r", str(requirements)]
            cmd += ["--index-url", index_url, *_trusted_host(index_url)]
            return [*cmd, "--cache-dir", str(cache), *_PIP_QUIET_NO_COMPILE]
        cmd = [str(self.bin(tool)), "pip", "install", "-r", str(requirements), "--python", target]
        cmd += ["--index-url", index_url, *self._no_config(tool, "install")]
        return [*cmd, "--cache-dir", str(cache), "-q"]

    def sync(
        self, tool: str, requirements: Path, venv: Path, index_url: str, cache: Path
    ) -> list[str]:
        target = str(venv_python(venv))
        if tool == "pip":
            pip_args = shlex.join(
                ["--cache-dir", str(cache), "--no-compile", "--disable-pip-version-check"]
            )
            cmd = [str(self.bin("pip-sync")), str(requirements), "--python-executable", target]
            cmd += ["--index-url", index_url, *_trusted_host(index_url), "--no-config"]
            return [*cmd, "--pip-args", pip_args, "-q"]
        cmd = [str(self.bin(tool)), "pip", "sync", str(requirements), "--python", target]
        cmd += ["--index-url", index_url, *self._no_config(tool, "sync")]
        return [*cmd, "--cache-dir", str(cache), "-q"]

    def venv(self, tool: str, path: Path, cache: Path, *, with_pip: bool = False) -> list[str]:
        if tool == "pip":
            make = [str(self.python), "-m", "venv", "--without-pip", str(path)]
            if not with_pip:
                return make
            # The interpreter's bundled pip can be older than pip-sync accepts: the venv gets
            # the tools venv's own pip, from the wheel ensure_tools keeps of it.
            add_pip = [str(self.bin("python")), "-m", "pip", "--python", str(venv_python(path)),
                       "install", "-q", "--no-index", "--find-links", str(self.pip_wheels),
                       "--disable-pip-version-check", "pip"]  # fmt: skip
            return ["sh", "-c", f"{shlex.join(make)} && {shlex.join(add_pip)}"]
        cmd = [str(self.bin(tool)), "venv", str(path), "--python", str(self.python)]
        return [*cmd, *self._no_config(tool, "venv"), "--cache-dir", str(cache), "-q"]

    def _no_config(self, tool: str, operation: str) -> list[str]:
        """``--no-config``, unless pyffin implements that subcommand without the option."""
        help_text = self.pyffin_help.get(operation) if tool == "pyffin" else None
        return [] if help_text is not None and "--no-config" not in help_text else ["--no-config"]

    def detect_pyffin(self) -> Toolbox:
        """This toolbox with ``pyffin_help`` filled: an operation counts as implemented when
        ``pyffin <subcommand> --help`` exits 0."""
        found = {}
        for operation, words in PYFFIN_SUBCOMMANDS.items():
            try:
                proc = subprocess.run(
                    [str(self.bin("pyffin")), *words, "--help"],
                    env=clean_env(), capture_output=True, text=True, timeout=60, check=False,
                )  # fmt: skip
            except (OSError, subprocess.TimeoutExpired):
                continue
            if proc.returncode == 0:
                found[operation] = proc.stdout
        return replace(self, pyffin_help=found)

    def versions(self) -> dict[str, str]:
        """Version of each tool as installed in the tools venv."""
        script = (
            "import importlib.metadata as m, json\n"
            "names = ['pip', 'pip-tools', 'uv', 'pyffin']\n"
            "print(json.dumps({n: m.version(n) for n in names}))\n"
        )
        proc = subprocess.run(
            [str(venv_python(self.tools_venv)), "-c", script],
            env=clean_env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise BenchError(f"cannot read the tool versions: {proc.stderr.strip()}")
        found: dict[str, str] = json.loads(proc.stdout)
        return found

    def check_present(self) -> None:
        for name in ("pip", "pip-compile", "pip-sync", "uv", "pyffin"):
            if not self.bin(name).exists():
                raise BenchError(f"{self.bin(name)} is missing; rerun with --update-tools")


_PIP_QUIET_NO_COMPILE = ("--no-compile", "--disable-pip-version-check", "-q")


def _trusted_host(index_url: str) -> list[str]:
    """pip caches nothing fetched over plain HTTP unless the host is trusted; PyPI is HTTPS
    and cached, so the local mirror's host is trusted to keep pip's behaviour realistic."""
    parts = urlsplit(index_url)
    return ["--trusted-host", parts.hostname or ""] if parts.scheme == "http" else []


def remove(path: Path) -> None:
    """Remove a file or directory tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
