"""System packages: what a build needs of the machine, as the resolver sees it (uv's).

PyTorch builds ``torch``, ``torchvision`` and the rest for one CUDA release each; two builds for
different releases in one environment break at import. When ``--torch-backend auto`` offers
several CUDA indexes (:mod:`pyffin.models.torch`), each version of those projects from one of
them depends on a virtual package, ``system:cuda``, at that index's CUDA release, and the
solver makes the versions agree as it does for any shared dependency. A system package is
never fetched: its candidates are the releases the indexes stand for, it has no files and no
dependencies, and it is left out of every resolution's result. The ``:`` keeps its name apart
from every project's (no project name holds one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyffin.models.metadata import CoreMetadata
    from pyffin.models.torch import TorchIndexes
    from pyffin.models.versions import Version
    from pyffin.resolver.source import Candidate

#: What a system package's name starts with.
PREFIX = "system:"


def is_system(name: str) -> bool:
    """Whether ``name`` (a package key) is a system package's."""
    return name.startswith(PREFIX)


class SystemPackages:
    """The system packages of one resolution: ``system:cuda`` when ``torch`` mixes CUDA
    indexes, none otherwise."""

    def __init__(self, torch: TorchIndexes | None) -> None:
        self._torch = torch
        self._versions: dict[str, list[str]] = {}
        if torch is not None and torch.accelerator is not None \
                and torch.accelerator.kind == "cuda":
            from pyffin.models.torch import cuda_version

            releases = {release for backend in torch.backends
                        if (release := cuda_version(backend)) is not None}
            if releases:
                self._versions[PREFIX + "cuda"] = sorted(releases)

    def __bool__(self) -> bool:
        return bool(self._versions)

    def candidates(self, name: str) -> list[Candidate]:
        """The releases ``name`` stands for, ascending."""
        from pyffin.models.versions import parse_version
        from pyffin.resolver.source import Candidate

        return sorted((Candidate(parse_version(text)) for text in self._versions.get(name, ())),
                      key=lambda candidate: candidate.version)

    def metadata(self, name: str, version: Version) -> CoreMetadata:
        """A system package's metadata: its name and version, nothing needed."""
        from pyffin.models.metadata import CoreMetadata

        return CoreMetadata(name, str(version))

    def dependencies(self, name: str, index_url: str | None) -> dict[str, Version]:
        """The system packages a version of project ``name`` listed on ``index_url`` needs:
        ``{"system:cuda": 12.8}`` for ``torch`` from the ``cu128`` index."""
        if self._torch is None or index_url is None:
            return {}
        found = self._torch.system_dependency(name, index_url)
        if found is None:
            return {}
        from pyffin.models.versions import parse_version

        kind, release = found
        return {PREFIX + kind: parse_version(release)}
