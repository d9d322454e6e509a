"""The builders produce valid wheels and sdists, and hostile options break them on purpose."""

from __future__ import annotations

import ast
import base64
import configparser
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version
from pyproject_hooks import BuildBackendHookCaller

from tests.support import backend
from tests.support.dists import (
    SdistSpec,
    WheelSpec,
    build_sdist,
    build_wheel,
    record_hash,
    sdist_pkg_info,
    wheel_metadata,
    write_source_tree,
)

FOO = WheelSpec(
    "Foo_Bar",
    "1.0",
    requires_dist=["b>=1", 'c; extra == "x"'],
    requires_python=">=3.8",
    extras=["x"],
    entry_points={"console_scripts": {"foo": "foo_bar.cli:main"}, "gui_scripts": {"foog": "g:m"}},
    data={"scripts": {"foo-script": "#!python\nprint('hi')\n"}, "data": {"share/foo.txt": b"x"}},
    metadata_extra={"Summary": "A test project"},
)


def read_record(zf: zipfile.ZipFile) -> list[list[str]]:
    (record,) = [n for n in zf.namelist() if n.endswith(".dist-info/RECORD")]
    return list(csv.reader(io.StringIO(zf.read(record).decode())))


def assert_valid_wheel(path: Path) -> Metadata:
    """RECORD lists every entry once with the right hash and size; METADATA matches the name."""
    name, version, _, _ = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as zf:
        rows = read_record(zf)
        record_path = rows[-1][0]
        assert rows[-1] == [record_path, "", ""]
        assert sorted(r[0] for r in rows) == sorted(zf.namelist())
        for entry, digest, size in rows[:-1]:
            data = zf.read(entry)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode(), entry
            assert int(size) == len(data), entry
        metadata_path = record_path.replace("/RECORD", "/METADATA")
        metadata = Metadata.from_email(zf.read(metadata_path), validate=True)
    assert canonicalize_name(metadata.name) == name
    assert metadata.version == version
    return metadata


def test_wheel_is_valid_and_matches_spec(dist_dir: Path) -> None:
    path = build_wheel(FOO, dist_dir)

    assert path.name == "foo_bar-1.0-py3-none-any.whl"
    metadata = assert_valid_wheel(path)
    assert metadata.name == "Foo_Bar"
    assert metadata.summary == "A test project"
    assert [str(r) for r in metadata.requires_dist or []] == ["b>=1", 'c; extra == "x"']
    assert str(metadata.requires_python) == ">=3.8"
    assert metadata.provides_extra == ["x"]


def test_wheel_metadata_is_byte_identical_to_the_file_inside(dist_dir: Path) -> None:
    with zipfile.ZipFile(build_wheel(FOO, dist_dir)) as zf:
        assert zf.read("foo_bar-1.0.dist-info/METADATA") == wheel_metadata(FOO).encode()


def test_wheel_data_entry_points_and_default_module(dist_dir: Path) -> None:
    with zipfile.ZipFile(build_wheel(FOO, dist_dir)) as zf:
        names = zf.namelist()
        assert zf.read("foo_bar/__init__.py") == b"__version__ = '1.0'\n"
        assert zf.read("foo_bar-1.0.data/data/share/foo.txt") == b"x"
        script = zf.getinfo("foo_bar-1.0.data/scripts/foo-script")
        assert (script.external_attr >> 16) & 0o111  # executable
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read("foo_bar-1.0.dist-info/entry_points.txt").decode())
        assert dict(entry_points["console_scripts"]) == {"foo": "foo_bar.cli:main"}
        assert dict(entry_points["gui_scripts"]) == {"foog": "g:m"}
        wheel = HeaderParser().parsestr(zf.read("foo_bar-1.0.dist-info/WHEEL").decode())
    assert names[-1] == "foo_bar-1.0.dist-info/RECORD"
    assert wheel["Wheel-Version"] == "1.0"
    assert wheel["Root-Is-Purelib"] == "true"
    assert wheel.get_all("Tag") == ["py3-none-any"]


