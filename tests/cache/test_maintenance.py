"""``clean``, ``prune`` and ``size`` remove exactly what they promise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyffin.cache import Cache, CacheBucket, CacheEntry, maintenance


def _archive(cache: Cache, pointer: CacheEntry, content: str = "x") -> Path:
    with cache.temp_dir() as tmp:
        (tmp / "module.py").write_text(content)
        return cache.persist(tmp, pointer)


def _populate(cache: Cache, name: str) -> Path:
    cache.entry(CacheBucket.SIMPLE, "pypi", f"{name}.bin").write(b"page")
    cache.entry(CacheBucket.SIMPLE, "index", "0123456789abcdef", f"{name}.bin").write(b"page")
    # An index's wheel entries share its directory, named after the wheel's filename.
    stem = f"{name.replace('-', '_')}-1.0-py3-none-any"
    cache.entry(CacheBucket.WHEELS, "pypi", f"{stem}.rec").write(b"meta")
    cache.shard(CacheBucket.SDISTS, "pypi", name, "rev").entry("manifest").write(b"m")
    return _archive(cache, cache.entry(CacheBucket.WHEELS, "pypi", f"{stem}.archive"))


def test_clean_package_removes_its_entries_in_every_bucket_and_its_archives(cache: Cache) -> None:
    flask_archive = _populate(cache, "flask")
    click_archive = _populate(cache, "click")
    usage = maintenance.clean_package(cache, "Flask")
    assert usage.files == 6  # 2 pages, metadata, manifest, pointer, archived file
    assert not flask_archive.exists()
    assert click_archive.exists()
    remaining = sorted(str(p.relative_to(cache.root)) for p in cache.root.rglob("*")
                       if p.is_file() and "flask" in p.name)
    assert remaining == []
    assert cache.entry(CacheBucket.SIMPLE, "pypi", "click.bin").read() == b"page"


def test_clean_package_does_not_touch_similar_names(cache: Cache) -> None:
    _populate(cache, "flask")
    _populate(cache, "flask-login")
    maintenance.clean_package(cache, "flask")
    assert cache.entry(CacheBucket.SIMPLE, "pypi", "flask-login.bin").read() == b"page"


def test_clean_package_finds_wheel_entries_by_the_project_their_filename_names(
        cache: Cache) -> None:
    doomed = [
        ("pypi", "Foo.Bar-1.0-py2.py3-none-any-0123456789abcdef.rec"),  # an old wheel's spelling
        ("index", "0123456789abcdef", "foo_bar-2.0-py3-none-any.archive"),
        ("url", "fedcba9876543210", "foo_bar-2.0-py3-none-any.whl"),  # a find-links page's
    ]
    kept = [
        ("pypi", "foo-1.0-py3-none-any.rec"),  # a name that is a prefix of the project's
        ("pypi", "foo_bar_baz-1.0-py3-none-any.rec"),  # one the project's is a prefix of
        ("index", "0123456789abcdef", "foo-2.0-py3-none-any.archive"),
        ("pypi", ".foo_bar-1.0-py3-none-any.rec.tmp-0123456789abcdef"),  # prune's to remove
    ]
    for parts in (*doomed, *kept):
        cache.entry(CacheBucket.WHEELS, *parts).write(b"x")
    local = cache.entry(CacheBucket.WHEELS, "path", "0123456789abcdef", "foo-bar", "w.rec")
    local.write(b"x")

    maintenance.clean_package(cache, "foo-bar")

    def there(parts: tuple[str, ...]) -> bool:
        return cache.entry(CacheBucket.WHEELS, *parts).path.exists()

    assert [parts for parts in doomed if there(parts)] == []
    assert [parts for parts in kept if not there(parts)] == []
    assert not local.path.exists()


def test_clean_package_refuses_names_that_are_paths(cache: Cache) -> None:
    with pytest.raises(ValueError):
        maintenance.clean_package(cache, "../..")


def test_clean_all_keeps_the_cache_markers(cache: Cache) -> None:
    _populate(cache, "flask")
    usage = maintenance.clean_all(cache)
    assert usage.files >= 5
    assert sorted(p.name for p in cache.root.iterdir()) == [".gitignore", ".lock", "CACHEDIR.TAG"]


def test_prune_removes_only_what_nothing_uses(cache: Cache) -> None:
    kept = _populate(cache, "flask")
    replaced_pointer = cache.entry(CacheBucket.WHEELS, "pypi", "click-1.0-py3-none-any.archive")
    old = _archive(cache, replaced_pointer, "old")
    new = _archive(cache, replaced_pointer, "new")
    (cache.root / "simple-v-1").mkdir()  # a bucket of an older format
    (cache.root / "simple-v-1" / "x.json").write_text("{}")
    (cache.root / "wheels-v99").mkdir()  # not current: also old
    stale_temp = cache.entry(CacheBucket.SIMPLE, "pypi", ".flask.bin.tmp-0123456789abcdef")
    stale_temp.write(b"half")
    (cache.root / ".tmp" / "leftover").mkdir(parents=True)
    (cache.bucket(CacheBucket.BUILDS) / "env").mkdir(parents=True)
    (cache.root / "not-a-bucket").mkdir()

    maintenance.prune(cache)

    assert kept.exists() and new.exists() and not old.exists()
    assert not (cache.root / "simple-v-1").exists() and not (cache.root / "wheels-v99").exists()
    assert not stale_temp.path.exists()
    assert list((cache.root / ".tmp").iterdir()) == []
    assert list(cache.bucket(CacheBucket.BUILDS).iterdir()) == []
    assert (cache.root / "not-a-bucket").exists()
    assert cache.entry(CacheBucket.SIMPLE, "pypi", "flask.bin").read() == b"page"


def test_prune_of_a_tidy_cache_removes_nothing(cache: Cache) -> None:
    _populate(cache, "flask")
    assert maintenance.prune(cache).files == 0


def test_size_counts_hard_links_once(cache: Cache) -> None:
    f = cache.entry(CacheBucket.SIMPLE, "pypi", "a.bin")
    f.write(b"x" * 1000)
    before = maintenance.size(cache)
    os.link(f.path, f.path.with_name("b.bin"))
    after = maintenance.size(cache)
    assert after.files == before.files + 1
    assert after.bytes == before.bytes


def test_removing_read_only_trees_works(cache: Cache) -> None:
    pointer = cache.entry(CacheBucket.WHEELS, "pypi", "ro-1.0-py3-none-any.archive")
    archive = _archive(cache, pointer)
    (archive / "module.py").chmod(0o444)
    archive.chmod(0o555)
    maintenance.clean_package(cache, "ro")
    assert not archive.exists()


def test_prune_keeps_files_that_merely_look_temporary(cache: Cache) -> None:
    checkout = cache.shard(CacheBucket.GIT, "checkouts", "0123456789abcdef", "c0ffee").path
    checkout.mkdir(parents=True)
    (checkout / ".config.tmp-0123456789abcdef").write_text("a file of the project")
    source = cache.shard(CacheBucket.SDISTS, "pypi", "foo", "rev").path
    source.mkdir(parents=True)
    (source / "notes.tmp-draft").write_text("a file of the sdist")
    maintenance.prune(cache)
    assert (checkout / ".config.tmp-0123456789abcdef").exists()
    assert (source / "notes.tmp-draft").exists()


def test_clean_package_finds_source_revisions_by_their_name_file(cache: Cache) -> None:
    for kind, parts in [("url", ("url", "0123456789abcdef", "rev1")),
                        ("git", ("git", "0123456789abcdef", "c0ffee", "fedcba9876543210")),
                        ("path", ("path", "0123456789abcdef", "stamp"))]:
        shard = cache.shard(CacheBucket.SDISTS, *parts)
        shard.entry("NAME").write(b"flask")
        shard.entry("metadata.rec").write(kind.encode())
    other = cache.shard(CacheBucket.SDISTS, "url", "fedcba9876543210", "rev")
    other.entry("NAME").write(b"click")
    usage = maintenance.clean_package(cache, "flask")
    assert usage.files == 6
    assert other.entry("NAME").read() == b"click"
