"""``make gpu-check``: what only a CUDA machine can show, in one run of at most ~8 minutes, as one JSON file.

No CUDA path can be exercised on the CPU-only machines this project is developed on, so a lent GPU machine
runs this script and the JSON it writes is committed (``benchmarks/gpu-check.json``). Checks, in order:

* ``cuda_tests``: the tests marked ``@pytest.mark.cuda`` (``pytest -m cuda``), which skip without CUDA;
* ``cell_eager`` / ``cell_amp_fp16`` / ``cell_compile``: one ``ganbench run`` DCGAN cell on digits at 32 px
  (train, sample, evaluate, write), plain, with ``--amp fp16`` and with ``--compile``; each records the cell's
  own train img/s (after warm-up, training steps only). ``cell_eager`` is the "dcgan train img/s at 32 px";
* ``ddp``: the same cell with ``--nproc`` = the visible GPUs (NCCL); skipped with one GPU (DDP needs two);
* ``vectorized_seeds``: 8 seeds of the default ring8 cell batched ÷ 8 sequential cells (goal ≥ 4×), measured
  by ``benchmarks/test_vectorized_seeds.py``'s ``SeedSet`` with interleaved rounds;
* ``inception_features``: InceptionV3 (``inception-v3-compat``) features per second on 32 px images; when the
  weights are not on the machine the check says ``unavailable`` and the rest still counts.

``--dry-run`` runs every check on the CPU at the smallest sizes (fp16 becomes bf16; compile, minutes on a CPU,
is skipped; the DDP cell runs as one process) so that a test keeps this script from rotting; its numbers mean
nothing.
Exit status: 0 when no check failed, 1 otherwise, 2 when there is no CUDA device and ``--dry-run`` is not given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "gpu-check.json"
BUDGET_S = 480
"""The whole check must fit in 8 minutes on the lent machine."""
VECTORIZED_GOAL = 4.0


@dataclass(frozen=True)
class Sizes:
    """How big each check is: the GPU run, or the CPU dry run."""

    cell_steps: int
    eval_samples: int
    ddp_steps: int
    seeds: int
    seed_steps: int
    seed_rounds: int
    inception_images: int
    cell_batch: int
    ddp_ranks: int | None
    """``None``: one rank per visible GPU."""


GPU_SIZES = Sizes(
    cell_steps=1000, eval_samples=2000, ddp_steps=500, seeds=8, seed_steps=50, seed_rounds=5, inception_images=5000,
    cell_batch=64, ddp_ranks=None,
)  # fmt: skip
DRY_SIZES = Sizes(
    cell_steps=4, eval_samples=200, ddp_steps=2, seeds=2, seed_steps=5, seed_rounds=1, inception_images=8,
    cell_batch=16, ddp_ranks=1,
)  # fmt: skip
"""The dry run's DDP cell is one process (``--nproc 1``): spawning ranks costs seconds of imports each, and
``tests/cli/test_cli_ddp.py`` trains a cell over two real gloo ranks already."""


@dataclass
class CheckResult:
    """One line of the JSON: ``status`` is ok, failed, skipped or unavailable."""

    name: str
    status: str
    value: float | None = None
    unit: str | None = None
    goal: str | None = None
    seconds: float = 0.0
    detail: str = ""
    conditions: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    device: str
    dry_run: bool
    sizes: Sizes
    work: Path
    gpus: int


class Skip(Exception):
    """A check that cannot run here (not a failure): its message says why."""

    def __init__(self, message: str, status: str = "skipped") -> None:
        super().__init__(message)
        self.status = status


# -- ganbench cells, in this process ------------------------------------------------------------------------------
def run_cell(ctx: Context, name: str, *extra: str, steps: int | None = None, evaluate: bool = True) -> dict[str, Any]:
    """One ``ganbench run`` DCGAN cell on digits at 32 px; returns its results row (status ok, or raises)."""
    import pandas as pd

    from ganbench.cli import main

    args = [
        "run", "--plugins", "dcgan", "--dataset", "digits", "--resolution", "32",
        "--steps", str(steps or ctx.sizes.cell_steps), "--batch-size", str(ctx.sizes.cell_batch),
        "--device", ctx.device, "--quiet",
        "--results-dir", str(ctx.work), "--out", name, *extra,
    ]  # fmt: skip
    args += ["--eval-samples", str(ctx.sizes.eval_samples)] if evaluate else ["--no-eval"]
    try:
        main(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise RuntimeError(f"ganbench {' '.join(args)} exited with {exc.code}") from None
    row = pd.read_csv(ctx.work / name / "results.csv").iloc[0].to_dict()
    if row["status"] != "ok":
        raise RuntimeError(f"cell {name} ended {row['status']}: {row.get('error')}")
    return row


def cell_check(*extra: str, label: str) -> Callable[[Context], CheckResult]:
    def check(ctx: Context) -> CheckResult:
        row = run_cell(ctx, label, *extra)
        conditions = {
            "variant": "dcgan", "dataset": "digits", "resolution": 32, "steps": ctx.sizes.cell_steps,
            "batch_size": int(row["batch_size"]), "eval_samples": ctx.sizes.eval_samples, "flags": list(extra),
            "fid": _number(row.get("fid")),
        }  # fmt: skip
        return CheckResult(
            label, "ok", float(row["train_img_s"]), "img/s (training steps after warm-up)", conditions=conditions
        )

    return check


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def check_amp(ctx: Context) -> CheckResult:
    precision = "bf16" if ctx.dry_run else "fp16"  # fp16 (with a GradScaler) is CUDA-only
    return cell_check("--amp", precision, label="cell_amp_fp16")(ctx)


def check_compile(ctx: Context) -> CheckResult:
    if ctx.dry_run:
        raise Skip("dry run: torch.compile takes minutes on a CPU (the command is the GPU run's)")
    return cell_check("--compile", label="cell_compile")(ctx)


def check_ddp(ctx: Context) -> CheckResult:
    nproc = ctx.sizes.ddp_ranks or ctx.gpus
    if not ctx.dry_run and nproc < 2:
        raise Skip(f"{ctx.gpus} visible GPU: data-parallel training needs one GPU per process, at least 2")
    steps = ctx.sizes.ddp_steps
    row = run_cell(ctx, "ddp", "--nproc", str(nproc), "--log-every", str(max(1, steps // 2)), steps=steps,
                   evaluate=False)  # fmt: skip
    if int(row["world_size"]) != nproc:
        raise RuntimeError(f"the DDP cell ran with world_size {row['world_size']}, not {nproc}")
    backend = "gloo" if ctx.device == "cpu" else "nccl"
    conditions = {"nproc": nproc, "backend": backend, "steps": steps, "global_batch": int(row["batch_size"])}
    return CheckResult("ddp", "ok", float(row["train_img_s"]), "img/s (all ranks)", conditions=conditions)


# -- benchmarks, in this process ----------------------------------------------------------------------------------
def check_vectorized_seeds(ctx: Context) -> CheckResult:
    import torch

    from benchmarks.common import WARMUP_STEPS, timed
    from benchmarks.test_vectorized_seeds import SeedSet
    from ganbench.engine.devices import cpu_threads_for

    device = torch.device(ctx.device)
    seeds = SeedSet("dcgan", device, ctx.sizes.seeds)
    steps, sequential, batched = ctx.sizes.seed_steps, [], []
    with cpu_threads_for(device, "points"):
        seeds.sequential(WARMUP_STEPS), seeds.batched(WARMUP_STEPS)
        for _ in range(ctx.sizes.seed_rounds):  # interleaved, so load moves both alike
            sequential.append(timed(lambda: seeds.sequential(steps), device))
            batched.append(timed(lambda: seeds.batched(steps), device))
    ratio = statistics.median(sequential) / statistics.median(batched)
    samples = steps * seeds.cfg.batch_size * len(seeds.models)
    conditions = {
        "variant": "dcgan", "dataset": "ring8", "seeds": len(seeds.models), "batch_size": seeds.cfg.batch_size,
        "steps_per_round": steps, "rounds": ctx.sizes.seed_rounds,
        "sequential_img_s": samples / statistics.median(sequential),
        "vectorized_img_s": samples / statistics.median(batched),
    }  # fmt: skip
    goal = f">= {VECTORIZED_GOAL:g}x for 8 seeds"
    return CheckResult("vectorized_seeds", "ok", ratio, "x (batched / sequential)", goal, conditions=conditions)


def check_inception(ctx: Context) -> CheckResult:
    import torch

    from ganbench.metrics.features import get_extractor
    from ganbench.metrics.inception import InceptionWeightsMissingError, resolve_inception_weights

    try:
        weights = resolve_inception_weights(download=False)
    except InceptionWeightsMissingError as exc:
        raise Skip(f"InceptionV3 weights not on this machine: {exc}", status="unavailable") from None
    extractor = get_extractor("inception-v3-compat", device=ctx.device, inception_weights=weights)
    n = ctx.sizes.inception_images
    images = torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    extractor(images[: extractor.batch_size])  # warm-up: cuDNN autotuning, first allocations
    device = torch.device(ctx.device)
    from benchmarks.common import timed

    seconds = timed(lambda: extractor(images), device)
    conditions = {"images": n, "input_side": 32, "batch_size": extractor.batch_size, "weights": str(weights)}
    return CheckResult("inception_features", "ok", n / seconds, "images/s (pool3, 2048-D)", conditions=conditions)


# -- the CUDA-marked tests, in a child pytest ---------------------------------------------------------------------
CUDA_TEST_PATHS = ("tests",)
DRY_RUN_TEST_PATHS = ("tests/engine/test_trainer.py",)
"""The dry run collects one module that holds a CUDA-marked test (collecting all of them takes ~20 s)."""


def check_cuda_tests(ctx: Context) -> CheckResult:
    paths = DRY_RUN_TEST_PATHS if ctx.dry_run else CUDA_TEST_PATHS
    command = [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:cacheprovider", *paths]
    if ctx.dry_run:
        command.append("--collect-only")
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=BUDGET_S)
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    counts = {
        word: int(n) for n, word in re.findall(r"(\d+)(?:/\d+)? (passed|failed|errors?|skipped|tests collected)", last)
    }
    conditions = {"command": " ".join(["python", *command[1:]]), "summary": last}
    if ctx.dry_run:
        selected = counts.get("tests collected", 0)
        status = "ok" if proc.returncode == 0 and selected > 0 else "failed"
        return CheckResult("cuda_tests", status, selected, "tests selected (collected only)", conditions=conditions)
    failed = counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
    passed, skipped = counts.get("passed", 0), counts.get("skipped", 0)
    status = "ok" if proc.returncode == 0 and failed == 0 and passed > 0 else "failed"
    detail = "" if status == "ok" else proc.stdout[-2000:]
    conditions.update(skipped=skipped, failed=failed)
    return CheckResult("cuda_tests", status, passed, "tests passed", detail=detail, conditions=conditions)


CHECKS: dict[str, Callable[[Context], CheckResult]] = {
    "cuda_tests": check_cuda_tests,
    "cell_eager": cell_check(label="cell_eager"),
    "cell_amp_fp16": check_amp,
    "cell_compile": check_compile,
    "ddp": check_ddp,
    "vectorized_seeds": check_vectorized_seeds,
    "inception_features": check_inception,
}


def run_check(name: str, ctx: Context) -> CheckResult:
    """One check; an exception is recorded as ``failed`` with its last line, never stops the others."""
    start = time.perf_counter()
    try:
        result = CHECKS[name](ctx)
    except Skip as exc:
        result = CheckResult(name, exc.status, detail=str(exc))
    except Exception as exc:  # one check's crash is its result; the others still run
        lines = traceback.format_exception_only(type(exc), exc)
        result = CheckResult(name, "failed", detail=lines[-1].strip())
    result.name = name
    result.seconds = round(time.perf_counter() - start, 2)
    return result


def environment(ctx: Context) -> dict[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    return {
        "device": torch.cuda.get_device_name(0) if cuda else f"cpu ({platform.processor() or platform.machine()})",
        "visible_gpus": ctx.gpus,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="run every check on the CPU at the smallest sizes")
    parser.add_argument("--out", type=Path, default=None, help=f"the JSON to write (default {DEFAULT_OUT})")
    parser.add_argument("--only", action="append", choices=sorted(CHECKS), help="run only this check (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    from ganbench.results.atomic import write_json

    if not args.dry_run and not torch.cuda.is_available():
        print("gpu_check: error: no CUDA device is visible; --dry-run checks this script on the CPU", file=sys.stderr)
        return 2
    out = args.out or (Path(tempfile.gettempdir()) / "gpu-check-dry-run.json" if args.dry_run else DEFAULT_OUT)
    names = args.only or list(CHECKS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as work:
        ctx = Context(
            device="cpu" if args.dry_run else "cuda",
            dry_run=args.dry_run,
            sizes=DRY_SIZES if args.dry_run else GPU_SIZES,
            work=Path(work),
            gpus=torch.cuda.device_count(),
        )
        results = []
        for name in names:
            result = run_check(name, ctx)
            print(f"gpu_check: {name}: {result.status} {_shown(result)}", flush=True)
            results.append(result)
        report = {
            "schema": 1,
            "dry_run": args.dry_run,
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            **environment(ctx),
            "wall_s": round(time.perf_counter() - started, 1),
            "budget_s": BUDGET_S,
            "checks": [asdict(r) for r in results],
        }
    write_json(out, report)
    print(f"gpu_check: wrote {out} ({report['wall_s']} s)")
    return 1 if any(r.status == "failed" for r in results) else 0


def _shown(result: CheckResult) -> str:
    number = f"{result.value:.4g} {result.unit}" if result.value is not None else ""
    return f"{number} ({result.seconds:.0f} s) {result.detail}".strip()


if __name__ == "__main__":
    sys.exit(main())
