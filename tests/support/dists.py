"""Build real, valid wheels and sdists (and deliberately broken ones) from declarative specs.

Wheels::

    spec = WheelSpec("Foo_Bar", "1.0", requires_dist=['b>=1', 'c; extra == "x"'], extras=["x"])
    path = build_wheel(spec, tmp_path)          # tmp_path / "foo_bar-1.0-py3-none-any.whl"
    wheel_metadata(spec)                        # the exact METADATA text inside the wheel

Hostile wheels reuse the same builder (see :func:`build_wheel`)::

    build_wheel(spec, tmp_path, raw_entries={"../evil.py": b"boom"})
    build_wheel(spec, tmp_path, record_overrides={"foo_bar/__init__.py": "sha256=AAAA"})
    build_wheel(spec, tmp_path, metadata_override=wheel_metadata(WheelSpec("other", "1.0")))

Sdists carry the in-tree backend from ``backend.py`` (``build-backend = "pyffin_test_backend"``,
``backend-path = ["_backend"]``), so any PEP 517 frontend can build them offline::

    build_sdist(SdistSpec("bar", "2.0", requires_dist=["foo"]), tmp_path)  # bar-2.0.tar.gz
    write_source_tree(SdistSpec("bar", "2.0"), tmp_path / "bar")  # same tree, unpacked

All output is deterministic: the same spec always yields the same bytes.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tests.support import backend
from tests.support.backend import escape_name, escape_version, record_hash

__all__ = [
    "SdistSpec",
    "WheelSpec",
    "build_sdist",
    "build_wheel",
    "escape_name",
    "normalize_name",
    "record_hash",
    "sdist_filename",
    "sdist_pkg_info",
    "wheel_filename",
    "wheel_metadata",
    "write_source_tree",
]

Content = bytes | str
EntryPoints = dict[str, dict[str, str]]


def normalize_name(name: str) -> str:
    """PEP 503 normalized project name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _bytes(content: Content) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _default_files(name: str, version: str) -> dict[str, Content]:
    return {f"{escape_name(name)}/__init__.py": f"__version__ = {version!r}\n"}


@dataclass
class WheelSpec:
    """A wheel to build. ``files=None`` means a single ``<escaped_name>/__init__.py``."""

    name: str
    version: str
    requires_dist: list[str] = field(default_factory=list)
    requires_python: str | None = None
    extras: list[str] = field(default_factory=list)  # Provides-Extra
    # Each tag may be compressed ("py2.py3-none-any"); the filename uses their union.
    tags: list[str] = field(default_factory=lambda: ["py3-none-any"])
    files: dict[str, Content] | None = None
    entry_points: EntryPoints = field(default_factory=dict)
    # {scheme: {path: content}}, scheme in scripts/data/headers/purelib/platlib.
    data: dict[str, dict[str, Content]] = field(default_factory=dict)
    # Extra single-line METADATA headers (e.g. Summary), written after Version.
    metadata_extra: dict[str, str] | list[tuple[str, str]] = field(default_factory=list)
    root_is_purelib: bool = True
    build: str | None = None  # build tag; must start with a digit

    @property
    def stem(self) -> str:
        """``{escaped_name}-{version}``: prefix of the dist-info and .data directories."""
        return f"{escape_name(self.name)}-{escape_version(self.version)}"


def wheel_filename(spec: WheelSpec) -> str:
    """PEP 427/491 filename, e.g. ``foo_bar-1.0-1-py2.py3-none-any.whl``."""
    parts = [tag.split("-") for tag in spec.tags]
    if any(len(p) != 3 for p in parts):
        raise ValueError(f"tags must look like 'py3-none-any': {spec.tags}")
    # Union of each component, in first-seen order: exact when the tags form a cartesian product.
    tag = "-".join(
        ".".join(dict.fromkeys(v for p in parts for v in p[i].split("."))) for i in range(3)
    )
    build = f"-{spec.build}" if spec.build else ""
    return f"{spec.stem}{build}-{tag}.whl"


