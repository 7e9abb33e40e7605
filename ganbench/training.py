"""Training seams of the plugin API: optimisers, learning-rate schedules and the training step.

Like components, each is registered by name through the :class:`~ganbench.registrar.Registrar`
(``add_optimizer``, ``add_schedule``, ``add_training_step``) and chosen by a
recipe's ``train_options`` or the command line. The built-in ones
(``plugins/training``) are registered the same way.

* An **optimiser** factory ``factory(params, ctx: OptimizerContext, **options)``
  returns a ``torch.optim.Optimizer`` over ``params``.
* A **schedule** factory ``factory(optimizer, ctx: ScheduleContext, **options)``
  returns a ``torch.optim.lr_scheduler.LRScheduler`` stepped once per generator
  update, or ``None`` for a learning rate that never changes (nothing is stepped).
* A **training step** factory ``factory(**options)`` returns a
  :class:`TrainingStep`: the discriminator updates and the generator update of
  one step of the loop. Subclass it and override ``discriminator_step`` or
  ``generator_step`` (call ``super()`` to wrap rather than replace).
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch

from ganbench.components import LossOutput

Side = Literal["generator", "discriminator"]


@dataclass(frozen=True)
class OptimizerContext:
    """What an optimiser factory is told besides its parameters."""

    side: Side
    lr: float
    """``lr_g`` or ``lr_d``."""
    beta1: float
    """The ``beta1`` training option; optimisers with Adam-style betas use it, others ignore it."""
    beta2: float


@dataclass(frozen=True)
class ScheduleContext:
    """What a schedule factory is told besides its optimiser."""

    side: Side
    total_steps: int
    """Generator updates of the run (``steps``); the schedule is stepped once after each."""


@dataclass
class StepBatch:
    """One real batch and the fake batch generated for it."""

    real: torch.Tensor
    """``(N, *spec.shape)`` real samples, float32 on the device."""
    labels: torch.Tensor | None
    """``(N,)`` int64 labels of ``real`` (``-1`` for unlabelled data); the fake is generated for the same labels."""
    latent: torch.Tensor
    """``(N, noise_dim + code_dim)``: the generator's input (noise, then the loss's codes)."""
    codes: torch.Tensor
    """``(N, code_dim)``: the loss's structured codes inside ``latent``."""
    fake: torch.Tensor
    """``generator(latent)``; it keeps the generator's graph only for the batch the generator step uses."""


class StepContext(abc.ABC):
    """What a :class:`TrainingStep` works with; the engine provides it (do not subclass it).

    Attributes: ``generator``, ``discriminator`` and ``loss`` (the modules),
    ``opt_g`` and ``opt_d`` (the optimisers; ``opt_d`` also holds the loss's own
    parameters), ``step`` (generator updates done before this one, an ``int``)
    and ``d_steps`` (discriminator updates per generator update).
    """

    generator: torch.nn.Module
    discriminator: torch.nn.Module
    loss: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    step: int
    d_steps: int

    @abc.abstractmethod
    def draw(self, keep_graph: bool = True) -> StepBatch:
        """The next real batch (with labels), fresh latents and ``fake = generator(latent)``.

        ``keep_graph=False`` generates without autograd: for discriminator updates whose fake the
        generator step does not reuse.
        """

    @abc.abstractmethod
    def discriminator_for(self, batch: StepBatch) -> Callable[..., torch.Tensor]:
        """The discriminator as the loss sees it: ``d(x)``, ``d.features(x)``, ``d.classify(f)``.

        For a conditional discriminator the batch's labels are bound in.
        """

    @abc.abstractmethod
    def discriminator_loss(self, batch: StepBatch) -> LossOutput:
        """The loss's ``discriminator_loss`` on ``batch`` (fake detached), through the run's fast paths."""

    @abc.abstractmethod
    def generator_loss(self, batch: StepBatch) -> LossOutput:
        """The loss's ``generator_loss`` on ``batch`` (fake with the generator's graph)."""

    @abc.abstractmethod
    def update(self, total: torch.Tensor, which: Literal["d", "g"]) -> None:
        """``zero_grad()``, ``total.backward()`` and ``step()`` of ``opt_d`` or ``opt_g``."""

    @abc.abstractmethod
    def discriminator_frozen(self) -> contextlib.AbstractContextManager[None]:
        """A context in which the discriminator's and the loss's parameters do not require gradients."""

    @abc.abstractmethod
    def discriminator_restored(self) -> contextlib.AbstractContextManager[None]:
        """A context after which the discriminator, the loss's modules and ``opt_d`` are as they were on entry.

        For look-ahead methods (unrolled GANs) that update the discriminator only to look at the result.
        """


class TrainingStep:
    """One step of the loop: ``d_steps`` discriminator updates with G fixed, then one generator update.

    This is the built-in ``alternating`` step (Goodfellow et al. 2014,
    Algorithm 1). Override :meth:`discriminator_step` or :meth:`generator_step`
    to replace one update (call ``super()`` to wrap it), or :meth:`run` for the
    whole step. Keep tensors on the device and avoid ``.item()``: the loop
    reads losses only at logging points. Checkpoints do not store a step's own
    attributes, so derive any schedule from ``ctx.step``.
    """

    def run(self, ctx: StepContext) -> tuple[LossOutput, LossOutput]:
        """Returns the last discriminator update's and the generator update's losses (logged and NaN-checked)."""
        last = ctx.d_steps - 1
        for i in range(ctx.d_steps):
            batch = ctx.draw(keep_graph=i == last)  # only the last fake is reused by the generator step
            d_out = self.discriminator_step(ctx, batch)
        g_out = self.generator_step(ctx, batch)
        return d_out, g_out

    def discriminator_step(self, ctx: StepContext, batch: StepBatch) -> LossOutput:
        d_out = ctx.discriminator_loss(batch)
        ctx.update(d_out.total, "d")
        return d_out

    def generator_step(self, ctx: StepContext, batch: StepBatch) -> LossOutput:
        with ctx.discriminator_frozen():
            g_out = ctx.generator_loss(batch)
            ctx.update(g_out.total, "g")
        return g_out


OptimizerFactory = Callable[..., torch.optim.Optimizer]
ScheduleFactory = Callable[..., Any]
TrainingStepFactory = Callable[..., TrainingStep]
