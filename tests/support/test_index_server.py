"""The local index speaks PEP 503/691/658 and HTTP caching correctly, and faults work."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import pytest
from packaging.metadata import Metadata

from tests.support.dists import SdistSpec, WheelSpec, build_wheel, wheel_metadata
from tests.support.fixtures import MakeDist
from tests.support.index import SIMPLE_HTML, SIMPLE_JSON, IndexServer

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
FOO = WheelSpec("foo", "1.0", requires_python=">=3.8,<4")
WHEEL = "/files/foo-1.0-py3-none-any.whl"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def fetch(server: IndexServer, path: str, method: str = "GET", **headers: str) -> Response:
    """One request without following redirects; header names use '_' for '-'."""
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.url).port, timeout=10)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


class Anchors(HTMLParser):
    """Collects ``{link text: attributes}`` of the anchors on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: dict[str, dict[str, str | None]] = {}
        self._current: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.anchors[data] = self._current
            self._current = None


def anchors(body: bytes) -> dict[str, dict[str, str | None]]:
    parser = Anchors()
    parser.feed(body.decode())
    return parser.anchors


@pytest.fixture
def served(index_server: IndexServer) -> IndexServer:
    """foo 1.0 as a wheel (requires-python, metadata) and a yanked sdist."""
    index_server.add_wheel(FOO)
    index_server.add_sdist(SdistSpec("foo", "1.0"), yanked="broken <build>")
    return index_server


# --- simple API ---------------------------------------------------------------------------------


def test_project_page_html(served: IndexServer) -> None:
    page = fetch(served, "/simple/foo/")

    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'data-requires-python="&gt;=3.8,&lt;4"' in page.body.decode()
    links = anchors(page.body)
    assert set(links) == {"foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"}
    wheel, sdist = links["foo-1.0-py3-none-any.whl"], links["foo-1.0.tar.gz"]
    assert str(wheel["href"]).startswith("../../files/foo-1.0-py3-none-any.whl#sha256=")
    assert wheel["data-requires-python"] == ">=3.8,<4"
    assert "data-yanked" not in wheel
    assert sdist["data-yanked"] == "broken <build>"
    assert "data-core-metadata" not in sdist
    for link in links.values():  # relative hrefs resolve against the page URL; hashes match
        url, _, fragment = urljoin(served.index_url + "foo/", str(link["href"])).partition("#")
        assert fragment == "sha256=" + hashlib.sha256(urlopen(url).read()).hexdigest()

    metadata = fetch(served, WHEEL + ".metadata")
    digest = "sha256=" + hashlib.sha256(metadata.body).hexdigest()
    assert wheel["data-core-metadata"] == wheel["data-dist-info-metadata"] == digest


def test_project_page_json(served: IndexServer) -> None:
    page = fetch(served, "/simple/foo/", Accept=PIP_ACCEPT)

    assert page.status == 200
    assert page.headers["Content-Type"] == SIMPLE_JSON
    assert page.headers["Vary"] == "Accept"
    doc = json.loads(page.body)
    assert doc["meta"] == {"api-version": "1.1"}
    assert (doc["name"], doc["versions"]) == ("foo", ["1.0"])
    wheel, sdist = doc["files"]
    assert wheel["filename"] == "foo-1.0-py3-none-any.whl"
    assert wheel["url"] == "../../files/foo-1.0-py3-none-any.whl"
    body = urlopen(urljoin(served.index_url + "foo/", wheel["url"])).read()
    assert wheel["hashes"] == {"sha256": hashlib.sha256(body).hexdigest()}
    assert wheel["size"] == len(body)
    assert wheel["requires-python"] == ">=3.8,<4"
    assert wheel["yanked"] is False
    digest = hashlib.sha256(wheel_metadata(FOO).encode()).hexdigest()
    assert wheel["core-metadata"] == wheel["dist-info-metadata"] == {"sha256": digest}
    assert datetime.fromisoformat(wheel["upload-time"].replace("Z", "+00:00")).tzinfo
    assert (sdist["yanked"], sdist["core-metadata"]) == ("broken <build>", False)


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/html", "text/html; charset=utf-8"),
        ("*/*", "text/html; charset=utf-8"),
        (SIMPLE_HTML, SIMPLE_HTML),
        ("application/vnd.pypi.simple.latest+json", SIMPLE_JSON),
        (f"{SIMPLE_JSON};q=0.5, text/html", "text/html; charset=utf-8"),
        (f"text/*;q=0.2, {SIMPLE_JSON};q=0.3", SIMPLE_JSON),
        ("application/json", None),
    ],
)
def test_content_negotiation(served: IndexServer, accept: str, content_type: str | None) -> None:
    page = fetch(served, "/simple/foo/", Accept=accept)

    if content_type is None:
        assert page.status == 406
    else:
        assert page.headers["Content-Type"] == content_type


