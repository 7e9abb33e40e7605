"""Data root resolution: --data-root, then GANBENCH_DATA, then torch's cache convention."""

from __future__ import annotations

import os
from pathlib import Path

from ganbench.data.paths import DATA_ENV, default_data_root, resolve_data_root


def test_default_root_follows_torch_home(tmp_path):
    assert default_data_root({"TORCH_HOME": str(tmp_path / "th")}) == tmp_path / "th" / "datasets"
    assert default_data_root({"XDG_CACHE_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "torch" / "datasets"
    assert default_data_root({}) == Path(os.path.expanduser("~/.cache/torch/datasets"))


def test_default_root_matches_torch_hub(monkeypatch, tmp_path):
    import torch.hub

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert Path(torch.hub.get_dir()).parent / "datasets" == default_data_root()


def test_precedence_cli_then_env_then_default(tmp_path):
    env = {DATA_ENV: str(tmp_path / "env"), "TORCH_HOME": str(tmp_path / "th")}
    assert resolve_data_root(tmp_path / "cli", env) == tmp_path / "cli"
    assert resolve_data_root(None, env) == tmp_path / "env"
    assert resolve_data_root(None, {DATA_ENV: "", "TORCH_HOME": str(tmp_path / "th")}) == tmp_path / "th" / "datasets"


def test_resolved_root_is_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_root(Path("data"), {}) == tmp_path / "data"
    assert resolve_data_root(Path("~/x"), {"HOME": str(tmp_path)}).is_absolute()
