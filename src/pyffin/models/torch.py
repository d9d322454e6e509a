"""PyTorch's own indexes (``--torch-backend``, as uv has it): which of them a mode stands for on
a target, and for which projects.

PyTorch publishes its builds for each accelerator on an index of its own
(``https://download.pytorch.org/whl/cu128``, ``.../cpu``, ``.../rocm6.4``, ``.../xpu``). With a
backend given, the projects of :data:`PROJECTS` are looked up on that index alone, whatever the
other index options say; every other project as usual. ``auto`` picks from the accelerator the
machine has (:mod:`pyffin.interpreter.accelerator`): for an NVIDIA driver, every CUDA index that
driver can run (newest CUDA first, then CPU), each index's versions before the next one's; for
an AMD GPU, every ROCm index built for its architecture (Linux only); for an Intel GPU, the XPU
index (Linux with glibc, Windows); otherwise the CPU index. With CUDA indexes mixed so, the
versions chosen of the projects that link against CUDA (:data:`SYSTEM_DEPENDENT`) must all
come from indexes of one CUDA release (see :meth:`TorchIndexes.system_dependency`).

The tables are uv 0.13's (checked against its choices for each driver threshold and
architecture); their sources are NVIDIA's CUDA toolkit release notes (the minimum driver of
each CUDA release) and the architectures each ROCm build of PyTorch lists.
"""

from __future__ import annotations

from pyffin.records import record

#: uv's ``--torch-backend`` values, in its order.
MODES: tuple[str, ...] = (
    "auto", "cpu",
    "cu132", "cu130", "cu129", "cu128", "cu126", "cu125", "cu124", "cu123", "cu122", "cu121",
    "cu120", "cu118", "cu117", "cu116", "cu115", "cu114", "cu113", "cu112", "cu111", "cu110",
    "cu102", "cu101", "cu100", "cu92", "cu91", "cu90", "cu80",
    "rocm7.2", "rocm7.1", "rocm7.0", "rocm6.4", "rocm6.3", "rocm6.2.4", "rocm6.2", "rocm6.1",
    "rocm6.0", "rocm5.7", "rocm5.6", "rocm5.5", "rocm5.4.2", "rocm5.4", "rocm5.3", "rocm5.2",
    "rocm5.1.1", "rocm4.2", "rocm4.1", "rocm4.0.1",
    "xpu",
)

#: Where PyTorch's indexes are: ``<this>/<backend>`` (``PYFFIN_TORCH_INDEX_URL`` names a mirror).
DEFAULT_INDEX_URL = "https://download.pytorch.org/whl"

#: The projects PyTorch's indexes publish, looked up there alone when a backend is given.
PROJECTS = frozenset({
    "fbgemm-gpu", "fbgemm-gpu-genai", "pytorch-triton", "pytorch-triton-rocm",
    "pytorch-triton-xpu", "torch", "torch-tensorrt", "torchao", "torcharrow", "torchaudio",
    "torchcodec", "torchcsprng", "torchdistx", "torchrec", "torchserve", "torchtext",
    "torchtune", "torchvision", "triton", "triton-rocm", "triton-xpu", "xformers",
})

#: Those whose builds link against the backend's CUDA (``triton`` on the ``cu128`` index does
#: not: any CUDA release's will do).
SYSTEM_DEPENDENT = frozenset({
    "fbgemm-gpu", "fbgemm-gpu-genai", "torch", "torch-tensorrt", "torchao", "torcharrow",
    "torchaudio", "torchcodec", "torchcsprng", "torchdistx", "torchrec", "torchtext",
    "torchtune", "torchvision",
})

#: Each CUDA backend, newest first, and the oldest NVIDIA driver that runs it: on Linux, then
#: on Windows.
CUDA_DRIVERS: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("cu132", (580,), (580,)),
    ("cu130", (580,), (580,)),
    *((backend, (525, 60, 13), (528, 33)) for backend in (
        "cu129", "cu128", "cu126", "cu125", "cu124", "cu123", "cu122", "cu121", "cu120")),
    *((backend, (450, 80, 2), (452, 39)) for backend in (
        "cu118", "cu117", "cu116", "cu115", "cu114", "cu113", "cu112", "cu111")),
    ("cu110", (450, 36, 6), (451, 22)),
    ("cu102", (440, 33), (441, 22)),
    ("cu101", (418, 39), (418, 96)),
    ("cu100", (410, 48), (411, 31)),
    ("cu92", (396, 26), (398, 26)),
    ("cu91", (390, 46), (391, 29)),
    ("cu90", (384, 81), (385, 54)),
    ("cu80", (375, 26), (376, 51)),
)

#: The AMD GPU architectures known, in uv's order (the first of several GPUs is taken).
AMD_ARCHITECTURES: tuple[str, ...] = (
    "gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx950", "gfx1030", "gfx1100",
    "gfx1101", "gfx1102", "gfx1150", "gfx1151", "gfx1200", "gfx1201",
)
_ROCM_COMMON = frozenset({"gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030",
                          "gfx1100", "gfx1101", "gfx1102", "gfx1200", "gfx1201"})
