"""Tests of minibatch discrimination against a direct NumPy implementation of Salimans et al. (2016)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ganbench.builtins.minibatch
from ganbench.builtins.minibatch.discriminator import MinibatchDiscriminator, minibatch_discriminator
from ganbench.builtins.minibatch.layer import MinibatchDiscrimination
from ganbench.builtins.vanilla.discriminators import (
    DCGANDiscriminator,
    MLPDiscriminator,
    dcgan_discriminator,
    mlp_discriminator,
)
from ganbench.plugin import BuildContext, DataSpec, IncompatibleError
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry


@pytest.fixture(autouse=True)
def _one_thread():
    """These models are tiny: one intra-op thread is as fast, and avoids thread thrash on a busy 2-core box."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def reference_o(f: np.ndarray, t: np.ndarray) -> np.ndarray:
    """o(x_i)_b = Σ_{j≠i} exp(-‖M_{i,b} - M_{j,b}‖₁), M_i = f(x_i)·T (Salimans et al. 2016), by double loop."""
    m = np.einsum("na,abc->nbc", f, t)
    n, b, _ = m.shape
    o = np.zeros((n, b))
    for i in range(n):
        for j in range(n):
            if j != i:
                o[i] += np.exp(-np.abs(m[i] - m[j]).sum(axis=1))
    return o


def ctx_for(spec: DataSpec) -> BuildContext:
    def build(name: str, **options):
        factories = {"dcgan": dcgan_discriminator, "mlp": mlp_discriminator}
        return factories[name](BuildContext(spec=spec), **options)

    return BuildContext(spec=spec, build_discriminator=build)


IMAGE = DataSpec("img", "image", (3, 32, 32))
POINTS = DataSpec("ring8", "points", (2,))


@pytest.mark.parametrize("rank", [None, 3])
def test_layer_matches_numpy_double_loop(rank: int | None) -> None:
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=6, kernels=4, kernel_dim=3, init_std=0.3, rank=rank).double()
    f = torch.randn(7, 6, dtype=torch.float64)
    got = layer(f).detach().numpy()
    t = layer.tensor().detach().numpy()
    assert t.shape == (6, 4, 3)
    want = reference_o(f.numpy(), t)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert want.min() > 0.05  # non-trivial values: the comparison is not 0 == 0


def test_layer_gradients_match_the_masked_double_sum() -> None:
    """The gradient equals that of o written out as in the paper (explicit j ≠ i mask, float64)."""
    torch.manual_seed(1)
    layer = MinibatchDiscrimination(in_features=6, kernels=4, kernel_dim=3, init_std=0.3).double()
    f = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(9, 4, dtype=torch.float64)

    def paper(f: torch.Tensor) -> torch.Tensor:
        m = f @ layer.T  # (N, B·C)
        m = m.view(9, 4, 3)
        dist = (m[:, None] - m[None, :]).abs().sum(-1)  # (N, N, B)
        others = ~torch.eye(9, dtype=torch.bool)[:, :, None]
        return (torch.exp(-dist) * others).sum(1)

    got = torch.autograd.grad((layer(f) * weights).sum(), (f, layer.T))
    want = torch.autograd.grad((paper(f) * weights).sum(), (f, layer.T))
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)


def test_layer_default_init_and_self_pairs() -> None:
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=192)
    assert layer.tensor().shape == (192, 100, 5)
    assert layer.T.std().item() == pytest.approx(0.05, rel=0.02)
    # one sample: no other sample to be close to; self-pairs excluded
    assert torch.equal(layer(torch.randn(1, 192)), torch.zeros(1, 100))
    # two identical samples: each sees exactly one neighbour at distance 0
    x = torch.randn(1, 192).repeat(2, 1)
    torch.testing.assert_close(layer(x), torch.ones(2, 100))


def test_layer_gradients_are_finite_for_duplicates() -> None:
    layer = MinibatchDiscrimination(in_features=8, kernels=5, kernel_dim=2)
    x = torch.randn(1, 8).repeat(4, 1).requires_grad_(True)
    layer(x).sum().backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(layer.T.grad).all()


@pytest.mark.parametrize("side", [16, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_image_shapes_and_features_are_the_body_features(side: int, channels: int) -> None:
    spec = DataSpec("img", "image", (channels, side, side))
    d = minibatch_discriminator(ctx_for(spec), body_options={"width": 8}, kernels=10)
    assert isinstance(d.body, DCGANDiscriminator)
    x = torch.randn(6, channels, side, side)
    f = d.features(x)
    assert d.feature_dim == d.body.feature_dim
    torch.testing.assert_close(f, d.body.features(x))
    assert d.classify(f).shape == (6,)
    assert d(x).shape == (6,)


def test_points_default_body_and_shapes() -> None:
    d = minibatch_discriminator(ctx_for(POINTS))
    assert isinstance(d.body, MLPDiscriminator)
    assert d.minibatch.rank is None  # 256 MLP features: the full T of the paper
    assert d.minibatch.tensor().shape == (256, 100, 5)
    assert d(torch.randn(9, 2)).shape == (9,)


def test_score_depends_on_the_rest_of_the_batch() -> None:
    torch.manual_seed(0)
    d = minibatch_discriminator(ctx_for(POINTS), init_std=0.5)
    x = torch.randn(5, 2)
    alone = d(x[:1])
    with_clones = d(torch.cat([x[:1], x[:1].repeat(4, 1)]))[:1]
    with_others = d(x)[:1]
    assert not torch.allclose(alone, with_clones)
    assert not torch.allclose(with_clones, with_others)


def test_large_features_get_a_low_rank_t_and_sane_parameter_count() -> None:
    spec = DataSpec("img", "image", (3, 64, 64))
    d = minibatch_discriminator(ctx_for(spec))
    assert d.feature_dim == 512 * 4 * 4
    assert d.minibatch.rank == 256
    layer_params = sum(p.numel() for p in d.minibatch.parameters())
    assert layer_params == 8192 * 256 + 256 * 500
    full = minibatch_discriminator(ctx_for(spec), rank="full", body_options={"width": 8})
    assert full.minibatch.rank is None and full.minibatch.tensor().shape == (1024, 100, 5)


def test_options_are_checked() -> None:
    ctx = ctx_for(IMAGE)
    with pytest.raises(IncompatibleError, match="unknown option 'kernel'"):
        minibatch_discriminator(ctx, kernel=3)
    with pytest.raises(IncompatibleError, match="kernels=0"):
        minibatch_discriminator(ctx, kernels=0)
    with pytest.raises(IncompatibleError, match="body='minibatch'"):
        minibatch_discriminator(ctx, body="minibatch")
    with pytest.raises(IncompatibleError, match="build_discriminator"):
        minibatch_discriminator(BuildContext(spec=IMAGE))
    with pytest.raises(IncompatibleError, match="supported square sizes"):
        minibatch_discriminator(ctx_for(DataSpec("odd", "image", (3, 48, 48))))


def test_registration() -> None:
    registry = PluginRegistry(strict=True)
    assert registry.add_plugin(ganbench.builtins.minibatch, PluginOrigin("minibatch", "ganbench", "0"))
    assert registry.names("discriminator") == ["minibatch"]
    assert registry.names("variant") == ["minibatch"]
    assert registry.component("discriminator", "minibatch").data_kinds == frozenset({"image", "points"})
    recipes = registry.variant("minibatch").variant.recipes
    assert recipes["image"].discriminator == recipes["points"].discriminator == "minibatch"
    assert isinstance(minibatch_discriminator(ctx_for(POINTS)), MinibatchDiscriminator)
