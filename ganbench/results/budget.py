"""The expected best score of a k-trial hyperparameter search, with a bootstrap band.

Lucic et al. (2018, "Are GANs Created Equal? A Large-Scale Study") compare GAN variants by the
distribution of the best score reached with a budget of k trials, not by one hand-picked setting.
Given the n trial scores of a sweep, :func:`expected_best` is the mean best score over every
subset of k of those trials, drawn **without replacement**; at k = n it is the sweep's best. With
the scores sorted so that ``x_(n)`` is the best, the best of a random k-subset is ``x_(i)`` with
probability ``C(i-1, k-1) / C(n, k)`` (the other k-1 trials come from the i-1 worse ones), so

    E[best of k] = sum_{i=k..n} x_(i) * C(i-1, k-1) / C(n, k).

The band is a percentile bootstrap over the trials: resample the n scores with replacement, redo
the curve, and take the central ``level`` of the resampled curves. Failed and diverged trials are
trials too: callers pass them as the worst score (see :func:`failed_score`), never drop them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import gammaln

from ganbench.results.stats.bootstrap import RESAMPLES, SEED, percentile_interval, resample_indices


def _log_comb(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def order_weights(n: int) -> np.ndarray:
    """``W[i, k-1]``: probability that the (i+1)-th smallest of n values is the largest of a k-subset."""
    i = np.arange(1, n + 1, dtype=float)[:, None]  # rank of the value, 1 = smallest
    k = np.arange(1, n + 1, dtype=float)[None, :]
    with np.errstate(invalid="ignore"):
        log_w = _log_comb(i - 1, k - 1) - _log_comb(np.full_like(k, n), k)
    return np.where(i >= k, np.exp(log_w), 0.0)


def _oriented(scores: Sequence[float], higher: bool) -> np.ndarray:
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1 or not len(values):
        raise ValueError("need a non-empty list of scores")
    if not np.isfinite(values).all():
        raise ValueError("scores must be finite (pass failed trials as the worst score, see failed_score)")
    return values if higher else -values


def expected_best(scores: Sequence[float], *, higher: bool = True) -> np.ndarray:
    """``E[best of k trials]`` for k = 1..n (the best is the max if ``higher``, else the min)."""
    x = np.sort(_oriented(scores, higher))
    curve = x @ order_weights(len(x))
    return curve if higher else -curve


def bootstrap_band(
    scores: Sequence[float],
    *,
    higher: bool = True,
    level: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap band ``(low, high)`` of :func:`expected_best`, k = 1..n (the project's seeded
    resampling, :mod:`ganbench.results.stats.bootstrap`)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = _oriented(scores, higher)
    samples = np.sort(x[resample_indices(len(x), resamples, np.random.default_rng(seed))], axis=1)
    curves = samples @ order_weights(len(x))
    if not higher:
        curves = -curves
    bands = np.array([percentile_interval(curves[:, k], level) for k in range(len(x))])
    return bands[:, 0], bands[:, 1]


def failed_score(finished: Sequence[float], *, higher: bool, low: float | None, high: float | None) -> float:
    """The score a failed or diverged trial counts as: the metric's worst valid value when it has one
    (``hq_fraction`` 0, ``modes`` 0), else the worst finished score (FID has no upper bound); NaN when
    there is neither."""
    bound = low if higher else high
    if bound is not None and math.isfinite(bound):
        return float(bound)
    values = [v for v in finished if math.isfinite(v)]
    if not values:
        return math.nan
    return float(min(values) if higher else max(values))
