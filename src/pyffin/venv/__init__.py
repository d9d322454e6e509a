"""Virtual environments: :func:`create` writes one directly, without running ``venv``.

The names are imported when first used: an install reads only :mod:`pyffin.venv.config`."""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pyffin.venv.config import is_relocatable
    from pyffin.venv.creation import VenvError, create

__all__ = ["VenvError", "create", "is_relocatable"]


def __getattr__(name: str) -> object:
    if name == "is_relocatable":
        from pyffin.venv import config

        return config.is_relocatable
    if name in __all__:
        from pyffin.venv import creation

        return getattr(creation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
