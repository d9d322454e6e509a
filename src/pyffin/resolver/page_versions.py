"""The usable versions of a project's pages as a cold resolution reads them: columns of what
every candidate and the summary need, and each version's
:class:`~pyffin.resolver.file_selection.VersionFiles` made only when it is looked up. Its own
module, imported where pages are read: a warm resolution reads summaries instead and does not
pay for making the class."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pyffin.models.files import file_requires_python, file_yanked
from pyffin.resolver.file_selection import VersionFiles

if TYPE_CHECKING:
    from pyffin.models.files import ProjectPage
    from pyffin.models.versions import Version


#: What :meth:`FileSelection.usable_versions` keeps of a usable version until its files are
#: looked at: ``(page, wheel rows, their tag ranks (empty: none usable), usable sdist rows,
#: best is a wheel, the best file's row)``.
Usable = tuple[Any, list[Any], list[int], list[Any], bool, Any]


class PageVersions(Mapping["Version", VersionFiles]):
    """The usable versions of a project's pages, ascending, each made a :class:`VersionFiles`
    when first looked up: a resolution reads the candidates (:meth:`candidates`) and the
    summary (:meth:`best_rows`) of every version, but the files of very few (of tens of
    thousands of versions on a large cold resolution)."""

    __slots__ = ("_made", "_no_wheel", "_usable", "index_ranks", "requires_python", "texts",
                 "version_list", "versions", "yanked")

    def __init__(self, versions: list[Version], texts: list[str], usable: list[Usable],
                 no_wheel: int, index_ranks: list[int] | None) -> None:
        from pyffin.resolver.source import VersionList

        if len(versions) > 1:
            try:  # Version's own comparison key: sorted in C, not by Versions in Python
                keys: list[Any] = [version._key for version in versions]
            except AttributeError:  # a packaging whose Version has no such key (private API)
                keys = versions
            order = sorted(range(len(keys)), key=keys.__getitem__)  # (stable)
            if any(map(_equal, map(keys.__getitem__, order), map(keys.__getitem__,
                                                                 order[1:]))):
                order = _merge_equals(order, keys, versions, texts, usable, no_wheel)
            versions = list(map(versions.__getitem__, order))
            texts = list(map(texts.__getitem__, order))
            usable = list(map(usable.__getitem__, order))
            if index_ranks is not None:
                index_ranks = list(map(index_ranks.__getitem__, order))
        self.versions = VersionList.of(versions)
        #: The same as a list (iterated in C, not through the sequence's ``__getitem__``).
        self.version_list = versions
        #: The texts of the versions as their pages write them (a summary keeps them).
        self.texts = texts
        self._usable = usable
        self._no_wheel = no_wheel
        self._made: dict[int, VersionFiles] = {}
        #: What every candidate needs, in the same order as :attr:`versions`.
        self.index_ranks = [0] * len(versions) if index_ranks is None else index_ranks
        best_rows = list(map(_best_row, usable))
        self.requires_python = list(map(file_requires_python, best_rows))
        self.yanked: list[bool] = list(map(file_yanked, best_rows))
        if True in self.yanked:
            # Yanked only when every usable file is; else the best is one that is not.
            for i in [i for i, yanked in enumerate(self.yanked) if yanked]:
                made = self.at(i)
                self.yanked[i] = made.yanked
                self.requires_python[i] = made.requires_python

    def at(self, i: int) -> VersionFiles:
        """The files of the ``i``-th version (made once)."""
        made = self._made.get(i)
        if made is None:
            page, wheel_rows, ranks, sdists, _, _ = self._usable[i]
            made = VersionFiles.of_ranks(page, wheel_rows if ranks else [], ranks, sdists,
                                         self._no_wheel)
            made.text = self.texts[i]
            _, is_wheel, row = made._rows[0]
            made._requires_python = file_requires_python(row)
            if not is_wheel and wheel_rows:
                made.others = (page, wheel_rows)
            made.index_rank = self.index_ranks[i]
            # The solver's thread and a pool thread (a prefetch) may look a version up at
            # once: both get the one made first.
            made = self._made.setdefault(i, made)
        return made

    def best_rows(self) -> Iterator[tuple[ProjectPage, bool, Any, VersionFiles | None,
                                          list[Any] | None]]:
        """Each version's best file as its page keeps it, for a summary: ``(page, is_wheel,
        row, its files if they were looked up, the wheels that may stand in for it)`` (see
        :attr:`VersionFiles.best_row`, :meth:`FileSelection.stand_in_of`)."""
        made = self._made
        for i, (page, wheel_rows, _, _, is_wheel, row) in enumerate(self._usable):
            files = made.get(i) if made else None
            if files is not None:
                page, is_wheel, row = files.best_row
                yield page, is_wheel, row, files, None
            else:
                yield page, is_wheel, row, None, None if is_wheel or not wheel_rows else wheel_rows

    def __getitem__(self, version: Version) -> VersionFiles:
        i = self.versions.position(version)
        if i is None:
            raise KeyError(version)
        return self.at(i)

    def __contains__(self, version: object) -> bool:
        try:
            return self.versions.position(version) is not None  # type: ignore[arg-type]
        except TypeError:  # not a version
            return False

    def __iter__(self) -> Iterator[Version]:
        return iter(self.version_list)

    def __reversed__(self) -> Iterator[Version]:
        return reversed(self.version_list)

    def __len__(self) -> int:
        return len(self.versions)


def _best_row(usable: Usable) -> Any:
    return usable[5]


def _equal(a: Any, b: Any) -> bool:
    return a == b  # type: ignore[no-any-return]


def _merge_equals(order: list[int], keys: list[Any], versions: list[Version], texts: list[str],
                  usable: list[Usable], no_wheel: int) -> list[int]:
    """``order`` with each run of equal versions (``1.0``, ``1.0.0``) made one, the first:
    the page that offers it first (see
    :meth:`~pyffin.resolver.file_selection.FileSelection.usable_versions`: find-links first)
    gives its files, and the files that page lists under the other spellings join them, as uv
    merges them (an sdist ``foo-1.0.tar.gz`` listed before the wheel
    ``foo-1.0.0-py3-none-any.whl`` is not built: the wheel is the best file). The version is
    spelled as its best file spells it. ``versions``, ``texts`` and ``usable`` are changed in
    place."""
    kept: list[int] = []
    run: list[int] = []
    for i in order:
        if run and keys[run[0]] != keys[i]:
            kept.append(_merged(run, versions, texts, usable, no_wheel))
            run = []
        run.append(i)
    kept.append(_merged(run, versions, texts, usable, no_wheel))
    return kept


def _merged(run: list[int], versions: list[Version], texts: list[str], usable: list[Usable],
            no_wheel: int) -> int:
    """The first of ``run`` (indexes of equal versions), with the files of the others on its
    page (see :func:`_merge_equals`)."""
    first = run[0]
    page = usable[first][0]
    same = [i for i in run if usable[i][0] is page]
    if len(same) == 1:
        return first
    # Wheels the options leave out have no ranks: merged only when every spelling's are
    # ranked alike (an installed version allowed beyond them is one spelling's alone).
    ranked = [bool(usable[i][2]) for i in same if usable[i][1]]
    if any(ranked) and not all(ranked):
        return first
    wheels: list[Any] = []
    ranks: list[int] = []
    sdists: list[Any] = []
    owners: list[int] = []  # each wheel's spelling
    for i in same:
        _, wheel_rows, wheel_ranks, sdist_rows, _, _ = usable[i]
        wheels.extend(wheel_rows)
        ranks.extend(wheel_ranks)
        owners.extend([i] * len(wheel_rows))
        sdists.extend(sdist_rows)
    best_rank = min(ranks) if ranks else no_wheel
    if best_rank != no_wheel:
        at = ranks.index(best_rank)
        owner = owners[at]
        usable[first] = (page, wheels, ranks, sdists, True, wheels[at])
    else:
        owner = next(i for i in same if usable[i][3])
        usable[first] = (page, wheels, ranks, sdists, False, usable[owner][3][0])
    versions[first] = versions[owner]
    texts[first] = texts[owner]
    return first
