"""Discriminators: DCGAN for images, an MLP for 2D/point data.

Both return logits (no final sigmoid): the losses use the numerically stable
log-sigmoid forms instead of ``BCELoss(sigmoid(x))`` as in pytorch/examples.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.plugin import BuildContext, Discriminator

from ._common import check_options, dcgan_plan, dcgan_weights_init, positive_int, require_kind


class DCGANDiscriminator(Discriminator):
    """Strided convolutions, LeakyReLU(0.2), batch norm on all but the first block.

    ``features`` is the flattened last conv block (512x4x4 at 64 px);
    ``classify`` is a linear layer, which is exactly pytorch/examples' final
    4x4 valid convolution written as a matrix product.
    """

    def __init__(self, channels: int, start: int, blocks: int, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        ch = width
        for _ in range(blocks - 1):
            layers += [
                nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            ch *= 2
        self.main = nn.Sequential(*layers)
        self.feature_dim = ch * start * start
        self.head = nn.Linear(self.feature_dim, 1)
        self.apply(dcgan_weights_init)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).flatten(1)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).squeeze(-1)


class MLPDiscriminator(Discriminator):
    """``depth`` LeakyReLU(0.2) hidden layers (the features) and a linear logit."""

    def __init__(self, in_dim: int, hidden: int, depth: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2, inplace=True)]
            width = hidden
        self.main = nn.Sequential(*layers)
        self.feature_dim = hidden
        self.head = nn.Linear(hidden, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).squeeze(-1)


def dcgan_discriminator(ctx: BuildContext, *, width: int = 64, **unknown: object) -> DCGANDiscriminator:
    """DCGAN discriminator for square images of side 16, 28, 32 or 64 and any channel count."""
    name = "discriminator 'dcgan'"
    check_options(name, unknown, ("width",))
    channels, start, blocks = dcgan_plan(name, ctx.spec)
    return DCGANDiscriminator(channels, start, blocks, positive_int(name, "width", width))


def mlp_discriminator(ctx: BuildContext, *, hidden: int = 256, depth: int = 3, **unknown: object) -> MLPDiscriminator:
    """MLP discriminator for point data."""
    name = "discriminator 'mlp'"
    check_options(name, unknown, ("hidden", "depth"))
    require_kind(name, ctx.spec, "points", "the dcgan discriminator for images")
    return MLPDiscriminator(ctx.spec.shape[0], positive_int(name, "hidden", hidden), positive_int(name, "depth", depth))
