"""Tests of the vanilla plugin: DCGAN/MLP shapes, init, errors, losses by hand, registration, variants."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ganbench.builtins.infogan
import ganbench.builtins.minibatch
import ganbench.builtins.vanilla
from ganbench.builtins.vanilla.discriminators import dcgan_discriminator, mlp_discriminator
from ganbench.builtins.vanilla.generators import dcgan_generator, mlp_generator
from ganbench.builtins.vanilla.losses import minimax_loss, nonsaturating_loss
from ganbench.plugin import BuildContext, DataSpec, Discriminator, IncompatibleError
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry

RING8 = tuple((math.cos(2 * math.pi * i / 8), math.sin(2 * math.pi * i / 8)) for i in range(8))


@pytest.fixture(autouse=True)
def _one_thread():
    """These models are tiny: one intra-op thread is as fast, and avoids thread thrash on a busy 2-core box."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def image_ctx(side: int, channels: int = 3, code_dim: int = 0) -> BuildContext:
    return BuildContext(spec=DataSpec("img", "image", (channels, side, side)), code_dim=code_dim)


def points_ctx(dim: int = 2, code_dim: int = 0) -> BuildContext:
    return BuildContext(spec=DataSpec("ring8", "points", (dim,), mode_centres=RING8, mode_std=0.01), code_dim=code_dim)


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("side", [16, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_dcgan_shapes(side: int, channels: int) -> None:
    ctx = image_ctx(side, channels, code_dim=3)
    g = dcgan_generator(ctx, width=8)
    d = dcgan_discriminator(ctx, width=8)
    assert (g.noise_dim, g.latent_dim) == (100, 103)
    x = g(torch.randn(5, g.latent_dim))
    assert x.shape == (5, channels, side, side)
    assert x.abs().max() <= 1.0  # tanh output
    f = d.features(x)
    assert f.shape == (5, d.feature_dim)
    assert d.classify(f).shape == (5,)
    assert d(x).shape == (5,)


def test_dcgan_feature_dims_follow_the_plan() -> None:
    # last block: width * 2**(blocks-1) channels on a start x start map
    assert dcgan_discriminator(image_ctx(64)).feature_dim == 512 * 4 * 4
    assert dcgan_discriminator(image_ctx(32)).feature_dim == 256 * 4 * 4
    assert dcgan_discriminator(image_ctx(16)).feature_dim == 128 * 4 * 4
    assert dcgan_discriminator(image_ctx(28, 1)).feature_dim == 128 * 7 * 7


def test_dcgan_at_64px_matches_pytorch_examples() -> None:
    """nz=100, ngf=ndf=64, nc=3: pytorch/examples dcgan has 3,576,704 (G) and 2,765,568 (D) parameters.

    Our D ends in Linear(8192, 1) with a bias where the example has a bias-free
    4x4 valid conv to one channel: the same map plus one parameter.
    """
    ctx = image_ctx(64, 3)
    g, d = dcgan_generator(ctx), dcgan_discriminator(ctx)
    assert n_params(g) == 3_576_704
    assert n_params(d) == 2_765_568 + 1
    convs = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [512, 256, 128, 64, 3]
    assert all(c.bias is None for c in convs)


def test_dcgan_weights_init() -> None:
    torch.manual_seed(0)
    g = dcgan_generator(image_ctx(32))
    d = dcgan_discriminator(image_ctx(32))
    conv = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)])
    conv_d = torch.cat([m.weight.flatten() for m in d.modules() if isinstance(m, torch.nn.Conv2d)])
    bn = torch.cat([m.weight.flatten() for m in [*g.modules(), *d.modules()] if isinstance(m, torch.nn.BatchNorm2d)])
    assert conv.std().item() == pytest.approx(0.02, rel=0.05)
    assert conv_d.std().item() == pytest.approx(0.02, rel=0.05)
    assert abs(conv.mean().item()) < 1e-3
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn.std().item() == pytest.approx(0.02, rel=0.2)


@pytest.mark.parametrize("factory", [dcgan_generator, dcgan_discriminator])
@pytest.mark.parametrize("shape", [(3, 48, 48), (3, 32, 16), (1, 128, 128)])
def test_dcgan_rejects_unsupported_resolutions(factory, shape) -> None:
    ctx = BuildContext(spec=DataSpec("odd", "image", shape))
    with pytest.raises(IncompatibleError, match=r"supported square sizes: 16, 28, 32, 64"):
        factory(ctx)


@pytest.mark.parametrize("factory", [dcgan_generator, dcgan_discriminator])
def test_dcgan_rejects_points(factory) -> None:
    with pytest.raises(IncompatibleError, match=r"image data only.*points"):
        factory(points_ctx())