def test_json_api_and_metadata_files_can_be_disabled(index_server: IndexServer) -> None:
    index_server.json_api = index_server.metadata_files = False
    index_server.add_wheel(FOO)

    page = fetch(index_server, "/simple/foo/", Accept=PIP_ACCEPT)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "metadata" not in page.body.decode()
    assert fetch(index_server, WHEEL + ".metadata").status == 404


def test_metadata_file_is_the_wheels_metadata(served: IndexServer) -> None:
    served_metadata = fetch(served, WHEEL + ".metadata").body

    with zipfile.ZipFile(
        io.BytesIO(urlopen(served.file_url("foo-1.0-py3-none-any.whl")).read())
    ) as zf:
        assert served_metadata == zf.read("foo-1.0.dist-info/METADATA")
    assert served_metadata == wheel_metadata(FOO).encode()
    assert fetch(served, "/files/foo-1.0.tar.gz.metadata").status == 404


def test_project_list(served: IndexServer) -> None:
    served.add_wheel(WheelSpec("Bar_Baz", "2.0"))

    html_page = fetch(served, "/simple/")
    json_page = json.loads(fetch(served, "/simple/", Accept=SIMPLE_JSON).body)

    assert {text: a["href"] for text, a in anchors(html_page.body).items()} == {
        "bar-baz": "bar-baz/",
        "foo": "foo/",
    }
    assert json_page["projects"] == [{"name": "bar-baz"}, {"name": "foo"}]


def test_non_normalized_names_redirect(served: IndexServer) -> None:
    for path in ("/simple/Foo/", "/simple/foo", "/simple/FOO"):
        response = fetch(served, path)
        assert (response.status, response.headers["Location"]) == (301, "/simple/foo/"), path
    assert fetch(served, "/simple").headers["Location"] == "/simple/"
    served.add_wheel(WheelSpec("Foo_Bar", "1.0"))
    assert fetch(served, "/simple/Foo.Bar/").headers["Location"] == "/simple/foo-bar/"
    assert urlopen(served.index_url + "Foo_Bar").url == served.index_url + "foo-bar/"


def test_unknown_project_and_file_are_404(served: IndexServer) -> None:
    assert fetch(served, "/simple/nope/").status == 404
    assert fetch(served, "/files/nope-1.0.tar.gz").status == 404
    assert fetch(served, "/elsewhere").status == 404


# --- content management -------------------------------------------------------------------------


def test_add_file_derives_project_and_requires_python(
    index_server: IndexServer, make_wheel: MakeDist
) -> None:
    path = index_server.add_file(make_wheel("Real.Project", "3.1", requires_python=">=3.11"))
    uploaded = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    index_server.add_file(
        make_wheel("other", "1", requires_python=">=3"), requires_python="", upload_time=uploaded
    )

    page = json.loads(fetch(index_server, "/simple/real-project/", Accept=SIMPLE_JSON).body)
    assert page["files"][0]["requires-python"] == ">=3.11"
    other = json.loads(fetch(index_server, "/simple/other/", Accept=SIMPLE_JSON).body)
    assert other["files"][0]["requires-python"] is None
    assert other["files"][0]["upload-time"] == "2024-01-02T03:04:05.000000Z"
    with pytest.raises(ValueError, match="already served"):
        index_server.add_file(path)


def test_sdist_requires_python_comes_from_pkg_info(index_server: IndexServer) -> None:
    index_server.add_sdist(SdistSpec("s", "1.0", requires_python=">=3.9", format="zip"))

    assert 'data-requires-python="&gt;=3.9"' in fetch(index_server, "/simple/s/").body.decode()


def test_remove_file(served: IndexServer) -> None:
    served.remove_file("foo-1.0.tar.gz")
    assert set(anchors(fetch(served, "/simple/foo/").body)) == {"foo-1.0-py3-none-any.whl"}
    served.remove_file("foo-1.0-py3-none-any.whl")
    assert fetch(served, "/simple/foo/").status == 404


# --- HTTP caching -------------------------------------------------------------------------------


def test_cache_headers(served: IndexServer) -> None:
    for path in ("/simple/", "/simple/foo/", WHEEL, WHEEL + ".metadata"):
        response = fetch(served, path)
        assert response.headers["Cache-Control"] == "max-age=600", path
        assert response.headers["ETag"].startswith('"'), path
        assert response.headers["ETag"].endswith('"'), path
        assert parsedate_to_datetime(response.headers["Last-Modified"]).tzinfo, path
        assert response.headers["Date"], path
    assert fetch(served, "/simple/nope/").headers["Cache-Control"] == "no-store"


