"""``pyffin.api.inspect``: how what installed distributions require is shown."""

from __future__ import annotations

import pytest

from pyffin.api.inspect import shown_requirement


@pytest.mark.parametrize(("written", "shown"), [
    # As uv 0.13.9's pip check writes them (checked against it on these very lines): the
    # name and extras normalized (extras in their order), clauses by version, uv's marker.
    ('Six<2,>=1.17.0; python_version > "3"', "six>=1.17.0,<2 ; python_full_version >= '3.1'"),
    ("Missing_Dep[Extra]~=1.0", "missing-dep[extra]~=1.0"),
    ("aa!=1.5,<3,>=1", "aa>=1,!=1.5,<3"),
    ("bb<3,>1", "bb>1,<3"),
    ('cc[Z,y]==1.*; sys_platform == "linux" and platform_machine == "x86_64"',
     "cc[z,y]==1.* ; platform_machine == 'x86_64' and sys_platform == 'linux'"),
    ("dd @ https://example.com/dd-1.0.tar.gz", "dd @ https://example.com/dd-1.0.tar.gz"),
    ('six>5; os_name == "posix"', "six>5 ; os_name == 'posix'"),
    ("lib", "lib"),
    # What does not parse is shown as written.
    ("not a requirement!", "not a requirement!"),
])
def test_a_requirement_is_shown_as_uv_shows_it(written: str, shown: str) -> None:
    assert shown_requirement(written) == shown
