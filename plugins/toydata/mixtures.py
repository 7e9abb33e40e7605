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

from ganbench.plugin import DatasetOptions, DataSpec, IncompatibleError, TensorGanDataset


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


MIXTURE_OPTIONS = ("size",)
"""``--data-opt size=N``: the number of training samples (default 100,000, PacGAN's fixed training set)."""


def train_size(mixture: Mixture, options: DatasetOptions) -> int:
    size = options.options.get("size", mixture.train_size)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise IncompatibleError(f"dataset {mixture.name!r}: option size={size!r} must be a positive integer")
    return size


def make_mixture(mixture: Mixture) -> Callable[[DatasetOptions], TensorGanDataset]:
    """A dataset factory for ``mixture``.

    The training set is a fixed sample of ``size`` points (default 100,000)
    drawn once when the dataset loads, from a generator seeded with the
    options' seed; training reshuffles it every epoch, it never draws fresh
    points. The 10,000-point test split is drawn right after it.
    """

    def factory(options: DatasetOptions) -> TensorGanDataset:
        size = train_size(mixture, options)
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
            "train": sample_mixture(mixture, size, generator),
            "test": sample_mixture(mixture, mixture.test_size, generator),
        }
        return TensorGanDataset(spec, splits)

    return factory
