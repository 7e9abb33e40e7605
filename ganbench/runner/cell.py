"""Run one cell end to end: build, train, sample, evaluate, and write its files.

A cell never raises for a training problem: failures and divergence become the
row's ``status`` so that the other cells of a matrix go on.

With ``--ema`` a cell writes two rows: the raw generator's (``metrics.json``,
column ``ema`` false) and the EMA generator's (``metrics_ema.json``, variant
``<variant>+ema``, column ``ema`` true). Both share the training columns; the
EMA row's metrics score the averaged weights, so ``table``, ``compare`` and the
summary treat it as one more variant.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import platform
import time
import traceback
from pathlib import Path
from typing import Any

import torch

import ganbench
from ganbench.data.base import GanDataset
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import Models
from ganbench.engine.checkpoint import (
    CHECKPOINT_FILE,
    CountingStream,
    check_identity,
    load_checkpoint,
    restore_checkpoint,
    save_checkpoint,
)
from ganbench.engine.devices import cpu_threads_for, peak_memory_mb, reset_peak_memory
from ganbench.engine.ema import EmaGenerator
from ganbench.engine.optim import make_schedules, make_training_step
from ganbench.engine.sampling import generate
from ganbench.engine.seeding import seed_everything
from ganbench.engine.terms import history_columns
from ganbench.engine.trainer import TrainResult, TrainState, make_optimizers, train
from ganbench.errors import DiskFullError, interruption_text
from ganbench.results import atomic
from ganbench.results.pictures import save_class_grid, save_image_grid, save_scatter
from ganbench.results.table import EMA_ROW_FILE, EMA_SUFFIX, ROW_FILE
from ganbench.results.tensorboard import TensorBoardLogger
from ganbench.runner.context import CellContext, announce, score_samples
from ganbench.runner.deadline import TIMEOUT_STATUS, CellTimeout, deadline, disarm
from ganbench.runner.fingerprint import CONFIG_KEY, Fingerprint, cell_fingerprint
from ganbench.runner.periodic import PeriodicEvaluator
from ganbench.runner.plan import Cell, check_models

GRID_SAMPLES = 64


def base_row(cell: Cell, models: Models | None, ctx: CellContext) -> dict[str, Any]:
    recipe = models.recipe if models is not None else None
    return {
        "variant": cell.variant,
        "generator": recipe.generator if recipe else None,
        "discriminator": recipe.discriminator if recipe else None,
        "loss": recipe.loss if recipe else None,
        "dataset": cell.dataset,
        "data_kind": ctx.dataset.spec.kind,
        "data_stacked": bool(ctx.dataset.spec.extra.get("stacked")),
        "seed": cell.seed,
        **({"trial": cell.trial} if cell.trial is not None else {}),
        "steps": cell.train.steps,
        "batch_size": cell.train.batch_size,
        "world_size": ctx.group.world.world_size if ctx.group else 1,
        "batch_per_rank": cell.train.batch_size // (ctx.group.world.world_size if ctx.group else 1),
        "resolution": ctx.dataset.spec.resolution,
        "device": str(ctx.device),
        "device_type": ctx.device.type,
        "ganbench_version": ganbench.__version__,
        "torch_version": torch.__version__,
        "plugins": ctx.plugins,
        "cell_id": cell.cell_id,
        "error": None,
        "diverged_step": None,
        **({"fingerprint": fingerprint_of(cell, models, ctx).hash} if models is not None else {}),
    }


def fingerprint_of(cell: Cell, models: Models, ctx: CellContext) -> Fingerprint:
    return cell_fingerprint(
        train=cell.train,
        recipe=models.recipe,
        dataset=ctx.dataset,
        dataset_name=cell.dataset,
        evaluation=ctx.evaluation,
        device=ctx.device,
        world_size=ctx.group.world.world_size if ctx.group else 1,
        sync_bn=bool(ctx.group and ctx.group.sync_bn),
    )


def run_cell(cell: Cell, ctx: CellContext) -> dict[str, Any]:
    """Train and evaluate ``cell``; always returns (and writes) its row."""
    with cpu_threads_for(ctx.device, ctx.dataset.spec.kind), deadline(ctx.cell_timeout):
        return _run_cell(cell, ctx)


def _run_cell(cell: Cell, ctx: CellContext) -> dict[str, Any]:
    started = time.perf_counter()
    cell_dir = ctx.run_dir / cell.cell_id
    cell_dir.mkdir(parents=True, exist_ok=True)
    (cell_dir / "error.txt").unlink(missing_ok=True)  # from an earlier, failed attempt (--resume)
    (cell_dir / EMA_ROW_FILE).unlink(missing_ok=True)
    models: Models | None = None
    row: dict[str, Any] = base_row(cell, None, ctx)
    try:
        seed_everything(cell.seed)
        models = check_models(ctx.registry, cell, ctx.dataset)
        row = base_row(cell, models, ctx)
        write_config(cell, models, ctx, cell_dir)
        for module in models.modules().values():
            module.to(ctx.device)
        reset_peak_memory(ctx.device)
        tensorboard = TensorBoardLogger(cell_dir) if ctx.tensorboard else None
        periodic = None
        if ctx.evaluation.eval_every and ctx.writes:
            periodic = PeriodicEvaluator(cell, models, ctx, cell_dir, tensorboard)
        config = cell.train
        for every in (ctx.evaluation.eval_every, ctx.checkpoint_every):  # the same on every rank
            if every:  # logging points are where the trainer calls back
                config = dataclasses.replace(config, log_every=math.gcd(config.log_every, every))
        optimizers = make_optimizers(models, config, ctx.registry)
        schedules = make_schedules(optimizers, config, ctx.registry)
        training_step = make_training_step(config, ctx.registry)
        ema = EmaGenerator(models.generator, config.ema, config.ema_start) if config.ema is not None else None
        checkpoint_path = cell_dir / CHECKPOINT_FILE
        identity = checkpoint_identity(cell, models)
        state, skip = TrainState(), 0
        if ctx.resume and checkpoint_path.is_file():
            payload = load_checkpoint(checkpoint_path)
            check_identity(payload, identity, checkpoint_path)
            state = restore_checkpoint(payload, models, optimizers, schedules, ema)  # RNGs last: nothing may draw after
            skip = int(payload["batches_consumed"])
            if periodic is not None:
                periodic.rows = earlier_evals(cell_dir, state.step)
        batches = CountingStream(
            batch_stream(
                ctx.dataset,
                "train",
                batch_size=cell.train.batch_size,
                device=ctx.device,
                seed=cell.seed,
                skip_batches=skip,
                part=ctx.group.part if ctx.group else None,
            ),
            consumed=skip,
        )

        def on_interval(step: int) -> None:
            if periodic is not None:
                periodic(step)
            every = ctx.checkpoint_every
            if every and (step % every == 0 or step == config.steps) and ctx.writes:
                save_checkpoint(
                    checkpoint_path,
                    models=models,
                    optimizers=optimizers,
                    schedules=schedules,
                    state=state,
                    batches_consumed=batches.consumed,
                    identity=identity,
                    ema=ema,
                )

        def on_log(step: int, losses: dict[str, float], img_s: float) -> None:
            if ctx.on_log is not None:
                ctx.on_log(cell, step, losses, img_s)
            if tensorboard is not None:
                tensorboard.losses(step, losses, img_s)

        result = train(
            models,
            batches,
            config,
            ctx.device,
            optimizers=optimizers,
            schedules=schedules,
            training_step=training_step,
            state=state,
            ema=ema,
            on_log=on_log,
            on_interval=on_interval,
            parallel=ctx.group.steps() if ctx.group else None,
        )
        row.update(result_columns(result))
        announce(cell, ctx, "writing")
        write_history(result, cell_dir)
        atomic.save_torch(cell_dir / "generator.pt", generator_checkpoint(cell, models, ema))
        ema_row = None
        if ema is not None:
            ema_row = {**row, "variant": cell.variant + EMA_SUFFIX, "ema": True}
            row["ema"] = False
        if result.status == "ok":
            announce(cell, ctx, "evaluating")
        final: dict[str, Any] = evaluate_cell(cell, models, ctx, cell_dir) if result.status == "ok" else {}
        announce(cell, ctx, "writing")
        row.update(final)
        if ema is not None and ema_row is not None:
            if result.status == "ok":
                ema_models = dataclasses.replace(models, generator=ema.module)
                ema_row.update(evaluate_cell(cell, ema_models, ctx, cell_dir, suffix="_ema"))
        if periodic is not None:  # eval_s is all evaluation: periodic scoring plus the final one
            row["eval_s"] = periodic.eval_s + float(final.get("eval_s", 0.0))
        if result.status == "ok":
            if tensorboard is not None:
                tensorboard.metrics(result.steps_done, row)
                for name in ("samples", "traversal"):
                    if (cell_dir / f"{name}.png").is_file():
                        tensorboard.figure(result.steps_done, cell_dir / f"{name}.png", name)
        if tensorboard is not None:
            tensorboard.hparams(json.loads((cell_dir / "config.json").read_text()), row)
            tensorboard.close()
        row["peak_mem_mb"] = peak_memory_mb(ctx.device)
        row["wall_s"] = time.perf_counter() - started
        if ema_row is not None:  # written before the raw row: a finished raw row implies its EMA row
            ema_row.update(peak_mem_mb=row["peak_mem_mb"], wall_s=row["wall_s"])
            atomic.write_json(cell_dir / EMA_ROW_FILE, ema_row)
        disarm()  # the row is complete: --cell-timeout no longer applies
    except CellTimeout as exc:
        row.update(status=TIMEOUT_STATUS, error=str(exc), wall_s=time.perf_counter() - started)
        atomic.write_text(cell_dir / "error.txt", f"{exc}\n{traceback.format_exc()}")
    except KeyboardInterrupt as exc:
        disarm()
        row.update(status="interrupted", error=interruption_text(exc))
        finish_row(row, cell_dir, ctx)
        raise
    except Exception as exc:
        disarm()
        if isinstance(exc, DiskFullError):  # every later write fails too: stop the run, leave the cell to --resume
            raise
        if atomic.is_disk_full(exc):
            raise atomic.disk_full_error(cell_dir, exc) from exc
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        row.update(status="failed", error=ctx.group.failed(error) if ctx.group else error)
        atomic.write_text(cell_dir / "error.txt", traceback.format_exc())
    finish_row(row, cell_dir, ctx)
    return row


def checkpoint_identity(cell: Cell, models: Models) -> dict[str, Any]:
    """What must match for a checkpoint to be continued: the cell, its training options and its recipe."""
    recipe = models.recipe
    return {
        "cell_id": cell.cell_id,
        "seed": cell.seed,
        "train": cell.train.recorded(),
        "recipe": [recipe.generator, recipe.discriminator, recipe.loss],
        "options": [dict(recipe.generator_options), dict(recipe.discriminator_options), dict(recipe.loss_options)],
    }


def earlier_evals(cell_dir: Path, up_to: int) -> list[dict[str, Any]]:
    """``evals.csv`` rows up to the checkpoint's step, so a resumed cell keeps its earlier evaluations."""
    path = cell_dir / "evals.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        rows = [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(fh)]
    for row in rows:
        row["step"] = int(row["step"])
    return [row for row in rows if row["step"] <= up_to]


