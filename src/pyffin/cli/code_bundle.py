"""The code bundle: the compiled code of the modules a command imports, kept in one file.

A command that solves from a warm cache spends most of its time importing ~140 modules (its
own, packaging's, the resolver's, the standard library's). Per module, the import system looks
through ``sys.path`` entry by entry (a ``stat`` of each directory), then stats the source and
opens, reads and closes its ``.pyc``: ~9% of such a run. The code bundle keeps the compiled
code of every module pyffin's commands imported before in one file, next to pyffin's own
bytecode (``pyffin/__pycache__/__init__.<tag>.bundle-<key>.pyc``: pyffin and uv remove it
with the package; for pip, which removes what the package's RECORD lists, a new bundle is
listed there). A command reads its header once; a finder first in ``sys.meta_path`` then
answers for the modules it holds, with a regular
:class:`~importlib.machinery.SourceFileLoader` whose ``get_code`` reads the code from it. The
module is the one a normal import would give (same file, ``__file__``, ``__spec__``,
``__path__``, loader): the bundle is only a faster way to the same bytecode, but for the
functions of the anchor's own package (pyffin's), which it keeps without their docstrings
(:func:`_without_docstrings`). While the process
runs one thread, the import system's own steps for such a module are taken in fewer calls too
(:func:`_load_bundled`).

It answers only where a normal import would find the same file:

* the file is keyed by the interpreter, ``sys.path`` after its first entry (the script's or
  the working directory), the import hooks and the optimization level;
* each module's source must have the size and modification time its code was compiled from
  (what a ``.pyc`` records), else it is imported as usual;
* every directory a module was looked up in, and every ``sys.path`` entry before it, must be
  unchanged since; a directory that changed is listed, and a module that something in it could
  now shadow (an entry with the module's name, other than its own file) is imported as usual;
* a submodule only when its package's ``__path__`` is the one recorded;
* a module only under its own name (not an alias another module put in ``sys.modules``), and
  not one found in the first ``sys.path`` entry.

The same file keeps compiled regular expressions (:func:`_keep_compiled_patterns`).

After the command, when it imported a module (or compiled a pattern) the bundle lacked or found
one stale, the file is written again (atomically), with what was still valid and what was
imported and compiled (the first page worker of a cold ``pip compile`` does the same once it
has imported what pages need: see :func:`pyffin.resolver.page_worker.prestart`), and what
another process wrote into the file since this one read it (that worker, while the command
runs: the last writer's modules alone would be kept otherwise): never when
Python writes no bytecode (``-B``, ``PYTHONDONTWRITEBYTECODE``) or cannot write there. Nothing
here ever fails a command: a bundle that cannot be read, or written, is no bundle.

Only the ``pyffin`` command uses it (:func:`pyffin.cli.main.run`), not the Python API, and
not when ``PYFFIN_NO_CODE_BUNDLE`` is set (to anything but the empty text).
"""

from __future__ import annotations

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _thread
import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType
    from typing import Any

#: The file format: the first line of the file.
FORMAT = b"pyffin code bundle 3\n"

_ModuleSpec = _bootstrap.ModuleSpec
_ModuleType = type(sys)
_PACKAGE_INIT = os.sep + "__init__.py"

#: What the first read takes: the header of a bundle of a few hundred modules.
_FIRST_READ = 1 << 16

#: The module of ``re`` that compiles patterns (Python 3.11 on, 3.10).
_PATTERN_COMPILERS = ("re._compiler", "sre_compile")

#: At most this many compiled patterns are kept (a program may compile patterns it makes).
_MAX_PATTERNS = 2000

#: Set while a command runs with a bundle (:func:`activate`); read by :func:`save`.
_active: _Finder | None = None

# A record of one module: (origin, lookup directory index, source mtime_ns, source size,
# offset, length). Offsets count from the end of the header.
_Entry = tuple[str, int, int, int, int, int]


