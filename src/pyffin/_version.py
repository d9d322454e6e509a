"""pyffin's version, in a module of its own: any layer may read it without importing the
package's front door (:mod:`pyffin`, which fronts the API)."""

__version__ = "0.1.0.dev0"

#: Bumped, between releases, by a change after which the same inputs may resolve to other
#: pins: the keys of what keeps answers (the resolution cache, a command's replay) hold it with
#: ``__version__``, so an answer kept by the code before is not given by the code after.
#: 2: requirements under a marker go through uv's marker proxy packages. 3: an extra refuses
#: the versions its Requires-Python rules out before it is narrowed to its project's range.
RESOLVER_REVISION = 3
