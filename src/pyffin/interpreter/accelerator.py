"""The GPU this machine has, for ``--torch-backend auto`` (:mod:`pyffin.models.torch`).

Asked in uv's order, the first answer wins:

1. ``PYFFIN_CUDA_DRIVER_VERSION`` (``550.144.03``): an NVIDIA driver of that version;
2. ``PYFFIN_AMD_GPU_ARCHITECTURE`` (``gfx1100``): an AMD GPU of that architecture;
3. ``/sys/module/nvidia/version``, which holds the loaded NVIDIA driver's version;
4. ``/proc/driver/nvidia/version`` (``NVRM version: ... Kernel Module for x86_64  550.144.03
   Release Build ...``);
5. ``nvidia-smi --query-gpu=driver_version --format=csv,noheader``;
6. ``rocm_agent_enumerator``, which lists the AMD GPU architectures (the first known one in
   :data:`~pyffin.models.torch.AMD_ARCHITECTURES`' order is taken);
7. ``/sys/bus/pci/devices/*/``: a display controller (PCI class ``0x03xxxx``) of Intel's
   (vendor ``0x8086``) is an Intel GPU.

Nothing found is no accelerator: the CPU index. A file or variable that is there but does
not hold what it should is an error naming it (a guess would pick the wrong builds). Intel
GPUs on Windows, which uv finds in the Windows device tree, are not looked for: ``auto`` gives
the CPU index there; name ``xpu`` to have the XPU one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from pyffin import log
from pyffin.errors import PyffinError, UsageError
from pyffin.models.torch import AMD_ARCHITECTURES, Accelerator

#: Runs a command, giving its exit status and output (``None``: it could not be started).
Runner = Callable[[Sequence[str]], "tuple[int, str] | None"]

_DISPLAY_CLASS_MASK = 0x00FF0000
_DISPLAY_CLASS = 0x00030000
_INTEL = 0x8086


class AcceleratorError(PyffinError):
    """What should tell the GPU's driver or architecture does not."""


def detect(environ: Mapping[str, str] | None = None, *, root: str = "/",
           run: Runner | None = None) -> Accelerator | None:
    """The accelerator this machine has (see the module), or ``None``. ``root`` and ``run``
    stand for the file system's root and for running a command (tests give their own)."""
    environ = os.environ if environ is None else environ
    run = run or _run
    text = environ.get("PYFFIN_CUDA_DRIVER_VERSION", "").strip()
    if text:
        driver = _driver_version(text, "PYFFIN_CUDA_DRIVER_VERSION")
        log.debug(f"Detected CUDA driver version from `PYFFIN_CUDA_DRIVER_VERSION`: {driver}")
        return Accelerator("cuda", driver)
    text = environ.get("PYFFIN_AMD_GPU_ARCHITECTURE", "").strip()
    if text:
        if text not in AMD_ARCHITECTURES:
            raise UsageError(f"invalid PYFFIN_AMD_GPU_ARCHITECTURE {text!r}: expected one of "
                             f"{', '.join(AMD_ARCHITECTURES)}")
        log.debug(f"Detected AMD GPU architecture from `PYFFIN_AMD_GPU_ARCHITECTURE`: {text}")
        return Accelerator("amd", text)
    path = os.path.join(root, "sys/module/nvidia/version")
    content = _read(path)
    if content is not None:
        driver = _driver_version(content.strip(), path)
        log.debug(f"Detected CUDA driver version from `{path}`: {driver}")
        return Accelerator("cuda", driver)
    path = os.path.join(root, "proc/driver/nvidia/version")
    content = _read(path)
    if content is not None:
        parts = content.split("  ")
        if len(parts) > 1:
            driver = _driver_version(parts[1].strip(), path)
            log.debug(f"Detected CUDA driver version from `{path}`: {driver}")
            return Accelerator("cuda", driver)
        log.debug(f"Failed to parse CUDA driver version from `{path}`")
    answer = run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
    if answer is not None:
        status, output = answer
        lines = output.splitlines()
        if status == 0 and lines:
            driver = _driver_version(lines[0].strip(), "the output of `nvidia-smi`")
            log.debug(f"Detected CUDA driver version from `nvidia-smi`: {driver}")
            return Accelerator("cuda", driver)
        log.debug(f"Failed to query CUDA driver version with `nvidia-smi` (exit status "
                  f"{status})")
    answer = run(["rocm_agent_enumerator"])
    if answer is not None:
        status, output = answer
        found = {line.strip() for line in output.splitlines()} & set(AMD_ARCHITECTURES)
        if status == 0 and found:
            architecture = min(found, key=AMD_ARCHITECTURES.index)
            log.debug(f"Detected AMD GPU architecture from `rocm_agent_enumerator`: "
                      f"{architecture}")
            return Accelerator("amd", architecture)
        if status != 0:
            log.debug(f"Failed to query AMD GPU architecture with `rocm_agent_enumerator` "
                      f"(exit status {status})")
    if _intel_gpu(os.path.join(root, "sys/bus/pci/devices")):
        return Accelerator("xpu")
    log.debug("Failed to detect GPU driver version")
    return None


def _driver_version(text: str, where: str) -> str:
    """``text`` as the version it is (``550.144.03`` -> ``550.144.3``), or an error naming
    ``where`` it was read."""
    from pyffin.models.versions import InvalidVersion, parse_version

    try:
        return str(parse_version(text))
    except InvalidVersion:
        error = UsageError if where.startswith("PYFFIN_") else AcceleratorError
        raise error(f"invalid CUDA driver version {text!r} in {where} (expected a version, as "
                    "550.144.03)") from None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        raise AcceleratorError(f"cannot read {path}: {e.strerror or e}") from None


def _intel_gpu(devices: str) -> bool:
    try:
        entries = sorted(os.listdir(devices))
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as e:
        raise AcceleratorError(f"cannot read {devices}: {e.strerror or e}") from None
    for entry in entries:
        try:
            pci_class = _hex(_read(os.path.join(devices, entry, "class")))
            vendor = _hex(_read(os.path.join(devices, entry, "vendor")))
        except AcceleratorError as e:  # one device's files: uv passes over it too
            log.debug(f"Failed to read the PCI device {entry}: {e}")
            continue
        if pci_class is None or vendor is None:
            continue
        if pci_class & _DISPLAY_CLASS_MASK == _DISPLAY_CLASS and vendor == _INTEL:
            log.debug(f"Detected Intel GPU from PCI: vendor=0x{vendor:04x}")
            return True
    return False


def _hex(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip().removeprefix("0x"), 16)
    except ValueError:
        return None


def _run(command: Sequence[str]) -> tuple[int, str] | None:
    import subprocess

    try:
        done = subprocess.run(list(command), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, errors="replace", timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode, done.stdout
