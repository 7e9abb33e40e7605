"""The built-in optimisers, learning-rate schedules and training steps (registered in ``__init__``)."""

from __future__ import annotations

import math

import torch

from ganbench.plugin import (
    LossOutput,
    OptimizerContext,
    ScheduleContext,
    StepContext,
    TrainingStep,
)


# -- optimisers ------------------------------------------------------------------------
def adam(
    params, ctx: OptimizerContext, *, eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False
) -> torch.optim.Adam:
    """Adam (Kingma & Ba 2015) with ``betas = (beta1, beta2)`` from the training options."""
    return torch.optim.Adam(
        params, lr=ctx.lr, betas=(ctx.beta1, ctx.beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
    )


def adamw(
    params, ctx: OptimizerContext, *, eps: float = 1e-8, weight_decay: float = 0.01, amsgrad: bool = False
) -> torch.optim.AdamW:
    """AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay."""
    return torch.optim.AdamW(
        params, lr=ctx.lr, betas=(ctx.beta1, ctx.beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
    )


def rmsprop(
    params,
    ctx: OptimizerContext,
    *,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> torch.optim.RMSprop:
    """RMSprop (Tieleman & Hinton 2012), as in WGAN (Arjovsky et al. 2017); ``beta1``/``beta2`` are not used."""
    return torch.optim.RMSprop(
        params, lr=ctx.lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
    )


def sgd(
    params,
    ctx: OptimizerContext,
    *,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> torch.optim.SGD:
    """Stochastic gradient descent, optionally with (Nesterov) momentum; ``beta1``/``beta2`` are not used."""
    return torch.optim.SGD(
        params, lr=ctx.lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
    )


# -- schedules -------------------------------------------------------------------------
def constant(optimizer: torch.optim.Optimizer, ctx: ScheduleContext) -> None:
    """The learning rate never changes: no scheduler, nothing stepped."""
    return None


def linear(
    optimizer: torch.optim.Optimizer, ctx: ScheduleContext, *, end_factor: float = 0.0
) -> torch.optim.lr_scheduler.LinearLR:
    """Linear decay from the initial rate to ``end_factor`` times it at the last step."""
    return torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=1.0, end_factor=end_factor, total_iters=max(ctx.total_steps, 1)
    )


def cosine(
    optimizer: torch.optim.Optimizer, ctx: ScheduleContext, *, eta_min: float = 0.0
) -> torch.optim.lr_scheduler.CosineAnnealingLR:
    """Cosine annealing (Loshchilov & Hutter 2017, no restarts) from the initial rate to ``eta_min`` at the end."""
    if not (isinstance(eta_min, (int, float)) and math.isfinite(eta_min) and eta_min >= 0):
        raise ValueError(f"eta_min must be a number >= 0, got {eta_min!r}")
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(ctx.total_steps, 1), eta_min=eta_min)


# -- training step ---------------------------------------------------------------------
def alternating() -> TrainingStep:
    """``d_steps`` discriminator updates with G fixed, then one generator update (Goodfellow et al. 2014)."""
    return TrainingStep()


class SimultaneousStep(TrainingStep):
    """Both players' gradients at the same parameters, applied together: the update rule of ALI (Dumoulin et
    al. 2017, ``ali_algorithm``), which the PacGAN paper's official code trains with (Lin et al. 2018).

    With ``d_steps`` > 1 the first ``d_steps − 1`` discriminator updates run alone, as in ``alternating``;
    the last one and the generator update are simultaneous. On one batch: the discriminator's loss sees
    the fake detached, the generator's loss sees the discriminator *before* its update (not after, as in
    ``alternating``). The generator is stepped first: the discriminator's graph holds no generator
    parameter, so its gradient is still the one at the step's starting point.
    """

    def run(self, ctx: StepContext) -> tuple[LossOutput, LossOutput]:
        for _ in range(ctx.d_steps - 1):
            self.discriminator_step(ctx, ctx.draw(keep_graph=False))
        batch = ctx.draw(keep_graph=True)
        d_out = ctx.discriminator_loss(batch)  # forward only: D is stepped after G's gradient is taken
        g_out = self.generator_step(ctx, batch)
        ctx.update(d_out.total, "d")
        return d_out, g_out


def simultaneous() -> TrainingStep:
    """One discriminator and one generator update from the same parameters, applied together (ALI, PacGAN)."""
    return SimultaneousStep()
