"""The Ray executor: each cell is one Ray task, and Ray does all the scheduling.

A task asks for one GPU when the cluster has GPUs (and ``--device`` allows
them), one CPU otherwise; CPU tasks run torch with one thread each so that
concurrent cells do not fight over cores. ``--workers N`` bounds how many
cells run at once: a local Ray instance is started with ``num_cpus=N``, and on
an existing cluster at most N tasks are in flight.

Where results go: the driver writes a token file into the results folder.
A task that can read the same token shares the driver's filesystem (the same
machine, or a network filesystem) and runs the cell straight into the results
folder, checkpoints included. A task that cannot runs the cell in a temporary
folder and returns the row together with every file of the cell folder; the
driver writes them. Resuming a cell on such a worker ships its checkpoint to
the task. Either way the results folder ends up in the same layout as a
local run, and the driver rebuilds the table after each finished cell.

A task that dies (the worker process killed, out of memory, a node lost)
raises in the driver; the cell's row then says ``failed`` with the Ray error,
and the other cells go on. Tasks are never retried automatically: a crashed
cell is visible, and ``--resume`` reruns it from its last checkpoint.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ganbench.data.base import GanDataset
from ganbench.engine.checkpoint import CHECKPOINT_FILE
from ganbench.errors import UserError, interruption_text
from ganbench.registry import PluginRegistry, get_registry
from ganbench.results import atomic
from ganbench.results.table import ROW_FILE
from ganbench.runner.cell import base_row, run_cell
from ganbench.runner.context import CellContext
from ganbench.runner.deadline import TIMEOUT_STATUS, timeout_text
from ganbench.runner.local import RunSettings, cell_context, start_run
from ganbench.runner.plan import Cell, DataConfig, EvalOptions, Plan, load_dataset
from ganbench.runner.rundir import rebuild

RAY_MISSING = "--executor ray needs Ray, which is not installed; install it with: pip install ray"
TOKEN_FILE = ".ganbench-ray-token"

CellFunction = Callable[[Cell, CellContext], dict[str, Any]]


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None
    """Join this cluster (``ray.init(address=...)``); None starts a local Ray instance."""
    workers: int | None = None
    """Cells running at once; default: every CPU (local instance) or no limit (cluster)."""
    device: str = "auto"
    """``auto`` (a GPU per task when the cluster has GPUs), ``cpu``, or ``cuda``."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(RAY_MISSING) from None
    return ray


@contextmanager
def ray_session(options: RayOptions) -> Iterator[Any]:
    """Ray, initialised for this run; shut down afterwards unless it was already running (tests, notebooks)."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    if options.workers is not None and options.workers < 1:
        raise UserError(f"--workers must be at least 1, got {options.workers}")
    common = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
    try:
        if options.address:
            ray.init(address=options.address, **common)
        else:
            ray.init(num_cpus=options.workers or os.cpu_count() or 1, **common)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray instance"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"cannot start or join {where}: {first}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def wants_gpu(device: str, cluster_gpus: float) -> bool:
    """Whether each task should ask for a GPU; asking for CUDA on a cluster without GPUs is a user error."""
    kind = device.split(":")[0]
    if kind == "cpu":
        return False
    if kind == "cuda" and cluster_gpus < 1:
        raise UserError(f"--device {device} with --executor ray, but the Ray cluster has no GPUs; use --device cpu")
    if kind not in ("auto", "cuda"):
        raise UserError(f"--device {device} is not supported with --executor ray; use auto, cpu or cuda")
    return cluster_gpus >= 1


@dataclass
class CellTask:
    """Everything a worker needs to run one cell: plain data, so it pickles to any node."""

    cell: Cell
    data: DataConfig
    run_dir: str
    token: str
    evaluation: EvalOptions
    plugins: str
    strict: bool
    use_gpu: bool
    threads: int
    checkpoint_every: int | None = None
    resume: bool = False
    tensorboard: bool = False
    checkpoint: bytes | None = None
    """The cell's checkpoint, shipped for a resume on a worker that does not share the results folder."""
    cell_fn: CellFunction | None = None


_DATASETS: dict[tuple[str, str], GanDataset] = {}
"""Per worker process: datasets already loaded, since a worker runs many cells."""


def _dataset(registry: PluginRegistry, name: str, data: DataConfig) -> GanDataset:
    key = (name, repr(data))
    if key not in _DATASETS:
        _DATASETS[key] = load_dataset(registry, name, data)
    return _DATASETS[key]


def _shares_results_dir(task: CellTask) -> bool:
    try:
        return (Path(task.run_dir) / TOKEN_FILE).read_text() == task.token
    except OSError:
        return False


