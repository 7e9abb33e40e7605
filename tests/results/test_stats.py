"""The statistics package against independent references: scipy.stats.permutation_test, brute-force
enumeration, scipy's Wilson interval, bootstrap and Mann–Whitney statistic, and hand computations."""

from __future__ import annotations

import math
from itertools import combinations, product

import numpy as np
import pytest
from scipy import stats

from ganbench.results import stats as gstats
from ganbench.results.stats import exact


def _scipy_two_sample(x, y, statistic):
    res = stats.permutation_test(
        (x, y), statistic, permutation_type="independent", n_resamples=np.inf, vectorized=True, axis=-1
    )
    return res.pvalue


def _mean_diff(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def _welch_t(a, b, axis=-1):
    return stats.ttest_ind(a, b, equal_var=False, axis=axis).statistic


CASES = [
    ([1.0, 2.5, 3.0], [4.0, 4.5, 6.0]),
    ([0.2, 0.2, 0.3, 0.9], [0.1, 0.2, 0.2, 0.4, 0.5]),  # ties across the groups
    ([5.0, 7.0, 6.0, 9.0, 1.0, 2.0], [3.0, 8.0, 4.0]),
]


@pytest.mark.parametrize(("x", "y"), CASES)
def test_two_sample_mean_matches_scipy_exact(x, y):
    res = gstats.permutation_test(x, y, "mean")
    assert res.exact and res.arrangements == math.comb(len(x) + len(y), len(x))
    assert res.p == pytest.approx(_scipy_two_sample(x, y, _mean_diff), rel=1e-12)


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy's own, on the tied case
@pytest.mark.parametrize(("x", "y"), CASES)
def test_two_sample_welch_matches_scipy_exact(x, y):
    assert gstats.permutation_test(x, y, "welch").p == pytest.approx(_scipy_two_sample(x, y, _welch_t), rel=1e-12)


def test_ten_a_side_is_exact_and_matches_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0.0, 1.0, 10), rng.normal(0.8, 1.0, 10)
    res = gstats.permutation_test(x, y)
    assert res.exact and res.arrangements == 184_756
    assert res.p == pytest.approx(_scipy_two_sample(x, y, _mean_diff), rel=1e-12)


def _brute_force_rank_p(x, y):
    pooled = np.concatenate([x, y])
    ranks = stats.rankdata(pooled)
    n, nx = len(pooled), len(x)

    def stat(idx):
        mask = np.zeros(n, bool)
        mask[list(idx)] = True
        return ranks[mask].mean() - ranks[~mask].mean()

    observed = stat(range(nx))
    null = [stat(idx) for idx in combinations(range(n), nx)]
    less = sum(v <= observed + 1e-12 for v in null) / len(null)
    greater = sum(v >= observed - 1e-12 for v in null) / len(null)
    return min(1.0, 2 * min(less, greater))


@pytest.mark.parametrize(("x", "y"), CASES)
def test_rank_test_is_exact_mann_whitney_with_ties(x, y):
    assert gstats.permutation_test(x, y, "rank").p == pytest.approx(_brute_force_rank_p(np.array(x), np.array(y)))


def test_rank_test_without_ties_matches_scipy_exact_mann_whitney():
    x, y = [1.1, 3.4, 2.2, 7.0], [4.5, 5.5, 6.1, 8.2, 9.9]
    want = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact").pvalue
    assert gstats.permutation_test(x, y, "rank").p == pytest.approx(want, rel=1e-12)


def test_constant_unequal_samples_give_the_smallest_attainable_p_not_zero():
    # Welch returns p = 0 here; 3 vs 3 can do no better than 2 / C(6, 3) = 0.1
    for statistic in exact.STATISTICS:
        res = gstats.permutation_test([8, 8, 8], [7, 7, 7], statistic)
        assert res.p == pytest.approx(0.1) and res.p_min == pytest.approx(0.1)
    assert gstats.permutation_test([8, 8, 8], [8, 8, 8], "welch").p == 1.0
    assert gstats.smallest_two_sample_p(3, 3) == pytest.approx(0.1)
    assert gstats.smallest_two_sample_p(5, 5) == pytest.approx(2 / 252)


