"""Source distributions: metadata and wheels built from them, cached per source revision.

The frontend is a fake (:mod:`tests.distribution.fakes`): what is specified here is what the
cache keeps — the built-wheel manifest of a revision, which revision a source is at (its HTTP
freshness, its files' mtimes, the index's hash), and that each thing is built once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyffin.build import BuildError
from pyffin.cache import Cache
from pyffin.client.errors import HashMismatchError
from pyffin.client.registry import RegistryClient, connect
from pyffin.distribution.sdist import SourceDistributions
from pyffin.models.direct import parse_direct
from pyffin.models.files import IndexFile, ProjectPage
from pyffin.settings import IndexSettings
from tests.distribution.fakes import FakeBuilder, no_git
from tests.support.dists import SdistSpec, build_sdist, write_source_tree
from tests.support.index import IndexServer


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache(tmp_path / "cache") as c:
        yield c


def unbuildable() -> Any:
    raise AssertionError("nothing may be built from an unverified sdist")


def unbuildable_sdist(cache: Cache, index_url: str, name: str
                      ) -> tuple[SourceDistributions, ProjectPage, IndexFile]:
    """Sources that may build nothing, and ``name``'s 1.0 sdist on the index."""
    registry = connect(cache, IndexSettings(index_url=index_url))
    sources = SourceDistributions(cache, registry, tags=(), builder=unbuildable,
                                  git=unbuildable)
    [page] = registry.project(name)
    [file] = page.page.sdists("1.0")
    return sources, page, file


@pytest.mark.parametrize("algorithm", ["sha512", "sha384", "sha3_512"])
def test_an_sdist_listed_only_with_another_algorithm_is_verified_with_it(
        cache: Cache, index_server: IndexServer, algorithm: str) -> None:
    sdist = index_server.add_sdist(SdistSpec("bar", "1.0"))
    size = len(hashlib.new(algorithm, b"").hexdigest())
    index_server.set_hashes(sdist.name, {algorithm: "0" * size})
    sources, page, file = unbuildable_sdist(cache, index_server.index_url, "bar")
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for {sdist.name} .*the index "
                                                rf"says {algorithm}:0+"):
        sources.registry_metadata(page, file)


def test_a_local_sdist_listed_with_a_hash_is_verified_before_it_is_unpacked(
        cache: Cache, dist_dir: Path, tmp_path: Path) -> None:
    from tests.support.dists import build_sdist

    sdist = build_sdist(SdistSpec("bar", "1.0"), dist_dir)
    page_dir = tmp_path / "simple" / "bar"
    page_dir.mkdir(parents=True)
    (page_dir / "index.html").write_text(
        f'<a href="{sdist.as_uri()}#sha512={"0" * 128}">{sdist.name}</a>\n')
    sources, page, file = unbuildable_sdist(cache, (tmp_path / "simple").as_uri(), "bar")
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for {sdist.name} .*sha512:0+"):
        sources.registry_metadata(page, file)


# ----------------------------------------------------------------------- built-wheel manifest
def sources_for(cache: Cache, server: IndexServer, builder: FakeBuilder,
                tags: tuple[str, ...] = ("py3-none-any",)) -> SourceDistributions:
    """A fresh SourceDistributions (and registry client): what a new process starts with."""
    registry = connect(cache, IndexSettings(index_url=server.index_url))
    return SourceDistributions(cache, registry, tags=tags, builder=lambda: builder,
                               git=no_git)


def sdist_of(sources: SourceDistributions, name: str = "bar") -> tuple[ProjectPage, IndexFile]:
    registry: RegistryClient = sources.registry
    [page] = registry.project(name)
    [file] = page.page.sdists("1.0")
    return page, file


@pytest.fixture
def bar(index_server: IndexServer) -> Path:
    return index_server.add_sdist(SdistSpec("bar", "1.0"))


