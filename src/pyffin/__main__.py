"""``python -m pyffin``: the same entry point as the ``pyffin`` console script."""

from pyffin.cli.main import run

if __name__ == "__main__":
    run()
