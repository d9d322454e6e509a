"""Which PyTorch indexes a ``--torch-backend`` mode stands for (uv 0.13's choices: each
threshold below was checked against what uv asks for with ``UV_CUDA_DRIVER_VERSION`` /
``UV_AMD_GPU_ARCHITECTURE`` set)."""

from __future__ import annotations

import pytest

from pyffin.models.torch import (
    MODES,
    PROJECTS,
    SYSTEM_DEPENDENT,
    Accelerator,
    cuda_version,
    rocm_version,
    torch_indexes,
)

CUDA_12 = ("cu129", "cu128", "cu126", "cu125", "cu124", "cu123", "cu122", "cu121", "cu120")
CUDA_11 = ("cu118", "cu117", "cu116", "cu115", "cu114", "cu113", "cu112", "cu111")
OLDER = ("cu110", "cu102", "cu101", "cu100", "cu92", "cu91", "cu90", "cu80")


def backends(mode: str, os: str, accelerator: Accelerator | None = None) -> tuple[str, ...]:
    return torch_indexes(mode, os, accelerator).backends


@pytest.mark.parametrize("mode", [m for m in MODES if m != "auto"])
@pytest.mark.parametrize("os", ["manylinux", "windows", "macos"])
def test_a_named_backend_is_its_index_on_any_system(mode: str, os: str) -> None:
    found = torch_indexes(mode, os, Accelerator("cuda", "550"))
    assert found.backends == (mode,)
    assert found.urls == (f"https://download.pytorch.org/whl/{mode}",)
    assert found.accelerator is None  # what the machine has does not matter then


def test_the_index_url_may_be_a_mirror() -> None:
    found = torch_indexes("cu128", "manylinux", base_url="https://mirror.example/torch/")
    assert found.urls == ("https://mirror.example/torch/cu128",)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown PyTorch backend 'cu999'"):
        torch_indexes("cu999", "manylinux")


@pytest.mark.parametrize("os", ["manylinux", "musllinux", "windows", "macos", "other"])
def test_auto_without_an_accelerator_is_the_cpu_index(os: str) -> None:
    assert backends("auto", os) == ("cpu",)


@pytest.mark.parametrize(("driver", "expected"), [
    ("375.25", ()),
    ("375.26", ("cu80",)),
    ("384.81", ("cu90", "cu80")),
    ("396.26", ("cu92", "cu91", "cu90", "cu80")),
    ("440.33", ("cu102", "cu101", "cu100", "cu92", "cu91", "cu90", "cu80")),
    ("450.36.6", OLDER),
    ("450.80.1", OLDER),
    ("450.80.2", CUDA_11 + OLDER),
    ("525.60.12", CUDA_11 + OLDER),
    ("525.60.13", CUDA_12 + CUDA_11 + OLDER),
    ("550.144.3", CUDA_12 + CUDA_11 + OLDER),
    ("579.9", CUDA_12 + CUDA_11 + OLDER),
    ("580", ("cu132", "cu130", *CUDA_12, *CUDA_11, *OLDER)),
])
@pytest.mark.parametrize("os", ["manylinux", "musllinux"])
def test_auto_with_a_linux_cuda_driver(driver: str, expected: tuple[str, ...], os: str) -> None:
    assert backends("auto", os, Accelerator("cuda", driver)) == (*expected, "cpu")


@pytest.mark.parametrize(("driver", "expected"), [
    ("376.50", ()),
    ("376.51", ("cu80",)),
    ("451.22", OLDER),
    ("452.39", CUDA_11 + OLDER),
    ("528.32", CUDA_11 + OLDER),
    ("528.33", CUDA_12 + CUDA_11 + OLDER),
    ("580", ("cu132", "cu130", *CUDA_12, *CUDA_11, *OLDER)),
])
def test_auto_with_a_windows_cuda_driver(driver: str, expected: tuple[str, ...]) -> None:
    assert backends("auto", "windows", Accelerator("cuda", driver)) == (*expected, "cpu")


