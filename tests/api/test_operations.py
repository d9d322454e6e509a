"""The operations compile, install/sync and the build context share: one resolve, one
prepare-and-install, and the defaults written once."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from pyffin.api import operations
from pyffin.api.operations import HashRequirementError, ResolveOptions
from pyffin.api.session import Session
from pyffin.cache import Cache
from pyffin.distribution.sdist import SourceDistributions
from pyffin.errors import PyffinError
from pyffin.installer.installed import scan
from pyffin.installer.plan import make_plan
from pyffin.requirements import RequirementsSpec, read_requirements
from pyffin.resolver.index_source import IndexSource
from pyffin.settings import IndexSettings
from tests.distribution.fakes import FakeBuilder, no_git
from tests.installer.envs import make_env
from tests.resolver.memory import TARGET
from tests.support.dists import SdistSpec, WheelSpec
from tests.support.index import IndexServer

TAGS = ("py3-none-any",)


@pytest.fixture
def session(tmp_path: Path, index_server: IndexServer) -> Session:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib>=1"]))
    index_server.add_wheel(WheelSpec("lib", "1.5"))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    index_server.add_wheel(WheelSpec("lib", "3.0b1"))
    return Session(Cache(tmp_path / "cache"),
                   index=IndexSettings(index_url=index_server.index_url), no_config=True)


def resolve(session: Session, *requirements: str, **options: Any) -> operations.Resolved:
    return operations.resolve(session, read_requirements(requirements=requirements),
                              markers=TARGET, tags=TAGS, sources=None, **options)


# ------------------------------------------------------------------------------ resolving
def test_each_resolved_package_carries_the_distribution_to_install(session: Session) -> None:
    resolution = resolve(session, "app").resolution
    assert [(p.name, str(p.version)) for p in resolution] == [("app", "1.0"), ("lib", "2.0")]
    dist = resolution["lib"].dist
    assert dist is not None and dist.is_wheel and dist.file is not None
    assert dist.file.filename == "lib-2.0-py3-none-any.whl"
    assert dist.hashes and dist.hashes == dist.file.hashes
    # Where it is listed, not the index page's other files: a resolution stays small.
    assert dist.page is not None and dist.page.page.versions == {}
    data = pickle.dumps(resolution)
    assert len(data) < 3000
    again = pickle.loads(data)["lib"]
    assert again.version == Version("2.0") and again.dist is not None
    assert again.dist.file == dist.file and again.dist.page is not None
    assert (again.dist.page.source, again.dist.page.page.name) == (dist.page.source, "lib")


def test_the_pre_release_policy_is_written_once() -> None:
    assert operations.prerelease_mode(None) == "if-necessary-or-explicit"
    assert operations.prerelease_mode(None, pre=True) == "allow"  # --pre in a file
    assert operations.prerelease_mode("disallow", pre=True) == "disallow"  # the flag wins


def test_pre_releases_come_with_pre_in_the_requirements(session: Session,
                                                        tmp_path: Path) -> None:
    assert resolve(session, "lib").resolution["lib"].version == Version("2.0")
    requirements = tmp_path / "r.txt"
    requirements.write_text("--pre\nlib\n")
    resolved = operations.resolve(session, read_requirements([requirements]), markers=TARGET,
                                  tags=TAGS, sources=None)
    assert resolved.resolution["lib"].version == Version("3.0b1")


def test_preferences_hold_unless_upgrading(session: Session) -> None:
    kept = {"lib": Version("1.5")}
    assert resolve(session, "app", preferences=kept).resolution["lib"].version == Version("1.5")
    for upgrade in ({"upgrade": True}, {"upgrade_packages": ["lib"]}):
        resolution = resolve(session, "app", preferences=kept, **upgrade).resolution
        assert resolution["lib"].version == Version("2.0")


def test_what_is_installed_is_preferred(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name, version in (("lib", "1.5"), ("odd", "not a version")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n")
    assert operations.installed_preferences(scan([site])) == {"lib": Version("1.5")}


def test_a_package_installed_twice_is_no_preference(tmp_path: Path) -> None:
    # Which copy is meant is unknown, and both are reinstalled: the resolver chooses (as uv).
    site = tmp_path / "site"
    for name, version in (("lib", "1.5"), ("six", "1.16.0"), ("six", "1.17.0")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n")
    assert operations.installed_preferences(scan([site])) == {"lib": Version("1.5")}


def test_hash_checking_mode_needs_pins_with_hashes_for_every_package(session: Session,
                                                                    tmp_path: Path) -> None:
    with pytest.raises(HashRequirementError, match=r"app .* is not pinned with =="):
        resolve(session, "app", hash_mode=True)
    requirements = tmp_path / "r.txt"
    requirements.write_text("app==1.0 --hash=sha256:" + "0" * 64 + "\n")
    spec = read_requirements([requirements])
    with pytest.raises(HashRequirementError, match="these dependencies are not: lib"):
        operations.resolve(session, spec, markers=TARGET, tags=TAGS, sources=None,
                           hash_mode=True)
    assert operations.is_hash_mode(spec)
    assert operations.required_hashes(spec) == {"app": ("sha256:" + "0" * 64,)}
    assert not operations.is_hash_mode(RequirementsSpec())
    assert operations.is_hash_mode(RequirementsSpec(), require_hashes=True)


def test_exclude_newer_is_read_from_the_options() -> None:
    assert ResolveOptions().cutoffs() is None
    cutoffs = ResolveOptions(exclude_newer="2024-03-01",
                             exclude_newer_packages=("lib=2024-01-01",)).cutoffs()
    assert cutoffs is not None and cutoffs.default is not None and "lib" in cutoffs.packages


# ----------------------------------------------------------------------------- installing
def test_installing_a_resolution_asks_its_source_nothing(session: Session, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    resolution = resolve(session, "app").resolution
    for method in ("files", "versions", "metadata", "release_files", "distribution"):
        monkeypatch.setattr(IndexSource, method, _refuse)
    env = make_env(tmp_path / "env")
    plan = make_plan(operations.wanted(resolution, requested={"app"}), [])
    timings: dict[str, float] = {}
    fetched = operations.prepare_and_install(session, plan, scheme=env.scheme,
                                             python=env.python, sources=None, timings=timings)
    assert fetched == 2 and set(timings) == {"prepare", "uninstall", "install"}
    found = {d.normalized_name: d for d in scan([env.site_packages])}
    assert sorted((n, d.version) for n, d in found.items()) == [("app", "1.0"), ("lib", "2.0")]
    assert (found["app"].path / "REQUESTED").is_file()
    assert not (found["lib"].path / "REQUESTED").exists()

    # Another environment: every wheel is unzipped in the cache already, nothing is fetched.
    other = make_env(tmp_path / "other")
    assert operations.prepare_and_install(session, plan, scheme=other.scheme,
                                          python=other.python, sources=None) == 0


def test_wheels_the_install_unzips_are_linked_without_listing_their_directories_again(
        session: Session, index_server: IndexServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    resolution = resolve(session, "app").resolution
    plan = make_plan(operations.wanted(resolution), [])
    archives: dict[str, Path] = {}
    scanned: list[object] = []
    real_scandir = os.scandir

    def scandir(path: str) -> Any:
        scanned.append(path if isinstance(path, int) else os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    env = make_env(tmp_path / "env")
    operations.prepare_and_install(session, plan, scheme=env.scheme, python=env.python,
                                   sources=None, archives=archives)
    payload = {os.fspath(archive / name) for name, archive in archives.items()}
    assert payload and not payload & set(scanned)  # each archive's package directory
    assert sorted((d.normalized_name, d.version) for d in scan([env.site_packages])) == [
        ("app", "1.0"), ("lib", "2.0")]

    # From the cache (unzipped by another process, say): listed as before.
    scanned.clear()
    other = make_env(tmp_path / "other")
    again = Session(session.cache, index=IndexSettings(index_url=index_server.index_url),
                    no_config=True)
    operations.prepare_and_install(again, plan, scheme=other.scheme, python=other.python,
                                   sources=None)
    assert payload <= set(scanned)


def test_a_plan_replaces_what_it_removes(session: Session, tmp_path: Path) -> None:
    env = make_env(tmp_path / "env")
    for requirement in ("lib<2", "lib>=2"):
        installed = scan([env.site_packages])
        plan = make_plan(operations.wanted(resolve(session, requirement).resolution),
                         installed)
        operations.prepare_and_install(session, plan, scheme=env.scheme, python=env.python,
                                       sources=None)
    assert [(d.normalized_name, d.version) for d in scan([env.site_packages])] == [
        ("lib", "2.0")]


def fake_builds(session: Session) -> tuple[FakeBuilder, SourceDistributions]:
    """Source distributions built by a :class:`FakeBuilder` (returned to count its builds)."""
    builder = FakeBuilder()
    return builder, SourceDistributions(session.cache, session.registry, tags=TAGS,
                                        builder=lambda: builder, git=no_git)


def test_a_source_distribution_is_built_and_installed_as_the_built_wheel(
        session: Session, index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_sdist(SdistSpec("bar", "1.0"))
    builder, sources = fake_builds(session)
    resolution = operations.resolve(session, read_requirements(requirements=["bar"]),
                                    markers=TARGET, tags=TAGS, sources=sources).resolution
    dist = resolution["bar"].dist
    assert dist is not None and not dist.is_wheel and dist.label == "bar-1.0.tar.gz"
    env = make_env(tmp_path / "env")
    plan = make_plan(operations.wanted(resolution), [])
    assert operations.prepare_and_install(session, plan, scheme=env.scheme, python=env.python,
                                          sources=sources) == 1
    assert builder.wheels == 1
    assert [(d.normalized_name, d.version) for d in scan([env.site_packages])] == [
        ("bar", "1.0")]


def test_the_wheels_of_pinned_requirements_are_fetched_while_the_resolution_goes_on(
        session: Session, index_server: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("lib==1.5\n")
    spec = read_requirements(requirements=["app==1.0", "other"],
                             constraints=[tmp_path / "constraints.txt"])
    index_server.add_wheel(WheelSpec("other", "1.0"))
    early = operations.early_fetch(session, spec, {})
    assert early is not None and early.names == {"app", "lib"}
    resolution = operations.resolve(session, spec, markers=TARGET, tags=TAGS, sources=None,
                                    on_decided=early).resolution
    # Started when the solver decided them, before the resolution was done; not what no
    # requirement pins to one version (its version could still change by backtracking).
    started = {name for name in ("app", "lib", "other")
               if early.wheels.started(resolution[name].dist.page, resolution[name].dist.file)}
    assert started == {"app", "lib"} and early.started == 2
    env = make_env(tmp_path / "env")
    plan = make_plan(operations.wanted(resolution), [])
    assert operations.prepare_and_install(session, plan, scheme=env.scheme, python=env.python,
                                          sources=None, wheels=early.wheels) == 3
    for wheel in ("app-1.0", "lib-1.5", "other-1.0"):  # each downloaded once
        assert index_server.count(f"/files/{wheel}-py3-none-any.whl") == 1
    # Only the pinned version: not the newest that app's requirement lib>=1 accepts.
    assert index_server.count("/files/lib-2.0-py3-none-any.whl") == 0
    assert sorted((d.normalized_name, d.version) for d in scan([env.site_packages])) == [
        ("app", "1.0"), ("lib", "1.5"), ("other", "1.0")]


def test_no_wheel_is_fetched_early_without_pins_or_for_what_is_installed(
        session: Session, index_server: IndexServer, tmp_path: Path) -> None:
    assert operations.early_fetch(session, read_requirements(requirements=["app"]), {}) is None
    # An override decides the version: a requirement's pin of the same name does not.
    (tmp_path / "overrides.txt").write_text("lib>=1\n")
    spec = read_requirements(requirements=["app==1.0", "lib==2.0"],
                             overrides=[tmp_path / "overrides.txt"])
    early = operations.early_fetch(session, spec, {})
    assert early is not None and early.names == {"app"}
    # A version installed already is kept by the install: it is not fetched.
    spec = read_requirements(requirements=["app==1.0", "lib==2.0"])
    early = operations.early_fetch(session, spec, {"lib": Version("2.0")})
    assert early is not None
    operations.resolve(session, spec, markers=TARGET, tags=TAGS, sources=None,
                       on_decided=early)
    assert early.started == 1  # app's: lib's is never asked for
    assert index_server.count("/files/lib-2.0-py3-none-any.whl") == 0


@pytest.mark.parametrize("static", [False, True],
                         ids=["built to read its metadata", "static metadata"])
def test_a_pinned_sdist_is_built_once_during_the_resolution_for_its_install(
        session: Session, index_server: IndexServer, tmp_path: Path, static: bool) -> None:
    # Its wheel, which the install needs whatever else the resolution decides, is built
    # during the resolution: to read its metadata (one run of the backend, not its
    # prepare_metadata hook and a build later), or, its metadata being static, in the I/O pool
    # once the solver knows the version. The install finds it built: counted as prepared.
    index_server.add_sdist(SdistSpec("bar", "1.0") if static else SdistSpec(
        "bar", "1.0", dynamic=["Requires-Dist"], static_pyproject=False))
    builder, sources = fake_builds(session)
    spec = read_requirements(requirements=["bar==1.0"])
    early = operations.early_fetch(session, spec, {})
    assert early is not None
    sources.wheel_for_metadata = early.names  # as an install sets them
    early.sources = sources
    resolution = operations.resolve(session, spec, markers=TARGET, tags=TAGS, sources=sources,
                                    on_decided=early).resolution
    assert early.started == 1 and builder.metadata == 0
    if not static:
        assert builder.wheels == 1
    env = make_env(tmp_path / "env")
    plan = make_plan(operations.wanted(resolution), [])
    assert operations.prepare_and_install(session, plan, scheme=env.scheme, python=env.python,
                                          sources=sources, wheels=early.wheels) == 1
    assert (builder.metadata, builder.wheels) == (0, 1)
    assert [(d.normalized_name, d.version) for d in scan([env.site_packages])] == [
        ("bar", "1.0")]


def test_a_build_that_ends_as_the_install_looks_at_the_cache_counts_as_prepared(
        session: Session, index_server: IndexServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The wheel built during the resolution is held back until the install asks its first
    # question of the cache and done before the second: whichever order it asks in, the
    # wheel is this install's, not one the cache had.
    import threading

    from pyffin.distribution.database import DistributionDatabase

    index_server.add_sdist(SdistSpec("bar", "1.0"))
    builder, sources = fake_builds(session)
    spec = read_requirements(requirements=["bar==1.0"])
    early = operations.early_fetch(session, spec, {})
    assert early is not None
    early.sources = sources
    gate = threading.Event()
    build = sources.registry_wheel

    def held(*args: Any) -> Any:
        gate.wait(10)
        return build(*args)

    monkeypatch.setattr(sources, "registry_wheel", held)
    resolution = operations.resolve(session, spec, markers=TARGET, tags=TAGS, sources=sources,
                                    on_decided=early).resolution
    assert early.started == 1 and builder.wheels == 0

    def first_then_build(method: Any) -> Any:
        def asked(self: DistributionDatabase, *args: Any, **kwargs: Any) -> Any:
            answer = method(self, *args, **kwargs)
            if not gate.is_set():
                gate.set()
                early.settle()
            return answer
        return asked

    for name in ("started", "cached"):
        monkeypatch.setattr(DistributionDatabase, name,
                            first_then_build(getattr(DistributionDatabase, name)))
    env = make_env(tmp_path / "env")
    plan = make_plan(operations.wanted(resolution), [])
    assert operations.prepare_and_install(session, plan, scheme=env.scheme, python=env.python,
                                          sources=sources, wheels=early.wheels) == 1
    assert builder.wheels == 1


def test_a_resolution_without_distributions_cannot_be_installed() -> None:
    from pyffin.resolver import Resolution, ResolvedPackage

    resolution = Resolution({"lib": ResolvedPackage("lib", Version("1.0"))})
    with pytest.raises(PyffinError, match=r"does not say which file of lib 1\.0 to install"):
        operations.wanted(resolution)


def test_scripts_of_a_relocatable_environment_find_the_interpreter_beside_them(
        tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    prefix.mkdir()
    python = str(prefix / "bin" / "python")
    scripts = prefix / "bin"
    assert operations.launcher_python(python, prefix=prefix, scripts=scripts,
                                      is_venv=True) == python
    (prefix / "pyvenv.cfg").write_text("relocatable = true\n")
    assert operations.launcher_python(python, prefix=prefix, scripts=scripts,
                                      is_venv=True) == "python"
    assert operations.launcher_python(python, prefix=prefix, scripts=scripts,
                                      is_venv=False) == python


def _refuse(*args: object, **kwargs: object) -> Any:
    raise AssertionError("the package source was asked after resolving")


def test_the_page_workers_are_asked_for_the_requirements_with_their_extras(
        session: Session, tmp_path: Path) -> None:
    """A cold compile hands its named requirements to the page workers at once, each with the
    versions it allows and the extras it asks for (the walk goes on from the metadata of a
    version the solver may take, to what ``uvicorn[standard]`` adds, instead of waiting for
    the solver to get there); a requirement by URL is not theirs."""
    asked: list[tuple[Any, ...]] = []

    class Workers:
        def configure(self, settings: Any, refresh: Any, *, local: bool = False,
                      torch: Any = None) -> None:
            pass

        def ask(self, name: str, required: Any = None, extras: tuple[str, ...] = ()) -> bool:
            asked.append((name, required, extras))
            return True

    source = tmp_path / "requirements.in"
    source.write_text("Uvicorn[Standard]\napp\nlib[a,b]>=1\nother @ https://example.org/other-1.0-py3-none-any.whl\n"
                      "django<5\ntwice>1\ntwice<3\nheld\nover<2\n")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("django>=4.1\nheld!=2.0\n")
    overrides = tmp_path / "overrides.txt"
    overrides.write_text("over==3.0\n")
    session.page_workers = Workers()  # type: ignore[assignment]
    operations.prefetch_requirement_pages(session, read_requirements(
        [source], constraints=[constraints], overrides=[overrides]))
    from pyffin.resolver.ranges import specifiers_range

    # Its own specifier and its constraints'; none for a name required twice (the solver
    # joins them) or overridden.
    assert asked == [("uvicorn", None, ("Standard",)), ("app", None, ()),
                     ("lib", specifiers_range([(">=", "1")]), ("a", "b")),
                     ("django", specifiers_range([("<", "5"), (">=", "4.1")]), ()),
                     ("twice", None, ()), ("twice", None, ()),
                     ("held", specifiers_range([("!=", "2.0")]), ()), ("over", None, ())]


# ------------------------------------------------------------------------------ prefetching
def test_the_pins_whose_metadata_may_come_with_their_pages(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("held==1.0\n")
    overrides = tmp_path / "overrides.txt"
    overrides.write_text("over==2.0\n")
    spec = read_requirements(
        requirements=["Plain==1.0", "padded==1.0.0", "spelled==1.0-RC1", "ranged>=1.0",
                      "starred==1.*", "marked==1.0; sys_platform == 'win32'", "twice==1.0",
                      "twice==1.0", "held==1.0", "over==1.0", "arbitrary===1.0"],
        constraints=[constraints], overrides=[overrides])
    # Pinned once with `==`, no wildcard or marker, not also constrained or overridden: the
    # version the resolution will take (normalized as pages key them).
    assert operations._pins(spec) == {"plain": "1.0", "padded": "1.0.0", "spelled": "1.0rc1"}


def test_pages_of_pinned_requirements_bring_their_metadata_unless_wheels_may_not_be_used(
        tmp_path: Path, index_server: IndexServer) -> None:
    import time

    from tests.support.dists import wheel_filename

    wheel = WheelSpec("pinned", "1.0")
    index_server.add_wheel(wheel)
    metadata = f"/files/{wheel_filename(wheel)}.metadata"
    spec = read_requirements(requirements=["pinned==1.0"])
    for n, no_binary in enumerate([("pinned",), ()]):
        session = Session(Cache(tmp_path / f"cache{n}"),
                          index=IndexSettings(index_url=index_server.index_url), no_config=True)
        operations.prefetch_requirement_pages(session, spec, no_binary=no_binary)
        assert session.registry.project("pinned")
        expected = 0 if no_binary else 1
        deadline = time.monotonic() + 10  # (the pool's request, when there is one)
        while index_server.count(metadata) < expected and time.monotonic() < deadline:
            time.sleep(0.005)
        assert index_server.count(metadata) == expected
