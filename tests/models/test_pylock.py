"""PEP 751 lock files: the records read from a parsed ``pylock.toml`` as the PEP allows them,
every refusal naming the file and the key, and written as uv writes them."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from pyffin.models.markers import Marker
from pyffin.models.pylock import (
    LockedDirectory,
    LockedFile,
    LockedPackage,
    LockedVcs,
    PylockError,
    PylockFile,
    dumps,
    from_table,
    is_pylock_filename,
)
from pyffin.records import replace
from pyffin.toml import loads
from tests.support import pylock as validator

SHA = "a" * 64
WHEEL = {"url": "https://files.example/a-1.0-py3-none-any.whl", "hashes": {"sha256": SHA}}


def read(text: str) -> PylockFile:
    return from_table(loads(textwrap.dedent(text)), "pylock.toml")


def lock_of(*packages: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"lock-version": "1.0", "created-by": "test", "packages": list(packages), **top}


@pytest.mark.parametrize(("filename", "expected"), [
    ("pylock.toml", True), ("pylock.dev.toml", True), ("pylock..toml", False),
    ("pylock.a.b.toml", False), ("Pylock.toml", False), ("requirements.txt", False),
    ("pylock.toml.bak", False), ("my-pylock.toml", False), ("pylock.x.toml", True),
    ("pylock.toml.toml", True), ("pylock.", False), ("pylock.ml", False), ("pylock", False),
    ("pylocktoml", False), ("pylock.a.toml ", False)])
def test_lock_file_names(filename: str, expected: bool) -> None:
    assert is_pylock_filename(filename) is expected


def test_a_lock_with_every_kind_of_source() -> None:
    lock = read(f"""\
        lock-version = "1.0"
        created-by = "someone"
        requires-python = ">=3.9"
        environments = ["sys_platform == 'linux'"]
        extras = ["Fast"]
        dependency-groups = ["dev"]
        default-groups = ["dev"]

        [[packages]]
        name = "A_B"
        version = "1.0"
        marker = "'dev' in dependency_groups"
        requires-python = ">=3.8"
        index = "https://pypi.org/simple"
        dependencies = [{{ name = "c" }}]
        sdist = {{ url = "https://files.example/a_b-1.0.tar.gz", upload-time = 2025-01-02T03:04:05Z, size = 10, hashes = {{ SHA256 = "{SHA.upper()}" }} }}
        wheels = [{{ name = "a_b-1.0-py3-none-any.whl", url = "https://files.example/x?y", hashes = {{ sha256 = "{SHA}" }} }}]

        [[packages]]
        name = "c"
        vcs = {{ type = "git", url = "https://github.com/o/c", requested-revision = "main", commit-id = "{"1" * 40}", subdirectory = "sub" }}

        [[packages]]
        name = "d"
        directory = {{ path = "./d", editable = true }}

        [[packages]]
        name = "e"
        version = "2"
        archive = {{ path = "dist/e-2.tar.gz", hashes = {{ sha256 = "{SHA}" }}, subdirectory = "pkg" }}
        """)  # noqa: E501
    assert (lock.requires_python, lock.environments, lock.extras, lock.dependency_groups,
            lock.default_groups) == (">=3.9", ("sys_platform == 'linux'",), ("fast",), ("dev",),
                                     ("dev",))
    a, c, d, e = lock.packages
    assert (a.name, a.version, a.marker, a.requires_python, a.index, a.key) == (
        "a-b", "1.0", "'dev' in dependency_groups", ">=3.8", "https://pypi.org/simple",
        "packages[0]")
    assert a.sdist == LockedFile("https://files.example/a_b-1.0.tar.gz", None,
                                 (("sha256", SHA),), size=10, upload_time=1735787045.0)
    assert a.sdist.filename == "a_b-1.0.tar.gz"
    assert a.wheels[0].filename == "a_b-1.0-py3-none-any.whl"  # `name` over the URL's end
    assert c.vcs == LockedVcs("git", "https://github.com/o/c", None, "1" * 40, "main", "sub")
    assert d.directory == LockedDirectory("./d", True)
    assert e.archive == LockedFile(None, "dist/e-2.tar.gz", (("sha256", SHA),),
                                   subdirectory="pkg")


@pytest.mark.parametrize(("data", "message"), [
    ({"created-by": "x", "packages": []}, "`lock-version`: missing"),
    (lock_of(**{"lock-version": "2.0"}), "`lock-version`: unsupported lock version '2.0'"),
    ({"lock-version": "1.0", "packages": []}, "`created-by`: missing"),
    ({"lock-version": "1.0", "created-by": "x"}, "`packages`: missing"),
    (lock_of(**{"requires-python": ">=three"}), "`requires-python`: invalid version"),
    (lock_of(environments=["os_name = 'x'"]), "`environments[0]`: invalid marker"),
    (lock_of({"version": "1", "wheels": [WHEEL]}), "`packages[0].name`: missing"),
    (lock_of({"name": "a b", "version": "1", "wheels": [WHEEL]}),
     "`packages[0].name`: invalid project name"),
    (lock_of({"name": "a", "version": "x.y", "wheels": [WHEEL]}),
     "`packages[0].version`: invalid version"),
    (lock_of({"name": "a", "version": "1"}), "`packages[0]`: needs one of"),
    (lock_of({"name": "a", "version": "1", "wheels": [WHEEL],
              "directory": {"path": "."}}), "`packages[0]`: has both `directory` and `wheels`"),
    (lock_of({"name": "a", "version": "1", "wheels": [{"url": WHEEL["url"]}]}),
     "`packages[0].wheels[0].hashes`: missing"),
    (lock_of({"name": "a", "version": "1", "wheels": [{**WHEEL, "hashes": {}}]}),
     "`packages[0].wheels[0].hashes`: needs at least one hash"),
    (lock_of({"name": "a", "version": "1", "wheels": [{"hashes": {"sha256": SHA}}]}),
     "`packages[0].wheels[0]`: needs a `url` or a `path`"),
    (lock_of({"name": "a", "version": "1",
              "wheels": [{"url": "https://x/a-1.0.tar.gz", "hashes": {"sha256": SHA}}]}),
     "`packages[0].wheels[0]`: 'a-1.0.tar.gz' is not a wheel's filename"),
    (lock_of({"name": "a", "version": "1", "wheels": [{**WHEEL, "size": "big"}]}),
     "`packages[0].wheels[0].size`: expected an integer, found a string"),
    (lock_of({"name": "a", "version": "1", "wheels": [{**WHEEL, "upload-time": "today"}]}),
     "`packages[0].wheels[0].upload-time`: expected an offset date-time"),
    (lock_of({"name": "a", "version": "1", "marker": "os_name ==", "wheels": [WHEEL]}),
     "`packages[0].marker`: invalid marker"),
    (lock_of({"name": "a", "vcs": {"type": "git", "url": "https://x/a"}}),
     "`packages[0].vcs.commit-id`: missing"),
    (lock_of({"name": "a", "directory": {"editable": True}}),
     "`packages[0].directory.path`: missing"),
    (lock_of("not a table"), "`packages[0]`: expected a table"),
    (lock_of({"name": "b", "version": "1.0", "wheels": [WHEEL]}),
     "`packages[0].wheels[0]`: a-1.0-py3-none-any.whl is not a wheel of b 1.0"),
    (lock_of({"name": "a", "version": "2.0", "wheels": [WHEEL]}),
     "`packages[0].wheels[0]`: a-1.0-py3-none-any.whl is not a wheel of a 2.0"),
])
def test_what_pep_751_does_not_allow_is_an_error_naming_the_file_and_key(
        data: dict[str, Any], message: str) -> None:
    with pytest.raises(PylockError) as raised:
        from_table(data, "locks/pylock.toml")
    assert str(raised.value).startswith(f"locks/pylock.toml: {message}"), str(raised.value)


def test_written_as_uv_writes_it() -> None:
    lock = PylockFile("1.0", "pyffin", (
        LockedPackage("a", "1.0", index="https://pypi.org/simple",
                      dependencies=({"name": "b"},),
                      sdist=LockedFile("https://f/a-1.0.tar.gz", None, (("sha256", SHA),),
                                       size=5, upload_time=1735787045.0),
                      wheels=(LockedFile("https://f/a-1.0-py3-none-any.whl", None,
                                         (("sha256", SHA),), upload_time=1735787045.25),)),
        LockedPackage("b", "2", marker="sys_platform == 'win32'", wheels=(
            LockedFile("https://f/b-2-py3-none-any.whl", None, (("sha256", SHA),)),
            LockedFile("https://f/b-2-cp312-cp312-win_amd64.whl", None, (("sha256", SHA),)))),
        LockedPackage("c", vcs=LockedVcs("git", "https://g/c", None, "1" * 40, "v1")),
        LockedPackage("d", directory=LockedDirectory("d", editable=True)),
    ), requires_python=">=3.12")
    text = dumps(lock, header=["# made by a test"])
    assert text == textwrap.dedent(f"""\
        # made by a test
        lock-version = "1.0"
        created-by = "pyffin"
        requires-python = ">=3.12"

        [[packages]]
        name = "a"
        version = "1.0"
        dependencies = [{{ name = "b" }}]
        index = "https://pypi.org/simple"
        sdist = {{ url = "https://f/a-1.0.tar.gz", upload-time = 2025-01-02T03:04:05Z, size = 5, hashes = {{ sha256 = "{SHA}" }} }}
        wheels = [{{ url = "https://f/a-1.0-py3-none-any.whl", upload-time = 2025-01-02T03:04:05.250Z, hashes = {{ sha256 = "{SHA}" }} }}]

        [[packages]]
        name = "b"
        version = "2"
        marker = "sys_platform == 'win32'"
        wheels = [
            {{ url = "https://f/b-2-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }},
            {{ url = "https://f/b-2-cp312-cp312-win_amd64.whl", hashes = {{ sha256 = "{SHA}" }} }},
        ]

        [[packages]]
        name = "c"
        vcs = {{ type = "git", url = "https://g/c", requested-revision = "v1", commit-id = "{"1" * 40}" }}

        [[packages]]
        name = "d"
        directory = {{ path = "d", editable = true }}
        """)  # noqa: E501
    validator.check(text)
    back = from_table(loads(text), "pylock.toml")
    assert back == replace(lock, packages=tuple(
        replace(p, key=f"packages[{i}]") for i, p in enumerate(lock.packages)))


def test_an_empty_lock_still_has_its_packages_key() -> None:
    text = dumps(PylockFile("1.0", "pyffin", ()))
    assert "packages = []" in text
    validator.check(text)


def test_strings_are_escaped() -> None:
    lock = PylockFile("1.0", 'say "hi"\\\n\x7f\x00', (LockedPackage(
        "a", directory=LockedDirectory("dir with ü and \"quotes\"")),))
    assert from_table(loads(dumps(lock)), "x").created_by == 'say "hi"\\\n\x7f\x00'
    assert from_table(loads(dumps(lock)), "x").packages[0].directory == LockedDirectory(
        "dir with ü and \"quotes\"")


def test_lock_markers_see_the_extras_and_groups_of_the_installation() -> None:
    marker = Marker.parse("'fast' in extras and 'dev' not in dependency_groups")
    env = {"python_version": "3.12"}
    assert marker.evaluate(env, lock={"extras": {"fast"}})
    assert not marker.evaluate(env, lock={"extras": {"fast"}, "dependency_groups": {"dev"}})
    assert not marker.evaluate(env)  # outside a lock both sets are empty


def test_the_validator_allows_a_name_twice_only_under_disjoint_markers() -> None:
    def lock(*markers: str) -> str:
        return 'lock-version = "1.0"\ncreated-by = "x"\n' + "".join(
            f'[[packages]]\nname = "a"\nversion = "{i}"\nmarker = "{m}"\n'
            f'wheels = [{{ url = "https://f/a-{i}-py3-none-any.whl", hashes = {{ sha256 = '
            f'"{SHA}" }} }}]\n' for i, m in enumerate(markers))

    assert validator.problems(lock("python_version < '3.12'", "python_version >= '3.12'")) == []
    assert validator.problems(lock("sys_platform == 'linux'", "python_version >= '3.12'")) == [
        "packages[1]: a second a entry whose marker does not tell it apart"]


def test_the_validator_catches_what_the_pep_forbids() -> None:
    assert validator.problems(textwrap.dedent(f"""\
        lock-version = "1.0"
        created-by = "x"
        [[packages]]
        name = "a"
        version = "1"
        wheels = [{{ url = "https://f/a-1-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }}]
        [[packages]]
        name = "a"
        version = "2"
        sdist = {{ url = "https://f/a-2.tar.gz", hashes = {{}} }}
        dependencies = [{{ name = "zzz" }}]
        """)) == [
        "packages[1]: a second a entry whose marker does not tell it apart",
        "packages[1].sdist.hashes: required, at least one hex digest",
        "packages[1].dependencies: {'name': 'zzz'} names no package",
    ]


def test_wheel_tags_expand_compressed_tag_sets() -> None:
    from pyffin.models.pylock import wheel_tags

    assert wheel_tags("a-1.0-py2.py3-none-any.whl") == ((), frozenset({"py2-none-any",
                                                                        "py3-none-any"}))
    assert wheel_tags("a-1.0-12b-cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl") == (
        (12, "b"), frozenset({"cp312-abi3-manylinux_2_17_x86_64",
                              "cp312-abi3-manylinux2014_x86_64"}))
    for bad in ("a-1.0.tar.gz", "a-1.0-py3-any.whl", "a-1.0-x-py3-none-any.whl",
                "a--py3-none-any.whl"):
        assert wheel_tags(bad) is None, bad
