"""Query an interpreter once, then remember it: ``interpreter_at(path, cache) -> Interpreter``.

The probe (:mod:`pyffin.interpreter.probe`) runs in the interpreter with ``-I`` (in this process
when it is the interpreter running pyffin, see :func:`run_probe`); the answer is cached in
``interpreter-v0/<hash(path)>.bin`` with a stamp of the executable (the link itself and the file
it resolves to: modification time, inode, size). A warm lookup compares the stamp and spawns no
process.

Shims are never cache keys: their modification time says nothing about the interpreter they
run. A pyenv shim is resolved to its real executable here, without running it
(:mod:`pyffin.interpreter.pyenv`); any other script is run on every lookup and only the real
interpreter it reports is cached.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyffin import log
from pyffin.interpreter.errors import InterpreterError, InterpreterNotFound
from pyffin.interpreter.model import Interpreter
from pyffin.interpreter.scheme import Scheme
from pyffin.records import replace

if TYPE_CHECKING:
    from pyffin.cache import Cache, CacheEntry

#: Oldest Python the probe, the venv layout and the installer are written for: 3.7, as uv
#: (0.13.9 installs into a 3.7 environment; pip 24.0 is the last pip that runs there).
MINIMUM_VERSION = (3, 7)
_PROBE_PATH = Path(__file__).with_name("probe.py")
#: The line the probe prints before its answer (``probe.SENTINEL``).
PROBE_SENTINEL = "--- pyffin interpreter facts ---"
_PROBE_TIMEOUT = 60.0

Stamp = tuple[int, int, int, int, int]


def interpreter_at(executable: str | os.PathLike[str], *, cache: Cache | None) -> Interpreter:
    """The interpreter at ``executable`` (made absolute, symlinks kept), from ``cache`` when
    still valid.

    Raises :class:`InterpreterNotFound` when there is no executable file there or a pyenv shim
    selects no installed version, :class:`InterpreterError` when it cannot be queried or is
    older than Python 3.7.
    """
    path = Path(os.path.abspath(os.fspath(executable)))
    kind = _kind(path)
    if kind == "pyenv":
        from pyffin.interpreter import pyenv

        target = pyenv.resolve_shim(path)
        if target is None:
            raise InterpreterNotFound(
                f"{path} is a pyenv shim, but none of the Python versions pyenv selects here "
                f"({pyenv.describe_selection(path)}) provides {path.name}"
            )
        log.debug(f"pyenv shim {path} runs {target}")
        path, kind = target, _kind(target)
    if kind == "binary":
        return _supported(_cached_query(path, cache))
    # A wrapper we cannot see through: ask it every time, cache what it really runs.
    log.debug(f"{path} is a script, not an interpreter: querying it to find the interpreter")
    interpreter = from_facts(path, run_probe(path))
    real = interpreter.sys_executable
    if real.is_absolute() and real != path:
        interpreter = interpreter.found_at(real)
        if cache is not None:
            _store(real, interpreter, cache)
    return _supported(interpreter)


def _kind(path: Path) -> str:
    """``binary``, ``pyenv`` (a pyenv shim) or ``script`` (any other ``#!`` file)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except FileNotFoundError:
        raise InterpreterNotFound(f"No interpreter found at {path}: no such file") from None
    except IsADirectoryError:
        raise InterpreterNotFound(f"No interpreter found at {path}: it is a directory") from None
    except OSError as e:
        raise InterpreterError(f"cannot read the interpreter at {path}: {e.strerror}") from e
    if not head.startswith(b"#!"):
        return "binary"
    from pyffin.interpreter.pyenv import is_shim_header  # its patterns only for a script

    return "pyenv" if is_shim_header(head) else "script"


def _kept(path: Path, stamp: Stamp, cache: Cache | None) -> Interpreter | None:
    """The interpreter at ``path`` as the cache keeps it, while its executable is unchanged."""
    if cache is None:
        return None
    record = cache.read_record(_entry(path, cache), _decoder(path))
    return _marker_now(record[1]) if record is not None and record[0] == stamp else None


def _cached_query(path: Path, cache: Cache | None) -> Interpreter:
    stamp = _stamp(path)
    kept = _kept(path, stamp, cache)
    if kept is not None:
        return kept
    # The interpreter running pyffin answers at once; a venv's would otherwise be derived from
    # its base interpreter's facts, queried in a process.
    interpreter = None if _answers_itself(path) else _venv_of_known_base(path, cache)
    if interpreter is None:
        interpreter = from_facts(path, run_probe(path))
    if cache is not None:
        # Stamp taken before the query: a change during it makes the next lookup query again.
        _write(path, stamp, interpreter, cache)
    return interpreter


def _marker_now(interpreter: Interpreter) -> Interpreter:
    """``interpreter`` (from the cache) with its PEP 668 marker as it is now: the record's
    stamp is the executable's, and a marker added (a distribution's package) or removed (the
    widespread advice) since must not be missed, as PEP 668 asks installers to look at
    install time."""
    marker = interpreter.externally_managed_marker
    if marker is None:
        return interpreter
    message = read_externally_managed(marker, interpreter.prefix)
    if message == interpreter.externally_managed:
        return interpreter
    return replace(interpreter, externally_managed=message)


def read_externally_managed(marker: str, prefix: os.PathLike[str] | str) -> str | None:
    """The message of the PEP 668 marker file ``marker`` of the interpreter at ``prefix``
    (its ``Error``, else a default), or ``None`` when there is none: what the probe reads."""
    if not os.path.isfile(marker):
        return None
    default = f"The Python environment at {os.fspath(prefix)} is managed externally."
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(marker, encoding="utf-8")
        return parser.get("externally-managed", "Error") or default
    except (configparser.Error, OSError, UnicodeDecodeError):
        return default


def _venv_of_known_base(path: Path, cache: Cache | None) -> Interpreter | None:
    """A virtual environment's interpreter, derived from its base interpreter's (cached)
    facts without starting a process: a venv's ``bin/python`` links to the base interpreter
    and differs from it only in prefix, scheme and site-packages. ``None`` when ``path`` is
    not such a link (copies, unknown layouts are queried)."""
    root = path.parent.parent
    config = read_pyvenv_cfg(root / "pyvenv.cfg")
    if config is None or not path.is_symlink():
        return None
    real = Path(os.path.realpath(path))
    if real == path or not real.is_file() or _kind(real) != "binary":
        return None
    base = _sibling_of_running(real, cache)
    if base is None:
        base = _cached_query(real, cache)
        if base.is_venv:
            return None
    version = config.get("version_info") or config.get("version")
    scheme = base.venv_scheme(root)
    if (version is not None and version != base.version_str) or \
            path.parent != scheme.scripts or _has_manylinux_module(scheme):
        return None
    log.debug(f"{path} is a virtual environment of {real}: using its facts")
    return base.in_venv(root, path)


def _has_manylinux_module(scheme: Scheme) -> bool:
    """Whether the environment's site-packages holds a PEP 600 ``_manylinux`` module, whose
    verdicts on its tags only a probe run there hears."""
    for directory in dict.fromkeys((scheme.purelib, scheme.platlib)):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        if any(name == "_manylinux" or name.startswith("_manylinux.") for name in names):
            return True
    return False


def _sibling_of_running(real: Path, cache: Cache | None) -> Interpreter | None:
    """The running interpreter, when it is a virtual environment of the interpreter ``real``
    whose facts are not cached (pyffin installed in a venv of its own, as pipx and ``uv tool``
    install it; the target a venv of the same Python): a venv of it is derived from those
    facts, which this process answers itself, as it would be from ``real``'s (the same
    binary: the same markers, tags, version, base and venv layout), without starting ``real``
    to ask it."""
    running = sys.executable
    if not running or sys.prefix == sys.base_prefix or os.path.realpath(running) != str(real):
        return None
    try:
        if _kept(real, _stamp(real), cache) is not None:
            return None  # the base's own facts are at hand
        path = Path(os.path.abspath(running))
        own = _kept(path, _stamp(path), cache)
    except InterpreterError:
        return None
    if own is None:
        if not _answers_itself(path):
            return None  # the base is asked, as it would be without this
        own = _cached_query(path, cache)  # answered here, and kept
    return own if own.is_venv and own.base_executable == real else None


def read_pyvenv_cfg(path: Path) -> dict[str, str] | None:
    """The ``key = value`` lines of the ``pyvenv.cfg`` at ``path`` (keys in lower case), or
    ``None`` when it cannot be read."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    config = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip().lower()] = value.strip()
    return config


def _store(path: Path, interpreter: Interpreter, cache: Cache) -> None:
    """Cache ``interpreter`` as found at ``path`` (with the executable's current stamp)."""
    try:
        stamp = _stamp(path)
    except InterpreterError:
        return
    _write(path, stamp, interpreter, cache)


def _write(path: Path, stamp: Stamp, interpreter: Interpreter, cache: Cache) -> None:
    from pyffin.cache import codec

    data = codec.dumps(Interpreter.RECORD_SCHEMA, Interpreter.RECORD_VERSION,
                       (stamp, interpreter.to_record()))
    try:
        _entry(path, cache).write(data)
    except OSError as e:  # a read-only cache must not stop the command
        log.warn_once(f"cannot cache interpreter information in {cache.root}: {e}",
                      key="interpreter-cache-write")


def _entry(path: Path, cache: Cache) -> CacheEntry:
    from pyffin.cache import CacheBucket, path_key

    return cache.entry(CacheBucket.INTERPRETER, f"{path_key(path)}.bin")


def _decoder(path: Path) -> Callable[[bytes], tuple[Stamp, Interpreter]]:
    def decode(data: bytes) -> tuple[Stamp, Interpreter]:
        from pyffin.cache import codec

        content: Any = codec.loads(data, Interpreter.RECORD_SCHEMA, Interpreter.RECORD_VERSION)
        stamp, payload = content
        interpreter = Interpreter.from_record(payload)
        if interpreter.executable != path:  # a hash collision, or a record moved by hand
            raise ValueError(f"record is for {interpreter.executable}")
        a, b, c, d, e = stamp
        return (a, b, c, d, e), interpreter

    return decode


def _stamp(path: Path) -> Stamp:
    """What changes when the executable or the file it links to is replaced."""
    try:
        link = os.lstat(path)
        target = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
    except FileNotFoundError:
        raise InterpreterNotFound(f"No interpreter found at {path}: no such file") from None
    except OSError as e:
        raise InterpreterError(f"cannot read the interpreter at {path}: {e.strerror}") from e
    return (link.st_mtime_ns, link.st_ino, target.st_mtime_ns, target.st_ino, target.st_size)


def _supported(interpreter: Interpreter) -> Interpreter:
    if interpreter.version[:2] < MINIMUM_VERSION:
        raise InterpreterError(
            f"{interpreter.implementation_display} {interpreter.version_str} at "
            f"{interpreter.executable} is not supported: pyffin needs Python "
            f"{MINIMUM_VERSION[0]}.{MINIMUM_VERSION[1]} or newer"
        )
    return interpreter


# ------------------------------------------------------------------------------ the probe
#: Environment variables ``-I`` ignores that change what the probe reports (the prefix, the
#: install schemes): with one set, the running process is not the interpreter ``-I`` sees.
_FACT_VARIABLES = ("PYTHONHOME", "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE")


def run_probe(executable: Path) -> dict[str, Any]:
    """The probe's facts of the interpreter at ``executable``: from this process when it is the
    interpreter running pyffin (the same executable in the same directory, and nothing that
    ``-I`` would take away changes the answer), which saves starting one (tens of milliseconds
    on a cold cache, at the start of every command); else from a process running the probe."""
    if _answers_itself(executable):
        from pyffin.interpreter import probe

        facts = probe.facts()
        facts["executable"] = os.fspath(executable)  # as started there, by this name
        return facts
    return probe_process(executable)


def _answers_itself(executable: Path) -> bool:
    """Whether the running process can answer the probe for ``executable`` itself."""
    running = sys.executable
    if not running or os.path.dirname(os.path.abspath(running)) != os.fspath(executable.parent):
        return False
    try:
        if not os.path.samefile(running, executable):
            return False
    except OSError:
        return False
    if not sys.flags.ignore_environment and any(os.environ.get(v) for v in _FACT_VARIABLES):
        return False
    # A ``_manylinux`` module on this process's path (PYTHONPATH, the current directory, user
    # site-packages) may be hidden from ``-I``: its verdicts only a process can tell.
    import importlib.machinery

    return importlib.machinery.PathFinder.find_spec("_manylinux") is None


def probe_process(executable: Path) -> dict[str, Any]:
    """Run the probe in ``executable`` and return its facts (one process, ``-I``)."""
    import json
    import subprocess

    # Read, never imported: the probe changes sys.path and imports modules pyffin does not need.
    source = _PROBE_PATH.read_text(encoding="utf-8")
    log.debug(f"Querying the interpreter at {executable}")
    try:
        proc = subprocess.run(
            [os.fspath(executable), "-I", "-c", source],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=_PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"Querying the interpreter at {executable} did not finish "
                               f"within {_PROBE_TIMEOUT:.0f} seconds") from None
    except OSError as e:
        raise InterpreterError(f"cannot run the interpreter at {executable}: "
                               f"{e.strerror or e}") from e
    stdout = proc.stdout.decode("utf-8", "replace")
    marker = PROBE_SENTINEL + "\n"
    if proc.returncode != 0 or marker not in stdout.replace("\r\n", "\n"):
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        last = stderr.splitlines()[-1] if stderr else "no output"
        raise InterpreterError(
            f"Querying the interpreter at {executable} failed (exit status {proc.returncode}): "
            f"{last}",
            hint="pyffin works with Python 3.7 and newer (CPython or PyPy)",
        )
    answer = stdout.replace("\r\n", "\n").rsplit(marker, 1)[1]
    try:
        facts = json.loads(answer)
    except ValueError as e:
        raise InterpreterError(f"The interpreter at {executable} answered the query with "
                               f"something that is not JSON: {e}") from e
    if not isinstance(facts, dict):
        raise InterpreterError(f"The interpreter at {executable} answered the query with "
                               "something that is not a JSON object")
    return facts


def from_facts(executable: Path, facts: Mapping[str, Any]) -> Interpreter:
    """Build the :class:`Interpreter` found at ``executable`` from the probe's facts."""
    try:
        return _from_facts(executable, facts)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise InterpreterError(f"The interpreter at {executable} gave an unexpected answer to "
                               f"the query ({type(e).__name__}: {e})") from e


def _from_facts(executable: Path, facts: Mapping[str, Any]) -> Interpreter:
    from pyffin.interpreter import tags

    major, minor, micro = (int(part) for part in facts["version"])
    version = (major, minor, micro)
    markers = {str(k): str(v) for k, v in facts["markers"].items()}
    implementation = str(facts["implementation"])
    pointer_size = int(facts["pointer_size"])
    config = facts["config"]
    if implementation == "cpython":
        debug = config["Py_DEBUG"]
        abis = tags.cpython_abis(
            version,
            debug=bool(debug) if debug is not None else bool(
                facts["has_gettotalrefcount"] or "_d.pyd" in facts["extension_suffixes"]),
            free_threaded=bool(config["Py_GIL_DISABLED"]),
            # Before 3.8 (cpython-37m-...): without pymalloc, no "m" in its suffix.
            pymalloc=f"{major}{minor}m" in str(config["EXT_SUFFIX"] or f"{major}{minor}m"),
        )
    else:
        abis = tags.generic_abis(config["EXT_SUFFIX"])
    platforms = _platforms(facts, markers["platform_system"], pointer_size)
    scheme = facts["scheme"]
    layout = facts["venv_layout"]
    prefix = Path(facts["prefix"])
    site_packages = tuple(dict.fromkeys((str(scheme["purelib"]), str(scheme["platlib"]))))
    return Interpreter(
        executable=executable,
        sys_executable=Path(facts["executable"] or executable),
        base_executable=Path(facts["base_executable"]),
        prefix=prefix,
        base_prefix=Path(facts["base_prefix"]),
        base_exec_prefix=Path(facts["base_exec_prefix"]),
        version=version,
        version_str=markers["python_full_version"],
        implementation_name=implementation,
        markers=markers,
        tags=tuple(tags.compatible_tags(version, implementation, abis, platforms)),
        scheme=Scheme(Path(scheme["purelib"]), Path(scheme["platlib"]), Path(scheme["scripts"]),
                      Path(scheme["data"]), Path(scheme["headers"])),
        venv_layout=Scheme(Path(layout["purelib"]), Path(layout["platlib"]),
                           Path(layout["scripts"]), Path("."),
                           Path("include", "site", f"python{major}.{minor}")),
        site_packages=site_packages,
        is_venv=bool(facts["is_venv"]),
        externally_managed=facts["externally_managed"],
        externally_managed_marker=facts.get("externally_managed_marker"),
        pointer_size=pointer_size,
        platform=str(facts["platform"]),
    )


def _platforms(facts: Mapping[str, Any], system: str, pointer_size: int) -> list[str]:
    from pyffin.errors import NotSupportedError
    from pyffin.interpreter import tags

    sysconfig_platform = str(facts["platform"])
    if system == "Linux" and tags.normalize(sysconfig_platform).startswith("linux_"):
        archs = tags.linux_archs(sysconfig_platform, pointer_size)
        elf = facts["elf"]
        header = (tags.ElfHeader(elf["class"], elf["data"], elf["machine"], elf["flags"])
                  if elf else None)
        return tags.linux_platforms(
            archs,
            glibc=_version_pair(facts["glibc"]),
            musl=_version_pair(facts["musl"]),
            manylinux_abi=tags.manylinux_compatible_abi(archs, header),
            verdicts=facts["manylinux_verdicts"],
        )
    if system == "Darwin":
        mac = facts["mac"]
        version = _version_pair(mac["version"])
        if version is None:
            raise ValueError(f"no macOS version in {mac['version']!r}")
        return tags.macos_platforms(version, tags.mac_arch(mac["machine"], pointer_size))
    if system in ("iOS", "Android"):
        raise NotSupportedError(f"wheel tags for {system} interpreters are not supported yet")
    return [tags.normalize(sysconfig_platform)]


def _version_pair(text: object) -> tuple[int, int] | None:
    """``"2.36"`` as ``(2, 36)``; ``None`` for no version or one that does not parse."""
    if not isinstance(text, str):
        return None
    parts = text.split(".")
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    minor = "".join(c for c in parts[1][:3] if c.isdigit())  # "2.20-2014.11" style junk
    return (int(parts[0]), int(minor)) if minor else None