@pytest.mark.parametrize("factory", [mlp_generator, mlp_discriminator])
def test_mlp_rejects_images(factory) -> None:
    with pytest.raises(IncompatibleError, match="points data only"):
        factory(image_ctx(32))


@pytest.mark.parametrize(
    "factory,ctx",
    [
        (dcgan_generator, image_ctx(32)),
        (dcgan_discriminator, image_ctx(32)),
        (mlp_generator, points_ctx()),
        (mlp_discriminator, points_ctx()),
    ],
)
def test_unknown_option_is_named(factory, ctx) -> None:
    with pytest.raises(IncompatibleError, match=r"unknown option 'bogus'.*valid options"):
        factory(ctx, bogus=1)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "64", True])
def test_bad_width_is_rejected(bad) -> None:
    with pytest.raises(IncompatibleError, match="width"):
        dcgan_generator(image_ctx(32), width=bad)


@pytest.mark.parametrize("dim", [2, 3])
def test_mlp_shapes(dim: int) -> None:
    ctx = points_ctx(dim, code_dim=10)
    g = mlp_generator(ctx, hidden=32, depth=2)
    d = mlp_discriminator(ctx, hidden=32, depth=2)
    assert (g.noise_dim, g.latent_dim) == (16, 26)
    x = g(torch.randn(7, g.latent_dim))
    assert x.shape == (7, dim)
    assert d.features(x).shape == (7, 32) and d.feature_dim == 32
    assert d(x).shape == (7,)
    assert sum(isinstance(m, torch.nn.Linear) for m in g.modules()) == 3


class FixedLogits(Discriminator):
    """A 'discriminator' whose logit is its (N, 1) input, so losses can be checked by hand."""

    feature_dim = 1

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return features[:, 0]


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.log1p(np.exp(-x))


def test_losses_against_hand_computation() -> None:
    real = np.array([2.0, -1.0, 0.5, 30.0])
    fake = np.array([-3.0, 0.0, 1.5, -40.0])
    d = FixedLogits()
    t_real, t_fake = torch.tensor(real[:, None]), torch.tensor(fake[:, None])
    codes = torch.empty(4, 0)
    # D: -E log D(x) - E log(1 - D(G(z))); 1 - sigmoid(l) = sigmoid(-l)
    want_d = -log_sigmoid(real).mean() - log_sigmoid(-fake).mean()
    for loss in (nonsaturating_loss(points_ctx()), minimax_loss(points_ctx())):
        out = loss.discriminator_loss(d, t_real, t_fake, codes)
        assert out.total.item() == pytest.approx(want_d, rel=1e-12)
        assert out.terms["d_real"].item() == pytest.approx(-log_sigmoid(real).mean(), rel=1e-12)
        assert isinstance(out.terms["d_fake"], torch.Tensor)
    ns = nonsaturating_loss(points_ctx()).generator_loss(d, t_fake, codes).total.item()
    mm = minimax_loss(points_ctx()).generator_loss(d, t_fake, codes).total.item()
    assert ns == pytest.approx(-log_sigmoid(fake).mean(), rel=1e-12)  # -log D(G(z))
    assert mm == pytest.approx(log_sigmoid(-fake).mean(), rel=1e-12)  # log(1 - D(G(z)))
    assert math.isfinite(ns) and math.isfinite(mm)  # logit -40 would overflow the probability form


def test_minimax_saturates_where_nonsaturating_does_not() -> None:
    """When D confidently rejects a sample (logit -8), the minimax gradient nearly vanishes."""
    grads = {}
    for name, factory in (("ns", nonsaturating_loss), ("mm", minimax_loss)):
        logit = torch.tensor([[-8.0]], requires_grad=True)
        factory(points_ctx()).generator_loss(FixedLogits(), logit, torch.empty(1, 0)).total.backward()
        grads[name] = logit.grad.item()
    assert grads["ns"] == pytest.approx(-1 / (1 + math.exp(-8)), rel=1e-6)  # -(1 - sigmoid(l))
    assert grads["mm"] == pytest.approx(-1 / (1 + math.exp(8)), rel=1e-6)  # -sigmoid(l)
    assert abs(grads["mm"]) < 1e-3 < abs(grads["ns"])


def test_losses_reject_options() -> None:
    with pytest.raises(IncompatibleError, match=r"unknown option 'lr'.*valid options: \(none\)"):
        nonsaturating_loss(points_ctx(), lr=1)


