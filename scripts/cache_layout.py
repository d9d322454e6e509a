"""Rewrite the cache layout section of docs/architecture.md from the CacheBucket docstrings
(``tests/cache/test_buckets.py`` checks it is current): ``python scripts/cache_layout.py``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pyffin.cache.buckets import markdown_layout  # noqa: E402

START = "<!-- cache layout: generated from pyffin.cache.buckets.markdown_layout() -->\n"
END = "<!-- end of cache layout -->"

doc = ROOT / "docs" / "architecture.md"
text = doc.read_text(encoding="utf-8")
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
doc.write_text(head + START + markdown_layout() + END + tail, encoding="utf-8")
