"""Which files of a version the target can use, and which is best: wheel tags,
``--only-binary``, ``--no-binary``, ``--no-build`` and ``--exclude-newer`` applied to an index
page's raw rows (:class:`FileSelection`); the *stand-in* wheel whose metadata speaks for a
version the target installs from its sdist; and why a version has no usable file at all, for
explanations.

Files stay the page's raw rows (see :class:`~pyffin.models.files.SimplePage`) until one is
looked at: a resolution sees every version of every project, but the files of very few.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from pyffin import log
from pyffin.models.dist import Distribution
from pyffin.models.files import (
    IndexFile,
    file_requires_python,
    file_upload_time,
    file_yanked,
    sdist_row,
    wheel_row,
    wheel_tags,
)
from pyffin.models.format_control import ALL, BinaryPolicy

if TYPE_CHECKING:
    from pyffin.models.direct import DirectSource
    from pyffin.models.files import ProjectPage
    from pyffin.models.versions import Version
    from pyffin.resolver.page_versions import PageVersions
    from pyffin.resolver.source import Dropped, SortedCandidates


#: Not known yet (:attr:`VersionFiles.stand_in_row`, :meth:`VersionFiles.wheel_filenames`).
UNKNOWN: Any = object()


class VersionFiles:
    """What one version offers the target: its usable files, best first.

    Kept as the page's raw rows (see :class:`~pyffin.models.files.SimplePage`) and turned into
    :class:`Distribution` objects only when asked: a resolution looks at every version of every
    project (tens of thousands of files for some) but at the files of very few. Read from a
    summary (see :mod:`pyffin.resolver.summaries`), a version knows only its best file until all
    of them are needed.
    """

    __slots__ = ("_best", "_from", "_ranked", "_requires_python", "_rows", "_usable",
                 "_version", "_wheel_filenames", "_yanked", "index_rank", "others",
                 "stand_in_row", "summary", "text")

    def __init__(self, rows: list[tuple[ProjectPage, bool, Any]]) -> None:
        #: ``(page, is_wheel, row)``, best first (only the best while :attr:`_ranked` is set).
        self._rows = rows
        #: The page, its wheels and their tag ranks, its usable sdists and the rank of no
        #: usable wheel, until every file is put in order (see :meth:`of_ranks`).
        self._ranked: tuple[ProjectPage, list[Any], list[int], list[Any], int] | None = None
        self._best: Distribution | None = None
        self._usable: tuple[Distribution, ...] | None = None
        #: From a cached summary: ``(yanked, requires_python, best file's row, best is a
        #: wheel, stand-in row)``; the other rows come from ``_from`` when they are needed.
        self.summary: Summary | None = None
        self._from: SummarizedPage | None = None
        self._version: Version | None = None
        #: When the best file is an sdist: the page and rows of the version's wheels the
        #: target cannot install, one of which may lend its metadata (see
        #: :meth:`FileSelection.stand_in`).
        self.others: tuple[ProjectPage, list[Any]] | None = None
        #: The chosen stand-in wheel's row (``None``: none), once known.
        self.stand_in_row: Any = UNKNOWN
        #: See :attr:`~pyffin.resolver.source.Candidate.index_rank`.
        self.index_rank = 0
        #: The version as the page writes it (``None``: not from a page), which parses to it.
        self.text: str | None = None
        #: :attr:`yanked` and :attr:`requires_python` when known (``UNKNOWN``: read from the
        #: rows when asked).
        self._yanked: Any = UNKNOWN
        self._requires_python: Any = UNKNOWN
        #: See :meth:`wheel_filenames` (``UNKNOWN``: not known yet).
        self._wheel_filenames: Any = UNKNOWN

    @classmethod
    def summarized(cls, summary: Summary, version: Version, page: SummarizedPage,
                   wheel_filenames: Any = UNKNOWN) -> VersionFiles:
        """Files known by their summary: the page is read only when every file is needed
        (``wheel_filenames``, when the summary keeps them: see :meth:`wheel_filenames`)."""
        files = cls([])
        files.summary = summary
        files._version = version
        files._from = page
        files.others = (page.page, [])
        files.stand_in_row = summary[4]
        files._wheel_filenames = wheel_filenames
        return files

    def wheel_filenames(self) -> tuple[str, ...] | None:
        """The filenames of the usable files when they are all an index's wheels (``None``:
        they are not), which tell the platforms the version serves (a universal
        resolution's forks ask): kept by a summary's row when the summary was written with
        them (see :mod:`pyffin.resolver.summaries`), else read from every file."""
        if self._wheel_filenames is UNKNOWN:
            names = []
            for dist in self.usable:
                if not dist.is_wheel or dist.file is None or dist.direct is not None:
                    self._wheel_filenames = None
                    break
                names.append(dist.file.filename)
            else:
                self._wheel_filenames = tuple(names)
        return self._wheel_filenames  # type: ignore[no-any-return]

    def known_wheel_filenames(self) -> Any:
        """:meth:`wheel_filenames` when known without reading a page (``UNKNOWN``: not)."""
        if self._wheel_filenames is UNKNOWN and self._from is None:
            return self.wheel_filenames()
        return self._wheel_filenames

    @classmethod
    def of_ranks(cls, page: ProjectPage, wheel_rows: list[Any], ranks: list[int],
                 sdist_rows: list[Any], no_wheel: int) -> VersionFiles:
        """The files of ``page``: ``wheel_rows`` ranked by ``ranks`` (the tag rank of each;
        ``no_wheel``: not usable), then ``sdist_rows`` (all usable; one at least is usable).
        Best is the lowest rank, then not yanked, then the first listed. Only the best one is
        picked out now: the others are put in order when every file is asked for (for very
        few versions)."""
        wheels = len(ranks) - ranks.count(no_wheel)
        if wheels:
            is_wheel, best = True, wheel_rows[ranks.index(min(ranks))]  # first of the lowest
        else:
            is_wheel, best = False, sdist_rows[0]
        if wheels + len(sdist_rows) == 1:
            files = cls([(page, is_wheel, best)])
            files._yanked = file_yanked(best)
        elif file_yanked(best):  # not yanked ones come first: sort now
            files = cls([])
            files._ranked = (page, wheel_rows, ranks, sdist_rows, no_wheel)
            files._order()
            files._yanked = all(file_yanked(row) for _, _, row in files._rows)
        else:
            files = cls([(page, is_wheel, best)])
            files._yanked = False
            files._ranked = (page, wheel_rows, ranks, sdist_rows, no_wheel)
        return files

    def _order(self) -> None:
        """Every file in order, best first (see :meth:`of_ranks`)."""
        if self._ranked is not None:
            page, wheel_rows, ranks, sdist_rows, no_wheel = self._ranked
            keyed = [(rank, file_yanked(row), True, row)
                     for rank, row in zip(ranks, wheel_rows, strict=True) if rank < no_wheel]
            keyed.extend((no_wheel, file_yanked(row), False, row) for row in sdist_rows)
            keyed.sort(key=_rank_and_yanked)
            self._rows = [(page, is_wheel, row) for _, _, is_wheel, row in keyed]
            self._ranked = None

    @classmethod
    def of(cls, dist: Distribution) -> VersionFiles:
        """The files of a version that is one distribution (a direct reference)."""
        files = cls([])
        files._best = dist
        files._usable = (dist,)
        return files

    @property
    def best(self) -> Distribution:
        if self._best is None:
            if self.summary is not None and self._from is not None:
                self._best = distribution_of(self._from.page, self.summary[3], self.summary[2])
            else:
                page, is_wheel, row = self._rows[0]
                self._best = distribution_of(page, is_wheel, row)
        return self._best

    @property
    def usable(self) -> tuple[Distribution, ...]:
        if self._usable is None:
            if self._from is not None:
                assert self._version is not None
                loaded = self._from.load(self._version)
                loaded._order()
                self._rows = loaded._rows
                self._from = None
            self._order()
            self._usable = tuple(distribution_of(p, w, row) for p, w, row in self._rows)
        return self._usable

    @property
    def yanked(self) -> bool:
        """PEP 592: every usable file is yanked."""
        if self.summary is not None:
            return self.summary[0]
        if self._yanked is UNKNOWN:
            self._order()
            self._yanked = bool(self._rows) and all(file_yanked(row) for _, _, row in self._rows)
        return self._yanked  # type: ignore[no-any-return]

    @property
    def requires_python(self) -> str | None:
        """The index's Requires-Python of the best file."""
        if self.summary is not None:
            return self.summary[1]
        if self._requires_python is UNKNOWN:
            self._requires_python = file_requires_python(self._rows[0][2]) if self._rows else None
        return self._requires_python  # type: ignore[no-any-return]

    @property
    def best_page(self) -> ProjectPage:
        """The page that lists the best file (a summary's stand-in for it)."""
        if self._from is not None:
            return self._from.page
        return self._rows[0][0]

    @property
    def best_made(self) -> Distribution | None:
        """:attr:`best` if it was asked for already, else ``None``."""
        return self._best

    @property
    def best_row(self) -> tuple[ProjectPage, bool, Any]:
        """The best file as the page keeps it: ``(page, is_wheel, row)`` (files read from
        pages only)."""
        return self._rows[0]


#: A version as a summary keeps it: ``(yanked, requires_python, best file's row, best is a
#: wheel, the stand-in wheel's row or None)``, rows in either form a page keeps a file in (see
#: :class:`~pyffin.models.files.SimplePage`, :func:`distribution_of`).
Summary = tuple[bool, "str | None", tuple[Any, ...], bool, "tuple[Any, ...] | None"]


def sorted_candidates(found: Mapping[Version, VersionFiles]) -> SortedCandidates:
    """The candidates of usable versions in ascending order (as
    :meth:`FileSelection.usable_versions` gives them), as columns."""
    from pyffin.resolver.page_versions import PageVersions
    from pyffin.resolver.source import SortedCandidates, VersionList

    if isinstance(found, PageVersions):  # the columns are there: no version's files made
        return SortedCandidates(found.versions, found.yanked, found.requires_python,
                                found.index_ranks, [v.is_prerelease for v in found.version_list])
    files = list(found.values())
    versions = list(found)
    return SortedCandidates(VersionList.of(versions), [f.yanked for f in files],
                            [f.requires_python for f in files], [f.index_rank for f in files],
                            [v.is_prerelease for v in versions])


class SummarizedPage:
    """What the versions read from one summary share: a stand-in for the page (distributions
    use only its source and project name) and how to read the real one."""

    __slots__ = ("load", "page")

    def __init__(self, page: ProjectPage, load: Callable[[Version], VersionFiles]) -> None:
        self.page = page
        self.load = load


def distribution_of(page: ProjectPage, is_wheel: bool, row: Any) -> Distribution:
    """The distribution of a file of ``page`` (either of the forms :class:`SimplePage` keeps
    a file in)."""
    row = wheel_row(row) if is_wheel else sdist_row(row)
    return Distribution(page, IndexFile.from_tuple(row[:8]), is_wheel)


class FileSelection:
    """The files one target can use: its wheel tags (most preferred first), the binary policy
    and the upload-time cutoffs."""

    def __init__(self, tags: Sequence[str], *, binary: BinaryPolicy | None = None,
                 exclude_newer: float | None = None,
                 exclude_newer_packages: Mapping[str, float | None] | None = None,
                 first_match: bool = False, first_match_names: frozenset[str] = frozenset(),
                 universal: tuple[int, ...] | None = None,
                 installed: Mapping[str, str] | None = None) -> None:
        #: The target's tags, most preferred first.
        self.tags = tuple(tags)
        #: Tag → priority (lower is preferred), in the target's order.
        self.tag_rank = {tag: i for i, tag in enumerate(tags)}
        #: ``--universal``: the lowest Python (``(3, 9)``) of requires-python. Every wheel a
        #: Python of it or later may use counts, whatever the platform (see
        #: :func:`universal_wheel`), and ``tags`` are not used.
        self.universal = universal
        self._universal_tags: dict[str, bool] = {}
        #: The same per wheel's tag set: a project's wheels repeat a few sets across versions.
        self._universal_sets: dict[tuple[str, ...], bool] = {}
        self.binary = binary or BinaryPolicy()
        #: An install's installed versions (normalized name -> version as pages key it): each
        #: is usable whatever :attr:`binary` says of its files (it is not built or fetched).
        self.installed = installed or {}
        self.exclude_newer = exclude_newer
        #: ``--exclude-newer-package``: normalized name -> its own cutoff (``None``: none).
        self.exclude_newer_packages = exclude_newer_packages or {}
        #: Wheel tag set → the rank of its best tag (see :meth:`_set_rank`).
        self._set_ranks: dict[tuple[str, ...], int] = {}
        #: The same per wheel's tag set (see :meth:`_set_affinity`).
        self._set_affinities: dict[tuple[str, ...], int] = {}
        #: Tag → how near it comes to the target (see :meth:`_affinity`).
        self._affinities: dict[str, int] = {}
        self._pythons: frozenset[str] | None = None
        self._python_abis: frozenset[tuple[str, str]] = frozenset()
        #: What :meth:`_tag_mismatch` compares a version's tags with: the target's Python
        #: tags, (Python, ABI) pairs, best tag's parts and manylinux platform.
        self._target_parts: tuple[frozenset[str], frozenset[tuple[str, str]], list[str],
                                  str] | None = None
        #: Versions left out for want of a usable file, by name (see :meth:`dropped`).
        self._dropped: dict[str, list[Dropped]] = {}
        #: ``--index-strategy unsafe-first-match``: each version is ranked by the first index
        #: that offers it (:attr:`VersionFiles.index_rank`).
        self.first_match = first_match
        #: The projects ranked so whatever the strategy (``--torch-backend``'s).
        self.first_match_names = first_match_names

    def cutoff(self, name: str) -> float | None:
        """The upload-time cutoff for ``name``'s files (``None``: none)."""
        packages = self.exclude_newer_packages
        return packages.get(name, self.exclude_newer)

    def release_files(self, name: str, version: Version, files: VersionFiles
                      ) -> list[Distribution]:
        """Every file of a pinned version (whose usable ``files`` these are) on the page that
        offers it, whatever the target (other platforms and Pythons, yanked files, those
        ``--only-binary`` / ``--no-binary`` leave out), but not those uploaded after the
        ``--exclude-newer`` cutoff: what uv hashes for ``--generate-hashes``. A direct
        reference is its one file."""
        best = files.best
        if best.page is None:
            return [best]
        page = files.usable[0].page  # usable files have their page
        assert page is not None
        # Under every key the page grouped it under (1.0 and 1.0.0 are one version, whose
        # files PageVersions merged). Keys are normalized: an equal one starts with the same
        # epoch and first number.
        from pyffin.models.versions import InvalidVersion, Version

        head = (f"{version.epoch}!" if version.epoch else "") + str(version.release[0])
        wheels: list[Any] = []
        sdists: list[Any] = []
        found = False
        for key in page.page:
            if not key.startswith(head) or key[len(head):len(head) + 1].isdigit():
                continue
            try:
                if Version(key) != version:
                    continue
            except InvalidVersion:
                continue
            rows = page.page.rows(key)
            if rows is not None:
                found = True
                wheels.extend(rows[0])
                sdists.extend(rows[1])
        if not found:
            return list(files.usable)
        cutoff = self.cutoff(name)
        return [distribution_of(page, is_wheel, row)
                for is_wheel, group in ((True, wheels), (False, sdists)) for row in group
                if cutoff is None or not _newer(row, cutoff)]

    def usable_versions(self, name: str, pages: Iterable[ProjectPage]) -> PageVersions:
        """The versions the target can use, from the pages' raw rows, in ascending order (no
        objects per file: this loop sees every file of every version). Files a page keeps as
        listed stay so (see :class:`~pyffin.models.files.SimplePage`): only their tags,
        yanked and Requires-Python are read, each distinct tag set is ranked once, and under
        an upload-time cutoff the upload time of the files that could be chosen (making every
        file's tuple for it took a cold ``--exclude-newer`` resolution of the large set
        universally a quarter of its time). What the candidates and the
        summary read of every version (yanked, Requires-Python, the best file) is known on
        return, as columns; a version's :class:`VersionFiles` is made when it is looked up
        (see :class:`PageVersions`)."""
        from pyffin.models.versions import InvalidVersion, Version

        allowed = (self.binary.wheels_allowed(name), self.binary.sdists_allowed(name))
        wheels_ok, sdists_ok = allowed
        kept = self.kept_version(name)
        no_wheel = len(self.tag_rank) + 1
        set_ranks_get = self._set_ranks.get
        set_rank = self._set_rank
        cutoff = self.cutoff(name)
        versions: list[Version] = []
        texts: list[str] = []
        #: Each version's :data:`~pyffin.resolver.page_versions.Usable`.
        usable: list[Any] = []
        seen: set[str] = set()
        first_match = self.first_match or name in self.first_match_names
        positions: dict[str, int] = {}
        index_pages = 0
        # Find-links first (stable: the indexes stay in their order): a version both offer is
        # taken from find-links, as pip and uv take it, also where they spell it differently
        # (a find-links wheel's 1.0, the index's 1.0.0: see PageVersions).
        for page in sorted(pages, key=_not_flat):
            parsed = page.page.parsed
            if first_match:
                # A version's index: the first index page offering it; find-links count as
                # the first index (uv merges them into every index's versions).
                position = 0 if page.flat else index_pages
                if not page.flat:
                    index_pages += 1
                for version_str in page.page:
                    known = positions.get(version_str)
                    if known is None or position < known:
                        positions[version_str] = position
            for version_str, (wheel_rows, sdist_rows) in page.page.items():
                if version_str in seen:
                    continue  # the first page that offers a version wins it (index priority)
                ranks: list[int] = []
                if kept is not None:  # the installed version is allowed as it is
                    wheels_ok, sdists_ok = (True, True) if version_str == kept else allowed
                if wheels_ok and wheel_rows:
                    try:  # a page's own rows (see wheel_tags) of tag sets seen before: in C
                        found: list[Any] = list(map(set_ranks_get, map(_second, wheel_rows)))
                    except TypeError:  # a list of tags: no key
                        found = [None]
                    ranks = (found if None not in found
                             else [set_rank(wheel_tags(row)) for row in wheel_rows])
                    if cutoff is not None:  # (a wheel the target cannot use is not read)
                        ranks = [rank if rank == no_wheel or not _newer(row, cutoff)
                                 else no_wheel
                                 for rank, row in zip(ranks, wheel_rows, strict=True)]
                sdists = sdist_rows if sdists_ok else []
                if cutoff is not None and sdists:
                    sdists = [row for row in sdists if not _newer(row, cutoff)]
                best_rank = min(ranks) if ranks else no_wheel
                if not sdists and best_rank == no_wheel:
                    self._note_dropped(name, version_str, wheel_rows, sdist_rows, wheels_ok,
                                       sdists_ok)
                    continue
                version = parsed.get(version_str)
                if version is None:
                    try:
                        version = Version(version_str)
                    except InvalidVersion:
                        log.debug(f"Skipping {name} {version_str}: not a valid version")
                        continue
                seen.add(version_str)
                versions.append(version)
                texts.append(version_str)
                # The best file, as VersionFiles.of_ranks picks it (the first of the lowest
                # rank), is all the candidates and the summary read of most versions.
                if best_rank != no_wheel:
                    usable.append((page, wheel_rows, ranks, sdists, True,
                                   wheel_rows[ranks.index(best_rank)]))
                else:
                    usable.append((page, wheel_rows, ranks, sdists, False, sdists[0]))
        from pyffin.resolver.page_versions import PageVersions

        return PageVersions(versions, texts, usable, no_wheel,
                            [positions[text] for text in texts] if first_match else None)

    def kept_version(self, name: str) -> str | None:
        """The installed version of ``name`` that :attr:`installed` makes usable beyond what
        the binary options allow (``None``: none, or they allow every file of it anyway)."""
        kept = self.installed.get(name)
        if kept is None or (self.binary.wheels_allowed(name) and self.binary.sdists_allowed(name)):
            return None
        return kept

    def _set_rank(self, tags: Sequence[str]) -> int:
        """The rank of a wheel's best tag (:attr:`tag_rank`; past every tag: not usable),
        memoized per tag set: a project's wheels repeat a few sets across versions."""
        key = tags if type(tags) is tuple else tuple(tags)
        known = self._set_ranks.get(key)
        if known is not None:  # a list's set (a list is no key)
            return known
        no_wheel = len(self.tag_rank) + 1
        if self.universal is not None:
            best = 0 if self._universal_set(key) else no_wheel
        else:
            rank = self.tag_rank
            best = min((found for found in map(rank.get, key) if found is not None),
                       default=no_wheel)
        self._set_ranks[key] = best
        return best

    def _universal_set(self, tags: Sequence[str]) -> bool:
        key = tags if type(tags) is tuple else tuple(tags)
        fits = self._universal_sets.get(key)
        if fits is None:
            fits = self._universal_sets[key] = any(self._universal_tag(tag) for tag in key)
        return fits

    def _universal_tag(self, tag: str) -> bool:
        fits = self._universal_tags.get(tag)
        if fits is None:
            assert self.universal is not None
            fits = self._universal_tags[tag] = universal_wheel(tag, self.universal)
        return fits

    def dropped(self, name: str) -> Sequence[Dropped]:
        """The versions of ``name`` seen so far that the target can use no file of, and why."""
        return self._dropped.get(name, ())

    def _note_dropped(self, name: str, version_str: str, wheel_rows: Sequence[Any],
                      sdist_rows: Sequence[Any], wheels_ok: bool, sdists_ok: bool) -> None:
        """Remember why no file of a version is usable, for explanations (files past
        ``--exclude-newer`` do not count: such a version is as good as absent, as in uv)."""
        from pyffin.models.versions import InvalidVersion, Version
        from pyffin.resolver.source import Dropped

        cutoff = self.cutoff(name)

        def current(rows: Sequence[Any]) -> list[Any]:
            return [row for row in rows if cutoff is None or not _newer(row, cutoff)]

        wheels, sdists = current(wheel_rows), current(sdist_rows)
        try:
            version = Version(version_str)
        except InvalidVersion:
            return
        if wheels and wheels_ok:
            dropped = self._tag_mismatch(version,
                                         [tag for row in wheels for tag in wheel_tags(row)])
        elif wheels and not sdists:
            binary = self.binary
            option = f"--no-binary {name}" if name in binary.no_binary else f"--no-binary {ALL}"
            dropped = Dropped(version, "no-binary", expected=option)
        elif sdists and not sdists_ok:
            binary = self.binary
            option = ("--no-build" if binary.no_build else f"--only-binary {name}"
                      if name in binary.only_binary else f"--only-binary {ALL}")
            dropped = Dropped(version, "no-build", expected=option)
        else:
            return
        self._dropped.setdefault(name, []).append(dropped)

    def _tag_mismatch(self, version: Version, tags: Sequence[str]) -> Dropped:
        """What the closest of a version's wheel tags lacks for the target (uv's order:
        Python implementation tag, then ABI tag, then platform tag)."""
        from pyffin.resolver.source import Dropped

        if self._target_parts is None:  # the same for every version: made once
            target = [tag.split("-") for tag in self.tag_rank]
            best = target[0] if target else ["", "", ""]
            # Name a manylinux platform, as uv does, rather than the bare ``linux_x86_64``.
            self._target_parts = (
                frozenset(python for python, _, _ in target),
                frozenset((python, abi) for python, abi, _ in target), best,
                next((platform for python, abi, platform in target
                      if platform.startswith("manylinux")), best[2]))
        pythons, pairs, best, best_platform = self._target_parts
        parts = [tag.split("-") for tag in tags if tag.count("-") == 2]
        closest = max((2 if (python, abi) in pairs else 1 if python in pythons else 0)
                      for python, abi, _ in parts) if parts else 0
        if closest == 0:
            return Dropped(version, "python-tag", _natural({p for p, _, _ in parts}), best[0])
        if closest == 1:
            abis = {abi for _, abi, _ in parts if abi != "none"}
            return Dropped(version, "abi-tag", _natural(abis), best[1])
        platforms = {platform for python, abi, platform in parts if (python, abi) in pairs}
        return Dropped(version, "platform-tag", _natural(platforms), best_platform)

    # ----------------------------------------------------------------------- stand-ins
    def stand_in(self, files: VersionFiles) -> Distribution | None:
        """The wheel whose metadata stands for a version the target installs from its sdist:
        one for another Python or platform (or one ``--no-binary`` keeps from installing).

        uv's choice: the wheel that comes nearest to the target (right Python and ABI, wrong
        platform; then right Python; then any), the first listed among equals; wheels
        uploaded after ``--exclude-newer`` do not count. ``None``: the version has no such
        wheel, or its best file is a wheel."""
        row = self.stand_in_row(files)
        if row is None:
            return None
        assert files.others is not None
        return distribution_of(files.others[0], True, row)

    def stand_in_row(self, files: VersionFiles) -> Any:
        """The row of :meth:`stand_in`, in the form its page keeps it (memoized on
        ``files``)."""
        row = files.stand_in_row
        if row is UNKNOWN:
            row = files.stand_in_row = (None if files.others is None
                                        else self.stand_in_of(files.others[1]))
        return row

    def stand_in_of(self, wheel_rows: Iterable[Any]) -> Any:
        """:meth:`stand_in_row` of a version whose wheels (none usable) are ``wheel_rows``."""
        row = None
        cutoff = self.exclude_newer
        best_score = -1
        affinities = self._set_affinities
        for candidate in wheel_rows:
            tags = candidate[1] if len(candidate) == 4 else candidate[8]  # see wheel_tags
            try:
                affinity = affinities[tags]
            except (KeyError, TypeError):  # a set not seen yet (or a list)
                affinity = self._set_affinity(tags)
            if affinity * 2 + 1 <= best_score:
                continue  # cannot beat the one found, yanked or not
            if cutoff is not None and _newer(candidate, cutoff):
                continue
            score = affinity * 2 + (not file_yanked(candidate))  # not yanked first
            if score > best_score:  # the first listed among equals
                best_score, row = score, candidate
        return row

    def _set_affinity(self, tags: Sequence[str]) -> int:
        """The best :meth:`_affinity` of a wheel's tags, memoized per tag set."""
        key = tags if type(tags) is tuple else tuple(tags)
        affinity = self._set_affinities.get(key)
        if affinity is None:
            affinity = self._set_affinities[key] = max(map(self._affinity, key), default=0)
        return affinity

    def _affinity(self, tag: str) -> int:
        """How near a wheel tag comes to the target: 4 it is one of the target's, 3 the Python
        and ABI are the target's, 2 the Python is, 1 neither (uv's ``IncompatibleTag``
        order)."""
        affinity = self._affinities.get(tag)
        if affinity is None:
            if self._pythons is None:
                pairs = [t.split("-")[:2] for t in self.tag_rank]
                self._python_abis = frozenset((p, a) for p, a in pairs)
                self._pythons = frozenset(p for p, _ in pairs)
            python, abi = [*tag.split("-"), ""][:2]
            if tag in self.tag_rank:
                affinity = 4
            elif (python, abi) in self._python_abis:
                affinity = 3
            else:
                affinity = 2 if python in self._pythons else 1
            self._affinities[tag] = affinity
        return affinity


def _not_flat(page: ProjectPage) -> bool:
    return not page.flat


def _version_key(item: tuple[Version, VersionFiles]) -> Any:
    # Version's own comparison key: sorting compares tuples in C, not Versions in Python.
    return item[0]._key


_second = itemgetter(1)


def _newer(row: Any, cutoff: float) -> bool:
    """Whether a file (either form) was uploaded after ``cutoff``: as good as absent. A file
    whose page gives no upload time is kept."""
    uploaded = file_upload_time(row)
    return uploaded is not None and uploaded > cutoff


def _rank_and_yanked(item: tuple[int, bool, bool, Any]) -> tuple[int, bool]:
    return item[0], item[1]


def universal_wheel(tag: str, python: tuple[int, ...]) -> bool:
    """Whether a wheel tag (``cp39-cp39-win_amd64``) may serve some Python of ``python`` or
    later, on any platform: uv's rule for a universal resolution. Python 2 tags never do; a
    version-specific ABI (``cp38``) or a CPython/PyPy tag without ABI (``cp38-none-any``) must
    not be older than ``python``; ``abi3``, ``py3``/``py38`` tags (lower bounds) and tags
    nobody knows do."""
    python_tag, _, rest = tag.partition("-")
    abi = rest.partition("-")[0]
    floor = python[:2]

    def version(text: str) -> tuple[int, ...] | None:
        import re

        match = re.match(r"[a-z]+(\d+)", text)
        if match is None:
            return None
        digits = match.group(1)
        return (int(digits[0]), int(digits[1:])) if len(digits) > 1 else (int(digits),)

    if abi.startswith("abi3"):
        return True
    if abi == "none":
        if python_tag.startswith(("py", "cp", "pp", "graalpy", "pyston")):
            found = version(python_tag)
            if found is None:
                return True
            if found[0] == 2:
                return False
            if python_tag.startswith("py") and not python_tag.startswith("pyston"):
                return True
            return len(found) < 2 or found >= floor
        return True
    if abi.startswith(("cp", "pypy", "pp", "graalpy")):
        found = version(abi.partition("_")[0])
        if abi.startswith(("pypy", "pp")) and found is None:
            return False  # PyPy's ABI without a version: Python 2 (``pypy_41``)
        if found is None:
            return True
        if found[0] == 2:
            return False
        return len(found) < 2 or found >= floor
    return True


def _natural(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags in natural order: ``cp39`` before ``cp310``."""
    import re

    return tuple(sorted(tags, key=lambda tag: [int(part) if part.isdigit() else part
                                               for part in re.split(r"(\d+)", tag)]))


def direct_distribution(name: str, direct: DirectSource) -> Distribution:
    """A direct reference as a :class:`Distribution`; a wheel gets a one-file page so the
    registry client and wheel database treat it like any other wheel."""
    if not direct.is_wheel:
        return Distribution(None, None, False, direct)
    from pyffin.models.files import IndexFile, ProjectPage, SimplePage

    if direct.path is not None:
        from pathlib import Path

        file_url = Path(direct.path).absolute().as_uri()
    else:
        file_url = direct.url.partition("#")[0]
    file = IndexFile(direct.filename, file_url, direct.hashes, None, None, None, None, None)
    page = ProjectPage(file_url.rpartition("/")[0], SimplePage(name, {}), flat=True)
    return Distribution(page, file, True, direct)


