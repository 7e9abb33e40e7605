"""NDB: z-test and JS against scipy, false-positive rate on identical data, power on shifted data."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, norm

from ganbench.errors import UserError
from ganbench.metrics.ndb import NDB, js_divergence, max_bins, two_proportion_z_test


def gaussian(n: int, seed: int, shift: float = 0.0, dim: int = 8) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)) + shift


@pytest.fixture(scope="module")
def bins() -> NDB:
    return NDB(gaussian(10_000, seed=0), k=100, seed=0)


def test_z_test_by_hand_and_against_chi2() -> None:
    x1, n1, x2, n2 = np.array([30, 120, 0, 7]), 1000, np.array([50, 95, 0, 7]), 800
    z, p = two_proportion_z_test(torch.tensor(x1 / n1), n1, torch.tensor(x2 / n2), n2)
    pooled = (x1 + x2) / (n1 + n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z_hand = (x1 / n1 - x2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_hand = 2 * norm.cdf(-np.abs(z_hand))
    live = [0, 1, 3]
    np.testing.assert_allclose(z.numpy()[live], z_hand[live], rtol=1e-12)
    np.testing.assert_allclose(p.numpy()[live], p_hand[live], rtol=1e-10)
    # The pooled two-sided z-test is the uncorrected chi-squared test of the 2x2 table (z² = χ²).
    for i in live:
        chi = chi2_contingency([[x1[i], n1 - x1[i]], [x2[i], n2 - x2[i]]], correction=False)
        assert p[i].item() == pytest.approx(chi.pvalue, rel=1e-9)
    assert z[2].item() == 0.0 and p[2].item() == 1.0  # empty in both: no evidence, never significant


def test_js_matches_scipy() -> None:
    p = torch.tensor([0.5, 0.3, 0.2, 0.0])
    q = torch.tensor([0.1, 0.1, 0.4, 0.4])
    assert js_divergence(p, q) == pytest.approx(jensenshannon(p.numpy(), q.numpy()) ** 2, rel=1e-6)
    assert js_divergence(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(math.log(2))


def test_identical_distribution_has_few_different_bins(bins: NDB) -> None:
    m = bins.evaluate(gaussian(10_000, seed=1))
    assert bins.k == 100
    assert m["ndb"] <= 12  # expected 5 false positives at alpha 0.05 (binomial s.d. 2.2)
    assert m["ndb_k"] == m["ndb"] / 100
    assert m["ndb_js"] < 0.01


def test_same_samples_give_zero(bins: NDB) -> None:
    assert bins.evaluate(gaussian(10_000, seed=0)) == {"ndb": 0, "ndb_k": 0.0, "ndb_js": pytest.approx(0.0, abs=1e-12)}


def test_shifted_and_collapsed_distributions_differ_in_many_bins(bins: NDB) -> None:
    shifted = bins.evaluate(gaussian(10_000, seed=2, shift=0.5))
    assert shifted["ndb"] >= 40
    collapsed = bins.evaluate(0.3 * gaussian(10_000, seed=3))  # mass pulled into the central bins
    assert collapsed["ndb"] >= 60
    assert collapsed["ndb_js"] > 0.1
    assert bins.evaluate(gaussian(10_000, seed=1))["ndb_js"] < shifted["ndb_js"] < math.log(2)


def test_alpha_controls_significance(bins: NDB) -> None:
    fake = gaussian(5_000, seed=4, shift=0.1)
    strict, loose = bins.evaluate(fake, alpha=0.001), bins.evaluate(fake, alpha=0.2)
    assert strict["ndb"] <= bins.evaluate(fake)["ndb"] <= loose["ndb"]
    with pytest.raises(UserError, match="alpha"):
        bins.evaluate(fake, alpha=1.5)


def test_bins_are_seeded_and_ordered_by_size(bins: NDB) -> None:
    a, b = NDB(gaussian(2_000, seed=9), k=20, seed=3), NDB(gaussian(2_000, seed=9), k=20, seed=3)
    assert torch.equal(a.centres, b.centres) and torch.equal(a.proportions, b.proportions)
    assert not torch.equal(NDB(gaussian(2_000, seed=9), k=20, seed=4).centres, a.centres)
    assert torch.all(bins.proportions[:-1] >= bins.proportions[1:])
    assert bins.proportions.sum().item() == pytest.approx(1.0)


def test_state_dict_round_trip(bins: NDB) -> None:
    buf = io.BytesIO()
    torch.save(bins.state_dict(), buf)
    buf.seek(0)
    restored = NDB.from_state_dict(torch.load(buf, weights_only=True))
    fake = gaussian(3_000, seed=5, shift=0.2)
    assert restored.evaluate(fake) == bins.evaluate(fake)
    assert restored.k == bins.k and restored.n_real == bins.n_real


def test_few_real_samples_reduce_k() -> None:
    assert max_bins(10_000, 100) == 100 and max_bins(500, 100) == 50
    small = NDB(gaussian(500, seed=6), k=100)
    assert small.k == 50 and small.k_requested == 100
    m = small.evaluate(gaussian(500, seed=7))
    assert m["ndb_k"] == pytest.approx(m["ndb"] / 50)
    with pytest.raises(UserError, match="at least 20"):
        NDB(gaussian(19, seed=8), k=100)
    with pytest.raises(UserError, match="k"):
        NDB(gaussian(100, seed=8), k=1)


def test_dimension_mismatch(bins: NDB) -> None:
    with pytest.raises(ValueError, match="dimension"):
        bins.evaluate(torch.randn(10, 3))
