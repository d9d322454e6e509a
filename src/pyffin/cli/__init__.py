"""The ``pyffin`` command line: argument parsing, commands, output and exit codes.

Thin by design: a command parses its flags, calls the library and prints the result. Command
modules are imported lazily (see :mod:`pyffin.cli.registry`), so ``pyffin --version`` or a
warm ``pyffin pip sync`` pays only for what it runs.
"""
