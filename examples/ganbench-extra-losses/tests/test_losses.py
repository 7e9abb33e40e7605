"""The three losses against hand computations, and the gradient penalty where the gradient is known."""

from __future__ import annotations

import pytest
import torch
from ganbench.plugin import BuildContext, DataSpec, Discriminator, IncompatibleError
from torch import nn

from ganbench_extra_losses.losses import (
    GP_WEIGHT,
    gradient_penalty,
    least_squares_loss,
    wgan_gp_loss,
)

POINTS = BuildContext(spec=DataSpec(name="points", kind="points", shape=(2,)))


class LinearCritic(Discriminator):
    """``D(x) = <w, x> + b``: its input gradient is ``w`` everywhere, so the penalty is ``λ(‖w‖ - 1)²``."""

    def __init__(self, weight: torch.Tensor, bias: float = 0.3) -> None:
        super().__init__()
        self.w = nn.Parameter(weight.clone())
        self.b = nn.Parameter(torch.tensor(bias))
        self.feature_dim = 1

    def features(self, x):
        return ((x * self.w).flatten(1).sum(dim=1) + self.b).unsqueeze(1)

    def classify(self, features):
        return features[:, 0]


class QuadraticCritic(Discriminator):
    """``D(x) = ½‖x‖²``: its input gradient is ``x`` itself, so the penalty depends on where x̂ lands."""

    feature_dim = 1

    def features(self, x):
        return 0.5 * x.flatten(1).pow(2).sum(dim=1, keepdim=True)

    def classify(self, features):
        return features[:, 0]


class ConstantLogit(Discriminator):
    """Returns a fixed value per batch (``real_value`` for the first call's batch, then ``fake_value``)."""

    feature_dim = 1

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def features(self, x):
        return torch.full((x.shape[0], 1), self.value)

    def classify(self, features):
        return features[:, 0]


@pytest.mark.parametrize("shape", [(2,), (1, 4, 4)])
def test_gradient_penalty_of_a_linear_critic_is_closed_form(shape):
    torch.manual_seed(0)
    critic = LinearCritic(torch.randn(*shape))
    real, fake = torch.randn(16, *shape), torch.randn(16, *shape)
    penalty = gradient_penalty(critic, real, fake)
    norm = critic.w.detach().norm()
    assert penalty.item() == pytest.approx(GP_WEIGHT * (norm.item() - 1) ** 2, rel=1e-5)


def test_gradient_penalty_is_differentiable_in_the_critic_weights():
    """d/dw λ(‖w‖ - 1)² = 2λ(‖w‖ - 1) w/‖w‖; needs create_graph=True, otherwise w gets no gradient."""
    critic = LinearCritic(torch.tensor([3.0, 4.0]))
    gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2)).backward()
    w = torch.tensor([3.0, 4.0])
    expected = 2 * GP_WEIGHT * (5.0 - 1.0) * w / 5.0
    torch.testing.assert_close(critic.w.grad, expected)


def test_gradient_penalty_interpolates_per_sample():
    real = torch.tensor([[2.0, 0.0], [0.0, 0.0]])
    fake = torch.tensor([[0.0, 0.0], [0.0, 4.0]])
    eps = torch.tensor([0.25, 0.5])
    # x̂ = (0.5, 0) and (0, 2): gradient norms 0.5 and 2, penalties (−0.5)² and 1².
    penalty = gradient_penalty(QuadraticCritic(), real, fake, weight=2.0, eps=eps)
    assert penalty.item() == pytest.approx(2.0 * (0.25 + 1.0) / 2)


def test_wgan_gp_losses_match_hand_computation():
    torch.manual_seed(1)
    critic = LinearCritic(torch.tensor([0.6, 0.8]), bias=0.0)  # ‖w‖ = 1: the penalty vanishes
    real, fake = torch.randn(32, 2), torch.randn(32, 2)
    loss = wgan_gp_loss(POINTS)
    d_out = loss.discriminator_loss(critic, real, fake, torch.empty(32, 0))
    w = critic.w.detach()
    expected = (fake @ w).mean() - (real @ w).mean()
    assert d_out.total.item() == pytest.approx(expected.item(), abs=1e-5)
    assert d_out.terms["gp"].item() == pytest.approx(0.0, abs=1e-6)
    assert d_out.terms["wasserstein"].item() == pytest.approx(-expected.item(), abs=1e-5)
    g_out = loss.generator_loss(critic, fake, torch.empty(32, 0))
    assert g_out.total.item() == pytest.approx(-(fake @ w).mean().item(), abs=1e-5)


def test_wgan_gp_refuses_a_batch_norm_critic():
    class BatchNormCritic(LinearCritic):
        def __init__(self):
            super().__init__(torch.ones(2))
            self.bn = nn.BatchNorm1d(2)

    x = torch.randn(4, 2)
    with pytest.raises(IncompatibleError, match="batch norm"):
        wgan_gp_loss(POINTS).discriminator_loss(BatchNormCritic(), x, x, torch.empty(4, 0))


@pytest.mark.parametrize(("abc", "value"), [((0.0, 1.0, 1.0), 0.3), ((-1.0, 1.0, 0.0), -0.7)])
def test_least_squares_loss_matches_hand_computation(abc, value):
    a, b, c = abc
    x = torch.zeros(4, 2)
    loss = least_squares_loss(POINTS, a=a, b=b, c=c)
    d = ConstantLogit(value)
    d_out = loss.discriminator_loss(d, x, x, torch.empty(4, 0))
    assert d_out.total.item() == pytest.approx(0.5 * (value - b) ** 2 + 0.5 * (value - a) ** 2)
    assert loss.generator_loss(d, x, torch.empty(4, 0)).total.item() == pytest.approx(0.5 * (value - c) ** 2)


def test_bad_loss_options_are_one_line_errors():
    with pytest.raises(IncompatibleError, match="gp_weight"):
        wgan_gp_loss(POINTS, gp_weight=-1)
    with pytest.raises(IncompatibleError, match="must differ"):
        least_squares_loss(POINTS, a=1.0, b=1.0)
    with pytest.raises(TypeError):  # ganbench turns an unknown option into a one-line error naming it
        least_squares_loss(POINTS, margin=2.0)
