"""Benchmark suites that ship with ganbench (``ganbench run --suite NAME``)."""

from __future__ import annotations

from pathlib import Path


def shipped() -> dict[str, Path]:
    """Name -> TOML file of each suite in this folder (cheap: ``run --help`` lists them)."""
    paths = Path(__file__).resolve().parent.glob("*.toml")
    return {path.stem: path for path in sorted(paths, key=lambda path: path.stem)}
