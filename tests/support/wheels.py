"""Real wheels available offline: the ones ``ensurepip`` carries (pip, setuptools)."""

from __future__ import annotations

from pathlib import Path


def bundled_wheels() -> list[Path]:
    """The wheels bundled with this interpreter's ``ensurepip`` (pip; setuptools before 3.12)."""
    import ensurepip

    bundled = Path(ensurepip.__file__).parent / "_bundled"
    return sorted(bundled.glob("*.whl"))


def bundled_pip() -> Path:
    [pip] = [w for w in bundled_wheels() if w.name.startswith("pip-")]
    return pip
