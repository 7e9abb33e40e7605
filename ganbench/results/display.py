"""Numbers as people read them: one fixed format per metric (from :mod:`ganbench.columns`), also for mean ± std.

Shared by the terminal tables and the report so a value never looks different in the two.
"""

from __future__ import annotations

import math
from typing import Any

from ganbench import columns


def key_text(value: Any) -> str:
    """A key or status cell: empty for None/NaN, whole floats without ``.0`` (a seed read back as 3.0)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def mean_std_text(metric: str, mean: float, std: float, n: int | None = None, n_seeds: int | None = None) -> str:
    """``mean ± std`` in the metric's fixed format; ``(2 of 3 seeds)`` when only ``n`` of ``n_seeds`` have a value."""
    if mean is None or math.isnan(mean):
        return ""
    text = columns.format_metric(metric, mean)
    if std is not None and not math.isnan(std):
        text += " ± " + columns.format_metric(metric, std)
    if n is not None and n_seeds is not None and n < n_seeds:
        text += f" ({n} of {n_seeds} seeds)"
    return text


def metric_header(metric: str) -> str:
    """``fid ↓``: the column name (with its scale where easy to misread) and the direction that is better."""
    arrow = {"lower": " ↓", "higher": " ↑"}.get(columns.direction(metric) or "", "")
    return columns.label(metric) + arrow
