"""The documented Python API (``pyffin.compile``, ``install``, ``sync``, ``uninstall``,
``create_venv``, ``inspect``): flags as keywords, no configuration unless asked, progress and
messages to the caller's callback, only ``PyffinError`` raised."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

import pyffin
from pyffin.errors import InternalError, OSFailure, PyffinError, UsageError
from pyffin.reporting import Event
from tests.support.dists import SdistSpec, WheelSpec, write_develop_install, write_source_tree
from tests.support.index import IndexServer

APP = WheelSpec("app", "1.0", requires_dist=["lib<2"],
                files={"app/__init__.py": "import lib\n"})


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel(APP)
    index_server.add_wheel(WheelSpec("lib", "1.5", files={"lib/__init__.py": "VALUE = 1\n"}))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    index_server.add_wheel(WheelSpec("other", "1.0"))
    return index_server


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    return pyffin.create_venv(tmp_path / "env", python=sys.executable).python


def using(venv: Path) -> str:
    """The message naming the environment an operation changes."""
    import platform

    return f"Using Python {platform.python_version()} environment at: {venv.parent.parent}"


def kinds(events: list[Event]) -> set[str]:
    return {event.kind for event in events}


# ------------------------------------------------------------------------- operations
def test_a_cold_install_fetches_the_requirements_pages_while_it_looks_for_the_environment(
        index: IndexServer, venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from pyffin.interpreter import discovery

    found = discovery.find_environment
    seen: list[int] = []

    def find_environment(*args: object, **kwargs: object) -> object:
        # The page is asked for in the background: wait for it (at most a few seconds).
        deadline = time.monotonic() + 10
        while not index.count("/simple/app/") and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(index.count("/simple/app/"))
        return found(*args, **kwargs)  # type: ignore[arg-type]

    # (The lookup starts first, in a thread of its own on a cold cache: it waits there.)
    monkeypatch.setattr(discovery, "find_environment", find_environment)
    result = pyffin.install(["app"], python=str(venv), index_url=index.index_url)

    assert seen == [1] and index.count("/simple/app/") == 1  # asked for once, early
    assert result.installed == [("app", "1.0"), ("lib", "1.5")]


def test_a_cold_install_parses_pages_with_the_collector_at_rest(
        index: IndexServer, venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a compile: the pages asked for early, while the environment is looked for, are
    parsed with the cyclic collector at rest (see ``pyffin.collector``); it collects again
    once the install is over."""
    import gc

    from tests.support.collector import collector_while_parsing_pages

    seen = collector_while_parsing_pages(monkeypatch)
    result = pyffin.install(["app"], python=str(venv), index_url=index.index_url)
    assert result.installed == [("app", "1.0"), ("lib", "1.5")]
    assert seen and not any(seen)
    assert gc.isenabled()


def test_install_inspect_sync_and_uninstall_an_environment(index: IndexServer, venv: Path,
                                                           tmp_path: Path) -> None:
    python = str(venv)
    result = pyffin.install(["app"], python=python, index_url=index.index_url)
    assert result.installed == [("app", "1.0"), ("lib", "1.5")]
    assert repr(result) == (f"InstallResult({venv.parent.parent}, installed=[app==1.0, "
                            "lib==1.5], removed=[], audited=0, resolved=2)")

    found = pyffin.inspect(python=python)
    assert [(p.name, p.version) for p in found.packages] == [("app", "1.0"), ("lib", "1.5")]
    assert found.freeze() == "app==1.0\nlib==1.5\n"
    assert found["App"].requires == ("lib",) and found.required_by("lib") == ("app",)
    assert "lib" in found and "other" not in found and found.problems == ()
    assert repr(found) == f"Inspection({venv.parent.parent}, Python " \
                          f"{found.python_version}, 2 packages, 0 problems)"

    (tmp_path / "r.txt").write_text("app==1.0\nother==1.0\n")
    synced = pyffin.sync([tmp_path / "r.txt"], python=python, index_url=index.index_url)
    assert (synced.installed, synced.removed) == ([("other", "1.0")], [("lib", "1.5")])
    problems = pyffin.inspect(python=python).problems
    assert [str(p) for p in problems] == [
        "The package `app` requires `lib<2`, but it's not installed"]

    removed = pyffin.uninstall(["app", "other"], python=python)
    assert removed.removed == [("app", "1.0"), ("other", "1.0")]
    assert pyffin.inspect(python=python).packages == ()


