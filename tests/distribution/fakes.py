"""A stand-in for the PEP 517 frontend, so the source-distribution cache can be specified
without running backends: it "builds" a wheel of the tree's PKG-INFO name and version, with
the tags it is given, and counts what it was asked to do."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyffin.build import BuiltMetadata, SourceTree
from pyffin.models.metadata import CoreMetadata
from tests.support.dists import WheelSpec, build_wheel


class FakeBuilder:
    """Counts ``wheels``, ``metadata`` and ``editables`` built; ``gate``, when set, holds every
    wheel build until it is set (to have several callers ask while one build runs)."""

    def __init__(self, tags: Sequence[str] = ("py3-none-any",)) -> None:
        self.tags = list(tags)
        self.wheels = 0
        self.metadata = 0
        self.editables = 0
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self._lock = threading.Lock()

    @staticmethod
    def _project(tree: SourceTree) -> CoreMetadata:
        return CoreMetadata.parse((tree.root / "PKG-INFO").read_bytes(), source=tree.origin)

    def build_wheel(self, tree: SourceTree, wheel_dir: Path, **_: Any) -> Path:
        with self._lock:
            self.wheels += 1
        self.started.set()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        project = self._project(tree)
        return build_wheel(WheelSpec(project.name, project.version, tags=self.tags), wheel_dir)

    def build_editable(self, tree: SourceTree, wheel_dir: Path, **_: Any) -> Path:
        self.editables += 1
        project = self._project(tree)
        return build_wheel(WheelSpec(project.name, project.version, tags=self.tags), wheel_dir)

    def build_metadata(self, tree: SourceTree, metadata_dir: Path, *, editable: bool = False,
                       **_: Any) -> BuiltMetadata:
        self.metadata += 1
        project = self._project(tree)
        dist_info = metadata_dir / f"{project.name}-{project.version}.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {project.name}\nVersion: {project.version}\n"
            "Requires-Dist: dep-from-the-backend\n")
        return BuiltMetadata(dist_info, None, tree.origin)


def no_git() -> Any:
    raise AssertionError("no git source here")
