"""Packing (PacGAN, Lin et al. 2018): the discriminator judges m samples at once.

A batch of N samples becomes N/m packs of m consecutive samples, concatenated
along the feature axis for points (``(N, D) -> (N/m, m·D)``) and along the
channel axis for images (``(N, C, H, W) -> (N/m, m·C, H, W)``), as the paper's
2D and stacked-MNIST code do. Batches are shuffled, so consecutive samples are
independent draws. The body is any registered discriminator, built for the
packed shape, so ``features``/``classify`` return one row per pack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import torch

from ganbench.plugin import BuildContext, DataSpec, Discriminator, IncompatibleError

from .networks import paper_init, positive_int, reject_unknown

NAME = "discriminator 'pacgan'"
OPTIONS = ("pack", "body", "body_options", "init")


def packed_spec(spec: DataSpec, pack: int) -> DataSpec:
    """The data spec the body sees: m times the width (points) or the channels (images)."""
    shape = (spec.shape[0] * pack, *spec.shape[1:])
    return dataclasses.replace(spec, shape=shape)


def pack_samples(x: torch.Tensor, pack: int) -> torch.Tensor:
    """Group consecutive samples into packs along the feature/channel axis (see module docstring)."""
    n = x.shape[0]
    if n % pack:
        raise ValueError(f"a batch of {n} samples cannot be split into packs of {pack}")
    return x.reshape(n // pack, pack * x.shape[1], *x.shape[2:])


class PacDiscriminator(Discriminator):
    """Scores packs of ``pack`` samples with ``body``; ``batch_multiple`` tells the engine the batch constraint."""

    def __init__(self, body: Discriminator, pack: int) -> None:
        super().__init__()
        self.body = body
        self.pack = pack
        self.batch_multiple = pack
        self.feature_dim = body.feature_dim

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body.features(pack_samples(x, self.pack))

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.body.classify(features)


def pacgan_discriminator(
    ctx: BuildContext,
    *,
    pack: int = 2,
    body: str | None = None,
    body_options: Mapping[str, object] | None = None,
    init: str = "body",
    **unknown: object,
) -> PacDiscriminator:
    """Packing on top of ``body`` (default: maxout for points, dcgan for images).

    ``init="paper"`` re-initialises the body with N(0, 0.02²) weights and zero
    biases; ``"body"`` keeps the body's own initialisation.
    """
    reject_unknown(NAME, unknown, OPTIONS)
    pack = positive_int(NAME, "pack", pack)
    if ctx.build_discriminator is None:
        raise IncompatibleError(f"{NAME} needs BuildContext.build_discriminator to build its body")
    body = body or ("maxout" if ctx.spec.kind == "points" else "dcgan")
    if body == "pacgan":
        raise IncompatibleError(f"{NAME}: option body='pacgan' would pack twice; choose a plain body")
    if body_options is not None and not isinstance(body_options, Mapping):
        raise IncompatibleError(f"{NAME}: option body_options={body_options!r} must be a mapping of options")
    if init not in ("body", "paper"):
        raise IncompatibleError(f"{NAME}: option init={init!r} is invalid; valid choices: body, paper")
    inner = ctx.build_discriminator(body, spec=packed_spec(ctx.spec, pack), **dict(body_options or {}))
    if init == "paper":
        inner.apply(paper_init)
    return PacDiscriminator(inner, pack)
