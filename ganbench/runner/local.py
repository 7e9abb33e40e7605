"""The local executor: runs the cells of a plan one after another, in this process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ganbench.errors import GanbenchError
from ganbench.registry import PluginRegistry
from ganbench.runner.cell import run_cell
from ganbench.runner.context import CellContext
from ganbench.runner.plan import Cell, EvalOptions, Plan, RunConfig
from ganbench.runner.rundir import rebuild, record_invocation

LogCallback = Callable[[Cell, int, dict[str, float], float], None]


@dataclass
class RunSettings:
    run_dir: Path
    device: torch.device
    evaluation: EvalOptions
    on_log: LogCallback | None = None
    on_cell_start: Callable[[Cell, int, int], None] | None = None
    on_cell_end: Callable[[Cell, dict[str, Any]], None] | None = None
    on_stage: Callable[[Cell, str], None] | None = None
    tensorboard: bool = False
    checkpoint_every: int | None = None
    """Save each cell's ``checkpoint.pt`` every this many steps."""
    resume: bool = False
    """Continue cells from their ``checkpoint.pt`` (``ganbench run --resume``)."""
    config: RunConfig | None = None
    """Recorded in ``run.json`` so that ``--resume`` can re-plan this invocation."""
    executor: dict[str, Any] = field(default_factory=lambda: {"kind": "local"})
    suite: dict[str, Any] | None = None
    """The suite file and its name/description, when the run came from ``--config``."""
    vectorize_seeds: bool = False
    """Train the seeds of each variant × dataset together as one batched model (``--vectorize-seeds``)."""
    cell_timeout: float | None = None
    """``--cell-timeout``: stop a cell after this many seconds and record it as ``timeout``."""


def plugin_requirements(registry: PluginRegistry) -> str:
    """``dist==version`` of every loaded plugin distribution, for provenance."""
    pins = sorted({f"{p.origin.distribution}=={p.origin.version}" for p in registry.plugins})
    return ";".join(pins)


def start_run(registry: PluginRegistry, plan: Plan, settings: RunSettings) -> str:
    """Create the results folder and record this invocation in ``run.json``; returns the plugin pins."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    plugins = plugin_requirements(registry)
    record_invocation(
        settings.run_dir,
        cells=[cell.cell_id for cell in plan.cells],
        config=settings.config.to_json() if settings.config is not None else None,
        device=str(settings.device),
        plugins=plugins,
        executor=settings.executor,
        resumed=settings.resume,
        suite=settings.suite,
    )
    return plugins


def cell_context(
    registry: PluginRegistry, plan: Plan, cell: Cell, settings: RunSettings, plugins: str, **overrides: Any
) -> CellContext:
    values: dict[str, Any] = {
        "registry": registry,
        "dataset": plan.datasets[cell.dataset],
        "device": settings.device,
        "run_dir": settings.run_dir,
        "evaluation": settings.evaluation,
        "plugins": plugins,
        "on_log": settings.on_log,
        "on_stage": settings.on_stage,
        "tensorboard": settings.tensorboard,
        "checkpoint_every": settings.checkpoint_every,
        "resume": settings.resume,
        "cell_timeout": settings.cell_timeout,
    }
    values.update(overrides)
    return CellContext(**values)


def run_plan(registry: PluginRegistry, plan: Plan, settings: RunSettings) -> pd.DataFrame:
    """Run every cell; a failing cell is recorded and the others go on.

    The table is rebuilt atomically after each cell, so an interrupted
    invocation still leaves a valid table of what finished.
    """
    plugins = start_run(registry, plan, settings)
    if settings.vectorize_seeds:
        return _run_seed_groups(registry, plan, settings, plugins)
    try:
        for index, cell in enumerate(plan.cells):
            if settings.on_cell_start is not None:
                settings.on_cell_start(cell, index, len(plan.cells))
            row = run_cell(cell, cell_context(registry, plan, cell, settings, plugins))
            rebuild(settings.run_dir)
            if settings.on_cell_end is not None:
                settings.on_cell_end(cell, row)
    except BaseException:
        try:
            rebuild(settings.run_dir)  # a table of what finished, if the disk still takes it
        except (GanbenchError, OSError):
            pass  # the error being raised says what went wrong
        raise
    return rebuild(settings.run_dir)


def _run_seed_groups(registry: PluginRegistry, plan: Plan, settings: RunSettings, plugins: str) -> pd.DataFrame:
    """``--vectorize-seeds``: one batched training per variant × dataset, then each seed's row as usual."""
    from ganbench.runner.seed_groups import run_seed_group, seed_groups

    done = 0
    try:
        for group in seed_groups(plan.cells):
            if settings.on_cell_start is not None:
                for offset, cell in enumerate(group):
                    settings.on_cell_start(cell, done + offset, len(plan.cells))
            ctx = cell_context(registry, plan, group[0], settings, plugins)
            rows = run_seed_group(group, ctx, settings.on_log)
            rebuild(settings.run_dir)
            done += len(group)
            if settings.on_cell_end is not None:
                for cell, row in zip(group, rows, strict=True):
                    settings.on_cell_end(cell, row)
    except BaseException:
        try:
            rebuild(settings.run_dir)
        except (GanbenchError, OSError):
            pass
        raise
    return rebuild(settings.run_dir)
