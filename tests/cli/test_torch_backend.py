"""``--torch-backend``: PyTorch's projects come from PyTorch's index for the backend alone (uv's
option), against a local server laid out as ``download.pytorch.org/whl/<backend>/`` is
(``PYFFIN_TORCH_INDEX_URL`` points there)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyffin.cli import recompile
from pyffin.interpreter import accelerator
from pyffin.models.torch import Accelerator
from tests.models.test_torch import CUDA_12
from tests.support.cli import Result, child_env, pyffin
from tests.support.dists import WheelSpec
from tests.support.fixtures import MakeDist
from tests.support.index import IndexServer


def wheel(name: str, version: str, *requires: str) -> WheelSpec:
    return WheelSpec(name, version, requires_dist=list(requires))


def filename(name: str, version: str) -> str:
    return f"{name}-{version}-py3-none-any.whl"


@pytest.fixture
def torch_index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    """PyPI's torch 3.0 on the index; PyTorch's builds on their backends' indexes."""
    index_server.add_wheel(wheel("six", "1.0"))
    index_server.add_wheel(wheel("torch", "3.0"))
    builds = {
        "cpu": [("torch", "2.1.0+cpu")],
        "rocm7.2": [("torch", "2.2.0+rocm7.2")],
        "cu121": [("torch", "2.1.0+cu121"), ("torch", "2.0.0+cu121"),
                  ("torchvision", "0.16.0+cu121", "torch==2.1.0"),
                  ("torchvision", "0.13.0+cu121", "torch==1.0.0"), ("triton", "2.0")],
        "cu118": [("torch", "1.0.0+cu118"), ("torchvision", "0.14.0+cu118", "torch==1.0.0"),
                  ("triton", "1.0")],
    }
    for backend, specs in builds.items():
        for name, version, *requires in specs:
            if filename(name, version) not in index_server._files:
                index_server.add_wheel(wheel(name, version, *requires))
        index_server.mount(f"/whl/{backend}", *(filename(n, v) for n, v, *_ in specs))
    monkeypatch.setenv("PYFFIN_TORCH_INDEX_URL", f"{index_server.url}/whl")
    return index_server


def compile_(server: IndexServer, tmp_path: Path, requirements: str, *args: str) -> Result:
    (tmp_path / "requirements.in").write_text(requirements)
    return pyffin("pip", "compile", tmp_path / "requirements.in", "--index-url",
                  server.index_url, "--no-header", "--no-annotate", *args,
                  cache_dir=tmp_path / "cache")


def pins(result: Result) -> list[str]:
    assert result.returncode == 0, result
    return [line for line in result.stdout.splitlines() if line and line[0] not in "#-"]


def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's GPU, whatever it is, stays out of the tests."""
    monkeypatch.setattr(accelerator, "detect", lambda *args, **kwargs: None)


def test_without_a_backend_torch_comes_from_the_index(torch_index: IndexServer,
                                                      tmp_path: Path) -> None:
    assert pins(compile_(torch_index, tmp_path, "torch\nsix\n")) == ["six==1.0", "torch==3.0"]
    assert torch_index.count("/simple/torch/") == 1


def test_a_backend_takes_torch_from_its_index_alone(torch_index: IndexServer,
                                                    tmp_path: Path) -> None:
    result = compile_(torch_index, tmp_path, "torch\nsix\n", "--torch-backend", "cpu")
    assert pins(result) == ["six==1.0", "torch==2.1.0+cpu"]
    assert torch_index.count("/simple/torch/") == 0  # not asked: no shadowing from elsewhere
    assert torch_index.count("/whl/cpu/torch/") == 1
    assert torch_index.count("/simple/six/") == 1  # every other project as usual
    assert torch_index.count("/whl/cpu/six/") == 0


