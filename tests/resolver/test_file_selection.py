"""Which files of a version a target can use, read from an index page's raw rows, without
any I/O."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.version import Version

from pyffin.models.files import ProjectPage, SimplePage
from pyffin.models.format_control import BinaryPolicy
from pyffin.resolver.file_selection import FileSelection
from tests.support.calls import files_made

TAGS = ("cp311-cp311-manylinux_2_17_x86_64", "py3-none-any")


def wheel(name: str, version: str, tag: str = "py3-none-any", *, uploaded: float | None = None,
          yanked: str | None = None) -> list[Any]:
    filename = f"{name}-{version}-{tag}.whl"
    return [filename, f"https://files.example/{filename}", [["sha256", "a" * 64]], None, yanked,
            uploaded, 10, None, [tag], ""]


def sdist(name: str, version: str, *, uploaded: float | None = None) -> list[Any]:
    filename = f"{name}-{version}.tar.gz"
    return [filename, f"https://files.example/{filename}", [], None, None, uploaded, 20, None]


def page(versions: dict[str, tuple[list[Any], list[Any]]], source: str = "https://index/simple"
         ) -> ProjectPage:
    return ProjectPage(source, SimplePage("foo", versions))


def test_the_best_file_is_the_most_preferred_wheel_else_the_sdist() -> None:
    found = FileSelection(TAGS).usable_versions("foo", [page({
        "1.0": ([wheel("foo", "1.0"), wheel("foo", "1.0", "cp311-cp311-manylinux_2_17_x86_64")],
                [sdist("foo", "1.0")]),
        "2.0": ([], [sdist("foo", "2.0")]),
    })])
    assert found[Version("1.0")].best.label == "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    assert len(found[Version("1.0")].usable) == 3
    assert found[Version("2.0")].best.label == "foo-2.0.tar.gz"


def test_the_first_page_that_offers_a_version_wins_it() -> None:
    first = page({"1.0": ([wheel("foo", "1.0")], [])}, "https://first/simple")
    second = page({"1.0": ([], [sdist("foo", "1.0")]), "2.0": ([wheel("foo", "2.0")], [])},
                  "https://second/simple")
    found = FileSelection(TAGS).usable_versions("foo", [first, second])
    assert sorted(map(str, found)) == ["1.0", "2.0"]
    best = found[Version("1.0")].best
    assert best.page is not None and best.page.source == "https://first/simple"


def test_files_after_the_cutoff_do_not_count_and_the_version_may_go_with_them() -> None:
    rows = page({"1.0": ([wheel("foo", "1.0", uploaded=100.0)], [sdist("foo", "1.0")]),
                 "2.0": ([wheel("foo", "2.0", uploaded=300.0)], [])})
    selection = FileSelection(TAGS, exclude_newer=200.0,
                              exclude_newer_packages={"bar": None})
    found = selection.usable_versions("foo", [rows])
    assert list(map(str, found)) == ["1.0"]
    assert selection.cutoff("foo") == 200.0 and selection.cutoff("bar") is None
    assert not selection.dropped("foo")  # past the cutoff: as good as absent
    # --generate-hashes: every file of the release but those past the cutoff.
    files = found[Version("1.0")]
    assert [d.label for d in selection.release_files("foo", Version("1.0"), files)] == [
        "foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"]


def test_why_a_version_has_no_usable_file_is_kept_for_explanations() -> None:
    rows = page({
        "1.0": ([wheel("foo", "1.0", "cp39-cp39-manylinux_2_17_x86_64")], []),
        "2.0": ([], [sdist("foo", "2.0")]),
    })
    selection = FileSelection(TAGS, binary=BinaryPolicy(no_build=True))
    assert selection.usable_versions("foo", [rows]) == {}
    reasons = {str(d.version): (d.reason, d.found, d.expected)
               for d in selection.dropped("foo")}
    assert reasons == {"1.0": ("python-tag", ("cp39",), "cp311"),
                       "2.0": ("no-build", (), "--no-build")}


def test_the_stand_in_is_the_wheel_nearest_to_the_target() -> None:
    rows = page({"1.0": ([wheel("foo", "1.0", "cp310-cp310-win_amd64"),
                          wheel("foo", "1.0", "cp311-cp311-win_amd64")],
                         [sdist("foo", "1.0")])})
    selection = FileSelection(TAGS)
    files = selection.usable_versions("foo", [rows])[Version("1.0")]
    stand_in = selection.stand_in(files)
    assert files.best.label == "foo-1.0.tar.gz"
    assert stand_in is not None and stand_in.label == "foo-1.0-cp311-cp311-win_amd64.whl"


@pytest.mark.parametrize("directory", ["https://files.example/", "../../files/"])
def test_a_json_page_makes_only_the_files_that_are_looked_at(monkeypatch: Any,
                                                             directory: str) -> None:
    import json
    from urllib.parse import urljoin

    from pyffin.client.simple import parse_page

    entries = [{"filename": f"foo-{v}-{tag}.whl", "url": f"{directory}foo-{v}-{tag}.whl",
                "hashes": {"sha256": "ab" * 32}, "requires-python": ">=3.8",
                "upload-time": "2024-01-02T03:04:05.123456Z", "yanked": v == "1.0"}
               for v in ("1.0", "2.0", "3.0")
               for tag in ("py3-none-any", "cp311-cp311-manylinux_2_17_x86_64", "cp27-cp27m-win32")]
    entries.append({"filename": "foo-3.0.tar.gz", "url": f"{directory}foo-3.0.tar.gz",
                    "hashes": {}})
    content = json.dumps({"meta": {"api-version": "1.1"}, "files": entries}).encode()
    made = files_made(monkeypatch)
    simple = parse_page("foo", "https://files.example/simple/foo/", content,
                        "application/vnd.pypi.simple.v1+json")
    found = FileSelection(TAGS).usable_versions("foo", [ProjectPage("https://index", simple)])
    assert made == []  # grouped, ranked, yanked and Requires-Python read: no file made yet
    assert [str(v) for v in found] == ["1.0", "2.0", "3.0"]
    assert found[Version("1.0")].yanked and not found[Version("2.0")].yanked
    assert found[Version("2.0")].requires_python == ">=3.8"
    best = found[Version("2.0")].best
    assert best.label == "foo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    assert best.file is not None and best.file.upload_time == 1704164645.123456
    assert best.file.url == urljoin("https://files.example/simple/foo/", entries[4]["url"])
    assert made == ["foo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"]
    # Every file, made on demand, is what parsing it whole gives.
    assert len(simple.versions["3.0"][0]) == 3 and len(simple.versions["3.0"][1]) == 1


def test_a_cutoff_reads_upload_times_of_a_json_page_without_making_its_files(
        monkeypatch: Any) -> None:
    import json

    from pyffin.client.simple import parse_page
    from pyffin.models.files import upload_time

    def entry(filename: str, uploaded: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {"filename": filename, "url": f"https://files.example/{filename}",
                                 "hashes": {"sha256": "ab" * 32}}
        if uploaded is not None:
            found["upload-time"] = uploaded
        return found

    before, after = "2024-01-01T00:00:00Z", "2024-03-01T00:00:00.5Z"
    entries = [
        entry("foo-1.0-py3-none-any.whl", before), entry("foo-1.0.tar.gz", after),
        # 2.0: the usable wheel is too new, the sdist has no upload time (kept).
        entry("foo-2.0-py3-none-any.whl", after), entry("foo-2.0.tar.gz", None),
        # 3.0: every file too new, the win32 wheel (never usable here) among them.
        entry("foo-3.0-py3-none-any.whl", after), entry("foo-3.0-cp311-cp311-win32.whl", after),
        # 4.0: no usable file before the cutoff: a wheel for another platform only.
        entry("foo-4.0-cp311-cp311-win32.whl", before),
    ]
    content = json.dumps({"meta": {"api-version": "1.1"}, "files": entries}).encode()
    made = files_made(monkeypatch)
    simple = parse_page("foo", "https://files.example/simple/foo/", content,
                        "application/vnd.pypi.simple.v1+json")
    cutoff = upload_time("2024-02-01T00:00:00Z")
    assert cutoff is not None
    selection = FileSelection(TAGS, exclude_newer=cutoff)
    found = selection.usable_versions("foo", [ProjectPage("https://index", simple)])
    assert made == []  # the cutoff read each file's upload time as listed
    assert [str(v) for v in found] == ["1.0", "2.0"]
    assert [f.label for f in found[Version("1.0")].usable] == ["foo-1.0-py3-none-any.whl"]
    assert [f.label for f in found[Version("2.0")].usable] == ["foo-2.0.tar.gz"]
    # 3.0 is as good as absent; why 4.0 has no usable file is kept for explanations.
    assert [(str(d.version), d.reason) for d in selection.dropped("foo")] == [
        ("4.0", "platform-tag")]
    # What the page's file tuples give, made whole, is the same.
    whole = FileSelection(TAGS, exclude_newer=cutoff).usable_versions(
        "foo", [ProjectPage("https://index", SimplePage("foo", simple.versions))])
    assert {str(v): [f.label for f in files.usable] for v, files in whole.items()} == {
        str(v): [f.label for f in files.usable] for v, files in found.items()}


def test_usable_versions_come_out_ascending_whatever_the_page_order() -> None:
    # Pages list files by filename: 1.10 before 1.2, pre-releases anywhere.
    found = FileSelection(TAGS).usable_versions("foo", [page({
        v: ([wheel("foo", v)], []) for v in ("1.10", "1.2", "2.0rc1", "1.9", "0.1")})])
    assert [str(v) for v in found] == ["0.1", "1.2", "1.9", "1.10", "2.0rc1"]


def listed(row: list[Any]) -> tuple[Any, ...]:
    """A wheel's file row in the form a JSON page keeps it until it is looked at."""
    values = (row[0], row[1], dict(row[2]), row[3], False if row[4] is None else row[4],
              None, row[6], False)
    return values, tuple(row[8]), row[9], None


