"""The process-wide HTTP client: urllib3 connection pools used from a thread pool.

Why threads and not asyncio/httpx (DESIGN §6): urllib3 releases the GIL on sockets, costs
~0.3-0.5 ms per request here against ~2 ms for httpx's async client, and asyncio alone costs
~40 ms of import. urllib3 and TLS are imported on the first real request only.

Retries (``PYFFIN_HTTP_RETRIES``, default 3) with exponential backoff cover connection errors,
timeouts, 5xx/429 answers and truncated bodies; the concurrency limit
(``PYFFIN_CONCURRENT_DOWNLOADS``, default 50) bounds requests in flight; ``PYFFIN_HTTP_TIMEOUT``
(default 30 s) bounds each connect and read. TLS verifies against the system trust store
(truststore) unless ``SSL_CERT_FILE`` or a configured certificate bundle names a file. Proxies come
from ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and ``NO_PROXY``.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

from pyffin import __version__, log
from pyffin.client.auth import Credentials, redact, strip_credentials
from pyffin.client.errors import (
    AuthenticationError,
    ConnectError,
    HttpStatusError,
    NetworkError,
    OfflineError,
    RequestTimeout,
    TlsError,
)
from pyffin.errors import UsageError
from pyffin.futures import Future, ThreadPool
from pyffin.interrupt import Interrupted, check, interrupted, sleep

if TYPE_CHECKING:
    import urllib3

T = TypeVar("T")
USER_AGENT = f"pyffin/{__version__}"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CHUNK = 1 << 18


def _env_number(name: str, default: float, *, integer: bool = False) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise UsageError(f"invalid value for {name}: {raw!r} (expected a number)") from None
    if value < 0:
        raise UsageError(f"invalid value for {name}: {raw!r} (must not be negative)")
    return value


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout: float = 30.0
    retries: int = 3
    concurrency: int = 50
    #: A CA bundle to trust instead of the system store (``SSL_CERT_FILE``, pip's ``cert``).
    ca_bundle: str | None = None
    offline: bool = False
    #: Base of the exponential backoff between retries, in seconds.
    backoff: float = 0.1

    @classmethod
    def from_env(cls, *, offline: bool = False, ca_bundle: str | None = None) -> HttpSettings:
        concurrency = int(_env_number("PYFFIN_CONCURRENT_DOWNLOADS", 50, integer=True))
        if concurrency < 1:
            raise UsageError("invalid value for PYFFIN_CONCURRENT_DOWNLOADS: must be at least 1")
        return cls(
            timeout=_env_number("PYFFIN_HTTP_TIMEOUT", 30.0) or 30.0,
            retries=int(_env_number("PYFFIN_HTTP_RETRIES", 3, integer=True)),
            concurrency=concurrency,
            ca_bundle=os.environ.get("SSL_CERT_FILE") or ca_bundle,
            offline=offline,
        )


@dataclass(slots=True)
class Response:
    """A complete response (status, lower-case headers, body) and when it was requested."""

    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    request_time: float
    response_time: float


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying."""

    def __init__(self, error: NetworkError) -> None:
        self.error = error


