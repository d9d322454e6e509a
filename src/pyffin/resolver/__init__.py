"""Resolution: turn loose requirements into a pinned, reproducible set, or explain why not.

* :func:`resolve` (:mod:`.solver`) runs PubGrub (nab-resolver's core) over a
  :class:`PackageSource` (:mod:`.source`), which does all the I/O;
* :mod:`.provider` chooses candidates (``--resolution``, ``--prerelease``, yanks,
  Requires-Python, constraints, overrides, preferences) and states why a version cannot be used;
* :mod:`.report` turns a failed resolution's derivation tree into a uv-style explanation;
* :func:`format_requirements` (:mod:`.output`) writes the result as a ``requirements.txt``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyffin.resolver.dependencies import DirectRequirement
    from pyffin.resolver.errors import (
        NoSolutionError,
        PackageNotFoundError,
        ResolutionLimitError,
    )
    from pyffin.resolver.options import (
        ForkStrategy,
        PrereleaseMode,
        ResolutionMode,
        ResolverOptions,
    )
    from pyffin.resolver.output import AnnotationStyle, format_requirements
    from pyffin.resolver.resolution import Resolution, ResolvedPackage
    from pyffin.resolver.solver import resolve
    from pyffin.resolver.source import Candidate, PackageSource

#: Where each name is defined: importing this package imports none of them (a kept
#: resolution is read and written out without the solver; see pyffin.api.resolution_cache).
_WHERE = {
    "DirectRequirement": "dependencies",
    "NoSolutionError": "errors",
    "PackageNotFoundError": "errors",
    "ResolutionLimitError": "errors",
    "ResolverOptions": "options",
    "format_requirements": "output",
    "Resolution": "resolution",
    "ResolvedPackage": "resolution",
    "resolve": "solver",
    "Candidate": "source",
    "PackageSource": "source",
}


#: The ``Literal`` aliases, for callers' annotations: their modules define them for type
#: checkers only (``typing.Literal`` costs every command's start), and they are made here from
#: the tuples of their values when asked for.
_LITERALS = {
    "PrereleaseMode": ("options", "PRERELEASE_MODES"),
    "ForkStrategy": ("options", "FORK_STRATEGIES"),
    "ResolutionMode": ("options", "RESOLUTION_MODES"),
    "AnnotationStyle": ("output", "ANNOTATION_STYLES"),
}


def __getattr__(name: str) -> Any:
    literal = _LITERALS.get(name)
    if literal is not None:
        from typing import Literal

        values = getattr(__import__(f"{__name__}.{literal[0]}", fromlist=[literal[1]]),
                         literal[1])
        value: Any = Literal[values]
    else:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "AnnotationStyle",
    "Candidate",
    "DirectRequirement",
    "ForkStrategy",
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
