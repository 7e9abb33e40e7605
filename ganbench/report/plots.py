"""Report figures as PNG bytes, drawn with matplotlib's object API on the Agg canvas.

Using ``matplotlib.figure.Figure`` directly (no ``pyplot``) avoids global
state and any interactive backend: it works headless and in worker threads.
Layouts are fixed (no ``tight_layout``/``bbox_inches="tight"``): each of those
re-draws the figure, which made a report with many runs several times slower.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ganbench import columns
from ganbench.results.display import metric_header

DPI = 90
MAX_LOSS_PANELS = 8
VARIANT_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
"""One colour per variant, the same in every figure of a report."""
SUMMARY_METRICS = [
    "fid", "kid_mean", "modes", "hq_fraction", "kl_modes", "precision", "recall", "coverage", "ndb_k",
    "code_accuracy", "train_img_s",
]  # fmt: skip
"""Metrics worth a per-variant bar chart, when present."""


@dataclass
class RunCurves:
    """One run's logged curves; ``label`` tells the run apart in a legend (e.g. ``seed 0``)."""

    label: str
    history: pd.DataFrame | None
    evals: pd.DataFrame | None


def _label(text: object) -> str:
    """Plain text for matplotlib: ``$`` would otherwise start mathtext (and can raise on user names)."""
    return str(text).replace("$", r"\$")


def _short(text: str, n: int = 18) -> str:
    return _label(text if len(text) <= n else text[: n - 1] + "…")


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _numeric(df: pd.DataFrame | None, exclude: set[str]) -> list[str]:
    if df is None or "step" not in df.columns:
        return []
    return [c for c in df.columns if c not in exclude and pd.to_numeric(df[c], errors="coerce").notna().any()]


def is_curve_metric(name: str) -> bool:
    """A ranked quality metric (or a plugin's undeclared column): protocol columns such as ``fid_n_fake``
    are flat by construction, unranked ones (``kid_std``) and costs (``eval_s``) are no curve to compare."""
    if name in columns.PROTOCOL_COLUMNS or name == "step":
        return False
    col = columns.column(name)
    return col is None or (col.direction is not None and not col.unit)  # units mark costs (eval_s), not quality


def curve_metrics(frames: Sequence[pd.DataFrame | None], kind: columns.DataKindKey | None) -> list[str]:
    """The evals.csv columns worth a curve, the data kind's headline metrics first."""
    found: list[str] = []
    for df in frames:
        for c in _numeric(df, {"step"}):
            if c not in found and is_curve_metric(c):
                found.append(c)
    return columns.order_metrics(found, kind)


def variant_colours(variants: Sequence[str]) -> dict[str, str]:
    return {v: VARIANT_COLOURS[i % len(VARIANT_COLOURS)] for i, v in enumerate(sorted(set(variants)))}


