"""``Interpreter``: what pyffin knows about one Python interpreter, cached as a record."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pyffin.interpreter.scheme import Scheme
from pyffin.records import record, replace

_DISPLAY_NAMES = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}


@record
class InstallDirectory:
    """A ``--target`` or ``--prefix`` directory that takes the place of an interpreter's own
    environment (see :meth:`Interpreter.with_target`)."""

    #: ``target``: packages at the top of ``root``; ``prefix``: a venv's layout under it.
    kind: Literal["target", "prefix"]
    root: Path

    @property
    def option(self) -> str:
        """The flag that names it: ``--target`` or ``--prefix``."""
        return "--" + self.kind


@record
class Interpreter:
    """A queried interpreter: its paths, version, marker environment, tags and install scheme.

    ``executable`` is the path it was found at (absolute, symlinks not resolved: a venv's
    ``bin/python``); ``sys_executable`` is what it reports as ``sys.executable``;
    ``base_executable`` is the real (symlink-free) executable of the interpreter a venv made
    from this one points to, which is never a venv's own python.
    """

    executable: Path
    sys_executable: Path
    base_executable: Path
    prefix: Path
    base_prefix: Path
    base_exec_prefix: Path
    #: ``(major, minor, micro)``.
    version: tuple[int, int, int]
    #: The full version as the ``python_full_version`` marker has it: ``3.13.0rc1``.
    version_str: str
    #: ``sys.implementation.name``: ``cpython``, ``pypy``...
    implementation_name: str
    #: Every PEP 508 environment marker, computed by the interpreter itself.
    markers: dict[str, str]
    #: Compatible wheel tags, best first (``cp311-cp311-manylinux_2_36_x86_64``...).
    tags: tuple[str, ...]
    #: Where an installation into this environment puts each kind of file.
    scheme: Scheme
    #: The layout of a venv made from this interpreter, relative to the venv's root.
    venv_layout: Scheme
    #: The directories holding this environment's installed distributions.
    site_packages: tuple[str, ...]
    is_venv: bool
    #: The message of a PEP 668 ``EXTERNALLY-MANAGED`` marker (never set for a venv).
    externally_managed: str | None
    #: 32 or 64.
    pointer_size: int
    #: ``sysconfig.get_platform()``: ``linux-x86_64``, ``macosx-11.0-arm64``, ``win-amd64``.
    platform: str
    #: The ``--target`` / ``--prefix`` directory that ``scheme`` and ``site_packages`` point
    #: into instead of the interpreter's environment (never part of the cached record).
    directory: InstallDirectory | None = None
    #: Where that marker is or would be (``None`` where PEP 668 does not apply: a venv): it is
    #: read again whenever the interpreter comes from the cache (see
    #: :func:`pyffin.interpreter.query.interpreter_at`), as the marker may come and go.
    externally_managed_marker: str | None = None

    RECORD_SCHEMA = "interpreter"
    RECORD_VERSION = 2

    @property
    def python_version(self) -> str:
        """``major.minor``, as the ``python_version`` marker: ``3.11``."""
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def implementation_display(self) -> str:
        """The implementation's name as people write it: ``CPython``, ``PyPy``."""
        return _DISPLAY_NAMES.get(self.implementation_name, self.implementation_name)

    def venv_scheme(self, root: Path) -> Scheme:
        """The scheme of a virtual environment at ``root`` made from this interpreter."""
        layout = self.venv_layout
        return Scheme(purelib=root / layout.purelib, platlib=root / layout.platlib,
                      scripts=root / layout.scripts, data=root / layout.data,
                      headers=root / layout.headers)

    def in_venv(self, root: Path, python: Path | None = None) -> Interpreter:
        """This (base) interpreter as seen from a virtual environment at ``root`` made from it:
        the same markers and tags, the environment's prefix, scheme and site-packages."""
        scheme = self.venv_scheme(root)
        python = python or scheme.scripts / "python"
        return replace(
            self, executable=python, sys_executable=python, prefix=root, scheme=scheme,
            base_prefix=self.base_prefix, base_exec_prefix=self.base_exec_prefix,
            site_packages=tuple(dict.fromkeys((str(scheme.purelib), str(scheme.platlib)))),
            is_venv=True, externally_managed=None, externally_managed_marker=None,
        )

    def with_target(self, root: Path) -> Interpreter:
        """This interpreter installing into the ``--target`` directory ``root``, as uv and pip
        do: packages at its top (``PYTHONPATH=root`` imports them), scripts in ``root/bin``,
        ``.data/data`` files under ``root``, headers in ``root/include/<name>``."""
        scheme = Scheme(purelib=root, platlib=root, scripts=root / "bin", data=root,
                        headers=root / "include")
        return replace(self, scheme=scheme, site_packages=(str(root),), externally_managed=None,
                       externally_managed_marker=None, directory=InstallDirectory("target", root))

    def with_prefix(self, root: Path) -> Interpreter:
        """This interpreter installing into the ``--prefix`` directory ``root``: laid out as a
        virtual environment made from it would be (``root/lib/pythonX.Y/site-packages``,
        ``root/bin``), as uv does."""
        scheme = self.venv_scheme(root)
        return replace(self, scheme=scheme, site_packages=(str(scheme.purelib),),
                       externally_managed=None, externally_managed_marker=None,
                       directory=InstallDirectory("prefix", root))

    def found_at(self, executable: Path) -> Interpreter:
        """The same interpreter, found at another path (a link to it)."""
        return self if executable == self.executable else replace(self, executable=executable)

    def to_record(self) -> tuple[object, ...]:
        return (
            str(self.executable), str(self.sys_executable), str(self.base_executable),
            str(self.prefix), str(self.base_prefix), str(self.base_exec_prefix),
            self.version, self.version_str, self.implementation_name, self.markers, self.tags,
            _scheme_record(self.scheme), _scheme_record(self.venv_layout), self.site_packages,
            self.is_venv, self.externally_managed, self.pointer_size, self.platform,
            self.externally_managed_marker,
        )

    @classmethod
    def from_record(cls, data: Any) -> Interpreter:
        """Rebuild from :meth:`to_record`; raises on a record of another shape."""
        (executable, sys_executable, base_executable, prefix, base_prefix, base_exec_prefix,
         version, version_str, implementation_name, markers, tags, scheme, venv_layout,
         site_packages, is_venv, externally_managed, pointer_size, platform,
         externally_managed_marker) = data
        major, minor, micro = version
        return cls(
            executable=Path(executable), sys_executable=Path(sys_executable),
            base_executable=Path(base_executable), prefix=Path(prefix),
            base_prefix=Path(base_prefix), base_exec_prefix=Path(base_exec_prefix),
            version=(int(major), int(minor), int(micro)), version_str=str(version_str),
            implementation_name=str(implementation_name), markers=dict(markers),
            tags=tuple(tags), scheme=_scheme_from_record(scheme),
            venv_layout=_scheme_from_record(venv_layout), site_packages=tuple(site_packages),
            is_venv=bool(is_venv), externally_managed=externally_managed,
            pointer_size=int(pointer_size), platform=str(platform),
            externally_managed_marker=(None if externally_managed_marker is None
                                       else str(externally_managed_marker)),
        )


def _scheme_record(scheme: Scheme) -> tuple[str, str, str, str, str]:
    return (str(scheme.purelib), str(scheme.platlib), str(scheme.scripts), str(scheme.data),
            str(scheme.headers))


def _scheme_from_record(data: Any) -> Scheme:
    purelib, platlib, scripts, data_dir, headers = data
    return Scheme(Path(purelib), Path(platlib), Path(scripts), Path(data_dir), Path(headers))
