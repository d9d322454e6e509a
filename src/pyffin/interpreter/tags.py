"""Wheel compatibility tags (PEP 425, 600, 656) computed from explicit facts, never from the
running process: the same code serves an interpreter pyffin queried and a target given with
``--python-version`` / ``--python-platform``.

Tag lists are ordered best first, exactly as :func:`packaging.tags.sys_tags` orders them for the
same interpreter. ``packaging.tags`` is imported only inside the functions that combine tags (it
costs ~40 ms): tags are computed once per interpreter and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from pyffin.errors import UsageError

#: Short interpreter names of PEP 425 (``cp311``, ``pp310``).
_SHORT_NAMES = {"cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}
#: Architectures whose manylinux tags need no check of the interpreter's ELF header.
_MANYLINUX_ARCHS = frozenset({
    "x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64",
})
#: The manylinux tags of PEP 513/571/599, aliases of ``manylinux_2_{5,12,17}``.
_LEGACY_MANYLINUX = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}

# ELF header values (``e_ident``, ``e_machine``, ``e_flags``) that tell armhf and i686 apart.
_ELFCLASS32 = 1
_ELFDATA2LSB = 1
_EM_386 = 3
_EM_ARM = 40
_EF_ARM_ABIMASK = 0xFF000000
_EF_ARM_ABI_VER5 = 0x05000000
_EF_ARM_ABI_FLOAT_HARD = 0x00000400


class ElfHeader(NamedTuple):
    """The parts of an interpreter's ELF header that decide manylinux compatibility."""

    elf_class: int
    data: int
    machine: int
    flags: int


# ------------------------------------------------------------------------------- combining
def compatible_tags(python_version: Sequence[int], implementation: str, abis: Sequence[str],
                    platforms: Sequence[str]) -> list[str]:
    """All tags an interpreter accepts, best first.

    ``implementation`` is ``sys.implementation.name`` (``cpython``, ``pypy``, ...), ``abis`` its
    ABI tags (see :func:`cpython_abis`, :func:`generic_abis`), ``platforms`` its platform tags,
    best first. Raises ``ValueError`` for an empty ``platforms``: packaging would silently
    substitute the running machine's.
    """
    from packaging import tags as ptags

    if not platforms:
        raise ValueError("an interpreter needs at least one platform tag")
    version = (python_version[0], python_version[1])
    nodot = f"{version[0]}{version[1]}"
    interpreter: str | None
    if implementation == "cpython":
        combined = list(ptags.cpython_tags(version, abis, platforms))
        interpreter = f"cp{nodot}"
    else:
        short = _SHORT_NAMES.get(implementation, implementation)
        combined = list(ptags.generic_tags(f"{short}{nodot}", abis, platforms))
        # PyPy also accepts the version-less "pp3-none-any"; other implementations nothing.
        interpreter = "pp3" if implementation == "pypy" else None
    combined.extend(ptags.compatible_tags(version, interpreter, platforms))
    return [str(tag) for tag in combined]


def cpython_abis(python_version: Sequence[int], *, debug: bool = False,
                 free_threaded: bool = False, pymalloc: bool = True) -> list[str]:
    """CPython's ABI tags: ``cp311``; a debug build (``d``) also loads release extensions;
    free-threaded builds (3.13+) are ``t``; before 3.8 a build with pymalloc (nearly every
    one) is ``m`` (``cp37m``), its only ABI, as ``packaging`` and uv tag it."""
    nodot = f"{python_version[0]}{python_version[1]}"
    if tuple(python_version[:2]) < (3, 8):
        return [f"cp{nodot}{'d' if debug else ''}{'m' if pymalloc else ''}"]
    threading = "t" if free_threaded and tuple(python_version[:2]) >= (3, 13) else ""
    if debug:
        return [f"cp{nodot}{threading}d", f"cp{nodot}{threading}"]
    return [f"cp{nodot}{threading}"]