@pytest.mark.parametrize("as_listed", [False, True])
def test_the_best_file_is_the_nearest_tag_then_not_yanked_then_the_first_listed(
        as_listed: bool) -> None:
    # Either form a page keeps wheels in (file tuples; as listed, their tag sets ranked in
    # one pass).
    near = "cp311-cp311-manylinux_2_17_x86_64"

    def tagged(version: str, tag: str, build: str, *, yanked: str | None = None) -> Any:
        row = wheel("foo", version, tag, yanked=yanked)
        row[0] = row[0].replace(".whl", f"-{build}.whl")  # told apart by name only
        return listed(row) if as_listed else row

    found = FileSelection(TAGS).usable_versions("foo", [page({
        # The nearest tag's first file is not yanked: it is best, the rest are ordered later.
        "1.0": ([tagged("1.0", "py3-none-any", "a", yanked=""), tagged("1.0", near, "b"),
                 tagged("1.0", near, "c", yanked="")], [sdist("foo", "1.0")]),
        # The nearest tag's first file is yanked: the next one of that tag wins.
        "2.0": ([tagged("2.0", near, "a", yanked="bad"), tagged("2.0", "py3-none-any", "b"),
                 tagged("2.0", near, "c")], []),
        "3.0": ([tagged("3.0", near, "a", yanked=""), tagged("3.0", near, "b", yanked="")],
                []),
        # No wheel the target can use: the sdist.
        "4.0": ([tagged("4.0", "cp27-cp27m-win32", "a")], [sdist("foo", "4.0")]),
        "5.0": ([tagged("5.0", "cp27-cp27m-win32", "a")], []),
    })])
    assert [str(v) for v in found] == ["1.0", "2.0", "3.0", "4.0"]
    assert found[Version("4.0")].best.label == "foo-4.0.tar.gz"
    first, second, third = (found[Version(v)] for v in ("1.0", "2.0", "3.0"))
    assert first.best.label.endswith("-b.whl") and not first.yanked
    assert [d.label.rpartition("-")[2] for d in first.usable] == [
        "b.whl", "c.whl", "a.whl", "1.0.tar.gz"]
    assert second.best.label.endswith("-c.whl") and not second.yanked
    assert [d.label.rpartition("-")[2] for d in second.usable] == ["c.whl", "a.whl", "b.whl"]
    assert third.best.label.endswith("-a.whl") and third.yanked  # every file is yanked


