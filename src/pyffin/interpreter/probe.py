"""The script pyffin runs inside a target interpreter (``python -I -c <this file's text>``).

It prints one JSON object with the raw facts pyffin needs: paths, version, the PEP 508 marker
environment, install schemes and what wheel tags depend on (config variables, libc versions, ELF
header, macOS version). pyffin computes the tags itself (:mod:`pyffin.interpreter.tags`).

It runs on Python 3.7 to 3.14 and PyPy, with the standard library only, so it avoids syntax newer
than 3.7 (a test parses it as 3.7) and anything outside the stdlib. pyffin imports it only to ask
the interpreter it runs on (:func:`facts`, see :func:`pyffin.interpreter.query.run_probe`):
nothing at module level changes that process.
"""

from __future__ import annotations

import sys

# ``-c`` puts the current directory first on sys.path before 3.11: a project's own ``json.py``
# must not shadow the standard library modules imported below.
if __name__ == "__main__" and sys.path and sys.path[0] == "":
    del sys.path[0]

import os
import platform
import struct
import sysconfig

#: Printed before the JSON line, so output of ``.pth`` files at start-up cannot be mistaken for it.
SENTINEL = "--- pyffin interpreter facts ---"

_PT_INTERP = 3


def _implementation_version() -> str:
    info = sys.implementation.version
    version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def _markers() -> dict[str, str]:
    # The PEP 508 environment markers, defined there in terms of these functions.
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": _implementation_version(),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def _glibc_version() -> str | None:
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"
    except (AttributeError, OSError, ValueError):
        text = None
    if text:
        parts = text.split()
        return parts[-1] if len(parts) == 2 else None
    try:
        import ctypes

        function = ctypes.CDLL(None).gnu_get_libc_version
    except (ImportError, OSError, AttributeError):
        return None
    function.restype = ctypes.c_char_p
    value = function()
    return value.decode("ascii") if isinstance(value, bytes) else None


def _elf_header(path: str) -> dict[str, object] | None:
    """Class, byte order, machine, flags and program interpreter of an ELF executable."""
    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2):
                return None
            elf_class, elf_data = ident[4], ident[5]
            order = "<" if elf_data == 1 else ">"
            if elf_class == 1:
                layout, entry_layout = order + "HHIIIIIHHH", order + "IIIIIIII"
            else:
                layout, entry_layout = order + "HHIQQQIHHH", order + "IIQQQQQQ"
            raw = f.read(struct.calcsize(layout))
            fields = struct.unpack(layout, raw)
            machine, phoff, flags, phentsize, phnum = (
                fields[1], fields[4], fields[6], fields[8], fields[9])
            interpreter = None
            for index in range(phnum):
                f.seek(phoff + index * phentsize)
                entry = struct.unpack(entry_layout, f.read(struct.calcsize(entry_layout)))
                if elf_class == 1:
                    p_type, p_offset, p_filesz = entry[0], entry[1], entry[4]
                else:
                    p_type, p_offset, p_filesz = entry[0], entry[2], entry[5]
                if p_type == _PT_INTERP:
                    f.seek(p_offset)
                    interpreter = f.read(p_filesz).rstrip(b"\0").decode("utf-8", "replace")
                    break
    except (OSError, struct.error):
        return None
    return {"class": elf_class, "data": elf_data, "machine": machine, "flags": flags,
            "interpreter": interpreter}


def _musl_version(loader: str | None) -> str | None:
    """The version of musl when this interpreter is linked against it (its loader prints it)."""
    if not loader or "musl" not in loader:
        return None
    import re
    import subprocess

    try:
        proc = subprocess.run([loader], capture_output=True, text=True)
    except OSError:
        return None
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("musl"):
        return None
    match = re.match(r"Version (\d+)\.(\d+)", lines[1])
    return f"{match[1]}.{match[2]}" if match else None


def _manylinux_verdicts(glibc: str | None) -> dict[str, bool] | None:
    """A distribution's ``_manylinux`` module may allow or deny manylinux tags (PEP 600);
    ask it about every glibc version up to ours, for each candidate architecture."""
    if glibc is None:
        return None
    try:
        import _manylinux  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        major, minor = (int(part) for part in glibc.split(".")[:2])
    except ValueError:
        return None
    arch = sysconfig.get_platform().split("-", 1)[-1].replace(".", "_").replace("-", "_")
    if struct.calcsize("P") == 4:
        arch = {"x86_64": "i686", "aarch64": "armv8l"}.get(arch, arch)
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    legacy = {5: "manylinux1_compatible", 12: "manylinux2010_compatible",
              17: "manylinux2014_compatible"}
    verdicts: dict[str, bool] = {}
    for candidate in archs:
        for glibc_minor in range(minor, -1, -1):
            key = f"{major}_{glibc_minor}_{candidate}"
            if hasattr(_manylinux, "manylinux_compatible"):
                verdict = _manylinux.manylinux_compatible(major, glibc_minor, candidate)
                if verdict is not None:
                    verdicts[key] = bool(verdict)
            elif major == 2 and glibc_minor in legacy and hasattr(_manylinux, legacy[glibc_minor]):
                verdicts[key] = bool(getattr(_manylinux, legacy[glibc_minor]))
    return verdicts


