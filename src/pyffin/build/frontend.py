"""The PEP 517 / 660 build frontend: metadata, wheels and editable wheels from a source tree.

::

    builder = SourceBuilder(cache=cache, interpreter=interpreter, context=context)
    tree = prepare_source(Path("foo-1.0.tar.gz"), into=tmp)
    metadata = static_metadata(tree) or builder.build_metadata(tree, tmp / "meta").read()
    wheel = builder.build_wheel(tree, tmp / "wheels", needed_by="bar==2.0")

Each build reads ``[build-system]``, creates an isolated environment (unless isolation is off),
has the :class:`BuildContext` install ``requires`` into it, asks the backend what else it needs
(``get_requires_for_build_*``) and has that installed, then calls the hook that was asked for.
:meth:`SourceBuilder.setup` keeps one environment for several hooks (metadata, then the wheel).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pyffin import log
from pyffin.build.context import BuildContext
from pyffin.build.cycle import building
from pyffin.build.env import BuildEnvironment, isolated_environment, shared_environment
from pyffin.build.errors import BuildError
from pyffin.build.hooks import ConfigSettings, HookCaller
from pyffin.build.source import SourceTree
from pyffin.build.system import BuildSystem, read_build_system
from pyffin.errors import UsageError
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.interpreter.model import Interpreter
    from pyffin.models.metadata import CoreMetadata

#: ``wheel`` (PEP 517) or ``editable`` (PEP 660): which family of hooks a build calls.
BuildKind = Literal["wheel", "editable"]


def parse_config_settings(items: Iterable[str]) -> dict[str, str | list[str]]:
    """``-C KEY=VALUE`` options as the ``config_settings`` dict; a repeated key becomes a list
    of its values in order (as pip and uv pass them)."""
    settings: dict[str, str | list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"invalid config setting {item!r}: expected KEY=VALUE")
        previous = settings.get(key)
        if previous is None:
            settings[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            settings[key] = [previous, value]
    return settings


@record
class BuiltMetadata:
    """A ``.dist-info`` directory made by a backend, and the wheel built to get it, if any.

    ``wheel`` is set when the backend has no ``prepare_metadata_for_build_*`` hook and a full
    build ran: the caller may keep that wheel rather than build it again.
    """

    dist_info: Path
    wheel: Path | None
    origin: str

    def read(self) -> CoreMetadata:
        """The parsed ``METADATA`` of :attr:`dist_info`."""
        from pyffin.models.metadata import CoreMetadata, MetadataError

        path = self.dist_info / "METADATA"
        try:
            data = path.read_bytes()
        except OSError as e:
            raise MetadataError(f"the backend of {self.origin} wrote no readable {path}: "
                                f"{e.strerror or e}") from e
        return CoreMetadata.parse(data, source=f"{self.origin} ({path.name} from its backend)")


class SourceBuild:
    """One source tree, its build environment populated, ready for its backend's hooks.

    Made by :meth:`SourceBuilder.setup`; valid until that context exits.
    """

    def __init__(self, tree: SourceTree, system: BuildSystem, environment: BuildEnvironment,
                 hooks: HookCaller, kind: BuildKind) -> None:
        self.tree = tree
        self.system = system
        self.environment = environment
        self.kind = kind
        self._hooks = hooks
        self._metadata: BuiltMetadata | None = None

    def metadata(self, metadata_dir: Path) -> BuiltMetadata:
        """``prepare_metadata_for_build_{kind}`` into ``metadata_dir``; without that hook, a
        full build into ``metadata_dir`` and its ``.dist-info`` unpacked next to it."""
        metadata_dir.mkdir(parents=True, exist_ok=True)
        dist_info = self._hooks.prepare_metadata(self.kind, metadata_dir)
        wheel = None
        if dist_info is None:
            log.debug(f"{self.system.backend} has no prepare_metadata_for_build_{self.kind} "
                      f"hook: building {self.tree.origin} to read its metadata")
            wheel = self._hooks.build(self.kind, metadata_dir)
            dist_info = _unpack_dist_info(wheel, metadata_dir)
        self._metadata = BuiltMetadata(dist_info, wheel, self.tree.origin)
        return self._metadata

    def wheel(self, wheel_dir: Path) -> Path:
        """``build_{kind}`` into ``wheel_dir``: the path of the (editable) wheel."""
        wheel_dir.mkdir(parents=True, exist_ok=True)
        prepared = self._metadata
        if prepared is not None and prepared.wheel is not None:
            # Getting the metadata already built it.
            if prepared.wheel.parent == wheel_dir:
                return prepared.wheel
            import shutil

            return Path(shutil.copy2(prepared.wheel, wheel_dir / prepared.wheel.name))
        # PEP 517: pass the prepared metadata so the wheel's is the same.
        metadata_dir = prepared.dist_info if prepared is not None else None
        return self._hooks.build(self.kind, wheel_dir, metadata_dir)


class SourceBuilder:
    """Builds source trees for one target interpreter.

    ``context`` installs build requirements into isolated environments (see
    :class:`BuildContext`); with ``isolated=False`` the backend runs in ``interpreter`` as it
    is and nothing is installed: build requirements are not checked there (as pip's default),
    a missing backend is reported when its import fails. ``config_settings`` go to every hook.
    """

    def __init__(self, *, cache: Cache, interpreter: Interpreter, context: BuildContext,
                 isolated: bool = True, config_settings: ConfigSettings | None = None) -> None:
        self.cache = cache
        self.interpreter = interpreter
        self.context = context
        self.isolated = isolated
        self.config_settings = config_settings

    @contextmanager
    def setup(self, tree: SourceTree, kind: BuildKind = "wheel", *,
              needed_by: str | None = None) -> Iterator[SourceBuild]:
        """A build of ``tree`` with its environment ready; the environment is removed on exit.

        ``needed_by`` names what needed this source (``bar==2.0``), for messages. Raises
        :class:`~pyffin.build.BuildCycleError` if building ``tree`` is already under way in
        the current context (its build requirements need it).
        """
        system = read_build_system(tree)
        with ExitStack() as stack:
            with building(tree.origin):
                if self.isolated:
                    environment = stack.enter_context(
                        isolated_environment(self.cache, self.interpreter))
                else:
                    environment = shared_environment(self.interpreter)
                hooks = HookCaller(tree, system, environment, config_settings=self.config_settings,
                                   needed_by=needed_by)
                purpose = f"build requirements of {tree.origin}"
                if self.isolated and system.requires:
                    self.context.install_requirements(system.requires, environment,
                                                      purpose=purpose)
                extra = hooks.get_requires(kind)
                if self.isolated and extra:
                    self.context.install_requirements(
                        extra, environment, purpose=f"{purpose} (from its build backend)")
            yield SourceBuild(tree, system, environment, hooks, kind)

    def build_metadata(self, tree: SourceTree, metadata_dir: Path, *, editable: bool = False,
                       needed_by: str | None = None) -> BuiltMetadata:
        """The backend's metadata for ``tree``, written into ``metadata_dir`` (see
        :meth:`SourceBuild.metadata`). Try :func:`~pyffin.build.static_metadata` first."""
        with self.setup(tree, "editable" if editable else "wheel", needed_by=needed_by) as build:
            return build.metadata(metadata_dir)

    def build_wheel(self, tree: SourceTree, wheel_dir: Path, *,
                    needed_by: str | None = None) -> Path:
        """Build a wheel of ``tree`` into ``wheel_dir``; return its path."""
        with self.setup(tree, "wheel", needed_by=needed_by) as build:
            return build.wheel(wheel_dir)

    def build_editable(self, tree: SourceTree, wheel_dir: Path, *,
                       needed_by: str | None = None) -> Path:
        """Build an editable wheel (PEP 660) of ``tree`` into ``wheel_dir``; return its path."""
        with self.setup(tree, "editable", needed_by=needed_by) as build:
            return build.wheel(wheel_dir)


def _unpack_dist_info(wheel: Path, directory: Path) -> Path:
    """Unpack the ``.dist-info`` directory of the freshly built ``wheel`` into ``directory``."""
    import zipfile

    from pyffin.build.archive import checked_name

    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [checked_name(wheel, name) for name in zf.namelist()]
            dist_infos = {name.split("/", 1)[0] for name in names
                          if name.split("/", 1)[0].endswith(".dist-info") and "/" in name}
            if len(dist_infos) != 1:
                found = ", ".join(sorted(dist_infos)) or "none"
                raise BuildError(f"the wheel {wheel.name} built by the backend must have exactly "
                                 f"one .dist-info directory, found {found}")
            (dist_info,) = dist_infos
            for name, info in zip(names, zf.infolist(), strict=True):
                if not name.startswith(dist_info + "/") or info.is_dir():
                    continue
                target = directory / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(info))
    except (zipfile.BadZipFile, OSError) as e:
        raise BuildError(f"cannot read the wheel {wheel} built by the backend: {e}") from e
    return directory / dist_info
