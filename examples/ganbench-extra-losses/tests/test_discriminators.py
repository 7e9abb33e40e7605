"""The registered discriminators: contract shapes, spectral norm, and per-sample critics for WGAN-GP."""

from __future__ import annotations

import pytest
import torch
from ganbench.plugin import BuildContext, DataSpec, IncompatibleError
from torch import nn

from ganbench_extra_losses.discriminators import (
    critic_dcgan_discriminator,
    critic_mlp_discriminator,
    sn_dcgan_discriminator,
    sn_mlp_discriminator,
)
from ganbench_extra_losses.losses import gradient_penalty

IMAGE_FACTORIES = [sn_dcgan_discriminator, critic_dcgan_discriminator]
POINT_FACTORIES = [sn_mlp_discriminator, critic_mlp_discriminator]


def image(side: int, channels: int = 1) -> BuildContext:
    return BuildContext(spec=DataSpec(name=f"img{side}", kind="image", shape=(channels, side, side)))


POINTS = BuildContext(spec=DataSpec(name="points", kind="points", shape=(2,)))


@pytest.mark.parametrize("factory", IMAGE_FACTORIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("side", "channels"), [(8, 1), (16, 1), (28, 1), (32, 3), (64, 3)])
def test_image_discriminators_honour_the_contract(factory, side, channels):
    d = factory(image(side, channels), width=8)
    x = torch.randn(5, channels, side, side)
    features = d.features(x)
    assert features.shape == (5, d.feature_dim)
    assert d.classify(features).shape == (5,)
    assert d(x).shape == (5,)


@pytest.mark.parametrize("factory", POINT_FACTORIES, ids=lambda f: f.__name__)
def test_point_discriminators_honour_the_contract(factory):
    d = factory(POINTS, hidden=16, depth=2)
    assert d.features(torch.randn(5, 2)).shape == (5, 16)
    assert d(torch.randn(5, 2)).shape == (5,)


@pytest.mark.parametrize(
    ("factory", "ctx"),
    [(sn_dcgan_discriminator, image(9)), (sn_dcgan_discriminator, POINTS), (critic_mlp_discriminator, image(16))],
)
def test_unsupported_data_is_a_one_line_error(factory, ctx):
    with pytest.raises(IncompatibleError):
        factory(ctx)


def _weight_matrices(module: nn.Module) -> list[torch.Tensor]:
    """The effective (normalised) weights, reshaped to matrices as spectral norm sees them."""
    return [m.weight.flatten(1) for m in module.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


@pytest.mark.parametrize(
    ("factory", "ctx", "shape"),
    [(sn_dcgan_discriminator, image(16), (1, 16, 16)), (sn_mlp_discriminator, POINTS, (2,))],
)
def test_spectral_norm_makes_every_layer_1_lipschitz(factory, ctx, shape):
    torch.manual_seed(0)
    d = factory(ctx)
    layers = [m for m in d.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    d.train()
    with torch.no_grad():
        d(torch.randn(4, *shape))
        for _ in range(300):  # reading a weight in training mode runs one power iteration
            for layer in layers:
                layer.weight  # noqa: B018
    d.eval()
    with torch.no_grad():
        sigmas = [torch.linalg.matrix_norm(w, ord=2).item() for w in _weight_matrices(d)]
    assert all(s == pytest.approx(1.0, abs=2e-3) for s in sigmas), sigmas


@pytest.mark.parametrize(
    ("factory", "ctx", "shape"),
    [(critic_dcgan_discriminator, image(16), (1, 16, 16)), (critic_mlp_discriminator, POINTS, (2,))],
)
def test_critics_score_each_sample_independently(factory, ctx, shape):
    """What the per-sample gradient penalty relies on, and what batch norm would break."""
    torch.manual_seed(0)
    critic = factory(ctx)
    critic.train()
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules())
    x = torch.randn(6, *shape)
    other = torch.cat([x[:1], 3 * torch.randn(5, *shape)])
    torch.testing.assert_close(critic(x)[0], critic(other)[0])


def test_gradient_penalty_backpropagates_through_the_conv_critic():
    critic = critic_dcgan_discriminator(image(16), width=8)
    penalty = gradient_penalty(critic, torch.randn(4, 1, 16, 16), torch.randn(4, 1, 16, 16))
    penalty.backward()
    weights = [m.weight for m in critic.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert all(w.grad is not None and torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0 for w in weights)
    # Biases may get no gradient: the penalty depends on them only through piecewise-constant slopes.
    assert all(torch.isfinite(p.grad).all() for p in critic.parameters() if p.grad is not None)