def bundle_path(anchor: str, key: str) -> str | None:
    """Where the bundle of ``key`` lives: beside the bytecode of ``anchor`` (a package's
    ``__init__.py``), as Python would place it (``sys.pycache_prefix``, ``-O``)."""
    try:
        pyc = _bootstrap_external.cache_from_source(anchor)
    except (NotImplementedError, ValueError):  # no cache tag: this Python writes no bytecode
        return None
    return f"{pyc[:-4]}.bundle-{key}.pyc"


def configuration_key() -> str:
    """What decides which file a normal import finds, besides the files themselves: the
    interpreter and its bytecode format, ``sys.path`` after its first entry, the import
    hooks, the optimization level."""
    from binascii import crc32

    parts = [
        sys.executable, sys.version, repr(_bootstrap_external.MAGIC_NUMBER),
        str(sys.flags.optimize), "", *sys.path[1:], "",
        *(_describe(hook) for hook in sys.meta_path), "",
        *(_describe(hook) for hook in sys.path_hooks),
    ]
    data = "\0".join(parts).encode("utf-8", "surrogateescape")
    return f"{crc32(data):08x}{crc32(data[::-1]):08x}"


def _describe(hook: object) -> str:
    kind = hook if isinstance(hook, type) else type(hook)
    return f"{kind.__module__}.{kind.__qualname__}"


def activate(anchor: str) -> None:
    """Read the bundle beside ``anchor`` (when there is one) and answer imports from it until
    the process ends; :func:`save` writes it again when this run found it lacking."""
    global _active
    if (_active is not None or not anchor or not hasattr(os, "pread")  # (not on Windows)
            or os.environ.get("PYFFIN_NO_CODE_BUNDLE")
            or any(p and not os.path.isabs(p) for p in sys.path[1:])):
        return
    key = configuration_key()
    path = bundle_path(anchor, key)
    if path is None:
        return
    finder = _Finder(path, anchor)
    try:
        finder.read()
    except Exception:  # a header of another shape than this code writes: written again
        if finder.fd >= 0:
            os.close(finder.fd)
        finder = _Finder(path, anchor)
    sys.meta_path.insert(0, finder)
    _active = finder
    global _find_and_load
    if _find_and_load is None and _thread_count is not None:
        _find_and_load = _importlib._find_and_load
        _importlib._find_and_load = _load_bundled
    finder.record_patterns = not sys.dont_write_bytecode and finder.writable()
    compiler = sys.modules.get("re._compiler") or sys.modules.get("sre_compile")
    if compiler is not None:  # else when it is imported (BundledLoader.exec_module)
        _keep_compiled_patterns(finder, compiler)


def activate_for_command() -> None:
    """:func:`activate` with pyffin's own bundle (the ``pyffin`` command's)."""
    pyffin = sys.modules.get("pyffin")
    activate(getattr(pyffin, "__file__", None) or "")


#: The import system's own ``_find_and_load`` while :func:`_load_bundled` stands in for it.
_find_and_load: Any = None
_importlib: Any = _bootstrap
_thread_count: Callable[[], int] | None = getattr(_thread, "_count", None)


