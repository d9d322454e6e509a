"""Parsing PEP 503 HTML and PEP 691 JSON project pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pyffin import log
from pyffin.client.simple import IndexPageError, parse_page

URL = "https://example.org/simple/foo/"
SHA = "a" * 64


def html(*anchors: str, head: str = "") -> bytes:
    return (f"<!DOCTYPE html><html><head>{head}</head><body>" + "".join(anchors)
            + "</body></html>").encode()


def test_html_links_are_resolved_and_grouped_by_version() -> None:
    page = parse_page("Foo", URL, html(
        f'<a href="../../files/foo-1.0-py3-none-any.whl#sha256={SHA}">foo-1.0</a>',
        '<a href="https://cdn.example.org/foo-1.0.tar.gz">foo-1.0.tar.gz</a>',
        '<a href="foo-2.0rc1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl">x</a>',
    ), "text/html")
    assert page.name == "foo"
    assert sorted(page.versions) == ["1.0", "2.0rc1"]
    wheel = next(page.wheels("1.0"))
    assert wheel.file.url == "https://example.org/files/foo-1.0-py3-none-any.whl"
    assert wheel.file.hash() == SHA
    assert wheel.tags == ("py3-none-any",)
    sdist = next(page.sdists("1.0"))
    assert sdist.url == "https://cdn.example.org/foo-1.0.tar.gz" and sdist.hashes == ()
    compressed = next(page.wheels("2.0rc1"))
    assert compressed.tags == ("cp311-cp311-manylinux2014_x86_64",
                               "cp311-cp311-manylinux_2_17_x86_64")


def test_html_attributes() -> None:
    page = parse_page("foo", URL, html(
        '<a href="foo-1.0.tar.gz" data-requires-python="&gt;=3.8,&lt;4" data-yanked="">a</a>',
        '<a href="foo-1.1.tar.gz" data-yanked="broken build">a</a>',
        f'<a href="foo-1.2-py3-none-any.whl" data-dist-info-metadata="sha256={SHA}">a</a>',
        '<a href="foo-1.3-py3-none-any.whl" data-core-metadata="true">a</a>',
        '<a href="foo-1.4-py3-none-any.whl">a</a>',
    ), "text/html; charset=utf-8")
    f10 = next(page.sdists("1.0"))
    assert f10.requires_python == ">=3.8,<4" and f10.yanked == ""
    assert next(page.sdists("1.1")).yanked == "broken build"
    assert next(page.wheels("1.2")).file.core_metadata == (("sha256", SHA),)
    assert next(page.wheels("1.3")).file.core_metadata == ()
    assert next(page.wheels("1.4")).file.core_metadata is None
    assert next(page.wheels("1.4")).file.yanked is None


def test_hashes_in_fragments_and_attributes_of_any_algorithm_are_kept() -> None:
    page = parse_page("foo", URL, html(
        f'<a href="foo-1.0.tar.gz#sha512={"B" * 128}&egg=foo">a</a>',
        f'<a href="foo-1.1.tar.gz#egg=foo&blake3={"c" * 64}">a</a>',
        '<a href="foo-1.2.tar.gz#egg=foo&subdirectory=src">a</a>',
        f'<a href="foo-1.3-py3-none-any.whl" data-core-metadata="sha999={"d" * 40}">a</a>',
    ), "text/html")
    assert next(page.sdists("1.0")).hashes == (("sha512", "b" * 128),)
    # An algorithm pyffin cannot compute stays listed: a file is not unhashed because of it.
    assert next(page.sdists("1.1")).hashes == (("blake3", "c" * 64),)
    assert next(page.sdists("1.2")).hashes == ()
    assert next(page.wheels("1.3")).file.core_metadata == (("sha999", "d" * 40),)


@pytest.mark.parametrize("link", ["file:///etc/evil-1.0-py3-none-any.whl",
                                  "FILE:///etc/evil-1.0-py3-none-any.whl",
                                  "ftp://example.org/evil-1.0-py3-none-any.whl"])
def test_a_remote_page_may_only_link_to_http_urls(link: str) -> None:
    messages: list[str] = []
    log.configure(lambda level, message: messages.append(message), log.WARNING)
    try:
        html_page = parse_page("evil", URL, html(
            f'<a href="{link}">x</a>', '<a href="evil-2.0-py3-none-any.whl">y</a>'), "text/html")
        json_page = parse_page("evil", URL, json.dumps({"meta": {"api-version": "1.0"}, "files": [
            {"filename": "evil-1.0-py3-none-any.whl", "url": link, "hashes": {}}]}).encode(),
            "application/vnd.pypi.simple.v1+json")
        based = parse_page("evil", URL, html('<a href="evil-1.0-py3-none-any.whl">x</a>',
                                             head='<base href="file:///etc/">'), "text/html")
    finally:
        log.configure(None)
    assert sorted(html_page.versions) == ["2.0"]
    assert json_page.versions == {} and based.versions == {}
    assert len(messages) == 3
    assert messages[0].startswith("Ignoring the link to ")
    assert f"on {URL}: a remote page may only link to http(s) URLs" in messages[0]


def test_a_local_page_may_link_to_local_files() -> None:
    page = parse_page("foo", "file:///srv/simple/foo/", html(
        '<a href="foo-1.0-py3-none-any.whl">a</a>',
        '<a href="file:///srv/wheels/foo-2.0-py3-none-any.whl">b</a>',
        '<a href="https://example.org/foo-3.0-py3-none-any.whl">c</a>'), "text/html")
    assert sorted(page.versions) == ["1.0", "2.0", "3.0"]
    assert next(page.wheels("1.0")).file.url == "file:///srv/simple/foo/foo-1.0-py3-none-any.whl"


def test_base_tag_and_credentials_are_handled() -> None:
    page = parse_page("foo", URL, html(
        '<a href="foo-1.0.tar.gz">a</a>',
        head='<base href="https://user:secret@mirror.example.org/pkgs/">'), "text/html")
    assert next(page.sdists("1.0")).url == "https://mirror.example.org/pkgs/foo-1.0.tar.gz"


def test_unparsable_and_foreign_files_are_skipped() -> None:
    page = parse_page("foo", URL, html(
        '<a href="foo-1.0.exe">a</a>', '<a href="foo-latest.tar.gz">a</a>',
        '<a href="bar-1.0.tar.gz">a</a>', '<a href="foo-1.0-py3-none-any.whl.metadata">a</a>',
        '<a>no href</a>', '<a href="foo-1.0.zip">a</a>'), "text/html")
    assert list(page.versions) == ["1.0"]
    assert [f.filename for f in page.files()] == ["foo-1.0.zip"]


def json_page(files: list[dict[str, object]], version: str = "1.1") -> bytes:
    return json.dumps({"meta": {"api-version": version}, "name": "foo",
                       "files": files}).encode()


def test_json_files() -> None:
    page = parse_page("foo", URL, json_page([
        {"filename": "foo-1.0-py3-none-any.whl", "url": "../../files/foo-1.0-py3-none-any.whl",
         "hashes": {"sha256": SHA.upper(), "md5": "b" * 32}, "requires-python": ">=3.9",
         "yanked": "bad", "core-metadata": {"sha256": SHA}, "size": 123,
         "upload-time": "2024-01-02T03:04:05.123456Z"},
        {"filename": "foo-1.0.tar.gz", "url": "https://files.example.org/foo-1.0.tar.gz",
         "hashes": {}, "yanked": True, "dist-info-metadata": True},
        {"filename": "foo-2.0.tar.gz", "url": "foo-2.0.tar.gz", "hashes": {},
         "yanked": False},
    ]), "application/vnd.pypi.simple.v1+json")
    wheel = next(page.wheels("1.0")).file
    assert wheel.url == "https://example.org/files/foo-1.0-py3-none-any.whl"
    assert wheel.hashes == (("md5", "b" * 32), ("sha256", SHA))
    assert (wheel.requires_python, wheel.yanked, wheel.size) == (">=3.9", "bad", 123)
    assert wheel.core_metadata == (("sha256", SHA),)
    assert wheel.upload_time == pytest.approx(1704164645.123456)
    sdist = next(page.sdists("1.0"))
    assert sdist.yanked == "" and sdist.core_metadata == ()
    assert next(page.sdists("2.0")).yanked is None


@pytest.mark.parametrize("content,message", [
    (b"{not json", "is not valid JSON"),
    (b'{"meta": {"api-version": "1.0"}}', "no 'files' list"),
    (json_page([], version="2.0"), "simple API version 2.0"),
    (json_page([{"filename": "foo-1.0.tar.gz"}]), "a file without a URL"),
])
def test_malformed_json_pages_are_errors_naming_the_url(content: bytes, message: str) -> None:
    with pytest.raises(IndexPageError, match=message) as info:
        parse_page("foo", URL, content, "application/vnd.pypi.simple.v1+json")
    assert URL in str(info.value)


def test_non_utf8_html_is_an_error() -> None:
    with pytest.raises(IndexPageError, match="not valid utf-8"):
        parse_page("foo", URL, b"<a href='foo-1.0.tar.gz'>\xff\xfe</a>", "text/html")


def test_declared_charset_is_honoured() -> None:
    page = parse_page("foo", URL, '<a href="foo-1.0.tar.gz">é</a>'.encode("latin-1"),
                      "text/html; charset=latin-1")
    assert list(page.versions) == ["1.0"]


def test_page_record_round_trip() -> None:
    from pyffin.cache import codec
    from pyffin.models.files import SimplePage

    anchor = f'<a href="foo-1.0-py3-none-any.whl#sha256={SHA}">a</a>'
    page = parse_page("foo", URL, html(anchor), "text/html")
    data = codec.dumps(SimplePage.RECORD_SCHEMA, 1, page.to_record())
    again = SimplePage.from_record(codec.loads(data, SimplePage.RECORD_SCHEMA, 1))
    assert list(again.files()) == list(page.files())


def test_legacy_sdist_names_are_read_as_uv_reads_them() -> None:
    # The project's name, a dash, and a version that normalizes: only then (uv's rule).
    page = parse_page("pybbox", URL, html(
        '<a href="pybbox-0.0.5-alpha.zip">a</a>', '<a href="PyBBox-0.0.6-beta2.tar.gz">a</a>',
        '<a href="pybbox-0.0.4.tar.gz">a</a>', '<a href="pybbox-extra-1.0.zip">a</a>',
        '<a href="pybbox-latest-x.tar.gz">a</a>'), "text/html")
    assert sorted(page.versions) == ["0.0.4", "0.0.5a0", "0.0.6b2"]
    assert next(page.sdists("0.0.5a0")).filename == "pybbox-0.0.5-alpha.zip"


@pytest.mark.parametrize("href", [
    "foo-1.0.tar.gz", "../../files/foo-1.0.tar.gz", "./foo-1.0.tar.gz", "/files/foo-1.0.tar.gz",
    "//cdn.example.org/a/foo-1.0.tar.gz", "../x/../files/foo-1.0.tar.gz",
    "files/foo-1.0.tar.gz?token=1", "files/foo-1.0.tar.gz;p", "files/foo%2D1.0.tar.gz",
    "a/b/.", "a/b/..", "a/b/", "c:foo-1.0.tar.gz", " foo-1.0.tar.gz", "a\tb/foo-1.0.tar.gz",
])
@pytest.mark.parametrize("base", [URL, "https://example.org/simple/foo", "file:///srv/s/foo/",
                                  "https://example.org/simple/foo/?page=2"])
def test_relative_links_join_as_urljoin_joins_them(base: str, href: str) -> None:
    from urllib.parse import urljoin

    from pyffin.client.simple import _Links

    links = _Links(base)
    links.url("files/other-1.0.tar.gz")  # a directory joined before is reused, not misused
    assert links.url(href)[0] == urljoin(base, href)


def test_directories_join_as_urljoin_joins_them() -> None:
    # join_url joins the usual shapes by hand (see _join_plain): every mix of segments that
    # urljoin resolves in its own way (dots, empty ones, more ".." than the base has).
    from itertools import product
    from urllib.parse import urljoin

    from pyffin.models.files import _join_plain

    segments = ["", ".", "..", "a", "...", ".a", "%2F"]
    bases = [f"{scheme}://{host}{path}" for scheme, host, path in product(
        ("http", "https"), ("h", "u:p@127.0.0.1:8080"),
        ("/", "//", "/simple/foo/", "/simple/foo", "/a/./b/../", "/a//b/"))]
    joined = 0
    for base in bases:
        for count in range(1, 4):
            for parts in product(segments, repeat=count):
                directory = "/".join(parts)
                found = _join_plain(base, directory)
                if directory[:1] not in ("", "/"):
                    assert found == urljoin(base, directory + "/x")[:-1], (base, directory)
                    joined += 1
                else:
                    assert found is None  # an absolute path: urljoin's
    assert joined
    for base, directory in [("HTTP://h/s/", "a"), ("file:///s/", "a"), ("http://h/s/", "c:d"),
                            ("http://h/s/?q", "a"), ("http://h/s/", "a b"), ("http://h/é/", "a"),
                            ("http://[::1]/s/", "a"), ("http://h", "a"), ("http:///s/", "a")]:
        assert _join_plain(base, directory) is None


@pytest.mark.parametrize("value", [
    "2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:05Z", "1970-01-01T00:00:00.000001Z",
    "2099-12-31T23:59:59.999999Z", "1900-02-28T12:00:00Z", "2024-02-30T03:04:05Z",
    "2024-01-02T24:04:05Z", "2024-01-02T03:04:05.12Z", "2024-01-02T03:04:05.123456+01:00",
    "2024-01-02 03:04:05Z", "2024-01-02T03:04:0\u0665Z", "not a time", "",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2000-02-29T00:00:00Z",
    "2100-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "2024-13-01T00:00:00Z",
    "2024-00-10T00:00:00Z", "2024-04-31T00:00:00Z", "2024-1a-01T00:00:00Z",
    "\u0662024-01-01T00:00:00Z",
])
@pytest.mark.parametrize("by_hand", [True, False])  # the first ones read, or the next
def test_upload_times_are_the_timestamps_datetime_gives(value: str, by_hand: bool,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from pyffin.client.simple import _upload_time
    from pyffin.models import files

    monkeypatch.setattr(files, "_BY_HAND_LEFT", 10**9)
    monkeypatch.setattr(files, "_FROM_ISO", [] if by_hand or not files._ISO_READS_ALL
                        else [datetime.fromisoformat])
    try:
        expected: float | None = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        expected = None
    assert _upload_time(value, {}) == expected


def test_many_upload_times_are_read_by_datetime(monkeypatch: pytest.MonkeyPatch) -> None:
    # A warm command's few without importing datetime; a cold one's many in C, from 3.11.
    from pyffin.models import files

    monkeypatch.setattr(files, "_BY_HAND_LEFT", 3)
    monkeypatch.setattr(files, "_FROM_ISO", [])
    for _ in range(2):
        files.upload_time("2024-01-02T03:04:05Z")
    assert files._FROM_ISO == []
    for _ in range(2):
        assert files.upload_time("2024-01-02T03:04:05Z") == 1704164645.0
    assert bool(files._FROM_ISO) == files._ISO_READS_ALL


@pytest.mark.parametrize("form", ["html", "json", "json-absolute"])
def test_wheel_filenames_are_parsed_as_packaging_parses_them(form: str) -> None:
    # JSON pages group most wheels in a loop of their own (kept as listed): same rules.
    # Some follow a wheel whose part before the tags starts theirs.
    names = ["foo-1.0-py3-none-any.whl", "foo-1.0-1-py3-none-any.whl", "foo-1.0-py3-none.whl",
             "foo-1.0-cp311-cp311-win_amd64.whl", "foo-1.0-py3-none-any-x.whl",
             "foo-1.0-py3-none-any.whl", "Foo-1.0.0-1-py2.py3-none-any.whl",
             "foo-1.0-2b-py3-none-any.whl", "foo-1.0-x-py3-none-any.whl",
             "foo-1.0-py3-none-any.whl", "foo-v1-py3-none-any.whl", "foo-1.0-py3-none.whl",
             "foo__bar-1.0-py3-none-any.whl", "foo-1.0-3.11-none-any.whl",
             "foo-1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
             "foo-01.0-py3-none-any.whl", "bar-1.0-py3-none-any.whl", "foo-1.0--py3-none-any.whl"]
    if form == "html":
        page = parse_page("foo", URL, html(*(f'<a href="{n}">x</a>' for n in names)),
                          "text/html")
    else:
        prefix = "https://files.example.org/" if form == "json-absolute" else "../../f/"
        page = parse_page("foo", URL, json_page([{"filename": n, "url": prefix + n}
                                                 for n in names]),
                          "application/vnd.pypi.simple.v1+json")
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    expected: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
    for filename in names:
        try:
            name, version, build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        if name == "foo":
            expected.setdefault(str(version), []).append((
                filename, tuple(sorted(str(t) for t in tags)),
                "".join(map(str, build)) if build else ""))
    assert {key: [(row[0], row[8], row[9]) for row in wheels]
            for key, (wheels, _) in page.versions.items()} == expected


def test_each_distinct_filename_part_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import packaging.tags
    import packaging.utils

    from pyffin.client import simple
    from pyffin.client.simple import FilenameParts

    parsed: list[str] = []
    real = packaging.utils.parse_wheel_filename
    real_tags = packaging.tags.parse_tag
    real_name = simple._wheel_name

    def counted(filename: str) -> Any:
        parsed.append(filename)
        return real(filename)

    def counted_tags(tags: str) -> Any:
        parsed.append(tags)
        return real_tags(tags)

    def counted_name(part: str) -> Any:
        parsed.append(part)
        return real_name(part)

    monkeypatch.setattr(packaging.utils, "parse_wheel_filename", counted)
    monkeypatch.setattr(packaging.tags, "parse_tag", counted_tags)
    monkeypatch.setattr(simple, "_wheel_name", counted_name)
    parts = FilenameParts()  # what a registry keeps for its session
    for project in ("foo", "bar"):
        page = parse_page(project, URL, html(*(
            f'<a href="{project}-{v}-{tag}.whl">x</a>' for v in ("1.0", "2.0")
            for tag in ("py3-none-any", "CP311-CP311-Manylinux_2_17_x86_64"))), "text/html",
            parts)
        assert len(page) == 4
    # A name part per project, each tag set once in all: not once per file or per page (tags
    # in plain lower case are read without packaging).
    assert sorted(parsed) == ["CP311-CP311-Manylinux_2_17_x86_64", "bar", "foo"]


@pytest.mark.parametrize("part", [
    "foo", "Foo.Bar", "foo_bar", "foo__bar", "_foo", "foo_", ".foo", "a", "A1", "1", "ñame",
    "na\u0308me", "foo.bar_baz", "foo..bar", "foo bar", "foo!", "foo+bar", "", "foo\n",
    "\u0661\u0662", "FOO___BAR", "x\u2126",
])
def test_a_wheel_name_part_is_read_as_parse_wheel_filename_reads_it(part: str) -> None:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from pyffin.client.simple import FilenameParts

    try:
        expected: str | None = parse_wheel_filename(f"{part}-1.0-py3-none-any.whl")[0]
    except InvalidWheelFilename:
        expected = None
    assert FilenameParts().name(part) == expected


@pytest.mark.parametrize("part", [
    "1", "01", "1abc", "12_x", "0", "abc", "", "_1", "1.2", "\u0661", "1\n", "007bond",
    "1" * 5000,
])
def test_a_build_tag_is_read_as_parse_wheel_filename_reads_it(part: str) -> None:
    # As a page row keeps it: the number and the rest written out again. (Digits past what
    # Python makes an int of raise ValueError in packaging: not a build tag here.)
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from pyffin.client.simple import FilenameParts

    try:
        build = parse_wheel_filename(f"foo-1.0-{part}-py3-none-any.whl")[2]
        expected: str | None = "".join(map(str, build))
    except (InvalidWheelFilename, ValueError):
        expected = None
    assert FilenameParts().build(part) == expected


def test_pages_are_parsed_without_packaging_utils() -> None:
    """A page worker's first request waits for its imports: ``packaging.utils`` (with
    ``packaging.tags``, :mod:`subprocess`, :mod:`sysconfig`) is not one of them."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pyffin.resolver import page_worker\n"
        "page_worker._import_page_path()\n"
        "from pyffin.client.simple import parse_page\n"
        "page = parse_page('foo', 'https://example.org/simple/foo/', sys.stdin.buffer.read(),"
        " 'application/vnd.pypi.simple.v1+json')\n"
        "assert len(page) == 3, page  # files\n"
        "print(sorted(m for m in ('packaging.utils', 'packaging.tags', 'subprocess')"
        " if m in sys.modules))\n")
    entries = [{"filename": name, "url": f"https://files.example.org/{name}"}
               for name in ("Foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz",
                            "foo-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl")]
    done = subprocess.run([sys.executable, "-c", script], input=json_page(entries),
                          capture_output=True, check=True)
    assert done.stdout.decode().strip() == "[]"


