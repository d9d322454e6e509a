"""The GPU ``--torch-backend auto`` finds, in uv's order of places to look."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pyffin.errors import UsageError
from pyffin.interpreter.accelerator import AcceleratorError, detect
from pyffin.models.torch import Accelerator

PROC_VERSION = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.144.03  Release Build  "
    "(dvs-builder@U16-I3-D08-1-2)  Mon Dec 30 17:26:13 UTC 2024\n"
    "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n")


class Commands:
    """A stand-in for running commands: each command's (status, output), or absent."""

    def __init__(self, answers: dict[str, tuple[int, str]] | None = None) -> None:
        self.answers = answers or {}
        self.ran: list[str] = []

    def __call__(self, command: Sequence[str]) -> tuple[int, str] | None:
        self.ran.append(command[0])
        return self.answers.get(command[0])


def write(root: Path, path: str, text: str) -> None:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)


def pci(root: Path, device: str, pci_class: str, vendor: str) -> None:
    write(root, f"sys/bus/pci/devices/{device}/class", pci_class + "\n")
    write(root, f"sys/bus/pci/devices/{device}/vendor", vendor + "\n")


def find(root: Path, environ: dict[str, str] | None = None,
         commands: Commands | None = None) -> Accelerator | None:
    return detect(environ or {}, root=str(root), run=commands or Commands())


def test_nothing_found_is_no_accelerator(tmp_path: Path) -> None:
    commands = Commands()
    assert find(tmp_path, commands=commands) is None
    assert commands.ran == ["nvidia-smi", "rocm_agent_enumerator"]


def test_the_variables_come_first(tmp_path: Path) -> None:
    write(tmp_path, "sys/module/nvidia/version", "550.144.03\n")
    assert find(tmp_path, {"PYFFIN_CUDA_DRIVER_VERSION": "535.54.03"}) == \
        Accelerator("cuda", "535.54.3")
    assert find(tmp_path, {"PYFFIN_AMD_GPU_ARCHITECTURE": "gfx1100"}) == \
        Accelerator("amd", "gfx1100")
    both = {"PYFFIN_CUDA_DRIVER_VERSION": "580", "PYFFIN_AMD_GPU_ARCHITECTURE": "gfx1100"}
    assert find(tmp_path, both) == Accelerator("cuda", "580")


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("PYFFIN_CUDA_DRIVER_VERSION", "abc", "invalid CUDA driver version 'abc' in "
                                          "PYFFIN_CUDA_DRIVER_VERSION"),
    ("PYFFIN_AMD_GPU_ARCHITECTURE", "gfx123", "invalid PYFFIN_AMD_GPU_ARCHITECTURE 'gfx123'"),
])
def test_a_bad_variable_is_a_usage_error(variable: str, value: str, message: str,
                                         tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=message):
        find(tmp_path, {variable: value})


def test_the_loaded_nvidia_module(tmp_path: Path) -> None:
    write(tmp_path, "sys/module/nvidia/version", "550.144.03\n")
    write(tmp_path, "proc/driver/nvidia/version", PROC_VERSION.replace("550.144.03", "1.0"))
    commands = Commands({"nvidia-smi": (0, "2.0\n")})
    assert find(tmp_path, commands=commands) == Accelerator("cuda", "550.144.3")
    assert commands.ran == []


def test_the_nvidia_driver_in_proc(tmp_path: Path) -> None:
    write(tmp_path, "proc/driver/nvidia/version", PROC_VERSION)
    assert find(tmp_path) == Accelerator("cuda", "550.144.3")


def test_proc_without_a_version_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path, "proc/driver/nvidia/version", "something else\n")
    commands = Commands({"nvidia-smi": (0, "535.104.05\n")})
    assert find(tmp_path, commands=commands) == Accelerator("cuda", "535.104.5")


@pytest.mark.parametrize(("path", "text"), [
    ("sys/module/nvidia/version", "not a version\n"),
    ("proc/driver/nvidia/version", "NVRM version: Kernel Module  not-a-version  Release\n"),
])
def test_a_file_that_says_nonsense_is_an_error_naming_it(path: str, text: str,
                                                         tmp_path: Path) -> None:
    write(tmp_path, path, text)
    with pytest.raises(AcceleratorError, match=str(tmp_path / path)):
        find(tmp_path)


def test_nvidia_smi(tmp_path: Path) -> None:
    commands = Commands({"nvidia-smi": (0, "550.90.07\n550.90.07\n")})
    assert find(tmp_path, commands=commands) == Accelerator("cuda", "550.90.7")
    failing = Commands({"nvidia-smi": (9, ""), "rocm_agent_enumerator": (0, "gfx908\n")})
    assert find(tmp_path, commands=failing) == Accelerator("amd", "gfx908")
    with pytest.raises(AcceleratorError, match="the output of `nvidia-smi`"):
        find(tmp_path, commands=Commands({"nvidia-smi": (0, "No devices were found\n")}))


def test_rocm_agent_enumerator_takes_the_first_known_architecture(tmp_path: Path) -> None:
    # gfx000 is the CPU agent; of the GPUs, the first in uv's order of architectures.
    commands = Commands({"rocm_agent_enumerator": (0, "gfx000\ngfx1100\ngfx906\n")})
    assert find(tmp_path, commands=commands) == Accelerator("amd", "gfx906")
    assert find(tmp_path, commands=Commands({"rocm_agent_enumerator": (0, "gfx000\n")})) is None


def test_an_intel_display_controller_is_an_xpu(tmp_path: Path) -> None:
    pci(tmp_path, "0000:00:1f.3", "0x040380", "0x8086")  # Intel audio: not a GPU
    pci(tmp_path, "0000:01:00.0", "0x030000", "0x10de")  # NVIDIA's, without its driver
    assert find(tmp_path) is None
    pci(tmp_path, "0000:00:02.0", "0x030000", "0x8086")
    assert find(tmp_path) == Accelerator("xpu")
