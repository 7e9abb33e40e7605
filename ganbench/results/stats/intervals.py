"""Confidence intervals of a mean over seeds, chosen by what the metric's values can be.

* Unbounded or one-sided metrics (FID, KID, losses): Student t, ``mean ± t_{(1+ci)/2, n−1} · s/√n``.
  Where it crosses the metric's bound the interval is *not* silently clipped: :class:`Interval` says
  ``crossed`` and the table marks it, because a crossing shows the normal approximation failed.
* Metrics bounded on both sides (shares in [0, 1], modes in [0, K], the mode KL in [0, log K]): the
  Student-t interval where it lies inside the bounds and the seeds do not all tie; otherwise (the normal
  approximation visibly failed, or a zero-width interval) the Wilson score interval (E. B. Wilson,
  "Probable inference, the law of succession, and statistical inference", JASA 1927) of the mean
  rescaled to [0, 1] with n = seeds. Wilson uses the binomial variance p(1 − p), the largest variance
  any quantity in [0, 1] with mean p can have, so it is conservative, inside the bounds by
  construction, and never zero-wide when the seeds tie. Either way the interval never leaves the bounds
  and is never clipped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

FEW_SEEDS = 5
"""Fewer seeds than this are "few": intervals are wide or rough, and tables say so."""
Method = Literal["t", "wilson", "none"]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: Method
    crossed: bool = False
    """A Student-t interval that reached past the metric's valid range (shown truncated and marked)."""


def t_interval(values: Sequence[float], ci: float) -> tuple[float, float]:
    """Student-t confidence interval of the mean; NaN bounds with fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return math.nan, math.nan
    mean, sem = float(x.mean()), float(x.std(ddof=1)) / math.sqrt(len(x))
    half = float(special.stdtrit(len(x) - 1, (1 + ci) / 2)) * sem  # Student t quantile
    return mean - half, mean + half


def wilson_interval(p_hat: float, n: float, ci: float) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p_hat`` observed on ``n`` trials (inside [0, 1])."""
    if n <= 0 or math.isnan(p_hat):
        return math.nan, math.nan
    z = float(special.ndtri((1 + ci) / 2))  # normal quantile
    z2 = z * z
    centre = (p_hat + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(max(p_hat * (1 - p_hat), 0.0) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def bounded_interval(values: Sequence[float], low: float, high: float, ci: float) -> Interval:
    """An interval of the mean of values that lie in ``[low, high]``, never outside it (see the module)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2 or not high > low:
        return Interval(math.nan, math.nan, "none")
    t_low, t_high = t_interval(x, ci)
    if np.ptp(x) > 0 and low <= t_low and t_high <= high:
        return Interval(t_low, t_high, "t")
    share = (float(np.clip(x, low, high).mean()) - low) / (high - low)
    lo, hi = wilson_interval(share, len(x), ci)
    return Interval(low + lo * (high - low), low + hi * (high - low), "wilson")


def mean_interval(values: Sequence[float], ci: float, low: float | None = None, high: float | None = None) -> Interval:
    """The interval :mod:`this module <ganbench.results.stats.intervals>` prescribes for a metric with
    valid range ``[low, high]`` (``None`` = unbounded on that side)."""
    if low is not None and high is not None:
        return bounded_interval(values, low, high, ci)
    lo, hi = t_interval(values, ci)
    if math.isnan(lo):
        return Interval(lo, hi, "none")
    crossed = (low is not None and lo < low) or (high is not None and hi > high)
    if low is not None:
        lo = max(lo, low)
    if high is not None:
        hi = min(hi, high)
    return Interval(lo, hi, "t", crossed)
