"""The resolution cache: ``pip compile`` on unchanged inputs writes its last answer without
solving, and never an old answer once anything it was made from has changed."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyffin.api import operations
from pyffin.api.resolution_cache import RESOLUTION_SCHEMA, RESOLUTION_VERSION
from pyffin.cache import Cache, CacheBucket, codec
from pyffin.futures import ThreadPool
from tests.support.calls import Calls
from tests.support.cli import Result, child_env, pyffin
from tests.support.dists import WheelSpec, build_wheel
from tests.support.index import IndexServer


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib>=1", "util"]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("util", "1.0"))
    return index_server


#: Counts the resolutions actually made (kept ones are not).
Solves = Calls


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> Solves:
    return Calls(monkeypatch, operations, "resolve")


@pytest.fixture
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local files count as settled as soon as they are written (no waiting in tests)."""
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 0)


def compile_(tmp_path: Path, index: IndexServer, *args: str | Path) -> Result:
    result = pyffin("pip", "compile", tmp_path / "requirements.in", "--index-url",
                    index.index_url, "--no-config", "--cache-dir", tmp_path / "cache", *args)
    assert result.returncode == 0, result
    return result


def kept(tmp_path: Path) -> list[Path]:
    return sorted(Cache(tmp_path / "cache").bucket(CacheBucket.RESOLUTIONS).glob("*.rec"))


def test_a_kept_resolution_writes_the_same_output_without_a_request(
        tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    out = tmp_path / "requirements.txt"
    args = ("-o", out, "--generate-hashes", "--annotation-style", "line")
    first = compile_(tmp_path, index, *args)
    written = out.read_bytes()
    # Kept for this run's inputs, and for the next run's: the same, but for the preferences
    # the output file now holds.
    assert solves.count == 1 and len(kept(tmp_path)) == 2
    index.reset_counts()
    second = compile_(tmp_path, index, *args)
    assert solves.count == 1
    assert index.count() == 0
    assert out.read_bytes() == written
    assert second.stdout == first.stdout
    assert "--hash=sha256:" in second.stdout and "# via app" in second.stdout


def test_a_kept_resolution_gives_the_warnings_solving_gave(
        tmp_path: Path, index: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the resolution found out about what it read ("does not provide the extra") is
    part of its answer: used again, it says it again, as solving would (uv, which always
    solves, always does)."""
    from pyffin import log

    (tmp_path / "requirements.in").write_text("app[fast]\n")
    first = compile_(tmp_path, index)
    warning = "warning: app==1.0 does not provide the extra 'fast'"
    assert warning in first.stderr
    monkeypatch.setattr(log, "_warned", set())  # as a new process starts
    second = compile_(tmp_path, index)
    assert solves.count == 1
    assert second.stderr.count(warning) == 1


def test_a_kept_resolution_is_used_without_importing_the_solver(
        tmp_path: Path, index: IndexServer) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    args = ["pip", "compile", str(tmp_path / "requirements.in"), "-q", "--index-url",
            index.index_url, "--no-config", "--cache-dir", str(tmp_path / "cache")]
    compile_(tmp_path, index)
    probe = ("import json, sys\nfrom pyffin.cli.main import main\ncode = main(sys.argv[1:])\n"
             "print(json.dumps([code, sorted(m for m in sys.modules "
             "if m.startswith('pyffin.'))]), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                          text=True, env=child_env())
    code, modules = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0, proc.stderr
    # No solver, no package source, no page parser, no requirement-string parser.
    assert not {"pyffin.resolver.solver", "pyffin.resolver.provider",
                "pyffin.resolver.index_source", "pyffin.resolver.summaries",
                "pyffin.resolver.dependencies", "pyffin.client.simple"} & set(modules)
    assert "app==1.0" in proc.stdout


def test_a_requirement_with_extras_finds_its_kept_resolution_in_any_process(
        tmp_path: Path, index: IndexServer) -> None:
    """The key does not depend on string hashing, which differs from process to process: a
    set's repr did, and a requirement with two extras or more missed at random."""
    index.add_wheel(WheelSpec("svc", "1.0", requires_dist=["app", "util; extra == 'x'"],
                              extras=["x", "y", "z", "w"]))
    (tmp_path / "requirements.in").write_text("svc[z,x,w,y]\n")
    args = ["-m", "pyffin", "pip", "compile", str(tmp_path / "requirements.in"), "-q",
            "--index-url", index.index_url, "--no-config", "--cache-dir",
            str(tmp_path / "cache")]
    for seed in range(1, 5):
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              env=child_env({"PYTHONHASHSEED": str(seed)}))
        assert proc.returncode == 0, proc.stderr
        assert "svc==1.0" in proc.stdout
        # The first run keeps its resolution; the others find it.
        assert len(kept(tmp_path)) == 1


def kept_kinds(tmp_path: Path) -> list[str]:
    """The kind of each kept resolution (how it is stored: see resolution_cache._kept)."""
    return [codec.loads(path.read_bytes(), RESOLUTION_SCHEMA, RESOLUTION_VERSION)[1][0]
            for path in kept(tmp_path)]


def test_a_plain_resolution_is_kept_as_data_and_read_back_as_it_was(
        tmp_path: Path, index: IndexServer) -> None:
    from pyffin import api
    from pyffin.api.resolution_cache import _kept, _unkept
    from pyffin.api.session import Session
    from pyffin.settings import IndexSettings

    (tmp_path / "requirements.in").write_text("svc[x]\n")
    index.add_wheel(WheelSpec("svc", "1.0", requires_dist=["app", "util; extra == 'x'"],
                              extras=["x"]))
    session = Session(Cache(tmp_path / "cache"),
                      index=IndexSettings(index_url=index.index_url), no_config=True)
    resolution = api.compile([tmp_path / "requirements.in"], session=session).resolution
    kind, data = _kept(resolution)
    assert kind == "index"
    again = _unkept(codec.loads(codec.dumps("t", 1, (kind, data)), "t", 1))
    assert list(again.packages) == list(resolution.packages) == ["app", "lib", "svc", "util"]
    assert again.packages["svc"].extras == ("x",)
    for name, package in resolution.packages.items():
        copy = again.packages[name]
        # Every field (one added later must be kept too), the distribution's apart.
        for field in type(package).__record_fields__:
            if field != "dist":
                assert getattr(copy, field) == getattr(package, field), (name, field)
        assert copy.dist is not None and package.dist is not None and copy.dist.page
        assert package.dist.page is not None
        assert copy.dist.file == package.dist.file
        assert copy.dist.is_wheel == package.dist.is_wheel
        assert (copy.dist.page.source, copy.dist.page.page.name, copy.dist.page.flat) == (
            package.dist.page.source, package.dist.page.page.name, package.dist.page.flat)
    # A compile keeps it so: no pickle to write or read.
    compile_(tmp_path, index)
    assert kept_kinds(tmp_path) and set(kept_kinds(tmp_path)) == {"index"}


def test_a_universal_resolution_is_kept_pickled(tmp_path: Path, index: IndexServer) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index, "--universal")
    assert kept_kinds(tmp_path) == ["pickle"]


