"""Resolution: turn loose requirements into a pinned, reproducible set, or explain why not.

* :func:`resolve` (:mod:`.solver`) runs PubGrub (nab-resolver's core) over a
  :class:`PackageSource` (:mod:`.source`), which does all the I/O;
* :mod:`.provider` chooses candidates (``--resolution``, ``--prerelease``, yanks,
  Requires-Python, constraints, overrides, preferences) and states why a version cannot be used;
* :mod:`.report` turns a failed resolution's derivation tree into a uv-style explanation;
* :func:`format_requirements` (:mod:`.output`) writes the result as a ``requirements.txt``.
"""

from __future__ import annotations

from pyffin.resolver.dependencies import DirectRequirement
from pyffin.resolver.errors import NoSolutionError, PackageNotFoundError, ResolutionLimitError
from pyffin.resolver.options import PrereleaseMode, ResolutionMode, ResolverOptions
from pyffin.resolver.output import AnnotationStyle, format_requirements
from pyffin.resolver.resolution import Resolution, ResolvedPackage
from pyffin.resolver.solver import resolve
from pyffin.resolver.source import Candidate, PackageSource

__all__ = [
    "AnnotationStyle",
    "Candidate",
    "DirectRequirement",
    "NoSolutionError",
    "PackageNotFoundError",
    "PackageSource",
    "PrereleaseMode",
    "Resolution",
    "ResolutionLimitError",
    "ResolutionMode",
    "ResolvedPackage",
    "ResolverOptions",
    "format_requirements",
    "resolve",
]
