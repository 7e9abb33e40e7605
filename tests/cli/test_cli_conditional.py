"""Conditional variants end to end through the CLI: conditional metric columns, the per-class grid, unlabelled data."""

from __future__ import annotations

import pandas as pd
from PIL import Image

from tests.cli.test_cli_core import ganbench


def test_cgan_and_acgan_on_ring8_fill_the_conditional_columns(tmp_path) -> None:
    result = ganbench(
        "--strict",
        "run",
        "--plugins",
        "cgan,acgan",
        "--dataset",
        "ring8",
        "--steps",
        "5",
        "--eval-samples",
        "400",
        "--metrics",
        "modes,class_accuracy,intra_fid",
        "--results-dir",
        str(tmp_path),
        "--out",
        "c",
    )
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(tmp_path / "c" / "results.csv")
    assert set(rows["variant"]) == {"cgan", "acgan"} and (rows["status"] == "ok").all()
    for _, row in rows.iterrows():
        assert 0.0 <= row["class_accuracy"] <= 1.0
        assert row["intra_fid"] >= 0 and row["intra_fid_classes"] == 8 and row["intra_fid_n_fake"] == 50
    assert Image.open(next((tmp_path / "c").glob("cgan-ring8-*/samples.png"))).size[0] > 0


def test_digits_grid_has_one_row_per_class(tmp_path) -> None:
    result = ganbench(
        "run",
        "--plugins",
        "cgan",
        "--dataset",
        "digits",
        "--steps",
        "1",
        "--no-eval",
        "--gen-opt",
        "width=4",
        "--disc-opt",
        "width=4",
        "--results-dir",
        str(tmp_path),
        "--out",
        "g",
    )
    assert result.returncode == 0, result.stderr
    grid = Image.open(next((tmp_path / "g").glob("cgan-digits-*/samples.png")))
    # 16 px digits, padding 2: 10 rows of 18 px + 2 (one per class), 10 columns
    assert grid.size == (10 * 18 + 2, 10 * 18 + 2)


def test_conditional_variant_on_unlabelled_data_is_one_line(tmp_path) -> None:
    flat = tmp_path / "flat"  # images with no class subfolders: an unlabelled folder: dataset
    flat.mkdir()
    for i in range(4):
        Image.new("RGB", (16, 16), (60 * i, 0, 0)).save(flat / f"{i}.png")
    result = ganbench(
        "run", "--plugins", "cgan", "--dataset", f"folder:{flat}", "--steps", "1", "--results-dir", str(tmp_path)
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no class labels" in lines[0] and "folder:" in lines[0], result.stderr
