"""What each results column means: which way it improves, its valid range, how it is shown, and which
metrics head the table for each kind of data.

One catalogue for the printed table, the multi-seed summary, ``compare``, ``table``, the report and
TensorBoard, so they never disagree on a metric's direction or format. Built-in metric columns are
declared here; a plugin's metric declares its columns through the metric seam, which calls
:func:`register_column`. This module imports nothing from ganbench, so any layer may use it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["lower", "higher"]
DataKindKey = Literal["points", "stacked", "image"]


@dataclass(frozen=True)
class MetricColumn:
    """A numeric results column and how to read it."""

    name: str
    direction: Direction | None
    """Which way is better; ``None`` for values that are measured but not ranked."""
    description: str
    low: float | None = None
    """Smallest valid value (an interval or error bar is clipped to ``[low, high]``)."""
    high: float | None = None
    decimals: int = 3
    """Fixed decimals for display, so one column never mixes formats."""
    unit: str = ""

    def clip(self, value: float) -> float:
        """``value`` limited to the column's valid range (NaN stays NaN)."""
        if math.isnan(value):
            return value
        if self.low is not None:
            value = max(value, self.low)
        if self.high is not None:
            value = min(value, self.high)
        return value

    def format(self, value: Any) -> str:
        """Fixed-point text with the column's decimals; empty for a missing value."""
        try:
            f = float(value)
        except (TypeError, ValueError):
            return "" if value is None else str(value)
        if math.isnan(f):
            return ""
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f"{f:.{self.decimals}f}"


_M = MetricColumn
_BUILTIN: tuple[MetricColumn, ...] = (
    _M("fid", "lower", "Fréchet distance of Gaussians fitted to real and generated features", 0.0, None, 2),
    _M("kid_mean", "lower", "kernel inception distance: unbiased MMD², cubic kernel (can be < 0)", None, None, 4),
    _M("kid_std", None, "standard deviation of KID over its subsets", 0.0, None, 4),
    _M("precision", "higher", "share of generated samples inside the real k-NN manifold", 0.0, 1.0, 3),
    _M("recall", "higher", "share of real samples inside the generated k-NN manifold", 0.0, 1.0, 3),
    _M("density", "higher", "mean count of real k-NN balls holding a generated sample, / k", 0.0, None, 3),
    _M("coverage", "higher", "share of real k-NN balls that hold a generated sample", 0.0, 1.0, 3),
    _M("modes", "higher", "modes captured (mixture centres or digit classes/triples)", 0.0, None, 1),
    _M("hq_fraction", "higher", "fraction (0-1) of samples within 3σ of their nearest centre", 0.0, 1.0, 3),
    _M("kl_modes", "lower", "KL divergence of the generated mode histogram to uniform", 0.0, None, 3),
    _M("ndb", "lower", "number of statistically different bins", 0.0, None, 1),
    _M("ndb_k", "lower", "share of statistically different bins (NDB/K)", 0.0, 1.0, 3),
    _M("ndb_js", "lower", "Jensen-Shannon divergence of the bin histograms", 0.0, math.log(2), 4),
    _M("code_accuracy", "higher", "InfoGAN categorical-code accuracy after Hungarian matching", 0.0, 1.0, 3),
    _M(
        "class_accuracy",
        "higher",
        "share of samples generated for class k that the classifier assigns to k",
        0.0,
        1.0,
        3,
    ),
    _M(
        "intra_fid",
        "lower",
        "mean over classes of the FID between generated and real samples of the class",
        0.0,
        None,
        2,
    ),
    _M("intra_fid_classes", None, "classes averaged in intra-FID (enough samples on both sides)", 0.0, None, 0),
    _M("intra_fid_n_fake", None, "smallest per-class number of generated samples in intra-FID", 0.0, None, 0),
    _M("intra_fid_n_real", None, "smallest per-class number of real samples in intra-FID", 0.0, None, 0),
    _M(
        "cas",
        "higher",
        "classification accuracy score: real-test accuracy of a classifier trained on samples",
        0.0,
        1.0,
        3,
    ),
    _M("d_loss", None, "discriminator loss at the last step", None, None, 3),
    _M("g_loss", None, "generator loss at the last step", None, None, 3),
    _M("train_img_s", "higher", "training throughput: G updates × batch per second", 0.0, None, 0, "img/s"),
    _M("gen_img_s", "higher", "sampling throughput", 0.0, None, 0, "img/s"),
    _M("train_s", "lower", "pure training time (no evaluation, checkpoints or pictures)", 0.0, None, 1, "s"),
    _M("eval_s", "lower", "evaluation time, periodic evaluation included", 0.0, None, 1, "s"),
    _M("wall_s", "lower", "wall-clock time of the cell", 0.0, None, 1, "s"),
    _M("peak_mem_mb", "lower", "peak memory (CUDA max allocated; process RSS on CPU)", 0.0, None, 0, "MB"),
)