def finish_row(row: dict[str, Any], cell_dir: Path, ctx: CellContext) -> None:
    atomic.write_json(cell_dir / ROW_FILE, row)
    if ctx.writes:
        ctx.registry.notify_cell_finished(row, cell_dir)


def result_columns(result: TrainResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "diverged_step": result.diverged_step,
        "error": f"non-finite loss at step {result.diverged_step}" if result.status == "diverged" else None,
        "d_loss": result.d_loss,
        "g_loss": result.g_loss,
        "train_img_s": result.train_img_s,
        "train_s": result.train_s,
        "wall_s": result.wall_s,
    }


def write_config(cell: Cell, models: Models, ctx: CellContext, cell_dir: Path) -> None:
    recipe = models.recipe
    config = {
        "variant": cell.variant,
        "dataset": cell.dataset,
        "data_shape": list(models.spec.shape),
        "seed": cell.seed,
        "device": str(ctx.device),
        "generator": recipe.generator,
        "discriminator": recipe.discriminator,
        "loss": recipe.loss,
        "generator_options": dict(recipe.generator_options),
        "discriminator_options": dict(recipe.discriminator_options),
        "loss_options": dict(recipe.loss_options),
        "train": dataclasses.asdict(cell.train),
        "evaluation": {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(ctx.evaluation).items()},
        "ganbench_version": ganbench.__version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "plugins": ctx.plugins,
        CONFIG_KEY: fingerprint_of(cell, models, ctx).to_json(),
    }
    atomic.write_json(cell_dir / "config.json", config)


