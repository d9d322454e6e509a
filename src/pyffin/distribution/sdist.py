"""Source distributions: metadata and wheels built from them, cached by source (DESIGN §4).

Every source has a *revision* directory in ``sdists-v0``; what is built from a source lives in
its revision, so built wheels stay tied to the freshness of their source:

- registry sdists: ``<pypi|index/<hash>>/<name>/<sha256[:16]>/`` — the index's hash names the
  content, so a revision never changes;
- URLs: ``url/<hash(url)>/<revision>/`` — the HTTP freshness of the archive decides: fresh or
  not modified → the same revision; changed → a new revision, built again;
- git: ``git/<hash(repository)>/<commit>/<hash(subdirectory)>/`` — a commit never changes;
- local paths: ``path/<hash(path)>/<stamp>/`` — the stamp hashes what the project's cache keys
  name (by default the mtimes of ``pyproject.toml``, ``setup.py`` and ``setup.cfg``; see
  :mod:`.cache_keys`; of an archive: its mtime and size), so touching them makes a new
  revision. ``--refresh``, ``--reinstall`` and their ``-package`` forms build a local
  project again in any case (what was built before the command started is not used).

A revision holds ``metadata.rec`` (core metadata), ``manifest.rec`` (built wheel filename →
its metadata, written atomically), the built wheels, ``NAME`` (for ``cache clean NAME``) and,
for downloaded sources, the archive itself. What a build makes depends on how it was built:
with ``-C/--config-settings`` or without build isolation (or a package's own of those:
``--config-settings-package``, ``--no-build-isolation-package``, see :class:`PackageBuilds`),
the metadata, manifest and wheels live in ``build-<hash of those options>/`` inside the
revision instead, so a build with other settings never reuses them. Metadata comes from the
sources without building when possible (PKG-INFO ≥ 2.2 or a static ``[project]``), else
from the backend. Builds of one revision hold its ``.lock``: two processes never build the same
thing at once, and the second finds the first one's wheel. Within a process, a build in
flight is shared by every caller; an install keeps the tree a source's metadata was read from,
and the build environment that prepared it, for that source's wheel build
(:attr:`SourceDistributions.keep_prepared`).
"""

from __future__ import annotations

import os
from _thread import allocate_lock
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from pyffin import log
from pyffin.cache import CacheBucket, CacheShard, codec, digest, path_key, url_key
from pyffin.cache.keys import repository_key, source_parts
from pyffin.futures import Future
from pyffin.models.metadata import CoreMetadata, MetadataError
from pyffin.models.names import checked_name
from pyffin.models.urls import redact

if TYPE_CHECKING:
    from pyffin.build import SourceBuild, SourceBuilder, SourceTree
    from pyffin.cache import Cache, CacheEntry
    from pyffin.cache.codec import Cacheable
    from pyffin.client.cached import Refresh
    from pyffin.client.http import Response
    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.unpacking import StreamingUnpack
    from pyffin.git import GitSource
    from pyffin.models.direct import DirectSource
    from pyffin.models.files import IndexFile, ProjectPage
    from pyffin.reporting import Reporter

T = TypeVar("T")
R = TypeVar("R", bound="Cacheable")

_ARCHIVE_MAGIC = ((b"PK\x03\x04", ".zip"), (b"\x1f\x8b", ".tar.gz"), (b"BZh", ".tar.bz2"),
                  (b"\xfd7zXZ\x00", ".tar.xz"))
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")


class _Manifest:
    """Built wheels of a revision: filename → core metadata."""

    RECORD_SCHEMA: ClassVar[str] = "sdist-manifest"
    RECORD_VERSION: ClassVar[int] = 1

    def __init__(self, wheels: dict[str, CoreMetadata]) -> None:
        self.wheels = wheels

    def to_record(self) -> Any:
        return {name: metadata.to_record() for name, metadata in self.wheels.items()}

    @classmethod
    def from_record(cls, data: Any) -> _Manifest:
        return cls({str(k): CoreMetadata.from_record(v) for k, v in data.items()})


class _Revision:
    """The current revision of a URL source: its id and the archive's filename."""

    RECORD_SCHEMA: ClassVar[str] = "sdist-revision"
    RECORD_VERSION: ClassVar[int] = 1

    def __init__(self, id: str, filename: str) -> None:
        self.id = id
        self.filename = filename

    def to_record(self) -> Any:
        return (self.id, self.filename)

    @classmethod
    def from_record(cls, data: Any) -> _Revision:
        revision_id, filename = data
        return cls(str(revision_id), str(filename))


