"""The alternating GAN training loop (Goodfellow et al. 2014, Algorithm 1).

With G fixed, D takes ``d_steps`` updates; then with D fixed, G takes one.
The hot loop makes no host syncs: per-step losses go into a device buffer
that is read once every ``log_every`` steps, which is also when NaN/inf is
detected (the exact step is recovered from the buffer).

What one step does is the registered training step's (``training_step``,
default ``alternating``: the loop above), called in one place through the
seam in ``ganbench/engine/steps.py``; learning-rate schedules are stepped
after it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from ganbench.engine.build import Models
from ganbench.engine.config import TrainConfig
from ganbench.engine.devices import synchronize
from ganbench.engine.fastpaths import prepare as prepare_fast_paths
from ganbench.engine.optim import Schedules, make_schedules, make_training_step
from ganbench.engine.optim import make_optimizers as make_optimizers
from ganbench.engine.steps import LoopContext
from ganbench.engine.steps import sample_latent as sample_latent
from ganbench.training import TrainingStep


@dataclass
class TrainResult:
    status: str
    """``ok`` or ``diverged``."""
    steps_done: int
    diverged_step: int | None = None
    d_loss: float = math.nan
    g_loss: float = math.nan
    train_img_s: float = math.nan
    """Generator updates × batch size per second, measured after warm-up."""
    wall_s: float = math.nan
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class TrainState:
    """Everything a checkpoint must hold to continue bit for bit."""

    step: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    d_loss: float = math.nan
    """Last step's losses, so a run resumed at its final step still reports them."""
    g_loss: float = math.nan


ProgressCallback = Callable[[int, dict[str, float], float], None]


def train(
    models: Models,
    batches: Iterator[torch.Tensor],
    cfg: TrainConfig,
    device: torch.device,
    *,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None = None,
    schedules: Schedules | None = None,
    training_step: TrainingStep | None = None,
    state: TrainState | None = None,
    on_log: ProgressCallback | None = None,
    on_interval: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train for ``cfg.steps`` generator updates (continuing from ``state.step``).

    ``on_log(step, losses, img_s)`` is called every ``log_every`` steps;
    ``on_interval(step)`` after each logging point (checkpoints, evaluation).
    ``batches`` yields ``(real, labels)`` pairs (``batch_stream``) or bare real batches.
    Optimisers, schedules and the training step are built from ``cfg`` unless
    given (give the schedules too when continuing with given optimisers).
    """
    G, D, loss = models.generator, models.discriminator, models.loss
    optimizers = optimizers or make_optimizers(models, cfg)
    schedules = schedules if schedules is not None else make_schedules(optimizers, cfg)
    training_step = training_step or make_training_step(cfg)
    state = state or TrainState()
    G.train(), D.train(), loss.train()
    fast = prepare_fast_paths(models, cfg, device)  # opt-in fast paths; all off: the plain calls
    batches = fast.batches(batches)
    context = LoopContext(models, optimizers, batches, cfg.d_steps, device, fast)
    stepped = [schedule for schedule in schedules if schedule is not None]  # constant rates: nothing to step

    buffer = torch.zeros(cfg.log_every, 2, device=device)
    warmup_end = state.step + cfg.warmup if state.step == 0 else state.step
    timer_start: float | None = None
    measured_from = 0
    wall_start = time.perf_counter()
    last_log_time, last_log_step = wall_start, state.step
    result = TrainResult(
        status="ok", steps_done=state.step, history=state.history, d_loss=state.d_loss, g_loss=state.g_loss
    )

    step = state.step
    while step < cfg.steps:
        if step == warmup_end:
            synchronize(device)
            timer_start, measured_from = time.perf_counter(), step
        context.step = step
        d_out, g_out = training_step.run(context)  # the training-step seam: d_steps D updates, then one G update
        for schedule in stepped:
            schedule.step()
        buffer[step % cfg.log_every, 0] = d_out.total.detach()
        buffer[step % cfg.log_every, 1] = g_out.total.detach()
        step += 1
        if step % cfg.log_every == 0 or step == cfg.steps:
            n = (step - 1) % cfg.log_every + 1
            values = buffer[:n].cpu()  # the one host sync per logging interval
            finite = torch.isfinite(values).all(dim=1)
            if not bool(finite.all()):
                bad = int((~finite).nonzero()[0, 0])
                result.status, result.diverged_step = "diverged", step - n + bad + 1
                result.steps_done = step
                break
            d_mean, g_mean = values.mean(dim=0).tolist()
            state.history.append({"step": step, "d_loss": d_mean, "g_loss": g_mean})
            result.d_loss, result.g_loss = values[-1].tolist()
            state.d_loss, state.g_loss = result.d_loss, result.g_loss
            now = time.perf_counter()
            img_s = (step - last_log_step) * cfg.batch_size / max(now - last_log_time, 1e-9)
            last_log_time, last_log_step = now, step
            state.step = step
            if on_log is not None:
                on_log(step, {"d_loss": d_mean, "g_loss": g_mean}, img_s)
            if on_interval is not None:
                on_interval(step)
    synchronize(device)
    end = time.perf_counter()
    result.steps_done = step
    state.step = step
    result.wall_s = end - wall_start
    if timer_start is not None and step > measured_from:
        result.train_img_s = (step - measured_from) * cfg.batch_size / (end - timer_start)
    return result
