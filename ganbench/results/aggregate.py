"""Multi-seed aggregation: one row per (variant, dataset) with mean ± std of every metric.

Rules (documented in the report too):
* mean and sample standard deviation (ddof=1) over the seeds' non-NaN values;
  ``n_<metric>`` says how many seeds contributed and ``n_seeds`` how many there
  are (failed and diverged seeds included). A mean over fewer seeds than the
  group has is never shown as if it were over all: the text says
  ``3.22 ± 0.00 (2 of 3 seeds)`` and ``incomplete`` names the metrics concerned.
  With one value the std is NaN and only the mean is shown.
* rows of every status are included (a diverged run's metrics are real
  measurements); the ``status`` column summarises them, e.g. ``2/3 ok, 1 diverged``.
* protocol and configuration columns (extractor, N, device, ...) are not
  averaged: their distinct values are listed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ganbench import columns
from ganbench.results.display import metric_header

GROUP_KEYS = ["variant", "dataset"]

METRIC_COLUMNS = [
    "fid", "kid_mean", "kid_std", "precision", "recall", "density", "coverage", "modes", "hq_fraction",
    "kl_modes", "ndb", "ndb_k", "ndb_js", "code_accuracy", "d_loss", "g_loss", "train_img_s", "gen_img_s",
    "train_s", "eval_s", "wall_s", "peak_mem_mb",
]  # fmt: skip
"""Known metric columns, in display order; other numeric columns a plugin adds come after them."""

PROTOCOL_COLUMNS = [*columns.PROTOCOL_COLUMNS, "fid_note"]
"""How each metric was measured: never averaged, always shown."""

NOT_METRICS = {
    "seed", "steps", "batch_size", "diverged_step", "variant", "generator", "discriminator", "loss", "dataset",
    "status", "error", "data_kind", "data_stacked", "device", "ganbench_version", "torch_version", "plugins",
    "cell_id", "resolution", "device_type", "fingerprint", "ema", *PROTOCOL_COLUMNS,
    "world_size", "batch_per_rank",  # data-parallel set-up (ganbench run --nproc)
}  # fmt: skip


def metric_columns(table: pd.DataFrame) -> list[str]:
    """Numeric metric columns with at least one value, known ones first."""
    extra = [
        c for c in table.columns
        if c not in NOT_METRICS and c not in METRIC_COLUMNS and not columns.is_protocol(c)
        and pd.api.types.is_numeric_dtype(table[c])
    ]  # fmt: skip
    cols = [c for c in METRIC_COLUMNS if c in table.columns] + sorted(extra)
    return [c for c in cols if pd.to_numeric(table[c], errors="coerce").notna().any()]


def distinct_text(values: Iterable[Any]) -> str:
    seen: list[str] = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        text = format_value(v)
        if text and text not in seen:
            seen.append(text)
    return ", ".join(seen)


def status_summary(statuses: pd.Series) -> str:
    counts = statuses.fillna("(none)").astype(str).value_counts()
    total = int(counts.sum())
    ok = int(counts.get("ok", 0))
    others = ", ".join(f"{n} {s}" for s, n in counts.items() if s != "ok")
    return f"{ok}/{total} ok" + (f", {others}" if others else "")


def aggregate(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (variant, dataset): ``n_seeds``, ``status``, ``<m>_mean``, ``<m>_std``, ``n_<m>``, protocol."""
    metrics = metric_columns(table)
    applicable = _applicable_metrics(table, metrics)
    records: list[dict[str, Any]] = []
    for (variant, dataset), group in table.groupby(GROUP_KEYS, sort=True, dropna=False):
        rec: dict[str, Any] = {"variant": variant, "dataset": dataset}
        rec["n_seeds"] = int(group["seed"].nunique()) if "seed" in group else len(group)
        rec["status"] = status_summary(group["status"]) if "status" in group else ""
        for m in metrics:
            values = pd.to_numeric(group[m], errors="coerce").dropna()
            rec[f"{m}_mean"] = float(values.mean()) if len(values) else math.nan
            rec[f"{m}_std"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
            rec[f"n_{m}"] = len(values)
        missing = [m for m in applicable.get(dataset, metrics) if rec[f"n_{m}"] < rec["n_seeds"]]
        rec["incomplete"] = ", ".join(missing)
        for c in [*protocol_columns(table), "generator", "discriminator", "loss", "steps", "batch_size", "device"]:
            if c in group:
                rec[c] = distinct_text(group[c])
        records.append(rec)
    return pd.DataFrame(records)


def _applicable_metrics(table: pd.DataFrame, metrics: list[str]) -> dict[Any, list[str]]:
    """Per dataset, the metrics some seed has a value for: a group missing one of them is incomplete."""
    if "dataset" not in table:
        return {}
    out: dict[Any, list[str]] = {}
    for dataset, rows in table.groupby("dataset", sort=False, dropna=False):
        out[dataset] = [m for m in metrics if pd.to_numeric(rows[m], errors="coerce").notna().any()]
    return out


def format_value(value: Any) -> str:
    """Short display text: integers without decimals, floats to 4 significant digits, NaN empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int,)) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return str(int(value))
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        f = float(value)
        if math.isnan(f):
            return ""
        if f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return f"{f:.4g}"
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def format_mean_std(mean: float, std: float, n: int | None = None, total: int | None = None) -> str:
    """``mean ± std`` (std to 2 significant digits), or just the mean when std is NaN.

    With ``n`` of ``total`` seeds (``n < total``) the text says so: ``3.219 ± 0 (2 of 3 seeds)``.
    """
    partial = f" ({n} of {total} seeds)" if n is not None and total is not None and n < total else ""
    if math.isnan(mean):
        return partial.strip()
    if math.isnan(std):
        return format_value(mean) + partial
    return f"{mean:.4g} ± {std:.2g}" + partial


def summary_display(table: pd.DataFrame) -> pd.DataFrame:
    """The summary table as strings: per (variant, dataset), ``mean ± std`` per metric."""
    agg = aggregate(table)
    metrics = columns.order_metrics(metric_columns(table), table_kind(table))
    out = pd.DataFrame({"variant": agg["variant"].astype(str), "dataset": agg["dataset"].astype(str)})
    out["seeds"] = agg["n_seeds"].astype(str)
    out["status"] = agg["status"]
    for c in ("steps", "batch_size"):
        if c in agg:
            out[c] = agg[c]
    applicable = _applicable_metrics(table, metrics)
    for m in metrics:
        texts = []
        for _, rec in agg.iterrows():
            counts = (rec[f"n_{m}"], rec["n_seeds"]) if m in applicable.get(rec["dataset"], metrics) else (None, None)
            texts.append(format_mean_std(rec[f"{m}_mean"], rec[f"{m}_std"], *counts))
        out[metric_header(m)] = texts
    if agg["incomplete"].astype(bool).any():
        out["incomplete"] = agg["incomplete"]
    if "fid_extractor" in agg:
        out["fid extractor"] = agg["fid_extractor"]
    return out


def table_kind(table: pd.DataFrame) -> columns.DataKindKey | None:
    """The one kind of data all rows share (its headline metrics go first), or ``None`` when mixed."""
    kinds = {columns.data_kind_of(row) for row in table.to_dict("records")}
    return kinds.pop() if len(kinds) == 1 else None


RUN_COLUMNS_FIRST = ["variant", "dataset", "seed", "status", "steps", "batch_size", "diverged_step", "error"]


def runs_display(table: pd.DataFrame) -> pd.DataFrame:
    """Every run: key, status, then each metric with a value (headline metrics first), as strings."""
    metrics = columns.order_metrics(metric_columns(table), table_kind(table))
    sort_cols = [c for c in ("variant", "dataset", "seed") if c in table.columns]
    if sort_cols:
        table = table.sort_values(sort_cols, kind="stable")
    cols = [c for c in RUN_COLUMNS_FIRST if c in table.columns and table[c].notna().any()] + metrics
    out = pd.DataFrame({(metric_header(c) if c in metrics else c): table[c].map(format_value) for c in cols})
    return out.reset_index(drop=True)


def protocol_columns(table: pd.DataFrame) -> list[str]:
    """The table's protocol columns: ganbench's, then the keys plugin metrics declared (``protocol=``)."""
    own = [c for c in PROTOCOL_COLUMNS if c in table.columns]
    return own + [c for c in columns.protocol_keys() if c in table.columns and c not in own]


def protocol_display(table: pd.DataFrame) -> pd.DataFrame:
    """How each run's metrics were measured (extractor, layer, N, split, real-stats key, notes)."""
    cols = [c for c in ("variant", "dataset", "seed") if c in table.columns]
    if cols:
        table = table.sort_values(cols, kind="stable")
    cols += protocol_columns(table)
    return pd.DataFrame({c: table[c].map(format_value) for c in cols}).reset_index(drop=True)
