"""Permutation tests that are exact at the sample sizes GAN comparisons have (a handful of seeds).

Why not Welch or the normal approximation of Mann–Whitney: at 3 seeds a side they return p = 0 for
constant, unequal samples (integer metrics such as captured modes) and p-values below what any test can
attain with so few values. A permutation test enumerates every way the pooled values could have been
split between the two variants (every sign flip of the paired differences when both variants ran the
same seeds); its p-value is the share of arrangements at least as extreme as the observed one, so it is
never 0 and never smaller than ``2 / arrangements`` (two-sided). Enumeration is exact whenever there are
at most :data:`MAX_EXACT` arrangements, which covers every comparison with n ≤ 10 per side
(C(20, 10) = 184,756; 2^10 = 1,024 pairs); beyond that a seeded Monte-Carlo sample of
:data:`MONTE_CARLO_RESAMPLES` arrangements is used, with p = (b + 1) / (B + 1) (still never 0).

The definitions follow ``scipy.stats.permutation_test`` (two-sided p = twice the smaller tail, at most 1,
with the same relative tolerance for ties), so the tests can check every value against it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Literal

import numpy as np

Statistic = Literal["mean", "welch", "rank"]
STATISTICS: tuple[str, ...] = ("mean", "welch", "rank")
"""Two-sample statistics: difference of means, Welch's t, difference of mean mid-ranks (Mann–Whitney)."""

MAX_EXACT = 200_000
"""Largest number of arrangements enumerated exactly (every n ≤ 10 per side stays below it)."""
MONTE_CARLO_RESAMPLES = 9_999
MONTE_CARLO_SEED = 0
_EPS = float(np.finfo(float).eps) * 100  # scipy's tolerance: values this close to the observed one count as ties


@dataclass(frozen=True)
class PermutationResult:
    """A two-sided permutation test: its p-value and how it was obtained."""

    p: float
    statistic: float
    arrangements: int
    """Arrangements enumerated (exact) or sampled (Monte Carlo)."""
    exact: bool

    @property
    def p_min(self) -> float:
        """The smallest two-sided p-value this test can return at these sample sizes."""
        return smallest_p(self.arrangements, self.exact)


def smallest_p(arrangements: int, exact: bool = True) -> float:
    """Smallest attainable two-sided p: ``2 / arrangements`` exact, ``2 / (B + 1)`` by Monte Carlo."""
    return min(1.0, 2.0 / (arrangements if exact else arrangements + 1))


def two_sample_arrangements(nx: int, ny: int) -> int:
    """How many ways ``nx + ny`` values split into groups of ``nx`` and ``ny``."""
    return math.comb(nx + ny, nx)


def smallest_two_sample_p(nx: int, ny: int) -> float:
    """Smallest two-sided p an exact two-sample permutation test can give (0.1 for 3 vs 3)."""
    count = two_sample_arrangements(nx, ny)
    return smallest_p(count) if count <= MAX_EXACT else smallest_p(MONTE_CARLO_RESAMPLES, exact=False)


def smallest_paired_p(n: int) -> float:
    """Smallest two-sided p of the exact paired (sign-flip) test on ``n`` pairs (0.25 for 3 pairs)."""
    count = 2**n
    return smallest_p(count) if count <= MAX_EXACT else smallest_p(MONTE_CARLO_RESAMPLES, exact=False)


def _two_sided(null: np.ndarray, observed: float, exact: bool) -> float:
    gamma = abs(_EPS * observed) if math.isfinite(observed) else 0.0
    less = np.count_nonzero(null <= observed + gamma)
    greater = np.count_nonzero(null >= observed - gamma)
    adjust = 0 if exact else 1
    total = len(null) + adjust
    return float(min(1.0, 2.0 * min(less + adjust, greater + adjust) / total))