@pytest.mark.parametrize("n", [3, 5, 8])
def test_paired_matches_scipy_and_enumeration(n):
    rng = np.random.default_rng(n)
    x, y = rng.normal(0.0, 1.0, n), rng.normal(0.3, 1.0, n)
    res = gstats.paired_permutation_test(x, y)
    want = stats.permutation_test(
        (x, y), _mean_diff, permutation_type="samples", n_resamples=np.inf, vectorized=True, axis=-1
    ).pvalue
    assert res.exact and res.arrangements == 2**n and res.p == pytest.approx(want, rel=1e-12)
    d = x - y
    null = [np.mean(np.array(s) * d) for s in product([-1, 1], repeat=n)]
    brute = min(1.0, 2 * min(np.mean(null <= d.mean() + 1e-12), np.mean(null >= d.mean() - 1e-12)))
    assert res.p == pytest.approx(brute)
    assert gstats.paired_permutation_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).p == 1.0
    assert gstats.smallest_paired_p(3) == 0.25


def test_monte_carlo_beyond_the_exact_limit_is_seeded_close_and_never_zero(monkeypatch):
    x, y = [1.0, 2.5, 3.0, 3.5, 2.0], [4.0, 4.5, 6.0, 3.9, 5.2]
    exact_p = gstats.permutation_test(x, y).p
    monkeypatch.setattr(exact, "MAX_EXACT", 10)
    mc = exact.permutation_test(x, y)
    assert not mc.exact and mc.arrangements == exact.MONTE_CARLO_RESAMPLES
    assert mc.p == pytest.approx(exact_p, abs=0.01) and mc.p == exact.permutation_test(x, y).p
    far = exact.permutation_test([10.0] * 5, [0.0] * 5)
    assert far.p == pytest.approx(2 / 252, abs=0.003) and far.p_min == pytest.approx(
        2 / (exact.MONTE_CARLO_RESAMPLES + 1)
    )
    mc_paired = exact.paired_permutation_test(x, y)
    assert not mc_paired.exact and mc_paired.p == pytest.approx(gstats.paired_permutation_test(x, y).p, abs=0.01)


def test_too_few_values_are_refused():
    with pytest.raises(ValueError):
        gstats.permutation_test([1.0], [2.0, 3.0])
    with pytest.raises(ValueError):
        gstats.paired_permutation_test([1.0], [2.0])


def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06
    assert gstats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert gstats.holm([0.02, math.nan, 0.03]) == pytest.approx([0.04, math.nan, 0.04], nan_ok=True)
    assert gstats.holm([0.4, 0.45]) == pytest.approx([0.8, 0.8])
    assert gstats.family_size([0.1, math.nan, 0.2]) == 2


@pytest.mark.parametrize(("k", "n"), [(0, 3), (3, 3), (7, 10), (1, 4), (50, 100)])
def test_wilson_matches_scipy(k, n):
    want = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert gstats.wilson_interval(k / n, n, 0.95) == pytest.approx((want.low, want.high), rel=1e-9, abs=1e-12)


