"""Built-in plugin: the optimisers, learning-rate schedules and training step ganbench trains with.

Registered through ``ganbench_register`` exactly like a third-party plugin's
(entry point ``training`` in ganbench's ``pyproject.toml``), and importing
only :mod:`ganbench.plugin`. Each factory names its options as keyword
arguments, so ``--optimizer-g-opt``/``train_options`` keys are checked
against them before any training starts.

Defaults are those of DCGAN (Radford et al. 2016): Adam with ``lr`` 2e-4 and
``beta1`` 0.5 (the ``lr_g``/``lr_d``/``beta1``/``beta2`` training options),
constant learning rate, alternating updates. The ``simultaneous`` step is ALI's rule, which the
PacGAN variants use (their paper's code trains with it).
"""

from __future__ import annotations

import math

import torch

from ganbench.plugin import (
    Choice,
    FloatRange,
    LossOutput,
    OptimizerContext,
    Registrar,
    ScheduleContext,
    StepContext,
    TrainingStep,
    hookimpl,
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


# -- search spaces (ganbench sweep) -----------------------------------------------------
# The hyperparameters Lucic et al. (2018, "Are GANs Created Equal?") searched: learning rate
# (log-uniform), Adam's betas, D updates per G update and batch size. lr_g and lr_d are drawn
# independently (each side's optimiser declares its "lr").
LEARNING_RATE = FloatRange(1e-5, 1e-2, log=True)
ADAM_SPACE = {"lr": LEARNING_RATE, "beta1": FloatRange(0.0, 0.9), "beta2": FloatRange(0.9, 0.999)}
STEP_SPACE = {"d_steps": Choice((1, 2, 5)), "batch_size": Choice((16, 32, 64, 128))}


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


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_optimizer("adam", adam, description="Adam (Kingma & Ba 2015); betas from beta1/beta2.")
    registrar.add_optimizer("adamw", adamw, description="AdamW: Adam with decoupled weight decay (default 0.01).")
    registrar.add_optimizer("rmsprop", rmsprop, description="RMSprop (alpha 0.99), as used by WGAN.")
    registrar.add_optimizer("sgd", sgd, description="SGD with optional (Nesterov) momentum.")
    registrar.add_schedule("constant", constant, description="Constant learning rate (the default).")
    registrar.add_schedule("linear", linear, description="Linear decay to end_factor (default 0) x the rate.")
    registrar.add_schedule("cosine", cosine, description="Cosine annealing to eta_min (default 0) over the run.")
    registrar.add_search_space("optimizer", "adam", ADAM_SPACE)
    registrar.add_search_space("optimizer", "adamw", {**ADAM_SPACE, "weight_decay": FloatRange(1e-4, 1e-1, log=True)})
    registrar.add_search_space("optimizer", "rmsprop", {"lr": LEARNING_RATE, "alpha": FloatRange(0.9, 0.999)})
    registrar.add_search_space(
        "optimizer", "sgd", {"lr": FloatRange(1e-4, 1e-1, log=True), "momentum": FloatRange(0.0, 0.95)}
    )
    registrar.add_search_space("training_step", "alternating", STEP_SPACE)
    registrar.add_search_space("schedule", "linear", {"end_factor": FloatRange(0.0, 1.0)})
    registrar.add_search_space("schedule", "cosine", {"eta_min": FloatRange(0.0, 1e-5)})
    registrar.add_training_step(
        "alternating",
        alternating,
        description="d_steps D updates with G fixed, then one G update (Goodfellow et al. 2014, Algorithm 1).",
    )
    registrar.add_training_step(
        "simultaneous",
        simultaneous,
        description="D and G gradients at the same parameters, applied together (ALI; PacGAN's official code).",
    )
