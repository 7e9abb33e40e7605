"""PRDC against a brute-force transcription of clovaai's compute_prdc and its published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from ganbench.errors import UserError
from ganbench.metrics.distances import knn_sq_radii
from ganbench.metrics.prdc import prdc, real_knn_radii


def brute_force_prdc(real: np.ndarray, fake: np.ndarray, k_pr: int, k_dc: int) -> dict[str, float]:
    """clovaai/generative-evaluation-prdc compute_prdc, full matrices via scipy, separate k per pair."""

    def radii(x: np.ndarray, k: int) -> np.ndarray:
        return np.partition(cdist(x, x), k, axis=1)[:, k]  # (k+1)-th smallest incl. self

    d = cdist(real, fake)  # (real, fake)
    real_pr, real_dc, fake_pr = radii(real, k_pr), radii(real, k_dc), radii(fake, k_pr)
    return {
        "precision": float((d < real_pr[:, None]).any(axis=0).mean()),
        "recall": float((d < fake_pr[None, :]).any(axis=1).mean()),
        "density": float((1.0 / k_dc) * (d < real_dc[:, None]).sum(axis=0).mean()),
        "coverage": float((d.min(axis=1) < real_dc).mean()),
    }


@pytest.mark.parametrize(("k_pr", "k_dc", "chunk"), [(3, 5, 37), (5, 5, 1024), (1, 7, 7)])
def test_matches_brute_force_on_small_sets(k_pr: int, k_dc: int, chunk: int) -> None:
    rng = np.random.default_rng(k_pr * 10 + k_dc)
    real = rng.standard_normal((301, 16))
    fake = 0.8 * rng.standard_normal((257, 16)) + 0.3  # overlapping but different: values strictly inside (0, 1)
    got = prdc(real, fake, k_pr=k_pr, k_dc=k_dc, chunk_size=chunk)
    want = brute_force_prdc(real, fake, k_pr, k_dc)
    assert got == pytest.approx(want, abs=1e-12)
    assert all(0.0 < want[m] < 1.0 for m in ("precision", "recall", "coverage"))


def test_default_k_is_three_for_pr_and_five_for_dc() -> None:
    rng = np.random.default_rng(7)
    real, fake = rng.standard_normal((200, 8)), rng.standard_normal((180, 8)) + 0.5
    got = prdc(real, fake)
    want_pr, want_dc = brute_force_prdc(real, fake, 3, 3), brute_force_prdc(real, fake, 5, 5)
    assert (got["precision"], got["recall"]) == pytest.approx((want_pr["precision"], want_pr["recall"]), abs=1e-12)
    assert (got["density"], got["coverage"]) == pytest.approx((want_dc["density"], want_dc["coverage"]), abs=1e-12)
    assert got["precision"] != pytest.approx(want_dc["precision"])  # the two k really differ here


def test_torch_numpy_and_float32_inputs_agree() -> None:
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(150, 10, generator=g), torch.randn(140, 10, generator=g) * 1.2
    a = prdc(real, fake)
    assert prdc(real.numpy(), fake.numpy()) == a
    assert prdc(real.double(), fake.double(), chunk_size=16) == a


def test_identical_sets_are_perfect() -> None:
    x = torch.randn(500, 32, generator=torch.Generator().manual_seed(1))
    m = prdc(x, x.clone())
    assert m["precision"] == 1.0 and m["recall"] == 1.0 and m["coverage"] == 1.0
    assert m["density"] >= 1.0 / 5  # each sample is at least inside its own ball


def test_far_disjoint_clouds_score_zero() -> None:
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(300, 8, generator=g), torch.randn(300, 8, generator=g) + 100.0
    assert prdc(real, fake) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_knn_radii_match_brute_force() -> None:
    x = np.random.default_rng(3).standard_normal((97, 5))
    radii = knn_sq_radii(torch.from_numpy(x), [1, 3, 5], chunk_size=10)
    d = np.sort(cdist(x, x), axis=1)
    for k in (1, 3, 5):
        np.testing.assert_allclose(radii[k].sqrt().numpy(), d[:, k], rtol=1e-10)


def test_bad_inputs_are_refused() -> None:
    x = torch.randn(10, 3)
    with pytest.raises(UserError, match="k must be"):
        prdc(x, x, k_pr=10)
    with pytest.raises(UserError, match="chunk_size"):
        prdc(x, x, chunk_size=0)
    with pytest.raises(ValueError, match="dimensions differ"):
        prdc(x, torch.randn(10, 4))
    with pytest.raises(ValueError, match="NaN"):
        prdc(x, torch.full((10, 3), float("nan")))


# clovaai/generative-evaluation-prdc README: 10k vs 10k samples of N(0, I_1000), k = 5 ->
# P 0.477, R 0.471, D 1.056, C 0.974, one draw ("may fluctuate due to randomness").
# Seed-to-seed standard deviations measured with this implementation over 9
# seeds: P 0.010, R 0.009, D 0.043, C 0.006 (density is noisy in high dimension:
# a few hub points sit in many balls). The README draw carries the same noise, so
# the tolerances are ~3 s.d. of a difference of two draws. Naeem et al. 2020
# (Lemmas 1-2) give closed forms for identical distributions that pin D and C
# more tightly: E[density] = 1, E[coverage] = 1 - prod_i (N-i)/(M+N-i), i = 1..k.
REFERENCE = {"precision": 0.477, "recall": 0.471, "density": 1.056, "coverage": 0.974}
TOLERANCE = {"precision": 0.045, "recall": 0.04, "density": 0.19, "coverage": 0.025}


def expected_coverage(n_real: int, n_fake: int, k: int) -> float:
    return 1.0 - math.prod((n_real - i) / (n_fake + n_real - i) for i in range(1, k + 1))


@pytest.mark.slow
def test_reference_values_on_standard_normal() -> None:
    g = torch.Generator().manual_seed(0)
    real = torch.randn(10_000, 1000, generator=g)
    fake = torch.randn(10_000, 1000, generator=g)
    got = prdc(real, fake, k_pr=5, k_dc=5, chunk_size=2048)
    for name, value in REFERENCE.items():
        assert abs(got[name] - value) <= TOLERANCE[name], (name, got[name], value)
    assert abs(got["density"] - 1.0) <= 0.13, got
    assert abs(got["coverage"] - expected_coverage(10_000, 10_000, 5)) <= 0.017, got


def test_precomputed_real_radii_give_identical_results() -> None:
    rng = np.random.default_rng(11)
    real, fake = rng.standard_normal((250, 12)), rng.standard_normal((230, 12)) * 1.1 + 0.2
    radii = real_knn_radii(real, chunk_size=64)
    assert sorted(radii) == [3, 5]
    assert prdc(real, fake, chunk_size=64, real_radii=radii) == prdc(real, fake, chunk_size=64)
    want = brute_force_prdc_35(real, fake)
    assert prdc(real, fake, real_radii=real_knn_radii(real)) == pytest.approx(want, abs=1e-12)


def brute_force_prdc_35(real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    pr, dc = brute_force_prdc(real, fake, 3, 3), brute_force_prdc(real, fake, 5, 5)
    return {"precision": pr["precision"], "recall": pr["recall"], "density": dc["density"], "coverage": dc["coverage"]}


def test_bad_precomputed_real_radii_are_refused() -> None:
    rng = np.random.default_rng(12)
    real, fake = rng.standard_normal((40, 4)), rng.standard_normal((30, 4))
    with pytest.raises(ValueError, match="no k = 5"):
        prdc(real, fake, real_radii=real_knn_radii(real, (3,)))
    with pytest.raises(ValueError, match="shape"):
        prdc(real, fake, real_radii=real_knn_radii(real[:20]))
