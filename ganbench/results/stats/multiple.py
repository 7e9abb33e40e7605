"""Multiple-comparison correction over one family of tests."""

from __future__ import annotations

import math
from collections.abc import Sequence


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (S. Holm, "A simple sequentially rejective multiple test
    procedure", Scand. J. Statist. 1979); NaN entries stay NaN and are not counted in the family size."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    m = len(indexed)
    out = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def family_size(p_values: Sequence[float]) -> int:
    """How many tests a Holm correction over ``p_values`` counts (NaN entries are no test)."""
    return sum(1 for p in p_values if not math.isnan(p))
