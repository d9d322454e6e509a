"""What users ask for: requirements files, ``pyproject.toml`` dependencies, constraints,
overrides and command-line requirements, read as pip (and ``uv pip``) read them into typed records
for the resolver and the installer.

* :func:`read_requirements` merges every source of a command into a :class:`RequirementsSpec`;
* :func:`parse_requirements_file` reads one requirements file;
* :func:`parse_requirement` reads one requirement string (a command-line argument);
* :class:`GroupSelection` selects PEP 735 dependency groups (:mod:`pyffin.requirements.groups`);
  PEP 723 scripts are read by :mod:`pyffin.requirements.script`.

The file format is described in :mod:`pyffin.requirements.txt`, the single-line forms in
:mod:`pyffin.requirements.requirement`. Bad input raises :class:`RequirementsError` naming the
file and line; valid input pyffin cannot handle yet raises
:class:`~pyffin.errors.NotSupportedError`.
"""

from pyffin.requirements.errors import RequirementsError
from pyffin.requirements.read import parse_requirements_file, read_requirements
from pyffin.requirements.requirement import parse_requirement
from pyffin.requirements.types import (
    COMMAND_LINE,
    STDIN,
    GroupSelection,
    Location,
    RequirementEntry,
    RequirementsSpec,
)

__all__ = [
    "COMMAND_LINE",
    "STDIN",
    "GroupSelection",
    "Location",
    "RequirementEntry",
    "RequirementsError",
    "RequirementsSpec",
    "parse_requirement",
    "parse_requirements_file",
    "read_requirements",
]
