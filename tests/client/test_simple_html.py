"""PEP 503 (HTML) pages: anchors of the usual shape are kept as listed (as PEP 691 files are)
and give the same page as reading every anchor the general way (:func:`_html_rows`), whatever
else the page holds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from pyffin import log
from pyffin.client import simple
from pyffin.client.simple import PageBuilder, parse_html, parse_page
from pyffin.models.files import SimplePage
from pyffin.models.urls import redact

URL = "https://example.org/simple/foo/"
SHA = "0123456789abcdef" * 4


def general(name: str, url: str, text: str) -> SimplePage:
    """The page every anchor of which is read the general way (what ``parse_page`` made of
    an HTML page before anchors were kept as listed)."""
    builder = PageBuilder(name, redact(url))
    for row in simple._html_rows(url, text):
        builder.add_row(row[0], row)
    return builder.page()


def parsed(name: str, url: str, text: str) -> tuple[SimplePage, list[tuple[int, str]]]:
    """``parse_page`` of the page, with what it logged."""
    messages: list[tuple[int, str]] = []
    log.configure(lambda level, message: messages.append((level, message)), log.DEBUG)
    try:
        page = parse_page(name, url, text.encode(), "text/html")
    finally:
        log.configure(None)
    return page, messages


def assert_same_as_general(name: str, url: str, text: str) -> SimplePage:
    """The page, its versions in order, each version's files in order, and what was logged
    (skipped files, refused links), are those of the general way."""
    page, messages = parsed(name, url, text)
    expected_messages: list[tuple[int, str]] = []
    log.configure(lambda level, message: expected_messages.append((level, message)), log.DEBUG)
    try:
        expected = general(name, url, text)
    finally:
        log.configure(None)
    assert page.name == expected.name
    assert list(page) == list(expected)
    assert page.versions == expected.versions
    assert list(page.files()) == list(expected.files())
    assert messages == expected_messages
    # Kept as listed or not, a page reads back the same from its record.
    from pyffin.cache import codec

    data = codec.dumps(SimplePage.RECORD_SCHEMA, 1, page.to_record())
    again = SimplePage.from_record(codec.loads(data, SimplePage.RECORD_SCHEMA, 1))
    assert again.versions == expected.versions
    return page


def html(*anchors: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html>\n  <head>{head}\n    <title>Links for foo</title>\n'
            "  </head>\n  <body>\n    <h1>Links for foo</h1>\n"
            + "".join(f"    {anchor}<br/>\n" for anchor in anchors)
            + "  </body>\n</html>\n")


def pypi_anchor(href: str, *, python: str | None = None, yanked: str | None = None,
                metadata: str | None = None) -> str:
    """An anchor as PyPI writes it (attributes in its order, values HTML-escaped)."""
    attributes = f'href="{href}"'
    if python is not None:
        attributes += f' data-requires-python="{python}"'
    if yanked is not None:
        attributes += f' data-yanked="{yanked}"'
    if metadata is not None:
        attributes += f' data-dist-info-metadata="{metadata}" data-core-metadata="{metadata}"'
    return f"<a {attributes}>{href.rpartition('/')[2].partition('#')[0]}</a>"


def kept_as_listed(page: SimplePage) -> int:
    """How many files of ``page`` are kept as listed (not made into file tuples)."""
    return sum(sum(len(item) < 8 for item in wheels) + sum(len(item) < 8 for item in sdists)
               for _, (wheels, sdists) in page.items())


#: Filenames a project's page lists, with wheels of every kind and the odd names the general
#: way skips (each with its log message).
FILENAMES = [
    "foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl", "foo-1.0-cp311-cp311-manylinux_2_17_x86_64."
    "manylinux2014_x86_64.whl", "foo-1.0.zip", "foo-1.1rc1-py2.py3-none-any.whl",
    "foo-1.1rc1.tar.gz", "Foo-1.2.0-1-py3-none-any.whl", "foo-1.2.0-2b-py3-none-any.whl",
    "foo-2.0-cp39-abi3-win_amd64.whl", "foo-2.0.post1.tar.gz", "foo-1.0-alpha.zip",
    "foo-latest.tar.gz", "foo-1.0.exe", "bar-1.0-py3-none-any.whl", "bar-1.0.tar.gz",
    "foo-1.0-py3-none-any.whl.metadata", "foo-01.0-py3-none-any.whl", "FOO-3.0.tar.gz",
    "foo-3.0-py3-none.whl", "foo-3.0+local.1-py3-none-any.whl", "foo_bar-1.0.tar.gz",
]


def test_a_pypi_page_is_kept_as_listed_and_the_same_as_read_the_general_way() -> None:
    anchors = []
    for i, filename in enumerate(FILENAMES):
        anchors.append(pypi_anchor(
            f"../../files/{filename}#sha256={SHA}",
            python=["&gt;=3.9", None, "&gt;=3.8,&lt;4", ""][i % 4],
            yanked=[None, None, "", "broken &amp; bad", None][i % 5],
            metadata=[None, "true", f"sha256={SHA}", "false"][i % 4]))
    page = assert_same_as_general("foo", URL, html(*anchors))
    assert kept_as_listed(page) == len(page) > 0
    wheel = next(page.wheels("1.0")).file
    assert wheel.url == "https://example.org/files/foo-1.0-py3-none-any.whl"
    assert wheel.hashes == (("sha256", SHA),)
    yanked = next(page.sdists("1.0"))
    assert yanked.yanked is None and yanked.requires_python == ">=3.9"


@pytest.mark.parametrize("page_url,prefix", [
    (URL, "https://files.example.org/packages/ab/cd/"),
    (URL, "http://files.example.org/"),
    (URL, "../../files/"),
    (URL, ""),
    (URL, "/files/"),
    (URL, "//cdn.example.org/files/"),
    (URL, "./"),
    (URL, "a/../b/./"),
    ("https://example.org/simple/foo", ""),
    ("https://example.org/simple/foo/?page=2", "f/"),
    ("http://example.org/simple/foo/", "../../files/"),
    ("file:///srv/simple/foo/", "https://files.example.org/"),
])
def test_links_absolute_or_relative_are_kept_as_listed(page_url: str, prefix: str) -> None:
    page = assert_same_as_general("foo", page_url, html(*(
        pypi_anchor(f"{prefix}{filename}#sha256={SHA}", python="&gt;=3.9")
        for filename in FILENAMES)))
    assert kept_as_listed(page) == len(page)


#: Anchors the general way reads (all of them, or the file of which it makes), one kind each,
#: for a file ``{0}``.
UNUSUAL = [
    '<a href="../../files/{0}#sha512=' + "B" * 128 + '">x</a>',
    '<a href="../../files/{0}#md5=' + "c" * 32 + '">x</a>',
    '<a href="../../files/{0}#egg=foo">x</a>',
    '<a href="../../files/{0}#sha256=' + SHA + '&amp;egg=foo">x</a>',
    '<a href="../../files/{0}#sha256=' + SHA + '&egg=foo">x</a>',
    '<a href="../../files/{0}#sha256=' + SHA.upper() + '">x</a>',
    '<a href="../../files/{0}#sha256=abc">x</a>',
    '<a href="../../files/{0}#sha256=abcdef">x</a>',
    '<a href="../../files/{0}#sha256=">x</a>',
    '<a href="../../files/{0}#sha256=' + SHA + ' ">x</a>',
    '<a href="../../files/{0}#sha256=' + "g" * 64 + '">x</a>',
    '<a href="../../files/{0}#">x</a>',
    '<a href="../../files/{0}#SHA256=' + SHA + '">x</a>',
    '<a href="https://user:secret@files.example.org/{0}">x</a>',
    '<a href="https://files.example.org/a@b/{0}">x</a>',
    '<a href="//user:secret@cdn.example.org/{0}">x</a>',
    '<a href="file:///srv/files/{0}">x</a>',
    '<a href="FILE:///srv/files/{0}">x</a>',
    '<a href="HTTPS://files.example.org/{0}">x</a>',
    '<a href="ftp://files.example.org/{0}">x</a>',
    '<a href="c:{0}">x</a>',
    '<a href="javascript:{0}">x</a>',
    '<a href="files/{0}?token=1">x</a>',
    '<a href="files?x=1/{0}">x</a>',
    '<a href="https://files.example.org/{0}?token=1">x</a>',
    '<a href="https://files.example.org/a?b/{0}">x</a>',
    '<a href="files/{0};p">x</a>',
    '<a href="files/{0}/.">x</a>',
    '<a href="files/{0}/..">x</a>',
    '<a href="files/{0}/">x</a>',
    '<a href="files/.{0}">x</a>',
    '<a href=" files/{0}">x</a>',
    '<a href="fi les/{0}">x</a>',
    '<a href="files/\t{0}">x</a>',
    '<a href="files\n/{0}">x</a>',
    '<a href="files/{0}\n">x</a>',
    '<a href="files/%E2%9C%93/{0}">x</a>',
    '<a href="files/\u2713/{0}">x</a>',
    '<a href="files/\u2713{0}">x</a>',
    '<a href="files/\u3000{0}">x</a>',
    '<a href="files/&amp;/{0}">x</a>',
    '<a href="files/{0}&amp;">x</a>',
    '<a href="files/{0}" data-requires-python=">=3.9">x</a>',
    '<a href="files/>/{0}">x</a>',
    '<a href="files/{0}#sha256=' + SHA + '>">x</a>',
    '<a href="files/{0}#egg=>">x</a>',
    '<a href="">x</a>',
    "<a>no link</a>",
    '<a name="x">no link</a>',
    '<A HREF="files/{0}">x</A>',
    '<a HREF="files/{0}">x</a>',
    "<a href='files/{0}' data-yanked='it &amp; that'>x</a>",
    "<a href=files/{0} data-yanked>x</a>",
    '<a  href="files/{0}">x</a>',
    '<a\nhref="files/{0}">x</a>',
    '<a href = "files/{0}">x</a>',
    '<a data-requires-python="&gt;=3.9" href="files/{0}">x</a>',
    '<a href="files/{0}" href="other/{0}">x</a>',
    '<a href="files/{0}" data-yanked="" data-yanked="no">x</a>',
    '<a href="files/{0}" data-requires-python="&gt;=3.9" data-yanked="x" rel="internal"/>',
    '<a href="files/{0}"data-yanked="glued">x</a>',
    '<a href="files/{0}" stray data-yanked="x">x</a>',
    '<a href="files/{0}" data-yanked="a" / >x</a>',
    '<a href="files/{0}" DATA-YANKED="x" Data-Requires-Python="&GT;=3.9">x</a>',
    '<a href="files/{0}" data-core-metadata="sha256=' + SHA.upper() + '">x</a>',
    '<a href="files/{0}" data-core-metadata="SHA256=' + SHA + '">x</a>',
    '<a href="files/{0}" data-core-metadata=" sha256=' + SHA + ' ">x</a>',
    '<a href="files/{0}" data-core-metadata="sha999=abc">x</a>',
    '<a href="files/{0}" data-core-metadata="FALSE">x</a>',
    '<a href="files/{0}" data-core-metadata="">x</a>',
    '<a href="files/{0}" data-core-metadata>x</a>',
    '<a href="files/{0}" data-core-metadata="false" data-dist-info-metadata="true">x</a>',
    '<a href="files/{0}" data-dist-info-metadata="false" data-core-metadata="true">x</a>',
    '<a href="files/{0}" data-dist-info-metadata="sha256=' + SHA + '">x</a>',
    '<a href="files/{0}" data-core-metadata="\u0130=x">x</a>',
    '<a href="files/{0}" data-core-metadata="sha256=\u0130">x</a>',
    '<a href="files/{0}" data-requires-python="&gt;=3.9&#10;">x</a>',
    '<a href="files/{0}" data-yanked="&quot;quoted&quot;">x</a>',
    '<!-- <a href="files/{0}">commented out</a> -->',
    '<!-- a comment <a href="x/{0}"> --><a href="files/{0}">x</a>',
    '<a href="files/{0}"><!-- x --></a>',
    '<ab href="files/{0}">not an anchor</ab>',
    '<abbr title="files/{0}">x</abbr>',
]


def numbered(filename: str, i: int) -> str:
    """``filename`` of another version, so that anchors do not all name the same file."""
    return filename.replace("1.0", f"1.{i}", 1)


@pytest.mark.parametrize("unusual", range(len(UNUSUAL)))
@pytest.mark.parametrize("page_url", [URL, "https://user:secret@example.org/simple/foo/",
                                      "file:///srv/simple/foo/"])
def test_an_unusual_anchor_on_a_usual_page_is_read_as_the_general_way_reads_it(
        unusual: int, page_url: str) -> None:
    # Between anchors of the usual shape: the others are kept as listed (on a page that
    # allows it), in page order with it.
    anchors = [pypi_anchor(f"../../files/{numbered(filename, i)}#sha256={SHA}",
                           python="&gt;=3.9", metadata="true")
               for i, filename in enumerate(FILENAMES[:6])]
    anchors.append(pypi_anchor("/whl/foo-1.0%2Bcpu-py3-none-any.whl", yanked=""))
    anchors.insert(3, UNUSUAL[unusual].format("foo-1.0-py3-none-any.whl"))
    anchors.insert(5, UNUSUAL[unusual].format("foo-1.0.tar.gz"))
    page = assert_same_as_general("foo", page_url, html(*anchors))
    if page_url == URL and ">" not in UNUSUAL[unusual]:
        assert kept_as_listed(page) >= 7


@pytest.mark.parametrize("unusual", range(len(UNUSUAL)))
@pytest.mark.parametrize("page_url", [URL, "file:///srv/simple/foo/"])
def test_a_page_of_unusual_anchors_is_read_as_the_general_way_reads_it(
        unusual: int, page_url: str) -> None:
    # Every anchor of the page of the same kind: what is checked on the whole page at once.
    assert_same_as_general("foo", page_url, html(*(
        UNUSUAL[unusual].format(numbered(filename, i)) for i, filename in enumerate(FILENAMES))))


@pytest.mark.parametrize("head", [
    '<base href="https://mirror.example.org/pkgs/">',
    '<base href="https://user:secret@mirror.example.org/pkgs/">',
    '<base href="file:///etc/">',
    '<BASE HREF="../other/">',
    "<base target=_blank>",
    '<base href="">',
])
def test_a_page_with_a_base_is_read_the_general_way(head: str) -> None:
    anchors = [pypi_anchor(f"{prefix}{filename}#sha256={SHA}")
               for prefix in ("", "../files/", "https://files.example.org/")
               for filename in FILENAMES[:4]]
    page = assert_same_as_general("foo", URL, html(*anchors, head=head))
    assert kept_as_listed(page) == 0


def test_a_refused_link_is_said_once_per_page_in_page_order() -> None:
    anchors = [pypi_anchor(f"../../files/{filename}") for filename in FILENAMES[:4]]
    anchors.insert(1, '<a href="file:///etc/foo-9.0.tar.gz">x</a>')
    anchors.insert(3, '<a href="ftp://example.org/foo-8.0.tar.gz">x</a>')
    page, messages = parsed("foo", URL, html(*anchors))
    warnings = [message for level, message in messages if level == log.WARNING]
    assert len(warnings) == 1 and "file:///etc/foo-9.0.tar.gz" in warnings[0]
    assert "9.0" not in page and "8.0" not in page
    assert_same_as_general("foo", URL, html(*anchors))


def test_percent_encoded_filenames_are_unquoted_as_the_general_way_does() -> None:
    # A local version's "+" as written in the filenames of some indexes.
    anchors = [pypi_anchor(f"/whl/cpu/foo-1.0%2Bcpu-cp311-cp311-linux_x86_64.whl#sha256={SHA}"),
               pypi_anchor("/whl/foo-1.0%2Bcpu.tar.gz"), pypi_anchor("/whl/foo-2.0.tar.gz")]
    page = assert_same_as_general("foo", URL, html(*anchors))
    assert kept_as_listed(page) == 3
    wheel = next(page.wheels("1.0+cpu")).file
    assert wheel.filename == "foo-1.0+cpu-cp311-cp311-linux_x86_64.whl"
    assert wheel.url == ("https://example.org/whl/cpu/"
                         "foo-1.0%2Bcpu-cp311-cp311-linux_x86_64.whl")


def test_a_usual_page_makes_no_file_until_one_is_looked_at(monkeypatch: Any) -> None:
    from tests.support.calls import files_made

    made = files_made(monkeypatch)
    page, _ = parsed("foo", URL, html(*(
        pypi_anchor(f"../../files/{filename}#sha256={SHA}", metadata="true")
        for filename in FILENAMES)))
    assert made == [] and kept_as_listed(page) == len(page)
    next(page.sdists("2.0.post1"))  # the files of that version, and only those
    assert made == ["foo-2.0.post1.tar.gz"]


def test_parse_html_reads_every_anchor_the_general_way() -> None:
    # A find-links page is read by parse_html: one IndexFile per link, in page order.
    text = html(*(pypi_anchor(f"../../files/{filename}#sha256={SHA}", python="&gt;=3.9")
                  for filename in FILENAMES))
    files = list(parse_html(URL, text))
    assert [file.filename for file in files] == FILENAMES
    page = parse_page("foo", URL, text.encode(), "text/html")
    kept = {file.filename: file for file in page.files()}
    assert kept == {file.filename: file for file in files if file.filename in kept}


def random_anchor(rng: random.Random, filename: str) -> str:
    """An anchor for ``filename``: mostly as indexes write them, sometimes otherwise."""
    if rng.random() < 0.1:
        return rng.choice(UNUSUAL).format(filename)
    prefix = rng.choice(["../../files/", "", "/packages/ab/", "https://files.example.org/p/",
                         "http://example.org/files/", "./x/../"])
    fragment = rng.choice(["", f"#sha256={SHA}", f"#sha256={SHA}", f"#sha256={SHA}"])
    quote = rng.choice(['"'] * 9 + ["'"])
    attributes = [f"href={quote}{prefix}{filename}{fragment}{quote}"]
    if rng.random() < 0.6:
        attributes.append(f'data-requires-python="{rng.choice(["&gt;=3.9", ">=3.8", "", "3"])}"')
    if rng.random() < 0.2:
        attributes.append(f'data-yanked="{rng.choice(["", "reason", "a &amp; b"])}"')
    if rng.random() < 0.5:
        value = rng.choice(["true", "false", f"sha256={SHA}", "True"])
        for name in rng.choice([("data-dist-info-metadata", "data-core-metadata"),
                                ("data-core-metadata",), ("data-dist-info-metadata",)]):
            attributes.append(f'{name}="{value}"')
    if rng.random() < 0.05:
        rng.shuffle(attributes)
    return f"<a {' '.join(attributes)}>{filename}</a>"


def random_pages(count: int) -> Iterator[tuple[str, str]]:
    rng = random.Random(503)
    for _ in range(count):
        names = [rng.choice(FILENAMES) for _ in range(rng.randint(1, 40))]
        names = [numbered(name, rng.randint(0, 5)) for name in names]
        url = rng.choice([URL, URL, URL, "https://example.org/simple/foo",
                          "http://u:p@example.org/simple/foo/", "file:///srv/simple/foo/"])
        yield url, html(*(random_anchor(rng, name) for name in names))


@pytest.mark.parametrize("url,text", list(random_pages(150)))
def test_random_pages_are_the_same_as_read_the_general_way(url: str, text: str) -> None:
    assert_same_as_general("foo", url, text)


@pytest.mark.parametrize("value", ["&gt;=3.9", "&gt;=3.8,&lt;4", "&#62;=3.9", "&gt=3.9", ""])
def test_entities_in_requires_python_are_unescaped(value: str) -> None:
    import html as html_module

    page = assert_same_as_general("foo", URL, html(
        pypi_anchor(f"foo-1.0.tar.gz#sha256={SHA}", python=value)))
    assert next(page.sdists("1.0")).requires_python == (html_module.unescape(value) or None)


def digest(i: int) -> str:
    import hashlib

    return hashlib.sha256(str(i).encode()).hexdigest()


def pypi_metadata_anchors(count: int) -> list[str]:
    """Anchors as PyPI writes them today: each file with its own metadata file's hash."""
    return [pypi_anchor(f"../../files/foo-1.{i}-py3-none-any.whl#sha256={SHA}",
                        python=["&gt;=3.9", None][i % 2], yanked=None if i % 7 else "bad",
                        metadata=f"sha256={digest(i)}")
            for i in range(count)]


