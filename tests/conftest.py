"""Shared fixtures: an isolated results dir and a clean registry cache for every test."""

from __future__ import annotations

import pytest

from ganbench import registry


@pytest.fixture(autouse=True)
def _fresh_registry_cache():
    """The process-wide registry is keyed by environment; tests change it, so start clean."""
    registry._DEFAULT.clear()
    yield
    registry._DEFAULT.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.cuda`` tests skip where no CUDA device is visible (``make gpu-check`` runs them on one)."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA (make gpu-check runs it)")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)
