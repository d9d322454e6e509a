"""Building through the backend's hooks: metadata, wheels, editables, environments, errors."""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyffin.build import (
    BuildBackendError,
    BuildError,
    SourceBuilder,
    SourceTree,
    parse_config_settings,
    prepare_source,
)
from pyffin.cache import Cache, CacheBucket
from pyffin.errors import UsageError
from pyffin.interpreter import Interpreter
from tests.build.support import (
    RecordingContext,
    hooks_called,
    leftover_environments,
    set_build_system,
)
from tests.support import backend
from tests.support.dists import SdistSpec, WheelSpec, build_sdist, build_wheel

HookLog = Callable[[], list[dict[str, Any]]]


def _sdist_tree(tmp_path: Path, spec: SdistSpec) -> SourceTree:
    return prepare_source(build_sdist(spec, tmp_path / "dists"), tmp_path / "src")


def _use_backend(tree: SourceTree, name: str, source: str) -> None:
    """Make ``_backend/<name>.py`` (which may import the test backend) the tree's backend."""
    (tree.root / "_backend" / f"{name}.py").write_text(source)
    set_build_system(tree.root, requires=[], backend=name, backend_path=["_backend"])


_NO_PREPARE = "from pyffin_test_backend import build_wheel, get_requires_for_build_wheel\n"
_PROBE = """\
import json, os, sys
import pyffin_test_backend
from pyffin_test_backend import get_requires_for_build_wheel

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    try:
        import pytest  # noqa: F401  (installed where the tests run, not in a build env)
        sees_pytest = True
    except ImportError:
        sees_pytest = False
    facts = {"prefix": sys.prefix, "path": sys.path, "sees_pytest": sees_pytest,
             "PATH": os.environ.get("PATH"), "PYTHONPATH": os.environ.get("PYTHONPATH"),
             "VIRTUAL_ENV": os.environ.get("VIRTUAL_ENV")}
    with open("probe.json", "w") as f:
        json.dump(facts, f)
    return pyffin_test_backend.build_wheel(wheel_directory, config_settings, metadata_directory)
"""


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# ------------------------------------------------------------------------------------ wheels

def test_build_wheel_installs_build_requirements_then_calls_the_hooks(
        tmp_path: Path, builder: SourceBuilder, context: RecordingContext, cache: Cache,
        hook_log: HookLog) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", build_requires=["alpha>=1"],
                                           dynamic_build_requires=["beta"]))

    wheel = builder.build_wheel(tree, tmp_path / "wheels")

    assert wheel == tmp_path / "wheels" / "foo-1.0-py3-none-any.whl"
    assert "foo/__init__.py" in _wheel_files(wheel)
    assert [(i.requirements, i.purpose) for i in context.installs] == [
        (["alpha>=1"], "build requirements of foo-1.0.tar.gz"),
        (["beta"], "build requirements of foo-1.0.tar.gz (from its build backend)"),
    ]
    environment = context.installs[0].environment
    assert environment.isolated
    assert context.installs[1].environment == environment
    assert environment.root.parent == cache.bucket(CacheBucket.BUILDS)
    assert hooks_called(hook_log()) == ["get_requires_for_build_wheel", "build_wheel"]
    assert leftover_environments(cache) == []


def test_the_build_environment_is_isolated(tmp_path: Path, builder: SourceBuilder,
                                           context: RecordingContext,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))
    _use_backend(tree, "probe_backend", _PROBE)
    monkeypatch.setenv("PYTHONPATH", str(Path(pytest.__file__).parent.parent))
    seen: list[Path] = []
    context.on_install = lambda _requirements, environment: seen.append(environment.root)
    set_build_system(tree.root, requires=["anything"], backend="probe_backend",
                     backend_path=["_backend"])

    builder.build_wheel(tree, tmp_path / "wheels")

    facts = json.loads((tree.root / "probe.json").read_text())
    (root,) = seen
    assert facts["prefix"] == str(root)
    assert not facts["sees_pytest"]
    assert facts["PYTHONPATH"] is None
    assert facts["PATH"].split(":")[0] == str(root / "bin")
    assert facts["VIRTUAL_ENV"] == str(root)


def test_without_isolation_the_backend_runs_in_the_target_interpreter(
        tmp_path: Path, cache: Cache, interpreter: Interpreter, context: RecordingContext,
        hook_log: HookLog) -> None:
    # Build requirements are not checked without isolation (pip's default): this one is
    # installed nowhere, and the build still runs.
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", build_requires=["not-installed"],
                                           dynamic_build_requires=["neither"]))
    _use_backend(tree, "probe_backend", _PROBE)
    builder = SourceBuilder(cache=cache, interpreter=interpreter, context=context,
                            isolated=False)

    builder.build_wheel(tree, tmp_path / "wheels")

    facts = json.loads((tree.root / "probe.json").read_text())
    assert facts["prefix"] == sys.prefix
    assert facts["sees_pytest"]
    assert context.installs == []
    assert leftover_environments(cache) == []
    assert hooks_called(hook_log()) == ["get_requires_for_build_wheel", "build_wheel"]


