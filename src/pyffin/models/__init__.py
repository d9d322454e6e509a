"""The shared vocabulary every layer uses (DESIGN.md §1): types that requirements, the resolver,
the installer and the output all speak. Standard library, ``packaging`` and
:mod:`pyffin.errors` only; nothing here imports another part of pyffin.

* :mod:`pyffin.models.markers` — PEP 508 environment markers as a canonical boolean algebra.
"""
