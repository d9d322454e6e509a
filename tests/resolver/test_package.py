"""``pyffin.resolver``'s names: each is importable, and importing the package imports none."""

from __future__ import annotations

import subprocess
import sys
import typing

import pyffin.resolver as resolver
from pyffin.resolver.options import PRERELEASE_MODES, RESOLUTION_MODES
from pyffin.resolver.output import ANNOTATION_STYLES


def test_every_exported_name_resolves() -> None:
    for name in resolver.__all__:
        assert getattr(resolver, name) is not None, name


def test_the_literal_aliases_list_the_values_the_options_accept() -> None:
    # Made from the tuples when asked for: their modules define them for type checkers only.
    assert typing.get_args(resolver.ResolutionMode) == RESOLUTION_MODES
    assert typing.get_args(resolver.PrereleaseMode) == PRERELEASE_MODES
    assert typing.get_args(resolver.AnnotationStyle) == ANNOTATION_STYLES == ("split", "line")
    assert typing.get_origin(resolver.ResolutionMode) is typing.Literal


def test_the_solver_modules_make_no_literal_alias_when_imported() -> None:
    # typing.Literal[...] costs every command's start; these modules are on a warm compile's.
    script = (
        "import typing, sys\n"
        "made = []\n"
        "kind = type(typing.Literal)\n"
        "original = kind.__getitem__\n"
        "kind.__getitem__ = lambda self, p: made.append(p) or original(self, p)\n"
        "import pyffin.resolver.provider, pyffin.resolver.solver, pyffin.resolver.output\n"
        "import pyffin.api.resolving, pyffin.settings, pyffin.requirements.read\n"
        "print(made)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