#: Each ROCm backend, newest first, and the architectures PyTorch's builds for it support.
ROCM_ARCHITECTURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("rocm7.2", _ROCM_COMMON | {"gfx950", "gfx1150", "gfx1151"}),
    ("rocm7.1", _ROCM_COMMON | {"gfx950"}),
    ("rocm7.0", _ROCM_COMMON | {"gfx950"}),
    ("rocm6.4", _ROCM_COMMON),
    ("rocm6.3", _ROCM_COMMON),
    ("rocm6.2.4", _ROCM_COMMON),
    ("rocm6.2", frozenset({"gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030", "gfx1100",
                           "gfx942"})),
    ("rocm6.1", frozenset({"gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030",
                           "gfx1100", "gfx1101"})),
    ("rocm6.0", frozenset({"gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030", "gfx1100",
                           "gfx942"})),
)

#: The target's operating system, as far as the choice of backend goes.
OPERATING_SYSTEMS = ("manylinux", "musllinux", "windows", "macos", "other")


@record
class Accelerator:
    """What ``auto`` found: an NVIDIA driver (``cuda``, its version as ``550.144.3``), an AMD
    GPU (``amd``, its architecture as ``gfx1100``) or an Intel GPU (``xpu``)."""

    kind: str
    value: str = ""

    def __str__(self) -> str:
        return {"cuda": f"CUDA driver {self.value}", "amd": f"AMD GPU {self.value}",
                "xpu": "Intel GPU (XPU)"}[self.kind]


def cuda_version(backend: str) -> str | None:
    """The CUDA release of a backend (``cu128`` -> ``12.8``); ``None`` for another kind."""
    digits = backend[2:]
    if not backend.startswith("cu") or not digits.isdigit():
        return None
    return f"{digits[:-1]}.{digits[-1]}"


def rocm_version(backend: str) -> str | None:
    """The ROCm release of a backend (``rocm6.2.4`` -> ``6.2.4``); ``None`` for another kind."""
    return backend[4:] if backend.startswith("rocm") else None


@record
class TorchIndexes:
    """The PyTorch indexes ``--torch-backend`` stands for on one target: the projects of
    :data:`PROJECTS` are looked up on :attr:`urls` alone (in that order of preference: every
    version of one before any of the next)."""

    #: The mode given (``auto``, ``cpu``, ``cu128``...).
    mode: str
    #: The backends, best first (one, but for ``auto`` with an NVIDIA or AMD GPU).
    backends: tuple[str, ...]
    #: Their index URLs, in the same order.
    urls: tuple[str, ...]
    #: What ``auto`` found (``None``: nothing, or a backend was named).
    accelerator: Accelerator | None = None

    def applies_to(self, name: str) -> bool:
        """Whether project ``name`` (normalized) comes from these indexes."""
        return name in PROJECTS

    def system_dependency(self, name: str, index_url: str) -> tuple[str, str] | None:
        """What a version of ``name`` from ``index_url`` needs of the machine, when CUDA
        indexes are mixed (``auto`` with an NVIDIA driver): ``("cuda", "12.8")`` for the
        ``cu128`` index's build of ``torch``, which must then be what every other project of
        :data:`SYSTEM_DEPENDENT` is built for. ``None`` otherwise."""
        if (self.accelerator is None or self.accelerator.kind != "cuda"
                or name not in SYSTEM_DEPENDENT):
            return None
        stripped = index_url.rstrip("/")
        for backend, url in zip(self.backends, self.urls, strict=True):
            if url.rstrip("/") == stripped:
                version = cuda_version(backend)
                return None if version is None else ("cuda", version)
        return None


def torch_indexes(mode: str, os: str, accelerator: Accelerator | None = None, *,
                  base_url: str = DEFAULT_INDEX_URL) -> TorchIndexes:
    """The indexes ``mode`` stands for on a target of ``os`` (one of :data:`OPERATING_SYSTEMS`),
    ``accelerator`` being what the machine has (read for ``auto`` only)."""
    if mode not in MODES:
        raise ValueError(f"unknown PyTorch backend {mode!r} (expected one of: "
                         f"{', '.join(MODES)})")
    found = accelerator if mode == "auto" else None
    backends: tuple[str, ...]
    if mode != "auto":
        backends = (mode,)
    elif found is None:
        backends = ("cpu",)
    elif found.kind == "cuda":
        backends = _cuda_backends(found.value, os)
    elif found.kind == "amd":
        backends = (*(backend for backend, architectures in ROCM_ARCHITECTURES
                      if found.value in architectures), "cpu") if _linux(os) else ("cpu",)
    else:
        backends = ("xpu",) if os in ("manylinux", "windows") else ("cpu",)
    base = base_url.rstrip("/")
    return TorchIndexes(mode, backends, tuple(f"{base}/{backend}" for backend in backends),
                        found)


def _linux(os: str) -> bool:
    return os in ("manylinux", "musllinux")


def _cuda_backends(driver: str, os: str) -> tuple[str, ...]:
    if not (_linux(os) or os == "windows"):
        return ("cpu",)
    from pyffin.models.versions import parse_version

    version = parse_version(driver)
    column = 1 if _linux(os) else 2
    return (*(row[0] for row in CUDA_DRIVERS if version >= parse_version(
        ".".join(map(str, row[column])))), "cpu")
