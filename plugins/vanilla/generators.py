"""Generators: DCGAN for images, an MLP for 2D/point data."""

from __future__ import annotations

import torch
from torch import nn

from ganbench.plugin import BuildContext, Generator

from ._common import check_options, dcgan_plan, dcgan_weights_init, positive_int, require_kind


class DCGANGenerator(Generator):
    """Transposed convolutions + batch norm + ReLU, tanh output (pytorch/examples dcgan at 64 px)."""

    def __init__(self, latent_dim: int, noise_dim: int, channels: int, start: int, blocks: int, width: int) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        self.latent_dim = latent_dim
        ch = width * 2 ** (blocks - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, ch, start, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(blocks - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.reshape(z.shape[0], self.latent_dim, 1, 1))


class MLPGenerator(Generator):
    """``depth`` ReLU hidden layers and a linear output in the data's units (no squashing)."""

    def __init__(self, latent_dim: int, noise_dim: int, out_dim: int, hidden: int, depth: int) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        self.latent_dim = latent_dim
        layers: list[nn.Module] = []
        width = latent_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU(True)]
            width = hidden
        layers.append(nn.Linear(width, out_dim))
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


def dcgan_generator(ctx: BuildContext, *, noise_dim: int = 100, width: int = 64, **unknown: object) -> DCGANGenerator:
    """DCGAN generator for square images of side 16, 28, 32 or 64 and any channel count."""
    name = "generator 'dcgan'"
    check_options(name, unknown, ("noise_dim", "width"))
    channels, start, blocks = dcgan_plan(name, ctx.spec)
    noise_dim = positive_int(name, "noise_dim", noise_dim)
    width = positive_int(name, "width", width)
    return DCGANGenerator(noise_dim + ctx.code_dim, noise_dim, channels, start, blocks, width)


def mlp_generator(
    ctx: BuildContext, *, noise_dim: int = 16, hidden: int = 256, depth: int = 3, **unknown: object
) -> MLPGenerator:
    """MLP generator for point data.

    16 noise dims rather than the 2 of PacGAN: a wider latent makes the map
    to a many-mode mixture easier to learn in a few thousand steps, and the
    InfoGAN codes ride on top of it.
    """
    name = "generator 'mlp'"
    check_options(name, unknown, ("noise_dim", "hidden", "depth"))
    require_kind(name, ctx.spec, "points", "the dcgan generator for images")
    noise_dim = positive_int(name, "noise_dim", noise_dim)
    hidden = positive_int(name, "hidden", hidden)
    depth = positive_int(name, "depth", depth)
    return MLPGenerator(noise_dim + ctx.code_dim, noise_dim, ctx.spec.shape[0], hidden, depth)