class _Source:
    """A revision directory and how to get the source tree it was made from."""

    def __init__(self, shard: CacheShard, origin: str, *, archive: Path | None = None,
                 directory: Path | None = None, subdirectory: str | None = None,
                 is_sdist: bool = True, local: bool = False,
                 hashes: Sequence[tuple[str, str]] = ()) -> None:
        #: A local directory or archive (``--refresh`` / ``--reinstall`` build it again).
        self.local = local
        #: What a progress display calls it: ``name==version``, else where it comes from.
        self.label = origin
        #: The revision (archive, ``NAME``, the build lock).
        self.shard = shard
        #: Where what is built from it lives (see :meth:`SourceDistributions.built_shard`).
        self.built = shard
        #: Hashes a local archive must have (it is read in place, never downloaded).
        self.hashes = hashes
        self.origin = origin
        self.archive = archive
        self.directory = directory
        self.subdirectory = subdirectory
        self.is_sdist = is_sdist
        #: The project's name when it is known before building (an index's sdist; a
        #: directory's ``[project] name``): per-package build options apply by it.
        self.name: str | None = None
        #: An index's archive not downloaded yet: ``(url, hashes, size)``; it is downloaded
        #: when first needed, unpacked as it arrives when that is to build it (see
        #: :meth:`SourceDistributions._tree`).
        self.fetch: tuple[str, Sequence[tuple[str, str]], int | None] | None = None


class _Prepared:
    """What a source's metadata was read from — its tree, unpacked into ``directory``, and
    the build that ran the backend's ``prepare_metadata_for_build_wheel`` there, if one did
    — kept open for the wheel build that may follow (see
    :attr:`SourceDistributions.keep_prepared`). Closing it removes them."""

    def __init__(self, stack: ExitStack | None = None, directory: Path | None = None,
                 tree: SourceTree | None = None, build: SourceBuild | None = None) -> None:
        self.directory = directory
        self.tree = tree
        self.build = build
        self._stack = stack

    def __enter__(self) -> _Prepared:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()


class _PreparedBuilds:
    """The :class:`_Prepared` sources of a process, by revision; at most one per project:
    an install builds one version of each, and a resolution that tries another version
    lets the first one go (a large sdist's tree can take hundreds of megabytes)."""

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self._kept: dict[str, tuple[str, _Prepared]] = {}

    def keep(self, key: str, name: str, prepared: _Prepared) -> None:
        with self._lock:
            replaced = [self._kept.pop(k)[1] for k, (n, _) in list(self._kept.items())
                        if k == key or n == name]
            self._kept[key] = (name, prepared)
        for old in replaced:
            old.close()

    def take(self, key: str) -> _Prepared:
        """What was kept of revision ``key`` (the caller closes it), or nothing."""
        with self._lock:
            found = self._kept.pop(key, None)
        return _Prepared() if found is None else found[1]

    def release(self) -> None:
        with self._lock:
            kept, self._kept = self._kept, {}
        for _, prepared in kept.values():
            prepared.close()


class PackageBuilds(Protocol):
    """Build options some packages have of their own (``--no-build-isolation-package``,
    ``--config-settings-package``)."""

    def key(self, name: str) -> str | None:
        """The build key of ``name``'s options (see :attr:`SourceDistributions.build_key`);
        ``None`` when it has none of its own."""
        ...

    def builder(self, name: str) -> SourceBuilder:
        """The builder of ``name`` (called only when :meth:`key` is not ``None``)."""
        ...


