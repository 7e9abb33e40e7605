"""Mode counts, HQ fraction and KL against the PacGAN/VEEGAN 2D mixtures (docs/metrics.md) and hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganbench.errors import UserError
from ganbench.metrics.modes import class_modes, kl_to_uniform, mixture_modes, stacked_modes


def ring8_centres() -> torch.Tensor:
    """PacGAN: (cos 2πi/8, sin 2πi/8), i = 0..7 - not linspace(0, 2π, 8)."""
    angles = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8
    return torch.stack([angles.cos(), angles.sin()], dim=1)


def grid25_centres() -> torch.Tensor:
    ticks = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0], dtype=torch.float64)
    return torch.cartesian_prod(ticks, ticks)


def sample_mixture(centres: torch.Tensor, std: float, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(centres), (n,), generator=g)
    return centres[idx] + std * torch.randn(n, 2, generator=g, dtype=torch.float64)


def test_centre_helpers_have_distinct_modes() -> None:
    assert len(torch.unique(ring8_centres().round(decimals=6), dim=0)) == 8
    assert len(torch.unique(grid25_centres(), dim=0)) == 25


@pytest.mark.parametrize(("centres", "std", "total"), [(ring8_centres(), 0.01, 8), (grid25_centres(), 0.05, 25)])
def test_true_distribution_captures_every_mode(centres: torch.Tensor, std: float, total: int) -> None:
    m = mixture_modes(sample_mixture(centres, std, 2500, seed=total), centres, std)
    assert m["modes"] == total and m["modes_total"] == total
    assert m["hq_fraction"] >= 0.97
    # Ceiling for a perfect 2D generator: P(r < 3σ) = 1 - e^-4.5 ≈ 0.989 (binomial s.e. 0.002).
    assert m["hq_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.008)
    # Roughly uniform histogram: KL ≈ (K-1)/(2N), tiny.
    assert 0 <= m["kl_modes"] < 0.02


def test_linspace_pitfall_is_detected() -> None:
    """Samples from linspace(0, 2π, 8) centres hit only 7 distinct true modes."""
    angles = torch.linspace(0, 2 * math.pi, 8, dtype=torch.float64)
    bad = torch.stack([angles.cos(), angles.sin()], dim=1)
    m = mixture_modes(sample_mixture(bad, 0.01, 2500, seed=0), ring8_centres(), 0.01)
    assert m["modes"] <= 7


def test_collapse_onto_one_centre() -> None:
    centres = ring8_centres()
    samples = centres[3].expand(2500, 2) + 0.001 * torch.randn(2500, 2, dtype=torch.float64)
    m = mixture_modes(samples, centres, 0.01)
    assert m == {"modes": 1, "modes_total": 8, "hq_fraction": 1.0, "kl_modes": pytest.approx(math.log(8))}


def test_hq_threshold_is_three_sigma_and_kl_by_hand() -> None:
    centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]]
    std = 1.0
    samples = torch.tensor(
        [
            [2.9, 0.0],  # HQ, mode 0
            [0.0, -2.5],  # HQ, mode 0
            [10.0, 2.99],  # HQ, mode 1
            [0.0, 7.1],  # 2.9σ from mode 2: HQ
            [3.1, 0.0],  # 3.1σ: not HQ
            [5.0, 5.0],  # far from everything
        ]
    )
    m = mixture_modes(samples, centres, std)
    assert m["modes"] == 3 and m["modes_total"] == 4
    assert m["hq_fraction"] == pytest.approx(4 / 6)
    # histogram (2, 1, 1, 0)/4 vs uniform 1/4: 0.5 ln 2 + 0.25 ln 1 + 0.25 ln 1
    assert m["kl_modes"] == pytest.approx(0.5 * math.log(2))


def test_no_hq_sample_gives_the_worst_case_kl() -> None:
    """Documented convention: no HQ sample -> kl_modes = log K, the KL of a one-mode histogram."""
    m = mixture_modes(torch.full((10, 2), 50.0), ring8_centres(), 0.01)
    one_mode = mixture_modes(ring8_centres()[:1].repeat(10, 1), ring8_centres(), 0.01)
    assert m["modes"] == 0 and m["hq_fraction"] == 0.0 and m["kl_modes"] == pytest.approx(math.log(8))
    assert one_mode["modes"] == 1 and one_mode["kl_modes"] == pytest.approx(m["kl_modes"])
    rng = np.random.default_rng(0)  # log K bounds the KL of every non-empty histogram
    for _ in range(50):
        assert kl_to_uniform(rng.integers(0, 5, size=8), 8) <= math.log(8) + 1e-12
    empty = mixture_modes(torch.zeros(0, 2), ring8_centres(), 0.01)
    assert empty == {"modes": 0, "modes_total": 8, "hq_fraction": 0.0, "kl_modes": pytest.approx(math.log(8))}


def test_identical_samples_have_defined_mode_metrics() -> None:
    """All samples identical at a centre: one mode, every sample HQ, KL = log K (no NaN)."""
    m = mixture_modes(ring8_centres()[3:4].repeat(100, 1), ring8_centres(), 0.01)
    assert (m["modes"], m["hq_fraction"]) == (1, 1.0) and m["kl_modes"] == pytest.approx(math.log(8))
    assert class_modes(torch.zeros(0, dtype=torch.long), 10)["kl_modes"] == pytest.approx(math.log(10))
    assert stacked_modes(torch.zeros(0, 3, dtype=torch.long))["kl_modes"] == pytest.approx(math.log(1000))


def test_mixture_rejects_bad_arguments() -> None:
    with pytest.raises(UserError, match="std"):
        mixture_modes(torch.zeros(3, 2), ring8_centres(), 0.0)
    with pytest.raises(ValueError, match="agree"):
        mixture_modes(torch.zeros(3, 3), ring8_centres(), 0.01)


def test_kl_to_uniform_by_hand() -> None:
    assert kl_to_uniform(torch.tensor([5, 5, 5, 5]), 4) == pytest.approx(0.0)
    p = np.array([0.7, 0.2, 0.1])
    want = float(np.sum(p * np.log(p / 0.25)))  # one of 4 bins empty
    assert kl_to_uniform(np.array([7, 2, 1, 0]), 4) == pytest.approx(want)
    assert kl_to_uniform(torch.zeros(4), 4) == pytest.approx(math.log(4))


def test_class_modes() -> None:
    labels = torch.tensor([0, 0, 1, 2, 2, 2, 9, 9])
    m = class_modes(labels, 10)
    p = np.array([2, 1, 3, 2]) / 8
    assert m == {"modes": 4, "modes_total": 10, "kl_modes": pytest.approx(float(np.sum(p * np.log(p * 10))))}
    assert class_modes(torch.arange(10).repeat(3), 10)["kl_modes"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="lie in"):
        class_modes(torch.tensor([10]), 10)


def test_stacked_modes_on_constructed_triples() -> None:
    every = torch.cartesian_prod(torch.arange(10), torch.arange(10), torch.arange(10))
    m = stacked_modes(every)
    assert m == {"modes": 1000, "modes_total": 1000, "kl_modes": pytest.approx(0.0, abs=1e-12)}

    labels = torch.tensor([[1, 2, 3]] * 3 + [[3, 2, 1]])  # order matters: two modes
    m = stacked_modes(labels)
    want = 0.75 * math.log(0.75 / 0.001) + 0.25 * math.log(0.25 / 0.001)
    assert m["modes"] == 2 and m["kl_modes"] == pytest.approx(want)

    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        stacked_modes(torch.zeros(4, 2, dtype=torch.long))


def test_stacked_modes_uniform_floor() -> None:
    """VEEGAN protocol: a perfect generator at N = 26,000 has E[KL] ≈ (K-1)/(2N) ≈ 0.019."""
    labels = torch.randint(10, (26_000, 3), generator=torch.Generator().manual_seed(0))
    m = stacked_modes(labels)
    assert m["modes"] == 1000
    assert m["kl_modes"] == pytest.approx(999 / (2 * 26_000), abs=0.004)