@pytest.mark.parametrize("href", [
    "../../files/foo-1.0.tar.gz", "https://example.org/files/foo-1.0.tar.gz",
    "https://u:p@example.org/files/foo-1.0.tar.gz", "../../files/foo-1.0.tar.gz#sha256=" + SHA,
])
@pytest.mark.parametrize("page_url", [URL, "https://user:secret@example.org/simple/foo/"])
def test_json_links_are_absolute_without_credentials(page_url: str, href: str) -> None:
    page = parse_page("foo", page_url, json_page([{"filename": "foo-1.0.tar.gz", "url": href,
                                                   "hashes": {}}]),
                      "application/vnd.pypi.simple.v1+json")
    sdist = next(page.sdists("1.0"))
    assert sdist.url == "https://example.org/files/foo-1.0.tar.gz"
    assert sdist.hashes == ((("sha256", SHA),) if "#" in href else ())


def test_json_files_are_the_same_read_back_from_their_record() -> None:
    import marshal

    from pyffin.models.files import SimplePage

    page = parse_page("foo", URL, json_page([
        {"filename": "foo-1.0-py3-none-any.whl", "url": "../../files/foo-1.0-py3-none-any.whl",
         "hashes": {"sha256": SHA}, "requires-python": ">=3.9", "yanked": False,
         "core-metadata": False, "dist-info-metadata": {"sha256": SHA}, "size": 1,
         "upload-time": "2024-01-02T03:04:05Z"},
        {"filename": "foo-1.0-py2-none-any.whl", "url": "../../files/foo-1.0-py2-none-any.whl",
         "hashes": "not a table"},
        {"filename": "foo-1.0.tar.gz", "url": "https://files.example.org/foo-1.0.tar.gz",
         "hashes": {"sha256": SHA}, "dist-info-metadata": {"sha256": SHA}},
    ]), "application/vnd.pypi.simple.v1+json")
    stored = SimplePage.from_record(marshal.loads(marshal.dumps(page.to_record())))
    assert list(stored.files()) == list(page.files())
    [py2, py3] = sorted((w.file for w in stored.wheels("1.0")), key=lambda f: f.filename)
    assert py3.core_metadata is None  # core-metadata says no, whatever the older key says
    assert py2.hashes == () and py2.requires_python is None and py2.yanked is None
    assert next(stored.sdists("1.0")).core_metadata == (("sha256", SHA),)


