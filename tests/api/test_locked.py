"""Choosing what a ``pylock.toml`` installs in one environment (PEP 751's installation steps):
markers with the installation's extras and groups, one entry per name, the best wheel for the
environment's tags, else the sdist, else a direct source — and the hashes each must have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyffin.api.locked import select
from pyffin.errors import NotSupportedError
from pyffin.models.format_control import BinaryPolicy
from pyffin.models.pylock import PylockError, from_table

SHA = "ab" * 32
LINUX = {"python_version": "3.12", "python_full_version": "3.12.1", "sys_platform": "linux",
         "platform_machine": "x86_64"}
TAGS = ("cp312-cp312-manylinux_2_17_x86_64", "cp312-abi3-manylinux_2_17_x86_64",
        "py3-none-manylinux_2_17_x86_64", "cp312-none-any", "py3-none-any")


def wheel(filename: str, digest: str = SHA) -> dict[str, Any]:
    return {"url": f"https://files.example/{filename}", "hashes": {"sha256": digest}}


def lock(*packages: dict[str, Any], **top: Any) -> Any:
    return from_table({"lock-version": "1.0", "created-by": "test",
                       "packages": list(packages), **top}, "pylock.toml")


def chosen(data: Any, path: str = "pylock.toml", **kwargs: Any) -> dict[str, str]:
    """``{name: filename or direct URL}`` of what ``select`` picks for Linux, CPython 3.12."""
    picked = select(data, path, markers=LINUX, tags=TAGS, **kwargs)
    return {p.name: (p.dist.file.filename if p.dist.file is not None else p.dist.direct.url)
            for p in picked.resolution}


def test_the_best_wheel_for_the_tags_with_its_hashes() -> None:
    data = lock({"name": "a", "version": "1", "wheels": [
        wheel("a-1-py3-none-any.whl"), wheel("a-1-cp312-abi3-manylinux_2_17_x86_64.whl", "01"),
        wheel("a-1-cp312-cp312-win_amd64.whl"), wheel("a-1-1-py3-none-any.whl")],
        "sdist": {"url": "https://files.example/a-1.tar.gz", "hashes": {"sha256": SHA}}})
    picked = select(data, "pylock.toml", markers=LINUX, tags=TAGS)
    package = picked.resolution["a"]
    assert package.dist is not None and package.dist.is_wheel
    assert package.dist.file is not None
    assert package.dist.file.filename == "a-1-cp312-abi3-manylinux_2_17_x86_64.whl"
    assert picked.hashes == {"a": ("sha256:01",)}


def test_a_build_tag_breaks_a_tie() -> None:
    data = lock({"name": "a", "version": "1", "wheels": [
        wheel("a-1-py3-none-any.whl"), wheel("a-1-2-py3-none-any.whl"),
        wheel("a-1-10-py3-none-any.whl")]})
    assert chosen(data) == {"a": "a-1-10-py3-none-any.whl"}


def test_the_sdist_when_no_wheel_fits_and_an_error_when_nothing_does() -> None:
    sdist = {"url": "https://files.example/a-1.tar.gz", "hashes": {"sha256": SHA}}
    windows = [wheel("a-1-cp312-cp312-win_amd64.whl")]
    assert chosen(lock({"name": "a", "version": "1", "wheels": windows, "sdist": sdist})) == {
        "a": "a-1.tar.gz"}
    with pytest.raises(PylockError, match=r"^pylock.toml: `packages\[0\]`: a has no wheel for "
                                          r"this environment \(a-1-cp312-cp312-win_amd64.whl\) "
                                          "and no source distribution"):
        chosen(lock({"name": "a", "version": "1", "wheels": windows}))


def test_binary_options_choose_between_wheels_and_sources() -> None:
    data = lock({"name": "a", "version": "1", "wheels": [wheel("a-1-py3-none-any.whl")],
                 "sdist": {"url": "https://files.example/a-1.tar.gz",
                           "hashes": {"sha256": SHA}}})
    assert chosen(data, binary=BinaryPolicy.of(["a"])) == {"a": "a-1.tar.gz"}
    only_sdist = lock({"name": "a", "version": "1", "sdist": {
        "url": "https://files.example/a-1.tar.gz", "hashes": {"sha256": SHA}}})
    with pytest.raises(PylockError, match=r"its sources .* are ruled out"):
        chosen(only_sdist, binary=BinaryPolicy.of(only_binary=[":all:"]))


def test_markers_see_the_environment_extras_and_groups() -> None:
    data = lock(
        {"name": "a", "version": "1", "marker": "sys_platform == 'win32'",
         "wheels": [wheel("a-1-py3-none-any.whl")]},
        {"name": "b", "version": "1", "marker": "'x' in extras",
         "wheels": [wheel("b-1-py3-none-any.whl")]},
        {"name": "c", "version": "1", "marker": "'dev' in dependency_groups",
         "wheels": [wheel("c-1-py3-none-any.whl")]},
        extras=["x"], **{"dependency-groups": ["dev"], "default-groups": ["dev"]})
    assert sorted(chosen(data)) == ["c"]  # the default groups
    assert sorted(chosen(data, extras={"x"}, groups={"dev"})) == ["b", "c"]
    assert sorted(chosen(data, groups=set())) == []  # no group at all, not the defaults


def test_one_entry_per_name_may_apply() -> None:
    entries = [{"name": "a", "version": v, "marker": m,
                "wheels": [wheel(f"a-{v}-py3-none-any.whl")]}
               for v, m in (("1", "python_version < '3.12'"), ("2", "python_version >= '3.12'"))]
    assert chosen(lock(*entries)) == {"a": "a-2-py3-none-any.whl"}
    entries[0]["marker"] = "sys_platform == 'linux'"
    with pytest.raises(PylockError, match=r"`packages\[1\]`: a second entry for a applies"):
        chosen(lock(*entries))


@pytest.mark.parametrize(("top", "package", "message"), [
    ({"requires-python": ">=3.13"}, {}, "pylock.toml requires Python >=3.13 \\(requires-python"
                                        "\\), but the environment's is 3.12.1"),
    ({"environments": ["sys_platform == 'darwin'"]}, {}, "none of its `environments` holds"),
    ({}, {"requires-python": "<3"}, "`packages\\[0\\]`: a requires Python <3"),
])
def test_the_lock_must_be_for_this_environment(top: dict[str, Any], package: dict[str, Any],
                                               message: str) -> None:
    data = lock({"name": "a", "version": "1", "wheels": [wheel("a-1-py3-none-any.whl")],
                 **package}, **top)
    with pytest.raises(PylockError, match=message):
        chosen(data)


def test_paths_are_relative_to_the_lock_files_directory(tmp_path: Path) -> None:
    (tmp_path / "locks").mkdir()
    (tmp_path / "tree").mkdir()
    data = lock(
        {"name": "a", "version": "1", "wheels": [{"path": "../wheels/a-1-py3-none-any.whl",
                                                  "hashes": {"sha256": SHA}}]},
        {"name": "b", "version": "2", "directory": {"path": "../tree", "editable": True}},
        {"name": "c", "version": "3", "archive": {"url": "https://x/c.tar.gz", "subdirectory":
                                                  "sub", "hashes": {"sha256": SHA}}},
        {"name": "d", "version": "4", "vcs": {"type": "git", "url": "https://g/d",
                                              "commit-id": "1" * 40}})
    picked = select(data, tmp_path / "locks" / "pylock.toml", markers=LINUX, tags=TAGS)
    a, b, c, d = (picked.resolution[n].dist for n in "abcd")
    assert a is not None and a.file is not None
    assert a.file.url == (tmp_path / "wheels" / "a-1-py3-none-any.whl").as_uri()
    assert b is not None and b.direct is not None and b.direct.editable
    assert b.direct.path == str(tmp_path / "tree")
    assert c is not None and c.direct is not None
    assert (c.direct.kind, c.direct.subdirectory, c.direct.hashes) == (
        "sdist-url", "sub", (("sha256", SHA),))
    assert d is not None and d.direct is not None and d.direct.git is not None
    assert (d.direct.git.repository, d.direct.git.rev, d.commit) == (
        "https://g/d", "1" * 40, "1" * 40)
    assert picked.hashes == {"a": (f"sha256:{SHA}",), "c": (f"sha256:{SHA}",)}


def test_only_git_is_supported_for_vcs() -> None:
    with pytest.raises(NotSupportedError, match="only git sources are supported, not hg"):
        chosen(lock({"name": "a", "vcs": {"type": "hg", "url": "https://h/a",
                                          "commit-id": "1" * 40}}))


def test_a_source_tree_without_a_version_asks_for_it(tmp_path: Path) -> None:
    data = lock({"name": "b", "directory": {"path": "."}})
    asked: list[str] = []

    def version_of(name: str, dist: Any) -> Any:
        from packaging.version import Version

        asked.append(name)
        return Version("0.3")

    picked = select(data, tmp_path / "pylock.toml", markers=LINUX, tags=TAGS,
                    version_of=version_of)
    assert (asked, str(picked.resolution["b"].version)) == (["b"], "0.3")