def test_compile_pins_and_writes_its_output_file_keeping_its_pins(index: IndexServer,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "requirements.txt"
    out.write_text("lib==1.5\n")
    result = pyffin.compile(packages=["lib"], output_file=out, index_url=index.index_url,
                            no_annotate=True, python=sys.executable)
    assert out.read_text() == "lib==1.5\n"  # the file's pin is kept, and it is written again
    assert repr(result) == f"CompileResult({result.target.description}: lib==1.5)"
    upgraded = pyffin.compile(packages=["lib"], output_file=out, upgrade=True,
                              index_url=index.index_url, python=sys.executable)
    assert [str(p.version) for p in upgraded.resolution] == ["2.0"]
    assert "lib==2.0\n" in out.read_text()


def test_compile_writes_a_lock_that_sync_installs(index: IndexServer, venv: Path,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "pylock.toml"
    result = pyffin.compile(packages=["app"], output_file=out, index_url=index.index_url,
                            python=sys.executable)  # the file's name says: a lock
    assert result.lock is not None
    assert 'created-by = "pyffin"' in out.read_text()
    with pytest.raises(UsageError, match=r"must be named pylock\.toml"):
        pyffin.compile(packages=["app"], output_file=tmp_path / "out.txt",
                       output_format="pylock.toml", index_url=index.index_url)
    synced = pyffin.sync([out], python=str(venv))  # no index: the lock has the URLs
    assert synced.installed == [("app", "1.0"), ("lib", "1.5")]


def test_compile_resolves_for_every_platform_with_universal(index_server: IndexServer
                                                            ) -> None:
    index_server.add_wheel(WheelSpec("app", "1.0",
                                     requires_dist=['winlib; sys_platform == "win32"']))
    index_server.add_wheel(WheelSpec("winlib", "1.0"))
    here = pyffin.compile(packages=["app"], index_url=index_server.index_url,
                          python=sys.executable)
    assert [p.name for p in here.resolution] == ["app"]
    everywhere = pyffin.compile(packages=["app"], index_url=index_server.index_url,
                                python=sys.executable, universal=True)
    assert "winlib==1.0 ; sys_platform == 'win32'\n" in everywhere.to_requirements_txt()
    assert repr(everywhere) == \
        "CompileResult(universal: app==1.0, winlib==1.0 ; sys_platform == 'win32')"


def test_compile_takes_uvs_fork_strategy(index_server: IndexServer) -> None:
    index_server.add_wheel(WheelSpec("lib", "1.0", requires_python=">=3.9"),
                           requires_python=">=3.9")
    index_server.add_wheel(WheelSpec("lib", "2.0", requires_python=">=3.11"),
                           requires_python=">=3.11")
    fewest = pyffin.compile(packages=["lib"], index_url=index_server.index_url,
                            python_version="3.9", universal=True, fork_strategy="fewest")
    assert fewest.to_requirements_txt(annotate=False) == "lib==1.0\n"
    with pytest.raises(UsageError, match="invalid fork_strategy='most'"):
        pyffin.compile(packages=["lib"], index_url=index_server.index_url, universal=True,
                       fork_strategy="most")  # type: ignore[arg-type]


def test_uv_s_excludes_and_per_package_options_through_the_api(index_server: IndexServer,
                                                                 tmp_path: Path) -> None:
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib"]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0b1"))
    excludes = tmp_path / "x.txt"
    excludes.write_text("lib\n")
    result = pyffin.compile(packages=["app"], index_url=index_server.index_url,
                            excludes=[excludes])
    assert result.to_requirements_txt(annotate=False) == "app==1.0\n"
    result = pyffin.compile(packages=["app"], index_url=index_server.index_url,
                            prerelease_packages=["lib=allow"])
    assert result.to_requirements_txt(annotate=False) == "app==1.0\nlib==2.0b1\n"
    with pytest.raises(UsageError, match="Invalid `prerelease-package` value `lib`"):
        pyffin.compile(packages=["app"], index_url=index_server.index_url,
                       prerelease_packages=["lib"])
    with pytest.raises(UsageError, match="no_editable_packages: not a valid project name"):
        pyffin.install(["app"], no_editable_packages=["not a name"],
                       index_url=index_server.index_url)


