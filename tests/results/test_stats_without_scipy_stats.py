"""The NumPy helpers that spare ``table`` the scipy.stats import agree with scipy.stats (the reference)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from scipy import special

from ganbench.results.stats.bootstrap import trim_mean
from ganbench.results.stats.exact import average_ranks


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 10, 13, 40])
def test_trim_mean_and_average_ranks_match_scipy(n: int):
    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    x[: n // 3] = x[0]  # ties
    assert trim_mean(x, 0.25) == pytest.approx(st.trim_mean(x, 0.25), rel=1e-12)
    np.testing.assert_array_equal(average_ranks(x), st.rankdata(x))
    grid = rng.integers(0, 4, size=(6, n)).astype(float)  # many ties, per row
    np.testing.assert_allclose(trim_mean(grid, 0.25, axis=1), st.trim_mean(grid, 0.25, axis=1), rtol=1e-12)


def test_the_quantiles_are_scipy_stats_ones():
    for df in (1, 2, 4, 9, 30):
        assert special.stdtrit(df, 0.975) == pytest.approx(st.t.ppf(0.975, df), rel=1e-10)
    assert special.ndtri(0.975) == pytest.approx(st.norm.ppf(0.975), rel=1e-12)