def test_the_variable_and_the_configuration_file(torch_index: IndexServer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyffin.toml").write_text('torch-backend = "cpu"\n')
    assert pins(compile_(torch_index, tmp_path, "torch\n")) == ["torch==2.1.0+cpu"]
    monkeypatch.setenv("PYFFIN_TORCH_BACKEND", "cu118")
    assert pins(compile_(torch_index, tmp_path, "torch\n")) == ["torch==1.0.0+cu118"]
    # The flag wins; the answer follows each change (nothing kept from the run before).
    assert pins(compile_(torch_index, tmp_path, "torch\n", "--torch-backend", "cu121")) == \
        ["torch==2.1.0+cu121"]


def test_auto_without_a_gpu_is_the_cpu_index(torch_index: IndexServer, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    no_gpu(monkeypatch)
    result = compile_(torch_index, tmp_path, "torch\n", "--torch-backend", "auto")
    assert pins(result) == ["torch==2.1.0+cpu"]


def test_auto_with_a_cuda_driver_tries_each_cuda_index_in_turn(
        torch_index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_CUDA_DRIVER_VERSION", "535.104.05")
    result = compile_(torch_index, tmp_path, "torch\ntriton\n", "--torch-backend", "auto")
    assert pins(result) == ["torch==2.1.0+cu121", "triton==2.0"]
    # Every CUDA index the driver runs (asked together), then the CPU one; the ones that do
    # not have it are passed over. Not CUDA 13's, which needs a 580 driver.
    asked = {r.path for r in torch_index.request_log if r.path.endswith("/torch/")}
    assert asked == {f"/whl/{backend}/torch/" for backend in (
        *CUDA_12, "cu118", "cu117", "cu116", "cu115", "cu114", "cu113", "cu112", "cu111",
        "cu110", "cu102", "cu101", "cu100", "cu92", "cu91", "cu90", "cu80", "cpu")}
    # An older driver: the CUDA 11 indexes and older alone.
    monkeypatch.setenv("PYFFIN_CUDA_DRIVER_VERSION", "470.82.01")
    result = compile_(torch_index, tmp_path, "torch\n", "--torch-backend", "auto")
    assert pins(result) == ["torch==1.0.0+cu118"]


def test_an_index_s_versions_come_before_the_next_one_s(torch_index: IndexServer,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_CUDA_DRIVER_VERSION", "535.104.05")
    result = compile_(torch_index, tmp_path, "torch<2.1\n", "--torch-backend", "auto")
    assert pins(result) == ["torch==2.0.0+cu121"]
    result = compile_(torch_index, tmp_path, "torch<2\n", "--torch-backend", "auto")
    assert pins(result) == ["torch==1.0.0+cu118"]


def test_the_cuda_builds_chosen_agree(torch_index: IndexServer, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """torch 1.0.0 is only on cu118. torchvision 0.13.0+cu121 would fit its requirement
    (torch==1.0.0) and comes first (its index does), but is built for CUDA 12.1: the solver
    takes cu118's. triton's builds need no CUDA release of their own."""
    monkeypatch.setenv("PYFFIN_CUDA_DRIVER_VERSION", "535.104.05")
    requirements = "torch==1.0.0\ntorchvision\ntriton\n"
    result = compile_(torch_index, tmp_path, requirements, "--torch-backend", "auto")
    assert pins(result) == ["torch==1.0.0+cu118", "torchvision==0.14.0+cu118", "triton==2.0"]
    assert "system" not in result.stdout
    universal = compile_(torch_index, tmp_path, requirements, "--torch-backend", "auto",
                         "--universal")
    assert pins(universal) == pins(result)
    # Asked for both, they cannot agree; the explanation says why, in uv's words.
    failed = compile_(torch_index, tmp_path, "torch==1.0.0\ntorchvision==0.13.0\n",
                      "--torch-backend", "auto")
    assert failed.returncode == 1, failed
    assert "torch==1.0.0+cu118 depends on system:cuda==11.8" in failed.stderr
    assert "torchvision==0.13.0+cu121 depends on system:cuda==12.1" in failed.stderr
    # One index named: its builds are all one release's, nothing to agree on.
    named = compile_(torch_index, tmp_path, "torch\ntorchvision\n", "--torch-backend", "cu121")
    assert pins(named) == ["torch==2.1.0+cu121", "torchvision==0.16.0+cu121"]


def test_a_gpu_that_changes_changes_the_answer(torch_index: IndexServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same command line, files and variables, another GPU: not answered from what the
    runs before kept (the replay of a repeated compile, the resolution cache)."""
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 0)  # files trusted as soon as written
    replays: list[int | None] = []
    real = recompile.replay

    def replay(*args: Any) -> int | None:
        replays.append(real(*args))
        return replays[-1]

    monkeypatch.setattr(recompile, "replay", replay)
    found: list[Accelerator | None] = [None]
    monkeypatch.setattr(accelerator, "detect", lambda *args, **kwargs: found[0])
    (tmp_path / "requirements.in").write_text("torch\n")

    def run() -> list[str]:
        # (A --python path: the compile of an interpreter found on PATH is never replayed.)
        return pins(pyffin("pip", "compile", tmp_path / "requirements.in", "--index-url",
                           torch_index.index_url, "--torch-backend", "auto", "--python",
                           sys.executable, "--no-annotate", cache_dir=tmp_path / "cache"))

    for _ in range(2):  # (the second run is the one a replay would answer)
        assert run() == ["torch==2.1.0+cpu"]
    found[0] = Accelerator("amd", "gfx1151")  # ROCm 7.2's builds alone, then the CPU's
    assert run() == ["torch==2.2.0+rocm7.2"]
    assert replays == [None, None, None]


def test_find_links_and_no_index(torch_index: IndexServer, tmp_path: Path,
                                 make_wheel: MakeDist) -> None:
    """Find-links locations are searched as always (as part of the first index); --no-index
    leaves PyTorch's indexes out too."""
    links = make_wheel("torch", "9.0").parent
    result = compile_(torch_index, tmp_path, "torch\n", "--find-links", str(links),
                      "--torch-backend", "cpu")
    assert pins(result) == ["torch==9.0"]
    no_index = compile_(torch_index, tmp_path, "torch\n", "--no-index", "--torch-backend", "cpu")
    assert no_index.returncode == 1, no_index
    assert "torch was not found" in no_index.stderr
    assert torch_index.count("/whl/cpu/torch/") == 1  # the first run's


def test_install_and_sync(torch_index: IndexServer, tmp_path: Path, venv: Path) -> None:
    python = venv / "bin" / "python"
    result = pyffin("pip", "install", "--python", python, "--index-url", torch_index.index_url,
                    "--torch-backend", "cpu", "torch", cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result
    assert " + torch==2.1.0+cpu" in result.stderr
    (tmp_path / "locked.txt").write_text("torch==2.0.0+cu121\n")
    result = pyffin("pip", "sync", "--python", python, "--index-url", torch_index.index_url,
                    "--torch-backend", "cu121", tmp_path / "locked.txt",
                    cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result
    assert " - torch==2.1.0+cpu" in result.stderr and " + torch==2.0.0+cu121" in result.stderr


@pytest.mark.parametrize("words", [("pip", "compile"), ("pip", "install"), ("pip", "sync")])
def test_a_bad_backend_is_a_usage_error(words: tuple[str, ...], tmp_path: Path) -> None:
    result = pyffin(*words, "r.txt", "--torch-backend", "cu999", cache_dir=tmp_path / "cache")
    assert result.returncode == 2, result
    assert "cu999" in result.stderr


def test_a_bad_driver_variable_is_a_usage_error(torch_index: IndexServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_CUDA_DRIVER_VERSION", "abc")
    result = compile_(torch_index, tmp_path, "torch\n", "--torch-backend", "auto")
    assert result.returncode == 2, result
    assert "invalid CUDA driver version 'abc' in PYFFIN_CUDA_DRIVER_VERSION" in result.stderr


def test_the_page_workers_read_pytorch_s_indexes(torch_index: IndexServer,
                                                 tmp_path: Path) -> None:
    """A cold compile in its own process (page workers forked): they look torch up where the
    command does, for the target's system (a 526 driver runs CUDA 12 on Linux, not on
    Windows), and the answer is the one without them."""
    (tmp_path / "requirements.in").write_text("torch\nsix\n")
    answers = []
    for workers in ("0", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "pyffin", "pip", "compile", "requirements.in", "--index-url",
             torch_index.index_url, "--cache-dir", str(tmp_path / f"cache{workers}"),
             "--no-header", "--no-annotate", "--torch-backend", "auto", "--python-platform",
             "windows", "-v"],
            cwd=tmp_path, env=child_env({"PYFFIN_PAGE_WORKERS": workers,
                                         "PYFFIN_CUDA_DRIVER_VERSION": "526"}),
            text=True, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        answers.append(done.stdout)
    assert answers[0] == answers[1] == "six==1.0\ntorch==1.0.0+cu118\n"
    assert "Started 2 page workers" in done.stderr
    assert torch_index.count("/simple/torch/") == 0
    # Nobody, worker or command, asked the indexes the driver runs on Linux only.
    assert torch_index.count("/whl/cu118/torch/") >= 2
    assert torch_index.count("/whl/cu129/torch/") == 0


def test_the_setting_applies_to_every_command_that_reads_an_index(
        torch_index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the other index settings: pip download (which has no such flag) follows it."""
    monkeypatch.setenv("PYFFIN_TORCH_BACKEND", "cpu")
    result = pyffin("pip", "download", "torch", "--no-deps", "-d", tmp_path / "saved",
                    "--index-url", torch_index.index_url, cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result
    assert [p.name for p in (tmp_path / "saved").iterdir()] == [filename("torch", "2.1.0+cpu")]
