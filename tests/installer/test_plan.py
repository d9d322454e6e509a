"""The install plan: what an environment keeps, gets and loses to match what was resolved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyffin.installer.installed import InstalledDistribution
from pyffin.installer.plan import Wanted, make_plan


def installed(tmp_path: Path, name: str, version: str, *, direct_url: Any = None,
              kind: str = "dist-info") -> InstalledDistribution:
    info = tmp_path / f"{name}-{version}.{'egg-link' if kind == 'egg-link' else kind}"
    if kind == "egg-link":
        info.write_text(str(tmp_path))
    else:
        info.mkdir()
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return InstalledDistribution(name, version, info, kind)  # type: ignore[arg-type]


def test_the_same_version_is_kept_and_another_one_replaced(tmp_path: Path) -> None:
    six = installed(tmp_path, "six", "1.16.0")
    idna = installed(tmp_path, "idna", "3.6")
    plan = make_plan([Wanted("six", "1.16"), Wanted("idna", "3.7")], [six, idna])
    assert plan.kept == (six,)  # 1.16 == 1.16.0 (PEP 440)
    assert [w.name for w in plan.to_install] == ["idna"]
    assert plan.to_remove == (idna,) and plan.extraneous == ()
    assert not plan.is_noop


def test_names_are_compared_normalized(tmp_path: Path) -> None:
    dist = installed(tmp_path, "Zope.Interface", "6.0")
    assert make_plan([Wanted("zope-interface", "6.0")], [dist]).is_noop


def test_sync_removes_what_was_not_asked_for_and_install_keeps_it(tmp_path: Path) -> None:
    six = installed(tmp_path, "six", "1.16.0")
    extra = installed(tmp_path, "extra", "1.0")
    assert make_plan([Wanted("six", "1.16.0")], [six, extra]).is_noop
    plan = make_plan([Wanted("six", "1.16.0")], [six, extra], sync=True)
    assert plan.to_remove == (extra,) and plan.extraneous == (extra,)


def test_reinstall_replaces_even_a_satisfying_distribution(tmp_path: Path) -> None:
    six = installed(tmp_path, "six", "1.16.0")
    idna = installed(tmp_path, "idna", "3.7")
    wanted = [Wanted("six", "1.16.0"), Wanted("idna", "3.7")]
    everything = make_plan(wanted, [six, idna], reinstall=True)
    assert everything.kept == () and set(everything.to_remove) == {six, idna}
    one = make_plan(wanted, [six, idna], reinstall_packages={"idna"})
    assert one.kept == (six,) and one.to_remove == (idna,)
    assert [w.name for w in one.to_install] == ["idna"]


def test_replaced_distributions_are_removed_before_extraneous_ones(tmp_path: Path) -> None:
    old = installed(tmp_path, "six", "1.15.0")
    extra = installed(tmp_path, "extra", "1.0")
    plan = make_plan([Wanted("six", "1.16.0")], [extra, old], sync=True)
    assert plan.to_remove == (old, extra)


@pytest.mark.parametrize("sync", [False, True])
def test_a_package_installed_twice_loses_every_copy_and_is_installed_again(
        tmp_path: Path, sync: bool) -> None:
    # Two copies share their files (six.py): removing the stale one alone would delete what the
    # one kept needs. Every copy goes and the wanted version comes again, as uv does.
    stale = installed(tmp_path, "six", "1.16.0")
    good = installed(tmp_path, "six", "1.17.0")
    plan = make_plan([Wanted("six", "1.17.0")], [stale, good], sync=sync)
    assert plan.kept == () and plan.to_remove == (stale, good)
    assert [(w.name, w.version) for w in plan.to_install] == [("six", "1.17.0")]


def test_an_egg_link_never_satisfies(tmp_path: Path) -> None:
    link = installed(tmp_path, "six", "1.16.0", kind="egg-link")
    plan = make_plan([Wanted("six", "1.16.0")], [link])
    assert plan.to_remove == (link,) and len(plan.to_install) == 1


URL = {"url": "https://host/six-1.16.0-py3-none-any.whl", "archive_info": {}}


@pytest.mark.parametrize(("installed_from", "wanted_from", "kept"), [
    (None, None, True),
    (URL, URL, True),
    (URL, None, False),  # a URL install does not satisfy an index requirement...
    (None, URL, False),  # ...nor the reverse (uv's rule)
    (URL, {**URL, "url": "https://host/other.whl"}, False),
    ({"url": "file:///src/six", "dir_info": {"editable": True}},
     {"url": "file:///src/six", "dir_info": {"editable": True}}, True),
    # A local directory installed without -e may have changed: always reinstalled (as pip).
    ({"url": "file:///src/six", "dir_info": {}}, {"url": "file:///src/six", "dir_info": {}},
     False),
    ({"url": "https://host/six.git", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}},
     {"url": "https://host/six.git", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}}, True),
    ({"url": "https://host/six.git", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}},
     {"url": "https://host/six.git", "vcs_info": {"vcs": "git", "commit_id": "b" * 40}}, False),
], ids=["index", "same-url", "url-for-index", "index-for-url", "other-url", "editable",
        "directory", "same-commit", "other-commit"])
def test_a_distribution_satisfies_only_from_the_same_source(
        tmp_path: Path, installed_from: Any, wanted_from: Any, kept: bool) -> None:
    dist = installed(tmp_path, "six", "1.16.0", direct_url=installed_from)
    plan = make_plan([Wanted("six", "1.16.0", direct_url=wanted_from)], [dist])
    assert plan.is_noop is kept


def test_sync_keeps_preserved_seed_packages_unless_something_wants_them(tmp_path: Path) -> None:
    six = installed(tmp_path, "six", "1.16.0")
    pip = installed(tmp_path, "pip", "24.0")
    extra = installed(tmp_path, "extra", "1.0")
    plan = make_plan([Wanted("six", "1.16.0")], [six, pip, extra], sync=True,
                     preserved={"pip"})
    assert plan.to_remove == (extra,) and plan.kept == (six,)
    wanted_pip = make_plan([Wanted("pip", "25.0")], [pip], sync=True, preserved={"pip"})
    assert wanted_pip.to_remove == (pip,) and [w.version for w in wanted_pip.to_install] == [
        "25.0"]


def test_the_seed_packages_are_the_installers_and_before_312_setuptools_and_wheel() -> None:
    from pyffin.installer.plan import seed_packages

    assert seed_packages((3, 11, 9)) == {"pip", "pyffin", "uv", "setuptools", "wheel"}
    assert seed_packages((3, 12, 0)) == {"pip", "pyffin", "uv"}