def test_each_file_s_own_metadata_hash_is_kept_and_its_attributes_read_once_a_shape(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Anchors that differ only by their metadata hashes are read once: one shape each for
    # the combinations of Requires-Python and yanked reason, not once per anchor.
    read: list[str] = []
    original = simple._attributes

    def counted(text: str) -> dict[str, str | None]:
        read.append(text)
        return original(text)

    anchors = pypi_metadata_anchors(60)
    page, _ = parsed("foo", URL, html(*anchors))
    monkeypatch.setattr(simple, "_attributes", counted)
    page = assert_same_as_general("foo", URL, html(*anchors))
    assert kept_as_listed(page) == 60
    assert [next(page.wheels(f"1.{i}")).file.core_metadata for i in range(60)] == [
        (("sha256", digest(i)),) for i in range(60)]
    assert len(read) - 60 <= 4  # (the general way, for comparison, reads all 60)


#: Anchors among PyPI's of :func:`pypi_metadata_anchors` with metadata hashes written
#: otherwise, or text that looks like one where it is not: each the general way's.
METADATA_ODDITIES = [
    '<a href="f/{0}" data-core-metadata="sha256={1}">x</a>',
    '<a href="f/{0}" data-dist-info-metadata="sha256={1}">x</a>',
    '<a href="f/{0}" data-dist-info-metadata="sha256={1}" data-core-metadata="sha256={2}">x</a>',
    '<a href="f/{0}" data-dist-info-metadata="sha256={2}" data-core-metadata="true">x</a>',
    '<a href="f/{0}" data-dist-info-metadata="sha256={1}" data-core-metadata="false">x</a>',
    '<a href="f/{0}" data-core-metadata="sha256={1}" data-dist-info-metadata="sha256={1}">x</a>',
    '<a href="f/{0}" data-core-metadata="sha256={1}" data-core-metadata="sha256={2}">x</a>',
    '<a href="f/{0}" data-dist-info-metadata="sha256={3}" data-core-metadata="sha256={3}">x</a>',
    '<a href="f/{0}" data-dist-info-metadata="sha256=abcd" data-core-metadata="sha256=abcd">x</a>',
    '<a href="f/{0}" data-dist-info-metadata="sha256=xyz12345" '
    'data-core-metadata="sha256=xyz12345">x</a>',
    '<a href="f/{0}" data-core-metadata="sha256={1}&amp;">x</a>',
    '<a href="f/{0}" data-core-metadata="sha256= {1}">x</a>',
    '<a href="f/{0}" data-core-metadata="SHA256={1}">x</a>',
    '<a href="f/{0}" data-core-metadata="sha256={1}" data-yanked="\x00">x</a>',
    "<a href=\"f/{0}\" data-yanked='data-core-metadata=\"sha256={1}\"'>x</a>",
    "<a href=\"f/{0}\" data-requires-python='data-core-metadata=\"sha256={1}\"' "
    'data-core-metadata="sha256={1}">x</a>',
    "<a href=\"f/{0}\" data-yanked='x data-dist-info-metadata=\"sha256={1}\"' "
    'data-core-metadata="sha256={1}">x</a>',
    '<a href="f/{0}" data-x-data-core-metadata="sha256={1}">x</a>',
    '<a href="f/{0}" data-core-metadata="sha256={1}>x</a>',
    '<a href="f/{0}" data-core-metadata=sha256={1}>x</a>',
    '<a href="f/{0}" data-core-metadata=\'sha256={1}\'>x</a>',
]


@pytest.mark.parametrize("oddity", range(len(METADATA_ODDITIES)))
def test_metadata_hashes_written_otherwise_are_read_as_the_general_way_reads_them(
        oddity: int) -> None:
    anchors = pypi_metadata_anchors(40)
    for at in (5, 20):
        anchors.insert(at, METADATA_ODDITIES[oddity].format(
            f"foo-2.{at}-py3-none-any.whl", digest(100 + at), digest(200 + at),
            digest(300 + at).upper()))
    assert_same_as_general("foo", URL, html(*anchors))


@pytest.mark.parametrize("oddity", range(len(METADATA_ODDITIES)))
def test_a_page_of_metadata_hashes_written_otherwise_is_read_as_the_general_way_reads_it(
        oddity: int) -> None:
    # Every anchor so, each with its own digests: anchors of one shape.
    assert_same_as_general("foo", URL, html(*(
        METADATA_ODDITIES[oddity].format(f"foo-2.{i}-py3-none-any.whl", digest(100 + i),
                                         digest(200 + i), digest(300 + i).upper())
        for i in range(40))))


def test_metadata_shapes_stand_each_digest_by_a_nul() -> None:
    rests = [f' data-dist-info-metadata="sha256={digest(i)}" data-core-metadata="sha256='
             f'{digest(i)}"' for i in range(3)] + [' data-core-metadata="true"']
    shapes, digests = simple._metadata_shapes(rests)
    assert shapes == [' data-dist-info-metadata="sha256=\x00" data-core-metadata="sha256=\x00"'
                      ] * 3 + [' data-core-metadata="true"']
    assert digests == [digest(0), digest(0), digest(1), digest(1), digest(2), digest(2)]
    # A NUL of the page's own, or a digest of another shape: as they are.
    for odd in (' data-yanked="\x00"', ' data-core-metadata="sha256=abc"',
                ' data-core-metadata="sha256=ab cd ef 01"', ' data-core-metadata="sha256="'):
        assert simple._metadata_shapes([*rests, odd]) == ([*rests, odd], None)


@pytest.mark.parametrize("first", ["https://files.example.org/a\nhttps://files.example.org/",
                                   "https://files.example.org/a\n\nhttps://files.example.org/"])
def test_a_link_with_a_line_break_does_not_pass_for_two_absolute_links(first: str) -> None:
    # Links are checked joined by line breaks: one with a line break in it must not make
    # the relative link after it count as absolute.
    page = assert_same_as_general("foo", URL, html(
        pypi_anchor(f"{first}foo-1.0.tar.gz"), pypi_anchor("../../files/foo-2.0.tar.gz")))
    assert next(page.sdists("2.0")).url == "https://example.org/files/foo-2.0.tar.gz"
