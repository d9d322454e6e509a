"""Usable-versions summaries: what one target can use of a project's index page, kept next to
the page in ``simple-v0`` (``<name>.<hash(target)>.rec``), so a warm resolve reads a few bytes
per project instead of decoding its page.

A summary is tied to the page file it was derived from (its stamp) and to that page's HTTP
cache policy: once the page file changes, or the page is no longer usable without the network
(stale, ``--refresh``), the summary is ignored. Its key holds everything that decides which
files the target can use: the tags, the binary policy, the upload-time cutoff, and
``packaging``'s version (the summary embeds pickled ``Version`` objects).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyffin.cache import codec, digest
from pyffin.resolver.file_selection import SummarizedPage, VersionFiles
from pyffin.resolver.source import Candidate

if TYPE_CHECKING:
    from packaging.version import Version

    from pyffin.cache import CacheEntry
    from pyffin.client.registry import RegistryClient
    from pyffin.resolver.file_selection import FileSelection

#: The usable-versions summary: ``(page stamp, page cache policy, rows, versions)``, a row
#: being ``(version, *Summary)`` in ascending version order and ``versions`` those versions as
#: pickled ``Version`` objects with their sort keys computed: unpickling them is several times
#: cheaper than parsing (the summary's key includes packaging's version, whose objects they are).
SUMMARY_SCHEMA = "usable-versions"
SUMMARY_VERSION = 4


class Summaries:
    """The summaries of one target's pages: read when a project is first asked for, written
    (:meth:`save`) for the pages this process had to decode."""

    def __init__(self, registry: RegistryClient, selection: FileSelection) -> None:
        self.registry = registry
        self.selection = selection
        self._lock = threading.Lock()
        #: Summaries to write (see :meth:`save`): entry, page stamp, page policy record,
        #: usable versions.
        self._unsaved: list[tuple[CacheEntry, Any, Any, dict[Version, VersionFiles]]] = []
        self._target_key: str | None = None

    def _entries(self, name: str) -> tuple[str, CacheEntry, CacheEntry] | None:
        """The index, page entry and summary entry of ``name`` for this target, when one page
        is the whole story."""
        single = self.registry.single_page_entry(name)
        if single is None:
            return None
        index, page_entry = single
        selection = self.selection
        if self._target_key is None:
            from packaging import __version__ as packaging_version

            target = ([f"universal {selection.universal}"] if selection.universal
                      else list(selection.tag_rank))
            self._target_key = digest("\n".join([packaging_version, *target]))
        key = digest(f"{self._target_key}|{selection.binary.wheels_allowed(name)}|"
                     f"{selection.binary.sdists_allowed(name)}|{selection.cutoff(name)}")
        return index, page_entry, page_entry.with_name(f"{name}.{key}.rec")

    def read(self, name: str, load: Callable[[Version], VersionFiles]
             ) -> tuple[dict[Version, VersionFiles], list[Candidate]] | None:
        """The usable versions (and their candidates) from this target's summary of the page,
        when it still describes the page file and the page is usable without the network.
        ``load`` gives a version's files from the decoded page, once all of them are needed."""
        entries = self._entries(name)
        if entries is None:
            return None
        index, page_entry, summary_entry = entries
        if not self.registry.may_be_cached(summary_entry.dir):
            return None
        stored = summary_entry.read_record(
            lambda data: codec.loads(data, SUMMARY_SCHEMA, SUMMARY_VERSION))
        if stored is None:
            return None
        stored_tuple: Any = stored
        stamp, policy_data, rows, pickled = stored_tuple
        if tuple(stamp) != page_entry.stamp():
            return None
        from pyffin.client.policy import CachePolicy

        if not self.registry.usable_without_network(
                CachePolicy.from_record(tuple(policy_data)), name):
            return None
        import pickle

        from pyffin.models.files import ProjectPage, SimplePage

        try:
            versions = pickle.loads(pickled)
        except Exception:  # a damaged record is a miss, like any other
            return None
        if not isinstance(versions, list) or len(versions) != len(rows):
            return None

        page = SummarizedPage(ProjectPage(index, SimplePage(name, {})), load)
        found: dict[Version, VersionFiles] = {}
        candidates: list[Candidate] = []
        summarized = VersionFiles.summarized
        for version, (_, yanked, requires_python, best, is_wheel, stand_in) in zip(
                versions, rows, strict=True):
            found[version] = summarized((yanked, requires_python, best, is_wheel, stand_in),
                                        version, page)
            candidates.append(Candidate(version, yanked=yanked, requires_python=requires_python))
        return found, candidates

    def note(self, name: str, found: dict[Version, VersionFiles]) -> None:
        """``found`` are the usable versions of ``name``'s page, decoded by this process: to
        summarize (:meth:`save`) if the page is the whole story and its state is known."""
        entries = self._entries(name)
        seen = None if entries is None else self.registry.page_validity(entries[1])
        if entries is not None and seen is not None:
            policy, stamp = seen
            with self._lock:
                self._unsaved.append((entries[2], stamp, policy.to_record(), found))

    def save(self) -> None:
        """Keep what this target can use of each page read since the last call next to the
        page, tied to the page file it came from and its policy: a warm resolve then reads a
        few bytes per project instead of decoding its page.

        Called once the resolution is over: while pages are still being fetched and parsed in
        the I/O threads, each write would wait for the GIL at every system call."""
        import pickle

        with self._lock:
            unsaved, self._unsaved = self._unsaved, []
        for entry, stamp, policy, found in unsaved:
            versions = sorted(found)
            for version in versions:
                hash(version)  # computes the sort key, which is pickled with the version
            rows = []
            for version in versions:
                files = found[version]
                stand_in = self.selection.stand_in_row(files)
                rows.append((str(version), *files.summarize(
                    None if stand_in is None else tuple(stand_in[:8]))))
            entry.write(codec.dumps(
                SUMMARY_SCHEMA, SUMMARY_VERSION,
                (stamp, policy, rows, pickle.dumps(versions, protocol=5))))

