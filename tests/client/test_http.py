"""The HTTP layer against the local index: retries, errors that name the URL, credentials."""

from __future__ import annotations

import errno
import gzip
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pyffin.client.auth import Credentials
from pyffin.client.errors import (
    AuthenticationError,
    ConnectError,
    HttpStatusError,
    NetworkError,
    RequestTimeout,
    ResponseTooLargeError,
    TlsError,
)
from pyffin.client.http import HttpClient, HttpSettings, InsecureHost
from pyffin.errors import UsageError
from pyffin.records import replace
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer, self_signed_certificate
from tests.support.keyring import FakeKeyring

FAST = HttpSettings(timeout=5, retries=3, backoff=0.001)


@pytest.fixture
def client() -> Iterator[HttpClient]:
    http = HttpClient(FAST, Credentials(use_netrc=False))
    yield http
    http.close()


@pytest.fixture
def server(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("foo", "1.0"))
    return index_server


def test_get_returns_status_headers_and_body(client: HttpClient, server: IndexServer) -> None:
    response = client.get(server.index_url + "foo/")
    assert response.status == 200
    assert "foo-1.0-py3-none-any.whl" in response.content.decode()
    assert response.headers["etag"]
    assert response.url == server.index_url + "foo/"


def test_redirects_are_followed_and_the_final_url_reported(client: HttpClient,
                                                           server: IndexServer) -> None:
    response = client.get(server.index_url + "FOO")
    assert response.status == 200 and response.url == server.index_url + "foo/"