def full_entry(filename: str, url: str, **values: object) -> dict[str, object]:
    """A PEP 691 file entry with every key an index like PyPI gives."""
    entry: dict[str, object] = {
        "filename": filename, "url": url, "hashes": {"sha256": SHA}, "requires-python": None,
        "yanked": False, "upload-time": "2024-01-02T03:04:05Z", "size": 1,
        "core-metadata": False, "dist-info-metadata": False}
    entry.update(values)
    return entry


#: Filenames of every kind a page may list, odd ones between the usual ones (order matters:
#: files of a version stay in page order).
ODD_NAMES = [
    "foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz", "Foo-1.0.0-1-py2.py3-none-any.whl",
    "foo-1.0-2b-py3-none-any.whl", "foo-1.0-x-py3-none-any.whl", "foo-1.0-py3-none.whl",
    "foo-v1-py3-none-any.whl", "foo__bar-1.0-py3-none-any.whl", "bar-1.0-py3-none-any.whl",
    "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "foo-1.0.zip", "foo-1.0-alpha.zip",
    "bar-1.0.tar.gz", "foo-latest.tar.gz", "foo-1.0.exe", "foo-01.0-py3-none-any.whl",
    "foo-1.0-py3-none-any.whl.metadata", "FOO-1.0.tar.gz", "foo-1.0-1-py3-none-any.whl",
    "foo-1.0--py3-none-any.whl", "foo-2.0-py3-none-any.whl", "foo-1.0.whl", "foo.whl",
    "foo-1.0-1-x-py3-none-any.whl", "foo-1.0-py3-none-any-.whl", "-1.0-py3-none-any.whl",
]


