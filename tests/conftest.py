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
