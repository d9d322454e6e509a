"""The process-wide HTTP client: urllib3 connection pools used from the I/O thread pool.

Why threads and not asyncio/httpx (DESIGN §6): urllib3 releases the GIL on sockets, costs
~0.3-0.5 ms per request here against ~2 ms for httpx's async client, and asyncio alone costs
~40 ms of import. urllib3 and TLS are imported on the first real request only.

Retries (``PYFFIN_HTTP_RETRIES``, default 3) cover connection errors, timeouts, TLS handshakes
cut short, 5xx/429 answers and truncated bodies; they back off exponentially from 1 s with
jitter (about 7 s in all, as uv and pip wait), and honour a ``Retry-After`` of up to a minute,
so a brief outage does not fail the command. The concurrency limit
(``PYFFIN_CONCURRENT_DOWNLOADS``, default 50) bounds requests in flight.

Two clocks bound a request. ``PYFFIN_HTTP_TIMEOUT`` (default 30 s) bounds each connect and
each wait for data: a silent server. ``PYFFIN_HTTP_DEADLINE`` (default 300 s) bounds the whole
transfer, extended by one second per 4 KiB received: a server that trickles a byte a second is
abandoned after about five minutes, while a large wheel on a slow but steady link (anything
averaging 4 KiB/s or more) is never cut off — a fixed total would have to choose between the
two. Responses read into memory (pages, metadata) may decode to at most
``PYFFIN_MAX_PAGE_BYTES`` (default 256 MiB), gzip included.

TLS verifies certificates against the system's trust store (what uv's
``--native-tls``/``--system-certs`` asks for, and pip's default: truststore on macOS and
Windows, the CA files OpenSSL reads elsewhere, loaded once), unless ``--cert`` (pip's
``cert``, in any of its spellings) names a CA bundle, or else ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` do. Hosts named by ``--allow-insecure-host`` (pip's ``--trusted-host``) are not
verified at all; each host gets its own connection pool, so a redirect from such a host to
another is verified as usual. Proxies come from ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``
and ``NO_PROXY``.

A request the server refuses (HTTP 401/403) is sent once more when the credentials
(:mod:`pyffin.client.auth`) have something new to try: the keyring's answer.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from pyffin import log
from pyffin._version import __version__
from pyffin.client.auth import Credentials
from pyffin.client.errors import (
    AuthenticationError,
    ConnectError,
    DownloadStatusError,
    HttpStatusError,
    NetworkError,
    OfflineError,
    RequestTimeout,
    ResponseTooLargeError,
    TlsError,
)
from pyffin.errors import PyffinError, UsageError
from pyffin.interrupt import Interrupted, check, interrupted
from pyffin.interrupt import sleep as interruptible_sleep
from pyffin.models.urls import redact, strip_credentials
from pyffin.records import record

if TYPE_CHECKING:
    import urllib3

USER_AGENT = f"pyffin/{__version__}"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CHUNK = 1 << 18
#: Bodies up to this size, not encoded, are read in the socket's own pieces (see
#: :meth:`HttpClient._read_chunks`).
_WHOLE_READ = 1 << 24


#: Bytes received that extend a request's deadline by one second (see the module docstring).
_DEADLINE_BYTES_PER_SECOND = 4096


@record
class HttpSettings:
    timeout: float = 30.0
    retries: int = 3
    concurrency: int = 50
    #: A CA bundle (file or directory) to trust instead of the system store (``--cert``).
    ca_bundle: str | None = None
    #: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``: trusted instead of the system store when no
    #: ``ca_bundle`` is given.
    ssl_cert_file: str | None = None
    ssl_cert_dir: str | None = None
    #: ``--allow-insecure-host``: hosts whose certificates are not verified.
    insecure_hosts: tuple[InsecureHost, ...] = ()
    offline: bool = False
    #: Base of the exponential backoff between retries, in seconds.
    backoff: float = 1.0
    #: The longest ``Retry-After`` honoured, in seconds (a longer one is cut to this).
    retry_after_max: float = 60.0
    #: Seconds a request may take, plus one per 4 KiB received.
    deadline: float = 300.0
    #: The most bytes a response read into memory may decode to.
    max_page_bytes: int = 256 * 1024 * 1024

    @classmethod
    def from_env(cls, *, offline: bool = False, ca_bundle: str | None = None,
                 insecure_hosts: tuple[InsecureHost, ...] = ()) -> HttpSettings:
        from pyffin.settings import concurrent_downloads, env_number, max_page_bytes

        return cls(
            timeout=env_number("PYFFIN_HTTP_TIMEOUT", 30.0) or 30.0,
            retries=int(env_number("PYFFIN_HTTP_RETRIES", 3, integer=True)),
            concurrency=concurrent_downloads(),
            ca_bundle=ca_bundle or None,
            ssl_cert_file=os.environ.get("SSL_CERT_FILE") or None,
            ssl_cert_dir=os.environ.get("SSL_CERT_DIR") or None,
            insecure_hosts=insecure_hosts,
            offline=offline,
            deadline=env_number("PYFFIN_HTTP_DEADLINE", 300.0) or 300.0,
            max_page_bytes=max_page_bytes(),
        )


@record
class InsecureHost:
    """A host whose HTTPS certificates are not verified (uv's ``--allow-insecure-host``):
    ``HOST``, ``HOST:PORT``, either with ``http://`` or ``https://`` in front, or ``*``."""

    host: str
    port: int | None = None
    scheme: str | None = None

    @classmethod
    def parse(cls, text: str) -> InsecureHost:
        """``ValueError`` says what is wrong with ``text``."""
        value = text.strip()
        if value == "*":
            return cls("*")
        scheme = None
        for prefix in ("https://", "http://"):
            if value.lower().startswith(prefix):
                scheme, value = prefix[:-3], value[len(prefix):]
        value = value.split("/", 1)[0]
        port_text: str | None
        if value.startswith("["):  # an IPv6 literal
            host, _, rest = value[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else rest or None
        else:
            host, sep, port_text = value.partition(":")
            port_text = port_text if sep else None
        if not host:
            raise ValueError(f"no host in {text!r} (expected HOST or HOST:PORT)")
        port = None
        if port_text is not None:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError(f"invalid port in {text!r}")
            port = int(port_text)
        return cls(host.lower(), port, scheme)

    def matches(self, scheme: str, host: str, port: int) -> bool:
        """Whether a connection to ``scheme://host:port`` (the port made explicit) is one."""
        if self.host == "*":
            return True
        return (host.strip("[]").lower() == self.host
                and (self.port is None or self.port == port)
                and (self.scheme is None or self.scheme == scheme))


def insecure_hosts(values: Sequence[str]) -> tuple[InsecureHost, ...]:
    """``values`` parsed; :class:`UsageError` names a bad one."""
    hosts = []
    for value in values:
        try:
            hosts.append(InsecureHost.parse(value))
        except ValueError as e:
            raise UsageError(f"invalid --allow-insecure-host value: {e}") from None
    return tuple(hosts)


@record(frozen=False)
class Response:
    """A complete response (status, lower-case headers, body) and when it was requested."""

    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    request_time: float
    response_time: float
    #: Whether the request carried credentials (a ``private`` answer is then not cached).
    authenticated: bool = False


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying (after ``retry_after`` seconds
    when the server said so)."""

    def __init__(self, error: NetworkError, retry_after: float | None = None) -> None:
        self.error = error
        self.retry_after = retry_after


class _TrustWidened(Exception):
    """Internal: a certificate did not verify against the system's certificate directory
    alone, and the system's bundle is loaded now: the request is made once more."""


class HttpClient:
    """Connection pools and credentials shared by every request of a process. It runs in the
    caller's thread: the I/O pool that runs requests side by side is the session's."""

    def __init__(self, settings: HttpSettings | None = None,
                 credentials: Credentials | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = interruptible_sleep) -> None:
        self.settings = settings or HttpSettings.from_env()
        self.credentials = credentials or Credentials()
        #: The clock of deadlines and the wait between retries (tests give their own).
        self.clock = clock
        self.sleep = sleep
        self._semaphore = threading.BoundedSemaphore(self.settings.concurrency)
        self._lock = threading.Lock()
        #: One pool manager per proxy (``None``: direct).
        self._pools: dict[str | None, urllib3.PoolManager] = {}
        #: The proxy (``None``: none) of a scheme and host, by the environment it was read
        #: from (see :meth:`_pool_for`).
        self._proxies: dict[tuple[str | int | None, ...], Any] = {}
        self._contexts: dict[bool, Any] = {}
        #: Host addresses, looked up once for every connection to the host.
        self.resolver = Resolver()
        #: Each host's connection pool, by pool manager and ``scheme://host[:port]``.
        self._host_pools: dict[tuple[int, str], Any] = {}
        #: urllib3's timeouts of every request (made on the first; urllib3 copies it).
        self._timeout: urllib3.Timeout | None = None

    # ----------------------------------------------------------------------------- public
    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url`` and read the whole body; retry transient failures. Any final status is
        returned (callers decide what a 404 means) except 401/403 and 5xx, which raise. A body
        that decodes to more than ``max_page_bytes`` is a :class:`ResponseTooLargeError`."""
        body = _Body(self.settings.max_page_bytes, redact(url))
        response = self._request(url, headers, body.add, body.clear)
        response.content = b"".join(body.chunks)
        return response

    def stream(self, url: str, sink: Callable[[bytes], None], reset: Callable[[], None], *,
               headers: Mapping[str, str] | None = None, not_modified: bool = False,
               on_status: Callable[[int], None] | None = None) -> Response:
        """GET ``url`` and feed the body to ``sink`` chunk by chunk; ``reset`` is called before
        a retry so the sink can start over, ``on_status`` with the status before the body.
        Raises for any status but 200/206 (and 304 with ``not_modified``, the answer to a
        conditional request)."""
        response = self._request(url, headers, sink, reset, on_status)
        if not_modified and response.status == 304:
            return response
        if response.status not in (200, 206):
            raise DownloadStatusError(
                f"failed to download {redact(url)}: HTTP {response.status}", url=redact(url),
                status=response.status)
        return response

    def close(self) -> None:
        for pool in self._pools.values():
            pool.clear()
        self._pools.clear()
        self._host_pools.clear()

    # --------------------------------------------------------------------------- internals
    def _request(self, url: str, headers: Mapping[str, str] | None,
                 sink: Callable[[bytes], None], reset: Callable[[], None],
                 on_status: Callable[[int], None] | None = None) -> Response:
        shown = redact(url)
        if url.startswith("file:"):
            return _read_file(url, sink, on_status)
        if self.settings.offline:
            raise OfflineError(f"cannot fetch {shown} while offline", url=shown,
                               hint="drop --offline to allow network access")
        request_headers = {"User-Agent": USER_AGENT}
        request_headers.update(headers or {})
        authorization = self.credentials.authorization(url)
        if authorization:
            request_headers["Authorization"] = authorization
        clean_url = strip_credentials(url)
        try:
            return self._with_retries(clean_url, shown, request_headers, sink, reset, on_status)
        except AuthenticationError:
            retry = self.credentials.refused(url, authorization)
            if retry is None:
                raise
        log.debug(f"Trying {shown} again with the keyring's credentials")
        request_headers["Authorization"] = retry
        reset()
        return self._with_retries(clean_url, shown, request_headers, sink, reset, on_status)

    def _with_retries(self, url: str, shown: str, headers: dict[str, str],
                      sink: Callable[[bytes], None], reset: Callable[[], None],
                      on_status: Callable[[int], None] | None) -> Response:
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            check()
            try:
                with self._semaphore:
                    try:
                        response = self._attempt(url, shown, headers, sink, on_status)
                    except _TrustWidened:
                        reset()
                        response = self._attempt(url, shown, headers, sink, on_status,
                                                 widened=True)
                response.authenticated = "Authorization" in headers
                return response
            except _Retry as retry:
                if attempt + 1 >= attempts:
                    raise retry.error from retry.error.__cause__
                delay = self.retry_delay(attempt, retry.retry_after)
                log.debug(f"Retrying {shown} in {delay:.2f}s after: {retry.error}")
                reset()
                self.sleep(delay)
        raise AssertionError("unreachable")

    def retry_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``: exponential from
        ``backoff`` with ±50 % jitter (so many clients do not come back at once), or the
        server's ``Retry-After`` when it asks for longer, up to ``retry_after_max``."""
        delay: float = self.settings.backoff * (2 ** attempt) * (0.5 + random.random())
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.settings.retry_after_max))
        return delay

    def _attempt(self, url: str, shown: str, headers: dict[str, str],
                 sink: Callable[[bytes], None],
                 on_status: Callable[[int], None] | None = None, *,
                 widened: bool = False) -> Response:
        urllib3 = _urllib3()
        proxy, manager = self._pool_for(url)
        timeout = self._timeout
        if timeout is None:
            timeout = self._timeout = urllib3.Timeout(connect=self.settings.timeout,
                                                      read=self.settings.timeout)
        request_time = time.time()
        started = self.clock()
        try:
            if proxy is None:
                raw, final_url = self._open_direct(manager, url, shown, headers, timeout)
            else:
                raw = manager.urlopen(
                    "GET", url, headers=headers, preload_content=False, decode_content=True,
                    redirect=True, retries=_redirects_only(), timeout=timeout,
                )
                final_url = _final_url(url, raw.geturl())
        except _TooManyRedirects:
            raise ConnectError(f"too many redirects fetching {shown}", url=shown) from None
        except Exception as e:
            context = self._contexts.get(False)
            if (not widened and context is not None and _certificate_refused(e)
                    and _trust_everything(context)):
                raise _TrustWidened() from e
            raise _classify(e, shown) from e
        try:
            status = raw.status
            response_headers = {k.lower(): v for k, v in raw.headers.items()}
            if status in _RETRY_STATUSES:
                raw.drain_conn()
                raise _Retry(HttpStatusError(
                    f"{shown} answered HTTP {status} {raw.reason or ''}".rstrip(),
                    url=shown, status=status), _retry_after(response_headers.get("retry-after")))
            if status in (401, 403):
                raw.drain_conn()
                raise AuthenticationError(
                    f"{shown} refused access (HTTP {status}): check the credentials for "
                    f"{urlsplit(url).hostname}", url=shown, status=status,
                    hint="credentials are taken from the URL (https://user:pass@host/...), "
                         "~/.netrc, or with --keyring-provider subprocess the keyring")
            if status >= 500:
                raw.drain_conn()
                raise HttpStatusError(f"{shown} answered HTTP {status}", url=shown, status=status)
            if status not in (200, 206):
                raw.drain_conn()
            else:
                if on_status is not None:
                    on_status(status)
                self._read_body(raw, shown, sink, started)
            return Response(final_url, status, response_headers, b"", request_time,
                            time.time())
        finally:
            raw.release_conn()

    def _open_direct(self, manager: urllib3.PoolManager, url: str, shown: str,
                     headers: dict[str, str], timeout: urllib3.Timeout) -> tuple[Any, str]:
        """GET ``url`` on its host's connection pool, following redirects as urllib3's pool
        manager does (up to :data:`_MAX_REDIRECTS`; credentials and cookies are not sent on
        to another host): the response, its body unread, and the URL that gave it.

        The pool manager's own ``urlopen`` parses the URL again and looks its pool up by a
        normalized key on every request; going to the host's pool directly saves that
        (~0.1 ms of CPU a request: a cold resolve makes hundreds)."""
        for redirects in range(_MAX_REDIRECTS + 1):
            origin, target = _split_target(url)
            pool = self._host_pool(manager, origin)
            raw = pool.urlopen(
                "GET", target, headers=headers, preload_content=False,
                decode_content=True, redirect=False, retries=_redirects_only(),
                timeout=timeout, assert_same_host=False,
            )
            location = raw.get_redirect_location()
            if not location:
                return raw, url
            raw.drain_conn()
            raw.release_conn()
            if redirects == _MAX_REDIRECTS:
                raise _TooManyRedirects()
            target = urljoin(url, location)
            log.debug(f"Redirected from {shown} to {redact(target)}")
            if not pool.is_same_host(target):
                headers = {k: v for k, v in headers.items()
                           if k.lower() not in _NOT_SENT_ON_REDIRECT}
            url = target
        raise AssertionError("unreachable")

    def _host_pool(self, manager: urllib3.PoolManager, origin: str) -> Any:
        """The connection pool of the host ``origin`` names (``scheme://host[:port]``), as
        ``manager`` made it, looked up once (urllib3 2 never closes a pool it stops keeping:
        one kept here goes on working)."""
        key = (id(manager), origin)
        pool = self._host_pools.get(key)
        if pool is None:
            pool = self._host_pools[key] = manager.connection_from_url(origin)
        return pool

    def _read_body(self, raw: Any, shown: str, sink: Callable[[bytes], None],
                   started: float) -> None:
        """Feed the (decoded) body to ``sink`` as it arrives, within the deadline. ``read1``
        returns whatever one read of the socket gives, so a server that trickles bytes cannot
        hold a read open past the deadline."""
        try:
            self._read_chunks(raw, shown, sink, started)
        except BaseException:
            raw.close()  # what is left unread must not reach the next request on the connection
            raise

    def _read_chunks(self, raw: Any, shown: str, sink: Callable[[bytes], None],
                     started: float) -> None:
        received = 0
        deadline = self.settings.deadline
        # What one read may return: a body that is not encoded and not large arrives in
        # whatever pieces the socket gives (``read1()`` hands them over as they are; with a
        # size, urllib3 copies every piece shorter than that size once more).
        remaining = raw.length_remaining
        amount = (None if remaining is not None and remaining <= _WHOLE_READ
                  and "content-encoding" not in raw.headers else _CHUNK)
        try:
            while chunk := raw.read1(amount):
                if interrupted():  # Ctrl-C: stop between chunks
                    raise Interrupted()
                sink(chunk)
                received += len(chunk)
                elapsed = self.clock() - started
                if elapsed > deadline + received / _DEADLINE_BYTES_PER_SECOND:
                    raise RequestTimeout(
                        f"{shown} did not finish in {elapsed:.0f} s ({received} bytes received, "
                        f"under {_DEADLINE_BYTES_PER_SECOND // 1024} KiB/s)", url=shown,
                        hint="raise PYFFIN_HTTP_DEADLINE for very slow networks")
            if amount is None and raw.length_remaining:  # urllib3 checks only sized reads
                from urllib3.exceptions import IncompleteRead, ProtocolError

                short = IncompleteRead(received, raw.length_remaining)
                raise ProtocolError(f"Connection broken: {short!r}", short)
        except PyffinError:
            raise  # the sink's own verdict, or the deadline: not worth a retry
        except Exception as e:
            raise _classify(e, shown, reading=True) from e

    def _pool_for(self, url: str) -> tuple[str | None, urllib3.PoolManager]:
        """The proxy of ``url`` (``None``: none) and the pool manager of requests through it."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        # Reading the proxy settings scans (and decodes) the whole environment, ~0.5 ms a
        # request: the answer is kept per scheme and host while the variables it can depend
        # on read the same (the environment's size stands for the rarely seen mixed-case
        # spellings, which ``getproxies_environment`` also honours).
        environ = os.environ
        snapshot = (scheme, host, len(environ), environ.get(f"{scheme}_proxy"),
                    environ.get(f"{scheme.upper()}_PROXY"), environ.get("all_proxy"),
                    environ.get("ALL_PROXY"), environ.get("no_proxy"), environ.get("NO_PROXY"),
                    environ.get("REQUEST_METHOD"))
        known = self._proxies.get(snapshot, _UNSEEN)
        if known is _UNSEEN:
            # Once, not by each of the pool's threads whose first requests start together
            # (a cold resolution's, a kept resolution's revalidation: dozens at once).
            with self._lock:
                known = self._proxies.get(snapshot, _UNSEEN)
                if known is _UNSEEN:
                    known = self._proxies[snapshot] = _proxy_for(scheme, host)
        proxy: str | None = known
        pool = self._pools.get(proxy)
        if pool is None:
            with self._lock:
                pool = self._pools.get(proxy)
                if pool is None:
                    pool = self._make_pool(proxy)
                    self._pools[proxy] = pool
        return proxy, pool

    def _make_pool(self, proxy: str | None) -> urllib3.PoolManager:
        import urllib3

        kwargs: dict[str, Any] = {"num_pools": 16, "maxsize": self.settings.concurrency}
        pool: urllib3.PoolManager
        if proxy:
            pool = _manager_class(urllib3.ProxyManager)(self, proxy, **kwargs)
        else:
            pool = _manager_class(urllib3.PoolManager)(self, **kwargs)
        return pool

    def tls_options(self, host: str, port: int) -> dict[str, Any]:
        """The TLS settings of a connection pool to ``host:port``. The trust store is loaded
        on the first HTTPS connection only (~0.5 s here): a local or plain-HTTP index never
        needs it."""
        insecure = any(h.matches("https", host, port) for h in self.settings.insecure_hosts)
        context = self._contexts.get(insecure)
        if context is None:
            with self._lock:
                context = self._contexts.get(insecure)
                if context is None:
                    context = self._contexts[insecure] = self._ssl_context(insecure=insecure)
        if insecure:
            import warnings

            from urllib3.exceptions import InsecureRequestWarning

            # The user asked for it: urllib3's warning on every request would only be noise.
            warnings.filterwarnings("ignore", category=InsecureRequestWarning)
            log.debug(f"Not verifying the certificate of {host}:{port} (--allow-insecure-host)")
            return {"ssl_context": context, "cert_reqs": "CERT_NONE", "assert_hostname": False}
        return {"ssl_context": context}

    def _ssl_context(self, *, insecure: bool = False) -> Any:
        import ssl

        if insecure:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        settings = self.settings
        bundle = settings.ca_bundle
        if bundle:
            if os.path.isdir(bundle):
                return ssl.create_default_context(capath=bundle)
            if not os.path.isfile(bundle):
                raise UsageError(f"the certificate bundle {bundle} does not exist (--cert, or "
                                 "pip's cert setting)")
            return ssl.create_default_context(cafile=bundle)
        if settings.ssl_cert_file or settings.ssl_cert_dir:
            for variable, path, exists in (
                    ("SSL_CERT_FILE", settings.ssl_cert_file, os.path.isfile),
                    ("SSL_CERT_DIR", settings.ssl_cert_dir, os.path.isdir)):
                if path and not exists(path):
                    raise UsageError(f"{variable} names {path}, which does not exist")
            return _variables_store_context(settings.ssl_cert_file, settings.ssl_cert_dir)
        if sys.platform in ("darwin", "win32"):  # the OS verifies: only truststore asks it
            import truststore

            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return _system_store_context()


#: urllib3 once imported (see :func:`_urllib3`), and the lock of its first import.
_URLLIB3: list[Any] = []
_URLLIB3_IMPORT = threading.Lock()


def _urllib3() -> Any:
    """urllib3, imported the first time by one thread (the others wait for it: a module
    being imported is in ``sys.modules`` before it is complete), without
    :mod:`importlib.metadata`.

    urllib3 imports ``importlib.metadata`` for ``version`` alone, which only its HTTP/2
    support calls (pyffin never turns it on); importing it imports ``importlib.abc``,
    ``importlib.resources``, ``zipfile``, ``csv`` and more: ~30M instructions, on every
    command that makes a request, before its first request can be sent. For the length of the
    import, ``importlib.metadata`` is a stand-in (:func:`_metadata_stand_in`); then it is
    gone, and whoever imports it gets the real module.

    The real module is imported after :mod:`importlib.resources`: its ``importlib.abc``
    imports the submodule ``importlib.resources.abc``, and the importing thread takes the
    submodule's import lock, then imports the package under it. A build thread importing the
    package at the same time (``pyproject_hooks`` does) holds the package's lock and wants the
    submodule's: each waits for the other, and Python raises ``_DeadlockError`` in one of
    them (seen once, an sdist install crashed). With the package imported first, every thread
    takes the two locks in the same order."""
    if _URLLIB3:
        return _URLLIB3[0]
    with _URLLIB3_IMPORT:
        if not _URLLIB3:
            if "urllib3" in sys.modules or "importlib.metadata" in sys.modules:
                _real_metadata()  # (imported already: this only keeps the lock order)
                import urllib3
            else:
                import importlib

                # In sys.modules and as the package's attribute, as an import would put it
                # (another thread's `import importlib.metadata` meanwhile reads the latter).
                stand_in = sys.modules["importlib.metadata"] = _metadata_stand_in()
                importlib.metadata = stand_in
                try:
                    import urllib3
                finally:
                    if sys.modules.get("importlib.metadata") is stand_in:
                        del sys.modules["importlib.metadata"]
                    if getattr(importlib, "metadata", None) is stand_in:
                        del importlib.metadata
            _URLLIB3.append(urllib3)
    return _URLLIB3[0]


def import_in_background() -> None:
    """Import urllib3 (:func:`_urllib3`) in a thread of its own now, for a command that will
    surely make requests but not at once: a cold install, whose page workers read the pages
    while its first download waits for their first answers, and would then wait for the
    import too."""
    if _URLLIB3:
        return
    from pyffin.futures import in_thread

    in_thread(_urllib3, "pyffin-http-import")


def _real_metadata() -> Any:
    """The real :mod:`importlib.metadata`, imported after :mod:`importlib.resources` (see
    :func:`_urllib3`)."""
    if sys.version_info >= (3, 11):  # a package since 3.11
        import importlib.resources
    import importlib.metadata

    return importlib.metadata


def _metadata_stand_in() -> Any:
    """A module standing in for :mod:`importlib.metadata` while urllib3 is imported: what
    it is asked for (``version``, when called; anything else, when looked up) comes from
    the real module, imported then."""
    stand_in = type(sys)("importlib.metadata")

    def version(distribution_name: str) -> str:
        found: str = _real_metadata().version(distribution_name)
        return found

    def __getattr__(name: str) -> Any:  # a module's (PEP 562)
        if name.startswith("__"):  # what the import system asks a module (``__path__``)
            raise AttributeError(f"module 'importlib.metadata' has no attribute {name!r}")
        if sys.modules.get("importlib.metadata") is stand_in:
            del sys.modules["importlib.metadata"]
        return getattr(_real_metadata(), name)  # (the import sets the package's attribute)

    stand_in.__dict__.update(version=version, __getattr__=__getattr__)
    return stand_in


#: Where a Linux or BSD system keeps its CA bundle, for a Python whose OpenSSL looks elsewhere
#: (a relocatable build such as python-build-standalone): the files truststore tries.
_CA_FILES = (
    "/etc/ssl/cert.pem",  # Alpine, Arch, Fedora 34-43, OpenWRT, RHEL 9-10, BSD
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora 44+, RHEL 11+
    "/etc/pki/tls/cert.pem",  # Fedora <= 34, RHEL/CentOS <= 9
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/ssl/ca-bundle.pem",  # SUSE
)


def _system_store_context() -> Any:
    """The system trust store as truststore reads it on Linux and the BSDs (OpenSSL's default
    locations, else the first of :data:`_CA_FILES`), made once per process. truststore itself
    loads the CA files again for every connection (~25 ms of CPU) and holds a lock around each
    TLS handshake, so a cold resolve's dozens of new connections shook hands one after another.

    Where the default directory holds certificates under their hash names (Debian, Ubuntu:
    the same certificates as the bundle file), only the directory is given at first: OpenSSL
    then reads the one certificate a handshake needs, where the bundle (~140 certificates) is
    parsed whole up front, ~35 ms of CPU, in every process that makes an HTTPS request. A
    certificate that does not verify that way has the bundle loaded too (see
    :func:`_trust_everything`) and its request made again: what is trusted is what OpenSSL's
    default locations trust, file and directory, as before."""
    import ssl

    defaults = ssl.get_default_verify_paths()
    hashed = bool(defaults.capath and _holds_hashed_certs(defaults.capath))
    where: tuple[str | None, ...] = (defaults.cafile, defaults.capath)
    if not (defaults.cafile or hashed):
        where = (next((cafile for cafile in _CA_FILES if os.path.isfile(cafile)), None),)
    context = _SYSTEM_CONTEXTS.get(where)
    if context is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates, hostnames
        deferred = None
        if len(where) == 2 and hashed and defaults.cafile:
            context.load_verify_locations(capath=defaults.capath)
            deferred = defaults.cafile
        elif len(where) == 2:
            context.set_default_verify_paths()
        elif where[0] is not None:
            context.load_verify_locations(cafile=where[0])
        context = _keep_context(where, context, deferred)  # (or another thread's, made since)
    return context


def _variables_store_context(cafile: str | None, capath: str | None) -> Any:
    """The trust store ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` name, made once per process as
    :func:`ssl.create_default_context` makes it. With both, and certificates under their hash
    names in the directory (CI images and corporate machines often set both to the system's
    own, as Debian keeps them), the file's loading is put off as :func:`_system_store_context`
    puts it off: parsing a bundle of ~140 certificates took every HTTPS process ~45 ms of CPU
    here, before its first request."""
    import ssl

    where = ("variables", cafile, capath)
    context = _SYSTEM_CONTEXTS.get(where)
    if context is None:
        deferred = None
        if cafile and capath and _holds_hashed_certs(capath):
            context = ssl.create_default_context(capath=capath)
            deferred = cafile
        else:
            context = ssl.create_default_context(cafile=cafile, capath=capath)
        context = _keep_context(where, context, deferred)
    return context


def _keep_context(where: tuple[str | None, ...], context: Any, deferred: str | None) -> Any:
    """``context`` kept as the one of ``where`` (or the one another thread kept meanwhile),
    with the loading of the bundle file ``deferred`` put off (see :func:`_trust_everything`)."""
    with _TRUST_LOCK:
        kept = _SYSTEM_CONTEXTS.setdefault(where, context)
        if kept is context and deferred is not None:
            _DEFERRED_BUNDLES[id(context)] = (context, deferred)
    return kept


def _trust_everything(context: Any) -> bool:
    """Load the bundle file whose loading :func:`_system_store_context` put off into
    ``context`` (a certificate did not verify against the directory alone); whether a request
    that failed that way is worth making again: the bundle is loaded now, or was since."""
    with _TRUST_LOCK:  # (held while it loads: a request made again meanwhile would fail)
        deferred = _DEFERRED_BUNDLES.pop(id(context), None)
        if deferred is None:
            return id(context) in _LOADED_BUNDLES
        log.debug("A certificate did not verify against the certificate directory alone: "
                  f"loading {deferred[1]} too")
        deferred[0].load_verify_locations(cafile=deferred[1])
        _LOADED_BUNDLES.add(id(context))
    return True


#: The trust stores' contexts, by where their certificates were read from (see
#: :func:`_system_store_context`, :func:`_variables_store_context`).
_SYSTEM_CONTEXTS: dict[tuple[str | None, ...], Any] = {}
#: Contexts (by id) that trust a certificate directory, with its bundle file not loaded yet
#: (see :func:`_trust_everything`); those that have it loaded since.
_DEFERRED_BUNDLES: dict[int, tuple[Any, str]] = {}
_LOADED_BUNDLES: set[int] = set()
_TRUST_LOCK = threading.Lock()


def _holds_hashed_certs(directory: str) -> bool:
    """Whether ``directory`` holds certificates under OpenSSL's ``<hash>.<n>`` names."""
    import re

    try:
        names = os.listdir(directory)
    except OSError:
        return False
    return any(re.fullmatch(r"[0-9a-fA-F]{8}\.[0-9]", name) for name in names)


_MANAGERS: dict[type, type] = {}


def _manager_class(base: type[urllib3.PoolManager]) -> Any:
    """``base`` whose HTTPS pools get their TLS settings from the client, host by host
    (``_new_pool`` is urllib3's documented place for that), so that a redirect to another host
    is checked by that host's rules."""
    manager = _MANAGERS.get(base)
    if manager is None:

        class Manager(base):  # type: ignore[misc, valid-type]
            def __init__(self, client: HttpClient, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.client = client

            def _new_pool(self, scheme: str, host: str, port: int,
                          request_context: dict[str, Any] | None = None) -> Any:
                if scheme == "https":
                    request_context = dict(self.connection_pool_kw if request_context is None
                                           else request_context)
                    request_context.update(self.client.tls_options(host, port))
                pool = super()._new_pool(scheme, host, port, request_context)
                pool.ConnectionCls = _resolving(pool.ConnectionCls, self.client.resolver)
                return pool

        manager = _MANAGERS.setdefault(base, Manager)
    return manager


class Resolver:
    """Each host's addresses, looked up once for all the connections a client opens to it
    (for ``ttl`` seconds). A cold resolve opens a score of connections to the index at once:
    as many lookups at once lose answers on some networks (a UDP reply dropped, as
    Kubernetes' and Docker's DNS paths are known to), and each lost one stalls its request
    for the resolver's 5 s timeout. Lookups of one host wait for the one in flight."""

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        #: (host, port) -> (when looked up, addresses), or the lookup in flight.
        self._known: dict[tuple[str, int], tuple[float, tuple[str, ...]] | threading.Event] = {}
        #: How many lookups were made (what the tests count).
        self.lookups = 0

    def addresses(self, host: str, port: int) -> tuple[str, ...] | None:
        """``host``'s addresses in the order to try them (as ``socket.getaddrinfo`` gives
        them), or ``None`` when the lookup failed: the caller's own lookup then says why."""
        key = (host, port)
        while True:
            with self._lock:
                known = self._known.get(key)
                if isinstance(known, tuple) and self.clock() - known[0] < self.ttl:
                    return known[1]
                if not isinstance(known, threading.Event):
                    flight = self._known[key] = threading.Event()
                    self.lookups += 1
                    break
            known.wait()
            with self._lock:
                if self._known.get(key) is None:  # that lookup failed: no waiting on a retry
                    return None
        found: tuple[str, ...] = ()
        try:
            found = self._look_up(host, port)
        finally:
            with self._lock:
                if self._known.get(key) is flight:
                    if found:
                        self._known[key] = (self.clock(), found)
                    else:
                        del self._known[key]
            flight.set()
        return found or None

    def _look_up(self, host: str, port: int) -> tuple[str, ...]:
        import socket

        _urllib3()  # (imported the one way: see there)
        from urllib3.util.connection import allowed_gai_family

        try:
            found = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return ()
        addresses: list[str] = []
        for family, _, _, _, address in found:
            ip = str(address[0])
            scope = address[3] if family == socket.AF_INET6 else 0  # type: ignore[misc]
            if scope:  # a link-local address names its interface
                ip = f"{ip}%{scope}"
            if ip not in addresses:
                addresses.append(ip)
        return tuple(addresses)


def _resolving(base: Any, resolver: Resolver) -> Any:
    """``base`` (a urllib3 connection class) connecting to the addresses ``resolver`` knows
    for its host, each in turn, as urllib3 does with the addresses it looks up itself; the
    host name is still what TLS verifies and what the request names. (A class per pool: a
    handful in a process.)"""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    class Connection(base):  # type: ignore[misc]
        _dns_host: str  # urllib3's: the host name connected to (``host`` without a final dot)

        def _new_conn(self) -> Any:
            host = self._dns_host
            addresses = None if _is_ip(host) else resolver.addresses(host, self.port)
            if not addresses:  # nothing to look up, or the lookup failed: urllib3 says why
                return super()._new_conn()
            try:
                for index, address in enumerate(addresses):
                    self._dns_host = address
                    try:
                        return super()._new_conn()
                    except (NewConnectionError, ConnectTimeoutError):
                        if index + 1 == len(addresses):
                            raise
            finally:
                self._dns_host = host
            raise AssertionError("unreachable")

    return Connection


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


#: Redirects followed for one request, as urllib3's ``Retry(redirect=10)``.
_MAX_REDIRECTS = 10
#: Request headers not sent on to another host after a redirect (urllib3's
#: ``Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT``).
_NOT_SENT_ON_REDIRECT = frozenset({"authorization", "proxy-authorization", "cookie"})


class _TooManyRedirects(Exception):
    """Internal: more than :data:`_MAX_REDIRECTS` redirects."""


def _split_target(url: str) -> tuple[str, str]:
    """``scheme://host[:port]`` of ``url`` and what its request line names: the path and
    query, without the fragment (urllib3's ``request_uri``)."""
    url = url.partition("#")[0]
    start = url.find("//") + 2
    end = len(url)
    for mark in "/?":
        found = url.find(mark, start)
        if 0 <= found < end:
            end = found
    target = url[end:]
    return url[:end], target if target.startswith("/") else "/" + target


def _final_url(url: str, location: str | None) -> str:
    """The URL a response through the pool manager came from: urllib3 reports it as a path
    when it stayed on the same host, and the request's own path (nearly always) is the URL
    asked for."""
    location = location or url
    if location == url or (location.startswith("/") and url.endswith(location)
                           and url.count("/", 0, len(url) - len(location)) == 2):
        return url
    return urljoin(url, location)


_REDIRECTS_ONLY: list[Any] = []


def _redirects_only() -> Any:
    """urllib3's retry policy of a request: follow redirects, retry nothing (pyffin retries
    itself). Made once: urllib3 never changes one, it makes a new one for each redirect."""
    if not _REDIRECTS_ONLY:
        import urllib3

        _REDIRECTS_ONLY.append(urllib3.Retry(
            total=None, connect=0, read=0, status=0, other=0, redirect=10,
            raise_on_redirect=True, raise_on_status=False))
    return _REDIRECTS_ONLY[0]


def _classify(error: Exception, shown: str, *, reading: bool = False) -> Exception:
    """Map a urllib3 exception to a pyffin error, wrapped in ``_Retry`` when transient."""
    import urllib3.exceptions as u

    reason: BaseException = error
    if isinstance(error, u.MaxRetryError) and error.reason is not None:
        reason = error.reason
    if isinstance(reason, u.SSLError):
        tls = TlsError(f"TLS error talking to {shown}: {_first_line(reason)}", url=shown,
                       hint="if the server uses a private CA, name its bundle with --cert (or "
                            "SSL_CERT_FILE); --allow-insecure-host HOST skips verification")
        return _Retry(tls) if _transient_tls(reason) else tls
    if isinstance(reason, u.DecodeError):
        return NetworkError(f"cannot decode the response of {shown} (its Content-Encoding): "
                            f"{_first_line(reason)}", url=shown)
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


#: How a TLS handshake cut short by the network reads (the server or a middlebox closed or
#: reset the connection, or it timed out): worth another try. A certificate that does not
#: verify, a protocol mismatch or plain HTTP on an HTTPS port is not.
_TRANSIENT_TLS = ("eof occurred in violation of protocol", "unexpected eof", "unexpected_eof",
                  "connection reset", "timed out", "connection aborted", "broken pipe")


def _linked(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps (urllib3's ``reason``, an argument, its cause or
    context), each once."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(linked for linked in (*getattr(current, "args", ()),
                                              getattr(current, "reason", None),
                                              current.__cause__, current.__context__)
                       if isinstance(linked, BaseException))


def _certificate_refused(error: BaseException) -> bool:
    """Whether ``error`` (urllib3's, or what it wraps) is a certificate that did not verify."""
    import ssl

    return any(isinstance(linked, ssl.SSLCertVerificationError) for linked in _linked(error))


def _transient_tls(error: BaseException) -> bool:
    import ssl

    if _certificate_refused(error):
        return False
    transient = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError, TimeoutError)
    if any(isinstance(linked, transient) for linked in _linked(error)):
        return True
    text = str(error).lower()
    return "certificate" not in text and any(marker in text for marker in _TRANSIENT_TLS)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delay-seconds or an HTTP date), if any."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from pyffin.client.policy import parse_http_date

    when = parse_http_date(value)
    return None if when is None else max(0.0, when - time.time())


class _Body:
    """The chunks of a body read into memory, refused once they decode to more than
    ``limit`` bytes."""

    __slots__ = ("chunks", "limit", "shown", "size")

    def __init__(self, limit: int, shown: str) -> None:
        self.chunks: list[bytes] = []
        self.limit = limit
        self.shown = shown
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise ResponseTooLargeError(
                f"the response of {self.shown} is larger than {self.limit} bytes (decoded)",
                url=self.shown,
                hint="raise PYFFIN_MAX_PAGE_BYTES if this server really serves pages that large")
        self.chunks.append(chunk)

    def clear(self) -> None:
        self.chunks.clear()
        self.size = 0


def _first_line(error: BaseException) -> str:
    text = (str(error).strip() or type(error).__name__).splitlines()[0]
    # urllib3 prefixes messages with the connection object's repr (``HTTPConnection(host=...,
    # port=...)``, or that of the connection class made per pool, ``Connection(...)``): drop it.
    head, separator, rest = text.partition("): ")
    if separator and head.partition("(")[0].endswith("Connection") and "(host=" in head:
        text = rest
    return text


def _read_file(url: str, sink: Callable[[bytes], None],
               on_status: Callable[[int], None] | None = None) -> Response:
    """``file://`` URLs: a directory answers with its ``index.html`` (local simple indexes)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if os.path.isdir(path):
        path = os.path.join(path, "index.html")
    now = time.time()
    try:
        with open(path, "rb") as f:
            if on_status is not None:
                on_status(200)
            while chunk := f.read(_CHUNK):
                sink(chunk)
    except FileNotFoundError:
        return Response(url, 404, {}, b"", now, now)
    except OSError as e:
        raise NetworkError(f"cannot read {url}: {e.strerror or e}", url=url) from e
    return Response(url, 200, {}, b"", now, time.time())


_UNSEEN: Any = object()


def _proxy_for(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme`` and ``host`` (``None``: none)."""
    # Only a variable named ``<scheme>_proxy`` or ``all_proxy`` (in any case) with a value
    # names one: without such a variable (nearly always) the answer is known without
    # importing urllib.request, which reads them (a few ms, in every command that fetches).
    names = (f"{scheme}_proxy", "all_proxy")
    if not any(value and name.lower() in names for name, value in os.environ.items()):
        return None
    # Imported by name, not reached as ``urllib.request``: while another pool thread is
    # importing it, the module is already usable but not yet an attribute of ``urllib``.
    from urllib.request import getproxies_environment
    from urllib.request import (  # type: ignore[attr-defined]  # honours NO_PROXY; untyped
        proxy_bypass_environment as bypass,
    )

    proxies = getproxies_environment()
    proxy = proxies.get(scheme) or proxies.get("all")
    if proxy and bypass(host, proxies):
        return None
    return proxy