def test_credentials_are_not_sent_on_to_another_host_after_a_redirect(
        client: HttpClient, server: IndexServer,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    with IndexServer(dist_dir=tmp_path_factory.mktemp("other")) as other:
        other.add_wheel(WheelSpec("foo", "2.0"))
        server.respond("/simple/foo/", b"", {"Location": other.index_url + "foo/"}, status=302)
        authenticated = server.index_url.replace("://", "://user:secret@") + "foo/"
        response = client.get(authenticated)
        assert response.status == 200 and b"foo-2.0" in response.content
        assert response.url == other.index_url + "foo/"
        assert "authorization" in server.request_log[-1].headers
        assert "authorization" not in other.request_log[-1].headers


def test_a_redirect_on_the_same_host_keeps_the_credentials(client: HttpClient,
                                                           server: IndexServer) -> None:
    authenticated = server.index_url.replace("://", "://user:secret@") + "FOO"
    assert client.get(authenticated).status == 200
    assert [r.path for r in server.request_log] == ["/simple/FOO", "/simple/foo/"]
    assert all("authorization" in r.headers for r in server.request_log)


def test_endless_redirects_are_a_clear_error_after_ten(client: HttpClient,
                                                       server: IndexServer) -> None:
    server.respond("/simple/foo/", b"", {"Location": "/simple/foo/"}, status=302)
    with pytest.raises(ConnectError, match=r"too many redirects fetching .*/simple/foo/"):
        client.get(server.index_url + "foo/")
    assert server.count("/simple/foo/") == 11  # the request and ten redirects, not retried


def test_404_is_returned_for_the_caller_to_judge(client: HttpClient, server: IndexServer) -> None:
    assert client.get(server.index_url + "missing/").status == 404


def test_transient_5xx_is_retried(client: HttpClient, server: IndexServer) -> None:
    server.fail("/simple/foo/", 503, times=2)
    assert client.get(server.index_url + "foo/").status == 200
    assert server.count("/simple/foo/") == 3


def test_persistent_5xx_fails_after_the_retries_naming_the_url(client: HttpClient,
                                                               server: IndexServer) -> None:
    server.fail("/simple/foo/", 500)
    with pytest.raises(HttpStatusError, match=r"/simple/foo/ answered HTTP 500") as info:
        client.get(server.index_url + "foo/")
    assert info.value.status == 500
    assert server.count("/simple/foo/") == 4  # one try and three retries


def test_truncated_body_is_retried(client: HttpClient, server: IndexServer) -> None:
    path = "/files/foo-1.0-py3-none-any.whl"
    full = client.get(server.url + path).content
    server.reset_counts()
    server.truncate(path, 10, times=1)
    assert client.get(server.url + path).content == full
    assert server.count(path) == 2


def test_stream_restarts_the_sink_on_retry(client: HttpClient, server: IndexServer) -> None:
    path = "/files/foo-1.0-py3-none-any.whl"
    server.truncate(path, 10, times=2)
    chunks: list[bytes] = []
    client.stream(server.url + path, chunks.append, chunks.clear)
    assert b"".join(chunks) == client.get(server.url + path).content


def test_refused_connection_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = HttpClient(HttpSettings(timeout=5, retries=1, backoff=0.001))
    with pytest.raises(ConnectError) as info:
        http.get(f"http://127.0.0.1:{port}/x")
    # The reason, without urllib3's repr of the connection object in front of it.
    refused = f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
    assert str(info.value) == (f"failed to connect to http://127.0.0.1:{port}/x: Failed to "
                               f"establish a new connection: {refused}")


def test_timeout_is_a_clear_error(server: IndexServer) -> None:
    server.delay("/simple/foo/", 2)
    http = HttpClient(HttpSettings(timeout=0.2, retries=0))
    with pytest.raises(RequestTimeout, match="timed out fetching") as info:
        http.get(server.index_url + "foo/")
    assert info.value.hint and "PYFFIN_HTTP_TIMEOUT" in info.value.hint


def test_401_is_an_authentication_error_naming_the_host(client: HttpClient,
                                                        server: IndexServer) -> None:
    server.fail("/simple/foo/", 401)
    with pytest.raises(AuthenticationError, match=r"refused access .HTTP 401.: check the "
                                                  r"credentials for 127\.0\.0\.1"):
        client.get(server.index_url + "foo/")
    assert server.count("/simple/foo/") == 1  # not retried


def test_userinfo_becomes_basic_auth_for_the_realm_and_is_never_shown(
        client: HttpClient, server: IndexServer) -> None:
    secret_url = server.index_url.replace("http://", "http://alice:s3cret@") + "foo/"
    client.get(secret_url)
    # Files on the same host get the credentials too, without userinfo in their URL.
    client.get(server.url + "/files/foo-1.0-py3-none-any.whl")
    auth = [r.headers.get("authorization") for r in server.request_log]
    assert auth == ["Basic YWxpY2U6czNjcmV0", "Basic YWxpY2U6czNjcmV0"]
    server.fail("/simple/foo/", 500)
    with pytest.raises(HttpStatusError) as info:
        client.get(secret_url)
    assert "s3cret" not in str(info.value) and "alice:****@" in str(info.value)


def test_netrc_credentials(server: IndexServer, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    HttpClient(FAST).get(server.index_url + "foo/")
    assert server.request_log[-1].headers["authorization"] == "Basic Ym9iOmh1bnRlcjI="


def test_a_refused_request_is_sent_again_with_the_keyrings_credentials(
        server: IndexServer) -> None:
    server.auth = ("alice", "s3cret")
    keyring = FakeKeyring({(server.index_url, None): ("alice", "s3cret")})
    http = HttpClient(FAST, Credentials(use_netrc=False, keyring=keyring,
                                        indexes=[server.index_url]))
    response = http.get(server.index_url + "foo/")
    assert response.status == 200 and response.authenticated
    assert [r.headers.get("authorization") for r in server.request_log] == [
        None, "Basic YWxpY2U6czNjcmV0"]
    # The rest of the realm gets them from the start, and the keyring is not asked again.
    assert http.get(server.url + "/files/foo-1.0-py3-none-any.whl").status == 200
    assert server.request_log[-1].headers.get("authorization") == "Basic YWxpY2U6czNjcmV0"
    assert server.count() == 3 and keyring.asked == [(server.index_url, None)]


def test_credentials_the_server_refuses_are_tried_once(server: IndexServer) -> None:
    server.auth = ("alice", "s3cret")
    keyring = FakeKeyring({(server.index_url, None): ("alice", "wrong")})
    http = HttpClient(FAST, Credentials(use_netrc=False, keyring=keyring,
                                        indexes=[server.index_url]))
    with pytest.raises(AuthenticationError, match=r"refused access \(HTTP 401\)") as info:
        http.get(server.index_url + "foo/")
    assert "wrong" not in str(info.value) and "keyring" in (info.value.hint or "")
    assert server.count() == 2


def test_without_a_keyring_a_refusal_is_final(client: HttpClient, server: IndexServer) -> None:
    server.auth = ("alice", "s3cret")
    with pytest.raises(AuthenticationError):
        client.get(server.index_url + "foo/")
    assert server.count() == 1
    response = client.get(server.index_url.replace("http://", "http://alice:s3cret@") + "foo/")
    assert response.status == 200 and response.authenticated


def test_file_urls_are_read_locally(client: HttpClient, tmp_path: Path) -> None:
    (tmp_path / "simple" / "foo").mkdir(parents=True)
    (tmp_path / "simple" / "foo" / "index.html").write_text("<a href='x'>x</a>")
    response = client.get((tmp_path / "simple" / "foo").as_uri() + "/")
    assert response.status == 200 and b"href" in response.content
    assert client.get((tmp_path / "missing").as_uri()).status == 404


def test_offline_refuses_the_network(server: IndexServer) -> None:
    from pyffin.client.errors import OfflineError

    with pytest.raises(OfflineError, match="while offline"):
        HttpClient(HttpSettings(offline=True)).get(server.index_url + "foo/")
    assert server.count() == 0


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.errors import UsageError

    monkeypatch.setenv("PYFFIN_HTTP_TIMEOUT", "7.5")
    monkeypatch.setenv("PYFFIN_HTTP_RETRIES", "0")
    monkeypatch.setenv("PYFFIN_CONCURRENT_DOWNLOADS", "4")
    settings = HttpSettings.from_env()
    assert (settings.timeout, settings.retries, settings.concurrency) == (7.5, 0, 4)
    monkeypatch.setenv("PYFFIN_HTTP_RETRIES", "many")
    with pytest.raises(UsageError, match="PYFFIN_HTTP_RETRIES"):
        HttpSettings.from_env()


# ------------------------------------------------------------------------------ proxies
class _Proxy(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        _Proxy.seen.append(self.path)
        body = b"via proxy"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_http_proxy_and_no_proxy(server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.setenv("NO_PROXY", "")
        http = HttpClient(FAST)
        target = "http://pypi.invalid/simple/foo/"
        assert http.get(target).content == b"via proxy"
        assert _Proxy.seen == [target]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert http.get(server.index_url + "foo/").status == 200
        assert _Proxy.seen == [target]
    finally:
        proxy.shutdown()


def test_proxy_settings_are_read_once_while_the_environment_stays_the_same(
        server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    reads = []
    real = urllib.request.getproxies_environment

    def counted() -> dict[str, str]:
        reads.append(1)
        return real()

    monkeypatch.setattr(urllib.request, "getproxies_environment", counted)
    # A proxy the index bypasses: the settings are read (and found not to apply).
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    http = HttpClient(FAST)
    for _ in range(3):
        assert http.get(server.index_url + "foo/").status == 200
    assert len(reads) == 1
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,pypi.invalid")
    assert http.get(server.index_url + "foo/").status == 200
    assert len(reads) == 2


def _statuses_of_gets_at_once(http: HttpClient, url: str, count: int = 8) -> list[int]:
    """The statuses of ``count`` GETs of ``url``, each from its own thread, all let go at once."""
    together = threading.Barrier(count)
    statuses: list[int] = []

    def get() -> None:
        together.wait()
        statuses.append(http.get(url).status)

    threads = [threading.Thread(target=get) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_proxy_settings_are_read_once_by_requests_that_start_together(
        server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold resolution (or a kept one's revalidation) starts dozens of requests at once
    from the pool's threads: the environment is scanned for proxies once, not by each."""
    import time
    import urllib.request

    reads = []
    real = urllib.request.getproxies_environment

    def counted() -> dict[str, str]:
        reads.append(1)
        time.sleep(0.05)  # a scan of a large environment, long enough for the others to come
        return real()

    monkeypatch.setattr(urllib.request, "getproxies_environment", counted)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # bypassed: read, not used
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    http = HttpClient(FAST)
    assert _statuses_of_gets_at_once(http, server.index_url + "foo/") == [200] * 8
    assert len(reads) == 1


def test_without_proxy_variables_urllib_request_is_not_imported(server: IndexServer) -> None:
    """Only ``<scheme>_proxy`` or ``all_proxy`` (in any case) can name a proxy: without them
    (``no_proxy`` alone names none) the module that reads them is not imported."""
    import os
    import subprocess
    import sys

    code = f"""if True:
        import sys
        from pyffin.client.http import HttpClient, HttpSettings
        assert HttpClient(HttpSettings(retries=0)).get({server.index_url + "foo/"!r}).status == 200
        assert "urllib.request" not in sys.modules, "imported"
    """
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["NO_PROXY"] = "example.com"
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    env["Http_Proxy"] = "http://127.0.0.1:9"  # any case: then it is read, and used
    failed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert failed.returncode != 0


def test_proxies_are_found_while_another_thread_is_still_importing_urllib_request(
        server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib
    import urllib.request

    # The moment of another thread's import: the module is in sys.modules, fully run, but
    # not yet an attribute of its package (`urllib.request` then raised AttributeError).
    monkeypatch.delattr(urllib, "request")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # read (bypassed): imported
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert HttpClient(FAST).get(server.index_url + "foo/").status == 200


# ------------------------------------------------------------------- connections and DNS
def _counting_lookups(monkeypatch: pytest.MonkeyPatch,
                      answers: dict[str, list[str]] | None = None) -> list[str]:
    """The host names ``socket.getaddrinfo`` is asked for from now on; ``answers`` gives the
    addresses of made-up hosts."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> object:
        asked.append(host)
        if answers and host in answers:
            if not answers[host]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                    for ip in answers[host]]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_host_is_looked_up_once_for_all_the_connections_to_it(
        server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold resolve opens a score of connections to the index at once; as many DNS lookups
    at once lose answers on some networks, each loss a 5 s stall."""
    asked = _counting_lookups(monkeypatch, {"index.test": ["127.0.0.1"]})
    server.delay("/simple/foo/", 0.2, times=8)  # the requests overlap: eight connections
    url = server.index_url.replace("127.0.0.1", "index.test") + "foo/"
    http = HttpClient(FAST, Credentials(use_netrc=False))
    assert _statuses_of_gets_at_once(http, url) == [200] * 8
    assert asked.count("index.test") == 1


def test_each_address_of_a_host_is_tried_in_turn(server: IndexServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _counting_lookups(monkeypatch, {"index.test": ["127.0.0.2", "127.0.0.1"]})  # .2 refuses
    url = server.index_url.replace("127.0.0.1", "index.test") + "foo/"
    assert HttpClient(FAST, Credentials(use_netrc=False)).get(url).status == 200


def test_a_failed_lookup_is_not_kept_and_names_the_host(
        server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    answers: dict[str, list[str]] = {"index.test": []}
    asked = _counting_lookups(monkeypatch, answers)
    url = server.index_url.replace("127.0.0.1", "index.test") + "foo/"
    http = HttpClient(HttpSettings(retries=0), Credentials(use_netrc=False))
    with pytest.raises(ConnectError, match=r"failed to connect to http://index\.test:"):
        http.get(url)
    answers["index.test"] = ["127.0.0.1"]
    assert http.get(url).status == 200
    assert http.get(url).status == 200
    assert asked.count("index.test") == 3  # failed twice (the resolver's, urllib3's), then one


def test_a_looked_up_address_is_kept_for_a_while() -> None:
    from pyffin.client.http import Resolver

    now = [0.0]
    resolver = Resolver(ttl=300, clock=lambda: now[0])
    assert resolver.addresses("localhost", 80)
    now[0] = 299
    resolver.addresses("localhost", 80)
    assert resolver.lookups == 1
    now[0] = 301
    resolver.addresses("localhost", 80)
    assert resolver.lookups == 2


def test_connections_are_kept_for_the_next_requests(server: IndexServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib3.util.connection

    opened: list[object] = []
    real = urllib3.util.connection.create_connection

    def create_connection(*args: object, **kwargs: object) -> object:
        opened.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    http = HttpClient(FAST, Credentials(use_netrc=False))
    for _ in range(20):
        assert http.get(server.index_url + "foo/").status == 200
    assert len(opened) == 1


# ---------------------------------------------------------------------------------- TLS
@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/x", cert
    httpd.shutdown()


def test_untrusted_certificate_is_a_tls_error(tls_server: tuple[str, Path]) -> None:
    url, _cert = tls_server
    with pytest.raises(TlsError, match=r"TLS error talking to https://127\.0\.0\.1") as info:
        HttpClient(HttpSettings(timeout=5, retries=0)).get(url)
    assert info.value.hint and "SSL_CERT_FILE" in info.value.hint


def test_ssl_cert_file_is_trusted(tls_server: tuple[str, Path],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert HttpClient(HttpSettings.from_env()).get(url).content == b"via proxy"


@pytest.fixture
def https_index(tmp_path_factory: pytest.TempPathFactory,
                tls_certificate: tuple[Path, Path]) -> Iterator[IndexServer]:
    with IndexServer(tls=tls_certificate, dist_dir=tmp_path_factory.mktemp("tls-files")) as s:
        s.add_wheel(WheelSpec("foo", "1.0"))
        yield s


def test_cert_names_the_ca_bundle_and_wins_over_ssl_cert_file(
        https_index: IndexServer, tls_certificate: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cert, _key = tls_certificate
    other, _ = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    url = https_index.index_url + "foo/"
    with pytest.raises(TlsError, match="certificate verify failed"):
        HttpClient(HttpSettings.from_env()).get(url)
    assert HttpClient(HttpSettings.from_env(ca_bundle=str(cert))).get(url).status == 200


def test_ssl_cert_dir_is_trusted(https_index: IndexServer, tls_certificate: tuple[Path, Path],
                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, _key = tls_certificate
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(cert)],
                                  check=True, capture_output=True, text=True).stdout.strip()
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / f"{subject_hash}.0").write_bytes(cert.read_bytes())
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "certs"))
    assert HttpClient(HttpSettings.from_env()).get(https_index.index_url + "foo/").status == 200


def _handshake_together(certificate: tuple[Path, Path], connections: int,
                        ) -> tuple[socket.socket, list[threading.Thread]]:
    """An HTTPS server on 127.0.0.1 that answers ``connections`` connections, each once all of
    them have begun their TLS handshake (sent their ClientHello); a connection still waiting
    for the others after 10 s is closed without an answer."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    together = threading.Barrier(connections, timeout=10)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(1, socket.MSG_PEEK)  # the ClientHello is here
            try:
                together.wait()
            except threading.BrokenBarrierError:
                return
            with context.wrap_socket(conn, server_side=True) as tls:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += tls.recv(4096)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
                            b"\r\nok")

    def accept() -> None:
        for _ in range(connections):
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threads = [threading.Thread(target=accept, daemon=True)]
    threads[0].start()
    return listener, threads


def test_new_connections_shake_hands_side_by_side(tls_certificate: tuple[Path, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The system trust store is no lock around each TLS handshake: a cold resolve opens
    dozens of connections at once, and each handshake is a network round trip or two."""
    cert, _key = tls_certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what OpenSSL's default locations read
    monkeypatch.setenv("SSL_CERT_DIR", str(_hashed_directory(cert.parent / "hashed", cert)))
    http = HttpClient(HttpSettings(timeout=20, retries=0))  # no CA bundle: the system store
    listener, _ = _handshake_together(tls_certificate, 2)
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/"
    results: list[object] = []

    def get() -> None:
        try:
            results.append(http.get(url).content)
        except Exception as e:
            results.append(e)

    threads = [threading.Thread(target=get) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listener.close()
    assert results == [b"ok", b"ok"]


def _hashed_directory(directory: Path, *certificates: Path) -> Path:
    """A directory of ``certificates`` under OpenSSL's ``<subject hash>.0`` names (what
    ``c_rehash`` makes of /etc/ssl/certs)."""
    directory.mkdir(exist_ok=True)
    for certificate in certificates:
        subject_hash = subprocess.run(
            ["openssl", "x509", "-hash", "-noout", "-in", str(certificate)], check=True,
            capture_output=True, text=True).stdout.strip()
        (directory / f"{subject_hash}.0").write_bytes(certificate.read_bytes())
    return directory


@pytest.mark.parametrize("where", ["directory", "bundle", "neither"])
@pytest.mark.parametrize("named_by", ["OpenSSL's defaults", "the variables"])
def test_the_bundle_is_read_only_when_the_directory_does_not_verify(
        https_index: IndexServer, tls_certificate: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, where: str, named_by: str) -> None:
    """With a directory of hashed certificates among OpenSSL's defaults (Debian, Ubuntu), or
    named by SSL_CERT_DIR beside an SSL_CERT_FILE, the store is that directory at first:
    OpenSSL reads the one certificate a handshake needs instead of parsing the whole bundle
    file (~35-45 ms of CPU in every HTTPS process). A certificate only the bundle holds still
    verifies: the bundle is loaded then, and the request made once more. What is trusted
    stays what both locations trust."""
    from pyffin.client import http as module

    cert, _key = tls_certificate
    other, _ = self_signed_certificate(tmp_path, "/CN=another CA")  # (not the same subject)
    in_directory, in_bundle = {"directory": (cert, other), "bundle": (other, cert),
                               "neither": (other, other)}[where]
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(in_bundle.read_bytes())
    directory = _hashed_directory(tmp_path / "certs", in_directory)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(directory))
    if named_by == "the variables":  # read as pyffin's own settings (uv honours them too)
        http = HttpClient(replace(HttpSettings.from_env(), retries=0))
        assert http.settings.ssl_cert_file == str(bundle)
    else:  # no CA bundle named: the system store, whose default locations OpenSSL reads
        http = HttpClient(HttpSettings(retries=0))
    url = https_index.index_url + "foo/"
    requests = https_index.count("/simple/foo/")
    if where == "neither":
        with pytest.raises(TlsError, match="certificate verify failed"):
            http.get(url)
    else:
        assert http.get(url).status == 200
        assert https_index.count("/simple/foo/") == requests + 1
    context = (module._variables_store_context(str(bundle), str(directory))
               if named_by == "the variables" else module._system_store_context())
    assert http.tls_options("127.0.0.1", 443)["ssl_context"] is context
    assert (id(context) in module._DEFERRED_BUNDLES) == (where == "directory")
    assert (id(context) in module._LOADED_BUNDLES) == (where != "directory")


def test_the_system_store_is_found_where_openssl_does_not_look(
        https_index: IndexServer, tls_certificate: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A relocatable Python's OpenSSL may look for CA files where the system has none: the
    usual places of a Linux system's bundle are tried, as truststore tries them."""
    from pyffin.client import http as module

    cert, _key = tls_certificate
    nowhere = str(tmp_path / "nowhere")
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: ssl.DefaultVerifyPaths(
        None, None, "SSL_CERT_FILE", nowhere, "SSL_CERT_DIR", nowhere))
    url = https_index.index_url + "foo/"
    monkeypatch.setattr(module, "_CA_FILES", (nowhere, str(cert)))
    assert HttpClient(HttpSettings(retries=0)).get(url).status == 200
    monkeypatch.setattr(module, "_CA_FILES", (nowhere,))
    with pytest.raises(TlsError, match="certificate verify failed"):
        HttpClient(HttpSettings(retries=0)).get(url)


def test_a_missing_bundle_is_a_usage_error_naming_it(https_index: IndexServer,
                                                     tmp_path: Path) -> None:
    http = HttpClient(HttpSettings(ca_bundle=str(tmp_path / "nope.pem"), retries=0))
    with pytest.raises(UsageError, match=r"nope\.pem does not exist \(--cert"):
        http.get(https_index.index_url + "foo/")


def test_an_insecure_host_is_not_verified(https_index: IndexServer,
                                         recwarn: pytest.WarningsRecorder) -> None:
    port = int(https_index.url.rsplit(":", 1)[1])
    for allowed in ("127.0.0.1", f"127.0.0.1:{port}", f"https://127.0.0.1:{port}/simple", "*"):
        http = HttpClient(HttpSettings(insecure_hosts=(InsecureHost.parse(allowed),)))
        assert http.get(https_index.index_url + "foo/").status == 200, allowed
    assert not recwarn.list  # no urllib3 warning on each request: the user asked for it
    for other in (f"127.0.0.1:{port + 1}", "localhost", "http://127.0.0.1"):
        http = HttpClient(HttpSettings(insecure_hosts=(InsecureHost.parse(other),),
                                       retries=0))
        with pytest.raises(TlsError):
            http.get(https_index.index_url + "foo/")


def test_a_redirect_from_an_insecure_host_to_another_is_verified(
        https_index: IndexServer, tmp_path_factory: pytest.TempPathFactory,
        tls_certificate: tuple[Path, Path]) -> None:
    with IndexServer(tls=tls_certificate, dist_dir=tmp_path_factory.mktemp("b")) as other:
        other.add_wheel(WheelSpec("foo", "2.0"))
        elsewhere = other.index_url.replace("127.0.0.1", "localhost") + "foo/"
        https_index.respond("/simple/foo/", b"", {"Location": elsewhere}, status=302)
        insecure = (InsecureHost.parse("127.0.0.1"),)
        with pytest.raises(TlsError, match=r"https://127\.0\.0\.1:\d+/simple/foo/"):
            HttpClient(HttpSettings(insecure_hosts=insecure, retries=0)).get(
                https_index.index_url + "foo/")
        both = (*insecure, InsecureHost.parse("localhost"))
        response = HttpClient(HttpSettings(insecure_hosts=both)).get(
            https_index.index_url + "foo/")
        assert response.status == 200 and b"foo-2.0" in response.content


@pytest.mark.parametrize(("text", "expected"), [
    ("example.com", InsecureHost("example.com")),
    ("Example.COM:8443", InsecureHost("example.com", 8443)),
    ("https://example.com:8443/simple/", InsecureHost("example.com", 8443, "https")),
    ("http://10.0.0.1", InsecureHost("10.0.0.1", None, "http")),
    ("[::1]:8443", InsecureHost("::1", 8443)),
    ("*", InsecureHost("*")),
])
def test_insecure_hosts_are_written_as_uv_writes_them(text: str,
                                                      expected: InsecureHost) -> None:
    assert InsecureHost.parse(text) == expected


@pytest.mark.parametrize("text", ["", ":8080", "host:http", "host:99999", "https://"])
def test_a_bad_insecure_host_says_what_is_wrong(text: str) -> None:
    with pytest.raises(ValueError, match=r"no host|invalid port"):
        InsecureHost.parse(text)


# ------------------------------------------------------------------ retries and deadlines
def test_retries_back_off_over_a_few_seconds_with_jitter(server: IndexServer) -> None:
    slept: list[float] = []
    http = HttpClient(HttpSettings(retries=3), Credentials(use_netrc=False), sleep=slept.append)
    server.fail("/simple/foo/", 503, times=3)
    assert http.get(server.index_url + "foo/").status == 200
    assert len(slept) == 3
    for attempt, delay in enumerate(slept):  # 1 s, 2 s, 4 s, each ±50 %
        assert 0.5 * 2 ** attempt <= delay <= 1.5 * 2 ** attempt
    assert 3.5 <= sum(slept) <= 10.5


@pytest.mark.parametrize(("retry_after", "expected"), [("5", 5.0), ("3600", 60.0)])
def test_retry_after_is_honoured_up_to_a_minute(server: IndexServer, retry_after: str,
                                                expected: float) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        server.clear_faults()  # the outage is over

    server.respond("/simple/foo/", b"busy", {"Retry-After": retry_after}, status=503)
    http = HttpClient(HttpSettings(retries=1), Credentials(use_netrc=False), sleep=sleep)
    assert http.get(server.index_url + "foo/").status == 200
    assert slept == [expected]


def test_retry_after_as_an_http_date() -> None:
    from email.utils import formatdate

    from pyffin.client.http import _retry_after

    assert 25 <= (_retry_after(formatdate(time.time() + 30, usegmt=True)) or 0) <= 30
    assert _retry_after("soon") is None and _retry_after(None) is None


def test_a_trickling_download_fails_at_the_deadline(server: IndexServer) -> None:
    path = "/files/foo-1.0-py3-none-any.whl"
    server.trickle(path, 0.005)
    now = [0.0]

    def clock() -> float:  # ten seconds pass between two bytes
        now[0] += 10
        return now[0]

    http = HttpClient(HttpSettings(deadline=60, retries=3), Credentials(use_netrc=False),
                      clock=clock, sleep=lambda s: None)
    with pytest.raises(RequestTimeout, match=r"/files/foo-1\.0-py3-none-any\.whl did not finish "
                                             r"in \d+ s \(\d bytes received") as info:
        http.stream(server.url + path, lambda chunk: None, lambda: None)
    assert info.value.hint and "PYFFIN_HTTP_DEADLINE" in info.value.hint
    assert server.count(path) == 1  # a server that trickles is not asked again


@pytest.mark.parametrize(("rate", "finishes"), [(8192, True), (2048, False)])
def test_a_large_download_on_a_slow_steady_link_meets_the_deadline(
        index_server: IndexServer, rate: int, finishes: bool) -> None:
    import random

    wheel = index_server.add_wheel(WheelSpec("big", "1.0", files={
        "big/data.bin": random.Random(0).randbytes(1 << 20)}))
    now = [0.0]

    def sink(chunk: bytes) -> None:  # the bytes arrive at ``rate`` per second
        now[0] += len(chunk) / rate

    http = HttpClient(HttpSettings(deadline=60, retries=0), clock=lambda: now[0])
    url = index_server.file_url(wheel.name)
    if finishes:  # 128 s for 1 MiB, past the 60 s, but steadily above 4 KiB/s
        http.stream(url, sink, lambda: None)
        assert now[0] > 120
    else:
        with pytest.raises(RequestTimeout, match="did not finish"):
            http.stream(url, sink, lambda: None)


def test_settings_for_deadline_and_page_size_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.errors import UsageError

    assert HttpSettings.from_env().deadline == 300.0
    assert HttpSettings.from_env().max_page_bytes == 256 * 1024 * 1024
    monkeypatch.setenv("PYFFIN_HTTP_DEADLINE", "900")
    monkeypatch.setenv("PYFFIN_MAX_PAGE_BYTES", "1000000")
    settings = HttpSettings.from_env()
    assert (settings.deadline, settings.max_page_bytes) == (900.0, 1_000_000)
    monkeypatch.setenv("PYFFIN_MAX_PAGE_BYTES", "-1")
    with pytest.raises(UsageError, match="PYFFIN_MAX_PAGE_BYTES"):
        HttpSettings.from_env()


# ------------------------------------------------------------------------ bounded bodies
@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (64 << 20), compresslevel=1)  # 64 MiB in ~300 KB


def test_a_gzip_bomb_is_stopped_at_the_page_limit(server: IndexServer, gzip_bomb: bytes) -> None:
    server.respond("/simple/bomb/", gzip_bomb, {"Content-Encoding": "gzip",
                                               "Content-Type": "text/html"})
    http = HttpClient(HttpSettings(max_page_bytes=1 << 20, retries=0))
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError,
                           match=r"the response of http://127\.0\.0\.1:\d+/simple/bomb/ is "
                                 r"larger than 1048576 bytes \(decoded\)") as info:
            http.get(server.index_url + "bomb/")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # the 64 MiB were never held
    assert info.value.hint and "PYFFIN_MAX_PAGE_BYTES" in info.value.hint


def test_a_body_that_does_not_decode_is_a_clear_error(server: IndexServer) -> None:
    server.respond("/simple/foo/", b"this is not gzip", {"Content-Encoding": "gzip"})
    http = HttpClient(HttpSettings(retries=0))
    with pytest.raises(NetworkError, match=r"cannot decode the response of "
                                           r"http://127\.0\.0\.1:\d+/simple/foo/"):
        http.get(server.index_url + "foo/")


# ------------------------------------------------------------------------- TLS retries
def test_a_tls_handshake_cut_short_is_retried() -> None:
    accepted = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.close()  # mid-handshake: the client sees an unexpected EOF

    threading.Thread(target=serve, daemon=True).start()
    try:
        http = HttpClient(HttpSettings(timeout=5, retries=2), sleep=lambda s: None)
        with pytest.raises((TlsError, ConnectError)):
            http.get(f"https://127.0.0.1:{listener.getsockname()[1]}/x")
        assert len(accepted) == 3
    finally:
        listener.close()


def test_a_certificate_that_does_not_verify_is_not_retried() -> None:
    import urllib3.exceptions

    from pyffin.client.http import _classify, _Retry

    bad_cert = urllib3.exceptions.SSLError(ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    assert isinstance(_classify(bad_cert, "https://x/"), TlsError)
    cut = urllib3.exceptions.SSLError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))
    assert isinstance(_classify(cut, "https://x/"), _Retry)


#: In a fresh interpreter, notes whether importlib.resources is imported when importlib.abc
#: (which imports its submodule importlib.resources.abc) starts importing, then imports
#: urllib3 the way the client does, then asks urllib3's HTTP/2 support for a version (what
#: it imports importlib.metadata for).
_LOCK_ORDER_PROBE = """
import json, sys
seen = []
class Probe:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "importlib.abc":
            seen.append("importlib.resources" in sys.modules)
        return None
before = "importlib.abc" in sys.modules
sys.meta_path.insert(0, Probe)
from pyffin.client.http import _urllib3
urllib3 = _urllib3()
heavy = sorted(m for m in ("importlib.metadata", "importlib.abc", "importlib.resources",
                           "zipfile", "csv") if m in sys.modules)
heavy += ["importlib's attribute"] if "metadata" in vars(sys.modules["importlib"]) else []
import urllib3.http2
asked = urllib3.http2.version("urllib3") == urllib3.__version__
print(json.dumps([before, heavy, seen, asked,
                  "__file__" in vars(sys.modules["importlib.metadata"])]))
"""


@pytest.mark.skipif(sys.version_info < (3, 11),
                    reason="importlib.resources is a package since 3.11")
def test_urllib3_is_imported_without_importlib_metadata_which_comes_after_importlib_resources(
        ) -> None:
    # importlib.metadata (for urllib3's HTTP/2 support alone) imports importlib.abc,
    # importlib.resources, zipfile, csv...: ~30M instructions before any first request. When
    # it is imported, importlib.resources comes first: a thread importing
    # importlib.resources.abc before its package holds the submodule's lock while it imports
    # the package; a build thread importing the package meanwhile wants the submodule's:
    # Python then raises _DeadlockError in one of them.
    import json

    proc = subprocess.run([sys.executable, "-c", _LOCK_ORDER_PROBE], capture_output=True,
                          text=True, check=True)
    before, heavy, seen, asked, real = json.loads(proc.stdout)
    assert before is False  # else the probe proves nothing
    assert heavy == []
    assert asked is True and real is True  # the real module answered, and is the one kept
    assert seen == [True]
