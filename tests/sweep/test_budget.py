"""The expected best of k trials against exact enumeration, and its bootstrap band."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from ganbench.results.budget import bootstrap_band, expected_best, failed_score, order_weights


def _enumerated(scores, k, best=max):
    """Mean of best(subset) over every k-subset of the trials (positions, so ties count twice)."""
    subsets = list(itertools.combinations(scores, k))
    return sum(best(s) for s in subsets) / len(subsets)


@pytest.mark.parametrize(
    "scores", [[0.3, 0.1, 0.5, 0.5, 0.2, 0.9], [4.0], [2.0, 2.0, 2.0], [7.5, -1.0, 3.25, 0.0, 11.0, 2.5, 2.5]]
)
def test_expected_best_equals_enumeration_over_all_k_subsets(scores):
    higher, lower = expected_best(scores, higher=True), expected_best(scores, higher=False)
    assert len(higher) == len(scores)
    for k in range(1, len(scores) + 1):
        assert higher[k - 1] == pytest.approx(_enumerated(scores, k, max), rel=1e-12, abs=1e-12)
        assert lower[k - 1] == pytest.approx(_enumerated(scores, k, min), rel=1e-12, abs=1e-12)
    assert higher[0] == pytest.approx(np.mean(scores)) and higher[-1] == max(scores)  # k = 1: mean; k = n: best


def test_order_weights_are_probabilities():
    w = order_weights(30)
    assert np.allclose(w.sum(axis=0), 1.0)  # for each k, the best of k is one of the trials
    assert (w >= 0).all()
    assert np.all(np.diff(expected_best(np.random.default_rng(0).normal(size=30))) >= -1e-12)  # more trials never hurt


def test_bootstrap_band_brackets_the_estimate_and_collapses_without_spread():
    scores = np.random.default_rng(1).uniform(size=25)
    curve = expected_best(scores)
    low, high = bootstrap_band(scores, level=0.9)
    assert (low <= high).all() and (high <= scores.max() + 1e-12).all() and (low >= scores.min() - 1e-12).all()
    assert ((low <= curve + 1e-9) & (curve - 1e-9 <= high)).mean() > 0.8
    flat_low, flat_high = bootstrap_band([0.4] * 6)
    assert np.allclose(flat_low, 0.4) and np.allclose(flat_high, 0.4)
    assert np.array_equal(bootstrap_band(scores)[0], bootstrap_band(scores)[0])  # seeded: reproducible


def test_bootstrap_band_matches_a_plain_resampling_loop():
    scores = [3.0, 1.0, 4.0, 1.5, 9.0, 2.0]
    low, high = bootstrap_band(scores, higher=False, resamples=400, seed=3)
    rng = np.random.default_rng(3)
    draws = rng.integers(0, len(scores), size=(400, len(scores)))
    curves = np.array([[_enumerated([scores[i] for i in row], k, min) for k in range(1, 7)] for row in draws])
    assert np.allclose(low, np.percentile(curves, 2.5, axis=0))
    assert np.allclose(high, np.percentile(curves, 97.5, axis=0))


def test_failed_trials_count_as_the_worst_score():
    assert failed_score([0.4, 0.9], higher=True, low=0.0, high=1.0) == 0.0  # a bounded metric: its worst value
    assert failed_score([12.0, 30.0], higher=False, low=0.0, high=None) == 30.0  # FID: the worst finished trial
    assert math.isnan(failed_score([], higher=False, low=0.0, high=None))
    with pytest.raises(ValueError):
        expected_best([1.0, math.nan])