class SourceDistributions:
    """Metadata and wheels of sources, built as needed and cached by source."""

    def __init__(self, cache: Cache, registry: RegistryClient, *,
                 tags: Sequence[str] | Callable[[], Sequence[str]],
                 builder: Callable[[], SourceBuilder], git: Callable[[], GitSource],
                 build_key: str = "") -> None:
        self.cache = cache
        #: The build options (config settings, isolation) as a key; ``""`` for the defaults.
        self.build_key = build_key
        #: Local projects to build again whatever was built before (``--refresh``,
        #: ``--reinstall`` and their ``-package`` forms); ``None``: none.
        self.rebuild: Refresh | None = None
        #: Local directories (absolute, normalized paths) to build again whatever was built
        #: before: the source trees an install names on its command line, as uv's.
        self.rebuild_trees: frozenset[str] = frozenset()
        #: Hears when builds start and end (see :mod:`pyffin.reporting`).
        self.reporter: Reporter | None = None
        #: What this instance built (:attr:`_Source.built` path, ``metadata``,
        #: ``editable-metadata``, ``wheel`` or ``editable``): never built again.
        self._rebuilt: set[tuple[str, str]] = set()
        self.registry = registry
        #: The tags of the interpreter wheels are built for (the target's, or those of the
        #: interpreter found to build with, known only once something is built).
        self._tags = tags
        self._tag_rank_memo: dict[str, int] | None = None
        self._builder_factory = builder
        self._builder: SourceBuilder | None = None
        self._git_factory = git
        self._git: GitSource | None = None
        # threading's Lock without importing threading: a warm resolution reads built
        # metadata from here and starts no thread.
        self._lock = allocate_lock()
        self._inflight: dict[tuple[str, str], Future[Any]] = {}
        self._commits: dict[str, str] = {}
        #: Packages built with options of their own; ``None``: every package uses the
        #: defaults above.
        self.package_builds: PackageBuilds | None = None
        #: Projects whose wheel the caller installs whatever the resolution (an install's
        #: ``==`` pins): their metadata comes from building that wheel, one run of the
        #: backend, instead of ``prepare_metadata_for_build_wheel`` and a build later.
        self.wheel_for_metadata: Collection[str] = ()
        #: Whether a source whose metadata was read from its tree keeps that tree, and the
        #: build environment that prepared the metadata, for the wheel build that may follow
        #: in this process (an install's; the caller then calls :meth:`release_prepared`):
        #: the archive is unpacked once, the build environment made and the backend's
        #: ``get_requires_for_build_wheel`` run once, as pip does.
        self.keep_prepared = False
        self._prepared = _PreparedBuilds()

    # ------------------------------------------------------------------------- public
    def registry_metadata(self, page: ProjectPage, file: IndexFile) -> CoreMetadata:
        cached = self.cached_registry_metadata(page, file)
        if cached is not None:
            return cached
        source = self._registry_source(page, file)
        return self._once(source, "metadata", lambda: self._metadata(source, page.page.name))

    def cached_registry_metadata(self, page: ProjectPage, file: IndexFile
                                 ) -> CoreMetadata | None:
        """The metadata of an index sdist if the cache has it (no download, no build)."""
        shard = self.built_shard(self._registry_shard(page, file), page.page.name)
        return self._read(shard.entry("metadata.rec"), CoreMetadata)

    def cached_registry_wheel(self, page: ProjectPage, file: IndexFile) -> Path | None:
        """The wheel :meth:`registry_wheel` would give, if it was built before and nothing
        asks to build it again: no download, no build, no lock (an install of wheels built
        earlier needs no I/O pool)."""
        try:
            source = self._registry_source(page, file, download=False)
        except LookupError:
            return None
        return self._compatible_wheel(source)

    def built_registry_wheel(self, page: ProjectPage, file: IndexFile) -> bool:
        """Whether this instance built the wheel of an index sdist (to read its metadata,
        see :attr:`wheel_for_metadata`)."""
        try:
            source = self._registry_source(page, file, download=False)
        except LookupError:
            return False
        return (os.fspath(source.built.path), "wheel") in self._rebuilt

    def registry_wheel(self, page: ProjectPage, file: IndexFile) -> Path:
        source = self._registry_source(page, file)
        return self._once(source, "wheel", lambda: self._wheel(source, page.page.name))

    def registry_archive(self, page: ProjectPage, file: IndexFile) -> Path:
        """The archive of an index's sdist: its revision's copy, downloaded (and checked
        against the index's hash) if the cache lacks it; a local file where it is."""
        source = self._registry_source(page, file)
        archive = source.archive
        assert archive is not None
        if source.fetch is not None and not archive.is_file():
            url, hashes, _ = source.fetch
            self._download_once(url, archive, hashes)
        return archive

    def direct_archive(self, direct: DirectSource) -> Path:
        """The archive of an sdist by URL (its current revision's copy) or on disk."""
        archive = self._unkeyed_direct_source(direct).archive
        if archive is None:
            raise AssertionError(f"not an archive: {direct.url}")
        return archive

    def direct_metadata(self, direct: DirectSource) -> CoreMetadata:
        source = self._direct_source(direct)
        kind = "editable-metadata" if direct.editable else "metadata"
        return self._once(source, kind, lambda: self._metadata(source, None,
                                                               editable=direct.editable))

    def direct_wheel(self, direct: DirectSource) -> Path:
        source = self._direct_source(direct)
        name = source.name or (source.shard.entry("NAME").read() or b"").decode() or None
        if name is not None:  # (its metadata was read first): as uv names it
            shown = (Path(direct.path).absolute().as_uri() if direct.path is not None
                     else redact(direct.url))
            source.label = f"{name} @ {shown}"
        if direct.editable:
            return self._once(source, "editable", lambda: self._editable(source))
        return self._once(source, "wheel", lambda: self._wheel(source, None))

    def git_commit(self, direct: DirectSource) -> str:
        """The commit a git source resolves to (once per process)."""
        assert direct.git is not None
        commit = self._commits.get(direct.url)
        if commit is None:
            commit = self.git.resolve(direct.git)
            with self._lock:
                commit = self._commits.setdefault(direct.url, commit)
        return commit

    def release_prepared(self) -> None:
        """Remove the source trees and build environments kept for wheel builds that did
        not come (see :attr:`keep_prepared`)."""
        self._prepared.release()

    @property
    def git(self) -> GitSource:
        if self._git is None:
            self._git = self._git_factory()
        return self._git

    @property
    def builder(self) -> SourceBuilder:
        if self._builder is None:
            self._builder = self._builder_factory()
        return self._builder

    # ------------------------------------------------------------------------ sources
    def built_shard(self, revision: CacheShard, name: str | None = None) -> CacheShard:
        """Where what is built from ``revision`` (of the project ``name``, if known) with this
        instance's build options lives."""
        key = self.build_key
        if name is not None and self.package_builds is not None:
            own = self.package_builds.key(checked_name(name))
            if own is not None:
                key = own
        return revision.shard(f"build-{key}") if key else revision

    def _keyed(self, source: _Source) -> _Source:
        source.built = self.built_shard(source.shard, source.name)
        return source

    def _builder_of(self, source: _Source) -> SourceBuilder:
        """The builder of ``source``: its package's own, else the default."""
        if source.name is not None and self.package_builds is not None:
            name = checked_name(source.name)
            if self.package_builds.key(name) is not None:
                return self.package_builds.builder(name)
        return self.builder

    def _registry_shard(self, page: ProjectPage, file: IndexFile) -> CacheShard:
        from pyffin.client import hashes

        named = hashes.key(file.hashes)
        key = named[1][:16] if named else digest(file.url)
        parts = source_parts(page)
        return self.cache.shard(CacheBucket.SDISTS, *parts, page.page.name, key)

    def _registry_source(self, page: ProjectPage, file: IndexFile, *, download: bool = True
                         ) -> _Source:
        """``download=False``: :class:`LookupError` when the archive is not in the cache."""
        shard = self._registry_shard(page, file)
        archive = shard.path / file.filename
        if not archive.is_file():
            local = _local_path(file.url)
            if local is not None:
                source = _Source(shard, file.filename, archive=Path(local), hashes=file.hashes)
            elif not download:
                raise LookupError(file.filename)
            else:
                source = _Source(shard, file.filename, archive=archive)
                source.fetch = (file.url, file.hashes, file.size)
        else:
            source = _Source(shard, file.filename, archive=archive)
        source.name = page.page.name
        source = self._keyed(source)
        source.label = _release(page.page.name, file.filename)
        return source

    def _direct_source(self, direct: DirectSource) -> _Source:
        source = self._unkeyed_direct_source(direct)
        if source.directory is not None and self.package_builds is not None:
            source.name = _project_name(source.directory, source.subdirectory)
        return self._keyed(source)

    def _unkeyed_direct_source(self, direct: DirectSource) -> _Source:
        if direct.kind == "git":
            assert direct.git is not None
            commit = self.git_commit(direct)
            shard = self.cache.shard(CacheBucket.SDISTS, "git", repository_key(direct.git),
                                     commit, digest(direct.subdirectory or ""))
            directory = self.git.source_dir(direct.git, commit)
            return _Source(shard, f"{redact(direct.url)} ({commit[:12]})", directory=directory,
                           is_sdist=False)
        if direct.kind == "path":
            assert direct.path is not None
            path = Path(direct.path)
            stamp = _stamp(path, direct.subdirectory)
            shard = self.cache.shard(CacheBucket.SDISTS, "path", path_key(path), stamp)
            if path.is_dir():
                return _Source(shard, str(path), directory=path,
                               subdirectory=direct.subdirectory, is_sdist=False, local=True)
            return _Source(shard, str(path), archive=path, subdirectory=direct.subdirectory,
                           local=True)
        if direct.kind == "sdist-url":
            return self._url_source(direct)
        raise AssertionError(f"not a source distribution: {direct.url}")

    def _url_source(self, direct: DirectSource) -> _Source:
        """A URL archive: its HTTP freshness decides whether the last revision still holds."""
        base = direct.url.partition("#")[0]
        root = self.cache.shard(CacheBucket.SDISTS, "url", url_key(base))
        entry = root.entry("revision.rec")

        def fetch(conditional: Any) -> tuple[Response, _Revision | None]:
            revision_id = os.urandom(8).hex()
            shard = root.shard(revision_id)
            filename = direct.filename or "source"
            target = shard.path / filename
            response = self._download(base, target, direct.hashes, headers=conditional)
            if response.status == 304:
                return response, None
            if not filename.endswith(_ARCHIVE_SUFFIXES):
                target = _rename_by_magic(target)
            log.debug(f"New revision {revision_id} of {redact(base)}")
            return response, _Revision(revision_id, target.name)

        revision = self.registry.cached.fetch(base, entry, _Revision, fetch)
        shard = root.shard(revision.id)
        archive = shard.path / revision.filename
        if not archive.is_file():  # revision record without its archive: fetch afresh
            entry.remove()
            return self._url_source(direct)
        return _Source(shard, redact(base), archive=archive, subdirectory=direct.subdirectory)

    # ------------------------------------------------------------------ metadata, wheels
    def _metadata(self, source: _Source, name: str | None, *, editable: bool = False
                  ) -> CoreMetadata:
        kind = "editable-metadata" if editable else "metadata"
        entry = source.built.entry(f"{kind}.rec")
        cached = self._read(entry, CoreMetadata)
        if cached is not None and not self._stale(source, cached.name, kind):
            return cached
        from pyffin.build import check_cycle

        check_cycle(source.origin)
        with source.shard.lock(f"the build of {source.origin}"):
            cached = self._read(entry, CoreMetadata)
            if cached is not None and not self._stale(source, cached.name, kind):
                return cached
            with ExitStack() as stack:
                tmp = stack.enter_context(self.cache.temp_dir())
                tree = self._tree(source, tmp / "source")
                from pyffin.build import static_metadata

                # An editable's too (as uv): PEP 621 forbids a backend to change what the
                # [project] table states, and PEP 660 an editable's metadata to differ.
                metadata = static_metadata(tree)
                static = metadata is not None
                # What prepared the metadata, kept for the wheel's build (see keep_prepared).
                build: SourceBuild | None = None
                if metadata is None and not editable and name in self.wheel_for_metadata:
                    with self._reporting(source, wheel=True):
                        wheel = self._builder_of(source).build_wheel(tree, tmp / "wheel")
                    metadata = _wheel_metadata(wheel)
                    _check_name(metadata, name, source.origin)
                    self._keep_wheel(source, wheel, metadata)
                elif metadata is None:
                    with self._reporting(source):
                        build = stack.enter_context(self._builder_of(source).setup(
                            tree, "editable" if editable else "wheel"))
                        built = build.metadata(tmp / "metadata")
                    metadata = built.read()
                    if built.wheel is not None and not editable:
                        self._keep_wheel(source, built.wheel, metadata)
                    if built.wheel is not None:  # (the build is done: nothing to keep)
                        build = None
                else:
                    log.debug(f"Read the metadata of {source.origin} without building")
                _check_name(metadata, name, source.origin)
                if self.keep_prepared and not editable and (build is not None or static):
                    self._prepared.keep(os.fspath(source.built.path), checked_name(metadata.name),
                                        _Prepared(stack.pop_all(), tmp, tree, build))
            entry.write(_dumps(metadata))
            self._rebuilt.add((os.fspath(source.built.path), kind))
            source.shard.entry("NAME").write(checked_name(metadata.name).encode())
        return metadata

    def _wheel(self, source: _Source, name: str | None) -> Path:
        # What prepared the metadata (see keep_prepared) goes once this build ends, whether
        # it is used or the wheel is found built.
        with self._prepared.take(os.fspath(source.built.path)) as prepared:
            found = self._compatible_wheel(source)
            if found is not None:
                return found
            from pyffin.build import check_cycle

            check_cycle(source.origin)
            with source.shard.lock(f"the build of {source.origin}"):
                found = self._compatible_wheel(source)  # another process may have built it
                if found is not None:
                    return found
                return self._build_wheel(source, name, prepared)

    def _build_wheel(self, source: _Source, name: str | None, prepared: _Prepared) -> Path:
        with ExitStack() as stack:
            directory, tree, build = prepared.directory, prepared.tree, prepared.build
            if directory is None or tree is None:
                directory = stack.enter_context(self.cache.temp_dir())
                tree = self._tree(source, directory / "source")
            with self._reporting(source, wheel=True):
                if build is not None:  # the one that prepared the metadata: PEP 517's way
                    wheel = build.wheel(directory / "wheel")
                else:
                    wheel = self._builder_of(source).build_wheel(tree, directory / "wheel")
            metadata = _wheel_metadata(wheel)
            _check_name(metadata, name, source.origin)
            kept = self._keep_wheel(source, wheel, metadata)
        source.shard.entry("NAME").write(checked_name(metadata.name).encode())
        known = self._read(source.built.entry("metadata.rec"), CoreMetadata)
        if known is None or self._stale(source, known.name, "metadata"):
            source.built.entry("metadata.rec").write(_dumps(metadata))
            self._rebuilt.add((os.fspath(source.built.path), "metadata"))
        return kept

    def _editable(self, source: _Source) -> Path:
        """An editable wheel (PEP 660) of a local directory, cached per revision."""
        shard = source.built.shard("editable")

        def existing() -> Path | None:
            wheels = sorted(shard.path.glob("*.whl")) if shard.path.is_dir() else []
            if not wheels or self._stale(source, _wheel_name(wheels[0].name), "editable"):
                return None
            return wheels[0]

        found = existing()
        if found is not None:
            return found
        with source.shard.lock(f"the build of {source.origin}"):
            found = existing()
            if found is not None:
                return found
            with self.cache.temp_dir() as tmp:
                tree = self._tree(source, tmp / "source")
                with self._reporting(source, wheel=True):
                    wheel = self._builder_of(source).build_editable(tree, tmp / "wheel")
                shard.path.mkdir(parents=True, exist_ok=True)
                for old in shard.path.glob("*.whl"):  # one rebuilt over it (--reinstall)
                    if old.name != wheel.name:
                        old.unlink()
                target = shard.path / wheel.name
                os.replace(wheel, target)
            self._rebuilt.add((os.fspath(source.built.path), "editable"))
            return target

    def _compatible_wheel(self, source: _Source) -> Path | None:
        manifest = self._read(source.built.entry("manifest.rec"), _Manifest)
        if manifest is None:
            return None
        best: tuple[int, Path] | None = None
        for filename, metadata in manifest.wheels.items():
            if self._stale(source, metadata.name, "wheel"):
                continue
            rank = self._wheel_rank(filename)
            path = source.built.path / filename
            if rank is not None and path.is_file() and (best is None or rank < best[0]):
                best = (rank, path)
        return None if best is None else best[1]

    def _wheel_rank(self, filename: str) -> int | None:
        # Not packaging.utils: it imports packaging.tags (with sysconfig and platform), a
        # large part of what an install of built wheels costs.
        from pyffin.models.wheel import wheel_tags

        parsed = wheel_tags(filename)
        if parsed is None:
            return None
        rank = self._tag_rank
        ranks = [rank[tag] for tag in parsed[1] if tag in rank]
        return min(ranks) if ranks else None

    def _keep_wheel(self, source: _Source, wheel: Path, metadata: CoreMetadata) -> Path:
        """Move a built wheel into the revision and record it in the manifest (atomically)."""
        source.built.path.mkdir(parents=True, exist_ok=True)
        target = source.built.path / wheel.name
        if target.exists() and not self._stale(source, metadata.name, "wheel"):
            # Another build of this very revision finished first; it may hide a bug, so say so.
            log.warn(f"Replacing the existing built wheel {target} (built again from "
                     f"{source.origin})")
        os.replace(wheel, target)
        self._rebuilt.add((os.fspath(source.built.path), "wheel"))
        entry = source.built.entry("manifest.rec")
        manifest = self._read(entry, _Manifest) or _Manifest({})
        manifest.wheels[wheel.name] = metadata
        entry.write(codec.dumps(_Manifest.RECORD_SCHEMA, _Manifest.RECORD_VERSION,
                                manifest.to_record()))
        return target

    # -------------------------------------------------------------------------- helpers
    @contextmanager
    def _reporting(self, source: _Source, *, wheel: bool = False) -> Iterator[None]:
        """Tell the reporter of a build; ``wheel``: of a wheel to install (uv says those)."""
        reporter = self.reporter
        if reporter is None:
            yield
            return
        reporter.on_build_start(source.label)
        if wheel:
            reporter.on_wheel_build(source.label)
        try:
            yield
            if wheel:
                reporter.on_wheel_built(source.label)
        finally:
            reporter.on_build_done(source.label)

    def _stale(self, source: _Source, name: str, kind: str) -> bool:
        """Whether what was built before (``kind``, see :attr:`_rebuilt`) from the local
        ``source`` (project ``name``) must be built again: ``--refresh`` / ``--reinstall``
        asked, or it is one of the :attr:`rebuild_trees`, and this instance has not built it
        yet."""
        if not source.local or (os.fspath(source.built.path), kind) in self._rebuilt:
            return False
        if source.directory is not None and self.rebuild_trees \
                and tree_key(source.directory) in self.rebuild_trees:
            return True
        rebuild = self.rebuild
        return rebuild is not None and (rebuild.all or checked_name(name) in rebuild.packages)

    @property
    def _tag_rank(self) -> dict[str, int]:
        if self._tag_rank_memo is None:
            tags = self._tags() if callable(self._tags) else self._tags
            self._tag_rank_memo = {tag: i for i, tag in enumerate(tags)}
        return self._tag_rank_memo

    def _tree(self, source: _Source, into: Path) -> SourceTree:
        from pyffin.build import SourceTree, prepare_source

        if source.directory is not None:
            tree = prepare_source(source.directory, into, subdirectory=source.subdirectory,
                                  origin=source.origin)
            # A git checkout or local directory is not an sdist: its PKG-INFO is not trusted.
            return SourceTree(tree.root, tree.origin, is_sdist=False)
        assert source.archive is not None
        if source.fetch is not None and not source.archive.is_file():
            streamed = self._download_unpacking(source, into)
            if streamed is not None:
                return streamed
        if source.hashes:
            _check_local_archive(source.archive, source.hashes)
        return prepare_source(source.archive, into, subdirectory=source.subdirectory,
                              origin=source.origin)

    def _download_unpacking(self, source: _Source, into: Path) -> SourceTree | None:
        """Download an index's archive (``source.fetch``) to ``source.archive`` and, a large
        tar, unpack it into ``into`` as it arrives (see :mod:`pyffin.distribution.unpacking`):
        its tree, once the download's hash check has passed; ``None`` when the archive is not
        a large tar (only downloaded then), another thread downloaded it meanwhile, or the
        unpacking failed (``into`` is then empty, for the file to be unpacked the usual
        way)."""
        from pyffin.build.archive import stream_mode
        from pyffin.distribution import unpacking

        target, fetch = source.archive, source.fetch
        assert target is not None and fetch is not None
        url, given, size = fetch
        if size is None or size < unpacking.STREAM_UNPACK_FROM or stream_mode(target.name) is None:
            self._download_once(url, target, given)
            return None
        from pyffin.build import unpacked_source

        unpack = unpacking.StreamingUnpack(target, into, size=size)
        try:
            self._single((os.fspath(target), "download"),
                          lambda: self._download(url, target, given, unpack=unpack), keep=False)
        finally:
            unpacked = unpack.finish()
        if not unpacked:
            return None
        return unpacked_source(target, into, subdirectory=source.subdirectory,
                               origin=source.origin)

    def _download_once(self, url: str, target: Path, given: Iterable[tuple[str, str]]) -> None:
        """:meth:`_download`, one thread at a time per ``target``: a thread that asks for an
        archive another is downloading waits for it (an sdist's metadata and its wheel may be
        asked for at once, in two threads) instead of downloading it a second time."""
        self._single((os.fspath(target), "download"),
                     lambda: self._download(url, target, given), keep=False)

    def _download(self, url: str, target: Path, given: Iterable[tuple[str, str]], *,
                  headers: Any = None, unpack: StreamingUnpack | None = None) -> Response:
        """Stream ``url`` into ``target`` (atomically), checking the strongest of the ``given``
        hashes before the file becomes visible; a 304 answer to ``headers`` writes nothing.
        ``unpack`` is given every byte too, and started again with the download."""
        from pyffin.client import hashes

        shown = redact(url)
        what = target.name
        expected = hashes.to_verify(given, what=what, url=shown, strict=False)
        algorithms = hashes.algorithms(expected)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.urandom(8).hex()}")
        state: dict[str, Any] = {}

        def reset() -> None:
            if "file" in state:
                state["file"].close()
            state["file"] = open(tmp, "wb")  # noqa: SIM115 - closed below
            state["digests"] = hashes.Digests(algorithms)
            if unpack is not None:
                unpack.restart()

        def sink(chunk: bytes) -> None:
            state["file"].write(chunk)
            state["digests"].update(chunk)
            if unpack is not None:
                unpack.write(chunk)

        from pyffin.interrupt import temporary

        reset()
        try:
            with temporary(tmp):
                response = self.registry.cached.http.stream(url, sink, reset, headers=headers,
                                                            not_modified=True)
            state["file"].close()
            if response.status == 304:
                os.unlink(tmp)
                return response
            hashes.check(state["digests"].hexdigests(), expected, (), what=what, url=shown)
            os.replace(tmp, target)
            return response
        except BaseException:
            state["file"].close()
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def _read(self, entry: CacheEntry, record_type: type[R]) -> R | None:
        return self.cache.read_record(entry, lambda data: record_type.from_record(
            codec.loads(data, record_type.RECORD_SCHEMA, record_type.RECORD_VERSION)))

    def _once(self, source: _Source, kind: str, compute: Callable[[], T]) -> T:
        """Run ``compute`` once per process for this revision and kind; other threads wait."""
        return self._single((os.fspath(source.built.path), kind), compute, origin=source.origin)

    def _single(self, key: tuple[str, str], compute: Callable[[], T], *, keep: bool = True,
                origin: str | None = None) -> T:
        """Run ``compute`` in one thread at a time for ``key``; the others wait for its
        outcome. ``keep``: a success answers every later call too (else only the waiters);
        ``origin``: the source being built, checked for a build cycle before waiting."""
        with self._lock:
            future = self._inflight.get(key)
            if future is not None and future.interrupted():
                future = None
            owner = future is None
            if owner:
                future = self._inflight[key] = Future()
        assert future is not None
        if not owner:
            if origin is not None and not future.done():
                from pyffin.build import check_cycle

                check_cycle(origin)
            return future.result()  # type: ignore[no-any-return]
        try:
            future.run(compute)  # waiters get an interruption as Interrupted; it goes on here
        finally:
            if future.failed() or not keep:
                with self._lock:
                    if self._inflight.get(key) is future:
                        del self._inflight[key]  # a later caller tries again
        return future.result()  # type: ignore[no-any-return]


