"""Data-parallel runs: the per-rank executor and the launcher of ``ganbench run --nproc N``.

Every rank executes the same plan, cell after cell; each cell trains with one
DDP process group (:mod:`ganbench.engine.distributed`). Rank 0 is the only
writer: it records the invocation, writes each cell's files and row, evaluates
and prints the table. The other ranks run the same code with a private scratch
folder (deleted at the end), no evaluation and no checkpoints, so that every
rank executes exactly the same collectives.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import signal
import sys
import tempfile
import uuid
from pathlib import Path

import pandas as pd

from ganbench import exitcodes
from ganbench.engine.distributed import Rendezvous, World, backend_for, rank_device
from ganbench.errors import GanbenchError
from ganbench.registry import PluginRegistry
from ganbench.results import atomic
from ganbench.results.table import ROW_FILE
from ganbench.runner.cell import run_cell
from ganbench.runner.local import RunSettings, cell_context, plugin_requirements, start_run
from ganbench.runner.plan import Plan
from ganbench.runner.rundir import rebuild


def run_plan_ddp(
    registry: PluginRegistry,
    plan: Plan,
    settings: RunSettings,
    world: World,
    *,
    sync_bn: bool = False,
    rendezvous: Rendezvous | None = None,
) -> pd.DataFrame | None:
    """Train every cell of ``plan`` data-parallel with the other ranks; rank 0 returns the table, others None.

    ``rendezvous`` is the launch's store when this process already joined it (default: join now).
    """
    device = rank_device(settings.device, world)
    settings = dataclasses.replace(
        settings,
        device=device,
        executor={"kind": "ddp", "world_size": world.world_size, "backend": backend_for(device), "sync_bn": sync_bn},
    )
    rendezvous = rendezvous or Rendezvous(world)
    scratch: Path | None = None
    if world.is_writer:
        plugins = start_run(registry, plan, settings)
    else:
        plugins = plugin_requirements(registry)
        scratch = Path(tempfile.mkdtemp(prefix=f"ganbench-rank{world.rank}-"))
    try:
        for index, cell in enumerate(plan.cells):
            if world.is_writer and settings.on_cell_start is not None:
                settings.on_cell_start(cell, index, len(plan.cells))
            with rendezvous.cell_group(cell.cell_id, device, sync_bn=sync_bn) as group:
                overrides: dict[str, object] = {"group": group}
                if scratch is not None:  # a follower: same training, nothing written where the user looks
                    evaluation = dataclasses.replace(settings.evaluation, enabled=False)
                    overrides.update(run_dir=scratch, tensorboard=False, on_log=None, evaluation=evaluation)
                row = run_cell(cell, cell_context(registry, plan, cell, settings, plugins, **overrides))
            if world.is_writer:
                rebuild(settings.run_dir)
                if settings.on_cell_end is not None:
                    settings.on_cell_end(cell, row)
    except BaseException:
        if world.is_writer:
            try:
                rebuild(settings.run_dir)  # a table of what finished, if the disk still takes it
            except (GanbenchError, OSError):
                pass  # the error being raised says what went wrong
        raise
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return rebuild(settings.run_dir) if world.is_writer else None


# -- ganbench run --nproc N: start N local workers through torch.distributed.run's machinery ---------------------


def launch_local(nproc: int, argv: list[str], run_dir: Path, plan: Plan) -> int:
    """Run ``python -m ganbench ARGV`` as ``nproc`` ranks on this machine; returns the exit code to use.

    A worker that dies (a signal, not a cell failure, which the ranks settle
    among themselves) brings the others down through the elastic agent; the
    cell it was training is then recorded as failed with one line.
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=f"ganbench-{uuid.uuid4().hex[:12]}",
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",
        max_restarts=0,
        monitor_interval=0.1,
    )
    previous = os.environ.get("OMP_NUM_THREADS")
    if previous is None:  # torchrun's rule: share the cores instead of oversubscribing them
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // nproc))
    levels = _silence("torch.distributed.elastic")  # its multi-line failure reports; we print one line
    os.environ[exitcodes.LAUNCHED_RANK_ENV] = "1"  # the ranks leave the report of a stop to this launcher
    try:
        elastic_launch(config, sys.executable)("-m", "ganbench", *argv)
        return exitcodes.OK
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        if failure.exitcode > 0:
            return failure.exitcode  # the worker printed its own line (1: every cell failed, 2: a user error)
        line = f"data-parallel rank {rank} died ({_signal_name(-failure.exitcode)})"
        cell = record_crash(run_dir, plan, line, nproc)
        where = f"; cell {cell} is recorded as failed" if cell else ""
        print(f"ganbench: error: {line}{where}", file=sys.stderr)
        return exitcodes.CELLS_NOT_OK
    except SignalException as exc:  # Ctrl-C or SIGTERM here: the agent has passed it on to the ranks and waited
        return exitcodes.for_signal(exc.sigval)  # the CLI prints the line
    finally:
        for logger, level in levels.items():
            logger.setLevel(level)
        os.environ.pop(exitcodes.LAUNCHED_RANK_ENV, None)
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)


def _silence(prefix: str) -> dict[logging.Logger, int]:
    """Set every logger under ``prefix`` (each sets its own level) to CRITICAL; returns the previous levels."""
    names = [n for n in logging.root.manager.loggerDict if n == prefix or n.startswith(prefix + ".")]
    loggers = [logging.getLogger(n) for n in names]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    return levels


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def record_crash(run_dir: Path, plan: Plan, line: str, world_size: int) -> str | None:
    """Write a failed row for the cell that was started but has no row; returns its id."""
    for cell in plan.cells:
        cell_dir = run_dir / cell.cell_id
        if (cell_dir / "config.json").is_file() and not (cell_dir / ROW_FILE).is_file():
            row = {
                "variant": cell.variant,
                "dataset": cell.dataset,
                "seed": cell.seed,
                "steps": cell.train.steps,
                "batch_size": cell.train.batch_size,
                "world_size": world_size,
                "batch_per_rank": cell.train.batch_size // world_size,
                "cell_id": cell.cell_id,
                "status": "failed",
                "error": line,
            }
            atomic.write_json(cell_dir / ROW_FILE, row)
            rebuild(run_dir)
            return cell.cell_id
    return None