def _load_bundled(name: str, import_: Any) -> Any:
    """The import system's ``_find_and_load`` for a module the bundle holds, in fewer steps,
    while the process runs one thread (nearly every import of a command: its I/O threads
    start after the imports its work needs): module locks keep threads apart, and one thread
    needs none. Its own steps, in ``importlib._bootstrap``, were a sixth of the time a warm
    compile spent importing (3% of its instructions). Anything else (another thread alive, a
    finder put before the bundle's, ``-v``, a module being imported or known) goes the usual
    way; so does one the bundle does not answer for after all."""
    finder = _active
    if (finder is None or name not in finder.entries or name in sys.modules
            or _thread_count is None or _thread_count() or sys.flags.verbose
            or not sys.meta_path or sys.meta_path[0] is not finder):
        return _find_and_load(name, import_)
    parent, _, child = name.rpartition(".")
    path = None
    parent_spec = None
    if parent:
        if parent not in sys.modules:
            import_(parent)
        if name in sys.modules:  # imported by its package
            return sys.modules[name]
        path = getattr(sys.modules[parent], "__path__", None)
        if path is None:  # not a package: the usual way says so
            return _find_and_load(name, import_)
        parent_spec = getattr(sys.modules[parent], "__spec__", None)
    spec: Any = finder.find_spec(name, path)
    if spec is None:
        return _find_and_load(name, import_)
    # _load_unlocked's steps, with the attributes _init_module_attrs sets.
    loader: BundledLoader = spec.loader
    module: Any = loader.create_module(spec)
    module.__spec__ = spec
    module.__loader__ = loader
    module.__package__ = spec.parent
    if spec.submodule_search_locations is not None:
        module.__path__ = spec.submodule_search_locations
    # A circular import finds it initializing, as the import system marks it (3.11 on: its
    # package's list of submodules being imported says which attribute is not there yet).
    submodules = getattr(parent_spec, "_uninitialized_submodules", None)
    spec._initializing = True
    if submodules is not None:
        submodules.append(child)
    try:
        sys.modules[name] = module
        try:
            loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        module = sys.modules.pop(name)  # the module may have put another in its place
        sys.modules[name] = module
    finally:
        spec._initializing = False
        if submodules is not None:
            submodules.pop()
    if parent:
        try:
            setattr(sys.modules[parent], child, module)
        except AttributeError:
            pass
    return module


def deactivate() -> None:
    """Stop answering imports (tests; a process that goes on)."""
    global _active, _find_and_load
    if _find_and_load is not None:
        _importlib._find_and_load = _find_and_load
        _find_and_load = None
    if _active is not None:
        try:
            sys.meta_path.remove(_active)
        except ValueError:
            pass
        _active = None


class BundledLoader(_bootstrap_external.SourceFileLoader):
    """A source file's loader whose compiled code comes from the bundle when it holds it.

    Its ``create_module`` and ``exec_module`` do what the import system's defaults do, with
    fewer steps: a command imports ~170 modules, and the import system's own work per module
    (in Python) costs more than executing many of them."""

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        # The attributes _init_module_attrs would set, set first: it looks each one up before
        # setting it, and a missing module attribute is a formatted AttributeError.
        module = _ModuleType(spec.name)
        module.__file__ = spec.origin
        if spec.cached is not None:
            module.__cached__ = spec.cached  # type: ignore[attr-defined]
        return module

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        code = self.get_code(name)
        if code is None:  # (as the import system's own exec_module says it)
            raise ImportError(f"cannot load module {name!r} when get_code() returns None")
        exec(code, module.__dict__)
        if name in _PATTERN_COMPILERS and _active is not None:
            _keep_compiled_patterns(_active, module)

    def get_code(self, fullname: str) -> CodeType | None:
        finder = _active
        code = finder.code(fullname, self.path) if finder is not None else None
        if code is None:
            return super().get_code(fullname)
        return code


