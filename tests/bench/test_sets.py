"""Reading the benchmark sets and drawing dependency-closed scaling subsets from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import BenchError
from bench.sets import (
    ROOT,
    Pin,
    closed_order,
    load_set,
    parse_pinned,
    pin_differences,
    pin_set_differences,
    read_pin_list,
)

PINNED = """\
# Pinned with uv pip compile
flask==3.1.3
    # via -r small.in
click==8.5.0
    # via flask
markupsafe==3.0.3
    # via
    #   flask
    #   jinja2
jinja2==3.1.6
    # via flask
Requests==2.34.2
    # via -r small.in
"""


def write_set(directory: Path, name: str, in_text: str, pinned: str) -> None:
    (directory / f"{name}.in").write_text(in_text)
    (directory / f"{name}.txt").write_text(pinned)


def test_pins_and_via_annotations_are_read(tmp_path: Path) -> None:
    pins, dependents = parse_pinned(PINNED, tmp_path / "small.txt")
    assert [str(p) for p in pins] == [
        "flask==3.1.3", "click==8.5.0", "markupsafe==3.0.3", "jinja2==3.1.6", "requests==2.34.2",
    ]  # fmt: skip
    assert dependents["markupsafe"] == {"flask", "jinja2"}
    assert dependents["flask"] == {ROOT}


def test_a_malformed_pin_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match=r"small\.txt:3: expected `name==version`"):
        parse_pinned("# header\nflask==3.1.3\nclick>=8\n", tmp_path / "small.txt")


def test_a_missing_set_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match=r"medium\.in: benchmark set file not found"):
        load_set(tmp_path, "medium")


def test_every_prefix_of_the_scaling_order_is_closed_under_dependencies(tmp_path: Path) -> None:
    write_set(tmp_path, "small", "flask\nrequests\n", PINNED)
    bench_set = load_set(tmp_path, "small")
    order = closed_order([bench_set])
    names = [p.name for p in order]
    assert sorted(names) == sorted(p.name for p in bench_set.pins)
    for size in range(1, len(names) + 1):
        prefix = set(names[:size])
        for child, parents in bench_set.dependents.items():
            assert not (parents & prefix) or child in prefix, (size, child)
    assert names.index("markupsafe") < names.index("jinja2") < names.index("flask")


def test_sets_that_pin_one_package_differently_cannot_be_combined(tmp_path: Path) -> None:
    write_set(tmp_path, "a", "click\n", "click==8.5.0\n")
    write_set(tmp_path, "b", "click\n", "click==8.4.0\n")
    with pytest.raises(BenchError, match=r"b\.txt: click==8\.4\.0 conflicts with click==8\.5\.0"):
        closed_order([load_set(tmp_path, "a"), load_set(tmp_path, "b")])


def test_pin_differences_list_wrong_missing_and_extra_packages() -> None:
    expected = {"flask": "3.1.3", "click": "8.5.0", "jinja2": "3.1.6"}
    actual = {"flask": "3.1.3", "click": "8.4.0", "pip": "26.3"}
    assert pin_differences(expected, actual, extras=True) == (
        "click==8.4.0 (pinned 8.5.0), jinja2 missing, pip extra"
    )
    assert pin_differences(expected, actual, extras=False) == (
        "click==8.4.0 (pinned 8.5.0), jinja2 missing"
    )
    assert pin_differences({"a": "1.0"}, {"a": "1.0.0"}, extras=True) == ""


UNIVERSAL = """\
# --exclude-newer 2026-09-30T15:05:44Z
numpy==2.0.2 ; python_full_version < '3.10'
    # via -r large.in
numpy==2.2.6 ; python_full_version >= '3.10'
    # via -r large.in
pywin32==311 ; sys_platform == 'win32'
    # via jupyter-core
"""


def test_a_universal_file_pins_some_packages_at_several_versions(tmp_path: Path) -> None:
    path = tmp_path / "large-universal.txt"
    path.write_text(UNIVERSAL)
    pins, _dependents = parse_pinned(UNIVERSAL, path)
    assert [str(p) for p in pins] == ["numpy==2.0.2", "numpy==2.2.6", "pywin32==311"]
    assert read_pin_list(path) == list(pins)
    assert pin_set_differences(pins, pins) == ""
    assert pin_set_differences(pins, [pins[0], Pin("numpy", "2.3.0")]) == (
        "numpy==2.2.6 missing, pywin32==311 missing, numpy==2.3.0 extra")
