"""The ``minibatch`` discriminator: any registered body plus a minibatch-discrimination layer (layer.py)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import torch
from torch import nn

from ganbench.plugin import BuildContext, Discriminator, IncompatibleError

from .layer import MinibatchDiscrimination

NAME = "discriminator 'minibatch'"
OPTIONS = ("body", "body_options", "kernels", "kernel_dim", "init_std", "rank")
AUTO_RANK_ABOVE = 1024
"""Bodies with more features than this get a rank-256 factorised T by default (see layer.py)."""
AUTO_RANK = 256


class MinibatchDiscriminator(Discriminator):
    """``features`` are the body's (InfoGAN's Q reads these); ``classify`` adds ``o(x)`` then a linear logit.

    Real and fake batches must be scored separately (the engine does), since
    ``o(x_i)`` compares each sample with the rest of its own batch.
    """

    def __init__(self, body: Discriminator, layer: MinibatchDiscrimination) -> None:
        super().__init__()
        self.body = body
        self.feature_dim = body.feature_dim
        self.minibatch = layer
        self.head = nn.Linear(body.feature_dim + layer.kernels, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body.features(x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([features, self.minibatch(features)], dim=1)).squeeze(-1)


def _positive_int(option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise IncompatibleError(f"{NAME}: option {option}={value!r} must be a positive integer")
    return int(value)


def minibatch_discriminator(
    ctx: BuildContext,
    *,
    body: str | None = None,
    body_options: Mapping[str, object] | None = None,
    kernels: int = 100,
    kernel_dim: int = 5,
    init_std: float = 0.05,
    rank: int | str | None = "auto",
    **unknown: object,
) -> MinibatchDiscriminator:
    """Minibatch discrimination on top of ``body`` (default: dcgan for images, mlp for points).

    ``rank``: ``"auto"`` (full T up to 1024 body features, else rank 256),
    ``"full"``/``None`` (full T, as in the paper) or an int (factorised T).
    """
    if unknown:
        bad = sorted(unknown)[0]
        raise IncompatibleError(f"unknown option {bad!r} for {NAME}; valid options: {', '.join(OPTIONS)}")
    if ctx.build_discriminator is None:
        raise IncompatibleError(f"{NAME} needs BuildContext.build_discriminator to build its body")
    body = body or ("dcgan" if ctx.spec.kind == "image" else "mlp")
    if body == "minibatch":
        raise IncompatibleError(f"{NAME}: option body='minibatch' would nest the layer; choose a plain body")
    if body_options is not None and not isinstance(body_options, Mapping):
        raise IncompatibleError(f"{NAME}: option body_options={body_options!r} must be a mapping of options")
    kernels = _positive_int("kernels", kernels)
    kernel_dim = _positive_int("kernel_dim", kernel_dim)
    if isinstance(init_std, bool) or not isinstance(init_std, numbers.Real) or not init_std > 0:
        raise IncompatibleError(f"{NAME}: option init_std={init_std!r} must be a positive number")
    inner = ctx.build_discriminator(body, **dict(body_options or {}))
    if rank == "auto":
        resolved = AUTO_RANK if inner.feature_dim > AUTO_RANK_ABOVE else None
    elif rank is None or rank == "full":
        resolved = None
    else:
        resolved = _positive_int("rank", rank)
    layer = MinibatchDiscrimination(inner.feature_dim, kernels, kernel_dim, float(init_std), resolved)
    return MinibatchDiscriminator(inner, layer)
