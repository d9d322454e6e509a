"""The resolver on real-world backtracking cases of the public index (marked ``network``).

``--exclude-newer`` pins the index's state, so the answers stay the same; they are uv 0.13.9's
(``uv pip compile --exclude-newer 2026-10-01T00:00:00Z --python-version 3.12``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pyffin.api
from pyffin.cache import Cache
from pyffin.settings import IndexSettings

pytestmark = pytest.mark.network

EXCLUDE_NEWER = "2026-10-01T00:00:00Z"


def compile_pins(tmp_path: Path, *requirements: str) -> dict[str, str]:
    session = pyffin.api.Session(Cache(tmp_path / "cache"),
                                 index=IndexSettings(index_url="https://pypi.org/simple"),
                                 no_config=True)
    result = pyffin.api.compile(requirements=list(requirements), session=session,
                                python_version="3.12", exclude_newer=EXCLUDE_NEWER)
    return {name: str(version) for name, version in result.resolution.pins().items()}


def test_urllib3_below_1_25_4_walks_boto3_back(tmp_path: Path) -> None:
    # Through ~1,400 versions each of boto3 and botocore.
    assert compile_pins(tmp_path, "urllib3<1.25.4", "boto3") == {
        "boto3": "1.15.18", "botocore": "1.18.18", "jmespath": "0.10.0",
        "python-dateutil": "2.9.0.post0", "s3transfer": "0.3.7", "six": "1.17.0",
        "urllib3": "1.25.3"}


def test_an_old_botocore_with_urllib3_2_walks_botocore_back(tmp_path: Path) -> None:
    # Through ~1,000 versions of botocore, to the newest that vendored urllib3.
    assert compile_pins(tmp_path, "botocore<1.28", "urllib3>=2") == {
        "botocore": "1.10.84", "docutils": "0.23", "jmespath": "0.10.0",
        "python-dateutil": "2.9.0.post0", "six": "1.17.0", "urllib3": "2.8.0"}


UNIVERSAL = Path(__file__).parent / "data" / "universal-public"


@pytest.mark.parametrize(("name", "python"), [
    ("small", "3.9"), ("medium", "3.9"), ("large", "3.9"), ("large", "3.12")])
def test_the_benchmark_sets_universal_resolution_is_uvs(
        name: str, python: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Python forks (numpy 2.0.2 below 3.10, 2.2.6 on 3.10, ...) and platform-only packages
    # (pywin32, appnope, colorama): every pin and annotation as uv writes them.
    source = tmp_path / f"{name}.in"
    source.write_bytes((UNIVERSAL / f"{name}.in").read_bytes())
    monkeypatch.chdir(tmp_path)
    session = pyffin.api.Session(Cache(tmp_path / "cache"),
                                 index=IndexSettings(index_url="https://pypi.org/simple"),
                                 no_config=True)
    result = pyffin.api.compile([f"{name}.in"], session=session, universal=True,
                                python_version=python, exclude_newer=EXCLUDE_NEWER)
    expected = (UNIVERSAL / f"{name}-{python}.txt").read_text().split("\n", 1)[1]
    assert result.to_requirements_txt() == expected
