"""The results tables ``ganbench run`` prints: per run and mean ± std over seeds, fitted to the terminal.

Each kind of data (2D points, stacked digits, images) gets its own table led by the
catalogue's headline metrics, every number in its column's fixed format
(:func:`ganbench.columns.format_metric`). Columns are added in order while they fit
the width; ``wide`` prints them all. The CSV and Parquet files always keep everything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ganbench import columns
from ganbench.results.display import key_text, mean_std_text

if TYPE_CHECKING:
    import pandas as pd

KIND_TITLES = {"points": "2D points", "stacked": "stacked digits", "image": "images"}
RUN_KEYS = ("variant", "dataset", "seed", "steps", "batch_size", "status")
NUMERIC_KEYS = ("seed", "steps", "batch_size")
SUMMARY_KEYS = ("variant", "dataset", "seeds", "status")
AFTER_HEADLINE = ("train_img_s", "wall_s")
"""Shown after the headline metrics when they fit: what a run cost."""
SEPARATOR = "  "
MAX_TEXT = 24
"""Longest name or status cell before it is cut with an ellipsis (full text in results.csv)."""


def _metric_order(table: pd.DataFrame, kind: columns.DataKindKey, wide: bool) -> list[str]:
    from ganbench.results.aggregate import metric_columns

    present = metric_columns(table)
    head = [m for m in columns.headline_metrics(kind) if m in present]
    if not wide:  # then what an installed plugin measures (the user asked for it), then the cost
        plugin = [m for m in present if m not in head and columns.direction(m) and not columns.is_builtin(m)]
        return head + plugin + [m for m in AFTER_HEADLINE if m in present and m not in head]
    return columns.order_metrics(present, kind)


def _header(metric: str) -> str:
    arrow = {"lower": "↓", "higher": "↑"}.get(columns.direction(metric) or "", "")
    return columns.label(metric) + arrow


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None, numeric: set[int]) -> str:
    """Aligned plain-text columns; with ``width``, trailing columns that do not fit are left out."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    keep = len(header)
    if width is not None:
        total = 0
        for i, w in enumerate(widths):
            total += w + (len(SEPARATOR) if i else 0)
            if total > width:
                keep = max(i, 1)
                break

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(cells[:keep])]
        text = SEPARATOR.join(parts).rstrip()
        return text if width is None else text[:width]

    out = [line(header), *(line(r) for r in rows)]
    if keep < len(header):
        out.append(f"({len(header) - keep} more column(s): --wide, or results.csv)"[: width or None])
    return "\n".join(out)


def protocol_block(table: pd.DataFrame) -> str:
    """``protocol:`` then one line per protocol key with its distinct values: how the metrics were measured
    (ganbench's keys and those plugin metrics declare), kept apart from the metric columns."""
    from ganbench.results.aggregate import distinct_text, protocol_columns

    lines = [f"  {c}: {text}" for c in protocol_columns(table) if (text := distinct_text(table[c]))]
    return "protocol:\n" + "\n".join(lines) if lines else ""


def split_by_kind(table: pd.DataFrame) -> list[tuple[columns.DataKindKey, pd.DataFrame]]:
    """The table's rows grouped by the kind of data they were measured on, in a fixed order."""
    kinds = [columns.data_kind_of(row) for row in table.to_dict("records")]
    parts = []
    for kind in ("points", "stacked", "image"):
        mask = [k == kind for k in kinds]
        if any(mask):
            parts.append((kind, table[mask]))
    return parts  # type: ignore[return-value]


def runs_table(table: pd.DataFrame, *, width: int | None, wide: bool = False) -> str:
    """One line per run: keys, steps, status, then the kind's headline metrics."""
    blocks = []
    parts = split_by_kind(table)
    for kind, part in parts:
        part = part.sort_values([c for c in ("variant", "dataset", "seed") if c in part.columns], kind="stable")
        keys = [k for k in RUN_KEYS if k in part.columns]
        metrics = _metric_order(part, kind, wide)
        header = keys + [_header(m) for m in metrics]
        limit = 10**6 if wide else MAX_TEXT
        rows = [
            [_cut(key_text(r.get(k)), limit) for k in keys] + [columns.format_metric(m, r.get(m)) for m in metrics]
            for r in part.to_dict("records")
        ]
        numeric = {i for i, k in enumerate(keys) if k in NUMERIC_KEYS} | set(range(len(keys), len(header)))
        title = f"{KIND_TITLES[kind]}:\n" if len(parts) > 1 else ""
        protocol = protocol_block(part) if wide else ""
        blocks.append(
            title + render(header, rows, None if wide else width, numeric) + (f"\n{protocol}" if protocol else "")
        )
    return "\n\n".join(blocks)


def summary_table(table: pd.DataFrame, *, width: int | None, wide: bool = False) -> str:
    """Per (variant, dataset): ``mean ± std`` over seeds of the kind's headline metrics."""
    from ganbench.results.aggregate import aggregate

    blocks = []
    parts = split_by_kind(table)
    for kind, part in parts:
        agg = aggregate(part)
        metrics = _metric_order(part, kind, wide)
        header = [*SUMMARY_KEYS, *(_header(m) for m in metrics)]
        limit = 10**6 if wide else MAX_TEXT
        rows = []
        for r in agg.to_dict("records"):
            n_seeds = int(r.get("n_seeds") or 0)
            keys = [key_text(r.get("variant")), key_text(r.get("dataset")), str(n_seeds), key_text(r.get("status"))]
            cells = [_cut(k, limit) for k in keys]
            for m in metrics:
                n = int(r.get(f"n_{m}") or 0)
                cells.append(mean_std_text(m, r.get(f"{m}_mean", math.nan), r.get(f"{m}_std", math.nan), n, n_seeds))
            rows.append(cells)
        numeric = {2} | set(range(len(SUMMARY_KEYS), len(header)))
        title = f"{KIND_TITLES[kind]}:\n" if len(parts) > 1 else ""
        blocks.append(title + render(header, rows, None if wide else width, numeric))
    return "\n\n".join(blocks)
