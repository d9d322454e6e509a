"""Uninstall a distribution by its file list (RECORD), safely (DESIGN §5).

Every path is checked before anything is deleted: a file list naming a path outside the
environment (``../../../../etc/passwd``, an absolute path elsewhere, a path through a symbolic
link that leads out) makes the whole uninstall fail. The metadata directory is retired first
(:meth:`_Remover.retire`): an uninstall killed mid-way leaves files no distribution claims,
never a distribution missing some of its files. Besides the listed files, the bytecode of
removed ``.py`` files goes, and directories left empty are removed walking up, never past the
environment's skeleton (site-packages, the scripts directory, their parents, the prefix).

Legacy installs:

* ``.egg-info`` with ``installed-files.txt``: that list is the RECORD.
* ``.egg-info`` without one (``setup.py install`` by old pip): its ``top_level.txt`` must name
  only regular packages (with ``__init__.py``) or single modules that exist and that no other
  installed distribution lists in its RECORD or ``top_level.txt``; then those and the
  ``.egg-info`` are removed (scripts it installed cannot be known and stay). Anything less
  certain — no ``top_level.txt``, a namespace package, a name shared with another
  distribution, a distutils ``.egg-info`` file — is an :class:`UninstallError`.
* ``.egg-link`` (``setup.py develop``): the link goes, and its line in ``easy-install.pth``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin.installer import debris
from pyffin.installer.errors import UninstallError
from pyffin.installer.installed import InstalledDistribution, scan
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.interpreter.scheme import Scheme

_EXTENSION_SUFFIXES = (".so", ".pyd")


@record
class UninstallResult:
    """What an uninstall removed, as absolute paths (strings: a large distribution removes
    thousands of files, and building as many :class:`Path` objects would cost more than the
    removal)."""

    removed_files: tuple[str, ...]
    removed_dirs: tuple[str, ...]


def uninstall(dist: InstalledDistribution, scheme: Scheme) -> UninstallResult:
    """Remove ``dist`` from the environment described by ``scheme``.

    Raises :class:`UninstallError` (having deleted nothing) when its files cannot be known
    safely or a listed path lies outside the environment.
    """
    [remove] = plan_uninstall([dist], scheme)
    return remove()


def plan_uninstall(dists: Iterable[InstalledDistribution], scheme: Scheme,
                   ) -> list[Callable[[], UninstallResult]]:
    """What removes each of ``dists`` (see :func:`uninstall`), every one checked before this
    returns: the :class:`UninstallError` of the first that would be refused is raised, having
    deleted nothing. An operation removing several plans them all first, so that a refusal
    leaves the environment as it was (not the ones before it removed, and what was to replace
    them never installed)."""
    removals = []
    for dist in dists:
        remover = _Remover(dist, scheme)
        try:
            removals.append(_removal(remover, remover.plan()))
        except OSError as e:
            raise UninstallError(f"cannot uninstall {dist.label}: {e}") from e
    return removals


def _removal(remover: _Remover, remove: Callable[[], None]) -> Callable[[], UninstallResult]:
    def run() -> UninstallResult:
        try:
            remove()
        except OSError as e:
            raise UninstallError(f"cannot uninstall {remover.dist.label}: {e}") from e
        return remover.result()

    return run


class _Remover:
    """One uninstall: the environment's bounds and what has been removed so far."""

    def __init__(self, dist: InstalledDistribution, scheme: Scheme) -> None:
        self.dist = dist
        self.prefix = _abs(scheme.data)
        #: Paths may be deleted only below these (real paths: symbolic links resolved).
        self.allowed = [_real(p) for p in (scheme.data, scheme.purelib, scheme.platlib,
                                           scheme.scripts, scheme.headers)]
        #: Directories never removed: the scheme's, their ancestors up to the prefix, and the
        #: prefix's child holding the headers (``include``), which the environment starts with.
        keep = {self.prefix}
        for path in (scheme.purelib, scheme.platlib, scheme.scripts):
            _add_ancestors(keep, _abs(path), self.prefix)
        headers = _abs(scheme.headers)
        if _inside(headers, self.prefix) and headers != self.prefix:
            keep.add(os.path.join(self.prefix, os.path.relpath(headers, self.prefix)
                                  .split(os.sep)[0]))
        self.keep = keep
        #: Whether each checked directory is, for real, inside the environment.
        self.real_dirs: dict[str, bool] = {}
        self.files: list[str] = []
        self.dirs: list[str] = []
        #: Directories that held removed files: candidates for removal once empty.
        self.touched: set[str] = set()
        #: Removed ``.py`` modules by directory, whose bytecode goes too.
        self.modules: dict[str, set[str]] = {}

    def fail(self, why: str) -> UninstallError:
        return UninstallError(f"cannot uninstall {self.dist.label} ({self.dist.path}): {why}")

    def check(self, path: str, listed: str) -> None:
        """Refuse ``path`` (listed as ``listed``) unless it is inside the environment, also
        after following symbolic links in its directory."""
        parent = os.path.dirname(path)
        ok = self.real_dirs.get(parent)
        if ok is None:
            real = _real(parent)
            ok = self.real_dirs[parent] = any(_inside(real, root) for root in self.allowed)
        if not ok:
            if any(_inside(parent, root) for root in self.allowed):
                # Inside by its path, outside once its directory's links are followed: a
                # package directory that is a link to the user's own files, say.
                raise self.fail(f"it lists {listed!r}, which a symbolic link leads outside the "
                                f"environment ({self.prefix}), to {_real(path)}; pyffin "
                                "deletes nothing there")
            raise self.fail(f"it lists {listed!r}, which is outside the environment "
                            f"({self.prefix})")

    # ------------------------------------------------------------------------ file lists
    def plan(self) -> Callable[[], None]:
        """Check everything the uninstall would remove (raising :class:`UninstallError`, or
        ``OSError``, having deleted nothing), and return what removes it."""
        if self.dist.kind == "egg-link":
            return self.plan_egg_link()
        return self.plan_listed()

    def plan_listed(self) -> Callable[[], None]:
        dist = self.dist
        info = _abs(dist.path)
        self.check(info, str(dist.path))
        entries = dist.record()
        if entries is None:
            return self.plan_by_top_level(info)
        base = os.path.dirname(info)
        targets = []
        for entry in entries:
            path = os.path.normpath(os.path.join(base, entry.path))
            if path == info or path.startswith(info + os.sep):
                continue  # the metadata directory goes as a whole
            self.check(path, entry.path)
            targets.append(path)

        def remove() -> None:
            retired = self.retire(info)
            for path in targets:
                self.remove_file(path)
            self.remove_tree(retired, shown=info)
            self.prune()

        return remove

    def plan_by_top_level(self, info: str) -> Callable[[], None]:
        """An ``.egg-info`` without a file list: see the module docstring for the rule."""
        if not os.path.isdir(info):
            raise self.fail("it was installed by distutils, which records no file list")
        names = _read_lines(os.path.join(info, "top_level.txt"))
        if not names:
            raise self.fail("it has neither installed-files.txt nor top_level.txt, so its "
                            "files are unknown")
        if _read_lines(os.path.join(info, "namespace_packages.txt")):
            raise self.fail("it has namespace packages, whose files cannot be told apart")
        site = os.path.dirname(info)
        claimed = _claimed_elsewhere(self.dist, names)
        targets: list[tuple[str, bool]] = []
        for name in names:
            if not name.isidentifier():
                raise self.fail(f"top_level.txt names {name!r}, which is not a module name")
            if name in claimed:
                raise self.fail(f"top_level.txt names {name!r}, which {claimed[name]} "
                                "also installs")
            found = _top_level_paths(site, name)
            if not found:
                raise self.fail(f"top_level.txt names {name!r}, which is not installed as a "
                                "regular package or module")
            targets.extend(found)
        for path, _is_dir in targets:
            self.check(path, os.path.basename(path))

        def remove() -> None:
            retired = self.retire(info)
            for path, is_dir in targets:
                if is_dir:
                    self.remove_tree(path)
                else:
                    self.remove_file(path)
            self.remove_tree(retired, shown=info)
            self.prune()

        return remove

    def plan_egg_link(self) -> Callable[[], None]:
        link = _abs(self.dist.path)
        self.check(link, str(self.dist.path))
        target = self.dist.egg_link_target()
        pth = os.path.join(os.path.dirname(link), "easy-install.pth")

        def remove() -> None:
            if target is not None and os.path.isfile(pth):
                _drop_pth_line(pth, os.path.normpath(os.path.join(os.path.dirname(link),
                                                                  target)))
            self.remove_file(link)

        return remove

    # -------------------------------------------------------------------------- removing
    def retire(self, info: str) -> str:
        """Take the metadata directory ``info`` out of the environment first, in one rename,
        to the name of a stale one being replaced (see :mod:`pyffin.installer.debris`, whose
        sweep removes it): killed at any later point, the uninstall leaves files that no
        distribution claims (an install of it replaces them), never a distribution whose files
        are partly gone (the next sync would count it as installed, its files missing) or
        whose file list is (it could not be removed). Where it now is."""
        retired = f"{info}.pyffin-old-{debris.token()}"
        try:
            os.rename(info, retired)
        except FileNotFoundError:
            return info  # gone already: nothing to retire
        return retired

    def remove_file(self, path: str) -> None:
        try:
            os.unlink(path)
        except (FileNotFoundError, IsADirectoryError):
            return  # gone already, or a directory listed as a file: left alone
        except PermissionError:
            if os.path.isdir(path):  # macOS says EPERM for a directory
                return
            raise
        self.files.append(path)
        parent, _, name = path.rpartition(os.sep)
        self.touched.add(parent)
        if name.endswith(".py"):
            self.modules.setdefault(parent, set()).add(name[:-3])

    def remove_bytecode(self) -> None:
        """``__pycache__/<module>.<tag>[.opt-N].pyc`` of the removed modules, one listing
        per directory."""
        for parent, modules in self.modules.items():
            cache = os.path.join(parent, "__pycache__")
            try:
                names = os.listdir(cache)
            except OSError:
                continue
            for name in names:
                module, _, rest = name.partition(".")
                if module in modules and name.endswith(".pyc") and rest.count(".") in (1, 2):
                    pyc = os.path.join(cache, name)
                    try:
                        os.unlink(pyc)
                    except FileNotFoundError:
                        continue
                    self.files.append(pyc)
                    self.touched.add(cache)

    def remove_tree(self, path: str, *, shown: str | None = None) -> None:
        """Remove ``path`` and all below it; ``shown``: the name it had, which the result
        gives (a retired metadata directory's: see :meth:`retire`)."""
        if not os.path.lexists(path):
            return
        shown = shown or path
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil

            for root, _dirs, names in os.walk(path):
                root = shown + root[len(path):]
                self.files.extend(os.path.join(root, n) for n in names)
            shutil.rmtree(path)
            self.dirs.append(shown)
        else:
            os.unlink(path)
            self.files.append(shown)
        self.touched.add(os.path.dirname(path))

    def prune(self) -> None:
        """Remove the bytecode of removed modules, then the directories left empty: deepest
        first, so each is tried once, after everything below it; up to the skeleton."""
        self.remove_bytecode()
        pending: dict[int, set[str]] = {}
        for directory in self.touched:
            pending.setdefault(directory.count(os.sep), set()).add(directory)
        for depth in range(max(pending, default=-1), -1, -1):
            for directory in pending.pop(depth, ()):
                if directory in self.keep or not _inside(directory, self.prefix):
                    continue
                try:
                    os.rmdir(directory)
                except OSError:
                    continue  # not empty: it holds something that is not ours
                self.dirs.append(directory)
                pending.setdefault(depth - 1, set()).add(os.path.dirname(directory))

    def result(self) -> UninstallResult:
        return UninstallResult(tuple(self.files), tuple(self.dirs))


