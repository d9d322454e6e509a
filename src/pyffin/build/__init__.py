"""The PEP 517 / 660 build frontend (DESIGN §4).

- :func:`prepare_source` → :class:`SourceTree`: unpack an sdist safely (or take a directory);
- :func:`static_metadata`: core metadata without building, when PKG-INFO or ``[project]`` allow;
- :func:`read_build_system` → :class:`BuildSystem`: ``[build-system]``, with pip's legacy default;
- :class:`SourceBuilder`: metadata, wheels and editable wheels through the backend's hooks, in
  isolated environments (:class:`BuildEnvironment`) populated by a :class:`BuildContext`;
- :func:`check_cycle`: for callers that wait on another thread's build of a source.

This package imports nothing above it: the resolver and installer reach it only through the
:class:`BuildContext` the caller provides.
"""

from pyffin.build.archive import unpack_archive
from pyffin.build.context import BuildContext
from pyffin.build.cycle import build_stack, check_cycle
from pyffin.build.env import BuildEnvironment
from pyffin.build.errors import (
    ArchiveError,
    BuildBackendError,
    BuildCycleError,
    BuildError,
    InvalidBuildSystem,
    InvalidSourceTree,
    UnsafeArchiveError,
)
from pyffin.build.frontend import (
    BuildKind,
    BuiltMetadata,
    SourceBuild,
    SourceBuilder,
    parse_config_settings,
)
from pyffin.build.hooks import CONCURRENT_BUILDS_ENV, ConfigSettings, concurrent_builds
from pyffin.build.source import SourceTree, prepare_source, unpacked_source
from pyffin.build.static import static_metadata
from pyffin.build.system import LEGACY_BACKEND, LEGACY_REQUIRES, BuildSystem, read_build_system

__all__ = [
    "CONCURRENT_BUILDS_ENV",
    "LEGACY_BACKEND",
    "LEGACY_REQUIRES",
    "ArchiveError",
    "BuildBackendError",
    "BuildContext",
    "BuildCycleError",
    "BuildEnvironment",
    "BuildError",
    "BuildKind",
    "BuildSystem",
    "BuiltMetadata",
    "ConfigSettings",
    "InvalidBuildSystem",
    "InvalidSourceTree",
    "SourceBuild",
    "SourceBuilder",
    "SourceTree",
    "UnsafeArchiveError",
    "build_stack",
    "check_cycle",
    "concurrent_builds",
    "parse_config_settings",
    "prepare_source",
    "read_build_system",
    "static_metadata",
    "unpack_archive",
    "unpacked_source",
]