def _expanded_tags(tags: list[str]) -> list[str]:
    expanded: dict[str, None] = {}
    for tag in tags:
        py, abi, plat = (part.split(".") for part in tag.split("-"))
        for combo in itertools.product(py, abi, plat):
            expanded["-".join(combo)] = None
    return list(expanded)


def wheel_metadata(spec: WheelSpec) -> str:
    """The METADATA text (Metadata-Version 2.1) stored in the wheel; served as PEP 658 data."""
    headers = spec.metadata_extra
    return backend.core_metadata(
        spec.name,
        spec.version,
        requires_dist=spec.requires_dist,
        requires_python=spec.requires_python,
        extras=spec.extras,
        headers=list(headers.items()) if isinstance(headers, Mapping) else headers,
    )


def build_wheel(
    spec: WheelSpec,
    out_dir: Path,
    *,
    raw_entries: Mapping[str, bytes] | None = None,
    record_overrides: Mapping[str, str | None] | None = None,
    metadata_override: str | None = None,
    filename: str | None = None,
) -> Path:
    """Write the wheel for ``spec`` into ``out_dir`` and return its path.

    The keyword arguments make hostile wheels:

    * ``raw_entries``: zip entries written verbatim after the regular ones (``"../evil.py"``,
      ``"/abs.py"``...). They are *not* listed in RECORD. A name equal to a regular entry
      replaces its content but keeps the original RECORD line (a hash mismatch); naming the
      RECORD file replaces RECORD itself.
    * ``record_overrides``: ``{path: value}`` edits RECORD: ``"sha256=..."`` replaces the hash
      (size stays the real one), ``"sha256=...,12"`` replaces hash and size, ``None`` drops the
      line. A path without a regular entry (e.g. a raw entry) gets a line added.
    * ``metadata_override``: METADATA text used instead of :func:`wheel_metadata` (RECORD
      stays consistent with it), e.g. to make the Name disagree with the filename.
    * ``filename``: output filename instead of :func:`wheel_filename`.
    """
    raw = dict(raw_entries or {})
    files = _default_files(spec.name, spec.version) if spec.files is None else spec.files
    entries = {path: _bytes(content) for path, content in files.items()}
    scripts: list[str] = []
    for scheme, scheme_files in spec.data.items():
        for path, content in scheme_files.items():
            entries[f"{spec.stem}.data/{scheme}/{path}"] = _bytes(content)
            if scheme == "scripts":
                scripts.append(f"{spec.stem}.data/{scheme}/{path}")
    distinfo = f"{spec.stem}.dist-info"
    metadata = wheel_metadata(spec) if metadata_override is None else metadata_override
    entries[f"{distinfo}/METADATA"] = metadata.encode("utf-8")
    wheel_text = backend.wheel_file_text(
        _expanded_tags(spec.tags),
        root_is_purelib=spec.root_is_purelib,
        build=spec.build,
        generator="pyffin-tests",
    )
    entries[f"{distinfo}/WHEEL"] = wheel_text.encode("utf-8")
    if spec.entry_points:
        entries[f"{distinfo}/entry_points.txt"] = backend.entry_points_text(
            spec.entry_points
        ).encode("utf-8")

    record = {path: (record_hash(data), str(len(data))) for path, data in entries.items()}
    for path, value in (record_overrides or {}).items():
        if value is None:
            record.pop(path, None)
            continue
        hash_field, _, size = value.partition(",")
        if not size:
            data = raw.get(path, entries.get(path))
            size = "" if data is None else str(len(data))
        record[path] = (hash_field, size)
    record_path = f"{distinfo}/RECORD"
    rows = [(path, h, size) for path, (h, size) in record.items()] + [(record_path, "", "")]

    entries.update(raw)  # dict order: replacements stay in place, new names come after
    entries.setdefault(record_path, backend.record_text(rows))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / (filename or wheel_filename(spec))
    backend.write_zip(str(out), entries.items(), executable=scripts)
    return out


