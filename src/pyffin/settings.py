"""Where settings come from: one table (:data:`SETTINGS`) names every configurable option once —
its flag ``--KEY``, its environment twin ``PYFFIN_KEY``, its key in ``pyffin.toml`` /
``[tool.pyffin]`` and its type — and :class:`Configuration` reads every level of it.

In order of precedence:

1. command-line flags;
2. ``PYFFIN_*`` environment variables;
3. for the index settings only: the options inside the requirements files being read (``-i``,
   ``--extra-index-url``, ``-f``, ``--no-index``, ``--trusted-host``);
4. ``pyffin.toml`` or ``[tool.pyffin]`` in ``pyproject.toml`` (the nearest of the current
   directory and its parents), then the user's ``~/.config/pyffin/pyffin.toml``. Keys go at the
   top level or in a ``[pip]`` table, which wins (as in uv's ``uv.toml``);
5. **pip's own configuration**, for the settings pip has too (index URLs, find-links,
   ``no-index``, ``cert``, ``trusted-host``, ``keyring-provider``, ``constraint``): ``PIP_*``
   variables, then the ``pip.conf`` files pip reads (``[global]`` then ``[install]``;
   ``PIP_CONFIG_FILE``, and ``PIP_CONFIG_FILE=/dev/null`` to read none), so a pip user's setup
   works unchanged.

``--no-config`` (or ``PYFFIN_NO_CONFIG=1``) ignores every configuration file, pyffin's and pip's;
environment variables still apply. A value set at a higher level replaces, never merges with, the
same setting below it. A bad environment variable is a usage error; a configuration file is only
read for settings, so a file that cannot be parsed, an unknown key or a bad value is a warning
(naming the file and the problem) and the rest is used.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyffin import log
from pyffin.errors import UsageError
from pyffin.models.names import is_valid_name
from pyffin.models.torch import MODES as TORCH_MODES
from pyffin.records import record

#: pip's site-wide configuration file on POSIX systems (a constant so tests can move it).
GLOBAL_PIP_CONF = Path("/etc/pip.conf")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
#: Between project names (compiled by ``re`` when first used: most commands never are).
_LIST_SEPARATORS = r"[,\s]+"


#: Keys of ``[tool.pyffin]`` that describe the project, not settings of a command
#: (``cache-keys``: see :mod:`pyffin.distribution.cache_keys`).
PROJECT_KEYS = frozenset({"cache-keys"})


class ConfigError(UsageError):
    """A configuration file or variable is invalid."""


if TYPE_CHECKING:
    from typing import Literal

    #: How a setting's value is written: ``bool`` (``1/true/yes/on``, ``0/false/no/off``),
    #: ``string``, ``choice`` (one of :attr:`Setting.choices`), ``list`` (whitespace-separated in a
    #: variable, a list in TOML), ``names`` (project names, comma- or space-separated),
    #: ``binary`` (names, ``:all:`` or ``:none:``, as pip's ``--only-binary``) and ``markers``
    #: (PEP 508 markers: ``;``-separated in a variable, a list in TOML).
    Kind = Literal["bool", "string", "choice", "list", "names", "binary", "markers"]


@record
class Setting:
    """One configurable option."""

    key: str
    kind: Kind
    #: One line for the README's table.
    summary: str
    choices: tuple[str, ...] = ()
    #: pip's configuration has it too (``PIP_<KEY>`` and ``pip.conf``).
    pip: bool = False
    #: An index setting: merged with the requirements files' own options (by the session).
    index: bool = False
    #: Relative paths given in a pyffin configuration file are taken from the file's directory.
    paths: bool = False
    #: Whether ``--KEY`` exists.
    flag: bool = True
    #: pip's name for it, when pip's differs (``trusted-host`` for ``allow-insecure-host``).
    pip_key: str | None = None
    #: Values pip's configuration may hold that mean one of ours (pip's value, ours).
    pip_values: tuple[tuple[str, str], ...] = ()

    @property
    def option(self) -> str:
        return "--" + self.key

    @property
    def env(self) -> str:
        return "PYFFIN_" + self.key.upper().replace("-", "_")

    @property
    def pip_name(self) -> str:
        """The key in ``pip.conf``."""
        return self.pip_key or self.key

    @property
    def pip_env(self) -> str:
        return "PIP_" + self.pip_name.upper().replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    # index
    Setting("index-url", "string", "the package index", pip=True, index=True),
    Setting("extra-index-url", "list", "extra package indexes", pip=True, index=True),
    Setting("find-links", "list", "directories or pages of links to distributions", pip=True,
            index=True, paths=True),
    Setting("no-index", "bool", "ignore every index", pip=True, index=True),
    Setting("index-strategy", "choice", "which indexes a project's versions come from",
            choices=("first-index", "unsafe-first-match", "unsafe-best-match"), index=True),
    Setting("cert", "string", "CA bundle for HTTPS, instead of the system's trust store",
            pip=True, index=True, paths=True),
    Setting("allow-insecure-host", "list", "hosts (`HOST[:PORT]`) whose HTTPS certificates are "
            "not verified", pip=True, pip_key="trusted-host", index=True),
    Setting("keyring-provider", "choice", "ask the `keyring` command for credentials",
            choices=("disabled", "subprocess"), pip=True, index=True,
            pip_values=(("auto", "subprocess"), ("import", "subprocess"))),
    Setting("torch-backend", "choice", "take PyTorch's projects from PyTorch's index for this "
            "backend (`cpu`, `cu128`, `rocm6.4`, `xpu`...; `auto`: the machine's GPU; the "
            "flag: compile, install, sync)", choices=TORCH_MODES, index=True),
    # inputs
    Setting("constraint", "list", "constraints files", pip=True, paths=True),
    Setting("override", "list", "overrides files", paths=True),
    Setting("exclude", "list", "excludes files: projects the resolution leaves out (compile, "
            "install)", paths=True),
    # resolution
    Setting("resolution", "choice", "which versions to prefer",
            choices=("highest", "lowest", "lowest-direct")),
    Setting("prerelease", "choice", "when to consider pre-releases",
            choices=("disallow", "allow", "if-necessary", "explicit",
                     "if-necessary-or-explicit")),
    Setting("exclude-newer", "string", "ignore files uploaded after this date"),
    Setting("only-binary", "binary", "use only wheels for these packages"),
    Setting("no-binary", "binary", "use only source distributions for these packages"),
    Setting("no-build", "bool", "never build source distributions"),
    Setting("no-build-isolation", "bool", "build in the target environment"),
    Setting("no-build-isolation-package", "names", "build these packages in the target "
            "environment"),
    Setting("config-settings-package", "list", "`PACKAGE:KEY=VALUE` settings for one "
            "package's build backend (added to `-C`'s)"),
    Setting("build-constraints", "list", "constraints files for the build dependencies of "
            "source distributions", pip=True, paths=True, pip_key="build-constraint"),
    Setting("require-build-hashes", "bool", "require a hash in the build constraints for "
            "every build dependency"),
    Setting("universal", "bool", "resolve for every platform and Python version (compile)"),
    Setting("fork-strategy", "choice", "with --universal, the newest version for each Python "
            "version, or the fewest versions", choices=("fewest", "requires-python")),
    Setting("environments", "markers", "with --universal, the only environments to resolve "
            "for (the flag is repeatable, also spelled `--environment`)"),
    Setting("required-environments", "markers", "with --universal, environments every "
            "version without a source distribution must have a wheel for (repeatable, also "
            "`--required-environment`)"),
    # environment
    Setting("python", "string", "the interpreter or environment to use"),
    Setting("python-preference", "choice", "uv's: which interpreters to prefer (pyffin has "
            "no managed ones: only-managed is an error)",
            choices=("only-managed", "managed", "system", "only-system")),
    Setting("system", "bool", "use the system interpreter"),
    Setting("break-system-packages", "bool", "allow changing an EXTERNALLY-MANAGED interpreter"),
    Setting("target", "string", "install into (and read) this directory instead of an "
            "environment", paths=True),
    Setting("prefix", "string", "install into (and read) this directory laid out as a virtual "
            "environment", paths=True),
    # installer
    Setting("link-mode", "choice", "how files get from the cache into the environment",
            choices=("hardlink", "copy", "clone", "symlink")),
    Setting("compile-bytecode", "bool", "compile .py files after installing"),
    Setting("require-hashes", "bool", "require a --hash for every requirement"),
    Setting("no-verify-hashes", "bool", "ignore the --hash values of requirements: only "
            "--require-hashes enters hash-checking mode (install, sync)"),
    Setting("no-editable", "bool", "install editable requirements as the projects' wheels "
            "(install)"),
    Setting("allow-empty-requirements", "bool", "let sync of no requirements empty the "
            "environment"),
    # compile output
    Setting("generate-hashes", "bool", "write --hash lines"),
    Setting("annotation-style", "choice", "how to write '# via' annotations",
            choices=("split", "line")),
    Setting("no-annotate", "bool", "leave out '# via' annotations"),
    Setting("no-header", "bool", "leave out the header"),
    Setting("emit-index-url", "bool", "write --index-url lines"),
    Setting("emit-find-links", "bool", "write --find-links lines"),
    Setting("no-emit-package", "names", "leave these packages out of the output"),
    Setting("custom-compile-command", "string", "the command shown in the header"),
    # cache and network
    Setting("cache-dir", "string", "the cache directory", paths=True),
    Setting("no-cache", "bool", "use a temporary cache"),
    Setting("offline", "bool", "never use the network"),
    Setting("no-progress", "bool", "hide progress bars"),
)

BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}
#: The settings pip has too, by their name in ``pip.conf``.
BY_PIP_KEY: dict[str, Setting] = {setting.pip_name: setting for setting in SETTINGS if setting.pip}


@record
class Found:
    """A setting's value and where it came from (a variable's name or a file's path)."""

    value: Any
    origin: str


