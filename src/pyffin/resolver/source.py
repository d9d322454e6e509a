"""What the solver asks of the outside world: the :class:`PackageSource` protocol.

Everything that does I/O (index pages, metadata, builds) lives behind a source; the solver core
stays pure. A source is free to fetch in a thread pool: the solver announces what it will need
(:meth:`PackageSource.prefetch_candidates`, :meth:`PackageSource.prefetch`) as soon as it knows,
asks :meth:`PackageSource.is_ready` to prefer deciding packages whose data has arrived, and blocks
(in :meth:`PackageSource.candidates` / :meth:`PackageSource.metadata`) only when it must decide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Protocol

from pyffin.records import record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from packaging.utils import NormalizedName
    from packaging.version import Version

    from pyffin.models.dist import Distribution
    from pyffin.models.metadata import CoreMetadata

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

    def prefetch_candidates(self, name: NormalizedName,
                            likely: Likely | None = None) -> None:
        """Hint: ``candidates(name)`` will be needed; start fetching it (must not block).
        ``likely`` says which version would most likely be chosen (the newest it accepts):
        its metadata may be fetched as soon as the versions are known, in any thread."""

    def prefetch(self, name: NormalizedName, version: Version) -> None:
        """Hint: ``metadata(name, version)`` is likely needed; start fetching it (never blocks)."""

    def is_ready(self, name: NormalizedName, version: Version | None) -> bool:
        """Whether ``metadata(name, version)`` (``candidates(name)`` for ``None``) won't block."""
        return True

    def distribution(self, name: NormalizedName, version: Version) -> Distribution | None:
        """The file (or direct source) the target would install for a pinned version, for the
        resolution to carry (asked once the solver is done); ``None``: this source does not
        say (the default)."""
        return None

    def dropped(self, name: NormalizedName) -> Sequence[Dropped]:
        """The versions :meth:`candidates` left out because the target can use none of their
        files (asked only to explain a failure; the default knows of none)."""
        return ()

    def wheel_filenames(self, name: NormalizedName, version: Version) -> Sequence[str] | None:
        """The filenames of the files of a version a universal resolution may use, when they
        are all wheels; ``None`` when one of them (a source distribution, a direct reference)
        serves every platform. The default knows of no wheels-only version."""
        return None

    def resolution_done(self) -> None:
        """Hint: the solver asks nothing more (it found a solution or failed); work the
        source deferred so as not to slow the resolution down may be done now."""

    def pin_url(self, name: NormalizedName, url: str) -> None:
        """Use the distribution at ``url`` as the only candidate of ``name`` (a direct
        reference: ``name @ url``, a local path, a git repository). Called before solving."""
        from pyffin.errors import NotSupportedError

        raise NotSupportedError(f"direct URL requirements are not supported by this source: "
                                f"{name} @ {url}")