def test_compressed_tags_build_tag_and_platlib(dist_dir: Path) -> None:
    spec = WheelSpec(
        "ext",
        "2.0",
        tags=["py2.py3-none-any", "cp312-cp312-manylinux_2_17_x86_64"],
        build="1",
        root_is_purelib=False,
        files={},
    )
    path = build_wheel(spec, dist_dir)

    name, version, build, tags = parse_wheel_filename(path.name)
    assert (name, version, build) == ("ext", Version("2.0"), (1, ""))
    assert path.name == "ext-2.0-1-py2.py3.cp312-none.cp312-any.manylinux_2_17_x86_64.whl"
    assert {Tag("py3", "none", "any"), Tag("cp312", "cp312", "manylinux_2_17_x86_64")} <= tags
    with zipfile.ZipFile(path) as zf:
        wheel = HeaderParser().parsestr(zf.read("ext-2.0.dist-info/WHEEL").decode())
        assert not [n for n in zf.namelist() if not n.startswith("ext-2.0.dist-info/")]
    assert wheel.get_all("Tag") == [
        "py2-none-any",
        "py3-none-any",
        "cp312-cp312-manylinux_2_17_x86_64",
    ]
    assert wheel["Build"] == "1"
    assert wheel["Root-Is-Purelib"] == "false"
    assert_valid_wheel(path)


def test_builds_are_deterministic(tmp_path: Path) -> None:
    first = build_wheel(FOO, tmp_path / "a").read_bytes()
    assert build_wheel(FOO, tmp_path / "b").read_bytes() == first
    spec = SdistSpec("foo", "1.0")
    assert build_sdist(spec, tmp_path / "a").read_bytes() == (
        build_sdist(spec, tmp_path / "b").read_bytes()
    )


# --- hostile wheels ----------------------------------------------------------------------------


def test_raw_entries_are_added_verbatim_but_not_recorded(dist_dir: Path) -> None:
    raw = {"../evil.py": b"import os", "/abs.py": b"x = 1", "foo_bar/../../up.py": b""}
    path = build_wheel(FOO, dist_dir, raw_entries=raw)

    with zipfile.ZipFile(path) as zf:
        for name, data in raw.items():
            assert zf.read(name) == data
        recorded = {row[0] for row in read_record(zf)}
        assert zf.namelist()[-1].endswith("/RECORD")
    assert recorded.isdisjoint(raw)


def test_record_overrides_break_or_add_lines(dist_dir: Path) -> None:
    path = build_wheel(
        FOO,
        dist_dir,
        raw_entries={"../evil.py": b"boom"},
        record_overrides={
            "foo_bar/__init__.py": "sha256=AAAA",
            "foo_bar-1.0.dist-info/WHEEL": "sha256=BBBB,3",
            "foo_bar-1.0.dist-info/entry_points.txt": None,
            "../evil.py": record_hash(b"boom"),
        },
    )

    with zipfile.ZipFile(path) as zf:
        rows = {row[0]: row[1:] for row in read_record(zf)}
        init_size = len(zf.read("foo_bar/__init__.py"))
    assert rows["foo_bar/__init__.py"] == ["sha256=AAAA", str(init_size)]
    assert rows["foo_bar-1.0.dist-info/WHEEL"] == ["sha256=BBBB", "3"]
    assert "foo_bar-1.0.dist-info/entry_points.txt" not in rows
    assert rows["../evil.py"] == [record_hash(b"boom"), "4"]


def test_raw_entry_replacing_a_file_keeps_the_original_record_line(dist_dir: Path) -> None:
    path = build_wheel(FOO, dist_dir, raw_entries={"foo_bar/__init__.py": b"tampered"})

    with zipfile.ZipFile(path) as zf:
        assert zf.namelist().count("foo_bar/__init__.py") == 1
        assert zf.read("foo_bar/__init__.py") == b"tampered"
        rows = {row[0]: row[1] for row in read_record(zf)}
    assert rows["foo_bar/__init__.py"] == record_hash(b"__version__ = '1.0'\n")


def test_metadata_override_and_filename_override(dist_dir: Path) -> None:
    other = wheel_metadata(WheelSpec("other", "9.9"))
    path = build_wheel(
        FOO, dist_dir, metadata_override=other, filename="foo_bar-1.0-py3-none-any.whl"
    )

    with zipfile.ZipFile(path) as zf:
        metadata = Metadata.from_email(zf.read("foo_bar-1.0.dist-info/METADATA"))
    assert (metadata.name, str(metadata.version)) == ("other", "9.9")
    renamed = build_wheel(FOO, dist_dir, filename="bar-1.0-py3-none-any.whl")
    assert renamed.name == "bar-1.0-py3-none-any.whl"
    assert zipfile.ZipFile(renamed).namelist() == zipfile.ZipFile(path).namelist()