def write_history(result: TrainResult, cell_dir: Path) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=history_columns(result.history), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(result.history)
    atomic.write_text(cell_dir / "history.csv", buffer.getvalue())


def generator_checkpoint(cell: Cell, models: Models, ema: EmaGenerator | None = None) -> dict[str, Any]:
    """What ``ganbench score``/``sample`` need to rebuild the generator: weights plus the recipe, as plain data.

    With ``--ema`` it holds the averaged weights too (``ema_state_dict``, with ``ema`` = decay and start);
    ``data_*`` describe the data the generator makes, so it can be rebuilt without loading the dataset.
    """
    recipe = models.recipe
    spec = models.spec
    extra: dict[str, Any] = {}
    if ema is not None:
        extra["ema_state_dict"] = {k: v.detach().cpu() for k, v in ema.state_dict().items()}
        extra["ema"] = {"decay": ema.decay, "start": ema.start}
    return {
        "format": "ganbench-generator/1",
        "state_dict": {k: v.detach().cpu() for k, v in models.generator.state_dict().items()},
        "loss_state_dict": {k: v.detach().cpu() for k, v in models.loss.state_dict().items()},
        "variant": cell.variant,
        "dataset": cell.dataset,
        "generator": recipe.generator,
        "discriminator": recipe.discriminator,
        "loss": recipe.loss,
        "generator_options": dict(recipe.generator_options),
        "discriminator_options": dict(recipe.discriminator_options),
        "loss_options": dict(recipe.loss_options),
        "seed": cell.seed,
        "data_kind": spec.kind,
        "data_shape": list(spec.shape),
        "num_classes": spec.num_classes,
        **extra,
    }


