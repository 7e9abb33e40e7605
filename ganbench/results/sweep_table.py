"""The equal-budget comparison of a sweep as a table: one per dataset, one row per variant.

Columns: trials (and how many failed), the best trial's own score (biased upwards: it is the best
of many noisy draws), the expected best of k trials with its bootstrap band at a few budgets k, and
the best settings re-run on fresh seeds (mean ± std), which is the number to compare.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ganbench import columns


def _budgets(n: int) -> list[int]:
    """The budgets shown: 1, 5, 10, ... up to n, and n itself (at most four)."""
    ks = [k for k in (1, 5, 10, 20, 50, 100) if k < n]
    return [*ks[-3:], n] if n else []


def _fmt(metric: str, value: float) -> str:
    col = columns.column(metric)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return col.format(value) if col else f"{value:.4g}"


def budget_frames(summary: pd.DataFrame, budget: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per dataset, the comparison as display strings."""
    out: dict[str, pd.DataFrame] = {}
    if summary.empty:
        return out
    for dataset, rows in summary.groupby("dataset", sort=True):
        metric = str(rows["metric"].iloc[0])
        n = int(rows["n_trials"].max())
        ks = _budgets(n)
        table = []
        for _, row in rows.iterrows():
            curve = budget[(budget["variant"] == row["variant"]) & (budget["dataset"] == dataset)].set_index("k")
            record = {
                "variant": row["variant"],
                "trials": f"{int(row['n_trials'])}" + (f" ({int(row['n_failed'])} failed)" if row["n_failed"] else ""),
                "best trial": _fmt(metric, row.get("best_trial_score", math.nan)),
            }
            for k in ks:
                if k in curve.index:
                    p = curve.loc[k]
                    record[f"E[best of {k}]"] = (
                        f"{_fmt(metric, p['expected_best'])} [{_fmt(metric, p['band_low'])}, "
                        f"{_fmt(metric, p['band_high'])}]"
                    )
                else:
                    record[f"E[best of {k}]"] = ""
            if "reeval_mean" in row and not pd.isna(row.get("reeval_n")):
                std = row.get("reeval_std", math.nan)
                text = _fmt(metric, row["reeval_mean"])
                if isinstance(std, float) and not math.isnan(std):
                    text += f" ± {_fmt(metric, std)}"
                record["best settings, fresh seeds"] = f"{text} (n {int(row['reeval_n'])})" if text else ""
            table.append(record)
        out[f"{dataset} · {metric}{_arrow(metric)}"] = pd.DataFrame(table)
    return out


def _arrow(metric: str) -> str:
    return {"higher": " ↑", "lower": " ↓"}.get(columns.direction(metric) or "", "")


NOTE = (
    "E[best of k]: mean best score over every k of the trials (without replacement), [95% bootstrap band]; "
    "failed trials count as the worst score. The best trial's own score is biased upwards; compare the "
    "best settings re-run on fresh seeds."
)


def budget_text(summary: pd.DataFrame, budget: pd.DataFrame, *, width: int = 100) -> str:
    """The comparison for a terminal."""
    parts = []
    for title, frame in budget_frames(summary, budget).items():
        parts.append(f"{title}\n{frame.to_string(index=False, line_width=width)}")
    return "\n\n".join([*parts, NOTE]) if parts else "no finished sweep studies"


def budget_markdown(summary: pd.DataFrame, budget: pd.DataFrame) -> str:
    """The comparison as Markdown tables (report, ``ganbench table --format markdown``)."""
    parts = []
    for title, frame in budget_frames(summary, budget).items():
        head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
        body = "".join("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |\n" for row in frame.values)
        parts.append(f"**{title}**\n\n{head}{body}")
    return "\n".join([*parts, NOTE + "\n"]) if parts else ""


def sweep_comparison(run_dir: Path, *, markdown: bool = False) -> str:
    """The comparison of a sweep folder, read from its ``sweep_summary`` and ``expected_best`` tables."""
    summary, budget = read_sweep_tables(run_dir)
    if summary is None or budget is None:
        return f"{run_dir}: the sweep has not finished (no sweep_summary.csv yet)"
    title = f"equal-budget comparison ({run_dir}):"
    return f"{title}\n\n" + (budget_markdown(summary, budget) if markdown else budget_text(summary, budget))


def read_sweep_tables(run_dir: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """``(sweep_summary, expected_best)`` of a sweep folder; ``None`` for a table not written yet."""
    return _read(run_dir, "sweep_summary"), _read(run_dir, "expected_best")


def _read(run_dir: Path, stem: str) -> pd.DataFrame | None:
    path = Path(run_dir) / f"{stem}.csv"
    try:
        return pd.read_csv(path)
    except (OSError, pd.errors.EmptyDataError):
        return None