def _dumps(metadata: CoreMetadata) -> bytes:
    return codec.dumps(CoreMetadata.RECORD_SCHEMA, CoreMetadata.RECORD_VERSION,
                       metadata.to_record())


def _release(name: str, filename: str) -> str:
    """``name==version`` of an index's sdist (``{name}-{version}.tar.gz`` or ``.zip``, the
    version normalized), else its filename. (Not ``packaging.utils``, which imports
    ``packaging.tags``.)"""
    from pyffin.models.versions import InvalidVersion, Version

    stem = next((filename[:-len(suffix)] for suffix in (".tar.gz", ".zip")
                 if filename.endswith(suffix)), "")
    _, sep, version = stem.rpartition("-")
    try:
        return f"{name}=={Version(version)}" if sep else filename
    except InvalidVersion:
        return filename


def _wheel_name(filename: str) -> str:
    return filename.partition("-")[0]


def _project_name(directory: Path, subdirectory: str | None) -> str | None:
    """The ``[project] name`` of a project directory's ``pyproject.toml`` (as uv finds the
    package a directory's per-package build options are for); ``None`` when it has none."""
    path = (directory / subdirectory if subdirectory else directory) / "pyproject.toml"
    try:
        from pyffin.toml import loads

        name = loads(path.read_text("utf-8")).get("project", {}).get("name")
        return checked_name(name) if isinstance(name, str) else None
    except (OSError, ValueError, AttributeError):
        return None


