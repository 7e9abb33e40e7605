"""FID/KID: our float64 Fréchet distance vs torch-fidelity, closed forms, KID vs a direct MMD²."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

from ganbench.metrics.fid import (
    feature_statistics,
    fid_agreement_note,
    fid_from_features,
    kid_from_features,
)
from ganbench.metrics.frechet import frechet_distance, trace_sqrt_product


def _correlated(n: int, d: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(d, d, generator=g, dtype=torch.float64) / math.sqrt(d)
    return (torch.randn(n, d, generator=g, dtype=torch.float64) @ mix + shift).float()


def _torch_fidelity_fid(f1: torch.Tensor, f2: torch.Tensor) -> float:
    s1, s2 = fid_features_to_statistics(f1.double()), fid_features_to_statistics(f2.double())
    return float(fid_statistics_to_metric(s1, s2, verbose=False)["frechet_inception_distance"])


@pytest.mark.parametrize(("n", "d"), [(400, 16), (300, 64), (40, 64)])  # last: N < D, singular covariances
def test_frechet_distance_agrees_with_torch_fidelity(n: int, d: int) -> None:
    f1, f2 = _correlated(n, d, 1), _correlated(n, d, 2, shift=0.3)
    expected = _torch_fidelity_fid(f1, f2)
    a, b = f1.double().numpy(), f2.double().numpy()
    ours = frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert ours == pytest.approx(expected, rel=1e-4)
    assert fid_from_features(f1, f2) == pytest.approx(expected, rel=1e-12)  # the suite's path is torch-fidelity's


def test_frechet_distance_closed_form_diagonal_gaussians() -> None:
    # N(mu1, diag(s1^2)) vs N(mu2, diag(s2^2)): FID = |mu1 - mu2|^2 + sum (s1 - s2)^2
    mu1, mu2 = np.array([0.0, 1.0, -2.0, 3.0]), np.array([1.0, 1.0, 0.5, -1.0])
    s1, s2 = np.array([1.0, 2.0, 0.5, 3.0]), np.array([2.0, 0.5, 0.5, 1.0])
    expected = float(((mu1 - mu2) ** 2).sum() + ((s1 - s2) ** 2).sum())
    assert frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2)) == pytest.approx(expected, rel=1e-12)
    # The same pair in a rotated basis (full, commuting covariances) has the same distance.
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))
    rotated = frechet_distance(q @ mu1, q @ np.diag(s1**2) @ q.T, q @ mu2, q @ np.diag(s2**2) @ q.T)
    assert rotated == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(mu1, np.diag(s1**2), mu1, np.diag(s1**2)) == pytest.approx(0.0, abs=1e-9)


def test_trace_sqrt_product_non_commuting() -> None:
    # Tr((A B)^1/2) for A = I: Tr(B^1/2) = sum sqrt(eig(B)).
    rng = np.random.default_rng(1)
    m = rng.normal(size=(5, 5))
    b = m @ m.T
    assert trace_sqrt_product(np.eye(5), b) == pytest.approx(np.sqrt(np.linalg.eigvalsh(b)).sum(), rel=1e-10)


def test_sampled_gaussians_approach_closed_form() -> None:
    g = torch.Generator().manual_seed(0)
    n = 20_000
    x = torch.randn(n, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 2.0, 0.5])
    y = torch.randn(n, 3, generator=g, dtype=torch.float64) * torch.tensor([2.0, 2.0, 1.0]) + torch.tensor([1.0, 0, 0])
    expected = 1.0 + 1.0 + 0.0 + 0.25
    assert fid_from_features(x, y) == pytest.approx(expected, abs=0.1)


def test_feature_statistics_are_float64_and_match_numpy() -> None:
    f = _correlated(100, 8, 3)
    stats = feature_statistics(f)
    assert stats["mu"].dtype == np.float64 and stats["sigma"].shape == (8, 8)
    np.testing.assert_allclose(stats["sigma"], np.cov(f.double().numpy(), rowvar=False), rtol=1e-12)


def _direct_unbiased_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Bińkowski et al.'s unbiased MMD² with k(a, b) = (a·b/d + 1)^3, written out with loops."""
    m, d = x.shape
    k = lambda a, b: (float(a @ b) / d + 1.0) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_matches_direct_unbiased_mmd() -> None:
    x, y = _correlated(40, 6, 4), _correlated(40, 6, 5, shift=0.5)
    # one subset of size N is a permutation of all samples, and MMD² is permutation-invariant: exact comparison
    kid = kid_from_features(x, y, subsets=1, subset_size=40)
    expected = _direct_unbiased_mmd2(x.double().numpy(), y.double().numpy())
    assert kid["kid_mean"] == pytest.approx(expected, rel=1e-4)
    assert kid["kid_std"] == 0.0
    assert kid["kid_subset_size"] == 40


def test_kid_caps_subset_size_and_is_near_zero_for_one_distribution() -> None:
    g = torch.Generator().manual_seed(6)
    x, y = torch.randn(200, 4, generator=g), torch.randn(200, 4, generator=g)
    kid = kid_from_features(x, y, subsets=10)
    assert kid["kid_subset_size"] == 200  # default 1000 capped at the smaller set
    far = kid_from_features(x, y + 1.0, subsets=10)
    assert far["kid_mean"] > 0.5
    assert abs(kid["kid_mean"]) < 0.05 * far["kid_mean"]  # unbiased: near zero, either sign
    assert math.isnan(kid_from_features(x[:1], y)["kid_mean"])


def test_agreement_note() -> None:
    assert fid_agreement_note(10.0, 10.000001) is None
    assert "disagree" in (fid_agreement_note(10.0, 10.5) or "")
    assert "not finite" in (fid_agreement_note(math.nan, 1.0) or "")


@pytest.mark.parametrize(("dim", "rank"), [(64, 2), (64, 63), (16, 16), (3, 0)])
def test_covariance_rank_matches_numpy(dim, rank):
    """The Cholesky screen and eigenvalue count agree with numpy's SVD-based matrix_rank on float32 features."""
    from ganbench.metrics.fid import covariance_rank, feature_statistics

    g = torch.Generator().manual_seed(dim + rank)
    features = (torch.randn(2000, max(rank, 1), generator=g) @ torch.randn(max(rank, 1), dim, generator=g)).float()
    if rank == 0:
        features = torch.ones(2000, dim)
    sigma = feature_statistics(features)["sigma"]
    centred = features.double().numpy() - features.double().numpy().mean(0)
    singular = np.linalg.svd(centred, compute_uv=False)
    expected = int((singular > 1e-4 * singular.max()).sum()) if singular.max() > 0 else 0  # float32 round-off: ~1e-7
    assert expected == rank
    assert covariance_rank(sigma) == (None if rank == dim else rank)