def test_cache_control_is_configurable(served: IndexServer) -> None:
    served.set_max_age(5)
    served.set_cache_control("max-age=31536000, immutable", "/files/")
    assert fetch(served, "/simple/foo/").headers["Cache-Control"] == "max-age=5"
    assert fetch(served, WHEEL).headers["Cache-Control"] == "max-age=31536000, immutable"
    served.set_cache_control(None)
    assert "Cache-Control" not in fetch(served, "/simple/foo/").headers
    with IndexServer(max_age=0, etag=False, last_modified=False) as bare:
        bare.add_wheel(FOO)
        response = fetch(bare, "/simple/foo/")
        assert response.headers["Cache-Control"] == "max-age=0"
        assert "ETag" not in response.headers
        assert "Last-Modified" not in response.headers
        assert fetch(bare, "/simple/foo/", If_None_Match="*").status == 200


@pytest.mark.parametrize("path", ["/simple/foo/", WHEEL])
def test_conditional_requests(served: IndexServer, path: str) -> None:
    first = fetch(served, path)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    not_modified = fetch(served, path, If_None_Match=etag)
    assert (not_modified.status, not_modified.body) == (304, b"")
    assert not_modified.headers["ETag"] == etag
    assert fetch(served, path, If_None_Match=f'"other", W/{etag}').status == 304
    assert fetch(served, path, If_Modified_Since=last_modified).status == 304
    earlier = formatdate(parsedate_to_datetime(last_modified).timestamp() - 1, usegmt=True)
    assert fetch(served, path, If_Modified_Since=earlier).status == 200
    # If-None-Match takes precedence over If-Modified-Since.
    assert fetch(served, path, If_None_Match='"x"', If_Modified_Since=last_modified).status == 200


def test_page_etag_depends_on_the_representation(served: IndexServer) -> None:
    html_etag = fetch(served, "/simple/foo/").headers["ETag"]
    assert fetch(served, "/simple/foo/", Accept=SIMPLE_JSON).headers["ETag"] != html_etag


def test_replacing_a_file_changes_validators(served: IndexServer, dist_dir: Path) -> None:
    before = {p: fetch(served, p).headers for p in ("/simple/foo/", WHEEL)}
    changed = WheelSpec("foo", "1.0", files={"foo/__init__.py": "changed = True\n"})
    served.replace_file(build_wheel(changed, dist_dir))

    for path, old in before.items():
        new = fetch(served, path).headers
        assert new["ETag"] != old["ETag"], path
        assert parsedate_to_datetime(new["Last-Modified"]) > parsedate_to_datetime(
            old["Last-Modified"]
        ), path
        assert fetch(served, path, If_None_Match=old["ETag"]).status == 200, path
        assert fetch(served, path, If_Modified_Since=old["Last-Modified"]).status == 200, path
    with pytest.raises(KeyError):
        served.replace_file(build_wheel(WheelSpec("new", "1.0"), dist_dir))


# --- ranges and HEAD ----------------------------------------------------------------------------


def test_ranges(served: IndexServer) -> None:
    body = fetch(served, WHEEL).body
    size = len(body)

    for header, start, end in [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, size - 1),
        ("bytes=-5", size - 5, size - 1),
        (f"bytes=5-{size * 2}", 5, size - 1),
    ]:
        response = fetch(served, WHEEL, Range=header)
        assert response.status == 206, header
        assert response.body == body[start : end + 1], header
        assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}", header
        assert response.headers["Accept-Ranges"] == "bytes"
    unsatisfiable = fetch(served, WHEEL, Range=f"bytes={size}-")
    assert unsatisfiable.status == 416
    assert unsatisfiable.headers["Content-Range"] == f"bytes */{size}"
    stale = fetch(served, WHEEL, Range="bytes=0-9", If_Range='"stale"')
    assert (stale.status, stale.body) == (200, body)


def test_ranges_can_be_ignored(index_server: IndexServer) -> None:
    index_server.ranges = False
    index_server.add_wheel(FOO)

    response = fetch(index_server, WHEEL, Range="bytes=0-9")
    assert response.status == 200
    assert len(response.body) == int(response.headers["Content-Length"]) > 10
    assert "Accept-Ranges" not in response.headers


def test_head(served: IndexServer) -> None:
    get = fetch(served, WHEEL)
    head = fetch(served, WHEEL, method="HEAD")

    assert (head.status, head.body) == (200, b"")
    assert head.headers["Content-Length"] == str(len(get.body))
    assert head.headers["ETag"] == get.headers["ETag"]


# --- observation --------------------------------------------------------------------------------


