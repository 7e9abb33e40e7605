"""ganbench: a plugin-based benchmark harness for GAN variants."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("ganbench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "load_generator"]


def __getattr__(name: str) -> Any:
    """``ganbench.load_generator`` is imported on first use: ``import ganbench`` stays light (no torch)."""
    if name == "load_generator":
        from ganbench.loader import load_generator

        return load_generator
    raise AttributeError(f"module 'ganbench' has no attribute {name!r}")