class HttpClient:
    """Connection pools, credentials and a thread pool shared by every request of a process."""

    def __init__(self, settings: HttpSettings | None = None,
                 credentials: Credentials | None = None) -> None:
        self.settings = settings or HttpSettings.from_env()
        self.credentials = credentials or Credentials()
        self._semaphore = threading.BoundedSemaphore(self.settings.concurrency)
        self._lock = threading.Lock()
        self._pools: dict[tuple[str | None, bool], urllib3.PoolManager] = {}
        self._executor: ThreadPool | None = None

    # ----------------------------------------------------------------------------- public
    @property
    def executor(self) -> ThreadPool:
        """The process's I/O thread pool (created on first use; daemon threads, so that an
        interrupted command does not wait for them)."""
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPool(self.settings.concurrency, "pyffin-io")
        return self._executor

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` in the I/O pool; its result (or exception) arrives in the future."""
        future: Future[T] = Future()
        self.executor.submit(future.run, fn)
        return future

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url`` and read the whole body; retry transient failures. Any final status is
        returned (callers decide what a 404 means) except 401/403 and 5xx, which raise."""
        chunks: list[bytes] = []
        response = self._request(url, headers, chunks.append, chunks.clear)
        response.content = b"".join(chunks)
        return response

    def stream(self, url: str, sink: Callable[[bytes], None], reset: Callable[[], None], *,
               headers: Mapping[str, str] | None = None, not_modified: bool = False
               ) -> Response:
        """GET ``url`` and feed the body to ``sink`` chunk by chunk; ``reset`` is called before
        a retry so the sink can start over. Raises for any status but 200/206 (and 304 with
        ``not_modified``, the answer to a conditional request)."""
        response = self._request(url, headers, sink, reset)
        if not_modified and response.status == 304:
            return response
        if response.status not in (200, 206):
            raise HttpStatusError(f"failed to download {redact(url)}: HTTP {response.status}",
                                  url=redact(url), status=response.status)
        return response

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None
        for pool in self._pools.values():
            pool.clear()
        self._pools.clear()

    # --------------------------------------------------------------------------- internals
    def _request(self, url: str, headers: Mapping[str, str] | None,
                 sink: Callable[[bytes], None], reset: Callable[[], None]) -> Response:
        shown = redact(url)
        if url.startswith("file:"):
            return _read_file(url, sink)
        if self.settings.offline:
            raise OfflineError(f"cannot fetch {shown} while offline", url=shown,
                               hint="drop --offline to allow network access")
        request_headers = {"User-Agent": USER_AGENT}
        request_headers.update(headers or {})
        authorization = self.credentials.authorization(url)
        if authorization:
            request_headers["Authorization"] = authorization
        clean_url = strip_credentials(url)

        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            check()
            try:
                with self._semaphore:
                    return self._attempt(clean_url, shown, request_headers, sink)
            except _Retry as retry:
                if attempt + 1 >= attempts:
                    raise retry.error from retry.error.__cause__
                delay = self.settings.backoff * (2 ** attempt) * (1 + random.random() / 2)
                log.debug(f"Retrying {shown} in {delay:.2f}s after: {retry.error}")
                reset()
                sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(self, url: str, shown: str, headers: dict[str, str],
                 sink: Callable[[bytes], None]) -> Response:
        import urllib3

        pool = self._pool_for(url)
        request_time = time.time()
        try:
            raw = pool.urlopen(
                "GET", url, headers=headers, preload_content=False, decode_content=True,
                redirect=True, retries=_redirects_only(),
                timeout=urllib3.Timeout(connect=self.settings.timeout,
                                        read=self.settings.timeout),
            )
        except Exception as e:
            raise _classify(e, shown) from e
        try:
            status = raw.status
            response_headers = {k.lower(): v for k, v in raw.headers.items()}
            # urllib3 reports the final location as a path when it stayed on the same host.
            final_url = urljoin(url, raw.geturl() or url)
            if status in _RETRY_STATUSES:
                raw.drain_conn()
                raise _Retry(HttpStatusError(
                    f"{shown} answered HTTP {status} {raw.reason or ''}".rstrip(),
                    url=shown, status=status))
            if status in (401, 403):
                raw.drain_conn()
                raise AuthenticationError(
                    f"{shown} refused access (HTTP {status}): check the credentials for "
                    f"{urlsplit(url).hostname}", url=shown, status=status,
                    hint="credentials are taken from the URL (https://user:pass@host/...) or "
                         "~/.netrc")
            if status >= 500:
                raw.drain_conn()
                raise HttpStatusError(f"{shown} answered HTTP {status}", url=shown, status=status)
            if status not in (200, 206):
                raw.drain_conn()
            else:
                try:
                    for chunk in raw.stream(_CHUNK):
                        if interrupted():  # Ctrl-C: stop between chunks
                            raise Interrupted()
                        sink(chunk)
                except Exception as e:
                    raise _classify(e, shown, reading=True) from e
            return Response(str(final_url), status, response_headers, b"", request_time,
                            time.time())
        finally:
            raw.release_conn()

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        import urllib.request

        parts = urlsplit(url)
        proxies = urllib.request.getproxies_environment()
        proxy = proxies.get(parts.scheme) or proxies.get("all")
        # ``proxy_bypass_environment`` honours NO_PROXY; typeshed does not declare it.
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        if proxy and bypass(parts.hostname or "", proxies):
            proxy = None
        # TLS is set up only for HTTPS: loading the system trust store costs ~0.5 s here, and
        # a local or plain-HTTP index never needs it.
        key = (proxy, parts.scheme == "https" or bool(proxy and proxy.startswith("https")))
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = self._make_pool(*key)
                    self._pools[key] = pool
        return pool

    def _make_pool(self, proxy: str | None, tls: bool) -> urllib3.PoolManager:
        import urllib3

        kwargs: dict[str, Any] = {"num_pools": 16, "maxsize": self.settings.concurrency}
        if tls:
            kwargs["ssl_context"] = self._ssl_context()
        if proxy:
            return urllib3.ProxyManager(proxy, **kwargs)
        return urllib3.PoolManager(**kwargs)

    def _ssl_context(self) -> Any:
        import ssl

        bundle = self.settings.ca_bundle
        if bundle:
            if not os.path.isfile(bundle):
                raise UsageError(f"the certificate bundle {bundle} does not exist "
                                 "(from SSL_CERT_FILE or the configured cert)")
            return ssl.create_default_context(cafile=bundle)
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _redirects_only() -> Any:
    import urllib3

    return urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=10,
                         raise_on_redirect=True, raise_on_status=False)


def _classify(error: Exception, shown: str, *, reading: bool = False) -> Exception:
    """Map a urllib3 exception to a pyffin error, wrapped in ``_Retry`` when transient."""
    import urllib3.exceptions as u

    reason: BaseException = error
    if isinstance(error, u.MaxRetryError) and error.reason is not None:
        reason = error.reason
    if isinstance(reason, u.SSLError):
        return TlsError(f"TLS error talking to {shown}: {_first_line(reason)}", url=shown,
                        hint="set SSL_CERT_FILE to a CA bundle if the server uses a private CA")
    if isinstance(reason, u.ResponseError) and "redirect" in str(reason):
        return ConnectError(f"too many redirects fetching {shown}", url=shown)
    if isinstance(reason, (u.NewConnectionError, u.ProxyError)):  # (a ConnectTimeoutError!)
        return _Retry(ConnectError(f"failed to connect to {shown}: {_first_line(reason)}",
                                   url=shown))
    if isinstance(reason, (u.ConnectTimeoutError, u.ReadTimeoutError, TimeoutError)):
        return _Retry(RequestTimeout(f"timed out fetching {shown}", url=shown,
                                     hint="raise PYFFIN_HTTP_TIMEOUT for slow networks"))
    if isinstance(reason, u.ProtocolError) or reading:
        return _Retry(ConnectError(
            f"the connection to {shown} broke before the response was complete "
            f"({_first_line(reason)})", url=shown))
    if isinstance(reason, (OSError, u.HTTPError)):
        return _Retry(ConnectError(f"failed to connect to {shown}: {_first_line(reason)}",
                                   url=shown))
    return error


def _first_line(error: BaseException) -> str:
    text = (str(error).strip() or type(error).__name__).splitlines()[0]
    # urllib3 prefixes messages with the connection object's repr: drop it.
    if text.startswith(("HTTPConnection(", "HTTPSConnection(")) and "): " in text:
        text = text.split("): ", 1)[1]
    return text


def _read_file(url: str, sink: Callable[[bytes], None]) -> Response:
    """``file://`` URLs: a directory answers with its ``index.html`` (local simple indexes)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if os.path.isdir(path):
        path = os.path.join(path, "index.html")
    now = time.time()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                sink(chunk)
    except FileNotFoundError:
        return Response(url, 404, {}, b"", now, now)
    except OSError as e:
        raise NetworkError(f"cannot read {url}: {e.strerror or e}", url=url) from e
    return Response(url, 200, {}, b"", now, time.time())
