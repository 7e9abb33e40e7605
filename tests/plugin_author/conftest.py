"""Fixtures for the plugin-author tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin_author.helpers import EXAMPLE, pip_install


@pytest.fixture(scope="session")
def extra_losses_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``examples/ganbench-extra-losses`` installed for real into a private site dir (once per session)."""
    root = tmp_path_factory.mktemp("extra-losses")
    return pip_install(EXAMPLE, site=root / "site", workdir=root)
