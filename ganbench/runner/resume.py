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
from ganbench.engine.config import TrainConfig
from ganbench.engine.seeding import check_seed
from ganbench.errors import UserError
from ganbench.registry import PluginRegistry
from ganbench.results.table import ROW_FILE
from ganbench.runner.plan import Cell, Plan, RunConfig, plan_run
from ganbench.runner.rundir import RUN_FILE, read_run_file
from ganbench.runner.suite_config import parse_suite

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
    source = f"--resume: {run_dir / RUN_FILE}"
    try:
        for config in unique:
            check_recorded(config, source)
        return [RunConfig.from_json(c) for c in unique]
    except UserError as exc:  # a range check (TrainConfig, EvalOptions): say which file it came from
        if str(exc).startswith(source):
            raise
        raise UserError(f"{source}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{source}: invalid run configuration: {exc}") from None


def check_recorded(config: Any, source: str) -> None:
    """Validate a recorded configuration like a suite file: every value with its type, before anything runs.

    ``run.json`` is data a user can edit; a wrong type must be one line naming
    the key, not a ``TypeError`` from deep inside planning.
    """
    if not isinstance(config, dict):
        raise UserError(f"{source}: a recorded configuration must be an object, got {type(config).__name__}")
    sections = {key: config.get(key) or {} for key in ("data", "evaluation", "composition", "train_overrides")}
    for key, section in sections.items():
        if not isinstance(section, dict):
            raise UserError(f"{source}: {key} must be an object, got {section!r}")
    evaluation, data = sections["evaluation"], sections["data"]
    as_suite = {
        "variants": config.get("variants"),
        "datasets": config.get("datasets"),
        "seeds": config.get("seeds"),
        "device": config.get("device"),
        "checkpoint_every": config.get("checkpoint_every"),
        "tensorboard": config.get("tensorboard"),
        "data_root": data.get("root"),
        "resolution": data.get("resolution"),
        "eval": evaluation.get("enabled"),
        "eval_samples": evaluation.get("n_samples"),
        "eval_real_samples": evaluation.get("n_real"),
        "eval_every": evaluation.get("eval_every"),
        "extractor": evaluation.get("extractor"),
        "inception_weights": evaluation.get("inception_weights"),
        **sections["composition"],
        **sections["train_overrides"],
    }
    parse_suite({k: v for k, v in as_suite.items() if v is not None}, source=source)
    TrainConfig().with_overrides(sections["train_overrides"])  # ranges: beta1 in [0, 1), steps >= 1, ...
    for seed in config.get("seeds") or []:
        check_seed(seed, f"{source}: seeds")
    if not isinstance(data.get("download", True), bool):
        raise UserError(f"{source}: data.download must be true or false, got {data['download']!r}")


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
