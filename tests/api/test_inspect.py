"""``pyffin.api.inspect``: how what installed distributions require is shown, and what `check`
finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyffin.api.inspect import editable_location, freeze_line, shown_requirement
from pyffin.installer.installed import scan
from tests.support.dists import write_develop_install


@pytest.mark.parametrize(("written", "shown"), [
    # As uv 0.13.9's pip check writes them (checked against it on these very lines): the
    # name and extras normalized (extras in their order), clauses by version, uv's marker.
    ('Six<2,>=1.17.0; python_version > "3"', "six>=1.17.0,<2 ; python_full_version >= '3.1'"),
    ("Missing_Dep[Extra]~=1.0", "missing-dep[extra]~=1.0"),
    ("aa!=1.5,<3,>=1", "aa>=1,!=1.5,<3"),
    ("bb<3,>1", "bb>1,<3"),
    ('cc[Z,y]==1.*; sys_platform == "linux" and platform_machine == "x86_64"',
     "cc[z,y]==1.* ; platform_machine == 'x86_64' and sys_platform == 'linux'"),
    ("dd @ https://example.com/dd-1.0.tar.gz", "dd @ https://example.com/dd-1.0.tar.gz"),
    ('six>5; os_name == "posix"', "six>5 ; os_name == 'posix'"),
    ("lib", "lib"),
    # What does not parse is shown as written.
    ("not a requirement!", "not a requirement!"),
])
def test_a_requirement_is_shown_as_uv_shows_it(written: str, shown: str) -> None:
    assert shown_requirement(written) == shown


def _dist_info(site: Path, name: str, version: str, *requires: str,
               requires_python: str | None = None, tags: tuple[str, ...] = ("py3-none-any",)
               ) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("".join([
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        *([f"Requires-Python: {requires_python}\n"] if requires_python else []),
        *(f"Requires-Dist: {r}\n" for r in requires)]))
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
                                + "".join(f"Tag: {tag}\n" for tag in tags))
    return info


def test_check_says_a_package_installed_twice_once_as_uv_says_it(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from pyffin.api.inspect import check
    from tests.resolver.memory import TARGET

    site = tmp_path / "site-packages"
    _dist_info(site, "app", "1.0", "lib>=3", "absent")
    old = _dist_info(site, "lib", "1.0", "gone")
    new = _dist_info(site, "Lib", "2.0")
    (new / "METADATA").unlink()  # a broken copy: still one problem, the duplicate
    env = SimpleNamespace(site_packages=[site], markers=TARGET, tags=("py3-none-any",))
    checked, problems = check(env)  # type: ignore[arg-type]
    assert checked == 3
    # Neither what lib needs nor what is needed of it is judged: which copy counts is unknown.
    assert [str(p) for p in problems] == [
        "The package `app` requires `absent`, but it's not installed",
        "The package `lib` has multiple installed distributions: "
        f"\n  - {new}\n  - {old}",
    ]
    assert problems[1].paths == (str(new), str(old))


def test_check_judges_requires_python_and_the_wheel_tags_as_uv(tmp_path: Path) -> None:
    """As uv 0.13.9's pip check (its messages, checked against it): a Requires-Python the
    Python does not satisfy, a wheel built for another platform (the tags of its ``WHEEL``
    file, compressed sets expanded), a ``WHEEL`` file that cannot be read; for the
    environment's markers and tags, or others given (``--python-version``,
    ``--python-platform``)."""
    from types import SimpleNamespace

    from pyffin.api.inspect import check
    from tests.resolver.memory import TARGET

    site = tmp_path / "site-packages"
    _dist_info(site, "new-only", "1.0", requires_python=">=3.12")
    _dist_info(site, "native", "1.0", tags=("cp311-cp311-win_amd64",))
    _dist_info(site, "either", "1.0", tags=("py2.py3-none-win_amd64.manylinux1_x86_64",))
    _dist_info(site, "bounded", "1.0", requires_python=">=3.8,<3.11")
    (_dist_info(site, "unwheeled", "1.0") / "WHEEL").unlink()
    linux = ("cp311-cp311-manylinux1_x86_64", "py3-none-manylinux1_x86_64", "py3-none-any")
    env = SimpleNamespace(site_packages=[site], markers=TARGET, tags=linux)
    checked, problems = check(env)  # type: ignore[arg-type]
    assert checked == 5
    assert [str(p) for p in problems] == [
        "The package `bounded` requires Python >=3.8,<3.11, but `3.11.7` is installed",
        "The package `native` was built for a different platform",
        "The package `new-only` requires Python >=3.12, but `3.11.7` is installed",
        "The package `unwheeled` is broken or incomplete (unable to read `WHEEL` file). "
        "Consider recreating the virtualenv, or removing the package directory at: "
        f"{site / 'unwheeled-1.0.dist-info'}.",
    ]
    windows = dict(TARGET, python_full_version="3.12.1", python_version="3.12",
                   sys_platform="win32")
    tags = ("cp311-cp311-win_amd64", "py3-none-win_amd64", "py3-none-any")
    _, problems = check(env, windows, tags)  # type: ignore[arg-type]
    assert [str(p) for p in problems] == [
        "The package `bounded` requires Python >=3.8,<3.11, but `3.12.1` is installed",
        f"The package `unwheeled` is broken or incomplete (unable to read `WHEEL` file). "
        "Consider recreating the virtualenv, or removing the package directory at: "
        f"{site / 'unwheeled-1.0.dist-info'}.",
    ]


def test_a_setup_py_develop_install_is_an_editable_of_its_project(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    write_develop_install(site, tmp_path / "flat", "flat-pkg", "1.0")
    write_develop_install(site, tmp_path / "layout", "src-pkg", "2.0", src=True)
    (site / "gone.egg-link").write_text("")

    flat, gone, src = scan([site])

    # As uv 0.13.9 writes them: the path, not a file:// URL (freeze -> install round trip);
    # a src layout is installed again from its project, not from src/.
    assert freeze_line(flat) == f"-e {tmp_path / 'flat'}"
    assert freeze_line(src) == f"-e {tmp_path / 'layout'}"
    assert editable_location(flat) == str(tmp_path / "flat")
    assert editable_location(src) == str(tmp_path / "layout" / "src")
    # A link that points nowhere is no editable: frozen by name, as it is listed.
    assert (freeze_line(gone), editable_location(gone)) == ("gone==0", None)



def test_freeze_keeps_an_archives_hash_as_uv_does(tmp_path: Path) -> None:
    import json

    site = tmp_path / "site-packages"
    url = "https://host/files/idna-3.4-py3-none-any.whl"
    for name, archive in (("idna", {"hashes": {"sha256": "abc"}, "hash": "sha256=abc"}),
                          ("legacy", {"hash": "sha256=def"}), ("plain", {})):
        info = _dist_info(site, name, "1.0")
        (info / "direct_url.json").write_text(json.dumps({"url": url,
                                                          "archive_info": archive}))
    assert sorted(freeze_line(d) for d in scan([site])) == [
        f"idna @ {url}#sha256=abc", f"legacy @ {url}#sha256=def", f"plain @ {url}"]
