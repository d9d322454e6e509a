"""The HTTP layer against the local index: retries, errors that name the URL, credentials."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pyffin.client.auth import Credentials, redact, strip_credentials
from pyffin.client.errors import (
    AuthenticationError,
    ConnectError,
    HttpStatusError,
    RequestTimeout,
    TlsError,
)
from pyffin.client.http import HttpClient, HttpSettings
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer

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
    with pytest.raises(ConnectError, match=rf"failed to connect to http://127.0.0.1:{port}/x"):
        http.get(f"http://127.0.0.1:{port}/x")


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


def test_redaction_helpers() -> None:
    assert redact("https://u:p@h/x") == "https://u:****@h/x"
    assert redact("https://token@h/x") == "https://****@h/x"
    assert redact("https://h/x") == "https://h/x"
    assert strip_credentials("https://u:p@h:8/x") == "https://h:8/x"


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
