"""The SNGAN ResNet generator and discriminator (Miyato et al. 2018, CIFAR-10 architecture).

Generator: z (128) -> linear to 4x4x256 -> up-sampling residual blocks of 256 channels (three at 32 px)
-> batch norm, ReLU, 3x3 conv to the image channels, tanh.

Discriminator: an "optimised" first residual block (conv, ReLU, conv, average pool; the shortcut pools then
projects), one more down-sampling block and two plain ones, all of 128 channels, then ReLU, a sum over the
spatial positions (global sum pooling) and a linear logit. Spectral normalisation on every layer, no batch norm.

Initialisation follows the authors' Chainer code: Glorot-uniform with gain √2 inside the residual branches,
gain 1 on the shortcuts and on the input/output layers.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganbench.plugin import Discriminator, Generator

RESIDUAL_GAIN = math.sqrt(2.0)


def _glorot(module: nn.Conv2d | nn.Linear, gain: float) -> nn.Module:
    nn.init.xavier_uniform_(module.weight, gain=gain)
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return module


class GeneratorBlock(nn.Module):
    """BN, ReLU, 2x nearest up-sampling, 3x3 conv, BN, ReLU, 3x3 conv; shortcut: up-sample, 1x1 conv."""

    def __init__(self, channels_in: int, channels_out: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(channels_in)
        self.conv1 = _glorot(nn.Conv2d(channels_in, channels_out, 3, 1, 1), RESIDUAL_GAIN)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.conv2 = _glorot(nn.Conv2d(channels_out, channels_out, 3, 1, 1), RESIDUAL_GAIN)
        self.shortcut = _glorot(nn.Conv2d(channels_in, channels_out, 1, 1, 0), 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm with per-class γ, β (de Vries et al. 2017; Dumoulin et al. 2017): γ starts at 1, β at 0."""

    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(classes, channels)
        self.beta = nn.Embedding(classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.gamma(labels)[:, :, None, None] * self.norm(x) + self.beta(labels)[:, :, None, None]


class ConditionalGeneratorBlock(GeneratorBlock):
    """The same block with both batch norms conditional on the class (SNGAN's projection-cGAN generator)."""

    def __init__(self, channels_in: int, channels_out: int, classes: int) -> None:
        super().__init__(channels_in, channels_out)
        self.bn1 = ConditionalBatchNorm2d(channels_in, classes)  # type: ignore[assignment]
        self.bn2 = ConditionalBatchNorm2d(channels_out, classes)  # type: ignore[assignment]

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        h = F.interpolate(F.relu(self.bn1(x, labels)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), labels)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class ResNetGenerator(Generator):
    """SNGAN's ResNet generator; ``up_blocks`` up-samplings from 4x4 (three for 32 px)."""

    def __init__(self, latent_dim: int, noise_dim: int, channels: int, up_blocks: int, width: int) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        self.latent_dim = latent_dim
        self.width = width
        self.linear = _glorot(nn.Linear(latent_dim, 4 * 4 * width), 1.0)
        self.blocks = nn.Sequential(*(GeneratorBlock(width, width) for _ in range(up_blocks)))
        self.bn = nn.BatchNorm2d(width)
        self.to_image = _glorot(nn.Conv2d(width, channels, 3, 1, 1), 1.0)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.linear(z.reshape(z.shape[0], self.latent_dim)).view(z.shape[0], self.width, 4, 4)
        return torch.tanh(self.to_image(F.relu(self.bn(self.blocks(h)))))


class OptimizedDiscriminatorBlock(nn.Module):
    """The first block: conv, ReLU, conv, 2x2 average pool; shortcut: pool, then 1x1 conv (no ReLU on the input)."""

    def __init__(self, channels_in: int, channels_out: int) -> None:
        super().__init__()
        self.conv1 = spectral_norm(_glorot(nn.Conv2d(channels_in, channels_out, 3, 1, 1), RESIDUAL_GAIN))
        self.conv2 = spectral_norm(_glorot(nn.Conv2d(channels_out, channels_out, 3, 1, 1), RESIDUAL_GAIN))
        self.shortcut = spectral_norm(_glorot(nn.Conv2d(channels_in, channels_out, 1, 1, 0), 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(x))), 2)
        return h + self.shortcut(F.avg_pool2d(x, 2))


class DiscriminatorBlock(nn.Module):
    """ReLU, 3x3 conv, ReLU, 3x3 conv, optional 2x2 average pool; a learnable shortcut when the shape changes."""

    def __init__(self, channels_in: int, channels_out: int, downsample: bool) -> None:
        super().__init__()
        self.downsample = downsample
        self.conv1 = spectral_norm(_glorot(nn.Conv2d(channels_in, channels_out, 3, 1, 1), RESIDUAL_GAIN))
        self.conv2 = spectral_norm(_glorot(nn.Conv2d(channels_out, channels_out, 3, 1, 1), RESIDUAL_GAIN))
        self.shortcut: nn.Module | None = None
        if downsample or channels_in != channels_out:
            self.shortcut = spectral_norm(_glorot(nn.Conv2d(channels_in, channels_out, 1, 1, 0), 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        skip = x if self.shortcut is None else self.shortcut(x)
        if self.downsample:
            h, skip = F.avg_pool2d(h, 2), F.avg_pool2d(skip, 2)
        return h + skip


class ResNetDiscriminator(Discriminator):
    """SNGAN's ResNet discriminator; ``features`` is the globally sum-pooled last block (``width`` values)."""

    def __init__(self, channels: int, down_blocks: int, width: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = [OptimizedDiscriminatorBlock(channels, width)]
        blocks += [DiscriminatorBlock(width, width, downsample=True) for _ in range(down_blocks - 1)]
        blocks += [DiscriminatorBlock(width, width, downsample=False) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.feature_dim = width
        self.head = spectral_norm(_glorot(nn.Linear(width, 1), 1.0))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.blocks(x)).sum(dim=(2, 3))

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).squeeze(-1)


class ConditionalResNetGenerator(ResNetGenerator):
    """SNGAN's ResNet generator with conditional batch norm in every block (Miyato & Koyama 2018's cGAN G).

    The final batch norm before the output convolution stays unconditional, as in the authors' code.
    """

    conditional = True

    def __init__(self, latent_dim: int, noise_dim: int, channels: int, up_blocks: int, width: int, classes: int):
        super().__init__(latent_dim, noise_dim, channels, up_blocks, width)
        self.blocks = nn.ModuleList(ConditionalGeneratorBlock(width, width, classes) for _ in range(up_blocks))  # type: ignore[assignment]

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        h = self.linear(z.reshape(z.shape[0], self.latent_dim)).view(z.shape[0], self.width, 4, 4)
        for block in self.blocks:
            h = block(h, labels)
        return torch.tanh(self.to_image(F.relu(self.bn(h))))
