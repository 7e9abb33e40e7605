"""Conditional generators: a label embedding concatenated to the latent (MLP, DCGAN), or conditional batch norm (DCGAN).

Concatenation is the original cGAN conditioning (Mirza & Osindero 2014); conditional batch norm
(per-class γ, β; de Vries et al. 2017, Dumoulin et al. 2017) is what projection cGANs use
(Miyato & Koyama 2018). The DCGAN layout matches the built-in ``dcgan`` generator.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.plugin import BuildContext, Generator, IncompatibleError

from .layers import ConditionalBatchNorm2d, check_options, num_classes, positive_int

DCGAN_PLAN: dict[int, tuple[int, int]] = {16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}
"""side -> (side of the first feature map, stride-2 blocks); the same plan as the built-in dcgan generator."""
CONDITIONING = ("concat", "cbn")


def _init(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al. 2015); embeddings N(0, 1) as torch does."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d) and module.affine:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class ConditionalMLPGenerator(Generator):
    """MLP on ``[z, embed(y)]``: ``depth`` ReLU layers, linear output in the data's units."""

    conditional = True

    def __init__(
        self, latent_dim: int, noise_dim: int, out_dim: int, classes: int, embed_dim: int, hidden: int, depth: int
    ) -> None:
        super().__init__()
        self.noise_dim, self.latent_dim = noise_dim, latent_dim
        self.embed = nn.Embedding(classes, embed_dim)
        layers: list[nn.Module] = []
        width = latent_dim + embed_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU(True)]
            width = hidden
        layers.append(nn.Linear(width, out_dim))
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.main(torch.cat([z, self.embed(labels)], dim=1))


class ConditionalDCGANGenerator(Generator):
    """DCGAN generator conditioned by concatenation (``concat``) or by conditional batch norm (``cbn``)."""

    conditional = True

    def __init__(
        self,
        latent_dim: int,
        noise_dim: int,
        channels: int,
        start: int,
        blocks: int,
        width: int,
        classes: int,
        conditioning: str,
        embed_dim: int,
    ) -> None:
        super().__init__()
        self.noise_dim, self.latent_dim, self.conditioning = noise_dim, latent_dim, conditioning
        concat = conditioning == "concat"
        self.embed = nn.Embedding(classes, embed_dim) if concat else None
        ch = width * 2 ** (blocks - 1)
        self.convs = nn.ModuleList(
            [nn.ConvTranspose2d(latent_dim + (embed_dim if concat else 0), ch, start, 1, 0, bias=False)]
        )
        self.norms = nn.ModuleList([self._norm(ch, classes)])
        for _ in range(blocks - 1):
            self.convs.append(nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False))
            self.norms.append(self._norm(ch // 2, classes))
            ch //= 2
        self.to_image = nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False)
        self.apply(_init)

    def _norm(self, channels: int, classes: int) -> nn.Module:
        return nn.BatchNorm2d(channels) if self.conditioning == "concat" else ConditionalBatchNorm2d(channels, classes)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = z.reshape(z.shape[0], self.latent_dim)
        if self.embed is not None:
            h = torch.cat([h, self.embed(labels)], dim=1)
        h = h[:, :, None, None]
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = conv(h)
            h = norm(h) if isinstance(norm, nn.BatchNorm2d) else norm(h, labels)
            h = torch.relu(h)
        return torch.tanh(self.to_image(h))


def cond_mlp_generator(
    ctx: BuildContext,
    *,
    noise_dim: int = 16,
    embed_dim: int = 16,
    hidden: int = 256,
    depth: int = 3,
    **unknown: object,
) -> ConditionalMLPGenerator:
    """Conditional MLP generator for points: the label's embedding is concatenated to the latent."""
    name = "generator 'cond-mlp'"
    check_options(name, unknown, ("noise_dim", "embed_dim", "hidden", "depth"))
    if ctx.spec.kind != "points":
        raise IncompatibleError(
            f"{name} works on points only, but {ctx.spec.name!r} is {ctx.spec.kind} data; use cond-dcgan for images"
        )
    classes = num_classes(name, ctx)
    noise_dim = positive_int(name, "noise_dim", noise_dim)
    return ConditionalMLPGenerator(
        noise_dim + ctx.code_dim,
        noise_dim,
        ctx.spec.shape[0],
        classes,
        positive_int(name, "embed_dim", embed_dim),
        positive_int(name, "hidden", hidden),
        positive_int(name, "depth", depth),
    )


def cond_dcgan_generator(
    ctx: BuildContext,
    *,
    noise_dim: int = 100,
    width: int = 64,
    conditioning: str = "cbn",
    embed_dim: int = 50,
    **unknown: object,
) -> ConditionalDCGANGenerator:
    """Conditional DCGAN generator; ``conditioning``: ``cbn`` (per-class γ, β in every batch norm) or ``concat``."""
    name = "generator 'cond-dcgan'"
    check_options(name, unknown, ("noise_dim", "width", "conditioning", "embed_dim"))
    if conditioning not in CONDITIONING:
        raise IncompatibleError(f"{name}: option conditioning={conditioning!r}; valid: {', '.join(CONDITIONING)}")
    if ctx.spec.kind != "image":
        raise IncompatibleError(
            f"{name} works on images only, but {ctx.spec.name!r} is {ctx.spec.kind} data; use cond-mlp for points"
        )
    channels, height, side = ctx.spec.shape
    if height != side or side not in DCGAN_PLAN:
        sizes = ", ".join(str(s) for s in sorted(DCGAN_PLAN))
        raise IncompatibleError(
            f"{name} cannot handle {height}x{side} images of {ctx.spec.name!r}; supported square "
            f"sizes: {sizes} (pass --resolution to resize)"
        )
    classes = num_classes(name, ctx)
    start, blocks = DCGAN_PLAN[side]
    noise_dim = positive_int(name, "noise_dim", noise_dim)
    return ConditionalDCGANGenerator(
        noise_dim + ctx.code_dim,
        noise_dim,
        channels,
        start,
        blocks,
        positive_int(name, "width", width),
        classes,
        conditioning,
        positive_int(name, "embed_dim", embed_dim),
    )
