"""The Fréchet distance between two Gaussians, in float64 NumPy (no torch).

FID is this distance between Gaussians fitted to two feature sets (Heusel et al. 2017). It lives apart from
:mod:`ganbench.metrics.fid` (which goes through torch-fidelity) so that code with no model to run — the
leaderboard's real-versus-real floors, for instance — can evaluate it without importing torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_f64(a: Any) -> np.ndarray:
    """``a`` (array-like or a torch tensor, duck-typed so torch is not imported here) as a float64 array."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a covariance; round-off negative eigenvalues become 0."""
    sigma = (sigma + sigma.T) / 2
    w, v = np.linalg.eigh(sigma)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1: Any, sigma2: Any) -> float:
    """Tr((Σ1Σ2)^½) = Σ √max(λ_i(Σ1Σ2), 0), in float64.

    The λ_i are taken from ``√Σ1 Σ2 √Σ1``, which is similar to ``Σ1Σ2`` (same
    eigenvalues) but symmetric, so ``eigvalsh`` gives real values and avoids
    ``scipy.linalg.sqrtm`` (wrong in SciPy 1.11.2-1.11.3, scipy issue 19415).
    """
    s1, s2 = as_f64(sigma1), as_f64(sigma2)
    root = psd_sqrt(s1)
    m = root @ s2 @ root
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(eig, 0.0, None)).sum())


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """‖μ1−μ2‖² + Tr(Σ1) + Tr(Σ2) − 2 Tr((Σ1Σ2)^½), robustly in float64."""
    m1, m2, s1, s2 = as_f64(mu1), as_f64(mu2), as_f64(sigma1), as_f64(sigma2)
    if m1.shape != m2.shape or s1.shape != s2.shape or s1.shape != (m1.size, m1.size):
        raise ValueError(f"shape mismatch: mu {m1.shape} vs {m2.shape}, sigma {s1.shape} vs {s2.shape}")
    diff = m1 - m2
    fd = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2))
    return max(fd, 0.0)  # a distance; tiny negatives are round-off


def frechet_distance_of_samples(a: Any, b: Any) -> float:
    """The Fréchet distance between Gaussians fitted to the rows of ``a`` and ``b`` (unbiased covariances,
    as torch-fidelity's FID statistics)."""
    x, y = as_f64(a), as_f64(b)
    return frechet_distance(
        x.mean(0), np.atleast_2d(np.cov(x, rowvar=False)), y.mean(0), np.atleast_2d(np.cov(y, rowvar=False))
    )