@pytest.mark.parametrize("os", ["macos", "other"])
def test_cuda_elsewhere_is_the_cpu_index(os: str) -> None:
    assert backends("auto", os, Accelerator("cuda", "600")) == ("cpu",)


@pytest.mark.parametrize(("architecture", "expected"), [
    ("gfx900", ("rocm7.2", "rocm7.1", "rocm7.0", "rocm6.4", "rocm6.3", "rocm6.2.4", "rocm6.2",
                "rocm6.1", "rocm6.0")),
    ("gfx950", ("rocm7.2", "rocm7.1", "rocm7.0")),
    ("gfx1101", ("rocm7.2", "rocm7.1", "rocm7.0", "rocm6.4", "rocm6.3", "rocm6.2.4", "rocm6.1")),
    ("gfx1102", ("rocm7.2", "rocm7.1", "rocm7.0", "rocm6.4", "rocm6.3", "rocm6.2.4")),
    ("gfx1151", ("rocm7.2",)),
])
def test_auto_with_an_amd_gpu_on_linux(architecture: str, expected: tuple[str, ...]) -> None:
    for os in ("manylinux", "musllinux"):
        assert backends("auto", os, Accelerator("amd", architecture)) == (*expected, "cpu")
    assert backends("auto", "windows", Accelerator("amd", architecture)) == ("cpu",)


def test_auto_with_an_intel_gpu() -> None:
    xpu = Accelerator("xpu")
    assert backends("auto", "manylinux", xpu) == ("xpu",)
    assert backends("auto", "windows", xpu) == ("xpu",)
    assert backends("auto", "musllinux", xpu) == ("cpu",)
    assert backends("auto", "macos", xpu) == ("cpu",)


def test_mixed_cuda_indexes_make_the_cuda_builds_agree() -> None:
    found = torch_indexes("auto", "manylinux", Accelerator("cuda", "550.144.3"))
    assert found.system_dependency("torch", "https://download.pytorch.org/whl/cu128") == \
        ("cuda", "12.8")
    assert found.system_dependency("torchvision", "https://download.pytorch.org/whl/cu92/") == \
        ("cuda", "9.2")
    # triton's build is any CUDA release's; the CPU index's builds need none; another index
    # (find-links) is not PyTorch's.
    assert found.system_dependency("triton", "https://download.pytorch.org/whl/cu128") is None
    assert found.system_dependency("torch", "https://download.pytorch.org/whl/cpu") is None
    assert found.system_dependency("torch", "https://pypi.org/simple") is None


def test_one_index_needs_no_agreement() -> None:
    assert torch_indexes("cu128", "manylinux").system_dependency(
        "torch", "https://download.pytorch.org/whl/cu128") is None
    amd = torch_indexes("auto", "manylinux", Accelerator("amd", "gfx1100"))
    assert amd.system_dependency("torch", "https://download.pytorch.org/whl/rocm6.4") is None


def test_the_projects() -> None:
    assert {"torch", "torchvision", "torchaudio", "triton", "pytorch-triton"} <= PROJECTS
    assert SYSTEM_DEPENDENT <= PROJECTS
    assert "triton" not in SYSTEM_DEPENDENT
    applies = torch_indexes("cpu", "manylinux").applies_to
    assert applies("torch") and not applies("numpy")


def test_release_of_a_backend() -> None:
    assert [cuda_version(b) for b in ("cu132", "cu128", "cu92", "cu80", "cpu", "rocm6.4")] == \
        ["13.2", "12.8", "9.2", "8.0", None, None]
    assert [rocm_version(b) for b in ("rocm6.2.4", "rocm7.0", "cu128")] == ["6.2.4", "7.0", None]
    assert str(Accelerator("cuda", "550.144.3")) == "CUDA driver 550.144.3"