def test_an_archive_asked_for_by_two_threads_at_once_is_downloaded_once(
        cache: Cache, index_server: IndexServer, bar: Path) -> None:
    # An install's early build of a pinned sdist's wheel and the resolution's read of its
    # metadata start together: the second waits for the first one's download.
    import threading

    builder = FakeBuilder()
    sources = sources_for(cache, index_server, builder)
    page, file = sdist_of(sources)
    index_server.delay(f"/files/{file.filename}", 0.3)
    errors: list[BaseException] = []

    def ask(call: Any) -> None:
        try:
            call(page, file)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(call,))
               for call in (sources.registry_metadata, sources.registry_wheel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert index_server.count(f"/files/{file.filename}") == 1


def test_a_built_wheel_is_kept_in_its_revisions_manifest_and_never_built_again(
        cache: Cache, index_server: IndexServer, bar: Path) -> None:
    builder = FakeBuilder()
    wheel = sources_for(cache, index_server, builder).registry_wheel(
        *sdist_of(sources_for(cache, index_server, builder)))
    assert builder.wheels == 1
    manifest = wheel.parent / "manifest.rec"
    assert manifest.is_file() and wheel.name == "bar-1.0-py3-none-any.whl"
    assert (wheel.parent / "NAME").read_text() == "bar"

    again = sources_for(cache, index_server, builder)  # another process, same cache
    assert again.registry_wheel(*sdist_of(again)) == wheel
    assert builder.wheels == 1


def test_a_wheel_built_for_other_tags_is_kept_but_not_used(cache: Cache,
                                                            index_server: IndexServer,
                                                            bar: Path) -> None:
    pure = FakeBuilder()
    first = sources_for(cache, index_server, pure)
    pure_wheel = first.registry_wheel(*sdist_of(first))

    linux_tag = "cp312-cp312-linux_x86_64"
    native = FakeBuilder(tags=[linux_tag])
    other = sources_for(cache, index_server, native, tags=(linux_tag,))
    native_wheel = other.registry_wheel(*sdist_of(other))
    assert native.wheels == 1 and native_wheel.name == f"bar-1.0-{linux_tag}.whl"
    assert native_wheel.parent == pure_wheel.parent  # one revision, two built wheels

    # Both are in the manifest: each target finds its own, the best-ranked one first.
    both = sources_for(cache, index_server, FakeBuilder(), tags=(linux_tag, "py3-none-any"))
    assert both.registry_wheel(*sdist_of(both)) == native_wheel
    again = sources_for(cache, index_server, pure)
    assert again.registry_wheel(*sdist_of(again)) == pure_wheel
    assert pure.wheels == 1


def test_a_wheel_in_the_manifest_but_gone_from_disk_is_built_again(
        cache: Cache, index_server: IndexServer, bar: Path) -> None:
    builder = FakeBuilder()
    sources = sources_for(cache, index_server, builder)
    wheel = sources.registry_wheel(*sdist_of(sources))
    wheel.unlink()
    again = sources_for(cache, index_server, builder)
    assert again.registry_wheel(*sdist_of(again)) == wheel
    assert wheel.is_file() and builder.wheels == 2


def test_one_process_builds_a_revision_once_however_many_threads_ask(
        cache: Cache, index_server: IndexServer, bar: Path) -> None:
    import threading

    builder = FakeBuilder()
    builder.gate = threading.Event()
    sources = sources_for(cache, index_server, builder)
    page, file = sdist_of(sources)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(sources.registry_wheel(page, file)))
               for _ in range(4)]
    threads[0].start()
    assert builder.started.wait(timeout=30)
    for thread in threads[1:]:
        thread.start()
    builder.gate.set()
    for thread in threads:
        thread.join(timeout=30)
    assert builder.wheels == 1
    assert len(results) == 4 and len(set(results)) == 1


