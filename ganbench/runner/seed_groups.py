"""``--vectorize-seeds``: run the cells that differ only in their seed as one batched training.

Each seed still gets its own cell folder, row, history, saved generator and
evaluation, written by the same functions as a sequential cell; only the
training is shared (``ganbench.engine.vectorized``). A group that fails (e.g.
out of memory) records the error in every one of its cells' rows.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ganbench.data.loaders import batch_stream
from ganbench.engine.build import Models
from ganbench.engine.devices import cpu_threads_for, peak_memory_mb, reset_peak_memory
from ganbench.engine.seeding import rng_state, seed_everything
from ganbench.engine.vectorized import train_vectorized
from ganbench.errors import DiskFullError, UserError
from ganbench.results import atomic
from ganbench.runner.cell import (
    base_row,
    evaluate_cell,
    finish_row,
    generator_checkpoint,
    result_columns,
    write_config,
    write_history,
)
from ganbench.runner.context import CellContext
from ganbench.runner.plan import Cell, check_models

VECTORIZED_COLUMN = "trained_with"
"""Row column, e.g. ``"8 seeds vectorized"`` (text, so it is never averaged); absent for sequential cells."""


def seed_groups(cells: Sequence[Cell]) -> list[list[Cell]]:
    """Cells grouped by everything but the seed, in plan order."""
    groups: list[list[Cell]] = []
    for cell in cells:
        same = (c for c in groups if dataclasses.replace(c[0], seed=cell.seed) == cell)
        group = next(same, None)
        if group is None:
            groups.append([cell])
        else:
            group.append(cell)
    return groups


def check_vectorize_settings(*, checkpoint_every: int | None, eval_every: int | None, tensorboard: bool) -> None:
    """What ``--vectorize-seeds`` does not support yet, refused before anything is planned."""
    for given, flag in ((checkpoint_every, "--checkpoint-every"), (eval_every, "--eval-every")):
        if given:
            raise UserError(f"--vectorize-seeds cannot be combined with {flag} yet; drop one of them")
    if tensorboard:
        raise UserError("--vectorize-seeds cannot be combined with --tensorboard yet; drop one of them")


def run_seed_group(
    cells: Sequence[Cell],
    ctx: CellContext,
    on_log: Callable[[Cell, int, dict[str, float], float], None] | None = None,
) -> list[dict[str, Any]]:
    """Train ``cells`` (one variant and dataset, several seeds) together; returns and writes their rows."""
    with cpu_threads_for(ctx.device, ctx.dataset.spec.kind):
        return _run_group(cells, ctx, on_log)


def _run_group(
    cells: Sequence[Cell], ctx: CellContext, on_log: Callable[[Cell, int, dict[str, float], float], None] | None
) -> list[dict[str, Any]]:
    dirs = [ctx.run_dir / cell.cell_id for cell in cells]
    rows = [base_row(cell, None, ctx) for cell in cells]
    seed_models: list[Models] = []
    try:
        states = []
        for cell, cell_dir in zip(cells, dirs, strict=True):
            cell_dir.mkdir(parents=True, exist_ok=True)
            (cell_dir / "error.txt").unlink(missing_ok=True)
            seed_everything(cell.seed)  # exactly what a sequential cell draws before training
            models = check_models(ctx.registry, cell, ctx.dataset)
            for module in models.modules().values():
                module.to(ctx.device)
            states.append(rng_state())
            seed_models.append(models)
            write_config(cell, models, ctx, cell_dir)
        rows = [base_row(cell, models, ctx) for cell, models in zip(cells, seed_models, strict=True)]
        reset_peak_memory(ctx.device)
        config = cells[0].train
        streams = [
            batch_stream(ctx.dataset, "train", batch_size=config.batch_size, device=ctx.device, seed=cell.seed)
            for cell in cells
        ]

        def log(step: int, losses: list[dict[str, float]], img_s: float) -> None:
            if on_log is not None:
                for cell, seed_losses in zip(cells, losses, strict=True):
                    if seed_losses:
                        on_log(cell, step, {k: v for k, v in seed_losses.items() if k != "step"}, img_s / len(cells))

        outcome = train_vectorized(seed_models, states, streams, dataclasses.replace(config), ctx.device, on_log=log)
    except Exception as exc:
        _raise_if_disk_full(exc, dirs[0])
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        for row, cell_dir in zip(rows, dirs, strict=True):
            row.update(status="failed", error=message, **{VECTORIZED_COLUMN: f"{len(cells)} seeds vectorized"})
            atomic.write_text(cell_dir / "error.txt", traceback.format_exc())
            finish_row(row, cell_dir, ctx)
        return rows
    for cell, models, row, cell_dir, result in zip(cells, seed_models, rows, dirs, outcome.results, strict=True):
        started = time.perf_counter()
        try:
            row.update(result_columns(result), **{VECTORIZED_COLUMN: f"{len(cells)} seeds vectorized"})
            write_history(result, cell_dir)
            atomic.save_torch(cell_dir / "generator.pt", generator_checkpoint(cell, models))
            if result.status == "ok":
                row.update(evaluate_cell(cell, models, ctx, cell_dir))
            row["peak_mem_mb"] = peak_memory_mb(ctx.device)
            row["wall_s"] = result.wall_s + time.perf_counter() - started  # the shared training + its own evaluation
        except Exception as exc:
            _raise_if_disk_full(exc, cell_dir)
            row.update(status="failed", error=f"{type(exc).__name__}: {exc}".splitlines()[0][:500])
            atomic.write_text(cell_dir / "error.txt", traceback.format_exc())
        finish_row(row, cell_dir, ctx)
    return rows


def _raise_if_disk_full(exc: Exception, cell_dir: Path) -> None:
    """As in a sequential cell: a full disk stops the run (every later write would fail too)."""
    if isinstance(exc, DiskFullError):
        raise exc
    if atomic.is_disk_full(exc):
        raise atomic.disk_full_error(cell_dir, exc) from exc
