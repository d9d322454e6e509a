"""One module per command group; each exposes :class:`pyffin.cli.command.Command` objects."""