# --- sdists and the in-tree backend ------------------------------------------------------------

SDIST = SdistSpec(
    "Bar.Baz",
    "2.0",
    requires_dist=["foo>=1", 'extra-dep; extra == "x" and python_version >= "3"'],
    requires_python=">=3.8",
    extras=["x"],
    files={"bar_baz/__init__.py": "VALUE = 42\n", "bar_baz/cli.py": "def main(): pass\n"},
    entry_points={"console_scripts": {"bar": "bar_baz.cli:main"}},
    build_requires=["wheel-tool>=1"],
    dynamic_build_requires=["dyn-req"],
)


class Backend:
    """Calls the in-tree backend of a source tree through pyproject_hooks, capturing output."""

    def __init__(self, source_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.output: list[str] = []
        self.env = dict(env or {})
        self.hooks = BuildBackendHookCaller(
            str(source_dir),
            build_backend="pyffin_test_backend",
            backend_path=["_backend"],
            runner=self._run,
            python_executable=sys.executable,
        )

    def _run(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**os.environ, **self.env, **(extra_environ or {})}
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        self.output.append(proc.stdout + proc.stderr)
        proc.check_returncode()


def extract(archive: Path, dest: Path) -> Path:
    """Unpack an sdist and return its single top-level directory."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tf.extractall(dest)
    (top,) = dest.iterdir()
    return top


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_sdist_layout_and_pkg_info(fmt: str, dist_dir: Path) -> None:
    spec = SdistSpec(**{**SDIST.__dict__, "format": fmt})
    path = build_sdist(spec, dist_dir)

    assert path.name == f"bar_baz-2.0.{fmt}"
    name, version = parse_sdist_filename(path.name)
    assert (name, version) == ("bar-baz", Version("2.0"))
    top = extract(path, dist_dir / "x")
    assert top.name == "bar_baz-2.0"
    assert sorted(str(p.relative_to(top)) for p in top.rglob("*") if p.is_file()) == [
        "PKG-INFO",
        "_backend/pyffin_test_backend.py",
        "_backend/spec.json",
        "bar_baz/__init__.py",
        "bar_baz/cli.py",
        "pyproject.toml",
    ]
    pkg_info = Metadata.from_email((top / "PKG-INFO").read_text(), validate=True)
    assert pkg_info.metadata_version == "2.2"
    assert pkg_info.name == "Bar.Baz"
    assert [str(r) for r in pkg_info.requires_dist or []] == [
        "foo>=1",
        'extra-dep; extra == "x" and python_version >= "3"',
    ]
    assert (top / "_backend/pyffin_test_backend.py").read_text() == backend.source()


def test_pyproject_toml_declares_the_backend_and_static_metadata(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((write_source_tree(SDIST, tmp_path) / "pyproject.toml").read_text())

    assert pyproject["build-system"] == {
        "requires": ["wheel-tool>=1"],
        "build-backend": "pyffin_test_backend",
        "backend-path": ["_backend"],
    }
    assert pyproject["project"] == {
        "name": "Bar.Baz",
        "version": "2.0",
        "requires-python": ">=3.8",
        "dependencies": ["foo>=1"],
        "optional-dependencies": {"x": ['extra-dep; python_version >= "3"']},
        "scripts": {"bar": "bar_baz.cli:main"},
    }
    dynamic = write_source_tree(SdistSpec("d", "1", static_pyproject=False), tmp_path / "d")
    project = tomllib.loads((dynamic / "pyproject.toml").read_text())["project"]
    assert project["dynamic"] == ["dependencies", "optional-dependencies"]
    assert "dependencies" not in project


def test_dynamic_fields_are_left_out_of_pkg_info() -> None:
    spec = SdistSpec("d", "1.0", requires_dist=["foo"], dynamic=["Requires-Dist"])
    metadata = Metadata.from_email(sdist_pkg_info(spec), validate=True)

    assert metadata.dynamic == ["requires-dist"]
    assert metadata.requires_dist is None


def test_write_source_tree_matches_sdist_contents(tmp_path: Path) -> None:
    tree = write_source_tree(SDIST, tmp_path / "tree")
    top = extract(build_sdist(SDIST, tmp_path / "dists"), tmp_path / "unpacked")

    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert files(tree) == files(top)


def test_sdist_without_pkg_info_and_with_custom_filename(dist_dir: Path) -> None:
    path = build_sdist(
        SdistSpec("foo", "1.0", include_pkg_info=False, filename="master.zip", format="zip"),
        dist_dir,
    )

    assert path.name == "master.zip"
    with zipfile.ZipFile(path) as zf:
        assert "foo-1.0/PKG-INFO" not in zf.namelist()
        assert "foo-1.0/pyproject.toml" in zf.namelist()


def test_backend_source_runs_on_python_3_8() -> None:
    ast.parse(backend.source(), feature_version=(3, 8))


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_in_tree_backend_builds_a_valid_wheel(fmt: str, tmp_path: Path) -> None:
    spec = SdistSpec(**{**SDIST.__dict__, "format": fmt, "dynamic": ["Requires-Dist"]})
    source = extract(build_sdist(spec, tmp_path / "dists"), tmp_path / "src")
    hooks = Backend(source)

    assert hooks.hooks.get_requires_for_build_wheel({}) == ["dyn-req"]
    distinfo = hooks.hooks.prepare_metadata_for_build_wheel(str(tmp_path / "md"))
    assert distinfo == "bar_baz-2.0.dist-info"
    prepared = (tmp_path / "md" / distinfo / "METADATA").read_bytes()
    filename = hooks.hooks.build_wheel(str(tmp_path / "out"), {"key": "value"})

    assert filename == "bar_baz-2.0-py3-none-any.whl"
    wheel = tmp_path / "out" / filename
    metadata = assert_valid_wheel(wheel)
    assert [str(r) for r in metadata.requires_dist or []] == [
        str(Requirement(r)) for r in spec.requires_dist
    ]
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read(f"{distinfo}/METADATA") == prepared
        assert zf.read("bar_baz/__init__.py") == b"VALUE = 42\n"
        assert "bar = bar_baz.cli:main" in zf.read(f"{distinfo}/entry_points.txt").decode()
        observed = json.loads(zf.read(f"{distinfo}/pyffin_test_backend.json"))
    assert observed == {"hook": "build_wheel", "config_settings": {"key": "value"}}
    assert "pyffin_test_backend: building wheel for Bar.Baz" in hooks.output[-1]
    assert 'config_settings={"key": "value"}' in hooks.output[-1]


def test_in_tree_backend_builds_editable_and_sdist(tmp_path: Path) -> None:
    source = write_source_tree(SDIST, tmp_path / "src")
    log = tmp_path / "hooks.jsonl"
    hooks = Backend(source, env={backend.LOG_ENV: str(log)})

    assert hooks.hooks.get_requires_for_build_editable() == ["dyn-req"]
    editable = (
        tmp_path / "out" / hooks.hooks.build_editable(str(tmp_path / "out"), {"e": ["1", "2"]})
    )
    sdist = tmp_path / "out" / hooks.hooks.build_sdist(str(tmp_path / "out"))

    assert_valid_wheel(editable)
    with zipfile.ZipFile(editable) as zf:
        assert zf.read("__editable__.bar_baz-2.0.pth").decode() == f"{source.resolve()}\n"
        observed = json.loads(zf.read("bar_baz-2.0.dist-info/pyffin_test_backend.json"))
    assert observed["config_settings"] == {"e": ["1", "2"]}
    assert sdist.name == "bar_baz-2.0.tar.gz"
    rebuilt = extract(sdist, tmp_path / "rebuilt")
    assert (rebuilt / "PKG-INFO").read_bytes() == (source / "PKG-INFO").read_bytes()
    assert not list(rebuilt.rglob("__pycache__"))
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["hook"] for e in events] == [
        "get_requires_for_build_editable",
        "build_editable",
        "build_sdist",
    ]
    assert events[1]["config_settings"] == {"e": ["1", "2"]}


def test_fail_build_fails_with_the_message(tmp_path: Path) -> None:
    spec = SdistSpec("broken", "1.0", fail_build="pyffin-test: compiler exploded")
    hooks = Backend(write_source_tree(spec, tmp_path / "src"))

    hooks.hooks.prepare_metadata_for_build_wheel(str(tmp_path / "md"))  # metadata still works
    with pytest.raises(subprocess.CalledProcessError):
        hooks.hooks.build_wheel(str(tmp_path / "out"))

    assert "pyffin-test: compiler exploded" in hooks.output[-1]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
