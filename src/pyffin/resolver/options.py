"""How the solver picks among the versions it may use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyffin.records import record

# The aliases for type checkers only: typing.Literal costs every command's start. At run time
# pyffin.resolver makes them from the tuples below when asked for (its __getattr__).
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    #: ``highest``: newest first; ``lowest``: oldest first; ``lowest-direct``: oldest first
    #: for the packages the user requires directly, newest for the rest (uv's
    #: ``--resolution``).
    ResolutionMode: TypeAlias = Literal["highest", "lowest", "lowest-direct"]

    #: uv's ``--prerelease``:
    #:
    #: * ``disallow``: never a pre-release;
    #: * ``allow``: pre-releases compete with final releases by version;
    #: * ``if-necessary``: final releases first, a pre-release only when no final release in
    #:   the allowed range will do (the pre-releases stay in the candidate set, which keeps
    #:   what the solver learns true);
    #: * ``explicit``: pre-releases allowed for the packages whose direct requirement,
    #:   constraint or override names one (``foo>=2.0b1``), none for any other;
    #: * ``if-necessary-or-explicit`` (default): ``explicit`` for those packages,
    #:   ``if-necessary`` for the rest.
    PrereleaseMode: TypeAlias = Literal[
        "disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"
    ]

    #: uv's ``--fork-strategy``, for a universal resolution:
    #:
    #: * ``requires-python`` (default): the newest version for each Python version: where the
    #:   version chosen requires a newer Python than a fork's lowest, the fork splits there,
    #:   and forks with higher Python bounds are solved first;
    #: * ``fewest``: as few versions of each package as may be: a version whose
    #:   Requires-Python leaves out some of a fork's Pythons is passed over for an older one
    #:   that serves them all, and forks with lower Python bounds are solved first.
    ForkStrategy: TypeAlias = Literal["fewest", "requires-python"]

RESOLUTION_MODES: tuple[ResolutionMode, ...] = ("highest", "lowest", "lowest-direct")
PRERELEASE_MODES: tuple[PrereleaseMode, ...] = (
    "disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"
)
FORK_STRATEGIES: tuple[ForkStrategy, ...] = ("fewest", "requires-python")


def prerelease_package(text: str) -> tuple[str, PrereleaseMode]:
    """uv's ``--prerelease-package`` value ``PACKAGE=MODE``: the normalized name and the mode;
    a :class:`ValueError` in uv's words when it is not one."""
    from pyffin.models.names import is_valid_name, normalize_name

    package, equals, mode = text.partition("=")
    if not equals:
        raise ValueError(f"Invalid `prerelease-package` value `{text}`: expected format "
                         "`PACKAGE=MODE`")
    if not is_valid_name(package):
        raise ValueError(f"Invalid `prerelease-package` package name `{package}`: Not a valid "
                         f"package or extra name: \"{package}\". Names must start and end with a "
                         "letter or digit and may only contain -, _, ., and alphanumeric "
                         "characters.")
    for known in PRERELEASE_MODES:
        if mode == known:
            return normalize_name(package), known
    raise ValueError("Invalid `prerelease-package` mode: expected one of `disallow`, `allow`, "
                     f"`if-necessary`, `explicit`, or `if-necessary-or-explicit`, found `{mode}`")


@record
class ResolverOptions:
    """Candidate selection policy of one resolution."""

    resolution: ResolutionMode = "highest"
    prerelease: PrereleaseMode = "if-necessary-or-explicit"
    #: Ignore every preference (``--upgrade``).
    upgrade: bool = False
    #: Ignore the preferences of these normalized names (``--upgrade-package``).
    upgrade_packages: frozenset[str] = frozenset()
    #: ``(normalized name, mode)``: :attr:`prerelease` for every package but these (uv's
    #: ``--prerelease-package``; a later pair for a name wins).
    prerelease_packages: tuple[tuple[str, PrereleaseMode], ...] = ()
    #: How a universal resolution forks (see :data:`ForkStrategy`); one target ignores it.
    fork_strategy: ForkStrategy = "requires-python"