def test_requests_are_counted_and_logged_over_keep_alive(served: IndexServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(served.url).port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/simple/foo/", headers={"X-Probe": "1"})
        assert conn.getresponse().read()
    conn.request("HEAD", WHEEL)
    conn.getresponse().read()
    conn.close()

    assert served.count("/simple/foo/") == 3
    assert served.count(WHEEL) == 1
    assert served.count() == 4
    assert served.request_log[0] == ("GET", "/simple/foo/", served.request_log[0].headers)
    assert served.request_log[0].headers["x-probe"] == "1"
    served.reset_counts()
    assert served.count() == 0


# --- faults -------------------------------------------------------------------------------------


def test_fail_times_then_recovers(served: IndexServer) -> None:
    served.fail("/simple/foo/", 503, times=2)

    statuses = [fetch(served, "/simple/foo/").status for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert served.count("/simple/foo/") == 3


def test_fail_always_until_cleared(served: IndexServer) -> None:
    served.fail(WHEEL, 500)
    served.fail("/simple/missing/", 404)

    assert [fetch(served, WHEEL).status for _ in range(3)] == [500, 500, 500]
    assert fetch(served, "/simple/missing/").status == 404
    served.clear_faults()
    assert fetch(served, WHEEL).status == 200


def test_delay_still_answers(served: IndexServer) -> None:
    served.delay("/simple/foo/", 0.05, times=1)

    assert fetch(served, "/simple/foo/").status == 200


def test_truncate_sends_a_short_body(served: IndexServer) -> None:
    full = fetch(served, WHEEL).body
    served.truncate(WHEEL, 100, times=1)

    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(served.url).port, timeout=10)
    conn.request("GET", WHEEL)
    response = conn.getresponse()
    assert response.headers["Content-Length"] == str(len(full))
    with pytest.raises(http.client.IncompleteRead) as excinfo:
        response.read()
    assert excinfo.value.partial == full[:100]
    conn.close()
    assert fetch(served, WHEEL).body == full  # times=1: the retry succeeds


def test_corrupt_serves_different_bytes_of_the_same_length(served: IndexServer) -> None:
    good = fetch(served, WHEEL)
    served.corrupt(WHEEL)

    bad = fetch(served, WHEEL)
    assert bad.status == 200
    assert len(bad.body) == len(good.body)
    assert bad.body != good.body
    assert bad.headers["ETag"] == good.headers["ETag"]


# --- command line -------------------------------------------------------------------------------


def test_serves_a_directory_from_the_command_line(make_wheel: MakeDist, dist_dir: Path) -> None:
    make_wheel("cli-served", "1.0")
    command = [sys.executable, "-m", "tests.support.index", str(dist_dir)]
    # Run from the checkout, as a developer does (the tests' own working directory is not).
    checkout = Path(__file__).resolve().parents[2]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=checkout) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # "Serving 1 files at http://...simple/ (...)"
            index_url = line.split(" at ")[1].split()[0]
            page = urlopen(index_url + "cli-served/", timeout=10).read()
            assert b"cli_served-1.0-py3-none-any.whl" in page
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0


def test_served_metadata_parses(served: IndexServer) -> None:
    metadata = Metadata.from_email(fetch(served, WHEEL + ".metadata").body, validate=True)
    assert (metadata.name, str(metadata.requires_python)) == ("foo", "<4,>=3.8")


def test_the_listen_backlog_takes_a_clients_connections_at_once() -> None:
    """pyffin opens up to PYFFIN_CONCURRENT_DOWNLOADS (50) connections at once; a backlog
    smaller than that drops SYNs whenever the accepting thread lags, and each dropped one
    costs the client a 1 s retransmit."""
    from pyffin.client.http import HttpSettings
    from tests.support.index import _HTTPServer

    assert _HTTPServer.request_queue_size >= HttpSettings().concurrency


def test_auth_asks_every_request_for_its_credentials(served: IndexServer) -> None:
    import base64

    served.auth = ("alice", "s3cret")
    refused = fetch(served, "/simple/foo/")
    assert refused.status == 401 and refused.headers["WWW-Authenticate"] == 'Basic realm="index"'
    token = base64.b64encode(b"alice:s3cret").decode()
    assert fetch(served, WHEEL, Authorization=f"Basic {token}").status == 200
    assert fetch(served, WHEEL, Authorization="Basic d3Jvbmc6d3Jvbmc=").status == 401


def test_tls_serves_https_with_the_given_certificate(
        tmp_path_factory: pytest.TempPathFactory, tls_certificate: tuple[Path, Path]) -> None:
    import ssl

    cert, _key = tls_certificate
    with IndexServer(tls=tls_certificate, dist_dir=tmp_path_factory.mktemp("tls")) as server:
        server.add_wheel(FOO)
        assert server.index_url.startswith("https://127.0.0.1:")
        with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
            urlopen(server.index_url + "foo/", timeout=10)
        context = ssl.create_default_context(cafile=str(cert))
        with urlopen(server.index_url + "foo/", timeout=10, context=context) as response:
            assert b"foo-1.0-py3-none-any.whl" in response.read()
