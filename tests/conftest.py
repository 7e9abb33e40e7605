"""Shared fixtures: an isolated results dir and a clean registry cache for every test."""

from __future__ import annotations

import os

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


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``make test`` runs ``-n 2``), the workers share the cores instead of each taking all.

    torch gives every process one intra-op thread per core; two workers on two cores would run four spinning
    threads, and oversubscribed OpenMP threads make a step several times slower.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
