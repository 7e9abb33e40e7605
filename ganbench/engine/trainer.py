"""The alternating GAN training loop (Goodfellow et al. 2014, Algorithm 1).

With G fixed, D takes ``d_steps`` updates; then with D fixed, G takes one.
The hot loop makes no host syncs: per-step losses go into a device buffer
that is read once every ``log_every`` steps (the history row and the exact
step of a NaN/inf come from the buffer).

A diverged run still stops within a few steps of its first non-finite loss,
not at the next read-out: every :data:`NONFINITE_POLL_EVERY` steps
:class:`NonFiniteWatch` reduces the rows written so far to one "all finite?"
flag. On the CPU the flag is read at once (the work is done by then, so the
read waits for nothing). On CUDA it is copied ``non_blocking`` into pinned
host memory behind an event, and the next poll reads it only if the event has
completed, so the host never waits for the device; divergence shows within
about two polls. Other devices (MPS) rely on the ``log_every`` read-out.

What one step does is the registered training step's (``training_step``,
default ``alternating``: the loop above), called in one place through the
seam in ``ganbench/engine/steps.py``; learning-rate schedules are stepped
after it, and so is the EMA generator (``--ema``, ``ganbench/engine/ema.py``):
it is updated once per step, after the step's generator update, whatever the
training step is.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from ganbench.engine.build import Models
from ganbench.engine.config import TrainConfig
from ganbench.engine.devices import synchronize
from ganbench.engine.ema import EmaGenerator
from ganbench.engine.fastpaths import prepare as prepare_fast_paths
from ganbench.engine.optim import Schedules, make_schedules, make_training_step
from ganbench.engine.optim import make_optimizers as make_optimizers
from ganbench.engine.steps import LoopContext
from ganbench.engine.steps import sample_latent as sample_latent
from ganbench.engine.terms import TermBuffer
from ganbench.training import TrainingStep

if TYPE_CHECKING:
    from ganbench.engine.distributed import DataParallelSteps


@dataclass
class TrainResult:
    status: str
    """``ok`` or ``diverged``."""
    steps_done: int
    diverged_step: int | None = None
    d_loss: float = math.nan
    g_loss: float = math.nan
    train_img_s: float = math.nan
    """Generator updates × batch size per second, measured after warm-up, callbacks excluded."""
    train_s: float = math.nan
    """Time spent training: the loop's wall time minus the time spent inside the callbacks."""
    callback_s: float = 0.0
    """Time spent inside ``on_log``/``on_interval`` (evaluation, checkpoints, TensorBoard, pictures)."""
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

NONFINITE_POLL_EVERY = 4
"""Steps between checks of the loss buffer for NaN/inf (between the ``log_every`` read-outs)."""


