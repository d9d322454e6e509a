"""``pyffin_test_backend``: a tiny stdlib-only PEP 517 / PEP 660 build backend.

This file is the single source of the in-tree backend that every test sdist carries:
:func:`tests.support.dists.build_sdist` copies it verbatim to ``_backend/pyffin_test_backend.py``
(see :func:`source`) and writes the project's description to ``_backend/spec.json``.
``pyproject.toml`` then points at it with ``build-backend = "pyffin_test_backend"`` and
``backend-path = ["_backend"]``, so building needs no network and no third-party package.

It runs inside build environments of *target* interpreters, so it must stay compatible with
Python 3.8: no ``match``, no ``X | Y`` outside annotations, no ``str.removeprefix``, no tomllib
(hence JSON, not TOML, for its configuration).

Behaviour the tests rely on:

* The source tree is the current working directory (the PEP 517 contract); ``spec.json`` is
  read from ``<cwd>/_backend/spec.json``.
* Every hook prints ``pyffin_test_backend: <hook> for <name> <version> config_settings=<json>``
  to stderr and, if ``$PYFFIN_TEST_BACKEND_LOG`` names a file, appends one JSON object per call
  to it (``hook``, ``name``, ``version``, ``config_settings``, ``cwd``, ``python``: the
  ``major.minor`` version of the interpreter running the hook) so tests can count builds.
* Built wheels (regular and editable) contain ``<dist-info>/pyffin_test_backend.json`` with the
  hook name and the ``config_settings`` it received.
* If ``fail_build`` is set in the spec, ``build_wheel``/``build_editable`` print the message to
  stderr and raise.
* ``build_editable`` produces a wheel whose only payload is ``__editable__.<dist>.pth`` holding
  the absolute source directory.
* Output is deterministic: fixed timestamps and ordering, so equal inputs give equal bytes.
* ``$PYFFIN_TEST_BACKEND_NOISE=N``: every hook prints N lines to stdout and to stderr and
  emits N ``UserWarning`` warnings (as setuptools' deprecation warnings), for tests of what
  a frontend shows.
* ``$PYFFIN_TEST_BACKEND_SLEEP=SECONDS``: every hook, once logged, waits that long in a child
  process of its own; the log event then also holds ``pid`` (the hook's) and ``sleeper`` (the
  child's), so tests can interrupt a slow build and check that nothing of it is left running.

The helpers (:func:`core_metadata`, :func:`record_hash`, :func:`write_zip`, ...) are shared with
``dists.py`` so both produce the same format.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

BACKEND_MODULE = "pyffin_test_backend"
BACKEND_DIR = "_backend"
SPEC_FILE = "spec.json"
LOG_ENV = "PYFFIN_TEST_BACKEND_LOG"
NOISE_ENV = "PYFFIN_TEST_BACKEND_NOISE"
SLEEP_ENV = "PYFFIN_TEST_BACKEND_SLEEP"
CONFIG_RECORD = "pyffin_test_backend.json"

# Fixed timestamps make archives byte-for-byte reproducible (1980-01-01 is the zip epoch).
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
TAR_MTIME = 315532800


def source() -> str:
    """Return this module's source text, as copied into sdists."""
    with open(__file__, encoding="utf-8") as f:
        return f.read()


def escape_name(name: str) -> str:
    """Project name as it appears in wheel/sdist filenames and dist-info dirs (PEP 427/625)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def escape_version(version: str) -> str:
    return version.replace("-", "_")


def record_hash(data: bytes) -> str:
    """The RECORD hash field for ``data``: ``sha256=<urlsafe base64, no padding>``."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def core_metadata(
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
    extras: Sequence[str] = (),
    headers: Iterable[tuple[str, str]] = (),
    metadata_version: str = "2.1",
) -> str:
    """Render core metadata (METADATA / PKG-INFO) in email-header format."""
    fields = [("Metadata-Version", metadata_version), ("Name", name), ("Version", version)]
    fields.extend(headers)
    if requires_python is not None:
        fields.append(("Requires-Python", requires_python))
    fields.extend(("Provides-Extra", extra) for extra in extras)
    fields.extend(("Requires-Dist", req) for req in requires_dist)
    for key, value in fields:
        if "\n" in value or "\r" in value:
            raise ValueError(f"metadata values must be single-line: {key!r}: {value!r}")
    return "".join(f"{key}: {value}\n" for key, value in fields)


def entry_points_text(entry_points: Mapping[str, Mapping[str, str]]) -> str:
    sections = []
    for group, entries in entry_points.items():
        body = "".join(f"{name} = {target}\n" for name, target in entries.items())
        sections.append(f"[{group}]\n{body}")
    return "\n".join(sections)


