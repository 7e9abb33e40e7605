"""The results table: its column order, and building it from per-cell files.

Each cell writes its own ``metrics.json``; the table is always rebuilt from
all cell files. Two processes writing into one results folder therefore never
lose each other's rows: the last rebuild sees every finished cell.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench.results.atomic import write_table

log = logging.getLogger(__name__)

CORE_COLUMNS = [
    "variant", "generator", "discriminator", "loss", "ema", "dataset", "seed", "steps", "batch_size", "world_size",
    "batch_per_rank", "status", "error", "diverged_step", "d_loss", "g_loss", "train_img_s", "train_s", "wall_s",
]  # fmt: skip
METRIC_COLUMNS = [
    "fid", "fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "fid_note", "real_stats_key",
    "fid_weights", "fid_weights_sha256",
    "kid_mean", "kid_std", "kid_subset_size", "kid_subsets", "precision", "recall", "density", "coverage",
    "prdc_k_pr", "prdc_k_dc", "modes", "modes_total", "hq_fraction", "kl_modes", "ndb", "ndb_k", "ndb_js",
    "code_accuracy", "gen_img_s", "eval_s", "peak_mem_mb",
]  # fmt: skip
PROVENANCE_COLUMNS = [
    "data_kind", "data_stacked", "resolution", "device", "device_type", "ganbench_version", "torch_version",
    "plugins", "cell_id", "fingerprint",
]  # fmt: skip
COLUMNS = CORE_COLUMNS + METRIC_COLUMNS + PROVENANCE_COLUMNS
KEY_COLUMNS = ["variant", "dataset", "seed"]
ROW_FILE = "metrics.json"
EMA_ROW_FILE = "metrics_ema.json"
"""The EMA generator's row of a cell trained with ``--ema`` (variant ``<variant>+ema``, column ``ema`` true)."""
EMA_SUFFIX = "+ema"
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
    """Every cell's row; ``null`` and the older bare ``NaN`` both read as missing values.

    A row that cannot be read (edited by hand, not an object) is left out with a
    warning, so one bad file never stops the table of the others.
    """
    rows = []
    paths = [*Path(run_dir).glob(f"*/{ROW_FILE}"), *Path(run_dir).glob(f"*/{EMA_ROW_FILE}")]
    for path in sorted(paths):
        try:
            row = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            _warn_once(path, str(exc))
            continue
        if not isinstance(row, dict):
            _warn_once(path, "not a JSON object")
            continue
        rows.append(row)
    return rows


_warned: set[str] = set()


def _warn_once(path: Path, why: str) -> None:
    """The table is rebuilt after every cell: say it once per file, not once per rebuild."""
    if str(path) not in _warned:
        _warned.add(str(path))
        log.warning("ganbench: warning: left %s out of the table: %s", path, why)


def rebuild_table(run_dir: Path) -> pd.DataFrame:
    """Collect every cell's row and write ``results.csv``/``results.parquet`` atomically."""
    frame = rows_to_frame(read_rows(run_dir))
    write_table(frame, run_dir, TABLE_STEM)
    return frame