def _check_name(metadata: CoreMetadata, name: str | None, origin: str) -> None:
    if name is not None and checked_name(metadata.name) != name:
        raise MetadataError(f"the source {origin} builds {metadata.name} {metadata.version}, "
                            f"not {name}")


def _wheel_metadata(wheel: Path) -> CoreMetadata:
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist()
                   if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(members) != 1:
            raise MetadataError(f"the built wheel {wheel.name} has no single .dist-info/METADATA")
        return CoreMetadata.parse(zf.read(members[0]), source=wheel.name)


def tree_key(path: str | os.PathLike[str]) -> str:
    """How :attr:`SourceDistributions.rebuild_trees` names a local directory."""
    return os.path.normpath(os.path.abspath(path))


def _stamp(path: Path, subdirectory: str | None) -> str:
    """What makes a new revision of a local source: what the project's cache keys name (a
    directory: by default the build files' mtimes, see :mod:`.cache_keys`), or the archive's
    mtime and size."""
    parts = [subdirectory or ""]
    if path.is_dir():
        from pyffin.distribution.cache_keys import cache_key_stamp

        parts += cache_key_stamp(path / subdirectory if subdirectory else path)
    else:
        st = os.stat(path)
        parts.append(f"{st.st_mtime_ns}:{st.st_size}")
    return digest("|".join(parts))


def _check_local_archive(path: Path, given: Sequence[tuple[str, str]]) -> None:
    """A local sdist listed with hashes (a ``file://`` index) is checked before it is used."""
    from pyffin.client import hashes

    expected = hashes.to_verify(given, what=path.name, url=str(path), strict=False)
    if expected:
        actual = hashes.read_file(path, hashes.algorithms(expected))
        hashes.check(actual, expected, (), what=path.name, url=str(path))


def _rename_by_magic(path: Path) -> Path:
    """Give a downloaded archive with an unhelpful name (``download?id=3``) the suffix its
    content says, so it can be unpacked."""
    with open(path, "rb") as f:
        head = f.read(8)
    for magic, suffix in _ARCHIVE_MAGIC:
        if head.startswith(magic):
            target = path.with_name(f"source{suffix}")
            os.replace(path, target)
            return target
    from pyffin.build import ArchiveError

    raise ArchiveError(f"{path.name} is not a source archive this frontend can unpack "
                       "(.tar.gz, .zip, .tar.bz2, .tar.xz)")


def _local_path(url: str) -> str | None:
    if url.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(url).path)
    return None