def wheel_file_text(
    tags: Sequence[str],
    *,
    root_is_purelib: bool = True,
    build: str | None = None,
    generator: str = BACKEND_MODULE,
) -> str:
    lines = [
        "Wheel-Version: 1.0",
        "Generator: " + generator,
        "Root-Is-Purelib: " + ("true" if root_is_purelib else "false"),
    ]
    lines.extend("Tag: " + tag for tag in tags)
    if build is not None:
        lines.append("Build: " + build)
    return "\n".join(lines) + "\n"


def record_text(rows: Iterable[tuple[str, str, str]]) -> bytes:
    """CSV-encode RECORD rows (path, hash, size) the way the wheel spec requires."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def write_zip(
    path: str, entries: Iterable[tuple[str, bytes]], executable: Sequence[str] = ()
) -> None:
    """Write a deterministic zip; names are stored verbatim (even ``../x`` or ``/x``)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the permission bits
            mode = 0o755 if name in executable else 0o644
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, data)


def write_sdist_archive(path: str, entries: Iterable[tuple[str, bytes]], fmt: str) -> None:
    """Write a deterministic ``tar.gz`` or ``zip`` sdist; entry names include the top dir."""
    if fmt == "zip":
        write_zip(path, entries)
        return
    if fmt != "tar.gz":
        raise ValueError(f"unsupported sdist format: {fmt!r}")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = TAR_MTIME
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    # gzip.compress(mtime=0) keeps the gzip header stable too.
    with open(path, "wb") as f:
        f.write(gzip.compress(raw.getvalue(), mtime=0))


def wheel_entries(
    distinfo: str, payload: Iterable[tuple[str, bytes]], metadata: Iterable[tuple[str, bytes]]
) -> list[tuple[str, bytes]]:
    """Payload and dist-info files followed by a matching RECORD (listed last, as required)."""
    entries = list(payload)
    entries.extend((distinfo + "/" + name, data) for name, data in metadata)
    record = distinfo + "/RECORD"
    rows = [(name, record_hash(data), str(len(data))) for name, data in entries]
    rows.append((record, "", ""))
    entries.append((record, record_text(rows)))
    return entries


# --- PEP 517 / 660 hooks ---------------------------------------------------------------------


def _spec() -> dict[str, Any]:
    path = os.path.join(os.getcwd(), BACKEND_DIR, SPEC_FILE)
    if not os.path.exists(path):
        raise RuntimeError(
            f"{BACKEND_MODULE}: {path} not found; "
            "PEP 517 hooks must run with the source tree as the cwd"
        )
    with open(path, encoding="utf-8") as f:
        spec: dict[str, Any] = json.load(f)
    return spec


def _announce(hook: str, spec: Mapping[str, Any], config_settings: Any) -> None:
    settings = json.dumps(config_settings or {}, sort_keys=True)
    message = f"{hook} for {spec['name']} {spec['version']} config_settings={settings}"
    print(f"{BACKEND_MODULE}: {message}", file=sys.stderr)
    noise = int(os.environ.get(NOISE_ENV) or 0)
    if noise:
        import warnings

        for i in range(noise):
            print(f"{BACKEND_MODULE}: noise {i} on stdout")
            print(f"{BACKEND_MODULE}: noise {i} on stderr", file=sys.stderr)
            warnings.warn(f"{BACKEND_MODULE}: warning {i}", UserWarning, stacklevel=1)
    sleeper = None
    seconds = os.environ.get(SLEEP_ENV)
    if seconds:
        import subprocess

        sleeper = subprocess.Popen([sys.executable, "-c",
                                    f"import time; time.sleep({float(seconds)})"])
    log = os.environ.get(LOG_ENV)
    if log:
        event = {
            "hook": hook,
            "name": spec["name"],
            "version": spec["version"],
            "config_settings": config_settings or {},
            "cwd": os.getcwd(),
            "python": "{}.{}".format(*sys.version_info[:2]),
        }
        if sleeper is not None:
            event.update(pid=os.getpid(), sleeper=sleeper.pid)
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(event, sort_keys=True) + "\n")
    if sleeper is not None:
        sleeper.wait()


def _fail_if_requested(spec: Mapping[str, Any]) -> None:
    message = spec.get("fail_build")
    if message:
        print(message, file=sys.stderr)
        sys.stderr.flush()
        raise RuntimeError(message)


def _distinfo(spec: Mapping[str, Any]) -> str:
    return f"{_stem(spec)}.dist-info"


def _stem(spec: Mapping[str, Any]) -> str:
    return f"{escape_name(spec['name'])}-{escape_version(spec['version'])}"


