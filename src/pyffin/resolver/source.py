"""What the solver asks of the outside world: the :class:`PackageSource` protocol.

Everything that does I/O (index pages, metadata, builds) lives behind a source; the solver core
stays pure. A source is free to fetch in a thread pool: the solver announces what it will need
(:meth:`PackageSource.prefetch_candidates`, :meth:`PackageSource.prefetch`) as soon as it knows,
asks :meth:`PackageSource.is_ready` to prefer deciding packages whose data has arrived, and blocks
(in :meth:`PackageSource.candidates` / :meth:`PackageSource.metadata`) only when it must decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, overload

from pyffin.models.versions import Version, parse_version
from pyffin.records import record

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from pyffin.models.dist import Distribution
    from pyffin.models.markers import Marker
    from pyffin.models.metadata import CoreMetadata
    from pyffin.resolver.ranges import VersionSet

#: Whether a version (given with its ``yanked`` and ``requires_python`` as the index lists
#: them) is one the solver would choose, were it the newest offered.
Likely = Callable[["Version", bool, "str | None"], bool]


@record
class Candidate:
    """One version the index offers for a project, as far as the index page tells."""

    version: Version
    #: PEP 592: skipped unless a direct requirement or constraint pins exactly this version.
    yanked: bool = False
    #: The index's ``data-requires-python`` (lets the solver skip a version without its metadata).
    requires_python: str | None = None
    #: With ``--index-strategy unsafe-first-match``, the position of the first index that
    #: offers this version (``--find-links`` count as the first): every version of an index is
    #: tried before any of a later one. Always 0 with the other strategies.
    index_rank: int = 0


class VersionList(Sequence[Version]):
    """Ascending versions kept as their texts, each parsed when first looked at:
    a project offers hundreds or thousands of versions and a resolution looks at a few (a
    bisection parses about twenty)."""

    __slots__ = ("_found", "_made", "_numbers", "_texts")

    def __init__(self, texts: list[str]) -> None:
        self._texts = texts
        self._made: list[Version | None] = [None] * len(texts)
        #: Each text's :func:`_release_numbers` once a bisection needed them (``None``: not
        #: yet, or no bisection by release numbers so far).
        self._numbers: list[tuple[int, ...] | Literal[False] | None] | None = None
        #: :meth:`position`'s answers: the solver asks about the same few versions often.
        self._found: dict[Version, int | None] = {}

    @classmethod
    def of(cls, versions: list[Version]) -> VersionList:
        """Ascending versions already parsed."""
        made = cls([])
        made._made = versions  # type: ignore[assignment]
        return made

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, i: int) -> Version: ...

    @overload
    def __getitem__(self, i: slice) -> list[Version]: ...

    def __getitem__(self, i: int | slice) -> Version | list[Version]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self._made)))]
        made = self._made[i]
        if made is None:
            made = self._made[i] = parse_version(self._texts[i])
        return made

    def __iter__(self) -> Iterator[Version]:
        return (self[i] for i in range(len(self._made)))

    def position(self, version: Version) -> int | None:
        """Where ``version`` is, or ``None`` (by bisection)."""
        try:
            return self._found[version]
        except KeyError:
            pass
        i: int | None = self.bisect_left(version)
        if i == len(self._made) or self[i] != version:  # type: ignore[index]
            i = None
        self._found[version] = i
        return i

    def bisect_left(self, bound: object) -> int:
        """:func:`bisect.bisect_left` of ``bound`` (a version, or any bound a range has)."""
        return self._bisect(bound, False)

    def bisect_right(self, bound: object) -> int:
        """:func:`bisect.bisect_right` of ``bound``."""
        return self._bisect(bound, True)

    def _bisect(self, bound: object, right: bool) -> int:
        # A text (``1.26.4``, ``2.0.0rc1``) is compared with a version of another release by
        # its release numbers alone, as ``packaging`` orders them (epoch, then release,
        # trailing zeros aside: both padded with zeros): only texts of the same release, or
        # that do not say their release plainly (an epoch, a leading ``v``), are parsed.
        made = self._made
        release = None
        numbers = self._numbers
        if isinstance(bound, Version) and not bound.epoch and len(bound.release) <= _LONGEST:
            release = bound.release + _ZEROS[len(bound.release):]
            if numbers is None:
                numbers = self._numbers = [None] * len(made)
        low, high = 0, len(made)
        while low < high:
            middle = (low + high) // 2
            version = made[middle]
            if version is None:
                if release is not None and numbers is not None:
                    found = numbers[middle]
                    if found is None:
                        found = numbers[middle] = _release_numbers(self._texts[middle])
                    if found is not False and found != release:
                        if found < release:
                            low = middle + 1
                        else:
                            high = middle
                        continue
                version = made[middle] = parse_version(self._texts[middle])
            if (not bound < version) if right else version < bound:  # type: ignore[operator]
                low = middle + 1
            else:
                high = middle
        return low


#: :meth:`VersionList._bisect` compares releases of up to this many numbers, padded.
_LONGEST = 8
_ZEROS = (0,) * _LONGEST


def _release_numbers(text: str) -> tuple[int, ...] | Literal[False]:
    """The release numbers of a valid version text, padded with zeros to :data:`_LONGEST`;
    ``False`` when they do not decide its place among other releases' (an epoch, another start,
    more numbers than that). Worked out once per text of a list (:attr:`VersionList._numbers`):
    the bisections of a resolution pass over the same middle texts again and again. (Every text
    is a valid version: one whose parts all read as numbers is a plain release.)"""
    try:
        numbers = tuple(map(int, text.split(".")))
    except ValueError:  # not a plain release: its release, if it says it
        parts = _release_parts(text)
        if parts is None:
            return False
        numbers = tuple(map(int, parts))
    if len(numbers) > _LONGEST:
        return False
    return numbers + _ZEROS[len(numbers):]


def _release_parts(text: str) -> list[str] | None:
    """The release numbers' texts of a valid version text of another shape than a plain
    release, when it begins with them (``2.0.0rc1``, ``1.0.post1``, ``1.0-1``, ``1.0+local``:
    what follows is a pre-, post- or dev-release or a local part, which order only versions of
    the same release); ``None`` for an epoch (``1!2.0``) or another start (``v1.0``)."""
    rest = text.lstrip("0123456789.")
    if rest.startswith("!") or not text[:1].isdigit():
        return None
    parts = text[:len(text) - len(rest)].rstrip(".").split(".")
    return parts if all(parts) else None


class Positions(Mapping[Version, int]):
    """Version -> position in a :class:`VersionList`, by bisection (no dict of every version
    is built)."""

    __slots__ = ("_versions",)

    def __init__(self, versions: VersionList) -> None:
        self._versions = versions

    def __getitem__(self, version: Version) -> int:
        position = self.get(version)
        if position is None:
            raise KeyError(version)
        return position

    def get(self, version: Version, default: int | None = None) -> int | None:  # type: ignore[override]
        if not isinstance(version, Version):
            return default
        position = self._versions.position(version)
        return default if position is None else position

    def __contains__(self, version: object) -> bool:
        return isinstance(version, Version) and self._versions.position(version) is not None

    def __iter__(self) -> Iterator[Version]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)


class SortedCandidates(Sequence[Candidate]):
    """Candidates a source already has in ascending order, as columns: each
    :class:`Candidate` (and its version) is made when first looked at. A provider given one
    uses its :attr:`versions`, :attr:`prerelease` and :attr:`index_ranks` as they are,
    instead of sorting and indexing every candidate."""

    __slots__ = ("_made", "index_ranks", "prerelease", "requires_python", "versions", "yanked")

    def __init__(self, versions: VersionList, yanked: Sequence[bool],
                 requires_python: Sequence[str | None], index_ranks: Sequence[int],
                 prerelease: Sequence[bool]) -> None:
        self.versions = versions
        #: These four in the same order as :attr:`versions`.
        self.yanked = yanked
        self.requires_python = requires_python
        self.index_ranks = index_ranks
        self.prerelease = prerelease
        self._made: list[Candidate | None] = [None] * len(versions)

    def __len__(self) -> int:
        return len(self.versions)

    @overload
    def __getitem__(self, i: int) -> Candidate: ...

    @overload
    def __getitem__(self, i: slice) -> list[Candidate]: ...

    def __getitem__(self, i: int | slice) -> Candidate | list[Candidate]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.versions)))]
        made = self._made[i]
        if made is None:
            made = self._made[i] = Candidate(self.versions[i], self.yanked[i],
                                             self.requires_python[i], self.index_ranks[i])
        return made

    def __iter__(self) -> Iterator[Candidate]:
        return (self[i] for i in range(len(self.versions)))


@record
class Dropped:
    """A version the index lists but the target cannot use any file of, and why: explanations
    name the real reason instead of saying the version does not exist.

    ``reason`` is what its wheels lack, as uv judges a wheel's tags (the closest wheel counts):
    a Python implementation tag the target accepts (``python-tag``), then an ABI tag
    (``abi-tag``), then a platform tag (``platform-tag``); or ``no-build``: source
    distributions only, and building is off (``--only-binary``, ``--no-build``); or
    ``no-binary``: wheels only, and wheels are off (``--no-binary``).
    """

    version: Version
    reason: Literal["python-tag", "abi-tag", "platform-tag", "no-build", "no-binary"]
    #: The tags of that kind the wheels have (``cp39``, ``cp310``; for platforms, those of the
    #: wheels that fit otherwise), in natural order.
    found: tuple[str, ...] = ()
    #: The target's preferred tag of that kind (``cp312``, ``manylinux_2_36_x86_64``); for
    #: ``no-build``/``no-binary``, the option that turned the files off (``--no-build``).
    expected: str = ""


class PackageSource(Protocol):
    """Versions and metadata of projects, for one target environment.

    :meth:`candidates` and :meth:`metadata` are required; the hints have no-op defaults, which a
    source inherits by subclassing this protocol explicitly.
    """

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        """Every version usable on the target, in any order (blocking).

        The source has already dropped what the target cannot use: files whose tags do not fit,
        versions newer than ``--exclude-newer``, sdist-only versions under ``--only-binary``.
        Raises :class:`~pyffin.resolver.errors.PackageNotFoundError` when no index has ``name``.
        """
        ...

    def metadata(self, name: NormalizedName, version: Version) -> CoreMetadata:
        """The core metadata of one version (blocking).

        May raise any :class:`~pyffin.errors.PyffinError` (a build that failed, a format not
        supported yet); the solver lets it propagate unchanged.
        """
        ...

    def prefetch_candidates(self, name: NormalizedName, likely: Likely | None = None,
                            required: VersionSet | None = None) -> None:
        """Hint: ``candidates(name)`` will be needed; start fetching it (must not block).
        ``likely`` says which version would most likely be chosen (the newest it accepts):
        its metadata may be fetched as soon as the versions are known, in any thread.
        ``required``: every solution has a version of ``name`` in it (a direct requirement's
        range): when the versions hold only one there, that one is ``certain`` (see
        :meth:`prefetch`)."""

    def prefetch(self, name: NormalizedName, version: Version, *,
                 certain: bool = False) -> None:
        """Hint: ``metadata(name, version)`` is likely needed; start fetching it (never blocks).
        ``certain``: every solution has this version, so its metadata is fetched however it
        must be (an sdist downloaded and built), not only when a wheel's metadata tells it."""

    def is_ready(self, name: NormalizedName, version: Version | None) -> bool:
        """Whether ``metadata(name, version)`` (``candidates(name)`` for ``None``) won't block."""
        return True

    def builds(self, name: NormalizedName, version: Version) -> bool:
        """Whether ``metadata(name, version)`` would download or build a source distribution
        (nothing known of its metadata yet): a resolution of first choices leaves such a
        version to the solver's search, which reads it only when it must. The default: no."""
        return False

    def distribution(self, name: NormalizedName, version: Version) -> Distribution | None:
        """The file (or direct source) the target would install for a pinned version, for the
        resolution to carry (asked once the solver is done); ``None``: this source does not
        say (the default)."""
        return None

    def dropped(self, name: NormalizedName) -> Sequence[Dropped]:
        """The versions :meth:`candidates` left out because the target can use none of their
        files (asked only to explain a failure; the default knows of none)."""
        return ()

    def serves(self, name: NormalizedName, version: Version, marker: Marker) -> bool:
        """Whether some usable file of a version can be installed where ``marker`` holds (a
        source distribution or a direct source: anywhere); the default: yes."""
        return True

    def unchecked_index(self, name: NormalizedName) -> tuple[str, str] | None:
        """``(the index name's versions came from, the next index)`` when only the first
        index that has ``name`` was read (the first-index strategy) and another follows it
        (asked only to explain a failure; the default: ``None``)."""
        return None

    def wheel_filenames(self, name: NormalizedName, version: Version) -> Sequence[str] | None:
        """The filenames of the files of a version a universal resolution may use, when they
        are all wheels; ``None`` when one of them (a source distribution, a direct reference)
        serves every platform. The default knows of no wheels-only version."""
        return None

    def system_dependencies(self, name: NormalizedName, version: Version
                            ) -> Mapping[str, Version]:
        """The system packages (:mod:`pyffin.resolver.system`: ``system:cuda``) a version
        needs at a version each, beside its metadata's requirements; the source serves
        their candidates and metadata as a project's. The default: none."""
        return {}

    def resolution_done(self) -> None:
        """Hint: the solver asks nothing more (it found a solution or failed); work the
        source deferred so as not to slow the resolution down may be done now."""

    def pin_url(self, name: NormalizedName, url: str) -> None:
        """Use the distribution at ``url`` as the only candidate of ``name`` (a direct
        reference: ``name @ url``, a local path, a git repository). Called before solving."""
        from pyffin.errors import NotSupportedError

        raise NotSupportedError(f"direct URL requirements are not supported by this source: "
                                f"{name} @ {url}")
