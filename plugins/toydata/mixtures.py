"""2D Gaussian mixtures from the mode-collapse literature (PacGAN, VEEGAN).

Constants follow PacGAN's code (docs/metrics.md). Mode centres of the ring use 2πi/8 for
i = 0..7: ``np.linspace(0, 2π, 8)`` would repeat the first centre at 2π and
leave only 7 distinct modes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganbench.plugin import DatasetOptions, IncompatibleError, TensorGanDataset

from .catalogue import GRID25, MIXTURE_OPTIONS, RING8, Mixture, grid_centres, mixture_spec, ring_centres

__all__ = [
    "GRID25", "MIXTURE_OPTIONS", "RING8", "Mixture", "grid_centres", "load_mixture", "make_mixture", "mixture_spec",
    "ring_centres",
    "sample_mixture", "train_size",
]  # fmt: skip


def sample_mixture(mixture: Mixture, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points drawn uniformly over the modes, with the mode index as label."""
    centres = torch.tensor(mixture.centres, dtype=torch.float32)
    labels = torch.randint(len(centres), (n,), generator=generator)
    points = centres[labels] + mixture.std * torch.randn(n, 2, generator=generator)
    return points, labels


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
        spec = mixture_spec(mixture)
        splits = {
            "train": sample_mixture(mixture, size, generator),
            "test": sample_mixture(mixture, mixture.test_size, generator),
        }
        return TensorGanDataset(spec, splits)

    return factory


def load_mixture(mixture: Mixture, options: DatasetOptions) -> TensorGanDataset:
    """``make_mixture(mixture)(options)``: what the plugin registers (``partial`` of a lazy factory)."""
    return make_mixture(mixture)(options)
