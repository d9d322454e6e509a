"""The resolution cache: ``pip compile`` run again on unchanged inputs writes the resolution it
made last time, without solving (``resolutions-v1``, see :class:`~pyffin.cache.CacheBucket`);
``pip install`` and ``pip sync`` install it (their preferences are what the environment has
installed, so a new environment is served what the last new one was).

A kept resolution is found by a key made of everything that decides the answer: the
requirements, constraints and overrides as read (with their origins, which the ``# via``
annotations show), every resolver option, the target's markers and tags, the upload-time
cutoffs, the index settings and locations, the preferences of the existing output file,
``--no-deps``, ``--generate-hashes``, the build options, pyffin's and ``packaging``'s versions.
What the answer was made from is not in the key but in the record: every cache entry and local
file the resolution read, with its stamp and freshness (see
:data:`~pyffin.client.cached.Dependency`). The kept resolution is used only while each of them
is unchanged and usable without the network — so a changed page or a new local wheel is a
miss, and the resolution is made (and kept) again. Index pages past their max-age (PyPI's is
ten minutes) are asked about, all at once, with conditional requests (their policies are kept
in the record: no page is read) — or, for a page that came without validators, plain ones
whose bodies are compared with the digest of the stored page's: when every one is not
modified (or the same bytes) the kept resolution is used, and is kept with their new
freshness; when one changed or cannot be asked (an error), the resolution is made again (from
the pages just fetched). Other stale entries
(wheel metadata past its max-age) are a miss. ``--offline`` uses stale pages as they are.

Never used: with ``--refresh``/``--refresh-package`` (asked to look again), ``--upgrade`` and
``--upgrade-package`` (asked to drop pins), ``--no-cache``, a cutoff relative to now
(``--exclude-newer "7 days"``), direct references (URLs, paths, git: their sources are not
cache entries), and resolutions that looked something up that no file stands for (an index
that answered 404).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pyffin import log
from pyffin.cache import CacheBucket, codec, tags_digest

if TYPE_CHECKING:
    from pyffin.api.exclude_newer import ExcludeNewer
    from pyffin.api.session import Session
    from pyffin.api.target import Target
    from pyffin.cache import CacheEntry
    from pyffin.client.cached import Dependency
    from pyffin.models.versions import Version
    from pyffin.requirements import RequirementsSpec
    from pyffin.resolver import Resolution
    from pyffin.resolver.universal import UniversalResolution

#: ``(dependencies, resolution, hashes, policies, warnings)``: what the resolution was made
#: from (see :data:`~pyffin.client.cached.Dependency`), the resolution (see :func:`_kept`),
#: ``--generate-hashes``' digests, the HTTP policy record of each stored page, by path (to
#: revalidate a stale page without reading it), and the warnings the resolution gave about what
#: it read (:func:`pyffin.log.warn_result`: a missing extra...), given again when it is used.
RESOLUTION_SCHEMA = "resolution"
#: 5: a universal resolution's pins say which are yanked (kept ones before did not); 6: and
#: the index each is listed on; 7: its forks skip versions without wheels for their Pythons;
#: 8: a fork keeps what its parent read before the split, and a package splits before its extra;
#: 9: and, after a dependency split, the versions decided before it as first choices.
RESOLUTION_VERSION = 9


class ResolutionCache:
    """The kept resolution of one compile's inputs: :meth:`get` before solving, :meth:`put`
    after."""

    def __init__(self, session: Session, inputs: str, preferences: Mapping[str, Version],
                 *, output_file: bool = False) -> None:
        self.session = session
        #: Every input but the preferences, as text.
        self.inputs = inputs
        self._inputs_key: str | None = None
        self.preferences = preferences
        self.output_file = output_file
        self.entry = self._entry(preferences)
        #: What the resolution :meth:`get` found or :meth:`put` kept depends on.
        self.kept: list[Dependency] | None = None
        #: When the resolution began: local files it reads must have settled before.
        self.started_ns = time.time_ns()
        #: The resolution's warnings are those given from here on (see :meth:`put`).
        self._warnings_from = log.results_mark()

    def _entry(self, preferences: Mapping[str, Version]) -> CacheEntry:
        from pyffin.cache import digest

        # The inputs (tens of kilobytes: the target's tags) are hashed once, for the key of
        # any preferences (the output file's pins, then the new ones :meth:`put` keeps).
        if self._inputs_key is None:
            self._inputs_key = digest(self.inputs, 64)
        text = f"{self._inputs_key}\n{sorted((n, str(v)) for n, v in preferences.items())!r}"
        key = digest(text, 64)  # a kept answer is trusted on its key: no 64-bit collisions
        return self.session.cache.entry(CacheBucket.RESOLUTIONS, f"{key}.rec")

    @classmethod
    def of(cls, session: Session, spec: RequirementsSpec, target: Target, *,
           inputs: Iterable[object], cutoffs: ExcludeNewer | None,
           preferences: Mapping[str, Version], upgrade: bool,
           upgrade_packages: Iterable[str], output_file: bool = False,
           files: Iterable[str] = ()) -> ResolutionCache | None:
        """The cache of these inputs (``inputs``: the options not otherwise named here), or
        ``None`` when a kept resolution must not be used (see the module's docstring).
        ``output_file``: the resolution is written to a file whose pins are the next run's
        ``preferences``. ``files`` are read later, if at all (build constraints): the kept
        resolution holds while they are unchanged."""
        if session.cache.temporary or session.refresh or session.refresh_packages or upgrade \
                or tuple(upgrade_packages) or (cutoffs is not None and cutoffs.relative):
            return None
        if any(entry.url is not None for entry in
               (*spec.requirements, *spec.constraints, *spec.overrides)):
            return None
        from packaging import __version__ as packaging_version

        from pyffin._version import RESOLVER_REVISION, __version__

        registry = session.registry
        parts = [
            __version__, str(RESOLVER_REVISION), packaging_version, repr(spec),
            repr(sorted(target.markers.items())),
            f"tags {tags_digest(tuple(target.tags))}", repr(cutoffs), repr(session.index_settings),
            repr(registry.locations), *(repr(value) for value in inputs),
        ]
        text = "\n".join(parts)
        if " at 0x" in text:  # something without a stable repr: no key can stand for it
            return None
        if files:
            import os

            from pyffin.cache.fs import stamp

            for path in files:
                path = os.path.abspath(path)
                registry.cached.note_local(path, stamp(path))
        return cls(session, text, preferences, output_file=output_file)

    def get(self) -> tuple[Any, dict[str, list[str]] | None] | None:
        """The kept resolution (of the type :meth:`put` was given: a
        :class:`~pyffin.resolver.Resolution`, or a universal one for a key that says so) and
        hashes, if what they were made from is unchanged and fresh; else ``None``."""
        stored: Any = self.entry.read_record(
            lambda data: codec.loads(data, RESOLUTION_SCHEMA, RESOLUTION_VERSION))
        if stored is None:
            return None
        try:
            dependencies, kept, hashes, policies, warnings = stored
        except (TypeError, ValueError):  # a damaged record is a miss, like any other
            return None
        if type(warnings) is not tuple or not all(type(m) is str for m in warnings):
            return None
        dependencies = self._with_newer_freshness([tuple(d) for d in dependencies])
        stale = self._stale_pages(dependencies, policies)
        if stale is None:
            return None
        revalidated = bool(stale)
        if revalidated:
            found = self._revalidated(dependencies, stale, policies)
            if found is None:
                return None
            dependencies = found
        try:
            resolution = _unkept(kept)
        except Exception:  # a damaged record is a miss, like any other
            return None
        if revalidated:  # kept with the pages' new freshness: the next runs ask nothing
            self.entry.write(codec.dumps(RESOLUTION_SCHEMA, RESOLUTION_VERSION, (
                dependencies, kept, hashes, policies, warnings)))
        self.kept = dependencies
        for message in warnings:  # what solving said, said again
            log.warn_once(message)
        return resolution, hashes

    def _with_newer_freshness(self, dependencies: list[Dependency]) -> list[Dependency]:
        """``dependencies``, each stored response past the freshness it was read with given the
        newer one a revalidation gave it since, if any: read once here, rather than
        by each check that follows (:meth:`_stale_pages`, :meth:`witnesses`; ~10 µs each, for
        every page of a large set once it is older than its max-age)."""
        cached = self.session.registry.cached
        now = time.time()
        found: list[Dependency] = []
        for dependency in dependencies:
            path, stamp, fresh_until, response_time = dependency
            if fresh_until is not None and fresh_until <= now:
                newer = cached.fresh_until(dependency)
                if newer is not None and newer > fresh_until:
                    dependency = (path, stamp, newer, response_time)
            found.append(dependency)
        return found

    def _stale_pages(self, dependencies: list[Dependency], policies: Any,
                     ) -> dict[str, list[Dependency]] | None:
        """The dependencies no longer usable without the network, by project, when each is
        an index page whose policy is known (so a conditional request can tell whether it
        changed); ``None`` when something changed, or is stale and not such a page."""
        if not isinstance(policies, dict):
            return None
        cached = self.session.registry.cached
        now = time.time()
        stale: dict[str, list[Dependency]] = {}
        for dependency in dependencies:
            state = cached.dependency_state(dependency, None, now)
            if state == "holds":
                continue
            if state != "stale" or dependency[0] not in policies:
                return None
            # A page is ``<name>.rec`` (RegistryClient.revalidation checks that it is one).
            name = os.path.basename(dependency[0]).removesuffix(".rec")
            stale.setdefault(name, []).append(dependency)
        return stale

    def _revalidated(self, dependencies: list[Dependency], stale: dict[str, list[Dependency]],
                     policies: dict[str, Any]) -> list[Dependency] | None:
        """``dependencies`` are all usable but the ``stale`` index pages (see
        :meth:`_stale_pages`), past their max-age: ask the indexes about them all at once
        (conditional requests, in the I/O pool). ``dependencies`` with the new freshness of
        those pages when every one is not modified; ``None`` otherwise (a changed page is
        stored as it is now, for the resolution that follows)."""
        registry = self.session.registry
        checks = []
        for name, pages in stale.items():
            check = registry.revalidation(name, pages, policies, known_stale=True)
            if check is None:
                return None
            checks.append(check)
        # Conditional requests, tiny answers: all at once, not two at a time as the pool's
        # eager threads alone would send them (see pyffin.futures.WAITING_THREADS).
        futures = [registry.submit(check, waits=True) for check in checks]
        current = True
        # Every answer is awaited: a page that changed is then fetched once, not again by
        # the resolution while its revalidation is still under way.
        for future in futures:
            try:
                current = future.result() and current
            except Exception as e:  # the resolution asks again, and reports what is wrong
                log.debug(f"The kept resolution could not be revalidated: {e}")
                current = False
        cached = registry.cached
        cached.flush_revalidations()  # the newer policies, for the next command too
        if not current:
            return None
        revalidated = {dependency[0] for pages in stale.values() for dependency in pages}
        found: list[Dependency] = []
        for dependency in dependencies:
            path, stamp, _, response_time = dependency
            if path in revalidated:  # fresh per the policy the answer gave (kept apart)
                policy = cached.seen_policy(path)
                fresh_until = cached.fresh_until(dependency) if policy is None \
                    else policy.fresh_until()
                dependency = (path, stamp, fresh_until, response_time)
            found.append(dependency)
        return found

    def put(self, resolution: Resolution | UniversalResolution,
            hashes: dict[str, list[str]] | None) -> bool:
        """Keep ``resolution`` with what it was made from, when all of it is on file and every
        package comes from an index; whether it was kept."""
        # Told apart without importing the universal resolver (a plain compile's never does).
        from pyffin.resolver.resolution import Resolution

        if not isinstance(resolution, Resolution):
            if any(pin.url is not None for pin in resolution.pins):
                return False
        elif any(package.dist is None or package.dist.direct is not None or package.url
                 for package in resolution):
            return False
        registry = self.session.registry
        dependencies = registry.cached.dependencies()
        if dependencies is None:
            return False
        dependencies = self._with_newer_freshness(dependencies)
        # Only pages are revalidated so: wheel metadata is immutable on PyPI.
        pages = os.path.join(self.session.cache.bucket(CacheBucket.SIMPLE), "")
        policies = {path: policy for path, policy in registry.page_policies(dependencies).items()
                    if path.startswith(pages)}
        # Something rewritten while the resolution ran (a prefetch still under way) would
        # make the record miss at once: keep it only if it would be used (pages already past
        # their max-age, max-age=0, are asked about then).
        if self._stale_pages(dependencies, policies) is None:
            return False
        from pyffin.stamps import settled, stamp

        # A local file changed within a tick of its clock before the resolution read it
        # could change again unseen (same times, same size): not trusted ("racily clean").
        # Cache entries are replaced whole, a new inode each time: they need no such care.
        if not all(settled(stamp(path), self.started_ns)
                   for path, _, fresh_until, _ in dependencies if fresh_until is None):
            return False
        data = codec.dumps(RESOLUTION_SCHEMA, RESOLUTION_VERSION, (
            dependencies, _kept(resolution), hashes, policies,
            log.results_since(self._warnings_from)))
        self.entry.write(data)
        self.kept = dependencies
        if self.output_file and isinstance(resolution, Resolution) \
                and (pins := resolution.pins()) != self.preferences:
            # The output file will hold these pins, and the next run prefers them: every one
            # can be chosen (together they are this solution), so that run resolves to this
            # same resolution. Kept for it too, it needs not solve once more to learn so.
            self._entry(pins).write(data)
        return True

    def witnesses(self) -> list[tuple[str, tuple[int, ...] | None, float | None]] | None:
        """What the answer :meth:`get` found or :meth:`put` kept holds on, for a replay of the
        whole command (:mod:`pyffin.cli.recompile`) that asks no one: each file with its
        stamp and, for a stored response, the time until which it is fresh (per the newer
        policy a revalidation gave it, if the first has passed; ``None``: a local
        file, which holds while unchanged). ``None`` when there is no such answer."""
        if self.kept is None:
            return None
        now = time.time()
        cached = self.session.registry.cached
        found: list[tuple[str, tuple[int, ...] | None, float | None]] = []
        for dependency in self.kept:
            path, stamp, fresh_until, _ = dependency
            if fresh_until is not None and fresh_until <= now:
                fresh_until = cached.fresh_until(dependency)
            found.append((path, None if stamp is None else tuple(stamp), fresh_until))
        return found


def _kept(resolution: Resolution | UniversalResolution) -> tuple[str, Any]:
    """How a resolution is kept: a plain one (every package from an index: see :meth:`put`)
    as plain data, in the record's own encoding (``("index", packages)``), read back without
    importing :mod:`pickle`'s accelerator (a shared library, ~2M instructions and a
    millisecond of a compile that solved in twenty); a universal one pickled
    (``("pickle", bytes)``: records pickle as the calls that make them)."""
    from pyffin.resolver.resolution import Resolution

    if isinstance(resolution, Resolution):
        packages = []
        for package in resolution:
            dist = package.dist
            page = None if dist is None else dist.page
            if dist is None or page is None or dist.file is None or dist.direct is not None \
                    or dist.commit is not None or package.url is not None:
                break  # not an index's file: kept as any other resolution is
            packages.append((
                package.name, str(package.version), package.extras, package.dependents,
                package.origins, package.marker,
                (page.source, page.page.name, page.flat, dist.file.to_tuple(), dist.is_wheel)))
        else:
            return ("index", packages)
    return ("pickle", _pickler().dumps(resolution, protocol=5))


def _unkept(kept: Any) -> Resolution | UniversalResolution:
    """The resolution :func:`_kept` kept."""
    kind, data = kept
    if kind == "pickle":
        return _pickler().loads(data)  # type: ignore[no-any-return]
    if kind != "index":
        raise ValueError(f"unknown kind of kept resolution {kind!r}")
    from pyffin.models.dist import Distribution
    from pyffin.models.files import IndexFile, ProjectPage, SimplePage
    from pyffin.models.versions import parse_version
    from pyffin.resolver.resolution import Resolution, ResolvedPackage

    packages = {}
    for name, version, extras, dependents, origins, marker, dist in data:
        source, page_name, flat, file, is_wheel = dist
        packages[name] = ResolvedPackage(
            name, parse_version(version), tuple(extras), tuple(dependents), tuple(origins),
            None, marker,
            Distribution(ProjectPage(source, SimplePage(page_name, {}), flat),
                         IndexFile.from_tuple(file), is_wheel))
    return Resolution(packages)


def _pickler() -> Any:
    """CPython's pickle accelerator alone: :mod:`pickle` itself (its pure-Python pickler, with
    :mod:`struct` and a Jython probe) costs a compile about a millisecond to import, and only
    its ``dumps`` and ``loads`` are used."""
    try:
        import _pickle
    except ImportError:  # another Python
        import pickle

        return pickle
    return _pickle
