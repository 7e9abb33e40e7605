"""The results table: its column order, and building it from per-cell files.

Each cell writes its own ``metrics.json``; the table is always rebuilt from
all cell files. Two processes writing into one results folder therefore never
lose each other's rows: the last rebuild sees every finished cell.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench.results.atomic import write_table

CORE_COLUMNS = [
    "variant", "generator", "discriminator", "loss", "dataset", "seed", "steps", "batch_size", "world_size",
    "batch_per_rank", "status", "error", "diverged_step", "d_loss", "g_loss", "train_img_s", "wall_s",
]  # fmt: skip
METRIC_COLUMNS = [
    "fid", "fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "fid_note", "real_stats_key",
    "kid_mean", "kid_std", "precision", "recall", "density", "coverage",
    "modes", "modes_total", "hq_fraction", "kl_modes", "ndb", "ndb_k", "ndb_js", "code_accuracy",
    "gen_img_s", "eval_s", "peak_mem_mb",
]  # fmt: skip
PROVENANCE_COLUMNS = ["data_kind", "data_stacked", "device", "ganbench_version", "torch_version", "plugins", "cell_id"]
COLUMNS = CORE_COLUMNS + METRIC_COLUMNS + PROVENANCE_COLUMNS
KEY_COLUMNS = ["variant", "dataset", "seed"]
ROW_FILE = "metrics.json"
TABLE_STEM = "results"


def rows_to_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows in the canonical column order; unknown (plugin) columns go last, sorted."""
    frame = pd.DataFrame(list(rows))
    extra = sorted(c for c in frame.columns if c not in COLUMNS)
    frame = frame.reindex(columns=COLUMNS + extra)
    if len(frame):
        frame = frame.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
    return frame


def read_rows(run_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(Path(run_dir).glob(f"*/{ROW_FILE}")):
        rows.append(json.loads(path.read_text()))
    return rows


def rebuild_table(run_dir: Path) -> pd.DataFrame:
    """Collect every cell's row and write ``results.csv``/``results.parquet`` atomically."""
    frame = rows_to_frame(read_rows(run_dir))
    write_table(frame, run_dir, TABLE_STEM)
    return frame