def test_each_distinct_tag_set_is_ranked_once() -> None:
    looked_up: list[str] = []

    class Ranks(dict[str, int]):
        def get(self, tag: str, default: Any = None) -> Any:
            looked_up.append(tag)
            return super().get(tag, default)

    selection = FileSelection(TAGS)
    selection.tag_rank = Ranks(selection.tag_rank)
    tags = ("py3-none-any", "cp311-cp311-manylinux_2_17_x86_64", "cp27-cp27m-win32")
    found = selection.usable_versions("foo", [page({
        f"1.{i}": ([wheel("foo", f"1.{i}", tag) for tag in tags], []) for i in range(50)})])
    assert len(found) == 50
    assert sorted(looked_up) == sorted(tags)  # once per set, not once per file


def test_the_target_s_tags_are_read_once_to_explain_many_dropped_versions() -> None:
    walks: list[int] = []

    class Ranks(dict[str, int]):
        def __iter__(self) -> Any:
            walks.append(1)
            return super().__iter__()

    selection = FileSelection(TAGS)
    selection.tag_rank = Ranks(selection.tag_rank)
    rows = page({f"1.{i}": ([wheel("foo", f"1.{i}", "cp39-cp39-win32")], [])
                 for i in range(20)})
    assert selection.usable_versions("foo", [rows]) == {}
    assert {(d.reason, d.found, d.expected) for d in selection.dropped("foo")} == {
        ("python-tag", ("cp39",), "cp311")}
    assert len(selection.dropped("foo")) == 20
    assert len(walks) == 1