@pytest.mark.parametrize("metadata", [True, False])
@pytest.mark.parametrize("prefix", ["https://files.example.org/f/", "../../f/", "f/"])
def test_a_page_of_plain_entries_is_grouped_as_file_by_file(
        prefix: str, metadata: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Entries with every key (or every key but the metadata ones, which an index serving no
    # metadata may leave out) and plain URLs (nearly every page) are grouped in one pass over
    # the page: the same page as the way file by file, for every kind of filename.
    from pyffin.client import simple

    entries = [full_entry(name, prefix + name, yanked=i % 3 == 0,
                          **{"requires-python": ">=3.8" if i % 2 else None,
                             "core-metadata": {"sha256": SHA} if i % 4 == 1 else False})
               for i, name in enumerate(ODD_NAMES)]
    if not metadata:
        for entry in entries:
            del entry["core-metadata"], entry["dist-info-metadata"]
    content = json_page(entries)
    passes: list[bool] = []
    whole_page = simple._add_listed_page

    def counted(*args: Any) -> bool:
        passes.append(whole_page(*args))
        return passes[-1]

    monkeypatch.setattr(simple, "_add_listed_page", counted)
    grouped = parse_page("foo", URL, content, "application/vnd.pypi.simple.v1+json")
    monkeypatch.setattr(simple, "_add_listed_page", lambda *args: False)
    one_by_one = parse_page("foo", URL, content, "application/vnd.pypi.simple.v1+json")
    assert passes == [True]
    assert grouped.to_record() == one_by_one.to_record()  # each version's files in order
    assert {key: grouped.rows(key) for key in grouped} == {
        key: one_by_one.rows(key) for key in one_by_one}
    # Versions in the order the page first lists them, as on an HTML page.
    assert list(grouped) == ["1.0", "1.0.0", "1", "1.0a0", "2.0"]


@pytest.mark.parametrize("page_url,entries", [
    (URL, [full_entry("foo-1.0.tar.gz", "f/foo-1.0.tar.gz"),
           full_entry("foo-2.0.tar.gz", "https://files.example.org/foo-2.0.tar.gz")]),
    (URL, [full_entry("foo-1.0.tar.gz", "f/foo-1.0.tar.gz#sha256=" + SHA)]),
    (URL, [full_entry("foo-1.0.tar.gz", "https://u:p@example.org/foo-1.0.tar.gz")]),
    (URL, [full_entry("foo-1.0.tar.gz", "c:foo-1.0.tar.gz")]),
    (URL, [full_entry("foo-1.0.tar.gz", "f/foo-1.0.tar.gz\n")]),
    (URL, [full_entry("", "f/foo-1.0.tar.gz")]),
    (URL, [{"filename": "foo-1.0.tar.gz", "url": "f/foo-1.0.tar.gz"}]),
    (URL, [full_entry("foo-1.0.tar.gz", "f/foo-1.0.tar.gz"),
           {key: value for key, value in full_entry("foo-2.0.tar.gz", "f/foo-2.0.tar.gz").items()
            if key != "core-metadata"}]),
    (URL, [{key: value for key, value in full_entry("foo-1.0.tar.gz", "f/foo-1.0.tar.gz").items()
            if key != "core-metadata"}]),
    (URL, ["foo-1.0.tar.gz"]),
    ("https://user:secret@example.org/simple/foo/",
     [full_entry("foo-1.0.tar.gz", "f/foo-1.0.tar.gz")]),
    ("file:///srv/simple/foo/", [full_entry("foo-1.0.tar.gz", "f/foo-1.0.tar.gz")]),
])
def test_a_page_with_any_odd_entry_goes_file_by_file(page_url: str,
                                                     entries: list[Any]) -> None:
    # Mixed absolute and relative URLs, a fragment, credentials (in a link or the page's
    # URL), a scheme-like or multi-line URL, no filename, missing keys (some metadata keys
    # but not all), an entry not a table, a local page.
    from pyffin.client.simple import PageBuilder, _add_listed_page
    from pyffin.models.files import listed_files

    builder = PageBuilder("foo", page_url)
    relative_base = page_url if page_url.startswith("https://") and "@" not in page_url else None
    assert not _add_listed_page(listed_files(entries), builder, relative_base)
    assert builder.versions == {}


@pytest.mark.parametrize("tags", [
    "py3-none-any", "py2.py3-none-any", "CP311-CP311-Manylinux_2_17_x86_64",
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "cp39.cp310-abi3.none-win32",
    "py3-none-", "py3..py2-none-any", "3py-none-any", "py-3-none-any", "py3-none",
    "py3.py3-none-any", "py2.py3-none.abi3-any.win32", "_py3-none-any", "py3-none-any.",
    "py3-.none-any", "pp310.cp310-pypy310_pp73.cp310-macosx_11_0_arm64.win_amd64",
])
def test_a_wheel_s_tags_are_read_as_parse_wheel_filename_reads_them(tags: str) -> None:
    # Each distinct tag part is parsed once, by packaging's own rules: valid ones as the set
    # of their tags (lower case, sorted), invalid ones as None.
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from pyffin.client.simple import FilenameParts

    try:
        expected: tuple[str, ...] | None = tuple(sorted(
            str(tag) for tag in parse_wheel_filename(f"foo-1.0-{tags}.whl")[3]))
    except InvalidWheelFilename:
        expected = None
    assert FilenameParts().tag_set(tags) == expected


@pytest.mark.parametrize("text", [
    "1.0", "0", "2!1.0rc1.post2.dev3", "1.0a0", "1.0b12", "10.20.30.post0", "1.0.dev0",
    "1.01", "01.0", "0!1.0", "1.0-1", "1.0A1", "1.0.a1", "1.0alpha1", "1.0c1", "1.0pre1",
    "1.0post1", "1.0.post", "1.0-dev", "1.0+local.7", "1.0+Local.007", "v1.0", " 1.0",
    "1.0_post1", "1.0a", "1.0rc", "1.0.0.0.0", "1!0", "\u0661.\u0660", "1.0\n", "not a version",
])
def test_a_version_key_is_the_normalized_version(text: str) -> None:
    # Versions are keyed by their normalized string (what str(Version) gives): a text already
    # in that form is its own key, others are written again; invalid ones have none.
    from packaging.version import InvalidVersion, Version

    from pyffin.client.simple import FilenameParts

    try:
        expected: str | None = str(Version(text))
    except InvalidVersion:
        expected = None
    parts = FilenameParts()
    assert parts.version(text) == expected
    if expected is not None:
        assert parts.parsed[expected] == Version(text)


@pytest.mark.parametrize("text", [
    'href="foo-1.0.tar.gz"',
    f'href="../../files/foo-1.0-py3-none-any.whl#sha256={SHA}"'
    f' data-requires-python="&gt;=3.8,&lt;4" data-dist-info-metadata="sha256={SHA}"'
    f' data-core-metadata="sha256={SHA}"',
    'href="foo-1.0.tar.gz" data-yanked=""',
    'href="foo-1.0.tar.gz#sha512=ab&amp;egg=foo" /',
    'href="a" href="b"',  # the first counts
    'HREF="foo-1.0.tar.gz" Data-Yanked="x"',
    "href='foo-1.0.tar.gz' data-yanked='it &amp; that'",
    'href=foo-1.0.tar.gz data-yanked',
    'href = "foo-1.0.tar.gz"',
    'href="foo.tar.gz"data-yanked="glued"',
    'href="a" stray text data-x="y"',
])
def test_anchor_attributes_read_the_usual_shape_as_any_shape(text: str) -> None:
    from pyffin.client.simple import _any_attributes, _attributes

    assert _attributes(text) == _any_attributes(text)


def test_the_usual_attribute_shape_is_read_without_the_general_loop(monkeypatch: Any) -> None:
    from pyffin.client import simple

    def general(text: str) -> dict[str, str | None]:
        raise AssertionError(f"read the general way: {text}")

    monkeypatch.setattr(simple, "_any_attributes", general)
    page = parse_page("foo", URL, html(
        f'<a href="foo-1.0-py3-none-any.whl#sha256={SHA}" data-requires-python="&gt;=3.8"'
        f' data-core-metadata="sha256={SHA}">foo-1.0-py3-none-any.whl</a><br/>',
    ), "text/html")
    wheel = next(page.wheels("1.0"))
    assert wheel.file.requires_python == ">=3.8" and wheel.file.core_metadata == (("sha256", SHA),)


@pytest.mark.parametrize("names,plain", [
    ("foo-1.0.tar.gz/foo-1.0-py3-none-any.whl", True),
    ("foo 1.0.tar.gz", False), ("fé-1.0.tar.gz", False),
    # A 2-byte character and a space: as many bytes left as characters, still not plain.
    ("fé o-1.0.tar.gz", False),
])
def test_plain_names_are_ascii_without_odd_characters(names: str, plain: bool) -> None:
    from pyffin.client.simple import _plain_names

    assert _plain_names(names) is plain
