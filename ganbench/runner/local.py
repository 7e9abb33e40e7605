"""The local executor: runs the cells of a plan one after another, in this process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import ganbench
from ganbench.registry import PluginRegistry
from ganbench.results import atomic
from ganbench.results.table import rebuild_table
from ganbench.runner.cell import CellContext, run_cell
from ganbench.runner.plan import Cell, EvalOptions, Plan

LogCallback = Callable[[Cell, int, dict[str, float], float], None]


@dataclass
class RunSettings:
    run_dir: Path
    device: torch.device
    evaluation: EvalOptions
    on_log: LogCallback | None = None
    on_cell_start: Callable[[Cell, int, int], None] | None = None
    on_cell_end: Callable[[Cell, dict[str, Any]], None] | None = None
    tensorboard: bool = False


def plugin_requirements(registry: PluginRegistry) -> str:
    """``dist==version`` of every loaded plugin distribution, for provenance."""
    pins = sorted({f"{p.origin.distribution}=={p.origin.version}" for p in registry.plugins})
    return ";".join(pins)


def run_plan(registry: PluginRegistry, plan: Plan, settings: RunSettings) -> pd.DataFrame:
    """Run every cell; a failing cell is recorded and the others go on.

    The table is rebuilt atomically after each cell, so an interrupted
    invocation still leaves a valid table of what finished.
    """
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    plugins = plugin_requirements(registry)
    atomic.write_json(
        settings.run_dir / "run.json",
        {
            "argv": sys.argv,
            "ganbench_version": ganbench.__version__,
            "torch_version": torch.__version__,
            "device": str(settings.device),
            "plugins": plugins,
            "cells": [cell.cell_id for cell in plan.cells],
        },
    )
    try:
        for index, cell in enumerate(plan.cells):
            if settings.on_cell_start is not None:
                settings.on_cell_start(cell, index, len(plan.cells))
            context = CellContext(
                registry=registry,
                dataset=plan.datasets[cell.dataset],
                device=settings.device,
                run_dir=settings.run_dir,
                evaluation=settings.evaluation,
                plugins=plugins,
                on_log=settings.on_log,
                tensorboard=settings.tensorboard,
            )
            row = run_cell(cell, context)
            rebuild_table(settings.run_dir)
            if settings.on_cell_end is not None:
                settings.on_cell_end(cell, row)
    finally:
        table = rebuild_table(settings.run_dir)
    return table
