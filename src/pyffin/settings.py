"""Where settings come from, in order of precedence:

1. command-line flags (and ``PYFFIN_*`` environment variables, their twins);
2. options inside the requirements files being read (``-i``, ``--extra-index-url``, ``-f``,
   ``--no-index``);
3. ``pyffin.toml`` or ``[tool.pyffin]`` in ``pyproject.toml`` (the nearest of the current
   directory and its parents), then the user's ``~/.config/pyffin/pyffin.toml``;
4. **pip's own configuration**: ``PIP_INDEX_URL``, ``PIP_EXTRA_INDEX_URL``, ``PIP_FIND_LINKS``,
   ``PIP_NO_INDEX``, ``PIP_CERT`` and the ``pip.conf`` files pip reads (``[global]`` then
   ``[install]``; ``PIP_CONFIG_FILE``, and ``PIP_CONFIG_FILE=/dev/null`` to read none), so a pip
   user's setup works unchanged.

``--no-config`` (or ``PYFFIN_NO_CONFIG=1``) ignores every configuration file, pyffin's and pip's;
environment variables still apply. A value set at a higher level replaces, never merges with, the
same setting below it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyffin.errors import UsageError
from pyffin.records import record

#: Settings pyffin reads from configuration; each maps to the flag of the same name.
INDEX_KEYS = ("index-url", "extra-index-url", "find-links", "no-index", "index-strategy")
_PYFFIN_KEYS = frozenset({*INDEX_KEYS, "cert"})
#: pip's site-wide configuration file on POSIX systems (a constant so tests can move it).
GLOBAL_PIP_CONF = Path("/etc/pip.conf")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(UsageError):
    """A configuration file or variable is invalid."""


@record
class IndexSettings:
    """Index options as given at one level; ``None`` means "not set here"."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] | None = None
    find_links: tuple[str, ...] | None = None
    no_index: bool | None = None
    index_strategy: str | None = None
    cert: str | None = None

    def over(self, lower: IndexSettings) -> IndexSettings:
        """These settings, with what is unset here taken from ``lower``."""
        return IndexSettings(*(
            mine if mine is not None else theirs
            for mine, theirs in zip(_values(self), _values(lower), strict=True)
        ))


def _values(settings: IndexSettings) -> tuple[Any, ...]:
    return (settings.index_url, settings.extra_index_urls, settings.find_links,
            settings.no_index, settings.index_strategy, settings.cert)


def _bool(value: str, where: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"invalid boolean {value!r} in {where} (expected true or false)")


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split())


def from_environment(environ: Mapping[str, str], prefix: str) -> IndexSettings:
    """``<PREFIX>INDEX_URL`` and friends (``PYFFIN_`` or ``PIP_``); lists are
    whitespace-separated."""

    def get(key: str) -> str | None:
        value = environ.get(prefix + key)
        return value if value is not None and value.strip() != "" else None

    no_index = get("NO_INDEX")
    extra = get("EXTRA_INDEX_URL")
    find_links = get("FIND_LINKS")
    return IndexSettings(
        index_url=get("INDEX_URL"),
        extra_index_urls=_split(extra) if extra else None,
        find_links=_split(find_links) if find_links else None,
        no_index=_bool(no_index, prefix + "NO_INDEX") if no_index else None,
        index_strategy=get("INDEX_STRATEGY") if prefix == "PYFFIN_" else None,
        cert=get("CERT") if prefix == "PIP_" else None,
    )


# ------------------------------------------------------------------------ numeric variables
#: ``PYFFIN_MAX_PAGE_BYTES``: the most bytes an index page, a metadata file or any other
#: response read into memory may decode to (gzip included). Real pages stay below a few tens
#: of MB; the bound stops a hostile or broken server (a gzip bomb) long before memory runs out.
MAX_PAGE_BYTES_ENV = "PYFFIN_MAX_PAGE_BYTES"
DEFAULT_MAX_PAGE_BYTES = 256 * 1024 * 1024


def env_number(name: str, default: float, *, integer: bool = False,
               environ: Mapping[str, str] | None = None) -> float:
    """The non-negative number in the environment variable ``name`` (``default`` when unset
    or empty); :class:`ConfigError` naming the variable when it is not one."""
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigError(f"invalid value for {name}: {raw!r} (expected a number)") from None
    if value < 0 or value != value:  # NaN
        raise ConfigError(f"invalid value for {name}: {raw!r} (must not be negative)")
    return value


def max_page_bytes(environ: Mapping[str, str] | None = None) -> int:
    """``PYFFIN_MAX_PAGE_BYTES`` (0 or unset: the default)."""
    value = int(env_number(MAX_PAGE_BYTES_ENV, DEFAULT_MAX_PAGE_BYTES, integer=True,
                           environ=environ))
    return value or DEFAULT_MAX_PAGE_BYTES


