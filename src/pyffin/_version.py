"""pyffin's version, in a module of its own: any layer may read it without importing the
package's front door (:mod:`pyffin`, which fronts the API)."""

__version__ = "0.1.0.dev0"