_CATALOGUE: dict[str, MetricColumn] = {c.name: c for c in _BUILTIN}
_BUILTIN_NAMES = frozenset(_CATALOGUE)

HEADLINE_METRICS: dict[DataKindKey, tuple[str, ...]] = {
    "points": ("modes", "hq_fraction", "kl_modes"),
    "stacked": ("modes", "kl_modes", "fid"),
    "image": ("fid", "kid_mean", "precision", "recall"),
}
"""The metrics a comparison on each kind of data is read by, in order. On 2D mixtures FID on raw
coordinates comes after the mode metrics: it rewards matching the first two moments, not the modes."""

PROTOCOL_COLUMNS: tuple[str, ...] = (
    "fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "real_stats_key",
    "kid_subset_size", "kid_subsets", "prdc_k_pr", "prdc_k_dc", "modes_total",
)  # fmt: skip
"""How the metrics were measured: never averaged, and rows compared only when these agree."""

RUN_PROTOCOL_COLUMNS: tuple[str, ...] = ("steps", "batch_size", "resolution")
"""The training budget and data size: rows trained differently are not comparable either."""

THROUGHPUT_PROTOCOL_COLUMNS: tuple[str, ...] = ("device_type",)
"""What timings depend on; checked only when a timing column is compared."""

THROUGHPUT_COLUMNS: tuple[str, ...] = ("train_img_s", "gen_img_s", "train_s", "eval_s", "wall_s", "peak_mem_mb")


def comparison_protocol(metrics: Iterable[str]) -> tuple[str, ...]:
    """The columns two rows must agree on before ``metrics`` of theirs are compared."""
    timed = any(m in THROUGHPUT_COLUMNS for m in metrics)
    return PROTOCOL_COLUMNS + RUN_PROTOCOL_COLUMNS + (THROUGHPUT_PROTOCOL_COLUMNS if timed else ())


def clip(name: str, value: float, modes_total: float | None = None) -> float:
    """``value`` within column ``name``'s valid range; with the number of modes K known, ``modes`` is
    also at most K and ``kl_modes`` at most log K (the KL of a one-mode histogram to uniform)."""
    col = _CATALOGUE.get(name)
    value = col.clip(value) if col is not None else value
    if modes_total is not None and modes_total >= 1 and not math.isnan(value):
        cap = {"modes": float(modes_total), "kl_modes": math.log(modes_total)}.get(name)
        if cap is not None:
            value = min(value, cap)
    return value


_PLUGIN_PROTOCOL: dict[str, None] = {}
"""Protocol keys plugin metrics declared (``Registrar.add_metric(protocol=...)``), in declaration order."""

EXTRA_PROTOCOL_COLUMNS: tuple[str, ...] = ("fid_note", "fid_extractor_options")
"""Recorded about the features of an evaluation, shown with the protocol but never compared."""


def register_protocol_key(name: str) -> None:
    """Declare a key a (plugin) metric records about how it measured: shown in the protocol section of
    tables and reports, never averaged nor ranked like a metric column."""
    _PLUGIN_PROTOCOL.setdefault(name, None)


