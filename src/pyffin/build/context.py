"""``BuildContext``: what the builder needs from the rest of pyffin.

The builder sits below the resolver and the installer (DESIGN §1) but needs both to populate a
build environment; the caller hands it an object with this one method instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pyffin.build.env import BuildEnvironment


class BuildContext(Protocol):
    """Installs requirements into a build environment: resolve, then install.

    ``purpose`` says why, for messages (``build requirements of foo-1.0.tar.gz``). It is called
    only for isolated builds, once for ``[build-system] requires`` and once more for what
    ``get_requires_for_build_*`` adds (possibly already satisfied: the context decides).

    Building a requirement that has no wheel goes back through the builder. The builder tracks
    the sources being built in a :class:`contextvars.ContextVar` (see
    :mod:`pyffin.build.cycle`): work done for a build on another thread must run in a copy of
    the calling context (``contextvars.copy_context().run``) for a cycle through it to be
    reported instead of waiting forever; code that waits on another thread's build of a source
    should call :func:`pyffin.build.check_cycle` with that source first.
    """

    def install_requirements(self, requirements: Sequence[str], environment: BuildEnvironment,
                             *, purpose: str) -> None: ...
