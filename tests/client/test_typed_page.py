"""PEP 691 pages decoded by msgspec (pyffin.client.typed_page): the same page as the ``json``
way, whatever the entries give or leave out; anything its types do not describe goes the
``json`` way, which reads it (or says what is wrong) as before; msgspec is imported only once a
process has decoded enough page bytes for it to pay."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from pyffin.client import simple, typed_page
from pyffin.client.simple import IndexPageError, parse_page

URL = "https://example.org/simple/foo/"
SHA = "a" * 64
JSON = "application/vnd.pypi.simple.v1+json"


def page(files: list[Any], **top: Any) -> bytes:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "foo", "files": files,
                       **top}).encode()


def entry(filename: str, **values: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"filename": filename, "url": f"../../files/{filename}"}
    found.update(values)
    return found


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each page given to the typed decoder was decoded by it (every page goes to it:
    no ``json`` budget)."""
    typed = simple._TypedDecoding()
    typed.budget = 0
    monkeypatch.setattr(simple, "_TYPED", typed)
    results: list[bool] = []
    real = typed_page.decode

    def counted(content: bytes) -> Any:
        found = real(content)
        results.append(found is not None)
        return found

    monkeypatch.setattr(typed_page, "decode", counted)
    return results


def kept(content: bytes) -> Any:
    """What a page keeps of ``content``, or the error that says what is wrong with it."""
    try:
        return parse_page("foo", URL, content, JSON).to_record()
    except IndexPageError as e:
        return str(e)


def the_json_way(content: bytes) -> Any:
    typed = simple._TYPED
    saved = typed.decode, typed.budget
    typed.decode = False  # as without msgspec
    try:
        return kept(content)
    finally:
        typed.decode, typed.budget = saved


WHEEL = "foo-1.0-py3-none-any.whl"
FULL = dict(hashes={"sha256": SHA}, size=12, yanked=False, **{
    "requires-python": ">=3.9", "upload-time": "2024-01-02T03:04:05.123456Z",
    "core-metadata": {"sha256": SHA}, "dist-info-metadata": {"sha256": SHA}})

DESCRIBED = {
    "as PyPI lists them, with keys and a top level it does not read": page(
        [entry(WHEEL, **FULL, provenance=None, **{"data-future": [1, {"x": 2}]}),
         entry("foo-1.0.tar.gz", **FULL), entry("foo-2.0-py3-none-any.whl", **FULL)],
        versions=["1.0", "2.0"], **{"project-status": {"status": "active"}}),
    "only a filename and a URL": page([entry(WHEEL), entry("foo-1.0.tar.gz")]),
    "yanked as a reason, true, false and null": page(
        [entry(WHEEL, yanked="broken"), entry("foo-1.0-py2-none-any.whl", yanked=True),
         entry("foo-1.0.tar.gz", yanked=False), entry("foo-1.0.zip", yanked=None)]),
    "the older metadata key only": page(
        [entry(WHEEL, **{"dist-info-metadata": {"sha256": SHA}}),
         entry("foo-1.0.tar.gz", **{"dist-info-metadata": True}),
         entry("foo-1.0.zip")]),
    "core-metadata saying no where the older key says yes": page(
        [entry(WHEEL, **{"core-metadata": False, "dist-info-metadata": True}),
         entry("foo-1.0.tar.gz", **{"core-metadata": None, "dist-info-metadata": True}),
         entry("foo-1.0.zip", **{"core-metadata": True})]),
    "hashes null, empty, several, upper case": page(
        [entry(WHEEL, hashes=None), entry("foo-1.0.tar.gz", hashes={}),
         entry("foo-1.0.zip", hashes={"SHA256": SHA.upper(), "md5": "b" * 32})]),
    "absolute URLs": page([{"filename": WHEEL, "url": f"https://files.example.org/{WHEEL}"}]),
    "no meta": json.dumps({"files": [entry(WHEEL)]}).encode(),
}


@pytest.mark.parametrize("content", DESCRIBED.values(), ids=DESCRIBED.keys())
def test_a_page_its_types_describe_is_kept_as_the_json_way_keeps_it(
        content: bytes, decoded: list[bool]) -> None:
    assert parse_page("foo", URL, content, JSON).to_record() == the_json_way(content)
    assert decoded == [True]


