"""Which hash of a file is checked: the strongest pyffin can compute."""

from __future__ import annotations

import hashlib

import pytest

from pyffin.client import hashes
from pyffin.client.errors import HashMismatchError


def test_the_strongest_computable_hash_is_chosen() -> None:
    given = [("md5", "1"), ("sha256", "2"), ("sha512", "3"), ("sha999", "4")]
    assert hashes.strongest(given) == ("sha512", "3")
    assert hashes.strongest([("sha999", "4")]) is None
    # The sha256 names the file in the cache, so it is checked too.
    assert hashes.to_verify(given, what="f", url="u", strict=True) == [("sha512", "3"),
                                                                        ("sha256", "2")]
    assert hashes.key(given) == ("sha256", "2")
    assert hashes.key([("md5", "1"), ("sha384", "5")]) == ("sha384", "5")


def test_nothing_given_is_nothing_to_verify() -> None:
    assert hashes.to_verify([], what="f", url="u", strict=True) == []


def test_check_names_the_file_and_both_digests() -> None:
    data = b"payload"
    actual = hashes.Digests(["sha384"])
    actual.update(data)
    good = hashlib.sha384(data).hexdigest()
    hashes.check(actual.hexdigests(), [("sha384", good)], (), what="f.whl", url="http://x/f.whl")
    with pytest.raises(HashMismatchError, match=rf"hash mismatch for f.whl from http://x/f.whl: "
                                                rf"the index says sha384:0+, the file has "
                                                rf"sha384:{good}"):
        hashes.check(actual.hexdigests(), [("sha384", "0" * 96)], (), what="f.whl",
                     url="http://x/f.whl")
    with pytest.raises(HashMismatchError, match=r"expected one of\n    sha384:0+\n"):
        hashes.check(actual.hexdigests(), [], [f"sha384:{'0' * 96}"], what="f.whl", url="u")
