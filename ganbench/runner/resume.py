"""``ganbench run --resume DIR``: re-plan a results folder and continue what did not finish.

The plan comes from the configurations recorded in ``run.json`` (one per
invocation that wrote into the folder), never from re-parsing a command line.
A cell whose ``metrics.json`` says ``ok`` or ``diverged`` is finished and
skipped; any other cell (no row yet, ``failed``, ``interrupted``) runs again,
from its ``checkpoint.pt`` when it has one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganbench.engine.checkpoint import CHECKPOINT_FILE
from ganbench.errors import UserError
from ganbench.registry import PluginRegistry
from ganbench.results.table import ROW_FILE
from ganbench.runner.plan import Cell, Plan, RunConfig, plan_run
from ganbench.runner.rundir import RUN_FILE, read_run_file

FINISHED = ("ok", "diverged")


@dataclass
class ResumeGroup:
    """The unfinished cells of one recorded invocation, with that invocation's configuration."""

    config: RunConfig
    plan: Plan
    finished: list[str] = field(default_factory=list)
    from_checkpoint: list[str] = field(default_factory=list)


def cell_status(run_dir: Path, cell_id: str) -> str | None:
    """The status in the cell's ``metrics.json``, or None if it has no (readable) row."""
    try:
        row = json.loads((run_dir / cell_id / ROW_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return row.get("status") if isinstance(row, dict) else None


def recorded_configs(run_dir: Path) -> list[RunConfig]:
    """Every distinct run configuration recorded in ``run_dir/run.json``."""
    if not run_dir.is_dir():
        raise UserError(f"--resume: results folder {str(run_dir)!r} does not exist")
    run = read_run_file(run_dir)
    if not run:
        raise UserError(
            f"--resume: no readable {RUN_FILE} in {str(run_dir)!r}; is it a folder written by ganbench run?"
        )
    raw: list[dict[str, Any]] = [inv["config"] for inv in run.get("invocations", []) if inv.get("config")]
    if not raw and run.get("config"):
        raw = [run["config"]]
    if not raw:
        raise UserError(
            f"--resume: {RUN_FILE} in {str(run_dir)!r} records no run configuration "
            "(written by a ganbench without resume support); run it again instead"
        )
    unique = list({json.dumps(c, sort_keys=True): c for c in raw}.values())
    try:
        return [RunConfig.from_json(c) for c in unique]
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"--resume: invalid run configuration in {run_dir / RUN_FILE}: {exc}") from None


def plan_resume(registry: PluginRegistry, run_dir: Path) -> list[ResumeGroup]:
    """Re-plan each recorded configuration and keep its unfinished cells (each cell once)."""
    groups: list[ResumeGroup] = []
    seen: set[str] = set()
    for config in recorded_configs(run_dir):
        plan = plan_run(registry, config)
        group = ResumeGroup(config=config, plan=Plan([], plan.datasets, plan.data))
        for cell in plan.cells:
            if cell.cell_id in seen:
                continue
            seen.add(cell.cell_id)
            if cell_status(run_dir, cell.cell_id) in FINISHED:
                group.finished.append(cell.cell_id)
                continue
            group.plan.cells.append(cell)
            if (run_dir / cell.cell_id / CHECKPOINT_FILE).is_file():
                group.from_checkpoint.append(cell.cell_id)
        groups.append(group)
    return groups


def pending_cells(groups: list[ResumeGroup]) -> list[Cell]:
    return [cell for group in groups for cell in group.plan.cells]