NOT_DESCRIBED = {
    "a size as a string": page([entry(WHEEL, size="12")]),
    "a size as a float": page([entry(WHEEL, size=12.0)]),
    "hashes not a table": page([entry(WHEEL, hashes="sha256=" + SHA)]),
    "a hash not a string": page([entry(WHEEL, hashes={"sha256": 1})]),
    "yanked a number": page([entry(WHEEL, yanked=1)]),
    "no filename": page([{"url": f"../../files/{WHEEL}"}]),
    "an entry not a table": page([entry(WHEEL), WHEEL]),
    "core-metadata on some files only": page(
        [entry(WHEEL, **{"core-metadata": True}),
         entry("foo-1.0.tar.gz", **{"dist-info-metadata": True})]),
    "an API version not a string": json.dumps(
        {"meta": {"api-version": 1.1}, "files": [entry(WHEEL)]}).encode(),
    "a number JSON allows and msgspec not": page([entry(WHEEL, size=float("nan"))]),
    "UTF-16": page([entry(WHEEL)]).decode().encode("utf-16"),
}


@pytest.mark.parametrize("content", NOT_DESCRIBED.values(), ids=NOT_DESCRIBED.keys())
def test_a_page_its_types_do_not_describe_goes_the_json_way(content: bytes,
                                                            decoded: list[bool]) -> None:
    assert kept(content) == the_json_way(content)
    assert decoded == [False]


@pytest.mark.parametrize("content,error", [
    (b'{"files": [', "is not valid JSON"),
    (b'{"files": "none"}', "no 'files' list"),
    (b"[]", "no 'files' list"),
    (b'{"meta": {"api-version": "2.0"}, "files": []}', "uses simple API version 2.0"),
    (page([entry(WHEEL)])[:-1] + b"\xff}", "is not valid JSON"),
])
def test_a_malformed_page_is_an_error_naming_it(content: bytes, error: str,
                                                decoded: list[bool]) -> None:
    url = "https://user:secret@example.org/simple/foo/"
    with pytest.raises(IndexPageError, match=error) as raised:
        parse_page("foo", url, content, JSON)
    assert "https://user:****@example.org/simple/foo/" in str(raised.value)
    assert "secret" not in str(raised.value)


def test_msgspec_is_imported_only_once_json_has_decoded_its_budget(
        monkeypatch: pytest.MonkeyPatch) -> None:
    content = page([entry(WHEEL, **FULL)])
    typed = simple._TypedDecoding()
    typed.budget = len(content)  # spent by the first page
    monkeypatch.setattr(simple, "_TYPED", typed)
    first = parse_page("foo", URL, content, JSON)
    assert typed.decode is None  # the json way: msgspec not asked for
    second = parse_page("foo", URL, content, JSON)
    assert typed.decode is typed_page.decode
    assert first.to_record() == second.to_record()


def test_a_page_past_what_is_left_of_the_json_budget_is_decoded_by_msgspec(
        monkeypatch: pytest.MonkeyPatch) -> None:
    small = page([entry(WHEEL)])
    large = page([entry(f"foo-{i}.0-py3-none-any.whl", **FULL) for i in range(20)])
    typed = simple._TypedDecoding()
    typed.budget = len(small) + len(large) - 1  # the small one, not both
    monkeypatch.setattr(simple, "_TYPED", typed)
    parse_page("foo", URL, small, JSON)
    assert typed.decode is None  # the json way
    decoded = parse_page("foo", URL, large, JSON)
    assert typed.decode is typed_page.decode  # not the json way past its budget
    assert typed.budget == 0
    assert decoded.to_record() == the_json_way(large)


def test_a_process_that_imported_msgspec_anyway_decodes_its_first_page_with_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A page worker imports msgspec before its first page: the ``json`` way's budget, which
    spares a process that may never need msgspec its import, would only cost it time."""
    content = page([entry(WHEEL, **FULL)])
    typed = simple._TypedDecoding()
    monkeypatch.setattr(simple, "_TYPED", typed)
    calls: list[int] = []

    def decode(data: bytes) -> Any:
        calls.append(len(data))
        return typed_page.decode(data)

    simple.use_typed_decoding(decode)
    assert parse_page("foo", URL, content, JSON).to_record() == the_json_way(content)
    assert calls == [len(content)]


def test_a_page_worker_decodes_every_page_with_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.resolver import page_worker

    typed = simple._TypedDecoding()
    monkeypatch.setattr(simple, "_TYPED", typed)
    page_worker._import_page_path()
    assert typed.decode is typed_page.decode and typed.budget == 0


def test_without_msgspec_pages_go_the_json_way(monkeypatch: pytest.MonkeyPatch) -> None:
    typed = simple._TypedDecoding()
    typed.budget = 0
    monkeypatch.setattr(simple, "_TYPED", typed)
    monkeypatch.setitem(sys.modules, "pyffin.client.typed_page", None)  # an ImportError
    content = page([entry(WHEEL, **FULL)])
    assert parse_page("foo", URL, content, JSON).to_record() == the_json_way(content)
    assert typed.decode is False