def test_torch_backend_through_the_api(index_server: IndexServer, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    index_server.add_wheel(WheelSpec("torch", "3.0"))
    index_server.add_wheel(WheelSpec("torch", "2.1.0+cpu"))
    index_server.mount("/whl/cpu", "torch-2.1.0+cpu-py3-none-any.whl")
    monkeypatch.setenv("PYFFIN_TORCH_INDEX_URL", f"{index_server.url}/whl")
    result = pyffin.compile(packages=["torch"], index_url=index_server.index_url,
                            torch_backend="cpu")
    assert result.to_requirements_txt(annotate=False) == "torch==2.1.0+cpu\n"
    session = pyffin.Session.from_flags(index_url=index_server.index_url, torch_backend="cpu")
    result = pyffin.compile(packages=["torch"], session=session)
    assert result.to_requirements_txt(annotate=False) == "torch==2.1.0+cpu\n"
    with pytest.raises(UsageError, match="invalid torch_backend='gpu'"):
        pyffin.compile(packages=["torch"], index_url=index_server.index_url,
                       torch_backend="gpu")
    with pytest.raises(UsageError, match="torch_backend: give these options to the Session"):
        pyffin.install(["torch"], session=session, torch_backend="cpu")


def test_download_and_wheel_save_files_into_a_directory(index: IndexServer,
                                                        tmp_path: Path) -> None:
    index.add_sdist(SdistSpec("built", "1.0"))
    events: list[Event] = []
    saved = pyffin.download(["app"], dest=tmp_path / "d", index_url=index.index_url,
                            python=sys.executable, on_event=events.append)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "app-1.0-py3-none-any.whl", "lib-1.5-py3-none-any.whl"]
    assert repr(saved).endswith(": app-1.0-py3-none-any.whl (saved), "
                                "lib-1.5-py3-none-any.whl (saved))")
    assert {"resolve-done", "download-done"} <= kinds(events)
    built = pyffin.wheel(["built"], wheel_dir=tmp_path / "w", index_url=index.index_url,
                         python=sys.executable)
    assert [(f.name, f.built) for f in built.files] == [("built", True)]
    assert (tmp_path / "w" / "built-1.0-py3-none-any.whl").is_file()
    with pytest.raises(UsageError):  # pip's rule: another platform needs binaries only
        pyffin.download(["app"], dest=tmp_path / "d", platforms=["win_amd64"],
                        index_url=index.index_url, python=sys.executable)


def test_create_venv_makes_an_environment_and_refuses_to_replace_one(tmp_path: Path) -> None:
    made = pyffin.create_venv(tmp_path / "env", python=sys.executable, prompt="mine")
    assert made.path == tmp_path / "env" and made.python.is_file()
    assert "prompt = mine" in (made.path / "pyvenv.cfg").read_text()
    assert repr(made) == f"VenvResult({made.path}, Python {made.python_version})"
    with pytest.raises(PyffinError, match="already"):
        pyffin.create_venv(tmp_path / "env", python=sys.executable)
    assert pyffin.create_venv(tmp_path / "env", python=sys.executable, clear=True).path == \
        made.path


def test_strict_raises_once_the_environment_is_inconsistent(index: IndexServer,
                                                             venv: Path) -> None:
    from pyffin.errors import InconsistentEnvironmentError

    assert pyffin.install(["app"], python=str(venv), index_url=index.index_url,
                          strict=True).installed == [("app", "1.0"), ("lib", "1.5")]
    with pytest.raises(InconsistentEnvironmentError) as raised:
        pyffin.install(["lib==2.0"], python=str(venv), index_url=index.index_url, strict=True)
    assert str(raised.value) == ("the environment is inconsistent (strict): 1 problem:\n"
                                 "  The package `app` requires `lib<2`, but `2.0` is installed")
    assert raised.value.result.installed == [("lib", "2.0")]  # type: ignore[attr-defined]
    assert pyffin.inspect(python=str(venv))["lib"].version == "2.0"  # the change was made


