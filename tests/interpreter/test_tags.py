from __future__ import annotations

import os
import sys

import pytest

from pyffin.errors import UsageError
from pyffin.interpreter import tags


def test_manylinux_tags_descend_from_the_glibc_version_with_legacy_aliases() -> None:
    platforms = tags.manylinux_platforms(["x86_64"], (2, 18))
    assert platforms == [
        "manylinux_2_18_x86_64",
        "manylinux_2_17_x86_64", "manylinux2014_x86_64",
        *[f"manylinux_2_{minor}_x86_64" for minor in range(16, 12, -1)],
        "manylinux_2_12_x86_64", "manylinux2010_x86_64",
        *[f"manylinux_2_{minor}_x86_64" for minor in range(11, 5, -1)],
        "manylinux_2_5_x86_64", "manylinux1_x86_64",
    ]


def test_manylinux_stops_at_2_17_where_manylinux1_never_existed() -> None:
    platforms = tags.manylinux_platforms(["aarch64"], (2, 19))
    assert platforms == ["manylinux_2_19_aarch64", "manylinux_2_18_aarch64",
                         "manylinux_2_17_aarch64", "manylinux2014_aarch64"]


def test_manylinux_module_verdicts_remove_denied_tags() -> None:
    platforms = tags.manylinux_platforms(["aarch64"], (2, 18), {"2_18_aarch64": False})
    assert platforms == ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]


def test_linux_platforms_put_the_local_tag_first_then_manylinux_then_musllinux() -> None:
    assert tags.linux_platforms(["armv8l", "armv7l"], musl=(1, 1)) == [
        "linux_armv8l", "linux_armv7l",
        "musllinux_1_1_armv8l", "musllinux_1_0_armv8l",
        "musllinux_1_1_armv7l", "musllinux_1_0_armv7l",
    ]
    assert tags.linux_platforms(["x86_64"], glibc=(2, 17), manylinux_abi=False) == [
        "linux_x86_64"]


def test_32_bit_interpreters_on_64_bit_kernels_use_32_bit_architectures() -> None:
    assert tags.linux_archs("linux-x86_64", 32) == ["i686"]
    assert tags.linux_archs("linux-aarch64", 32) == ["armv8l", "armv7l"]
    assert tags.linux_archs("linux-x86_64", 64) == ["x86_64"]


def test_armv7l_manylinux_needs_a_hard_float_binary() -> None:
    hard_float = tags.ElfHeader(elf_class=1, data=1, machine=40, flags=0x05000400)
    soft_float = tags.ElfHeader(elf_class=1, data=1, machine=40, flags=0x05000000)
    assert tags.manylinux_compatible_abi(["armv7l"], hard_float)
    assert not tags.manylinux_compatible_abi(["armv7l"], soft_float)
    assert not tags.manylinux_compatible_abi(["armv7l"], None)
    assert tags.manylinux_compatible_abi(["x86_64"], None)
    assert not tags.manylinux_compatible_abi(["sparc64"], None)


def test_cpython_abis() -> None:
    assert tags.cpython_abis((3, 12)) == ["cp312"]
    assert tags.cpython_abis((3, 12), debug=True) == ["cp312d", "cp312"]
    assert tags.cpython_abis((3, 13), free_threaded=True) == ["cp313t"]
    # Before 3.8, as packaging and uv tag it: pymalloc's m, the one ABI.
    assert tags.cpython_abis((3, 7)) == ["cp37m"]
    assert tags.cpython_abis((3, 7), debug=True) == ["cp37dm"]
    assert tags.cpython_abis((3, 7), pymalloc=False) == ["cp37"]


def test_a_python_3_7_takes_its_cp37m_wheels() -> None:
    from packaging.tags import cpython_tags

    ours = tags.compatible_tags((3, 7), "cpython", tags.cpython_abis((3, 7)),
                                ["manylinux_2_17_x86_64"])
    assert "cp37-cp37m-manylinux_2_17_x86_64" in ours
    theirs = [str(t) for t in cpython_tags((3, 7), ["cp37m"], ["manylinux_2_17_x86_64"])]
    assert ours[:len(theirs)] == theirs


def test_generic_abis_come_from_the_extension_suffix() -> None:
    assert tags.generic_abis(".pypy310-pp73-x86_64-linux-gnu.so") == ["pypy310_pp73"]
    assert tags.generic_abis(".graalpy-38-native-x86_64-darwin.dylib") == ["graalpy_38_native"]
    assert tags.generic_abis(".so") == []
    assert tags.generic_abis(None) == []


