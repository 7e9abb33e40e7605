"""2D Gaussian mixtures from the mode-collapse literature (PacGAN, VEEGAN).

Constants follow PacGAN's code (docs/metrics.md). Mode centres of the ring use 2πi/8 for
i = 0..7: ``np.linspace(0, 2π, 8)`` would repeat the first centre at 2π and
leave only 7 distinct modes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ganbench.plugin import DatasetOptions, DataSpec, TensorGanDataset


@dataclass(frozen=True)
class Mixture:
    name: str
    description: str
    centres: tuple[tuple[float, float], ...]
    std: float
    train_size: int = 100_000
    test_size: int = 10_000


def ring_centres(n: int = 8, radius: float = 1.0) -> tuple[tuple[float, float], ...]:
    return tuple((radius * math.cos(2 * math.pi * i / n), radius * math.sin(2 * math.pi * i / n)) for i in range(n))


def grid_centres(values: tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)) -> tuple[tuple[float, float], ...]:
    return tuple((x, y) for x in values for y in values)


RING8 = Mixture("ring8", "8 Gaussians on a unit circle, std 0.01 (PacGAN/VEEGAN)", ring_centres(), 0.01)
GRID25 = Mixture("grid25", "25 Gaussians on a 5x5 grid with spacing 2, std 0.05 (PacGAN/VEEGAN)", grid_centres(), 0.05)


def sample_mixture(mixture: Mixture, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points drawn uniformly over the modes, with the mode index as label."""
    centres = torch.tensor(mixture.centres, dtype=torch.float32)
    labels = torch.randint(len(centres), (n,), generator=generator)
    points = centres[labels] + mixture.std * torch.randn(n, 2, generator=generator)
    return points, labels


def make_mixture(mixture: Mixture) -> Callable[[DatasetOptions], TensorGanDataset]:
    """A dataset factory for ``mixture``; the sample is fixed by the options' seed."""

    def factory(options: DatasetOptions) -> TensorGanDataset:
        generator = torch.Generator().manual_seed(10_007 + options.seed)
        spec = DataSpec(
            name=mixture.name,
            kind="points",
            shape=(2,),
            num_classes=len(mixture.centres),
            mode_centres=mixture.centres,
            mode_std=mixture.std,
            fid_extractor="raw",
            fid_split="test",
        )
        splits = {
            "train": sample_mixture(mixture, mixture.train_size, generator),
            "test": sample_mixture(mixture, mixture.test_size, generator),
        }
        return TensorGanDataset(spec, splits)

    return factory