def evaluate_cell(cell: Cell, models: Models, ctx: CellContext, cell_dir: Path, suffix: str = "") -> dict[str, Any]:
    """Samples, pictures (``samples{suffix}.png``) and metrics for a trained cell (``suffix="_ema"``: its EMA G)."""
    spec = ctx.dataset.spec
    n = ctx.evaluation.samples_for(spec.kind) if ctx.evaluation.enabled else GRID_SAMPLES
    samples = generate(models, max(n, GRID_SAMPLES), ctx.device, seed=cell.seed + 1)
    columns: dict[str, Any] = {"gen_img_s": samples.gen_img_s}
    if spec.kind == "points":
        real = ctx.dataset.tensors(spec.fid_split)
        save_scatter(
            samples.images[:2500],
            cell_dir / f"samples{suffix}.png",
            real=real[0][:2500] if real is not None else None,
            centres=spec.mode_centres,
            colours=samples.labels[:2500] if samples.labels is not None else None,
            title=f"{cell.variant} on {cell.dataset} (seed {cell.seed})",
        )
    elif samples.labels is not None:
        save_class_grid(samples.images, samples.labels, cell_dir / f"samples{suffix}.png")
    else:
        save_image_grid(samples.images[:GRID_SAMPLES], cell_dir / f"samples{suffix}.png")
    if not suffix:
        save_real_grid(ctx.dataset, cell_dir / "real.png")
    if ctx.evaluation.enabled:
        start = time.perf_counter()
        labels = samples.labels[:n] if samples.labels is not None else None
        columns.update(score_samples(samples.images[:n], ctx, models, fake_labels=labels))
        if not suffix:
            save_code_traversal(models, ctx, cell_dir)
        columns["eval_s"] = time.perf_counter() - start
    return columns


def save_real_grid(dataset: GanDataset, path: Path) -> None:
    """The real data the samples are compared with, drawn like ``samples.png`` (the report shows them side by side)."""
    spec = dataset.spec
    real = dataset.tensors(spec.fid_split)
    if real is not None:
        x = real[0][: 2500 if spec.kind == "points" else GRID_SAMPLES]
    else:  # too big to hold as one tensor: the first items of the split
        split = dataset.split(spec.fid_split)
        items = [split[i] for i in range(min(GRID_SAMPLES, len(split)))]
        x = torch.stack([item[0] if isinstance(item, (tuple, list)) else item for item in items])
    if spec.kind == "points":
        save_scatter(
            x, path, centres=spec.mode_centres, title=f"real data: {spec.name}", label="real", colour="#1f4e79"
        )
    else:
        save_image_grid(x, path)


def save_code_traversal(models: Models, ctx: CellContext, cell_dir: Path) -> None:
    """InfoGAN-style losses: a latent traversal picture (their code accuracy is the ``code-accuracy`` metric)."""
    if not hasattr(models.loss, "predict_codes") or not getattr(models.loss, "categorical", ()):
        return
    from ganbench.runner.codes import save_traversal

    save_traversal(models, ctx.dataset, ctx.device, cell_dir / "traversal.png")
