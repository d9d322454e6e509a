"""Install an unzipped wheel (an archive of the cache) into an environment (DESIGN §5, §7).

The archive's files are linked into the scheme's directories in one tight loop: each target
directory is created once, each file is one ``link``/``copy``/``clone``/``symlink`` call, and
RECORD hashes come from the archive's RECORD instead of reading every file again (checked when
it was unzipped, or vouched for by the wheel's own verified hash: see
:mod:`pyffin.distribution.database`). What an install generates — launchers, scripts with a
``#!python`` line, the dist-info's RECORD, INSTALLER, REQUESTED and ``direct_url.json`` — is
written, never linked, so no archive file is ever changed through a link.

The dist-info directory is assembled under a temporary name and renamed into place last: a
``.dist-info`` directory in site-packages is always complete, so an interrupted install leaves
files that the next install of the distribution replaces, never a half-recorded distribution.
One that fails (a full disk, a file it may not write) removes the files and directories it
made before the error is reported: no half-installed package is left to import.
"""

from __future__ import annotations

import errno
import os
import sys

from pyffin import log
from pyffin.errors import NotSupportedError
from pyffin.installer import debris, scripts
from pyffin.installer.errors import DamagedArchiveError, InstallError
from pyffin.models.names import is_valid_name
from pyffin.models.wheel import (
    DATA_KEYS,
    RecordEntry,
    encode_digest,
    format_record,
    format_record_line,
    hash_file,
    parse_record,
    read_headers,
)
from pyffin.records import record

TYPE_CHECKING = False  # not typing: see pyffin.records
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path
    from typing import Literal

    from pyffin.installer.installed import InstalledDistribution
    from pyffin.interpreter.scheme import Scheme

    LinkMode = Literal["hardlink", "copy", "clone", "symlink"]
else:  # importable at run time too, where it is only a name
    LinkMode = str
LINK_MODES: tuple[LinkMode, ...] = ("hardlink", "copy", "clone", "symlink")

#: Files of the archive's dist-info that the install writes itself (or drops: signatures of
#: the archive's RECORD do not sign the installed one).
_GENERATED = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER", "REQUESTED",
                        "direct_url.json"})
#: ``link`` errors that mean "this file system cannot hardlink here": copy instead.
_NO_HARDLINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP,
                          errno.ENOTSUP})
#: ``ioctl(FICLONE)`` errors that mean "no reflinks here": copy instead.
_NO_CLONE = frozenset({errno.EXDEV, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL,
                       errno.ENOTTY, errno.EPERM, errno.ENOSYS})
_FICLONE = 0x40049409  # _IOW(0x94, 9, int) from linux/fs.h
#: What making a directory costs in :attr:`PreparedWheel.weight`, in links of a file.
_DIR_WEIGHT = 8
_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)

_HARDLINK_FALLBACK = (
    "Failed to hardlink files; falling back to full copy. This may lead to degraded "
    "performance. If the cache and the target environment are on different file systems, "
    "use --link-mode=copy to suppress this warning."
)
_CLONE_FALLBACK = (
    "Failed to clone files; falling back to full copy. This may lead to degraded performance. "
    "Use --link-mode=copy or a file system with reflinks (btrfs, XFS, APFS) to suppress "
    "this warning."
)


def install_wheel(
    archive: Path,
    scheme: Scheme,
    *,
    python: str,
    link_mode: LinkMode = "hardlink",
    installer: str = "pyffin",
    requested: bool = False,
    direct_url: Mapping[str, object] | None = None,
    replaced: list[ReplacedFiles] | None = None,
) -> InstalledDistribution:
    """Install the unzipped wheel ``archive`` into the environment described by ``scheme``.

    ``python`` is the target interpreter's path, written into the shebang of scripts. Files of
    other distributions that the install overwrites are reported in a warning; when
    ``replaced`` is given they are added to it instead, for :func:`warn_replaced` once a batch
    of installs (whose owners may be installing side by side) is complete. Raises
    :class:`InstallError` naming the distribution and the file at fault.
    """
    return prepare_wheel(archive, scheme, python=python, link_mode=link_mode).install(
        installer=installer, requested=requested, direct_url=direct_url, replaced=replaced)


