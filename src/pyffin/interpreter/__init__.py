"""Python interpreters: discovery, querying (cached) and their markers and wheel tags.

- :func:`find_interpreter` / :func:`find_environment`: which interpreter a command uses
  (:mod:`pyffin.interpreter.discovery`; :func:`start_find_interpreter` and
  :func:`start_find_environment` start the lookup early when it will likely run the probe);
  :func:`find_build_interpreter`: one of a given Python version to build sources with;
- :func:`interpreter_at`: what an interpreter is, queried once and cached while its executable is
  unchanged (:mod:`pyffin.interpreter.query`);
- :class:`Interpreter`: the record (:mod:`pyffin.interpreter.model`);
- :mod:`pyffin.interpreter.tags`: wheel tags from explicit facts, also for other targets.
"""

from pyffin.interpreter.discovery import (
    PythonRequest,
    announce_environment,
    find_build_interpreter,
    find_environment,
    find_interpreter,
    start_find_environment,
    start_find_interpreter,
)
from pyffin.interpreter.errors import InterpreterError, InterpreterNotFound
from pyffin.interpreter.model import InstallDirectory, Interpreter
from pyffin.interpreter.query import interpreter_at
from pyffin.interpreter.scheme import Scheme

__all__ = [
    "InstallDirectory",
    "Interpreter",
    "InterpreterError",
    "InterpreterNotFound",
    "PythonRequest",
    "Scheme",
    "announce_environment",
    "find_build_interpreter",
    "find_environment",
    "find_interpreter",
    "interpreter_at",
    "start_find_environment",
    "start_find_interpreter",
]
