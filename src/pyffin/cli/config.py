"""Flags and their configuration twins.

Every option named in :data:`pyffin.settings.SETTINGS` is bound the same way, whatever command
defines it: its help gets an ``[env: PYFFIN_X]`` note and, when the command line does not give
it, its value comes from the environment or a configuration file
(:class:`pyffin.settings.Configuration`), else from the default the command declared. The index
settings are the exception: they stay unset here and the session merges them with the
requirements files' own options, which sit between the environment and the files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyffin import log
from pyffin.settings import SETTINGS, Setting

if TYPE_CHECKING:
    import argparse

    from pyffin.settings import Configuration

_BY_OPTION = {setting.option: setting for setting in SETTINGS if setting.flag}

def by_option() -> dict[str, Setting]:
    """The settings with a flag, by their option (``--index-url``)."""
    return _BY_OPTION


#: ``dest -> (setting, the default the command declared)``.
Bound = dict[str, tuple[Setting, Any]]


def bind(parser: argparse.ArgumentParser) -> Bound:
    """Note the environment twin of every table option of ``parser`` in its help, and make the
    option's default ``None`` ("not given") so :func:`apply` can fill it in."""
    import argparse

    bound: Bound = {}
    for action in parser._actions:
        setting = next((_BY_OPTION[s] for s in action.option_strings if s in _BY_OPTION), None)
        if setting is None:
            continue
        bound[action.dest] = (setting, action.default)
        action.default = None
        if action.help and action.help is not argparse.SUPPRESS:
            action.help += f" [env: {setting.env}]"
    return bound


def apply(args: argparse.Namespace, bound: Bound, configuration: Configuration) -> None:
    """Fill in the options the command line left unset, from ``configuration`` or the
    command's default; ``args.setting_origins`` says which came from where."""
    origins: dict[str, str] = {}
    for dest, (setting, default) in bound.items():
        if getattr(args, dest) is not None:
            continue
        found = None if setting.index else configuration.get(setting.key)
        if found is None:
            setattr(args, dest, default)
            continue
        value = found.value
        if isinstance(default, list) and not isinstance(value, list):
            value = [value]
        setattr(args, dest, value)
        origins[dest] = found.origin
        log.debug(f"Using {setting.key} {_shown(value)} from {found.origin}")
    args.setting_origins = origins


def _shown(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    return " ".join(_redacted(v) if isinstance(v, str) and "@" in v else str(v) for v in values)


def _redacted(text: str) -> str:
    from pyffin.models.urls import redact

    return redact(text)