def test_pypy_tags_include_its_abi_none_and_pp3() -> None:
    result = tags.compatible_tags((3, 10), "pypy", ["pypy310_pp73"], ["linux_x86_64"])
    assert result[:2] == ["pp310-pypy310_pp73-linux_x86_64", "pp310-none-linux_x86_64"]
    assert "pp3-none-any" in result
    assert result[-1] == "py30-none-any"
    assert not any(tag.startswith("cp") for tag in result)


def test_compatible_tags_refuse_an_empty_platform_list() -> None:
    # packaging would silently use the running machine's platforms instead.
    with pytest.raises(ValueError):
        tags.compatible_tags((3, 12), "cpython", ["cp312"], [])


def test_target_tags_for_a_manylinux_target() -> None:
    result = tags.target_tags((3, 12), "x86_64-manylinux_2_28")
    assert result[:3] == ["cp312-cp312-linux_x86_64", "cp312-cp312-manylinux_2_28_x86_64",
                          "cp312-cp312-manylinux_2_27_x86_64"]
    assert "cp312-cp312-manylinux2014_x86_64" in result
    assert "cp312-cp312-manylinux_2_29_x86_64" not in result
    assert "cp38-abi3-manylinux1_x86_64" in result
    assert result[-1] == "py30-none-any"


def test_target_tags_for_macos_windows_and_musl() -> None:
    mac = tags.target_tags((3, 11), "aarch64-apple-darwin")
    assert mac[0] == "cp311-cp311-macosx_13_0_arm64"
    assert "cp311-cp311-macosx_10_9_universal2" in mac
    assert not any("x86_64" in tag for tag in mac)
    assert tags.target_tags((3, 11), "x86_64-macosx_12_0")[0] == "cp311-cp311-macosx_12_0_x86_64"
    windows = tags.target_tags((3, 11, 4), "windows")
    assert windows[:3] == ["cp311-cp311-win_amd64", "cp311-abi3-win_amd64",
                           "cp311-none-win_amd64"]
    musl = tags.target_tags((3, 12), "aarch64-unknown-linux-musl")
    assert "cp312-cp312-musllinux_1_2_aarch64" in musl
    assert not any("manylinux" in tag for tag in musl)


def test_target_markers() -> None:
    assert tags.target_markers((3, 12), "linux") == {
        "implementation_name": "cpython",
        "implementation_version": "3.12.0",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": "3.12.0",
        "python_version": "3.12",
        "sys_platform": "linux",
    }
    mac = tags.target_markers((3, 11, 2), "macos")
    assert (mac["sys_platform"], mac["platform_machine"], mac["python_full_version"]) == (
        "darwin", "arm64", "3.11.2")
    windows = tags.target_markers((3, 10), "i686-pc-windows-msvc")
    assert (windows["os_name"], windows["sys_platform"], windows["platform_machine"]) == (
        "nt", "win32", "x86")


@pytest.mark.parametrize("year,emscripten", [(2024, "3.1.58"), (2025, "4.0.9")])
def test_pyodide_targets_are_uvs(year: int, emscripten: str) -> None:
    spec = f"wasm32-pyodide{year}"
    assert tags.target_tags((3, 12), spec)[:2] == [f"cp312-cp312-pyemscripten_{year}_0_wasm32",
                                                   f"cp312-cp312-pyodide_{year}_0_wasm32"]
    markers = tags.target_markers((3, 12), spec)
    assert (markers["sys_platform"], markers["platform_system"], markers["platform_machine"],
            markers["platform_release"], markers["platform_version"], markers["os_name"]) == (
        "emscripten", "Emscripten", "wasm32", emscripten, "#1", "posix")


