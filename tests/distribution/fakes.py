"""A stand-in for the PEP 517 frontend, so the source-distribution cache can be specified
without running backends: it "builds" a wheel of the tree's PKG-INFO name and version, with
the tags it is given, and counts what it was asked to do."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyffin.build import BuiltMetadata, SourceTree
from pyffin.models.metadata import CoreMetadata
from tests.support.dists import WheelSpec, build_wheel


class FakeBuilder:
    """Counts ``wheels``, ``metadata`` and ``editables`` built, and the build environments
    made (``environments``; ``open_environments``: those not removed yet) as
    :meth:`pyffin.build.SourceBuilder.setup` makes them; ``gate``, when set, holds every wheel
    build until it is set (to have several callers ask while one build runs); ``failure``,
    when set, is raised by every wheel build."""

    def __init__(self, tags: Sequence[str] = ("py3-none-any",)) -> None:
        self.tags = list(tags)
        self.wheels = 0
        self.metadata = 0
        self.editables = 0
        self.environments = 0
        self.open_environments = 0
        #: The trees the wheels were built from, in order.
        self.wheel_trees: list[Path] = []
        self.gate: threading.Event | None = None
        #: Raised by every wheel build, when set.
        self.failure: Exception | None = None
        #: Whether the "backend" has ``prepare_metadata_for_build_wheel``: without it, the
        #: metadata comes from a wheel built for it (as SourceBuild.metadata does).
        self.prepare_hook = True
        self.started = threading.Event()
        self._lock = threading.Lock()

    @contextmanager
    def setup(self, tree: SourceTree, kind: str = "wheel", **_: Any) -> Iterator[FakeBuild]:
        with self._lock:
            self.environments += 1
            self.open_environments += 1
        try:
            yield FakeBuild(self, tree, kind)
        finally:
            with self._lock:
                self.open_environments -= 1

    def read_metadata_from(self, tree: SourceTree) -> None:
        """Called as each metadata "build" starts (subclasses look at the tree)."""

    def build_wheel(self, tree: SourceTree, wheel_dir: Path, **_: Any) -> Path:
        with self.setup(tree) as build:
            return build.wheel(wheel_dir)

    def build_editable(self, tree: SourceTree, wheel_dir: Path, **_: Any) -> Path:
        with self.setup(tree, "editable") as build:
            return build.wheel(wheel_dir)

    def build_metadata(self, tree: SourceTree, metadata_dir: Path, *, editable: bool = False,
                       **_: Any) -> BuiltMetadata:
        with self.setup(tree, "editable" if editable else "wheel") as build:
            return build.metadata(metadata_dir)


class FakeBuild:
    """One tree's build, its environment "made" (see :class:`FakeBuilder`)."""

    def __init__(self, builder: FakeBuilder, tree: SourceTree, kind: str) -> None:
        self.builder = builder
        self.tree = tree
        self.kind = kind

    def _project(self) -> CoreMetadata:
        return CoreMetadata.parse((self.tree.root / "PKG-INFO").read_bytes(),
                                  source=self.tree.origin)

    def wheel(self, wheel_dir: Path) -> Path:
        builder = self.builder
        if self.kind == "editable":
            builder.editables += 1
        else:
            with builder._lock:
                builder.wheels += 1
                builder.wheel_trees.append(self.tree.root)
            builder.started.set()
            if builder.gate is not None:
                builder.gate.wait(timeout=30)
        assert self.tree.root.is_dir(), "the tree is gone before its wheel is built"
        if builder.failure is not None:
            raise builder.failure
        project = self._project()
        return build_wheel(WheelSpec(project.name, project.version, tags=builder.tags),
                           wheel_dir)

    def metadata(self, metadata_dir: Path) -> BuiltMetadata:
        wheel = None if self.builder.prepare_hook else self.wheel(metadata_dir)
        if wheel is None:
            self.builder.metadata += 1
            self.builder.read_metadata_from(self.tree)
        project = self._project()
        dist_info = metadata_dir / f"{project.name}-{project.version}.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {project.name}\nVersion: {project.version}\n"
            "Requires-Dist: dep-from-the-backend\n")
        return BuiltMetadata(dist_info, wheel, self.tree.origin)


def no_git() -> Any:
    raise AssertionError("no git source here")