def test_versions_a_page_parsed_are_not_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import packaging.version

    from pyffin.client.simple import parse_page

    files = [{"filename": f"foo-{v}-py3-none-any.whl", "url": f"f/foo-{v}-py3-none-any.whl"}
             for v in ("1.0", "1.0.1", "2.0rc1")]
    parsed = parse_page("foo", "https://index/simple/foo/", json.dumps(
        {"meta": {"api-version": "1.1"}, "files": files}).encode(),
        "application/vnd.pypi.simple.v1+json")
    made: list[str] = []

    class Counted(packaging.version.Version):
        def __init__(self, version: str) -> None:
            made.append(version)
            super().__init__(version)

    monkeypatch.setattr(packaging.version, "Version", Counted)
    found = FileSelection(TAGS).usable_versions("foo", [ProjectPage("https://index/", parsed)])
    assert list(map(str, found)) == ["1.0", "1.0.1", "2.0rc1"]
    assert made == []


def test_a_version_s_files_are_made_only_when_it_is_looked_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A large resolution reads tens of thousands of versions' candidates and summaries but
    # looks at the files of a few: what those read comes from the rows, and a version's
    # VersionFiles is made on its first lookup, once.
    from pyffin.resolver.file_selection import VersionFiles, sorted_candidates

    made: list[Any] = []
    real = VersionFiles.__init__

    def counted(self: VersionFiles, rows: Any) -> None:
        made.append(rows)
        real(self, rows)

    monkeypatch.setattr(VersionFiles, "__init__", counted)
    found = FileSelection(TAGS).usable_versions("foo", [page({
        f"1.{i}": ([wheel("foo", f"1.{i}")], [sdist("foo", f"1.{i}")]) for i in range(50)})])
    candidates = sorted_candidates(found)
    assert [str(c.version) for c in candidates][:3] == ["1.0", "1.1", "1.2"]
    assert Version("1.7") in found and Version("1.70") not in found
    assert made == []
    files = found[Version("1.7")]
    assert found[Version("1.7")] is files and files.best.label == "foo-1.7-py3-none-any.whl"
    assert len(made) == 1


