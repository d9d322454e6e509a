"""Virtual environments: :func:`create` writes one directly, without running ``venv``."""

from pyffin.venv.creation import VenvError, create, is_relocatable

__all__ = ["VenvError", "create", "is_relocatable"]
