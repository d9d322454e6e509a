"""The sorted columns a source hands the provider (:mod:`pyffin.resolver.source`)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import pytest
from packaging.version import Version

from pyffin.resolver.ranges import ReleaseCeiling
from pyffin.resolver.source import VersionList

TEXTS = ["0", "0.0.1", "0.9", "1.0a1", "1.0.dev3", "1", "1.0.0.post1", "1.0.1", "1.2",
         "1.3b2", "1.5.0.dev1", "1.5-1", "1.6.RC1", "1.10", "v1.11", "2.0rc1", "2",
         "2.0.0+local", "2.0.1", "1!0.1", "1!3.0", "0.0.0.0.0.0.0.0.0.2", "1.2.3.4.5.6.7.8.9"]
BOUNDS = ["0", "0.0", "0.5", "1.0", "1.0.0", "1.0a1", "1.0.dev0", "1.0.post0.dev0", "1.1",
          "1.10.0", "1.11", "2.0.dev0", "2", "2.0+local", "3", "1!0", "1!3", "0.0.0.0.0.0.0.0.0.1"]


def _sorted() -> list[str]:
    return sorted(TEXTS, key=Version)


@pytest.mark.parametrize("bound", BOUNDS)
def test_a_version_list_bisects_as_the_parsed_versions_would(bound: str) -> None:
    texts = _sorted()
    parsed = [Version(text) for text in texts]
    versions = VersionList(texts)
    assert versions.bisect_left(Version(bound)) == bisect_left(parsed, Version(bound))
    assert versions.bisect_right(Version(bound)) == bisect_right(parsed, Version(bound))
    ceiling = ReleaseCeiling(Version(bound))
    assert versions.bisect_left(ceiling) == bisect_left(parsed, ceiling)  # type: ignore[arg-type]
    assert versions.bisect_right(ceiling) == bisect_right(parsed, ceiling)  # type: ignore[arg-type]
    if Version(bound) in parsed:
        assert versions.position(Version(bound)) == parsed.index(Version(bound))
    else:
        assert versions.position(Version(bound)) is None


def test_a_bisection_parses_only_versions_of_the_bounds_release() -> None:
    texts = [f"{major}.{minor}.0" for major in range(1, 30) for minor in range(12)]
    versions = VersionList(texts)
    assert versions.bisect_left(Version("17.3")) == texts.index("17.3.0")
    parsed = [text for text, made in zip(texts, versions._made, strict=True) if made is not None]
    assert parsed == ["17.3.0"]


def test_a_bisection_reads_the_release_of_a_pre_post_or_dev_release_text_without_parsing_it(
        ) -> None:
    texts = [f"{major}.{minor}.0{suffix}" for major in range(1, 30) for minor in range(12)
             for suffix in ("a1", "rc2", "", "+local", ".post1")]
    assert texts == sorted(texts, key=Version)
    versions = VersionList(texts)
    assert versions.bisect_left(Version("17.3")) == texts.index("17.3.0")
    assert versions.bisect_right(Version("17.3")) == texts.index("17.3.0+local")
    parsed = [text for text, made in zip(texts, versions._made, strict=True) if made is not None]
    assert parsed and all(text.startswith("17.3.0") for text in parsed)


def test_repeated_bisections_read_each_texts_release_once() -> None:
    # A resolution bisects the same lists again and again (each clause's bounds, each
    # decision): the release numbers of a middle text are worked out once, not each time.
    from unittest import mock

    from pyffin.resolver import source

    texts = [f"{major}.{minor}.{patch}" for major in range(1, 20) for minor in range(10)
             for patch in range(3)]
    versions = VersionList(texts)
    bounds = [Version(f"{major}.{minor}") for major in range(1, 20) for minor in (0, 5, 9)]
    with mock.patch.object(source, "_release_numbers", wraps=source._release_numbers) as read:
        first = [versions.bisect_left(bound) for bound in bounds]
        texts_read = [call.args[0] for call in read.call_args_list]
        assert len(texts_read) == len(set(texts_read))  # each text read once
        assert [versions.bisect_left(bound) for bound in bounds] == first
        assert read.call_count == len(texts_read)  # nothing read again
    assert first == [bisect_left([Version(t) for t in texts], bound) for bound in bounds]


def test_version_lists_of_the_same_texts_share_their_versions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The same texts recur across projects' pages (and clauses, and metadata): each is
    # parsed once per process.
    from pyffin.models import versions

    monkeypatch.setattr(versions, "_parsed", {})
    texts = _sorted()
    first, second = VersionList(texts), VersionList(list(texts))
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert second.bisect_left(Version("1.2")) == texts.index("1.2")