def test_inspect_filters_as_list_does(index: IndexServer, venv: Path, tmp_path: Path) -> None:
    project = write_source_tree(SdistSpec("mine", "0.1"), tmp_path / "project")
    pyffin.install(["other"], editables=[str(project)], python=str(venv),
                   index_url=index.index_url)
    names = lambda **options: [p.name for p in pyffin.inspect(  # noqa: E731
        python=str(venv), **options).packages]
    assert names() == ["mine", "other"]
    assert names(editable=True) == ["mine"]
    assert names(exclude_editable=True) == ["other"]
    assert names(exclude=["Other"]) == ["mine"]
    found = pyffin.inspect(python=str(venv))
    assert found["mine"].editable_location == str(project)
    assert found["mine"].requirement == found.freeze().splitlines()[0]
    assert found.freeze().splitlines()[0].startswith("-e ")


def test_inspect_sees_a_setup_py_develop_install_as_editable(venv: Path, tmp_path: Path) -> None:
    [site] = (venv.parent.parent / "lib").glob("python3.*/site-packages")
    write_develop_install(site, tmp_path / "legacy", "leg-pkg", "1.0")
    found = pyffin.inspect(python=str(venv), editable=True)
    assert [(p.name, p.location, p.editable_location, p.requirement) for p in found.packages] \
        == [("leg-pkg", str(tmp_path / "legacy"), str(tmp_path / "legacy"),
             f"-e {tmp_path / 'legacy'}")]


def test_a_target_directory_is_installed_into_read_and_emptied(index: IndexServer,
                                                                tmp_path: Path) -> None:
    target = tmp_path / "vendor"
    result = pyffin.install(["app"], target=target, python=sys.executable,
                            index_url=index.index_url)
    assert result.installed == [("app", "1.0"), ("lib", "1.5")]
    assert (target / "app" / "__init__.py").is_file()
    assert pyffin.inspect(target=target, python=sys.executable).freeze() == \
        "app==1.0\nlib==1.5\n"
    assert pyffin.uninstall(["app", "lib"], target=target, python=sys.executable).removed == \
        [("app", "1.0"), ("lib", "1.5")]
    assert pyffin.inspect(target=target, python=sys.executable).packages == ()
    with pytest.raises(UsageError):
        pyffin.install(["app"], target=target, prefix=tmp_path / "p", python=sys.executable)


def test_a_dry_run_changes_nothing(index: IndexServer, venv: Path) -> None:
    result = pyffin.install(["app==1.0", "lib==1.5"], python=str(venv),
                            index_url=index.index_url, dry_run=True)
    assert result.installed == [("app", "1.0"), ("lib", "1.5")] and result.dry_run
    assert pyffin.inspect(python=str(venv)).packages == ()
    # Pinned requirements: nothing is fetched while resolving for a dry run either.
    assert not [r.path for r in index.request_log if r.path.endswith(".whl")]


def test_each_wheel_of_a_pinned_install_is_downloaded_once(index: IndexServer,
                                                            venv: Path) -> None:
    # Fetched during the resolution, and found in flight or done by the install.
    result = pyffin.install(["app==1.0", "lib==1.5"], python=str(venv),
                            index_url=index.index_url)
    assert result.installed == [("app", "1.0"), ("lib", "1.5")] and result.prepared == 2
    assert sorted(r.path for r in index.request_log if r.path.endswith(".whl")) == [
        "/files/app-1.0-py3-none-any.whl", "/files/lib-1.5-py3-none-any.whl"]


# --------------------------------------------------------------------------- options
def test_options_are_checked_and_named_in_the_error(index: IndexServer, venv: Path) -> None:
    with pytest.raises(UsageError, match=r"invalid resolution='newest' \(expected one of "
                                         r"highest, lowest, lowest-direct\)"):
        pyffin.compile(packages=["app"], resolution="newest")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="packages takes a list of strings, not the string "
                                         "'app'"):
        pyffin.install("app", python=str(venv))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="pre=True conflicts with prerelease='disallow'"):
        pyffin.compile(packages=["app"], pre=True, prerelease="disallow",
                       index_url=index.index_url)
    with pytest.raises(UsageError, match="nothing to uninstall"):
        pyffin.uninstall(python=str(venv))


def test_a_session_is_given_with_its_options_not_beside_them(index: IndexServer,
                                                            tmp_path: Path) -> None:
    session = pyffin.Session.from_flags(index_url=index.index_url, cache_dir=tmp_path / "c")
    assert session.cache.root == tmp_path / "c"
    assert pyffin.compile(packages=["app"], session=session,
                          python=sys.executable).resolution.pins()
    with pytest.raises(UsageError, match="index_url, offline: give these options to the "
                                         "Session, or no session"):
        pyffin.compile(packages=["app"], session=session, index_url=index.index_url,
                       offline=True)


