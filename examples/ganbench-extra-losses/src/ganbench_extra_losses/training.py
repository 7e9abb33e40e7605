"""Training seams: the optimistic Adam optimiser and the unrolled-GAN training step.

* **Optimistic Adam** (Daskalakis et al. 2018, "Training GANs with Optimism",
  Algorithm 1). With Adam's bias-corrected moments ``m̂_t``, ``v̂_t`` and the
  step ``u_t = m̂_t / (√v̂_t + ε)``, the update is
  ``θ_t = θ_{t-1} - 2η·u_t + η·u_{t-1}`` (``u_0 = 0``): an Adam step plus the
  "optimistic" correction ``-η·(u_t - u_{t-1})``, which damps the cycling of
  gradient descent-ascent on a min-max game.
* **Unrolled GAN** (Metz et al. 2017). The generator's loss is taken against
  the discriminator after ``unroll`` further simulated updates of it (same
  optimiser, same real and fake batch), so the generator sees how the
  discriminator would answer its move; the discriminator itself then goes back
  to where it was. This is the cheaper first-order form: the generator's
  gradient is the gradient of its loss at the unrolled discriminator, without
  back-propagating through the unrolled updates (Metz et al.'s full gradient
  adds the terms that flow through them).
"""

from __future__ import annotations

import numbers

import torch
from ganbench.plugin import IncompatibleError, LossOutput, OptimizerContext, StepBatch, StepContext, TrainingStep


class OptimisticAdam(torch.optim.Optimizer):
    """Optimistic Adam; ``state`` holds ``m``, ``v``, the previous step ``u`` and the step count."""

    def __init__(self, params, lr: float, betas: tuple[float, float], eps: float = 1e-8) -> None:
        if not lr >= 0:
            raise ValueError(f"invalid learning rate {lr!r}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be in [0, 1), got {betas!r}")
        if not eps >= 0:
            raise ValueError(f"invalid eps {eps!r}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[no-untyped-def]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                    state["u"] = torch.zeros_like(p)
                state["step"] += 1
                t = float(state["step"])
                m, v, u_prev = state["m"], state["v"], state["u"]
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                u = (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + group["eps"])
                p.add_(u, alpha=-2 * group["lr"]).add_(u_prev, alpha=group["lr"])
                state["u"] = u
        return loss


def optimistic_adam(params, ctx: OptimizerContext, *, eps: float = 1e-8) -> OptimisticAdam:
    """ganbench optimiser factory: ``lr_g``/``lr_d`` and ``beta1``/``beta2`` come from the training options."""
    return OptimisticAdam(params, lr=ctx.lr, betas=(ctx.beta1, ctx.beta2), eps=eps)


class UnrolledStep(TrainingStep):
    """The alternating step, except that G's loss is computed against D unrolled ``unroll`` updates ahead."""

    def __init__(self, unroll: int) -> None:
        self.unroll = unroll

    def generator_step(self, ctx: StepContext, batch: StepBatch) -> LossOutput:
        with ctx.discriminator_restored():  # D, the loss's modules and D's optimiser come back on exit
            for _ in range(self.unroll):
                d_out = ctx.discriminator_loss(batch)
                ctx.update(d_out.total, "d")
            return super().generator_step(ctx, batch)  # G's update is kept: only the D side is restored


def unrolled_step(*, unroll: int = 5) -> UnrolledStep:
    """ganbench training-step factory; ``unroll`` is k in Metz et al. (2017)."""
    if isinstance(unroll, bool) or not isinstance(unroll, numbers.Integral) or unroll < 1:
        raise IncompatibleError(f"training step 'unrolled': option unroll={unroll!r} must be a positive integer")
    return UnrolledStep(int(unroll))
