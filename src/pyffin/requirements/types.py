"""The records the requirement readers return: where a line came from, one requirement, and the
merged specification of every source a command was given."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pyffin.models.names import normalize_name
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.requirements.pep508 import Marker, Requirement

#: :attr:`Location.path` of a requirement given as a command-line argument.
COMMAND_LINE = "<command line>"
#: :attr:`Location.path` of a requirements file read from standard input.
STDIN = "-"

@record
class Location:
    """A line of a requirements source, as the user named it (``reqs/base.txt``, ``-``)."""

    path: str
    #: 1-based line number; 0 when the source has no lines to point at (command line, TOML).
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@record
class RequirementEntry:
    """One requirement as the user wrote it, with its direct reference resolved.

    ``requirement`` is ``None`` for an *unnamed* requirement (``./pkg``, ``https://host/x.zip``,
    ``-e ./pkg``): its name is known only once it is built; :meth:`with_name` then names it.
    ``extras`` and ``marker`` always hold the entry's extras and marker, also when it is unnamed.
    """

    requirement: Requirement | None
    #: The direct reference: ``file:///abs/path`` for local paths and archives, other URLs
    #: (``https://...``, ``git+https://...@rev#subdirectory=x``) kept as written.
    url: str | None = None
    editable: bool = False
    #: Allowed hashes, normalized to ``algorithm:hexdigest`` (lowercase).
    hashes: tuple[str, ...] = ()
    location: Location | None = None
    #: What brought this requirement in, for ``# via`` annotations: ``-r requirements.in``,
    #: ``-c constraints.txt``, ``--override overrides.txt``, ``pyproject.toml``.
    origin: str | None = None
    extras: tuple[str, ...] = ()
    marker: Marker | None = None
    #: The direct reference as the user wrote it (``./pkg``, ``file:../x.whl``), which a
    #: compiled file repeats, as uv and pip-tools do; ``None`` when there is none.
    given: str | None = None

    @property
    def name(self) -> str | None:
        """The PEP 503-normalized project name, or ``None`` for an unnamed requirement."""
        return None if self.requirement is None else normalize_name(self.requirement.name)

    def with_name(self, name: str) -> RequirementEntry:
        """This unnamed entry named ``name`` (found by building it): ``name[extras] @ url``."""
        from pyffin.requirements.pep508 import parse_requirement

        if self.url is None:
            raise ValueError("only a requirement with a URL can be named after the fact")
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        marker = f" ; {self.marker}" if self.marker is not None else ""
        requirement = parse_requirement(f"{name}{extras} @ {self.url}{marker}")
        return RequirementEntry(requirement, self.url, self.editable, self.hashes, self.location,
                                self.origin, self.extras, self.marker, self.given)


@record
class RequirementsSpec:
    """Everything read from a command's requirement sources, merged in the order given.

    Editable requirements stay in :attr:`requirements` (flagged :attr:`RequirementEntry.editable`)
    so that the order of the user's lines is kept; :attr:`editables` selects them.
    """

    requirements: tuple[RequirementEntry, ...] = ()
    constraints: tuple[RequirementEntry, ...] = ()
    #: Entries that replace every dependency on the same name (``--override``).
    overrides: tuple[RequirementEntry, ...] = ()
    #: Entries whose projects are left out of the resolution (uv's ``--excludes``): every
    #: requirement on their names, direct or not, is dropped, whatever its specifier, extras
    #: or marker (see :attr:`excluded`).
    excludes: tuple[RequirementEntry, ...] = ()
    #: The last ``--index-url`` given, or ``None`` for the default index.
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    #: URLs and absolute local paths.
    find_links: tuple[str, ...] = ()
    #: ``--no-index``: use no index at all, only :attr:`find_links`.
    no_index: bool = False
    #: ``--trusted-host``: hosts whose HTTPS certificates are not verified.
    trusted_hosts: tuple[str, ...] = ()
    #: Normalized names, or ``":all:"``, per pip's ``--no-binary``/``--only-binary`` rules (the
    #: answer for a package: :class:`~pyffin.models.format_control.BinaryPolicy`).
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    pre: bool = False
    #: ``--require-hashes``: every requirement must carry hashes (the installer checks).
    require_hashes: bool = False
    #: The files read, including nested ones, in reading order (for a compiled file's header).
    sources: tuple[str, ...] = ()
    #: ``(source, specifier)``: the Python versions a source admits (a PEP 723 script's
    #: ``requires-python``), for the operation to check against its target.
    requires_python: tuple[tuple[str, str], ...] = ()
    #: ``(URL, as written)`` for the index and find-links URLs a requirements file wrote with
    #: ``${VARS}``: what a compiled file repeats (not the expanded credentials), as uv does.
    written_urls: tuple[tuple[str, str], ...] = ()

    @property
    def editables(self) -> tuple[RequirementEntry, ...]:
        return tuple(entry for entry in self.requirements if entry.editable)

    @property
    def excluded(self) -> frozenset[str]:
        """The normalized names of :attr:`excludes`."""
        return frozenset(entry.name for entry in self.excludes if entry.name is not None)


@record
class GroupSelection:
    """The ``--group``, ``--only-group``, ``--all-groups`` and ``--no-group`` options.

    ``groups`` and ``only_groups`` hold the values as given (``NAME`` or ``PATH:NAME``);
    ``only_groups`` also leaves out the project dependencies of the ``pyproject.toml`` files the
    groups come from. ``no_groups`` names groups to leave out of every selection.
    """

    groups: tuple[str, ...] = ()
    only_groups: tuple[str, ...] = ()
    all_groups: bool = False
    no_groups: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups or self.only_groups or self.all_groups)


def shown_path(path: str) -> str:
    """``path`` as annotations show it: relative to the working directory when it lies inside
    it (uv writes ``# via -r req.in`` for ``/cwd/req.in``), otherwise as given."""
    if not os.path.isabs(path):
        return path
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed
        return path
    prefix = cwd.rstrip(os.sep) + os.sep
    return path[len(prefix):] if path.startswith(prefix) else path