def execute_cell(task: CellTask) -> dict[str, Any]:
    """The body of a Ray task (runs on a worker): one cell, into the shared folder or a temporary one."""
    torch.set_num_threads(task.threads)
    device = torch.device("cuda") if task.use_gpu else torch.device("cpu")  # Ray sets CUDA_VISIBLE_DEVICES
    registry = get_registry(task.strict)
    shared = _shares_results_dir(task)
    scratch = None if shared else Path(tempfile.mkdtemp(prefix="ganbench-cell-"))
    run_dir = Path(task.run_dir) if scratch is None else scratch
    cell_dir = run_dir / task.cell.cell_id
    try:
        if task.checkpoint is not None and scratch is not None:
            atomic.write_bytes(cell_dir / CHECKPOINT_FILE, task.checkpoint)
        ctx = CellContext(
            registry=registry,
            dataset=_dataset(registry, task.cell.dataset, task.data),
            device=device,
            run_dir=run_dir,
            evaluation=task.evaluation,
            plugins=task.plugins,
            tensorboard=task.tensorboard,
            checkpoint_every=task.checkpoint_every,
            resume=task.resume,
        )
        row = (task.cell_fn or run_cell)(task.cell, ctx)
        files = {} if shared else _read_files(cell_dir)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return {"row": row, "files": files, "shared": shared}


def _read_files(cell_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(cell_dir)): p.read_bytes()
        for p in sorted(cell_dir.rglob("*"))
        if p.is_file() and not p.name.endswith(".tmp")
    }


