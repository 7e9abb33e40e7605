"""Tests of the InfoGAN loss: code layout and sampling, L_I against a NumPy computation, Q training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ganbench.builtins.infogan
from ganbench.builtins.infogan.factory import infogan_loss
from ganbench.builtins.vanilla.discriminators import mlp_discriminator
from ganbench.plugin import BuildContext, DataSpec, IncompatibleError
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry

MNIST = DataSpec("mnist", "image", (1, 28, 28), num_classes=10)
RING8 = DataSpec("ring8", "points", (2,), mode_centres=tuple((float(i), 0.0) for i in range(8)), mode_std=0.01)


@pytest.fixture(autouse=True)
def _one_thread():
    """These models are tiny: one intra-op thread is as fast, and avoids thread thrash on a busy 2-core box."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def loss_ctx(spec: DataSpec, feature_dim: int = 32) -> BuildContext:
    return BuildContext(spec=spec, feature_dim=feature_dim)


def test_mnist_defaults_follow_the_paper() -> None:
    loss = infogan_loss(loss_ctx(MNIST))
    assert loss.categorical == (10,)
    assert loss.n_continuous == 2
    assert loss.code_dim == 12
    assert loss.lambda_ == 1.0


def test_default_categories() -> None:
    assert infogan_loss(loss_ctx(RING8)).categorical == (8,)
    assert infogan_loss(loss_ctx(DataSpec("folder", "image", (3, 64, 64)))).categorical == (10,)
    assert infogan_loss(loss_ctx(MNIST), categorical=[3, 4], continuous=0).code_dim == 7
    assert infogan_loss(loss_ctx(MNIST), categorical=5).categorical == (5,)


def test_sample_codes_shapes_and_ranges() -> None:
    torch.manual_seed(0)
    loss = infogan_loss(loss_ctx(MNIST), categorical=[3, 5], continuous=2)
    codes = loss.sample_codes(4000, torch.device("cpu"))
    assert codes.shape == (4000, 10) and codes.dtype == torch.float32
    a, b, u = codes[:, :3], codes[:, 3:8], codes[:, 8:]
    for block, k in ((a, 3), (b, 5)):
        assert set(block.unique().tolist()) == {0.0, 1.0}
        assert torch.equal(block.sum(1), torch.ones(4000))
        freq = block.mean(0)
        assert torch.allclose(freq, torch.full((k,), 1 / k), atol=0.03)  # uniform categories
    assert u.min() >= -1 and u.max() <= 1
    assert u.min() < -0.98 and u.max() > 0.98  # Uniform(-1, 1), not N(0, 1) clipped or U(0, 1)
    assert abs(u.mean().item()) < 0.03
    assert u.var().item() == pytest.approx(1 / 3, rel=0.05)


def test_make_codes() -> None:
    loss = infogan_loss(loss_ctx(MNIST), categorical=[3, 2], continuous=1)
    codes = loss.make_codes(torch.tensor([[2, 0], [0, 1]]), torch.tensor([[0.5], [-1.0]]))
    want = torch.tensor([[0, 0, 1, 1, 0, 0.5], [1, 0, 0, 0, 1, -1.0]])
    assert torch.equal(codes, want)
    ids, cont = loss.layout.split(codes)
    assert [i.tolist() for i in ids] == [[2, 0], [0, 1]]
    assert torch.equal(cont, want[:, 5:])
    with pytest.raises(ValueError, match="categories must have shape"):
        loss.make_codes(torch.tensor([[2], [0]]), torch.tensor([[0.5], [-1.0]]))


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def softplus(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(x))


