"""Training hyper-parameters and how defaults, variant overrides and CLI values combine."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ganbench.errors import UserError

DEFAULT_EMA_START = 0
"""Steps before the average starts (until then it copies the raw weights); the ramp above makes 0 safe."""


def check_ema(decay: object, start: object) -> None:
    """``decay`` in (0, 1) (or None: no EMA) and ``start`` a non-negative integer, checked before training."""
    if decay is not None:
        if not isinstance(decay, (int, float)) or isinstance(decay, bool) or not 0 < decay < 1:
            raise UserError(f"--ema must be a decay strictly between 0 and 1 (e.g. 0.999), got {decay!r}")
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise UserError(f"--ema-start must be a non-negative integer (a step), got {start!r}")


AMP_CHOICES = ("off", "bf16", "fp16")
"""Mixed-precision modes: none, bfloat16 autocast (CPU/CUDA), float16 autocast + GradScaler (CUDA)."""


SEAM_NAMES = ("optimizer_g", "optimizer_d", "schedule_g", "schedule_d", "training_step")
"""TrainConfig fields naming a registered optimiser, schedule or training step; each has an ``_options`` field."""
MAXIMA = {"steps": 10_000_000, "batch_size": 65_536, "d_steps": 1_000}
"""Upper bounds, so a typo (an extra zero or six) is refused before any folder is made instead of running for
days or failing to allocate: 10M steps is ~10x the longest published GAN schedules, 65,536 ~30x BigGAN's batch."""


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
    """β1 of Adam/AdamW on both sides (first-moment decay); unused by RMSprop and SGD."""
    beta2: float = 0.999
    """β2 of Adam/AdamW on both sides (second-moment decay); unused by RMSprop and SGD."""
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
    # Training seams (ganbench.training): registered names and their options, per side.
    optimizer_g: str = "adam"
    """Generator optimiser (``ganbench plugins`` lists them); ``lr_g`` is its learning rate."""
    optimizer_d: str = "adam"
    """Discriminator optimiser (also trains the loss's own modules); ``lr_d`` is its learning rate."""
    optimizer_g_options: Mapping[str, Any] = field(default_factory=dict)
    """Extra keyword arguments of the generator optimiser, e.g. ``{"weight_decay": 0.01}``."""
    optimizer_d_options: Mapping[str, Any] = field(default_factory=dict)
    """Extra keyword arguments of the discriminator optimiser."""
    schedule_g: str = "constant"
    """Generator learning-rate schedule, stepped once per generator update."""
    schedule_d: str = "constant"
    """Discriminator learning-rate schedule, stepped once per generator update (not per D update)."""
    schedule_g_options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments of the generator schedule (``ganbench plugins --components`` lists them)."""
    schedule_d_options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments of the discriminator schedule."""
    training_step: str = "alternating"
    """How one step updates D and G: ``alternating`` is Goodfellow et al.'s Algorithm 1; ``simultaneous`` takes
    both players' gradients at the same parameters (ALI; the PacGAN variants use it)."""
    training_step_options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments of the training step's factory, e.g. ``{"unroll": 5}`` for ``unrolled``."""
    ema: float | None = None
    """Decay of an exponential moving average of G's weights (``ganbench.engine.ema``), or None for none."""
    ema_start: int = DEFAULT_EMA_START
    """Generator updates before the average starts moving (until then it copies the raw weights)."""

    def with_overrides(self, overrides: Mapping[str, Any]) -> TrainConfig:
        """Apply ``overrides`` (from a variant or the CLI), rejecting unknown keys."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise UserError(f"unknown training option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        changes = {k: v for k, v in overrides.items() if v is not None}
        for name in SEAM_NAMES:  # a new optimiser/schedule/step drops the options meant for the one it replaces
            if name in changes and changes[name] != getattr(self, name) and f"{name}_options" not in changes:
                changes[f"{name}_options"] = {}
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def validate(self) -> None:
        """Types and ranges, checked before anything trains (torch would only complain inside a cell)."""
        for name in ("steps", "batch_size", "d_steps", "log_every"):
            value = getattr(self, name)
            if not _is_int(value):
                raise UserError(f"--{_flag(name)} must be an integer, got {value!r}")
            if value < 1:
                raise UserError(f"--{_flag(name)} must be at least 1, got {value}")
            if name in MAXIMA and value > MAXIMA[name]:
                raise UserError(f"--{_flag(name)} must be at most {MAXIMA[name]:,}, got {value:,}")
        if self.warmup_steps is not None and (not _is_int(self.warmup_steps) or self.warmup_steps < 0):
            raise UserError(f"warmup_steps must be a non-negative integer, got {self.warmup_steps!r}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 < value < math.inf:
                raise UserError(f"--{_flag(name)} must be a positive, finite number, got {value!r}")
        for name in ("beta1", "beta2"):  # Adam's bounds (Kingma & Ba 2015): 0 <= beta < 1
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value < 1:
                raise UserError(f"--{_flag(name)} must be a number in [0, 1), got {value!r}")
        for name in ("channels_last", "compile"):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.amp not in AMP_CHOICES:
            raise UserError(f"unknown --amp {self.amp!r}; valid choices: {', '.join(AMP_CHOICES)}")
        check_ema(self.ema, self.ema_start)
        for name in SEAM_NAMES:  # the names themselves are checked against the registry when a cell is planned
            flag = "--" + name.replace("_", "-")
            if not isinstance(getattr(self, name), str):
                raise UserError(f"{flag} must be a registered name, got {getattr(self, name)!r}")
            if not isinstance(getattr(self, f"{name}_options"), Mapping):
                raise UserError(
                    f"{flag}-opt must be a table of KEY=VALUE options, got {getattr(self, name + '_options')!r}"
                )

    def recorded(self) -> dict[str, Any]:
        """The fields as plain data for fingerprints and checkpoint identities; the EMA settings only with
        ``ema`` set, so cells made before EMA existed (or without it) keep their recorded fields."""
        fields = dataclasses.asdict(self)
        if self.ema is None:
            fields.pop("ema"), fields.pop("ema_start")
        return fields

    def seam_options(self, name: str) -> dict[str, Any]:
        """The options of one seam (``optimizer_g``, ...) as a plain dict."""
        return dict(getattr(self, f"{name}_options"))

    @property
    def warmup(self) -> int:
        if self.warmup_steps is not None:
            return min(self.warmup_steps, self.steps - 1)
        return min(20, max(1, self.steps // 10)) if self.steps > 1 else 0


def _flag(name: str) -> str:
    return name.replace("_", "-")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