def generic_abis(ext_suffix: str | None) -> list[str]:
    """The ABI tag of a non-CPython interpreter, from its extension-module suffix:
    ``.pypy310-pp73-x86_64-linux-gnu.so`` is ``pypy310_pp73``."""
    if not ext_suffix or not ext_suffix.startswith("."):
        return []
    parts = ext_suffix.split(".")
    if len(parts) < 3 or not parts[1]:
        return []
    soabi = parts[1]
    pieces = soabi.split("-")
    if soabi.startswith("cpython"):
        abi = "cp" + pieces[1] if len(pieces) > 1 and pieces[1] else ""
    elif soabi.startswith("cp"):
        abi = pieces[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(pieces[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(pieces[:3])
    else:
        abi = soabi
    return [normalize(abi)] if abi else []


# ------------------------------------------------------------------------------ platforms
def normalize(text: str) -> str:
    """A platform string as a tag: ``linux-x86_64`` is ``linux_x86_64``."""
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def linux_archs(sysconfig_platform: str, pointer_size: int) -> list[str]:
    """The architectures a Linux interpreter runs code of, best first (after ``linux_``).

    A 32-bit interpreter on a 64-bit kernel reports the kernel's machine; armv8l also runs
    armv7l code.
    """
    arch = normalize(sysconfig_platform).split("_", 1)[-1]
    if pointer_size == 32:
        arch = {"x86_64": "i686", "aarch64": "armv8l"}.get(arch, arch)
    return ["armv8l", "armv7l"] if arch == "armv8l" else [arch]


def manylinux_compatible_abi(archs: Sequence[str], elf: ElfHeader | None) -> bool:
    """Whether manylinux wheels can run at all: armv7l needs the hard-float EABI5 ABI and i686
    a 32-bit x86 binary; other architectures need to be ones manylinux defines."""
    if "armv7l" in archs:
        return (elf is not None and elf.elf_class == _ELFCLASS32 and elf.data == _ELFDATA2LSB
                and elf.machine == _EM_ARM
                and elf.flags & _EF_ARM_ABIMASK == _EF_ARM_ABI_VER5
                and elf.flags & _EF_ARM_ABI_FLOAT_HARD == _EF_ARM_ABI_FLOAT_HARD)
    if "i686" in archs:
        return (elf is not None and elf.elf_class == _ELFCLASS32 and elf.data == _ELFDATA2LSB
                and elf.machine == _EM_386)
    return any(arch in _MANYLINUX_ARCHS for arch in archs)


def manylinux_platforms(archs: Sequence[str], glibc: tuple[int, int],
                        verdicts: Mapping[str, bool] | None = None) -> list[str]:
    """``manylinux_2_X_<arch>`` for X from the glibc minor down, each followed by its legacy
    alias (``manylinux2014`` at 2_17, ``manylinux2010`` at 2_12, ``manylinux1`` at 2_5).

    The oldest glibc is 2.5 where manylinux1 existed (x86_64, i686), else 2.17. ``verdicts``
    are the answers of the interpreter's ``_manylinux`` module (``"2_17_x86_64": False``).
    """
    floor = 5 if set(archs) & {"x86_64", "i686"} else 17
    major, minor = glibc
    # glibc 3 does not exist; should it, every 2.x would still be compatible below it.
    ranges = [(major, minor)] + [(m, 50) for m in range(major - 1, 1, -1)]
    result: list[str] = []
    for arch in archs:
        for glibc_major, top in ranges:
            bottom = floor if glibc_major == 2 else 0
            for glibc_minor in range(top, bottom - 1, -1):
                key = f"{glibc_major}_{glibc_minor}_{arch}"
                if verdicts is not None and not verdicts.get(key, True):
                    continue
                result.append(f"manylinux_{key}")
                legacy = _LEGACY_MANYLINUX.get(glibc_minor) if glibc_major == 2 else None
                if legacy:
                    result.append(f"{legacy}_{arch}")
    return result


def musllinux_platforms(archs: Sequence[str], musl: tuple[int, int]) -> list[str]:
    """``musllinux_1_X_<arch>`` for X from the musl minor down to 0 (PEP 656)."""
    major, minor = musl
    return [f"musllinux_{major}_{m}_{arch}" for arch in archs for m in range(minor, -1, -1)]


def linux_platforms(archs: Sequence[str], *, glibc: tuple[int, int] | None = None,
                    musl: tuple[int, int] | None = None, manylinux_abi: bool = True,
                    verdicts: Mapping[str, bool] | None = None) -> list[str]:
    """A Linux interpreter's platform tags: ``linux_<arch>`` (a wheel built on this machine)
    first, then manylinux for glibc, then musllinux for musl."""
    result = [f"linux_{arch}" for arch in archs]
    if glibc is not None and manylinux_abi:
        result.extend(manylinux_platforms(archs, glibc, verdicts))
    if musl is not None:
        result.extend(musllinux_platforms(archs, musl))
    return result


def macos_platforms(version: tuple[int, int], arch: str) -> list[str]:
    """``macosx_<version>_<format>`` tags, newest first, with universal/universal2 formats."""
    from packaging.tags import mac_platforms

    return list(mac_platforms(version, arch))


def mac_arch(machine: str, pointer_size: int) -> str:
    """The macOS architecture name in tags for ``platform.mac_ver()``'s machine."""
    if pointer_size == 64:
        return machine
    return "ppc" if machine.startswith("ppc") else "i386"


# --------------------------------------------------------------------------------- targets
class _Target(NamedTuple):
    platforms: list[str]
    os_name: str
    sys_platform: str
    platform_system: str
    platform_machine: str
    platform_release: str = ""
    platform_version: str = ""


#: uv's Pyodide targets: the ABI year and the Emscripten compiler it builds with (its
#: ``platform_release``; https://pyodide.org/en/stable/development/abi.html).
_PYODIDE = {"wasm32-pyodide2024": (2024, "3.1.58"), "wasm32-pyodide2025": (2025, "4.0.9")}


_ALIASES = {
    "linux": "x86_64-unknown-linux-gnu",
    "macos": "aarch64-apple-darwin",
    "windows": "x86_64-pc-windows-msvc",
}
_ARCHS = {
    "x86_64": "x86_64", "amd64": "x86_64",
    "aarch64": "aarch64", "arm64": "aarch64",
    "i686": "i686", "x86": "i686",
    "armv7": "armv7l", "armv7l": "armv7l",
    "ppc64le": "ppc64le", "powerpc64le": "ppc64le",
    "ppc64": "ppc64", "powerpc64": "ppc64",
    "s390x": "s390x", "riscv64": "riscv64",
}
_WINDOWS_PLATFORMS = {"x86_64": "win_amd64", "i686": "win32", "aarch64": "win_arm64"}
_WINDOWS_MACHINES = {"x86_64": "AMD64", "i686": "x86", "aarch64": "ARM64"}
#: What ``<arch>-unknown-linux-gnu`` and ``-musl`` assume, as uv: glibc 2.28, musl 1.2.
_DEFAULT_GLIBC = (2, 28)
_DEFAULT_MUSL = (1, 2)
#: The oldest macOS release still supported by Apple, assumed by ``<arch>-apple-darwin``.
_DEFAULT_MACOS = (13, 0)
_SPEC_HELP = (
    "expected linux, macos, windows, or <arch>-<system> such as x86_64-manylinux_2_28, "
    "aarch64-unknown-linux-musl, x86_64-musllinux_1_2, aarch64-apple-darwin, "
    "x86_64-macosx_12_0, x86_64-pc-windows-msvc, wasm32-pyodide2024, aarch64-linux-android, "
    "arm64-apple-ios, arm64-apple-ios-simulator"
)
#: Android's ABI names (PEP 738) of the architectures uv targets there.
_ANDROID_ABIS = {"aarch64": "arm64_v8a", "x86_64": "x86_64"}
#: The Android API level ``<arch>-linux-android`` assumes, as uv (``ANDROID_API_LEVEL``
#: chooses another); 16, the oldest CPython runs on, is the lowest its tags go.
_DEFAULT_ANDROID_API = 24
_OLDEST_ANDROID_API = 16
#: The iOS release ``*-apple-ios*`` assumes, as uv (``IPHONEOS_DEPLOYMENT_TARGET`` chooses
#: another); 12.0, the oldest CPython runs on, is the lowest its tags go (PEP 730).
_DEFAULT_IOS = (13, 0)
_OLDEST_IOS = 12


def _parse_target(spec: str) -> _Target:
    text = _ALIASES.get(spec.strip().lower(), spec.strip().lower())
    pyodide = _PYODIDE.get(text)
    if pyodide is not None:
        year, emscripten = pyodide
        return _Target([f"pyemscripten_{year}_0_wasm32", f"pyodide_{year}_0_wasm32"], "posix",
                       "emscripten", "Emscripten", "wasm32", emscripten, "#1")
    arch_text, _, system = text.partition("-")
    arch = _ARCHS.get(arch_text)
    if arch is None or not system:
        raise UsageError(f"unknown target platform {spec!r}: {_SPEC_HELP}")
    linux = ("posix", "linux", "Linux", arch)
    if system in ("unknown-linux-gnu", "unknown-linux"):  # (uv's spelling of the second)
        return _Target(linux_platforms([arch], glibc=_DEFAULT_GLIBC), *linux)
    if system == "unknown-linux-musl":
        return _Target(linux_platforms([arch], musl=_DEFAULT_MUSL), *linux)
    if system.startswith("manylinux"):
        glibc = _manylinux_version(system, spec)
        return _Target(linux_platforms([arch], glibc=glibc), *linux)
    if system.startswith("musllinux_"):
        musl = _version_pair(system.removeprefix("musllinux_"), spec)
        return _Target(linux_platforms([arch], musl=musl), *linux)
    if system == "apple-darwin" or system.startswith("macosx_"):
        if arch not in ("x86_64", "aarch64"):
            raise UsageError(f"unknown target platform {spec!r}: macOS runs on x86_64 or "
                             "aarch64 (arm64)")
        version = (_DEFAULT_MACOS if system == "apple-darwin"
                   else _version_pair(system.removeprefix("macosx_"), spec, minor_optional=True))
        machine = "arm64" if arch == "aarch64" else arch
        return _Target(macos_platforms(version, machine), "posix", "darwin", "Darwin", machine)
    if system == "linux-android":
        abi = _ANDROID_ABIS.get(arch)
        if abi is None:
            raise UsageError(f"unknown target platform {spec!r}: Android targets are "
                             "aarch64-linux-android and x86_64-linux-android")
        level = _android_api_level()
        return _Target([f"android_{api}_{abi}"
                        for api in range(level, _OLDEST_ANDROID_API - 1, -1)],
                       "posix", "android", "Android", arch)
    if system in ("apple-ios", "apple-ios-simulator"):
        simulator = system.endswith("simulator")
        if arch not in ("aarch64", "x86_64") or (arch == "x86_64" and not simulator):
            raise UsageError(f"unknown target platform {spec!r}: iOS targets are "
                             "arm64-apple-ios, arm64-apple-ios-simulator and "
                             "x86_64-apple-ios-simulator")
        machine = "arm64" if arch == "aarch64" else arch
        return _Target(ios_platforms(_ios_release(),
                                     f"{machine}_iphone{'simulator' if simulator else 'os'}"),
                       "posix", "ios", "iOS", machine)
    if system == "pc-windows-msvc":
        if arch not in _WINDOWS_PLATFORMS:
            raise UsageError(f"unknown target platform {spec!r}: Windows runs on x86_64, i686 "
                             "or aarch64")
        return _Target([_WINDOWS_PLATFORMS[arch]], "nt", "win32", "Windows",
                       _WINDOWS_MACHINES[arch])
    raise UsageError(f"unknown target platform {spec!r}: {_SPEC_HELP}")


def ios_platforms(release: tuple[int, int], multiarch: str) -> list[str]:
    """The platform tags of iOS ``release`` (major, minor) for ``multiarch``
    (``arm64_iphoneos``), best first, as packaging and uv list them: that release, the earlier
    minors of its major, then every X.0 to X.9 of each earlier major down to 12 (none before
    12: no CPython runs there)."""
    major, minor = release
    if major < _OLDEST_IOS:
        return []
    found = [f"ios_{major}_{m}_{multiarch}" for m in range(minor, -1, -1)]
    found += [f"ios_{earlier}_{m}_{multiarch}" for earlier in range(major - 1, _OLDEST_IOS - 1, -1)
              for m in range(9, -1, -1)]
    return found


def _android_api_level() -> int:
    """``ANDROID_API_LEVEL``, else uv's default."""
    import os

    text = os.environ.get("ANDROID_API_LEVEL", "").strip()
    if not text:
        return _DEFAULT_ANDROID_API
    if not text.isdigit():
        raise UsageError(f"invalid ANDROID_API_LEVEL {text!r}: expected a number, as 24")
    return int(text)


def _ios_release() -> tuple[int, int]:
    """``IPHONEOS_DEPLOYMENT_TARGET`` (``13.0``, ``14``), else uv's default."""
    import os

    text = os.environ.get("IPHONEOS_DEPLOYMENT_TARGET", "").strip()
    if not text:
        return _DEFAULT_IOS
    parts = text.split(".")
    if not 1 <= len(parts) <= 2 or not all(part.isdigit() for part in parts):
        raise UsageError(f"invalid IPHONEOS_DEPLOYMENT_TARGET {text!r}: expected a release, "
                         "as 13.0")
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else 0


def _manylinux_version(system: str, spec: str) -> tuple[int, int]:
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    if system in legacy:
        return legacy[system]
    if not system.startswith("manylinux_"):
        raise UsageError(f"unknown target platform {spec!r}: {_SPEC_HELP}")
    return _version_pair(system.removeprefix("manylinux_"), spec)


def _version_pair(text: str, spec: str, *, minor_optional: bool = False) -> tuple[int, int]:
    parts = text.split("_")
    if not all(part.isdigit() for part in parts) or not (
        len(parts) == 2 or (minor_optional and len(parts) == 1)
    ):
        raise UsageError(f"invalid version {text!r} in target platform {spec!r}: expected "
                         "<major>_<minor>, as in manylinux_2_28")
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else 0


def _check_python_version(python_version: Sequence[int]) -> tuple[int, ...]:
    version = tuple(python_version)
    if len(version) not in (2, 3) or version[0] != 3 or any(part < 0 for part in version):
        text = ".".join(map(str, version))
        raise UsageError(f"invalid target Python version {text!r}: expected 3.X or 3.X.Y")
    return version


def target_tags(python_version: Iterable[int], platform_spec: str) -> list[str]:
    """The tags of CPython ``python_version`` ((3, 12) or (3, 12, 1)) on ``platform_spec``
    (``linux``, ``macos``, ``windows``, ``x86_64-manylinux_2_28``, ``aarch64-apple-darwin``...).

    Raises :class:`~pyffin.errors.UsageError` for an unknown platform or version.
    """
    version = _check_python_version(tuple(python_version))
    target = _parse_target(platform_spec)
    return compatible_tags(version, "cpython", cpython_abis(version), target.platforms)


def target_markers(python_version: Iterable[int], platform_spec: str) -> dict[str, str]:
    """The PEP 508 marker environment of CPython ``python_version`` on ``platform_spec``.

    Facts a target spec does not tell (``platform_release``, ``platform_version``) are empty
    (but Pyodide's, as uv gives them); a version without a micro part is taken as ``X.Y.0``.
    """
    version = _check_python_version(tuple(python_version))
    target = _parse_target(platform_spec)
    full = ".".join(map(str, (*version, 0) if len(version) == 2 else version))
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": target.os_name,
        "platform_machine": target.platform_machine,
        "platform_python_implementation": "CPython",
        "platform_release": target.platform_release,
        "platform_system": target.platform_system,
        "platform_version": target.platform_version,
        "python_full_version": full,
        "python_version": f"{version[0]}.{version[1]}",
        "sys_platform": target.sys_platform,
    }


def platform_os(platform_spec: str | None) -> str:
    """The operating system of ``platform_spec`` (``--python-platform``; ``None``: this
    machine's) as PyTorch's backends tell them apart: ``manylinux`` (Linux with glibc),
    ``musllinux``, ``windows``, ``macos`` or ``other``
    (:data:`pyffin.models.torch.OPERATING_SYSTEMS`)."""
    import sys

    if platform_spec is not None:
        platforms = _parse_target(platform_spec).platforms
        if any(tag.startswith("musllinux_") for tag in platforms):
            return "musllinux"
        first = platforms[0]
        if first.startswith("linux_"):
            return "manylinux"
        if first.startswith("win"):
            return "windows"
        return "macos" if first.startswith("macosx_") else "other"
    if sys.platform.startswith("linux"):
        import os

        try:
            glibc = os.confstr("CS_GNU_LIBC_VERSION")
        except (AttributeError, ValueError, OSError):
            glibc = None
        return "manylinux" if glibc else "musllinux"
    if sys.platform == "win32":
        return "windows"
    return "macos" if sys.platform == "darwin" else "other"