def _mac() -> dict[str, str] | None:
    """The macOS version and CPU architecture, as ``platform.mac_ver()`` tells them."""
    if sys.platform != "darwin":
        return None
    version, _, machine = platform.mac_ver()
    if version.startswith("10.16"):
        # Built against an old SDK, Python sees the compatibility version; ask for the real one.
        import subprocess

        env = dict(os.environ, SYSTEM_VERSION_COMPAT="0")
        try:
            version = subprocess.run(
                [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
                stdout=subprocess.PIPE, env=env, text=True, check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return {"version": version, "machine": machine}


def _preferred_scheme() -> str:
    # 3.10+ has the public API; Debian patches it to answer ``posix_local`` outside a venv.
    preferred = getattr(sysconfig, "get_preferred_scheme", None)
    if preferred is not None:
        return str(preferred("prefix"))
    default = getattr(sysconfig, "get_default_scheme", None) or getattr(
        sysconfig, "_get_default_scheme", None)
    if default is not None:
        return str(default())
    return "nt" if os.name == "nt" else "posix_prefix"


def _venv_layout() -> dict[str, str]:
    """Where a virtual environment made from this interpreter keeps its files, relative to the
    environment's root."""
    name = "venv" if "venv" in sysconfig.get_scheme_names() else (
        "nt" if os.name == "nt" else "posix_prefix")
    root = os.path.join(os.path.abspath(os.sep), "pyffin-venv-root")
    variables = {"base": root, "platbase": root, "installed_base": root,
                 "installed_platbase": root}
    paths = sysconfig.get_paths(name, vars=variables)
    return {key: os.path.relpath(paths[key], root) for key in ("purelib", "platlib", "scripts")}


def _base_executable(is_venv: bool) -> str:
    """The interpreter a venv made from this one must point to (never a venv's own python)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    if is_venv and (not base or os.path.dirname(base) == os.path.dirname(sys.executable)):
        # Before 3.11, ``_base_executable`` is the venv's own python on POSIX: use ``home``.
        home = None
        try:
            with open(os.path.join(sys.prefix, "pyvenv.cfg")) as f:
                for line in f:
                    key, sep, value = line.partition("=")
                    if sep and key.strip().lower() == "home":
                        home = value.strip()
        except OSError:
            pass
        if home:
            major, minor = sys.version_info[:2]
            stem = "pypy" if sys.implementation.name == "pypy" else "python"
            suffix = ".exe" if os.name == "nt" else ""
            for name in (f"{stem}{major}.{minor}", f"{stem}{major}", stem):
                candidate = os.path.join(home, name + suffix)
                if os.path.isfile(candidate):
                    base = candidate
                    break
    return os.path.realpath(base)


def _externally_managed(is_venv: bool) -> str | None:
    """The message of a PEP 668 ``EXTERNALLY-MANAGED`` marker, which never applies in a venv."""
    if is_venv:
        return None
    path = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
    if not os.path.isfile(path):
        return None
    default = f"The Python environment at {sys.prefix} is managed externally."
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
        return parser.get("externally-managed", "Error") or default
    except (configparser.Error, OSError, UnicodeDecodeError):
        return default


def facts() -> dict[str, object]:
    is_venv = sys.prefix != sys.base_prefix
    scheme = sysconfig.get_paths(_preferred_scheme())
    version = "{}.{}".format(*sys.version_info[:2])
    if is_venv:
        # Where pip puts a venv's headers: the scheme's include dir is the base interpreter's.
        headers = os.path.join(sys.prefix, "include", "site", "python" + version)
    else:
        headers = scheme["include"]
    glibc = _glibc_version()
    elf = _elf_header(sys.executable) if sys.platform.startswith("linux") else None
    loader = elf.get("interpreter") if elf else None
    import importlib.machinery

    config: dict[str, int | str | None] = {}
    for name in ("Py_DEBUG", "Py_GIL_DISABLED", "EXT_SUFFIX"):
        value = sysconfig.get_config_var(name)
        config[name] = value if isinstance(value, (int, str)) else None
    return {
        "executable": sys.executable,
        "base_executable": _base_executable(is_venv),
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "base_exec_prefix": sys.base_exec_prefix,
        "version": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "markers": _markers(),
        "is_venv": is_venv,
        "scheme": {
            "purelib": scheme["purelib"],
            "platlib": scheme["platlib"],
            "scripts": scheme["scripts"],
            "data": scheme["data"],
            "headers": headers,
        },
        "venv_layout": _venv_layout(),
        "externally_managed": _externally_managed(is_venv),
        "externally_managed_marker": None if is_venv else os.path.join(
            sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"),
        "pointer_size": struct.calcsize("P") * 8,
        "platform": sysconfig.get_platform(),
        "config": config,
        "has_gettotalrefcount": hasattr(sys, "gettotalrefcount"),
        "extension_suffixes": list(importlib.machinery.EXTENSION_SUFFIXES),
        "glibc": glibc,
        "musl": _musl_version(loader if isinstance(loader, str) else None),
        "elf": elf,
        "manylinux_verdicts": _manylinux_verdicts(glibc),
        "mac": _mac(),
    }


def main() -> None:
    import json

    print(SENTINEL)
    print(json.dumps(facts()))


if __name__ == "__main__":
    main()