def _write_returned(cell_dir: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        target = (cell_dir / name).resolve()
        if cell_dir.resolve() not in target.parents:  # a worker may only write inside its cell's folder
            raise UserError(f"a Ray task returned a file outside its cell folder: {name!r}")
        atomic.write_bytes(target, content)


def _failed_row(cell: Cell, ctx: CellContext, status: str, error: str) -> dict[str, Any]:
    row = base_row(cell, None, ctx)
    row.update(status=status, error=error.strip().splitlines()[0][:500] if error.strip() else status)
    return row


def _ray_error_text(exc: BaseException) -> str:
    """One line for the row: the Ray error's type and the last line of its text (the cause's message)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1]}" if lines else type(exc).__name__


def run_plan_ray(
    registry: PluginRegistry,
    plan: Plan,
    settings: RunSettings,
    options: RayOptions,
    *,
    cell_fn: CellFunction | None = None,
) -> pd.DataFrame:
    """Run every cell of ``plan`` as a Ray task; the same table and folder layout as :func:`run_plan`.

    ``cell_fn`` replaces :func:`run_cell` inside the tasks (it must be
    picklable; it exists for fault-injection tests and custom harnesses).
    """
    import_ray()  # fail with the install hint before anything is written
    if plan.data is None:
        raise UserError("the Ray executor needs a plan made by make_plan (it records how to load the datasets)")
    settings.executor = {"kind": "ray", "address": options.address, "workers": options.workers}
    plugins = start_run(registry, plan, settings)
    token = secrets.token_hex(16)
    atomic.write_text(settings.run_dir / TOKEN_FILE, token)
    with ray_session(options) as ray:
        use_gpu = wants_gpu(options.device, float(ray.cluster_resources().get("GPU", 0)))
        cpus = int(ray.cluster_resources().get("CPU", 1))
        limit = options.workers or (cpus if not use_gpu else int(ray.cluster_resources().get("GPU", 1)))
        resources = {"num_gpus": 1} if use_gpu else {"num_cpus": 1}
        remote = ray.remote(execute_cell)
        # torch threads per task: the cores shared out among the cells that run at once (1 when several do)
        threads = max(1, cpus // max(1, min(limit, len(plan.cells))))
        device = torch.device("cuda" if use_gpu else "cpu")
        pending: dict[Any, Cell] = {}
        started: dict[Any, float] = {}  # when each task was submitted, for --cell-timeout
        queue = list(plan.cells)
        total = len(queue)
        try:
            while queue or pending:
                while queue and len(pending) < max(1, limit):
                    cell = queue.pop(0)
                    task = _make_task(cell, plan, settings, plugins, token, registry, use_gpu, threads, cell_fn)
                    if settings.on_cell_start is not None:
                        settings.on_cell_start(cell, total - len(queue) - 1, total)
                    call = remote.options(name=f"ganbench:{cell.cell_id}", max_retries=0, **resources)
                    ref = call.remote(task)
                    pending[ref] = cell
                    started[ref] = time.monotonic()
                done, _ = ray.wait(list(pending), num_returns=1, timeout=_wait_budget(started, settings.cell_timeout))
                late = [] if done else _past_deadline(started, settings.cell_timeout)
                for ref in [*done, *late]:
                    cell = pending.pop(ref)
                    started.pop(ref)
                    if ref in late:
                        row = _time_out(ray, ref, cell, plan, settings, plugins, device, registry)
                    else:
                        row = _collect(ray, ref, cell, plan, settings, plugins, device, registry)
                    rebuild(settings.run_dir)
                    if settings.on_cell_end is not None:
                        settings.on_cell_end(cell, row)
        except KeyboardInterrupt as exc:
            _interrupt(ray, pending, plan, settings, plugins, device, registry, exc)
            raise
        finally:
            table = rebuild(settings.run_dir)
            (settings.run_dir / TOKEN_FILE).unlink(missing_ok=True)
    return table


def _wait_budget(started: dict[Any, float], timeout: float | None) -> float | None:
    """How long ``ray.wait`` may block: until the earliest task's ``--cell-timeout`` (None: no limit)."""
    if timeout is None or not started:
        return None
    return max(0.0, min(started.values()) + timeout - time.monotonic())


def _past_deadline(started: dict[Any, float], timeout: float | None) -> list[Any]:
    if timeout is None:
        return []
    now = time.monotonic()
    return [ref for ref, start in started.items() if now - start >= timeout]


def _time_out(
    ray: Any,
    ref: Any,
    cell: Cell,
    plan: Plan,
    settings: RunSettings,
    plugins: str,
    device: torch.device,
    registry: PluginRegistry,
) -> dict[str, Any]:
    """``--cell-timeout`` on Ray: cancel the task (killing its worker) and record the cell as ``timeout``.

    The budget counts from submission, so time a task waited for a free worker counts too; with
    ``--workers`` at most the number of cells, tasks start when they are submitted.
    """
    ray.cancel(ref, force=True)
    assert settings.cell_timeout is not None
    ctx = cell_context(registry, plan, cell, settings, plugins, device=device)
    row = _failed_row(cell, ctx, TIMEOUT_STATUS, timeout_text(settings.cell_timeout))
    cell_dir = settings.run_dir / cell.cell_id
    cell_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_json(cell_dir / ROW_FILE, row)
    return row


def _make_task(
    cell: Cell,
    plan: Plan,
    settings: RunSettings,
    plugins: str,
    token: str,
    registry: PluginRegistry,
    use_gpu: bool,
    threads: int,
    cell_fn: CellFunction | None,
) -> CellTask:
    checkpoint = settings.run_dir / cell.cell_id / CHECKPOINT_FILE
    assert plan.data is not None
    return CellTask(
        cell=cell,
        data=plan.data,
        run_dir=str(settings.run_dir.resolve()),
        token=token,
        evaluation=settings.evaluation,
        plugins=plugins,
        strict=registry.strict,
        use_gpu=use_gpu,
        threads=threads,
        checkpoint_every=settings.checkpoint_every,
        resume=settings.resume,
        tensorboard=settings.tensorboard,
        # shipped only when resuming; a worker on the same filesystem reads the file in place
        checkpoint=checkpoint.read_bytes() if settings.resume and checkpoint.is_file() else None,
        cell_fn=cell_fn,
    )


def _collect(
    ray: Any,
    ref: Any,
    cell: Cell,
    plan: Plan,
    settings: RunSettings,
    plugins: str,
    device: torch.device,
    registry: PluginRegistry,
) -> dict[str, Any]:
    """The task's row (writing returned files when the worker had its own filesystem), or a failed row."""
    cell_dir = settings.run_dir / cell.cell_id
    try:
        result = ray.get(ref)
    except ray.exceptions.RayError as exc:  # worker crashed, task raised, node died, ...
        ctx = cell_context(registry, plan, cell, settings, plugins, device=device)
        row = _failed_row(cell, ctx, "failed", _ray_error_text(exc))
        cell_dir.mkdir(parents=True, exist_ok=True)
        atomic.write_text(cell_dir / "error.txt", str(exc))
        atomic.write_json(cell_dir / ROW_FILE, row)
        return row
    _store(cell_dir, result)
    if settings.on_log is not None and result["row"].get("status") == "ok":
        row = result["row"]
        settings.on_log(cell, cell.train.steps, {"d_loss": row["d_loss"], "g_loss": row["g_loss"]}, row["train_img_s"])
    return result["row"]


def _store(cell_dir: Path, result: dict[str, Any]) -> None:
    """Write what a worker without the shared filesystem sent back (nothing to do otherwise)."""
    if not result["shared"]:
        _write_returned(cell_dir, result["files"])
        if not (cell_dir / ROW_FILE).is_file():
            atomic.write_json(cell_dir / ROW_FILE, result["row"])


def _interrupt(
    ray: Any,
    pending: dict[Any, Cell],
    plan: Plan,
    settings: RunSettings,
    plugins: str,
    device: torch.device,
    registry: PluginRegistry,
    reason: KeyboardInterrupt,
) -> None:
    """Ctrl-C or SIGTERM: cancel the tasks in flight and mark their cells interrupted; finished rows stay."""
    for ref in pending:
        ray.cancel(ref, force=True)
    deadline = time.monotonic() + 5
    for ref, cell in pending.items():
        try:
            _store(settings.run_dir / cell.cell_id, ray.get(ref, timeout=max(0.1, deadline - time.monotonic())))
            continue  # it finished after all
        except Exception:
            pass
        ctx = cell_context(registry, plan, cell, settings, plugins, device=device)
        row = _failed_row(cell, ctx, "interrupted", interruption_text(reason))
        atomic.write_json(settings.run_dir / cell.cell_id / ROW_FILE, row)
