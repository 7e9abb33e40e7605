"""Training hyper-parameters and how defaults, variant overrides and CLI values combine."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ganbench.errors import UserError

AMP_CHOICES = ("off", "bf16", "fp16")
"""Mixed-precision modes: none, bfloat16 autocast (CPU/CUDA), float16 autocast + GradScaler (CUDA)."""


@dataclass(frozen=True)
class TrainConfig:
    """Defaults follow DCGAN (Radford et al. 2016): Adam, lr 2e-4, β1 0.5, batch 64."""

    steps: int = 1000
    """Generator updates."""
    batch_size: int = 64
    """Samples per real batch and per generated batch."""
    lr_g: float = 2e-4
    """Generator learning rate."""
    lr_d: float = 2e-4
    """Discriminator learning rate (also for modules a loss owns, e.g. InfoGAN's Q head)."""
    beta1: float = 0.5
    """Adam β1 of both optimisers."""
    beta2: float = 0.999
    """Adam β2 of both optimisers."""
    d_steps: int = 1
    """Discriminator updates per generator update (k in Goodfellow et al. 2014)."""
    log_every: int = 50
    """Losses are copied to the host (and checked for NaN) every this many steps."""
    warmup_steps: int | None = None
    """Throughput-timing warm-up, not a learning-rate warm-up: these first steps train as usual but are left
    out of ``train_img_s`` (allocator, autotuning and compilation settle); default 10% of steps, at most 20."""
    # Opt-in fast paths (ganbench.engine.fastpaths); all off keeps the default loop bit for bit.
    channels_last: bool = False
    """Models and real batches in channels_last (NHWC) memory format."""
    amp: str = "off"
    """Mixed precision: ``off``, ``bf16`` or ``fp16`` (CUDA only)."""
    compile: bool = False
    """``torch.compile`` the generator and the loss's D/G objectives (needs a C++ compiler on CPU)."""

    def with_overrides(self, overrides: Mapping[str, Any]) -> TrainConfig:
        """Apply ``overrides`` (from a variant or the CLI), rejecting unknown keys."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise UserError(f"unknown training option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        new = dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})
        new.validate()
        return new

    def validate(self) -> None:
        for name in ("steps", "batch_size", "d_steps", "log_every"):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        for name in ("lr_g", "lr_d"):
            if not getattr(self, name) > 0:
                raise UserError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if self.amp not in AMP_CHOICES:
            raise UserError(f"unknown --amp {self.amp!r}; valid choices: {', '.join(AMP_CHOICES)}")

    @property
    def warmup(self) -> int:
        if self.warmup_steps is not None:
            return min(self.warmup_steps, self.steps - 1)
        return min(20, max(1, self.steps // 10)) if self.steps > 1 else 0