def prepare_wheel(archive: str | os.PathLike[str], scheme: Scheme, *, python: str,
                  link_mode: LinkMode = "hardlink",
                  listing: Sequence[tuple[str, int]] | None = None,
                  python_version: tuple[int, ...] | None = None) -> PreparedWheel:
    """Read the unzipped wheel ``archive`` and check everything about it that can be refused
    (its metadata, entry points, ``.data`` directories, scripts that would replace the
    environment's interpreter or activation scripts), writing nothing: a batch of wheels is
    prepared in full before the environment is touched, so a refused wheel leaves it as it
    was. Raises :class:`InstallError` naming the distribution and the entry at fault.

    ``listing`` is every file of an archive this process just unzipped, as the unzip wrote
    them (``/``-separated paths and sizes): its files are then not listed again from the
    archive's directories. ``python_version``, that of the interpreter the scripts run
    (``(3, 12)``), makes pip's and easy_install's versioned scripts its own
    (:func:`pyffin.installer.scripts.for_python`)."""
    if link_mode not in LINK_MODES:
        raise InstallError(f"unknown link mode {link_mode!r} (expected one of "
                           f"{', '.join(LINK_MODES)})")
    install = None
    try:
        install = _Install(archive, scheme, python, link_mode, python_version)
        install.check(listing)
    except OSError as e:
        what = install.label if install is not None else os.fspath(archive)
        raise InstallError(f"cannot install {what}: {e}") from e
    return PreparedWheel(install)


class PreparedWheel:
    """A wheel checked by :func:`prepare_wheel`, ready to be linked (once)."""

    __slots__ = ("_install",)

    def __init__(self, install: _Install) -> None:
        self._install = install

    @property
    def label(self) -> str:
        """``name version``."""
        return self._install.label

    @property
    def weight(self) -> int:
        """About how much linking the wheel costs, in links of a file: a directory made costs
        several (a new inode: measured 4 to 20 links' time on ext4), the dist-info a few
        (a directory, two files written, a rename). For sharing a batch out evenly."""
        dirs, files = self._install.payload
        return _DIR_WEIGHT * len(dirs) + len(files) + 4 * _DIR_WEIGHT

    def install(self, *, installer: str = "pyffin", requested: bool = False,
                direct_url: Mapping[str, object] | None = None,
                replaced: list[ReplacedFiles] | None = None) -> InstalledDistribution:
        """Link the wheel into the environment; see :func:`install_wheel`."""
        from pathlib import Path

        from pyffin.installer.installed import InstalledDistribution

        install = self._install
        final = self.link(installer=installer, requested=requested, direct_url=direct_url,
                          replaced=replaced)
        return InstalledDistribution(install.name, install.version, Path(final), "dist-info")

    def link(self, *, installer: str = "pyffin", requested: bool = False,
             direct_url: Mapping[str, object] | None = None,
             replaced: list[ReplacedFiles] | None = None) -> str:
        """:meth:`install`, returning the path of the dist-info directory (nothing of
        :mod:`pathlib` or :mod:`pyffin.installer.installed`: for the install replay)."""
        install = self._install
        try:
            final = install.run(installer, requested, direct_url)
        except OSError as e:
            raise InstallError(f"cannot install {install.label}: {e}") from e
        if install.linker.replaced:
            found = ReplacedFiles(install.label, install.dist_info,
                                  tuple(install.linker.replaced))
            if replaced is None:
                warn_replaced(install.scheme, [found])
            else:
                replaced.append(found)
        return final


@record
class ReplacedFiles:
    """Files that the install of one distribution overwrote."""

    #: The distribution installed, as ``name version``.
    label: str
    #: Its ``.dist-info`` directory name (not an owner of the files it replaced).
    dist_info: str
    #: The absolute paths overwritten.
    paths: tuple[str, ...]


def warn_replaced(scheme: Scheme, replaced: list[ReplacedFiles]) -> None:
    """Say which files of which other distributions each install replaced."""
    if not replaced:
        return
    from pyffin.installer.installed import owners

    for install in replaced:
        found = owners(install.paths, [scheme.purelib, scheme.platlib],
                       exclude=install.dist_info)
        by_owner: dict[str, list[str]] = {}
        for path in install.paths:
            by_owner.setdefault(found.get(path, ""), []).append(path)
        for owner, paths in by_owner.items():
            shown = ", ".join(paths[:3])
            if len(paths) > 3:
                shown += f" and {len(paths) - 3} more"
            whose = f"installed by {owner}" if owner else "that no installed distribution records"
            log.warn(f"Installing {install.label} replaced {len(paths)} file(s) {whose}: {shown}")


