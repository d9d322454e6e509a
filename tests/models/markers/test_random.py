"""Random markers (seeded, ``generate.py``) keep their meaning through the algebra and its text:
checked by evaluation, against ``packaging``, on environments that can exist (a Windows
interpreter has ``os_name == 'nt'``...), where PEP 508 and uv agree."""

from __future__ import annotations

import itertools
import random

import pytest
from packaging.markers import Marker as PackagingMarker

from pyffin.models.markers import Marker
from tests.models.markers import generate

PLATFORMS = [  # sys_platform, os_name, platform_system
    ("linux", "posix", "Linux"), ("win32", "nt", "Windows"), ("darwin", "posix", "Darwin"),
    ("cygwin", "posix", "CYGWIN_NT-10.0"), ("emscripten", "posix", "Emscripten"),
    ("ios", "posix", "iOS"), ("freebsd14", "posix", "FreeBSD")]
MACHINES = ["x86_64", "aarch64", "arm64", "AMD64", "i686", "ppc64le"]
IMPLEMENTATIONS = [("cpython", "CPython"), ("pypy", "PyPy")]
PYTHONS = ["3.6.8", "3.7.0", "3.8.10", "3.9.0", "3.9.2", "3.9.3", "3.10.0", "3.10.4", "3.11.1",
           "3.11.2", "3.12.0", "3.12.2", "3.13.1", "3.14.0", "3.15.0"]
ENVIRONMENTS = [
    {"sys_platform": platform, "os_name": os_name, "platform_system": system,
     "platform_machine": machine, "implementation_name": name,
     "platform_python_implementation": implementation, "python_full_version": python,
     "python_version": ".".join(python.split(".")[:2]), "implementation_version": python,
     "platform_release": "6.5.0", "platform_version": "#1", "extra": ""}
    for (platform, os_name, system), machine, (name, implementation), python
    in itertools.product(PLATFORMS, MACHINES, IMPLEMENTATIONS, PYTHONS)]
MARKERS = generate.realistic(7, 100) + generate.stress(8, 100)


def sample(seed: int) -> list[dict[str, str]]:
    return random.Random(seed).sample(ENVIRONMENTS, 60)


@pytest.mark.parametrize("index", range(0, len(MARKERS), 25))
def test_markers_mean_what_pep_508_says(index: int) -> None:
    for offset, text in enumerate(MARKERS[index:index + 25]):
        ours, reference = Marker.parse(text), PackagingMarker(text)
        written = Marker.parse(str(ours)) if not ours.is_true() else Marker.TRUE
        for environment in sample(index + offset):
            expected = reference.evaluate(environment)
            assert ours.evaluate(environment) == expected, (text, environment)
            # The canonical text means the same.
            assert written.evaluate(environment) == expected, (text, str(ours), environment)


@pytest.mark.parametrize("index", range(0, len(MARKERS), 50))
def test_operations_mean_their_boolean_counterparts(index: int) -> None:
    r = random.Random(index)
    for text in MARKERS[index:index + 50]:
        other = r.choice(MARKERS)
        left, right = Marker.parse(text), Marker.parse(other)
        assert (left | ~left).is_true()
        assert (left & ~left).is_false()
        both = Marker.parse(f"({text}) and ({other})")
        assert both.implies(left & right) and (left & right).implies(both)
        for environment in sample(index)[:20]:
            a, b = left.evaluate(environment), right.evaluate(environment)
            assert (left & right).evaluate(environment) == (a and b)
            assert (left | right).evaluate(environment) == (a or b)
            assert (~left).evaluate(environment) == (not a)
            if left.is_disjoint(right):
                assert not (a and b)
            if left.implies(right):
                assert b or not a


@pytest.mark.parametrize("floor", ["3.8", "3.10"])
def test_requires_python_simplification_keeps_the_meaning_above_the_floor(floor: str) -> None:
    floor_version = tuple(map(int, floor.split(".")))
    above = [e for e in ENVIRONMENTS
             if tuple(map(int, e["python_full_version"].split(".")[:2])) >= floor_version]
    r = random.Random(floor)
    for text in MARKERS[::3]:
        marker = Marker.parse(text)
        simplified = marker.simplify_python(f">={floor}")
        for environment in r.sample(above, 20):
            assert simplified.evaluate(environment) == marker.evaluate(environment), text
