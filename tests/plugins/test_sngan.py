"""The SNGAN plugin: ResNet shapes, spectral norm everywhere, the layer plan, hinge loss by hand, the variant."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ganbench.builtins.sngan
from ganbench.builtins.sngan.factories import resnet_discriminator, resnet_generator
from ganbench.builtins.sngan.hinge import hinge_loss
from ganbench.builtins.sngan.resnet import DiscriminatorBlock, OptimizedDiscriminatorBlock
from ganbench.plugin import BuildContext, DataSpec, Discriminator, IncompatibleError
from ganbench.registry import PluginRegistry


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def image_ctx(side: int, channels: int = 3) -> BuildContext:
    return BuildContext(spec=DataSpec("img", "image", (channels, side, side)))


@pytest.mark.parametrize("side", [16, 32, 64])
def test_shapes_and_range(side: int) -> None:
    g = resnet_generator(image_ctx(side, 1), width=16)
    d = resnet_discriminator(image_ctx(side, 1), width=8)
    assert (g.noise_dim, g.latent_dim) == (128, 128)
    x = g(torch.randn(3, g.latent_dim))
    assert x.shape == (3, 1, side, side) and x.abs().max() <= 1.0
    assert d.features(x).shape == (3, 8) and d(x).shape == (3,)


def test_cifar_plan_is_the_papers() -> None:
    """32 px: three up-sampling blocks of 256; D = optimised block, one down-sampling and two plain blocks of 128."""
    g = resnet_generator(image_ctx(32))
    assert len(g.blocks) == 3 and all(b.conv1.out_channels == 256 for b in g.blocks)
    assert g.linear.out_features == 4 * 4 * 256
    d = resnet_discriminator(image_ctx(32))
    kinds = [type(b) for b in d.blocks]
    assert kinds == [OptimizedDiscriminatorBlock, DiscriminatorBlock, DiscriminatorBlock, DiscriminatorBlock]
    assert [getattr(b, "downsample", True) for b in d.blocks] == [True, True, False, False]
    assert d.feature_dim == 128
    h = d.blocks(torch.randn(2, 3, 32, 32))
    assert h.shape == (2, 128, 8, 8)


def test_every_discriminator_weight_layer_is_spectrally_normalised_and_there_is_no_batch_norm() -> None:
    d = resnet_discriminator(image_ctx(32), width=8)
    layers = [m for m in d.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert layers and all(hasattr(m, "parametrizations") and "weight" in m.parametrizations for m in layers)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())


def test_global_sum_pooling() -> None:
    d = resnet_discriminator(image_ctx(16), width=4).eval()  # eval: no power-iteration update between the calls
    x = torch.randn(2, 3, 16, 16)
    assert torch.allclose(d.features(x), torch.relu(d.blocks(x)).sum(dim=(2, 3)))


class ConstantLogit(Discriminator):
    feature_dim = 1

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 1), self.value)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return features.squeeze(-1)


@pytest.mark.parametrize("logit", [-1.5, -0.3, 0.0, 0.4, 2.0])
def test_hinge_loss_matches_hand_computation(logit: float) -> None:
    x = torch.zeros(4, 2)
    loss = hinge_loss(image_ctx(16))
    d = ConstantLogit(logit)
    assert loss.discriminator_loss(d, x, x, torch.empty(4, 0)).total.item() == pytest.approx(
        max(0.0, 1 - logit) + max(0.0, 1 + logit)
    )
    assert loss.generator_loss(d, x, torch.empty(4, 0)).total.item() == pytest.approx(-logit)


def test_bad_sizes_and_options_are_one_line_errors() -> None:
    with pytest.raises(IncompatibleError, match="supported square sizes: 16, 32, 64"):
        resnet_generator(image_ctx(28))
    with pytest.raises(IncompatibleError, match="image data only"):
        resnet_discriminator(BuildContext(spec=DataSpec("pts", "points", (2,))))
    with pytest.raises(IncompatibleError, match="unknown option 'depth'"):
        resnet_generator(image_ctx(32), depth=3)
    with pytest.raises(IncompatibleError, match="hinge"):
        hinge_loss(image_ctx(32), margin=2)


def test_variant_registers_the_papers_optimiser() -> None:
    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())
    assert "sngan" in registry.names("variant")
    recipe = registry.variant("sngan").variant.recipe_for("image")
    assert (recipe.generator, recipe.discriminator, recipe.loss) == ("sngan-resnet", "sngan-resnet", "hinge")
    assert dict(recipe.train_options) == {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9, "d_steps": 5}
    assert ganbench.builtins.sngan.SNGAN_TRAIN is not None


def test_sngan_trains_through_the_engine_with_five_d_steps() -> None:
    """The registered recipe builds and trains (tiny widths: the paper's 256/128 channels are a GPU job)."""
    from ganbench.engine.build import build_models
    from ganbench.engine.config import TrainConfig
    from ganbench.engine.trainer import train

    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())
    recipe = registry.variant("sngan").variant.recipe_for("image")
    recipe = type(recipe)(
        recipe.generator, recipe.discriminator, recipe.loss, {"width": 8}, {"width": 8}, {}, recipe.train_options
    )
    spec = DataSpec("img", "image", (1, 16, 16))
    models = build_models(registry, recipe, spec)
    cfg = TrainConfig(steps=2, batch_size=4, log_every=1, **dict(recipe.train_options))
    batches = iter(lambda: torch.rand(4, 1, 16, 16) * 2 - 1, None)
    result = train(models, batches, cfg, torch.device("cpu"))
    assert result.status == "ok" and result.steps_done == 2
