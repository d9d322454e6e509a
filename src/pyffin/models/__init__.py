"""The shared vocabulary every layer uses: plain types and pure functions, no I/O policy.

Modules here import only the standard library, ``packaging``, :mod:`pyffin.errors`,
:mod:`pyffin.records` and each other (see ``docs/architecture.md``). This file stays empty of
imports: importing one model must not import the others.

* :mod:`pyffin.models.markers` — PEP 508 environment markers as a canonical boolean algebra.
"""