@lru_cache(maxsize=64)
def _splits(n: int, k: int) -> np.ndarray:
    """Every k-subset of range(n) as a boolean mask row (n choose k rows)."""
    count = math.comb(n, k)
    idx = np.fromiter((i for c in combinations(range(n), k) for i in c), dtype=np.intp, count=count * k)
    mask = np.zeros((count, n), dtype=bool)
    mask[np.repeat(np.arange(count), k), idx] = True
    mask.setflags(write=False)
    return mask


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank: ``scipy.stats.rankdata`` (its algorithm, in NumPy)."""
    x = np.asarray(values).ravel()
    sorter = np.argsort(x, kind="mergesort")
    inverse = np.empty(x.size, dtype=np.intp)
    inverse[sorter] = np.arange(x.size)
    ordered = x[sorter]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = first.cumsum()[inverse]
    starts = np.r_[np.nonzero(first)[0], first.size]
    return 0.5 * (starts[dense] + starts[dense - 1] + 1)


def _group_statistic(pooled: np.ndarray, mask: np.ndarray, statistic: Statistic) -> np.ndarray:
    """The statistic for every arrangement: ``mask`` rows say which pooled values form the first group."""
    nx = int(mask[0].sum())
    ny = mask.shape[1] - nx
    values = average_ranks(pooled) if statistic == "rank" else pooled
    m = mask.astype(float)
    sx = m @ values
    sy = values.sum() - sx
    diff = sx / nx - sy / ny
    if statistic != "welch":
        return diff
    qx = m @ (values**2)
    qy = (values**2).sum() - qx
    var = np.maximum(qx - sx**2 / nx, 0.0) / (nx - 1) / nx + np.maximum(qy - sy**2 / ny, 0.0) / (ny - 1) / ny
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / np.sqrt(var)
    scale = np.abs(values).max() if len(values) else 1.0
    tied = np.abs(diff) <= _EPS * max(scale, 1e-300)  # equal means: t = 0 even when both groups are constant
    return np.where(tied, 0.0, t)


def permutation_test(
    x: Sequence[float], y: Sequence[float], statistic: Statistic = "mean", *, seed: int = MONTE_CARLO_SEED
) -> PermutationResult:
    """Two-sided two-sample permutation test of ``x`` against ``y`` (independent samples).

    ``statistic``: ``mean`` (difference of means), ``welch`` (Welch's t) or ``rank`` (difference of mean
    mid-ranks, i.e. the Mann–Whitney test with ties handled exactly). Needs at least 2 values a side.
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("a permutation test needs at least 2 values a side")
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}; valid: {', '.join(STATISTICS)}")
    pooled = np.concatenate([a, b])
    n, nx = len(pooled), len(a)
    observed_mask = np.zeros((1, n), dtype=bool)
    observed_mask[0, :nx] = True
    observed = float(_group_statistic(pooled, observed_mask, statistic)[0])
    count = math.comb(n, nx)
    if count <= MAX_EXACT:
        null = _group_statistic(pooled, _splits(n, nx), statistic)
        return PermutationResult(_two_sided(null, observed, True), observed, count, True)
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((MONTE_CARLO_RESAMPLES, n)), axis=1)
    mask = order < nx  # a uniformly random nx-subset per row
    null = _group_statistic(pooled, mask, statistic)
    return PermutationResult(_two_sided(null, observed, False), observed, MONTE_CARLO_RESAMPLES, False)


@lru_cache(maxsize=32)
def _signs(n: int) -> np.ndarray:
    """All 2^n sign vectors, one per row."""
    bits = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    signs = 1.0 - 2.0 * bits
    signs.setflags(write=False)
    return signs


def paired_permutation_test(
    x: Sequence[float], y: Sequence[float], *, seed: int = MONTE_CARLO_SEED
) -> PermutationResult:
    """Two-sided paired permutation test (same seeds on both sides): the mean of ``x - y`` under every
    sign flip of the differences. Needs at least 2 pairs; identical pairs give p = 1."""
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    if len(d) < 2:
        raise ValueError("a paired permutation test needs at least 2 pairs")
    if len(x) != len(y):
        raise ValueError("paired test needs equally many values on both sides")
    observed = float(d.mean())
    count = 2 ** len(d)
    if count <= MAX_EXACT:
        null = _signs(len(d)) @ d / len(d)
        return PermutationResult(_two_sided(null, observed, True), observed, count, True)
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=(MONTE_CARLO_RESAMPLES, len(d)))
    null = signs @ d / len(d)
    return PermutationResult(_two_sided(null, observed, False), observed, MONTE_CARLO_RESAMPLES, False)