@pytest.mark.parametrize(
    "d_factory,ctx,real",
    [
        (mlp_discriminator, points_ctx(), lambda: torch.tensor(RING8, dtype=torch.float32).repeat(8, 1)),
        (dcgan_discriminator, image_ctx(16, 1), lambda: torch.ones(32, 1, 16, 16) * 0.5),
    ],
)
def test_d_steps_reduce_d_loss(d_factory, ctx, real) -> None:
    torch.manual_seed(0)
    d = d_factory(ctx) if d_factory is mlp_discriminator else d_factory(ctx, width=8)
    loss = nonsaturating_loss(ctx)
    x_real = real()
    x_fake = torch.randn_like(x_real) * 0.3
    opt = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999))
    codes = torch.empty(x_real.shape[0], 0)
    first = loss.discriminator_loss(d, x_real, x_fake, codes).total.item()
    for _ in range(20):
        opt.zero_grad()
        loss.discriminator_loss(d, x_real, x_fake, codes).total.backward()
        opt.step()
    last = loss.discriminator_loss(d, x_real, x_fake, codes).total.item()
    assert last < 0.5 * first


def builtin_registry() -> PluginRegistry:
    registry = PluginRegistry(strict=True)
    builtins = ganbench.builtins
    plugins = {"vanilla": builtins.vanilla, "minibatch": builtins.minibatch, "infogan": builtins.infogan}
    for name, module in plugins.items():
        assert registry.add_plugin(module, PluginOrigin(name, "ganbench", "0"))
    return registry


def test_vanilla_registration() -> None:
    registry = PluginRegistry(strict=True)
    assert registry.add_plugin(ganbench.builtins.vanilla, PluginOrigin("vanilla", "ganbench", "0"))
    assert registry.names("generator") == ["dcgan", "mlp"]
    assert registry.names("discriminator") == ["dcgan", "mlp"]
    assert registry.names("loss") == ["minimax", "nonsaturating"]
    assert registry.names("variant") == ["dcgan", "gan-minimax"]
    assert registry.component("generator", "mlp").data_kinds == frozenset({"points"})
    assert registry.component("discriminator", "dcgan").data_kinds == frozenset({"image"})
    assert registry.variant("dcgan").variant.recipes["image"].loss == "nonsaturating"
    assert registry.variant("gan-minimax").variant.recipes["points"].loss == "minimax"


def build_like_the_engine(registry: PluginRegistry, variant: str, spec: DataSpec):
    """The engine's build order: discriminator, then loss (feature_dim), then generator (code_dim)."""
    recipe = registry.variant(variant).variant.recipe_for(spec.kind)
    assert recipe is not None

    def build_discriminator(name: str, **options):
        return registry.component("discriminator", name).factory(BuildContext(spec=spec), **options)

    base = BuildContext(spec=spec, build_discriminator=build_discriminator)
    d = registry.component("discriminator", recipe.discriminator).factory(base, **recipe.discriminator_options)
    ctx = BuildContext(spec=spec, feature_dim=d.feature_dim, build_discriminator=build_discriminator)
    loss = registry.component("loss", recipe.loss).factory(ctx, **recipe.loss_options)
    ctx = BuildContext(spec=spec, code_dim=loss.code_dim, build_discriminator=build_discriminator)
    g = registry.component("generator", recipe.generator).factory(ctx, **recipe.generator_options)
    return g, d, loss


@pytest.mark.parametrize("variant", ["dcgan", "gan-minimax", "minibatch", "infogan"])
@pytest.mark.parametrize(
    "spec",
    [
        DataSpec("mnist", "image", (1, 28, 28), num_classes=10),
        DataSpec("ring8", "points", (2,), mode_centres=RING8, mode_std=0.01),
    ],
    ids=["image", "points"],
)
def test_every_builtin_variant_trains_one_step(variant: str, spec: DataSpec) -> None:
    """Build each variant's recipe through the registry and run one D and one G step as the engine does."""
    torch.manual_seed(0)
    registry = builtin_registry()
    g, d, loss = build_like_the_engine(registry, variant, spec)
    n = 8
    real = torch.rand(n, *spec.shape) * 2 - 1
    opt_d = torch.optim.Adam([*d.parameters(), *loss.parameters()], lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    codes = loss.sample_codes(n, torch.device("cpu"))
    latent = torch.cat([torch.randn(n, g.noise_dim), codes], 1)
    assert latent.shape == (n, g.latent_dim)
    fake = g(latent)
    assert fake.shape == real.shape
    out = loss.discriminator_loss(d, real, fake.detach(), codes)
    opt_d.zero_grad()
    out.total.backward()
    opt_d.step()
    for p in [*d.parameters(), *loss.parameters()]:
        p.requires_grad_(False)
    out_g = loss.generator_loss(d, fake, codes)
    opt_g.zero_grad()
    out_g.total.backward()
    opt_g.step()
    assert torch.isfinite(out.total) and torch.isfinite(out_g.total)
    assert all(isinstance(t, torch.Tensor) for t in [*out.terms.values(), *out_g.terms.values()])
    assert all(p.grad is not None for p in g.parameters())
    if variant == "infogan":
        assert g.noise_dim == (62 if spec.kind == "image" else 16)