def test_equal_versions_on_one_page_are_one_with_the_files_of_both() -> None:
    # As uv merges them: spelled as the best file spells it.
    found = FileSelection(TAGS).usable_versions("foo", [page({
        "1.0.0": ([wheel("foo", "1.0.0")], []),
        "2.0": ([wheel("foo", "2.0")], []),
        "1.0": ([], [sdist("foo", "1.0")]),
    })])
    assert [str(v) for v in found] == ["1.0.0", "2.0"]
    assert found[Version("1.0")].best.label == "foo-1.0.0-py3-none-any.whl"
    assert found[Version("1.0")].text == "1.0.0"
    assert [d.label for d in found[Version("1.0")].usable] == [
        "foo-1.0.0-py3-none-any.whl", "foo-1.0.tar.gz"]


@pytest.mark.parametrize("no_binary", [False, True])
def test_an_sdist_listed_before_an_equal_version_s_wheel_is_not_the_best_file(
        no_binary: bool) -> None:
    # foo-1.0.tar.gz, then foo-1.0.0-py3-none-any.whl: the wheel, unless wheels are left out.
    rows = page({"1.0": ([], [sdist("foo", "1.0")]), "1.0.0": ([wheel("foo", "1.0.0")], [])})
    binary = BinaryPolicy(no_binary=frozenset({"foo"})) if no_binary else BinaryPolicy()
    selection = FileSelection(TAGS, binary=binary)
    found = selection.usable_versions("foo", [rows])
    assert [str(v) for v in found] == (["1.0"] if no_binary else ["1.0.0"])
    files = found[Version("1")]
    assert files.best.label == ("foo-1.0.tar.gz" if no_binary else "foo-1.0.0-py3-none-any.whl")
    assert files.text == ("1.0" if no_binary else "1.0.0")
    # --generate-hashes: every file of the release, under either spelling.
    assert [d.label for d in selection.release_files("foo", Version("1.0.0"), files)] == [
        "foo-1.0.0-py3-none-any.whl", "foo-1.0.tar.gz"]


def test_equal_versions_on_two_pages_are_the_first_page_s() -> None:
    # Its spelling and its files (not one spelling with another's files: a find-links wheel's
    # 1.0 written as the index's 1.0.0).
    first = page({"1.0": ([], [sdist("foo", "1.0")])}, "https://first/simple")
    second = page({"1.0.0": ([wheel("foo", "1.0.0")], [])}, "https://second/simple")
    found = FileSelection(TAGS).usable_versions("foo", [first, second])
    assert [str(v) for v in found] == ["1.0"]
    assert [d.label for d in found[Version("1.0")].usable] == ["foo-1.0.tar.gz"]


def test_a_version_whose_best_file_is_yanked_is_yanked_only_if_every_file_is() -> None:
    # Of the files of the best rank one not yanked is best, and its Requires-Python counts.
    from pyffin.resolver.file_selection import sorted_candidates

    yanked, kept = wheel("foo", "1.0", yanked="bad"), wheel("foo", "1.0")
    yanked[3], kept[3] = ">=3.12", ">=3.8"
    found = FileSelection(TAGS).usable_versions("foo", [page({
        "1.0": ([yanked, kept], []),
        "2.0": ([wheel("foo", "2.0", yanked="")], []),
    })])
    candidates = sorted_candidates(found)
    assert [(c.yanked, c.requires_python) for c in candidates] == [(False, ">=3.8"),
                                                                  (True, None)]
    assert found[Version("1.0")].best.file.requires_python == ">=3.8"  # type: ignore[union-attr]
