"""The one TOML reader: :mod:`tomllib` from Python 3.11, its twin :mod:`tomli` before.

Import it where a TOML file is read (it costs a few milliseconds), not at module level of
anything a warm command loads.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError as TOMLDecodeError
    from tomllib import load as _load
    from tomllib import loads as _loads
else:  # the declared dependency on Python < 3.11
    from tomli import TOMLDecodeError as TOMLDecodeError
    from tomli import load as _load
    from tomli import loads as _loads


def loads(text: str) -> dict[str, Any]:
    """The table of a TOML document; raises :class:`TOMLDecodeError`."""
    return _loads(text)


def read(path: str | os.PathLike[str], error: Callable[[str], Exception]) -> dict[str, Any]:
    """The table of the TOML file at ``path``. A missing file raises
    :class:`FileNotFoundError` (callers differ on what that means); a file that cannot be read,
    is not UTF-8 or is not TOML raises ``error(message)``, the message naming the file."""
    try:
        with open(path, "rb") as f:
            return _load(f)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise error(f"cannot read {os.fspath(path)}: {e.strerror or e}") from e
    except (TOMLDecodeError, UnicodeDecodeError) as e:
        raise error(f"{os.fspath(path)}: invalid TOML: {e}") from e
