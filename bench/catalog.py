"""Names, labels and descriptions of the tools and scenarios (shared by runner and report)."""

from __future__ import annotations

from typing import NamedTuple

#: Tools in the order they run within a round and appear in tables.
TOOLS: tuple[str, ...] = ("pip", "uv", "pyffin")

TOOL_LABELS: dict[str, str] = {
    "pip": "pip / pip-tools",
    "uv": "uv",
    "pyffin": "pyffin",
    "python": "python -I -c pass",
}

#: The floor every Python program starts from: ``python -I -c pass`` of the benchmark
#: interpreter, measured beside the tools in the start-up scenario (not a table column).
BASELINE = "python"


class Scenario(NamedTuple):
    label: str
    #: What is timed and what is prepared (untimed) before each run.
    description: str
    #: The pyffin operation it needs ("compile", "install", "sync", "venv").
    operation: str
    #: Counts as a warm scenario for the "10x faster than pip" target.
    warm: bool


SCENARIOS: dict[str, Scenario] = {
    "resolve-warm": Scenario(
        "resolve warm",
        "compile the set's `.in` to a pinned file; the tool's cache is filled by one untimed "
        "warm-up run; the output file is removed before each run",
        "compile",
        True,
    ),
    "resolve-incremental": Scenario(
        "resolve incremental",
        "compile the set's `.in` plus one of its dependencies as a new requirement (another "
        "each run); the tool's cache is filled by one untimed run on the `.in`; the output "
        "file is removed before each run",
        "compile",
        True,
    ),
    "resolve-cold": Scenario(
        "resolve cold",
        "compile the set's `.in`; the tool's cache directory is removed before each run",
        "compile",
        False,
    ),
    "resolve-offline": Scenario(
        "resolve offline",
        "compile the set's `.in` with `--offline`, from a cache filled by one untimed online "
        "run; the output file is removed before each run (pip-compile has no offline mode)",
        "compile",
        True,
    ),
    "install-warm": Scenario(
        "install warm",
        "install the pinned `.txt` into a fresh venv; the cache is filled by one untimed "
        "warm-up install",
        "install",
        True,
    ),
    "install-cold": Scenario(
        "install cold",
        "install the pinned `.txt` into a fresh venv; the cache is removed before each run",
        "install",
        False,
    ),
    "install-cold-resolved": Scenario(
        "install cold, resolve cached",
        "install the pinned `.txt` into a fresh venv; before each run the cache is removed and "
        "then filled by an untimed compile of the same `.txt` (index pages and metadata, no "
        "wheels): what is timed is mostly the install itself (downloading, unzipping, linking)",
        "install",
        False,
    ),
    "noop-install": Scenario(
        "no-op install",
        "install the pinned `.txt` again into a venv that already has all of it",
        "install",
        True,
    ),
    "noop-sync": Scenario(
        "no-op sync",
        "sync a venv that already matches the pinned `.txt` (pip column: pip-sync, whose target "
        "venv must contain pip, so that venv is made with pip)",
        "sync",
        True,
    ),
    "venv": Scenario(
        "create venv",
        "create a venv (pip column: `python -m venv --without-pip`); the directory is removed "
        "before each run; one untimed warm-up",
        "venv",
        False,
    ),
    "startup": Scenario(
        "start-up (--version)",
        "print the tool's version (pip column: `pip --version`); alternating with the tools, "
        "`python -I -c pass` of the benchmark interpreter is timed as the floor a Python "
        "program starts from",
        "version",
        False,
    ),
    "universal-warm": Scenario(
        "resolve universal warm",
        "compile the set's `.in` with `--universal --python-version 3.9`: one file for every "
        "platform and Python 3.9 and later, with markers; warm as *resolve warm* "
        "(pip-compile has no universal mode)",
        "compile",
        True,
    ),
    "universal-cold": Scenario(
        "resolve universal cold",
        "as *resolve universal warm*, with the tool's cache directory removed before each run",
        "compile",
        False,
    ),
    "public-resolve-warm": Scenario(
        "resolve warm (pypi.org)",
        "as *resolve warm*, against https://pypi.org/simple (latest versions, not the pins)",
        "compile",
        True,
    ),
    "public-resolve-cold": Scenario(
        "resolve cold (pypi.org)",
        "as *resolve cold*, against https://pypi.org/simple (latest versions, not the pins)",
        "compile",
        False,
    ),
}

#: Scenarios run on every benchmark set (``venv`` and the public ones are run separately;
#: ``resolve-offline`` only on :data:`OFFLINE_SETS`).
SET_SCENARIOS: tuple[str, ...] = (
    "resolve-warm",
    "resolve-incremental",
    "resolve-cold",
    "resolve-offline",
    "install-warm",
    "install-cold",
    "install-cold-resolved",
    "noop-install",
    "noop-sync",
)
PUBLIC_SCENARIOS: tuple[str, ...] = ("public-resolve-warm", "public-resolve-cold")
#: Universal resolution (issue 17), measured on :data:`UNIVERSAL_SETS` from their own index
#: (see ``run._universal_plan``), for Python :data:`UNIVERSAL_PYTHON` and later.
UNIVERSAL_SCENARIOS: tuple[str, ...] = ("universal-cold", "universal-warm")
UNIVERSAL_SETS: tuple[str, ...] = ("large",)
UNIVERSAL_PYTHON = "3.9"
SCALING_SCENARIOS: tuple[str, ...] = ("resolve-warm", "install-warm")
SCALING_SIZES: tuple[int, ...] = (10, 50, 150)

#: The sets measured offline (issue 18: pyffin was 3-20x uv there).
OFFLINE_SETS: tuple[str, ...] = ("medium", "large")
#: The generated set a resolver must walk back through (``tests/support/stress.py``).
BACKTRACKING_SET = "backtracking"
BACKTRACKING_SCENARIOS: tuple[str, ...] = ("resolve-cold", "resolve-warm", "resolve-offline")
#: Versions of its ``sdk``: the walk tries about 560 of them and 1,120 of ``core`` (real
#: ``boto3`` + ``urllib3<1.25.4``: about 1,400 of each).
BACKTRACKING_SDKS = 700

#: The pseudo set under which venv creation is recorded.
VENV_SET = "venv"
#: The pseudo set under which start-up is recorded.
STARTUP_SET = "startup"
#: ``pyffin --version`` may take at most this many times ``python -I -c pass`` (issue 11).
STARTUP_TARGET = 1.5


def scaling_set(size: int) -> str:
    return f"scale-{size}"


def scaling_size(set_name: str) -> int | None:
    """The package count of a scaling set name, None for other sets."""
    prefix, _, count = set_name.partition("-")
    return int(count) if prefix == "scale" and count.isdigit() else None