def test_a_backend_installed_as_a_build_requirement(tmp_path: Path, builder: SourceBuilder,
                                                    context: RecordingContext) -> None:
    # The backend is not in the tree: only the wheel the context installs provides it.
    backend_wheel = build_wheel(WheelSpec("pyffin-test-backend", "1.0", files={
        "pyffin_test_backend.py": backend.source()}), tmp_path / "wheelhouse")
    context.wheels["pyffin-test-backend"] = [backend_wheel]
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))
    (tree.root / "_backend" / "pyffin_test_backend.py").unlink()
    set_build_system(tree.root, requires=["pyffin-test-backend"], backend="pyffin_test_backend")

    wheel = builder.build_wheel(tree, tmp_path / "wheels")

    assert wheel.name == "foo-1.0-py3-none-any.whl"


def test_a_backend_that_is_not_installed_is_reported(tmp_path: Path, builder: SourceBuilder,
                                                     cache: Cache) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))
    set_build_system(tree.root, requires=["pyffin-test-backend"], backend="pyffin_test_backend")

    with pytest.raises(BuildBackendError) as caught:
        builder.build_wheel(tree, tmp_path / "wheels", needed_by="bar==2.0")

    message = str(caught.value)
    assert "foo-1.0.tar.gz (needed by bar==2.0)" in message
    assert "the build backend pyffin_test_backend is not available" in message
    assert "No module named 'pyffin_test_backend'" in message
    assert caught.value.hint == "is it in [build-system] requires?"
    assert leftover_environments(cache) == []


def test_a_failing_build_shows_the_backend_output_hook_and_requirement(
        tmp_path: Path, builder: SourceBuilder, cache: Cache,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", fail_build="error: compiler exploded"))

    with pytest.raises(BuildError) as caught:
        builder.build_wheel(tree, tmp_path / "wheels", needed_by="bar==2.0")

    message = str(caught.value)
    assert message.startswith("Failed to build foo-1.0.tar.gz (needed by bar==2.0): the "
                              "build_wheel hook of the build backend pyffin_test_backend failed")
    assert "  command: " in message and " build_wheel " in message
    assert f"  directory: {tree.root}" in message
    # stdout and stderr, in the order they were written
    stdout_at = message.index("    pyffin_test_backend: building wheel for foo")
    assert stdout_at < message.index("    error: compiler exploded")
    assert "RuntimeError: error: compiler exploded" in caught.value.output
    assert leftover_environments(cache) == []


def test_a_build_that_lacks_a_c_header_says_what_to_install(tmp_path: Path,
                                                            builder: SourceBuilder) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", fail_build=(
        "src/foo.c:3:10: fatal error: yaml.h: No such file or directory\n"
        "compilation terminated.")))

    with pytest.raises(BuildError) as caught:
        builder.build_wheel(tree, tmp_path / "wheels")

    assert caught.value.hint is not None
    assert caught.value.hint.startswith("the build needs the C header `yaml.h`, which this "
                                        "system lacks")


def test_a_build_whose_failure_is_its_own_has_no_hint(tmp_path: Path,
                                                      builder: SourceBuilder) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", fail_build="error: compiler exploded"))

    with pytest.raises(BuildError) as caught:
        builder.build_wheel(tree, tmp_path / "wheels")

    assert caught.value.hint is None


def test_long_backend_output_is_cut_to_its_end_in_the_message(tmp_path: Path,
                                                              builder: SourceBuilder) -> None:
    noise = "\n".join(f"noise {i}" for i in range(200))
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", fail_build=noise))

    with pytest.raises(BuildError) as caught:
        builder.build_wheel(tree, tmp_path / "wheels")

    message = str(caught.value)
    assert "backend output (last 50 of" in message
    assert "noise 0\n" not in message and "noise 199" in message
    assert "noise 0\n" in caught.value.output


def test_config_settings_reach_every_hook(tmp_path: Path, cache: Cache,
                                          interpreter: Interpreter, context: RecordingContext,
                                          hook_log: HookLog) -> None:
    settings = parse_config_settings(["--build-option=--fast", "--build-option=--quiet",
                                      "editable_mode=compat"])
    builder = SourceBuilder(cache=cache, interpreter=interpreter, context=context,
                            config_settings=settings)
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))

    wheel = builder.build_wheel(tree, tmp_path / "wheels")

    expected = {"--build-option": ["--fast", "--quiet"], "editable_mode": "compat"}
    assert [event["config_settings"] for event in hook_log()] == [expected, expected]
    record = _wheel_files(wheel)[f"foo-1.0.dist-info/{backend.CONFIG_RECORD}"]
    assert json.loads(record)["config_settings"] == expected


