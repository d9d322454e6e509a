"""The files of distributions themselves — the ``.whl`` or sdist archive, not its unzipped
contents — for ``pyffin pip download`` and ``pyffin pip wheel``.

An index's wheel is downloaded once into the cache, next to its metadata
(``wheels-v1/<index>/<wheel filename>``, where a full download made to read metadata is
kept too), checked against the index's hash before it appears there; a later command copies it
from the cache instead of downloading it again (checking it again: a damaged copy is a miss).
An index's sdist is the archive its revision in ``sdists-v0`` keeps (see
:mod:`pyffin.distribution.sdist`), downloaded once and shared with its builds. Local files are
used where they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pyffin import log
from pyffin.cache import CacheBucket, url_key
from pyffin.cache.keys import source_parts
from pyffin.client import hashes
from pyffin.client.errors import HashMismatchError
from pyffin.errors import NotSupportedError
from pyffin.models.urls import redact

if TYPE_CHECKING:
    from pyffin.cache import Cache
    from pyffin.client.registry import RegistryClient
    from pyffin.distribution.database import FetchReporter
    from pyffin.distribution.sdist import SourceDistributions
    from pyffin.models.direct import DirectSource
    from pyffin.models.dist import Distribution


class DistributionFiles:
    """Where the file of a distribution is on this machine, fetched into the cache if need
    be."""

    def __init__(self, cache: Cache, registry: RegistryClient,
                 sources: SourceDistributions | None, reporter: FetchReporter | None = None
                 ) -> None:
        self.cache = cache
        self.registry = registry
        self.sources = sources
        self.reporter = reporter
        #: Files downloaded by this instance (for counts and tests).
        self.downloaded = 0

    def path(self, dist: Distribution) -> Path | None:
        """The distribution's file; ``None`` for a local directory (it has no file)."""
        if dist.direct is not None:
            direct = dist.direct
            if direct.kind == "git":
                raise NotSupportedError(
                    f"the git source {redact(direct.url)} has no archive to check "
                    "(see git_archive)")
            if direct.kind == "path":
                assert direct.path is not None
                return None if direct.is_directory else Path(direct.path)
            base = direct.url.partition("#")[0]
            if direct.kind == "sdist-url":
                return self._sources().direct_archive(direct)
            # A wheel by URL: nothing tells whether it changed, so it is fetched each time.
            entry = self.cache.entry(CacheBucket.WHEELS, "url", url_key(base), direct.filename)
            self._download(base, entry.path, direct.hashes)
            return entry.path
        assert dist.page is not None and dist.file is not None
        page, file = dist.page, dist.file
        local = _local_path(file.url)
        if local is not None:
            return Path(local)
        if not dist.is_wheel:
            return self._sources().registry_archive(page, file)
        entry = self.cache.entry(CacheBucket.WHEELS, *source_parts(page), file.filename)
        if entry.path.is_file():
            expected = hashes.verifiable(file.hashes)
            try:
                actual = hashes.read_file(entry.path, hashes.algorithms(expected))
                hashes.check(actual, expected, (), what=file.filename, url=redact(file.url))
                return entry.path
            except (OSError, HashMismatchError) as e:  # damaged: a miss
                log.warn(f"The cached copy of {file.filename} is damaged ({e}); downloading "
                         "it again")
        self._download(file.url, entry.path, file.hashes, size=file.size)
        return entry.path

    def git_archive(self, direct: DirectSource, commit: str | None, name: str, version: str,
                    into: Path) -> Path:
        """A zip of a git source at ``commit`` (its subdirectory, if it names one), as ``pip
        download`` saves one: ``<name>-<version>.zip`` holding ``<name>/...``, written into
        ``into``. It is made the same, byte for byte, from the same commit (sorted entries,
        fixed timestamps), so a copy made before is recognised; ``.git`` is left out, and so
        is a symbolic link leading out of the checkout."""
        import stat
        import zipfile

        sources = self._sources()
        assert direct.git is not None
        commit = commit or sources.git_commit(direct)
        root = sources.git.source_dir(direct.git, commit)
        real_root = root.resolve()
        archive = into / f"{name}-{version}.zip"
        stamp = (1980, 1, 1, 0, 0, 0)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d != ".git")
                base = Path(dirpath)
                for dirname in dirnames:
                    info = zipfile.ZipInfo(f"{name}/{_relative(base / dirname, root)}/", stamp)
                    info.external_attr = 0o40755 << 16
                    z.writestr(info, b"")
                for filename in sorted(filenames):
                    path = base / filename
                    if filename == ".git" or not path.resolve().is_relative_to(real_root):
                        continue
                    info = zipfile.ZipInfo(f"{name}/{_relative(path, root)}", stamp)
                    mode = path.stat().st_mode
                    info.external_attr = (0o100755 if mode & stat.S_IXUSR else 0o100644) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, path.read_bytes())
        return archive

    def _sources(self) -> SourceDistributions:
        if self.sources is None:
            raise NotSupportedError("fetching source distributions is not supported here")
        return self.sources

    def _download(self, url: str, target: Path, given: hashes.Hashes, *,
                  size: int | None = None) -> None:
        """Stream ``url`` into ``target`` atomically, checked against the strongest of the
        ``given`` hashes before it appears."""
        shown = redact(url)
        expected = hashes.to_verify(given, what=target.name, url=shown, strict=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.urandom(8).hex()}")
        digests = [hashes.Digests(hashes.algorithms(expected))]
        handle = [open(tmp, "wb")]  # noqa: SIM115 - closed below

        def restart() -> None:
            handle[0].close()
            handle[0] = open(tmp, "wb")  # noqa: SIM115
            digests[0] = hashes.Digests(hashes.algorithms(expected))

        def write(chunk: bytes) -> None:
            handle[0].write(chunk)
            digests[0].update(chunk)
            if self.reporter:
                self.reporter.on_fetch_progress(target.name, len(chunk))

        from pyffin.interrupt import temporary

        if self.reporter:
            self.reporter.on_fetch_start(target.name, size)
        try:
            with temporary(tmp):
                self.registry.cached.http.stream(url, write, restart)
            handle[0].close()
            hashes.check(digests[0].hexdigests(), expected, (), what=target.name, url=shown)
            os.replace(tmp, target)
            self.downloaded += 1
        except BaseException:
            handle[0].close()
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        finally:
            if self.reporter:
                self.reporter.on_fetch_done(target.name)


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _local_path(url: str) -> str | None:
    if url.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(url).path)
    return None