def test_a_session_runs_one_call_at_a_time(index: IndexServer, tmp_path: Path) -> None:
    from pyffin.cache import Cache
    from pyffin.settings import IndexSettings

    session = pyffin.Session(Cache(tmp_path / "cache"),
                             index=IndexSettings(index_url=index.index_url))
    refused: list[str] = []

    def meanwhile(event: Event) -> None:
        if not refused:  # another call on the same session while this one runs
            with pytest.raises(UsageError) as raised:
                pyffin.compile(packages=["lib"], session=session, python=sys.executable)
            refused.append(str(raised.value))

    result = pyffin.compile(packages=["app"], session=session, python=sys.executable,
                            on_event=meanwhile)
    assert refused == ["this Session is running another call: give each thread its own"]
    assert [p.name for p in result.resolution] == ["app", "lib"]
    assert pyffin.compile(packages=["lib"], session=session, python=sys.executable)  # after


# ----------------------------------------------------------------------- configuration
@pytest.fixture
def hostile_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every kind of configuration a user may have, each set to break a resolution against
    the test index: no index at all."""
    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text("[global]\nno-index = true\nfind-links = /nowhere\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(pip_conf))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PYFFIN_NO_INDEX", "1")
    user = tmp_path / "xdg" / "pyffin"
    user.mkdir(parents=True)
    (user / "pyffin.toml").write_text("no-index = true\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyffin.toml").write_text("no-index = true\n")
    monkeypatch.chdir(project)
    return pip_conf


@pytest.mark.usefixtures("hostile_configuration")
def test_no_configuration_is_read_unless_asked(index: IndexServer) -> None:
    result = pyffin.compile(packages=["app"], index_url=index.index_url,
                            python=sys.executable)
    assert [p.name for p in result.resolution] == ["app", "lib"]
    with pytest.raises(PyffinError, match="find-links location /nowhere"):
        pyffin.compile(packages=["app"], index_url=index.index_url, python=sys.executable,
                       config="auto")


@pytest.mark.parametrize("source", ["pip.conf", "PIP_NO_INDEX", "PYFFIN_NO_INDEX",
                                    "user pyffin.toml", "project pyffin.toml"])
def test_config_auto_reads_each_level(source: str, index: IndexServer, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    if source == "pip.conf":
        (tmp_path / "pip.conf").write_text("[global]\nno-index = true\n")
        monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "pip.conf"))
    elif source.endswith("_NO_INDEX"):
        monkeypatch.setenv(source, "1")
    else:
        where = project if source.startswith("project") else tmp_path / "xdg" / "pyffin"
        where.mkdir(parents=True, exist_ok=True)
        (where / "pyffin.toml").write_text("no-index = true\n")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert pyffin.compile(packages=["lib"], index_url=index.index_url,
                          python=sys.executable).resolution.pins()
    with pytest.raises(PyffinError):
        pyffin.compile(packages=["lib"], index_url=index.index_url, python=sys.executable,
                       config="auto")


def test_config_auto_fills_in_the_keywords_not_given(index: IndexServer, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyffin.toml").write_text('resolution = "lowest"\n')
    (tmp_path / "c.txt").write_text("other==1.0\n")
    monkeypatch.setenv("PIP_CONSTRAINT", str(tmp_path / "c.txt"))

    def compiled(**options: object) -> dict[str, str]:
        result = pyffin.compile(packages=["lib", "other"], index_url=index.index_url,
                                python=sys.executable, **options)  # type: ignore[arg-type]
        return {p.name: str(p.version) for p in result.resolution}

    assert compiled() == {"lib": "2.0", "other": "1.0"}
    assert compiled(config="auto") == {"lib": "1.5", "other": "1.0"}
    assert compiled(config="auto", resolution="highest")["lib"] == "2.0"  # a keyword wins
    (tmp_path / "c.txt").write_text("other>1\n")  # the variable's constraints are read too
    with pytest.raises(PyffinError):
        compiled(config="auto")
    assert compiled(config="auto", constraints=[]) == {"lib": "1.5", "other": "1.0"}
    from pyffin.settings import IndexSettings

    # A session that reads configuration fills in keywords too.
    session = pyffin.Session(config="auto", index=IndexSettings(index_url=index.index_url))
    result = pyffin.compile(packages=["lib"], session=session, python=sys.executable,
                            constraints=[])
    assert str(result.resolution["lib"].version) == "1.5"


def test_config_may_name_one_file(index: IndexServer, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # not read: only the file named is
    (tmp_path / "ci.toml").write_text(f'index-url = "{index.index_url}"\n')
    result = pyffin.compile(packages=["lib"], config=tmp_path / "ci.toml",
                            python=sys.executable)
    assert [str(p.version) for p in result.resolution] == ["2.0"]


# ------------------------------------------------------------------------------ events
def test_the_callback_hears_resolution_downloads_installs_and_messages(
        index: IndexServer, venv: Path) -> None:
    events: list[Event] = []
    pyffin.install(["app"], python=str(venv), index_url=index.index_url, on_event=events.append)
    assert {"resolve-progress", "resolve-done", "download-start", "download-progress",
            "download-done", "install"} <= kinds(events)
    installs = [str(e) for e in events if e.kind == "install"]
    assert sorted(installs) == ["Installed app==1.0", "Installed lib==1.5"]
    downloads = {e.subject for e in events if e.kind == "download-done"}
    assert downloads == {"app-1.0-py3-none-any.whl", "lib-1.5-py3-none-any.whl"}
    # Each download starts before it is done, and every installed wheel came down first.
    order = [(e.kind, e.subject) for e in events]
    for name in downloads:
        assert order.index(("download-start", name)) < order.index(("download-done", name))
    assert max(order.index(("download-done", n)) for n in downloads) < \
        min(i for i, (kind, _) in enumerate(order) if kind == "install")

    events.clear()
    pyffin.uninstall(["lib", "missing"], python=str(venv), on_event=events.append)
    assert [(e.kind, e.level, str(e)) for e in events] == [
        ("message", logging.INFO, using(venv)),
        ("message", logging.WARNING, "Skipping missing as it is not installed"),
        ("uninstall", logging.INFO, "Uninstalled lib==1.5")]


def test_the_callback_hears_builds(index: IndexServer, venv: Path) -> None:
    index.add_sdist(SdistSpec("built", "1.0"))
    events: list[Event] = []
    result = pyffin.install(["built"], python=str(venv), index_url=index.index_url,
                            on_event=events.append)
    assert result.installed == [("built", "1.0")]
    order = [str(e) for e in events if e.kind in ("build-start", "build-done", "install")]
    assert order[-1] == "Installed built==1.0"
    assert order[:2] == ["Building built==1.0", "Built built==1.0"], order


def test_build_keywords_reach_the_backends(index: IndexServer, venv: Path,
                                           tmp_path: Path) -> None:
    import json

    index.add_sdist(SdistSpec("one", "1.0"))
    index.add_sdist(SdistSpec("two", "1.0"))
    pyffin.install(["one", "two"], python=str(venv), index_url=index.index_url,
                   config_settings={"mode": "fast"},
                   config_settings_packages={"One": {"mode": "slow", "extra": "1"}})
    site = next((venv.parent.parent / "lib").glob("python*/site-packages"))

    def received(name: str) -> object:
        record = site / f"{name}-1.0.dist-info" / "pyffin_test_backend.json"
        return json.loads(record.read_text())["config_settings"]

    assert received("one") == {"mode": ["slow", "fast"], "extra": "1"}
    assert received("two") == {"mode": "fast"}
    with pytest.raises(PyffinError, match=r"missing\.txt"):
        pyffin.install(["one"], python=str(venv), index_url=index.index_url,
                       build_constraints=[tmp_path / "missing.txt"])
    with pytest.raises(UsageError, match="no_build_isolation_packages takes a list"):
        pyffin.install(["one"], python=str(venv), no_build_isolation_packages="one")


def test_without_a_callback_events_go_to_logging(index: IndexServer, venv: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pyffin")
    pyffin.install(["app"], python=str(venv), index_url=index.index_url)
    progress = [r.getMessage() for r in caplog.records if r.name == "pyffin.progress"]
    assert "Installed app==1.0" in progress and "Resolving dependencies..." in progress
    assert not any("more bytes" in line for line in progress)  # no line per chunk
    caplog.clear()
    pyffin.uninstall(["missing"], python=str(venv))
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("pyffin", logging.INFO, using(venv)),
        ("pyffin", logging.WARNING, "Skipping missing as it is not installed")]


def test_messages_reach_the_call_whatever_the_process_configured(
        venv: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A command line run earlier in the process (``pyffin -q``) set its own sink and level;
    an API call's messages still go to its callback, or to logging."""
    from pyffin import log

    printed: list[str] = []
    log.configure(lambda level, message: printed.append(message), log.WARNING)
    try:
        heard: list[str] = []
        pyffin.uninstall(["missing"], python=str(venv), on_event=lambda e: heard.append(str(e)))
        assert heard == [using(venv), "Skipping missing as it is not installed"]
        caplog.set_level(logging.INFO, logger="pyffin")
        pyffin.uninstall(["missing"], python=str(venv))
        assert [r.getMessage() for r in caplog.records] == [
            using(venv), "Skipping missing as it is not installed"]
        assert printed == []
    finally:
        log.configure(None)


