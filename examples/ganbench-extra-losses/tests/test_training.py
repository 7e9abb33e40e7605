"""Optimistic Adam against its update rule computed by hand, and the unrolled step's option checking."""

from __future__ import annotations

import math

import pytest
import torch
from ganbench.plugin import IncompatibleError, OptimizerContext, TrainingStep

from ganbench_extra_losses.training import OptimisticAdam, UnrolledStep, optimistic_adam, unrolled_step


def by_hand(theta: float, grads_of, lr: float, beta1: float, beta2: float, eps: float, steps: int) -> float:
    m = v = u_prev = 0.0
    for t in range(1, steps + 1):
        g = grads_of(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        u = (m / (1 - beta1**t)) / (math.sqrt(v / (1 - beta2**t)) + eps)
        theta = theta - 2 * lr * u + lr * u_prev
        u_prev = u
    return theta


def test_optimistic_adam_follows_the_update_rule():
    """On f(θ) = θ³/3 + θ (gradient θ² + 1) the moments change every step, so each term of the rule matters."""
    theta = torch.nn.Parameter(torch.tensor([0.7], dtype=torch.float64))
    opt = optimistic_adam([theta], OptimizerContext(side="generator", lr=0.1, beta1=0.5, beta2=0.9), eps=1e-8)
    assert isinstance(opt, OptimisticAdam)
    for _ in range(4):
        opt.zero_grad()
        (theta**3 / 3 + theta).sum().backward()
        opt.step()
    expected = by_hand(0.7, lambda x: x * x + 1, lr=0.1, beta1=0.5, beta2=0.9, eps=1e-8, steps=4)
    assert theta.item() == pytest.approx(expected, rel=1e-12)


def test_optimistic_adam_state_round_trips():
    theta = torch.nn.Parameter(torch.ones(3))
    opt = OptimisticAdam([theta], lr=0.01, betas=(0.5, 0.999))
    theta.sum().backward()
    opt.step()
    again = OptimisticAdam([theta], lr=0.01, betas=(0.5, 0.999))
    again.load_state_dict(opt.state_dict())
    assert torch.equal(again.state[theta]["u"], opt.state[theta]["u"])


def test_optimistic_adam_rejects_bad_values():
    with pytest.raises(ValueError, match="betas"):
        OptimisticAdam([torch.nn.Parameter(torch.ones(1))], lr=0.1, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="learning rate"):
        OptimisticAdam([torch.nn.Parameter(torch.ones(1))], lr=-1.0, betas=(0.5, 0.9))


def test_unrolled_step_factory():
    step = unrolled_step(unroll=3)
    assert isinstance(step, UnrolledStep) and isinstance(step, TrainingStep) and step.unroll == 3
    for bad in (0, -1, 2.5, True, "5"):
        with pytest.raises(IncompatibleError, match="unroll"):
            unrolled_step(unroll=bad)