# ------------------------------------------------------------------------------- metadata
def test_static_metadata_needs_no_build_and_dynamic_metadata_is_built_once(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.add_sdist(SdistSpec("bar", "1.0", requires_dist=["dep"]))
    index_server.add_sdist(SdistSpec("baz", "1.0", dynamic=["Requires-Dist"],
                                      static_pyproject=False))
    builder = FakeBuilder()
    sources = sources_for(cache, index_server, builder)
    assert sources.registry_metadata(*sdist_of(sources, "bar")).requires_dist == ("dep",)
    assert (builder.metadata, builder.wheels) == (0, 0)

    built = sources.registry_metadata(*sdist_of(sources, "baz"))
    assert built.requires_dist == ("dep-from-the-backend",) and builder.metadata == 1
    again = sources_for(cache, index_server, builder)
    assert again.cached_registry_metadata(*sdist_of(again, "baz")) == built
    assert again.registry_metadata(*sdist_of(again, "baz")) == built
    assert builder.metadata == 1


def test_the_metadata_of_a_project_to_install_comes_from_its_wheel_built_once(
        cache: Cache, index_server: IndexServer) -> None:
    index_server.add_sdist(SdistSpec("baz", "1.0", dynamic=["Requires-Dist"],
                                      static_pyproject=False))
    builder = FakeBuilder()
    sources = sources_for(cache, index_server, builder)
    sources.wheel_for_metadata = {"baz"}
    page, file = sdist_of(sources, "baz")
    assert not sources.built_registry_wheel(page, file)
    metadata = sources.registry_metadata(page, file)
    # One build of the wheel, no prepare_metadata hook: the install then finds the wheel.
    assert (builder.metadata, builder.wheels) == (0, 1) and metadata.name == "baz"
    assert sources.built_registry_wheel(page, file)
    wheel = sources.registry_wheel(page, file)
    assert builder.wheels == 1 and wheel.name == "baz-1.0-py3-none-any.whl"
    assert sources.cached_registry_metadata(page, file) == metadata


# ------------------------------------------------------------------------------ freshness
def test_a_fresh_url_sdist_is_not_even_asked_for_again(cache: Cache,
                                                      index_server: IndexServer) -> None:
    sdist = index_server.add_sdist(SdistSpec("bar", "1.0"))
    direct = parse_direct(index_server.file_url(sdist.name))
    builder = FakeBuilder()
    wheel = sources_for(cache, index_server, builder).direct_wheel(direct)
    assert sources_for(cache, index_server, builder).direct_wheel(direct) == wheel
    assert index_server.count(f"/files/{sdist.name}") == 1 and builder.wheels == 1


def test_a_url_sdist_is_rebuilt_only_when_the_server_says_it_changed(
        cache: Cache, index_server: IndexServer, tmp_path: Path) -> None:
    index_server.set_max_age(0, "/files/")  # always stale: every use revalidates
    sdist = index_server.add_sdist(SdistSpec("bar", "1.0"))
    direct = parse_direct(index_server.file_url(sdist.name))
    path = f"/files/{sdist.name}"
    builder = FakeBuilder()
    wheel = sources_for(cache, index_server, builder).direct_wheel(direct)

    # Not modified (304): the same revision and its wheel.
    assert sources_for(cache, index_server, builder).direct_wheel(direct) == wheel
    assert index_server.count(path) == 2 and builder.wheels == 1

    # Changed upstream: a new revision, built again.
    changed = build_sdist(SdistSpec("bar", "1.0", files={"bar/__init__.py": "NEW = 1\n"}),
                          tmp_path / "changed")
    index_server.replace_file(changed)
    rebuilt = sources_for(cache, index_server, builder).direct_wheel(direct)
    assert builder.wheels == 2 and rebuilt.parent != wheel.parent


def test_a_local_directory_gets_a_new_revision_when_its_build_files_change(
        cache: Cache, index_server: IndexServer, tmp_path: Path) -> None:
    import os

    project = write_source_tree(SdistSpec("bar", "1.0"), tmp_path / "bar")
    direct = parse_direct(project.as_uri())
    builder = FakeBuilder()
    wheel = sources_for(cache, index_server, builder).direct_wheel(direct)
    assert sources_for(cache, index_server, builder).direct_wheel(direct) == wheel
    assert builder.wheels == 1

    (project / "bar" / "__init__.py").write_text("X = 2\n")  # not a build file: same revision
    assert sources_for(cache, index_server, builder).direct_wheel(direct) == wheel
    st = os.stat(project / "pyproject.toml")
    os.utime(project / "pyproject.toml", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    rebuilt = sources_for(cache, index_server, builder).direct_wheel(direct)
    assert builder.wheels == 2 and rebuilt.parent != wheel.parent


@pytest.mark.parametrize("filename,label", [
    ("python-dateutil-2.9.0.post0.tar.gz", "python-dateutil==2.9.0.post0"),
    ("Foo-1.0.POST1.zip", "foo==1.0.post1"),  # the version normalized
    ("foo-1.0.tar.bz2", "foo-1.0.tar.bz2"),  # not an sdist filename: as it is
    ("foo.tar.gz", "foo.tar.gz"),
    ("foo-not.a.version.tar.gz", "foo-not.a.version.tar.gz"),
])
def test_an_index_sdist_is_labelled_by_its_release(filename: str, label: str) -> None:
    from pyffin.distribution.sdist import _release

    assert _release("foo" if filename[0] in "Ff" else "python-dateutil", filename) == label


# ------------------------------------------------------------ unpacked as it is downloaded
@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every index tar sdist counts as large (unpacked as it downloads); the names of the
    archives unpacked from their files instead."""
    from pyffin.build import archive
    from pyffin.distribution import unpacking

    monkeypatch.setattr(unpacking, "STREAM_UNPACK_FROM", 0)
    from_files: list[str] = []
    real_untar = archive._untar

    def untar(path: Path, *args: Any) -> None:
        from_files.append(path.name)
        real_untar(path, *args)

    monkeypatch.setattr(archive, "_untar", untar)
    return from_files


class TreeBuilder(FakeBuilder):
    """Also keeps the files of each tree it builds from."""

    def __init__(self) -> None:
        super().__init__()
        self.trees: list[dict[str, bytes]] = []

    def read_metadata_from(self, tree: Any) -> None:
        self.trees.append({p.relative_to(tree.root).as_posix(): p.read_bytes()
                           for p in sorted(tree.root.rglob("*")) if p.is_file()})


def _dynamic_bar(index_server: IndexServer) -> Path:
    files = {f"bar/m{i}.py": f"x = {i}\n" * 300 for i in range(20)}
    return index_server.add_sdist(SdistSpec("bar", "1.0", files=files, dynamic=["Requires-Dist"],
                                            static_pyproject=False))


def _files_of(sdist: Path) -> dict[str, bytes]:
    """The regular files of an sdist, by their names under its top-level directory."""
    import tarfile

    with tarfile.open(sdist) as tf:
        return {member.name.partition("/")[2]: tf.extractfile(member).read()  # type: ignore[union-attr]
                for member in tf if member.isfile()}


@pytest.mark.parametrize("broken", [False, True], ids=["in one go", "retried"])
def test_a_large_sdist_is_built_from_what_its_download_unpacked(
        cache: Cache, index_server: IndexServer, streamed: list[str], broken: bool) -> None:
    sdist = _dynamic_bar(index_server)
    builder = TreeBuilder()
    sources = sources_for(cache, index_server, builder)
    page, file = sdist_of(sources)
    if broken:  # the first download breaks off halfway: the unpacking starts over with it
        index_server.truncate(f"/files/{file.filename}", sdist.stat().st_size // 2, times=1)
    downloads = 2 if broken else 1

    metadata = sources.registry_metadata(page, file)

    assert metadata.requires_dist == ("dep-from-the-backend",)
    assert builder.trees == [_files_of(sdist)]
    assert streamed == []  # the downloaded file was not read again
    assert index_server.count(f"/files/{file.filename}") == downloads
    # The archive is kept: a later build in another process downloads nothing.
    again = sources_for(cache, index_server, builder)
    again.registry_wheel(*sdist_of(again))
    assert index_server.count(f"/files/{file.filename}") == downloads
    assert streamed == [file.filename]


def test_a_large_sdist_with_the_wrong_hash_is_neither_kept_nor_built(
        cache: Cache, index_server: IndexServer, streamed: list[str]) -> None:
    sdist = _dynamic_bar(index_server)
    index_server.set_hashes(sdist.name, {"sha256": "0" * 64})
    sources, page, file = unbuildable_sdist(cache, index_server.index_url, "bar")

    with pytest.raises(HashMismatchError, match=rf"hash mismatch for {sdist.name}"):
        sources.registry_metadata(page, file)

    assert not list(cache.root.rglob(sdist.name))


def test_a_hostile_large_sdist_is_refused_as_its_file_would_be(
        cache: Cache, index_server: IndexServer, streamed: list[str], tmp_path: Path) -> None:
    import io
    import tarfile

    from pyffin.build import UnsafeArchiveError

    archive = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in (("evil-1.0/setup.py", b""), ("evil-1.0/../../evil.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    index_server.add_file(archive, project="evil")
    sources, page, file = unbuildable_sdist(cache, index_server.index_url, "evil")

    with pytest.raises(UnsafeArchiveError, match=r"evil-1\.0\.tar\.gz: entry .*'\.\.'"):
        sources.registry_metadata(page, file)

    assert streamed == ["evil-1.0.tar.gz"]  # refused in the child, then from the file
    assert not list(tmp_path.rglob("evil.txt"))


def test_a_large_zip_sdist_is_unpacked_after_its_download(
        cache: Cache, index_server: IndexServer, streamed: list[str]) -> None:
    index_server.add_sdist(SdistSpec("bar", "1.0", format="zip", dynamic=["Requires-Dist"],
                                     static_pyproject=False))
    builder = TreeBuilder()
    sources = sources_for(cache, index_server, builder)

    metadata = sources.registry_metadata(*sdist_of(sources))

    assert metadata.requires_dist == ("dep-from-the-backend",)
    assert len(builder.trees) == 1


# ----------------------------------------------------------- kept from metadata to wheel
@pytest.fixture
def unpacked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the archives unpacked (from their files), in order."""
    from pyffin.build import source

    names: list[str] = []
    real = source.unpack_archive

    def unpack(archive: Path, into: Path) -> None:
        names.append(archive.name)
        real(archive, into)

    monkeypatch.setattr(source, "unpack_archive", unpack)
    return names


def temporary_directories(cache: Cache) -> list[Path]:
    from pyffin.cache.core import TEMP_DIRNAME

    parent = cache.root / TEMP_DIRNAME
    return sorted(parent.iterdir()) if parent.is_dir() else []


def installing(cache: Cache, server: IndexServer, builder: FakeBuilder) -> SourceDistributions:
    """Sources as an install has them: what read a source's metadata is kept for its wheel."""
    sources = sources_for(cache, server, builder)
    sources.keep_prepared = True
    return sources


@pytest.fixture
def baz(index_server: IndexServer) -> Path:
    """An sdist whose dependencies only its backend tells (its metadata is prepared)."""
    return index_server.add_sdist(SdistSpec("baz", "1.0", dynamic=["Requires-Dist"],
                                            static_pyproject=False))


def prepared(cache: Cache, server: IndexServer, builder: FakeBuilder
             ) -> tuple[SourceDistributions, ProjectPage, IndexFile]:
    """An install's sources, baz's metadata read."""
    sources = installing(cache, server, builder)
    page, file = sdist_of(sources, "baz")
    sources.registry_metadata(page, file)
    return sources, page, file


def test_an_install_builds_the_wheel_where_its_metadata_was_prepared(
        cache: Cache, index_server: IndexServer, baz: Path, unpacked: list[str]) -> None:
    builder = FakeBuilder()
    sources, page, file = prepared(cache, index_server, builder)
    assert (builder.metadata, builder.environments, builder.open_environments) == (1, 1, 1)
    [kept] = temporary_directories(cache)

    wheel = sources.registry_wheel(page, file)

    assert wheel.name == "baz-1.0-py3-none-any.whl" and builder.wheels == 1
    # The environment that prepared the metadata built the wheel, in the same tree: the
    # archive was unpacked once.
    assert builder.environments == 1 and unpacked == [file.filename]
    assert builder.wheel_trees[0].is_relative_to(kept)
    assert builder.open_environments == 0 and temporary_directories(cache) == []


def test_a_tree_read_for_its_static_metadata_is_kept_for_the_wheel_build(
        cache: Cache, index_server: IndexServer, bar: Path, unpacked: list[str]) -> None:
    builder = FakeBuilder()
    sources = installing(cache, index_server, builder)
    page, file = sdist_of(sources)

    sources.registry_metadata(page, file)
    assert (builder.metadata, builder.environments) == (0, 0)
    sources.registry_wheel(page, file)

    assert (builder.wheels, builder.environments, unpacked) == (1, 1, [file.filename])
    assert temporary_directories(cache) == []


def test_a_compile_keeps_nothing_once_the_metadata_is_read(
        cache: Cache, index_server: IndexServer, baz: Path, unpacked: list[str]) -> None:
    builder = FakeBuilder()
    sources = sources_for(cache, index_server, builder)
    page, file = sdist_of(sources, "baz")

    sources.registry_metadata(page, file)

    assert builder.open_environments == 0 and temporary_directories(cache) == []
    sources.registry_wheel(page, file)  # (pip wheel, say): unpacked and set up again
    assert builder.environments == 2 and unpacked == [file.filename] * 2


def test_preparing_another_version_lets_the_first_one_go(
        cache: Cache, index_server: IndexServer) -> None:
    for version in ("1.0", "2.0"):
        index_server.add_sdist(SdistSpec("baz", version, dynamic=["Requires-Dist"],
                                         static_pyproject=False))
    builder = FakeBuilder()
    sources = installing(cache, index_server, builder)
    [page] = sources.registry.project("baz")

    for version in ("2.0", "1.0"):  # as a resolution that backtracks
        [file] = page.page.sdists(version)
        sources.registry_metadata(page, file)

    assert builder.environments == 2 and builder.open_environments == 1
    assert len(temporary_directories(cache)) == 1
    sources.registry_wheel(page, file)
    assert builder.environments == 2 and temporary_directories(cache) == []


def test_what_no_wheel_build_took_is_removed_when_released(
        cache: Cache, index_server: IndexServer, baz: Path) -> None:
    builder = FakeBuilder()
    sources, _, _ = prepared(cache, index_server, builder)

    sources.release_prepared()

    assert builder.open_environments == 0 and temporary_directories(cache) == []


def test_a_kept_build_goes_when_another_process_built_the_wheel_meanwhile(
        cache: Cache, index_server: IndexServer, baz: Path) -> None:
    builder = FakeBuilder()
    sources, page, file = prepared(cache, index_server, builder)
    other = sources_for(cache, index_server, builder)
    built = other.registry_wheel(*sdist_of(other, "baz"))

    assert sources.registry_wheel(page, file) == built

    assert builder.wheels == 1
    assert builder.open_environments == 0 and temporary_directories(cache) == []


def test_a_failed_wheel_build_still_removes_what_was_kept(
        cache: Cache, index_server: IndexServer, baz: Path) -> None:

    builder = FakeBuilder()
    sources, page, file = prepared(cache, index_server, builder)
    builder.failure = BuildError("the backend failed")

    with pytest.raises(BuildError, match="the backend failed"):
        sources.registry_wheel(page, file)

    assert builder.open_environments == 0 and temporary_directories(cache) == []


def test_a_source_whose_wheel_was_built_to_read_its_metadata_keeps_nothing(
        cache: Cache, index_server: IndexServer, baz: Path, unpacked: list[str]) -> None:
    # A backend without prepare_metadata_for_build_wheel: the wheel built to read the
    # metadata goes into the revision, and its build is over. (One for other tags than
    # this target's is then built again, as before.)
    builder = FakeBuilder(tags=["cp312-cp312-linux_x86_64"])
    builder.prepare_hook = False
    sources = installing(cache, index_server, builder)
    page, file = sdist_of(sources, "baz")

    sources.registry_metadata(page, file)
    assert builder.wheels == 1 and builder.open_environments == 0
    assert temporary_directories(cache) == []
    builder.tags = ["py3-none-any"]
    wheel = sources.registry_wheel(page, file)

    assert wheel.name == "baz-1.0-py3-none-any.whl" and builder.wheels == 2
    assert unpacked == [file.filename] * 2 and temporary_directories(cache) == []