def test_t_interval_matches_scipy():
    x = [30.0, 34.0, 29.0, 31.5]
    want = stats.t.interval(0.9, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert gstats.t_interval(x, 0.9) == pytest.approx(want, rel=1e-12)
    assert all(math.isnan(v) for v in gstats.t_interval([3.0], 0.95))


def test_bounded_intervals_stay_inside_and_never_collapse_on_ties():
    raw = gstats.t_interval([0.0, 0.02, 0.9], 0.95)
    assert raw[0] < 0 and raw[1] > 1  # the failed normal approximation a clipped t-interval hid
    iv = gstats.mean_interval([0.0, 0.02, 0.9], 0.95, 0.0, 1.0)
    assert iv.method == "wilson" and 0.0 <= iv.low < iv.high <= 1.0
    want = stats.binomtest(1, 3).proportion_ci(0.95, method="wilson")  # mean 1/3 of three seeds
    assert gstats.mean_interval([0.0, 0.0, 1.0], 0.95, 0.0, 1.0).low == pytest.approx(want.low)
    tied = gstats.mean_interval([8.0, 8.0, 8.0], 0.95, 0.0, 8.0)
    assert tied.high == 8.0 and tied.low < 8.0  # all 8 modes on 3 seeds: not a zero-width interval
    inside = gstats.mean_interval([0.90, 0.92, 0.95, 0.97, 0.99], 0.95, 0.0, 1.0)
    assert inside.method == "t" and (inside.low, inside.high) == gstats.t_interval([0.90, 0.92, 0.95, 0.97, 0.99], 0.95)
    crossed = gstats.mean_interval([0.01, 0.02, 3.0], 0.95, 0.0, None)
    assert crossed.method == "t" and crossed.crossed and crossed.low == 0.0


def test_bootstrap_mean_interval_agrees_with_scipy_bootstrap():
    x = np.array([0.90, 0.92, 0.95, 0.97, 0.99, 0.93, 0.91])
    mine = gstats.bootstrap_mean_interval(x, 0.95)
    ref = stats.bootstrap((x,), np.mean, method="percentile", n_resamples=20_000, random_state=1)
    assert (mine.low, mine.high) == pytest.approx(tuple(ref.confidence_interval), abs=0.004)
    assert gstats.bootstrap_mean_interval(x, 0.95) == mine  # seeded


def test_probability_of_improvement_is_mann_whitney_u_over_pairs():
    x, y = [3.0, 3.0, 5.0, 1.0], [3.0, 2.0, 2.0]
    u = stats.mannwhitneyu(x, y, alternative="two-sided").statistic
    assert gstats.probability_of_improvement(x, y) == pytest.approx(u / 12)
    diff, poi = gstats.effect_sizes(x, y, higher_is_better=False)
    assert poi.value == pytest.approx(1 - u / 12) and diff.value == pytest.approx(np.mean(x) - np.mean(y))


def test_effect_size_intervals_agree_with_scipy_bootstrap():
    x, y = np.array([0.5, 0.7, 0.6, 0.9, 0.8]), np.array([0.4, 0.45, 0.6, 0.5])
    diff, poi = gstats.effect_sizes(x, y, resamples=20_000)

    def poi_stat(a, b, axis=-1):
        d = a[..., :, None] - b[..., None, :]
        return (d > 0).mean(axis=(-1, -2)) + 0.5 * (d == 0).mean(axis=(-1, -2))

    ref = stats.bootstrap((x, y), poi_stat, method="percentile", n_resamples=20_000, random_state=2)
    assert (poi.low, poi.high) == pytest.approx(tuple(ref.confidence_interval), abs=0.02)
    ref = stats.bootstrap((x, y), _mean_diff, method="percentile", n_resamples=20_000, random_state=2)
    assert (diff.low, diff.high) == pytest.approx(tuple(ref.confidence_interval), abs=0.01)
    same = gstats.effect_sizes([1.0, 2.0, 3.0], [1.5, 2.5, 3.5], paired=True)[0]
    assert (same.low, same.high) == pytest.approx((-0.5, -0.5))  # paired: every resampled difference is -0.5


def test_iqm_and_stratified_bootstrap():
    assert gstats.iqm(np.arange(1.0, 9.0)) == pytest.approx(4.5)  # mean of 3..6
    one = gstats.stratified_iqm([[0.1, 0.4, 0.35, 0.8, 0.6, 0.2, 0.9, 0.3]], resamples=20_000)
    ref = stats.bootstrap(
        (np.array([0.1, 0.4, 0.35, 0.8, 0.6, 0.2, 0.9, 0.3]),),
        lambda a, axis=-1: stats.trim_mean(a, 0.25, axis=axis),
        method="percentile",
        n_resamples=20_000,
        random_state=3,
    )
    assert (one.low, one.high) == pytest.approx(tuple(ref.confidence_interval), abs=0.02)
    # two tasks with nothing in common: each resample keeps 3 values of each, so the IQM stays between
    two = gstats.stratified_iqm([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert two.value == pytest.approx(0.5) and two.low == two.high == pytest.approx(0.5)
    agg = gstats.stratified_probability_of_improvement([([2.0, 3.0], [1.0, 1.5]), ([0.0, 0.1], [1.0, 2.0])])
    assert agg.value == pytest.approx(0.5) and agg.low == agg.high == pytest.approx(0.5)
    agg = gstats.stratified_probability_of_improvement([([2.0, 3.0, 0.5], [1.0, 1.5, 2.5])] * 2)
    assert agg.value == pytest.approx(gstats.probability_of_improvement([2.0, 3.0, 0.5], [1.0, 1.5, 2.5]))
    assert agg.low < agg.value < agg.high
