"""The networks of PacGAN's 2D experiments (Lin et al. 2018, synthetic_data_experiments).

Generator: four hidden layers of 400 units, each linear (no bias: batch norm
follows) + BatchNorm + ReLU, then a linear output with bias; z ∈ R² ~ N(0, I).
Discriminator body: three maxout layers (200 units × 5 pieces), then a linear
layer to one logit. Weights N(0, 0.02²), biases zero, as in the paper's code.
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from ganbench.plugin import BuildContext, Discriminator, Generator, IncompatibleError

INIT_STD = 0.02
BN_MOMENTUM = 0.05
"""The official code updates the population statistics as ``0.95 · old + 0.05 · batch``."""


def paper_init(module: nn.Module) -> None:
    """N(0, 0.02²) weights and zero biases on every linear/conv layer; batch norm starts at scale 1, shift 0."""
    if isinstance(module, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, INIT_STD)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def positive_int(component: str, option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise IncompatibleError(f"{component}: option {option}={value!r} must be a positive integer")
    return int(value)


def reject_unknown(component: str, unknown: dict[str, object], valid: tuple[str, ...]) -> None:
    if unknown:
        bad = sorted(unknown)[0]
        raise IncompatibleError(f"unknown option {bad!r} for {component}; valid options: {', '.join(valid)}")


class Maxout(nn.Module):
    """``units`` outputs, each the max over ``pieces`` affine maps (Goodfellow et al. 2013)."""

    def __init__(self, in_features: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).unflatten(-1, (self.units, self.pieces)).amax(dim=-1)


class MaxoutDiscriminator(Discriminator):
    """``depth`` maxout layers (the features) and a linear logit."""

    def __init__(self, in_features: int, units: int, pieces: int, depth: int) -> None:
        super().__init__()
        layers, width = [], in_features
        for _ in range(depth):
            layers.append(Maxout(width, units, pieces))
            width = units
        self.main = nn.Sequential(*layers)
        self.feature_dim = units
        self.head = nn.Linear(units, 1)
        self.apply(paper_init)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).squeeze(-1)


class BatchNormMLPGenerator(Generator):
    """``depth`` × (linear without bias, BatchNorm, ReLU), then a linear output in the data's units."""

    def __init__(self, latent_dim: int, noise_dim: int, out_dim: int, hidden: int, depth: int) -> None:
        super().__init__()
        self.noise_dim, self.latent_dim = noise_dim, latent_dim
        layers: list[nn.Module] = []
        width = latent_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden, bias=False), nn.BatchNorm1d(hidden, momentum=BN_MOMENTUM), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, out_dim))
        self.main = nn.Sequential(*layers)
        self.apply(paper_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


MAXOUT_OPTIONS = ("units", "pieces", "depth")
GENERATOR_OPTIONS = ("noise_dim", "hidden", "depth")


def maxout_discriminator(
    ctx: BuildContext, *, units: int = 200, pieces: int = 5, depth: int = 3, **unknown: object
) -> MaxoutDiscriminator:
    """PacGAN's 2D discriminator body for point data of any width (2m when packed)."""
    name = "discriminator 'maxout'"
    reject_unknown(name, unknown, MAXOUT_OPTIONS)
    if ctx.spec.kind != "points" or len(ctx.spec.shape) != 1:
        raise IncompatibleError(f"{name} needs point data (shape (D,)), got {ctx.spec.kind} {ctx.spec.shape}")
    return MaxoutDiscriminator(
        ctx.spec.shape[0],
        positive_int(name, "units", units),
        positive_int(name, "pieces", pieces),
        positive_int(name, "depth", depth),
    )


def bn_mlp_generator(
    ctx: BuildContext, *, noise_dim: int = 2, hidden: int = 400, depth: int = 4, **unknown: object
) -> BatchNormMLPGenerator:
    """PacGAN's 2D generator: z ∈ R² by default, 4 × 400 BatchNorm + ReLU, linear output."""
    name = "generator 'mlp-bn'"
    reject_unknown(name, unknown, GENERATOR_OPTIONS)
    if ctx.spec.kind != "points":
        raise IncompatibleError(f"{name} needs point data, got {ctx.spec.kind} (dataset {ctx.spec.name})")
    noise_dim = positive_int(name, "noise_dim", noise_dim)
    return BatchNormMLPGenerator(
        noise_dim + ctx.code_dim,
        noise_dim,
        ctx.spec.shape[0],
        positive_int(name, "hidden", hidden),
        positive_int(name, "depth", depth),
    )