@dataclass
class SdistSpec:
    """An sdist whose in-tree backend builds a py3-none-any wheel from ``files``."""

    name: str
    version: str
    requires_dist: list[str] = field(default_factory=list)
    requires_python: str | None = None
    extras: list[str] = field(default_factory=list)
    # Source files (paths relative to the project root) that go into the built wheel;
    # None means a single "<escaped_name>/__init__.py".
    files: dict[str, Content] | None = None
    entry_points: EntryPoints = field(default_factory=dict)
    format: Literal["tar.gz", "zip"] = "tar.gz"
    metadata_version: str = "2.2"  # of PKG-INFO
    # PKG-INFO "Dynamic:" fields; their values are left out of PKG-INFO so a frontend
    # has to ask the backend (prepare_metadata_for_build_wheel / build_wheel).
    dynamic: list[str] = field(default_factory=list)
    # False: pyproject.toml declares dependencies/optional-dependencies dynamic.
    static_pyproject: bool = True
    build_requires: list[str] = field(default_factory=list)  # [build-system] requires
    # What get_requires_for_build_{wheel,editable,sdist} return.
    dynamic_build_requires: list[str] = field(default_factory=list)
    include_pkg_info: bool = True
    # Set: building a wheel prints this to stderr and raises.
    fail_build: str | None = None
    filename: str | None = None  # archive filename override, e.g. "master.zip"

    @property
    def stem(self) -> str:
        """``{escaped_name}-{version}``: PEP 625 filename stem and top-level directory."""
        return f"{escape_name(self.name)}-{escape_version(self.version)}"


def sdist_filename(spec: SdistSpec) -> str:
    return spec.filename or f"{spec.stem}.{spec.format}"


def sdist_pkg_info(spec: SdistSpec) -> str:
    """PKG-INFO text; fields listed in ``spec.dynamic`` are declared but not given a value."""
    dynamic = {d.lower() for d in spec.dynamic}
    return backend.core_metadata(
        spec.name,
        spec.version,
        requires_dist=[] if "requires-dist" in dynamic else spec.requires_dist,
        requires_python=None if "requires-python" in dynamic else spec.requires_python,
        extras=[] if "provides-extra" in dynamic else spec.extras,
        headers=[("Dynamic", d) for d in spec.dynamic],
        metadata_version=spec.metadata_version,
    )


_EXTRA_CLAUSE = re.compile(r"""\(?\s*extra\s*==\s*(['"])([^'"]+)\1\s*\)?""")


