"""The mutable accumulator the readers fill, frozen into a :class:`RequirementsSpec` at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyffin.models.names import normalize_name
from pyffin.requirements.errors import invalid
from pyffin.requirements.types import Location, RequirementEntry, RequirementsSpec

if TYPE_CHECKING:
    from typing import Literal

    #: What a source's entries are: requirements, constraints (``-c``), overrides
    #: (``--override``) or excludes (``--excludes``).
    Kind = Literal["requirement", "constraint", "override", "exclude"]

#: The command-line flag that reads a source of each kind, for :attr:`RequirementEntry.origin`.
FLAGS: dict[Kind, str] = {"requirement": "-r", "constraint": "-c", "override": "--override",
                          "exclude": "--excludes"}
#: The entries of each kind but requirements, in messages.
WHAT: dict[Kind, str] = {"requirement": "requirements", "constraint": "constraints",
                         "override": "overrides", "exclude": "excludes"}


class Collector:
    """Entries and index options from every source, in reading order."""

    def __init__(self) -> None:
        self.entries: dict[Kind, list[RequirementEntry]] = {
            "requirement": [], "constraint": [], "override": [], "exclude": []}
        self.index_url: str | None = None
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.no_index = False
        self.trusted_hosts: list[str] = []
        self.no_binary: set[str] = set()
        self.only_binary: set[str] = set()
        self.pre = False
        self.require_hashes = False
        self.sources: list[str] = []
        self.requires_python: list[tuple[str, str]] = []
        #: See :attr:`RequirementsSpec.written_urls`.
        self.written_urls: dict[str, str] = {}

    def add(self, entry: RequirementEntry, kind: Kind, text: str) -> None:
        """Add ``entry`` (parsed from ``text``); constraints, overrides and excludes must name
        a project."""
        if kind != "requirement":
            what = WHAT[kind]
            if entry.editable:
                raise invalid(entry.location, f"editable requirements are not allowed as {what}",
                              text)
            if entry.requirement is None:
                raise invalid(entry.location, f"{what} must name a project (write "
                              f"'name @ {entry.url}')", text)
            # A constraint's extras are ignored, as uv ignores them (pip refuses them): it
            # bounds the versions of a project, which its extras do not change.
        self.entries[kind].append(entry)

    def add_source(self, path: str) -> None:
        if path not in self.sources:
            self.sources.append(path)

    def add_extra_index_url(self, url: str) -> None:
        if url not in self.extra_index_urls:
            self.extra_index_urls.append(url)

    def add_trusted_host(self, host: str) -> None:
        if host not in self.trusted_hosts:
            self.trusted_hosts.append(host)

    def add_find_links(self, link: str) -> None:
        if link not in self.find_links:
            self.find_links.append(link)

    def format_control(self, option: str, value: str, location: Location, text: str) -> None:
        """Apply ``--no-binary``/``--only-binary`` ``value`` as pip does: names and ``:all:``
        go to this option's set and leave the other's, ``:none:`` empties this option's set."""
        target, other = ((self.no_binary, self.only_binary) if option == "--no-binary"
                         else (self.only_binary, self.no_binary))
        if not value or value.startswith("-"):
            raise invalid(location, f"{option} needs project names, :all: or :none:", text)
        names = value.split(",")
        while ":all:" in names:
            other.clear()
            target.clear()
            target.add(":all:")
            del names[:names.index(":all:") + 1]
            if ":none:" not in names:
                return
        for name in names:
            if name == ":none:":
                target.clear()
            elif name:
                name = normalize_name(name)
                other.discard(name)
                target.add(name)

    def spec(self) -> RequirementsSpec:
        return RequirementsSpec(
            requirements=tuple(self.entries["requirement"]),
            constraints=tuple(self.entries["constraint"]),
            overrides=tuple(self.entries["override"]),
            excludes=tuple(self.entries["exclude"]),
            index_url=self.index_url,
            extra_index_urls=tuple(self.extra_index_urls),
            find_links=tuple(self.find_links),
            no_index=self.no_index,
            trusted_hosts=tuple(self.trusted_hosts),
            no_binary=frozenset(self.no_binary),
            only_binary=frozenset(self.only_binary),
            pre=self.pre,
            require_hashes=self.require_hashes,
            sources=tuple(self.sources),
            requires_python=tuple(self.requires_python),
            written_urls=tuple(self.written_urls.items()),
        )
