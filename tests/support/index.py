"""A local, threaded package index (PEP 503/691/658/700/714) with fault injection.

::

    with IndexServer() as server:
        server.add_wheel(WheelSpec("foo", "1.0", requires_python=">=3.8"))
        server.add_sdist(SdistSpec("foo", "1.0"))
        server.add_file(Path("downloads/numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.whl"))
        run_installer("--index-url", server.index_url, "foo")
        assert server.count("/simple/foo/") == 1

Routes (all on 127.0.0.1):

* ``/simple/`` project list and ``/simple/<normalized-name>/`` project pages, as PEP 503 HTML or
  PEP 691 JSON (API 1.1, with PEP 700 ``versions``/``size``/``upload-time``) chosen from the
  ``Accept`` header. Links are relative (``../../files/<filename>#sha256=...``). Non-normalized
  names and missing trailing slashes get a 301 to the canonical URL; unknown projects a 404.
* ``/files/<filename>`` and, for wheels, ``/files/<filename>.metadata`` (PEP 658/714).
* ``<root>/<normalized-name>/``: the project pages of another index on the same server,
  listing only the files :meth:`IndexServer.mount` gave it (``/whl/cu128/torch/``: PyTorch's
  layout). Its links are relative too, to the same ``/files/``.

Every successful response carries ``Cache-Control`` (``max-age=600`` unless configured, see
:meth:`IndexServer.set_cache_control`), a quoted content-derived ``ETag`` and ``Last-Modified``
(both change whenever the content does) and honours ``If-None-Match``/``If-Modified-Since``
(304), ``Range`` (206/416, unless ``ranges=False``) and HEAD. Error responses carry
``Cache-Control: no-store``. Connections are HTTP/1.1 keep-alive.

Faults are keyed by the exact, unquoted request path without query (``"/simple/foo/"``,
``"/files/foo-1.0-py3-none-any.whl"``) and apply to the next ``times`` requests (``None`` means
until :meth:`IndexServer.clear_faults`): :meth:`~IndexServer.fail`, ``delay``, ``truncate``,
``corrupt``, ``trickle`` (a byte at a time), and :meth:`~IndexServer.respond` (exact status,
headers and body: hostile pages, gzip bombs, ``Retry-After``). :meth:`~IndexServer.set_hashes`
lists a file with any hashes, right or wrong. Every request is recorded in
:attr:`IndexServer.request_log` and counted by :meth:`IndexServer.count`.

``auth=(user, password)`` makes every request need those basic-auth credentials (else 401 with
``WWW-Authenticate``); ``tls=(cert, key)`` serves HTTPS (see :func:`self_signed_certificate`).

``python -m tests.support.index DIR [--port N]`` serves every distribution file under DIR.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email.parser
import email.utils
import hashlib
import html
import io
import json
import re
import socket
import ssl
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from tests.support.dists import SdistSpec, WheelSpec, build_sdist, build_wheel, normalize_name

__all__ = ["SIMPLE_HTML", "SIMPLE_JSON", "IndexServer", "Request", "is_distribution",
           "self_signed_certificate"]

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
# Preference order on equal q-values: plain HTML first, as PyPI does for "*/*".
_FORMATS = (TEXT_HTML, SIMPLE_HTML, SIMPLE_JSON)
_ALIASES = {
    "application/vnd.pypi.simple.latest+json": SIMPLE_JSON,
    "application/vnd.pypi.simple.latest+html": SIMPLE_HTML,
}
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz")


def self_signed_certificate(directory: Path, subject: str = "/CN=localhost",
                            ) -> tuple[Path, Path]:
    """A certificate for ``127.0.0.1`` and ``localhost`` (valid for a week) and its key, made
    with the ``openssl`` command (the test is skipped without it); ``subject`` names it."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        import pytest

        pytest.skip("openssl is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7",
                    "-subj", subject,
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def is_distribution(filename: str) -> bool:
    """Whether ``filename`` looks like a wheel or an sdist."""
    return filename.endswith((".whl", *_SDIST_SUFFIXES))


class Request(NamedTuple):
    """One received request; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class _File:
    filename: str
    project: str  # normalized
    version: str | None
    data: bytes
    sha256: str
    metadata: bytes | None
    requires_python: str | None
    yanked: bool | str
    upload_time: datetime | None  # None: the time it was stored
    modified: float = 0.0  # Last-Modified timestamp, set when stored
    # The hashes the pages list (None: the sha256 of the data / of the metadata).
    hashes: dict[str, str] | None = None
    metadata_hashes: dict[str, str] | None = None

    def listed_hashes(self) -> dict[str, str]:
        return {"sha256": self.sha256} if self.hashes is None else self.hashes

    def listed_metadata_hashes(self) -> dict[str, str]:
        if self.metadata_hashes is not None:
            return self.metadata_hashes
        return {"sha256": hashlib.sha256(self.metadata or b"").hexdigest()}


@dataclass
class _Fault:
    times: int | None
    value: float = 0  # status, seconds or byte count, depending on the kind


@dataclass
class _Resource:
    body: bytes
    content_type: str
    modified: float
    vary_accept: bool = False


def _parse_filename(filename: str) -> tuple[str, str | None]:
    """(normalized project, version or None) from a wheel or sdist filename."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) not in (5, 6):
            raise ValueError(f"not a wheel filename: {filename!r}")
        return normalize_name(parts[0]), parts[1]
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            name, sep, version = filename[: -len(suffix)].rpartition("-")
            if sep:
                return normalize_name(name), version
    raise ValueError(f"cannot derive the project from {filename!r}; pass project=")


def _read_metadata(data: bytes, filename: str) -> bytes | None:
    """METADATA of a wheel, PKG-INFO of an sdist; None when the archive is unreadable."""
    try:
        if filename.endswith(".whl"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = [n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
                prefix = filename.split("-")[0].lower() + "-"
                names.sort(key=lambda n: not n.lower().startswith(prefix))
                return zf.read(names[0]) if names else None
        if filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = [n for n in zf.namelist() if re.fullmatch(r"[^/]+/PKG-INFO", n)]
                return zf.read(names[0]) if names else None
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            for member in tf.getmembers():
                if re.fullmatch(r"[^/]+/PKG-INFO", member.name) and member.isfile():
                    extracted = tf.extractfile(member)
                    return extracted.read() if extracted else None
    except (OSError, zipfile.BadZipFile, tarfile.TarError, KeyError, EOFError):
        pass
    return None


def _load(
    path: Path,
    project: str | None,
    yanked: bool | str,
    requires_python: str | None,
    upload_time: datetime | None,
    metadata: str | bytes | None,
) -> _File:
    """Read and describe a distribution file (outside the server lock: it may be large)."""
    data = path.read_bytes()
    try:
        derived, version = _parse_filename(path.name)
    except ValueError:
        if project is None:
            raise
        derived, version = normalize_name(project), None
    project = normalize_name(project) if project is not None else derived
    if project != derived:
        version = None  # e.g. "master.zip" served for some project
    core = _read_metadata(data, path.name)
    if requires_python is None and core is not None:
        requires_python = email.parser.BytesHeaderParser().parsebytes(core)["Requires-Python"]
    if metadata is None and path.name.endswith(".whl"):
        metadata = core
    return _File(
        filename=path.name,
        project=project,
        version=version,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=metadata.encode("utf-8") if isinstance(metadata, str) else metadata,
        requires_python=requires_python or None,
        yanked=yanked,
        upload_time=upload_time,
    )


def _http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _negotiate(accept: str | None) -> str | None:
    """Pick a simple-API format for an Accept header (most specific match wins); None: 406."""
    if not accept:
        return TEXT_HTML
    prefs: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        prefs[_ALIASES.get(media, media)] = q
    best, best_q = None, 0.0
    for fmt in _FORMATS:
        candidates = (fmt, fmt.split("/")[0] + "/*", "*/*")
        q = next((prefs[c] for c in candidates if c in prefs), 0.0)
        if q > best_q:
            best, best_q = fmt, q
    return best


def _parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """Inclusive (start, end); None if the header is unusable (serve 200); False: 416."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match or match.groups() == ("", ""):
        return None  # malformed or multi-range: ignoring Range is always allowed
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


class IndexServer:
    """A package index on ``127.0.0.1`` serving in-memory files; see the module docstring.

    ``metadata_files``: serve ``.metadata`` files and advertise them (PEP 658/714).
    ``json_api``: honour PEP 691 content negotiation (False: always ``text/html``).
    ``ranges``: honour Range requests (False: answer 200 with the full body).
    ``etag``/``last_modified``: send (and honour) that validator.
    ``dist_dir``: where :meth:`add_wheel`/:meth:`add_sdist` build (default: a temp dir removed
    by :meth:`stop`). ``auth``: the basic-auth user and password every request must carry.
    ``tls``: a certificate and key file to serve HTTPS with. These flags (but ``tls``) are plain
    attributes and may be changed while running.
    """

    def __init__(
        self,
        *,
        max_age: int = 600,
        metadata_files: bool = True,
        json_api: bool = True,
        ranges: bool = True,
        etag: bool = True,
        last_modified: bool = True,
        port: int = 0,
        dist_dir: Path | None = None,
        auth: tuple[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.auth = auth
        self.tls = tls
        self.metadata_files = metadata_files
        self.json_api = json_api
        self.ranges = ranges
        self.etag = etag
        self.last_modified = last_modified
        self.request_log: list[Request] = []
        self._port = port
        self._lock = threading.RLock()
        self._files: dict[str, _File] = {}
        #: Other indexes' roots -> the filenames each lists (see :meth:`mount`).
        self._mounts: dict[str, set[str]] = {}
        self._project_modified: dict[str, float] = {}
        # Logical clock: one second per change, starting a day in the past, so Last-Modified
        # strictly increases on every change even within the same wall-clock second.
        self._clock = float(int(time.time()) - 86_400)
        self._root_modified = self._tick()
        self._cache_control: dict[str, str | None] = {"/": f"max-age={max_age}"}
        self._faults: dict[tuple[str, str], _Fault] = {}
        self._canned: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self._dist_dir = dist_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> IndexServer:
        if self._httpd is not None:
            raise RuntimeError("IndexServer already started")
        self._httpd = _HTTPServer(("127.0.0.1", self._port), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() waits for one poll; keep it short
            name=f"IndexServer:{self._httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and remove the temp dist dir."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._httpd = self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with ``tls``; the server must be
        started)."""
        if self._httpd is None:
            raise RuntimeError("IndexServer is not started")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def index_url(self) -> str:
        return f"{self.url}/simple/"

    def file_url(self, filename: str) -> str:
        return f"{self.url}/files/{quote(filename)}"

    # --- content -----------------------------------------------------------------------------

    def add_file(
        self,
        path: Path | str,
        *,
        project: str | None = None,
        yanked: bool | str = False,
        requires_python: str | None = None,
        upload_time: datetime | None = None,
        metadata: str | bytes | None = None,
    ) -> Path:
        """Serve the wheel or sdist at ``path`` (read into memory) under its own filename.

        ``project`` defaults to the name in the filename. ``requires_python=None`` takes
        Requires-Python from the file's METADATA/PKG-INFO; ``""`` serves none. ``yanked`` may
        be a reason string. ``metadata`` overrides the served ``.metadata`` (by default the
        wheel's own METADATA; sdists get none).
        """
        path = Path(path)
        dist = _load(path, project, yanked, requires_python, upload_time, metadata)
        with self._lock:
            if dist.filename in self._files:
                raise ValueError(f"{dist.filename} is already served; use replace_file()")
            self._store(dist)
        return path

    def replace_file(
        self,
        path: Path | str,
        *,
        project: str | None = None,
        yanked: bool | str = False,
        requires_python: str | None = None,
        upload_time: datetime | None = None,
        metadata: str | bytes | None = None,
    ) -> Path:
        """Like :meth:`add_file` for an already served filename ("changed upstream")."""
        path = Path(path)
        dist = _load(path, project, yanked, requires_python, upload_time, metadata)
        with self._lock:
            if dist.filename not in self._files:
                raise KeyError(dist.filename)
            self._store(dist)
        return path

    def set_hashes(self, filename: str, hashes: dict[str, str] | None = None, *,
                   metadata: dict[str, str] | None = None) -> None:
        """List ``filename`` (and its ``.metadata`` file) with these hashes instead of the
        sha256 of the content: any algorithms, right or wrong; ``{}`` lists none."""
        with self._lock:
            dist = self._files[filename]
            dist.hashes = hashes
            dist.metadata_hashes = metadata
            self._project_modified[dist.project] = self._root_modified = self._tick()

    def remove_file(self, filename: str) -> None:
        with self._lock:
            project = self._files.pop(filename).project
            self._project_modified[project] = self._root_modified = self._tick()

    def add_wheel(
        self,
        spec: WheelSpec,
        *,
        yanked: bool | str = False,
        requires_python: str | None = None,
        upload_time: datetime | None = None,
        metadata: str | bytes | None = None,
    ) -> Path:
        """Build ``spec`` into the dist dir and serve it (see :meth:`add_file`)."""
        path = build_wheel(spec, self._build_dir())
        return self.add_file(
            path,
            project=spec.name,
            yanked=yanked,
            requires_python=requires_python,
            upload_time=upload_time,
            metadata=metadata,
        )

    def add_sdist(
        self,
        spec: SdistSpec,
        *,
        yanked: bool | str = False,
        requires_python: str | None = None,
        upload_time: datetime | None = None,
    ) -> Path:
        """Build ``spec`` into the dist dir and serve it (see :meth:`add_file`)."""
        path = build_sdist(spec, self._build_dir())
        return self.add_file(
            path,
            project=spec.name,
            yanked=yanked,
            requires_python=requires_python,
            upload_time=upload_time,
        )

    def _build_dir(self) -> Path:
        if self._dist_dir is None:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="pyffin-index-")
            return Path(self._tmp.name)
        return self._dist_dir

    def _tick(self) -> float:
        with self._lock:
            self._clock += 1
            return self._clock

    def _store(self, dist: _File) -> None:
        with self._lock:
            dist.modified = self._tick()
            if dist.upload_time is None:
                dist.upload_time = datetime.fromtimestamp(dist.modified, timezone.utc)
            self._files[dist.filename] = dist
            self._project_modified[dist.project] = self._root_modified = dist.modified

    # --- observation -------------------------------------------------------------------------

    def count(self, path: str | None = None) -> int:
        """Requests received for ``path`` (any method), or in total."""
        with self._lock:
            return sum(1 for r in self.request_log if path is None or r.path == path)

    def reset_counts(self) -> None:
        with self._lock:
            self.request_log.clear()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.request_log.append(request)

    # --- faults and cache headers ------------------------------------------------------------

    def fail(self, path: str, status: int, times: int | None = None) -> None:
        """Answer ``path`` with ``status`` (and a short body)."""
        self._set_fault("fail", path, status, times)

    def delay(self, path: str, seconds: float, times: int | None = None) -> None:
        """Sleep ``seconds`` before answering ``path``."""
        self._set_fault("delay", path, seconds, times)

    def truncate(self, path: str, nbytes: int, times: int | None = None) -> None:
        """Send the full Content-Length but only ``nbytes`` of body, then close."""
        self._set_fault("truncate", path, nbytes, times)

    def corrupt(self, path: str, times: int | None = None) -> None:
        """Serve different bytes of the same length (validators unchanged)."""
        self._set_fault("corrupt", path, 0, times)

    def trickle(self, path: str, seconds_per_byte: float, times: int | None = None) -> None:
        """Send the headers at once, then the body one byte every ``seconds_per_byte``."""
        self._set_fault("trickle", path, seconds_per_byte, times)

    def mount(self, root: str, *filenames: str) -> str:
        """List files already served (by filename) on another index of this server, at
        ``root`` (``/whl/cu128``), besides ``/simple/``; its URL."""
        root = "/" + root.strip("/")
        with self._lock:
            missing = [name for name in filenames if name not in self._files]
            if missing:
                raise KeyError(missing)
            self._mounts.setdefault(root, set()).update(filenames)
            self._root_modified = self._tick()
            for name in filenames:
                self._project_modified[self._files[name].project] = self._root_modified
        return f"{self.url}{root}"

    def respond(self, path: str, body: bytes, headers: dict[str, str] | None = None,
                status: int = 200) -> None:
        """Answer ``path`` with exactly this status, headers and body (until
        :meth:`clear_faults`): hostile pages, encodings, ``Retry-After``..."""
        with self._lock:
            self._canned[path] = (status, dict(headers or {}), body)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._canned.clear()

    def set_cache_control(self, value: str | None, prefix: str = "/") -> None:
        """Cache-Control for paths under ``prefix`` (longest prefix wins); None: no header.

        E.g. ``set_cache_control("max-age=31536000, immutable", "/files/")`` or
        ``set_cache_control("no-store")``.
        """
        with self._lock:
            self._cache_control[prefix] = value

    def set_max_age(self, seconds: int, prefix: str = "/") -> None:
        self.set_cache_control(f"max-age={seconds}", prefix)

    def _set_fault(self, kind: str, path: str, value: float, times: int | None) -> None:
        with self._lock:
            self._faults[(kind, path)] = _Fault(times, value)

    def _take_fault(self, kind: str, path: str) -> float | None:
        """The fault's value if one applies to this request (consuming one use)."""
        with self._lock:
            fault = self._faults.get((kind, path))
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[(kind, path)]
            return fault.value

    def _cache_control_for(self, path: str) -> str | None:
        with self._lock:
            prefix = max((p for p in self._cache_control if path.startswith(p)), key=len)
            return self._cache_control[prefix]

    # --- pages -------------------------------------------------------------------------------

    def _root_page(self, fmt: str) -> _Resource:
        with self._lock:
            projects = sorted({f.project for f in self._files.values()})
            modified = self._root_modified
        if fmt == SIMPLE_JSON:
            doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
            body = json.dumps(doc, indent=1).encode()
        else:
            links = "".join(f'    <a href="{quote(p)}/">{p}</a><br/>\n' for p in projects)
            body = _html_document("Simple index", links)
        return _Resource(body, _content_type(fmt), modified, vary_accept=True)

    def _project_page(self, project: str, fmt: str, mount: str | None = None
                      ) -> _Resource | None:
        with self._lock:
            listed = None if mount is None else self._mounts[mount]
            files = [f for f in self._files.values() if f.project == project
                     and (listed is None or f.filename in listed)]
            modified = self._project_modified.get(project, self._root_modified)
        if not files:
            return None
        with_metadata = self.metadata_files
        up = "../" * (2 if mount is None else mount.count("/") + 1)
        if fmt == SIMPLE_JSON:
            body = json.dumps(_project_json(project, files, with_metadata, up),
                              indent=1).encode()
        else:
            links = "".join(_anchor(f, with_metadata, up) for f in files)
            body = _html_document(f"Links for {project}", links)
        return _Resource(body, _content_type(fmt), modified, vary_accept=True)

    def _file(self, name: str) -> _Resource | None:
        with self._lock:
            if name.endswith(".metadata") and name[: -len(".metadata")] in self._files:
                dist = self._files[name[: -len(".metadata")]]
                if dist.metadata is None or not self.metadata_files:
                    return None
                return _Resource(dist.metadata, "application/octet-stream", dist.modified)
            dist_file = self._files.get(name)
        if dist_file is None:
            return None
        return _Resource(dist_file.data, "application/octet-stream", dist_file.modified)


def _upload_time(f: _File) -> str | None:
    if f.upload_time is None:
        return None
    return f.upload_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _content_type(fmt: str) -> str:
    return "text/html; charset=utf-8" if fmt == TEXT_HTML else fmt


def _html_document(title: str, links: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.1">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{links}  </body>\n</html>\n"
    ).encode()


def _anchor(f: _File, with_metadata: bool, up: str = "../../") -> str:
    fragment = "&".join(f"{a}={d}" for a, d in f.listed_hashes().items())
    attrs = [f'href="{up}files/{quote(f.filename)}{"#" if fragment else ""}{fragment}"']
    if f.requires_python:
        attrs.append(f'data-requires-python="{html.escape(f.requires_python)}"')
    if f.yanked is not False:
        reason = f.yanked if isinstance(f.yanked, str) else ""
        attrs.append(f'data-yanked="{html.escape(reason)}"')
    if with_metadata and f.metadata is not None:
        value = "&".join(f"{a}={d}" for a, d in f.listed_metadata_hashes().items()) or "true"
        attrs.append(f'data-dist-info-metadata="{value}"')
        attrs.append(f'data-core-metadata="{value}"')
    return f"    <a {' '.join(attrs)}>{html.escape(f.filename)}</a><br/>\n"


def _project_json(project: str, files: list[_File], with_metadata: bool,
                  up: str = "../../") -> dict[str, Any]:
    entries = []
    for f in files:
        metadata: dict[str, str] | bool = False
        if with_metadata and f.metadata is not None:
            metadata = f.listed_metadata_hashes() or True
        entries.append(
            {
                "filename": f.filename,
                "url": f"{up}files/{quote(f.filename)}",
                "hashes": f.listed_hashes(),
                "requires-python": f.requires_python,
                "yanked": f.yanked,
                "core-metadata": metadata,
                "dist-info-metadata": metadata,
                "size": len(f.data),
                "upload-time": _upload_time(f),
            }
        )
    versions = list(dict.fromkeys(f.version for f in files if f.version is not None))
    return {
        "meta": {"api-version": "1.1"},
        "name": project,
        "versions": versions,
        "files": entries,
    }


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: when a client opens its 50 connections at
    # once and the accepting thread is slow to run (a loaded machine), the kernel drops the
    # extra SYNs and each waits the 1 s retransmit, which shows as a stalled command.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: Callable[..., Any], index: IndexServer
    ) -> None:
        self.index = index
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.tls_context: ssl.SSLContext | None = None
        if index.tls is not None:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(*index.tls)
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens here, in the connection's own thread: a client that never
        # completes it does not hold up the others.
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        try:
            wrapped = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that does not trust the certificate hangs up
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()

    def close_connections(self) -> None:
        # Wake handler threads blocked on idle keep-alive connections.
        with self.connections_lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError | ssl.SSLError):
            super().handle_error(request, client_address)  # a real bug: show the traceback


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY, header/body writes hit Nagle + delayed ACK: ~40 ms per response.
    disable_nagle_algorithm = True
    timeout = 60
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):  # the client may already be gone
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        index = self.server.index
        path = unquote(urlsplit(self.path).path)
        index._record(Request(self.command, path, {k.lower(): v for k, v in self.headers.items()}))
        if index.auth is not None:
            expected = "Basic " + base64.b64encode(":".join(index.auth).encode()).decode()
            if self.headers.get("Authorization") != expected:
                body = b"credentials needed\n"
                self._send(401, {"WWW-Authenticate": 'Basic realm="index"',
                                 "Content-Length": str(len(body)), "Cache-Control": "no-store"},
                           body)
                return
        delay = index._take_fault("delay", path)
        if delay:
            time.sleep(delay)
        status = index._take_fault("fail", path)
        if status is not None:
            self._send_error(int(status), f"injected failure for {path}")
            return
        with index._lock:
            canned = index._canned.get(path)
        if canned is not None:
            code, headers, body = canned
            self._send(code, {"Content-Length": str(len(body)), **headers}, body)
            return

        if path == "/simple":
            self._redirect(path, "/simple/")
            return
        if path == "/simple/":
            fmt = self._format()
            if fmt is not None:
                self._send_resource(path, index._root_page(fmt))
            return
        match = re.fullmatch(r"/simple/([^/]+)(/?)", path)
        if match:
            name, slash = match.groups()
            if name != normalize_name(name) or not slash:
                self._redirect(path, f"/simple/{quote(normalize_name(name))}/")
                return
            fmt = self._format()
            if fmt is None:
                return
            page = index._project_page(name, fmt)
            if page is None:
                self._send_error(404, f"no such project: {name}")
                return
            self._send_resource(path, page)
            return
        root, _, rest = path.rstrip("/").rpartition("/")
        if root in index._mounts and rest:
            if not path.endswith("/") or rest != normalize_name(rest):
                self._redirect(path, f"{root}/{quote(normalize_name(rest))}/")
                return
            fmt = self._format()
            if fmt is None:
                return
            page = index._project_page(rest, fmt, root)
            if page is None:
                self._send_error(404, f"no such project: {rest}")
                return
            self._send_resource(path, page)
            return
        if path.startswith("/files/"):
            resource = index._file(path[len("/files/") :])
            if resource is not None:
                self._send_resource(path, resource)
                return
        self._send_error(404, f"not found: {path}")

    def _format(self) -> str | None:
        fmt = _negotiate(self.headers.get("Accept")) if self.server.index.json_api else TEXT_HTML
        if fmt is None:
            self._send_error(406, "none of the simple API formats is acceptable")
        return fmt

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_error(self, status: int, message: str) -> None:
        body = (message + "\n").encode()
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Length": str(len(body)),
            "Cache-Control": "no-store",
        }
        self._send(status, headers, body)

    def _redirect(self, path: str, location: str) -> None:
        body = f"Moved to {location}\n".encode()
        headers = {"Location": location, "Content-Length": str(len(body))}
        cache_control = self.server.index._cache_control_for(path)
        if cache_control is not None:
            headers["Cache-Control"] = cache_control
        self._send(301, headers, body)

    def _send_resource(self, path: str, resource: _Resource) -> None:
        index = self.server.index
        etag = _etag(resource.body)
        headers: dict[str, str] = {}
        cache_control = index._cache_control_for(path)
        if cache_control is not None:
            headers["Cache-Control"] = cache_control
        if index.etag:
            headers["ETag"] = etag
        if index.last_modified:
            headers["Last-Modified"] = _http_date(resource.modified)
        if resource.vary_accept:
            headers["Vary"] = "Accept"
        if self._not_modified(etag if index.etag else None, resource.modified):
            self._send(304, headers, b"")
            return

        headers["Content-Type"] = resource.content_type
        status, body = 200, resource.body
        range_header = self.headers.get("Range")
        if index.ranges:
            headers["Accept-Ranges"] = "bytes"
            if_range = self.headers.get("If-Range")
            if range_header and (if_range is None or if_range.strip() == etag):
                byte_range = _parse_range(range_header, len(body))
                if byte_range is False:
                    headers["Content-Range"] = f"bytes */{len(body)}"
                    headers["Content-Length"] = "0"
                    self._send(416, headers, b"")
                    return
                if isinstance(byte_range, tuple):
                    start, end = byte_range
                    status, body = 206, body[start : end + 1]
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(resource.body)}"
        headers["Content-Length"] = str(len(body))

        if self.command != "HEAD":
            if index._take_fault("corrupt", path) is not None:
                body = bytes(b ^ 0xFF for b in body)
            nbytes = index._take_fault("truncate", path)
            if nbytes is not None:
                self._send(status, headers, body[: int(nbytes)])
                self.close_connection = True
                return
            interval = index._take_fault("trickle", path)
            if interval is not None:
                self._send(status, headers, b"")
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(interval)
                return
        self._send(status, headers, body)

    def _not_modified(self, etag: str | None, modified: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            # Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return etag is not None and ("*" in tags or etag in tags)
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since and self.server.index.last_modified:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
            except (TypeError, ValueError):
                return False
            return modified <= since
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.index",
        description="Serve every wheel/sdist under DIR as a simple package index.",
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = IndexServer(port=args.port)
    served = 0
    for path in sorted(args.directory.rglob("*")):
        if path.is_file() and is_distribution(path.name):
            try:
                server.add_file(path)
                served += 1
            except ValueError as exc:
                print(f"skipping {path}: {exc}")
    with server:
        try:
            # Inside the try: a Ctrl-C may come as soon as the line is read, before the
            # print returns.
            print(f"Serving {served} files at {server.index_url} (Ctrl-C to stop)", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