class _Install:
    """The state of one install: where things go, what was written, what RECORD will say."""

    def __init__(self, archive: str | os.PathLike[str], scheme: Scheme, python: str,
                 link_mode: LinkMode, python_version: tuple[int, ...] | None = None) -> None:
        self.archive = os.path.abspath(archive)
        self.scheme = scheme
        self.python = python
        self.python_version = python_version
        self.dist_info = _find_dist_info(self.archive)
        info_dir = os.path.join(self.archive, self.dist_info)
        meta = read_headers(_read(info_dir, "METADATA"), ["name", "version"])
        self.name, self.version = meta.get("name", ""), meta.get("version", "")
        if not (is_valid_name(self.name) and self.version):
            raise InstallError(f"{info_dir}/METADATA has no valid Name and Version")
        wheel = read_headers(_read(info_dir, "WHEEL"), ["root-is-purelib"])
        purelib = wheel.get("root-is-purelib", "").lower() == "true"
        self.root = os.fspath(scheme.purelib if purelib else scheme.platlib)
        #: The archive's RECORD lines by path (see :func:`_record_lines`).
        self.source_record = _record_lines(_read(info_dir, "RECORD"), f"{info_dir}/RECORD")
        self.linker = _Linker(link_mode, debris.directories(scheme))
        #: The root payload linked (each file at the path it has in the archive).
        self.linked_payload: list[str] = []
        #: (path in the archive, path for RECORD) of every other linked file.
        self.linked: list[tuple[str, str]] = []
        #: RECORD entries of written (not linked) files.
        self.written: list[RecordEntry] = []
        self.data_name = self.dist_info[: -len(".dist-info")] + ".data"
        self.entry_points: list[scripts.EntryPointScript] = []
        self.launchers: list[tuple[str, bytes]] = []
        self.data_keys: list[str] = []
        #: The root payload's directories and files (see :meth:`read_payload`).
        self.payload: tuple[list[str], list[str]] = ([], [])

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def check(self, listing: Sequence[tuple[str, int]] | None = None) -> None:
        """Everything that can be refused, checked before the first file is written (with
        the archive's ``listing``, when it was just unzipped: see :func:`prepare_wheel`)."""
        self.entry_points = self.read_entry_points()
        if self.python_version is not None:
            self.entry_points = scripts.for_python(self.entry_points, self.python_version)
        if self.entry_points and os.name == "nt":
            raise NotSupportedError(f"cannot install {self.label}: entry point launchers for "
                                    "Windows (.exe) are not supported yet")
        self.launchers = [(entry.name, scripts.launcher(entry, self.python))
                          for entry in self.entry_points]
        self.data_keys = self.read_data_keys(os.path.join(self.archive, self.data_name))
        self.check_reserved_scripts()
        self.payload = self.read_payload() if listing is None else self.listed_payload(listing)

    def read_payload(self) -> tuple[list[str], list[str]]:
        """The directories and files (``/``-separated, relative) of the archive's root
        payload, which :meth:`run` links into the root in one tight loop, listed now, before
        the environment is touched: a file that is not a regular file is refused, and a file
        RECORD lists that the archive lacks raises :class:`DamagedArchiveError`.

        This is the install's check of the archive (its pointer's list is not stat'ed file by
        file: that costs a ``stat`` per file of every wheel of every warm install): the
        listing, which linking needs anyway, shows every file deleted from the archive, or
        removed with its directory, since it was unzipped. A file changed in place (through
        a hard link in an environment, say) is not seen here; ``pyffin cache verify`` hashes
        every file."""
        dirs: list[str] = []
        files: list[str] = []
        others: list[str] = []  # the dist-info's and .data's files: listed for the check only
        skip = (self.dist_info, self.data_name)
        # (relative path ending in "/", its path, where its files go, where its directories
        # go: None below the dist-info and .data, which are not root payload). The root is
        # listed on its own, so the loop over every other entry has no name to compare.
        pending: list[tuple[str, str, list[str], list[str] | None]] = []
        with os.scandir(self.archive) as it:
            for entry in it:
                name = entry.name
                aside = name in skip
                if entry.is_dir(follow_symlinks=False):
                    if not aside:
                        dirs.append(name)
                    pending.append((name + "/", entry.path, others if aside else files,
                                    None if aside else dirs))
                elif not entry.is_file(follow_symlinks=False):
                    raise InstallError(f"cannot install {self.label}: {entry.path} in the "
                                       "unzipped wheel is not a regular file")
                else:
                    (others if aside else files).append(name)
        while pending:
            rel, path, listed, listed_dirs = pending.pop()
            with os.scandir(path) as it:
                for entry in it:
                    name = rel + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        if listed_dirs is not None:
                            listed_dirs.append(name)
                        pending.append((name + "/", entry.path, listed, listed_dirs))
                    elif entry.is_file(follow_symlinks=False):
                        listed.append(name)
                    else:
                        raise InstallError(f"cannot install {self.label}: {entry.path} in "
                                           "the unzipped wheel is not a regular file")
        found = set(files)
        found.update(others)
        missing = [path for path in self.source_record if path not in found]
        if missing:
            shown = ", ".join(sorted(missing)[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise DamagedArchiveError(
                f"the unzipped wheel of {self.label} in the cache is damaged: {shown}{more} "
                f"listed in its RECORD is missing ({self.archive})")
        dirs.sort()  # parents first
        return dirs, files

    def listed_payload(self, listing: Sequence[tuple[str, int]]) -> tuple[list[str], list[str]]:
        """:meth:`read_payload` of an archive this process has just unzipped, from what the
        unzip wrote (no directory is listed: a large install's archives have a thousand,
        and the unzip made none a file does not need). RECORD lists what the unzip checked
        it wrote."""
        skip = (self.dist_info, self.data_name)
        dirs: set[str] = set()
        files: list[str] = []
        for path, _size in listing:
            if path.partition("/")[0] in skip:
                continue
            files.append(path)
            parent = path.rpartition("/")[0]
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = parent.rpartition("/")[0]
        return sorted(dirs), files

    def check_reserved_scripts(self) -> None:
        """Refuse scripts that would replace the environment's interpreter (``bin/python``)
        or activation scripts: one such file bricks the environment."""
        found = [f"the entry point {entry.name!r}" for entry in self.entry_points
                 if scripts.is_reserved(entry.name)]
        data = os.path.join(self.archive, self.data_name)
        rel = f"{self.data_name}/"
        if "scripts" in self.data_keys:
            found += [rel + "scripts/" + name for name in _names(os.path.join(data, "scripts"))
                      if scripts.is_reserved(name)]
        if "data" in self.data_keys:
            scripts_dir = os.path.normcase(os.path.abspath(self.scheme.scripts))
            for sub in _names(os.path.join(data, "data")):
                lowered = sub.lower()
                if lowered == "pyvenv.cfg":
                    found.append(f"{rel}data/{sub}")
                elif lowered in ("bin", "scripts") or os.path.normcase(
                        os.path.join(os.path.abspath(self.scheme.data), sub)) == scripts_dir:
                    found += [f"{rel}data/{sub}/{name}"
                              for name in _names(os.path.join(data, "data", sub))
                              if scripts.is_reserved(name)]
        if found:
            raise InstallError(
                f"cannot install {self.label}: {', '.join(found)} would replace the "
                "environment's own interpreter, activation script or configuration; "
                "refusing to install it")

    def run(self, installer: str, requested: bool,
            direct_url: Mapping[str, object] | None) -> str:
        try:
            self.link_payload(*self.payload)
            for key in self.data_keys:
                self.install_data(self.data_name, key)
            if self.launchers:
                dst_dir = os.fspath(self.scheme.scripts)
                self.linker.ensure_dir(dst_dir)
                for name, content in self.launchers:
                    self.write(dst_dir + os.sep + name, content, executable=True)
            return self.install_dist_info(installer, requested, direct_url)
        except Exception:
            self.undo()
            raise

    def undo(self) -> None:
        """After a failure (a full disk, a file it may not write), remove what this install
        made: the files it created and the directories it made, when empty. What it replaced
        stays (another distribution's file, overwritten: there is nothing to put back), and so
        does what a killed install leaves (see the module's docstring). Best effort: the
        failure is what is reported."""
        replaced = {os.path.normpath(path) for path in self.linker.replaced}
        made = [os.path.normpath(os.path.join(self.root, name)) for name in self.linked_payload]
        # The dist-info's files went to its temporary directory, removed already: the paths
        # RECORD gives them are those of an installed dist-info (of a reinstall: the old one).
        own = self.dist_info + "/"
        made += [os.path.normpath(os.path.join(self.root, rel)) for rel in
                 (*(record_rel for _, record_rel in self.linked),
                  *(entry.path for entry in self.written)) if not rel.startswith(own)]
        for path in made:
            if path not in replaced:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        for directory in reversed(self.linker.made):
            try:
                os.rmdir(directory)
            except OSError:  # another distribution's files are in it (or it is gone)
                pass

    def read_entry_points(self) -> list[scripts.EntryPointScript]:
        path = os.path.join(self.archive, self.dist_info, "entry_points.txt")
        try:
            text = _read_file(path).decode("utf-8")
        except FileNotFoundError:
            return []
        except UnicodeDecodeError as e:
            raise InstallError(f"cannot install {self.label}: {path} is not UTF-8 ({e})") from e
        return scripts.parse_entry_points(text, source=path)

    def read_data_keys(self, data_dir: str) -> list[str]:
        """The ``.data/<key>`` directories, each checked to be one the scheme knows."""
        try:
            with os.scandir(data_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except FileNotFoundError:
            return []
        for entry in entries:
            if entry.name not in DATA_KEYS or not entry.is_dir(follow_symlinks=False):
                raise InstallError(f"cannot install {self.label}: {entry.path} is not one of "
                                   f"the .data directories ({', '.join(sorted(DATA_KEYS))})")
        return [entry.name for entry in entries]

    # ------------------------------------------------------------------------------ payload
    def link_payload(self, dirs: list[str], files: list[str]) -> None:
        """Link the root payload listed by :meth:`read_payload`: the hot loop of an install
        (one pass per file of every wheel), one ``mkdir`` per directory and one ``link`` per
        file; the linker's general path takes what a link refuses (a file in the way,
        another link mode, a file system that cannot hardlink)."""
        linker = self.linker
        root = self.root
        linker.ensure_dir(root)
        src, dst = self.archive + os.sep, root + os.sep
        if os.sep != "/":
            dirs = [d.replace("/", os.sep) for d in dirs]
        for directory in dirs:
            linker.ensure_dir(dst + directory)
        fast = linker.fast
        name = None
        try:
            for name in files:
                local = name if os.sep == "/" else name.replace("/", os.sep)
                if fast is None:
                    linker.place(src + local, dst + local)
                    continue
                try:
                    fast(src + local, dst + local)
                except OSError as e:
                    linker.refused(src + local, dst + local, e)
                    fast = linker.fast  # None once hardlinking gave way to copying
        except BaseException:
            # The files before the one that failed are in place (for undo); nothing is
            # counted in the loop itself, the hot loop of an install.
            self.linked_payload = files[:files.index(name)] if name is not None else []
            raise
        self.linked_payload = files

    def link_tree(self, src_dir: str, dst_dir: str, archive_rel: str, record_rel: str) -> None:
        """Link every file below ``src_dir`` into ``dst_dir``; ``archive_rel``/``record_rel``
        are the directory's paths (ending in ``/``) in the archive's and the new RECORD.

        The hot loop of an install (one pass per file of every wheel): a directory entry's
        type comes with its listing, and a file costs one ``link`` call and one append; the
        linker's general path takes what that call refuses (a file in the way, another
        link mode, a file system that cannot hardlink)."""
        linker = self.linker
        linker.ensure_dir(dst_dir)
        fast = linker.fast
        linked = self.linked.append
        subdirs = []
        with os.scandir(src_dir) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry)
                    continue
                name = entry.name
                if not entry.is_file(follow_symlinks=False):
                    raise InstallError(f"cannot install {self.label}: {entry.path} in the "
                                       "unzipped wheel is not a regular file")
                dst = dst_dir + os.sep + name
                if fast is None:
                    linker.place(entry.path, dst)
                else:
                    try:
                        fast(entry.path, dst)
                    except OSError as e:
                        linker.refused(entry.path, dst, e)
                        fast = linker.fast
                linked((archive_rel + name, record_rel + name))
        for entry in subdirs:
            name = entry.name
            self.link_tree(entry.path, dst_dir + os.sep + name, archive_rel + name + "/",
                           record_rel + name + "/")

    def link_file(self, entry: os.DirEntry[str], dst: str, archive_rel: str,
                  record_rel: str) -> None:
        """Link one file (see :meth:`link_tree` for the hot loop)."""
        if not entry.is_file(follow_symlinks=False):
            raise InstallError(f"cannot install {self.label}: {entry.path} in the unzipped "
                               "wheel is not a regular file")
        self.linker.place(entry.path, dst)
        self.linked.append((archive_rel, record_rel))

    def install_data(self, data_name: str, key: str) -> None:
        """The ``.data/<key>/`` tree, into its scheme directory."""
        src = os.path.join(self.archive, data_name, key)
        archive_rel = f"{data_name}/{key}/"
        if key == "scripts":
            self.install_scripts(src, os.fspath(self.scheme.scripts), archive_rel)
            return
        target = os.fspath(
            os.path.join(self.scheme.headers, self.name) if key == "headers"
            else getattr(self.scheme, key))
        self.link_tree(src, target, archive_rel, self.record_dir(target))

    def install_scripts(self, src_dir: str, dst_dir: str, archive_rel: str) -> None:
        """``.data/scripts``: ``#!python`` scripts get the target's shebang (so are written,
        not linked); every script is made executable."""
        self.linker.ensure_dir(dst_dir)
        with os.scandir(src_dir) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            dst = dst_dir + os.sep + entry.name
            if entry.is_dir(follow_symlinks=False):
                self.install_scripts(entry.path, dst, archive_rel + entry.name + "/")
                continue
            if not entry.is_file(follow_symlinks=False):
                raise InstallError(f"cannot install {self.label}: {entry.path} in the unzipped "
                                   "wheel is not a regular file")
            with open(entry.path, "rb") as f:
                data = f.read()
            rewritten = scripts.rewrite_python_shebang(data, self.python)
            if rewritten is not None:
                self.write(dst, rewritten, executable=True)
            elif entry.stat().st_mode & 0o111:
                self.link_file(entry, dst, archive_rel + entry.name, self.record_path(dst))
            else:  # a link would share (and chmod) the archive's file: copy it instead
                self.write(dst, data, executable=True)

    # ---------------------------------------------------------------------------- dist-info
    def install_dist_info(self, installer: str, requested: bool,
                          direct_url: Mapping[str, object] | None) -> str:
        """Assemble the dist-info under a temporary name, write RECORD, rename it into place;
        its path."""
        final = os.path.join(self.root, self.dist_info)
        temp = os.path.join(self.root, f".{self.dist_info}.tmp-{debris.token()}")
        src_dir = os.path.join(self.archive, self.dist_info)
        try:
            self.link_dist_info(src_dir, temp, self.dist_info + "/")
            self.write_dist_info(temp, installer, requested, direct_url)
            _rename_into_place(temp, final, self.label)
        except BaseException:
            _remove_tree(temp)
            raise
        return final

    def link_dist_info(self, src_dir: str, dst_dir: str, rel: str) -> None:
        self.linker.ensure_dir(dst_dir)
        with os.scandir(src_dir) as it:
            for entry in it:
                if rel == self.dist_info + "/" and entry.name in _GENERATED:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    self.link_dist_info(entry.path, dst_dir + os.sep + entry.name,
                                        rel + entry.name + "/")
                else:
                    self.link_file(entry, dst_dir + os.sep + entry.name, rel + entry.name,
                                   rel + entry.name)

    def write_dist_info(self, temp: str, installer: str, requested: bool,
                        direct_url: Mapping[str, object] | None) -> None:
        rel = self.dist_info + "/"
        extra: list[tuple[str, bytes]] = [("INSTALLER", installer.encode("utf-8") + b"\n")]
        if requested:
            extra.append(("REQUESTED", b""))
        if direct_url is not None:
            import json

            extra.append(("direct_url.json", json.dumps(dict(direct_url)).encode("utf-8")))
        for name, data in extra:
            _write_new(os.path.join(temp, name), data, 0o644)
            self.written.append(RecordEntry(rel + name, _hash_bytes(data), len(data)))
        # A file linked to the path it has in the archive keeps the archive's RECORD line
        # as it is (most are): no line is parsed or formatted again.
        source_record = self.source_record
        lines = [source_record.get(name) or "" for name in self.linked_payload]
        if "" in lines:  # an archive not made by unzip_wheel: hash what RECORD lacks
            lines = [line or format_record_line(name, *hash_file(os.path.join(self.archive,
                                                                              name)))[:-1]
                     for name, line in zip(self.linked_payload, lines, strict=True)]
        for archive_rel, record_rel in self.linked:
            line = source_record.get(archive_rel)
            if line is None:  # an archive not made by unzip_wheel: hash the file
                digest, size = hash_file(os.path.join(self.archive, archive_rel))
                lines.append(format_record_line(record_rel, digest, size)[:-1])
            elif archive_rel == record_rel:
                lines.append(line)
            else:
                _, kept_digest, kept_size = line.rsplit(",", 2)
                lines.append(format_record_line(record_rel, kept_digest, int(kept_size))[:-1])
        written = [*self.written, RecordEntry(rel + "RECORD", None, None)]
        lines += format_record(written).decode("utf-8", "surrogateescape").splitlines()
        lines.sort(key=_record_line_path)  # by path, as pip and uv write it
        data = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
        _write_new(os.path.join(temp, "RECORD"), data, 0o644)

    # -------------------------------------------------------------------------------- helpers
    def write(self, dst: str, data: bytes, *, executable: bool) -> None:
        """Write a generated file (replacing one another distribution installed)."""
        mode = 0o755 if executable else 0o644
        try:
            _write_new(dst, data, mode)
        except FileExistsError:
            self.linker.replace(dst, lambda tmp: _write_new(tmp, data, mode))
        self.written.append(RecordEntry(self.record_path(dst), _hash_bytes(data), len(data)))

    def record_dir(self, path: str) -> str:
        """The directory ``path`` as a RECORD path prefix: ``""`` or ``"rel/"``."""
        rel = self.record_path(path)
        return "" if rel == "." else rel + "/"

    def record_path(self, path: str) -> str:
        """``path`` as RECORD spells it: relative to the dist-info's parent, ``/``-separated."""
        rel = os.path.relpath(path, self.root)
        return rel if os.sep == "/" else rel.replace(os.sep, "/")


class _Linker:
    """Puts files in place by one link mode, falling back to copying where it cannot."""

    def __init__(self, mode: LinkMode, temp_dirs: list[str]) -> None:
        #: Where temporary files go (:mod:`pyffin.installer.debris`), most specific first.
        self.temp_dirs = [(d, d + os.sep) for d in temp_dirs]
        self.op: Callable[[str, str], None] = {
            "hardlink": self.hardlink, "copy": _copy, "clone": self.clone,
            "symlink": os.symlink,
        }[mode]
        #: ``os.link`` while hardlinking works (the hot loop calls it directly, and hands
        #: anything it refuses to :meth:`place`), else ``None``.
        self.fast: Callable[[str, str], None] | None = os.link if mode == "hardlink" else None
        #: Target directories known to exist.
        self.created: set[str] = set()
        #: Those this install made, in the order it made them.
        self.made: list[str] = []
        #: Targets that existed and were replaced.
        self.replaced: list[str] = []

    def ensure_dir(self, path: str) -> None:
        if path in self.created:
            return
        try:
            os.mkdir(path)
            self.made.append(path)
        except FileExistsError:
            if not os.path.isdir(path):
                raise InstallError(f"cannot create the directory {path}: a file is in the way"
                                   ) from None
        except FileNotFoundError:  # a scheme directory that does not exist yet
            missing = [path]
            while not os.path.isdir(parent := os.path.dirname(missing[-1])) \
                    and parent != missing[-1]:
                missing.append(parent)
            os.makedirs(path, exist_ok=True)
            self.made += reversed(missing)
        self.created.add(path)

    def place(self, src: str, dst: str) -> None:
        try:
            self.op(src, dst)
        except FileExistsError:
            if os.path.isdir(dst) and not os.path.islink(dst):
                raise InstallError(f"cannot install {dst}: a directory is in the way") from None
            self.replace(dst, lambda tmp: self.op(src, tmp))

    def refused(self, src: str, dst: str, error: OSError) -> None:
        """Place ``src`` at ``dst`` after :attr:`fast` refused with ``error``."""
        if error.errno in _NO_HARDLINK:
            self.no_hardlink(src, dst, error)
        else:
            self.place(src, dst)

    def replace(self, dst: str, create: Callable[[str], None]) -> None:
        """Replace the existing file ``dst`` atomically by what ``create`` makes at a temporary
        name: at the top of its scheme directory, where a sweep finds it if we die."""
        directory = next((d for d, prefix in self.temp_dirs if dst.startswith(prefix)),
                         os.path.dirname(dst))
        try:
            _replace_with(dst, create, debris.temp_file(directory))
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            # That directory is on another file system (a mount below the prefix).
            _replace_with(dst, create, debris.temp_file(os.path.dirname(dst)))
        self.replaced.append(dst)

    def hardlink(self, src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError as e:
            if e.errno not in _NO_HARDLINK:
                raise
            self.no_hardlink(src, dst, e)

    def no_hardlink(self, src: str, dst: str, error: OSError) -> None:
        """Copy where a hardlink is refused with ``error`` (one of :data:`_NO_HARDLINK`)."""
        if error.errno != errno.EMLINK:  # EMLINK: only this file has too many links
            log.warn_once(_HARDLINK_FALLBACK, key="hardlink-fallback")
            self.op = _copy
            self.fast = None
            self.place(src, dst)
        else:
            _copy(src, dst)

    def clone(self, src: str, dst: str) -> None:
        if sys.platform != "linux":
            log.warn_once(_CLONE_FALLBACK, key="clone-fallback")
            self.op = _copy
            _copy(src, dst)
            return
        import fcntl

        def clone_or_copy(fd_in: int, fd_out: int, size: int) -> None:
            try:
                fcntl.ioctl(fd_out, _FICLONE, fd_in)
            except OSError as e:
                if e.errno not in _NO_CLONE:
                    raise
                log.warn_once(_CLONE_FALLBACK, key="clone-fallback")
                self.op = _copy
                _copy_data(fd_in, fd_out, size)

        _copy(src, dst, clone_or_copy)


def _copy(src: str, dst: str,
          transfer: Callable[[int, int, int], None] | None = None) -> None:
    """Copy ``src`` to the new file ``dst`` (keeping its permission bits) with ``transfer``."""
    fd_in = os.open(src, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd_in)
        fd_out = os.open(dst, _OPEN_NEW, st.st_mode & 0o777)
        try:
            (transfer or _copy_data)(fd_in, fd_out, st.st_size)
        except BaseException as e:
            os.close(fd_out)
            os.unlink(dst)
            if isinstance(e, OSError) and e.filename is None:  # a write: say where
                raise OSError(e.errno, e.strerror, dst) from e
            raise
        os.close(fd_out)
    finally:
        os.close(fd_in)


def _copy_data(fd_in: int, fd_out: int, size: int) -> None:
    """Copy ``size`` bytes in the kernel where it can (``copy_file_range``), else by reads."""
    copy_range = getattr(os, "copy_file_range", None)
    offset = 0
    if copy_range is not None:
        try:
            while offset < size:
                n = copy_range(fd_in, fd_out, size - offset)
                if n == 0:
                    break
                offset += n
            return
        except OSError as e:
            if e.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
    os.lseek(fd_in, offset, os.SEEK_SET)
    while chunk := os.read(fd_in, 1 << 20):
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd_out, view):]


def _write_new(path: str, data: bytes, mode: int) -> None:
    """Create ``path`` (it must not exist) holding ``data``."""
    fd = os.open(path, _OPEN_NEW, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        os.unlink(path)  # (made above: O_EXCL)
        raise
    os.close(fd)


def _replace_with(dst: str, create: Callable[[str], None], tmp: str) -> None:
    """Replace the existing file ``dst`` atomically by what ``create`` makes at ``tmp``."""
    create(tmp)
    try:
        os.replace(tmp, dst)
    except BaseException:
        os.unlink(tmp)
        raise


def _rename_into_place(temp: str, final: str, label: str) -> None:
    """Rename the finished dist-info ``temp`` to ``final``, replacing a stale one there."""
    try:
        os.rename(temp, final)
        return
    except OSError as e:
        if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    log.warn(f"Replacing the existing {os.path.basename(final)} while installing {label}")
    old = f"{final}.pyffin-old-{debris.token()}"
    os.rename(final, old)
    os.rename(temp, final)
    _remove_tree(old)


def _remove_tree(path: str) -> None:
    if os.path.lexists(path):
        from pathlib import Path

        from pyffin.fs import remove

        remove(Path(path))


def _record_lines(data: bytes, source: str) -> dict[str, str]:
    """The lines (without their line break) of the RECORD ``data`` that give a hash and a
    size, by path; lines that need the :mod:`csv` module (quoted paths) are parsed and written
    again. A malformed RECORD raises :class:`InstallError` naming ``source``."""
    found: dict[str, str] = {}
    odd = False
    text = data.decode("utf-8", "surrogateescape")
    quoted = '"' in text  # nearly never: no line is searched for a quote
    for line in text.splitlines():
        fields = line.rsplit(",", 2)
        if len(fields) != 3 or not fields[0] or (quoted and '"' in line):
            odd = odd or bool(line.strip())
            continue
        path, digest, size = fields
        if digest and size.isdigit():
            found[path] = line
        elif size and not size.isdigit():
            odd = True
    if odd:  # rare: read it the slow way, which says what is wrong
        for entry in parse_record(data, source=source, error=InstallError):
            if entry.hash and entry.size is not None:
                found[entry.path] = format_record_line(entry.path, entry.hash, entry.size)[:-1]
    return found


def _names(directory: str) -> list[str]:
    try:
        return os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _find_dist_info(archive: str) -> str:
    with os.scandir(archive) as it:
        found = [e.name for e in it if e.name.endswith(".dist-info") and e.is_dir()]
    if not found:  # an unzip checks for one: this one lost it (a clean racing an install)
        raise DamagedArchiveError(f"{archive} is not an unzipped wheel: expected one "
                                  ".dist-info directory, found none")
    if len(found) != 1:
        raise InstallError(f"{archive} is not an unzipped wheel: expected one .dist-info "
                           f"directory, found {', '.join(sorted(found))}")
    return found[0]


def _record_line_path(line: str) -> str:
    """The path of a RECORD line (unquoted: a path with a comma or a quote is quoted)."""
    if line.startswith('"'):
        import csv

        return next(csv.reader([line]))[0]
    return line.partition(",")[0]


def _hash_bytes(data: bytes) -> str:
    """The RECORD hash field of a file the install writes (small: no OpenSSL, see
    :func:`pyffin.cache.keys.sha256`)."""
    try:  # as pyffin.cache.keys.sha256, whose package costs an install replay more
        from _sha256 import sha256  # type: ignore[import-not-found, unused-ignore]  # <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found, unused-ignore]  # 3.12+
        except ImportError:
            from hashlib import sha256
    return "sha256=" + encode_digest(sha256(data).digest())


def _read(directory: str, name: str) -> bytes:
    path = os.path.join(directory, name)
    try:
        return _read_file(path)
    except FileNotFoundError:
        raise InstallError(f"{path} is missing; the unzipped wheel is incomplete") from None


def _read_file(path: str) -> bytes:
    """The bytes of the file at ``path``, read with plain system calls: ``open()`` adds an
    ``fstat``, an ``ioctl`` and a ``lseek`` to each of the few files of every wheel read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 18):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)