def overlaid_curves(
    evals: dict[str, list[pd.DataFrame]], title: str, kind: columns.DataKindKey | None, colours: dict[str, str]
) -> bytes | None:
    """Metric against step, one panel per metric, each variant one line (mean over its seeds) with its
    seeds' range shaded. ``evals`` maps variant to its seeds' evals.csv tables."""
    metrics = curve_metrics([df for frames in evals.values() for df in frames], kind)
    if not metrics:
        return None
    ncols = min(4, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    height = 2.5 * nrows + 0.9
    fig = Figure(figsize=(3.2 * ncols, height))
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.85 / height, bottom=0.45 / height, hspace=0.6, wspace=0.3)
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        for variant, frames in evals.items():
            series = [
                pd.Series(pd.to_numeric(df[metric], errors="coerce").to_numpy(), index=pd.to_numeric(df["step"]))
                for df in frames
                if metric in df.columns
            ]
            if not series:
                continue
            wide = pd.concat(series, axis=1).sort_index()
            colour = colours.get(variant, "#333333")
            ax.plot(wide.index, wide.mean(axis=1), color=colour, marker="o", markersize=3, linewidth=1.3,
                    label=_short(variant, 24))  # fmt: skip
            if wide.shape[1] > 1:
                ax.fill_between(wide.index, wide.min(axis=1), wide.max(axis=1), color=colour, alpha=0.15, linewidth=0)
        ax.set_title(_label(metric_header(metric)), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if i + ncols >= len(metrics):  # the lowest panel of its column
            ax.set_xlabel("step", fontsize=8)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper right", ncol=min(len(labels), 5), fontsize=8, frameon=False)
    fig.suptitle(_label(title), fontsize=10, x=0.01, ha="left")
    return _png(fig)


def training_curves(runs: Sequence[RunCurves], title: str, kind: columns.DataKindKey | None = None) -> bytes | None:
    """Small multiples against the step: one panel per loss term (history.csv), then one per metric
    (evals.csv); each run (seed) is one line in every panel. None when there is nothing to draw."""
    panels: list[tuple[str, str]] = []  # (source, column)
    for run in runs:
        for c in _numeric(run.history, {"step"}):
            if ("history", c) not in panels:
                panels.append(("history", c))
    panels = panels[:MAX_LOSS_PANELS]
    panels += [("evals", c) for c in curve_metrics([run.evals for run in runs], kind)]
    if not panels:
        return None
    ncols = min(4, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(3.1 * ncols, 2.3 * nrows + 0.5))
    fig.subplots_adjust(left=0.07, right=0.98, top=1 - 0.55 / (2.3 * nrows + 0.5), bottom=0.5 / (2.3 * nrows + 0.5),
                        hspace=0.55, wspace=0.3)  # fmt: skip
    for i, (source, col) in enumerate(panels):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        for run in runs:
            df = getattr(run, source)
            if df is None or col not in df.columns:
                continue
            steps = pd.to_numeric(df["step"], errors="coerce")
            marker = "o" if source == "evals" else None
            ax.plot(steps, pd.to_numeric(df[col], errors="coerce"), label=_label(run.label), linewidth=1.1,
                    marker=marker, markersize=3)  # fmt: skip
        kind = "loss" if source == "history" else "eval"
        ax.set_title(f"{kind}: {_label(metric_header(col))}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if i == 0 and len(runs) > 1:
            ax.legend(fontsize=7, loc="best")
        if i >= len(panels) - ncols:
            ax.set_xlabel("step", fontsize=8)
    fig.suptitle(_label(title), fontsize=10)
    return _png(fig)


def error_bar(metric: str, mean: float, std: float, modes_total: float | None = None) -> list[list[float]]:
    """``[[below], [above]]`` for ``yerr``: mean ± std clipped to the metric's valid range (FID never < 0,
    ``modes`` at most K)."""
    low, high = columns.clip(metric, mean - std, modes_total), columns.clip(metric, mean + std, modes_total)
    return [[max(mean - low, 0.0)], [max(high - mean, 0.0)]]


def summary_bars(table: pd.DataFrame, metric: str, colours: dict[str, str] | None = None) -> bytes | None:
    """Per dataset, one bar per variant: mean over seeds, std error bar, each seed as a dot."""
    if metric not in table or not {"variant", "dataset"} <= set(table.columns):
        return None
    data = table.assign(_v=pd.to_numeric(table[metric], errors="coerce")).dropna(subset=["_v"])
    if data.empty:
        return None
    datasets = sorted(data["dataset"].astype(str).unique())
    fig = Figure(figsize=(min(3.4 * len(datasets), 12) + 0.8, 3.0))
    fig.subplots_adjust(left=0.14, right=0.98, top=0.82, bottom=0.3, wspace=0.4)
    for i, ds in enumerate(datasets):
        ax = fig.add_subplot(1, len(datasets), i + 1)
        sub = data[data["dataset"].astype(str) == ds]
        variants = sorted(sub["variant"].astype(str).unique())
        totals = pd.to_numeric(sub["modes_total"], errors="coerce").dropna().unique() if "modes_total" in sub else []
        modes_total = float(totals[0]) if len(totals) == 1 else None
        for x, v in enumerate(variants):
            vals = sub.loc[sub["variant"].astype(str) == v, "_v"]
            mean = float(vals.mean())
            std = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
            yerr = error_bar(metric, mean, std, modes_total)
            colour = (colours or {}).get(v, "#8fb3d9")
            ax.bar(x, mean, yerr=yerr, capsize=4, color=colour, alpha=0.75, edgecolor="#1b2f45")
            ax.scatter([x] * len(vals), vals, s=12, color="#1b2f45", zorder=3)
        ax.set_xticks(range(len(variants)), [_short(v) for v in variants], rotation=25, ha="right", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(_label(ds), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(_label(metric_header(metric)), fontsize=10)
    return _png(fig)


def budget_plot(budget: pd.DataFrame) -> bytes | None:
    """Expected best score against the number of trials k (Lucic et al. 2018, Fig. 4 style): one panel
    per dataset, each variant a line with its bootstrap band shaded."""
    if budget is None or budget.empty:
        return None
    datasets = sorted(budget["dataset"].astype(str).unique())
    colours = variant_colours(budget["variant"].astype(str).tolist())
    ncols = min(3, len(datasets))
    nrows = math.ceil(len(datasets) / ncols)
    height = 2.8 * nrows + 0.9
    fig = Figure(figsize=(3.6 * ncols + 0.4, height))
    fig.subplots_adjust(left=0.1, right=0.98, top=1 - 0.85 / height, bottom=0.5 / height, hspace=0.6, wspace=0.3)
    for i, dataset in enumerate(datasets):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        block = budget[budget["dataset"].astype(str) == dataset]
        metric = str(block["metric"].iloc[0])
        for variant, rows in block.groupby(block["variant"].astype(str), sort=True):
            rows = rows.sort_values("k")
            colour = colours[variant]
            ax.plot(rows["k"], rows["expected_best"], color=colour, linewidth=1.4, label=_short(variant, 24))
            ax.fill_between(rows["k"], rows["band_low"], rows["band_high"], color=colour, alpha=0.18, linewidth=0)
        ax.set_title(_label(f"{dataset}: expected best {metric_header(metric)}"), fontsize=9)
        ax.set_xlabel("trials k (budget)", fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best", frameon=False)
    fig.suptitle("Equal-budget comparison (bands: 95% bootstrap)", fontsize=10, x=0.01, ha="left")
    return _png(fig)