@pytest.mark.parametrize(("spec", "machine", "abi"), [
    ("aarch64-linux-android", "aarch64", "arm64_v8a"),
    ("x86_64-linux-android", "x86_64", "x86_64"),
])
def test_android_targets_are_uvs(spec: str, machine: str, abi: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # PEP 738, as packaging lists the tags: API level 24 down to 16 unless ANDROID_API_LEVEL.
    from packaging import tags as ptags

    monkeypatch.delenv("ANDROID_API_LEVEL", raising=False)
    assert tags.target_tags((3, 13), spec) == [str(t) for t in ptags.cpython_tags(
        (3, 13), platforms=ptags.android_platforms(24, abi))] + [
        str(t) for t in ptags.compatible_tags((3, 13), "cp313",
                                              ptags.android_platforms(24, abi))]
    monkeypatch.setenv("ANDROID_API_LEVEL", "30")
    assert f"cp313-cp313-android_30_{abi}" == tags.target_tags((3, 13), spec)[0]
    markers = tags.target_markers((3, 13), spec)
    assert (markers["os_name"], markers["sys_platform"], markers["platform_system"],
            markers["platform_machine"], markers["platform_release"]) == (
        "posix", "android", "Android", machine, "")
    monkeypatch.setenv("ANDROID_API_LEVEL", "twenty")
    with pytest.raises(UsageError, match="ANDROID_API_LEVEL"):
        tags.target_tags((3, 13), spec)


@pytest.mark.parametrize(("spec", "machine", "multiarch"), [
    ("arm64-apple-ios", "arm64", "arm64_iphoneos"),
    ("arm64-apple-ios-simulator", "arm64", "arm64_iphonesimulator"),
    ("x86_64-apple-ios-simulator", "x86_64", "x86_64_iphonesimulator"),
])
def test_ios_targets_are_uvs(spec: str, machine: str, multiarch: str,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    # PEP 730, as packaging lists the tags: iOS 13.0 unless IPHONEOS_DEPLOYMENT_TARGET.
    from packaging import tags as ptags

    for given, release in (("", (13, 0)), ("14.2", (14, 2)), ("15", (15, 0))):
        monkeypatch.setenv("IPHONEOS_DEPLOYMENT_TARGET", given)
        platforms = list(ptags.ios_platforms(release, multiarch))
        assert tags.target_tags((3, 13), spec) == [
            str(t) for t in ptags.cpython_tags((3, 13), platforms=platforms)] + [
            str(t) for t in ptags.compatible_tags((3, 13), "cp313", platforms)]
    assert tags.ios_platforms((11, 4), multiarch) == []
    markers = tags.target_markers((3, 13), spec)
    assert (markers["os_name"], markers["sys_platform"], markers["platform_system"],
            markers["platform_machine"]) == ("posix", "ios", "iOS", machine)
    monkeypatch.setenv("IPHONEOS_DEPLOYMENT_TARGET", "13.x")
    with pytest.raises(UsageError, match="IPHONEOS_DEPLOYMENT_TARGET"):
        tags.target_tags((3, 13), spec)


def test_uvs_unknown_linux_is_glibc_linux() -> None:
    assert tags.target_tags((3, 12), "riscv64-unknown-linux") == tags.target_tags(
        (3, 12), "riscv64-unknown-linux-gnu")
    assert "cp312-cp312-manylinux_2_28_riscv64" in tags.target_tags((3, 12),
                                                                     "riscv64-unknown-linux")


@pytest.mark.parametrize("spec", ["solaris", "x86_64", "mips-unknown-linux-gnu",
                                  "x86_64-manylinux_2", "x86_64-manylinux_two_28",
                                  "s390x-apple-darwin", "riscv64-pc-windows-msvc",
                                  "i686-linux-android", "x86_64-apple-ios"])
def test_unknown_target_platforms_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError, match="target platform"):
        tags.target_tags((3, 12), spec)


def test_invalid_target_python_versions_are_usage_errors() -> None:
    with pytest.raises(UsageError, match=r"'2\.7'"):
        tags.target_markers((2, 7), "linux")
    with pytest.raises(UsageError):
        tags.target_tags((3,), "linux")


@pytest.mark.parametrize(("spec", "expected"), [
    ("linux", "manylinux"), ("x86_64-manylinux_2_28", "manylinux"),
    ("aarch64-unknown-linux-gnu", "manylinux"), ("x86_64-unknown-linux-musl", "musllinux"),
    ("x86_64-musllinux_1_2", "musllinux"), ("windows", "windows"),
    ("i686-pc-windows-msvc", "windows"), ("macos", "macos"), ("x86_64-apple-darwin", "macos"),
    ("aarch64-linux-android", "other"), ("arm64-apple-ios", "other"),
    ("wasm32-pyodide2024", "other"),
])
def test_the_operating_system_of_a_target_platform(spec: str, expected: str) -> None:
    """What --torch-backend auto picks PyTorch's indexes for."""
    assert tags.platform_os(spec) == expected


def test_the_operating_system_of_this_machine() -> None:
    expected = {"win32": "windows", "darwin": "macos"}.get(sys.platform)
    if expected is None and sys.platform.startswith("linux"):
        expected = "manylinux" if os.confstr("CS_GNU_LIBC_VERSION") else "musllinux"
    assert tags.platform_os(None) == (expected or "other")