# ----------------------------------------------------------------------------- pyffin files
def find_project_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``pyffin.toml``, or ``pyproject.toml`` with a ``[tool.pyffin]`` table."""
    for directory in (start, *start.parents):
        candidate = directory / "pyffin.toml"
        if candidate.is_file():
            return candidate, _load_toml(candidate)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            data = _load_toml(pyproject)
            table = data.get("tool", {}).get("pyffin")
            if isinstance(table, dict):
                return pyproject, table
    return None


def user_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "pyffin" / "pyffin.toml"


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read the configuration file {path}: {e}") from e


def from_pyffin_table(table: Mapping[str, Any], where: str) -> IndexSettings:
    """Index settings of a ``pyffin.toml`` / ``[tool.pyffin]`` table (or its ``[pip]``
    sub-table, which wins over the top level, as in uv)."""
    merged: dict[str, Any] = {}
    for scope in (table, table.get("pip", {})):
        if not isinstance(scope, dict):
            raise ConfigError(f"invalid [pip] table in {where}: expected a table")
        for key, value in scope.items():
            if key == "pip" and scope is table:
                continue
            if key not in _PYFFIN_KEYS:
                known = ", ".join(sorted(_PYFFIN_KEYS))
                raise ConfigError(f"unknown setting {key!r} in {where} (known: {known})")
            merged[key] = value

    def string(key: str) -> str | None:
        value = merged.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"invalid {key!r} in {where}: expected a string")
        return value

    def strings(key: str) -> tuple[str, ...] | None:
        value = merged.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"invalid {key!r} in {where}: expected a list of strings")
        return tuple(value)

    no_index = merged.get("no-index")
    if no_index is not None and not isinstance(no_index, bool):
        raise ConfigError(f"invalid 'no-index' in {where}: expected true or false")
    return IndexSettings(
        index_url=string("index-url"),
        extra_index_urls=strings("extra-index-url"),
        find_links=strings("find-links"),
        no_index=no_index,
        index_strategy=string("index-strategy"),
        cert=string("cert"),
    )


# -------------------------------------------------------------------------------- pip files
def pip_config_files(environ: Mapping[str, str]) -> list[Path]:
    """The ``pip.conf`` files pip would read, lowest precedence first."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    home = os.path.expanduser("~")
    files: list[Path] = []
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        program_data = environ.get("PROGRAMDATA", r"C:\ProgramData")
        files.append(Path(program_data, "pip", "pip.ini"))
        user = [Path(home, "pip", "pip.ini"),
                Path(environ.get("APPDATA", home), "pip", "pip.ini")]
    else:
        xdg_dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        files.extend(Path(d, "pip", "pip.conf") for d in xdg_dirs.split(os.pathsep) if d)
        files.append(GLOBAL_PIP_CONF)
        config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        user = [Path(home, ".pip", "pip.conf"), Path(config_home, "pip", "pip.conf")]
        if sys.platform == "darwin":
            user.append(Path(home, "Library", "Application Support", "pip", "pip.conf"))
    if not (env_file and os.path.exists(env_file)):
        files.extend(user)
    virtual_env = environ.get("VIRTUAL_ENV")
    if virtual_env:
        files.append(Path(virtual_env, "pip.ini" if sys.platform == "win32" else "pip.conf"))
    if env_file:
        files.append(Path(env_file))
    return files


def from_pip_files(paths: Sequence[Path]) -> IndexSettings:
    """Index settings from pip configuration files (later files win; ``[install]`` wins over
    ``[global]`` within a file)."""
    result = IndexSettings()
    for path in paths:
        if not path.is_file():
            continue
        import configparser

        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot parse pip's configuration file {path}: {e}") from e
        for section in ("global", "install"):
            if not parser.has_section(section):
                continue
            values = dict(parser.items(section))

            def get(key: str, values: dict[str, str] = values) -> str | None:
                value = values.get(key)
                return value.strip() if value is not None and value.strip() else None

            extra = get("extra-index-url")
            find_links = get("find-links")
            no_index = get("no-index")
            where = f"{path} [{section}]"
            result = IndexSettings(
                index_url=get("index-url"),
                extra_index_urls=_split(extra) if extra else None,
                find_links=_split(find_links) if find_links else None,
                no_index=_bool(no_index, f"no-index in {where}") if no_index else None,
                cert=get("cert"),
            ).over(result)
    return result


# ----------------------------------------------------------------------------------- resolve
def resolve_index_settings(
    flags: IndexSettings,
    *,
    requirements: IndexSettings | None = None,
    no_config: bool = False,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> IndexSettings:
    """Merge every level (see the module docstring) into one :class:`IndexSettings`."""
    env = os.environ if environ is None else environ
    no_config = no_config or _bool(env.get("PYFFIN_NO_CONFIG", ""), "PYFFIN_NO_CONFIG")
    result = flags.over(from_environment(env, "PYFFIN_"))
    if requirements is not None:
        result = result.over(requirements)
    if not no_config:
        project = find_project_config(cwd or Path.cwd())
        if project is not None:
            result = result.over(from_pyffin_table(project[1], str(project[0])))
        user = user_config_path(env)
        if user.is_file():
            result = result.over(from_pyffin_table(_load_toml(user), str(user)))
    result = result.over(from_environment(env, "PIP_"))
    if not no_config:
        result = result.over(from_pip_files(pip_config_files(env)))
    return result