def test_config_settings_must_be_key_value_pairs() -> None:
    assert parse_config_settings([]) == {}
    assert parse_config_settings(["a=", "b=c=d"]) == {"a": "", "b": "c=d"}
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        parse_config_settings(["novalue"])


# ---------------------------------------------------------------------------------- metadata

def test_metadata_comes_from_prepare_metadata_when_the_backend_has_it(
        tmp_path: Path, builder: SourceBuilder, hook_log: HookLog) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", requires_dist=["bar>=1"],
                                           dynamic=["Requires-Dist"], static_pyproject=False))

    prepared = builder.build_metadata(tree, tmp_path / "metadata")

    assert prepared.dist_info == tmp_path / "metadata" / "foo-1.0.dist-info"
    assert prepared.wheel is None
    assert prepared.read().requires_dist == ("bar>=1",)
    assert hooks_called(hook_log()) == ["get_requires_for_build_wheel",
                                        "prepare_metadata_for_build_wheel"]


def test_without_prepare_metadata_a_full_build_gives_the_metadata(
        tmp_path: Path, builder: SourceBuilder, hook_log: HookLog) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", requires_dist=["bar>=1"]))
    _use_backend(tree, "no_prepare", _NO_PREPARE)

    prepared = builder.build_metadata(tree, tmp_path / "metadata")

    assert prepared.read().requires_dist == ("bar>=1",)
    assert prepared.dist_info.parent == tmp_path / "metadata"
    assert prepared.wheel == tmp_path / "metadata" / "foo-1.0-py3-none-any.whl"
    assert hooks_called(hook_log()) == ["get_requires_for_build_wheel", "build_wheel"]


def test_one_setup_serves_metadata_then_the_wheel(tmp_path: Path, builder: SourceBuilder,
                                                 context: RecordingContext,
                                                 hook_log: HookLog) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0", build_requires=["alpha"]))

    with builder.setup(tree) as build:
        build.metadata(tmp_path / "metadata")
        wheel = build.wheel(tmp_path / "wheels")

    assert wheel.is_file()
    assert len(context.installs) == 1
    assert hooks_called(hook_log()) == ["get_requires_for_build_wheel",
                                        "prepare_metadata_for_build_wheel", "build_wheel"]


def test_a_wheel_built_for_its_metadata_is_not_built_again(tmp_path: Path,
                                                           builder: SourceBuilder,
                                                           hook_log: HookLog) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))
    _use_backend(tree, "no_prepare", _NO_PREPARE)

    with builder.setup(tree) as build:
        build.metadata(tmp_path / "metadata")
        wheel = build.wheel(tmp_path / "wheels")

    assert wheel == tmp_path / "wheels" / "foo-1.0-py3-none-any.whl"
    assert wheel.is_file()
    assert hooks_called(hook_log()).count("build_wheel") == 1


# --------------------------------------------------------------------------------- editables

def test_build_editable_makes_a_wheel_pointing_at_the_source(tmp_path: Path,
                                                             builder: SourceBuilder,
                                                             hook_log: HookLog) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))

    wheel = builder.build_editable(tree, tmp_path / "wheels")

    files = _wheel_files(wheel)
    assert files["__editable__.foo-1.0.pth"].decode().strip() == str(tree.root)
    assert hooks_called(hook_log()) == ["get_requires_for_build_editable", "build_editable"]


def test_editable_metadata_uses_the_editable_hooks(tmp_path: Path, builder: SourceBuilder,
                                                   hook_log: HookLog) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))

    builder.build_metadata(tree, tmp_path / "metadata", editable=True)

    assert hooks_called(hook_log()) == ["get_requires_for_build_editable",
                                        "prepare_metadata_for_build_editable"]


def test_a_backend_without_pep_660_hooks_cannot_build_editables(tmp_path: Path,
                                                                builder: SourceBuilder) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))
    _use_backend(tree, "no_prepare", _NO_PREPARE)

    with pytest.raises(BuildBackendError, match=r"no build_editable hook.*PEP 660"):
        builder.build_editable(tree, tmp_path / "wheels")


def test_a_hook_process_that_exits_without_answering_is_a_build_error(
        tmp_path: Path, builder: SourceBuilder) -> None:
    tree = _sdist_tree(tmp_path, SdistSpec("foo", "1.0"))
    _use_backend(tree, "quitter", """\
import os
from pyffin_test_backend import get_requires_for_build_wheel

def build_wheel(*args):
    print("bye", flush=True)
    os._exit(0)
""")

    with pytest.raises(BuildError, match=r"build_wheel hook .* did not complete") as caught:
        builder.build_wheel(tree, tmp_path / "wheels")

    assert "    bye" in str(caught.value)
