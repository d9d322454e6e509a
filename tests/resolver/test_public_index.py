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


def compile_pins(tmp_path: Path, *requirements: str,
                 exclude_newer: str = EXCLUDE_NEWER) -> dict[str, str]:
    session = pyffin.api.Session(Cache(tmp_path / "cache"),
                                 index=IndexSettings(index_url="https://pypi.org/simple"),
                                 no_config=True)
    result = pyffin.api.compile(requirements=list(requirements), session=session,
                                python_version="3.12", exclude_newer=exclude_newer)
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


def test_an_extra_pinned_late_in_a_long_backtrack_gets_uvs_pins(tmp_path: Path) -> None:
    # Hundreds of choices and of conflicts. Where the walk departed from uv's (which clause a
    # conflict is found in, what counts as a culprit, when priorities are read again), it
    # ended on celery 5.6.3, kombu 5.6.2, packaging 26.4 and redis 6.4.0, not uv's 5.7.0,
    # 5.7.0, 26.3 and 8.2.0 (kombu[redis] 5.7.0 caps packaging below 26.4).
    expected = Path(__file__).parent / "data" / "public" / "airflow-celery-2.8.txt"
    pins = dict(line.split("==") for line in expected.read_text().splitlines()
                if not line.startswith("#"))
    assert compile_pins(tmp_path, "apache-airflow[celery]==2.8.*",
                        exclude_newer="2026-12-06T00:00:00Z") == pins


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
