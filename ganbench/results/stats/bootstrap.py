"""Effect sizes with percentile-bootstrap intervals, and aggregates across datasets by stratified bootstrap.

Following Agarwal, Schwarzer, Castro, Courville & Bellemare, "Deep Reinforcement Learning at the Edge of
the Statistical Precipice" (NeurIPS 2021; the ``rliable`` library):

* probability of improvement P(X > Y) = P(X > Y) + ½ P(X = Y) over all pairs of one seed of X and one
  of Y (the Mann–Whitney U statistic over ``nx · ny``); 0.5 means neither is better;
* the interquartile mean (IQM): the mean of the middle 50 % of values (25 % trimmed from each end);
* stratified bootstrap: resample seeds with replacement *within* each task (dataset), recompute the
  aggregate over all tasks, and take percentiles of the resampled aggregates.

Every bootstrap here is seeded (:data:`SEED`) and uses a stated number of resamples
(:data:`RESAMPLES`), vectorised over resamples in numpy. A percentile bootstrap cannot reach beyond
the observed seeds, so at very few seeds its intervals are too narrow: callers say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 2_000
SEED = 0


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a percentile-bootstrap interval (NaN bounds when undefined)."""

    value: float
    low: float = math.nan
    high: float = math.nan

    @property
    def has_interval(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))


def resample_indices(n: int, resamples: int = RESAMPLES, rng: np.random.Generator | None = None) -> np.ndarray:
    """``(resamples, n)`` indices drawn with replacement."""
    rng = rng if rng is not None else np.random.default_rng(SEED)
    return rng.integers(0, n, size=(resamples, n))


def percentile_interval(samples: np.ndarray, ci: float) -> tuple[float, float]:
    """The central ``ci`` share of bootstrap ``samples`` (NaN-free), e.g. the 2.5th and 97.5th percentiles."""
    tail = (1.0 - ci) / 2.0 * 100.0
    low, high = np.percentile(samples, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_mean_interval(
    values: Sequence[float], ci: float = 0.95, *, resamples: int = RESAMPLES, seed: int = SEED
) -> Estimate:
    """Mean with a percentile-bootstrap interval (inside ``[min, max]`` of the values by construction)."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return Estimate(math.nan)
    if len(x) < 2:
        return Estimate(float(x.mean()))
    means = x[resample_indices(len(x), resamples, np.random.default_rng(seed))].mean(axis=1)
    return Estimate(float(x.mean()), *percentile_interval(means, ci))


def probability_of_improvement(x: Sequence[float], y: Sequence[float]) -> float:
    """P(X > Y) + ½ P(X = Y) over all (x, y) pairs: the chance a seed of X beats a seed of Y (higher is better;
    pass negated values for lower-is-better metrics)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return math.nan
    return float(_poi(a[None, :], b[None, :])[0])


def _poi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise probability of improvement of ``a`` (R, nx) over ``b`` (R, ny)."""
    diff = a[:, :, None] - b[:, None, :]
    return ((diff > 0).mean(axis=(1, 2)) + 0.5 * (diff == 0).mean(axis=(1, 2))).astype(float)


def _resampled(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    return values[resample_indices(len(values), resamples, rng)]


def effect_sizes(
    x: Sequence[float],
    y: Sequence[float],
    ci: float = 0.95,
    *,
    paired: bool = False,
    higher_is_better: bool = True,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[Estimate, Estimate]:
    """Difference of means ``mean(x) − mean(y)`` and probability of improvement of X over Y, each with a
    percentile-bootstrap interval. ``paired`` resamples (x, y) pairs (same seeds); otherwise each side is
    resampled on its own. Intervals need at least 2 values a side."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return Estimate(math.nan), Estimate(math.nan)
    sign = 1.0 if higher_is_better else -1.0
    diff = Estimate(float(a.mean() - b.mean()))
    poi = Estimate(probability_of_improvement(sign * a, sign * b))
    if len(a) < 2 or len(b) < 2:
        return diff, poi
    rng = np.random.default_rng(seed)
    if paired:
        if len(a) != len(b):
            raise ValueError("paired effect sizes need equally many values on both sides")
        idx = resample_indices(len(a), resamples, rng)
        ra, rb = a[idx], b[idx]
    else:
        ra, rb = _resampled(a, resamples, rng), _resampled(b, resamples, rng)
    diffs = ra.mean(axis=1) - rb.mean(axis=1)
    pois = _poi(sign * ra, sign * rb)
    return (
        Estimate(diff.value, *percentile_interval(diffs, ci)),
        Estimate(poi.value, *percentile_interval(pois, ci)),
    )


def trim_mean(values: np.ndarray, proportion: float, axis: int = 0) -> np.ndarray | float:
    """Mean after cutting ``int(proportion * n)`` values from each end along ``axis``, as
    ``scipy.stats.trim_mean`` (here in NumPy: ``table`` then needs no ``scipy.stats`` import)."""
    a = np.asarray(values, dtype=float)
    n = a.shape[axis]
    low = int(proportion * n)
    kept = np.partition(a, (low, n - low - 1), axis=axis) if n - 2 * low > 0 else a
    return np.mean(np.take(kept, np.arange(low, n - low), axis=axis), axis=axis)


def iqm(values: Sequence[float]) -> float:
    """Interquartile mean: the mean after trimming 25 % from each end (``scipy.stats.trim_mean(x, 0.25)``)."""
    x = np.asarray(values, dtype=float)
    return float(trim_mean(x, 0.25)) if len(x) else math.nan


def stratified_iqm(
    tasks: Sequence[Sequence[float]], ci: float = 0.95, *, resamples: int = RESAMPLES, seed: int = SEED
) -> Estimate:
    """IQM over the values of all tasks (datasets), with a stratified-bootstrap interval: seeds are
    resampled within each task, so every task keeps its number of seeds in every resample."""
    arrays = [np.asarray(t, dtype=float) for t in tasks if len(t)]
    if not arrays:
        return Estimate(math.nan)
    point = iqm(np.concatenate(arrays))
    if all(len(t) < 2 for t in arrays):
        return Estimate(point)
    rng = np.random.default_rng(seed)
    stacked = np.concatenate([_resampled(t, resamples, rng) for t in arrays], axis=1)
    return Estimate(point, *percentile_interval(trim_mean(stacked, 0.25, axis=1), ci))


def stratified_probability_of_improvement(
    pairs: Sequence[tuple[Sequence[float], Sequence[float]]],
    ci: float = 0.95,
    *,
    higher_is_better: bool = True,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """Mean over tasks of P(X > Y) (``pairs`` = one ``(x, y)`` per task), with a stratified-bootstrap
    interval: within each task both sides' seeds are resampled, then the per-task values are averaged."""
    sign = 1.0 if higher_is_better else -1.0
    arrays = [
        (sign * np.asarray(x, dtype=float), sign * np.asarray(y, dtype=float)) for x, y in pairs if len(x) and len(y)
    ]
    if not arrays:
        return Estimate(math.nan)
    point = float(np.mean([probability_of_improvement(a, b) for a, b in arrays]))
    if any(len(a) < 2 or len(b) < 2 for a, b in arrays):
        return Estimate(point)
    rng = np.random.default_rng(seed)
    per_task = [_poi(_resampled(a, resamples, rng), _resampled(b, resamples, rng)) for a, b in arrays]
    return Estimate(point, *percentile_interval(np.mean(per_task, axis=0), ci))
