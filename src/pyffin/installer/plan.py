"""The install plan: what an environment keeps, gets and loses to match what was resolved.

For each wanted distribution: already installed and satisfying (kept), or to install — then
either unzipped in the cache already (only linked) or to fetch, which the caller decides with
the wheel database. Installed distributions of another version, or that must be reinstalled,
are removed first; with ``sync``, so is everything that was not asked for (extraneous), but the
``preserved`` seed packages (:func:`seed_packages`). A wanted package installed more than once
is never kept: every copy is removed and it is installed again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pyffin.installer.installed import InstalledDistribution
from pyffin.models.wheel import versions_equal
from pyffin.records import record


@record
class Wanted:
    """A distribution the environment must contain after the operation."""

    #: PEP 503 normalized.
    name: str
    version: str
    #: The direct requirement named it (``REQUESTED`` is written).
    requested: bool = False
    #: PEP 610 ``direct_url.json`` for URL/path/VCS sources; ``None`` from an index.
    direct_url: Mapping[str, Any] | None = None
    #: Whatever the caller needs to fetch it (the chosen file).
    source: Any = None


@record
class InstallPlan:
    """The changes that turn the environment into the wanted set."""

    kept: tuple[InstalledDistribution, ...]
    to_install: tuple[Wanted, ...]
    #: Installed distributions to remove: replaced ones first, then extraneous ones.
    to_remove: tuple[InstalledDistribution, ...]
    extraneous: tuple[InstalledDistribution, ...] = ()

    @property
    def is_noop(self) -> bool:
        return not self.to_install and not self.to_remove


def make_plan(
    wanted: Sequence[Wanted],
    installed: Sequence[InstalledDistribution],
    *,
    sync: bool = False,
    reinstall: bool = False,
    reinstall_packages: Collection[str] = (),
    preserved: Collection[str] = (),
) -> InstallPlan:
    """Compare ``wanted`` with ``installed`` (see the module docstring): with ``sync``, the
    installed distributions of the normalized names in ``preserved`` that nothing wants are
    kept."""
    by_name: dict[str, list[InstalledDistribution]] = {}
    for dist in installed:
        by_name.setdefault(dist.normalized_name, []).append(dist)
    kept: list[InstalledDistribution] = []
    to_install: list[Wanted] = []
    replaced: list[InstalledDistribution] = []
    for item in wanted:
        present = by_name.pop(item.name, [])
        # Several copies (another tool's crash) share files: removing one deletes what the
        # one kept needs. All go, and the wanted one is installed after them, as uv does.
        if len(present) == 1 and not (reinstall or item.name in reinstall_packages) \
                and _satisfies(present[0], item):
            kept.append(present[0])
        else:
            to_install.append(item)
            replaced.extend(present)
    extraneous = [d for name, dists in by_name.items() if name not in preserved
                  for d in dists] if sync else []
    return InstallPlan(tuple(kept), tuple(to_install), tuple(replaced + extraneous),
                       tuple(extraneous))


def _satisfies(dist: InstalledDistribution, item: Wanted) -> bool:
    """Same version, and from the same source: a URL install does not satisfy an index
    requirement, nor the reverse (uv's rule); an egg-link never satisfies; a local directory
    installed without ``-e`` is always reinstalled (its files may have changed, as pip does)."""
    if dist.kind == "egg-link" or not versions_equal(dist.version, item.version):
        return False
    installed_url = dist.direct_url()
    if item.direct_url is None:
        return installed_url is None
    if installed_url is None or installed_url.get("url") != item.direct_url.get("url"):
        return False
    dir_info = item.direct_url.get("dir_info")
    if dir_info is not None:
        return bool(dir_info.get("editable")) and bool(
            installed_url.get("dir_info", {}).get("editable"))
    if "vcs_info" in item.direct_url:
        installed_commit = installed_url.get("vcs_info", {}).get("commit_id")
        return bool(installed_commit == item.direct_url["vcs_info"].get("commit_id"))
    return True


def seed_packages(python: tuple[int, ...]) -> frozenset[str]:
    """What a sync keeps when nothing asks for it, where the environment keeps its seed
    packages (:func:`pyffin.venv.config.keeps_seed_packages`), as uv does: the installers
    (pip, uv, and pyffin itself, which must not remove itself while it runs), and before
    Python 3.12, whose ``venv`` no longer installs them, setuptools and wheel."""
    names = {"pip", "pyffin", "uv"}
    if python < (3, 12):
        names |= {"setuptools", "wheel"}
    return frozenset(names)
