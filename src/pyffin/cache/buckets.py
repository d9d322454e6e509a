"""The cache buckets: every top-level directory of the cache, named once, here.

A bucket's directory name carries its format version (``simple-v0``); bump it on any incompatible
change of the bucket's layout or records, and ``pyffin cache prune`` removes the old one. Each
member's docstring documents its on-disk layout; ``<index>`` is ``pypi`` for the default index and
``index/<hash(url)>`` for any other (see :func:`pyffin.cache.keys.index_parts`).
"""

from __future__ import annotations

import enum

#: The metadata pack's name in ``wheels-v1`` (see :class:`CacheBucket`'s ``WHEELS``): it holds
#: every project's metadata, so ``cache clean NAME`` removes it with any project.
METADATA_PACK = "metadata-pack.rec"


class CacheBucket(enum.Enum):
    """A top-level directory of the cache; see each member's docstring for its layout."""

    _value_: str
    _package_globs: tuple[str, ...]
    _filename_dirs: tuple[str, ...]

    def __new__(cls, dirname: str, package_globs: tuple[str, ...], doc: str,
                filename_dirs: tuple[str, ...] = ()) -> CacheBucket:
        member = object.__new__(cls)
        member._value_ = dirname
        member._package_globs = package_globs
        member._filename_dirs = filename_dirs
        member.__doc__ = doc
        return member

    SIMPLE = (
        "simple-v0",
        ("pypi/{name}.*", "index/*/{name}.*", "flat/{name}.*"),
        """Parsed simple-API pages, one record per project and index.

        ``simple-v0/<index>/<name>.rec``: the project's files grouped by version, filenames
        already parsed, next to the HTTP cache policy of the page they came from (with the
        digest of its bytes when it came without validators: the same bytes again are as
        good as a 304); ``_revalidated.rec`` in the same directory: the newer policies
        revalidations (a 304, or the same bytes again) gave its records, each tied to its
        record file's stamp, which the revalidation leaves as it was (so for the wheel
        metadata records in ``wheels-v1``).
        ``simple-v0/<index>/<name>.<hash(target, locations)>.rec``: the versions one target
        (tags, binary policy, exclude-newer) can use with these index locations, each with
        its best file (the files of versions no resolution looked at yet in the record's
        tail, read one at a time); tied to the stamp and freshness of every page and
        find-links location it was derived from, and ignored once one changes (in
        ``simple-v0/flat/`` when there is no index). ``simple-v0/flat/<hash(url)>.rec``: a
        ``--find-links`` HTML page, grouped by project.
        """,
    )
    WHEELS = (
        "wheels-v1",
        ("path/*/{name}",),
        """Wheel metadata and pointers to unzipped wheels.

        ``wheels-v1/<index>/<wheel-stem>[-<hash[:16]>].rec``: the parsed core metadata of one
        wheel (from its ``.metadata`` file, a range read or the full download: a listed
        ``.metadata`` file the index answers 404 or 410 for is read from the wheel) with its
        HTTP cache policy; keyed by the wheel's hash when the page lists one, and then read at any
        age (``--refresh`` aside).
        ``wheels-v1/<index>/<wheel-stem>[-<hash[:16]>].archive``: the id of the unzipped wheel
        in ``archive-v0`` and the path and size of each of its files (each stat'ed before a
        fetch reuses it; an install lists the archive instead, see ``pyffin.installer.link``);
        ``<wheel filename>``: a wheel kept after a full download (to read its metadata, or by
        ``pip download`` and ``pip wheel``).
        An index's entries share its directory, with no directory per project (a wheel's
        filename names its project): a cold resolution made one per project, and on the
        benchmark machines' disk a ``mkdir`` takes 0.2-0.6 ms (without them, paired cold
        compiles of the large set: wall 0.86x, CPU 0.89x). ``cache clean NAME`` removes the
        entries whose filename's first part is ``NAME``, normalized.
        ``wheels-v1/metadata-pack.rec``: the metadata of the wheels (their hash listed) the
        latest resolutions used, at most 512, in one record a resolution reads instead of
        each wheel's (see ``pyffin.client.metadata_pack``); ``cache clean NAME`` removes it.
        Wheels from a ``--find-links`` page use ``url/<hash(page)>`` in place of ``<index>``, a
        wheel given by URL is kept as ``url/<hash(url)>/<wheel filename>``; local wheels use
        ``path/<hash(path)>/<name>/``, with their metadata valid while the file's size and
        mtime hold.
        """,
        ("pypi", "index/*", "url/*"),
    )
    SDISTS = (
        "sdists-v0",
        ("pypi/{name}", "index/*/{name}", "url/*/{name}"),
        """Source distributions and what is built from them, keyed by source: ``sdists-v0/``.

        One *revision* directory per source:
        ``<pypi|index/<hash(index)>|url/<hash(page)>>/<name>/<sha256[:16]>/`` for an index's
        sdist (content-addressed by the index's hash); ``url/<hash(url)>/<revision>/`` for a
        direct URL, with ``url/<hash(url)>/revision.rec`` naming the current revision next to
        the archive's HTTP cache policy; ``git/<hash(repo)>/<commit>/<hash(subdirectory)>/``;
        ``path/<hash(path)>/<stamp>/`` for local directories and archives, the stamp hashing
        the mtimes of ``pyproject.toml``, ``setup.py`` and ``setup.cfg`` (or the archive's).
        A revision holds the downloaded archive (downloaded under ``.lock`` when first built
        from, or asked for by ``pip download``), ``metadata.rec``, ``manifest.rec`` (built
        wheel filename → metadata, written atomically), the built wheels, ``editable/``,
        ``NAME`` (the project, for ``cache clean NAME``) and ``.lock``, held while building.
        Built with ``-C/--config-settings`` or ``--no-build-isolation``, the metadata,
        manifest, wheels and ``editable/`` are in ``build-<hash(options)>/`` of the revision.
        """,
    )
    GIT = (
        "git-v0",
        (),
        """Git sources fetched with the ``git`` command line.

        ``git-v0/db/<hash(repo)>/``: a bare repository; ``git-v0/checkouts/<hash(repo)>/<commit>/``:
        one checkout per commit; ``git-v0/locks/<hash(repo)>.lock``: the inter-process lock held
        while fetching or checking out that repository.
        """,
    )
    ARCHIVE = (
        "archive-v0",
        (),
        """Unzipped wheels, immutable once in place.

        ``archive-v0/<id>/``: the files of one wheel, built in a temporary directory and renamed
        here in one step. Nothing refers to an archive by path: other buckets hold ``*.archive``
        pointer files with its id. ``pyffin cache prune`` removes archives no pointer names.
        """,
    )
    INTERPRETER = (
        "interpreter-v0",
        (),
        """What pyffin learned by querying an interpreter.

        ``interpreter-v0/<hash(executable)>.bin``: markers, tags, paths and version of one
        interpreter, valid while the executable's modification time is unchanged.
        ``interpreter-v0/<hash(prefix)>.lock``: the lock of a system interpreter's environment
        (a virtual environment keeps its lock in its own root, ``.lock``).
        """,
    )
    RESOLUTIONS = (
        "resolutions-v1",
        (),
        """Resolutions kept by ``pip compile``, to write the same output again without solving,
        and by ``pip install`` and ``pip sync``, to install it again (their preferences, in the
        key, are the versions the environment has installed).

        ``resolutions-v1/<hash(inputs)>.rec``: one resolution (every pin
        with its chosen file, ``# via`` sources and hashes) keyed by everything that decides
        it — the requirements, constraints and overrides as read, every resolver option, the
        target's markers and tags, ``--exclude-newer``, the index locations and strategy, the
        preferences of the existing output file, pyffin's and ``packaging``'s versions — with
        the stamp and freshness of every cache entry and local file it was made from, and the
        HTTP policy of each index page. Used only while each of them is unchanged and fresh,
        or once every page past its max-age is answered "not modified" (or, without
        validators, with the same bytes again; then kept with their new freshness);
        ``--refresh``, ``--upgrade`` and ``--upgrade-package`` never use it. The record also
        keeps the warnings the resolution gave about what it read (``log.warn_result``: a
        missing extra...), given again when it answers. The key holds reprs only, each the same
        in every process (a set's is not: requirement extras are ``pep508.Extras``).
        ``pyffin cache clean NAME`` needs not remove any: one made from NAME's entries is no
        longer used once they are gone. No subdirectories: a compile that solves keeps one or
        two records, and a directory made for them was one file-system operation more each
        time (0.2-0.6 ms a ``mkdir`` on the benchmark machines' disk).
        """,
    )
    ENVIRONMENTS = (
        "environments-v0",
        (),
        """What pyffin remembers about environments and commands, to answer a repeated
        command at once.

        ``environments-v0/<hash(site-packages)>.rec``: an environment's installed
        distributions (used while each ``site-packages`` directory's stamp holds) and, per
        distribution, its ``Requires-Dist`` and whether it has a ``direct_url.json``, each
        with the stamp of the file it came from
        (:class:`pyffin.installer.installed.InstalledState`).
        ``environments-v0/noop/<hash(command)>.rec``: a ``pip install`` or ``pip sync`` that
        found nothing to do, keyed by its command line, working directory and environment
        variables, with the stamp of every file its answer depends on (see
        :mod:`pyffin.cli.noop`); any stamp changed, the command runs again.
        ``environments-v0/compile/<hash(command)>.rec``: a ``pip compile`` whose resolution
        came from (or was kept in) ``resolutions-v1``, keyed the same way, with the stamp of
        every file it read, the stamp and freshness of every cache entry its resolution was
        made from, and what it wrote and printed (see :mod:`pyffin.cli.recompile`).
        """,
    )
    BUILDS = (
        "builds-v0",
        (),
        """Temporary build environments for source distributions.

        ``builds-v0/<random>/``: an isolated virtual environment, removed after the build.
        """,
    )

    @property
    def dirname(self) -> str:
        """The bucket's directory name inside the cache root, format version included."""
        return self._value_

    @property
    def package_globs(self) -> tuple[str, ...]:
        """Glob patterns (relative to the bucket, ``{name}`` = normalized project name) of the
        entries that belong to one project; ``pyffin cache clean NAME`` removes them."""
        return self._package_globs

    @property
    def filename_dirs(self) -> tuple[str, ...]:
        """Glob patterns (relative to the bucket) of directories whose entries are named after
        a wheel's filename (``<name>-<version>-...``): the part before the first ``-`` names
        the project an entry belongs to."""
        return self._filename_dirs


def markdown_layout() -> str:
    """The cache layout section of ``docs/architecture.md``, from the members' docstrings."""
    import inspect

    parts = []
    for bucket in CacheBucket:
        doc = inspect.cleandoc(bucket.__doc__ or "")
        parts.append(f"### `{bucket.dirname}/` (`CacheBucket.{bucket.name}`)\n\n{doc}\n")
    return "\n".join(parts)
