"""Composition: wrappers build registered bodies through BuildContext, for their own data shape.

The packing wrapper is PacGAN's (Lin et al. 2018): D scores ``m`` samples
concatenated into one input, so its body is a registered discriminator built
for an ``m``-times-wider input (``(m·D,)`` points, ``(m·C, H, W)`` images).
"""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import build_models
from ganbench.engine.config import TrainConfig
from ganbench.engine.trainer import train
from ganbench.errors import IncompatibleError
from ganbench.plugin import BuildContext, Discriminator, Generator, Recipe, hookimpl
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry

CPU = torch.device("cpu")


class PackedDiscriminator(Discriminator):
    def __init__(self, body: Discriminator, m: int) -> None:
        super().__init__()
        self.body, self.m, self.feature_dim = body, m, body.feature_dim

    def features(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0] // self.m  # a batch of N samples becomes N // m packs (the rest is dropped)
        packs = x[: n * self.m].reshape(n, self.m, *x.shape[1:]).flatten(1, 2)
        return self.body.features(packs)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.body.classify(features)


def packed_discriminator(ctx: BuildContext, *, body: str = "mlp", m: int = 2, **body_options) -> PackedDiscriminator:
    channels, *rest = ctx.spec.shape
    wide = dataclasses.replace(ctx.spec, shape=(m * channels, *rest))
    return PackedDiscriminator(ctx.build_discriminator(body, spec=wide, **body_options), m)


class AveragedGenerator(Generator):
    """A wrapper around a registered generator (an EMA generator would also keep an averaged copy of it)."""

    def __init__(self, body: Generator) -> None:
        super().__init__()
        self.body, self.noise_dim, self.latent_dim = body, body.noise_dim, body.latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z)


@hookimpl
def ganbench_register(registrar) -> None:  # type: ignore[no-untyped-def]
    registrar.add_discriminator(
        "packed", packed_discriminator, description="PacGAN packing (test).", data_kinds=("image", "points")
    )
    registrar.add_generator(
        "averaged",
        lambda ctx, *, body="mlp", **options: AveragedGenerator(ctx.build_generator(body, **options)),
        description="Wraps a registered generator (test).",
        data_kinds=("image", "points"),
    )


def registry() -> PluginRegistry:
    reg = PluginRegistry(strict=True)
    reg.load_entry_points(allowed=set())
    assert reg.add_plugin(
        types.SimpleNamespace(ganbench_register=ganbench_register), PluginOrigin("c", "t-compose", "0")
    )
    return reg


def _data(reg: PluginRegistry, name: str):
    entry, _ = reg.dataset(name)
    return entry.factory(DatasetOptions(root=Path(".")))


def _first(module: nn.Module, kind: type) -> nn.Module:
    return next(m for m in module.modules() if isinstance(m, kind))


@pytest.mark.parametrize(("dataset", "body", "m"), [("ring8", "mlp", 2), ("ring8", "mlp", 4), ("digits", "dcgan", 2)])
def test_packing_wrapper_builds_a_registered_body_for_the_wider_input(dataset, body, m):
    reg = registry()
    data = _data(reg, dataset)
    generator = "mlp" if dataset == "ring8" else "dcgan"
    recipe = Recipe(generator, "packed", "nonsaturating", discriminator_options={"body": body, "m": m})
    models = build_models(reg, recipe, data.spec)
    D = models.discriminator
    if dataset == "ring8":
        assert _first(D.body, nn.Linear).in_features == 2 * m  # the mlp body reads m points side by side
    else:
        assert _first(D.body, nn.Conv2d).in_channels == m  # the dcgan body reads m grey images as channels
    x = torch.randn(8, *data.spec.shape)
    assert D(x).shape == (8 // m,)
    result = train(models, batch_stream(data, "train", batch_size=16, device=CPU, seed=0), TrainConfig(steps=3), CPU)
    assert result.status == "ok"


def test_build_generator_wraps_a_registered_generator_and_keeps_the_code_size():
    reg = registry()
    spec = _data(reg, "ring8").spec
    models = build_models(reg, Recipe("averaged", "mlp", "infogan", generator_options={"hidden": 32}), spec)
    G = models.generator
    assert isinstance(G, AveragedGenerator) and _first(G.body, nn.Linear).out_features == 32
    assert G.latent_dim == G.noise_dim + models.loss.code_dim and models.loss.code_dim > 0
    assert G(torch.randn(5, G.latent_dim)).shape == (5, 2)


def test_a_body_that_cannot_take_the_wider_shape_fails_before_training():
    reg = registry()
    spec = _data(reg, "digits").spec  # 16 px: dcgan handles it; an mlp body is points-only
    with pytest.raises(IncompatibleError, match="discriminator 'mlp' does not support image data"):
        build_models(reg, Recipe("dcgan", "packed", "nonsaturating", discriminator_options={"body": "mlp"}), spec)