def test_a_new_release_after_refresh_is_never_hidden_by_the_kept_resolution(
        tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    index.add_wheel(WheelSpec("lib", "2.0"))
    # The page is fresh (max-age): without --refresh the cached page answers, as it would
    # without a kept resolution.
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    assert solves.count == 1
    assert "lib==2.0" in compile_(tmp_path, index, "--refresh").stdout
    # The page file changed: the resolution kept before is not used, within max-age too.
    assert "lib==2.0" in compile_(tmp_path, index).stdout
    assert "lib==2.0" in compile_(tmp_path, index, "--refresh-package", "lib").stdout
    assert solves.count == 4


def test_a_page_changed_by_another_command_misses(tmp_path: Path, index: IndexServer,
                                                  solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index)
    index.add_wheel(WheelSpec("util", "2.0"))
    # Another command refreshes util's page in the shared cache.
    (tmp_path / "other.in").write_text("util\n")
    other = pyffin("pip", "compile", tmp_path / "other.in", "--index-url", index.index_url,
                   "--no-config", "--cache-dir", tmp_path / "cache", "--refresh")
    assert "util==2.0" in other.stdout
    assert "util==2.0" in compile_(tmp_path, index).stdout


def test_an_expired_page_misses(tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    index.set_max_age(0)
    (tmp_path / "requirements.in").write_text("app\n")
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    index.reset_counts()
    # Every page is stale at once: asked again (not modified), and solved again.
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    assert index.count("/simple/app/") == 1
    assert solves.count == 2
    index.add_wheel(WheelSpec("lib", "2.0"))
    assert "lib==2.0" in compile_(tmp_path, index).stdout


# ------------------------------------------------------------- pages past their max-age
@pytest.fixture
def immutable_files(index: IndexServer) -> IndexServer:
    """Files and their metadata served as PyPI serves them (immutable); pages for ten
    minutes."""
    index.set_cache_control("max-age=365000000, immutable", "/files/")
    return index


def ten_minutes_later(monkeypatch: pytest.MonkeyPatch) -> float:
    """Move the clock past the pages' max-age (600 s); the new time."""
    import time

    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    return later


def conditional_page_requests(index: IndexServer) -> list[str]:
    """The paths of the requests made, each checked to be a conditional request of a page."""
    assert all(r.path.startswith("/simple/") and "if-none-match" in r.headers
               for r in index.request_log), index.request_log
    return sorted(r.path for r in index.request_log)


def test_a_kept_resolution_past_max_age_is_used_once_its_pages_are_not_modified(
        tmp_path: Path, immutable_files: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    index = immutable_files
    (tmp_path / "requirements.in").write_text("app\n")
    out = tmp_path / "requirements.txt"
    first = compile_(tmp_path, index, "-o", out, "--generate-hashes")
    written = out.read_bytes()
    later = ten_minutes_later(monkeypatch)
    index.reset_counts()
    submitted: list[bool] = []
    submit = ThreadPool.submit

    def recording(pool: ThreadPool, fn: Any, *args: Any, waits: bool = False) -> None:
        submitted.append(waits)
        submit(pool, fn, *args, waits=waits)

    monkeypatch.setattr(ThreadPool, "submit", recording)
    second = compile_(tmp_path, index, "-o", out, "--generate-hashes")
    # One conditional request per page, all answered "not modified": no metadata, no file,
    # no solve. They go out together, each with a thread of its own (a busy CPU kept them to
    # the pool's two eager threads before).
    assert conditional_page_requests(index) == ["/simple/app/", "/simple/lib/", "/simple/util/"]
    assert submitted == [True, True, True]
    assert solves.count == 1
    assert out.read_bytes() == written and second.stdout == first.stdout
    # Kept with the pages' new freshness (the record of the output file's pins, which the
    # second run used): the next runs within it ask nothing.
    records = [codec.loads(record.read_bytes(), RESOLUTION_SCHEMA, RESOLUTION_VERSION)
               for record in kept(tmp_path)]
    assert any(all(fresh_until is None or fresh_until > later
                   for _, _, fresh_until, _ in record[0])  # type: ignore[index]
               for record in records)
    index.reset_counts()
    compile_(tmp_path, index, "-o", out, "--generate-hashes")
    assert index.count() == 0 and solves.count == 1
    # --refresh still asks for every page, and solves.
    compile_(tmp_path, index, "-o", out, "--generate-hashes", "--refresh")
    assert index.count("/simple/lib/") == 1 and solves.count == 2


def test_the_newer_policy_of_a_revalidated_page_is_read_once_by_a_compile(
        tmp_path: Path, immutable_files: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyffin.client import cached

    index = immutable_files
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index)
    ten_minutes_later(monkeypatch)
    compile_(tmp_path, index, "--upgrade-package", "lib")  # revalidates every page (304s)
    # One requirement more: the resolution misses, and its pages' summaries hold through
    # the newer policies stored beside the pages by the revalidation.
    (tmp_path / "requirements.in").write_text("app\nutil\n")
    # As another process would: nothing known but what the revalidating one wrote.
    monkeypatch.setattr(cached, "_REVALIDATIONS", cached._Revalidations())
    reads = Calls(monkeypatch, cached, "_read_revalidated")
    index.reset_counts()
    assert "util==1.0" in compile_(tmp_path, index).stdout
    assert index.count() == 0 and kept(tmp_path)
    # The index directory's record of newer policies, once (for the pages' summaries), not
    # again when the resolution is kept nor for what the repeated command's record holds on.
    assert reads.count == 1


def test_the_inputs_are_hashed_once_for_every_record_a_compile_keeps(
        tmp_path: Path, index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyffin.cache

    hashed: list[str] = []
    digest = pyffin.cache.digest

    def spy(text: str, size: int = 16) -> str:
        hashed.append(text)
        return digest(text, size)

    monkeypatch.setattr(pyffin.cache, "digest", spy)
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index, "-o", tmp_path / "requirements.txt")
    # Kept for the output file's pins too (the next run's preferences): two keys, one hash
    # of the inputs (tens of kilobytes, with the target's tags).
    assert len(kept(tmp_path)) == 2
    assert sum("RequirementsSpec(" in text for text in hashed) == 1


def test_a_page_changed_past_max_age_gives_the_new_answer(
        tmp_path: Path, immutable_files: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    index = immutable_files
    (tmp_path / "requirements.in").write_text("app\n")
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    index.add_wheel(WheelSpec("lib", "2.0"))
    ten_minutes_later(monkeypatch)
    index.reset_counts()
    assert "lib==2.0" in compile_(tmp_path, index).stdout
    assert solves.count == 2
    # The changed page was fetched once: the resolution used what the revalidation stored.
    assert index.count("/simple/lib/") == 1


@pytest.fixture
def bare_pages(immutable_files: IndexServer) -> IndexServer:
    """Pages sent with no cache headers and no validators (no ETag, no Last-Modified), as
    some indexes do: stale at once, and only to be asked for again in full."""
    immutable_files.set_cache_control(None)
    immutable_files.etag = immutable_files.last_modified = False
    return immutable_files


def plain_page_requests(index: IndexServer) -> list[str]:
    """The paths of the requests made, each checked to be a plain request of a page."""
    assert all(r.path.startswith("/simple/") and "if-none-match" not in r.headers
               and "if-modified-since" not in r.headers for r in index.request_log)
    return sorted(r.path for r in index.request_log)


def test_a_kept_resolution_without_validators_is_used_when_every_page_is_the_same(
        tmp_path: Path, bare_pages: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page is asked for again, all at once; the same bytes again (compared by their
    digest) are as good as "not modified": the kept resolution is used, no page is parsed."""
    from pyffin.client import simple

    index = bare_pages
    (tmp_path / "requirements.in").write_text("app\n")
    out = tmp_path / "requirements.txt"
    first = compile_(tmp_path, index, "-o", out)
    written = out.read_bytes()
    parses = Calls(monkeypatch, simple, "parse_page")
    for _ in range(2):
        index.reset_counts()
        second = compile_(tmp_path, index, "-o", out)
        assert plain_page_requests(index) == ["/simple/app/", "/simple/lib/", "/simple/util/"]
        assert solves.count == 1 and parses.count == 0
        assert out.read_bytes() == written and second.stdout == first.stdout


def test_a_kept_resolution_without_validators_is_not_used_when_a_page_changed(
        tmp_path: Path, bare_pages: IndexServer, solves: Solves) -> None:
    index = bare_pages
    (tmp_path / "requirements.in").write_text("app\n")
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    index.add_wheel(WheelSpec("lib", "2.0"))
    index.reset_counts()
    assert "lib==2.0" in compile_(tmp_path, index).stdout
    assert solves.count == 2
    # The changed page was fetched once: the resolution used what the revalidation stored.
    assert index.count("/simple/lib/") == 1


def test_a_warm_compile_without_validators_parses_and_rewrites_no_page(
        tmp_path: Path, bare_pages: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A new input (no kept resolution for it): the pages' summaries hold once the pages
    come back with the same bytes, and no page record is written again."""
    from pyffin.client import simple

    index = bare_pages
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index)
    pages = sorted(Cache(tmp_path / "cache").bucket(CacheBucket.SIMPLE).glob("*/*/[a-z]*.rec"))
    records = {path: path.stat().st_ino for path in pages
               if path.name.count(".") == 1}  # the pages, not their summaries or policies
    assert len(records) == 3
    parses = Calls(monkeypatch, simple, "parse_page")
    (tmp_path / "requirements.in").write_text("app\nutil\n")
    index.reset_counts()
    assert "util==1.0" in compile_(tmp_path, index).stdout
    assert solves.count == 2 and parses.count == 0
    assert plain_page_requests(index) == ["/simple/app/", "/simple/lib/", "/simple/util/"]
    assert {path: path.stat().st_ino for path in records} == records


@pytest.mark.parametrize("status", [404, 503])
def test_a_page_that_cannot_be_revalidated_past_max_age_is_solved_again(
        tmp_path: Path, immutable_files: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """An answer other than 200 or 304 (a 404), or an error (a 503, retried no more): the
    resolution asks again, and reports what is wrong if it still is."""
    monkeypatch.setenv("PYFFIN_HTTP_RETRIES", "0")
    index = immutable_files
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index)
    ten_minutes_later(monkeypatch)
    index.fail("/simple/lib/", status, times=1)
    index.reset_counts()
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    assert solves.count == 2 and index.count("/simple/lib/") == 2


def test_offline_a_kept_resolution_past_max_age_is_used_as_it_is(
        tmp_path: Path, immutable_files: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    index = immutable_files
    (tmp_path / "requirements.in").write_text("app\n")
    first = compile_(tmp_path, index).stdout
    ten_minutes_later(monkeypatch)
    index.reset_counts()
    assert compile_(tmp_path, index, "--offline").stdout == first
    assert index.count() == 0 and solves.count == 1


def test_pages_that_are_never_fresh_are_asked_about_each_time(
        tmp_path: Path, immutable_files: IndexServer, solves: Solves) -> None:
    """``max-age=0``: the resolution is kept all the same, and used after a 304."""
    index = immutable_files
    index.set_max_age(0, "/simple/")
    (tmp_path / "requirements.in").write_text("app\n")
    first = compile_(tmp_path, index).stdout
    for _ in range(2):
        index.reset_counts()
        assert compile_(tmp_path, index).stdout == first
        assert len(conditional_page_requests(index)) == 3
    assert solves.count == 1
    index.add_wheel(WheelSpec("util", "2.0"))
    assert "util==2.0" in compile_(tmp_path, index).stdout
    assert solves.count == 2


def test_an_edited_input_misses(tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    source = tmp_path / "requirements.in"
    source.write_text("app\n")
    assert "lib==2.0" in compile_(tmp_path, index).stdout
    source.write_text("app\nlib<2\n")
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("util<1\n")
    source.write_text("app\n")
    assert compile_(tmp_path, index).returncode == 0  # kept from the first run
    result = pyffin("pip", "compile", source, "--index-url", index.index_url, "--no-config",
                    "--cache-dir", tmp_path / "cache", "-c", constraints)
    assert result.returncode != 0  # util<1 cannot hold
    constraints.write_text("lib<2\n")
    assert "lib==1.0" in compile_(tmp_path, index, "-c", constraints).stdout
    # An option that changes the answer is part of the key too.
    assert "lib==1.0" in compile_(tmp_path, index, "--resolution", "lowest").stdout
    assert solves.count == 5


def test_an_answer_kept_before_the_resolver_changed_its_choices_is_not_given(
        tmp_path: Path, index: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same inputs may resolve to other pins once the resolver chooses otherwise
    (``RESOLVER_REVISION``), even with the same version of pyffin."""
    import pyffin._version

    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index)
    compile_(tmp_path, index)
    assert solves.count == 1
    monkeypatch.setattr(pyffin._version, "RESOLVER_REVISION",
                        pyffin._version.RESOLVER_REVISION + 1)
    compile_(tmp_path, index)
    assert solves.count == 2


def test_preferences_of_the_output_file_are_inputs(tmp_path: Path, index: IndexServer,
                                                   solves: Solves) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    (tmp_path / "requirements.in").write_text("app\n")
    out = tmp_path / "requirements.txt"
    assert "lib==2.0" in compile_(tmp_path, index, "-o", out).stdout
    out.write_text(out.read_text().replace("lib==2.0", "lib==1.0"))
    assert "lib==1.0" in compile_(tmp_path, index, "-o", out).stdout
    # --upgrade and --upgrade-package drop the preferences: they always solve.
    assert "lib==2.0" in compile_(tmp_path, index, "-o", out, "-P", "lib").stdout
    assert "lib==2.0" in compile_(tmp_path, index, "-o", out, "--upgrade").stdout
    assert solves.count == 4


def test_no_cache_and_direct_references_keep_nothing(tmp_path: Path, index: IndexServer,
                                                      make_wheel: Any, solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index, "--no-cache")
    compile_(tmp_path, index, "--no-cache")
    assert solves.count == 2
    wheel = make_wheel("local", "1.0")
    (tmp_path / "requirements.in").write_text(f"local @ {wheel.as_uri()}\n")
    compile_(tmp_path, index)
    compile_(tmp_path, index)
    assert solves.count == 4
    assert kept(tmp_path) == []


def test_a_new_wheel_in_a_find_links_directory_misses(tmp_path: Path, index: IndexServer,
                                                      make_wheel: Any, solves: Solves,
                                                      settled_at_once: None) -> None:
    import shutil

    links = tmp_path / "links"
    links.mkdir()
    (tmp_path / "requirements.in").write_text("app\n")
    assert "lib==1.0" in compile_(tmp_path, index, "--find-links", links).stdout
    compile_(tmp_path, index, "--find-links", links)
    assert solves.count == 1
    shutil.copy(make_wheel("lib", "1.5"), links)
    assert "lib==1.5" in compile_(tmp_path, index, "--find-links", links).stdout


def test_a_damaged_kept_resolution_is_a_miss(tmp_path: Path, index: IndexServer,
                                             solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    first = compile_(tmp_path, index).stdout
    [record] = kept(tmp_path)
    record.write_bytes(record.read_bytes()[:-5])
    assert compile_(tmp_path, index).stdout == first
    assert solves.count == 2


def test_a_local_file_rewritten_in_place_misses(tmp_path: Path, index: IndexServer,
                                                make_wheel: Any, solves: Solves,
                                                settled_at_once: None) -> None:
    import shutil

    links = tmp_path / "links"
    links.mkdir()
    wheel = Path(shutil.copy(make_wheel("local", "1.0"), links))
    (tmp_path / "requirements.in").write_text("local\n")
    args = ("--find-links", links, "--no-index", "--generate-hashes")
    first = compile_(tmp_path, index, *args).stdout
    assert compile_(tmp_path, index, *args).stdout == first
    assert solves.count == 1
    # Rewritten in place (the directory's own stamp stays): its hash is another.
    other = tmp_path / "other"
    other.mkdir()
    rebuilt = build_wheel(WheelSpec("local", "1.0", requires_python=">=3"), other)
    with open(wheel, "wb") as f:
        f.write(rebuilt.read_bytes())
    second = compile_(tmp_path, index, *args).stdout
    assert solves.count == 2
    assert second != first


def test_cache_commands_know_kept_resolutions(tmp_path: Path, index: IndexServer,
                                              solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    compile_(tmp_path, index)
    [record] = kept(tmp_path)
    # verify reads them like every record ...
    data = bytearray(record.read_bytes())
    data[-5] ^= 1
    record.write_bytes(bytes(data))
    verified = pyffin("cache", "verify", cache_dir=tmp_path / "cache")
    assert verified.returncode == 1 and f"{record}: corrupt resolution" in verified.stderr
    assert pyffin("cache", "verify", "--repair", cache_dir=tmp_path / "cache").returncode == 0
    assert kept(tmp_path) == []
    compile_(tmp_path, index)
    assert solves.count == 2
    # ... and cleaning a package leaves no kept resolution made from its entries in use.
    assert pyffin("cache", "clean", "lib", cache_dir=tmp_path / "cache").returncode == 0
    index.reset_counts()
    assert "lib==1.0" in compile_(tmp_path, index).stdout
    assert solves.count == 3 and index.count("/simple/lib/") == 1


def test_an_edited_build_constraints_file_misses(tmp_path: Path, index: IndexServer,
                                                 solves: Solves,
                                                 settled_at_once: None) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    build = tmp_path / "build-constraints.txt"
    build.write_text("setuptools<80\n")
    compile_(tmp_path, index, "--build-constraints", build)
    compile_(tmp_path, index, "--build-constraints", build)
    assert solves.count == 1
    # What is built (and so what its metadata says) may change with it.
    build.write_text("setuptools<70\n")
    compile_(tmp_path, index, "--build-constraints", build)
    assert solves.count == 2


def test_local_files_changed_just_before_are_not_trusted(
        tmp_path: Path, index: IndexServer, make_wheel: Any, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    links = tmp_path / "links"
    links.mkdir()
    shutil.copy(make_wheel("local", "1.0"), links)
    (tmp_path / "requirements.in").write_text("local\n")
    # Every file changed "just now": a change within the same tick could go unseen, so no
    # resolution made from them is kept.
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 10**18)
    args = ("--find-links", links, "--no-index")
    compile_(tmp_path, index, *args)
    compile_(tmp_path, index, *args)
    assert solves.count == 2 and kept(tmp_path) == []
    monkeypatch.setattr("pyffin.stamps.SETTLED_NS", 0)
    compile_(tmp_path, index, *args)
    compile_(tmp_path, index, *args)
    assert solves.count == 3 and len(kept(tmp_path)) == 1


def test_a_lock_is_made_by_solving(tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    lock = tmp_path / "pylock.toml"
    compile_(tmp_path, index, "-o", lock)
    written = lock.read_text()
    compile_(tmp_path, index, "-o", lock)
    # Every file of each release goes into a lock: only the package source knows them.
    assert solves.count == 2 and kept(tmp_path) == []
    assert lock.read_text() == written


# ------------------------------------------------------------------------ install and sync
def test_a_universal_resolution_is_kept_apart_and_never_outlives_its_inputs(
        tmp_path: Path, index: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    universal = []
    original = operations.resolve_universal

    def counted(*args: Any, **kwargs: Any) -> Any:
        universal.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(operations, "resolve_universal", counted)
    (tmp_path / "requirements.in").write_text("app\n")
    out = tmp_path / "requirements.txt"
    first = compile_(tmp_path, index, "--universal", "-o", out)
    written = out.read_bytes()
    out.unlink()
    index.reset_counts()
    second = compile_(tmp_path, index, "--universal", "-o", out)
    assert len(universal) == 1 and index.count() == 0
    assert out.read_bytes() == written and second.stdout == first.stdout
    # Not the answer of a plain compile of the same inputs, nor of another Python range.
    compile_(tmp_path, index)
    assert solves.count == 1
    compile_(tmp_path, index, "--universal", "--python-version", "3.12")
    assert len(universal) == 2
    # The output file's pins (with their markers) are preferences: solved once with them.
    compile_(tmp_path, index, "--universal", "-o", out)
    compile_(tmp_path, index, "--universal", "-o", out)
    assert len(universal) == 3
    index.add_wheel(WheelSpec("lib", "2.0"))
    assert "lib==2.0" in compile_(tmp_path, index, "--universal", "--refresh").stdout
    assert "lib==2.0" in compile_(tmp_path, index, "--universal").stdout
    assert len(universal) == 5


def new_venv(tmp_path: Path, name: str) -> Path:
    env = tmp_path / name
    assert pyffin("venv", env, "--python", sys.executable, "--cache-dir",
                  tmp_path / "cache").returncode == 0
    return env


def install(tmp_path: Path, index: IndexServer, env: Path, *args: str | Path,
            command: str = "install") -> Result:
    result = pyffin("pip", command, *args, "--python", env / "bin" / "python", "--index-url",
                    index.index_url, "--no-config", "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result
    return result


def installed(env: Path) -> list[str]:
    result = pyffin("pip", "freeze", "--python", env / "bin" / "python")
    return result.stdout.split()


def test_an_install_into_a_new_environment_uses_the_kept_resolution(
        tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    (tmp_path / "requirements.in").write_text("app\n")
    first = new_venv(tmp_path, "first")
    install(tmp_path, index, first, "-r", tmp_path / "requirements.in")
    assert solves.count == 1
    index.reset_counts()
    second = new_venv(tmp_path, "second")
    install(tmp_path, index, second, "-r", tmp_path / "requirements.in")
    assert solves.count == 1
    assert index.count() == 0
    assert installed(second) == installed(first) == ["app==1.0", "lib==1.0", "util==1.0"]
    # sync's inputs differ (each requirement alone): solved, then kept too.
    third = new_venv(tmp_path, "third")
    install(tmp_path, index, third, tmp_path / "requirements.in", command="sync")
    assert installed(third) == ["app==1.0"]
    assert solves.count == 2


def test_an_install_past_max_age_uses_the_kept_resolution_once_its_pages_are_not_modified(
        tmp_path: Path, immutable_files: IndexServer, solves: Solves,
        monkeypatch: pytest.MonkeyPatch) -> None:
    index = immutable_files
    (tmp_path / "requirements.in").write_text("app\n")
    install(tmp_path, index, new_venv(tmp_path, "first"), "-r", tmp_path / "requirements.in")
    ten_minutes_later(monkeypatch)
    index.reset_counts()
    env = new_venv(tmp_path, "second")
    install(tmp_path, index, env, "-r", tmp_path / "requirements.in")
    assert solves.count == 1
    assert conditional_page_requests(index) == ["/simple/app/", "/simple/lib/", "/simple/util/"]
    assert installed(env) == ["app==1.0", "lib==1.0", "util==1.0"]


def test_what_is_installed_keys_the_kept_resolution_of_an_install(
        tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    index.add_wheel(WheelSpec("lib", "2.0"))
    (tmp_path / "requirements.in").write_text("app\n")
    fresh = new_venv(tmp_path, "fresh")
    install(tmp_path, index, fresh, "-r", tmp_path / "requirements.in")
    assert "lib==2.0" in installed(fresh)
    # An environment that has lib 1.0 prefers it: the kept answer (lib 2.0) is not its answer.
    older = new_venv(tmp_path, "older")
    install(tmp_path, index, older, "lib==1.0")
    install(tmp_path, index, older, "-r", tmp_path / "requirements.in")
    assert installed(older) == ["app==1.0", "lib==1.0", "util==1.0"]
    assert solves.count == 3
    # --reinstall solves again; a new environment is served the kept answer.
    again = new_venv(tmp_path, "again")
    install(tmp_path, index, again, "-r", tmp_path / "requirements.in", "--reinstall")
    assert solves.count == 4
    last = new_venv(tmp_path, "last")
    install(tmp_path, index, last, "-r", tmp_path / "requirements.in")
    assert solves.count == 4 and "lib==2.0" in installed(last)


def test_an_install_never_installs_an_old_answer_once_an_input_or_page_changed(
        tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("app\n")
    install(tmp_path, index, new_venv(tmp_path, "a"), "-r", source)
    index.add_wheel(WheelSpec("lib", "2.0"))
    env = new_venv(tmp_path, "b")
    install(tmp_path, index, env, "-r", source, "--refresh")
    assert "lib==2.0" in installed(env)
    # The page changed: the resolution kept before it is not used, within max-age too.
    env = new_venv(tmp_path, "c")
    install(tmp_path, index, env, "-r", source)
    assert "lib==2.0" in installed(env)
    source.write_text("app\nlib<2\n")
    env = new_venv(tmp_path, "d")
    install(tmp_path, index, env, "-r", source)
    assert "lib==1.0" in installed(env)
    assert solves.count == 4


def test_hash_checking_mode_keeps_resolutions_that_pass_its_checks_only(
        tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    wheel = index.add_wheel(WheelSpec("hashed", "1.0", requires_dist=["lib", "util"]))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    source = tmp_path / "requirements.txt"
    source.write_text(f"hashed==1.0 --hash=sha256:{digest}\n")
    for name in ("a", "b"):
        result = pyffin("pip", "install", "-r", source, "--no-deps", "--python",
                        new_venv(tmp_path, name) / "bin" / "python", "--index-url",
                        index.index_url, "--no-config", "--cache-dir", tmp_path / "cache")
        assert result.returncode == 0, result
    assert solves.count == 1
    for name in ("c", "d"):  # with dependencies: lib and util are not listed with hashes
        result = pyffin("pip", "install", "-r", source, "--python",
                        new_venv(tmp_path, name) / "bin" / "python", "--index-url",
                        index.index_url, "--no-config", "--cache-dir", tmp_path / "cache")
        assert result.returncode != 0
        assert "these dependencies are not: lib, util" in result.stderr


def test_a_report_of_a_kept_resolution_has_the_metadata_of_what_it_would_install(
        tmp_path: Path, index: IndexServer, solves: Solves) -> None:
    install(tmp_path, index, new_venv(tmp_path, "first"), "app")
    result = install(tmp_path, index, new_venv(tmp_path, "second"), "app", "--dry-run",
                     "--report", "-")
    assert solves.count == 1
    report = json.loads(result.stdout)
    assert {item["metadata"]["name"]: item["metadata"].get("requires_dist", [])
            for item in report["install"]} == {"app": ["lib>=1", "util"], "lib": [],
                                               "util": []}