@record
class IndexSettings:
    """Index options as given at one level; ``None`` means "not set here"."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] | None = None
    find_links: tuple[str, ...] | None = None
    no_index: bool | None = None
    index_strategy: str | None = None
    cert: str | None = None
    allow_insecure_host: tuple[str, ...] | None = None
    keyring_provider: str | None = None
    torch_backend: str | None = None

    def over(self, lower: IndexSettings) -> IndexSettings:
        """These settings, with what is unset here taken from ``lower``."""
        return IndexSettings(*(
            mine if mine is not None else theirs
            for mine, theirs in zip(_values(self), _values(lower), strict=True)
        ))


#: The :class:`IndexSettings` field of each index setting.
_INDEX_FIELDS = {"index-url": "index_url", "extra-index-url": "extra_index_urls",
                 "find-links": "find_links", "no-index": "no_index",
                 "index-strategy": "index_strategy", "cert": "cert",
                 "allow-insecure-host": "allow_insecure_host",
                 "keyring-provider": "keyring_provider", "torch-backend": "torch_backend"}
#: The same, public: the option (without ``--``) of each :class:`IndexSettings` field.
INDEX_FIELDS: Mapping[str, str] = _INDEX_FIELDS


def _values(settings: IndexSettings) -> tuple[Any, ...]:
    return tuple(getattr(settings, field) for field in _INDEX_FIELDS.values())


# ------------------------------------------------------------------------------------ values
def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"invalid boolean {value!r} (expected true or false)")


def parse_names(value: str, *, binary: bool = False) -> list[str]:
    """Project names separated by commas or spaces (pip's ``--only-binary six,idna``);
    ``binary`` also admits ``:all:`` and ``:none:``. ``ValueError`` names a bad one."""
    names = [name for name in re.split(_LIST_SEPARATORS, value) if name]
    for name in names:
        if binary and name in (":all:", ":none:"):
            continue
        if not is_valid_name(name):
            expected = " (or :all:, :none:)" if binary else ""
            raise ValueError(f"{name!r} is not a valid package name{expected}")
    return names


def from_string(setting: Setting, text: str) -> Any:
    """The value of ``setting`` written as a string (a variable, a ``pip.conf`` entry);
    ``ValueError`` says what is wrong with it."""
    kind = setting.kind
    if kind == "bool":
        return parse_bool(text)
    if kind == "list":
        return text.split()
    if kind == "markers":
        return [marker.strip() for marker in text.split(";") if marker.strip()]
    if kind in ("names", "binary"):
        return parse_names(text, binary=kind == "binary")
    text = text.strip()
    if kind == "choice" and text not in setting.choices:
        raise ValueError(f"invalid value {text!r} (expected one of: "
                         f"{', '.join(setting.choices)})")
    return text


def from_pip_string(setting: Setting, text: str) -> Any:
    """The value of ``setting`` as pip's configuration writes it: pip's own words for a choice
    are taken as ours (``keyring-provider = auto`` is pyffin's ``subprocess``)."""
    if setting.pip_values:
        text = dict(setting.pip_values).get(text.strip(), text)
    return from_string(setting, text)


def from_toml(setting: Setting, value: object) -> Any:
    """The value of ``setting`` as a TOML file gives it; ``ValueError`` if it has the wrong
    type."""
    kind = setting.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if kind in ("list", "names", "binary", "markers"):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise ValueError("expected a string or a list of strings")
        if kind in ("list", "markers"):
            return list(items)
        return [name for item in items for name in parse_names(item, binary=kind == "binary")]
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return from_string(setting, value)


def _relative_to(base: Path, value: Any) -> Any:
    """Relative paths of a pyffin configuration file, taken from the file's directory."""
    if isinstance(value, list):
        return [_relative_to(base, v) for v in value]
    if isinstance(value, str) and "://" not in value and not os.path.isabs(
            os.path.expanduser(value)):
        return os.path.normpath(base / value)
    return value


# ----------------------------------------------------------------------------- configuration
Layer = dict[str, Found]


class Configuration:
    """Every level of configuration below the flags, each read the first time a setting is
    looked up there: ``PYFFIN_*`` variables, the project's and the user's pyffin file, ``PIP_*``
    variables and ``pip.conf`` files."""

    def __init__(self, *, no_config: bool = False, cwd: Path | None = None,
                 environ: Mapping[str, str] | None = None,
                 config_file: str | os.PathLike[str] | None = None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        #: ``--config-file``: read this file instead of looking for pyffin's (as uv's
        #: ``--config-file``); it is read even with ``no_config``, which still drops pip's.
        self.config_file = Path(config_file) if config_file is not None else None
        try:
            no_config = no_config or parse_bool(self.environ.get("PYFFIN_NO_CONFIG", ""))
        except ValueError as e:
            raise ConfigError(f"invalid value for PYFFIN_NO_CONFIG: {e}") from None
        self.no_config = no_config
        self.cwd = cwd
        self._loaded: dict[str, Layer] = {}
        #: Where each index setting of the last :meth:`index_settings` came from.
        self.index_origins: dict[str, Found] = {}
        if self.config_file is not None:  # named by the user: a bad one fails right away
            self._layer("file", self._explicit_file)

    def files(self) -> list[Path]:
        """Every file whose presence or content can change what this configuration says, there
        or not (for answers remembered across runs): the ``--config-file``, or else the
        ``pyffin.toml`` and ``pyproject.toml`` of the working directory and of each parent and
        the user's ``pyffin.toml``; and pip's configuration files."""
        files: list[Path] = []
        if self.config_file is not None:
            files.append(self.config_file.absolute())
        elif not self.no_config:
            start = self.cwd if self.cwd is not None else Path.cwd()
            for directory in (start, *start.parents):
                files += [directory / "pyffin.toml", directory / "pyproject.toml"]
            files.append(user_config_path(self.environ))
        if not self.no_config:
            files += pip_config_files(self.environ)
        return files

    def get(self, key: str) -> Found | None:
        """The value of the setting ``key`` at the highest level that sets it."""
        for layer in self._layers(BY_KEY[key]):
            found = layer.get(key)
            if found is not None:
                return found
        return None

    def index_settings(self, flags: IndexSettings,
                       requirements: IndexSettings | None = None) -> IndexSettings:
        """The index settings of every level merged, the requirements files' own options below
        the flags and ``PYFFIN_*`` variables. :attr:`index_origins` says where each came from."""
        values: dict[str, Any] = {}
        self.index_origins = {}
        for key, field in _INDEX_FIELDS.items():
            setting = BY_KEY[key]
            value = getattr(flags, field)
            origin = setting.option
            if value is None:
                found = self._lookup(setting, requirements, field)
                if found is not None:
                    value, origin = found.value, found.origin
            if value is not None:
                values[field] = tuple(value) if isinstance(value, list) else value
                self.index_origins[key] = Found(values[field], origin)
        return IndexSettings(**values)

    def _lookup(self, setting: Setting, requirements: IndexSettings | None,
                field: str) -> Found | None:
        layers = self._layers(setting)
        found = next(layers).get(setting.key)  # the PYFFIN_* variables
        if found is not None:
            return found
        value = getattr(requirements, field) if requirements is not None else None
        if value is not None:
            return Found(value, "the requirements files")
        for layer in layers:
            found = layer.get(setting.key)
            if found is not None:
                return found
        return None

    def _layers(self, setting: Setting) -> Iterator[Layer]:
        yield self._layer("env", self._environment)
        if self.config_file is not None:
            yield self._layer("file", self._explicit_file)
        elif not self.no_config:
            yield self._layer("project", self._project)
            yield self._layer("user", self._user)
        if setting.pip:
            yield self._layer("pip-env", self._pip_environment)
            if not self.no_config:
                yield self._layer("pip-files", self._pip_files)

    def _layer(self, name: str, load: Callable[[], Layer]) -> Layer:
        layer = self._loaded.get(name)
        if layer is None:
            layer = self._loaded[name] = load()
        return layer

    # ------------------------------------------------------------------------------ levels
    def _environment(self) -> Layer:
        return self._variables(SETTINGS, lambda s: s.env, from_string)

    def _pip_environment(self) -> Layer:
        return self._variables([s for s in SETTINGS if s.pip], lambda s: s.pip_env,
                               from_pip_string)

    def _variables(self, settings: Sequence[Setting], name_of: Callable[[Setting], str],
                   parse: Callable[[Setting, str], Any]) -> Layer:
        layer: Layer = {}
        for setting in settings:
            name = name_of(setting)
            text = self.environ.get(name)
            if text is None or text.strip() == "":
                continue
            try:
                layer[setting.key] = Found(parse(setting, text), name)
            except ValueError as e:
                raise ConfigError(f"invalid value for {name}: {e}") from None
        return layer

    def _project(self) -> Layer:
        start = self.cwd
        if start is None:
            try:
                start = Path.cwd()
            except OSError:  # the working directory was removed: no project around it
                return {}
        found = find_project_config(start)
        return _table_layer(*found) if found is not None else {}

    def _user(self) -> Layer:
        path = user_config_path(self.environ)
        if not path.is_file():
            return {}
        data = _read_toml(path)
        return _table_layer(path, data) if data is not None else {}

    def _explicit_file(self) -> Layer:
        """The file ``--config-file`` names: unlike a file found by looking around, one that
        is missing or cannot be parsed is an error (unknown keys and bad values still only
        warn)."""
        assert self.config_file is not None
        path = self.config_file
        from pyffin import toml

        try:
            data = toml.loads(path.read_bytes().decode("utf-8"))
        except OSError as e:
            raise ConfigError(f"cannot read the configuration file {path} (--config-file): "
                              f"{e.strerror or e}") from None
        except (UnicodeDecodeError, toml.TOMLDecodeError) as e:
            raise ConfigError(f"the configuration file {path} (--config-file) is not valid "
                              f"TOML: {e}") from None
        if path.name == "pyproject.toml":
            tool = data.get("tool")
            table = tool.get("pyffin") if isinstance(tool, dict) else None
            data = table if isinstance(table, dict) else {}
        return _table_layer(path.absolute(), data)

    def _pip_files(self) -> Layer:
        return read_pip_files(pip_config_files(self.environ))


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


def concurrent_downloads(environ: Mapping[str, str] | None = None) -> int:
    """``PYFFIN_CONCURRENT_DOWNLOADS`` (default 50): the most requests in flight at once, and
    threads of the I/O pool that makes them (which starts more than
    :data:`~pyffin.futures.EAGER_THREADS` only while the CPU waits, see
    :class:`~pyffin.futures.ThreadPool`)."""
    value = int(env_number("PYFFIN_CONCURRENT_DOWNLOADS", 50, integer=True, environ=environ))
    if value < 1:
        raise ConfigError("invalid value for PYFFIN_CONCURRENT_DOWNLOADS: must be at least 1")
    return value


# ----------------------------------------------------------------------------- pyffin files
def find_project_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``pyffin.toml``, or ``pyproject.toml`` with a ``[tool.pyffin]`` table; a file
    that cannot be read is skipped with a warning."""
    for directory in (start, *start.parents):
        candidate = directory / "pyffin.toml"
        if candidate.is_file():
            data = _read_toml(candidate)
            if data is not None:
                return candidate, data
        pyproject = directory / "pyproject.toml"
        try:
            raw = pyproject.read_bytes()
        except OSError:  # absent (the usual case), a directory, unreadable
            continue
        # Most projects' pyproject.toml has no pyffin table: no need to parse those.
        if b"pyffin" not in raw:
            continue
        data = _read_toml(pyproject, raw)
        tool = data.get("tool") if data is not None else None
        table = tool.get("pyffin") if isinstance(tool, dict) else None
        if isinstance(table, dict):
            return pyproject, table
        if table is not None:
            log.warn_once(f"Ignoring [tool.pyffin] in {pyproject}: it is not a table")
    return None


def user_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "pyffin" / "pyffin.toml"


def _read_toml(path: Path, raw: bytes | None = None) -> dict[str, Any] | None:
    """A TOML file's table; ``None`` (and a warning) when it cannot be read."""
    from pyffin import toml

    try:
        if raw is None:
            raw = path.read_bytes()
        return toml.loads(raw.decode("utf-8"))
    except OSError as e:
        problem = e.strerror or str(e)
    except (UnicodeDecodeError, toml.TOMLDecodeError) as e:
        problem = str(e)
    log.warn_once(f"Ignoring the configuration file {path}: {problem}")
    return None


def _table_layer(path: Path, table: Mapping[str, Any]) -> Layer:
    """The settings of a ``pyffin.toml`` / ``[tool.pyffin]`` table; its ``[pip]`` table wins over
    the top level. Unknown keys and bad values are warned about and skipped."""
    layer: Layer = {}
    pip = table.get("pip", {})
    if not isinstance(pip, dict):
        log.warn_once(f"Ignoring 'pip' in {path}: expected a table")
        pip = {}
    for scope in (table, pip):
        for key, value in scope.items():
            if key == "pip" and scope is table:
                continue
            if key in PROJECT_KEYS and scope is table:
                continue  # a project's own, read when it is built
            setting = BY_KEY.get(key)
            if setting is None:
                log.warn_once(f"Ignoring the unknown setting {key!r} in {path}"
                              f"{_did_you_mean(key, BY_KEY)}")
                continue
            try:
                parsed = from_toml(setting, value)
            except ValueError as e:
                log.warn_once(f"Ignoring {key!r} in {path}: {e}")
                continue
            if setting.paths:
                parsed = _relative_to(path.parent, parsed)
            layer[key] = Found(parsed, str(path))
    return layer


def _did_you_mean(word: str, choices: Mapping[str, object] | Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


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


def read_pip_files(paths: Sequence[Path]) -> Layer:
    """The settings pip shares with pyffin, from pip configuration files (later files win;
    ``[install]`` wins over ``[global]`` within a file). Values are taken as pip takes them:
    lists are whitespace-separated, relative paths are the current directory's."""
    layer: Layer = {}
    for path in paths:
        if not path.is_file():
            continue
        import configparser

        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as e:
            log.warn_once(f"Ignoring pip's configuration file {path}: {e}")
            continue
        for section in ("global", "install"):
            if not parser.has_section(section):
                continue
            where = f"{path} [{section}]"
            for key, text in parser.items(section):
                setting = BY_PIP_KEY.get(key)
                if setting is None or not text.strip():
                    continue
                try:
                    layer[setting.key] = Found(from_pip_string(setting, text), where)
                except ValueError as e:
                    log.warn_once(f"Ignoring {key} in {where}: {e}")
    return layer


# ----------------------------------------------------------------------------------- resolve
def resolve_index_settings(
    flags: IndexSettings,
    *,
    requirements: IndexSettings | None = None,
    no_config: bool = False,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    configuration: Configuration | None = None,
) -> IndexSettings:
    """Merge every level (see the module docstring) into one :class:`IndexSettings`."""
    if configuration is None:
        configuration = Configuration(no_config=no_config, cwd=cwd, environ=environ)
    return configuration.index_settings(flags, requirements)


def markdown_table() -> str:
    """The README's table of settings, from :data:`SETTINGS`."""
    lines = ["| flag | environment | `pyffin.toml` key | type | what |",
             "|---|---|---|---|---|"]
    for setting in SETTINGS:
        choices = (setting.choices if len(setting.choices) <= 8
                   else (*setting.choices[:3], "...", setting.choices[-1]))
        kind = {"choice": " \\| ".join(choices),
                "binary": "names, `:all:`, `:none:`",
                "markers": "markers (`;` between them in the variable)"}.get(setting.kind,
                                                                          setting.kind)
        flag = f"`{setting.option}`" if setting.flag else ""
        pip = f" (pip: `{setting.pip_env}`, `{setting.pip_name}`)" if setting.pip else ""
        lines.append(f"| {flag} | `{setting.env}` | `{setting.key}` | {kind} | "
                     f"{setting.summary}{pip} |")
    return "\n".join(lines) + "\n"
