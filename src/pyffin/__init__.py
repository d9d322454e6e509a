"""pyffin: a fast Python package resolver and installer.

The command line lives in :mod:`pyffin.cli`; the library layers underneath are documented in
``DESIGN.md``. Importing :mod:`pyffin` stays cheap: nothing heavy is imported here.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
