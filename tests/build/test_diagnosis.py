"""What a failed build's output says went wrong (``pyffin.build.diagnosis``): the line that
matters among pages of output, and what to do when the cause is outside the project. The
outputs are cut from real builds' (gcc, clang, setuptools, setuptools-rust, mysqlclient)."""

from __future__ import annotations

import pytest

from pyffin.build.diagnosis import cause, suggestion

GCC_HEADER = """\
running build_ext
building 'kerberos' extension
gcc -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -c src/kerberos.c -o build/kerberos.o
In file included from src/kerberos.c:20:
src/kerberosbasic.h:17:10: fatal error: gssapi/gssapi.h: No such file or directory
   17 | #include <gssapi/gssapi.h>
      |          ^~~~~~~~~~~~~~~~~
compilation terminated.
error: command '/usr/bin/gcc' failed with exit code 1
"""

CLANG_HEADER = """\
src/_ldap.c:4:10: fatal error: 'lber.h' file not found
#include <lber.h>
         ^~~~~~~~
1 error generated.
error: command '/usr/bin/clang' failed with exit code 1
"""

PKG_RESOURCES = """\
Traceback (most recent call last):
  File "<string>", line 14, in <module>
  File "/tmp/env/site-packages/setuptools/build_meta.py", line 333, in get_requires_for_build_wheel
    return self._get_build_requires(config_settings, requirements=[])
  File "<string>", line 18, in <module>
ModuleNotFoundError: No module named 'pkg_resources'
"""

NUMPY = """\
  File "setup.py", line 3, in <module>
    import numpy.distutils.core
ModuleNotFoundError: No module named 'numpy'
"""

NO_COMPILER = """\
running build_ext
building 'markupsafe._speedups' extension
creating build/temp.linux-x86_64-cpython-311/src/markupsafe
gcc -pthread -fPIC -c src/markupsafe/_speedups.c
error: command 'gcc' failed: No such file or directory
"""

NO_RUST = """\
running build_rust
error: can't find Rust compiler

If you are using an outdated pip version, it is possible a prebuilt wheel is available for
this package but pip is not able to install from it.
"""

PKG_CONFIG = """\
Trying pkg-config --exists mysqlclient
Command 'pkg-config --exists mysqlclient' returned non-zero exit status 127.
Traceback (most recent call last):
  File "<string>", line 27, in find_package_name
Exception: Can not find valid pkg-config name.
Specify MYSQLCLIENT_CFLAGS and MYSQLCLIENT_LDFLAGS env vars manually
"""

TRACEBACK = """\
Traceback (most recent call last):
  File "setup.py", line 45, in <module>
ImportError: cannot import name 'Feature' from 'setuptools' (/tmp/setuptools/__init__.py)
"""


@pytest.mark.parametrize(("output", "expected"), [
    (GCC_HEADER, "src/kerberosbasic.h:17:10: fatal error: gssapi/gssapi.h: No such file or "
                 "directory"),
    (CLANG_HEADER, "src/_ldap.c:4:10: fatal error: 'lber.h' file not found"),
    (PKG_RESOURCES, "ModuleNotFoundError: No module named 'pkg_resources'"),
    (NO_COMPILER, "error: command 'gcc' failed: No such file or directory"),
    (NO_RUST, "error: can't find Rust compiler"),
    (PKG_CONFIG, "Exception: Can not find valid pkg-config name."),
    (TRACEBACK, "ImportError: cannot import name 'Feature' from 'setuptools' "
                "(/tmp/setuptools/__init__.py)"),
    ("checking...\nerror: Microsoft Visual C++ 14.0 or greater is required.\ndone\n",
     "error: Microsoft Visual C++ 14.0 or greater is required."),
    ("all went well\nbut nothing was written\n", None),
    ("", None),
])
def test_the_line_that_says_what_went_wrong(output: str, expected: str | None) -> None:
    assert cause(output) == expected


def test_a_cause_too_long_for_a_hint_is_cut() -> None:
    found = cause("RuntimeError: " + "x" * 500)
    assert found is not None and len(found) == 240 and found.endswith("...")


@pytest.mark.parametrize(("output", "says"), [
    (GCC_HEADER, "the build needs the C header `gssapi/gssapi.h`, which this system lacks"),
    (CLANG_HEADER, "the build needs the C header `lber.h`"),
    (PKG_RESOURCES, "setuptools 82 and later no longer include: build it with an older "
                    "setuptools, with a build constraint (`--build-constraints FILE`, the file "
                    "holding `setuptools<82`)"),
    (NUMPY, "the build imports `numpy`, which its build requirements do not provide: install "
            "`numpy` into the target environment and build without isolation "
            "(`--no-build-isolation-package NAME`)"),
    ("ModuleNotFoundError: No module named 'distutils.core'\n",
     "the build imports `distutils`, which Python 3.12 and later no longer include"),
    (NO_COMPILER, "the build runs the C compiler `gcc`, which is not installed"),
    ("error: command '/usr/bin/x86_64-linux-gnu-gcc' failed: No such file or directory\n",
     "the build runs the C compiler `/usr/bin/x86_64-linux-gnu-gcc`"),
    (NO_RUST, "the build needs a Rust compiler, which is not installed"),
    (PKG_CONFIG, "the build looks for a system library with `pkg-config`, which did not find it"),
])
def test_what_to_do_about_a_cause_outside_the_project(output: str, says: str) -> None:
    found = suggestion(output)
    assert found is not None and says in found, found


@pytest.mark.parametrize("output", [
    TRACEBACK,  # the project's own code: nothing outside it to fix
    "error: command 'cmake' failed: No such file or directory\n",  # not a C compiler
    "",
])
def test_no_suggestion_for_a_failure_inside_the_project(output: str) -> None:
    assert suggestion(output) is None