def test_information_loss_against_numpy() -> None:
    """L_I by hand: Σ_codes mean CE + mean Σ_dims Gaussian NLL with σ = 1; totals add λ·(those) as specified."""
    torch.manual_seed(0)
    spec = DataSpec("pts", "points", (3,))
    d = mlp_discriminator(BuildContext(spec=spec), hidden=16, depth=2).double()
    lam = 0.7
    loss = infogan_loss(loss_ctx(spec, d.feature_dim), categorical=[3, 4], continuous=2, lambda_=lam).double()
    n = 11
    real, fake = torch.randn(n, 3, dtype=torch.float64), torch.randn(n, 3, dtype=torch.float64)
    codes = loss.sample_codes(n, torch.device("cpu")).double()

    out_d = loss.discriminator_loss(d, real, fake, codes)
    out_g = loss.generator_loss(d, fake, codes)
    with torch.no_grad():
        logits, means = loss.predict_codes(d, fake)  # training-mode BN: same batch, same statistics
        l_real, l_fake = d(real).numpy(), d(fake).numpy()
    assert [lg.shape for lg in logits] == [(n, 3), (n, 4)] and means.shape == (n, 2)

    c = codes.numpy()
    targets = [c[:, :3].argmax(1), c[:, 3:7].argmax(1)]
    ce = sum(-log_softmax(lg.numpy())[np.arange(n), t].mean() for lg, t in zip(logits, targets, strict=True))
    mu = means.numpy()
    nll = (0.5 * (c[:, 7:] - mu) ** 2 + 0.5 * math.log(2 * math.pi)).sum(1).mean()

    assert out_d.terms["d_info_cat"].item() == pytest.approx(ce, rel=1e-10)
    assert out_d.terms["d_info_cont"].item() == pytest.approx(nll, rel=1e-10)
    assert ce > 1.0 and nll > 1.0  # an untrained Q: values far from zero
    want_d = softplus(-l_real).mean() + softplus(l_fake).mean() + lam * (ce + nll)
    assert out_d.total.item() == pytest.approx(want_d, rel=1e-10)
    want_g = softplus(-l_fake).mean() + lam * (ce + nll)
    assert out_g.total.item() == pytest.approx(want_g, rel=1e-10)
    assert out_g.terms["g_info_cat"].item() == pytest.approx(ce, rel=1e-10)


def test_q_head_learns_codes_that_are_visible_in_the_samples() -> None:
    """A few Adam steps on D + loss parameters (as the engine's D optimiser) drive the information loss down."""
    torch.manual_seed(0)
    spec = DataSpec("pts", "points", (5,))
    d = mlp_discriminator(BuildContext(spec=spec), hidden=64, depth=2)
    loss = infogan_loss(loss_ctx(spec, d.feature_dim), categorical=[3], continuous=2)
    codes = loss.sample_codes(128, torch.device("cpu"))
    fake = codes  # samples that carry their codes: Q can recover them
    real = torch.randn(128, 5)
    opt = torch.optim.Adam([*d.parameters(), *loss.parameters()], lr=1e-3, betas=(0.5, 0.999))
    before = loss.discriminator_loss(d, real, fake, codes).terms
    for _ in range(40):
        opt.zero_grad()
        loss.discriminator_loss(d, real, fake, codes).total.backward()
        opt.step()
    after = loss.discriminator_loss(d, real, fake, codes).terms
    assert after["d_info_cat"] < 0.5 * before["d_info_cat"]
    floor = 2 * 0.5 * math.log(2 * math.pi)  # Gaussian NLL with σ = 1 at a perfect mean
    assert after["d_info_cont"] - floor < 0.5 * (before["d_info_cont"] - floor)


def test_options_are_checked() -> None:
    ctx = loss_ctx(MNIST)
    with pytest.raises(IncompatibleError, match="unknown option 'lambda'"):
        infogan_loss(ctx, **{"lambda": 1.0})
    with pytest.raises(IncompatibleError, match="categorical=1"):
        infogan_loss(ctx, categorical=[1])
    with pytest.raises(IncompatibleError, match="continuous=-1"):
        infogan_loss(ctx, continuous=-1)
    with pytest.raises(IncompatibleError, match=r"lambda_=-0\.5"):
        infogan_loss(ctx, lambda_=-0.5)
    with pytest.raises(IncompatibleError, match="no codes"):
        infogan_loss(ctx, categorical=[], continuous=0)
    with pytest.raises(IncompatibleError, match="feature_dim=0"):
        infogan_loss(BuildContext(spec=MNIST))


def test_registration() -> None:
    registry = PluginRegistry(strict=True)
    assert registry.add_plugin(ganbench.builtins.infogan, PluginOrigin("infogan", "ganbench", "0"))
    assert registry.names("loss") == ["infogan"]
    assert registry.names("variant") == ["infogan"]
    recipes = registry.variant("infogan").variant.recipes
    assert recipes["image"].generator_options == {"noise_dim": 62}
    assert (recipes["image"].loss, recipes["points"].loss) == ("infogan", "infogan")
