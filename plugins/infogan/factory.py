"""The ``infogan`` loss factory: checks the options and builds :class:`~.loss.InfoGANLoss`."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from ganbench.plugin import BuildContext, IncompatibleError

from .codes import CodeLayout
from .loss import InfoGANLoss

NAME = "loss 'infogan'"
OPTIONS = ("categorical", "continuous", "lambda_", "hidden")


def _count(option: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise IncompatibleError(f"{NAME}: option {option}={value!r} must be an integer >= {minimum}")
    return int(value)


def default_categories(ctx: BuildContext) -> int:
    """One categorical code with as many categories as the data has classes (or mixture modes), else 10."""
    if ctx.spec.num_classes:
        return ctx.spec.num_classes
    if ctx.spec.mode_centres:
        return len(ctx.spec.mode_centres)
    return 10


def infogan_loss(
    ctx: BuildContext,
    *,
    categorical: Sequence[int] | int | None = None,
    continuous: int = 2,
    lambda_: float = 1.0,
    hidden: int = 128,
    **unknown: object,
) -> InfoGANLoss:
    """InfoGAN loss; defaults follow the MNIST setup (one Categorical(10), two Uniform(-1, 1), λ = 1)."""
    if unknown:
        bad = sorted(unknown)[0]
        raise IncompatibleError(f"unknown option {bad!r} for {NAME}; valid options: {', '.join(OPTIONS)}")
    if ctx.feature_dim < 1:
        raise IncompatibleError(f"{NAME} needs a discriminator that exposes features (feature_dim={ctx.feature_dim})")
    if categorical is None:
        categorical = [default_categories(ctx)]
    elif isinstance(categorical, numbers.Integral) and not isinstance(categorical, bool):
        categorical = [int(categorical)]
    if isinstance(categorical, str) or not isinstance(categorical, Sequence):
        raise IncompatibleError(f"{NAME}: option categorical={categorical!r} must be a list of category counts")
    cats = tuple(_count("categorical", k, 2) for k in categorical)
    n_cont = _count("continuous", continuous, 0)
    if not cats and n_cont == 0:
        raise IncompatibleError(f"{NAME}: no codes (categorical=[] and continuous=0); InfoGAN needs at least one")
    if isinstance(lambda_, bool) or not isinstance(lambda_, numbers.Real) or not lambda_ >= 0:
        raise IncompatibleError(f"{NAME}: option lambda_={lambda_!r} must be a number >= 0")
    return InfoGANLoss(ctx.feature_dim, CodeLayout(cats, n_cont), float(lambda_), _count("hidden", hidden, 1))