class _Finder:
    """The meta path finder of one bundle file."""

    def __init__(self, path: str, anchor: str) -> None:
        self.path = path
        self.anchor = anchor
        self.fd = -1  # the open bundle file, kept for the process's life
        self.base = 0
        self.dirs: list[tuple[str, int]] = []
        self.path_count = 0
        self.entries: dict[str, _Entry] = {}
        # Whether the file should be written again: absent, damaged, stale or lacking.
        self.dirty = True
        # Modules a changed directory could shadow: imported as usual, and no reason to write
        # the file again by themselves.
        self.shadowed: set[str] = set()
        # Compiled patterns: where each kept one is, and those compiled by this run.
        self.patterns: dict[tuple[str | bytes, int], tuple[int, int]] = {}
        self.new_patterns: dict[tuple[str | bytes, int], bytes] = {}
        self.record_patterns = False
        # sys.path as the key says it (a program may change it as it runs).
        self.sys_path = list(sys.path)
        # What follows a source's stem in its bytecode's name (``.cpython-311.pyc``), where
        # bytecode goes to ``__pycache__`` beside the source (no ``sys.pycache_prefix``).
        tag = sys.implementation.cache_tag
        level = sys.flags.optimize
        self.pyc_suffix = None if tag is None or os.altsep else (
            f".{tag}{f'.opt-{level}' if level else ''}.pyc")

    # ------------------------------------------------------------------------- reading
    def read(self) -> None:
        """Read the header; each module's code is read when it is imported (the file holds
        what every command imported, a command needs part of it)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return
        try:
            head = os.read(fd, _FIRST_READ)
            if not head.startswith(FORMAT):
                raise ValueError("not a code bundle")
            start = len(FORMAT) + 4
            size = int.from_bytes(head[len(FORMAT):start], "little")
            if len(head) < start + size:
                head += _pread(fd, start + size - len(head), len(head))
            key, dirs, path_count, entries, patterns = marshal.loads(head[start:start + size])
            if key != self.path or not isinstance(entries, dict) or not isinstance(
                    patterns, dict):
                raise ValueError("another bundle's header")
        except (OSError, ValueError, EOFError, TypeError):
            os.close(fd)
            return
        self.fd = fd
        self.base = start + size
        self.dirs = dirs
        self.path_count = path_count
        self.entries = entries
        self.patterns = patterns
        self.dirty = False
        self._drop_shadowed()

    def _drop_shadowed(self) -> None:
        """Forget the modules that a directory changed since could now shadow. The first
        ``sys.path`` entry (the script's directory, or the working directory for ``-m``)
        changes all the time: it is listed when it differs, and never makes the bundle
        written again, which would only record a state the next run does not see either."""
        changed: dict[int, dict[str, str] | None] = {}
        for index, (directory, mtime) in enumerate(self.dirs):
            if index == 0 and self.path_count:
                current = _absolute(sys.path[0]) if sys.path else ""
                if current != directory or _mtime(current) != mtime:
                    changed[0] = _stems(current)
            elif index < self.path_count and (
                    index >= len(sys.path) or _absolute(sys.path[index]) != directory):
                changed[index] = None  # not the path the key said: nothing found there holds
            elif _mtime(directory) != mtime:
                changed[index] = _stems(directory)
                self.dirty = True  # record its new state
        if not changed:
            return
        path_count, first = self.path_count, min(changed)
        for name, entry in list(self.entries.items()):
            where = entry[1]
            if where < first if where < path_count else where not in changed:
                continue  # looked up in no directory that changed
            if _shadowed(name, entry, changed, path_count):
                del self.entries[name]
                self.shadowed.add(name)

    # ------------------------------------------------------------------------- finding
    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        entry = self.entries.get(name)
        if entry is None:
            return None
        try:
            origin, where, mtime, size, _offset, _length = entry
            if where >= self.path_count and (
                    path is None or len(path) != 1 or path[0] != self.dirs[where][0]):
                return None
            st = os.stat(origin)
        except Exception:  # gone, or an entry of another shape: imported as usual
            st = None
        if st is None or st.st_mtime_ns != mtime or st.st_size != size:
            self.entries.pop(name, None)
            self.dirty = True
            return None
        # What spec_from_file_location gives for a source file, without its generality.
        spec = _ModuleSpec(name, BundledLoader(name, origin), origin=origin)
        spec.has_location = True
        if self.pyc_suffix is not None and sys.pycache_prefix is None:
            # What cache_from_source gives (computed by the spec when first asked, ~5% of a
            # bundled import): the key holds the optimization level and the interpreter.
            head, _, tail = origin.rpartition(os.sep)
            spec.cached = f"{head}{os.sep}__pycache__{os.sep}{tail[:-3]}{self.pyc_suffix}"
        if origin.endswith(_PACKAGE_INIT):
            spec.submodule_search_locations = [origin[:-len(_PACKAGE_INIT)]]
        return spec

    def code(self, name: str, origin: str) -> CodeType | None:
        entry = self.entries.get(name)
        if entry is None or entry[0] != origin:
            return None
        try:
            code = marshal.loads(_pread(self.fd, entry[5], self.base + entry[4]))
        except Exception:  # unreadable, or an entry of another shape
            code = None
        if type(code) is not type(_describe.__code__):
            self.entries.pop(name, None)
            self.dirty = True
            return None
        return code

    def invalidate_caches(self) -> None:
        pass

    # ------------------------------------------------------------------- compiled patterns
    def compiled(self, key: tuple[str | bytes, int]) -> tuple[Any, ...] | None:
        """The arguments of ``_sre.compile`` kept for a pattern and its flags, if any."""
        where = self.patterns.get(key)
        if where is None:
            return None
        try:
            arguments = marshal.loads(_pread(self.fd, where[1], self.base + where[0]))
        except (OSError, ValueError, EOFError, TypeError):
            del self.patterns[key]
            return None
        return arguments if isinstance(arguments, tuple) else None

    def keep_compiled(self, key: tuple[str | bytes, int], arguments: tuple[Any, ...]) -> None:
        if len(self.patterns) + len(self.new_patterns) < _MAX_PATTERNS:
            try:
                self.new_patterns[key] = marshal.dumps(arguments)
            except ValueError:  # something marshal cannot keep: compiled again next time
                pass

    # ------------------------------------------------------------------------- writing
    def save(self) -> None:
        """Write the bundle again when this run found it absent, stale or lacking a module
        it imported."""
        if not self.dirty and not self.new_patterns and not _bundleable(
                sys.modules.keys() - self.entries.keys() - self.shadowed, self.sys_path):
            return
        if not self.writable():
            return  # (a read-only installation: no work done for nothing, run after run)
        written = self._written_since()
        try:
            self._write(written)
        finally:
            if written is not None:
                os.close(written.fd)

    def _written_since(self) -> _Finder | None:
        """The bundle as another process wrote it since this one read it, when it did (a
        cold compile's first page worker writes what it imported while the command runs):
        what it holds is kept too, else the last writer's modules alone would be; ``None``
        when the file is the one read, or unreadable."""
        try:
            now = os.stat(self.path)
            if self.fd >= 0:
                mine = os.fstat(self.fd)
                if (now.st_ino, now.st_dev) == (mine.st_ino, mine.st_dev):
                    return None
        except OSError:
            return None
        other = _Finder(self.path, self.anchor)
        try:
            other.read()
        except Exception:  # a header of another shape: nothing of it is kept
            if other.fd >= 0:
                os.close(other.fd)
            return None
        return other if other.fd >= 0 else None

    def _write(self, written: _Finder | None) -> None:
        modules = _bundleable(list(sys.modules), self.sys_path)
        # sys.path's entries by position (what _drop_shadowed compares), then the packages'.
        dirs = [(directory, _mtime(directory)) for directory in map(_absolute, self.sys_path)]
        path_count = len(dirs)
        first: dict[str, int] = {}
        for index, (directory, _mtime_ns) in enumerate(dirs):
            first.setdefault(directory, index)
        packages: dict[str, int] = {}

        def directory_index(name: str, lookup: str) -> int:
            if "." not in name:
                return first[lookup]  # where a normal import finds it first
            index = packages.get(lookup)
            if index is None:
                index = packages[lookup] = len(dirs)
                dirs.append((lookup, _mtime(lookup)))
            return index

        wanted = dict(modules)
        later = {directory for directory, _mtime_ns in dirs[1:]}
        finders = (self,) if written is None else (self, written)
        #: The file each kept module's code is read from, when not this run's.
        kept_in: dict[str, _Finder] = {}
        for finder in finders:  # what other commands imported, still valid
            for name, kept in finder.entries.items():
                if name in wanted or kept[1] >= len(finder.dirs):
                    continue
                lookup = finder.dirs[kept[1]][0]
                if "." not in name and lookup not in later:
                    continue  # looked up where this run's sys.path does not look
                wanted[name] = (kept[0], lookup)
                if finder is not self:
                    kept_in[name] = finder
        blobs: list[bytes] = []
        entries: dict[str, _Entry] = {}
        offset = 0
        for name, (origin, lookup) in sorted(wanted.items()):
            blob = kept_in.get(name, self)._blob(name, origin)
            if blob is None:
                continue
            code_bytes, mtime, size = blob
            entries[name] = (origin, directory_index(name, lookup), mtime, size, offset,
                             len(code_bytes))
            blobs.append(code_bytes)
            offset += len(code_bytes)
        patterns: dict[tuple[str | bytes, int], tuple[int, int]] = {}
        for finder in finders:
            for key, (at, length) in finder.patterns.items():
                if key in patterns:
                    continue
                try:
                    blobs.append(_pread(finder.fd, length, finder.base + at))
                except (OSError, ValueError):
                    continue
                patterns[key] = (offset, length)
                offset += length
        for key, recorded in list(self.new_patterns.items()):
            if key not in patterns:
                blobs.append(recorded)
                patterns[key] = (offset, len(recorded))
                offset += len(recorded)
        header = marshal.dumps((self.path, dirs, path_count, entries, patterns))
        from pathlib import Path

        from pyffin.cache.fs import write_atomic

        try:  # the blobs as one part: writev takes a bounded number
            write_atomic(Path(self.path), (FORMAT, len(header).to_bytes(4, "little"), header,
                                           b"".join(blobs)))
        except OSError:
            return
        if self.fd < 0:
            _list_in_record(self.path, self.anchor)  # a new file: uninstalled with the package

    def writable(self) -> bool:
        """Whether the bundle's directory (or, before it exists, its parent) can be written."""
        directory = os.path.dirname(self.path)
        probe = directory if os.path.isdir(directory) else os.path.dirname(directory)
        return os.path.isdir(probe) and os.access(probe, os.W_OK)

    def _blob(self, name: str, origin: str) -> tuple[bytes, int, int] | None:
        try:
            before = os.stat(origin)
        except OSError:
            return None
        entry = self.entries.get(name)
        if (entry is not None and entry[0] == origin and entry[2] == before.st_mtime_ns
                and entry[3] == before.st_size):
            try:
                return _pread(self.fd, entry[5], self.base + entry[4]), entry[2], entry[3]
            except (OSError, ValueError):
                pass  # compiled again below
        try:
            code = _bootstrap_external.SourceFileLoader(name, origin).get_code(name)
            after = os.stat(origin)
        except (OSError, ImportError, SyntaxError, ValueError):
            return None
        if (after.st_mtime_ns, after.st_size) != (before.st_mtime_ns, before.st_size):
            return None  # changed while read: next time
        if code is not None and origin.startswith(os.path.dirname(self.anchor) + os.sep):
            code = _without_docstrings(code)
        return marshal.dumps(code), before.st_mtime_ns, before.st_size


#: ``co_flags`` of a function's code (``CO_OPTIMIZED | CO_NEWLOCALS``), and the flag Python
#: 3.14 sets on code that has a docstring (before, a function's first constant is its docstring
#: or ``None``).
_FUNCTION_FLAGS = 0x3
_CO_HAS_DOCSTRING = 0x4000000


def _without_docstrings(code: CodeType) -> CodeType:
    """``code`` (and the code it holds) with ``None`` for each function's docstring, as ``-OO``
    compiles it: 8% of pyffin's bytes of code less to read and unmarshal, ~2% of a compile of
    the small set that the resolution cache answers (paired runs; within noise for one that
    solves), for text the command never reads (its help comes from the command table). Module
    and class docstrings stay; so does a docstring whose constant the body loads too."""
    consts = tuple(_without_docstrings(c) if type(c) is type(code) else c
                   for c in code.co_consts)
    if (code.co_flags & _FUNCTION_FLAGS == _FUNCTION_FLAGS and code.co_name[:1] != "<"
            and consts and type(consts[0]) is str
            and (sys.version_info < (3, 14) or code.co_flags & _CO_HAS_DOCSTRING)):
        import dis

        if not any(instruction.opcode in dis.hasconst and instruction.arg == 0
                   for instruction in dis.get_instructions(code)):
            consts = (None, *consts[1:])
    if all(new is old for new, old in zip(consts, code.co_consts, strict=True)):
        return code
    return code.replace(co_consts=consts)


def save() -> None:
    """Write the active bundle again if this run found it lacking (see the module's text);
    never raises."""
    finder = _active
    if finder is None or sys.dont_write_bytecode:
        return
    try:
        finder.save()
    except Exception:  # a bundle not written is only a slower next start
        pass


# --------------------------------------------------------------------- compiled patterns
def _keep_compiled_patterns(finder: _Finder, compiler: Any) -> None:
    """Answer :mod:`re`'s compilations of patterns from the bundle too.

    Compiling a regular expression runs ``re``'s parser and code generator, in Python: a
    warm compile compiles six of pyffin's own (~1.5 ms, 3% of it), a cold one ~90 of the
    standard library's and urllib3's as they are imported (~20 ms). The result depends on
    the pattern, its flags and the Python alone, so the bundle keeps the arguments ``re``
    gives ``_sre.compile`` (the compiled code as a list of numbers, the group names) and
    hands them to it again. A pattern compiled here the first time is compiled by ``re`` as
    well and kept only when the two results are equal (``Pattern`` compares its code);
    ``_sre.compile`` checks the code it is given. Only where the bundle can be written, or
    already keeps patterns; not for ``re.DEBUG``, which prints while compiling. Hooked when
    ``re``'s compiler module is imported (a command that uses no pattern imports no ``re``
    for it)."""
    if not finder.record_patterns and not finder.patterns:
        return
    parser: Any = getattr(compiler, "_parser", None) or getattr(compiler, "sre_parse", None)
    sre: Any = getattr(compiler, "_sre", None)
    code_of: Any = getattr(compiler, "_code", None)
    original: Any = getattr(compiler, "compile", None)
    if None in (compiler, parser, sre, code_of, original) or getattr(
            original, "__module__", None) == __name__:
        return
    debug: int = getattr(compiler, "SRE_FLAG_DEBUG", 128)
    recording = finder.record_patterns

    def compile(p: Any, flags: int = 0) -> Any:
        if type(p) in (str, bytes) and not flags & debug:
            key = (p, flags)
            kept = finder.compiled(key)
            if kept is not None:
                try:
                    return sre.compile(p, *kept)
                except Exception:  # not ours to judge: re compiles it below
                    pass
            elif recording:
                made = _compile_recorded(p, flags)
                if made is not None:
                    return made
        return original(p, flags)

    def _compile_recorded(p: str | bytes, flags: int) -> Any:
        nonlocal recording
        try:
            parsed = parser.parse(p, flags)
            groups = parsed.state.groupdict
            index = [None] * parsed.state.groups
            for name, number in groups.items():
                index[number] = name
            # Plain ints: re's flags and opcodes are int subclasses, which marshal refuses.
            arguments = (int(flags | parsed.state.flags), [int(c) for c in code_of(parsed, flags)],
                         int(parsed.state.groups - 1), {str(k): int(v) for k, v in groups.items()},
                         tuple(index))
            made = sre.compile(p, *arguments)
        except Exception:  # what re says of the pattern, it says itself (below)
            return None
        if made != original(p, flags):  # another re than the one this mirrors
            recording = False
            return None
        finder.keep_compiled((p, int(flags)), arguments)
        return made

    compile.__module__ = __name__
    compiler.compile = compile


# ----------------------------------------------------------------------------- helpers
def _bundleable(names: Iterable[str], sys_path: list[str]) -> dict[str, tuple[str, str]]:
    """Those of the imported modules ``names`` that a normal import found as source files
    through ``sys.path`` after its first entry (which changes from run to run), or through
    their package's single ``__path__``; each with its origin and the directory it was looked
    up in."""
    path_entries = {_absolute(entry) for entry in sys_path[1:]}
    found: dict[str, tuple[str, str]] = {}
    source_loaders = (_bootstrap_external.SourceFileLoader, BundledLoader)
    for name in names:
        module = sys.modules.get(name)
        spec = getattr(module, "__spec__", None)
        if (spec is None or type(spec.loader) not in source_loaders or not spec.has_location
                or spec.name != name):  # not an alias: what an import of the name finds
            continue
        origin = spec.origin
        if not isinstance(origin, str) or not origin.endswith(".py"):
            continue
        own = os.path.dirname(origin)
        lookup = os.path.dirname(own) if spec.submodule_search_locations is not None else own
        parent, dot, _leaf = name.rpartition(".")
        if dot:
            parent_path = getattr(sys.modules.get(parent), "__path__", None)
            if parent_path is None or list(parent_path) != [lookup]:
                continue
        elif lookup not in path_entries:
            continue
        found[name] = (origin, lookup)
    return found


def _absolute(entry: str) -> str:
    return os.path.abspath(entry) if entry else os.getcwd()


def _mtime(directory: str) -> int:
    try:
        return os.stat(directory).st_mtime_ns
    except OSError:
        return -1


def _own_entry(origin: str) -> str:
    """The directory entry a module is found by: ``name.py``, or a package's directory."""
    head, tail = os.path.split(origin)
    return os.path.basename(head) if tail == "__init__.py" else tail


def _stems(directory: str) -> dict[str, str] | None:
    """The names a directory's entries could be imported as, each with its entry (``"\0"``
    when several share a name, which then never equals a module's own entry); ``None`` when
    it cannot be listed."""
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    suffixes = _importable_suffixes()
    stems: dict[str, str] = {}
    for entry in names:
        stem, dot, rest = entry.partition(".")
        if dot and "." + rest not in suffixes:
            continue  # not importable: a data file, ``*.dist-info``, ``*.pth``
        stems[stem] = entry if stem not in stems else "\0"
    return stems


def _importable_suffixes() -> frozenset[str]:
    return frozenset((*_bootstrap_external.EXTENSION_SUFFIXES,
                      *_bootstrap_external.SOURCE_SUFFIXES,
                      *_bootstrap_external.BYTECODE_SUFFIXES))


def _shadowed(name: str, entry: _Entry, changed: dict[int, dict[str, str] | None],
              path_count: int) -> bool:
    """Whether a changed directory could now give ``name`` another file (or lost its own): a
    top-level module is looked up in each ``sys.path`` entry up to its own, a submodule in its
    package's."""
    where = entry[1]
    leaf = name.rpartition(".")[2]
    for index in range(where + 1) if where < path_count else (where,):
        if index not in changed:
            continue
        stems = changed[index]
        if stems is None:
            return True
        found = stems.get(leaf)
        if found != _own_entry(entry[0]) if index == where else found is not None:
            return True
    return False


def _pread(fd: int, length: int, offset: int) -> bytes:
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise ValueError("the code bundle is shorter than its header says")
    return data


def _list_in_record(path: str, anchor: str) -> None:
    """List the bundle in the RECORD of the installed package ``anchor`` belongs to (a path
    with no hash, as for bytecode), so that an uninstaller that removes what RECORD lists
    (pip) removes it too. Only for a package installed from a wheel into the directory the
    bundle is under; RECORD is written again atomically, with the line added."""
    package_dir = os.path.dirname(anchor)
    site, package = os.path.split(package_dir)
    line = os.path.relpath(path, site).replace(os.sep, "/")
    if line.startswith("../"):
        return  # elsewhere (sys.pycache_prefix)
    try:
        names = os.listdir(site)
    except OSError:
        return
    for name in names:
        if not (name.startswith(f"{package}-") and name.endswith(".dist-info")):
            continue
        record = os.path.join(site, name, "RECORD")
        try:
            with open(record, "rb") as file:
                text = file.read()
        except OSError:
            continue
        lines = text.splitlines()
        if not any(entry.startswith(f"{package}/__init__.py,".encode()) for entry in lines):
            continue  # another distribution's (or an editable one's, which lists no module)
        if any(entry.startswith(f"{line},".encode()) for entry in lines):
            return
        ending = b"" if not text or text.endswith(b"\n") else b"\n"
        from pyffin.errors import PyffinError
        from pyffin.fs import write_user_file

        try:  # (its owner and mode kept)
            write_user_file(record, text + ending + f"{line},,\n".encode())
        except (OSError, PyffinError):
            pass
        return
