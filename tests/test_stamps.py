"""File stamps tell a changed file from an unchanged one, and say when they can be trusted."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pyffin.stamps import SETTLED_COARSE_NS, SETTLED_NS, settled, stamp


def test_a_stamp_changes_with_the_content_and_the_entries_of_a_directory(tmp_path: Path) -> None:
    file = tmp_path / "f"
    assert stamp(file) is None
    file.write_text("one")
    before, directory = stamp(file), stamp(tmp_path)
    file.write_text("two!")
    assert stamp(file) != before
    (tmp_path / "g").write_text("")
    assert stamp(tmp_path) != directory


def test_a_file_put_back_with_its_old_modification_time_still_differs(tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("one")
    before = stamp(file)
    assert before is not None
    file.write_text("two")  # same size, then the old time set back, as cp -p would
    os.utime(file, ns=(before[0], before[0]))
    after = stamp(file)
    assert after is not None and after[0] == before[0] and after != before


def test_a_link_is_stamped_itself_or_followed(tmp_path: Path) -> None:
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    assert stamp(tmp_path / "link") == stamp(tmp_path / "target")
    assert stamp(tmp_path / "link", follow=False) != stamp(tmp_path / "target")


def test_only_a_file_that_changed_well_before_is_settled() -> None:
    now = time.time_ns()
    assert settled(None, now)
    assert settled((now - 2 * SETTLED_NS + 1, now - 2 * SETTLED_NS + 1, 0, 0, 0), now)
    assert not settled((now - SETTLED_NS // 2 + 1, now - SETTLED_NS // 2 + 1, 0, 0, 0), now)
    assert not settled((now - 2 * SETTLED_NS, now + 1, 0, 0, 0), now)  # changed since
    whole = (now // 1_000_000_000 - 1) * 1_000_000_000  # a file system keeping seconds only
    assert not settled((whole, whole, 0, 0, 0), whole + SETTLED_COARSE_NS - 1)
    assert settled((whole, whole, 0, 0, 0), whole + SETTLED_COARSE_NS + 1)