def _metadata_files(spec: Mapping[str, Any]) -> list[tuple[str, bytes]]:
    metadata = core_metadata(
        spec["name"],
        spec["version"],
        requires_dist=spec.get("requires_dist", []),
        requires_python=spec.get("requires_python"),
        extras=spec.get("extras", []),
    )
    files = [
        ("METADATA", metadata.encode("utf-8")),
        ("WHEEL", wheel_file_text(["py3-none-any"]).encode("utf-8")),
    ]
    if spec.get("entry_points"):
        files.append(("entry_points.txt", entry_points_text(spec["entry_points"]).encode()))
    return files


def _build(
    hook: str,
    wheel_directory: str,
    config_settings: Any,
    payload: list[tuple[str, bytes]],
    spec: Mapping[str, Any],
) -> str:
    record = json.dumps({"hook": hook, "config_settings": config_settings or {}}, sort_keys=True)
    metadata = [*_metadata_files(spec), (CONFIG_RECORD, record.encode("utf-8"))]
    filename = f"{_stem(spec)}-py3-none-any.whl"
    entries = wheel_entries(_distinfo(spec), payload, metadata)
    os.makedirs(wheel_directory, exist_ok=True)  # pip creates it, not every frontend does
    write_zip(os.path.join(wheel_directory, filename), entries)
    return filename


def _requires(hook: str, config_settings: Any) -> list[str]:
    spec = _spec()
    _announce(hook, spec, config_settings)
    return list(spec.get("dynamic_build_requires", []))


def get_requires_for_build_wheel(config_settings: Any = None) -> list[str]:
    return _requires("get_requires_for_build_wheel", config_settings)


def get_requires_for_build_editable(config_settings: Any = None) -> list[str]:
    return _requires("get_requires_for_build_editable", config_settings)


def get_requires_for_build_sdist(config_settings: Any = None) -> list[str]:
    return _requires("get_requires_for_build_sdist", config_settings)


def _prepare(hook: str, metadata_directory: str, config_settings: Any) -> str:
    spec = _spec()
    _announce(hook, spec, config_settings)
    distinfo = _distinfo(spec)
    os.makedirs(os.path.join(metadata_directory, distinfo), exist_ok=True)
    for name, data in _metadata_files(spec):
        with open(os.path.join(metadata_directory, distinfo, name), "wb") as f:
            f.write(data)
    return distinfo


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Any = None) -> str:
    return _prepare("prepare_metadata_for_build_wheel", metadata_directory, config_settings)


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: Any = None
) -> str:
    return _prepare("prepare_metadata_for_build_editable", metadata_directory, config_settings)


# metadata_directory is ignored: the metadata is regenerated deterministically, so it is
# identical to what prepare_metadata_* returned.
def build_wheel(
    wheel_directory: str, config_settings: Any = None, metadata_directory: str | None = None
) -> str:
    spec = _spec()
    _announce("build_wheel", spec, config_settings)
    print(f"{BACKEND_MODULE}: building wheel for {spec['name']}")
    _fail_if_requested(spec)
    payload = []
    for rel in spec.get("files", []):
        with open(os.path.join(os.getcwd(), rel), "rb") as f:
            payload.append((rel, f.read()))
    return _build("build_wheel", wheel_directory, config_settings, payload, spec)


def build_editable(
    wheel_directory: str, config_settings: Any = None, metadata_directory: str | None = None
) -> str:
    spec = _spec()
    _announce("build_editable", spec, config_settings)
    print(f"{BACKEND_MODULE}: building editable wheel for {spec['name']}")
    _fail_if_requested(spec)
    pth = f"__editable__.{_stem(spec)}.pth"
    payload = [(pth, (os.path.abspath(os.getcwd()) + "\n").encode("utf-8"))]
    return _build("build_editable", wheel_directory, config_settings, payload, spec)


def build_sdist(sdist_directory: str, config_settings: Any = None) -> str:
    spec = _spec()
    _announce("build_sdist", spec, config_settings)
    root = os.getcwd()
    top = _stem(spec)
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".git"))
        for filename in sorted(filenames):
            if filename.endswith(".pyc"):
                continue
            full = os.path.join(dirpath, filename)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            with open(full, "rb") as f:
                entries.append((top + "/" + rel, f.read()))
    if not any(name == top + "/PKG-INFO" for name, _ in entries):
        pkg_info = core_metadata(
            spec["name"],
            spec["version"],
            requires_dist=spec.get("requires_dist", []),
            requires_python=spec.get("requires_python"),
            extras=spec.get("extras", []),
        )
        entries.insert(0, (top + "/PKG-INFO", pkg_info.encode("utf-8")))
    filename = top + ".tar.gz"
    os.makedirs(sdist_directory, exist_ok=True)
    write_sdist_archive(os.path.join(sdist_directory, filename), entries, "tar.gz")
    return filename
