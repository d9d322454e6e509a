"""Format control: one answer, for every layer, to "may this package use a wheel / be built
from source?" (``--no-binary``, ``--only-binary``, ``--no-build``)."""

from __future__ import annotations

import pytest

from pyffin.models.format_control import BinaryPolicy


@pytest.mark.parametrize(
    ("no_binary", "only_binary", "wheel", "sdist"),
    [((), (), True, True),
     ((":all:",), (), False, True),
     ((), (":all:",), True, False),
     (("Foo",), (), False, True),
     ((), ("foo",), True, False),
     ((":all:",), ("FOO",), True, False),   # a name beats :all:
     (("foo",), (":all:",), False, True),
     (("bar",), (), True, True),
     # Named in both (the command line and a requirements file may disagree): each option
     # keeps what it names, so neither format is ruled out.
     (("foo",), ("foo",), True, True)],
)
def test_format_control(no_binary: tuple[str, ...], only_binary: tuple[str, ...], wheel: bool,
                        sdist: bool) -> None:
    policy = BinaryPolicy.of(no_binary, only_binary)
    assert (policy.wheels_allowed("foo"), policy.sdists_allowed("foo")) == (wheel, sdist)


def test_no_build_rules_out_every_sdist() -> None:
    policy = BinaryPolicy.of(no_binary=["foo"], no_build=True)
    assert not policy.sdists_allowed("foo")
    assert policy.wheels_allowed("bar")


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid project name: 'a/b'"):
        BinaryPolicy.of(no_binary=["a/b"])