def _split_optional(requires_dist: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Split Requires-Dist into pyproject ``dependencies`` and ``optional-dependencies``.

    Handles ``extra == "x"`` optionally and-ed with other markers; anything fancier cannot be
    expressed statically, so it raises (use ``static_pyproject=False``).
    """
    deps: list[str] = []
    optional: dict[str, list[str]] = {}
    for req in requires_dist:
        base, _, marker = req.partition(";")
        if "extra" not in marker:
            deps.append(req)
            continue
        clauses = [c.strip() for c in re.split(r"\s+and\s+", marker.strip())]
        extras = [m.group(2) for c in clauses if (m := _EXTRA_CLAUSE.fullmatch(c))]
        if len(extras) != 1 or re.search(r"\bor\b", marker):
            raise ValueError(f"{req!r} cannot be put in pyproject.toml; use static_pyproject=False")
        rest = " and ".join(c for c in clauses if not _EXTRA_CLAUSE.fullmatch(c))
        base = base.strip()
        optional.setdefault(extras[0], []).append(f"{base}; {rest}" if rest else base)
    return deps, optional


def _toml(value: object) -> str:
    # JSON strings and arrays of strings are valid TOML.
    return json.dumps(value)


def _pyproject(spec: SdistSpec) -> str:
    lines = [
        "[build-system]",
        f"requires = {_toml(spec.build_requires)}",
        f"build-backend = {_toml(backend.BACKEND_MODULE)}",
        f"backend-path = {_toml([backend.BACKEND_DIR])}",
        "",
        "[project]",
        f"name = {_toml(spec.name)}",
        f"version = {_toml(spec.version)}",
    ]
    if spec.requires_python is not None:
        lines.append(f"requires-python = {_toml(spec.requires_python)}")
    if spec.static_pyproject:
        deps, optional = _split_optional(spec.requires_dist)
        for extra in spec.extras:
            optional.setdefault(extra, [])
        lines.append(f"dependencies = {_toml(deps)}")
        if optional:
            lines += ["", "[project.optional-dependencies]"]
            lines += [f"{_toml(extra)} = {_toml(reqs)}" for extra, reqs in optional.items()]
    else:
        lines.append(f"dynamic = {_toml(['dependencies', 'optional-dependencies'])}")
    tables = {"console_scripts": "scripts", "gui_scripts": "gui-scripts"}
    for group, entries in spec.entry_points.items():
        table = tables.get(group, f"entry-points.{_toml(group)}")
        lines += ["", f"[project.{table}]"]
        lines += [f"{_toml(name)} = {_toml(target)}" for name, target in entries.items()]
    return "\n".join(lines) + "\n"


def _source_files(spec: SdistSpec) -> dict[str, bytes]:
    files = _default_files(spec.name, spec.version) if spec.files is None else spec.files
    config = {
        "name": spec.name,
        "version": spec.version,
        "requires_dist": spec.requires_dist,
        "requires_python": spec.requires_python,
        "extras": spec.extras,
        "entry_points": spec.entry_points,
        "files": list(files),
        "dynamic_build_requires": spec.dynamic_build_requires,
        "fail_build": spec.fail_build,
    }
    tree: dict[str, bytes] = {}
    if spec.include_pkg_info:
        tree["PKG-INFO"] = sdist_pkg_info(spec).encode("utf-8")
    tree["pyproject.toml"] = _pyproject(spec).encode("utf-8")
    tree[f"{backend.BACKEND_DIR}/{backend.BACKEND_MODULE}.py"] = backend.source().encode("utf-8")
    tree[f"{backend.BACKEND_DIR}/{backend.SPEC_FILE}"] = json.dumps(config, indent=2).encode()
    tree.update((path, _bytes(content)) for path, content in files.items())
    return tree


def write_source_tree(spec: SdistSpec, directory: Path) -> Path:
    """Write the sdist's contents, unpacked, directly into ``directory``; return it."""
    for rel, data in _source_files(spec).items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return directory


def build_sdist(spec: SdistSpec, out_dir: Path) -> Path:
    """Write ``{escaped_name}-{version}.tar.gz|.zip`` with a ``{stem}/`` top-level directory."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / sdist_filename(spec)
    entries = [(f"{spec.stem}/{rel}", data) for rel, data in _source_files(spec).items()]
    backend.write_sdist_archive(str(out), entries, spec.format)
    return out


def write_develop_install(site_packages: Path, project: Path, name: str, version: str, *,
                          src: bool = False) -> Path:
    """What ``python setup.py develop`` leaves, written by hand (no setuptools run): the
    project's ``{name}.egg-info`` (in ``project/src`` for a ``src`` layout), the
    ``{name}.egg-link`` in ``site_packages`` that points at it (with the way back to the
    project on its second line) and its ``easy-install.pth`` line. Returns the egg-link."""
    target = project / "src" if src else project
    egg_info = target / f"{name.replace('-', '_')}.egg-info"
    egg_info.mkdir(parents=True)
    (egg_info / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n")
    (project / "setup.py").write_text(f"from setuptools import setup\nsetup(name={name!r})\n")
    link = site_packages / f"{name}.egg-link"
    link.write_text(f"{target}\n{'../' if src else '.'}")
    with open(site_packages / "easy-install.pth", "a") as f:
        f.write(f"{target}\n")
    return link