class NonFiniteWatch:
    """Notices a non-finite loss in the loss buffer within a few steps, without a host sync per step."""

    def __init__(self, buffer: torch.Tensor, device: torch.device, every: int = NONFINITE_POLL_EVERY) -> None:
        self.buffer, self.every, self.kind = buffer, every, device.type
        self.pending = False
        if self.kind == "cuda":
            self.flag = torch.zeros((), dtype=torch.bool).pin_memory()
            self.event = torch.cuda.Event()

    def reset(self) -> None:
        """The buffer was read out: forget a check of rows that are about to be overwritten."""
        self.pending = False

    def tripped(self, step: int, rows: int) -> bool:
        """Whether the buffer's first ``rows`` rows are known to hold a non-finite value (polls every few steps)."""
        if step % self.every:
            return False
        if self.kind == "cpu":
            return not bool(torch.isfinite(self.buffer[:rows]).all())
        if self.kind != "cuda":
            return False
        if self.pending and not self.event.query():
            return False  # the previous check has not reached the host yet: never wait for it
        seen = self.pending and bool(self.flag)
        self.flag.copy_(~torch.isfinite(self.buffer[:rows]).all(), non_blocking=True)
        self.event.record()
        self.pending = True
        return seen


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
    ema: EmaGenerator | None = None,
    on_log: ProgressCallback | None = None,
    on_interval: Callable[[int], None] | None = None,
    parallel: DataParallelSteps | None = None,
) -> TrainResult:
    """Train for ``cfg.steps`` generator updates (continuing from ``state.step``).

    ``on_log(step, losses, img_s)`` is called every ``log_every`` steps;
    ``on_interval(step)`` after each logging point (checkpoints, evaluation).
    Time spent inside the callbacks (measured with a device sync at both ends) is
    left out of ``train_s`` and ``train_img_s``: they count training steps only.
    ``batches`` yields ``(real, labels)`` pairs (``batch_stream``) or bare real batches.
    Optimisers, schedules and the training step are built from ``cfg`` unless
    given (give the schedules too when continuing with given optimisers).
    ``ema`` (the averaged generator) is updated after each step's generator update.
    ``parallel`` (data-parallel ranks, :mod:`ganbench.engine.distributed`) wraps
    the step functions in DDP, draws this rank's latents and averages the losses
    read out; ``cfg.batch_size`` is then the global batch. None: the plain loop.
    """
    G, D, loss = models.generator, models.discriminator, models.loss
    optimizers = optimizers or make_optimizers(models, cfg)
    schedules = schedules if schedules is not None else make_schedules(optimizers, cfg)
    training_step = training_step or make_training_step(cfg)
    state = state or TrainState()
    G.train(), D.train(), loss.train()
    fast = prepare_fast_paths(models, cfg, device)  # opt-in fast paths; all off: the plain calls
    batches = fast.batches(batches)
    draw_latent = sample_latent
    if parallel is not None:
        fast, draw_latent = parallel.wrap(models, fast), parallel.sample_latent
    context = LoopContext(models, optimizers, batches, cfg.d_steps, device, fast, draw_latent)
    stepped = [schedule for schedule in schedules if schedule is not None]  # constant rates: nothing to step

    buffer = torch.zeros(min(cfg.log_every, cfg.steps), 2, device=device)  # rows used: step % log_every < steps
    terms = TermBuffer(buffer.shape[0], device)  # LossOutput.terms, read out with the losses
    watch = NonFiniteWatch(buffer, device)
    warmup_end = state.step + cfg.warmup if state.step == 0 else state.step
    timer_start: float | None = None
    measured_from = 0
    wall_start = time.perf_counter()
    last_log_time, last_log_step = wall_start, state.step
    callback_s = measured_callback_s = 0.0
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
        if ema is not None:
            ema.update(step)
        buffer[step % cfg.log_every, 0] = d_out.total.detach()
        buffer[step % cfg.log_every, 1] = g_out.total.detach()
        terms.record(step % cfg.log_every, "d", d_out.terms)
        terms.record(step % cfg.log_every, "g", g_out.terms)
        step += 1
        n = (step - 1) % cfg.log_every + 1
        read_out = step % cfg.log_every == 0 or step == cfg.steps
        if read_out or (parallel is None and watch.tripped(step, n)):  # ranks read out together, at log_every
            rows = torch.cat((buffer[:n], terms.values[:n]), dim=1) if read_out else buffer[:n]
            buffered = rows if parallel is None else parallel.mean(rows)
            everything = buffered.cpu()  # the one host sync per logging interval (or at divergence)
            values, term_values = everything[:, :2], everything[:, 2:]
            finite = torch.isfinite(values).all(dim=1)
            if not bool(finite.all()):
                bad = int((~finite).nonzero()[0, 0])
                result.status, result.diverged_step = "diverged", step - n + bad + 1
                result.steps_done = step
                break
            watch.reset()
            if not read_out:  # pragma: no cover - the watch trips only on a non-finite value
                continue
            d_mean, g_mean = values.mean(dim=0).tolist()
            term_means = terms.means(term_values)
            terms.clear()
            state.history.append({"step": step, "d_loss": d_mean, "g_loss": g_mean, **term_means})
            result.d_loss, result.g_loss = values[-1].tolist()
            state.d_loss, state.g_loss = result.d_loss, result.g_loss
            now = time.perf_counter()
            img_s = (step - last_log_step) * cfg.batch_size / max(now - last_log_time, 1e-9)
            last_log_time, last_log_step = now, step
            state.step = step
            if on_log is not None or on_interval is not None:
                synchronize(device)
                callback_start = time.perf_counter()
                if on_log is not None:
                    on_log(step, {"d_loss": d_mean, "g_loss": g_mean, **term_means}, img_s)
                if on_interval is not None:
                    on_interval(step)
                synchronize(device)
                spent = time.perf_counter() - callback_start
                callback_s += spent
                measured_callback_s += spent if timer_start is not None else 0.0
                last_log_time += spent  # the next interval's img/s counts training only, too
    synchronize(device)
    end = time.perf_counter()
    result.steps_done = step
    state.step = step
    result.wall_s = end - wall_start
    result.callback_s = callback_s
    result.train_s = max(result.wall_s - callback_s, 0.0)
    if timer_start is not None and step > measured_from:
        measured = max(end - timer_start - measured_callback_s, 1e-9)
        result.train_img_s = (step - measured_from) * cfg.batch_size / measured
    return result
