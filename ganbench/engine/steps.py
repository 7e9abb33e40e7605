"""The engine's side of the training-step seam: the :class:`~ganbench.training.StepContext` a step works with.

The loop calls ``training_step.run(context)`` once per generator update. With
the built-in ``alternating`` step and unconditional components, the context
makes exactly the calls the loop always made (same tensors, same order, same
fast paths), so the default path is unchanged.

Labels: the real batch's labels are passed on only to components that declare
``conditional = True``; the fake batch is generated for the same labels, so
one label tensor describes both halves of a discriminator update.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any, Literal

import torch

from ganbench.components import LossOutput
from ganbench.engine.build import Models, accepts, is_conditional
from ganbench.engine.fastpaths import StepFunctions
from ganbench.training import StepBatch, StepContext


class LabelledDiscriminator:
    """A conditional discriminator with one batch's labels bound, called as an unconditional one."""

    def __init__(self, discriminator: torch.nn.Module, labels: torch.Tensor) -> None:
        self.module, self.labels = discriminator, labels
        self.feature_dim = discriminator.feature_dim

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x, self.labels)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.module.features(x, self.labels)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.module.classify(features, self.labels)

    def __getattr__(self, name: str) -> Any:  # anything else (parameters(), eval(), ...) is the module's
        return getattr(self.module, name)


def sample_latent(models: Models, n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard normal noise followed by the loss's structured codes."""
    codes = models.loss.sample_codes(n, device)
    noise = torch.randn(n, models.generator.noise_dim, device=device)
    return torch.cat([noise, codes], dim=1), codes


def sample_labels(models: Models, n: int, device: torch.device) -> torch.Tensor | None:
    """Uniform class labels for sampling a conditional generator outside training (evaluation); else None."""
    if not is_conditional(models.generator):
        return None
    return torch.randint(int(models.spec.num_classes or 1), (n,), device=device)


class LoopContext(StepContext):
    """One per ``train()`` call; ``step`` is set by the loop before each ``run``."""

    def __init__(
        self,
        models: Models,
        optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
        batches: Iterator[Any],
        d_steps: int,
        device: torch.device,
        fast: StepFunctions,
        draw_latent: Callable[[Models, int, torch.device], tuple[torch.Tensor, torch.Tensor]] | None = None,
    ) -> None:
        self.models = models
        self.generator, self.discriminator, self.loss = models.generator, models.discriminator, models.loss
        self.opt_g, self.opt_d = optimizers
        self.step, self.d_steps = 0, d_steps
        self.device, self.fast = device, fast
        self._batches = batches
        self._draw_latent = draw_latent or sample_latent  # a data-parallel rank draws its own share
        self._d_side = [self.discriminator, self.loss]
        self._g_conditional = is_conditional(self.generator)
        self._d_conditional = is_conditional(self.discriminator)
        self._loss_labels = is_conditional(self.loss)
        self._real_kw = accepts(self.loss.generator_loss, "real")

    # -- batches ------------------------------------------------------------------
    def draw(self, keep_graph: bool = True) -> StepBatch:
        item = next(self._batches)
        real, labels = item if isinstance(item, tuple) else (item, None)
        latent, codes = self._draw_latent(self.models, real.shape[0], self.device)
        with torch.set_grad_enabled(keep_graph), self.fast.autocast():
            fake = self.fast.generator(latent, labels) if self._g_conditional else self.fast.generator(latent)
        return StepBatch(real, labels, latent, codes, fake)

    def discriminator_for(self, batch: StepBatch) -> Any:
        if self._d_conditional:
            return LabelledDiscriminator(self.discriminator, batch.labels)
        return self.discriminator

    # -- losses ---------------------------------------------------------------------
    def discriminator_loss(self, batch: StepBatch) -> LossOutput:
        extra = {"labels": batch.labels} if self._loss_labels else {}
        with self.fast.autocast():
            return self.fast.discriminator_loss(
                self.discriminator_for(batch), batch.real, batch.fake.detach(), batch.codes, **extra
            )

    def generator_loss(self, batch: StepBatch) -> LossOutput:
        extra: dict[str, Any] = {"labels": batch.labels} if self._loss_labels else {}
        if self._real_kw:
            extra["real"] = batch.real
        with self.fast.autocast():
            return self.fast.generator_loss(self.discriminator_for(batch), batch.fake, batch.codes, **extra)

    # -- updates --------------------------------------------------------------------
    def update(self, total: torch.Tensor, which: Literal["d", "g"]) -> None:
        optimizer = self.opt_d if which == "d" else self.opt_g
        optimizer.zero_grad(set_to_none=True)
        self.fast.update(total, optimizer, which)  # backward + step (through a GradScaler for fp16)

    @contextlib.contextmanager
    def discriminator_frozen(self) -> Iterator[None]:
        _set_requires_grad(self._d_side, False)
        try:
            yield
        finally:
            _set_requires_grad(self._d_side, True)

    @contextlib.contextmanager
    def discriminator_restored(self) -> Iterator[None]:
        modules = {"discriminator": self.discriminator, "loss": self.loss}
        saved = {k: {n: t.clone() for n, t in m.state_dict().items()} for k, m in modules.items()}
        optimizer = copy.deepcopy(self.opt_d.state_dict())
        scaler = self.fast.scalers.get("d")
        scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
        try:
            yield
        finally:
            for key, module in modules.items():
                module.load_state_dict(saved[key])
            self.opt_d.load_state_dict(optimizer)
            if scaler is not None:
                scaler.load_state_dict(scaler_state)


def _set_requires_grad(modules: list[torch.nn.Module], flag: bool) -> None:
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(flag)
