"""``ganbench run --nproc N`` and torchrun: which combinations run, and the command line the ranks get."""

from __future__ import annotations

from typing import Any

import typer

from ganbench.engine.devices import resolve_device
from ganbench.engine.distributed import DistributedSetupError, World, check_sync_bn

LAUNCHER_ONLY = {"nproc", "out"}
"""Options the launcher consumes: the ranks get ``--out`` resolved (one folder for all) and no ``--nproc``."""


def check_data_parallel(nproc: int | None, sync_bn: bool, world: World | None, options: dict[str, Any]) -> int:
    """The number of ranks this invocation trains each cell with (1: no DDP); one-line errors otherwise."""
    if nproc is not None and nproc < 1:
        raise DistributedSetupError(f"--nproc must be at least 1, got {nproc}")
    if world is not None and nproc is not None and nproc != 1:
        raise DistributedSetupError(
            f"--nproc starts the processes itself, but this one is already rank {world.rank} of "
            f"{world.world_size} (torchrun); give torchrun --nproc-per-node instead"
        )
    size = world.world_size if world is not None else (nproc or 1)
    if size == 1:
        if sync_bn:
            raise DistributedSetupError("--sync-bn only applies to data-parallel runs: add --nproc N (N > 1)")
        return 1
    if options.get("executor") == "ray":
        raise DistributedSetupError(
            "--nproc (one cell over several processes) cannot be combined with --executor ray (cells as Ray tasks); "
            "valid: --executor local with --nproc, or --executor ray without it"
        )
    if options.get("vectorize_seeds"):
        raise DistributedSetupError(
            "--nproc (one cell over several processes) cannot be combined with --vectorize-seeds (several seeds as "
            "one batched model in one process); use one or the other"
        )
    if options.get("compile"):
        raise DistributedSetupError("--compile is not supported with data-parallel training yet; drop one of them")
    device = resolve_device(options["device"])
    if device.type not in ("cpu", "cuda"):
        raise DistributedSetupError(f"data-parallel training runs on cpu (gloo) or cuda (NCCL), not {device.type}")
    if world is None and device.type == "cuda" and device.index is None:
        import torch

        if nproc and nproc > torch.cuda.device_count():
            raise DistributedSetupError(
                f"--nproc {nproc} needs one GPU per process; this machine has {torch.cuda.device_count()}"
            )
    check_sync_bn(sync_bn, device)
    return size


def worker_argv(ctx: typer.Context, out: str) -> list[str]:
    """The ranks' command line: this invocation's explicit options, minus ``--nproc``, with ``--out`` fixed."""
    argv: list[str] = []
    if (ctx.find_root().obj or {}).get("strict"):
        argv.append("--strict")
    argv.append(ctx.info_name or "run")
    for param in ctx.command.params:
        name = param.name or ""
        source = ctx.get_parameter_source(name)
        if name in LAUNCHER_ONLY or source is None or source.name not in ("COMMANDLINE", "PROMPT"):
            continue
        value = ctx.params[name]
        opts, off = list(getattr(param, "opts", [])), list(getattr(param, "secondary_opts", []))
        if getattr(param, "is_flag", False):
            if value or off:
                argv.append(opts[0] if value else off[0])
        elif getattr(param, "multiple", False):
            for item in value or ():
                argv += [opts[0], str(item)]
        elif value is not None:
            argv += [opts[0], str(value)]
    return [*argv, "--out", out]
