"""Every bucket is named once, carries a format version and documents its layout."""

from __future__ import annotations

import re

from pyffin.cache import CacheBucket


def test_bucket_names_are_versioned_and_unique() -> None:
    names = [bucket.dirname for bucket in CacheBucket]
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"[a-z]+-v\d+", name), name


def test_each_bucket_documents_its_layout() -> None:
    for bucket in CacheBucket:
        assert bucket.__doc__ and bucket.dirname in bucket.__doc__, bucket


def test_package_globs_name_the_package() -> None:
    for bucket in CacheBucket:
        for pattern in bucket.package_globs:
            assert "{name}" in pattern and not pattern.startswith("/")


def test_the_documented_cache_layout_is_the_buckets_own() -> None:
    from pathlib import Path

    from pyffin.cache.buckets import markdown_layout

    doc = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
    text = doc.read_text(encoding="utf-8")
    start = "<!-- cache layout: generated from pyffin.cache.buckets.markdown_layout() -->\n"
    end = "<!-- end of cache layout -->"
    documented = text.split(start, 1)[1].split(end, 1)[0]
    assert documented == markdown_layout(), (
        "docs/architecture.md's cache layout is out of date; regenerate it with: "
        "python scripts/cache_layout.py")