def _abs(path: Path | str) -> str:
    return os.path.normpath(os.path.abspath(path))


def _real(path: Path | str) -> str:
    return os.path.realpath(path)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)


def _add_ancestors(keep: set[str], path: str, prefix: str) -> None:
    while _inside(path, prefix) and path not in keep:
        keep.add(path)
        path = os.path.dirname(path)


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def _top_level_paths(site: str, name: str) -> list[tuple[str, bool]]:
    """The regular package directory and module files of ``name`` in ``site``."""
    found: list[tuple[str, bool]] = []
    package = os.path.join(site, name)
    if os.path.isfile(os.path.join(package, "__init__.py")):
        found.append((package, True))
    for entry in os.scandir(site):
        fname = entry.name
        if not entry.is_file(follow_symlinks=False):
            continue
        if fname == name + ".py" or (fname.startswith(name + ".")
                                     and fname.endswith(_EXTENSION_SUFFIXES)):
            found.append((entry.path, False))
    return found


def _claimed_elsewhere(dist: InstalledDistribution, names: Iterable[str]) -> dict[str, str]:
    """Which of the top-level ``names`` another distribution in the same directory lists
    (in its RECORD / installed-files.txt or top_level.txt)."""
    wanted = set(names)
    claimed: dict[str, str] = {}
    for other in scan([dist.path.parent]):
        if other.path == dist.path:
            continue
        tops: set[str] = set()
        if other.kind != "egg-link" and other.path.is_dir():
            tops.update(_read_lines(os.path.join(other.path, "top_level.txt")))
        try:
            entries = other.record() or ()
        except UninstallError:
            entries = ()
        for entry in entries:
            first = entry.path.split("/", 1)[0]
            tops.add(first.split(".", 1)[0])
        for name in wanted & tops:
            claimed.setdefault(name, other.label)
    return claimed


def _drop_pth_line(pth: str, target: str) -> None:
    """Rewrite ``easy-install.pth`` without the line that adds ``target`` to ``sys.path``."""
    base = os.path.dirname(pth)
    with open(pth, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().splitlines(keepends=True)
    kept = [line for line in lines
            if line.strip().startswith(("import ", "#")) or not line.strip()
            or os.path.normpath(os.path.join(base, line.strip())) != target]
    if len(kept) == len(lines):
        return
    tmp = f"{pth}.pyffin-tmp-{os.urandom(6).hex()}"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.writelines(kept)
    os.replace(tmp, pth)
