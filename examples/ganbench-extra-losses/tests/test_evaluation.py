"""The energy-distance metric against scipy, and the rff extractor's features and weights file."""

from __future__ import annotations

import math

import pytest
import torch
from scipy.stats import energy_distance as scipy_energy_distance

from ganbench_extra_losses.evaluation import RFF_DIM, energy_distance, rff_extractor


def test_energy_distance_matches_scipy_in_one_dimension():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(300, 1, generator=g), 0.5 + 2 * torch.randn(200, 1, generator=g)
    # scipy's energy distance is the square root of 2E|X-Y| - E|X-X'| - E|Y-Y'| over the empirical distributions
    assert math.sqrt(energy_distance(x, y)) == pytest.approx(scipy_energy_distance(x[:, 0], y[:, 0]), rel=1e-9)


def test_energy_distance_is_zero_for_equal_samples_and_grows_with_a_shift():
    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(1))
    assert energy_distance(x, x) == pytest.approx(0.0, abs=1e-12)
    assert 0 < energy_distance(x, x + 0.5) < energy_distance(x, x + 2.0)


def test_rff_features_are_bounded_deterministic_and_read_from_weights(tmp_path):
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(2))
    fx = rff_extractor(device=torch.device("cpu"), weights=None, batch_size=16)
    f = fx(x)
    assert f.shape == (50, RFF_DIM) and f.abs().max() <= math.sqrt(2 / RFF_DIM) + 1e-6
    torch.testing.assert_close(f, rff_extractor(device=torch.device("cpu"), weights=None, batch_size=7)(x))
    path = tmp_path / "rff.pt"
    torch.save({"w": torch.zeros(2, RFF_DIM), "b": torch.zeros(RFF_DIM)}, path)
    loaded = rff_extractor(device=torch.device("cpu"), weights=path, batch_size=16)
    torch.testing.assert_close(loaded(x), torch.full((50, RFF_DIM), math.sqrt(2 / RFF_DIM)))  # cos(0) = 1
    assert loaded.weights_hash != fx.weights_hash
