"""The environment a resolution is for: its markers, wheel tags and Python version.

By default the interpreter's own; ``--python-version`` changes the Python version of the
interpreter's markers (uv's rule), ``--python-platform`` describes another machine altogether.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyffin.errors import UsageError
from pyffin.records import record

if TYPE_CHECKING:
    from pyffin.interpreter import Interpreter


@record
class Target:
    """What a resolution targets."""

    markers: dict[str, str]
    tags: tuple[str, ...]
    #: For messages: ``CPython 3.11.7`` or ``Python 3.12 on x86_64-manylinux_2_28``.
    description: str
    #: ``--python-version`` where it is not the interpreter's, as uv says it in explanations
    #: (``>=3.11``: "the requested Python version"), else ``None`` ("the current one").
    requested_python: str | None = None


def parse_python_version(text: str) -> tuple[int, ...]:
    parts = text.strip().split(".")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise UsageError(f"invalid --python-version {text!r}: expected a version such as 3.12 "
                         "or 3.12.1")
    version = tuple(int(p) for p in parts)
    if version < (3, 7):
        raise UsageError(f"--python-version {text} is not supported: pyffin targets Python 3.7+")
    return version


def make_target(interpreter: Interpreter | None, *, python_version: str | None = None,
                python_platform: str | None = None) -> Target:
    """The target of a resolution: ``interpreter``, as changed by the two flags."""
    if python_platform is not None:
        from pyffin.interpreter import tags as tag_module

        if python_version is not None:
            version = parse_python_version(python_version)
        elif interpreter is not None:
            # The interpreter's Python on another platform, micro version included (as uv):
            # Requires-Python ``>=3.11.5`` holds for 3.11.7.
            version = interpreter.version[:3]
        else:
            raise UsageError("--python-platform needs --python-version or an interpreter")
        shown = ".".join(map(str, version))
        return Target(tag_module.target_markers(version, python_platform),
                      tuple(tag_module.target_tags(version, python_platform)),
                      f"Python {shown} on {python_platform}",
                      _requested(interpreter, version if python_version is not None else None))
    if interpreter is None:
        raise UsageError("no interpreter to resolve for")
    if python_version is None:
        return Target(dict(interpreter.markers), interpreter.tags,
                      f"{interpreter.implementation_display} {interpreter.version_str}")
    from pyffin.interpreter import tags as tag_module

    version = parse_python_version(python_version)
    markers = dict(interpreter.markers)
    full = ".".join(map(str, version)) if len(version) == 3 else f"{version[0]}.{version[1]}.0"
    markers["python_version"] = f"{version[0]}.{version[1]}"
    markers["python_full_version"] = full
    # Tags follow the requested version on the interpreter's platform.
    platforms = _platforms(interpreter.tags)
    tags = tag_module.compatible_tags(
        version, interpreter.implementation_name,
        tag_module.cpython_abis(version) if interpreter.implementation_name == "cpython" else [],
        platforms)
    return Target(markers, tuple(tags), f"Python {full}", _requested(interpreter, version))


def _requested(interpreter: Interpreter | None, version: tuple[int, ...] | None) -> str | None:
    """uv's requested Python (``>=3.11``) when ``version`` (``--python-version``) is given and
    is not the interpreter's, both compared as releases without trailing zeros."""
    if version is None:
        return None

    def release(parts: tuple[int, ...]) -> tuple[int, ...]:
        while len(parts) > 1 and parts[-1] == 0:
            parts = parts[:-1]
        return parts

    wanted = release(version)
    if interpreter is not None and release(tuple(interpreter.version[:3])) == wanted:
        return None
    return ">=" + ".".join(map(str, wanted))


def _platforms(tags: tuple[str, ...]) -> list[str]:
    """The platform tags of an interpreter's tag list, in its order."""
    seen: list[str] = []
    for tag in tags:
        platform = tag.rsplit("-", 1)[1]
        if platform != "any" and platform not in seen:
            seen.append(platform)
    return seen