def test_a_callback_hears_only_its_own_calls_messages(index: IndexServer, venv: Path) -> None:
    import threading

    heard: dict[str, list[str]] = {"a": [], "b": []}

    def run(name: str) -> None:
        pyffin.uninstall([f"missing-{name}"], python=str(venv),
                         on_event=lambda e: heard[name].append(str(e)))

    threads = [threading.Thread(target=run, args=(name,)) for name in heard]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The second call may wait for the first one's lock on the environment, and say so.
    for messages in heard.values():
        messages[:] = [m for m in messages if not m.startswith("Waiting for another pyffin")]
    assert heard == {"a": [using(venv), "Skipping missing-a as it is not installed"],
                     "b": [using(venv), "Skipping missing-b as it is not installed"]}


# ------------------------------------------------------------------------------ errors
def test_network_failures_are_pyffin_errors(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setenv("PYFFIN_HTTP_RETRIES", "0")

    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    from pyffin.client.errors import NetworkError

    with pytest.raises(NetworkError, match=f"127.0.0.1:{port}"):
        pyffin.compile(packages=["app"], index_url=f"http://127.0.0.1:{port}/simple",
                       python=sys.executable, cache_dir=tmp_path / "cache")


def test_an_os_error_escapes_as_os_failure(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyffin.api.inspect

    def refuse(env: object) -> None:
        raise PermissionError(13, "Permission denied", "/env/lib/site-packages")

    monkeypatch.setattr(pyffin.api.inspect, "installed", refuse)
    with pytest.raises(OSFailure) as raised:
        pyffin.inspect(python=str(venv))
    assert str(raised.value) == "Permission denied: /env/lib/site-packages"
    assert isinstance(raised.value.__cause__, PermissionError)


def test_anything_else_escapes_as_an_internal_error(index: IndexServer, venv: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib3.exceptions

    import pyffin.api.operations

    def broken(*args: object, **kwargs: object) -> None:
        raise urllib3.exceptions.ProtocolError("connection broken")

    monkeypatch.setattr(pyffin.api.operations, "prepare_and_install", broken)
    with pytest.raises(InternalError, match="pyffin crashed: ProtocolError: connection "
                                            "broken") as raised:
        pyffin.install(["app"], python=str(venv), index_url=index.index_url)
    assert isinstance(raised.value.__cause__, urllib3.exceptions.ProtocolError)



def test_a_long_result_shows_its_first_pins_and_how_many_more(index_server: IndexServer
                                                              ) -> None:
    names = [f"dep{i:02}" for i in range(15)]
    index_server.add_wheel(WheelSpec("big", "1.0", requires_dist=names))
    for name in names:
        index_server.add_wheel(WheelSpec(name, "1.0"))
    result = pyffin.compile(packages=["big"], index_url=index_server.index_url,
                            python=sys.executable)
    assert repr(result).endswith(": big==1.0, dep00==1.0, dep01==1.0, dep02==1.0, dep03==1.0, "
                                 "dep04==1.0, dep05==1.0, dep06==1.0, dep07==1.0, dep08==1.0, "
                                 "dep09==1.0, dep10==1.0, ... (4 more))")
