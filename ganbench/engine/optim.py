"""Build a cell's optimisers, learning-rate schedules and training step from registered names.

The names and options come from :class:`~ganbench.engine.config.TrainConfig`
(``optimizer_g``, ``schedule_d``, ``training_step``, ... and their
``_options``). Planning calls :func:`check_training` on the CPU-built models,
so an unknown name, an unknown option or a value the optimiser rejects fails
as one line before any cell trains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ganbench.engine.build import Models
from ganbench.engine.config import TrainConfig
from ganbench.errors import UnknownNameError, UserError
from ganbench.factories import call_with_options
from ganbench.registrar import TrainingEntry, TrainingKind
from ganbench.registry import PluginRegistry, get_registry
from ganbench.training import OptimizerContext, ScheduleContext, Side, TrainingStep

Optimizers = tuple[torch.optim.Optimizer, torch.optim.Optimizer]
Schedules = tuple[Any, Any]
"""``(generator schedule, discriminator schedule)``; ``None`` for a constant learning rate."""

_WHAT = {"optimizer": "optimizer", "schedule": "schedule", "training_step": "training step"}


def lookup(registry: PluginRegistry, kind: TrainingKind, name: str) -> TrainingEntry:
    try:
        return registry.component(kind, name)  # type: ignore[arg-type,return-value]
    except UnknownNameError:
        raise UnknownNameError(_WHAT[kind], name, registry.names(kind)) from None  # type: ignore[arg-type]


def _describe(kind: TrainingKind, name: str, side: Side | None, options: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
    where = f" for the {side}" if side else ""
    return f"{_WHAT[kind]} {name!r}{where}" + (f" ({shown})" if shown else "")


def make_optimizers(models: Models, cfg: TrainConfig, registry: PluginRegistry | None = None) -> Optimizers:
    """G's optimiser over the generator; D's over the discriminator plus the loss's modules (they share D's body)."""
    registry = registry or get_registry()
    d_params = list(models.discriminator.parameters()) + list(models.loss.parameters())
    sides: list[tuple[Side, str, list[torch.nn.Parameter], float]] = [
        ("generator", "optimizer_g", list(models.generator.parameters()), cfg.lr_g),
        ("discriminator", "optimizer_d", d_params, cfg.lr_d),
    ]
    built = []
    for side, key, params, lr in sides:
        name, options = getattr(cfg, key), cfg.seam_options(key)
        entry = lookup(registry, "optimizer", name)
        ctx = OptimizerContext(side=side, lr=lr, beta1=cfg.beta1, beta2=cfg.beta2)
        what = _describe("optimizer", name, side, options)
        optimizer = call_with_options(what, entry.factory, (params, ctx), options)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise UserError(
                f"optimizer {name!r} from {entry.origin} returned {type(optimizer).__name__}, not a torch optimizer"
            )
        built.append(optimizer)
    return built[0], built[1]


def make_schedules(optimizers: Optimizers, cfg: TrainConfig, registry: PluginRegistry | None = None) -> Schedules:
    """One schedule per optimiser, created right after it (a scheduler sets ``initial_lr`` on its optimiser)."""
    registry = registry or get_registry()
    built = []
    for side, key, optimizer in (
        ("generator", "schedule_g", optimizers[0]),
        ("discriminator", "schedule_d", optimizers[1]),
    ):
        name, options = getattr(cfg, key), cfg.seam_options(key)
        entry = lookup(registry, "schedule", name)
        ctx = ScheduleContext(side=side, total_steps=cfg.steps)  # type: ignore[arg-type]
        what = _describe("schedule", name, side, options)
        schedule = call_with_options(what, entry.factory, (optimizer, ctx), options)
        if schedule is not None and not callable(getattr(schedule, "step", None)):
            raise UserError(
                f"schedule {name!r} from {entry.origin} returned {type(schedule).__name__}, not a scheduler"
            )
        built.append(schedule)
    return built[0], built[1]


def make_training_step(cfg: TrainConfig, registry: PluginRegistry | None = None) -> TrainingStep:
    registry = registry or get_registry()
    name, options = cfg.training_step, cfg.seam_options("training_step")
    entry = lookup(registry, "training_step", name)
    step = call_with_options(_describe("training_step", name, None, options), entry.factory, (), options)
    if not callable(getattr(step, "run", None)):
        raise UserError(
            f"training step {name!r} from {entry.origin} returned {type(step).__name__}, not a TrainingStep"
        )
    return step


def check_training(registry: PluginRegistry, models: Models, cfg: TrainConfig) -> None:
    """Build optimisers, schedules and the training step once on the CPU models: every bad value fails here."""
    make_schedules(make_optimizers(models, cfg, registry), cfg, registry)
    make_training_step(cfg, registry)