def is_protocol(name: str) -> bool:
    """Whether ``name`` describes how metrics were measured (ganbench's protocol columns or a metric's key)."""
    return name in PROTOCOL_COLUMNS or name in EXTRA_PROTOCOL_COLUMNS or name in _PLUGIN_PROTOCOL


def protocol_keys() -> tuple[str, ...]:
    """Every protocol key: ganbench's own, then the ones plugin metrics declared."""
    own = (*PROTOCOL_COLUMNS, *EXTRA_PROTOCOL_COLUMNS)
    return own + tuple(k for k in _PLUGIN_PROTOCOL if k not in own)


def is_builtin(name: str) -> bool:
    """Whether ``name`` is one of ganbench's own columns (not one a plugin declared)."""
    return name in _BUILTIN_NAMES


def register_column(column: MetricColumn) -> None:
    """Declare a (plugin) metric column; re-declaring the same definition is a no-op."""
    existing = _CATALOGUE.get(column.name)
    if existing is not None and existing != column:
        raise ValueError(f"metric column {column.name!r} is already declared differently: {existing}")
    _CATALOGUE[column.name] = column


def column(name: str) -> MetricColumn | None:
    """The declaration of ``name``, or ``None`` for an undeclared column."""
    return _CATALOGUE.get(name)


def columns() -> Mapping[str, MetricColumn]:
    """Every declared metric column (read-only view)."""
    return dict(_CATALOGUE)


SCALE_NOTES: dict[str, str] = {"kid_mean": "raw", "kid_std": "raw"}
"""Columns whose scale is easy to misread: papers often print KID ×10³ (or ×100); ganbench shows the raw
MMD² everywhere, and says so in the header (``kid_mean(raw)``)."""
SCALE_LEGEND = "kid_mean(raw): KID as computed (an unbiased MMD²), not multiplied by 10³ as some papers print it"


def label(name: str) -> str:
    """The column's name as a header, with its scale where that is easy to misread: ``kid_mean(raw)``."""
    note = SCALE_NOTES.get(name)
    return f"{name}({note})" if note else name


def direction(name: str) -> Direction | None:
    col = _CATALOGUE.get(name)
    return col.direction if col else None


def directions() -> dict[str, Direction]:
    """``{name: direction}`` of every ranked column."""
    return {c.name: c.direction for c in _CATALOGUE.values() if c.direction is not None}


def data_kind_of(row: Mapping[str, Any]) -> DataKindKey:
    """The kind of data a results row was measured on, for choosing its headline metrics.

    Rows record ``data_kind`` ("points" or "image") and ``stacked``; older rows are read from their
    protocol: raw-coordinate FID means 2D points, 1000 modes means stacked digits.
    """
    kind = row.get("data_kind")
    stacked = row.get("data_stacked")
    if isinstance(stacked, bool) and stacked:
        return "stacked"
    if kind in ("points", "stacked", "image"):
        return kind  # type: ignore[return-value]
    if row.get("fid_extractor") == "raw":
        return "points"
    total = row.get("modes_total")
    try:
        if total is not None and float(total) == 1000.0:
            return "stacked"
    except (TypeError, ValueError):
        pass
    return "image"


def headline_metrics(kind: DataKindKey) -> tuple[str, ...]:
    return HEADLINE_METRICS[kind]


def order_metrics(metrics: Iterable[str], kind: DataKindKey | None) -> list[str]:
    """``metrics`` with the kind's headline metrics first (in headline order), the rest as given."""
    metrics = list(metrics)
    head = [m for m in (HEADLINE_METRICS[kind] if kind else ()) if m in metrics]
    return head + [m for m in metrics if m not in head]


def format_metric(name: str, value: Any) -> str:
    """A value of column ``name`` in that column's fixed format (undeclared: 4 significant digits)."""
    col = _CATALOGUE.get(name)
    if col is not None:
        return col.format(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if math.isnan(f):
        return ""
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.4g}"
