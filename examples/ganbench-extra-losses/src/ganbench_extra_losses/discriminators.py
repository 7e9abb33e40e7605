"""Discriminators these losses need and ganbench does not ship.

* ``sn-dcgan`` / ``sn-mlp``: every weight layer spectrally normalised
  (Miyato et al. 2018) and no batch norm, for the hinge loss (SNGAN).
* ``critic-dcgan`` / ``critic-mlp``: WGAN-GP critics. The gradient penalty is
  computed per sample, so batch norm (which mixes the samples of a batch) is
  out; Gulrajani et al. (2017) recommend layer norm, used here in the
  convolutional critic as ``GroupNorm(1, C)`` (normalises over C, H, W per sample).

The convolutional bodies follow DCGAN: 4x4 stride-2 convolutions doubling the
width while halving the side, down to a side of at most 4 (or an odd side,
e.g. 28 -> 14 -> 7), then a linear score.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
from ganbench.plugin import BuildContext, DataSpec, Discriminator, IncompatibleError
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

Wrap = Callable[[nn.Module], nn.Module]


def _identity(module: nn.Module) -> nn.Module:
    return module


def _conv_plan(component: str, spec: DataSpec) -> tuple[int, int, int]:
    """``(channels, blocks, final side)`` for a square image spec, or a one-line IncompatibleError."""
    if spec.kind != "image":
        raise IncompatibleError(f"{component} works on image data only, but dataset {spec.name!r} is {spec.kind} data")
    channels, height, width = spec.shape
    side, blocks = height, 0
    while side > 4 and side % 2 == 0:
        side, blocks = side // 2, blocks + 1
    if height != width or blocks == 0:
        raise IncompatibleError(
            f"{component} needs square images with an even side of at least 8, got {height}x{width} for {spec.name!r}"
        )
    return channels, blocks, side


class ConvDiscriminator(Discriminator):
    """A DCGAN-shaped body (no batch norm) with a configurable wrapper per layer and normalisation per block."""

    def __init__(
        self, channels: int, blocks: int, side: int, width: int, *, wrap: Wrap, layer_norm: bool, slope: float
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        ch_in, ch = channels, width
        for i in range(blocks):
            layers.append(wrap(nn.Conv2d(ch_in, ch, 4, 2, 1)))
            if layer_norm and i > 0:
                layers.append(nn.GroupNorm(1, ch))
            layers.append(nn.LeakyReLU(slope))
            ch_in, ch = ch, ch * 2
        self.main = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = ch_in * side * side
        self.head = wrap(nn.Linear(self.feature_dim, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).squeeze(-1)


class MLPDiscriminator(Discriminator):
    """``depth`` LeakyReLU(0.2) hidden layers, each weight layer passed through ``wrap``; no normalisation layers."""

    def __init__(self, in_dim: int, hidden: int, depth: int, *, wrap: Wrap) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_dim
        for _ in range(depth):
            layers += [wrap(nn.Linear(width, hidden)), nn.LeakyReLU(0.2)]
            width = hidden
        self.main = nn.Sequential(*layers)
        self.feature_dim = hidden
        self.head = wrap(nn.Linear(hidden, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).squeeze(-1)


def _positive(component: str, option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise IncompatibleError(f"{component}: option {option}={value!r} must be a positive integer")
    return int(value)


def _points_dim(component: str, spec: DataSpec) -> int:
    if spec.kind != "points":
        raise IncompatibleError(f"{component} works on points data only, but dataset {spec.name!r} is {spec.kind} data")
    return spec.shape[0]


def sn_dcgan_discriminator(ctx: BuildContext, *, width: int = 64) -> ConvDiscriminator:
    """SNGAN-style: LeakyReLU 0.1 as in Miyato et al.'s CNN, spectral norm on every conv and linear layer."""
    name = "discriminator 'sn-dcgan'"
    channels, blocks, side = _conv_plan(name, ctx.spec)
    return ConvDiscriminator(
        channels, blocks, side, _positive(name, "width", width), wrap=spectral_norm, layer_norm=False, slope=0.1
    )


def sn_mlp_discriminator(ctx: BuildContext, *, hidden: int = 256, depth: int = 3) -> MLPDiscriminator:
    name = "discriminator 'sn-mlp'"
    return MLPDiscriminator(
        _points_dim(name, ctx.spec),
        _positive(name, "hidden", hidden),
        _positive(name, "depth", depth),
        wrap=spectral_norm,
    )


def critic_dcgan_discriminator(ctx: BuildContext, *, width: int = 64) -> ConvDiscriminator:
    """WGAN-GP critic: layer norm instead of batch norm, LeakyReLU 0.2 as in DCGAN."""
    name = "discriminator 'critic-dcgan'"
    channels, blocks, side = _conv_plan(name, ctx.spec)
    return ConvDiscriminator(
        channels, blocks, side, _positive(name, "width", width), wrap=_identity, layer_norm=True, slope=0.2
    )


def critic_mlp_discriminator(ctx: BuildContext, *, hidden: int = 256, depth: int = 3) -> MLPDiscriminator:
    name = "discriminator 'critic-mlp'"
    return MLPDiscriminator(
        _points_dim(name, ctx.spec), _positive(name, "hidden", hidden), _positive(name, "depth", depth), wrap=_identity
    )
