"""``python -m pyffin``: the same entry point as the ``pyffin`` console script."""

from pyffin.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
